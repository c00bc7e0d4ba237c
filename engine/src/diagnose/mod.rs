//! The last stage: evidence in, findings out.
//!
//! Every earlier stage records what it saw in an [`Evidence`]; the rules in
//! [`rules`] read it like a troubleshooting table and never do I/O, so each
//! rule can be tested with a literal piece of evidence.

mod rules;

pub(crate) use rules::loopback_down_finding as loopback_down;

use std::net::SocketAddr;

use protocol::{AddressResult, Finding, Outcome, Severity, Verdict};
use socket_table::Listener;

use super::interfaces::Interface;
use super::mcp::{Failure, McpEvidence};
use super::programs::Program;
use super::resolve::ResolveError;
use super::target::TargetError;

/// Everything a check found out, stage by stage.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The text the user gave.
    pub input: String,
    /// Host as typed, or the loopback address a wildcard stands for (empty
    /// when the input could not be read).
    pub host: String,
    /// The validated port.
    pub port: Option<u16>,
    /// The wildcard address typed (`0.0.0.0`), when `host` is the loopback
    /// address checked in its place.
    pub wildcard: Option<std::net::IpAddr>,
    /// Why the check stopped before connecting, if it did.
    pub problem: Option<Problem>,
    /// One per resolved address, in resolver order.
    pub attempts: Vec<Attempt>,
    /// Listeners on the target port; `Err` when the socket table is unreadable.
    pub listeners: Option<Result<Vec<Listener>, String>>,
    /// Server programs we know among the listeners' processes, by pid.
    pub programs: Vec<(u32, Program)>,
    /// This machine's interfaces; `Err` when they could not be read.
    pub interfaces: Option<Result<Vec<Interface>, String>>,
    /// What the MCP stage found; `None` when it did not run or had nothing to say.
    pub mcp: Option<McpEvidence>,
    /// The URL scheme and path the user gave, if any.
    pub scheme: Option<String>,
    pub path: Option<String>,
    /// The protocol the user expects (`--expect`).
    pub expect: Option<protocol::ServiceProtocol>,
    /// What identification found on the first open address.
    pub service: Option<super::identify::Identified>,
    /// What holds the port: owners' states, a forward, socket activation.
    pub behind: Option<super::behind::Behind>,
    /// Who reads the findings: an embed gets no interface addresses.
    pub audience: super::Audience,
}

#[derive(Debug, Clone)]
pub enum Problem {
    Target(TargetError),
    Resolve(ResolveError),
}

/// A connect attempt to one address and what came of it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub addr: SocketAddr,
    pub result: AddressResult,
}

impl Evidence {
    fn attempts_with(&self, outcome: Outcome) -> impl Iterator<Item = &Attempt> {
        self.attempts
            .iter()
            .filter(move |a| a.result.outcome == outcome)
    }

    fn any_open(&self) -> bool {
        self.attempts_with(Outcome::Open).next().is_some()
    }

    /// Something answered: an address accepted, or a started server spoke MCP.
    fn reached(&self) -> bool {
        self.any_open()
            || self
                .mcp
                .as_ref()
                .is_some_and(|m| m.process.is_some() && m.found.is_some())
    }

    /// The server program behind `listener`, when it is one we know.
    fn program(&self, listener: &Listener) -> Option<Program> {
        let pid = listener.processes.first()?.pid;
        self.programs
            .iter()
            .find(|(p, _)| *p == pid)
            .map(|(_, program)| *program)
    }

    /// Listeners on the port, when the socket table could be read.
    fn known_listeners(&self) -> Option<&[Listener]> {
        match &self.listeners {
            Some(Ok(l)) => Some(l),
            _ => None,
        }
    }
}

/// All findings that apply, most important first.
pub fn diagnose(evidence: &Evidence) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::PROBLEMS
        .iter()
        .filter_map(|rule| rule(evidence))
        .collect();
    // Working unless a rule found an error: warnings are advice about a
    // working server, so the ok findings stay next to them, and findings
    // never contradict.
    if !failing(&findings) {
        findings.extend(rules::mcp_ok(evidence));
        findings.extend(rules::reachable(evidence));
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// A finding of severity error applies: what makes an answering server `degraded`.
fn failing(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// The verdict, as documented on [`Verdict`]: warnings never make it worse
/// than `reachable`.
pub fn verdict(evidence: &Evidence, findings: &[Finding]) -> Verdict {
    let bad_config = evidence
        .mcp
        .as_ref()
        .is_some_and(|m| matches!(m.failure, Some(Failure::BadConfig(_))));
    if evidence.problem.is_some()
        || bad_config
        || (!evidence.attempts.is_empty()
            && evidence
                .attempts
                .iter()
                .all(|a| a.result.outcome == Outcome::NotAllowed))
    {
        Verdict::Invalid
    } else if !evidence.reached() {
        Verdict::Unreachable
    } else if failing(findings) {
        Verdict::Degraded
    } else {
        Verdict::Reachable
    }
}
