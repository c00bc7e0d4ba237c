//! What the user sees, as pure functions from protocol types to [`Element`]
//! trees and text.
//!
//! Every class and `data-*` attribute that browser tests and other sites'
//! style sheets rely on is set here, and nowhere else: the component only
//! builds these trees and finds the hooks again. Class names carry a `pd-`
//! prefix so the component can live inside any page.

use protocol::{
    AddressResult, BindReport, DEFAULT_PORT, ErrorKind, Family, Finding, Listener, McpReport,
    McpServerEntry, McpServerKind, McpTransport, PROTOCOL_VERSION, Progress, Report, Severity,
    Verdict, WS_PATH,
};

use crate::export;
use crate::link::Link;
use crate::node::{Element, el};
use crate::text::pieces;
pub use crate::text::{ms, wire_name};

/// The helper's WebSocket on the page's own origin: the helper accepts only
/// its own origin (or ones the user allowed), so the host must be the one the
/// page came from. A page opened from a file has no host: use the default port.
pub fn default_ws_url(page_protocol: &str, page_host: &str) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    if page_host.is_empty() {
        format!("{scheme}://127.0.0.1:{DEFAULT_PORT}{WS_PATH}")
    } else {
        format!("{scheme}://{page_host}{WS_PATH}")
    }
}

/// Status line once the helper has answered `hello`.
pub fn hello_status(protocol: u32, server: &str) -> String {
    if protocol == PROTOCOL_VERSION {
        format!("Connected to {server}.")
    } else {
        format!(
            "Connected to {server}, which speaks protocol {protocol} while this page speaks \
             {PROTOCOL_VERSION}: reload the page so both come from the same version."
        )
    }
}

/// How many recent targets the page remembers.
pub const RECENT: usize = 8;

/// The page's fixed frame: connection status, three views behind tabs
/// (check, machine, watch), and a live region that confirms copies.
pub fn skeleton(target: &str) -> Element {
    let tab = |view: &'static str, label: &'static str, selected: bool| {
        el("button", "pd-tab")
            .attr("type", "button")
            .attr("role", "tab")
            .attr("data-view", view)
            .attr("aria-selected", if selected { "true" } else { "false" })
            .text(label)
    };
    let panel = |view: &'static str, label: &'static str| {
        let panel = el("section", "pd-view")
            .attr("role", "tabpanel")
            .attr("data-view", view)
            .attr("aria-label", label);
        if view == "check" {
            panel
        } else {
            panel.attr("hidden", "")
        }
    };
    el("div", "pd-checker")
        .child(
            el("p", "pd-status")
                .attr("data-state", Link::Connecting.as_str())
                .attr("role", "status")
                .attr("aria-live", "polite")
                .child(el("span", "pd-status-text"))
                .child(
                    el("button", "pd-button pd-retry")
                        .attr("type", "button")
                        .attr("hidden", "")
                        .text("Retry"),
                ),
        )
        .child(
            el("div", "pd-tabs")
                .attr("role", "tablist")
                .attr("aria-label", "Views")
                .child(tab("check", "Check", true))
                .child(tab("machine", "This machine", false))
                .child(tab("watch", "Wait until up", false)),
        )
        .child(
            panel("check", "Check a port")
                .child(target_form(
                    "pd-form",
                    ("target", "Target", TARGET_HINT),
                    target,
                    "Check",
                ))
                .child(el("div", "pd-recent").attr("aria-label", "Recent targets"))
                .child(
                    el("section", "pd-report")
                        .attr("data-state", "idle")
                        .attr("aria-live", "polite")
                        .attr("aria-label", "Check result")
                        .child(el("ol", "pd-progress"))
                        .child(el("div", "pd-result")),
                )
                .child(
                    el("section", "pd-mcp-config")
                        .attr("aria-label", "Configured MCP servers")
                        .child(el("h2", "pd-heading").text("The desktop assistant's MCP servers"))
                        .child(el("div", "pd-mcp-list").child(note(
                            "Asking the helper for the servers in claude_desktop_config.json…",
                        ))),
                ),
        )
        .child(
            panel("machine", "Every TCP listener on this machine")
                .child(
                    el("section", "pd-bind-check")
                        .attr("aria-label", "Can a server use this port?")
                        .child(el("h2", "pd-heading").text("Can my server use this port?"))
                        .child(target_form(
                            "pd-form pd-bind-form",
                            ("bind-port", "Port", "8080"),
                            "",
                            "Try it",
                        ))
                        .child(
                            el("div", "pd-bind")
                                .attr("role", "status")
                                .attr("aria-live", "polite"),
                        ),
                )
                .child(el("h2", "pd-heading").text("Listening now"))
                .child(
                    el("label", "pd-field pd-machine-field")
                        .child(el("span", "pd-label").text("Filter"))
                        .child(
                            el("input", "pd-input pd-machine-filter")
                                .attr("type", "search")
                                .attr("placeholder", "process, pid, address or port")
                                .attr("autocomplete", "off"),
                        ),
                )
                .child(
                    el("div", "pd-machine")
                        .child(el("p", "pd-note").text("Asking the helper for every listener…")),
                ),
        )
        .child(
            panel("watch", "Wait until a service is up")
                .child(el("p", "pd-note").text(
                    "Starting a server? Enter its port: this page checks it again and again, \
                     and turns green when it answers.",
                ))
                .child(
                    target_form(
                        "pd-form pd-watch-form",
                        ("watch-target", "Target to watch", TARGET_HINT),
                        "",
                        "Watch",
                    )
                    .child(
                        el("label", "pd-check-label")
                            .child(el("input", "pd-notify").attr("type", "checkbox"))
                            .text(" Notify me when it is up"),
                    ),
                )
                .child(
                    el("div", "pd-watch")
                        .attr("role", "status")
                        .attr("aria-live", "polite"),
                ),
        )
        .child(
            el("p", "pd-copy-status")
                .attr("role", "status")
                .attr("aria-live", "polite"),
        )
}

const TARGET_HINT: &str = "localhost:8080";

/// A labelled text box (`name`, label, placeholder) and its submit button.
/// The label wraps the input, so no id is needed.
fn target_form(
    class: &'static str,
    (name, label, placeholder): (&'static str, &'static str, &'static str),
    value: &str,
    button: &'static str,
) -> Element {
    el("form", class)
        .child(
            el("label", "pd-field")
                .child(el("span", "pd-label").text(label))
                .child(
                    el("input", "pd-input")
                        .attr("name", name)
                        .attr("type", "text")
                        .attr("value", value)
                        .attr("placeholder", placeholder)
                        .attr("autocomplete", "off")
                        .attr("autocapitalize", "off")
                        .attr("spellcheck", "false"),
                ),
        )
        .child(
            el("button", "pd-button")
                .attr("type", "submit")
                .text(button),
        )
}

/// The recently checked targets, newest first, each a button that checks it.
pub fn recent_view(recent: &[String]) -> Element {
    let list = el("p", "pd-recent-list");
    if recent.is_empty() {
        return list;
    }
    list.child(el("span", "pd-note").text("Recent: "))
        .children(recent.iter().map(|target| {
            el("button", "pd-chip pd-recent-item")
                .attr("type", "button")
                .attr("data-target", target)
                .text(target)
        }))
}

/// `target` first, then the others without it, at most [`RECENT`].
pub fn remember(recent: &[String], target: &str) -> Vec<String> {
    let target = target.trim();
    if target.is_empty() {
        return recent.to_vec();
    }
    std::iter::once(target.to_owned())
        .chain(recent.iter().filter(|t| *t != target).cloned())
        .take(RECENT)
        .collect()
}

/// A button that puts `text` on the clipboard.
pub fn copy_button(label: &'static str, aria_label: String, text: &str) -> Element {
    el("button", "pd-button pd-copy")
        .attr("type", "button")
        .attr("data-copy", text)
        .attr("aria-label", aria_label)
        .text(label)
}

/// One line of progress per finished stage.
pub fn progress_item(progress: &Progress) -> Element {
    el("li", "pd-step").text(progress_text(progress))
}

fn progress_text(progress: &Progress) -> String {
    match progress {
        Progress::Parsed { target } => match (&target.host, target.port) {
            (Some(host), Some(port)) => match &target.path {
                Some(path) => format!("Target: host {host}, port {port}, path {path}"),
                None => format!("Target: host {host}, port {port}"),
            },
            _ => format!("Could not read a host and port from \"{}\"", target.input),
        },
        Progress::Resolved { addresses } if addresses.is_empty() => {
            "The name resolved to no address".to_owned()
        }
        Progress::Resolved { addresses } => format!("Resolved to {}", addresses.join(", ")),
        Progress::Connected { address } => {
            format!("{}: {}", address.addr, outcome_text(address))
        }
        Progress::Listeners { listeners } if listeners.is_empty() => {
            "No process listens on this port, as far as the socket table shows".to_owned()
        }
        Progress::Listeners { listeners } => {
            let each: Vec<String> = listeners
                .iter()
                .map(|l| format!("{} on {}", owner(l), l.local_addr))
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
    }
}

/// `refused in 0.05 ms (Connection refused)`.
fn outcome_text(address: &AddressResult) -> String {
    let mut text = format!("{} in {}", outcome_label(address), ms(address.elapsed_us));
    if let Some(error) = &address.error {
        text.push_str(&format!(" ({error})"));
    }
    text
}

pub fn outcome_label(address: &AddressResult) -> String {
    wire_name(&address.outcome).replace('-', " ")
}

/// `node (pid 4242)`, or what little the OS let us see.
pub fn owner(listener: &Listener) -> String {
    match (&listener.process, listener.pid) {
        (Some(process), Some(pid)) => format!("{process} (pid {pid})"),
        (Some(process), None) => process.clone(),
        (None, Some(pid)) => format!("pid {pid}"),
        (None, None) => "a process this helper cannot see".to_owned(),
    }
}

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

/// Whether a server could listen on the port: the answer in one line, what
/// to do, then each address tried and who holds the port.
pub fn bind_view(report: &BindReport) -> Element {
    let answer = if report.available {
        format!("Port {} is free.", report.port)
    } else {
        format!("Port {} is taken.", report.port)
    };
    el("div", "pd-bind-body")
        .attr(
            "data-state",
            if report.available { "free" } else { "in-use" },
        )
        .child(el("p", "pd-bind-answer").text(answer))
        .child(findings(&report.findings))
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

/// A typed error for the shown request, or one that belongs to no request.
pub fn error_view(kind: Option<ErrorKind>, message: &str) -> Element {
    el("p", "pd-error")
        .attr_opt("data-kind", kind.map(|kind| wire_name(&kind)))
        .text(message)
}

/// The whole report: verdict, ways to share it, then what to do
/// (findings), then the evidence. `share_url` is the page's address that
/// runs this check again.
pub fn report_view(report: &Report, share_url: &str) -> Element {
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
                ),
        )
        .children((!report.findings.is_empty()).then(|| findings(&report.findings)))
        .children((!report.addresses.is_empty()).then(|| addresses(&report.addresses)))
        .children(
            // With no address tried there is no port to look up listeners for.
            (!report.addresses.is_empty() || !report.listeners.is_empty())
                .then(|| listeners(&report.listeners)),
        )
        .children(service(report))
        .children(report.mcp.as_ref().map(mcp))
}

/// The verdict in words: a label and what it means.
pub fn verdict_text(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Reachable => (
            "Reachable",
            "Something accepted the connection and nothing looks wrong.",
        ),
        Verdict::Degraded => (
            "Reachable, with problems",
            "Something accepted the connection, but see the findings.",
        ),
        Verdict::Unreachable => ("Unreachable", "Nothing accepted a connection."),
        Verdict::Invalid => ("Not checked", "This target could not be checked."),
    }
}

fn verdict(report: &Report) -> Element {
    let (label, meaning) = verdict_text(report.verdict);
    el("div", "pd-verdict")
        .attr("data-verdict", wire_name(&report.verdict))
        .child(el("strong", "pd-verdict-label").text(label))
        .child(el("span", "pd-verdict-meaning").text(meaning))
        .child(el("span", "pd-verdict-target").text(format!(
            "{}, checked in {}",
            report.target.input,
            ms(report.elapsed_us)
        )))
}

fn section(title: &'static str, class: &'static str) -> Element {
    el("section", class).child(el("h2", "pd-heading").text(title))
}

fn findings(findings: &[Finding]) -> Element {
    // In the helper's order: the first finding is what to do first.
    section("Findings", "pd-section pd-findings").children(findings.iter().map(|f| {
        el("article", "pd-finding")
            .attr("data-code", wire_name(&f.code))
            .attr("data-severity", wire_name(&f.severity))
            .child(
                el("p", "pd-finding-head")
                    .child(el("span", "pd-severity").text(severity_label(f.severity)))
                    .child(el("code", "pd-code").text(wire_name(&f.code))),
            )
            .child(el("p", "pd-summary").text(&f.summary))
            .child(fix(f))
            .child(
                el("ul", "pd-evidence")
                    .attr("aria-label", "Evidence")
                    .children(f.evidence.iter().map(|e| el("li", "").text(e))),
            )
    }))
}

/// The fix, with each `command` in it as code with its own copy button; a
/// fix without one gets a button for the whole text, unless there is
/// nothing to do.
fn fix(finding: &Finding) -> Element {
    let mut paragraph = el("p", "pd-fix").child(el("strong", "pd-fix-label").text("Fix: "));
    let mut commands = 0;
    for (command, piece) in pieces(&finding.fix) {
        paragraph = if command {
            commands += 1;
            paragraph
                .child(el("code", "pd-cmd").text(piece))
                .child(copy_button(
                    "Copy",
                    format!("Copy the command {piece}"),
                    piece,
                ))
        } else {
            paragraph.text(piece)
        };
    }
    if commands == 0 && finding.severity != Severity::Ok {
        paragraph = paragraph.child(copy_button("Copy", "Copy the fix".into(), &finding.fix));
    }
    paragraph
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok => "OK",
        Severity::Info => "Info",
        Severity::Warning => "Warning",
        Severity::Error => "Error",
    }
}

/// A table that scrolls sideways on its own rather than widening the page.
fn table(headers: &[&str], rows: impl IntoIterator<Item = Element>) -> Element {
    el("div", "pd-scroll").child(
        el("table", "pd-table")
            .child(
                el("thead", "").child(
                    el("tr", "").children(
                        headers
                            .iter()
                            .map(|h| el("th", "").attr("scope", "col").text(*h)),
                    ),
                ),
            )
            .child(el("tbody", "").children(rows)),
    )
}

fn cell(text: impl Into<String>) -> Element {
    el("td", "").text(text)
}

fn addresses(addresses: &[AddressResult]) -> Element {
    section("Addresses", "pd-section").child(table(
        &["Address", "Family", "Outcome", "Time"],
        addresses.iter().map(|a| {
            let family = match a.family {
                Family::Ipv4 => "IPv4",
                Family::Ipv6 => "IPv6",
            };
            el("tr", "pd-address")
                .attr("data-outcome", wire_name(&a.outcome))
                .child(el("td", "pd-addr").text(&a.addr))
                .child(cell(family))
                .child(
                    el("td", "pd-outcome-cell")
                        .text(outcome_label(a))
                        .children(a.error.as_ref().map(|e| el("span", "pd-os-error").text(e))),
                )
                .child(el("td", "pd-num").text(ms(a.elapsed_us)))
        }),
    ))
}

fn listeners(listeners: &[Listener]) -> Element {
    let title = section("Listeners", "pd-section");
    if listeners.is_empty() {
        return title.child(
            el("p", "pd-note")
                .text("No process listens on this port, as far as the socket table shows."),
        );
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

/// What answers on the port; `None` when identification did not run.
fn service(report: &Report) -> Option<Element> {
    let service = &report.service;
    let mut rows: Vec<(&str, &'static str, String)> = Vec::new();
    if let Some(protocol) = &service.protocol {
        let mut text = wire_name(protocol);
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

/// Terms and values; a value's class is its hook.
fn facts(rows: Vec<(&str, &'static str, String)>) -> Element {
    el("dl", "pd-facts").children(
        rows.into_iter().flat_map(|(term, class, value)| {
            [el("dt", "").text(term), el("dd", class).text(value)]
        }),
    )
}

/// The MCP server that answered: who and where, the protocol agreed, what it
/// offers, and each exchange with its time.
fn mcp(mcp: &McpReport) -> Element {
    let mut rows = vec![
        ("Server", "pd-mcp-server", server_name(mcp)),
        (
            if mcp.transport == McpTransport::Stdio {
                "Command"
            } else {
                "Endpoint"
            },
            "pd-mcp-url",
            mcp.url.clone(),
        ),
        (
            "Transport",
            "pd-mcp-transport",
            format!(
                "{}, {} era",
                transport_label(mcp.transport),
                wire_name(&mcp.era)
            ),
        ),
        (
            "Protocol",
            "pd-mcp-protocol",
            mcp.protocol_version
                .clone()
                .unwrap_or_else(|| "none agreed".to_owned()),
        ),
        (
            "Versions",
            "",
            format!(
                "server {}; portdoctor {}",
                mcp.server_versions.join(", "),
                mcp.client_versions.join(", ")
            ),
        ),
    ];
    if !mcp.capabilities.is_empty() {
        rows.push(("Capabilities", "", mcp.capabilities.join(", ")));
    }
    for (term, count) in [("Resources", mcp.resources), ("Prompts", mcp.prompts)] {
        if let Some(count) = count {
            rows.push((term, "", count.to_string()));
        }
    }
    let tools = mcp.tools.map(|count| {
        el("div", "pd-mcp-tools-block")
            .child(el("p", "pd-mcp-tool-count").text(match count {
                1 => "1 tool".to_owned(),
                n => format!("{n} tools"),
            }))
            .child(
                el("ul", "pd-mcp-tools").children(
                    mcp.tool_names
                        .iter()
                        .map(|name| el("li", "").child(el("code", "").text(name))),
                ),
            )
    });
    section("MCP server", "pd-section pd-mcp")
        .attr("data-transport", wire_name(&mcp.transport))
        .attr("data-era", wire_name(&mcp.era))
        .child(facts(rows))
        .children(tools)
        .children((!mcp.steps.is_empty()).then(|| {
            table(
                &["Step", "HTTP", "Time"],
                mcp.steps.iter().map(|step| {
                    el("tr", "pd-mcp-step")
                        .child(el("td", "pd-addr").text(&step.step))
                        .child(
                            el("td", "pd-num")
                                .text(step.http_status.map(|s| s.to_string()).unwrap_or_default()),
                        )
                        .child(el("td", "pd-num").text(ms(step.elapsed_us)))
                }),
            )
        }))
}

fn server_name(mcp: &McpReport) -> String {
    match &mcp.server {
        Some(server) => format!("{} {}", server.name, server.version),
        None => "(no name given)".to_owned(),
    }
}

fn transport_label(transport: McpTransport) -> &'static str {
    match transport {
        McpTransport::StreamableHttp => "Streamable HTTP",
        McpTransport::Sse => "legacy HTTP+SSE",
        McpTransport::Stdio => "stdio",
    }
}

/// `demo 1.2 over Streamable HTTP, protocol 2025-06-18, 3 tools`.
pub fn mcp_text(mcp: &McpReport) -> String {
    let mut parts = vec![format!(
        "{} over {}",
        server_name(mcp),
        transport_label(mcp.transport)
    )];
    if let Some(version) = &mcp.protocol_version {
        parts.push(format!("protocol {version}"));
    }
    if let Some(tools) = mcp.tools {
        parts.push(format!("{tools} tools"));
    }
    parts.join(", ")
}

/// The desktop assistant's configured servers, each with a Check button
/// that names it (`data-name`): the helper finds the command itself.
pub fn mcp_servers(config: &str, servers: &[McpServerEntry]) -> Element {
    if servers.is_empty() {
        return note(&format!("No MCP servers are configured in {config}."));
    }
    el("div", "pd-mcp-config-body")
        .child(el("p", "pd-note").text(format!("From {config}")))
        .child(
            el("ul", "pd-mcp-servers").children(servers.iter().map(|server| {
                let how = match server.kind {
                    McpServerKind::Stdio => {
                        std::iter::once(server.command.clone().unwrap_or_default())
                            .chain(server.args.iter().cloned())
                            .collect::<Vec<_>>()
                            .join(" ")
                    }
                    McpServerKind::Url => server.url.clone().unwrap_or_default(),
                    McpServerKind::Invalid => server.problem.clone().unwrap_or_default(),
                };
                el("li", "pd-mcp-entry")
                    .attr("data-name", &server.name)
                    .attr("data-kind", wire_name(&server.kind))
                    .child(el("strong", "pd-mcp-entry-name").text(&server.name))
                    .child(el("code", "pd-mcp-entry-how").text(how))
                    .child(
                        el("button", "pd-button pd-mcp-check")
                            .attr("type", "button")
                            .attr("data-name", &server.name)
                            .text("Check"),
                    )
            })),
        )
}

/// A line that stands where a view's content will be, or says why it is not.
pub fn note(text: &str) -> Element {
    el("p", "pd-note").text(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;
    use protocol::{Outcome, Target};

    const SHARE: &str = "http://127.0.0.1:61900/?check=localhost%3A8080";

    #[test]
    fn elapsed_is_milliseconds_with_two_decimals() {
        assert_eq!(ms(0), "0.00 ms");
        assert_eq!(ms(57), "0.06 ms");
        assert_eq!(ms(1234), "1.23 ms");
        assert_eq!(ms(1235), "1.24 ms");
        assert_eq!(ms(2_000_000), "2000.00 ms");
        assert!(ms(u64::MAX).ends_with(" ms"));
    }

    #[test]
    fn the_socket_is_on_the_pages_own_origin() {
        assert_eq!(
            default_ws_url("http:", "127.0.0.1:61900"),
            "ws://127.0.0.1:61900/ws"
        );
        assert_eq!(
            default_ws_url("https:", "localhost:9"),
            "wss://localhost:9/ws"
        );
        assert_eq!(default_ws_url("file:", ""), "ws://127.0.0.1:61900/ws");
    }

    #[test]
    fn a_protocol_mismatch_is_named_in_the_status() {
        assert_eq!(
            hello_status(PROTOCOL_VERSION, "portdoctor 0.1.0"),
            "Connected to portdoctor 0.1.0."
        );
        assert!(hello_status(PROTOCOL_VERSION + 1, "x").contains("reload"));
    }

    #[test]
    fn skeleton_has_the_form_hooks_and_the_prefill() {
        let page = skeleton("localhost:3000");
        let form = page.find("pd-form");
        let input = &form.find_tag("input")[0];
        assert_eq!(input.get("name"), Some("target"));
        assert_eq!(input.get("value"), Some("localhost:3000"));
        assert_eq!(form.find_tag("button")[0].get("type"), Some("submit"));
        assert_eq!(form.find_tag("label")[0].text_content(), "Target");
        assert_eq!(page.find("pd-status").get("data-state"), Some("connecting"));
        assert_eq!(page.find("pd-report").get("data-state"), Some("idle"));
        assert_eq!(page.find("pd-report").get("aria-live"), Some("polite"));
    }

    #[test]
    fn skeleton_has_three_views_behind_tabs() {
        let page = skeleton("");
        let tabs = page.find_all("pd-tab");
        let views: Vec<_> = tabs.iter().map(|t| t.get("data-view").unwrap()).collect();
        assert_eq!(views, ["check", "machine", "watch"]);
        assert_eq!(tabs[0].get("aria-selected"), Some("true"));
        let panels = page.find_all("pd-view");
        assert_eq!(panels[0].get("hidden"), None);
        assert_eq!(panels[1].get("hidden"), Some(""));
        assert_eq!(
            panels[2].find("pd-watch-form").find_tag("input")[0].get("name"),
            Some("watch-target")
        );
        assert_eq!(panels[2].find("pd-notify").get("type"), Some("checkbox"));
        assert_eq!(
            panels[1].find("pd-machine-filter").get("type"),
            Some("search")
        );
        assert_eq!(
            panels[1].find("pd-bind-form").find_tag("input")[0].get("name"),
            Some("bind-port")
        );
        assert_eq!(panels[1].find("pd-bind").get("aria-live"), Some("polite"));
    }

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
            "Port 8080 is taken."
        );
        assert_eq!(
            view.find("pd-finding").get("data-code"),
            Some("port-in-use")
        );
        let attempts = view.find_all("pd-bind-attempt");
        assert_eq!(attempts[0].get("data-ok"), Some("false"));
        assert_eq!(attempts[0].text_content(), "127.0.0.1:8080Address in use");
        assert_eq!(view.find("pd-listener").get("data-pid"), Some("42"));

        let free = bind_view(&BindReport {
            available: true,
            holders: vec![],
            ..report
        });
        assert_eq!(free.get("data-state"), Some("free"));
        assert!(free.find_all("pd-listener").is_empty());
    }

    #[test]
    fn recent_targets_are_newest_first_without_repeats() {
        let recent = remember(&[], "8080");
        let recent = remember(&recent, " 5432 ");
        let recent = remember(&recent, "8080");
        assert_eq!(recent, ["8080", "5432"]);
        assert_eq!(remember(&recent, "  "), recent);
        let many = (0..20).fold(Vec::new(), |list, n| remember(&list, &n.to_string()));
        assert_eq!(many.len(), RECENT);
        assert_eq!(many[0], "19");
        let view = recent_view(&recent);
        let buttons = view.find_all("pd-recent-item");
        assert_eq!(buttons[1].get("data-target"), Some("5432"));
        assert!(recent_view(&[]).children.is_empty());
    }

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
    fn commands_in_a_fix_get_their_own_copy_button() {
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
        ));
        let copies: Vec<_> = with
            .find_all("pd-copy")
            .iter()
            .map(|b| b.get("data-copy").unwrap())
            .collect();
        assert_eq!(copies, ["portdoctor listeners", "npm start"]);
        assert_eq!(with.find("pd-cmd").text_content(), "portdoctor listeners");
        assert_eq!(
            with.text_content(),
            "Fix: Start it (portdoctor listenersCopy shows ports) or npm startCopy."
        );
        let without = fix(&finding(Severity::Warning, "Bind to 127.0.0.1."));
        assert_eq!(
            without.find("pd-copy").get("data-copy"),
            Some("Bind to 127.0.0.1.")
        );
        let nothing_to_do = fix(&finding(Severity::Ok, "Nothing to fix."));
        assert!(nothing_to_do.find_all("pd-copy").is_empty());
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
    fn the_service_is_described() {
        let view = report_view(&sample_report(), SHARE);
        let facts = view.find("pd-facts").text_content();
        assert!(facts.contains("http: nginx"), "{facts}");
    }

    #[test]
    fn the_mcp_section_carries_its_hooks() {
        let view = report_view(&sample_report(), SHARE);
        let mcp = view.find("pd-mcp");
        assert_eq!(mcp.get("data-transport"), Some("streamable-http"));
        assert_eq!(mcp.get("data-era"), Some("handshake"));
        assert_eq!(mcp.find("pd-mcp-server").text_content(), "demo 1.2");
        assert_eq!(mcp.find("pd-mcp-protocol").text_content(), "2025-06-18");
        assert_eq!(
            mcp.find("pd-mcp-url").text_content(),
            "http://localhost:8080/mcp"
        );
        assert_eq!(mcp.find("pd-mcp-tool-count").text_content(), "3 tools");
        let tools: Vec<String> = mcp
            .find("pd-mcp-tools")
            .find_tag("li")
            .iter()
            .map(|li| li.text_content())
            .collect();
        assert_eq!(tools, ["add", "echo", "search"]);
        let step = mcp.find("pd-mcp-step").text_content();
        assert_eq!(step, "initialize2000.80 ms");
    }

    #[test]
    fn no_mcp_section_without_an_mcp_server() {
        let mut report = sample_report();
        report.mcp = None;
        assert!(report_view(&report, SHARE).find_all("pd-mcp").is_empty());
    }

    #[test]
    fn configured_servers_have_a_check_button_each() {
        let entry = |name: &str, kind| McpServerEntry {
            name: name.into(),
            kind,
            command: Some("npx".into()),
            args: vec!["-y".into(), "server-files".into()],
            env: vec!["TOKEN".into()],
            url: None,
            headers: vec![],
            problem: Some("no command".into()),
        };
        let view = mcp_servers(
            "/home/a/.config/Claude/claude_desktop_config.json",
            &[
                entry("files", McpServerKind::Stdio),
                entry("typo", McpServerKind::Invalid),
            ],
        );
        let rows = view.find_all("pd-mcp-entry");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("data-name"), Some("files"));
        assert_eq!(rows[0].get("data-kind"), Some("stdio"));
        assert_eq!(
            rows[0].find("pd-mcp-entry-how").text_content(),
            "npx -y server-files"
        );
        assert_eq!(
            rows[1].find("pd-mcp-entry-how").text_content(),
            "no command"
        );
        let button = rows[0].find("pd-mcp-check");
        assert_eq!(button.get("data-name"), Some("files"));
        assert_eq!(button.get("type"), Some("button"));
        assert_eq!(
            mcp_servers("/c.json", &[]).text_content(),
            "No MCP servers are configured in /c.json."
        );
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
                "No process listens on this port, as far as the socket table shows",
                "MCP: demo 1.2 over Streamable HTTP, protocol 2025-06-18, 3 tools",
                "No MCP server answered",
            ]
        );
    }

    #[test]
    fn outcome_labels_read_as_words() {
        let mut address = sample_report().addresses[0].clone();
        address.outcome = Outcome::NotAllowed;
        assert_eq!(outcome_label(&address), "not allowed");
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
