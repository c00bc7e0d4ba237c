//! The MCP stage: a real Model Context Protocol client, so a check can say
//! whether a desktop assistant would get anywhere with this server, and if
//! not, why.
//!
//! ```text
//! HTTP target ─ for each path (given one first, then /mcp, /sse, /):
//!                 Streamable HTTP: server/discover → (400 etc.) initialize → lists → DELETE
//!                 (404/405/not JSON-RPC) legacy SSE: GET → endpoint event → initialize → lists
//! stdio entry ─ start the configured command → server/discover → initialize → lists → stop the group
//! ```
//!
//! - `jsonrpc.rs`: messages, versions, finding our answer among the rest.
//! - `transport.rs`: what a transport does, and how an exchange fails.
//! - `handshake.rs`: era detection and the list calls, once for all transports.
//! - `http.rs` + `event_stream.rs`: a bounded HTTP/1.1 client and SSE parser.
//! - `streamable.rs`, `sse.rs`, `stdio.rs`: the three transports.
//! - `config.rs`: the desktop assistant's configured servers.
//!
//! This module decides where to look and turns what happened into an
//! [`McpEvidence`]; the diagnosis rules explain it.

mod auth;
mod cards;
pub mod config;
mod event_stream;
mod handshake;
mod http;
mod jsonrpc;
pub mod login;
mod sse;
mod stdio;
mod streamable;
mod transport;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use protocol::{McpEra, McpLogin, McpReport, McpStep, McpTransport};

use super::connect::micros;
use super::policy::TargetPolicy;
use super::target::Target;
use handshake::{Agreed, Client, HandshakeError, Inventory, Limits};
use http::Http;
use transport::{CallError, Transport};

pub use auth::{AuthFacts, AuthProblem};
pub use cards::{Advertised, Cards};
pub use login::{LoginOptions, LoginProblem};
pub use stdio::{ProcessFacts, Spec};
pub use transport::HttpRefusal;

/// Paths tried, in order, when the target names none.
pub const USUAL_PATHS: &[&str] = &["/mcp", "/sse", "/"];
/// For the whole conversation, unless the user says otherwise. Generous: a
/// stdio server's first answer includes its start, and `npx` may download
/// it first.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed on the same server (`/mcp/` → `/mcp`) before giving up.
const MAX_REDIRECTS: usize = 3;
/// When the user did not ask about MCP, a server that has not answered
/// within this is not one to report on: checks of other services should not
/// slow down for it.
const OPPORTUNISTIC_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOptions {
    /// The user asked about MCP (`portdoctor mcp`, a configured server): then
    /// finding none is a problem worth a finding.
    pub expect: bool,
    /// For the whole MCP conversation: every answer, every endpoint tried.
    pub timeout: Duration,
    /// An `Origin` header to send, as a browser-based client would.
    pub origin: Option<String>,
    /// More headers for every request: a configured server's own, such as
    /// its token.
    pub headers: config::Headers,
    /// Sign in when the server answers 401 and its authorization chain is
    /// whole (`--login`), then check with the token.
    pub login: Option<LoginOptions>,
}

impl Default for McpOptions {
    fn default() -> Self {
        Self {
            expect: false,
            timeout: DEFAULT_TIMEOUT,
            origin: None,
            headers: Vec::new(),
            login: None,
        }
    }
}

/// What the MCP stage found out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct McpEvidence {
    /// The user asked about MCP, so not finding it is a problem.
    pub expected: bool,
    /// The URL the user named, when it had a path.
    pub asked: Option<String>,
    /// What each endpoint that turned out not to be one answered, in order.
    pub probes: Vec<Probe>,
    /// The server that answered, also when the check then failed.
    pub found: Option<McpReport>,
    pub failure: Option<Failure>,
    /// The started process, for a stdio server.
    pub process: Option<ProcessFacts>,
    /// The exchanges of a conversation that ended before a server answered
    /// (once one has, they are in `found`).
    pub steps: Vec<McpStep>,
    /// Where a legacy HTTP+SSE stream said messages go (its `endpoint`
    /// event), without the session in the query.
    pub messages: Option<String>,
    /// After a 401: the authorization chain, walked as a client would.
    pub auth: Option<AuthFacts>,
    /// With `--login`: the token the check ran with, or why signing in stopped.
    pub login: Option<Result<McpLogin, LoginProblem>>,
    /// When no MCP answered at the paths tried: the discovery documents
    /// asked for, and the endpoint one named (checked when on this server).
    pub cards: Option<Cards>,
}

/// An endpoint that is not an MCP server, and what it answered instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub url: String,
    pub answer: String,
    /// The URL it redirected to, on the same server (tried next).
    pub moved_to: Option<String>,
}

/// Why no MCP conversation completed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// 401, 403 or 421: refused for want of credentials, or for the `Origin`
    /// or `Host` the request carried.
    Rejected {
        url: String,
        refusal: HttpRefusal,
        host: String,
        origin: Option<String>,
    },
    /// 406: the server does not accept what the request said it accepts.
    NotAcceptable { url: String, refusal: HttpRefusal },
    /// The server speaks only versions portdoctor does not know.
    VersionMismatch { url: String, theirs: Vec<String> },
    /// HTTP answers, but no JSON-RPC at any endpoint tried (see the probes).
    NotMcp,
    /// It took requests and answered none within the timeout: each, with
    /// its wait.
    NoAnswer {
        url: String,
        unanswered: Vec<(String, Duration)>,
        within: Duration,
    },
    /// A redirect to another server, which the check does not follow.
    Redirected { url: String, refusal: HttpRefusal },
    /// A JSON-RPC error, or an exchange that broke off.
    Error {
        url: String,
        step: String,
        error: String,
    },
    /// stdio: the command is not on PATH (`path`: the PATH searched), or,
    /// when it names a file (`/opt/x/server`, `./server`), no such file.
    CommandNotFound {
        command: String,
        path: Option<String>,
    },
    /// stdio: the process ended during `step` (its facts tell how).
    Exited { step: String },
    /// The configuration entry cannot be used as written.
    BadConfig(String),
}

/// What happened at one endpoint.
enum Endpoint {
    Found {
        report: Box<McpReport>,
        failure: Option<Failure>,
        /// A legacy SSE stream's message endpoint.
        messages: Option<String>,
    },
    /// Not an MCP endpoint: look elsewhere.
    Absent(String),
    /// A redirect to `to`, a path on the same server: look there next.
    Moved { answer: String, to: String },
    /// An MCP endpoint, or one that refuses in a way looking elsewhere
    /// will not change; the exchanges it took.
    Failed(Failure, Vec<McpStep>),
    /// Not HTTP at all.
    NotHttp,
}

/// Checks an HTTP(S) target on the address the connect stage found open.
/// `None` when there is nothing to say: the user did not ask about MCP and
/// no MCP server answered. After a 401 the authorization chain is walked,
/// and with `options.login`, signed in. `check_started`: when the whole
/// check began.
pub async fn check_http(
    target: &Target,
    addr: SocketAddr,
    options: &McpOptions,
    policy: &TargetPolicy,
    check_started: Instant,
) -> Option<McpEvidence> {
    let expected = options.expect || names_mcp(target.path.as_deref());
    let started = Instant::now();
    // The user's timeout holds for the whole search; a hung server uses it
    // up at the first endpoint, which is where the search should stop. Asked
    // about MCP, the user's timeout is for the whole check, so it counts
    // from the check's start: identification's wait on a silent server
    // (about 0.9 s) is inside it, not added to it.
    let (timeout, since) = if expected {
        (options.timeout, check_started)
    } else {
        (options.timeout.min(OPPORTUNISTIC_TIMEOUT), started)
    };
    let limits = Limits {
        timeout,
        deadline: since + timeout,
    };
    let mut evidence = search(target, addr, options, limits).await;
    evidence.expected = expected;
    if expected && matches!(evidence.failure, Some(Failure::NotMcp)) {
        evidence = advertised(target, addr, options, policy, evidence).await;
    }
    // A refusal that names MCP (a JSON-RPC error, an OAuth resource link)
    // is worth reporting even when the user did not ask about MCP.
    let mcp_refused = matches!(
        &evidence.failure,
        Some(Failure::Rejected { refusal, .. }) if refusal.speaks_mcp()
    );
    if !(expected || evidence.found.is_some() || mcp_refused) {
        return None;
    }
    if let Some(Failure::Rejected { url, refusal, .. }) = &evidence.failure
        && refusal.status == 401
        && let Ok(server) = url::Url::parse(url)
    {
        let fetcher = auth::Fetcher { policy, limits };
        let facts = auth::discover(&fetcher, &server, refusal.www_authenticate.as_deref()).await;
        evidence.found = Some(refused(url, &evidence.steps, &facts.steps, started));
        evidence.auth = Some(facts);
        if let Some(login) = &options.login {
            return Some(sign_in(target, addr, options, policy, login, evidence).await);
        }
    }
    Some(evidence)
}

/// Signs in with the chain discovery found and checks again with the token;
/// on 403 insufficient_scope, signs in again for the union of the scopes.
/// The evidence of the last check, with the whole chain's steps.
async fn sign_in(
    target: &Target,
    addr: SocketAddr,
    options: &McpOptions,
    policy: &TargetPolicy,
    login: &LoginOptions,
    evidence: McpEvidence,
) -> McpEvidence {
    let started = Instant::now();
    let facts = evidence.auth.clone().unwrap_or_default();
    let stopped = |mut evidence: McpEvidence, steps: &[protocol::McpAuthStep], problem| {
        if let Some(found) = &mut evidence.found {
            found.auth = [facts.steps.as_slice(), steps].concat();
        }
        evidence.login = Some(Err(problem));
        evidence
    };
    // A broken link stops a client, and portdoctor too (no registration is
    // only a warning: a client id may be given).
    let chain = match &facts.chain {
        Some(chain)
            if facts
                .problems
                .iter()
                .all(|p| matches!(p, AuthProblem::NoRegistration { .. })) =>
        {
            chain
        }
        _ => {
            let why = "the authorization chain is broken: see the findings about it".to_owned();
            return stopped(evidence, &[], LoginProblem::NotTried(why));
        }
    };
    let mut session = match login::Session::start(chain, policy, login, options.timeout).await {
        Ok(session) => session,
        Err(problem) => return stopped(evidence, &[], problem),
    };
    let mut scopes = chain.scopes.clone();
    let mut step_ups = 0;
    loop {
        let token = match session.sign_in(&scopes).await {
            Ok(token) => token,
            Err(problem) => return stopped(evidence, &session.steps, problem),
        };
        let Some(authorization) = token.header() else {
            let problem = LoginProblem::Token {
                url: chain.token_endpoint.to_string(),
                why: "the access token cannot be sent as a header".to_owned(),
            };
            return stopped(evidence, &session.steps, problem);
        };
        let mut with_token = options.clone();
        with_token.login = None;
        with_token
            .headers
            .push((::http::header::AUTHORIZATION, authorization));
        let checked = Instant::now();
        let limits = Limits {
            timeout: options.timeout,
            deadline: checked + options.timeout,
        };
        let mut again = search(target, addr, &with_token, limits).await;
        again.expected = evidence.expected;
        if let Some(wanted) = insufficient_scope(&again) {
            let mut union = scopes.clone();
            union.extend(wanted.iter().filter(|w| !scopes.contains(w)).cloned());
            let at = match &again.failure {
                Some(Failure::Rejected { url, .. }) => url::Url::parse(url).ok(),
                _ => None,
            };
            session.steps.push(auth::step(
                protocol::McpAuthCheck::StepUp,
                at.as_ref(),
                Some(403),
                checked,
                true,
                format!(
                    "403 insufficient_scope with the token for \"{}\": it wants \"{}\"",
                    scopes.join(" "),
                    wanted.join(" ")
                ),
            ));
            if step_ups < login::MAX_STEP_UPS && union != scopes {
                step_ups += 1;
                scopes = union;
                continue;
            }
            let problem = LoginProblem::InsufficientScope {
                scopes,
                sign_ins: step_ups + 1,
            };
            return stopped(again, &session.steps, problem);
        }
        let steps = [facts.steps.as_slice(), &session.steps].concat();
        let signed = McpLogin {
            registration: session
                .registration()
                .unwrap_or(protocol::McpRegistration::PreRegistered),
            token_type: token.token_type.clone(),
            scopes: token.scopes.clone(),
            expires_in_s: token.expires_in_s,
            step_ups,
        };
        if again.found.is_none()
            && let Some(Failure::Rejected { url, .. }) = &again.failure
        {
            again.found = Some(refused(url, &again.steps, &steps, checked));
        }
        if let Some(found) = &mut again.found {
            found.auth = steps;
            found.login = Some(signed.clone());
            found.elapsed_us = micros(started.elapsed());
        }
        again.auth = evidence.auth;
        again.login = Some(Ok(signed));
        return again;
    }
}

/// Nothing spoke MCP: asks the server's discovery documents where the
/// endpoint is, and checks it there when it is on this server.
async fn advertised(
    target: &Target,
    addr: SocketAddr,
    options: &McpOptions,
    policy: &TargetPolicy,
    mut evidence: McpEvidence,
) -> McpEvidence {
    let Some(base) = evidence
        .probes
        .first()
        .and_then(|p| url::Url::parse(&p.url).ok())
    else {
        return evidence;
    };
    let fresh = || Limits {
        timeout: options.timeout,
        deadline: Instant::now() + options.timeout,
    };
    let fetcher = auth::Fetcher {
        policy,
        limits: fresh(),
    };
    let beside = target.path.as_deref().map_or("/mcp", without_query);
    let cards = cards::look(&fetcher, &base, beside).await;
    let here = cards
        .found
        .as_ref()
        .and_then(|a| url::Url::parse(&a.endpoint).ok())
        .filter(|u| u.origin() == base.origin())
        .filter(|u| !evidence.probes.iter().any(|p| p.url == u.as_str()));
    if let Some(endpoint) = here {
        let path = match endpoint.query() {
            Some(q) => format!("{}?{q}", endpoint.path()),
            None => endpoint.path().to_owned(),
        };
        let at = Target {
            path: Some(path),
            ..target.clone()
        };
        let there = search(&at, addr, options, fresh()).await;
        // Something MCP there (also a refusal, which the 401 walk then
        // follows); the usual paths it tried after it answered as before.
        if there.found.is_some() || !matches!(there.failure, Some(Failure::NotMcp)) {
            evidence.found = there.found;
            evidence.failure = there.failure;
            evidence.steps = there.steps;
            evidence.messages = there.messages;
        }
    }
    evidence.cards = Some(cards);
    evidence
}

/// The scopes a 403 `insufficient_scope` asks for (its `scope`; none named,
/// none added).
fn insufficient_scope(evidence: &McpEvidence) -> Option<Vec<String>> {
    let Some(Failure::Rejected { refusal, .. }) = &evidence.failure else {
        return None;
    };
    let params = auth::bearer_params(refusal.www_authenticate.as_deref()?);
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    (refusal.status == 403 && param("error").is_some_and(|e| e == "insufficient_scope")).then(
        || {
            param("scope")
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        },
    )
}

/// Looks for the MCP endpoint: the given path, then the usual ones,
/// following redirects on the same server.
async fn search(
    target: &Target,
    addr: SocketAddr,
    options: &McpOptions,
    limits: Limits,
) -> McpEvidence {
    let origin = options.origin.clone();
    let http = if target.scheme.as_deref() == Some("https") {
        Http::secure(addr, &target.host, target.port, origin)
    } else {
        Http::new(addr, &target.host, target.port, origin)
    }
    .with_headers(&options.headers);
    let asked = target.path.as_deref().map(|p| http.url(p));
    let started = Instant::now();
    let mut paths = search_order(target.path.as_deref());
    let mut redirects = 0;
    let mut evidence = McpEvidence {
        asked,
        ..McpEvidence::default()
    };
    while let Some(path) = paths.pop_front() {
        if Instant::now() >= limits.deadline {
            break;
        }
        match endpoint(&http, &path, limits).await {
            Endpoint::Found {
                mut report,
                failure,
                messages,
            } => {
                report.elapsed_us = micros(started.elapsed());
                evidence.found = Some(*report);
                evidence.failure = failure;
                evidence.messages = messages.map(|m| http.url(without_query(&m)));
                break;
            }
            Endpoint::Absent(answer) => evidence.probes.push(Probe {
                url: http.url(&path),
                answer,
                moved_to: None,
            }),
            Endpoint::Moved { answer, to } => {
                evidence.probes.push(Probe {
                    url: http.url(&path),
                    answer,
                    moved_to: Some(http.url(&to)),
                });
                let seen = evidence.probes.iter().any(|p| p.url == http.url(&to));
                if redirects < MAX_REDIRECTS && !seen {
                    redirects += 1;
                    paths.retain(|p| *p != to);
                    paths.push_front(to);
                }
            }
            Endpoint::Failed(failure, steps) => {
                evidence.failure = Some(failure);
                evidence.steps = steps;
                break;
            }
            Endpoint::NotHttp => break,
        }
    }
    if evidence.found.is_none() && evidence.failure.is_none() {
        evidence.failure = Some(Failure::NotMcp);
    }
    evidence
}

/// The report of a server that refused for want of authorization: no
/// agreement, the exchanges it took, and the authorization chain.
fn refused(
    url: &str,
    steps: &[McpStep],
    auth: &[protocol::McpAuthStep],
    started: Instant,
) -> McpReport {
    McpReport {
        elapsed_us: micros(started.elapsed()),
        auth: auth.to_vec(),
        ..unagreed(McpTransport::StreamableHttp, url, steps, false)
    }
}

/// A report before any agreement: where and how we talked, nothing learnt
/// yet. Both the refused and the concluded report start from it.
fn unagreed(transport: McpTransport, url: &str, steps: &[McpStep], session: bool) -> McpReport {
    McpReport {
        transport,
        era: McpEra::Handshake,
        url: url.to_owned(),
        protocol_version: None,
        server: None,
        tools: None,
        elapsed_us: 0,
        capabilities: Vec::new(),
        tool_names: Vec::new(),
        resources: None,
        prompts: None,
        server_versions: Vec::new(),
        client_versions: Vec::new(),
        session,
        steps: steps.to_vec(),
        auth: Vec::new(),
        login: None,
    }
}

/// Where to look, in order: the given path, then the usual ones. A path
/// named like a legacy SSE server's message endpoint (`/message`,
/// `/messages/`) hangs on a POST without its session id, so the stream
/// beside it (`/sse`) goes first.
fn search_order(given: Option<&str>) -> VecDeque<String> {
    let stream = given.and_then(|path| {
        let bare = without_query(path).trim_end_matches('/');
        let (dir, last) = bare.rsplit_once('/')?;
        ["message", "messages"]
            .contains(&last.to_ascii_lowercase().as_str())
            .then(|| format!("{dir}/sse"))
    });
    let mut order = VecDeque::new();
    for path in stream
        .into_iter()
        .chain(given.map(str::to_owned))
        .chain(USUAL_PATHS.iter().map(|p| (*p).to_owned()))
    {
        if !order.contains(&path) {
            order.push_back(path);
        }
    }
    order
}

fn without_query(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or(path)
}

/// Streamable HTTP at `path`, then the legacy SSE transport if nothing
/// there takes a POST.
async fn endpoint(http: &Http, path: &str, limits: Limits) -> Endpoint {
    let mut streamable = streamable::Streamable::new(http.clone(), path);
    let mut talk = converse(&mut streamable, limits, Opening::Discover).await;
    let session = streamable.has_session();
    let closing = Instant::now();
    if let Ok(Some(Ok(status))) = tokio::time::timeout(limits.wait(), streamable.close()).await {
        talk.steps
            .push(step(&format!("DELETE {path}"), Some(status), closing));
    }
    let posted = match outcome(http, path, McpTransport::StreamableHttp, talk, session) {
        Endpoint::Absent(answer) => answer,
        other => return other,
    };
    let started = Instant::now();
    let wait = limits.wait();
    let opened = tokio::time::timeout(wait, sse::LegacySse::open(http.clone(), path))
        .await
        .unwrap_or(Err(CallError::Timeout(wait)));
    let get = format!("GET {path}");
    let mut legacy = match opened {
        Ok(legacy) => legacy,
        Err(error) => {
            let steps = vec![step(&get, None, started)];
            return match failure(http, path, &get, error, (steps, limits.timeout)) {
                Endpoint::Absent(got) => Endpoint::Absent(format!("POST: {posted}; GET: {got}")),
                other => other,
            };
        }
    };
    let opened = step(&get, legacy.status(), started);
    let mut talk = converse(&mut legacy, limits, Opening::Initialize).await;
    talk.steps.insert(0, opened);
    match outcome(http, path, McpTransport::Sse, talk, false) {
        Endpoint::Found {
            report, failure, ..
        } => Endpoint::Found {
            report,
            failure,
            messages: Some(legacy.endpoint().to_owned()),
        },
        other => other,
    }
}

/// Checks a configured stdio server: starts it, talks, stops it.
pub async fn check_stdio(spec: &Spec, timeout: Duration) -> McpEvidence {
    let mut evidence = McpEvidence {
        expected: true,
        ..McpEvidence::default()
    };
    let started = Instant::now();
    let limits = Limits {
        timeout,
        deadline: started + timeout,
    };
    let mut process = match stdio::Stdio::start(spec) {
        Ok(process) => process,
        Err(stdio::StartError::NotFound { command, path }) => {
            evidence.failure = Some(Failure::CommandNotFound { command, path });
            return evidence;
        }
        Err(stdio::StartError::Other { command, error }) => {
            evidence.failure = Some(Failure::Error {
                url: command,
                step: "start".to_owned(),
                error,
            });
            return evidence;
        }
    };
    // Starting the process is a step of its own: the first answer's wait
    // then starts when the process exists.
    let start = step("start", None, started);
    let mut talk = converse(&mut process, limits, Opening::DiscoverPatiently).await;
    talk.steps.insert(0, start);
    let facts = process.stop(limits.deadline).await;
    let url = facts.command_line.clone();
    let (report, failure) = conclude(&url, McpTransport::Stdio, &talk, false);
    if report.is_none() {
        evidence.steps = talk.steps.clone();
    }
    evidence.found = report.map(|mut r| {
        r.elapsed_us = micros(started.elapsed());
        r
    });
    evidence.failure = failure.map(|f| match (f, &facts.exited) {
        (Failure::Error { step, .. }, Some(_)) => Failure::Exited { step },
        (Failure::NoAnswer { mut unanswered, .. }, Some(_)) => Failure::Exited {
            step: unanswered.pop().map(|(step, _)| step).unwrap_or_default(),
        },
        (f, _) => f,
    });
    evidence.process = Some(facts);
    evidence
}

/// Whether a path names an MCP endpoint (`/mcp`, `/api/sse`): then the user
/// evidently expects one.
fn names_mcp(path: Option<&str>) -> bool {
    path.and_then(|p| p.split(['?', '#']).next())
        .and_then(|p| p.trim_end_matches('/').rsplit('/').next())
        .is_some_and(|last| last.eq_ignore_ascii_case("mcp") || last.eq_ignore_ascii_case("sse"))
}

/// How a conversation opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    /// `server/discover`, then `initialize` unless the answer rules it out.
    Discover,
    /// The same, and `initialize` also when discover goes unanswered (stdio).
    DiscoverPatiently,
    /// `initialize` at once: the legacy SSE transport predates discover.
    Initialize,
}

/// One conversation: agree, then list.
struct Talk {
    /// The timeout it had.
    within: Duration,
    steps: Vec<McpStep>,
    unanswered: Vec<(String, Duration)>,
    agreed: Option<Agreed>,
    inventory: Inventory,
    error: Option<HandshakeError>,
}

async fn converse<T: Transport>(transport: &mut T, limits: Limits, opening: Opening) -> Talk {
    let mut client = Client::new(transport, limits, opening == Opening::DiscoverPatiently);
    let agreed = match opening {
        Opening::Discover | Opening::DiscoverPatiently => client.agree().await,
        Opening::Initialize => client.initialize().await,
    };
    let (agreed, inventory, error) = match agreed {
        Err(e) => (None, Inventory::default(), Some(e)),
        Ok(agreed) => match client.inventory(&agreed).await {
            Ok(inventory) => (Some(agreed), inventory, None),
            Err(e) => (Some(agreed), Inventory::default(), Some(e)),
        },
    };
    Talk {
        within: limits.timeout,
        steps: client.steps,
        unanswered: client.unanswered,
        agreed,
        inventory,
        error,
    }
}

/// What a conversation over HTTP at `path` means for the search.
fn outcome(
    http: &Http,
    path: &str,
    transport: McpTransport,
    talk: Talk,
    session: bool,
) -> Endpoint {
    let first_failed = talk.agreed.is_none();
    let url = http.url(path);
    match (conclude(&url, transport, &talk, session), talk.error) {
        ((Some(report), failure), _) => Endpoint::Found {
            report: Box::new(report),
            failure,
            messages: None,
        },
        ((None, _), Some(HandshakeError::Call { step, error })) if first_failed => {
            failure(http, path, &step, error, (talk.steps, talk.within))
        }
        ((None, failure), _) => Endpoint::Failed(failure.unwrap_or(Failure::NotMcp), talk.steps),
    }
}

/// The report of a conversation (when a server answered) and its failure.
fn conclude(
    url: &str,
    transport: McpTransport,
    talk: &Talk,
    session: bool,
) -> (Option<McpReport>, Option<Failure>) {
    let mut report = unagreed(transport, url, &talk.steps, session);
    let found = match (&talk.agreed, &talk.error) {
        (Some(agreed), _) => {
            let tools = talk.inventory.tools.clone();
            report.era = agreed.era;
            report.protocol_version = Some(agreed.version.clone());
            report.server = agreed.server.clone();
            report.tools = tools
                .as_ref()
                .map(|t| u32::try_from(t.len()).unwrap_or(u32::MAX));
            report.tool_names = tools.unwrap_or_default();
            report.capabilities = agreed.capabilities.clone();
            report.resources = talk.inventory.resources;
            report.prompts = talk.inventory.prompts;
            report.server_versions = agreed.server_versions.clone();
            report.client_versions = known(match agreed.era {
                McpEra::Handshake => jsonrpc::HANDSHAKE_VERSIONS,
                McpEra::Stateless => jsonrpc::MODERN_VERSIONS,
            });
            Some(report)
        }
        // It named its versions: an MCP server, just not one we can talk to.
        (None, Some(HandshakeError::VersionMismatch { theirs, server })) => {
            if theirs
                .iter()
                .any(|v| jsonrpc::MODERN_VERSIONS.contains(&v.as_str()))
            {
                report.era = McpEra::Stateless;
            }
            report.server = server.clone();
            report.server_versions = theirs.clone();
            report.client_versions =
                known(&[jsonrpc::HANDSHAKE_VERSIONS, jsonrpc::MODERN_VERSIONS].concat());
            Some(report)
        }
        (None, _) => None,
    };
    let failure = talk.error.clone().map(|error| match error {
        HandshakeError::VersionMismatch { theirs, .. } => Failure::VersionMismatch {
            url: url.to_owned(),
            theirs,
        },
        HandshakeError::Call {
            step,
            error: CallError::Timeout(waited),
        } => Failure::NoAnswer {
            url: url.to_owned(),
            unanswered: if talk.unanswered.is_empty() {
                vec![(step, waited)]
            } else {
                talk.unanswered.clone()
            },
            within: talk.within,
        },
        HandshakeError::Call { step, error } => Failure::Error {
            url: url.to_owned(),
            step,
            error: error.to_string(),
        },
    });
    (found, failure)
}

/// What a failed first exchange at `path` means for the search, given the
/// exchanges so far and the timeout they had.
fn failure(
    http: &Http,
    path: &str,
    step: &str,
    error: CallError,
    (steps, within): (Vec<McpStep>, Duration),
) -> Endpoint {
    let url = http.url(path);
    let failed = |failure| Endpoint::Failed(failure, steps);
    match error {
        CallError::Http(refusal) => match refusal.status {
            300..=399 => match refusal
                .location
                .as_deref()
                .map(|l| http.path_on_this_server(path, l))
            {
                // The status line: the report names where it points.
                Some(Ok(to)) => Endpoint::Moved {
                    answer: HttpRefusal {
                        location: None,
                        ..*refusal
                    }
                    .to_string(),
                    to,
                },
                _ => failed(Failure::Redirected {
                    url,
                    refusal: *refusal,
                }),
            },
            401 | 403 | 421 => failed(Failure::Rejected {
                url,
                refusal: *refusal,
                host: http.host.clone(),
                origin: http.origin.clone(),
            }),
            406 => failed(Failure::NotAcceptable {
                url,
                refusal: *refusal,
            }),
            404 | 405 | 501 => Endpoint::Absent(refusal.to_string()),
            _ => failed(Failure::Error {
                url,
                step: step.to_owned(),
                error: refusal.to_string(),
            }),
        },
        CallError::NotJsonRpc(what) => Endpoint::Absent(what),
        CallError::NotHttp(_) => Endpoint::NotHttp,
        CallError::Timeout(waited) => failed(Failure::NoAnswer {
            url,
            unanswered: vec![(step.to_owned(), waited)],
            within,
        }),
        error @ (CallError::Rpc { .. } | CallError::Broken(_)) => failed(Failure::Error {
            url,
            step: step.to_owned(),
            error: error.to_string(),
        }),
    }
}

fn known(versions: &[&str]) -> Vec<String> {
    versions.iter().map(|v| (*v).to_owned()).collect()
}

fn step(name: &str, http_status: Option<u16>, started: Instant) -> McpStep {
    McpStep {
        step: name.to_owned(),
        http_status,
        elapsed_us: micros(started.elapsed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_name_an_mcp_endpoint() {
        for yes in ["/mcp", "/MCP/", "/api/v1/mcp", "/sse", "/mcp?token=1"] {
            assert!(names_mcp(Some(yes)), "{yes}");
        }
        for no in ["/", "/health", "/mcpx", "/api/mcp/tools"] {
            assert!(!names_mcp(Some(no)), "{no}");
        }
        assert!(!names_mcp(None));
    }
}
