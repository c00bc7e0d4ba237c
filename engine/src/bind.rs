//! "Can my server use this port?" — the question before starting a server,
//! answered the way the server would find out: by binding it.
//!
//! Each address a server typically binds is tried and released at once; if
//! one is taken, the socket table names the holder, and the nearest free
//! port is suggested.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

use protocol::{BindAttempt, BindReport, Code, Finding, Severity};
use socket_table::Listener;

use super::diagnose::loopback_down;
use super::interfaces;
use super::listeners::{self, owner};
use super::platform::Os;

/// Why port 0 is refused: binding it asks the OS for any free port, which
/// says nothing about the port a server will use.
pub const PORT_ZERO: &str =
    "port 0 means \"any free port\" to the OS; give the port your server will use (1 to 65535)";

/// How far above the port to look for a free one to suggest.
const SEARCH: u16 = 20;

/// Addresses a server typically binds: each loopback address, and each wildcard.
fn typical(port: u16) -> [SocketAddr; 4] {
    [
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
    ]
}

pub async fn bind_check(port: u16) -> BindReport {
    let tried: Vec<(BindAttempt, bool)> = typical(port)
        .into_iter()
        .map(|addr| {
            let result = TcpListener::bind(addr);
            // A machine without IPv6 cannot bind `::`; that is not "in use".
            let in_use = result
                .as_ref()
                .is_err_and(|e| e.kind() == io::ErrorKind::AddrInUse);
            let attempt = BindAttempt {
                addr: addr.to_string(),
                ok: result.is_ok(),
                error: result.err().map(|e| e.to_string()),
            };
            (attempt, in_use)
        })
        .collect();
    let in_use: Vec<&BindAttempt> = tried.iter().filter(|t| t.1).map(|t| &t.0).collect();
    let attempts: Vec<BindAttempt> = tried.iter().map(|t| t.0.clone()).collect();
    let holders = if in_use.is_empty() {
        Vec::new()
    } else {
        listeners::on_port(port).await.unwrap_or_default()
    };
    let binds: Vec<String> = attempts
        .iter()
        .map(|a| match &a.error {
            None => format!("bind {}: ok", a.addr),
            Some(e) => format!("bind {}: {e}", a.addr),
        })
        .collect();
    let mut findings = Vec::new();
    // Binding works with loopback down; connecting to it does not.
    if let Ok(all) = interfaces::all()
        && !all.iter().any(|i| i.is_loopback() && i.up)
    {
        let evidence = std::iter::once(interfaces::up_line(&all, crate::Audience::Owner))
            .chain(binds.iter().cloned())
            .collect();
        findings.push(loopback_down(evidence));
    }
    if !in_use.is_empty() {
        findings.push(taken(port, &attempts, &in_use, &holders));
    } else if findings.is_empty() {
        findings.push(Finding {
            code: Code::PortAvailable,
            severity: Severity::Ok,
            summary: format!("Port {port} is free: a server can listen on it"),
            fix: "Nothing to fix.".to_owned(),
            evidence: binds,
        });
    }
    BindReport {
        port,
        available: findings.iter().all(|f| f.code == Code::PortAvailable),
        attempts,
        holders: holders.iter().map(listeners::to_report).collect(),
        findings,
    }
}

/// The port is taken on some address: by whom, on which family, and what to do.
fn taken(
    port: u16,
    attempts: &[BindAttempt],
    in_use: &[&BindAttempt],
    holders: &[Listener],
) -> Finding {
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
    // Only one family taken: a server that binds the other one explicitly still can.
    let family_free = |v6: bool| {
        attempts
            .iter()
            .filter(|a| a.addr.starts_with('[') == v6)
            .all(|a| a.ok)
    };
    let only_v6 = !holders.is_empty() && holders.iter().all(|l| l.local.is_ipv6());
    let (severity, summary, fix) = if family_free(false) && only_v6 {
        let what = if holders.iter().all(|l| l.local.ip().is_loopback()) {
            "IPv6 loopback"
        } else {
            "IPv6"
        };
        (
            Severity::Warning,
            format!("Port {port}: the {what} address is taken by {who}; IPv4 is free"),
            format!(
                "A server that binds 127.0.0.1:{port} or 0.0.0.0:{port} can use it; one that binds [::] or ::1 (often what localhost means) cannot. Bind your server to 127.0.0.1 explicitly{}.",
                pid.map_or_else(String::new, |pid| format!(
                    ", or stop that process ({}) if it is a leftover",
                    Os::CURRENT.stop_process(pid)
                ))
            ),
        )
    } else {
        let fix = match (pid, free) {
            (Some(pid), Some(free)) => format!(
                "Stop that process ({}) if it is a leftover, or start your server on another port: {free} is free.",
                Os::CURRENT.stop_process(pid)
            ),
            (None, Some(free)) => format!("Start your server on another port: {free} is free."),
            (_, None) => "Stop the process that holds it, or pick another port.".to_owned(),
        };
        (
            Severity::Error,
            format!("Port {port} is already in use by {who}"),
            fix,
        )
    };
    Finding {
        code: Code::PortInUse,
        severity,
        summary,
        fix,
        evidence: in_use
            .iter()
            .filter_map(|a| Some(format!("bind {}: {}", a.addr, a.error.as_ref()?)))
            .chain(
                attempts
                    .iter()
                    .filter(|a| a.ok)
                    .map(|a| format!("bind {}: ok", a.addr)),
            )
            .chain(
                holders
                    .iter()
                    .map(|l| format!("{} listens on {}", owner(l), l.local)),
            )
            .collect(),
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
        // `kill PID` here, `taskkill /PID PID` on Windows.
        let stop = Os::CURRENT.stop_process(std::process::id());
        assert!(report.findings[0].fix.contains(&stop), "{report:#?}");
        drop(held);
        let report = bind_check(port).await;
        assert!(report.available, "{report:#?}");
        assert_eq!(report.findings[0].code, Code::PortAvailable);
    }
}
