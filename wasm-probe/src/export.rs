//! A report as text to paste elsewhere: Markdown for a bug report or a chat,
//! JSON exactly as the report contract (what `portdoctor check --json` prints).

use protocol::Report;

use crate::view::{ms, wire_name};

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

pub fn markdown(report: &Report) -> String {
    let mut out = format!(
        "### portdoctor: `{}` is {}\n\nChecked in {}.\n",
        report.target.input,
        wire_name(&report.verdict),
        ms(report.elapsed_us)
    );
    if let Some(protocol) = &report.service.protocol {
        out.push_str(&format!(
            "Service: {} {}\n",
            wire_name(protocol),
            report.service.detail.as_deref().unwrap_or("")
        ));
    }
    if !report.findings.is_empty() {
        out.push_str("\n#### Findings\n");
        for f in &report.findings {
            out.push_str(&format!(
                "\n- **{}** `{}`: {}\n  - Fix: {}\n",
                wire_name(&f.severity),
                wire_name(&f.code),
                f.summary,
                f.fix
            ));
            for e in &f.evidence {
                out.push_str(&format!("  - {e}\n"));
            }
        }
    }
    if !report.addresses.is_empty() {
        out.push_str("\n| address | outcome | time | error |\n|---|---|---|---|\n");
        for a in &report.addresses {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                a.addr,
                wire_name(&a.outcome),
                ms(a.elapsed_us),
                a.error.as_deref().unwrap_or("")
            ));
        }
    }
    if !report.listeners.is_empty() {
        out.push_str("\n| listening on | pid | process |\n|---|---|---|\n");
        for l in &report.listeners {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                l.local_addr,
                l.pid.map_or_else(|| "-".to_owned(), |p| p.to_string()),
                l.process.as_deref().unwrap_or("-")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn json_is_the_report_contract() {
        let report = testdata::sample_report();
        let text = json(&report);
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn markdown_leads_with_the_verdict_and_lists_findings() {
        let report = testdata::sample_report();
        let text = markdown(&report);
        assert!(
            text.starts_with(&format!("### portdoctor: `{}`", report.target.input)),
            "{text}"
        );
        for f in &report.findings {
            assert!(text.contains(&f.summary) && text.contains(&f.fix), "{text}");
        }
        assert!(text.contains("| address | outcome |"), "{text}");
    }
}
