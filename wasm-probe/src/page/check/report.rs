//! A check's report as the page shows it: the verdict, what to do (the
//! findings, each with its fix and the commands to copy), then the evidence
//! (addresses, listeners, the service, MCP). Pure functions from protocol
//! types to trees.

use protocol::{
    AddressResult, Code, ErrorKind, Finding, Forward, Listener, Outcome, Progress, Report,
    ServiceProtocol, Severity, Verdict,
};

use crate::node::{Node, el};
use crate::text::{ms, pieces, wire_name};

use super::mcp::mcp_view;
use crate::page::check;
use crate::page::describe::{LINE_CHARS, TARGET_CHARS, forward_text, mcp_text, once, shorten};
use crate::page::export;
use crate::page::talk;
use crate::page::views::{Html, Msg};
use crate::page::widgets::{cell, copy_button, facts, section, table};

/// One line of progress per finished stage.
pub fn progress_item(progress: &Progress) -> Html {
    el("li", "pd-step").text(progress_text(progress))
}

/// An empty socket table, in the progress line and the Listeners section.
/// "On this machine": for an allowed remote target the table is still ours.
const NO_LISTENERS: &str =
    "No process on this machine listens on this port, as far as its socket table shows";

fn progress_text(progress: &Progress) -> String {
    match progress {
        Progress::Parsed { target } => match (&target.host, target.port) {
            (Some(host), Some(port)) => match &target.path {
                Some(path) => format!("Target: host {host}, port {port}, path {path}"),
                None => format!("Target: host {host}, port {port}"),
            },
            _ => format!(
                "Could not read a host and port from \"{}\"",
                shorten(&target.input, TARGET_CHARS)
            ),
        },
        Progress::Resolved { addresses } if addresses.is_empty() => {
            "The name resolved to no address".to_owned()
        }
        Progress::Resolved { addresses } => format!("Resolved to {}", addresses.join(", ")),
        Progress::Connected { address } => {
            format!("{}: {}", address.addr, outcome_text(address))
        }
        Progress::Listeners { listeners } if listeners.is_empty() => NO_LISTENERS.to_owned(),
        Progress::Listeners { listeners } => {
            let each: Vec<String> = listeners
                .iter()
                .map(|l| format!("{} on {}", l.owner(), l.local_addr))
                .collect();
            format!("Listening: {}", each.join("; "))
        }
        Progress::Identified { service } => match (&service.protocol, &service.detail) {
            (Some(protocol), Some(detail)) => format!("Speaks {}: {detail}", wire_name(protocol)),
            (Some(protocol), None) => format!("Speaks {}", wire_name(protocol)),
            _ => "Connected, but nothing answered any probe".to_owned(),
        },
        Progress::Mcp { mcp: Some(mcp) } => format!("MCP: {}", mcp_text(mcp)),
        Progress::Mcp { mcp: None } => "No MCP server answered".to_owned(),
        Progress::Authorize { url } => format!(
            "Signing in: the authorization page {} opens in a popup",
            url.split('?').next().unwrap_or(url)
        ),
        Progress::Forwarded { forward } => forward_text(forward),
        Progress::Redirected {} => {
            "Back from the authorization page; the helper goes on with the sign-in".to_owned()
        }
    }
}

/// `refused in 0.05 ms (Connection refused)`.
fn outcome_text(address: &AddressResult) -> String {
    let mut text = format!("{} in {}", address.outcome.label(), ms(address.elapsed_us));
    if let Some(error) = &address.error {
        text.push_str(&format!(" ({error})"));
    }
    text
}

/// A typed error for the shown request, or one that belongs to no request.
pub fn error_view(kind: Option<ErrorKind>, message: &str) -> Html {
    el("p", "pd-error")
        .attr_opt("data-kind", kind.map(|kind| wire_name(&kind)))
        .text(message)
}

/// The whole report: verdict, ways to share it, then what to do
/// (findings), then the evidence. `share_url` is the page's address that
/// runs this check again.
pub fn report_view(report: &Report, share_url: &str) -> Html {
    el("div", "pd-report-body")
        .child(verdict(report))
        .child(
            el("div", "pd-actions")
                .child(
                    copy_button(
                        "Copy as Markdown",
                        "Copy the report as Markdown".into(),
                        &export::markdown(report),
                    )
                    .attr("data-format", "markdown"),
                )
                .child(
                    copy_button(
                        "Copy as JSON",
                        "Copy the report as JSON".into(),
                        &export::json(report),
                    )
                    .attr("data-format", "json"),
                )
                .child(
                    copy_button(
                        "Copy link",
                        "Copy a link that runs this check".into(),
                        share_url,
                    )
                    .attr("data-format", "link"),
                )
                .children(console(report))
                .children(sign_in(report)),
        )
        .children(
            (!report.findings.is_empty())
                .then(|| findings(&report.findings, Some(&report.target.input))),
        )
        .children((!report.addresses.is_empty()).then(|| addresses(&report.addresses)))
        .children(
            // With no address tried there is no port to look up listeners for.
            (!report.addresses.is_empty() || !report.listeners.is_empty())
                .then(|| listeners(&report.listeners)),
        )
        .children(report.forward.as_ref().map(forward))
        .children(service(report))
        .children(report.mcp.as_ref().map(mcp_view))
}

/// "Open a console" to the address that answered, when one did: the talk
/// view connects there and suggests first messages for what answered.
fn console(report: &Report) -> Option<Html> {
    let open = report
        .addresses
        .iter()
        .find(|a| a.outcome == Outcome::Open)?;
    let target = &report.target;
    let host = match (&target.host, target.port) {
        (Some(host), Some(port)) if host.contains(':') => format!("[{host}]:{port}"),
        (Some(host), Some(port)) => format!("{host}:{port}"),
        _ => open.addr.clone(),
    };
    let protocol = match report.mcp {
        Some(_) => Some(ServiceProtocol::Mcp),
        None => report.service.protocol,
    };
    Some(
        el("button", "pd-button pd-open-console")
            .attr("type", "button")
            .attr("data-target", &open.addr)
            .on_click(Msg::Talk(talk::Msg::Open {
                target: open.addr.clone(),
                host,
                path: target.path.clone(),
                protocol,
            }))
            .text("Open a console"),
    )
}

/// "Sign in", when the MCP server refused with 401 and its authorization
/// chain is whole (no mcp-auth-* error): the helper signs in, the page
/// shows the authorization page in a popup, and the check runs again with
/// the token.
fn sign_in(report: &Report) -> Option<Html> {
    let mcp = report.mcp.as_ref()?;
    let code = |c: Code| report.findings.iter().any(|f| f.code == c);
    let broken = report
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.code.as_str().starts_with("mcp-auth-"));
    let whole = !mcp.auth.is_empty() && mcp.server.is_none() && mcp.login.is_none();
    (whole && code(Code::McpRejected) && !broken && !code(Code::McpLoginFailed))
        .then(|| sign_in_button(&report.target.input))
}

fn sign_in_button(target: &str) -> Html {
    el("button", "pd-button pd-sign-in")
        .attr("type", "button")
        .on_click(Msg::Check(check::Msg::SignIn(target.to_owned())))
        .text("Sign in")
}

/// The person closed the sign-in window before it was done, so the page
/// cancelled the sign-in; signing in again is one click.
pub fn sign_in_stopped(target: &str) -> Html {
    el("div", "pd-sign-in-stopped")
        .attr("data-kind", "cancelled")
        .child(
            el("p", "pd-note")
                .text("Signing in stopped: the sign-in window was closed before it was done."),
        )
        .child(sign_in_button(target))
}

/// How the verdict's banner is coloured: as the top finding (the first is
/// what to do first), or by the verdict when nothing was found.
pub fn tone(report: &Report) -> Severity {
    match (report.findings.first(), report.verdict) {
        (Some(top), _) => top.severity,
        (None, Verdict::Reachable) => Severity::Ok,
        (None, Verdict::Degraded) => Severity::Warning,
        (None, Verdict::Unreachable | Verdict::Invalid) => Severity::Error,
    }
}

fn verdict(report: &Report) -> Html {
    let (label, meaning) = (report.verdict.label(), report.verdict.meaning());
    let target = shorten(&report.target.input, TARGET_CHARS);
    // An invalid target was not checked: no time to report.
    let line = match report.verdict {
        Verdict::Invalid => target,
        _ => format!("{target}, checked in {}", ms(report.elapsed_us)),
    };
    el("div", "pd-verdict")
        .attr("data-verdict", wire_name(&report.verdict))
        .attr("data-severity", wire_name(&tone(report)))
        .child(el("strong", "pd-verdict-label").text(label))
        .child(el("span", "pd-verdict-meaning").text(meaning))
        .child(el("span", "pd-verdict-target").text(line))
}

/// The findings as cards. `target`: the input the verdict above shows, not
/// to be repeated here when it is long.
pub fn findings(findings: &[Finding], target: Option<&str>) -> Html {
    let line = |text: &str| shorten(&once(text, target.unwrap_or_default()), LINE_CHARS);
    // In the helper's order: the first finding is what to do first.
    section("Findings", "pd-section pd-findings").children(findings.iter().map(|f| {
        el("article", "pd-finding")
            .attr("data-code", wire_name(&f.code))
            .attr("data-severity", wire_name(&f.severity))
            .child(
                el("p", "pd-finding-head")
                    .child(el("span", "pd-severity").text(f.severity.label()))
                    .child(el("code", "pd-code").text(wire_name(&f.code))),
            )
            .child(el("p", "pd-summary").text(line(&f.summary)))
            .children(fix(f))
            .child(
                el("ul", "pd-evidence")
                    .attr("aria-label", "Evidence")
                    .children(f.evidence.iter().map(|e| el("li", "").text(line(e)))),
            )
    }))
}

/// The fix, with each `command` in it as code, then a copy button per
/// command below the sentence; `None` when there is nothing to do (an ok
/// finding). Only commands are copied: prose is not something to paste.
pub fn fix(finding: &Finding) -> Option<Html> {
    if finding.severity == Severity::Ok {
        return None;
    }
    let paragraph = el("p", "pd-fix")
        .child(el("strong", "pd-fix-label").text("Fix: "))
        .children(pieces(&finding.fix).map(|(command, piece)| match command {
            true => el("code", "pd-cmd").text(piece).into(),
            false => Node::Text(piece.to_owned()),
        }));
    let commands: Vec<Html> = pieces(&finding.fix)
        .filter(|(command, _)| *command)
        .map(|(_, command)| {
            copy_button("Copy", format!("Copy the command {command}"), command)
                .child(el("code", "").text(command))
        })
        .collect();
    Some(
        el("div", "pd-fix-block")
            .child(paragraph)
            .children((!commands.is_empty()).then(|| el("p", "pd-fix-copies").children(commands))),
    )
}

fn addresses(addresses: &[AddressResult]) -> Html {
    section("Addresses", "pd-section").child(table(
        &["Address", "Family", "Outcome", "Time"],
        addresses.iter().map(|a| {
            el("tr", "pd-address")
                .attr("data-outcome", wire_name(&a.outcome))
                .child(el("td", "pd-addr").text(&a.addr))
                .child(cell(a.family.label()))
                .child(
                    el("td", "pd-outcome-cell")
                        .text(a.outcome.label())
                        .children(a.error.as_ref().map(|e| el("span", "pd-os-error").text(e))),
                )
                .child(el("td", "pd-num").text(ms(a.elapsed_us)))
        }),
    ))
}

pub fn listeners(listeners: &[Listener]) -> Html {
    let title = section("Listeners", "pd-section");
    if listeners.is_empty() {
        return title.child(el("p", "pd-note").text(format!("{NO_LISTENERS}.")));
    }
    const UNKNOWN: &str = "—";
    title.child(table(
        &["PID", "Process", "User", "Bound to", "Queue"],
        listeners.iter().map(|l| {
            let pid = l.pid.map(|p| p.to_string());
            let queue = l.queue.map(|q| format!("{} / {}", q.current, q.max));
            el("tr", "pd-listener")
                .attr_opt("data-pid", pid.as_deref())
                .child(el("td", "pd-num").text(pid.as_deref().unwrap_or(UNKNOWN)))
                .child(cell(l.process.as_deref().unwrap_or(UNKNOWN)))
                .child(cell(l.user.as_deref().unwrap_or(UNKNOWN)))
                .child(el("td", "pd-addr").text(&l.local_addr))
                .child(el("td", "pd-num").text(queue.as_deref().unwrap_or(UNKNOWN)))
        }),
    ))
}

/// The forwarder that holds the port and its far end: the listener's
/// answer is the far end's answer, so that is where the fault may be.
fn forward(forward: &Forward) -> Html {
    let mut rows = vec![
        (
            "Forwarder",
            "",
            format!("{} (pid {})", forward.forwarder, forward.pid),
        ),
        ("Forwards to", "pd-addr", forward.destination.clone()),
    ];
    if let Some(from) = &forward.from {
        rows.push(("Reached from", "", from.clone()));
    }
    match &forward.far_end {
        Some(far) => rows.push(("Far end", "pd-far-end", outcome_text(far))),
        None => rows.push((
            "Far end",
            "pd-far-end",
            forward
                .note
                .clone()
                .unwrap_or_else(|| "not checked".to_owned()),
        )),
    }
    section("Forwarded", "pd-section pd-forward")
        .attr_opt(
            "data-far-end",
            forward.far_end.as_ref().map(|far| wire_name(&far.outcome)),
        )
        .child(facts(rows))
}

/// What answers on the port; `None` when identification did not run.
fn service(report: &Report) -> Option<Html> {
    let service = &report.service;
    let mut rows: Vec<(&str, &'static str, String)> = Vec::new();
    if let Some(protocol) = &service.protocol {
        let mut text = wire_name(protocol).to_owned();
        if let Some(detail) = &service.detail {
            text.push_str(&format!(": {detail}"));
        }
        rows.push(("Protocol", "", text));
    }
    if let Some(banner) = &service.banner {
        rows.push(("Banner", "", banner.clone()));
    }
    (!rows.is_empty()).then(|| {
        section("Service", "pd-section pd-service")
            .attr_opt("data-protocol", service.protocol.as_ref().map(wire_name))
            .child(facts(rows))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;
    use protocol::{Outcome, Target, Verdict};

    const SHARE: &str = "http://127.0.0.1:61900/?check=localhost%3A8080";

    #[test]
    fn a_report_can_be_copied_three_ways() {
        let view = report_view(&sample_report(), SHARE);
        let actions = view.find("pd-actions").find_all("pd-copy");
        let formats: Vec<_> = actions
            .iter()
            .map(|a| a.get("data-format").unwrap())
            .collect();
        assert_eq!(formats, ["markdown", "json", "link"]);
        assert_eq!(
            actions[1].get("data-copy"),
            Some(export::json(&sample_report()).as_str())
        );
        assert_eq!(actions[2].get("data-copy"), Some(SHARE));
    }

    #[test]
    fn commands_in_a_fix_are_copied_whole_from_outside_the_sentence() {
        let finding = |severity, text: &str| Finding {
            code: protocol::Code::NothingListening,
            severity,
            summary: String::new(),
            fix: text.into(),
            evidence: vec![],
        };
        let with = fix(&finding(
            Severity::Error,
            "Start it (`portdoctor listeners` shows ports) or `npm start`.",
        ))
        .unwrap();
        let copies: Vec<_> = with
            .find_all("pd-copy")
            .iter()
            .map(|b| b.get("data-copy").unwrap())
            .collect();
        assert_eq!(copies, ["portdoctor listeners", "npm start"]);
        assert_eq!(
            with.find("pd-copy").sends(crate::node::Event::Click),
            Some(&crate::page::views::Msg::Copy(
                "portdoctor listeners".into()
            ))
        );
        let sentence = with.find("pd-fix");
        assert!(
            sentence.find_all("pd-copy").is_empty(),
            "no button in the sentence"
        );
        assert_eq!(
            sentence.find("pd-cmd").text_content(),
            "portdoctor listeners"
        );
        assert_eq!(
            sentence.text_content(),
            "Fix: Start it (portdoctor listeners shows ports) or npm start."
        );
        let prose = fix(&finding(Severity::Warning, "Bind to 127.0.0.1.")).unwrap();
        assert!(prose.find_all("pd-copy").is_empty(), "prose is not copied");
        assert_eq!(fix(&finding(Severity::Ok, "Nothing to fix.")), None);
    }

    #[test]
    fn a_report_that_reached_something_opens_a_console_there() {
        let view = report_view(&sample_report(), SHARE);
        let button = view.find("pd-open-console");
        assert_eq!(
            button.sends(crate::node::Event::Click),
            Some(&Msg::Talk(talk::Msg::Open {
                target: "[::1]:8080".into(),
                host: "localhost:8080".into(),
                path: None,
                protocol: Some(ServiceProtocol::Mcp),
            }))
        );
        let mut refused = sample_report();
        refused.addresses.retain(|a| a.outcome != Outcome::Open);
        assert!(
            report_view(&refused, SHARE)
                .find_all("pd-open-console")
                .is_empty()
        );
    }

    #[test]
    fn sign_in_is_offered_on_a_401_with_a_whole_chain_only() {
        let mut report = sample_report();
        let mcp = report.mcp.as_mut().unwrap();
        mcp.server = None;
        mcp.auth = vec![protocol::McpAuthStep {
            check: protocol::McpAuthCheck::ResourceMetadata,
            url: None,
            http_status: Some(200),
            elapsed_us: 1,
            ok: true,
            detail: String::new(),
        }];
        let finding = |code, severity| Finding {
            code,
            severity,
            summary: String::new(),
            fix: String::new(),
            evidence: vec![],
        };
        report.findings = vec![finding(Code::McpRejected, Severity::Error)];
        let view = report_view(&report, SHARE);
        assert_eq!(
            view.find("pd-sign-in").sends(crate::node::Event::Click),
            Some(&Msg::Check(check::Msg::SignIn(report.target.input.clone())))
        );
        // A broken link: signing in would stop there.
        report
            .findings
            .push(finding(Code::McpAuthIssuerMismatch, Severity::Error));
        assert!(
            report_view(&report, SHARE)
                .find_all("pd-sign-in")
                .is_empty()
        );
        // Signed in already.
        report.findings.truncate(1);
        report.mcp.as_mut().unwrap().login = Some(protocol::McpLogin {
            registration: protocol::McpRegistration::DynamicClientRegistration,
            token_type: "Bearer".into(),
            scopes: vec![],
            expires_in_s: None,
            step_ups: 0,
        });
        assert!(
            report_view(&report, SHARE)
                .find_all("pd-sign-in")
                .is_empty()
        );
    }

    #[test]
    fn the_banner_takes_the_top_findings_colour_and_an_invalid_target_no_time() {
        let mut report = sample_report();
        assert_eq!(report.verdict, Verdict::Degraded);
        let view = report_view(&report, SHARE);
        let banner = view.find("pd-verdict");
        assert_eq!(banner.get("data-severity"), Some("error"));
        assert_eq!(banner.find("pd-verdict-label").text_content(), "Degraded");
        report.findings.clear();
        assert_eq!(tone(&report), Severity::Warning);
        report.verdict = Verdict::Invalid;
        report.target.input = "x".repeat(5000);
        report.findings = sample_report().findings;
        report.findings[0].evidence = vec![format!("input: {:?}", report.target.input)];
        let view = report_view(&report, SHARE);
        let line = view.find("pd-verdict-target").text_content();
        assert!(!line.contains("checked in"), "{line}");
        assert!(line.ends_with('…') && line.chars().count() == 64, "{line}");
        // Shown once: the evidence names it.
        let evidence = view.find("pd-evidence").text_content();
        assert_eq!(evidence, "input: the target above (5000 characters)");
    }

    #[test]
    fn report_carries_every_hook() {
        let report = sample_report();
        let view = report_view(&report, SHARE);
        assert_eq!(
            view.find("pd-verdict").get("data-verdict"),
            Some("degraded")
        );

        let rows = view.find_all("pd-address");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("data-outcome"), Some("refused"));
        assert!(rows[0].text_content().contains("127.0.0.1:8080"));
        assert_eq!(
            rows[0].find("pd-os-error").text_content(),
            "Connection refused (os error 111)"
        );
        assert!(rows[1].text_content().contains("0.06 ms"));

        let listener = view.find("pd-listener");
        assert_eq!(listener.get("data-pid"), Some("4242"));
        let text = listener.text_content();
        assert!(text.contains("node") && text.contains("[::1]:8080") && text.contains("0 / 511"));
    }

    #[test]
    fn findings_keep_the_helpers_order_and_their_parts() {
        let view = report_view(&sample_report(), SHARE);
        let cards = view.find_all("pd-finding");
        let codes: Vec<_> = cards.iter().map(|c| c.get("data-code").unwrap()).collect();
        assert_eq!(codes, ["listening-other-family", "exposed-to-network"]);
        assert_eq!(cards[0].get("data-severity"), Some("error"));
        assert_eq!(
            cards[0].find("pd-summary").text_content(),
            "Only IPv6 listens"
        );
        assert!(
            cards[0]
                .find("pd-fix")
                .text_content()
                .contains("Bind to 127.0.0.1")
        );
        assert_eq!(cards[0].find("pd-evidence").find_tag("li").len(), 2);
    }

    #[test]
    fn a_listener_with_no_visible_owner_has_no_pid_hook() {
        let mut report = sample_report();
        report.listeners[0].pid = None;
        report.listeners[0].process = None;
        let view = report_view(&report, SHARE);
        assert_eq!(view.find("pd-listener").get("data-pid"), None);
    }

    #[test]
    fn an_invalid_target_shows_no_empty_tables() {
        let mut report = sample_report();
        report.verdict = Verdict::Invalid;
        report.addresses.clear();
        report.listeners.clear();
        report.mcp = None;
        let view = report_view(&report, SHARE);
        assert!(view.find_all("pd-address").is_empty());
        assert!(view.find_tag("table").is_empty());
        assert_eq!(view.find("pd-verdict").get("data-verdict"), Some("invalid"));
    }

    #[test]
    fn no_mcp_section_without_an_mcp_server() {
        let mut report = sample_report();
        report.mcp = None;
        assert!(report_view(&report, SHARE).find_all("pd-mcp").is_empty());
    }

    #[test]
    fn the_service_is_described() {
        let view = report_view(&sample_report(), SHARE);
        let facts = view.find("pd-service").text_content();
        assert!(facts.contains("http: nginx"), "{facts}");
    }

    #[test]
    fn progress_lines_say_what_finished() {
        let report = sample_report();
        let lines: Vec<String> = [
            Progress::Parsed {
                target: report.target.clone(),
            },
            Progress::Parsed {
                target: Target {
                    path: Some("/mcp".into()),
                    ..report.target.clone()
                },
            },
            Progress::Parsed {
                target: Target {
                    input: "nope:".into(),
                    ..Target::default()
                },
            },
            Progress::Resolved {
                addresses: vec!["127.0.0.1:8080".into(), "[::1]:8080".into()],
            },
            Progress::Connected {
                address: report.addresses[0].clone(),
            },
            Progress::Listeners {
                listeners: report.listeners.clone(),
            },
            Progress::Listeners { listeners: vec![] },
            Progress::Mcp {
                mcp: report.mcp.clone().map(Box::new),
            },
            Progress::Mcp { mcp: None },
            Progress::Authorize {
                url: "http://127.0.0.1:9000/authorize?state=s&code_challenge=c".into(),
            },
            Progress::Forwarded {
                forward: report.forward.clone().unwrap(),
            },
            Progress::Redirected {},
        ]
        .iter()
        .map(|p| progress_item(p).text_content())
        .collect();
        assert_eq!(
            lines,
            [
                "Target: host localhost, port 8080",
                "Target: host localhost, port 8080, path /mcp",
                "Could not read a host and port from \"nope:\"",
                "Resolved to 127.0.0.1:8080, [::1]:8080",
                "127.0.0.1:8080: refused in 0.04 ms (Connection refused (os error 111))",
                "Listening: node (pid 4242) on [::1]:8080",
                "No process on this machine listens on this port, as far as its socket table shows",
                "MCP: demo 1.2 over Streamable HTTP, protocol 2025-06-18, 3 tools",
                "No MCP server answered",
                "Signing in: the authorization page http://127.0.0.1:9000/authorize opens in a popup",
                "docker-proxy (pid 812) forwards to 172.17.0.2:80: refused in 0.09 ms",
                "Back from the authorization page; the helper goes on with the sign-in",
            ]
        );
    }

    #[test]
    fn a_forwarder_shows_where_it_forwards_and_how_the_far_end_answered() {
        let mut report = sample_report();
        let view = report_view(&report, SHARE);
        let section = view.find("pd-forward");
        assert_eq!(section.get("data-far-end"), Some("refused"));
        let facts = section.text_content();
        assert!(facts.contains("docker-proxy (pid 812)"), "{facts}");
        assert!(facts.contains("172.17.0.2:80"), "{facts}");
        assert!(facts.contains("refused in 0.09 ms"), "{facts}");

        // ssh -L: the far end is reached from the ssh server, not checked here.
        let forward = report.forward.as_mut().unwrap();
        forward.forwarder = "ssh -L".into();
        forward.from = Some("the ssh server bastion".into());
        forward.far_end = None;
        forward.note = Some("reached from the ssh server, not from this machine".into());
        let view = report_view(&report, SHARE);
        let section = view.find("pd-forward");
        assert_eq!(section.get("data-far-end"), None);
        let facts = section.text_content();
        assert!(facts.contains("the ssh server bastion"), "{facts}");
        assert!(facts.contains("not from this machine"), "{facts}");

        report.forward = None;
        assert!(
            report_view(&report, SHARE)
                .find_all("pd-forward")
                .is_empty()
        );
    }

    #[test]
    fn outcome_labels_read_as_words() {
        assert_eq!(Outcome::NotAllowed.label(), "not allowed");
    }

    #[test]
    fn errors_carry_their_kind() {
        let view = error_view(Some(ErrorKind::DuplicateId), "id 4 is running");
        assert_eq!(view.get("class"), Some("pd-error"));
        assert_eq!(view.get("data-kind"), Some("duplicate-id"));
        assert_eq!(view.text_content(), "id 4 is running");
        assert_eq!(error_view(None, "lost").get("data-kind"), None);
    }
}
