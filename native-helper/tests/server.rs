//! The WebSocket protocol and the guard, against the real helper binary.

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use support::ws::*;
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

#[tokio::test]
async fn a_check_streams_each_stage_then_the_report() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let mut ws = session(helper.addr).await;
    send(
        &mut ws,
        json!({"type": "check", "id": 1, "target": server.addr.to_string()}),
    )
    .await;
    let events = until_done(&mut ws, 1).await;
    let stages: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "progress")
        .map(|e| e["progress"]["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["parsed", "resolved", "connected", "listeners", "identified"]
    );
    let identified = events
        .iter()
        .find(|e| e["progress"]["stage"] == "identified")
        .unwrap();
    assert_eq!(identified["progress"]["service"]["protocol"], "http");
    let connected = events
        .iter()
        .find(|e| e["progress"]["stage"] == "connected")
        .unwrap();
    assert_eq!(connected["progress"]["address"]["outcome"], "open");
    let report = &events.last().unwrap()["report"];
    assert_eq!(events.last().unwrap()["type"], "report");
    assert_eq!(report["verdict"], "reachable");
    assert_eq!(report["listeners"][0]["pid"], server.pid());
}

#[tokio::test]
async fn several_checks_run_at_once_on_one_connection() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let closed = closed_port();
    let mut ws = session(helper.addr).await;
    send(
        &mut ws,
        json!({"type": "check", "id": 10, "target": server.addr.to_string()}),
    )
    .await;
    send(
        &mut ws,
        json!({"type": "check", "id": 11, "target": format!("127.0.0.1:{closed}")}),
    )
    .await;
    send(&mut ws, json!({"type": "listeners", "id": 12})).await;
    let mut done = std::collections::HashMap::new();
    while done.len() < 3 {
        let event = next(&mut ws).await;
        if event["type"] != "progress" {
            done.insert(event["id"].as_u64().unwrap(), event);
        }
    }
    assert_eq!(done[&10]["report"]["verdict"], "reachable");
    assert_eq!(done[&11]["report"]["verdict"], "unreachable");
    assert_eq!(
        done[&11]["report"]["findings"][0]["code"],
        "nothing-listening"
    );
    let listeners = done[&12]["listeners"].as_array().unwrap();
    assert!(listeners.iter().any(|l| l["pid"] == server.pid()));
    // Linux hides no process's sockets (only other users' owners: unknown).
    assert_eq!(done[&12]["hidden_processes"], 0);
}

#[tokio::test]
async fn bad_input_gets_typed_errors_and_the_session_survives() {
    let helper = helper(&[]);
    let mut ws = session(helper.addr).await;
    for (frame, kind) in [
        ("{not json", "bad-json"),
        (r#"{"type":"format-disk","id":5}"#, "bad-request"),
        (r#"{"type":"check","id":"x","target":1}"#, "bad-request"),
        (r#"{"type":"cancel","id":99}"#, "unknown-id"),
    ] {
        ws.send(Message::Text(frame.into())).await.unwrap();
        let event = next(&mut ws).await;
        assert_eq!(event["type"], "error", "{frame}: {event}");
        assert_eq!(event["error"]["kind"], kind, "{frame}: {event}");
        assert!(!event["error"]["message"].as_str().unwrap().is_empty());
    }
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["error"]["kind"], "binary-frame");

    // A target that is garbage is not a protocol error: it is a report.
    send(
        &mut ws,
        json!({"type": "check", "id": 7, "target": "localhost:619009"}),
    )
    .await;
    let events = until_done(&mut ws, 7).await;
    let report = &events.last().unwrap()["report"];
    assert_eq!(report["findings"][0]["code"], "port-out-of-range");

    // Still alive, still answering.
    send(&mut ws, json!({"type": "listeners", "id": 8})).await;
    assert_eq!(
        until_done(&mut ws, 8).await.last().unwrap()["type"],
        "listeners"
    );
}

#[tokio::test]
async fn a_bind_check_names_who_holds_the_port() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let mut ws = session(helper.addr).await;
    send(
        &mut ws,
        json!({"type": "bind-check", "id": 1, "port": server.addr.port()}),
    )
    .await;
    let answer = until_done(&mut ws, 1).await.pop().unwrap();
    assert_eq!(answer["type"], "bind-check", "{answer}");
    assert_eq!(answer["report"]["available"], false);
    assert_eq!(answer["report"]["holders"][0]["pid"], server.pid());
    assert_eq!(answer["report"]["findings"][0]["code"], "port-in-use");

    // Port 0 would only ask the OS for any free port.
    send(&mut ws, json!({"type": "bind-check", "id": 2, "port": 0})).await;
    let refused = next(&mut ws).await;
    assert_eq!(
        (refused["id"].as_u64(), &refused["error"]["kind"]),
        (Some(2), &json!("bad-request")),
        "{refused}"
    );
}

#[tokio::test]
async fn requests_before_hello_are_refused_politely() {
    let helper = helper(&[]);
    let mut ws = connect(helper.addr, &format!("http://{}", helper.addr))
        .await
        .unwrap();
    send(&mut ws, json!({"type": "listeners", "id": 1})).await;
    let event = next(&mut ws).await;
    assert_eq!(event["error"]["kind"], "handshake");
    assert_eq!(event["id"], 1);
    send(&mut ws, json!({"type": "hello", "protocol": 999})).await;
    assert_eq!(next(&mut ws).await["error"]["kind"], "handshake");
}

#[tokio::test]
async fn oversized_frames_close_the_connection_not_the_helper() {
    let helper = helper(&[]);
    let mut ws = session(helper.addr).await;
    let huge = "x".repeat(200 * 1024);
    let _ = ws.send(Message::Text(huge.into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(
        closed.is_ok(),
        "the helper should close an oversized session"
    );
    // The helper is fine and serves a new session.
    let mut ws = session(helper.addr).await;
    send(&mut ws, json!({"type": "listeners", "id": 1})).await;
    assert_eq!(
        until_done(&mut ws, 1).await.last().unwrap()["type"],
        "listeners"
    );
}

#[tokio::test]
async fn websocket_from_a_foreign_origin_is_refused_before_upgrade() {
    let helper = helper(&[]);
    for origin in ["http://evil.example", "http://127.0.0.1:1", "null"] {
        match connect(helper.addr, origin).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 403, "{origin}"),
            other => panic!("{origin}: expected 403, got {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test]
async fn allowed_origins_may_connect() {
    let helper = helper(&["--allow-origin", "https://docs.example.com"]);
    let ws = connect(helper.addr, "https://docs.example.com").await;
    assert!(ws.is_ok(), "{:?}", ws.err());
}

#[test]
fn foreign_host_headers_are_refused() {
    let helper = helper(&[]);
    let port = helper.addr.port();
    for path in ["/", "/api/health", "/ws", "/pkg/wasm_probe.js"] {
        assert_eq!(
            status_with_host(helper.addr, path, &format!("evil.example:{port}")),
            403,
            "{path}"
        );
    }
    assert_eq!(
        status_with_host(helper.addr, "/", &format!("127.0.0.1:{port}")),
        200
    );
    assert_eq!(
        status_with_host(helper.addr, "/", &format!("localhost:{port}")),
        200
    );
    assert_eq!(
        status_with_host(helper.addr, "/api/health", &format!("localhost:{port}")),
        200
    );
    assert_eq!(
        status_with_host(helper.addr, "/nope", &format!("localhost:{port}")),
        404
    );
}

#[test]
fn the_page_and_its_module_are_served() {
    let helper = helper(&[]);
    let host = helper.addr.to_string();
    for path in [
        "/",
        "/style.css",
        "/pkg/wasm_probe.js",
        "/pkg/wasm_probe_bg.wasm",
    ] {
        assert_eq!(status_with_host(helper.addr, path, &host), 200, "{path}");
    }
}

#[tokio::test]
async fn the_own_page_lists_and_checks_configured_mcp_servers() {
    let http = mcp_server("demo_server.py", &["streamable-http"]);
    let dir = TempDir::new("ws-mcp");
    let config = mcp_config(&dir, &format!("http://{}/mcp", http.addr));
    let helper = helper(&["--mcp-config", config.to_str().unwrap()]);
    let mut ws = session(helper.addr).await;

    send(&mut ws, json!({"type": "mcp-servers", "id": 1})).await;
    let listed = until_done(&mut ws, 1).await.pop().unwrap();
    assert_eq!(listed["type"], "mcp-servers", "{listed}");
    assert_eq!(listed["config"], config.display().to_string());
    let crashes = listed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "crashes")
        .unwrap();
    assert_eq!(crashes["kind"], "stdio");
    assert_eq!(crashes["env"], json!(["DEMO_DB"]));
    // Variable names only: values stay on the machine.
    assert!(!listed.to_string().contains("/nonexistent/demo.db"));

    send(
        &mut ws,
        json!({"type": "mcp-check", "id": 2, "name": "demo"}),
    )
    .await;
    let events = until_done(&mut ws, 2).await;
    let mcp_progress = events
        .iter()
        .find(|e| e["progress"]["stage"] == "mcp")
        .expect("an mcp progress event");
    assert_eq!(mcp_progress["progress"]["mcp"]["transport"], "stdio");
    let report = &events.last().unwrap()["report"];
    assert_eq!(report["mcp"]["server"]["name"], "portdoctor-demo");
    assert_eq!(report["findings"][0]["code"], "mcp-ok");

    send(
        &mut ws,
        json!({"type": "mcp-check", "id": 3, "name": "nope"}),
    )
    .await;
    let error = until_done(&mut ws, 3).await.pop().unwrap();
    assert_eq!(error["error"]["kind"], "config", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no server named \"nope\"")
    );
}

#[tokio::test]
async fn no_assistant_configuration_is_a_fact_with_the_helpers_own_flag() {
    let home = TempDir::new("no-assistant");
    let helper = helper_without_assistant(&home);
    let mut ws = session(helper.addr).await;
    send(&mut ws, json!({"type": "mcp-servers", "id": 1})).await;
    let error = until_done(&mut ws, 1).await.pop().unwrap();
    // Its own kind, so the page can leave MCP out for people without it.
    assert_eq!(error["error"]["kind"], "no-config", "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message
            .starts_with("No MCP servers to list: no claude_desktop_config.json on this machine"),
        "{message}"
    );
    // `--config` is the helper's settings file: naming it would break the helper.
    assert!(
        message.contains("`portdoctor --mcp-config PATH`"),
        "{message}"
    );
    assert!(!message.contains("--config PATH"), "{message}");
}

#[tokio::test]
async fn an_allowed_foreign_origin_may_not_use_configured_servers() {
    let dir = TempDir::new("ws-foreign");
    let config = mcp_config(&dir, "http://127.0.0.1:1/mcp");
    let helper = helper(&[
        "--allow-origin",
        "https://docs.example.com",
        "--mcp-config",
        config.to_str().unwrap(),
    ]);
    let mut ws = connect(helper.addr, "https://docs.example.com")
        .await
        .unwrap();
    send(&mut ws, json!({"type": "hello", "protocol": 1})).await;
    assert_eq!(next(&mut ws).await["type"], "hello");
    send(&mut ws, json!({"type": "mcp-servers", "id": 1})).await;
    send(
        &mut ws,
        json!({"type": "mcp-check", "id": 2, "name": "hangs"}),
    )
    .await;
    for id in [1, 2] {
        let event = next(&mut ws).await;
        assert_eq!(event["id"], id, "{event}");
        assert_eq!(event["error"]["kind"], "forbidden", "{event}");
    }
    // Nothing was started: the hanging server would have noted its pid.
    assert!(!dir.0.join("pids").exists());
}

/// Sixteen checks at once on a client that reads nothing until it has sent
/// them all, through a small receive buffer: every check's progress still
/// arrives, each stage once and in order, before its report.
#[tokio::test]
async fn progress_reaches_a_slow_client_complete() {
    let helper = helper(&[]);
    let closed = closed_port();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(helper.addr).await.unwrap();
    let mut request = format!("ws://{}/ws", helper.addr)
        .into_client_request()
        .unwrap();
    let origin = format!("http://{}", helper.addr).parse().unwrap();
    request.headers_mut().insert("Origin", origin);
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap();
    send(&mut ws, json!({"type": "hello", "protocol": 1})).await;
    for id in 0..16 {
        let target = format!("127.0.0.1:{closed}");
        send(
            &mut ws,
            json!({"type": "check", "id": id, "target": target}),
        )
        .await;
    }
    let mut stages: std::collections::HashMap<u64, Vec<String>> = Default::default();
    let mut reports = 0;
    while reports < 16 {
        let event = next(&mut ws).await;
        match event["type"].as_str() {
            Some("progress") => stages
                .entry(event["id"].as_u64().unwrap())
                .or_default()
                .push(event["progress"]["stage"].as_str().unwrap().to_owned()),
            Some("report") => reports += 1,
            _ => {}
        }
    }
    for id in 0..16 {
        assert_eq!(
            stages[&id],
            ["parsed", "resolved", "connected", "listeners"],
            "check {id}"
        );
    }
}
