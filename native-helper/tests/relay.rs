//! `/relay`, the WebSocket ⇄ TCP relay, with a plain WebSocket client
//! against real peers: redis-server, socat as an echo server, listeners that
//! close, reset or stay silent, a closed port, and a target outside the
//! policy inside a fresh network namespace.

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use support::peers::*;
use support::ws::*;
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Opens `/relay?target=TARGET` as the helper's own page would, offering
/// websockify's `binary` subprotocol.
async fn relay(helper: SocketAddr, target: &str) -> Ws {
    let (ws, protocol) = relay_with(helper, target, Some(&format!("http://{helper}")), None)
        .await
        .expect("relay upgrade");
    assert_eq!(protocol.as_deref(), Some("binary"));
    ws
}

/// Opens a relay with any Origin and token; the subprotocol the helper chose.
async fn relay_with(
    helper: SocketAddr,
    target: &str,
    origin: Option<&str>,
    token: Option<&str>,
) -> Result<(Ws, Option<String>), WsError> {
    open(
        &format!("ws://{helper}/relay?target={target}"),
        origin,
        token,
    )
    .await
}

/// Opens `url` as a websockify client would, with any Origin and token.
async fn open(
    url: &str,
    origin: Option<&str>,
    token: Option<&str>,
) -> Result<(Ws, Option<String>), WsError> {
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("Sec-WebSocket-Protocol", "binary".parse().unwrap());
    if let Some(origin) = origin {
        headers.insert("Origin", origin.parse().unwrap());
    }
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().unwrap();
        headers.insert("Authorization", value);
    }
    let (ws, response) = tokio_tungstenite::connect_async(request).await?;
    let protocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    Ok((ws, protocol))
}

/// Reads binary frames until `n` bytes came, or the close frame.
async fn read_bytes(ws: &mut Ws, n: usize) -> (Vec<u8>, Option<CloseFrame>) {
    let mut got = Vec::new();
    while got.len() < n {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("the relay answered in time");
        match frame {
            Some(Ok(Message::Binary(bytes))) => got.extend_from_slice(&bytes),
            Some(Ok(Message::Close(close))) => return (got, close),
            Some(Ok(other)) => panic!("unexpected frame {other:?}"),
            Some(Err(e)) => panic!("relay failed: {e}"),
            None => return (got, None),
        }
    }
    (got, None)
}

/// The close frame that ends the relay (after any bytes still on the way).
async fn closed(ws: &mut Ws) -> CloseFrame {
    let (_, close) = read_bytes(ws, usize::MAX).await;
    close.expect("a close frame with a code")
}

fn assert_close(close: &CloseFrame, code: u16, says: &str) {
    assert_eq!(u16::from(close.code), code, "{close:?}");
    assert!(close.reason.contains(says), "{close:?}");
}

#[tokio::test]
async fn redis_answers_ping_through_the_relay_and_the_log_says_how_it_went() {
    let redis = redis();
    let helper = helper(&[]);
    let mut ws = relay(helper.addr, &redis.addr.to_string()).await;
    ws.send(Message::Binary(b"PING\r\n".to_vec().into()))
        .await
        .unwrap();
    let (answer, _) = read_bytes(&mut ws, 7).await;
    assert_eq!(answer, b"+PONG\r\n");
    ws.send(Message::Binary(b"QUIT\r\n".to_vec().into()))
        .await
        .unwrap();
    let (answer, close) = read_bytes(&mut ws, usize::MAX).await;
    assert_eq!(answer, b"+OK\r\n");
    assert_close(&close.unwrap(), 1000, "the target closed the connection");

    // One line per relay: who, where, bytes each way, how it ended.
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let log = helper.stderr();
        if let Some(line) = log
            .lines()
            .find(|l| l.contains("relay") && l.contains("ended"))
        {
            break line.to_owned();
        }
        assert!(Instant::now() < deadline, "no relay line in {log}");
        tokio::task::yield_now().await;
    };
    for part in [
        format!("origin=http://{}", helper.addr),
        format!("target={}", redis.addr),
        "sent=12".to_owned(),
        "received=12".to_owned(),
        "code=1000".to_owned(),
    ] {
        assert!(line.contains(&part), "{part} not in {line}");
    }
}

/// socat sending back whatever it gets, one process per connection.
fn socat_echo() -> Running {
    spawn_listening(|port| {
        let mut socat = Command::new("socat");
        socat.args([
            &format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"),
            "PIPE",
        ]);
        socat
    })
}

#[tokio::test]
async fn every_byte_value_comes_back_from_an_echo_server() {
    let echo = socat_echo();
    let helper = helper(&[]);
    let mut ws = relay(helper.addr, &echo.addr.to_string()).await;
    let all: Vec<u8> = (0..=255).collect();
    ws.send(Message::Binary(all.clone().into())).await.unwrap();
    let (back, close) = read_bytes(&mut ws, all.len()).await;
    assert_eq!(close, None);
    assert_eq!(back, all);

    // The client closes: the relay ends in order.
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}
}

#[tokio::test]
async fn how_the_target_ended_is_the_close_code() {
    let helper = helper(&[]);
    let nothing = closed_port();
    let refused = format!("127.0.0.1:{nothing}");
    let mut ws = relay(helper.addr, &refused).await;
    assert_close(&closed(&mut ws).await, 4001, "connection refused");

    let resets = raw_listener(|mut stream| {
        // Reads the client's first bytes, then answers with a RST.
        let mut first = [0u8; 5];
        let _ = std::io::Read::read_exact(&mut stream, &mut first);
        reset(stream);
    });
    let mut ws = relay(helper.addr, &resets.to_string()).await;
    ws.send(Message::Binary(b"hello".to_vec().into()))
        .await
        .unwrap();
    assert_close(&closed(&mut ws).await, 4003, "reset");

    let says_bye = raw_listener(|mut stream| {
        let _ = stream.write_all(b"bye\n");
    });
    let mut ws = relay(helper.addr, &says_bye.to_string()).await;
    let (bye, close) = read_bytes(&mut ws, usize::MAX).await;
    assert_eq!(bye, b"bye\n");
    assert_close(&close.unwrap(), 1000, "the target closed");

    for bad in ["localhost:619009", "no-such-host.invalid:80"] {
        let mut ws = relay(helper.addr, bad).await;
        assert_close(&closed(&mut ws).await, 4006, "bad target");
    }
}

#[tokio::test]
async fn a_relay_with_nothing_to_say_ends_after_the_idle_time() {
    let helper = helper(&["--relay-idle", "1s"]);
    let quiet = raw_listener(silent);
    let mut ws = relay(helper.addr, &quiet.to_string()).await;
    assert_close(&closed(&mut ws).await, 4004, "nothing sent either way");
}

/// A target that sends as fast as it can while the client reads nothing:
/// the relay stops reading, so the target's writes stall after a bounded
/// amount (the kernel's socket buffers and the relay's few chunks), the
/// helper does not grow, and once the client reads again every byte
/// arrives, in order.
#[tokio::test]
async fn a_client_that_stops_reading_stops_the_target() {
    const ATTEMPT: u64 = 512 * 1024 * 1024;
    const BOUND: u64 = 48 * 1024 * 1024;
    let helper = helper(&[]);
    let source = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = source.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let stalled = Arc::new(AtomicBool::new(false));
    let (count, stall) = (written.clone(), stalled.clone());
    std::thread::spawn(move || {
        let (mut stream, _) = source.accept().unwrap();
        // A write that cannot move a byte for 2 s means the relay stopped reading.
        stream
            .set_write_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        let mut offset = 0usize;
        while count.load(Ordering::SeqCst) < ATTEMPT {
            match stream.write(&chunk[offset..]) {
                Ok(n) => {
                    count.fetch_add(n as u64, Ordering::SeqCst);
                    offset = (offset + n) % chunk.len();
                }
                Err(_) => break,
            }
        }
        stall.store(true, Ordering::SeqCst);
        // Then end, so the client can read everything and see the close.
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 1]);
    });
    let rss_before = rss_kib(helper.pid());
    let mut ws = relay(helper.addr, &target.to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stalled.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the target never stalled");
        tokio::task::yield_now().await;
    }
    let total = written.load(Ordering::SeqCst);
    let grown = rss_kib(helper.pid()).saturating_sub(rss_before);
    assert!(total < BOUND, "the target wrote {total} bytes unread");
    assert!(grown < 16 * 1024, "the helper grew by {grown} KiB");

    let (got, close) = read_bytes(&mut ws, usize::MAX).await;
    assert_eq!(got.len() as u64, total);
    let chunk = 64 * 1024;
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, &b)| b == ((i % chunk) % 251) as u8),
        "bytes arrived out of order or changed"
    );
    assert_close(&close.unwrap(), 1000, "the target closed");
}

fn refused_with(result: Result<(Ws, Option<String>), WsError>, status: u16) {
    match result {
        Err(WsError::Http(response)) => assert_eq!(response.status(), status),
        other => panic!("expected {status}, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn only_the_own_page_and_token_holders_get_a_relay() {
    let (helper, token) = helper_with_token(&["--allow-origin", "https://docs.example.com"]);
    let (target, accepted) = counting_listener();
    let target = target.to_string();
    // A docs site the user allowed may run checks, never open a relay.
    refused_with(
        relay_with(helper.addr, &target, Some("https://docs.example.com"), None).await,
        403,
    );
    refused_with(
        relay_with(helper.addr, &target, Some("http://evil.example"), None).await,
        403,
    );
    refused_with(
        relay_with(
            helper.addr,
            &target,
            Some("http://evil.example"),
            Some(&token),
        )
        .await,
        403,
    );
    refused_with(relay_with(helper.addr, &target, None, None).await, 403);
    refused_with(
        relay_with(helper.addr, &target, None, Some("guess")).await,
        403,
    );
    // DNS rebinding: our address under another name.
    let port = helper.addr.port();
    let path = format!("/relay?target={target}");
    assert_eq!(
        status_with_host(helper.addr, &path, &format!("evil.example:{port}")),
        403
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "the target was reached");

    // Without a target: what to write instead.
    let origin = format!("http://{}", helper.addr);
    refused_with(relay_with(helper.addr, "", Some(&origin), None).await, 400);

    // A script with the token gets one.
    let (mut ws, _) = relay_with(helper.addr, &target, None, Some(&token))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the relay never connected");
        tokio::task::yield_now().await;
    }
    ws.close(None).await.unwrap();
}

/// Inside a fresh network namespace, loopback also holds 192.0.2.1 (not a
/// loopback address): a relay there is refused before any connect, and the
/// target sees nothing; with --allow-target, a port whose packets a
/// firewall drops times out.
#[test]
fn targets_outside_the_policy_are_never_connected() {
    if !support::inside_netns(
        "targets_outside_the_policy_are_never_connected",
        "ip link set lo up && ip addr add 192.0.2.1/32 dev lo && \
         nft add table inet pd && \
         nft 'add chain inet pd out { type filter hook output priority 0; }' && \
         nft add rule inet pd out ip daddr 192.0.2.1 tcp dport 9 drop",
    ) {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let target = TcpListener::bind("192.0.2.1:0").unwrap();
    target.set_nonblocking(true).unwrap();
    let addr = target.local_addr().unwrap();
    let helper = helper(&[]);
    runtime.block_on(async {
        let mut ws = relay(helper.addr, &addr.to_string()).await;
        assert_close(&closed(&mut ws).await, 4005, "not allowed");
    });
    // Had the relay connected, the connection would be queued by now.
    assert_eq!(
        target.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
    drop(helper);

    let helper = support::helper(&["--allow-target", "192.0.2.0/24"]);
    runtime.block_on(async {
        let mut ws = relay(helper.addr, "192.0.2.1:9").await;
        assert_close(&closed(&mut ws).await, 4002, "no answer");
    });
}

/// `portdoctor bridge TARGET`: every WebSocket on its port, whatever the
/// path, relays to that one target, for the pages listed with
/// --allow-origin and scripts with the token; nothing else is served.
#[tokio::test]
async fn a_bridge_relays_to_its_one_target_for_listed_origins_only() {
    let redis = redis();
    let dir = TempDir::new("bridge");
    let token_file = dir.path("token");
    let mut command = support::command();
    command.args([
        "bridge",
        &redis.addr.to_string(),
        "--port",
        "0",
        "--allow-origin",
        "http://app.example:8080",
        "--token-file",
        token_file.to_str().unwrap(),
    ]);
    let bridge = spawn_announcing(command, false, |line| {
        let url = line.split(" is running at ws://").nth(1)?;
        url.trim_end_matches('/').parse().ok()
    });
    let token = std::fs::read_to_string(&token_file).unwrap();
    // noVNC's default path.
    let url = format!("ws://{}/websockify", bridge.addr);
    let ping = |mut ws: Ws| async move {
        ws.send(Message::Binary(b"PING\r\n".to_vec().into()))
            .await
            .unwrap();
        assert_eq!(read_bytes(&mut ws, 7).await.0, b"+PONG\r\n");
        ws.close(None).await.unwrap();
    };
    let (ws, protocol) = open(&url, Some("http://app.example:8080"), None)
        .await
        .unwrap();
    assert_eq!(protocol.as_deref(), Some("binary"));
    ping(ws).await;
    let (ws, _) = open(&url, None, Some(&token)).await.unwrap();
    ping(ws).await;

    refused_with(open(&url, Some("http://evil.example"), None).await, 403);
    refused_with(open(&url, None, None).await, 403);
    let port = bridge.addr.port();
    assert_eq!(
        status_with_host(bridge.addr, "/websockify", &format!("evil.example:{port}")),
        403
    );
    // No page, no API: a plain GET is not an upgrade.
    assert_ne!(
        status_with_host(bridge.addr, "/", &format!("127.0.0.1:{port}")),
        200
    );
}

/// A bridge started beside the helper, both without --token-file, writes its
/// token to a file of its own: the helper's token file, which scripts read
/// to reach the helper, still holds the helper's token, and each token
/// opens its own server.
#[tokio::test]
async fn a_bridge_leaves_the_helpers_token_file_alone() {
    let redis = redis();
    let runtime_dir = TempDir::new("tokens");
    let start = |args: &[&str]| {
        let mut command = support::command();
        command.env("XDG_RUNTIME_DIR", &runtime_dir.0).args(args);
        command
    };
    let helper = helper_from(start(&["--no-open", "--port", "0"]));
    let helper_file = runtime_dir.path("portdoctor/token");
    let helper_token = std::fs::read_to_string(&helper_file).unwrap();
    let target = redis.addr.to_string();
    let bridge = spawn_announcing(start(&["bridge", &target, "--port", "0"]), false, |line| {
        let url = line.split(" is running at ws://").nth(1)?;
        url.trim_end_matches('/').parse().ok()
    });
    let bridge_file = runtime_dir.path(&format!("portdoctor/bridge-{}.token", bridge.addr.port()));
    let bridge_token = std::fs::read_to_string(&bridge_file).unwrap();

    assert_eq!(std::fs::read_to_string(&helper_file).unwrap(), helper_token);
    assert_ne!(bridge_token, helper_token);
    for (url, token) in [
        (
            format!("ws://{}/relay?target={target}", helper.addr),
            &helper_token,
        ),
        (format!("ws://{}/websockify", bridge.addr), &bridge_token),
    ] {
        let (mut ws, _) = open(&url, None, Some(token)).await.unwrap();
        ws.send(Message::Binary(b"PING\r\n".to_vec().into()))
            .await
            .unwrap();
        assert_eq!(read_bytes(&mut ws, 7).await.0, b"+PONG\r\n", "{url}");
    }
    // And neither token opens the other's server.
    let url = format!("ws://{}/websockify", bridge.addr);
    refused_with(open(&url, None, Some(&helper_token)).await, 403);
}

/// A target that resets the moment it accepts (SO_LINGER 0, then close)
/// ends every relay with 4003, never 4007: the RST can land before the
/// helper sees its connect complete, and then the connect itself fails
/// with ECONNRESET (`relay.rs::a_reset_while_connecting_is_a_reset_not_unreachable`
/// pins that mapping). Which of the two moments the RST hits is the
/// kernel's choice, so the test asks many times, and each must say reset.
#[tokio::test]
async fn a_target_that_resets_on_accept_always_reads_as_reset() {
    let helper = helper(&[]);
    let resets = raw_listener(reset);
    for attempt in 0..40 {
        let mut ws = relay(helper.addr, &resets.to_string()).await;
        let close = closed(&mut ws).await;
        assert_eq!(u16::from(close.code), 4003, "attempt {attempt}: {close:?}");
        assert!(close.reason.contains("reset"), "{close:?}");
    }
}

/// Past `--max-relays`, a relay is closed with 1013 (try again later)
/// before any connect; once a relay ends (its log line is written after
/// its slot is free), the next one gets through.
#[tokio::test]
async fn relays_past_the_cap_are_told_to_try_again_later() {
    let helper = helper(&["--max-relays", "2"]);
    let (target, accepted) = counting_listener();
    let target = target.to_string();
    let mut first = relay(helper.addr, &target).await;
    let _second = relay(helper.addr, &target).await;
    let mut third = relay(helper.addr, &target).await;
    assert_close(&closed(&mut third).await, 1013, "2 relays are open already");
    wait_until(
        || accepted.load(Ordering::SeqCst) == 2,
        "both relays connected",
    )
    .await;

    first.close(None).await.unwrap();
    while let Some(Ok(_)) = first.next().await {}
    wait_until(
        || helper.stderr().contains("the client closed the relay"),
        "the first relay's log line",
    )
    .await;
    let _fourth = relay(helper.addr, &target).await;
    wait_until(
        || accepted.load(Ordering::SeqCst) == 3,
        "the fourth relay connected",
    )
    .await;
    // The refused one never connected.
    assert_eq!(
        helper.stderr().matches("code=1013").count(),
        1,
        "{}",
        helper.stderr()
    );
}
