//! The server under measurement, against the real helper binary:
//!
//! 1. what the security checks cost a request: the Host and Origin/token
//!    decisions alone, next to a whole /api/health round trip on a keep-alive
//!    loopback connection;
//! 2. how fast /api/health answers while 1000 WebSocket sessions run checks;
//! 3. a `check` of a refused port over the WebSocket, 300 in a row, next to
//!    the engine's own `elapsed_us` for the same checks: the difference is
//!    what the server and the socket add.
//!
//! `cargo bench -p native-helper --bench server` (append `-- ws-check` for
//! the third part alone)

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use native_helper::server::guard::{Guard, Token};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

mod common;

use common::{Helper, percentile};

const SESSIONS: usize = 1000;
const CHECKS: usize = 300;

/// Health round trips on one keep-alive connection.
fn health_trips(addr: &str, n: usize) -> Vec<Duration> {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_nodelay(true).unwrap();
    let request = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut buf = [0u8; 4096];
    (0..n)
        .map(|_| {
            let started = Instant::now();
            conn.write_all(request.as_bytes()).unwrap();
            let n = conn.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
            started.elapsed()
        })
        .collect()
}

fn guard_cost() -> Vec<Duration> {
    let token = Token::generate().expect("random token");
    let guard = Guard::new(
        "127.0.0.1:61900".parse().unwrap(),
        &["https://docs.example.com".to_owned()],
        token.clone(),
    );
    (0..10_000)
        .map(|_| {
            let started = Instant::now();
            let _ = black_box(guard.check_host(black_box(Some("localhost:61900"))));
            let _ =
                black_box(guard.check_websocket(black_box(Some("https://docs.example.com")), None));
            let _ = black_box(guard.check_websocket(None, black_box(Some(token.as_str()))));
            started.elapsed()
        })
        .collect()
}

/// Opens `SESSIONS` sessions that each check `target` in a loop until told to stop.
async fn load(addr: String, target: String, stop: tokio::sync::watch::Receiver<bool>) {
    let mut tasks = Vec::new();
    for i in 0..SESSIONS {
        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        let origin = format!("http://{addr}").parse().unwrap();
        request.headers_mut().insert("Origin", origin);
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let (target, stop) = (target.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let hello = r#"{"type":"hello","protocol":1}"#;
            ws.send(Message::Text(hello.into())).await.unwrap();
            let mut id = i as u64 * 1_000_000;
            while !*stop.borrow() {
                id += 1;
                let check = format!(r#"{{"type":"check","id":{id},"target":"{target}"}}"#);
                ws.send(Message::Text(check.into())).await.unwrap();
                while let Some(Ok(Message::Text(text))) = ws.next().await {
                    if text.contains(r#""type":"report""#) {
                        break;
                    }
                }
            }
            let _ = ws.close(None).await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// `CHECKS` checks of a closed port, one after another on one session, as
/// the page sends them (the client sets TCP_NODELAY, as browsers do): the
/// round trip of each, and the engine's own `elapsed_us` from its report.
async fn check_trips(addr: &str) -> (Vec<Duration>, Vec<Duration>) {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = closed.local_addr().unwrap().to_string();
    drop(closed);
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    let origin = format!("http://{addr}").parse().unwrap();
    request.headers_mut().insert("Origin", origin);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .unwrap();
    let hello = r#"{"type":"hello","protocol":1}"#;
    ws.send(Message::Text(hello.into())).await.unwrap();
    ws.next().await.unwrap().unwrap();
    let (mut trips, mut engine) = (Vec::new(), Vec::new());
    for id in 0..CHECKS {
        let check = format!(r#"{{"type":"check","id":{id},"target":"{target}"}}"#);
        let started = Instant::now();
        ws.send(Message::Text(check.into())).await.unwrap();
        loop {
            let Message::Text(text) = ws.next().await.unwrap().unwrap() else {
                continue;
            };
            let event: serde_json::Value = serde_json::from_str(&text).unwrap();
            if event["type"] == "report" {
                trips.push(started.elapsed());
                let report = &event["report"];
                assert_eq!(report["verdict"], "unreachable", "{report}");
                let us = report["elapsed_us"].as_u64().unwrap();
                engine.push(Duration::from_micros(us));
                break;
            }
        }
    }
    (trips, engine)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let only_checks = std::env::args().any(|a| a == "ws-check");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let helper = Helper::start();
    let (mut trips, mut engine) = runtime.block_on(check_trips(&helper.1));
    println!(
        "check of a refused port over /ws ({CHECKS}): median {:>6.2} ms   p99 {:>6.2} ms",
        ms(percentile(&mut trips, 50)),
        ms(percentile(&mut trips, 99))
    );
    println!(
        "  the engine's own elapsed_us:           median {:>6.2} ms   p99 {:>6.2} ms",
        ms(percentile(&mut engine, 50)),
        ms(percentile(&mut engine, 99))
    );
    if only_checks {
        return;
    }

    let mut guard = guard_cost();
    let mut idle = health_trips(&helper.1, 2000);

    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = target.local_addr().unwrap().to_string();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let loader = runtime.spawn(load(helper.1.clone(), target, stop_rx));
    // Measure once every session is connected and checking.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !loader.is_finished()
        && std::fs::read_dir(format!("/proc/{}/fd", helper.0.id()))
            .unwrap()
            .count()
            < SESSIONS
        && Instant::now() < deadline
    {
        std::thread::yield_now();
    }
    let mut loaded = health_trips(&helper.1, 500);
    stop_tx.send(true).unwrap();
    runtime.block_on(loader).unwrap();

    println!(
        "guard checks (Host + Origin + token):   median {:>8.3} µs",
        percentile(&mut guard, 50).as_secs_f64() * 1e6
    );
    println!(
        "/api/health, idle:                     median {:>8.1} µs   p99 {:>8.1} µs",
        percentile(&mut idle, 50).as_secs_f64() * 1e6,
        percentile(&mut idle, 99).as_secs_f64() * 1e6
    );
    println!(
        "/api/health, {SESSIONS} sessions checking: median {:>8.1} µs   p99 {:>8.1} µs",
        percentile(&mut loaded, 50).as_secs_f64() * 1e6,
        percentile(&mut loaded, 99).as_secs_f64() * 1e6
    );
}
