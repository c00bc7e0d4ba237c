//! `/relay?target=HOST:PORT`: bytes between a WebSocket and a TCP service,
//! so a page can talk to it (`PING` to Redis, `GET /` to a web server).
//!
//! The wire format is websockify's (subprotocol `binary`, raw bytes in
//! binary frames both ways), so websockify clients such as noVNC work
//! against it. Who may open one is the access table's decision (the
//! helper's own page and token holders; never an allowed foreign origin).
//! The target policy applies to each resolved address right before
//! connecting, as for checks.
//!
//! Each direction is one loop that reads one socket and writes the other,
//! with no channel or task switch in between (each cost a wake-up per
//! message); the two directions are two tasks, so bulk traffic both ways
//! uses two cores. Backpressure is therefore direct: while a chunk waits
//! for a slow client, the target is not read (its window fills); while the
//! target does not read, the client's frames are not read. Each direction
//! holds at most one chunk.
//! How the relay ended reaches the client as the close code and reason
//! ([`Ended`]), and the log gets one line per relay.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{OwnedSemaphorePermit, oneshot};
use tokio::time::Instant;

use super::session::{CLOSE_TIMEOUT, close_reason};
use engine::CheckOptions;

/// Path of the relay endpoint on the helper.
pub const PATH: &str = "/relay";
/// Relays the helper runs at once, unless `--max-relays` says otherwise.
pub const MAX_RELAYS: usize = 1024;
/// Most bytes read from the target at once: one binary frame.
const CHUNK: usize = 64 * 1024;

/// One relay, as asked for.
pub struct Relay {
    /// `HOST:PORT` as the client wrote it.
    pub target: String,
    pub options: Arc<CheckOptions>,
    /// Ends the relay when no byte went either way for this long.
    pub idle: Duration,
    /// Who asked (their Origin, or `token`), for the log line.
    pub origin: String,
    /// A slot under the cap; `Err(cap)` when they were all taken.
    pub slot: Result<OwnedSemaphorePermit, usize>,
}

/// How a relay ended, and so its close code. The codes are part of the
/// protocol (ARCHITECTURE.md lists them): add, never renumber.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ended {
    #[error("the client closed the relay")]
    ClientClosed,
    #[error("the target closed the connection")]
    PeerClosed,
    #[error("connection refused: nothing listens on {0}")]
    Refused(String),
    #[error("no answer from {0} within {1:?}: a firewall may drop the packets")]
    TimedOut(String, Duration),
    #[error("the target reset the connection")]
    Reset,
    #[error("nothing sent either way for {0:?}")]
    Idle(Duration),
    #[error("{0} is not allowed: loopback only, unless the helper runs with --allow-target")]
    NotAllowed(SocketAddr),
    #[error("bad target: {0}")]
    BadTarget(String),
    #[error("cannot reach {0}: {1}")]
    Unreachable(String, String),
    #[error("the connection failed: {0}")]
    Failed(String),
    #[error("{0} relays are open already; close one and retry")]
    Busy(usize),
    #[error("bad WebSocket frame from the client: {0}")]
    BadFrame(String),
}

impl Ended {
    /// The WebSocket close code: 1000 for an orderly end either side, 1013
    /// (try again later) at the cap, 1002 for a frame we cannot read, 4001..
    /// for each way the TCP side failed.
    pub fn code(&self) -> u16 {
        match self {
            Ended::ClientClosed | Ended::PeerClosed => 1000,
            Ended::BadFrame(_) => 1002,
            Ended::Busy(_) => 1013,
            Ended::Refused(_) => 4001,
            Ended::TimedOut(..) => 4002,
            Ended::Reset => 4003,
            Ended::Idle(_) => 4004,
            Ended::NotAllowed(_) => 4005,
            Ended::BadTarget(_) => 4006,
            Ended::Unreachable(..) => 4007,
            Ended::Failed(_) => 4008,
        }
    }

    /// A failed read or write on an established connection.
    fn from_io(e: &std::io::Error) -> Self {
        match Self::reset(e) {
            Some(reset) => reset,
            None => Ended::Failed(e.to_string()),
        }
    }

    /// A failed connect to `address`. A target that accepts and resets at
    /// once can fail the connect itself: the kernel finished the handshake,
    /// the RST came before the connect was seen to complete, and the socket's
    /// error is then ECONNRESET. That is a reset, like the same RST a moment
    /// later, not an unreachable host.
    fn from_connect(address: SocketAddr, e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            return Ended::Refused(address.to_string());
        }
        match Self::reset(e) {
            Some(reset) => reset,
            None => Ended::Unreachable(address.to_string(), e.to_string()),
        }
    }

    fn reset(e: &std::io::Error) -> Option<Self> {
        use std::io::ErrorKind::*;
        matches!(e.kind(), ConnectionReset | BrokenPipe | ConnectionAborted).then_some(Ended::Reset)
    }
}

/// What went through a relay: bytes each way, for the log line, and when
/// the last byte went either way, for the idle timeout.
struct Activity {
    sent: AtomicU64,
    received: AtomicU64,
    started: Instant,
    /// Milliseconds from `started` to the last byte either way.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            started: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    fn moved(&self, count: &AtomicU64, n: usize) {
        count.fetch_add(n as u64, Relaxed);
        let ms = self.started.elapsed().as_millis() as u64;
        self.last.store(ms, Relaxed);
    }
}

/// Runs the relay on its WebSocket to the end, then closes the WebSocket
/// with the code and reason that say how it ended.
pub async fn serve(socket: WebSocket, relay: Relay) {
    let counts = Arc::new(Activity::new());
    let (mut sink, stream) = socket.split();
    let (ended, address, mut stream) = match &relay.slot {
        Err(cap) => (Ended::Busy(*cap), None, stream),
        Ok(_) => match connect(&relay.target, &relay.options).await {
            Err(ended) => (ended, None, stream),
            Ok((tcp, address)) => {
                let (ended, stream) = pump(tcp, &mut sink, stream, relay.idle, &counts).await;
                (ended, Some(address), stream)
            }
        },
    };
    drop(relay.slot);
    tracing::info!(
        origin = %relay.origin,
        target = %relay.target,
        address = ?address,
        sent = counts.sent.load(Relaxed),
        received = counts.received.load(Relaxed),
        code = ended.code(),
        ended = %ended,
        "relay"
    );
    let reason = close_reason(ended.to_string()).into();
    let close = CloseFrame {
        code: ended.code(),
        reason,
    };
    if sink.send(Message::Close(Some(close))).await.is_ok() {
        // Read until the client answers our close frame, so the handshake
        // completes (browsers report a cut connection as 1006).
        let answered = async { while let Some(Ok(_)) = stream.next().await {} };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, answered).await;
    }
}

/// Resolves the target and connects to its first address that answers,
/// in the resolver's order, as a client would.
async fn connect(target: &str, options: &CheckOptions) -> Result<(TcpStream, SocketAddr), Ended> {
    let target = engine::target::parse(target)
        .and_then(engine::target::validate)
        .map_err(|e| Ended::BadTarget(e.to_string()))?;
    let addresses = engine::resolve::resolve(&target.host, target.port)
        .await
        .map_err(|e| Ended::BadTarget(e.to_string()))?;
    let timeout = options.timeout.min(engine::MAX_TIMEOUT);
    let mut failure = None;
    for address in addresses {
        // On the address, right before connecting: a name that resolves
        // somewhere else (DNS rebinding) gains nothing.
        if !options.policy.allows(address.ip()) {
            failure.get_or_insert(Ended::NotAllowed(address));
            continue;
        }
        let why = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                // Interactive traffic: small writes go out at once.
                let _ = stream.set_nodelay(true);
                return Ok((stream, address));
            }
            Ok(Err(e)) => Ended::from_connect(address, &e),
            Err(_) => Ended::TimedOut(address.to_string(), timeout),
        };
        failure = Some(why);
    }
    Err(failure.expect("the resolver returns at least one address"))
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;
type Stream = futures_util::stream::SplitStream<WebSocket>;

/// Moves bytes both ways until one side ends or nothing moves for `idle`;
/// hands the client's half back for the close handshake.
async fn pump(
    tcp: TcpStream,
    sink: &mut Sink,
    stream: Stream,
    idle: Duration,
    activity: &Arc<Activity>,
) -> (Ended, Stream) {
    let (from_peer, to_peer) = tcp.into_split();
    let (stop, stopped) = oneshot::channel::<()>();
    let mut up = tokio::spawn(up(stream, to_peer, stopped, activity.clone()));
    let down = async {
        let mut buffer = BytesMut::new();
        loop {
            if let Err(e) = from_peer.readable().await {
                return Ended::from_io(&e);
            }
            // Allocated once data is there, and handed on whole with the
            // chunk, so an idle relay holds no buffer.
            buffer.reserve(CHUNK);
            match from_peer.try_read_buf(&mut buffer) {
                Ok(0) => return Ended::PeerClosed,
                Ok(n) => {
                    activity.moved(&activity.received, n);
                    // Waits while the client is slow: meanwhile nothing is
                    // read, and the target's TCP window fills.
                    let chunk = std::mem::take(&mut buffer).freeze();
                    if sink.send(Message::Binary(chunk)).await.is_err() {
                        return Ended::ClientClosed;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Ended::from_io(&e),
            }
        }
    };
    let quiet = async {
        loop {
            let last = Duration::from_millis(activity.last.load(Relaxed));
            let due = activity.started + last + idle;
            if Instant::now() >= due {
                return Ended::Idle(idle);
            }
            tokio::time::sleep_until(due).await;
        }
    };
    let ended = tokio::select! {
        finished = &mut up => return finished.expect("the up task is never aborted"),
        ended = down => ended,
        ended = quiet => ended,
    };
    let _ = stop.send(());
    let (_, stream) = up.await.expect("the up task is never aborted");
    (ended, stream)
}

/// The client's frames to the target, until the client closes, either
/// side fails, or `stop` (the other direction ended).
async fn up(
    mut stream: Stream,
    mut to_peer: OwnedWriteHalf,
    stop: oneshot::Receiver<()>,
    activity: Arc<Activity>,
) -> (Ended, Stream) {
    let frames = async {
        while let Some(message) = stream.next().await {
            let bytes = match &message {
                Ok(Message::Binary(bytes)) => &bytes[..],
                Ok(Message::Text(text)) => text.as_bytes(),
                Ok(Message::Close(_)) => break,
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Err(e) => return Ended::BadFrame(e.to_string()),
            };
            // Waits while the target does not read: meanwhile no frame is
            // read, and the client's TCP window fills.
            if let Err(e) = to_peer.write_all(bytes).await {
                return Ended::from_io(&e);
            }
            activity.moved(&activity.sent, bytes.len());
        }
        let _ = to_peer.shutdown().await;
        Ended::ClientClosed
    };
    let ended = tokio::select! {
        ended = frames => ended,
        // Whatever it says, the other direction's ending is the one reported.
        _ = stop => Ended::ClientClosed,
    };
    (ended, stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ending_has_its_own_code_or_is_orderly() {
        let endings = [
            Ended::Refused("a".into()),
            Ended::TimedOut("a".into(), Duration::from_secs(1)),
            Ended::Reset,
            Ended::Idle(Duration::from_secs(1)),
            Ended::NotAllowed("10.0.0.1:80".parse().unwrap()),
            Ended::BadTarget("x".into()),
            Ended::Unreachable("a".into(), "b".into()),
            Ended::Failed("x".into()),
            Ended::Busy(1024),
            Ended::BadFrame("x".into()),
        ];
        let mut codes: Vec<u16> = endings.iter().map(Ended::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), endings.len(), "{codes:?}");
        assert_eq!(Ended::PeerClosed.code(), 1000);
        assert_eq!(Ended::ClientClosed.code(), 1000);
    }

    #[test]
    fn a_reset_while_connecting_is_a_reset_not_unreachable() {
        use std::io::{Error, ErrorKind};
        let address: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let ended = |kind| Ended::from_connect(address, &Error::from(kind));
        assert_eq!(ended(ErrorKind::ConnectionReset), Ended::Reset);
        assert_eq!(ended(ErrorKind::ConnectionAborted), Ended::Reset);
        assert_eq!(
            ended(ErrorKind::ConnectionRefused),
            Ended::Refused("127.0.0.1:9".into())
        );
        assert_eq!(ended(ErrorKind::HostUnreachable).code(), 4007);
    }
}
