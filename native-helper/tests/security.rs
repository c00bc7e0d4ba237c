//! Attacks on the helper that need no browser: missing or wrong tokens,
//! capability limits for allowed origins, hostile frames, slowloris, connect
//! floods, and 1000 concurrent sessions. After each, the helper still answers
//! and has given back its file descriptors.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use protocol::RequestKind;
use serde_json::json;
use support::ws::*;
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

fn refused_with_403(result: Result<Ws, WsError>) {
    match result {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
}

/// Open file descriptors of a process.
fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Polls until the helper is back to `baseline` descriptors (bounded).
fn assert_fds_return(pid: u32, baseline: usize) {
    let deadline = Instant::now() + DEADLINE;
    while fds(pid) > baseline && Instant::now() < deadline {
        std::thread::yield_now();
    }
    let now = fds(pid);
    assert!(
        now <= baseline,
        "file descriptors leaked: {now} open, {baseline} before"
    );
}

/// A health request on a fresh connection answers 200.
fn health(helper: SocketAddr) {
    assert_eq!(
        status_with_host(helper, "/api/health", &helper.to_string()),
        200
    );
}

#[tokio::test]
async fn scripts_need_the_token() {
    let (helper, token) = helper_with_token(&[]);
    refused_with_403(connect_with(helper.addr, None, None).await);
    refused_with_403(connect_with(helper.addr, None, Some("not-the-token")).await);
    // The token does not open the door for a foreign page.
    refused_with_403(connect_with(helper.addr, Some("http://evil.example"), Some(&token)).await);

    let mut ws = connect_with(helper.addr, None, Some(&token)).await.unwrap();
    send(&mut ws, json!({"type": "hello", "protocol": 1})).await;
    assert_eq!(next(&mut ws).await["type"], "hello");
    send(&mut ws, json!({"type": "listeners", "id": 1})).await;
    assert_eq!(
        until_done(&mut ws, 1).await.last().unwrap()["type"],
        "listeners"
    );

    // Also as a query parameter, for clients that cannot set headers.
    let url = format!("ws://{}/ws?token={token}", helper.addr);
    assert!(tokio_tungstenite::connect_async(url).await.is_ok());
}

/// One request of each kind, as a page would send it; the match has no
/// wildcard, so a new request kind does not compile until it is here.
fn sample(kind: RequestKind, id: u64, target: &str) -> serde_json::Value {
    match kind {
        RequestKind::Hello => json!({"type": "hello", "protocol": 1}),
        RequestKind::Check => json!({"type": "check", "id": id, "target": target}),
        RequestKind::Listeners => json!({"type": "listeners", "id": id}),
        RequestKind::Cancel => json!({"type": "cancel", "id": id}),
        RequestKind::McpServers => json!({"type": "mcp-servers", "id": id}),
        RequestKind::McpCheck => json!({"type": "mcp-check", "id": id, "name": "demo"}),
        RequestKind::BindCheck => json!({"type": "bind-check", "id": id, "port": 8080}),
        RequestKind::McpLogin => json!({"type": "mcp-login", "id": id, "target": target}),
    }
}

/// Walks every request kind from an allowed foreign origin: only hello,
/// check and cancel are answered; everything else is `forbidden`, and the
/// relay is refused at the upgrade.
#[tokio::test]
async fn allowed_origins_may_only_check() {
    let helper = helper(&["--allow-origin", "https://docs.example.com"]);
    let server = python_http("127.0.0.1");
    let target = server.addr.to_string();
    let mut ws = connect(helper.addr, "https://docs.example.com")
        .await
        .unwrap();
    for (id, kind) in RequestKind::all().enumerate() {
        let id = id as u64 + 1;
        send(&mut ws, sample(kind, id, &target)).await;
        let end = loop {
            let event = next(&mut ws).await;
            if event["type"] != "progress" {
                break event;
            }
        };
        let answered = match kind {
            RequestKind::Hello => end["type"] == "hello",
            RequestKind::Check => end["report"]["verdict"] == "reachable",
            // Nothing runs under that id: not forbidden, just unknown.
            RequestKind::Cancel => end["error"]["kind"] == "unknown-id",
            RequestKind::Listeners
            | RequestKind::McpServers
            | RequestKind::McpCheck
            | RequestKind::McpLogin
            | RequestKind::BindCheck => end["error"]["kind"] == "forbidden" && end["id"] == id,
        };
        assert!(answered, "{}: {end}", kind.name());
    }
    let relay = format!("ws://{}/relay?target={target}", helper.addr)
        .into_client_request()
        .map(|mut request| {
            let origin = "https://docs.example.com".parse().unwrap();
            request.headers_mut().insert("Origin", origin);
            request
        })
        .unwrap();
    refused_with_403(
        tokio_tungstenite::connect_async(relay)
            .await
            .map(|(ws, _)| ws),
    );
}

/// A docs page on an allowed origin learns whether and why a port answers,
/// not where this machine is on the network. In a fresh namespace whose
/// veth carries 10.9.8.7, a wildcard listener is `exposed-to-network` for
/// both audiences; only the own page's report names the address.
#[test]
fn an_allowed_origin_never_learns_this_machines_addresses() {
    if !inside_netns(
        "an_allowed_origin_never_learns_this_machines_addresses",
        "ip link set lo up && \
         ip link add pd0 type veth peer name pd1 && ip addr add 10.9.8.7/24 dev pd0 && \
         ip link set pd0 up && ip link set pd1 up",
    ) {
        return;
    }
    const DOCS: &str = "https://docs.example.com";
    let wildcard = TcpListener::bind("0.0.0.0:0").unwrap();
    let target = format!("127.0.0.1:{}", wildcard.local_addr().unwrap().port());
    let helper = helper(&["--allow-origin", DOCS]);
    let check = |ws: Ws| {
        let target = target.clone();
        async move {
            let mut ws = ws;
            send(&mut ws, json!({"type": "hello", "protocol": 1})).await;
            assert_eq!(next(&mut ws).await["type"], "hello");
            send(&mut ws, json!({"type": "check", "id": 1, "target": target})).await;
            let report = until_done(&mut ws, 1).await.pop().unwrap()["report"].clone();
            let exposed = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "exposed-to-network")
                .cloned()
                .unwrap_or_else(|| panic!("no exposed-to-network: {report:#}"));
            assert!(
                exposed["summary"].as_str().unwrap().contains("pd0"),
                "{exposed:#}"
            );
            report.to_string()
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let docs = check(connect(helper.addr, DOCS).await.unwrap()).await;
        assert!(!docs.contains("10.9.8.7"), "{docs}");
        let own = check(
            connect(helper.addr, &format!("http://{}", helper.addr))
                .await
                .unwrap(),
        )
        .await;
        assert!(own.contains("10.9.8.7"), "{own}");
    });
}

#[tokio::test]
async fn hostile_frames_get_typed_errors() {
    let helper = helper(&[]);
    let mut ws = session(helper.addr).await;
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    for (frame, kind, id) in [
        (
            r#"{"type":"check","id":184467440737095516150,"target":"1"}"#.to_owned(),
            "bad-request",
            json!(null),
        ),
        (
            r#"{"type":"check","id":-1,"target":"1"}"#.to_owned(),
            "bad-request",
            json!(null),
        ),
        (deep, "bad-json", json!(null)),
        (
            r#"{"type":"check","id":1,"target":"1","options":{"timeout_ms":"x"}}"#.to_owned(),
            "bad-request",
            json!(1),
        ),
        ("null".to_owned(), "bad-request", json!(null)),
        ("\u{0}\u{1}".to_owned(), "bad-json", json!(null)),
    ] {
        ws.send(Message::Text(frame.clone().into())).await.unwrap();
        let event = next(&mut ws).await;
        let shown = &frame[..frame.len().min(60)];
        assert_eq!(event["error"]["kind"], kind, "{shown}: {event}");
        assert_eq!(event["id"], id, "{shown}: {event}");
    }
    // Too many requests in flight: the 17th of a burst is refused, none is lost.
    let closed = closed_port();
    for id in 0..17 {
        send(
            &mut ws,
            json!({"type": "check", "id": id, "target": format!("127.0.0.1:{closed}")}),
        )
        .await;
    }
    let mut ends = 0;
    let mut limited = 0;
    while ends < 17 {
        let event = next(&mut ws).await;
        match event["type"].as_str() {
            Some("report") => ends += 1,
            Some("error") => {
                ends += 1;
                limited += usize::from(event["error"]["kind"] == "limit");
            }
            _ => {}
        }
    }
    assert!(limited <= 1, "at most the one beyond the bound is refused");
}

#[test]
fn slowloris_clients_are_cut_off_and_do_not_starve_others() {
    let helper = helper(&[]);
    let pid = helper.pid();
    health(helper.addr);
    let baseline = fds(pid);
    let mut slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = TcpStream::connect(helper.addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    // Others are still served while they dawdle: health is answered while
    // every slow client is still connected, before the helper's header
    // timeout cut any of them (no fixed latency bound).
    health(helper.addr);
    for s in &slow {
        s.set_nonblocking(true).unwrap();
        let pending = s.peek(&mut [0u8; 1]);
        assert!(
            matches!(&pending, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a slow client was cut off before health was answered: {pending:?}"
        );
        s.set_nonblocking(false).unwrap();
    }
    // The helper hangs up on each of them once the header timeout passes.
    for s in &mut slow {
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut buf = [0u8; 512];
        let n = s
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("helper kept a slow client open: {e}"));
        // Either a clean close or a 408 before closing.
        assert!(n == 0 || buf.starts_with(b"HTTP/1.1 408"), "{n}");
    }
    drop(slow);
    assert_fds_return(pid, baseline);
}

#[test]
fn half_closed_and_aborted_connections_are_harmless() {
    let helper = helper(&[]);
    let pid = helper.pid();
    health(helper.addr);
    let baseline = fds(pid);
    for _ in 0..50 {
        let mut s = TcpStream::connect(helper.addr).unwrap();
        s.write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
            .unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    }
    // A connect flood: open and drop at once.
    for _ in 0..2000 {
        drop(TcpStream::connect(helper.addr).unwrap());
    }
    health(helper.addr);
    assert_fds_return(pid, baseline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sessions_checking_at_once() {
    const CLIENTS: usize = 1000;
    let helper = helper(&[]);
    let pid = helper.pid();
    health(helper.addr);
    let baseline = fds(pid);
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = target.local_addr().unwrap().to_string();

    let mut clients = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        clients.push(session(helper.addr).await);
    }
    let runs: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            let target = target.clone();
            tokio::spawn(async move {
                send(&mut ws, json!({"type": "check", "id": i, "target": target})).await;
                let end = until_done(&mut ws, i as u64).await.pop().unwrap();
                assert_eq!(end["type"], "report", "{end}");
                ws
            })
        })
        .collect();
    // While they run, others still get answers (within the client's read
    // deadline; how fast is the benchmarks' business, not a test's).
    let addr = helper.addr;
    tokio::task::spawn_blocking(move || health(addr))
        .await
        .unwrap();
    let mut clients = Vec::with_capacity(CLIENTS);
    for run in runs {
        clients.push(run.await.unwrap());
    }
    let rss = rss_kib(pid);
    assert!(rss < 256 * 1024, "helper grew to {rss} KiB");
    for mut ws in clients {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    }
    let addr = helper.addr;
    tokio::task::spawn_blocking(move || {
        assert_fds_return(pid, baseline);
        health(addr);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn origins_can_be_allowed_from_the_settings_file() {
    let path = std::env::temp_dir().join(format!("portdoctor-config-{}.toml", std::process::id()));
    std::fs::write(&path, "allow-origin = [\"https://docs.example.com\"]\n").unwrap();
    let helper = helper(&["--config", path.to_str().unwrap()]);
    assert!(
        connect(helper.addr, "https://docs.example.com")
            .await
            .is_ok()
    );
    refused_with_403(connect(helper.addr, "https://other.example.com").await);

    std::fs::write(&path, "allow_origins = 1\n").unwrap();
    let out = portdoctor(&[
        "--no-open",
        "--port",
        "0",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("allow-origin ="));
    let _ = std::fs::remove_file(&path);
}
