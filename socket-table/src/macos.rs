//! macOS: every process's socket descriptors through libproc, the interface
//! `lsof` uses, without spawning it.
//!
//! macOS has no table of sockets with owners: we list the pids
//! (`proc_listpids`), each one's descriptors (`proc_pidinfo` with
//! `PROC_PIDLISTFDS`), and ask each socket descriptor for its state,
//! addresses, accept queue and owner uid (`proc_pidfdinfo` with
//! `PROC_PIDFDSOCKETINFO`). A socket inherited by pre-forked workers shows up
//! once per process; they are merged by the kernel's socket address
//! (`soi_so`). The few functions and structs are declared here by hand, from
//! `<sys/proc_info.h>` and `<libproc.h>`, as the `listeners` crate does:
//! generating them with bindgen would make every build need libclang and the
//! macOS SDK's headers.
//!
//! Without root, macOS refuses the descriptors of other users' processes
//! (EPERM): their sockets cannot be seen at all, so the listing counts those
//! processes ([`crate::Listing::hidden_processes`]) instead of showing nobody.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_short, c_void};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use crate::{Error, Listener, Listing, Process, Queue};

const PROC_ALL_PIDS: u32 = 1;
const PROC_PIDLISTFDS: c_int = 1;
const PROC_PIDFDSOCKETINFO: c_int = 3;
const PROX_FDTYPE_SOCKET: u32 = 2;
/// `soi_kind` of a TCP socket (`SOCKINFO_TCP`).
const SOCKINFO_TCP: c_int = 2;
const TSI_S_LISTEN: c_int = 1;
const AF_INET: c_int = 2;
const AF_INET6: c_int = 30;
/// `proc_name` writes at most `2 * MAXCOMLEN` bytes and a NUL.
const NAME_LEN: usize = 2 * 16 + 1;

unsafe extern "C" {
    fn proc_listpids(kind: u32, typeinfo: u32, buffer: *mut c_void, size: c_int) -> c_int;
    fn proc_pidinfo(pid: c_int, flavor: c_int, arg: u64, buffer: *mut c_void, size: c_int)
    -> c_int;
    fn proc_pidfdinfo(
        pid: c_int,
        fd: c_int,
        flavor: c_int,
        buffer: *mut c_void,
        size: c_int,
    ) -> c_int;
    fn proc_name(pid: c_int, buffer: *mut c_void, size: u32) -> c_int;
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct ProcFdInfo {
    proc_fd: i32,
    proc_fdtype: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct ProcFileInfo {
    fi_openflags: u32,
    fi_status: u32,
    fi_offset: i64,
    fi_type: i32,
    fi_guardflags: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct VinfoStat {
    vst_dev: u32,
    vst_mode: u16,
    vst_nlink: u16,
    vst_ino: u64,
    vst_uid: u32,
    vst_gid: u32,
    vst_times: [i64; 8],
    vst_size: i64,
    vst_blocks: i64,
    vst_blksize: i32,
    vst_flags: u32,
    vst_gen: u32,
    vst_rdev: u32,
    vst_qspare: [i64; 2],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SockbufInfo {
    sbi_cc: u32,
    sbi_hiwat: u32,
    sbi_mbcnt: u32,
    sbi_mbmax: u32,
    sbi_lowat: u32,
    sbi_flags: c_short,
    sbi_timeo: c_short,
}

/// `in4in6_addr` and `in6_addr` share these 16 bytes: an IPv4 address is
/// the last four.
#[repr(C)]
#[derive(Clone, Copy)]
struct InAddr46([u8; 16]);

#[repr(C)]
#[derive(Clone, Copy)]
struct InSockInfo {
    insi_fport: c_int,
    /// The port in network byte order, in the low 16 bits' memory.
    insi_lport: c_int,
    insi_gencnt: u64,
    insi_flags: u32,
    insi_flow: u32,
    insi_vflag: u8,
    insi_ip_ttl: u8,
    rfu_1: u32,
    insi_faddr: InAddr46,
    insi_laddr: InAddr46,
    insi_v4_tos: u8,
    insi_v6: In6Extra,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct In6Extra {
    in6_hlim: u8,
    in6_cksum: c_int,
    in6_ifindex: u16,
    in6_hops: c_short,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct TcpSockInfo {
    tcpsi_ini: InSockInfo,
    tcpsi_state: c_int,
    tcpsi_timer: [c_int; 4],
    tcpsi_mss: c_int,
    tcpsi_flags: u32,
    rfu_1: u32,
    tcpsi_tp: u64,
}

/// The protocol part of `socket_info`; `un_sockinfo`, the largest member
/// (two 255-byte addresses), sets its size.
#[repr(C)]
#[derive(Clone, Copy)]
union SocketProto {
    pri_tcp: TcpSockInfo,
    size: [u64; 66],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SocketInfo {
    soi_stat: VinfoStat,
    soi_so: u64,
    soi_pcb: u64,
    soi_type: c_int,
    soi_protocol: c_int,
    soi_family: c_int,
    soi_options: c_short,
    soi_linger: c_short,
    soi_state: c_short,
    /// Connections completed and waiting for accept().
    soi_qlen: c_short,
    soi_incqlen: c_short,
    /// The backlog, as capped by `kern.ipc.somaxconn`.
    soi_qlimit: c_short,
    soi_timeo: c_short,
    soi_error: u16,
    soi_oobmark: u32,
    soi_rcv: SockbufInfo,
    soi_snd: SockbufInfo,
    soi_kind: c_int,
    rfu_1: u32,
    soi_proto: SocketProto,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SocketFdInfo {
    pfi: ProcFileInfo,
    psi: SocketInfo,
}

// The kernel copies exactly these sizes; a wrong layout must not compile.
const _: () = assert!(size_of::<InSockInfo>() == 80);
const _: () = assert!(size_of::<TcpSockInfo>() == 120);
const _: () = assert!(size_of::<SocketInfo>() == 768);
const _: () = assert!(size_of::<SocketFdInfo>() == 792);

/// Every listener, or those on `port`, and how many processes macOS hid.
pub fn tcp_listeners(port: Option<u16>) -> Result<Listing, Error> {
    let mut sockets: BTreeMap<u64, Listener> = BTreeMap::new();
    let mut hidden_processes = 0;
    for pid in pids()? {
        let Some(fds) = socket_fds(pid) else {
            hidden_processes += 1;
            continue;
        };
        for fd in fds {
            let Some((so, mut listener)) = listener(pid, fd) else {
                continue;
            };
            if port.is_some_and(|p| p != listener.local.port()) {
                continue;
            }
            let process = Process {
                pid: pid.unsigned_abs(),
                name: name(pid),
            };
            let entry = sockets.entry(so).or_insert_with(|| {
                listener.processes.clear();
                listener
            });
            if !entry.processes.iter().any(|p| p.pid == process.pid) {
                entry.processes.push(process);
            }
        }
    }
    let listeners = sockets
        .into_values()
        .map(|mut l| {
            l.processes.sort_unstable_by_key(|p| p.pid);
            l
        })
        .collect();
    Ok(Listing {
        listeners,
        hidden_processes,
    })
}

/// Every pid; the kernel may start processes between the size query and the
/// read, hence the slack.
fn pids() -> Result<Vec<c_int>, Error> {
    // SAFETY: a null buffer asks for the size only.
    let bytes = unsafe { proc_listpids(PROC_ALL_PIDS, 0, std::ptr::null_mut(), 0) };
    if bytes <= 0 {
        return Err(Error::Libproc(std::io::Error::last_os_error()));
    }
    let mut pids = vec![0 as c_int; bytes as usize / size_of::<c_int>() + 64];
    let capacity = c_int::try_from(pids.len() * size_of::<c_int>()).unwrap_or(c_int::MAX);
    // SAFETY: the buffer is ours and `capacity` bytes long.
    let filled = unsafe { proc_listpids(PROC_ALL_PIDS, 0, pids.as_mut_ptr().cast(), capacity) };
    if filled <= 0 {
        return Err(Error::Libproc(std::io::Error::last_os_error()));
    }
    pids.truncate(filled as usize / size_of::<c_int>());
    pids.retain(|&pid| pid > 0);
    Ok(pids)
}

/// The socket descriptors of `pid`; `None` when macOS refuses to say
/// (another user's process) or the process is gone.
fn socket_fds(pid: c_int) -> Option<Vec<c_int>> {
    // SAFETY: a null buffer asks for the size only.
    let bytes = unsafe { proc_pidinfo(pid, PROC_PIDLISTFDS, 0, std::ptr::null_mut(), 0) };
    if bytes <= 0 {
        return None;
    }
    let mut fds = vec![ProcFdInfo::default(); bytes as usize / size_of::<ProcFdInfo>() + 16];
    let capacity = c_int::try_from(fds.len() * size_of::<ProcFdInfo>()).unwrap_or(c_int::MAX);
    // SAFETY: the buffer is ours and `capacity` bytes long.
    let filled =
        unsafe { proc_pidinfo(pid, PROC_PIDLISTFDS, 0, fds.as_mut_ptr().cast(), capacity) };
    if filled <= 0 {
        return None;
    }
    fds.truncate(filled as usize / size_of::<ProcFdInfo>());
    Some(
        fds.into_iter()
            .filter(|fd| fd.proc_fdtype == PROX_FDTYPE_SOCKET)
            .map(|fd| fd.proc_fd)
            .collect(),
    )
}

/// The socket behind `fd`, if it is a listening TCP socket: the kernel's
/// address of the socket (to merge processes sharing it) and the listener,
/// without its processes.
fn listener(pid: c_int, fd: c_int) -> Option<(u64, Listener)> {
    let mut info = std::mem::MaybeUninit::<SocketFdInfo>::zeroed();
    let size = size_of::<SocketFdInfo>() as c_int;
    // SAFETY: the buffer is ours, zeroed, and `size` bytes long.
    let filled = unsafe {
        proc_pidfdinfo(
            pid,
            fd,
            PROC_PIDFDSOCKETINFO,
            info.as_mut_ptr().cast(),
            size,
        )
    };
    if filled != size {
        return None;
    }
    // SAFETY: the kernel filled all of it; every field is plain data.
    let info = unsafe { info.assume_init() }.psi;
    if info.soi_kind != SOCKINFO_TCP {
        return None;
    }
    // SAFETY: `soi_kind` says the TCP member is the one filled.
    let tcp = unsafe { info.soi_proto.pri_tcp };
    if tcp.tcpsi_state != TSI_S_LISTEN {
        return None;
    }
    let local = local_address(info.soi_family, &tcp.tcpsi_ini)?;
    let queue = Queue {
        current: u32::try_from(info.soi_qlen).unwrap_or(0),
        max: u32::try_from(info.soi_qlimit).unwrap_or(0),
    };
    Some((
        info.soi_so,
        Listener {
            local,
            queue: Some(queue),
            uid: Some(info.soi_stat.vst_uid),
            user: None,
            processes: Vec::new(),
        },
    ))
}

fn local_address(family: c_int, ini: &InSockInfo) -> Option<SocketAddr> {
    let port = u16::from_be(ini.insi_lport as u16);
    let bytes = ini.insi_laddr.0;
    let ip = match family {
        AF_INET => IpAddr::V4(Ipv4Addr::new(bytes[12], bytes[13], bytes[14], bytes[15])),
        AF_INET6 => {
            let ip = Ipv6Addr::from(bytes);
            let scope = if ip.is_unicast_link_local() {
                u32::from(ini.insi_v6.in6_ifindex)
            } else {
                0
            };
            return Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)));
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The short command name (`node`), empty when the process is gone.
fn name(pid: c_int) -> String {
    let mut buffer = [0 as c_char; NAME_LEN];
    // SAFETY: the buffer is ours and NAME_LEN bytes long; proc_name writes
    // at most that many, NUL included.
    let length = unsafe { proc_name(pid, buffer.as_mut_ptr().cast(), NAME_LEN as u32) };
    let length = usize::try_from(length).unwrap_or(0).min(NAME_LEN);
    let bytes: Vec<u8> = buffer[..length].iter().map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
