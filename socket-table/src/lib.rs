//! This machine's TCP listeners, with their owning processes and accept queues.
//!
//! What `ss -tlnp` shows, as data: the connect stage of a check says
//! "refused"; this table says whether anything listens at all, on which
//! address and family, who it is, and whether its accept queue is full.
//! `portdoctor` reads it for `portdoctor listeners` and in every check, so it
//! is a library call, not a spawned `ss`, `netstat` or `lsof` (which a user
//! may not have, and which would cost a process per check).
//!
//! - Linux reads the kernel's socket table through netlink sock_diag (the
//!   interface `ss` uses), then maps socket inodes to processes via `/proc`.
//! - Windows reads the IP Helper table (`netstat -ano`'s source) through the
//!   `netstat2` crate; it has no accept queue or uid to give.
//! - Other systems, macOS included, get [`Error::Unsupported`]: `netstat2`'s
//!   macOS backend generates bindings from the macOS SDK at build time, which
//!   would make building portdoctor on a Mac need Xcode's tools.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;

use std::io;
use std::net::SocketAddr;

/// A listening TCP socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The bound address: `127.0.0.1:8080`, `[::]:8080`, `[fe80::1%2]:22`.
    pub local: SocketAddr,
    /// Accept queue fill, where the OS exposes it (Linux).
    pub queue: Option<Queue>,
    /// The user the socket belongs to (Linux).
    pub uid: Option<u32>,
    /// The name of `uid` in `/etc/passwd`, when it is there.
    pub user: Option<String>,
    /// Every process holding the socket (pre-fork servers share one), lowest
    /// pid first. Empty when the OS does not let us see them: on Linux only
    /// root sees other users' processes.
    pub processes: Vec<Process>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    /// Connections the kernel completed that the process has not accepted.
    pub current: u32,
    /// The backlog the process asked for, as capped by the OS
    /// (`net.core.somaxconn` on Linux).
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// The short command name: `/proc/PID/comm` on Linux (at most 15 bytes),
    /// the executable's file name on Windows.
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Linux: opening, writing or reading the netlink socket failed.
    #[error(
        "cannot talk to the kernel over netlink to read the socket table ({0}); \
         containers and sandboxes may forbid netlink sockets (then `ss -tln` fails too): \
         run portdoctor on the host"
    )]
    Netlink(io::Error),
    /// Linux: the kernel answered the socket table dump with an error.
    #[error(
        "the kernel refused to list its TCP sockets ({0}); if it says \
         \"No such file or directory\", the tcp_diag module is missing: \
         load it as root with `modprobe tcp_diag`"
    )]
    Kernel(io::Error),
    /// Linux: a reply that does not parse as a sock_diag message.
    #[error(
        "the kernel's socket table reply could not be read ({0}); please report this \
         with the output of `uname -r`"
    )]
    Malformed(String),
    /// Windows: the IP Helper API failed.
    #[error(
        "Windows did not give its TCP table ({0}); `netstat -ano | findstr LISTENING` \
         reads the same table"
    )]
    IpHelper(String),
    #[error(
        "listing listeners is not supported on {0} yet; \
         `lsof -nP -iTCP -sTCP:LISTEN` shows them"
    )]
    Unsupported(&'static str),
}

/// Every TCP listener, IPv4 and IPv6, sorted by port, then address.
pub fn tcp_listeners() -> Result<Vec<Listener>, Error> {
    sorted(backend(None)?)
}

/// The TCP listeners on `port`, sorted by address: what a check needs.
///
/// Cheaper than filtering [`tcp_listeners`] when nothing listens on the port
/// (the "connection refused" case): owners are only looked up for the
/// listeners kept, and with none, not at all.
pub fn tcp_listeners_on(port: u16) -> Result<Vec<Listener>, Error> {
    sorted(backend(Some(port))?)
}

fn sorted(mut listeners: Vec<Listener>) -> Result<Vec<Listener>, Error> {
    listeners.sort_by_key(|l| (l.local.port(), l.local.ip()));
    Ok(listeners)
}

#[cfg(target_os = "linux")]
use linux::tcp_listeners as backend;

#[cfg(windows)]
use windows::tcp_listeners as backend;

#[cfg(not(any(target_os = "linux", windows)))]
fn backend(_port: Option<u16>) -> Result<Vec<Listener>, Error> {
    Err(Error::Unsupported(std::env::consts::OS))
}
