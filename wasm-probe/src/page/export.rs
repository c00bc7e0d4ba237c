//! A report as text to paste elsewhere: Markdown for a bug report or a chat,
//! JSON for a script (exactly the report contract, as `check --json` prints).

use protocol::Report;

use crate::text::{ms, wire_name};

use super::describe::{forward_text, mcp_text};

/// The report contract, pretty-printed like `portdoctor check --json`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("reports are plain data and always serialize")
}

pub fn markdown(report: &Report) -> String {
    let (label, meaning) = (report.verdict.label(), report.verdict.meaning());
    let mut md = format!(
        "### portdoctor: `{}` is {}\n\n{meaning} Checked in {}.\n",
        report.target.input,
        label.to_ascii_lowercase(),
        ms(report.elapsed_us)
    );
    if !report.findings.is_empty() {
        md.push_str("\n**Findings**\n\n");
        for f in &report.findings {
            md.push_str(&format!(
                "- **{}** `{}`: {}\n  - Fix: {}\n",
                wire_name(&f.severity),
                wire_name(&f.code),
                f.summary,
                f.fix
            ));
            for e in &f.evidence {
                md.push_str(&format!("  - {e}\n"));
            }
        }
    }
    if !report.addresses.is_empty() {
        md.push_str("\n| Address | Family | Outcome | Time |\n|---|---|---|---|\n");
        for a in &report.addresses {
            let family = a.family.label();
            let mut outcome = a.outcome.label().to_owned();
            if let Some(error) = &a.error {
                outcome.push_str(&format!(" ({error})"));
            }
            md.push_str(&format!(
                "| `{}` | {family} | {outcome} | {} |\n",
                a.addr,
                ms(a.elapsed_us)
            ));
        }
    }
    if !report.listeners.is_empty() {
        md.push_str("\n**Listening**\n\n");
        for l in &report.listeners {
            md.push_str(&format!("- {} on `{}`\n", l.owner(), l.local_addr));
        }
    }
    if let Some(forward) = &report.forward {
        md.push_str(&format!("\nForwarded: {}\n", forward_text(forward)));
    }
    if let Some(protocol) = &report.service.protocol {
        md.push_str(&format!("\nService: {}", wire_name(protocol)));
        if let Some(detail) = &report.service.detail {
            md.push_str(&format!(" ({detail})"));
        }
        md.push('\n');
    }
    if let Some(mcp) = &report.mcp {
        md.push_str(&format!("\nMCP: {}\n", mcp_text(mcp)));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;

    #[test]
    fn json_is_the_report_contract() {
        let report = sample_report();
        let text = json(&report);
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in [
            "target",
            "verdict",
            "addresses",
            "listeners",
            "service",
            "mcp",
            "findings",
            "elapsed_us",
        ] {
            assert!(value.get(key).is_some(), "{key} in {text}");
        }
    }

    #[test]
    fn markdown_reads_as_a_bug_report() {
        let md = markdown(&sample_report());
        assert!(
            md.starts_with("### portdoctor: `localhost:8080` is degraded\n"),
            "{md}"
        );
        assert!(md.contains("- **error** `listening-other-family`: Only IPv6 listens\n  - Fix: Bind to 127.0.0.1 as well\n  - 127.0.0.1:8080 refused\n"), "{md}");
        assert!(md.contains("| `127.0.0.1:8080` | IPv4 | refused (Connection refused (os error 111)) | 0.04 ms |"), "{md}");
        assert!(md.contains("- node (pid 4242) on `[::1]:8080`"), "{md}");
        assert!(md.contains("Service: http (nginx)"), "{md}");
        assert!(md.contains("MCP: demo 1.2 over Streamable HTTP"), "{md}");
        assert!(
            md.contains("Forwarded: docker-proxy (pid 812) forwards to 172.17.0.2:80: refused"),
            "{md}"
        );
    }
}
