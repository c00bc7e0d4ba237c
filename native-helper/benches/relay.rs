//! The relay next to its peer, in one run on this machine: the same client
//! (tokio-tungstenite, TCP_NODELAY) and the same echo server, three paths:
//! direct TCP, portdoctor's `/relay`, and Debian's `websockify`; and, for
//! the floor any relay pays (two more loopback hops and a process to wake),
//! socat relaying TCP to TCP with no WebSocket at all.
//!
//! The paths take turns, batch by batch, so a machine whose load changes
//! during the run (it is shared) weighs on each path alike.
//!
//! - round trip of a 64-byte message, p50 and p99 (the relay's cost is its
//!   RTT minus the direct one);
//! - bulk: 128 MiB through the echo in 64 KiB messages, payload MB/s, the
//!   median of three turns;
//! - memory per idle relay: proportional set size (PSS, so websockify's
//!   forked children count their shared pages once) of the relay's
//!   processes, before and after opening idle relays (1000 for portdoctor,
//!   50 for websockify, which forks a process per connection).
//!
//! `cargo bench -p native-helper --bench relay`

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Helper, percentile};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Round trips per path, in batches of `ROUNDS / BATCHES`.
const ROUNDS: usize = 4000;
const BATCHES: usize = 20;
const MESSAGE: usize = 64;
const BULK: usize = 128 * 1024 * 1024;
const BULK_TURNS: usize = 3;
const FRAME: usize = 64 * 1024;
const IDLE_OURS: usize = 1000;
const IDLE_WEBSOCKIFY: usize = 50;

/// An echo server on a thread and runtime of its own.
fn echo_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let (mut from, mut to) = stream.into_split();
                    let _ = tokio::io::copy(&mut from, &mut to).await;
                });
            }
        });
    });
    addr
}

/// A relay of another make (websockify, socat) listening on a free port,
/// in its own process group (both fork a child per connection); the whole
/// group is killed on drop.
struct Peer(std::process::Child, SocketAddr);

impl Peer {
    /// Starts `program` with the arguments `args` gives for its port.
    fn start(program: &str, args: impl Fn(u16) -> Vec<String>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(program);
        command
            .args(args(port))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "{program} never listened");
            std::thread::yield_now();
        }
        Self(child, addr)
    }

    fn websockify(target: SocketAddr) -> Self {
        Self::start("websockify", |port| {
            vec![format!("127.0.0.1:{port}"), target.to_string()]
        })
    }

    fn socat(target: SocketAddr) -> Self {
        Self::start("socat", |port| {
            vec![
                format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,nodelay"),
                format!("TCP:{target},nodelay"),
            ]
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// Opens a WebSocket as websockify clients do (subprotocol `binary`).
async fn open(url: &str, origin: Option<&str>) -> Ws {
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("Sec-WebSocket-Protocol", "binary".parse().unwrap());
    if let Some(origin) = origin {
        headers.insert("Origin", origin.parse().unwrap());
    }
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .unwrap();
    ws
}

/// Reads binary messages until `n` bytes came back.
async fn receive(ws: &mut Ws, n: usize) {
    let mut got = 0;
    while got < n {
        match ws.next().await.unwrap().unwrap() {
            Message::Binary(bytes) => got += bytes.len(),
            Message::Close(close) => panic!("closed: {close:?}"),
            _ => {}
        }
    }
}

/// One client connection, to the echo server or through a relay.
enum Client {
    Tcp(TcpStream),
    Ws(Box<Ws>),
}

impl Client {
    async fn tcp(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Client::Tcp(stream)
    }

    async fn ws(url: &str, origin: Option<&str>) -> Self {
        Client::Ws(Box::new(open(url, origin).await))
    }

    /// `n` round trips of a `MESSAGE`-byte message, each timed into `times`.
    async fn round_trips(&mut self, n: usize, times: &mut Vec<Duration>) {
        let payload = bytes::Bytes::from(vec![7u8; MESSAGE]);
        let mut back = [0u8; MESSAGE];
        for _ in 0..n {
            let started = Instant::now();
            match self {
                Client::Tcp(stream) => {
                    stream.write_all(&payload).await.unwrap();
                    stream.read_exact(&mut back).await.unwrap();
                }
                Client::Ws(ws) => {
                    ws.send(Message::Binary(payload.clone())).await.unwrap();
                    receive(ws, MESSAGE).await;
                }
            }
            times.push(started.elapsed());
        }
    }

    /// Payload MB/s of `BULK` bytes sent and echoed back at the same time.
    async fn bulk(self) -> f64 {
        let started = Instant::now();
        match self {
            Client::Tcp(stream) => {
                let (mut from, mut to) = stream.into_split();
                let writer = tokio::spawn(async move {
                    let frame = vec![1u8; FRAME];
                    for _ in 0..BULK / FRAME {
                        to.write_all(&frame).await.unwrap();
                    }
                    to
                });
                let mut buffer = vec![0u8; FRAME];
                let mut got = 0;
                while got < BULK {
                    got += from.read(&mut buffer).await.unwrap();
                }
                drop(writer.await.unwrap());
            }
            Client::Ws(ws) => {
                let (mut sink, mut stream) = (*ws).split();
                let frame = bytes::Bytes::from(vec![1u8; FRAME]);
                let writer = tokio::spawn(async move {
                    for _ in 0..BULK / FRAME {
                        sink.send(Message::Binary(frame.clone())).await.unwrap();
                    }
                    sink
                });
                let mut got = 0;
                while got < BULK {
                    if let Message::Binary(bytes) = stream.next().await.unwrap().unwrap() {
                        got += bytes.len();
                    }
                }
                drop(writer.await.unwrap().reunite(stream));
            }
        }
        BULK as f64 / started.elapsed().as_secs_f64() / 1e6
    }
}

/// The one-minute load average, to print beside the figures.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

/// Proportional set size of a process, in KiB, if it still runs.
fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let line = rollup.lines().find_map(|l| l.strip_prefix("Pss:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// PSS of every process in process group `group`, in KiB.
fn group_pss_kib(group: u32) -> u64 {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after_name = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
            after_name.split_whitespace().nth(2) == Some(&group.to_string())
        })
        .filter_map(pss_kib)
        .sum()
}

/// Opens `n` relays through `url` and makes each carry one byte, so every
/// one is connected to the echo server; returns them to keep them open.
async fn idle_relays(url: &str, origin: Option<&str>, n: usize) -> Vec<Ws> {
    let mut relays = Vec::with_capacity(n);
    for _ in 0..n {
        let mut ws = open(url, origin).await;
        ws.send(Message::Binary(vec![1u8].into())).await.unwrap();
        receive(&mut ws, 1).await;
        relays.push(ws);
    }
    relays
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let echo = echo_server();
    let helper = Helper::start();
    let websockify = Peer::websockify(echo);
    let socat = Peer::socat(echo);
    let ours = format!("ws://{}/relay?target={echo}", helper.1);
    let origin = format!("http://{}", helper.1);
    let theirs = format!("ws://{}/", websockify.1);
    println!("load average at the start: {}", load());

    let open_all = || async {
        [
            Client::tcp(echo).await,
            Client::ws(&ours, Some(&origin)).await,
            Client::ws(&theirs, None).await,
            Client::tcp(socat.1).await,
        ]
    };
    let names = [
        "direct TCP",
        "portdoctor /relay",
        "websockify",
        "socat (TCP relay)",
    ];
    let mut times: [Vec<Duration>; 4] = Default::default();
    runtime.block_on(async {
        let mut clients = open_all().await;
        for batch in 0..BATCHES {
            for turn in 0..clients.len() {
                let path = (batch + turn) % clients.len();
                clients[path]
                    .round_trips(ROUNDS / BATCHES, &mut times[path])
                    .await;
            }
        }
    });
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let p50: Vec<f64> = times.iter_mut().map(|t| us(percentile(t, 50))).collect();
    println!(
        "{MESSAGE}-byte round trip, {ROUNDS} rounds in turns:  p50        p99       added to direct (p50)"
    );
    for (path, name) in names.iter().enumerate() {
        println!(
            "  {name:<20} {:>9.1} µs {:>9.1} µs   {:>8.1} µs",
            p50[path],
            us(percentile(&mut times[path], 99)),
            p50[path] - p50[0]
        );
    }
    println!(
        "  relay's added RTT / websockify's: {:.2}",
        (p50[1] - p50[0]) / (p50[2] - p50[0])
    );

    let mut rates: [Vec<f64>; 4] = Default::default();
    runtime.block_on(async {
        for turn in 0..BULK_TURNS {
            let mut clients = open_all().await.map(Some);
            for i in 0..clients.len() {
                let path = (turn + i) % clients.len();
                let client = clients[path].take().expect("each path once a turn");
                rates[path].push(client.bulk().await);
            }
        }
    });
    let median: Vec<f64> = rates
        .iter_mut()
        .map(|r| {
            r.sort_by(f64::total_cmp);
            r[r.len() / 2]
        })
        .collect();
    println!(
        "bulk, {} MiB echoed in {} KiB messages, median of {BULK_TURNS} turns:",
        BULK >> 20,
        FRAME >> 10
    );
    for (path, name) in names.iter().enumerate() {
        println!("  {name:<20} {:>9.0} MB/s", median[path]);
    }
    println!("  relay / websockify: {:.1}×", median[1] / median[2]);
    println!("load average after the timings: {}", load());

    let pid = helper.0.id();
    let before = pss_kib(pid).unwrap();
    let relays = runtime.block_on(idle_relays(&ours, Some(&origin), IDLE_OURS));
    let after = pss_kib(pid).unwrap();
    let group = websockify.0.id();
    let peer_before = group_pss_kib(group);
    let peer_relays = runtime.block_on(idle_relays(&theirs, None, IDLE_WEBSOCKIFY));
    let peer_after = group_pss_kib(group);
    println!("memory (PSS) of idle relays:");
    println!(
        "  portdoctor: {before} KiB, with {IDLE_OURS} relays {after} KiB: {:.1} KiB per relay",
        (after - before) as f64 / IDLE_OURS as f64
    );
    println!(
        "  websockify: {peer_before} KiB, with {IDLE_WEBSOCKIFY} relays {peer_after} KiB: {:.1} KiB per relay",
        (peer_after - peer_before) as f64 / IDLE_WEBSOCKIFY as f64
    );
    drop((relays, peer_relays));
}
