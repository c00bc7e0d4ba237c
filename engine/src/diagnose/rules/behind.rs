//! The rows about what is behind the port: the state of the process holding
//! it, where a forwarder sends connections, socket activation, and the hosts
//! file's word on `localhost` (from the `behind` stage).
//!
//! | rule                         | symptom                                             | cause                                    |
//! |------------------------------|-----------------------------------------------------|------------------------------------------|
//! | `process_traced`             | every holder stopped by the debugger tracing it     | breakpoint, or just attached             |
//! | `process_stopped`            | every holder stopped (`T`)                          | Ctrl-Z, SIGSTOP                          |
//! | `forward_target_refused`     | a forwarder holds the port; its far end refuses     | app not running, or on 127.0.0.1 inside the container |
//! | `forward_target_unreachable` | its far end does not answer or does not resolve     | container stopped, network gone          |
//! | `forward_target_silent`      | silent here, and the far end accepts and is silent  | the service at the far end hangs         |
//! | `forward_target_remote`      | accepted, then nothing; far end on the ssh server / in a pod | it refuses over there            |
//! | `socket_activation_failed`   | a service manager holds the port; accepted, then nothing | the service it starts fails          |
//! | `process_starting`           | accepted by the kernel, not by the holder, which started seconds ago | still initialising      |
//!
//! The rows that explain a silent, reset or unresponsive port make the
//! symptom rows (`silent-service`, `connection-reset`,
//! `service-unresponsive`) step back: see [`explains`]. The hosts file lines
//! read here are the evidence of `localhost-single-family`.

use std::net::SocketAddr;
use std::time::Duration;

use protocol::{Code, Finding, Outcome, Severity};
use socket_table::Listener;

use super::{Rule, covers, finding, join};
use crate::behind::activation::Manager;
use crate::behind::forward::Forwarder;
use crate::behind::process::State;
use crate::behind::{Behind, Destination, Forward, Owner};
use crate::diagnose::Evidence;
use crate::listeners::owner;

/// Younger than this, a silent server is probably still starting.
const STARTING: Duration = Duration::from_secs(15);

/// The rows that explain a silent or resetting port better than its symptom.
const EXPLAINING: &[Rule] = &[
    process_traced,
    process_stopped,
    forward_target_refused,
    forward_target_unreachable,
    forward_target_silent,
    forward_target_remote,
    socket_activation_failed,
    process_starting,
];

/// Whether a row of this table already says why the port accepts and then
/// stays silent, resets, or does not accept.
pub(super) fn explains(e: &Evidence) -> bool {
    EXPLAINING.iter().any(|rule| rule(e).is_some())
}

fn behind(e: &Evidence) -> Option<&Behind> {
    e.behind.as_ref()
}

/// Addresses the check connected to (not those the policy skipped).
fn tried(e: &Evidence) -> impl Iterator<Item = SocketAddr> + '_ {
    e.attempts
        .iter()
        .filter(|a| a.result.outcome != Outcome::NotAllowed)
        .map(|a| a.addr)
}

/// The listeners a connect of this check reached, with their owners' records.
fn holders(e: &Evidence) -> Option<(Vec<&Listener>, Vec<&Owner>)> {
    let listeners: Vec<&Listener> = e
        .known_listeners()?
        .iter()
        .filter(|l| tried(e).any(|a| covers(l, a)))
        .collect();
    let owners: Vec<&Owner> = behind(e)?
        .owners
        .iter()
        .filter(|o| {
            listeners
                .iter()
                .any(|l| l.processes.iter().any(|p| p.pid == o.pid))
        })
        .collect();
    (!owners.is_empty()).then_some((listeners, owners))
}

/// The port accepted, and then said nothing: silent, or reset.
fn accepted_then_nothing(e: &Evidence) -> bool {
    e.attempts_with(Outcome::Reset).next().is_some()
        || e.service
            .as_ref()
            .is_some_and(|s| (s.silent || s.reset) && s.service.protocol.is_none())
}

fn state_line(o: &Owner) -> String {
    let state = match o.state {
        State::Stopped => "T (stopped)",
        State::Traced => "t (stopped by its tracer)",
        State::Running => "R (running)",
        State::Sleeping => "S (sleeping)",
        State::Waiting => "D (waiting in the kernel)",
        State::Zombie => "Z (zombie)",
        State::Other(_) => "other",
    };
    format!("{} (pid {}): state {state}", o.name, o.pid)
}

fn listens_lines(listeners: &[&Listener]) -> Vec<String> {
    listeners
        .iter()
        .map(|l| {
            let queue = l
                .queue
                .map(|q| format!(", {} connections waiting to be accepted", q.current))
                .unwrap_or_default();
            format!("{} listens on {}{queue}", owner(l), l.local)
        })
        .collect()
}

fn pids(owners: &[&Owner]) -> String {
    join(owners.iter().map(|o| o.pid.to_string()), " ")
}

pub(super) fn process_traced(e: &Evidence) -> Option<Finding> {
    let (listeners, owners) = holders(e)?;
    let traced =
        |o: &&Owner| o.state == State::Traced || (o.state == State::Stopped && o.tracer.is_some());
    if !owners.iter().all(traced) {
        return None;
    }
    let first = owners[0];
    let debugger = first.tracer.as_ref().map_or_else(
        || "a debugger".to_owned(),
        |t| format!("{} (pid {})", t.name, t.pid),
    );
    let mut evidence: Vec<String> = owners.iter().map(|o| state_line(o)).collect();
    evidence.extend(
        owners
            .iter()
            .filter_map(|o| o.tracer.as_ref().map(|t| (o, t)))
            .map(|(o, t)| format!("/proc/{}/status: TracerPid {} ({})", o.pid, t.pid, t.name)),
    );
    evidence.extend(listens_lines(&listeners));
    Some(finding(
        Code::ProcessTraced,
        Severity::Error,
        format!(
            "{} (pid {}) is held by {debugger}: it accepts nothing while it is stopped at a breakpoint or just attached",
            first.name, first.pid
        ),
        format!(
            "Let it run in the debugger: `continue` (gdb, lldb), or `detach` / quit the debugger. If nobody is debugging it, end {debugger}; `kill -CONT {}` resumes it after a detach.",
            pids(&owners)
        ),
        evidence,
    ))
}

pub(super) fn process_stopped(e: &Evidence) -> Option<Finding> {
    let (listeners, owners) = holders(e)?;
    if !owners
        .iter()
        .all(|o| o.state == State::Stopped && o.tracer.is_none())
    {
        return None;
    }
    let first = owners[0];
    let mut evidence: Vec<String> = owners.iter().map(|o| state_line(o)).collect();
    evidence.extend(listens_lines(&listeners));
    Some(finding(
        Code::ProcessStopped,
        Severity::Error,
        format!(
            "{} (pid {}) is stopped (Ctrl-Z or SIGSTOP): the kernel queues connections, nobody accepts them",
            first.name, first.pid
        ),
        format!(
            "Resume it: `fg` in the terminal where it was suspended (Ctrl-Z), or `kill -CONT {}`.",
            pids(&owners)
        ),
        evidence,
    ))
}

fn forward(e: &Evidence) -> Option<&Forward> {
    behind(e)?.forward.as_ref()
}

/// "socat (pid 31) forwards port 8080 to 127.0.0.1:9000".
fn forwards_line(e: &Evidence, f: &Forward) -> String {
    format!(
        "{} (pid {}) forwards port {} to {}",
        f.route.forwarder.name(),
        f.pid,
        e.port.unwrap_or_default(),
        f.route.destination.address()
    )
}

/// The far end's connect, when it was made and got that far.
fn far_result(e: &Evidence) -> Option<(&Forward, &protocol::AddressResult)> {
    let f = forward(e)?;
    match &f.far_end {
        Some(Ok(result)) => Some((f, result)),
        _ => None,
    }
}

fn far_evidence(e: &Evidence, f: &Forward, result: &protocol::AddressResult) -> Vec<String> {
    vec![
        forwards_line(e, f),
        format!(
            "{}: {}",
            result.addr,
            result
                .error
                .as_deref()
                .unwrap_or("open, but nothing answered through the forwarder")
        ),
    ]
}

pub(super) fn forward_target_refused(e: &Evidence) -> Option<Finding> {
    let (f, result) = far_result(e)?;
    if result.outcome != Outcome::Refused {
        return None;
    }
    let far = f.route.destination.address();
    let (summary, fix) = match f.route.forwarder {
        Forwarder::DockerProxy => (
            format!("docker-proxy accepted, but the container's end {far} refuses"),
            format!(
                "Inside the container the app must run and listen on 0.0.0.0 (not 127.0.0.1) on port {}: `docker ps --filter publish={}` names the container, `docker logs CONTAINER` says why it does not.",
                port_of(&f.route.destination),
                e.port.unwrap_or_default()
            ),
        ),
        forwarder => (
            format!(
                "{} accepted, but its far end {far} refuses",
                forwarder.name()
            ),
            format!(
                "Start the service that should listen on {far}, or point {} at the port it really uses (`portdoctor check {far}` says more).",
                forwarder.name()
            ),
        ),
    };
    Some(finding(
        Code::ForwardTargetRefused,
        Severity::Error,
        summary,
        fix,
        far_evidence(e, f, result),
    ))
}

fn port_of(d: &Destination) -> u16 {
    let (Destination::Here { port, .. } | Destination::Elsewhere { port, .. }) = d;
    *port
}

pub(super) fn forward_target_unreachable(e: &Evidence) -> Option<Finding> {
    let f = forward(e)?;
    let far = f.route.destination.address();
    let (evidence, why) = match f.far_end.as_ref()? {
        Err(why) => (vec![forwards_line(e, f), why.clone()], "does not resolve"),
        Ok(result) if matches!(result.outcome, Outcome::Refused | Outcome::Open) => return None,
        Ok(result) => (far_evidence(e, f, result), "does not answer"),
    };
    let fix = match f.route.forwarder {
        Forwarder::DockerProxy => format!(
            "The container is probably stopped or its network is gone: `docker ps -a --filter publish={}` shows its state; start it again (`docker start CONTAINER`), or recreate it if its address changed.",
            e.port.unwrap_or_default()
        ),
        forwarder => format!(
            "Check that {far} is the right destination and is up (a firewall may drop it): fix {}'s command line, or start what should be there.",
            forwarder.name()
        ),
    };
    Some(finding(
        Code::ForwardTargetUnreachable,
        Severity::Error,
        format!(
            "{} accepted, but its far end {far} {why}",
            f.route.forwarder.name()
        ),
        fix,
        evidence,
    ))
}

pub(super) fn forward_target_silent(e: &Evidence) -> Option<Finding> {
    let (f, result) = far_result(e)?;
    let silent = e.service.as_ref().is_some_and(|s| s.silent);
    if result.outcome != Outcome::Open || !silent {
        return None;
    }
    let far = f.route.destination.address();
    // As silent-service: a failure when a protocol was asked for, else it may
    // be one portdoctor does not know.
    let asked = e.scheme.is_some() || e.expect.is_some();
    Some(finding(
        Code::ForwardTargetSilent,
        if asked {
            Severity::Error
        } else {
            Severity::Warning
        },
        format!(
            "{} relays to {far}, which accepts but says nothing either: the silence comes from there",
            f.route.forwarder.name()
        ),
        format!(
            "Look at the service at {far}, not at the forwarder: its log, whether it is still starting or stuck (`portdoctor check {far}`)."
        ),
        far_evidence(e, f, result),
    ))
}

pub(super) fn forward_target_remote(e: &Evidence) -> Option<Finding> {
    let f = forward(e)?;
    let Destination::Elsewhere { host, port, from } = &f.route.destination else {
        return None;
    };
    if !accepted_then_nothing(e) {
        return None;
    }
    let far = f.route.destination.address();
    let fix = match f.route.forwarder {
        Forwarder::Kubectl => format!(
            "The pod's side refuses or is gone: `kubectl port-forward` prints the error in its terminal; check that the pod runs and its app listens on port {port} (`kubectl get pods`, `kubectl logs POD`)."
        ),
        _ => format!(
            "ssh prints \"open failed: connect failed\" in its terminal when that end refuses: on {from}, check that {host} answers on port {port} (`nc -z {host} {port}`), and start the service there."
        ),
    };
    Some(finding(
        Code::ForwardTargetRemote,
        Severity::Error,
        format!(
            "{} accepts, then closes at once: {far}, reached from {from}, does not take the connection",
            f.route.forwarder.name()
        ),
        fix,
        vec![
            forwards_line(e, f),
            "the connection opened, then closed before anything was said".to_owned(),
            format!("{far} is resolved by {from}, so portdoctor cannot check it from here"),
        ],
    ))
}

pub(super) fn socket_activation_failed(e: &Evidence) -> Option<Finding> {
    let a = behind(e)?.activation.as_ref()?;
    if !accepted_then_nothing(e) {
        return None;
    }
    let port = e.port?;
    let (summary, fix) = match (a.manager, &a.command, &a.unit) {
        (Manager::SocketActivate, Some(command), _) => (
            format!(
                "systemd-socket-activate (pid {}) holds port {port} and starts `{command}` for it, which closes the connection without a word: the service fails",
                a.pid
            ),
            format!(
                "Run `{command}` by hand to see its error. As a systemd unit: `systemctl status UNIT` and `journalctl -u UNIT -e` show why it fails."
            ),
        ),
        (Manager::Launchd, _, _) => (
            format!(
                "launchd holds port {port} for a job, and the job closes the connection without a word: it fails to start"
            ),
            format!(
                "`sudo lsof -nP -iTCP:{port}` and `launchctl list` name the job; `launchctl print system/LABEL` shows its last exit status, and its log says why."
            ),
        ),
        (Manager::Systemd, _, Some(unit)) => {
            let service = if unit.activates.is_empty() {
                unit.socket.clone()
            } else {
                unit.activates.clone()
            };
            (
                format!(
                    "systemd holds port {port} for {}, and {service}, which it starts, closes the connection without a word: it fails",
                    unit.socket
                ),
                format!(
                    "`systemctl status {service}` and `journalctl -u {service} -e` show why it fails; `systemctl status {}` shows the socket.",
                    unit.socket
                ),
            )
        }
        _ => (
            format!(
                "systemd holds port {port} for a socket unit, and the service it starts closes the connection without a word: it fails"
            ),
            format!(
                "`systemctl list-sockets --all | grep :{port}` names the socket unit and the service it starts; then `systemctl status UNIT` and `journalctl -u UNIT -e` show why it fails."
            ),
        ),
    };
    Some(finding(
        Code::SocketActivationFailed,
        Severity::Error,
        summary,
        fix,
        vec![
            format!(
                "pid {} holds port {port} and starts the service on connect",
                a.pid
            ),
            "the connection opened, then closed before anything was said".to_owned(),
        ],
    ))
}

pub(super) fn process_starting(e: &Evidence) -> Option<Finding> {
    let (_, owners) = holders(e)?;
    // A forwarder's or a service manager's silence is about what is behind it.
    let found = behind(e)?;
    let silent = e.service.as_ref().is_some_and(|s| s.silent)
        && found.forward.is_none()
        && found.activation.is_none();
    let young = owners
        .iter()
        .filter(|o| matches!(o.state, State::Running | State::Sleeping | State::Waiting))
        .filter_map(|o| Some((o, o.age?)))
        .filter(|(_, age)| *age < STARTING)
        .min_by_key(|(_, age)| *age);
    // Not accepting yet: identification's connections still wait in the
    // queue. A server that accepts and says nothing is silent-service.
    let waiting: Vec<&Listener> = found
        .after_probes
        .iter()
        .filter(|l| tried(e).any(|a| covers(l, a)))
        .filter(|l| l.queue.is_some_and(|q| q.current > 0))
        .collect();
    let (first, age) = young.filter(|_| silent && !waiting.is_empty())?;
    let mut evidence = vec![format!(
        "{} (pid {}) started {:.1} s ago",
        first.name,
        first.pid,
        age.as_secs_f64()
    )];
    evidence.extend(listens_lines(&waiting));
    Some(finding(
        Code::ProcessStarting,
        // Not accepting is not working, even if it soon will be.
        Severity::Error,
        format!(
            "{} (pid {}) started {:.1} s ago and says nothing yet: it is probably still initialising",
            first.name,
            first.pid,
            age.as_secs_f64()
        ),
        format!(
            "Wait a moment and check again: `portdoctor wait {}:{}` checks until it answers. If it stays silent, its log says what it waits for.",
            e.host,
            e.port.unwrap_or_default()
        ),
        evidence,
    ))
}

/// For `localhost-single-family` (a row of the main table): the hosts file
/// lines that map localhost, quoted, since they decide which family a
/// client other than a browser tries.
pub(super) fn hosts_lines(e: &Evidence) -> Vec<String> {
    behind(e).map_or_else(Vec::new, |b| {
        b.hosts
            .iter()
            .map(|l| {
                format!(
                    "{} line {}: {}",
                    crate::behind::hosts::PATH,
                    l.number,
                    l.text
                )
            })
            .collect()
    })
}

#[cfg(test)]
mod tests;
