//! Windows: the IP Helper TCP tables through `netstat2`, process names from a
//! ToolHelp snapshot.
//!
//! The tables (`GetExtendedTcpTable`, what `netstat -ano` prints) carry the
//! owning pid but neither the accept queue nor a user, so `queue`, `uid` and
//! `user` stay `None`. Windows has one owner pid per socket. Pid 0 is the
//! System Idle Process, which owns nothing: it stands for "no process known"
//! (Wine says so for every socket of a Linux process), so it is left out.

use std::collections::HashMap;
use std::net::SocketAddr;

use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, TcpState};
use windows_sys::Win32::Foundation::{CloseHandle, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};

use crate::{Error, Listener, Process};

const IDLE_PROCESS: u32 = 0;

/// Every listener, or those on `port`.
pub fn tcp_listeners(port: Option<u16>) -> Result<Vec<Listener>, Error> {
    let sockets = netstat2::get_sockets_info(
        AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6,
        ProtocolFlags::TCP,
    )
    .map_err(|e| Error::IpHelper(e.to_string()))?;
    let names = process_names();
    Ok(sockets
        .into_iter()
        .filter_map(|socket| {
            let ProtocolSocketInfo::Tcp(tcp) = socket.protocol_socket_info else {
                return None;
            };
            if tcp.state != TcpState::Listen || port.is_some_and(|p| p != tcp.local_port) {
                return None;
            }
            let mut processes: Vec<Process> = socket
                .associated_pids
                .into_iter()
                .filter(|&pid| pid != IDLE_PROCESS)
                .map(|pid| Process {
                    pid,
                    name: names.get(&pid).cloned().unwrap_or_default(),
                })
                .collect();
            processes.sort_unstable_by_key(|p| p.pid);
            Some(Listener {
                local: SocketAddr::new(tcp.local_addr, tcp.local_port),
                queue: None,
                uid: None,
                user: None,
                processes,
            })
        })
        .collect())
}

/// pid → executable file name (`node.exe`) of every running process.
fn process_names() -> HashMap<u32, String> {
    let mut names = HashMap::new();
    // SAFETY: the snapshot handle is checked before use and closed once; each
    // entry is written by the API into a correctly sized, owned struct.
    unsafe {
        let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snapshot == INVALID_HANDLE_VALUE {
            return names;
        }
        let mut entry = PROCESSENTRY32W {
            dwSize: size_of::<PROCESSENTRY32W>() as u32,
            ..Default::default()
        };
        let mut more = Process32FirstW(snapshot, &mut entry) != 0;
        while more {
            let exe = &entry.szExeFile;
            let length = exe.iter().position(|&c| c == 0).unwrap_or(exe.len());
            names.insert(
                entry.th32ProcessID,
                String::from_utf16_lossy(&exe[..length]),
            );
            more = Process32NextW(snapshot, &mut entry) != 0;
        }
        CloseHandle(snapshot);
    }
    names
}
