//! What the security checks cost a request: the Host and Origin/token
//! decisions alone, next to a whole /api/health round trip on a keep-alive
//! loopback connection to the real helper.
//!
//! `cargo bench -p native-helper --bench guard`

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use native_helper::server::guard::{Guard, Token};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let token = Token::generate().expect("random token");
    let guard = Guard::new(
        "127.0.0.1:61900".parse().unwrap(),
        &["https://docs.example.com".to_owned()],
        token.clone(),
    );
    const ROUNDS: usize = 10_000;
    let checks: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            let _ = black_box(guard.check_host(black_box(Some("localhost:61900"))));
            let _ =
                black_box(guard.check_websocket(black_box(Some("https://docs.example.com")), None));
            let _ = black_box(guard.check_websocket(None, black_box(Some(token.as_str()))));
            started.elapsed()
        })
        .collect();

    // The real helper, one keep-alive connection, 2000 health requests.
    let mut helper = Command::new(env!("CARGO_BIN_EXE_portdoctor"))
        .args(["--no-open", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start portdoctor");
    let mut first = String::new();
    BufReader::new(helper.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("portdoctor is running at http://")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_nodelay(true).unwrap();
    let request = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut buf = [0u8; 4096];
    let trips: Vec<Duration> = (0..2000)
        .map(|_| {
            let started = Instant::now();
            conn.write_all(request.as_bytes()).unwrap();
            let n = conn.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
            started.elapsed()
        })
        .collect();
    let _ = helper.kill();

    let guard_ns = median(checks).as_nanos();
    let trip_us = median(trips).as_secs_f64() * 1e6;
    println!("guard checks (Host + Origin + token), median: {guard_ns} ns");
    println!("/api/health round trip on loopback, median:  {trip_us:.1} µs");
    println!(
        "guard share of a request: {:.2}% (bound: 50 µs added)",
        guard_ns as f64 / 1000.0 / trip_us * 100.0
    );
}
