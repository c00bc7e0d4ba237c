//! "Can my server use this port?" — the question before starting a server,
//! answered the way the server would find out: by binding it.
//!
//! Each address a server typically binds is tried and released at once; if
//! one is taken, the socket table names the holder, and the nearest free
//! port is suggested.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

use protocol::{BindAttempt, BindReport, Code, Finding, Severity};

use super::listeners::{self, owner};

/// Why port 0 is refused: binding it asks the OS for any free port, which
/// says nothing about the port a server will use.
pub const PORT_ZERO: &str =
    "port 0 means \"any free port\" to the OS; give the port your server will use (1 to 65535)";

/// How far above the port to look for a free one to suggest.
const SEARCH: u16 = 20;

pub async fn bind_check(port: u16) -> BindReport {
    let attempts: Vec<BindAttempt> = [
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
    ]
    .into_iter()
    .map(|addr| {
        let result = TcpListener::bind(addr);
        BindAttempt {
            addr: addr.to_string(),
            ok: result.is_ok(),
            // A machine without IPv6 cannot bind `::`; that is not "in use".
            error: result.err().map(|e| e.to_string()),
        }
    })
    .collect();
    let in_use = attempts
        .iter()
        .any(|a| a.error.as_deref().is_some_and(|e| e.contains("in use")));
    let holders = if in_use {
        listeners::on_port(port).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let finding = if in_use {
        let who = holders
            .first()
            .map(|l| format!("{} on {}", owner(l), l.local))
            .unwrap_or_else(|| "a process we are not allowed to see".to_owned());
        let free = (1..=SEARCH)
            .filter_map(|step| port.checked_add(step))
            .find(|&p| TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)).is_ok());
        let pid = holders
            .first()
            .and_then(|l| l.processes.first())
            .map(|p| p.pid);
        Finding {
            code: Code::PortInUse,
            severity: Severity::Error,
            summary: format!("Port {port} is already in use by {who}"),
            fix: match (pid, free) {
                (Some(pid), Some(free)) => format!(
                    "Stop that process (`kill {pid}`) if it is a leftover, or start your server on another port: {free} is free."
                ),
                (None, Some(free)) => format!("Start your server on another port: {free} is free."),
                (_, None) => "Stop the process that holds it, or pick another port.".to_owned(),
            },
            evidence: attempts
                .iter()
                .filter_map(|a| Some(format!("bind {}: {}", a.addr, a.error.as_ref()?)))
                .chain(
                    holders
                        .iter()
                        .map(|l| format!("{} listens on {}", owner(l), l.local)),
                )
                .collect(),
        }
    } else {
        Finding {
            code: Code::PortAvailable,
            severity: Severity::Ok,
            summary: format!("Port {port} is free: a server can listen on it"),
            fix: "Nothing to fix.".to_owned(),
            evidence: attempts
                .iter()
                .map(|a| match &a.error {
                    None => format!("bind {}: ok", a.addr),
                    Some(e) => format!("bind {}: {e}", a.addr),
                })
                .collect(),
        }
    };
    BindReport {
        port,
        available: !in_use,
        attempts,
        holders: holders.iter().map(listeners::to_report).collect(),
        findings: vec![finding],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_port_names_its_holder_and_a_free_one_is_free() {
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let report = bind_check(port).await;
        assert!(!report.available);
        assert_eq!(report.findings[0].code, Code::PortInUse);
        assert_eq!(report.holders[0].pid, Some(std::process::id()));
        assert!(
            report.findings[0]
                .summary
                .contains(&format!("pid {}", std::process::id()))
        );
        drop(held);
        let report = bind_check(port).await;
        assert!(report.available, "{report:#?}");
        assert_eq!(report.findings[0].code, Code::PortAvailable);
    }
}
