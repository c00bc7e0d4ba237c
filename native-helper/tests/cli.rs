//! `portdoctor check`, `wait`, `listeners`, `bind-check` and `serve` against real
//! listeners: python's http.server on one address family or the other, a
//! closed port, out-of-range and unparsable input, and the target policy.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use support::*;

/// The report contract of docs/report.md: every documented field, with its type.
fn assert_contract(report: &Value) {
    let target = &report["target"];
    assert!(target["input"].is_string(), "{report:#}");
    for key in ["host", "port", "path"] {
        assert!(
            target.get(key).is_some(),
            "target.{key} missing: {report:#}"
        );
    }
    assert!(
        ["reachable", "unreachable", "degraded", "invalid"]
            .contains(&report["verdict"].as_str().unwrap()),
        "{report:#}"
    );
    for a in report["addresses"].as_array().unwrap() {
        assert!(a["addr"].is_string() && a["family"].is_string() && a["outcome"].is_string());
        assert!(a["elapsed_us"].is_u64() && a.get("error").is_some());
    }
    for l in report["listeners"].as_array().unwrap() {
        assert!(l["local_addr"].is_string());
        for key in ["pid", "process", "user", "queue"] {
            assert!(l.get(key).is_some(), "listener.{key} missing");
        }
    }
    for key in ["protocol", "detail", "banner"] {
        assert!(
            report["service"].get(key).is_some(),
            "service.{key} missing"
        );
    }
    assert!(report.get("mcp").is_some());
    for f in report["findings"].as_array().unwrap() {
        assert!(f["code"].is_string() && f["severity"].is_string());
        assert!(f["summary"].is_string() && f["fix"].is_string() && f["evidence"].is_array());
    }
    assert!(report["elapsed_us"].is_u64());
}

#[test]
fn server_on_ipv4_is_reachable_and_named() {
    let server = python_http("127.0.0.1");
    let target = server.addr.to_string();
    let (report, code) = check_json(&portdoctor(&["check", &target, "--json"]));
    assert_contract(&report);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "reachable");
    assert_eq!(report["target"]["port"], server.addr.port());
    let addresses = report["addresses"].as_array().unwrap();
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0]["addr"], target);
    assert_eq!(addresses[0]["family"], "ipv4");
    assert_eq!(addresses[0]["outcome"], "open");
    let listener = &report["listeners"][0];
    assert_eq!(listener["local_addr"], target);
    assert_eq!(listener["pid"], server.pid());
    assert!(
        listener["process"].as_str().unwrap().starts_with("python"),
        "{listener}"
    );
    assert_eq!(codes(&report), ["reachable"]);
}

#[test]
fn server_on_ipv6_only_tried_over_ipv4_is_listening_other_family() {
    let server = python_http("::1");
    let port = server.addr.port().to_string();
    let target = format!("127.0.0.1:{port}");
    let (report, code) = check_json(&portdoctor(&["check", &target, "--json"]));
    assert_contract(&report);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["verdict"], "unreachable");
    assert_eq!(report["addresses"][0]["outcome"], "refused");
    assert_eq!(
        report["listeners"][0]["local_addr"],
        format!("[::1]:{port}")
    );
    assert_eq!(report["listeners"][0]["pid"], server.pid());
    assert_eq!(codes(&report), ["listening-other-family"]);
    let finding = &report["findings"][0];
    assert_eq!(finding["severity"], "error");
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("[::1]:{port}"))
    );

    // The same server, asked for where it is, is fine.
    let (report, code) = check_json(&portdoctor(&["check", &format!("[::1]:{port}"), "--json"]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["addresses"][0]["family"], "ipv6");
    assert_eq!(report["addresses"][0]["outcome"], "open");
}

#[test]
fn server_on_another_loopback_address_is_listening_other_address() {
    let listener = TcpListener::bind("127.0.0.2:0").expect("127.0.0.2 is loopback on Linux");
    let port = listener.local_addr().unwrap().port();
    let (report, code) = check_json(&portdoctor(&[
        "check",
        &format!("127.0.0.1:{port}"),
        "--json",
    ]));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["listening-other-address"]);
    assert_eq!(report["listeners"][0]["pid"], std::process::id());
    assert!(
        report["findings"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("127.0.0.2")
    );
}

#[test]
fn closed_port_is_nothing_listening() {
    let port = closed_port();
    let (report, code) = check_json(&portdoctor(&[
        "check",
        &format!("127.0.0.1:{port}"),
        "--json",
    ]));
    assert_contract(&report);
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "unreachable");
    assert_eq!(report["addresses"][0]["outcome"], "refused");
    assert!(report["addresses"][0]["error"].is_string());
    assert_eq!(report["listeners"], serde_json::json!([]));
    assert_eq!(codes(&report), ["nothing-listening"]);
}

#[test]
fn bare_port_means_localhost() {
    let port = closed_port();
    let (report, _) = check_json(&portdoctor(&["check", &port.to_string(), "--json"]));
    assert_eq!(report["target"]["host"], "localhost");
    assert_eq!(report["target"]["port"], port.port);
    assert!(!report["addresses"].as_array().unwrap().is_empty());
}

#[test]
fn url_target_keeps_its_path() {
    let dir = TempDir::new("site");
    std::fs::write(dir.path("status"), "ok\n").unwrap();
    let server = python_http_serving(&dir.0);
    let url = format!("http://{}/status", server.addr);
    let (report, code) = check_json(&portdoctor(&["check", &url, "--json"]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["target"]["path"], "/status");
    assert_eq!(report["target"]["host"], "127.0.0.1");
    // Not an MCP path, and no MCP server anywhere: nothing to say about MCP.
    assert_eq!(report["mcp"], Value::Null);
}

#[test]
fn out_of_range_port_is_explained_with_exit_2() {
    let (report, code) = check_json(&portdoctor(&["check", "localhost:619009", "--json"]));
    assert_contract(&report);
    assert_eq!(code, 2);
    assert_eq!(report["verdict"], "invalid");
    assert_eq!(report["target"]["port"], 619009);
    assert_eq!(codes(&report), ["port-out-of-range"]);
    let summary = report["findings"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("65535") && summary.contains("61900"),
        "{summary}"
    );
    assert!(report["addresses"].as_array().unwrap().is_empty());
}

#[test]
fn garbage_is_invalid_target_with_exit_2() {
    let (report, code) = check_json(&portdoctor(&["check", "local host:80", "--json"]));
    assert_eq!(code, 2);
    assert_eq!(codes(&report), ["invalid-target"]);
}

#[test]
fn usage_errors_exit_2() {
    let out = portdoctor(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let out = portdoctor(&["check", "8080", "--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use e.g. 3s, 500ms or 2m"));
}

#[test]
fn text_report_leads_with_the_finding_and_fix() {
    let port = closed_port();
    let out = portdoctor(&["check", &format!("127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("127.0.0.1:{port}: UNREACHABLE (")),
        "{text}"
    );
    assert!(text.contains("[nothing-listening]"), "{text}");
    assert!(text.contains("fix: Start the server"), "{text}");
}

#[test]
fn non_loopback_targets_are_refused_without_connecting() {
    // In a fresh network namespace: even a bug could not send a packet out.
    let (report, code) = check_json(&portdoctor_in_netns(&["check", "192.0.2.10:80", "--json"]));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["verdict"], "invalid");
    assert_eq!(report["addresses"][0]["outcome"], "not-allowed");
    assert_eq!(report["addresses"][0]["elapsed_us"], 0);
    assert_eq!(codes(&report), ["target-not-allowed"]);
    // Each command does what it says: `portdoctor --allow-target` alone
    // would start the helper, not check.
    let fix = report["findings"][0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("`portdoctor check 192.0.2.10:80 --allow-target 192.0.2.10` in a terminal"),
        "{fix}"
    );
    assert!(
        fix.contains("start the helper with `portdoctor --allow-target 192.0.2.10`"),
        "{fix}"
    );
}

#[test]
fn allow_target_widens_the_policy() {
    // 192.0.2.10 is on nothing in the namespace: the connect is attempted and fails fast.
    let (report, _) = check_json(&portdoctor_in_netns(&[
        "check",
        "192.0.2.10:80",
        "--json",
        "--allow-target",
        "192.0.2.0/24",
        "--timeout",
        "1s",
    ]));
    assert_ne!(
        report["addresses"][0]["outcome"], "not-allowed",
        "{report:#}"
    );
    assert!(!codes(&report).contains(&"target-not-allowed".to_owned()));
}

#[test]
fn listeners_lists_every_listener_with_its_process() {
    let server = python_http("127.0.0.1");
    let out = portdoctor(&["listeners", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ours = all
        .iter()
        .find(|l| l["local_addr"] == server.addr.to_string())
        .unwrap_or_else(|| panic!("{} not in {all:#?}", server.addr));
    assert_eq!(ours["pid"], server.pid());
    assert!(ours["queue"]["max"].as_u64().unwrap() > 0);

    let text = String::from_utf8_lossy(&portdoctor(&["listeners"]).stdout).into_owned();
    assert!(text.contains(&server.addr.to_string()), "{text}");
    assert!(text.contains(&server.pid().to_string()), "{text}");
}

#[test]
fn bind_check_names_the_holder_and_suggests_a_free_port() {
    let server = python_http("127.0.0.1");
    let port = server.addr.port().to_string();
    let out = portdoctor(&["bind-check", &port, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["available"], false);
    assert_eq!(report["holders"][0]["pid"], server.pid());
    assert_eq!(report["findings"][0]["code"], "port-in-use");
    assert!(
        report["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("is free")
    );

    let free = free_port().to_string();
    let out = portdoctor(&["bind-check", &free]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("free"));
    // Not a port a server can use: exit 2, saying which ports are.
    for (port, why) in [("0", "any free port"), ("70000", "not a port")] {
        let out = portdoctor(&["bind-check", port]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(why) && stderr.contains("(1 to 65535)"),
            "{stderr}"
        );
    }
}

#[test]
fn wait_returns_the_report_once_the_service_is_up() {
    let closed = closed_port();
    let target = format!("127.0.0.1:{closed}");
    let mut waiting = support::command()
        .args(["wait", &target, "--for", "60s", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run portdoctor wait");
    // Nothing listens yet, so it cannot have finished.
    assert!(waiting.try_wait().unwrap().is_none());
    let _listener = closed.listen();
    let out = waiting.wait_with_output().unwrap();
    let (report, code) = check_json(&out);
    assert_eq!(code, 0, "{report:#}");
    assert_contract(&report);
    assert_eq!(report["addresses"][0]["outcome"], "open");
    assert_eq!(report["listeners"][0]["pid"], std::process::id());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("{target}: up after ")), "{said}");
}

#[test]
fn wait_gives_up_after_its_time_or_at_once_when_it_never_can() {
    let closed = closed_port();
    let target = format!("127.0.0.1:{closed}");
    let out = portdoctor(&["wait", &target, "--for", "500ms", "--json"]);
    let (report, code) = check_json(&out);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["nothing-listening"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("waiting for") && said.contains("still not up"),
        "{said}"
    );

    // An hour would be wasted on a port that cannot exist.
    let out = portdoctor(&["wait", "localhost:619009", "--for", "60m", "--json"]);
    let (report, code) = check_json(&out);
    assert_eq!(code, 2);
    assert_eq!(codes(&report), ["port-out-of-range"]);
}

/// A browser for $BROWSER that writes the URL it was given into a FIFO,
/// whose reader waits for exactly that write: the URL arrives on the channel.
fn fifo_browser(dir: &TempDir) -> (PathBuf, std::sync::mpsc::Receiver<std::io::Result<String>>) {
    let fifo = dir.path("opened");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let browser = dir.path("browser");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", fifo.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let (opened, read) = std::sync::mpsc::channel();
    std::thread::spawn(move || opened.send(std::fs::read_to_string(fifo)));
    (browser, read)
}

#[test]
fn serve_opens_its_page_in_the_users_browser() {
    let dir = TempDir::new("browser");
    let (browser, read) = fifo_browser(&dir);
    let mut command = support::command();
    command.args(["--port", "0"]).env("BROWSER", &browser);
    let helper = spawn_announcing(command, false, |line| {
        let url = line.strip_prefix("portdoctor is running at http://")?;
        url.trim_end_matches('/').parse().ok()
    });
    let url = read
        .recv_timeout(DEADLINE)
        .expect("the browser was started")
        .unwrap();
    assert_eq!(url, format!("http://{}/", helper.addr));
}

/// An Express-style server: python's http.server on `[::]:8080`, in a
/// fresh namespace. `veth` also brings up a veth pair with an address.
fn wildcard_server(veth: bool) -> Value {
    let setup = "ip link add pd0 type veth peer name pd1 && ip addr add 10.9.8.7/24 dev pd0 \
                 && ip link set pd0 up && ip link set pd1 up";
    let out = netns(
        NetnsSetup {
            setup: if veth { setup } else { "" },
            server: Some(("python3 -m http.server --bind :: 8080", "[::1]:8080")),
            ..NetnsSetup::default()
        },
        &["check", "[::1]:8080", "--json"],
    );
    let (report, code) = check_json(&out);
    // A working server with a warning is not a failure.
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "reachable", "{report:#}");
    assert_eq!(codes(&report), ["exposed-to-network", "reachable"]);
    report["findings"][0].clone()
}

#[test]
fn a_wildcard_server_on_a_network_is_reachable_with_a_warning_naming_it() {
    let exposed = wildcard_server(true);
    assert_eq!(exposed["severity"], "warning", "{exposed:#}");
    let summary = exposed["summary"].as_str().unwrap();
    assert!(summary.contains("listens on [::]:8080"), "{summary}");
    assert!(summary.contains("through pd0 (10.9.8.7"), "{summary}");
}

#[test]
fn a_wildcard_server_with_only_loopback_up_is_not_called_exposed() {
    let exposed = wildcard_server(false);
    assert_eq!(exposed["severity"], "info", "{exposed:#}");
    let summary = exposed["summary"].as_str().unwrap();
    assert!(
        summary.contains("only this machine can reach it"),
        "{summary}"
    );
    assert!(!summary.contains("every network"), "{summary}");
}

#[test]
fn loopback_down_is_named_with_the_command_that_brings_it_up() {
    let down = NetnsSetup {
        loopback_down: true,
        ..NetnsSetup::default()
    };
    let out = netns(down, &["check", "8080", "--json"]);
    let (report, code) = check_json(&out);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["verdict"], "unreachable");
    assert_eq!(codes(&report), ["loopback-down"]);
    let fix = report["findings"][0]["fix"].as_str().unwrap();
    assert!(fix.contains("`ip link set lo up`"), "{fix}");

    // Binding works with lo down, connecting does not: not "free".
    let down = NetnsSetup {
        loopback_down: true,
        ..NetnsSetup::default()
    };
    let out = netns(down, &["bind-check", "8080"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("port 8080: loopback is down\n"), "{text}");
    assert!(text.contains("[loopback-down]"), "{text}");
    assert!(!text.contains("free"), "{text}");
}

#[test]
fn a_wildcard_target_is_checked_as_loopback_with_a_note() {
    let server = python_http("127.0.0.1");
    let target = format!("0.0.0.0:{}", server.addr.port());
    let (report, code) = check_json(&portdoctor(&["check", &target, "--json"]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["addresses"][0]["addr"], server.addr.to_string());
    assert_eq!(codes(&report), ["wildcard-target", "reachable"]);
    assert_eq!(report["findings"][0]["severity"], "info");
}

#[test]
fn bind_check_with_only_the_ipv6_loopback_taken_says_so() {
    let server = python_http("::1");
    let port = server.addr.port().to_string();
    let out = portdoctor(&["bind-check", &port]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("port {port}: IPv6 loopback taken, IPv4 free\n")),
        "{text}"
    );
    assert!(!text.contains("IN USE"), "{text}");
    let (report, _) = check_json(&portdoctor(&["bind-check", &port, "--json"]));
    let ok: Vec<&str> = report["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["ok"] == true)
        .map(|a| a["addr"].as_str().unwrap())
        .collect();
    assert_eq!(ok, [format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}")]);
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert!(
        report["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{port}"))
    );
}

#[test]
fn did_you_mean_ranks_a_port_listening_now_first() {
    // 61909 is free in a fresh namespace; a server there makes `619009` mean it.
    let out = netns(
        NetnsSetup {
            server: Some((
                "python3 -m http.server --bind 127.0.0.1 61909",
                "127.0.0.1:61909",
            )),
            ..NetnsSetup::default()
        },
        &["check", "localhost:619009", "--json"],
    );
    let (report, code) = check_json(&out);
    assert_eq!(code, 2);
    let summary = report["findings"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("did you mean 61909 (listening now), 61900"),
        "{summary}"
    );
    let fix = report["findings"][0]["fix"].as_str().unwrap();
    assert!(fix.contains("probably 61909"), "{fix}");
}

#[test]
fn wait_waits_for_a_working_service_not_a_proxy_answering_502() {
    let scratch = TempDir::new("nginx-wait");
    let nginx = support::peers::nginx(false, &scratch);
    // /down is proxied to a port nothing listens on: nginx answers 502.
    let url = format!("http://{}/down", nginx.addr);
    let out = portdoctor(&["wait", &url, "--for", "1s", "--json"]);
    let (report, code) = check_json(&out);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["verdict"], "degraded");
    assert_eq!(codes(&report), ["http-error"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("upstream is down"), "{said}");
    assert!(
        said.contains("it answers, but still does not work after"),
        "{said}"
    );

    // Asked for anything that accepts: nginx does, at once.
    let out = portdoctor(&["wait", &url, "--until", "accepts", "--for", "60s"]);
    assert_eq!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("{url}: accepting connections after ")),
        "{said}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(": DEGRADED ("), "{text}");

    let out = portdoctor(&["wait", &url, "--until", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[possible values: accepts, healthy]"));
}

#[test]
fn the_text_report_names_what_answered() {
    let redis = support::peers::redis();
    let out = portdoctor(&["check", &redis.addr.to_string()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let version = Command::new("redis-server")
        .arg("--version")
        .output()
        .expect("redis-server --version");
    // "Redis server v=7.0.15 sha=..."
    let version = String::from_utf8_lossy(&version.stdout)
        .split("v=")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .expect("a version")
        .to_owned();
    assert!(
        text.contains(&format!("\nanswered as redis: Redis {version}\n")),
        "{text}"
    );
    // An ok finding has nothing to fix: no "fix:" line, as on the page.
    assert!(text.contains("\nok [reachable]: "), "{text}");
    assert!(!text.contains("fix: Nothing to fix"), "{text}");
}

#[test]
fn an_empty_target_is_named_not_left_blank() {
    let out = portdoctor(&["check", " "]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("(empty target): INVALID ("), "{text}");
    // What to type is said once, in the fix, not again in the summary.
    assert!(
        text.contains("Cannot read the target: the target is empty\n"),
        "{text}"
    );
    assert_eq!(text.matches("host:port").count(), 1, "{text}");
    // Its colons would run into the line's own.
    let text = String::from_utf8_lossy(&portdoctor(&["check", "http://::::"]).stdout).into_owned();
    assert!(text.starts_with("\"http://::::\": INVALID ("), "{text}");
}

#[test]
fn mcp_without_a_configuration_names_the_mcp_flags() {
    let home = TempDir::new("no-assistant");
    let out = support::command()
        .args(["mcp"])
        .env("HOME", &home.0)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("APPDATA")
        .output()
        .expect("run portdoctor mcp");
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no claude_desktop_config.json on this machine"),
        "{said}"
    );
    assert!(said.contains("`portdoctor mcp --config PATH`"), "{said}");
}

#[test]
fn localhost_on_one_family_blames_the_hosts_file_and_names_the_servers_flag() {
    // localhost → 127.0.0.1 only, as in this hosts file; the server on ::1 only.
    let dir = TempDir::new("hosts");
    std::fs::write(dir.path("hosts"), "127.0.0.1 localhost\n").unwrap();
    let setup = format!("mount --bind {} /etc/hosts", dir.path("hosts").display());
    let out = netns(
        NetnsSetup {
            setup: &setup,
            server: Some(("python3 -m http.server --bind ::1 8000", "[::1]:8000")),
            ..NetnsSetup::default()
        },
        &["check", "localhost:8000", "--json"],
    );
    let (report, code) = check_json(&out);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["localhost-single-family"]);
    let finding = &report["findings"][0];
    assert_eq!(
        finding["summary"],
        "localhost resolves only to 127.0.0.1 here (hosts file), and the server listens on IPv6 only ([::1]:8000)"
    );
    let fix = finding["fix"].as_str().unwrap();
    assert!(
        fix.contains("`python3 -m http.server --bind 127.0.0.1 8000`"),
        "{fix}"
    );
}

#[test]
fn the_fix_names_openssl_s_servers_own_flag() {
    let dir = TempDir::new("s_server");
    support::peers::self_signed(&dir.0);
    let server = format!(
        "openssl s_server -accept [::1]:4433 -cert {0}/cert.pem -key {0}/key.pem -www",
        dir.0.display()
    );
    let out = netns(
        NetnsSetup {
            server: Some((&server, "[::1]:4433")),
            ..NetnsSetup::default()
        },
        &["check", "127.0.0.1:4433", "--json"],
    );
    let (report, code) = check_json(&out);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["listening-other-family"]);
    let fix = report["findings"][0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("`openssl s_server -accept 127.0.0.1:4433`"),
        "{fix}"
    );
}

/// Validates `json` against docs/schema/`schema` with the `jsonschema`
/// package (a dependency of the MCP SDK, so the tests' virtualenv has it).
fn assert_matches_schema(schema: &str, json: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/schema")
        .join(schema);
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  jsonschema.Draft202012Validator(schema).validate(json.loads(sys.argv[2]))";
    let out = Command::new(mcp_python())
        .args(["-c", script])
        .arg(&path)
        .arg(String::from_utf8_lossy(json).as_ref())
        .output()
        .expect("run the validator");
    assert!(
        out.status.success(),
        "output does not match {schema}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_outputs_match_the_committed_schemas() {
    let server = python_http("127.0.0.1");
    let closed = closed_port();
    let up = server.addr.to_string();
    let down = format!("127.0.0.1:{closed}");
    let port = server.addr.port().to_string();
    for (schema, args) in [
        ("report.json", vec!["check", &up, "--json"]),
        ("report.json", vec!["check", &down, "--json"]),
        ("report.json", vec!["check", "localhost:619009", "--json"]),
        ("bind-report.json", vec!["bind-check", &port, "--json"]),
        ("listeners.json", vec!["listeners", "--json"]),
    ] {
        let out = portdoctor(&args);
        assert!(!out.stdout.is_empty(), "{args:?}: {out:?}");
        assert_matches_schema(schema, &out.stdout);
    }
    // The validator does fail: a report without its verdict.
    let (mut report, _) = check_json(&portdoctor(&["check", &down, "--json"]));
    report.as_object_mut().unwrap().remove("verdict");
    let result = std::panic::catch_unwind(|| {
        assert_matches_schema("report.json", report.to_string().as_bytes())
    });
    assert!(result.is_err(), "a report without a verdict passed");
}

/// `portdoctor autostart` in a session of its own: a temporary
/// XDG_CONFIG_HOME for the unit, no bus to any running user manager
/// (XDG_RUNTIME_DIR empty, no DBUS_SESSION_BUS_ADDRESS), and systemctl told
/// to enable by writing links itself, so the real session is never touched.
fn autostart(dir: &TempDir, path: Option<&std::path::Path>, args: &[&str]) -> (String, String) {
    let runtime = dir.path("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let mut command = support::command();
    command
        .arg("autostart")
        .args(args)
        .env("XDG_CONFIG_HOME", dir.path("config"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("SYSTEMCTL_INSTALL_CLIENT_SIDE", "1");
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let out = command.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "autostart {args:?}: {stdout}{stderr}");
    (stdout, stderr)
}

#[test]
fn autostart_on_writes_and_enables_the_unit_and_off_removes_it() {
    let dir = TempDir::new("autostart");
    let unit = dir.path("config/systemd/user/portdoctor.service");
    let wants = dir.path("config/systemd/user/default.target.wants/portdoctor.service");
    let (said, _) = autostart(&dir, None, &[]);
    assert!(said.starts_with("autostart is off"), "{said}");
    assert!(said.contains(&unit.display().to_string()), "{said}");

    for _ in 0..2 {
        let (said, _) = autostart(&dir, None, &["on"]);
        let text = std::fs::read_to_string(&unit).unwrap();
        let exe = std::fs::canonicalize(BIN).unwrap();
        assert!(
            text.contains(&format!("ExecStart=\"{}\" serve --no-open", exe.display())),
            "{text}"
        );
        if Path::new("/usr/bin/systemctl").exists() || Path::new("/bin/systemctl").exists() {
            // systemctl's own link, to our unit; nothing could start it here.
            assert_eq!(std::fs::read_link(&wants).unwrap(), unit, "{said}");
            assert!(said.contains("enabled: it starts at every login"), "{said}");
            assert!(said.contains("not started now"), "{said}");
        }
    }
    let (said, _) = autostart(&dir, None, &[]);
    assert!(
        said.starts_with(&format!("autostart is on: {}", unit.display())),
        "{said}"
    );

    for already in [false, true] {
        let (said, _) = autostart(&dir, None, &["off"]);
        assert!(
            !unit.exists() && wants.symlink_metadata().is_err(),
            "{said}"
        );
        assert_eq!(said.contains("already off"), already, "{said}");
    }
    let (said, _) = autostart(&dir, None, &[]);
    assert!(said.starts_with("autostart is off"), "{said}");
}

#[test]
fn autostart_without_systemctl_still_writes_the_unit_and_says_so() {
    let dir = TempDir::new("autostart-no-systemctl");
    let unit = dir.path("config/systemd/user/portdoctor.service");
    // A PATH with no systemctl on it.
    let empty = dir.path("bin");
    std::fs::create_dir_all(&empty).unwrap();
    let (said, _) = autostart(&dir, Some(&empty), &["on"]);
    assert!(unit.is_file(), "{said}");
    assert!(
        said.contains("systemctl is not installed")
            && said.contains("systemctl --user enable --now portdoctor.service"),
        "{said}"
    );
    let (said, _) = autostart(&dir, Some(&empty), &["off"]);
    assert!(!unit.exists(), "{said}");
    assert!(
        said.contains(&format!("removed {}", unit.display())),
        "{said}"
    );
}

#[test]
fn autostart_takes_only_on_or_off() {
    let out = portdoctor(&["autostart", "maybe"]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("[possible values: on, off]"), "{said}");
}

/// A second `portdoctor` (as a double-click or a terminal start without a
/// command) finds the helper running: it opens that one's page and ends
/// well. `serve`, asked for a server of its own, still fails, and so does
/// a start where the port's holder is not a portdoctor.
#[test]
fn a_start_without_a_command_opens_the_running_helpers_page() {
    let running = helper(&[]);
    let port = running.addr.port().to_string();
    let dir = TempDir::new("second-start");
    let (browser, read) = fifo_browser(&dir);
    let out = support::command()
        .args(["--port", &port])
        .env("BROWSER", &browser)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let url = format!("http://{}/", running.addr);
    assert_eq!(
        said.trim(),
        format!("portdoctor is already running at {url}")
    );
    assert_eq!(read.recv_timeout(DEADLINE).unwrap().unwrap(), url);

    let out = portdoctor(&["serve", "--no-open", "--port", &port]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("port {port} is already taken")),
        "{said}"
    );

    let other = python_http("127.0.0.1");
    let out = portdoctor(&["--no-open", "--port", &other.addr.port().to_string()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("is already taken by python"), "{said}");
}
