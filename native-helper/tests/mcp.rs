//! `portdoctor mcp` against real MCP servers from the official Python SDK
//! (tests/mcp/demo_server.py) and against servers that fail the way real
//! ones do (tests/mcp/misbehaving.py). Names, versions and tool lists are
//! asserted exactly as the scripts declare them.

mod support;

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
    assert_eq!(codes(keyless), ["mcp-rejected"]);
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
    let (report, code) = mcp_json(&[&url, "--timeout", "1s"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["mcp-no-answer"]);
    assert_eq!(
        summary(&report, "mcp-no-answer"),
        format!("{url} took the server/discover request but did not answer within 1000 ms")
    );
    assert_eq!(report["mcp"], Value::Null);
}

#[test]
fn plain_http_is_not_mcp() {
    let server = python_http("127.0.0.1");
    let url = format!("http://{}/mcp", server.addr);
    let (report, code) = mcp_json(&[&url]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["not-mcp"]);
    let evidence: Vec<&str> = report["findings"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
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
            format!("{base}/")
        ]
    );
    assert!(evidence[0].contains("HTTP 501"), "{evidence:?}");
}

/// Whether a process is gone (a zombie waiting for its reaper counts).
fn gone(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(true, |stat| stat.split(' ').nth(2) == Some("Z"))
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
    assert_eq!(
        summary(hangs, "mcp-no-answer"),
        "hangs took the initialize request but did not answer within 30000 ms"
    );
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
