//! Plain-text reports for the terminal: the same facts as the page, in the
//! order a person reads them (verdict, what to do, then the evidence).

use std::fmt::Write;

use protocol::{
    AddressResult, BindReport, Finding, Listener, McpConfigReport, McpEra, McpReport,
    McpServerKind, McpTransport, Report, Severity, Verdict,
};

pub fn report(report: &Report) -> String {
    let mut out = String::new();
    // The page's words; shouted when something is wrong.
    let verdict = match report.verdict {
        Verdict::Reachable => report.verdict.label().to_ascii_lowercase(),
        _ => report.verdict.label().to_ascii_uppercase(),
    };
    let _ = writeln!(
        out,
        "{}: {verdict} ({})",
        shown(&report.target.input),
        millis(report.elapsed_us)
    );
    if let Some(what) = answered_as(report) {
        let _ = writeln!(out, "answered as {what}");
    }
    findings(&mut out, &report.findings);
    if !report.addresses.is_empty() {
        let _ = writeln!(out, "\naddresses:");
        for a in &report.addresses {
            address_row(&mut out, a);
        }
    }
    if !report.listeners.is_empty() {
        let _ = writeln!(out, "\nlisteners on this port:");
        out.push_str(&listener_rows(&report.listeners));
    }
    if let Some(forward) = &report.forward {
        let _ = writeln!(
            out,
            "\n{} (pid {}) forwards to:",
            forward.forwarder, forward.pid
        );
        match &forward.far_end {
            Some(far) => address_row(&mut out, far),
            None => {
                let _ = writeln!(
                    out,
                    "  {:<42} {}",
                    forward.destination,
                    forward.note.as_deref().unwrap_or("")
                );
            }
        }
    }
    if let Some(mcp) = &report.mcp {
        out.push_str(&mcp_section(mcp));
    }
    out
}

/// The target as the first line names it: quoted when its own end would
/// run into the line's colon (`"http://::::"`), named when empty.
fn shown(input: &str) -> String {
    let input = input.trim();
    if input.is_empty() {
        "(empty target)".to_owned()
    } else if input.ends_with(':') || input.contains(char::is_whitespace) {
        format!("{input:?}")
    } else {
        input.to_owned()
    }
}

/// What answered, as the page and the Markdown copy say it:
/// `redis: Redis 7.0.15`, `http: nginx/1.22.1`.
fn answered_as(report: &Report) -> Option<String> {
    let service = &report.service;
    let protocol = service.protocol?.as_str();
    Some(match &service.detail {
        Some(detail) => format!("{protocol}: {detail}"),
        None => protocol.to_owned(),
    })
}

/// One connect attempt: address, outcome, time, the OS's words.
fn address_row(out: &mut String, a: &AddressResult) {
    let _ = writeln!(
        out,
        "  {:<42} {:<12} {:>10}  {}",
        a.addr,
        <&str>::from(a.outcome),
        millis(a.elapsed_us),
        a.error.as_deref().unwrap_or("")
    );
}

/// Every configured server, each with its report.
pub fn configured(checked: &McpConfigReport) -> String {
    let mut out = format!("configuration: {}\n", checked.config);
    if checked.servers.is_empty() {
        out.push_str("no MCP servers are configured there (\"mcpServers\" is empty or missing)\n");
    }
    for check in &checked.servers {
        let server = &check.server;
        let how = match server.kind {
            McpServerKind::Stdio => format!(
                "stdio: {}",
                std::iter::once(server.command.as_deref().unwrap_or_default())
                    .chain(server.args.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            McpServerKind::Url => server.url.clone().unwrap_or_default(),
            McpServerKind::Invalid => "invalid entry".to_owned(),
        };
        let _ = writeln!(out, "\n== {} ({how})", server.name);
        out.push_str(&report(&check.report));
    }
    out
}

fn mcp_section(mcp: &McpReport) -> String {
    let mut out = String::new();
    let transport = match mcp.transport {
        McpTransport::StreamableHttp => "streamable-http",
        McpTransport::Sse => "sse",
        McpTransport::Stdio => "stdio",
    };
    let who = mcp.server.as_ref().map_or_else(
        || "(unnamed)".to_owned(),
        |s| format!("{} {}", s.name, s.version),
    );
    let _ = writeln!(out, "\nmcp: {who} over {transport} at {}", mcp.url);
    let era = match mcp.era {
        McpEra::Handshake => "handshake",
        McpEra::Stateless => "stateless",
    };
    // A server that refused before agreeing on anything has no versions.
    if mcp.protocol_version.is_some() || !mcp.server_versions.is_empty() {
        let _ = writeln!(
            out,
            "  protocol {} ({era} era); server supports {}; portdoctor {}",
            mcp.protocol_version.as_deref().unwrap_or("none agreed"),
            mcp.server_versions.join(", "),
            mcp.client_versions.join(", ")
        );
    }
    if !mcp.capabilities.is_empty() {
        let _ = writeln!(out, "  capabilities: {}", mcp.capabilities.join(", "));
    }
    if let Some(tools) = mcp.tools {
        let _ = writeln!(out, "  tools ({tools}): {}", mcp.tool_names.join(", "));
    }
    for (kind, count) in [("resources", mcp.resources), ("prompts", mcp.prompts)] {
        if let Some(count) = count {
            let _ = writeln!(out, "  {kind}: {count}");
        }
    }
    for step in &mcp.steps {
        let _ = writeln!(
            out,
            "  {:<28} {:>5} {:>10}",
            step.step,
            step.http_status.map(|s| s.to_string()).unwrap_or_default(),
            millis(step.elapsed_us)
        );
    }
    if mcp.transport == McpTransport::Stdio {
        // Otherwise a slow import reads as a slow server/discover.
        let _ = writeln!(
            out,
            "  (start is the process's creation; its own start-up, until it reads its stdin, \
             is inside the first request's time: stdio has no ready signal)"
        );
    }
    if !mcp.auth.is_empty() {
        let _ = writeln!(out, "  authorization chain:");
    }
    for step in &mcp.auth {
        let _ = writeln!(
            out,
            "  {} {:<20} {:>5} {:>10}  {}{}",
            if step.ok { "ok " } else { "NO " },
            step.check.label(),
            step.http_status.map(|s| s.to_string()).unwrap_or_default(),
            millis(step.elapsed_us),
            step.url
                .as_deref()
                .map(|u| format!("{u}: "))
                .unwrap_or_default(),
            step.detail
        );
    }
    out
}

pub fn bind(report: &BindReport) -> String {
    let mut out = format!("port {}: {}\n", report.port, report.headline());
    findings(&mut out, &report.findings);
    out
}

/// Each finding: severity and code, summary, fix, evidence. An ok finding
/// has nothing to fix, so no fix line ("Nothing to fix at the TCP level"),
/// as on the page; `--json` keeps its fix.
fn findings(out: &mut String, findings: &[Finding]) {
    for f in findings {
        let mark = f.severity.label().to_ascii_lowercase();
        let _ = writeln!(out, "\n{mark} [{}]: {}", f.code.as_str(), f.summary);
        if f.severity != Severity::Ok {
            let _ = writeln!(out, "  fix: {}", f.fix);
        }
        for e in &f.evidence {
            let _ = writeln!(out, "  - {e}");
        }
    }
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
