//! "Can my server use this port?": the port typed, and the helper's answer
//! as the machine view shows it.

use protocol::{BindReport, Severity};

use crate::node::el;
use crate::text::wire_name;

use crate::page::check::report::{findings, listeners};
use crate::page::views::Html;
use crate::page::widgets::{cell, section, table};

/// The port typed into the bind check, or what is wrong with it. Port 0
/// would ask the OS for any free port, which answers nothing.
pub fn bind_port(text: &str) -> Result<u16, String> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        Ok(_) => Err(format!(
            "{text} is not a TCP port: ports go from 1 to 65535."
        )),
        Err(_) => Err(format!(
            "\"{text}\" is not a port: type the number your server will listen on, such as 8080."
        )),
    }
}

/// Whether a server could listen on the port: the answer in one line (the
/// CLI's words: "IPv6 loopback taken, IPv4 free" rather than a bare "taken"
/// when only one family is held), what to do, then each address tried and
/// who holds the port.
pub fn bind_view(report: &BindReport) -> Html {
    let answer = format!("Port {}: {}.", report.port, report.headline());
    // Coloured as its top finding's badge, as the check's banner is: only
    // [::1] held is a warning, and a red answer above it would say more.
    let tone = match (report.findings.first(), report.available) {
        (Some(top), _) => top.severity,
        (None, true) => Severity::Ok,
        (None, false) => Severity::Error,
    };
    el("div", "pd-bind-body")
        .attr(
            "data-state",
            if report.available { "free" } else { "in-use" },
        )
        .child(
            el("p", "pd-bind-answer")
                .attr("data-severity", wire_name(&tone))
                .text(answer),
        )
        .child(findings(&report.findings, None))
        .child(section("Addresses tried", "pd-section").child(table(
            &["Address", "Result"],
            report.attempts.iter().map(|a| {
                el("tr", "pd-bind-attempt")
                    .attr("data-ok", if a.ok { "true" } else { "false" })
                    .child(el("td", "pd-addr").text(&a.addr))
                    .child(cell(match &a.error {
                        None => "could bind".to_owned(),
                        Some(error) => error.clone(),
                    }))
            }),
        )))
        .children((!report.available).then(|| listeners(&report.holders)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Finding, Listener};

    #[test]
    fn a_bind_port_is_a_number_from_1_to_65535() {
        assert_eq!(bind_port(" 8080 "), Ok(8080));
        assert_eq!(bind_port("65535"), Ok(65535));
        assert!(bind_port("0").unwrap_err().contains("1 to 65535"));
        assert!(bind_port("619009").unwrap_err().contains("1 to 65535"));
        assert!(
            bind_port("localhost:80")
                .unwrap_err()
                .contains("such as 8080")
        );
    }

    #[test]
    fn a_taken_port_names_its_holder_and_the_failed_binds() {
        let report = BindReport {
            port: 8080,
            available: false,
            attempts: vec![
                protocol::BindAttempt {
                    addr: "127.0.0.1:8080".into(),
                    ok: false,
                    error: Some("Address in use".into()),
                },
                protocol::BindAttempt {
                    addr: "[::]:8080".into(),
                    ok: true,
                    error: None,
                },
            ],
            holders: vec![Listener {
                local_addr: "127.0.0.1:8080".into(),
                pid: Some(42),
                process: Some("node".into()),
                user: None,
                queue: None,
            }],
            findings: vec![Finding {
                code: protocol::Code::PortInUse,
                severity: Severity::Error,
                summary: "Port 8080 is already in use by node (pid 42)".into(),
                fix: "Stop that process (`kill 42`)".into(),
                evidence: vec![],
            }],
        };
        let view = bind_view(&report);
        assert_eq!(view.get("data-state"), Some("in-use"));
        assert_eq!(
            view.find("pd-bind-answer").text_content(),
            "Port 8080: IPv4 taken, IPv6 free."
        );
        assert_eq!(
            view.find("pd-finding").get("data-code"),
            Some("port-in-use")
        );
        let attempts = view.find_all("pd-bind-attempt");
        assert_eq!(attempts[0].get("data-ok"), Some("false"));
        assert_eq!(attempts[0].text_content(), "127.0.0.1:8080Address in use");
        assert_eq!(view.find("pd-listener").get("data-pid"), Some("42"));

        // Only [::1] held: a server on 127.0.0.1 or 0.0.0.0 can use the
        // port, so the page must not say "taken" alone.
        let v6_loopback = BindReport {
            attempts: vec![
                protocol::BindAttempt {
                    addr: "127.0.0.1:8080".into(),
                    ok: true,
                    error: None,
                },
                protocol::BindAttempt {
                    addr: "[::1]:8080".into(),
                    ok: false,
                    error: Some("Address in use".into()),
                },
            ],
            holders: vec![Listener {
                local_addr: "[::1]:8080".into(),
                ..report.holders[0].clone()
            }],
            findings: vec![Finding {
                severity: Severity::Warning,
                ..report.findings[0].clone()
            }],
            ..report.clone()
        };
        let answer = bind_view(&v6_loopback).find("pd-bind-answer").clone();
        assert_eq!(
            answer.text_content(),
            "Port 8080: IPv6 loopback taken, IPv4 free."
        );
        assert_eq!(answer.get("data-severity"), Some("warning"));
        assert_eq!(
            view.find("pd-bind-answer").get("data-severity"),
            Some("error")
        );

        let free = bind_view(&BindReport {
            available: true,
            holders: vec![],
            findings: vec![],
            ..report
        });
        assert_eq!(free.get("data-state"), Some("free"));
        assert_eq!(
            free.find("pd-bind-answer").text_content(),
            "Port 8080: free."
        );
        assert_eq!(free.find("pd-bind-answer").get("data-severity"), Some("ok"));
        assert!(free.find_all("pd-listener").is_empty());
    }
}
