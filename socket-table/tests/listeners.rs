//! Real sockets opened by the test, found again in the kernel's table.
#![cfg(target_os = "linux")]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use socket_table::{Listener, Process, Queue};

/// A child holds a copy of every socket of this test process from its fork
/// to its exec. Tests run on threads of one process, so each fork and each
/// read of the table takes this lock: no read sees another test's child.
static FORK_OR_READ: Mutex<()> = Mutex::new(());

/// How long a wait may take before the test fails: only a hang gets near
/// it, and each wait ends as soon as its condition holds.
const DEADLINE: Duration = Duration::from_secs(30);

fn exclusive() -> MutexGuard<'static, ()> {
    FORK_OR_READ.lock().unwrap_or_else(PoisonError::into_inner)
}

fn tcp_listeners() -> Vec<Listener> {
    let _alone = exclusive();
    socket_table::tcp_listeners().expect("socket table readable")
}

fn tcp_listeners_on(port: u16) -> Vec<Listener> {
    let _alone = exclusive();
    socket_table::tcp_listeners_on(port).expect("socket table readable")
}

/// Spawns `command`; std returns once the child has exec'd (or failed to).
fn spawn(command: &mut Command) -> Child {
    let _alone = exclusive();
    command.spawn().unwrap()
}

fn output(command: &mut Command) -> Output {
    let _alone = exclusive();
    command.output().unwrap()
}

fn find(addr: SocketAddr) -> Option<Listener> {
    tcp_listeners().into_iter().find(|l| l.local == addr)
}

/// Reads the table until `ready` holds (bounded): the kernel completes
/// handshakes, and a child execs, on its own schedule.
fn wait_for(addr: SocketAddr, ready: impl Fn(&Listener) -> bool) -> Listener {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let found = find(addr).unwrap_or_else(|| panic!("{addr} not in the table"));
        if ready(&found) {
            return found;
        }
        assert!(Instant::now() < deadline, "gave up waiting on {found:#?}");
    }
}

/// Reads the table until none of `addrs` is listed any more (bounded): the
/// kernel may list a closing socket for a moment. Once gone, the port is
/// anyone's again, so nothing else about it is asserted.
fn wait_until_gone(addrs: &[SocketAddr]) {
    let deadline = Instant::now() + DEADLINE;
    let port = addrs[0].port();
    while tcp_listeners_on(port)
        .iter()
        .any(|l| addrs.contains(&l.local))
    {
        assert!(Instant::now() < deadline, "{addrs:?} still listed");
        std::thread::yield_now();
    }
}

/// A listener on `addr` (port 0: the OS picks) with an explicit backlog.
fn listen(addr: &str, backlog: i32) -> TcpListener {
    let addr: SocketAddr = addr.parse().unwrap();
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    socket.bind(&addr.into()).unwrap();
    socket.listen(backlog).unwrap();
    socket.into()
}

/// `/proc/PID/comm` is the executable's file name cut to 15 bytes.
fn my_name() -> String {
    let exe = std::env::current_exe().unwrap();
    let name = exe.file_name().unwrap().to_str().unwrap();
    name[..name.len().min(15)].to_owned()
}

fn id(flag: &str) -> String {
    let out = output(Command::new("id").arg(flag));
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

#[test]
fn finds_ipv4_and_ipv6_listeners_with_our_process_and_user() {
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let v6 = TcpListener::bind("[::1]:0").unwrap();
    let uid: u32 = id("-u").parse().unwrap();
    for listener in [&v4, &v6] {
        let addr = listener.local_addr().unwrap();
        let found = find(addr).unwrap_or_else(|| panic!("{addr} not in the table"));
        assert_eq!(found.local, addr);
        assert_eq!(
            found.processes,
            [Process {
                pid: std::process::id(),
                name: my_name()
            }]
        );
        assert_eq!(found.uid, Some(uid));
        assert_eq!(found.user, Some(id("-un")));
    }
}

#[test]
fn reports_the_backlog_given_to_listen() {
    for (addr, backlog) in [("127.0.0.1:0", 7), ("[::1]:0", 3)] {
        let listener = listen(addr, backlog);
        let found = find(listener.local_addr().unwrap()).expect("listener in the table");
        assert_eq!(
            found.queue,
            Some(Queue {
                current: 0,
                max: backlog as u32
            })
        );
    }
}

#[test]
fn counts_connections_waiting_to_be_accepted() {
    let listener = listen("127.0.0.1:0", 16);
    let addr = listener.local_addr().unwrap();
    let _clients: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(addr).unwrap()).collect();
    wait_for(addr, |l| l.queue.is_some_and(|q| q.current == 5));

    let _accepted = (listener.accept().unwrap(), listener.accept().unwrap());
    let found = find(addr).unwrap();
    assert_eq!(found.queue.map(|q| q.current), Some(3));
}

/// Kills and reaps the child even when an assertion fails.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn lists_every_process_sharing_a_socket_lowest_pid_first() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Like a pre-fork server's worker, the child holds the same socket (as
    // its stdin here).
    let shared = OwnedFd::from(listener.try_clone().unwrap());
    let child = Reaped(spawn(
        Command::new("sleep").arg("60").stdin(Stdio::from(shared)),
    ));
    let child_pid = child.0.id();

    let mut expected = vec![
        Process {
            pid: std::process::id(),
            name: my_name(),
        },
        Process {
            pid: child_pid,
            name: "sleep".to_owned(),
        },
    ];
    expected.sort_by_key(|p| p.pid);
    assert_eq!(find(addr).unwrap().processes, expected);
}

#[test]
fn a_closed_listener_disappears() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(find(addr).is_some());
    drop(listener);
    wait_until_gone(&[addr]);
}

/// The same port on both loopbacks; [::1] may be taken for a port the OS
/// chose for 127.0.0.1, so try a few.
fn same_port_on_both_loopbacks() -> (TcpListener, TcpListener) {
    (0..20)
        .find_map(|_| {
            let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = v4.local_addr().unwrap().port();
            Some((v4, TcpListener::bind(("::1", port)).ok()?))
        })
        .expect("a port free on both loopbacks")
}

#[test]
fn sorts_by_port_then_address() {
    let (v4, v6) = same_port_on_both_loopbacks();
    let port = v4.local_addr().unwrap().port();

    let table = tcp_listeners();
    let keys: Vec<_> = table
        .iter()
        .map(|l| (l.local.port(), l.local.ip()))
        .collect();
    assert!(keys.is_sorted(), "not sorted: {keys:?}");
    // Another process may listen on this port at another address.
    let on_port: Vec<SocketAddr> = table
        .iter()
        .map(|l| l.local)
        .filter(|a| a.port() == port && a.ip().is_loopback())
        .collect();
    assert_eq!(
        on_port,
        [v4.local_addr().unwrap(), v6.local_addr().unwrap()]
    );
}

#[test]
fn lists_the_listeners_of_one_port() {
    let (v4, v6) = same_port_on_both_loopbacks();
    let port = v4.local_addr().unwrap().port();
    let expected: Vec<Listener> = tcp_listeners()
        .into_iter()
        .filter(|l| l.local.port() == port)
        .collect();
    assert_eq!(expected.len(), 2);
    assert_eq!(tcp_listeners_on(port), expected);

    let addrs = [v4.local_addr().unwrap(), v6.local_addr().unwrap()];
    drop((v4, v6));
    wait_until_gone(&addrs);
}
