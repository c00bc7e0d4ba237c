//! One test per row of the table, each with a literal piece of evidence.

use std::net::SocketAddr;

use protocol::{AddressResult, Code, Outcome, Severity, UNKNOWN_OWNER, Verdict};
use socket_table::{Listener, Process, Queue};

use crate::connect::family;
use crate::diagnose::{Attempt, Evidence, Problem, diagnose, verdict};
use crate::interfaces::Interface;
use crate::platform::Os;
use crate::programs::Program;
use crate::resolve::ResolveError;
use crate::target::{self, TargetError};

pub(super) fn evidence(host: &str, port: u16) -> Evidence {
    Evidence {
        input: format!("{host}:{port}"),
        host: host.to_owned(),
        port: Some(port),
        listeners: Some(Ok(Vec::new())),
        ..Evidence::default()
    }
}

impl Evidence {
    pub(super) fn tried(mut self, addr: &str, outcome: Outcome) -> Self {
        let addr: SocketAddr = addr.parse().unwrap();
        self.attempts.push(Attempt {
            addr,
            result: AddressResult {
                addr: addr.to_string(),
                family: family(&addr),
                outcome,
                elapsed_us: 120,
                error: (outcome != Outcome::Open).then(|| format!("{outcome:?}")),
            },
        });
        self
    }

    pub(super) fn listening(mut self, local: &str, queue: Option<(u32, u32)>) -> Self {
        let listener = Listener {
            local: local.parse().unwrap(),
            queue: queue.map(|(current, max)| Queue { current, max }),
            uid: Some(1000),
            user: Some("alice".into()),
            processes: vec![Process {
                pid: 4242,
                name: "python3".into(),
            }],
        };
        if let Some(Ok(l)) = &mut self.listeners {
            l.push(listener);
        }
        self
    }
}

impl Evidence {
    /// An address of an interface of this machine (`None` leaves the list unread).
    pub(super) fn interface(mut self, name: &str, ip: &str, up: bool) -> Self {
        let interface = Interface {
            name: name.into(),
            ip: ip.parse().unwrap(),
            up,
        };
        match &mut self.interfaces {
            Some(Ok(list)) => list.push(interface),
            _ => self.interfaces = Some(Ok(vec![interface])),
        }
        self
    }
}

pub(super) fn codes(e: &Evidence) -> Vec<(Code, Severity)> {
    diagnose(e).iter().map(|f| (f.code, f.severity)).collect()
}

pub(super) fn only(e: &Evidence, code: Code) -> protocol::Finding {
    let findings = diagnose(e);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].code, code, "{findings:#?}");
    assert!(!findings[0].fix.is_empty());
    assert!(!findings[0].evidence.is_empty());
    findings[0].clone()
}

/// A working server with one more finding: `code` at `severity` beside
/// the ok finding, and the verdict still reachable. Returns that finding.
pub(super) fn beside_reachable(e: &Evidence, code: Code, severity: Severity) -> protocol::Finding {
    assert_eq!(
        codes(e),
        vec![(code, severity), (Code::Reachable, Severity::Ok)]
    );
    let findings = diagnose(e);
    assert_eq!(verdict(e, &findings), Verdict::Reachable);
    findings[0].clone()
}

fn unusable(input: &str) -> Evidence {
    let err = target::parse(input).and_then(target::validate).unwrap_err();
    Evidence {
        input: input.to_owned(),
        problem: Some(Problem::Target(err)),
        ..Evidence::default()
    }
}

#[test]
fn reachable_when_an_address_accepts_and_nothing_is_wrong() {
    let e = evidence("127.0.0.1", 8080)
        .tried("127.0.0.1:8080", Outcome::Open)
        .listening("127.0.0.1:8080", Some((0, 128)));
    let f = only(&e, Code::Reachable);
    assert_eq!(f.severity, Severity::Ok);
    assert!(f.summary.contains("python3 (pid 4242)"), "{}", f.summary);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Reachable);
}

#[test]
fn port_out_of_range_explains_the_limit_and_suggests() {
    let e = unusable("localhost:619009");
    let f = only(&e, Code::PortOutOfRange);
    assert!(f.summary.contains("65535"), "{}", f.summary);
    assert!(f.summary.contains("61900"), "{}", f.summary);
    assert!(f.fix.contains("61900"), "{}", f.fix);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Invalid);
}

#[test]
fn invalid_target_says_what_was_wrong() {
    let e = unusable("localhost:http");
    let f = only(&e, Code::InvalidTarget);
    assert!(f.summary.contains("not a number"), "{}", f.summary);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Invalid);
}

#[test]
fn name_not_resolved() {
    let e = Evidence {
        host: "db.internal".into(),
        problem: Some(Problem::Resolve(ResolveError::NotFound {
            host: "db.internal".into(),
            reason: "Name or service not known".into(),
        })),
        ..Evidence::default()
    };
    let f = only(&e, Code::NameNotResolved);
    assert!(f.summary.contains("db.internal"));
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Invalid);
}

#[test]
fn localhost_not_loopback() {
    let e = evidence("localhost", 80).tried("10.1.2.3:80", Outcome::NotAllowed);
    let found = codes(&e);
    assert_eq!(found[0].0, Code::LocalhostNotLoopback);
    assert!(found.contains(&(Code::TargetNotAllowed, Severity::Error)));
}

#[test]
fn target_not_allowed_names_the_flag() {
    let e = evidence("192.0.2.7", 80).tried("192.0.2.7:80", Outcome::NotAllowed);
    let f = only(&e, Code::TargetNotAllowed);
    assert!(f.fix.contains("--allow-target 192.0.2.7"), "{}", f.fix);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Invalid);
}

#[test]
fn nothing_listening_when_refused_everywhere_and_no_listener() {
    let e = evidence("localhost", 8080)
        .tried("[::1]:8080", Outcome::Refused)
        .tried("127.0.0.1:8080", Outcome::Refused);
    let f = only(&e, Code::NothingListening);
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.evidence
            .iter()
            .any(|l| l.contains("no TCP listener on port 8080"))
    );
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Unreachable);
}

#[test]
fn listening_other_family_v6_only_server_v4_client() {
    let e = evidence("127.0.0.1", 8000)
        .tried("127.0.0.1:8000", Outcome::Refused)
        .listening("[::1]:8000", None);
    let f = only(&e, Code::ListeningOtherFamily);
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.summary.contains("IPv6 only ([::1]:8000)"),
        "{}",
        f.summary
    );
    assert!(f.fix.contains("127.0.0.1"), "{}", f.fix);
    assert!(f.evidence.iter().any(|l| l.contains("python3 (pid 4242)")));
}

#[test]
fn listening_other_family_is_a_note_when_the_other_address_works() {
    let e = evidence("localhost", 8000)
        .tried("[::1]:8000", Outcome::Refused)
        .tried("127.0.0.1:8000", Outcome::Open)
        .listening("127.0.0.1:8000", None);
    beside_reachable(&e, Code::ListeningOtherFamily, Severity::Info);
}

#[test]
fn wildcard_listener_of_the_other_family_is_still_the_other_family() {
    // A v6-only `[::]` socket does not take IPv4 connections.
    let e = evidence("127.0.0.1", 8000)
        .tried("127.0.0.1:8000", Outcome::Refused)
        .listening("[::]:8000", None);
    assert_eq!(
        codes(&e),
        vec![
            (Code::ListeningOtherFamily, Severity::Error),
            (Code::ExposedToNetwork, Severity::Warning)
        ]
    );
}

#[test]
fn listening_other_address() {
    let e = evidence("127.0.0.1", 5432)
        .tried("127.0.0.1:5432", Outcome::Refused)
        .listening("192.168.1.20:5432", None);
    let f = only(&e, Code::ListeningOtherAddress);
    assert!(f.summary.contains("192.168.1.20"), "{}", f.summary);
    assert!(f.fix.contains("192.168.1.20:5432"), "{}", f.fix);
}

#[test]
fn filtered_when_a_timeout_meets_no_listener() {
    let e = evidence("127.0.0.1", 9999).tried("127.0.0.1:9999", Outcome::Timeout);
    let f = only(&e, Code::Filtered);
    assert!(f.fix.contains("firewall"), "{}", f.fix);
    assert!(f.fix.contains(Os::CURRENT.firewall_rules()), "{}", f.fix);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Unreachable);
}

#[test]
fn unresponsive_when_a_timeout_meets_a_listener() {
    let e = evidence("127.0.0.1", 9999)
        .tried("127.0.0.1:9999", Outcome::Timeout)
        .listening("127.0.0.1:9999", Some((3, 3)));
    let f = only(&e, Code::ServiceUnresponsive);
    assert!(f.summary.contains("python3 (pid 4242)"), "{}", f.summary);
    assert!(f.evidence.iter().any(|l| l.contains("accept queue")));
}

#[test]
fn an_owner_the_os_hid_reads_as_unknown_with_the_command_that_names_it() {
    let mut e = evidence("127.0.0.1", 9999)
        .tried("127.0.0.1:9999", Outcome::Timeout)
        .listening("127.0.0.1:9999", Some((3, 3)));
    if let Some(Ok(listeners)) = &mut e.listeners {
        listeners[0].processes.clear();
    }
    let f = only(&e, Code::ServiceUnresponsive);
    let owner = format!("{UNKNOWN_OWNER} ({})", Os::CURRENT.see_every_owner());
    assert!(f.summary.contains(&owner), "{}", f.summary);
    assert!(!f.summary.contains("(pid"), "{}", f.summary);
}

#[test]
fn unresponsive_outranks_reachable_when_the_queue_is_full() {
    let e = evidence("127.0.0.1", 9999)
        .tried("127.0.0.1:9999", Outcome::Open)
        .listening("127.0.0.1:9999", Some((129, 128)));
    assert_eq!(
        codes(&e),
        vec![(Code::ServiceUnresponsive, Severity::Error)]
    );
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Degraded);
}

#[test]
fn connection_reset() {
    let e = evidence("127.0.0.1", 7000)
        .tried("127.0.0.1:7000", Outcome::Reset)
        .listening("127.0.0.1:7000", None);
    only(&e, Code::ConnectionReset);
}

#[test]
fn unreadable_socket_table_still_diagnoses_refusals() {
    let mut e = evidence("127.0.0.1", 8080).tried("127.0.0.1:8080", Outcome::Refused);
    e.listeners = Some(Err("permission denied".into()));
    let f = only(&e, Code::NothingListening);
    assert!(f.evidence.iter().any(|l| l.contains("permission denied")));
}

#[test]
fn loopback_down_names_the_interface_and_the_command() {
    // A fresh network namespace: `lo` is down and carries no address.
    let mut e = evidence("localhost", 8080)
        .tried("127.0.0.1:8080", Outcome::Unreachable)
        .tried("[::1]:8080", Outcome::Error)
        .interface("eth0", "192.0.2.2", true);
    e.attempts[0].result.error = Some("Network is unreachable (os error 101)".into());
    let f = only(&e, Code::LoopbackDown);
    assert!(f.fix.contains("`ip link set lo up`"), "{}", f.fix);
    assert!(f.fix.contains("`ifconfig lo0 up`"), "{}", f.fix);
    assert!(
        f.evidence
            .contains(&"127.0.0.1:8080: Network is unreachable (os error 101)".to_owned()),
        "{:?}",
        f.evidence
    );
    assert!(
        f.evidence
            .contains(&"interfaces up: eth0 (192.0.2.2)".to_owned())
    );
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Unreachable);
    // For a docs page on an allowed origin: the names, no addresses.
    e.audience = crate::Audience::Embed;
    assert!(
        only(&e, Code::LoopbackDown)
            .evidence
            .contains(&"interfaces up: eth0".to_owned())
    );

    // Loopback up: an unreachable address is something else.
    let e = evidence("127.0.0.1", 8080)
        .tried("127.0.0.1:8080", Outcome::Unreachable)
        .interface("lo", "127.0.0.1", true);
    assert!(!codes(&e).iter().any(|(c, _)| *c == Code::LoopbackDown));
}

#[test]
fn a_wildcard_target_is_checked_as_loopback_with_a_note() {
    let raw = target::parse("0.0.0.0:8080").unwrap();
    let t = target::validate(raw).unwrap();
    let mut e = evidence(&t.host, t.port)
        .tried("127.0.0.1:8080", Outcome::Open)
        .listening("0.0.0.0:8080", None)
        .interface("lo", "127.0.0.1", true);
    e.input = "0.0.0.0:8080".into();
    e.wildcard = t.wildcard;
    let found = diagnose(&e);
    let note = found
        .iter()
        .find(|f| f.code == Code::WildcardTarget)
        .expect("a note");
    assert_eq!(note.severity, Severity::Info);
    assert!(
        note.summary.contains("127.0.0.1:8080 was checked"),
        "{}",
        note.summary
    );
    assert!(
        found.iter().any(|f| f.code == Code::Reachable),
        "{found:#?}"
    );
    assert_eq!(verdict(&e, &found), Verdict::Reachable);
}

#[test]
fn localhost_of_one_family_blames_the_hosts_file() {
    let mut e = evidence("localhost", 8000)
        .tried("127.0.0.1:8000", Outcome::Refused)
        .listening("[::1]:8000", None);
    let f = only(&e, Code::LocalhostSingleFamily);
    assert_eq!(
        f.summary,
        "localhost resolves only to 127.0.0.1 here (hosts file), and the server listens on IPv6 only ([::1]:8000)"
    );
    assert!(f.fix.contains("with its host/bind option"), "{}", f.fix);
    // A server we know gets its own flag.
    e.programs.push((4242, Program::PythonHttpServer));
    let f = only(&e, Code::LocalhostSingleFamily);
    assert!(
        f.fix
            .contains("listen on 127.0.0.1: `python3 -m http.server --bind 127.0.0.1 8000`"),
        "{}",
        f.fix
    );
    // Typed as an address, it is not the hosts file's doing.
    let e = evidence("127.0.0.1", 8000)
        .tried("127.0.0.1:8000", Outcome::Refused)
        .listening("[::1]:8000", None);
    only(&e, Code::ListeningOtherFamily);
}

#[test]
fn findings_never_contradict() {
    // A refusal on one family plus an open address: no `nothing-listening`.
    let e = evidence("localhost", 8000)
        .tried("[::1]:8000", Outcome::Refused)
        .tried("127.0.0.1:8000", Outcome::Open);
    let found = codes(&e);
    assert!(
        !found.iter().any(|(c, _)| *c == Code::NothingListening),
        "{found:?}"
    );
}

#[test]
fn out_of_range_is_not_invalid_target() {
    let e = unusable("65536");
    assert!(matches!(
        e.problem,
        Some(Problem::Target(TargetError::PortOutOfRange { .. }))
    ));
    assert_eq!(codes(&e), vec![(Code::PortOutOfRange, Severity::Error)]);
}
