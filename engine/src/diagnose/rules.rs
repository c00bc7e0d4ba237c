//! The troubleshooting table. One function per row: the symptom it looks for
//! in the evidence, the cause it names, the fix it gives.
//!
//! | rule                      | symptom                                        | cause                              |
//! |---------------------------|------------------------------------------------|------------------------------------|
//! | `invalid_target`          | the text cannot be read                        | typo, unsupported form             |
//! | `port_out_of_range`       | port 0 or above 65535                          | typo (an extra digit)              |
//! | `name_not_resolved`       | the host name has no address                   | typo, missing hosts entry          |
//! | `localhost_not_loopback`  | `localhost` resolves off the loopback range    | edited hosts file                  |
//! | `wildcard_target`         | (note) `0.0.0.0` / `::` typed, loopback checked | a server's startup line pasted     |
//! | `target_not_allowed`      | every address outside the target policy        | not a local service                |
//! | `loopback_down`           | loopback unreachable, no loopback interface up | `lo` is down (a fresh namespace)   |
//! | `nothing_listening`       | refused, nothing in the socket table           | server not running / other port    |
//! | `listening_other_family`  | refused, listener on the other IP family       | bound to ::1 only, or 127.0.0.1    |
//! |   (`localhost-single-family`) | ... and localhost resolved to one family   | the hosts file                     |
//! | `listening_other_address` | refused, listener on another specific address  | bound to a LAN / bridge address    |
//! | `filtered`                | timeout, nothing listening                     | firewall silently dropping         |
//! | `service_unresponsive`    | timeout or full accept queue, with a listener  | process hung or overloaded         |
//! | `connection_reset`        | accepted, then reset                           | server or proxy closed at once     |
//! | `reachable`               | open, and no rule above found a problem        | healthy                            |
//!
//! What answers on the port (`tls-expected`, `wrong-protocol`, `http-error`,
//! `exposed-to-network`, ...) has its own table in [`service`], the MCP rows
//! (`mcp-ok`, `mcp-wrong-path`, `mcp-rejected`, ...) in [`mcp`], what is
//! behind the port (`process-stopped`, `forward-target-refused`,
//! `socket-activation-failed`, `localhost-single-family`, ...) in [`behind`].

use std::net::SocketAddr;

use protocol::{Code, Finding, Outcome, Severity};
use socket_table::Listener;

mod behind;
mod mcp;
mod service;

use super::{Attempt, Evidence, Problem};
use crate::listeners::owner;
use crate::platform::Os;
use crate::target::TargetError;

type Rule = fn(&Evidence) -> Option<Finding>;

/// Problem rules, in the order a user should act on them when several apply.
pub(super) const PROBLEMS: &[Rule] = &[
    invalid_target,
    port_out_of_range,
    name_not_resolved,
    localhost_not_loopback,
    wildcard_target,
    target_not_allowed,
    loopback_down,
    nothing_listening,
    listening_other_family,
    listening_other_address,
    filtered,
    service_unresponsive,
    connection_reset,
    behind::process_traced,
    behind::process_stopped,
    behind::forward_target_refused,
    behind::forward_target_unreachable,
    behind::forward_target_silent,
    behind::forward_target_remote,
    behind::socket_activation_failed,
    behind::process_starting,
    service::reset_on_accept,
    service::tls_expected,
    service::plaintext_expected,
    service::wrong_protocol,
    service::untrusted_cert,
    service::http_error,
    service::silent_service,
    service::exposed,
    service::container,
    mcp::bad_config,
    mcp::command_not_found,
    mcp::process_exited,
    mcp::rejected,
    mcp::auth_metadata_unreachable,
    mcp::auth_resource_mismatch,
    mcp::auth_issuer_mismatch,
    mcp::auth_no_pkce,
    mcp::auth_no_registration,
    mcp::auth_no_metadata,
    mcp::login_failed,
    mcp::signed_in,
    mcp::not_acceptable,
    mcp::version_mismatch,
    mcp::no_answer,
    mcp::endpoint_advertised,
    mcp::wrong_path,
    mcp::redirected,
    mcp::not_mcp,
    mcp::error,
    mcp::bad_output,
];

pub(super) use mcp::ok as mcp_ok;

const FORMS: &str = "Type a port (8080), host:port (localhost:8080), [IPv6]:port ([::1]:8080) or a URL (http://localhost:8000/mcp).";

fn invalid_target(e: &Evidence) -> Option<Finding> {
    let Some(Problem::Target(err @ (TargetError::Empty | TargetError::Invalid { .. }))) =
        &e.problem
    else {
        return None;
    };
    Some(finding(
        Code::InvalidTarget,
        Severity::Error,
        format!("Cannot read the target: {err}"),
        FORMS.to_owned(),
        vec![format!("input: {:?}", e.input)],
    ))
}

fn port_out_of_range(e: &Evidence) -> Option<Finding> {
    let Some(Problem::Target(
        err @ TargetError::PortOutOfRange {
            text,
            suggestions,
            listening,
            ..
        },
    )) = &e.problem
    else {
        return None;
    };
    let fix = match suggestions.first() {
        None => "Use a port from 1 to 65535: check the server's configuration or log for the port it really listens on.".to_owned(),
        Some(likely) if listening.contains(likely) => format!(
            "Use a port from 1 to 65535, probably {likely}, where something listens now: `portdoctor check {likely}` shows what it is."
        ),
        Some(likely) => format!(
            "Use a port from 1 to 65535, probably {likely}: check the server's configuration or log for the port it really listens on."
        ),
    };
    Some(finding(
        Code::PortOutOfRange,
        Severity::Error,
        capitalise(&err.to_string()),
        fix,
        vec![
            format!("port given: {text}"),
            "TCP ports are 16-bit numbers: 1 to 65535 (0 is reserved)".to_owned(),
        ],
    ))
}

fn name_not_resolved(e: &Evidence) -> Option<Finding> {
    let Some(Problem::Resolve(err)) = &e.problem else {
        return None;
    };
    Some(finding(
        Code::NameNotResolved,
        Severity::Error,
        format!("\"{}\" does not resolve to any address", e.host),
        "Check the spelling. For a service on this machine use localhost or 127.0.0.1; for a container or VM name, use the port it publishes on localhost or add the name to the hosts file.".to_owned(),
        vec![err.to_string()],
    ))
}

fn localhost_not_loopback(e: &Evidence) -> Option<Finding> {
    if !e.host.eq_ignore_ascii_case("localhost") {
        return None;
    }
    let elsewhere: Vec<String> = e
        .attempts
        .iter()
        .filter(|a| !a.addr.ip().to_canonical().is_loopback())
        .map(|a| a.addr.ip().to_string())
        .collect();
    if elsewhere.is_empty() {
        return None;
    }
    Some(finding(
        Code::LocalhostNotLoopback,
        Severity::Error,
        format!(
            "localhost resolves to {}, which is not a loopback address",
            join(elsewhere.iter().cloned(), ", ")
        ),
        "Fix the hosts file (/etc/hosts; on Windows C:\\Windows\\System32\\drivers\\etc\\hosts): localhost must map to 127.0.0.1 and ::1 only.".to_owned(),
        e.attempts.iter().map(|a| format!("localhost → {}", a.addr.ip())).collect(),
    ))
}

fn wildcard_target(e: &Evidence) -> Option<Finding> {
    let wildcard = e.wildcard?;
    let port = e.port?;
    let checked = SocketAddr::new(e.host.parse().ok()?, port);
    Some(finding(
        Code::WildcardTarget,
        Severity::Info,
        format!(
            "{wildcard} is the address a server binds to mean \"every address\"; as a destination it means this machine, so {checked} was checked"
        ),
        format!(
            "Point clients at {checked} or localhost:{port}: {wildcard} as a destination works on Linux and macOS, not on Windows."
        ),
        vec![format!("target {}: checked as {checked}", e.input.trim())],
    ))
}

fn target_not_allowed(e: &Evidence) -> Option<Finding> {
    let refused: Vec<&Attempt> = e.attempts_with(Outcome::NotAllowed).collect();
    let first = refused.first()?;
    let all = refused.len() == e.attempts.len();
    Some(finding(
        Code::TargetNotAllowed,
        if all { Severity::Error } else { Severity::Info },
        format!(
            "{} {} outside the target policy: portdoctor only connects to loopback unless told otherwise",
            join(refused.iter().map(|a| a.addr.ip().to_string()), ", "),
            if refused.len() == 1 { "is" } else { "are" },
        ),
        // `portdoctor --allow-target` alone starts the helper: the CLI's
        // check needs its own command, the page the helper started with it.
        format!(
            "If you mean to check another machine, allow it explicitly (an address or a range such as 192.168.1.0/24): `portdoctor check {} --allow-target {ip}` in a terminal; for the page, start the helper with `portdoctor --allow-target {ip}`.",
            e.input.trim(),
            ip = first.addr.ip()
        ),
        refused
            .iter()
            .map(|a| format!("{}: not attempted", a.addr))
            .collect(),
    ))
}

/// Loopback addresses could not even be tried ("Network is unreachable"
/// for 127.0.0.1, "Cannot assign requested address" for ::1) and no
/// interface that is up carries a loopback address: the interface is down,
/// as in a fresh network namespace or container.
fn loopback_down(e: &Evidence) -> Option<Finding> {
    let Some(Ok(interfaces)) = &e.interfaces else {
        return None;
    };
    if interfaces.iter().any(|i| i.is_loopback() && i.up) {
        return None;
    }
    let failed: Vec<String> = e
        .attempts
        .iter()
        .filter(|a| {
            a.addr.ip().to_canonical().is_loopback()
                && matches!(a.result.outcome, Outcome::Unreachable | Outcome::Error)
        })
        .map(|a| {
            format!(
                "{}: {}",
                a.addr,
                a.result.error.as_deref().unwrap_or("unreachable")
            )
        })
        .collect();
    if failed.is_empty() {
        return None;
    }
    Some(loopback_down_finding(
        failed
            .into_iter()
            .chain([crate::interfaces::up_line(interfaces, e.audience)])
            .collect(),
    ))
}

/// The `loopback-down` finding, also given by the bind check: a server can
/// bind a port then, but no client on this machine can connect to it.
pub(crate) fn loopback_down_finding(evidence: Vec<String>) -> Finding {
    finding(
        Code::LoopbackDown,
        Severity::Error,
        "The loopback interface is down: nothing on this machine can connect to 127.0.0.1 or ::1".to_owned(),
        "Bring it up: `ip link set lo up` (Linux, as root; in a container or network namespace, run it inside), `ifconfig lo0 up` (macOS, BSD). Then check again.".to_owned(),
        evidence,
    )
}

fn nothing_listening(e: &Evidence) -> Option<Finding> {
    let port = e.port?;
    let refused = all_refused(e)?;
    let mut evidence = refusals(&refused);
    match &e.listeners {
        Some(Ok(l)) if l.is_empty() => {
            evidence.push(format!("socket table: no TCP listener on port {port}"));
        }
        Some(Err(why)) => evidence.push(format!("socket table not readable: {why}")),
        _ => return None,
    }
    Some(finding(
        Code::NothingListening,
        Severity::Error,
        format!("Nothing is listening on port {port}"),
        "Start the server, or check its log and configuration for the port it really uses (`portdoctor listeners` shows every listening port).".to_owned(),
        evidence,
    ))
}

/// Also `localhost-single-family`: when `localhost` resolved to one family
/// only, the hosts file is what sent the client to the wrong one.
fn listening_other_family(e: &Evidence) -> Option<Finding> {
    let (refused, elsewhere) = misplaced(e, |listener, tried| {
        listener.local.is_ipv4() != tried.is_ipv4()
    })?;
    let tried = refused[0].addr.ip();
    let (want, have, loopback) = if tried.is_ipv4() {
        ("IPv4", "IPv6", "127.0.0.1")
    } else {
        ("IPv6", "IPv4", "::1")
    };
    let listener = elsewhere[0];
    let make_it = match e.program(listener) {
        Some(program) => format!(
            "make the server listen on {loopback}: {}",
            program.listen_on(loopback.parse().ok()?, listener.local.port())
        ),
        None => format!(
            "make the server listen on {want} too: bind it to {loopback} (or to both loopback addresses) with its host/bind option"
        ),
    };
    let single = e.host.eq_ignore_ascii_case("localhost")
        && e.attempts
            .iter()
            .all(|a| a.addr.is_ipv4() == tried.is_ipv4());
    let (code, summary, fix) = if single {
        (
            Code::LocalhostSingleFamily,
            format!(
                "localhost resolves only to {tried} here (hosts file), and the server listens on {have} only ({})",
                listener.local
            ),
            format!(
                "Connect to {} instead, or {make_it}; or let localhost mean both: the hosts file (/etc/hosts; on Windows C:\\Windows\\System32\\drivers\\etc\\hosts) should map localhost to 127.0.0.1 and ::1. Browsers treat localhost as both whatever the file says, so it can work there and fail in curl or your client.",
                listener.local
            ),
        )
    } else {
        (
            Code::ListeningOtherFamily,
            format!(
                "The server listens on {have} only ({}), but {tried} is {want}",
                listener.local
            ),
            format!("Connect to {} instead, or {make_it}.", listener.local),
        )
    };
    let mut evidence = misplaced_evidence(&refused, &elsewhere);
    if single {
        evidence.extend(behind::hosts_lines(e));
    }
    Some(finding(code, misplaced_severity(e), summary, fix, evidence))
}

fn listening_other_address(e: &Evidence) -> Option<Finding> {
    let (refused, elsewhere) = misplaced(e, |listener, tried| {
        listener.local.is_ipv4() == tried.is_ipv4()
    })?;
    let listener = elsewhere[0];
    let tried = refused[0].addr.ip();
    let make_it = match e.program(listener) {
        Some(program) => format!(
            "make it listen on {tried}: {}",
            program.listen_on(tried, listener.local.port())
        ),
        None => format!("configure the server to listen on {tried} (for local use, 127.0.0.1)"),
    };
    Some(finding(
        Code::ListeningOtherAddress,
        misplaced_severity(e),
        format!(
            "The server listens on {} only, not on {tried}",
            listener.local.ip(),
        ),
        format!("Connect to {} instead, or {make_it}.", listener.local),
        misplaced_evidence(&refused, &elsewhere),
    ))
}

fn filtered(e: &Evidence) -> Option<Finding> {
    let port = e.port?;
    let timeouts: Vec<&Attempt> = e.attempts_with(Outcome::Timeout).collect();
    if timeouts.is_empty() || !e.known_listeners()?.is_empty() {
        return None;
    }
    let mut evidence = timeouts_evidence(&timeouts);
    evidence.push(format!("socket table: no TCP listener on port {port}"));
    Some(finding(
        Code::Filtered,
        Severity::Error,
        format!(
            "Connecting to {} timed out and nothing here listens on port {port}: a firewall is silently dropping the connection",
            timeouts[0].addr
        ),
        format!(
            "Look for a firewall rule that drops this port ({}), or start the server if it should be here.",
            Os::CURRENT.firewall_rules()
        ),
        evidence,
    ))
}

fn service_unresponsive(e: &Evidence) -> Option<Finding> {
    if behind::explains(e) {
        return None;
    }
    let listeners = e.known_listeners()?;
    let timeouts: Vec<&Attempt> = e
        .attempts_with(Outcome::Timeout)
        .filter(|a| listeners.iter().any(|l| covers(l, a.addr)))
        .collect();
    let full: Vec<&Listener> = listeners
        .iter()
        .filter(|l| l.queue.is_some_and(|q| q.max > 0 && q.current >= q.max))
        .collect();
    let stuck = full.first().copied().or_else(|| {
        let first = timeouts.first()?;
        listeners.iter().find(|l| covers(l, first.addr))
    })?;
    let mut evidence = timeouts_evidence(&timeouts);
    evidence.extend(full.iter().map(|l| {
        let q = l
            .queue
            .unwrap_or(socket_table::Queue { current: 0, max: 0 });
        format!(
            "accept queue of {} is full: {} waiting, backlog {}",
            l.local, q.current, q.max
        )
    }));
    evidence.push(format!("{} listens on {}", owner(stuck), stuck.local));
    Some(finding(
        Code::ServiceUnresponsive,
        Severity::Error,
        format!(
            "{} listens on {} but is not accepting connections: it is hung or overloaded",
            owner(stuck),
            stuck.local
        ),
        "Look at that process: its log, its CPU use, whether it is stopped in a debugger. Restart it if it does not recover.".to_owned(),
        evidence,
    ))
}

fn connection_reset(e: &Evidence) -> Option<Finding> {
    if behind::explains(e) {
        return None;
    }
    let reset: Vec<&Attempt> = e.attempts_with(Outcome::Reset).collect();
    let first = reset.first()?;
    Some(finding(
        Code::ConnectionReset,
        Severity::Error,
        format!("{} accepted the connection and reset it at once", first.addr),
        "The server (or a proxy or firewall in front of it) closes connections straight away: check its log; it may only allow certain client addresses or have reached its connection limit.".to_owned(),
        reset
            .iter()
            .map(|a| format!("{}: {}", a.addr, a.result.error.as_deref().unwrap_or("reset")))
            .collect(),
    ))
}

/// Not a problem rule: applies only when none of them found one.
pub(super) fn reachable(e: &Evidence) -> Option<Finding> {
    let open: Vec<&Attempt> = e.attempts_with(Outcome::Open).collect();
    let first = open.first()?;
    let mut evidence: Vec<String> = open
        .iter()
        .map(|a| {
            format!(
                "{}: open in {:.2} ms",
                a.addr,
                a.result.elapsed_us as f64 / 1000.0
            )
        })
        .collect();
    let owners: Vec<String> = e
        .known_listeners()
        .unwrap_or_default()
        .iter()
        .filter(|l| open.iter().any(|a| covers(l, a.addr)))
        .map(|l| format!("{} listens on {}", owner(l), l.local))
        .collect();
    let summary = match owners.first() {
        Some(who) => format!("{} accepts connections ({who})", first.addr),
        None => format!("{} accepts connections", first.addr),
    };
    evidence.extend(owners);
    Some(finding(
        Code::Reachable,
        Severity::Ok,
        summary,
        "Nothing to fix at the TCP level.".to_owned(),
        evidence,
    ))
}

fn finding(
    code: Code,
    severity: Severity,
    summary: String,
    fix: String,
    evidence: Vec<String>,
) -> Finding {
    Finding {
        code,
        severity,
        summary,
        fix,
        evidence,
    }
}

/// Whether a connect to `addr` would reach this listener: same address, or
/// the wildcard of the same family.
fn covers(listener: &Listener, addr: SocketAddr) -> bool {
    listener.local.port() == addr.port()
        && (listener.local.ip() == addr.ip()
            || (listener.local.ip().is_unspecified() && listener.local.is_ipv4() == addr.is_ipv4()))
}

/// Refused attempts, when every attempt that was made was refused.
fn all_refused(e: &Evidence) -> Option<Vec<&Attempt>> {
    let tried: Vec<&Attempt> = e
        .attempts
        .iter()
        .filter(|a| a.result.outcome != Outcome::NotAllowed)
        .collect();
    (!tried.is_empty() && tried.iter().all(|a| a.result.outcome == Outcome::Refused))
        .then_some(tried)
}

/// Refused addresses that no listener covers, and the listeners on the port
/// that `elsewhere(listener, tried)` picks out: the common shape of "it
/// listens, just not where you knocked".
fn misplaced(
    e: &Evidence,
    elsewhere: fn(&Listener, &SocketAddr) -> bool,
) -> Option<(Vec<&Attempt>, Vec<&Listener>)> {
    let listeners = e.known_listeners()?;
    let refused: Vec<&Attempt> = e
        .attempts_with(Outcome::Refused)
        .filter(|a| !listeners.iter().any(|l| covers(l, a.addr)))
        .collect();
    let first = refused.first()?;
    let matching: Vec<&Listener> = listeners
        .iter()
        .filter(|l| elsewhere(l, &first.addr))
        .collect();
    (!matching.is_empty()).then_some((refused, matching))
}

/// Fatal when nothing accepted; a note when another address works, since some
/// clients try only the first address (Node.js before 20 did for localhost).
fn misplaced_severity(e: &Evidence) -> Severity {
    if e.any_open() {
        Severity::Info
    } else {
        Severity::Error
    }
}

fn misplaced_evidence(refused: &[&Attempt], listeners: &[&Listener]) -> Vec<String> {
    let mut evidence = refusals(refused);
    evidence.extend(
        listeners
            .iter()
            .map(|l| format!("{} listens on {}", owner(l), l.local)),
    );
    evidence
}

fn refusals(attempts: &[&Attempt]) -> Vec<String> {
    attempts
        .iter()
        .map(|a| format!("{}: connection refused", a.addr))
        .collect()
}

fn timeouts_evidence(attempts: &[&Attempt]) -> Vec<String> {
    attempts
        .iter()
        .map(|a| {
            format!(
                "{}: no answer after {} ms",
                a.addr,
                a.result.elapsed_us / 1000
            )
        })
        .collect()
}

fn join(items: impl Iterator<Item = String>, sep: &str) -> String {
    items.collect::<Vec<_>>().join(sep)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
