//! Stage 4: one TCP connect per resolved address, each with its own deadline.
//!
//! The outcome names what the kernel told us (refused = RST, timeout = no
//! answer, unreachable = no route), which is most of the diagnosis already.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use protocol::{AddressResult, Family, Outcome};
use tokio::net::TcpStream;

pub fn family(addr: &SocketAddr) -> Family {
    match addr {
        SocketAddr::V4(_) => Family::Ipv4,
        SocketAddr::V6(_) => Family::Ipv6,
    }
}

/// Connects once and closes again; the identification stage opens its own
/// connections, so that each probe starts from a clean state.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> AddressResult {
    let started = Instant::now();
    let result = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
    let elapsed_us = micros(started.elapsed());
    let (outcome, error) = match result {
        Err(_) => (
            Outcome::Timeout,
            Some(format!("no answer within {} ms", timeout.as_millis())),
        ),
        Ok(Ok(stream)) if is_self_connect(&stream) => (
            Outcome::Refused,
            Some("nothing listens: the kernel connected the socket to itself (source port = destination port)".to_owned()),
        ),
        Ok(Ok(_)) => (Outcome::Open, None),
        Ok(Err(e)) => (outcome_of(&e), Some(e.to_string())),
    };
    AddressResult {
        addr: addr.to_string(),
        family: family(&addr),
        outcome,
        elapsed_us,
        error,
    }
}

/// The result for an address the policy kept us from trying.
pub fn not_allowed(addr: SocketAddr) -> AddressResult {
    AddressResult {
        addr: addr.to_string(),
        family: family(&addr),
        outcome: Outcome::NotAllowed,
        elapsed_us: 0,
        error: Some(
            "not attempted: outside the target policy (loopback only unless --allow-target)"
                .to_owned(),
        ),
    }
}

/// On loopback, a connect to a port nobody listens on can pick that very
/// port as its source and "succeed" by TCP simultaneous open. It looks open
/// but is the socket talking to itself.
fn is_self_connect(stream: &TcpStream) -> bool {
    matches!((stream.local_addr(), stream.peer_addr()), (Ok(l), Ok(p)) if l == p)
}

fn outcome_of(e: &io::Error) -> Outcome {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Outcome::Refused,
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Outcome::Reset,
        io::ErrorKind::TimedOut => Outcome::Timeout,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => Outcome::Unreachable,
        _ => Outcome::Error,
    }
}

pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_and_refused_on_loopback() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let r = connect(open, Duration::from_secs(3)).await;
        assert_eq!(r.outcome, Outcome::Open, "{r:?}");
        assert_eq!(r.family, Family::Ipv4);
        assert!(r.error.is_none());
        let r = connect(closed, Duration::from_secs(3)).await;
        assert_eq!(r.outcome, Outcome::Refused, "{r:?}");
        assert!(r.error.is_some());
    }

    #[tokio::test]
    async fn a_socket_connected_to_itself_is_recognised() {
        // Bind a port, then connect that very socket to it: TCP simultaneous
        // open succeeds with nobody listening, as a racing connect can.
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        let own = socket.local_addr().unwrap();
        socket
            .connect(&own)
            .expect("self-connect succeeds on Linux");
        socket.set_nonblocking(true).unwrap();
        let stream = TcpStream::from_std(std::net::TcpStream::from(socket)).unwrap();
        assert!(is_self_connect(&stream));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let normal = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        assert!(!is_self_connect(&normal));
    }

    #[test]
    fn io_errors_map_to_documented_outcomes() {
        use io::ErrorKind::*;
        for (kind, outcome) in [
            (ConnectionRefused, Outcome::Refused),
            (ConnectionReset, Outcome::Reset),
            (TimedOut, Outcome::Timeout),
            (NetworkUnreachable, Outcome::Unreachable),
            (HostUnreachable, Outcome::Unreachable),
            (PermissionDenied, Outcome::Error),
        ] {
            assert_eq!(outcome_of(&io::Error::from(kind)), outcome, "{kind:?}");
        }
    }
}
