//! Linux: the kernel's socket table over netlink, owners from `/proc`, user
//! names from the C library (getpwuid_r, so LDAP and sssd users too).
//!
//! Two sources because the kernel splits the facts: sock_diag knows a
//! socket's address, queue, uid and inode but not who holds it; only the
//! processes' fd tables map an inode back to pids.

mod procfs;
mod sock_diag;

use crate::{Error, Listener};

/// Every listener, or those on `port`.
pub fn tcp_listeners(port: Option<u16>) -> Result<Vec<Listener>, Error> {
    let mut sockets = sock_diag::listening_sockets()?;
    if let Some(port) = port {
        sockets.retain(|s| s.local.port() == port);
    }
    let inodes: Vec<u64> = sockets.iter().map(|s| s.inode).collect();
    let holders = procfs::holders(&inodes);
    let users = procfs::UserNames::of(sockets.iter().map(|s| s.uid));
    Ok(sockets
        .into_iter()
        .zip(holders)
        .map(|(socket, processes)| Listener {
            local: socket.local,
            queue: Some(socket.queue),
            uid: Some(socket.uid),
            user: users.get(socket.uid),
            processes,
        })
        .collect())
}
