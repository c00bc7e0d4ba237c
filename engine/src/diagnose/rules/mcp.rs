//! The MCP rows of the troubleshooting table: what the handshake (or the
//! started process) showed, the cause, the fix.
//!
//! | rule                 | symptom                                              | cause                                   |
//! |----------------------|------------------------------------------------------|-----------------------------------------|
//! | `bad_config`         | a configured entry has no usable command or url      | typo in the config file                 |
//! | `command_not_found`  | the configured command is not on PATH, or no such file | not installed, or the assistant's PATH  |
//! | `process_exited`     | the started server ended before answering            | missing setting, crash (stderr says)    |
//! | `rejected`           | 401, 403 or 421                                      | auth, Origin or Host check              |
//! | `not_acceptable`     | 406                                                  | `Accept` header the server will not take|
//! | `version_mismatch`   | only protocol versions we do not know                | one side too old or too new             |
//! | `no_answer`          | requests taken and never answered (each wait named)  | hung or slow server                     |
//! | `endpoint_advertised`| nothing MCP at the paths tried; a server card names the endpoint | wrong URL in the client's config |
//! | `wrong_path`         | nothing at the given path, MCP at another (a redirect, the legacy message URL) | wrong URL in the client's config |
//! | `redirected`         | a redirect to another server                         | moved server, or a proxy's rule         |
//! | `not_mcp`            | HTTP answers, JSON-RPC nowhere                       | another program on the port, wrong port |
//! | `error`              | a JSON-RPC error, or the exchange broke off          | server bug, proxy                       |
//! | `bad_output`         | non-JSON lines on a stdio server's stdout            | logs printed to stdout                  |
//! | `ok`                 | a full conversation and no problem anywhere          | healthy                                 |
//!
//! After a 401, the authorization chain (`mcp/auth.rs`), one row per broken link:
//!
//! | rule                        | symptom                                                  | cause                                |
//! |-----------------------------|----------------------------------------------------------|--------------------------------------|
//! | `auth_no_metadata`          | no Protected Resource Metadata anywhere a client looks   | no OAuth, or a 2025-03-26 server     |
//! | `auth_metadata_unreachable` | a metadata document the chain names cannot be fetched    | wrong link, server down, policy      |
//! | `auth_resource_mismatch`    | the metadata's `resource` is not this server's URL       | proxy, port or host in the config    |
//! | `auth_issuer_mismatch`      | the `issuer` inside differs from the one fetched for     | trailing slash, tenant path          |
//! | `auth_no_pkce`              | no S256 in `code_challenge_methods_supported`            | old or misconfigured server          |
//! | `auth_no_registration`      | no registration endpoint, no Client ID Metadata Documents | pre-registration only               |
//!
//! Signing in (`--login`, `mcp/login.rs`):
//!
//! | rule           | symptom                                          | cause                                      |
//! |----------------|--------------------------------------------------|--------------------------------------------|
//! | `login_failed` | registration, redirect or token exchange failed  | the step's own: denied, state, iss, client |
//! | `signed_in`    | (info) a token was obtained; the check used it   | —                                          |

use protocol::{Code, Finding, McpReport, McpTransport, Severity};

use super::{finding, join};
use crate::diagnose::Evidence;
use crate::mcp::{AuthProblem, Failure, LoginProblem, McpEvidence};
use crate::platform::Os;

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
    let Some(path) = path else {
        return Some(finding(
            Code::McpCommandNotFound,
            Severity::Error,
            format!("{command} does not exist, so \"{}\" cannot start", e.input),
            format!(
                "Fix the path in the configuration's \"command\": install the server at {command}, or write the path where it really is ({} shows what is missing).{}",
                Os::CURRENT.show_file(command),
                assistant_log(Os::CURRENT, &e.input)
            ),
            vec![
                format!("command: {command}"),
                format!("no file at {command}"),
            ],
        ));
    };
    Some(finding(
        Code::McpCommandNotFound,
        Severity::Error,
        format!(
            "\"{command}\" is not on the PATH, so \"{}\" cannot start",
            e.input
        ),
        format!(
            "Install it, or put its full path in the configuration (\"command\": \"/full/path/to/{command}\"; {} in your terminal shows it). Desktop assistants start servers with a shorter PATH than your shell: directories added by nvm, pyenv or Homebrew are often missing.{}",
            Os::CURRENT.locate_command(command),
            assistant_log(Os::CURRENT, &e.input)
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
        format!("\"{}\" exited ({how}) before answering {step}", e.input),
        format!(
            "Its last words on stderr (below) usually say why: a missing setting, file or package. Run the command in a terminal to watch it fail, fix its arguments or \"env\" in the configuration, then restart the assistant.{}",
            assistant_log(Os::CURRENT, &e.input)
        ),
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
    // With the authorization chain walked, say how far it holds.
    let fix = match mcp(e).and_then(|m| m.auth.as_ref()) {
        Some(auth) if refusal.status == 401 && auth.problems.is_empty() => format!(
            "{fix} The authorization chain is whole (metadata, authorization server, PKCE, registration; see the steps): a client with OAuth support can sign in, and signing in is what would check further."
        ),
        Some(auth) if refusal.status == 401 => format!(
            "{fix} A client cannot sign in yet: the findings below name the broken link{} of the authorization chain.",
            if auth.problems.len() == 1 { "" } else { "s" }
        ),
        _ => fix,
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
    let Failure::NoAnswer {
        url,
        unanswered,
        within,
    } = failure(e)?
    else {
        return None;
    };
    let m = mcp(e)?;
    let mut evidence: Vec<String> = m
        .steps
        .iter()
        .filter(|s| s.step == "start")
        .map(|s| {
            let pid = m.process.as_ref().and_then(|p| p.pid);
            format!(
                "started in {:.1} ms{}",
                s.elapsed_us as f64 / 1000.0,
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
            )
        })
        .collect();
    evidence.extend(
        unanswered
            .iter()
            .map(|(step, waited)| format!("{step}: no answer after {} ms", waited.as_millis())),
    );
    evidence.extend(m.process.iter().flat_map(|p| stderr(&p.stderr)));
    let steps: Vec<&str> = unanswered.iter().map(|(s, _)| s.as_str()).collect();
    let took = match steps.as_slice() {
        [one] => format!("took the {one} request but did not answer"),
        many => format!(
            "took the {} requests but answered none",
            join(many.iter().map(|s| (*s).to_owned()), " and ")
        ),
    };
    Some(finding(
        Code::McpNoAnswer,
        Severity::Error,
        format!(
            "{} {took} within {} ms",
            subject(e, url),
            within.as_millis()
        ),
        "The server is hung, busy, or still starting: look at its log (stderr). If it starts slowly (npx and uvx download packages on the first run), try again with a longer --timeout.".to_owned(),
        evidence,
    ))
}

pub(in crate::diagnose) fn endpoint_advertised(e: &Evidence) -> Option<Finding> {
    let m = mcp(e)?;
    let cards = m.cards.as_ref()?;
    let named = cards.found.as_ref()?;
    let place = m
        .asked
        .clone()
        .unwrap_or_else(|| format!("{}:{}", e.host, e.port.unwrap_or_default()));
    let transport = named
        .transport
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let answered = m.found.as_ref().filter(|f| f.url == named.endpoint);
    let summary = match answered {
        Some(found) => format!(
            "No MCP server answers at {place}; its discovery document {} names {}{transport}, where {}",
            named.card,
            named.endpoint,
            describe(found, e)
        ),
        None => format!(
            "No MCP server answers at {place}; its discovery document {} names {}{transport}",
            named.card, named.endpoint
        ),
    };
    let configure = format!(
        "Use {} in the client's configuration (\"url\": \"{}\")",
        named.endpoint, named.endpoint
    );
    let fix = match answered {
        Some(_) => format!("{configure}: the server answers there."),
        None if m.found.is_some() || !matches!(m.failure, Some(Failure::NotMcp)) => {
            format!("{configure}; what it answered there is below.")
        }
        None => format!(
            "{configure}. portdoctor did not get an MCP answer there (it checks only this server, and the target policy's addresses): run `portdoctor mcp {}` to check it.",
            named.endpoint
        ),
    };
    let mut evidence: Vec<String> = m
        .probes
        .iter()
        .chain(&cards.tried)
        .map(|p| format!("{}: {}", p.url, p.answer))
        .collect();
    evidence.dedup();
    Some(finding(
        Code::McpEndpointAdvertised,
        Severity::Error,
        summary,
        fix,
        evidence,
    ))
}

pub(in crate::diagnose) fn wrong_path(e: &Evidence) -> Option<Finding> {
    let m = mcp(e)?;
    // A discovery document named where it is: that finding says it.
    if m.cards.as_ref().is_some_and(|c| c.found.is_some()) {
        return None;
    }
    let (asked, found) = (m.asked.as_ref()?, m.found.as_ref()?);
    if *asked == found.url {
        return None;
    }
    let probe = m.probes.iter().find(|p| p.url == *asked);
    let answer = probe.map_or("no MCP server", |p| p.answer.as_str());
    let mut evidence: Vec<String> = m
        .probes
        .iter()
        .map(|p| match &p.moved_to {
            Some(to) => format!("{}: {} to {to}", p.url, p.answer),
            None => format!("{}: {}", p.url, p.answer),
        })
        .collect();
    evidence.push(describe(found, e));
    let configure = format!(
        "Use {} in the client's configuration (\"url\": \"{}\")",
        found.url, found.url
    );
    let sse = if found.transport == McpTransport::Sse {
        ": it is the legacy HTTP+SSE transport, so the client must support SSE"
    } else {
        ""
    };
    let asked_bare = asked.split(['?', '#']).next().unwrap_or(asked);
    let (severity, summary, fix) = if let Some(to) = probe.and_then(|p| p.moved_to.as_ref()) {
        // The server works through the redirect for clients that follow
        // it; not all do, and 301/302 turn the POST into a GET.
        (
            Severity::Warning,
            format!(
                "{asked} redirects to {to} ({answer}); the MCP server answers at {}",
                found.url
            ),
            format!(
                "{configure}{sse}. Clients that do not follow redirects, or follow them with a GET, fail at {asked}."
            ),
        )
    } else if m.messages.as_deref().map(|u| u.trim_end_matches('/'))
        == Some(asked_bare.trim_end_matches('/'))
    {
        evidence.push(format!(
            "{}'s endpoint event names {asked_bare} for messages",
            found.url
        ));
        (
            Severity::Error,
            format!(
                "{asked} is where a legacy HTTP+SSE server takes messages, not where clients connect: its stream is at {}",
                found.url
            ),
            format!(
                "{configure}{sse}. The client opens the stream there and learns the message URL, with its session id, from the stream's first event."
            ),
        )
    } else {
        (
            Severity::Error,
            format!(
                "Nothing speaks MCP at {asked} ({answer}); the server is at {}",
                found.url
            ),
            format!("{configure}{sse}."),
        )
    };
    Some(finding(
        Code::McpWrongPath,
        severity,
        summary,
        fix,
        evidence,
    ))
}

pub(in crate::diagnose) fn redirected(e: &Evidence) -> Option<Finding> {
    let Failure::Redirected { url, refusal } = failure(e)? else {
        return None;
    };
    let to = refusal.location.as_deref().unwrap_or("(no Location)");
    Some(finding(
        Code::McpWrongPath,
        Severity::Error,
        format!(
            "{url} redirects to {to} (HTTP {}), another server, which portdoctor does not follow",
            refusal.status
        ),
        format!(
            "If {to} is where the MCP server now lives, put it in the client's configuration and check it there (`portdoctor mcp {to}`); otherwise look at the redirect rule of the server or proxy at {url}."
        ),
        vec![format!("POST {url}: {refusal}")],
    ))
}

pub(in crate::diagnose) fn not_mcp(e: &Evidence) -> Option<Finding> {
    let m = mcp(e)?;
    if !m.expected
        || !matches!(m.failure, Some(Failure::NotMcp))
        || m.cards.as_ref().is_some_and(|c| c.found.is_some())
    {
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
            .chain(m.cards.iter().flat_map(|c| &c.tried))
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

/// The broken links of the authorization chain, when it was walked.
fn auth_problems(e: &Evidence) -> impl Iterator<Item = &AuthProblem> {
    mcp(e)
        .and_then(|m| m.auth.as_ref())
        .into_iter()
        .flat_map(|a| a.problems.iter())
}

/// Where the server is, for auth findings.
fn refused_at(e: &Evidence) -> String {
    match failure(e) {
        Some(Failure::Rejected { url, .. }) => url.clone(),
        _ => e.input.clone(),
    }
}

pub(in crate::diagnose) fn auth_no_metadata(e: &Evidence) -> Option<Finding> {
    let (tried, legacy) = auth_problems(e).find_map(|p| match p {
        AuthProblem::NoMetadata { tried, legacy } => Some((tried, *legacy)),
        _ => None,
    })?;
    let url = refused_at(e);
    let (severity, summary) = if legacy {
        (
            Severity::Warning,
            format!(
                "{url} publishes no Protected Resource Metadata: only clients of the 2025-03-26 revision find its authorization server (at its origin)"
            ),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "{url} wants authorization but publishes no Protected Resource Metadata: a client cannot find where to sign in"
            ),
        )
    };
    Some(finding(
        Code::McpAuthNoMetadata,
        severity,
        summary,
        "If the server signs clients in with OAuth, serve Protected Resource Metadata (RFC 9728) at /.well-known/oauth-protected-resource plus the MCP path, listing \"resource\" (this URL) and \"authorization_servers\", and name it in WWW-Authenticate: Bearer resource_metadata=\"...\" (the MCP SDKs do both when auth is configured). If it takes an API key instead, put the key in the client's configuration (\"headers\").".to_owned(),
        tried.iter().map(|t| format!("tried: {t}")).collect(),
    ))
}

pub(in crate::diagnose) fn auth_metadata_unreachable(e: &Evidence) -> Option<Finding> {
    let (url, why) = auth_problems(e).find_map(|p| match p {
        AuthProblem::MetadataUnreachable { url, why } => Some((url, why)),
        _ => None,
    })?;
    Some(finding(
        Code::McpAuthMetadataUnreachable,
        Severity::Error,
        format!(
            "The authorization chain of {} breaks at {url}: {why}",
            refused_at(e)
        ),
        format!(
            "A client follows the same link and stops there. Make {url} answer with its metadata (JSON, HTTP 200), or correct the link that names it (the resource_metadata of WWW-Authenticate, or authorization_servers in the resource's metadata). If it is on another machine, portdoctor only fetches it with --allow-target for its address."
        ),
        vec![format!("{url}: {why}")],
    ))
}

pub(in crate::diagnose) fn auth_resource_mismatch(e: &Evidence) -> Option<Finding> {
    let (resource, server, metadata) = auth_problems(e).find_map(|p| match p {
        AuthProblem::ResourceMismatch {
            resource,
            server,
            metadata,
        } => Some((resource, server, metadata)),
        _ => None,
    })?;
    Some(finding(
        Code::McpAuthResourceMismatch,
        Severity::Error,
        format!(
            "The Protected Resource Metadata names the resource {resource}, not {server}: clients refuse to sign in to it"
        ),
        format!(
            "Set \"resource\" in the metadata to the URL clients use, {server} (behind a proxy: the public URL, which the server must be told), or point the client at {resource} if that is where the server is meant to be reached."
        ),
        vec![
            format!("metadata: {metadata}"),
            format!("resource: {resource}"),
            format!("server: {server}"),
        ],
    ))
}

pub(in crate::diagnose) fn auth_issuer_mismatch(e: &Evidence) -> Option<Finding> {
    let (issuer, found, metadata) = auth_problems(e).find_map(|p| match p {
        AuthProblem::IssuerMismatch {
            issuer,
            found,
            metadata,
        } => Some((issuer, found, metadata)),
        _ => None,
    })?;
    let slash = issuer.trim_end_matches('/') == found.trim_end_matches('/');
    Some(finding(
        Code::McpAuthIssuerMismatch,
        Severity::Error,
        format!(
            "The authorization server's metadata says issuer {found}, but it was found as {issuer}: clients must refuse it (RFC 8414)"
        ),
        format!(
            "Make both the same string{}: the issuer in the authorization server's configuration, and the entry in the resource's authorization_servers.",
            if slash {
                " (they differ only in a trailing slash, which counts)"
            } else {
                ""
            }
        ),
        vec![
            format!("metadata: {metadata}"),
            format!("issuer inside: {found}"),
            format!("issuer used: {issuer}"),
        ],
    ))
}

pub(in crate::diagnose) fn auth_no_pkce(e: &Evidence) -> Option<Finding> {
    let (metadata, methods) = auth_problems(e).find_map(|p| match p {
        AuthProblem::NoPkce { metadata, methods } => Some((metadata, methods)),
        _ => None,
    })?;
    Some(finding(
        Code::McpAuthNoPkce,
        Severity::Error,
        "The authorization server does not advertise PKCE with S256: MCP clients refuse to sign in without it".to_owned(),
        "Enable PKCE on the authorization server and list it in its metadata: \"code_challenge_methods_supported\": [\"S256\"].".to_owned(),
        vec![
            format!("metadata: {metadata}"),
            format!(
                "code_challenge_methods_supported: {}",
                if methods.is_empty() { "(missing)".to_owned() } else { methods.join(", ") }
            ),
        ],
    ))
}

pub(in crate::diagnose) fn auth_no_registration(e: &Evidence) -> Option<Finding> {
    let metadata = auth_problems(e).find_map(|p| match p {
        AuthProblem::NoRegistration { metadata } => Some(metadata),
        _ => None,
    })?;
    Some(finding(
        Code::McpAuthNoRegistration,
        Severity::Warning,
        "The authorization server offers no way for a client to register: only clients with a pre-registered client id can sign in".to_owned(),
        "Enable Dynamic Client Registration (a \"registration_endpoint\") or Client ID Metadata Documents (\"client_id_metadata_document_supported\": true); otherwise register the client with the authorization server and put its client id (and secret) in the client's configuration.".to_owned(),
        vec![format!("metadata: {metadata}")],
    ))
}

pub(in crate::diagnose) fn login_failed(e: &Evidence) -> Option<Finding> {
    let Some(Err(problem)) = mcp(e)?.login.as_ref() else {
        return None;
    };
    let fix = match problem {
        LoginProblem::NotTried(_) => "Mend the broken links the findings above name; signing in follows the same chain.".to_owned(),
        LoginProblem::NoClient(_) => "Give portdoctor a client id the authorization server knows: --client-id (and --client-secret for a confidential client), or enable Dynamic Client Registration on the server.".to_owned(),
        LoginProblem::Registration { .. } => "The authorization server refused to register portdoctor as a native client with a loopback redirect URI (http://127.0.0.1:PORT/callback, RFC 8252). Allow loopback redirect URIs on any port for native clients, or register a client by hand and pass --client-id.".to_owned(),
        LoginProblem::Loopback(_) => "portdoctor could not listen on 127.0.0.1 for the redirect: check that loopback is up (`ip link set lo up`).".to_owned(),
        LoginProblem::TimedOut { .. } => "Finish signing in in the browser that opened (or open the URL printed on stderr), within --login-timeout. If the browser ended on an error page of the authorization server, that page says why; if it never opened, set $BROWSER.".to_owned(),
        LoginProblem::Denied { .. } => "The authorization server said no: sign in as a user allowed to use this server, approve the request, or ask for scopes the client may have.".to_owned(),
        LoginProblem::StateMismatch => "Sign in again from the start: the redirect belonged to another attempt (or was forged), so it was not used.".to_owned(),
        LoginProblem::IssuerMismatch { .. } => "The redirect came from another authorization server than the chain names (RFC 9207 mix-up defence): make the server put its own issuer in iss, exactly as in its metadata.".to_owned(),
        LoginProblem::NoCode => "The authorization server redirected without a code or an error: it does not complete the authorization code flow.".to_owned(),
        LoginProblem::Token { .. } => "The token endpoint refused the code: check that it accepts the client authentication it advertises (token_endpoint_auth_methods_supported), PKCE S256, the resource parameter (RFC 8707), and the same redirect_uri as the authorization request.".to_owned(),
        LoginProblem::InsufficientScope { .. } => "The server wants scopes it does not name, or the authorization server does not grant them: make the 403's WWW-Authenticate name them (scope=\"...\"), and let the authorization server grant them to this user.".to_owned(),
    };
    Some(finding(
        Code::McpLoginFailed,
        Severity::Error,
        format!(
            "Signing in to {} stopped at the {} step: {problem}",
            refused_at(e),
            problem.step().label()
        ),
        fix,
        vec![],
    ))
}

/// A note, beside the check's own findings: the check ran with a token.
pub(in crate::diagnose) fn signed_in(e: &Evidence) -> Option<Finding> {
    let Some(Ok(login)) = mcp(e)?.login.as_ref() else {
        return None;
    };
    let scopes = if login.scopes.is_empty() {
        "no scope".to_owned()
    } else {
        format!("scope \"{}\"", login.scopes.join(" "))
    };
    let mut evidence = vec![
        format!("client id: {}", login.registration.label()),
        format!("token: {}, {scopes}", login.token_type),
    ];
    if let Some(expires) = login.expires_in_s {
        evidence.push(format!("expires in {expires} s"));
    }
    if login.step_ups > 0 {
        evidence.push(format!(
            "stepped up {} time{} for more scopes",
            login.step_ups,
            if login.step_ups == 1 { "" } else { "s" }
        ));
    }
    Some(finding(
        Code::McpSignedIn,
        Severity::Info,
        format!(
            "Signed in: a {} token for {scopes}; the check ran with it (it was kept in memory only and is gone)",
            login.token_type
        ),
        "Nothing to fix: a client that signs in the same way gets this far.".to_owned(),
        evidence,
    ))
}

/// Not a problem rule: applies when no rule found an error (a warning
/// leaves a working server working).
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

/// The fix's last sentence for a configured server: where the assistant
/// keeps its own log of it on `os` (none on Linux).
fn assistant_log(os: Os, server: &str) -> String {
    os.assistant_log(server)
        .map(|log| format!(" The assistant's own log of this server: {log}."))
        .unwrap_or_default()
}

fn stderr(lines: &[String]) -> impl Iterator<Item = String> + '_ {
    lines.iter().map(|l| format!("stderr: {l}"))
}

#[cfg(test)]
mod tests;
