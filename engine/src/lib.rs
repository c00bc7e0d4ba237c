//! The check engine: one check, stage by stage.
//!
//! ```text
//! text ─ target::parse ─ target::validate ─ resolve ─ policy ─┬─ connect (each address, concurrently) ─┬─ identify ─ behind ─ mcp (HTTP) ─ diagnose ─ Report
//!                                                             └─ listeners (socket table) ─────────────┘
//! ```
//!
//! Each stage reports through [`Progress`] as it finishes, so the page can
//! show it; all of them add to one [`diagnose::Evidence`], and only the
//! diagnosis stage draws conclusions. The engine knows nothing of WebSockets
//! or terminals: the server and the CLI both call [`check`], and
//! [`check_configured`] for the desktop assistant's configured MCP servers.

pub mod behind;
pub mod bind;
pub mod connect;
pub mod diagnose;
pub mod identify;
pub mod interfaces;
pub mod listeners;
pub mod mcp;
pub mod platform;
pub mod policy;
pub mod programs;
pub mod resolve;
pub mod target;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use protocol::{Outcome, Progress, Report, ServiceProtocol, Target as TargetReport};

use diagnose::{Attempt, Evidence, Problem};
use mcp::McpOptions;
use mcp::config::{Server, ServerSpec};
use policy::TargetPolicy;

/// Longest per-address connect timeout anyone may ask for: a check must end.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub timeout: Duration,
    pub policy: TargetPolicy,
    pub identify: identify::IdentifyOptions,
    pub mcp: McpOptions,
    /// The protocol the user expects (`--expect`).
    pub expect: Option<ServiceProtocol>,
    /// Who reads the report.
    pub audience: Audience,
}

/// Who reads a report. A page on another origin, allowed to run checks,
/// learns whether and why a port answers, not where this machine is on the
/// network: its interface addresses stay out (their names stay in).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Audience {
    /// The machine's user: the CLI, the helper's own page, token holders.
    #[default]
    Owner,
    /// A docs page on an origin the user allowed for checks.
    Embed,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            policy: TargetPolicy::default(),
            identify: identify::IdentifyOptions::default(),
            mcp: McpOptions::default(),
            expect: None,
            audience: Audience::Owner,
        }
    }
}

/// Runs one check of `input`, calling `progress` after each stage.
pub async fn check(
    input: &str,
    options: &CheckOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Report {
    let started = Instant::now();
    let mut evidence = Evidence {
        input: input.to_owned(),
        ..Evidence::default()
    };
    let mut target_report = TargetReport {
        input: input.to_owned(),
        ..TargetReport::default()
    };
    let raw = target::parse(input);
    if let Ok(raw) = &raw {
        target_report.host = Some(raw.host.clone());
        target_report.port = raw.port;
        target_report.path = raw.path.clone();
        evidence.host = raw.host.clone();
    }
    match raw.and_then(target::validate) {
        Err(e @ target::TargetError::PortOutOfRange { .. }) => {
            evidence.problem = Some(Problem::Target(e.ranked_by(&listening_ports().await)));
        }
        Err(e) => evidence.problem = Some(Problem::Target(e)),
        Ok(target) => {
            evidence.host = target.host.clone();
            evidence.wildcard = target.wildcard;
            evidence.port = Some(target.port);
            evidence.scheme = target.scheme.clone();
            evidence.path = target.path.clone();
            evidence.expect = options.expect;
            evidence.audience = options.audience;
            progress(Progress::Parsed {
                target: target_report.clone(),
            });
            probe(&target, options, progress, &mut evidence).await;
            identify_service(&target, options, progress, &mut evidence).await;
            look_behind(&target, options, progress, &mut evidence).await;
            speak_mcp(&target, options, started, progress, &mut evidence).await;
        }
    }
    report(target_report, evidence, started)
}

/// Every port something listens on now, for ranking "did you mean" ports;
/// none when the socket table cannot be read.
async fn listening_ports() -> Vec<u16> {
    listeners::all()
        .await
        .map(|all| all.iter().map(|l| l.local.port()).collect())
        .unwrap_or_default()
}

/// Checks one MCP server of the desktop assistant's configuration: a URL
/// like any MCP target, a command by starting it.
pub async fn check_configured(
    server: &Server,
    options: &CheckOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Report {
    let started = Instant::now();
    let mcp = match &server.spec {
        ServerSpec::Url { url, headers } => {
            let mut options = options.clone();
            options.mcp.expect = true;
            options.mcp.headers = headers.clone();
            return check(url, &options, progress).await;
        }
        ServerSpec::Stdio(spec) => mcp::check_stdio(spec, options.mcp.timeout).await,
        ServerSpec::Invalid(why) => mcp::McpEvidence {
            expected: true,
            failure: Some(mcp::Failure::BadConfig(why.clone())),
            ..mcp::McpEvidence::default()
        },
    };
    progress(Progress::Mcp {
        mcp: mcp.found.clone().map(Box::new),
    });
    let evidence = Evidence {
        input: server.name.clone(),
        mcp: Some(mcp),
        ..Evidence::default()
    };
    let target = TargetReport {
        input: server.name.clone(),
        ..TargetReport::default()
    };
    report(target, evidence, started)
}

fn report(target: TargetReport, evidence: Evidence, started: Instant) -> Report {
    let findings = diagnose::diagnose(&evidence);
    Report {
        target,
        verdict: diagnose::verdict(&evidence, &findings),
        addresses: evidence.attempts.iter().map(|a| a.result.clone()).collect(),
        listeners: match &evidence.listeners {
            Some(Ok(l)) => l.iter().map(listeners::to_report).collect(),
            _ => Vec::new(),
        },
        service: service(&evidence),
        mcp: evidence.mcp.as_ref().and_then(|m| m.found.clone()),
        forward: evidence
            .behind
            .as_ref()
            .and_then(|b| b.forward.as_ref())
            .map(behind::Forward::to_report),
        findings,
        elapsed_us: connect::micros(started.elapsed()),
    }
}

/// The report's service card: what identification found, called MCP when
/// the MCP stage found a server there. Over plain HTTP, identification's
/// detail is the status of its own probe ("HTTP 400 Bad Request", which a
/// healthy MCP server answers to a GET), and a stdio server has none: the
/// server's name and version say what answered instead. Over TLS the
/// certificate's detail stays.
fn service(evidence: &Evidence) -> protocol::Service {
    let mut service = evidence
        .service
        .as_ref()
        .map(|s| s.service.clone())
        .unwrap_or_default();
    if let Some(found) = evidence.mcp.as_ref().and_then(|m| m.found.as_ref()) {
        if let (None | Some(ServiceProtocol::Http), Some(server)) =
            (service.protocol, &found.server)
        {
            service.detail = Some(format!("{} {}", server.name, server.version));
        }
        service.protocol = Some(ServiceProtocol::Mcp);
    }
    service
}

/// The first address that accepted a connection, if any did.
fn first_open(evidence: &Evidence) -> Option<std::net::SocketAddr> {
    evidence
        .attempts
        .iter()
        .find(|a| a.result.outcome == Outcome::Open)
        .map(|a| a.addr)
}

/// Identification, on the first address that accepted.
async fn identify_service(
    target: &target::Target,
    options: &CheckOptions,
    progress: &(dyn Fn(Progress) + Sync),
    evidence: &mut Evidence,
) {
    let Some(open) = first_open(evidence) else {
        return;
    };
    let found = identify::identify(open, target, &options.identify).await;
    progress(Progress::Identified {
        service: found.service.clone(),
    });
    evidence.service = Some(found);
}

/// What holds the port, once the socket table named it.
async fn look_behind(
    target: &target::Target,
    options: &CheckOptions,
    progress: &(dyn Fn(Progress) + Sync),
    evidence: &mut Evidence,
) {
    let Some(Ok(listeners)) = &evidence.listeners else {
        return;
    };
    if listeners.is_empty() {
        return;
    }
    let found = behind::look(behind::Input {
        host: &target.host,
        port: target.port,
        listeners,
        accepted: first_open(evidence).is_some(),
        timeout: options.timeout.min(MAX_TIMEOUT),
    })
    .await;
    if let Some(forward) = &found.forward {
        progress(Progress::Forwarded {
            forward: forward.to_report(),
        });
    }
    evidence.behind = Some(found);
}

/// The MCP stage, for targets that may speak HTTP: an `http(s)://` URL, or
/// a bare port whose first POST will tell. The first address that accepted
/// is the one asked, so the target policy holds.
async fn speak_mcp(
    target: &target::Target,
    options: &CheckOptions,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
    evidence: &mut Evidence,
) {
    if !matches!(target.scheme.as_deref(), None | Some("http" | "https")) {
        return;
    }
    // Not where identification heard another protocol: no POST to Redis.
    // Silence still gets one, since a hung HTTP server is silent too.
    let maybe_http = evidence.service.as_ref().is_none_or(|s| {
        matches!(
            s.service.protocol,
            None | Some(ServiceProtocol::Http | ServiceProtocol::Tls)
        )
    });
    let Some(open) = first_open(evidence).filter(|_| maybe_http) else {
        return;
    };
    let found = mcp::check_http(target, open, &options.mcp, &options.policy, started).await;
    if let Some(found) = &found {
        progress(Progress::Mcp {
            mcp: found.found.clone().map(Box::new),
        });
    }
    evidence.mcp = found;
}

/// The network stages: resolve, then connect and read the socket table side by side.
async fn probe(
    target: &target::Target,
    options: &CheckOptions,
    progress: &(dyn Fn(Progress) + Sync),
    evidence: &mut Evidence,
) {
    let addrs = match resolve::resolve(&target.host, target.port).await {
        Ok(addrs) => addrs,
        Err(e) => {
            evidence.problem = Some(Problem::Resolve(e));
            return;
        }
    };
    progress(Progress::Resolved {
        addresses: addrs.iter().map(ToString::to_string).collect(),
    });
    let timeout = options.timeout.min(MAX_TIMEOUT);
    let connects = async {
        let mut results: Vec<Option<protocol::AddressResult>> = vec![None; addrs.len()];
        let mut pending: FuturesUnordered<_> = addrs
            .iter()
            .enumerate()
            .filter(|(_, a)| options.policy.allows(a.ip()))
            .map(|(i, &addr)| async move { (i, connect::connect(addr, timeout).await) })
            .collect();
        while let Some((i, result)) = pending.next().await {
            progress(Progress::Connected {
                address: result.clone(),
            });
            results[i] = Some(result);
        }
        results
    };
    let (results, table) = tokio::join!(connects, listeners::on_port(target.port));
    evidence.attempts = addrs
        .iter()
        .zip(results)
        .map(|(&addr, result)| Attempt {
            addr,
            result: result.unwrap_or_else(|| connect::not_allowed(addr)),
        })
        .collect();
    if let Ok(l) = &table {
        progress(Progress::Listeners {
            listeners: l.iter().map(listeners::to_report).collect(),
        });
    }
    if let Ok(l) = &table {
        evidence.programs = l.iter().filter_map(programs::of).collect();
    }
    evidence.listeners = Some(table);
    evidence.interfaces = Some(interfaces::all());
}
