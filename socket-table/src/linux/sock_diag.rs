//! The LISTEN sockets of both address families, dumped over netlink
//! sock_diag as `ss -tln` does.
//!
//! For a LISTEN socket the kernel reports the accept queue's current length
//! in `idiag_rqueue` and its backlog in `idiag_wqueue`: the Recv-Q/Send-Q
//! columns of `ss -tln`. `/proc/net/tcp` lacks the backlog, hence netlink.

use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, InetResponseHeader, SocketId, StateFlags,
};
use netlink_sys::{Socket, protocols::NETLINK_SOCK_DIAG};

use crate::{Error, Queue};

/// A listening socket as the kernel describes it, before owners are known.
pub struct KernelSocket {
    pub local: SocketAddr,
    pub queue: Queue,
    pub uid: u32,
    pub inode: u64,
}

/// The kernel fills one datagram of at most 32 KiB per read of a dump; a
/// larger buffer never truncates one.
const RECV_BUFFER: usize = 64 * 1024;

pub fn listening_sockets() -> Result<Vec<KernelSocket>, Error> {
    let socket = Socket::new(NETLINK_SOCK_DIAG).map_err(Error::Netlink)?;
    socket
        .connect(&netlink_sys::SocketAddr::new(0, 0))
        .map_err(Error::Netlink)?;
    let mut buffer = vec![0; RECV_BUFFER];
    let mut sockets = Vec::new();
    // One dump per family, one after the other on the same socket: each is
    // read to its end before the next request goes out.
    for family in [AF_INET, AF_INET6] {
        send_request(&socket, family)?;
        receive_dump(&socket, &mut buffer, &mut sockets)?;
    }
    Ok(sockets)
}

fn send_request(socket: &Socket, family: u8) -> Result<(), Error> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut request = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states: StateFlags::LISTEN,
            socket_id: if family == AF_INET {
                SocketId::new_v4()
            } else {
                SocketId::new_v6()
            },
        })
        .into(),
    );
    request.finalize();
    let mut bytes = vec![0; request.buffer_len()];
    request.serialize(&mut bytes);
    socket.send(&bytes, 0).map_err(Error::Netlink)?;
    Ok(())
}

/// Reads one dump to its `NLMSG_DONE`: the kernel splits it over as many
/// datagrams as it needs, each holding several messages.
fn receive_dump(
    socket: &Socket,
    buffer: &mut [u8],
    out: &mut Vec<KernelSocket>,
) -> Result<(), Error> {
    loop {
        let size = socket
            .recv(&mut &mut buffer[..], 0)
            .map_err(Error::Netlink)?;
        if size == 0 {
            return Err(Error::Malformed("the dump ended without NLMSG_DONE".into()));
        }
        let mut rest = &buffer[..size];
        while !rest.is_empty() {
            // Checks that the length field fits the datagram.
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(rest)
                .map_err(|e| Error::Malformed(e.to_string()))?;
            match message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    out.push(kernel_socket(&response.header));
                }
                NetlinkPayload::Done(done) if done.code < 0 => {
                    return Err(Error::Kernel(io::Error::from_raw_os_error(-done.code)));
                }
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(error) if error.code.is_some() => {
                    return Err(Error::Kernel(error.to_io()));
                }
                _ => {}
            }
            // Messages are padded to 4 bytes; the last one may not be.
            let next = (message.header.length as usize + 3) & !3;
            rest = rest.get(next..).unwrap_or_default();
        }
    }
}

fn kernel_socket(header: &InetResponseHeader) -> KernelSocket {
    let id = &header.socket_id;
    let local = match id.source_address {
        // A link-local address means nothing without its interface
        // (`[fe80::1%2]:22`); the kernel reports the one the socket is bound to.
        IpAddr::V6(ip) if ip.is_unicast_link_local() => {
            SocketAddrV6::new(ip, id.source_port, 0, id.interface_id).into()
        }
        ip => SocketAddr::new(ip, id.source_port),
    };
    KernelSocket {
        local,
        queue: Queue {
            current: header.recv_queue,
            max: header.send_queue,
        },
        uid: header.uid,
        inode: header.inode.into(),
    }
}
