//! The MCP rows of the troubleshooting table: what the handshake (or the
//! started process) showed, the cause, the fix.
//!
//! | rule                 | symptom                                              | cause                                   |
//! |----------------------|------------------------------------------------------|-----------------------------------------|
//! | `bad_config`         | a configured entry has no usable command or url      | typo in the config file                 |
//! | `command_not_found`  | the configured command is not on PATH                | not installed, or the assistant's PATH  |
//! | `process_exited`     | the started server ended before answering            | missing setting, crash (stderr says)    |
//! | `rejected`           | 401, 403 or 421                                      | auth, Origin or Host check              |
//! | `not_acceptable`     | 406                                                  | `Accept` header the server will not take|
//! | `version_mismatch`   | only protocol versions we do not know                | one side too old or too new             |
//! | `no_answer`          | a request taken and never answered                   | hung or slow server                     |
//! | `wrong_path`         | nothing at the given path, MCP at another            | wrong URL in the client's config        |
//! | `not_mcp`            | HTTP answers, JSON-RPC nowhere                       | another program on the port, wrong port |
//! | `error`              | a JSON-RPC error, or the exchange broke off          | server bug, proxy                       |
//! | `bad_output`         | non-JSON lines on a stdio server's stdout            | logs printed to stdout                  |
//! | `ok`                 | a full conversation and no problem anywhere          | healthy                                 |

use protocol::{Code, Finding, McpReport, McpTransport, Severity};

use super::{finding, join};
use crate::diagnose::Evidence;
use crate::mcp::{Failure, McpEvidence};

fn mcp(e: &Evidence) -> Option<&McpEvidence> {
    e.mcp.as_ref()
}

fn failure(e: &Evidence) -> Option<&Failure> {
    mcp(e)?.failure.as_ref()
}

/// What the user knows the server as: its configured name for stdio, else
/// the URL.
fn subject<'a>(e: &'a Evidence, url: &'a str) -> &'a str {
    if mcp(e).is_some_and(|m| m.process.is_some()) {
        &e.input
    } else {
        url
    }
}

pub(in crate::diagnose) fn bad_config(e: &Evidence) -> Option<Finding> {
    let Failure::BadConfig(why) = failure(e)? else {
        return None;
    };
    Some(finding(
        Code::McpBadConfig,
        Severity::Error,
        format!("The configured server \"{}\" cannot be used: {why}", e.input),
        "Edit claude_desktop_config.json: each entry under \"mcpServers\" needs a \"command\" (with optional \"args\" list and \"env\" object of strings), or a \"url\". Restart the assistant afterwards.".to_owned(),
        vec![format!("mcpServers.{}: {why}", e.input)],
    ))
}

pub(in crate::diagnose) fn command_not_found(e: &Evidence) -> Option<Finding> {
    let Failure::CommandNotFound { command, path } = failure(e)? else {
        return None;
    };
    Some(finding(
        Code::McpCommandNotFound,
        Severity::Error,
        format!(
            "\"{command}\" is not on the PATH, so \"{}\" cannot start",
            e.input
        ),
        format!(
            "Install it, or put its full path in the configuration (\"command\": \"/full/path/to/{command}\"; `which {command}` in your terminal shows it). Desktop assistants start servers with a shorter PATH than your shell: directories added by nvm, pyenv or Homebrew are often missing."
        ),
        vec![
            format!("command: {command}"),
            format!("PATH searched: {path}"),
        ],
    ))
}

pub(in crate::diagnose) fn process_exited(e: &Evidence) -> Option<Finding> {
    let Failure::Exited { step } = failure(e)? else {
        return None;
    };
    let process = mcp(e)?.process.as_ref()?;
    let how = process.exited.as_deref().unwrap_or("ended");
    let mut evidence = vec![
        format!("command: {}", process.command_line),
        format!("{how} while waiting for the answer to {step}"),
    ];
    evidence.extend(stderr(&process.stderr));
    Some(finding(
        Code::McpProcessExited,
        Severity::Error,
        format!(
            "\"{}\" exited ({how}) before answering {step}",
            e.input
        ),
        "Its last words on stderr (below) usually say why: a missing setting, file or package. Run the command in a terminal to watch it fail, fix its arguments or \"env\" in the configuration, then restart the assistant.".to_owned(),
        evidence,
    ))
}

pub(in crate::diagnose) fn rejected(e: &Evidence) -> Option<Finding> {
    let Failure::Rejected {
        url,
        refusal,
        host,
        origin,
    } = failure(e)?
    else {
        return None;
    };
    let (summary, fix) = match (refusal.status, origin) {
        (421, _) => (
            format!("{url} refused the Host header \"{host}\" (421 Misdirected Request)"),
            format!("The server only answers requests addressed to the names it allows (DNS-rebinding protection); the MCP Python SDK allows 127.0.0.1, localhost and [::1] by default. Connect with an allowed name, or add \"{host}\" to the server's allowed hosts (TransportSecuritySettings(allowed_hosts=[...]))."),
        ),
        (403, Some(origin)) => (
            format!("{url} refused the Origin \"{origin}\" (403 Forbidden)"),
            format!("The server only takes requests from the web pages it allows (DNS-rebinding protection; the MCP Python SDK answers a foreign Origin with 403). Add \"{origin}\" to its allowed origins (TransportSecuritySettings(allowed_origins=[...])) if that page should reach it."),
        ),
        (403, None) => (
            format!("{url} refused the request (403 Forbidden)"),
            "The server denies this client: check its access rules and the credentials the client sends (an API key or token in the client's configuration).".to_owned(),
        ),
        _ => (
            format!("{url} requires authorization ({})", refusal),
            match &refusal.www_authenticate {
                Some(challenge) => format!("Give the client credentials for this server: it asks for \"{challenge}\". Clients with OAuth support follow its resource_metadata link; others need a token in their configuration."),
                None => "Give the client credentials for this server (a token or API key in the client's configuration).".to_owned(),
            },
        ),
    };
    let mut evidence = vec![
        format!("POST {url}: {refusal}"),
        format!("Host: {host}"),
        format!("Origin: {}", origin.as_deref().unwrap_or("(none sent)")),
    ];
    evidence.extend(
        refusal
            .www_authenticate
            .iter()
            .map(|c| format!("WWW-Authenticate: {c}")),
    );
    Some(finding(
        Code::McpRejected,
        Severity::Error,
        summary,
        fix,
        evidence,
    ))
}

pub(in crate::diagnose) fn not_acceptable(e: &Evidence) -> Option<Finding> {
    let Failure::NotAcceptable { url, refusal } = failure(e)? else {
        return None;
    };
    Some(finding(
        Code::McpNotAcceptable,
        Severity::Error,
        format!("{url} answered 406 Not Acceptable: it will not answer in a form the request accepts"),
        "Streamable HTTP requires every POST to accept both JSON and event streams: send \"Accept: application/json, text/event-stream\" (a client or proxy that sends only one, or rewrites Accept, gets this 406). portdoctor sent both, so also check what sits between client and server.".to_owned(),
        vec![
            "Accept: application/json, text/event-stream".to_owned(),
            format!("POST {url}: {refusal}"),
        ],
    ))
}

pub(in crate::diagnose) fn version_mismatch(e: &Evidence) -> Option<Finding> {
    let Failure::VersionMismatch { url, theirs } = failure(e)? else {
        return None;
    };
    let report = mcp(e)?.found.as_ref();
    let ours = report
        .map(|r| r.client_versions.join(", "))
        .unwrap_or_default();
    Some(finding(
        Code::McpVersionMismatch,
        Severity::Error,
        format!(
            "{} speaks MCP {}, which portdoctor does not (it speaks {ours})",
            name_of(report).unwrap_or_else(|| subject(e, url).to_owned()),
            theirs.join(", ")
        ),
        "Update whichever side is older: the server's MCP SDK, or the client. Desktop assistants speak the same versions as portdoctor or newer ones.".to_owned(),
        vec![
            format!("server supports: {}", theirs.join(", ")),
            format!("portdoctor supports: {ours}"),
        ],
    ))
}

pub(in crate::diagnose) fn no_answer(e: &Evidence) -> Option<Finding> {
    let Failure::NoAnswer { url, step, waited } = failure(e)? else {
        return None;
    };
    let mut evidence = vec![format!("{step}: no answer after {} ms", waited.as_millis())];
    evidence.extend(mcp(e)?.process.iter().flat_map(|p| stderr(&p.stderr)));
    Some(finding(
        Code::McpNoAnswer,
        Severity::Error,
        format!(
            "{} took the {step} request but did not answer within {} ms",
            subject(e, url),
            waited.as_millis()
        ),
        "The server is hung, busy, or still starting: look at its log (stderr). If it starts slowly (npx and uvx download packages on the first run), try again with a longer --timeout.".to_owned(),
        evidence,
    ))
}

pub(in crate::diagnose) fn wrong_path(e: &Evidence) -> Option<Finding> {
    let m = mcp(e)?;
    let (asked, found) = (m.asked.as_ref()?, m.found.as_ref()?);
    if *asked == found.url {
        return None;
    }
    let answer = m
        .probes
        .iter()
        .find(|p| p.url == *asked)
        .map_or("no MCP server", |p| p.answer.as_str());
    let mut evidence: Vec<String> = m
        .probes
        .iter()
        .map(|p| format!("{}: {}", p.url, p.answer))
        .collect();
    evidence.push(describe(found, e));
    Some(finding(
        Code::McpWrongPath,
        Severity::Error,
        format!(
            "Nothing speaks MCP at {asked} ({answer}); the server is at {}",
            found.url
        ),
        format!(
            "Use {} in the client's configuration (\"url\": \"{}\"){}.",
            found.url,
            found.url,
            if found.transport == McpTransport::Sse {
                ": it is the legacy HTTP+SSE transport, so the client must support SSE"
            } else {
                ""
            }
        ),
        evidence,
    ))
}

pub(in crate::diagnose) fn not_mcp(e: &Evidence) -> Option<Finding> {
    let m = mcp(e)?;
    if !m.expected || !matches!(m.failure, Some(Failure::NotMcp)) {
        return None;
    }
    let place = m
        .asked
        .clone()
        .unwrap_or_else(|| format!("{}:{}", e.host, e.port.unwrap_or_default()));
    Some(finding(
        Code::NotMcp,
        Severity::Error,
        format!("No MCP server answers at {place}: HTTP answers, but no JSON-RPC"),
        "Check the port and path in the client's configuration: MCP servers usually listen at /mcp (Streamable HTTP) or /sse (legacy). If the port belongs to another program (see the listeners), the MCP server is elsewhere or not running.".to_owned(),
        m.probes
            .iter()
            .map(|p| format!("{}: {}", p.url, p.answer))
            .collect(),
    ))
}

pub(in crate::diagnose) fn error(e: &Evidence) -> Option<Finding> {
    let Failure::Error { url, step, error } = failure(e)? else {
        return None;
    };
    let fix = if error.contains("-32020") {
        "The server found the MCP-Protocol-Version or Mcp-Method header at odds with the request body: a proxy between client and server may rewrite headers."
    } else if error.contains("-32021") {
        "The server requires a client capability that portdoctor does not declare; the assistant may declare it, so check there."
    } else {
        "Look at the server's log at this time: the error is the server's own, or something between client and server cut the exchange."
    };
    Some(finding(
        Code::McpError,
        Severity::Error,
        format!("{}: {step} failed: {error}", subject(e, url)),
        fix.to_owned(),
        vec![format!("{step} at {url}: {error}")],
    ))
}

pub(in crate::diagnose) fn bad_output(e: &Evidence) -> Option<Finding> {
    let m = mcp(e)?;
    let process = m.process.as_ref()?;
    let first = process.stray.first()?;
    Some(finding(
        Code::McpBadOutput,
        if m.found.is_some() {
            Severity::Warning
        } else {
            Severity::Error
        },
        format!(
            "\"{}\" writes text to stdout, where only JSON-RPC may go: \"{first}\"",
            e.input
        ),
        "Send logs and banners to stderr (Python: print(..., file=sys.stderr) or logging; Node: console.error): clients read every stdout line as a protocol message and drop or fail on the rest.".to_owned(),
        process.stray.iter().map(|l| format!("stdout: {l}")).collect(),
    ))
}

/// Not a problem rule: applies only when none of them found one.
pub(in crate::diagnose) fn ok(e: &Evidence) -> Option<Finding> {
    let m = mcp(e)?;
    let report = m.found.as_ref()?;
    if m.failure.is_some() {
        return None;
    }
    let mut evidence = Vec::new();
    if !report.tool_names.is_empty() {
        evidence.push(format!("tools: {}", report.tool_names.join(", ")));
    }
    if !report.capabilities.is_empty() {
        evidence.push(format!("capabilities: {}", report.capabilities.join(", ")));
    }
    evidence.push(format!(
        "versions: server {}; portdoctor {}",
        report.server_versions.join(", "),
        report.client_versions.join(", ")
    ));
    evidence.push(format!(
        "{} exchanges in {:.2} ms",
        report.steps.len(),
        report.elapsed_us as f64 / 1000.0
    ));
    let fix = match report.transport {
        McpTransport::Stdio => {
            "Nothing to fix: the assistant can start it as configured.".to_owned()
        }
        _ => format!("Nothing to fix: point the client at {}.", report.url),
    };
    Some(finding(
        Code::McpOk,
        Severity::Ok,
        describe(report, e),
        fix,
        evidence,
    ))
}

/// `MCP server demo 1.2 answers at URL over Streamable HTTP: protocol
/// 2025-06-18 (handshake era), 3 tools`; a stdio server is named by its key.
fn describe(report: &McpReport, e: &Evidence) -> String {
    let transport = match report.transport {
        McpTransport::StreamableHttp => "Streamable HTTP",
        McpTransport::Sse => "legacy HTTP+SSE",
        McpTransport::Stdio => "stdio",
    };
    let mut facts = Vec::new();
    if let Some(version) = &report.protocol_version {
        let era = match report.era {
            protocol::McpEra::Handshake => "handshake",
            protocol::McpEra::Stateless => "stateless",
        };
        facts.push(format!("protocol {version} ({era} era)"));
    }
    if let Some(tools) = report.tools {
        facts.push(format!("{tools} tool{}", if tools == 1 { "" } else { "s" }));
    }
    let who = name_of(Some(report)).unwrap_or_else(|| "(unnamed)".to_owned());
    let (who, place) = match report.transport {
        McpTransport::Stdio => (format!("{who} (\"{}\")", e.input), String::new()),
        _ => (who, format!(" at {}", report.url)),
    };
    format!(
        "MCP server {who} answers{place} over {transport}{}{}",
        if facts.is_empty() { "" } else { ": " },
        facts.join(", ")
    )
}

fn name_of(report: Option<&McpReport>) -> Option<String> {
    let server = report?.server.as_ref()?;
    Some(join(
        [&server.name, &server.version]
            .into_iter()
            .filter(|s| !s.is_empty())
            .cloned(),
        " ",
    ))
}

fn stderr(lines: &[String]) -> impl Iterator<Item = String> + '_ {
    lines.iter().map(|l| format!("stderr: {l}"))
}

#[cfg(test)]
mod tests;
