//! One test per row about what is behind the port, each with the literal
//! evidence the stage reads from a real process of that kind.

use std::time::Duration;

use protocol::{AddressResult, Code, Family, Outcome, Severity};

use crate::behind::activation::{Activation, Manager, SocketUnit};
use crate::behind::forward::{Destination, Forwarder, Route};
use crate::behind::hosts;
use crate::behind::process::{Owner, State, Tracer};
use crate::behind::{Behind, Forward};
use crate::diagnose::Evidence;
use crate::diagnose::rules::tests::{codes, evidence, only};
use crate::identify::Identified;

/// A silent bare port with nothing behind to explain it: advice, still reachable.
const SILENT: [(Code, Severity); 2] = [
    (Code::SilentService, Severity::Warning),
    (Code::Reachable, Severity::Ok),
];

fn owner(state: State) -> Owner {
    Owner {
        pid: 4242,
        name: "python3".into(),
        state,
        tracer: None,
        age: Some(Duration::from_secs(3600)),
        cmdline: vec!["python3".into(), "-m".into(), "http.server".into()],
    }
}

/// An open, silent port held by pid 4242, with this behind it.
fn silent_port(behind: Behind) -> Evidence {
    let mut e = evidence("127.0.0.1", 8080)
        .tried("127.0.0.1:8080", Outcome::Open)
        .listening("127.0.0.1:8080", Some((3, 5)));
    e.service = Some(Identified {
        silent: true,
        ..Identified::default()
    });
    e.behind = Some(behind);
    e
}

fn with_owner(o: Owner) -> Behind {
    Behind {
        owners: vec![o],
        ..Behind::default()
    }
}

fn forwarding(forwarder: Forwarder, destination: Destination, far: Option<Outcome>) -> Behind {
    let addr = destination.address();
    Behind {
        forward: Some(Forward {
            pid: 4242,
            route: Route {
                forwarder,
                destination,
            },
            far_end: far.map(|outcome| {
                Ok(AddressResult {
                    addr,
                    family: Family::Ipv4,
                    outcome,
                    elapsed_us: 80,
                    error: (outcome != Outcome::Open).then(|| format!("{outcome:?}")),
                })
            }),
        }),
        ..with_owner(owner(State::Sleeping))
    }
}

fn here(host: &str, port: u16) -> Destination {
    Destination::Here {
        host: host.into(),
        port,
    }
}

#[test]
fn a_stopped_owner_is_process_stopped_not_silent_service() {
    let f = only(
        &silent_port(with_owner(owner(State::Stopped))),
        Code::ProcessStopped,
    );
    assert_eq!(f.severity, Severity::Error);
    assert!(f.fix.contains("kill -CONT 4242"), "{f:#?}");
    assert!(f.evidence.iter().any(|l| l.contains("state T")));
}

#[test]
fn a_traced_owner_names_its_debugger() {
    let mut o = owner(State::Traced);
    o.tracer = Some(Tracer {
        pid: 77,
        name: "gdb".into(),
    });
    let f = only(&silent_port(with_owner(o)), Code::ProcessTraced);
    assert!(f.summary.contains("gdb (pid 77)"), "{f:#?}");
    // Traced but running (strace): not a finding of its own.
    let mut o = owner(State::Sleeping);
    o.tracer = Some(Tracer {
        pid: 77,
        name: "strace".into(),
    });
    assert_eq!(codes(&silent_port(with_owner(o))), SILENT);
}

#[test]
fn a_young_silent_owner_is_process_starting_an_old_one_silent_service() {
    let mut o = owner(State::Sleeping);
    o.age = Some(Duration::from_millis(800));
    let mut behind = with_owner(o);
    let accepting = silent_port(behind.clone());
    behind.after_probes = accepting.known_listeners().unwrap().to_vec();
    let f = only(&silent_port(behind.clone()), Code::ProcessStarting);
    assert!(f.summary.contains("0.8 s ago"), "{f:#?}");
    assert!(f.fix.contains("portdoctor wait 127.0.0.1:8080"));
    assert!(
        f.evidence
            .iter()
            .any(|l| l.contains("3 connections waiting"))
    );
    // Young, but it accepts (the queue is empty after the probes): silent.
    behind.after_probes[0].queue = Some(socket_table::Queue { current: 0, max: 5 });
    assert_eq!(codes(&silent_port(behind)), SILENT);
    assert_eq!(codes(&accepting), SILENT);
    let old = silent_port(with_owner(owner(State::Sleeping)));
    assert_eq!(codes(&old), SILENT);
}

#[test]
fn a_refused_far_end_is_forward_target_refused_with_the_container_fix() {
    let behind = forwarding(
        Forwarder::DockerProxy,
        here("172.17.0.2", 80),
        Some(Outcome::Refused),
    );
    let f = only(&silent_port(behind), Code::ForwardTargetRefused);
    assert!(f.summary.contains("172.17.0.2:80"));
    assert!(
        f.fix.contains("0.0.0.0 (not 127.0.0.1) on port 80"),
        "{f:#?}"
    );
    assert!(f.fix.contains("docker ps --filter publish=8080"));
    let behind = forwarding(
        Forwarder::Socat,
        here("127.0.0.1", 9000),
        Some(Outcome::Refused),
    );
    assert!(
        only(&silent_port(behind), Code::ForwardTargetRefused)
            .fix
            .contains("point socat")
    );
}

#[test]
fn a_silent_or_gone_far_end() {
    let behind = forwarding(
        Forwarder::Socat,
        here("127.0.0.1", 9000),
        Some(Outcome::Timeout),
    );
    only(&silent_port(behind), Code::ForwardTargetUnreachable);
    let behind = forwarding(
        Forwarder::Socat,
        here("127.0.0.1", 9000),
        Some(Outcome::Open),
    );
    let mut e = silent_port(behind);
    assert_eq!(
        codes(&e),
        [
            (Code::ForwardTargetSilent, Severity::Warning),
            (Code::Reachable, Severity::Ok)
        ]
    );
    e.scheme = Some("http".into());
    only(&e, Code::ForwardTargetSilent);
    let mut behind = forwarding(Forwarder::Socat, here("db.invalid", 5432), None);
    behind.forward.as_mut().unwrap().far_end = Some(Err("\"db.invalid\" has no address".into()));
    let f = only(&silent_port(behind), Code::ForwardTargetUnreachable);
    assert!(f.summary.contains("does not resolve"));
}

#[test]
fn a_far_end_elsewhere_is_described_when_the_port_closes_at_once() {
    let ssh = Destination::Elsewhere {
        host: "db".into(),
        port: 5432,
        from: "the ssh server bastion".into(),
    };
    let f = only(
        &silent_port(forwarding(Forwarder::Ssh, ssh.clone(), None)),
        Code::ForwardTargetRemote,
    );
    assert!(f.fix.contains("on the ssh server bastion"), "{f:#?}");
    // A healthy forward says nothing.
    let mut fine = silent_port(forwarding(Forwarder::Ssh, ssh, None));
    fine.service = Some(Identified::default());
    assert_eq!(codes(&fine), [(Code::Reachable, Severity::Ok)]);
}

#[test]
fn a_socket_activated_port_that_closes_at_once_names_the_service() {
    let mut behind = with_owner(owner(State::Sleeping));
    behind.activation = Some(Activation {
        manager: Manager::SocketActivate,
        pid: 4242,
        command: Some("false".into()),
        unit: None,
    });
    let f = only(&silent_port(behind.clone()), Code::SocketActivationFailed);
    assert!(f.summary.contains("`false`"));
    behind.activation.as_mut().unwrap().manager = Manager::Systemd;
    let f = only(&silent_port(behind.clone()), Code::SocketActivationFailed);
    assert!(
        f.fix.contains("systemctl list-sockets --all | grep :8080"),
        "{f:#?}"
    );
    // Named by systemctl: the service it starts, and the socket unit.
    behind.activation.as_mut().unwrap().unit = Some(SocketUnit {
        socket: "web.socket".into(),
        activates: "web.service".into(),
    });
    let f = only(&silent_port(behind), Code::SocketActivationFailed);
    assert!(
        f.summary.contains("for web.socket, and web.service"),
        "{f:#?}"
    );
    assert!(
        f.fix.contains("`systemctl status web.service`")
            && f.fix.contains("`journalctl -u web.service -e`"),
        "{f:#?}"
    );
}

#[test]
fn localhost_single_family_quotes_the_hosts_file() {
    let mut e = evidence("localhost", 8000)
        .tried("127.0.0.1:8000", Outcome::Refused)
        .listening("[::1]:8000", None);
    e.behind = Some(Behind {
        hosts: hosts::localhost_lines("127.0.0.1 localhost\n::1 ip6-localhost\n"),
        ..with_owner(owner(State::Sleeping))
    });
    let f = only(&e, Code::LocalhostSingleFamily);
    assert!(
        f.evidence
            .contains(&format!("{} line 1: 127.0.0.1 localhost", hosts::PATH)),
        "{f:#?}"
    );
    assert!(f.fix.contains("Browsers treat localhost as both"));
}
