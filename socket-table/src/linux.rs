//! Linux: netlink sock_diag for the sockets, `/proc` for their owners.
//!
//! For a LISTEN socket the kernel reports the accept queue's current length
//! in `idiag_rqueue` and its backlog in `idiag_wqueue`: the Recv-Q/Send-Q
//! columns of `ss -tln`. `/proc/net/tcp` lacks the backlog, hence netlink.

use std::collections::HashMap;
use std::net::SocketAddr;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_sys::{Socket, protocols::NETLINK_SOCK_DIAG};

use crate::{Error, Listener, Process, Queue};

/// A listening socket as the kernel describes it, before owners are known.
struct KernelSocket {
    local: SocketAddr,
    queue: Queue,
    uid: u32,
    inode: u64,
}

pub fn tcp_listeners() -> Result<Vec<Listener>, Error> {
    let mut sockets = Vec::new();
    for family in [AF_INET, AF_INET6] {
        dump_listening(family, &mut sockets)?;
    }
    let owners = owners_by_inode(sockets.iter().map(|s| s.inode).collect());
    let users = user_names();
    Ok(sockets
        .into_iter()
        .map(|s| Listener {
            local: s.local,
            queue: Some(s.queue),
            uid: Some(s.uid),
            user: users.get(&s.uid).cloned(),
            processes: owners.get(&s.inode).cloned().unwrap_or_default(),
        })
        .collect())
}

/// One inet_diag dump of the LISTEN sockets of one address family.
fn dump_listening(family: u8, out: &mut Vec<KernelSocket>) -> Result<(), Error> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG).map_err(Error::Netlink)?;
    socket.bind_auto().map_err(Error::Netlink)?;
    socket
        .connect(&netlink_sys::SocketAddr::new(0, 0))
        .map_err(Error::Netlink)?;

    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let socket_id = if family == AF_INET {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    let mut request = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states: StateFlags::LISTEN,
            socket_id,
        })
        .into(),
    );
    request.finalize();
    let mut bytes = vec![0; request.buffer_len()];
    request.serialize(&mut bytes);
    socket.send(&bytes, 0).map_err(Error::Netlink)?;

    // One page holds dozens of replies; the kernel splits larger dumps.
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let size = socket
            .recv(&mut &mut buffer[..], 0)
            .map_err(Error::Netlink)?;
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&buffer[offset..size])
                .map_err(|e| Error::Malformed(e.to_string()))?;
            let length = message.header.length as usize;
            match message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    let h = &response.header;
                    out.push(KernelSocket {
                        local: SocketAddr::new(h.socket_id.source_address, h.socket_id.source_port),
                        queue: Queue {
                            current: h.recv_queue,
                            max: h.send_queue,
                        },
                        uid: h.uid,
                        inode: u64::from(h.inode),
                    });
                }
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) if e.code.is_some() => {
                    return Err(Error::Netlink(e.to_io()));
                }
                _ => {}
            }
            if length == 0 {
                return Err(Error::Malformed("a reply of length 0".to_owned()));
            }
            // Netlink messages are 4-byte aligned.
            offset += (length + 3) & !3;
        }
    }
}

/// Which processes hold which socket inodes: one pass over `/proc/*/fd`, as
/// `ss -p` does. Processes that vanish or deny access are skipped: the
/// listener is still reported, just without an owner.
fn owners_by_inode(mut wanted: Vec<u64>) -> HashMap<u64, Vec<Process>> {
    wanted.sort_unstable();
    let mut owners: HashMap<u64, Vec<Process>> = HashMap::new();
    let Ok(proc_dir) = std::fs::read_dir("/proc") else {
        return owners;
    };
    let mut link = std::path::PathBuf::new();
    for entry in proc_dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let mut name: Option<String> = None;
        for fd in fds.flatten() {
            link.clone_from(&fd.path());
            let Ok(target) = std::fs::read_link(&link) else {
                continue;
            };
            let Some(inode) = socket_inode(target.as_os_str().as_encoded_bytes()) else {
                continue;
            };
            if wanted.binary_search(&inode).is_err() {
                continue;
            }
            let name = name.get_or_insert_with(|| comm(pid));
            let holders = owners.entry(inode).or_default();
            if !holders.iter().any(|p| p.pid == pid) {
                holders.push(Process {
                    pid,
                    name: name.clone(),
                });
            }
        }
    }
    for holders in owners.values_mut() {
        holders.sort_by_key(|p| p.pid);
    }
    owners
}

/// `socket:[12345]` → 12345.
fn socket_inode(link: &[u8]) -> Option<u64> {
    let digits = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_else(|_| format!("pid {pid}"))
}

/// uid → name from `/etc/passwd`; users from NSS (LDAP, ...) stay nameless.
fn user_names() -> HashMap<u32, String> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            Some((uid, name.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_socket_links() {
        assert_eq!(socket_inode(b"socket:[4242]"), Some(4242));
        assert_eq!(socket_inode(b"pipe:[4242]"), None);
        assert_eq!(socket_inode(b"socket:[]"), None);
        assert_eq!(socket_inode(b"/dev/null"), None);
    }
}
