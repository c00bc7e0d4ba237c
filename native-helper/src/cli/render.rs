//! Plain-text reports for the terminal: the same facts as the page, in the
//! order a person reads them (verdict, what to do, then the evidence).

use std::fmt::Write;

use protocol::{Listener, Report, Severity, Verdict};

pub fn report(report: &Report) -> String {
    let mut out = String::new();
    let verdict = match report.verdict {
        Verdict::Reachable => "reachable",
        Verdict::Unreachable => "UNREACHABLE",
        Verdict::Degraded => "DEGRADED",
        Verdict::Invalid => "INVALID",
    };
    let _ = writeln!(
        out,
        "{}: {verdict} ({})",
        report.target.input,
        millis(report.elapsed_us)
    );
    for f in &report.findings {
        let mark = match f.severity {
            Severity::Ok => "ok",
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let _ = writeln!(out, "\n{mark} [{}]: {}", f.code.as_str(), f.summary);
        let _ = writeln!(out, "  fix: {}", f.fix);
        for e in &f.evidence {
            let _ = writeln!(out, "  - {e}");
        }
    }
    if !report.addresses.is_empty() {
        let _ = writeln!(out, "\naddresses:");
        for a in &report.addresses {
            let outcome = serde_json::to_value(a.outcome).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<42} {:<12} {:>10}  {}",
                a.addr,
                outcome.as_str().unwrap_or("?"),
                millis(a.elapsed_us),
                a.error.as_deref().unwrap_or("")
            );
        }
    }
    if !report.listeners.is_empty() {
        let _ = writeln!(out, "\nlisteners on this port:");
        out.push_str(&listener_rows(&report.listeners));
    }
    out
}

pub fn listeners(listeners: &[Listener]) -> String {
    if listeners.is_empty() {
        return "no TCP listeners\n".to_owned();
    }
    listener_rows(listeners)
}

fn listener_rows(listeners: &[Listener]) -> String {
    let mut out = format!(
        "  {:<42} {:>8}  {:<16} {:<12} {}\n",
        "LOCAL ADDRESS", "PID", "PROCESS", "USER", "QUEUE"
    );
    for l in listeners {
        let _ = writeln!(
            out,
            "  {:<42} {:>8}  {:<16} {:<12} {}",
            l.local_addr,
            l.pid.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            l.process.as_deref().unwrap_or("-"),
            l.user.as_deref().unwrap_or("-"),
            l.queue
                .map_or_else(|| "-".to_owned(), |q| format!("{}/{}", q.current, q.max)),
        );
    }
    out
}

fn millis(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}
