//! Real sockets opened by the test, found again in the kernel's table.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use socket_table::{Listener, tcp_listeners};

fn find(addr: SocketAddr) -> Option<Listener> {
    tcp_listeners()
        .expect("socket table readable")
        .into_iter()
        .find(|l| l.local == addr)
}

/// Polls the table until `ready` holds, for at most five seconds: the kernel
/// completes handshakes asynchronously.
fn poll(addr: SocketAddr, ready: impl Fn(&Listener) -> bool) -> Listener {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = find(addr).expect("listener present");
        if ready(&found) || Instant::now() > deadline {
            return found;
        }
        std::thread::yield_now();
    }
}

#[test]
fn finds_our_own_listeners_with_owner() {
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let v6 = TcpListener::bind("[::1]:0").unwrap();
    let me = std::process::id();
    let my_name = std::fs::read_to_string("/proc/self/comm").unwrap();
    let my_uid = std::fs::metadata("/proc/self").unwrap().uid();
    for listener in [&v4, &v6] {
        let addr = listener.local_addr().unwrap();
        let found = find(addr).unwrap_or_else(|| panic!("{addr} not in the table"));
        assert_eq!(found.local, addr);
        let owner = found
            .processes
            .iter()
            .find(|p| p.pid == me)
            .expect("our pid");
        assert_eq!(owner.name, my_name.trim_end());
        assert_eq!(found.uid, Some(my_uid));
        if my_uid == 0 {
            assert_eq!(found.user.as_deref(), Some("root"));
        }
    }
}

#[test]
fn reports_backlog_and_accept_queue_fill() {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(7).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let idle = find(addr).unwrap().queue.expect("queue on Linux");
    assert_eq!((idle.current, idle.max), (0, 7));

    // Three clients the process never accepts wait in the queue.
    let _clients: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let queued = poll(addr, |l| l.queue.is_some_and(|q| q.current == 3));
    assert_eq!(queued.queue.unwrap().current, 3);
}

#[test]
fn closed_listeners_disappear_and_the_table_is_sorted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(find(addr).is_some());
    drop(listener);
    assert!(find(addr).is_none());
    let all = tcp_listeners().unwrap();
    let keys: Vec<_> = all.iter().map(|l| (l.local.port(), l.local.ip())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}
