//! This machine's TCP listeners, with their owning processes and accept queues.
//!
//! What `ss -tlnp` shows, as data: the connect stage of a check says
//! "refused"; this table says whether anything listens at all, on which
//! address and family, who it is, and whether its accept queue is full.
//!
//! Linux reads the kernel's socket table through netlink sock_diag (the
//! interface `ss` uses), then maps socket inodes to processes via `/proc`.
//! Other systems get [`Error::Unsupported`] until a backend exists.

#[cfg(target_os = "linux")]
mod linux;

use std::net::SocketAddr;

/// A listening TCP socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The bound address: `127.0.0.1:8080`, `[::]:8080`.
    pub local: SocketAddr,
    /// Accept queue fill, where the OS exposes it.
    pub queue: Option<Queue>,
    pub uid: Option<u32>,
    /// The user name for `uid`, when the user database has one.
    pub user: Option<String>,
    /// Every process holding the socket (pre-fork servers share one), lowest
    /// pid first; empty when the OS does not let us see them.
    pub processes: Vec<Process>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    /// Connections the kernel completed that the process has not accepted.
    pub current: u32,
    /// The backlog the process asked for, as capped by the OS.
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// The short command name (`/proc/PID/comm` on Linux).
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot query the kernel's socket table over netlink: {0}; is /proc mounted and netlink allowed in this sandbox?"
    )]
    Netlink(#[source] std::io::Error),
    #[error("the kernel sent a socket table reply we cannot read: {0}")]
    Malformed(String),
    #[error(
        "listing listeners is not supported on {0} yet; use the system's own tool (netstat -anv, netstat -ano)"
    )]
    Unsupported(&'static str),
}

/// Every TCP listener, sorted by port, then address.
pub fn tcp_listeners() -> Result<Vec<Listener>, Error> {
    let mut listeners = backend()?;
    listeners.sort_by_key(|l| (l.local.port(), l.local.ip()));
    Ok(listeners)
}

#[cfg(target_os = "linux")]
use linux::tcp_listeners as backend;

#[cfg(not(target_os = "linux"))]
fn backend() -> Result<Vec<Listener>, Error> {
    Err(Error::Unsupported(std::env::consts::OS))
}
