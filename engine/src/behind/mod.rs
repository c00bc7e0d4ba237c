//! Stage: what is behind the port. The socket table names the processes
//! holding the listener; this stage asks their own records what they are
//! doing and where they send what they accept:
//!
//! - [`process`]: each owner's state (stopped, held by a debugger, just
//!   started), from `/proc`;
//! - [`forward`]: a forwarder's destination (docker-proxy, socat, `ssh -L`,
//!   `kubectl port-forward`), from its command line, and one connect to that
//!   far end when it is reachable from here;
//! - [`activation`]: a service manager holding the socket for a service it
//!   starts (systemd, `systemd-socket-activate`);
//! - [`hosts`]: for `localhost`, the hosts file lines that decide its addresses.
//!
//! The far end is connected to even when it is outside the target policy
//! (a container's 172.17.0.2): the forwarder the user asked about connects
//! there on every connection it accepts, so one more connect reaches nothing
//! new. It is only that address, once, and only after the user's own target
//! passed the policy and accepted. SECURITY.md has the reasoning.

pub mod activation;
pub mod forward;
pub mod hosts;
pub mod process;

use std::time::Duration;

use protocol::AddressResult;
use socket_table::Listener;

pub use activation::{Activation, Manager};
pub use forward::{Destination, Route};
pub use process::Owner;

/// What the stage needs from the earlier ones.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The host as typed: `localhost` gets its hosts file lines read.
    pub host: &'a str,
    pub port: u16,
    /// The listeners on the port, from the socket table.
    pub listeners: &'a [Listener],
    /// Whether an address accepted: only then is a forward's far end asked.
    pub accepted: bool,
    pub timeout: Duration,
}

/// What the stage found.
#[derive(Debug, Clone, Default)]
pub struct Behind {
    /// One per process holding a listener on the port.
    pub owners: Vec<Owner>,
    pub forward: Option<Forward>,
    pub activation: Option<Activation>,
    /// For `localhost`: the hosts file lines that map it.
    pub hosts: Vec<hosts::Line>,
    /// The listeners on the port read again after identification, whose
    /// probes a server that does not accept yet leaves in its accept queue.
    pub after_probes: Vec<Listener>,
}

/// A forwarder holding the port, and how its far end answered.
#[derive(Debug, Clone)]
pub struct Forward {
    pub pid: u32,
    pub route: Route,
    /// One connect to the destination: `None` when it is not reachable from
    /// here (the ssh server's side, inside a pod) or nothing accepted on the
    /// port; `Err` when its name does not resolve.
    pub far_end: Option<Result<AddressResult, String>>,
}

impl Forward {
    /// The report's view: where it forwards, and the one connect made there.
    pub fn to_report(&self) -> protocol::Forward {
        let (far_end, note) = match &self.far_end {
            Some(Ok(result)) => (Some(result.clone()), None),
            Some(Err(why)) => (None, Some(why.clone())),
            None => (
                None,
                Some(match &self.route.destination {
                    Destination::Elsewhere { from, .. } => {
                        format!("reached from {from}: not checked from here")
                    }
                    Destination::Here { .. } => {
                        "not checked: nothing accepted on the port".to_owned()
                    }
                }),
            ),
        };
        protocol::Forward {
            forwarder: self.route.forwarder.name().to_owned(),
            pid: self.pid,
            destination: self.route.destination.address(),
            from: match &self.route.destination {
                Destination::Elsewhere { from, .. } => Some(from.clone()),
                Destination::Here { .. } => None,
            },
            far_end,
            note,
        }
    }
}

/// Processes looked at per check: pre-forked servers share one socket
/// among many workers, and one of each kind tells the story.
const MAX_OWNERS: usize = 32;

pub async fn look(input: Input<'_>) -> Behind {
    let mut pids: Vec<u32> = input
        .listeners
        .iter()
        .flat_map(|l| l.processes.iter().map(|p| p.pid))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids.truncate(MAX_OWNERS);
    let owners: Vec<Owner> = pids.into_iter().filter_map(process::read).collect();
    let route = owners
        .iter()
        .find_map(|o| Some((o.pid, forward::route(&o.cmdline, input.port)?)));
    let forward = match route {
        Some((pid, route)) => Some(Forward {
            pid,
            far_end: far_end(&route.destination, input).await,
            route,
        }),
        None => None,
    };
    let mut activation = owners
        .iter()
        .find_map(|o| activation::of(o.pid, &o.name, &o.cmdline));
    if let Some(a) = activation
        .as_mut()
        .filter(|a| a.manager == Manager::Systemd)
    {
        a.unit = activation::systemd_unit(a.pid, input.port).await;
    }
    let after_probes = if input.accepted {
        crate::listeners::on_port(input.port)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let hosts = if input.host.eq_ignore_ascii_case("localhost") {
        hosts::read()
    } else {
        Vec::new()
    };
    Behind {
        owners,
        forward,
        activation,
        hosts,
        after_probes,
    }
}

/// One connect to a destination this machine reaches itself.
async fn far_end(
    destination: &Destination,
    input: Input<'_>,
) -> Option<Result<AddressResult, String>> {
    let Destination::Here { host, port } = destination else {
        return None;
    };
    if !input.accepted {
        return None;
    }
    let addr = match crate::resolve::resolve(host, *port).await {
        Ok(addrs) => addrs[0],
        Err(e) => return Some(Err(e.to_string())),
    };
    Some(Ok(crate::connect::connect(addr, input.timeout).await))
}
