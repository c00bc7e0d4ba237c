//! `portdoctor mcp` against real MCP servers: the official Python SDK's
//! (tests/mcp/demo_server.py), fastmcp's (tests/mcp/fastmcp_server.py), the
//! reference servers and Context7 from npm (all pinned by `cargo xtask
//! setup`), the official TypeScript SDK's (tests/mcp/ts_stateless.cjs), and
//! servers that fail the way real ones do (tests/mcp/misbehaving.py). Names, versions and tool lists are asserted
//! exactly as the servers declare them.

mod support;

use std::process::Output;

use serde_json::Value;
use support::*;

const NAME: &str = "portdoctor-demo";
const VERSION: &str = "1.4.2";
const TOOLS: [&str; 2] = ["add", "echo"];

fn mcp_json(args: &[&str]) -> (Value, i32) {
    let mut all = vec!["mcp", "--json"];
    all.extend_from_slice(args);
    check_json(&portdoctor(&all))
}

fn steps(mcp: &Value) -> Vec<(String, Option<u64>)> {
    mcp["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            assert!(s["elapsed_us"].is_u64(), "{s}");
            (
                s["step"].as_str().unwrap().to_owned(),
                s["http_status"].as_u64(),
            )
        })
        .collect()
}

fn steps_of(list: &[(&str, Option<u64>)]) -> Vec<(String, Option<u64>)> {
    list.iter().map(|(s, c)| ((*s).to_owned(), *c)).collect()
}

/// Name, version and tools exactly as demo_server.py declares them.
fn assert_demo(mcp: &Value) {
    assert_eq!(mcp["server"]["name"], NAME, "{mcp:#}");
    assert_eq!(mcp["server"]["version"], VERSION, "{mcp:#}");
    assert_eq!(mcp["tools"], 2, "{mcp:#}");
    assert_eq!(mcp["tool_names"], serde_json::json!(TOOLS), "{mcp:#}");
    assert_eq!(mcp["resources"], 1, "{mcp:#}");
    assert_eq!(mcp["prompts"], 1, "{mcp:#}");
    assert_eq!(
        mcp["capabilities"],
        serde_json::json!(["prompts", "resources", "tools"])
    );
    assert!(mcp["elapsed_us"].as_u64().unwrap() > 0);
}

fn summary(report: &Value, code: &str) -> String {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))["summary"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn streamable_http_in_the_stateless_era() {
    let server = mcp_server("demo_server.py", &["streamable-http"]);
    let url = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&url]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(codes(&report), ["mcp-ok", "reachable"]);
    let mcp = &report["mcp"];
    assert_demo(mcp);
    assert_eq!(mcp["transport"], "streamable-http");
    assert_eq!(mcp["era"], "stateless");
    assert_eq!(mcp["url"], url);
    assert_eq!(mcp["protocol_version"], "2026-07-28");
    assert_eq!(mcp["server_versions"], serde_json::json!(["2026-07-28"]));
    assert_eq!(mcp["session"], false);
    assert_eq!(
        steps(mcp),
        steps_of(&[
            ("server/discover", Some(200)),
            ("tools/list", Some(200)),
            ("resources/list", Some(200)),
            ("prompts/list", Some(200)),
        ])
    );
    assert!(summary(&report, "mcp-ok").contains(&format!("{NAME} {VERSION} answers at {url}")));
}

#[test]
fn streamable_http_over_tls_with_a_self_signed_certificate() {
    let scratch = TempDir::new("mcp-tls");
    support::peers::self_signed(&scratch.0);
    let dir = scratch.0.display().to_string();
    let server = mcp_server("demo_server.py", &["streamable-http", "--tls", &dir]);
    let url = format!("https://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&url]);
    // The server answers over TLS; what stands between it and a client is
    // the certificate, which clients refuse.
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["tls-untrusted-certificate"]);
    let mcp = &report["mcp"];
    assert_demo(mcp);
    assert_eq!(mcp["url"], url);
    assert_eq!(mcp["transport"], "streamable-http");
    assert_eq!(mcp["protocol_version"], "2026-07-28");
    assert_eq!(report["service"]["protocol"], "mcp");
    assert!(
        report["service"]["detail"]
            .as_str()
            .unwrap()
            .contains("CN=localhost"),
        "{report:#}"
    );
}

#[test]
fn a_configured_servers_headers_carry_its_token() {
    let server = mcp_server("demo_server.py", &["streamable-http", "--token", "s3cret"]);
    let url = format!("http://{}/mcp", server.addr);
    let dir = TempDir::new("mcp-headers");
    let config = dir.path("claude_desktop_config.json");
    let servers = serde_json::json!({"mcpServers": {
        "keyed": {"url": url, "headers": {"Authorization": "Bearer s3cret"}},
        "keyless": {"url": url},
    }});
    std::fs::write(&config, servers.to_string()).unwrap();
    let (all, code) = mcp_json(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 1, "{all:#}");
    let report = |name: &str| {
        all["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["server"]["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {all:#}"))
    };
    let keyed = report("keyed");
    assert_eq!(
        keyed["server"]["headers"],
        serde_json::json!(["authorization"])
    );
    assert_eq!(codes(&keyed["report"]), ["mcp-ok", "reachable"]);
    assert_demo(&keyed["report"]["mcp"]);
    // The token stays in the configuration file.
    assert!(!all.to_string().contains("s3cret"), "{all:#}");

    let keyless = &report("keyless")["report"];
    // A static token, no OAuth: nothing to sign in with, as the second
    // finding says (with the headers way out).
    assert_eq!(codes(keyless), ["mcp-rejected", "mcp-auth-no-metadata"]);
    assert!(
        summary(keyless, "mcp-rejected").contains("requires authorization (HTTP 401"),
        "{keyless:#}"
    );
}

#[test]
fn a_plain_check_finds_the_server_without_being_told_the_path() {
    let server = mcp_server("demo_server.py", &["streamable-http"]);
    let (report, code) = check_json(&portdoctor(&["check", &server.addr.to_string(), "--json"]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["mcp"]["url"], format!("http://{}/mcp", server.addr));
    assert_eq!(codes(&report), ["mcp-ok", "reachable"]);
}

#[test]
fn handshake_era_server_on_another_path_is_found_and_the_wrong_path_named() {
    // A 2025-era server (the SDK's handshake path) mounted at / rather than /mcp.
    let server = mcp_server(
        "demo_server.py",
        &["streamable-http", "--era", "handshake", "--path", "/"],
    );
    let root = format!("http://{}/", server.addr);
    let (report, code) = mcp_json(&[&server.addr.to_string()]);
    assert_eq!(code, 0, "{report:#}");
    let mcp = &report["mcp"];
    assert_demo(mcp);
    assert_eq!(mcp["url"], root);
    assert_eq!(mcp["transport"], "streamable-http");
    assert_eq!(mcp["era"], "handshake");
    assert_eq!(mcp["protocol_version"], "2025-11-25");
    assert_eq!(mcp["session"], true);
    assert_eq!(
        steps(mcp),
        steps_of(&[
            ("server/discover", Some(400)),
            ("initialize", Some(200)),
            ("notifications/initialized", Some(202)),
            ("tools/list", Some(200)),
            ("resources/list", Some(200)),
            ("prompts/list", Some(200)),
            ("DELETE /", Some(200)),
        ])
    );

    // Asked at /mcp: nothing there, and the report says where it is.
    let asked = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&asked]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-wrong-path"]);
    assert_eq!(
        summary(&report, "mcp-wrong-path"),
        format!(
            "Nothing speaks MCP at {asked} (POST: HTTP 404 Not Found: Not Found; GET: HTTP 404 Not Found: Not Found); the server is at {root}"
        )
    );
    assert_eq!(report["mcp"]["url"], root);
}

#[test]
fn legacy_sse_server() {
    let server = mcp_server("demo_server.py", &["sse"]);
    let (report, code) = mcp_json(&[&server.addr.to_string()]);
    assert_eq!(code, 0, "{report:#}");
    let mcp = &report["mcp"];
    assert_demo(mcp);
    assert_eq!(mcp["transport"], "sse");
    assert_eq!(mcp["era"], "handshake");
    assert_eq!(mcp["url"], format!("http://{}/sse", server.addr));
    assert_eq!(mcp["protocol_version"], "2025-11-25");
    // The POSTs are only acknowledged; the answers come on the stream.
    assert_eq!(
        steps(mcp),
        steps_of(&[
            ("GET /sse", Some(200)),
            ("initialize", Some(202)),
            ("notifications/initialized", Some(202)),
            ("tools/list", Some(202)),
            ("resources/list", Some(202)),
            ("prompts/list", Some(202)),
        ])
    );
}

#[test]
fn transport_security_rejects_a_foreign_host_and_origin() {
    let server = mcp_server("demo_server.py", &["streamable-http", "--guard"]);
    let port = server.addr.port();

    let (report, code) = mcp_json(&[&format!("http://127.0.0.1:{port}/mcp")]);
    assert_eq!(code, 0, "{report:#}");

    let (report, code) = mcp_json(&[&format!("http://localhost:{port}/mcp")]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report)[0], "mcp-rejected");
    assert_eq!(
        summary(&report, "mcp-rejected"),
        format!(
            "http://localhost:{port}/mcp refused the Host header \"localhost:{port}\" (421 Misdirected Request)"
        )
    );

    let (report, code) = mcp_json(&[
        &format!("http://127.0.0.1:{port}/mcp"),
        "--origin",
        "http://evil.example",
    ]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-rejected"]);
    assert_eq!(
        summary(&report, "mcp-rejected"),
        format!(
            "http://127.0.0.1:{port}/mcp refused the Origin \"http://evil.example\" (403 Forbidden)"
        )
    );
    let evidence = &report["findings"][0]["evidence"];
    assert_eq!(
        evidence[0],
        format!("POST http://127.0.0.1:{port}/mcp: HTTP 403 Forbidden: Invalid Origin header")
    );
}

#[test]
fn a_server_that_never_answers() {
    let server = mcp_server("misbehaving.py", &["hang-http"]);
    let url = format!("http://{}/mcp", server.addr);
    // 2 s: identification's 0.9 s on a silent server fits inside it even on
    // a loaded machine, and added to it (the old way) makes 2.9 s.
    let (report, code) = mcp_json(&[&url, "--timeout", "2s"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-no-answer"]);
    assert_eq!(
        summary(&report, "mcp-no-answer"),
        format!("{url} took the server/discover request but did not answer within 2000 ms")
    );
    assert_eq!(report["mcp"], Value::Null);
    // The whole check keeps to the 2 s: identification's wait on the silent
    // server is inside it, not before it.
    let elapsed = report["elapsed_us"].as_u64().unwrap();
    assert!(elapsed < 2_600_000, "{elapsed} µs for a 2 s timeout");
    // `check` with a timeout given keeps to it too, instead of MCP's 10 s.
    let (report, code) = check_json(&portdoctor(&["check", &url, "--timeout", "2s", "--json"]));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        summary(&report, "mcp-no-answer"),
        format!("{url} took the server/discover request but did not answer within 2000 ms")
    );
    let elapsed = report["elapsed_us"].as_u64().unwrap();
    assert!(elapsed < 2_600_000, "{elapsed} µs for a 2 s timeout");
}

/// `portdoctor mcp TARGET` finds no MCP: the evidence of its not-mcp.
fn not_mcp_evidence(target: &str) -> Vec<String> {
    let (report, code) = mcp_json(&[target]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["not-mcp"]);
    report["findings"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn plain_http_is_not_mcp() {
    let server = python_http("127.0.0.1");
    let evidence = not_mcp_evidence(&format!("http://{}/mcp", server.addr));
    let tried: Vec<&str> = evidence
        .iter()
        .map(|e| e.split(": ").next().unwrap())
        .collect();
    let base = format!("http://{}", server.addr);
    assert_eq!(
        tried,
        [
            format!("{base}/mcp"),
            format!("{base}/sse"),
            format!("{base}/"),
            // Then the discovery documents that could say where MCP is.
            format!("{base}/.well-known/mcp/server-card"),
            format!("{base}/.well-known/mcp.json"),
            format!("{base}/.well-known/ai-catalog.json"),
            format!("{base}/mcp/server-card"),
        ]
    );
    assert!(evidence[0].contains("HTTP 501"), "{evidence:?}");
}

/// Whether a process is gone (a zombie waiting for its reaper counts),
/// waiting up to 10 s: SIGKILL cannot be ignored, but a grandchild nobody
/// waits for dies when the scheduler next runs it, which on a loaded
/// machine can be after the check has returned.
fn gone(pid: &str) -> bool {
    let dead = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_or(true, |stat| stat.split(' ').nth(2) == Some("Z"))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !dead() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

#[test]
fn every_configured_server_is_checked_and_nothing_is_left_running() {
    let http = mcp_server("demo_server.py", &["streamable-http"]);
    let dir = TempDir::new("mcp-config");
    let remote = format!("http://{}/mcp", http.addr);
    let config = mcp_config(&dir, &remote);
    // The stdio servers are Python processes importing the SDK, which takes
    // seconds on a busy machine: the timeout is for the one that hangs.
    let (all, code) = mcp_json(&["--config", config.to_str().unwrap(), "--timeout", "30s"]);
    assert_eq!(all["config"], config.display().to_string());
    // An unusable entry is invalid input: exit 2 wins.
    assert_eq!(code, 2, "{all:#}");
    let servers = all["servers"].as_array().unwrap();
    let names: Vec<&str> = servers
        .iter()
        .map(|s| s["server"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "crashes", "demo", "hangs", "missing", "noisy", "remote", "typo"
        ]
    );
    let report = |name: &str| &servers[names.iter().position(|n| *n == name).unwrap()]["report"];

    let demo = report("demo");
    assert_eq!(codes(demo), ["mcp-ok"], "{demo:#}");
    assert_eq!(demo["verdict"], "reachable");
    assert_eq!(demo["service"]["protocol"], "mcp");
    assert_eq!(demo["service"]["detail"], format!("{NAME} {VERSION}"));
    assert_demo(&demo["mcp"]);
    assert_eq!(demo["mcp"]["transport"], "stdio");
    assert_eq!(demo["mcp"]["era"], "stateless");
    assert_eq!(demo["mcp"]["protocol_version"], "2026-07-28");
    assert!(
        demo["mcp"]["url"]
            .as_str()
            .unwrap()
            .ends_with("demo_server.py stdio")
    );

    let remote_report = report("remote");
    assert_eq!(codes(remote_report), ["mcp-ok", "reachable"]);
    assert_eq!(remote_report["mcp"]["url"], remote);

    let noisy = report("noisy");
    // The handshake worked: a warning beside the ok finding, not a failure.
    assert_eq!(codes(noisy), ["mcp-bad-output", "mcp-ok"], "{noisy:#}");
    assert_eq!(noisy["findings"][0]["severity"], "warning");
    assert_eq!(noisy["verdict"], "reachable");
    assert_eq!(
        noisy["findings"][0]["evidence"],
        serde_json::json!(["stdout: Demo server v1.4.2 starting on stdio..."])
    );
    assert_demo(&noisy["mcp"]);

    let crashes = report("crashes");
    assert_eq!(codes(crashes), ["mcp-process-exited"], "{crashes:#}");
    assert_eq!(
        summary(crashes, "mcp-process-exited"),
        "\"crashes\" exited (exit code 3) before answering server/discover"
    );
    // The configured env reached the process: its stderr names the path.
    assert_eq!(
        crashes["findings"][0]["evidence"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        "stderr: fatal: cannot open database /nonexistent/demo.db: no such file"
    );

    let hangs = report("hangs");
    assert_eq!(codes(hangs), ["mcp-no-answer"], "{hangs:#}");
    // One timeout for the whole conversation: half of it for the discover
    // a 2025 server may ignore, the rest for initialize; start-up apart.
    assert_eq!(
        summary(hangs, "mcp-no-answer"),
        "hangs took the server/discover and initialize requests but answered none within 30000 ms"
    );
    let evidence: Vec<&str> = hangs["findings"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(evidence[0].starts_with("started in "), "{evidence:?}");
    assert_eq!(evidence[1], "server/discover: no answer after 15000 ms");
    let waited: u64 = evidence[2]
        .strip_prefix("initialize: no answer after ")
        .and_then(|w| w.strip_suffix(" ms"))
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("{evidence:?}"));
    assert!((14000..=15000).contains(&waited), "{evidence:?}");
    // Stopping it (it ignores SIGTERM) is inside the 30 s too: the
    // deadline cuts the goodbye short instead of adding a second to it.
    let elapsed = hangs["elapsed_us"].as_u64().unwrap();
    // Without the bound it took 31 s (two 500 ms graces); the headroom is
    // for a loaded machine's scheduling after the deadline.
    assert!(elapsed < 30_800_000, "{elapsed} µs for a 30 s timeout");
    // It ignored SIGTERM and started a child: the whole group was killed.
    let pids = std::fs::read_to_string(dir.0.join("pids")).expect("the hanging server's pids");
    for pid in pids.split_whitespace() {
        assert!(gone(pid), "process {pid} was left running");
    }

    let missing = report("missing");
    assert_eq!(codes(missing), ["mcp-command-not-found"]);
    assert_eq!(
        summary(missing, "mcp-command-not-found"),
        "\"portdoctor-test-no-such-server\" is not on the PATH, so \"missing\" cannot start"
    );

    let typo = report("typo");
    assert_eq!(codes(typo), ["mcp-bad-config"]);
    assert_eq!(typo["verdict"], "invalid");
}

#[test]
fn text_output_shows_the_mcp_section() {
    let server = mcp_server("demo_server.py", &["sse"]);
    let out = portdoctor(&["mcp", &format!("http://{}/sse", server.addr)]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "mcp: {NAME} {VERSION} over sse at http://{}/sse",
            server.addr
        )),
        "{text}"
    );
    assert!(text.contains("tools (2): add, echo"), "{text}");
}

#[test]
fn no_configuration_is_a_usage_error_that_says_where_it_looked() {
    let dir = TempDir::new("no-config");
    let missing = dir.0.join("nope.json");
    let out = portdoctor(&["mcp", "--config", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope.json"), "{err}");
}

// The npm servers, as their packages run them.
const EVERYTHING: &str = "@modelcontextprotocol/server-everything/dist/index.js";
const FILESYSTEM: &str = "@modelcontextprotocol/server-filesystem/dist/index.js";
const CONTEXT7: &str = "@upstash/context7-mcp/dist/index.js";

/// What server-everything 2026.8.31 offers a client that declares no
/// capabilities (dist/tools/index.js registers them in this order; the
/// tools for roots, sampling and elicitation need those capabilities).
const EVERYTHING_TOOLS: [&str; 13] = [
    "echo",
    "get-annotated-message",
    "get-env",
    "get-resource-links",
    "get-resource-reference",
    "get-structured-content",
    "get-sum",
    "get-tiny-image",
    "gzip-file-as-resource",
    "toggle-simulated-logging",
    "toggle-subscriber-updates",
    "trigger-long-running-operation",
    "simulate-research-query",
];

fn assert_everything(mcp: &Value) {
    assert_eq!(mcp["server"]["name"], "mcp-servers/everything", "{mcp:#}");
    assert_eq!(mcp["server"]["version"], "2.0.0", "{mcp:#}");
    assert_eq!(mcp["tools"], 13, "{mcp:#}");
    assert_eq!(mcp["tool_names"], serde_json::json!(EVERYTHING_TOOLS));
    assert_eq!(mcp["resources"], 7, "{mcp:#}");
    assert_eq!(mcp["prompts"], 4, "{mcp:#}");
    assert_eq!(mcp["era"], "handshake");
    assert_eq!(mcp["protocol_version"], "2025-11-25");
}

/// The start of the answer to a raw `initialize` POST, up to its result.
fn raw_initialize(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut chunk = [0; 4096];
    while !String::from_utf8_lossy(&seen).contains("\"result\"") {
        let n = stream.read(&mut chunk).expect("the answer within 10 s");
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn the_reference_server_over_streamable_http_primes_its_stream_first() {
    let server = node_server(&npm_file(EVERYTHING), &["streamableHttp"], &[("PORT", "0")]);
    // The condition: its answer to initialize is an event stream whose
    // first event is a priming one (an id, empty data), before the result.
    let raw = raw_initialize(server.addr, "/mcp");
    let events = raw.split_once("\r\n\r\n").unwrap().1;
    let first = events
        .lines()
        .find(|l| l.starts_with("id:") || l.starts_with("data:") || l.starts_with("event:"))
        .unwrap();
    assert!(first.starts_with("id: "), "{raw}");
    assert!(
        events.contains("\ndata: \n\n") || events.contains("\r\ndata: \r\n"),
        "{raw}"
    );

    let url = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&url]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(codes(&report), ["mcp-ok", "reachable"]);
    // What answered is the server, not the 400 its GET got.
    assert_eq!(report["service"]["protocol"], "mcp");
    assert_eq!(report["service"]["detail"], "mcp-servers/everything 2.0.0");
    let text = String::from_utf8_lossy(&portdoctor(&["mcp", &url]).stdout).into_owned();
    assert!(
        text.contains("\nanswered as mcp: mcp-servers/everything 2.0.0\n"),
        "{text}"
    );
    let mcp = &report["mcp"];
    assert_everything(mcp);
    assert_eq!(mcp["transport"], "streamable-http");
    assert_eq!(mcp["url"], url);
    assert_eq!(mcp["session"], true);
    assert_eq!(
        steps(mcp),
        steps_of(&[
            ("server/discover", Some(400)),
            ("initialize", Some(200)),
            ("notifications/initialized", Some(202)),
            ("tools/list", Some(200)),
            ("resources/list", Some(200)),
            ("prompts/list", Some(200)),
            ("DELETE /mcp", Some(200)),
        ])
    );
}

#[test]
fn the_reference_server_over_legacy_sse_and_its_message_url() {
    let server = node_server(&npm_file(EVERYTHING), &["sse"], &[("PORT", "0")]);
    let sse = format!("http://{}/sse", server.addr);
    let (report, code) = mcp_json(&[&sse]);
    assert_eq!(code, 0, "{report:#}");
    assert_everything(&report["mcp"]);
    assert_eq!(report["mcp"]["transport"], "sse");

    // The message endpoint hangs on a POST without its session id; the
    // check looks at the stream beside it first, so nothing waits.
    let message = format!("http://{}/message", server.addr);
    let (report, code) = mcp_json(&[&message, "--timeout", "60s"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-wrong-path"]);
    assert_eq!(
        summary(&report, "mcp-wrong-path"),
        format!(
            "{message} is where a legacy HTTP+SSE server takes messages, not where clients connect: its stream is at {sse}"
        )
    );
    assert_eq!(report["mcp"]["url"], sse);
    assert!(
        !steps(&report["mcp"])
            .iter()
            .any(|(s, _)| s.contains("message")),
        "{report:#}"
    );
    assert!(report["elapsed_us"].as_u64().unwrap() < 60_000_000);
}

#[test]
fn the_reference_servers_over_stdio_and_a_command_that_is_not_there() {
    let dir = TempDir::new("mcp-npm-stdio");
    let node = |script: &str, args: &[&str]| {
        let mut all = vec![npm_file(script).display().to_string()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        serde_json::json!({"command": "node", "args": all})
    };
    let allowed = dir.0.display().to_string();
    let config = dir.path("claude_desktop_config.json");
    let servers = serde_json::json!({"mcpServers": {
        "everything": node(EVERYTHING, &["stdio"]),
        "files": node(FILESYSTEM, &[&allowed]),
        "gone": {"command": "/nonexistent/bin/mcp-server"},
    }});
    std::fs::write(&config, servers.to_string()).unwrap();
    let (all, code) = mcp_json(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 1, "{all:#}");
    let report = |name: &str| {
        &all["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["server"]["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {all:#}"))["report"]
    };

    let everything = report("everything");
    assert_eq!(codes(everything), ["mcp-ok"], "{everything:#}");
    assert_everything(&everything["mcp"]);
    assert_eq!(everything["mcp"]["transport"], "stdio");
    assert_eq!(everything["mcp"]["steps"][0]["step"], "start");

    let files = report("files");
    assert_eq!(codes(files), ["mcp-ok"], "{files:#}");
    let mcp = &files["mcp"];
    assert_eq!(mcp["server"]["name"], "secure-filesystem-server");
    assert_eq!(mcp["server"]["version"], "0.2.0");
    assert_eq!(
        mcp["tool_names"],
        serde_json::json!([
            "read_file",
            "read_text_file",
            "read_media_file",
            "read_multiple_files",
            "write_file",
            "edit_file",
            "create_directory",
            "list_directory",
            "list_directory_with_sizes",
            "directory_tree",
            "move_file",
            "search_files",
            "get_file_info",
            "list_allowed_directories"
        ])
    );

    let gone = report("gone");
    assert_eq!(codes(gone), ["mcp-command-not-found"]);
    let finding = &gone["findings"][0];
    assert_eq!(
        finding["summary"],
        "/nonexistent/bin/mcp-server does not exist, so \"gone\" cannot start"
    );
    let text = finding.to_string();
    assert!(
        !text.contains("PATH") && !text.contains("/full/path"),
        "{text}"
    );
}

/// Name, version, tools, resource and prompt as fastmcp_server.py declares
/// them, found over `transport` in `era` with protocol `version`.
fn assert_fastmcp(mcp: &Value, transport: &str, era: &str, version: &str) {
    assert_eq!(mcp["server"]["name"], "portdoctor-fastmcp", "{mcp:#}");
    assert_eq!(mcp["server"]["version"], "3.1.4", "{mcp:#}");
    assert_eq!(mcp["tools"], 3, "{mcp:#}");
    assert_eq!(
        mcp["tool_names"],
        serde_json::json!(["add", "shout", "count_words"])
    );
    assert_eq!(mcp["resources"], 1, "{mcp:#}");
    assert_eq!(mcp["prompts"], 1, "{mcp:#}");
    assert_eq!(mcp["transport"], transport, "{mcp:#}");
    assert_eq!(mcp["era"], era, "{mcp:#}");
    assert_eq!(mcp["protocol_version"], version, "{mcp:#}");
}

#[test]
fn fastmcp_servers_over_http_sse_and_stdio() {
    // fastmcp (pinned by `cargo xtask setup`) on the SDK: the stateless era
    // over Streamable HTTP and stdio, the handshake era over legacy SSE.
    let python = fastmcp_python();
    for (mode, path, transport, era, version) in [
        ("http", "mcp", "streamable-http", "stateless", "2026-07-28"),
        ("sse", "sse", "sse", "handshake", "2025-11-25"),
    ] {
        let server = python_server(&python, "fastmcp_server.py", &[mode]);
        let url = format!("http://{}/{path}", server.addr);
        let (report, code) = mcp_json(&[&url]);
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(codes(&report), ["mcp-ok", "reachable"]);
        assert_fastmcp(&report["mcp"], transport, era, version);
        assert_eq!(report["service"]["detail"], "portdoctor-fastmcp 3.1.4");
    }

    let dir = TempDir::new("fastmcp-stdio");
    let config = dir.path("claude_desktop_config.json");
    let script = mcp_dir().join("fastmcp_server.py");
    let servers = serde_json::json!({"mcpServers": {"fast": {
        "command": python,
        "args": [script, "stdio"],
    }}});
    std::fs::write(&config, servers.to_string()).unwrap();
    // Importing fastmcp takes seconds on a busy machine; the first wait
    // must not end before the server can answer.
    let (all, code) = mcp_json(&["--config", config.to_str().unwrap(), "--timeout", "30s"]);
    assert_eq!(code, 0, "{all:#}");
    let report = &all["servers"][0]["report"];
    assert_eq!(codes(report), ["mcp-ok"], "{report:#}");
    assert_fastmcp(&report["mcp"], "stdio", "stateless", "2026-07-28");
    // The text says where the server's own start-up went.
    let out = portdoctor(&[
        "mcp",
        "--config",
        config.to_str().unwrap(),
        "--timeout",
        "30s",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\n  (start is the process's creation; its own start-up, until it reads its stdin, is inside the first request's time"),
        "{text}"
    );
}

#[test]
fn a_401_with_a_json_rpc_body_is_a_rejection_in_mcp_and_in_check() {
    // Context7 over HTTP: /mcp is open, /mcp/oauth wants a token and says
    // so with a JSON-RPC error in the 401's body.
    let server = node_server(
        &npm_file(CONTEXT7),
        &["--transport", "http", "--port", "0"],
        &[("OTEL_SDK_DISABLED", "true")],
    );
    let open = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&open]);
    assert_eq!(code, 0, "{report:#}");
    let mcp = &report["mcp"];
    assert_eq!(mcp["server"]["name"], "Context7");
    assert_eq!(mcp["server"]["version"], "4.1.1");
    assert_eq!(mcp["era"], "stateless");
    assert_eq!(
        mcp["tool_names"],
        serde_json::json!(["resolve-library-id", "query-docs"])
    );

    let oauth = format!("http://{}/mcp/oauth", server.addr);
    let expected = format!(
        "{oauth} requires authorization (HTTP 401 Unauthorized: JSON-RPC error -32001: Authentication required. Please authenticate to use this MCP server.)"
    );
    // Its resource_metadata link points at the public mcp.context7.com,
    // which a check on loopback does not fetch: the chain stops there.
    let unreachable = format!(
        "The authorization chain of {oauth} breaks at https://mcp.context7.com/.well-known/oauth-protected-resource: not fetched: mcp.context7.com is not this machine, and checks stay on loopback unless --allow-target allows its address"
    );
    let (report, code) = mcp_json(&[&oauth]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        codes(&report),
        ["mcp-rejected", "mcp-auth-metadata-unreachable"]
    );
    assert_eq!(summary(&report, "mcp-rejected"), expected);
    assert_eq!(
        summary(&report, "mcp-auth-metadata-unreachable"),
        unreachable
    );
    // A plain check of the URL says the same, not "HTTP error".
    let (report, code) = check_json(&portdoctor(&["check", &oauth, "--json"]));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        codes(&report),
        ["mcp-rejected", "mcp-auth-metadata-unreachable"]
    );
    assert_eq!(summary(&report, "mcp-rejected"), expected);
}

#[test]
fn every_version_the_server_announces_is_listed() {
    // The TypeScript SDK without sessions names the versions it supports
    // in its 400 for an unknown MCP-Protocol-Version, then agrees on one.
    let server = node_server(&mcp_dir().join("ts_stateless.cjs"), &[], &[]);
    let url = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&url]);
    assert_eq!(code, 0, "{report:#}");
    let mcp = &report["mcp"];
    assert_eq!(mcp["server"]["name"], "portdoctor-ts-stateless");
    assert_eq!(mcp["server"]["version"], "0.9.1");
    assert_eq!(mcp["tool_names"], serde_json::json!(["ping"]));
    assert_eq!(mcp["protocol_version"], "2025-11-25");
    assert_eq!(mcp["session"], false);
    let versions = [
        "2025-11-25",
        "2025-06-18",
        "2025-03-26",
        "2024-11-05",
        "2024-10-07",
    ];
    assert_eq!(mcp["server_versions"], serde_json::json!(versions));
    let ok = &report["findings"][0];
    assert_eq!(ok["code"], "mcp-ok");
    assert!(
        ok["evidence"].as_array().unwrap().iter().any(|e| e
            .as_str()
            .unwrap()
            .starts_with(&format!("versions: server {}", versions.join(", ")))),
        "{ok:#}"
    );
}

#[test]
fn a_redirect_names_its_location_and_the_url_to_configure() {
    // The Python SDK's server at /mcp answers /mcp/ with 307 to /mcp.
    let server = mcp_server("demo_server.py", &["streamable-http"]);
    let asked = format!("http://{}/mcp/", server.addr);
    let there = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&asked]);
    // It works through the redirect: a warning beside the ok findings.
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        codes(&report),
        ["mcp-wrong-path", "mcp-ok", "reachable"],
        "{report:#}"
    );
    assert_eq!(report["verdict"], "reachable");
    let finding = &report["findings"][0];
    assert_eq!(finding["severity"], "warning");
    assert_eq!(
        finding["summary"],
        format!(
            "{asked} redirects to {there} (HTTP 307 Temporary Redirect); the MCP server answers at {there}"
        )
    );
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Use {there} in the client's configuration")),
        "{finding:#}"
    );
    assert_demo(&report["mcp"]);
    assert_eq!(report["mcp"]["url"], there);
}

#[test]
fn a_server_on_every_interface_still_passes_with_its_mcp_ok_line() {
    // As Express servers do: `[::]`, in a namespace whose only other
    // interface is a veth pair with an address.
    let server = format!(
        "{} {} streamable-http --bind :: --port 8000",
        mcp_python().display(),
        mcp_dir().join("demo_server.py").display()
    );
    let out = netns(
        NetnsSetup {
            setup: "ip link add pd0 type veth peer name pd1 && ip addr add 10.9.8.7/24 dev pd0 \
                    && ip link set pd0 up && ip link set pd1 up",
            server: Some((&server, "[::1]:8000")),
            ..NetnsSetup::default()
        },
        &["mcp", "http://[::1]:8000/mcp", "--json"],
    );
    let (report, code) = check_json(&out);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "reachable");
    assert_eq!(
        codes(&report),
        ["exposed-to-network", "mcp-ok", "reachable"]
    );
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_demo(&report["mcp"]);
}

/// One step of `mcp.auth`: check, ok, HTTP status.
type Link<'a> = (&'a str, bool, Option<u64>);

/// The authorization chain of a report: (check, ok, HTTP status) per step.
fn auth_steps(report: &Value) -> Vec<(String, bool, Option<u64>)> {
    report["mcp"]["auth"]
        .as_array()
        .unwrap_or_else(|| panic!("no mcp.auth in {report:#}"))
        .iter()
        .map(|s| {
            assert!(s["elapsed_us"].is_u64(), "{s}");
            (
                s["check"].as_str().unwrap().to_owned(),
                s["ok"].as_bool().unwrap(),
                s["http_status"].as_u64(),
            )
        })
        .collect()
}

fn chain(list: &[Link]) -> Vec<(String, bool, Option<u64>)> {
    list.iter()
        .map(|(c, ok, s)| ((*c).to_owned(), *ok, *s))
        .collect()
}

/// The steps of a chain that holds from a resource_metadata link on.
const WHOLE: &[Link] = &[
    ("resource-metadata", true, Some(200)),
    ("resource", true, None),
    ("server-metadata", true, Some(200)),
    ("issuer", true, None),
    ("pkce", true, None),
    ("registration", true, None),
    ("scopes", true, None),
];

#[test]
fn the_official_sdks_protected_server_and_authorization_server_make_a_whole_chain() {
    let issuer_server = mcp_server("sdk_auth_server.py", &[]);
    // The SDK's authorization server publishes its issuer with a slash.
    let issuer = format!("http://{}/", issuer_server.addr);
    let server = mcp_server(
        "demo_server.py",
        &["streamable-http", "--auth-issuer", &issuer],
    );
    let url = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&url]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-rejected"]);
    assert_eq!(auth_steps(&report), chain(WHOLE));
    let auth = &report["mcp"]["auth"];
    assert_eq!(
        auth[0]["url"],
        format!(
            "http://{}/.well-known/oauth-protected-resource/mcp",
            server.addr
        )
    );
    assert_eq!(
        auth[2]["url"],
        format!(
            "http://{}/.well-known/oauth-authorization-server",
            issuer_server.addr
        )
    );
    assert_eq!(
        auth[5]["detail"],
        format!(
            "Dynamic Client Registration at http://{}/register; token endpoint authentication: client_secret_post, client_secret_basic",
            issuer_server.addr
        )
    );
    assert_eq!(auth[6]["detail"], "a client asks for: demo");
    let rejected = &report["findings"][0];
    assert!(
        rejected["fix"]
            .as_str()
            .unwrap()
            .contains("The authorization chain is whole"),
        "{rejected:#}"
    );
    // Nothing but metadata was asked for: the server is still at 401.
    assert_eq!(report["mcp"]["server"], Value::Null);
}

#[test]
fn the_sdks_servers_disagree_on_a_trailing_slash_of_the_issuer() {
    // Configured without the slash, the resource names an issuer the
    // authorization server's metadata does not: RFC 8414 says refuse.
    let issuer_server = mcp_server("sdk_auth_server.py", &[]);
    let issuer = format!("http://{}", issuer_server.addr);
    let server = mcp_server(
        "demo_server.py",
        &["streamable-http", "--auth-issuer", &issuer],
    );
    let (report, _) = mcp_json(&[&format!("http://{}/mcp", server.addr)]);
    assert_eq!(codes(&report), ["mcp-rejected", "mcp-auth-issuer-mismatch"]);
    assert_eq!(
        summary(&report, "mcp-auth-issuer-mismatch"),
        format!(
            "The authorization server's metadata says issuer {issuer}/, but it was found as {issuer}: clients must refuse it (RFC 8414)"
        )
    );
    let fix = report["findings"][1]["fix"].as_str().unwrap().to_owned();
    assert!(fix.contains("trailing slash"), "{fix}");
}

#[test]
fn each_broken_link_of_the_authorization_chain_is_named() {
    let missing = ("resource-metadata", false, Some(404));
    let elsewhere = ("server-metadata", false, Some(404));
    let cases: &[(&[&str], &[&str], Vec<Link>)] = &[
        // Metadata through the header, at a custom place; the server's
        // metadata per OpenID only.
        (
            &["--prm", "custom", "--as", "openid"],
            &["mcp-rejected"],
            [&WHOLE[..2], &[elsewhere], &WHOLE[2..]].concat(),
        ),
        // No link: path-based first, then the root; an issuer with a path.
        (
            &["--prm", "root", "--as", "path"],
            &["mcp-rejected"],
            [&[missing], WHOLE].concat(),
        ),
        // An issuer with a path whose metadata is at /t1/.well-known/openid-configuration.
        (
            &["--prm", "path", "--as", "path-openid"],
            &["mcp-rejected"],
            [&WHOLE[..2], &[elsewhere, elsewhere], &WHOLE[2..]].concat(),
        ),
        (&["--as", "cimd"], &["mcp-rejected"], WHOLE.to_vec()),
        (
            &["--prm", "mismatch"],
            &["mcp-rejected", "mcp-auth-resource-mismatch"],
            [&WHOLE[..1], &[("resource", false, None)], &WHOLE[2..]].concat(),
        ),
        (
            &["--as", "issuer-mismatch"],
            &["mcp-rejected", "mcp-auth-issuer-mismatch"],
            [&WHOLE[..3], &[("issuer", false, None)], &WHOLE[4..]].concat(),
        ),
        (
            &["--as", "no-pkce"],
            &["mcp-rejected", "mcp-auth-no-pkce"],
            [&WHOLE[..4], &[("pkce", false, None)], &WHOLE[5..]].concat(),
        ),
        (
            &["--as", "no-registration"],
            &["mcp-rejected", "mcp-auth-no-registration"],
            [&WHOLE[..5], &[("registration", false, None)], &WHOLE[6..]].concat(),
        ),
        (
            &["--as", "missing"],
            &["mcp-rejected", "mcp-auth-metadata-unreachable"],
            [&WHOLE[..2], &[elsewhere, elsewhere]].concat(),
        ),
        // The 2025-03-26 era: no resource metadata, server metadata at the origin.
        (
            &["--prm", "none", "--as", "legacy"],
            &["mcp-rejected", "mcp-auth-no-metadata"],
            vec![
                missing,
                missing,
                ("server-metadata", true, Some(200)),
                ("pkce", true, None),
                ("registration", true, None),
            ],
        ),
        // Nothing at all: then the default endpoints, which are not there either.
        (
            &["--prm", "none", "--as", "missing"],
            &["mcp-rejected", "mcp-auth-no-metadata"],
            vec![
                missing,
                missing,
                elsewhere,
                ("default-endpoints", false, None),
            ],
        ),
    ];
    for (args, expected, steps) in cases {
        let server = mcp_server("auth_variants.py", args);
        let (report, code) = mcp_json(&[&format!("http://{}/mcp", server.addr)]);
        assert_eq!(code, 1, "{args:?}: {report:#}");
        assert_eq!(codes(&report), *expected, "{args:?}: {report:#}");
        assert_eq!(auth_steps(&report), chain(steps), "{args:?}: {report:#}");
    }
}

/// `portdoctor mcp URL --login --json` with a $BROWSER that answers the
/// consent page with `answer` (approve, deny or forge), or none at all.
fn login(url: &str, answer: Option<&str>, timeout: &str) -> Output {
    // Without an answer, a browser that opens nothing: nobody signs in.
    let browser = answer.map_or_else(|| "true".to_owned(), browser);
    support::command()
        .args(["mcp", url, "--login", "--login-timeout", timeout, "--json"])
        .env("BROWSER", browser)
        .output()
        .expect("run portdoctor")
}

/// A $BROWSER that answers the consent page with `answer`.
fn browser(answer: &str) -> String {
    format!(
        "{} {} {answer}",
        mcp_python().display(),
        mcp_dir().join("browser_follows.py").display()
    )
}

/// Signs in to the demo server (with `extra` arguments) behind the SDK's
/// authorization server, which works: the report, what was printed, the
/// servers (the authorization server first). No issued token was printed.
fn signed_in(extra: &[&str]) -> (Value, Output, (Running, Running)) {
    let scratch = TempDir::new("mcp-login");
    let issued = scratch.path("issued");
    let servers = signing_in_servers(&issued, extra);
    let url = format!("http://{}/mcp", servers.1.addr);
    let out = login(&url, Some("approve"), "30s");
    let (report, code) = check_json(&out);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(codes(&report), ["mcp-signed-in", "mcp-ok", "reachable"]);
    assert_demo(&report["mcp"]);
    assert_no_token_in(&out, &issued);
    (report, out, servers)
}

/// Signing in that stops: the report, with the chain whole up to the
/// failing step, and no token issued.
fn stopped(answer: Option<&str>, timeout: &str) -> (Value, String) {
    let scratch = TempDir::new("mcp-login-stopped");
    let issued = scratch.path("issued");
    let (_issuer, server) = signing_in_servers(&issued, &[]);
    let url = format!("http://{}/mcp", server.addr);
    let (report, code) = check_json(&login(&url, answer, timeout));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-rejected", "mcp-login-failed"]);
    let mut expected = chain(WHOLE);
    expected.extend(chain(&[
        ("register", true, None),
        ("authorize", true, None),
        ("callback", false, None),
    ]));
    assert_eq!(auth_steps(&report), expected);
    assert_eq!(report["mcp"]["login"], Value::Null);
    assert!(!issued.exists(), "a token was issued");
    (report, url)
}

/// The chain, then one sign-in per entry of `scopes`: a registration when
/// the client id is new, authorize, callback, token.
fn signed_in_chain(registrations: usize) -> Vec<(String, bool, Option<u64>)> {
    let mut all = chain(WHOLE);
    for _ in 0..registrations {
        all.extend(chain(&[
            ("register", true, None),
            ("authorize", true, None),
            ("callback", true, None),
            ("token", true, Some(200)),
        ]));
    }
    all
}

/// No token the authorization server issued appears in what portdoctor
/// printed.
fn assert_no_token_in(out: &Output, issued: &std::path::Path) {
    let tokens = std::fs::read_to_string(issued).expect("the issued tokens");
    assert!(!tokens.trim().is_empty(), "no token was issued");
    let printed = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    let printed = String::from_utf8_lossy(&printed);
    for token in tokens.lines() {
        assert!(!printed.contains(token), "a token was printed:\n{printed}");
    }
}

#[test]
fn login_signs_in_with_the_sdks_authorization_server_and_checks_what_is_behind_it() {
    let (report, out, (issuer, server)) = signed_in(&[]);
    let url = format!("http://{}/mcp", server.addr);
    assert_eq!(auth_steps(&report), signed_in_chain(1));
    assert_eq!(
        report["mcp"]["login"],
        serde_json::json!({
            "registration": "dynamic-client-registration",
            "token_type": "Bearer",
            "scopes": ["demo"],
            "expires_in_s": 3600,
            "step_ups": 0,
        })
    );
    let auth = report["mcp"]["auth"].as_array().unwrap();
    // Registered as the SDK's server advertises: a secret, sent as Basic.
    assert!(
        auth[7]["detail"]
            .as_str()
            .unwrap()
            .ends_with("token endpoint authentication: client_secret_basic"),
        "{auth:#?}"
    );
    assert_eq!(auth[8]["url"], format!("http://{}/authorize", issuer.addr));
    assert!(
        auth[9]["detail"]
            .as_str()
            .unwrap()
            .ends_with("state matches; iss is the issuer"),
        "{auth:#?}"
    );
    // The authorization URL went to the browser and to stderr, with PKCE
    // and the resource.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for part in [
        "code_challenge_method=S256",
        &format!("resource={}", url.replace(':', "%3A").replace('/', "%2F")),
    ] {
        assert!(stderr.contains(part), "{part} not in {stderr}");
    }
}

#[test]
fn login_steps_up_when_the_server_wants_more_scopes() {
    let (report, _, (_, server)) = signed_in(&["--step-up", "extra"]);
    // The client registered for "demo" is refused 403 with its token, and
    // registers again for "demo extra".
    let mut expected = signed_in_chain(1);
    expected.push(("step-up".to_owned(), true, Some(403)));
    expected.extend(signed_in_chain(2).split_off(chain(WHOLE).len() + 4));
    assert_eq!(auth_steps(&report), expected);
    let step_up = &report["mcp"]["auth"][11];
    assert_eq!(step_up["url"], format!("http://{}/mcp", server.addr));
    assert_eq!(
        step_up["detail"],
        "403 insufficient_scope with the token for \"demo\": it wants \"demo extra\""
    );
    assert_eq!(
        report["mcp"]["login"]["scopes"],
        serde_json::json!(["demo", "extra"])
    );
    assert_eq!(report["mcp"]["login"]["step_ups"], 1);
}

/// A denial, and a redirect whose state was forged, stop at the callback.
#[test]
fn login_says_where_signing_in_stopped_at_the_callback() {
    for (answer, why) in [
        ("deny", "the authorization server answered access_denied"),
        (
            "forge",
            "the redirect's state is not the one sent: not this sign-in's answer",
        ),
    ] {
        let (report, url) = stopped(Some(answer), "30s");
        assert_eq!(
            summary(&report, "mcp-login-failed"),
            format!("Signing in to {url} stopped at the callback step: {why}"),
            "{answer}"
        );
    }
}

#[test]
fn login_stops_when_no_redirect_comes_back_in_time() {
    let (report, url) = stopped(None, "1s");
    let summary = summary(&report, "mcp-login-failed");
    let prefix = format!(
        "Signing in to {url} stopped at the callback step: no redirect came back to http://127.0.0.1:"
    );
    assert!(
        summary.starts_with(&prefix) && summary.ends_with("/callback within 1 s"),
        "{summary}"
    );
}

#[test]
fn a_server_card_says_where_the_endpoint_is_and_it_is_checked_there() {
    let server = mcp_server(
        "demo_server.py",
        &["streamable-http", "--path", "/api/v2/rpc", "--card", "self"],
    );
    let target = format!("http://{}", server.addr);
    let endpoint = format!("http://{}/api/v2/rpc", server.addr);
    let (report, code) = mcp_json(&[&target]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-endpoint-advertised"]);
    assert_demo(&report["mcp"]);
    assert_eq!(report["mcp"]["url"], endpoint);
    let card = format!("http://{}/.well-known/mcp/server-card", server.addr);
    assert!(
        summary(&report, "mcp-endpoint-advertised").starts_with(&format!(
            "No MCP server answers at {}; its discovery document {card} names {endpoint} (streamable-http), where MCP server {NAME} {VERSION} answers",
            server.addr
        )),
        "{report:#}"
    );
    let finding = &report["findings"][0];
    assert_eq!(
        finding["fix"],
        format!(
            "Use {endpoint} in the client's configuration (\"url\": \"{endpoint}\"): the server answers there."
        )
    );
    assert_eq!(
        finding["evidence"].as_array().unwrap().last().unwrap(),
        &Value::String(format!("{card}: names {endpoint}"))
    );
}

#[test]
fn a_server_card_naming_another_server_is_reported_not_followed() {
    let elsewhere = "http://mcp.example.invalid/mcp";
    let server = mcp_server(
        "demo_server.py",
        &["streamable-http", "--path", "/x", "--card", elsewhere],
    );
    let target = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&target]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-endpoint-advertised"]);
    assert_eq!(report["mcp"], Value::Null);
    assert_eq!(
        summary(&report, "mcp-endpoint-advertised"),
        format!(
            "No MCP server answers at {target}; its discovery document http://{}/.well-known/mcp/server-card names {elsewhere} (streamable-http)",
            server.addr
        )
    );
    assert!(
        report["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .ends_with(&format!("run `portdoctor mcp {elsewhere}` to check it.")),
        "{report:#}"
    );
}

#[test]
fn without_a_server_card_not_mcp_lists_the_documents_asked_for() {
    let server = mcp_server("demo_server.py", &["streamable-http", "--path", "/x"]);
    let evidence = not_mcp_evidence(&format!("http://{}", server.addr));
    for place in [
        "/.well-known/mcp/server-card: HTTP 404",
        "/.well-known/mcp.json: HTTP 404",
        "/.well-known/ai-catalog.json: HTTP 404",
        "/mcp/server-card: HTTP 404",
    ] {
        let url = format!("http://{}{place}", server.addr);
        assert!(evidence.contains(&url), "{url} not in {evidence:#?}");
    }
}

/// The page's Sign in, through the helper: the helper's own page asks for
/// `mcp-login`, gets the authorization URL as progress (the page shows it
/// in its popup; here the consent page is answered like a person would),
/// and the helper takes the redirect, exchanges the code and checks.
#[tokio::test]
async fn the_helpers_own_page_signs_in_through_the_helper() {
    use support::ws::{next, send, session};
    let scratch = TempDir::new("mcp-page-login");
    let issued = scratch.path("issued");
    let (_issuer, server) = signing_in_servers(&issued, &[]);
    let helper = helper(&[]);
    let mut ws = session(helper.addr).await;
    let url = format!("http://{}/mcp", server.addr);
    send(
        &mut ws,
        serde_json::json!({"type": "mcp-login", "id": 1, "target": url}),
    )
    .await;
    let mut seen = Vec::new();
    let authorize = loop {
        let event = next(&mut ws).await;
        seen.push(event.to_string());
        assert_ne!(event["type"], "report", "no authorize before {event}");
        if event["progress"]["stage"] == "authorize" {
            break event["progress"]["url"].as_str().unwrap().to_owned();
        }
    };
    let person = tokio::process::Command::new(mcp_python())
        .arg(mcp_dir().join("browser_follows.py"))
        .args(["approve", &authorize])
        .status()
        .await
        .unwrap();
    assert!(person.success());
    let report = loop {
        let event = next(&mut ws).await;
        seen.push(event.to_string());
        if event["type"] == "report" {
            break event["report"].clone();
        }
    };
    assert_eq!(codes(&report), ["mcp-signed-in", "mcp-ok", "reachable"]);
    // The browser's return was said before the report (the page closes
    // its popup then, rather than taking a closed popup for giving up).
    let redirected = seen
        .iter()
        .filter(|e| e.contains(r#""stage":"redirected""#))
        .count();
    assert_eq!(redirected, 1, "{seen:?}");
    assert_demo(&report["mcp"]);
    assert_eq!(auth_steps(&report), signed_in_chain(1));
    assert_eq!(
        report["mcp"]["login"]["registration"],
        "dynamic-client-registration"
    );
    // Nothing the page received carries the token.
    let tokens = std::fs::read_to_string(&issued).unwrap();
    assert!(!tokens.trim().is_empty());
    for token in tokens.lines() {
        assert!(
            seen.iter().all(|e| !e.contains(token)),
            "a token reached the page"
        );
    }
}

/// A client registered beforehand (here by the test, as a public client:
/// no secret, token endpoint authentication `none`, for one redirect URI)
/// signs in with `--client-id` and `--redirect-port`, without registering.
#[test]
fn login_with_a_given_client_id_as_a_public_client() {
    let signed = pre_registered(&[], "none");
    let auth = signed.report["mcp"]["auth"].as_array().unwrap();
    assert!(
        auth[8]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("http://127.0.0.1:{}/callback", signed.port)),
        "{auth:#?}"
    );
}

/// A confidential client registered beforehand, with a secret, at an
/// authorization server whose metadata offers `client_secret_post` alone:
/// the secret goes in the token request's form (the SDK's token handler
/// refuses a client registered for client_secret_post that sends it any
/// other way), and never onto the output.
#[test]
fn login_with_a_given_client_secret_sent_by_client_secret_post() {
    let signed = pre_registered(&["--post-only"], "client_secret_post");
    let secret = signed.secret.expect("the server issued a secret");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&signed.out.stdout),
        String::from_utf8_lossy(&signed.out.stderr)
    );
    assert!(!printed.contains(&secret), "the client secret was printed");
}

/// A sign-in with a client registered beforehand.
struct PreRegistered {
    report: Value,
    out: Output,
    secret: Option<String>,
    port: u16,
}

/// Registers a client with token endpoint authentication `method` at the
/// SDK's authorization server (given `issuer_extra`), then signs in as it
/// with `--client-id` (and its secret in PORTDOCTOR_CLIENT_SECRET, if the
/// server issued one) and `--redirect-port`; asserts the sign-in worked
/// with `method` and no issued token was printed.
fn pre_registered(issuer_extra: &[&str], method: &str) -> PreRegistered {
    let scratch = TempDir::new("mcp-client-id");
    let issued = scratch.path("issued");
    let (issuer, server) = signing_in_servers_with(&issued, issuer_extra, &[]);
    let url = format!("http://{}/mcp", server.addr);
    // The port is free when chosen; should another process take it before
    // portdoctor binds it, portdoctor says so and the test takes another.
    let (out, (client_id, secret), port) = (0..3)
        .map(|_| {
            let port = free_port();
            let (client_id, secret) = register_client(&issuer, port, method);
            let mut login = support::command();
            login
                .args(["mcp", &url, "--login", "--client-id", &client_id])
                .args(["--redirect-port", &port.to_string()])
                .args(["--login-timeout", "30s", "--json"])
                .env("BROWSER", browser("approve"));
            if let Some(secret) = &secret {
                login.env("PORTDOCTOR_CLIENT_SECRET", secret);
            }
            (login.output().unwrap(), (client_id, secret), port)
        })
        .find(|(out, ..)| !String::from_utf8_lossy(&out.stdout).contains("cannot be served"))
        .expect("a free redirect port in three tries");
    let (report, code) = check_json(&out);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(codes(&report), ["mcp-signed-in", "mcp-ok", "reachable"]);
    assert_demo(&report["mcp"]);
    assert_eq!(report["mcp"]["login"]["registration"], "pre-registered");
    assert_eq!(
        report["mcp"]["auth"][7]["detail"],
        format!("pre-registered: client id {client_id}; token endpoint authentication: {method}"),
        "{report:#}"
    );
    assert_no_token_in(&out, &issued);
    PreRegistered {
        report,
        out,
        secret,
        port,
    }
}

/// Registers a client with token endpoint authentication `method` for the
/// redirect URI on `port` at the authorization server, by hand; its client
/// id and the secret the server issued, if any.
fn register_client(issuer: &Running, port: u16, method: &str) -> (String, Option<String>) {
    let register = format!(
        "import json, urllib.request\n\
         body = json.dumps({{'client_name': 'by hand', 'redirect_uris': ['http://127.0.0.1:{port}/callback'],\n\
         'token_endpoint_auth_method': '{method}', 'scope': 'demo'}}).encode()\n\
         request = urllib.request.Request('http://{}/register', body, {{'content-type': 'application/json'}})\n\
         client = json.load(urllib.request.urlopen(request))\n\
         print(client['client_id'])\n\
         print(client.get('client_secret') or '')",
        issuer.addr
    );
    let registered = std::process::Command::new(mcp_python())
        .args(["-c", &register])
        .output()
        .unwrap();
    assert!(registered.status.success(), "{registered:?}");
    let text = String::from_utf8(registered.stdout).unwrap();
    let mut lines = text.lines().map(str::trim);
    let id = lines.next().unwrap_or_default().to_owned();
    let secret = lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
    (id, secret)
}
