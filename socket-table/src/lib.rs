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
//! - macOS asks libproc for every process's socket descriptors (what `lsof`
//!   does), with hand-written declarations: `netstat2`'s macOS backend
//!   generates bindings from the macOS SDK at build time, which would make
//!   building portdoctor on a Mac need libclang and Xcode's tools.
//! - Other systems get [`Error::Unsupported`].

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(windows)]
mod windows;

use std::io;
use std::net::SocketAddr;

/// Every listener the OS let us see, and how much it hid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub listeners: Vec<Listener>,
    /// Processes whose sockets the OS would not show at all: on macOS,
    /// without root, every other user's. Linux and Windows list every socket
    /// (with [`Listener::processes`] empty when the owner is hidden), so
    /// there it is 0.
    pub hidden_processes: u32,
}

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
    /// macOS: libproc could not list the processes.
    #[error(
        "macOS did not list its processes ({0}); `lsof -nP -iTCP -sTCP:LISTEN` reads the same \
         information"
    )]
    Libproc(io::Error),
    /// Windows: the IP Helper API failed.
    #[error(
        "Windows did not give its TCP table ({0}); `netstat -ano | findstr LISTENING` \
         reads the same table"
    )]
    IpHelper(String),
    #[error(
        "listing listeners is not supported on {0} yet; \
         `netstat -an` or `sockstat -4 -6 -l` shows them"
    )]
    Unsupported(&'static str),
}

/// Every TCP listener, IPv4 and IPv6, sorted by port, then address.
pub fn tcp_listeners() -> Result<Vec<Listener>, Error> {
    Ok(listing(None)?.listeners)
}

/// The TCP listeners on `port`, sorted by address: what a check needs.
pub fn tcp_listeners_on(port: u16) -> Result<Vec<Listener>, Error> {
    Ok(listing(Some(port))?.listeners)
}

/// The listeners on `port` (every one with `None`), and how many processes
/// the OS hid from us.
///
/// With a port it is cheaper than filtering the whole table when nothing
/// listens there (the "connection refused" case): owners are only looked up
/// for the listeners kept, and with none, not at all.
pub fn listing(port: Option<u16>) -> Result<Listing, Error> {
    backend(port).map(sorted)
}

fn sorted(mut listing: Listing) -> Listing {
    listing
        .listeners
        .sort_by_key(|l| (l.local.port(), l.local.ip()));
    listing
}

#[cfg(target_os = "macos")]
use macos::tcp_listeners as backend;

/// Linux and Windows hide no socket, only owners.
#[cfg(any(target_os = "linux", windows))]
fn backend(port: Option<u16>) -> Result<Listing, Error> {
    #[cfg(target_os = "linux")]
    use linux::tcp_listeners as every_socket;
    #[cfg(windows)]
    use windows::tcp_listeners as every_socket;
    Ok(Listing {
        listeners: every_socket(port)?,
        hidden_processes: 0,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn backend(_port: Option<u16>) -> Result<Listing, Error> {
    Err(Error::Unsupported(std::env::consts::OS))
}
