//! Windows: sockets opened by the test, found again in the IP Helper table.
//! `cargo xtask platforms` runs these under Wine.
#![cfg(windows)]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

#[test]
fn finds_our_ipv4_and_ipv6_listeners_on_their_port() {
    let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = v4.local_addr().unwrap().port();
    let v6 = TcpListener::bind((Ipv6Addr::LOCALHOST, port)).ok();
    let found: Vec<SocketAddr> = socket_table::tcp_listeners_on(port)
        .expect("IP Helper table readable")
        .iter()
        .map(|l| l.local)
        .collect();
    let mut expected = vec![v4.local_addr().unwrap()];
    expected.extend(v6.iter().map(|l| l.local_addr().unwrap()));
    expected.sort_by_key(|a| a.ip());
    assert_eq!(found, expected);
}

#[test]
fn names_this_process_or_no_process_at_all() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let all = socket_table::tcp_listeners().expect("IP Helper table readable");
    let ours = all
        .iter()
        .find(|l| l.local == addr)
        .unwrap_or_else(|| panic!("{addr} not in {all:#?}"));
    // Windows names the owner; Wine knows none (and says pid 0, which must
    // not come through as a process).
    for process in &ours.processes {
        assert_eq!(process.pid, std::process::id(), "{ours:#?}");
        assert!(process.name.ends_with(".exe"), "{ours:#?}");
    }
    assert_eq!((ours.queue, ours.uid), (None, None));
}
