//! What is behind the port, against real processes: a server stopped with
//! SIGSTOP and one held by gdb, forwarders (the real docker-proxy in front
//! of a network namespace, socat, `ssh -L` through a real sshd), socket
//! activation by `systemd-socket-activate`, and a hosts file that maps
//! localhost to IPv4 only.

mod support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::peers::{socat, spawn_listening, sshd_for_key};
use support::{BIN, TempDir, check_json, closed_port, codes, portdoctor, python_http};

/// A child that is killed and reaped on drop.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn check(target: &str) -> Value {
    check_json(&portdoctor(&["check", target, "--json"])).0
}

fn finding<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

/// Waits (bounded) until `/proc/PID/status` satisfies `ready`.
fn wait_for_status(pid: u32, what: &str, ready: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if ready(&status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid} never became {what}:\n{status}"
        );
        std::thread::yield_now();
    }
}

fn status_field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .unwrap_or_default()
        .trim()
}

#[test]
fn a_stopped_server_is_process_stopped_with_the_command_that_resumes_it() {
    let server = python_http("127.0.0.1");
    let pid = server.pid();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_for_status(pid, "stopped", |s| {
        status_field(s, "State").starts_with('T')
    });

    let report = check(&server.addr.to_string());
    assert_eq!(codes(&report)[0], "process-stopped", "{report:#}");
    let stopped = finding(&report, "process-stopped");
    assert!(
        stopped["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("kill -CONT {pid}"))
    );
    assert!(stopped["fix"].as_str().unwrap().contains("`fg`"));
    assert!(
        !codes(&report).contains(&"silent-service".to_owned()),
        "{report:#}"
    );

    // Resumed, it answers again and the finding goes.
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_for_status(pid, "running", |s| {
        !status_field(s, "State").starts_with('T')
    });
    let report = check(&server.addr.to_string());
    assert!(
        !codes(&report).contains(&"process-stopped".to_owned()),
        "{report:#}"
    );
    assert_eq!(report["service"]["protocol"], "http");
}

#[test]
fn a_server_held_by_gdb_is_process_traced_naming_the_debugger() {
    let server = python_http("127.0.0.1");
    let pid = server.pid();
    // gdb attaches and then waits for commands on its stdin, which stays open.
    let gdb = Reaped(
        Command::new("gdb")
            .args(["-q", "-nx", "-p", &pid.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gdb"),
    );
    let gdb_pid = gdb.0.id().to_string();
    wait_for_status(pid, "held by gdb", |s| {
        status_field(s, "TracerPid") == gdb_pid && status_field(s, "State").starts_with('t')
    });

    let report = check(&server.addr.to_string());
    assert_eq!(codes(&report)[0], "process-traced", "{report:#}");
    let traced = finding(&report, "process-traced");
    assert!(
        traced["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("gdb (pid {gdb_pid})")),
        "{traced:#}"
    );
    assert!(traced["fix"].as_str().unwrap().contains("`continue`"));
    assert!(!codes(&report).contains(&"process-stopped".to_owned()));
    drop(gdb);
}

#[test]
fn a_server_that_just_started_and_is_silent_is_process_starting() {
    // Listens, announces it, and does not accept yet: a server still loading.
    let mut command = Command::new("python3");
    command.args([
        "-u",
        "-c",
        "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(8); \
         print('listening on', s.getsockname()[1]); sys.stdin.read()",
    ]);
    command.stdin(Stdio::piped());
    let server = support::spawn_announcing(command, false, |line| {
        let port = line.strip_prefix("listening on ")?.trim().parse().ok()?;
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    });
    let report = check(&server.addr.to_string());
    assert_eq!(codes(&report), ["process-starting"], "{report:#}");
    let starting = finding(&report, "process-starting");
    assert!(
        starting["fix"]
            .as_str()
            .unwrap()
            .contains("portdoctor wait")
    );
}

#[test]
fn socat_forwarding_to_a_closed_port_is_forward_target_refused() {
    let closed = closed_port();
    let socat = spawn_listening(|port| socat(port, &format!("127.0.0.1:{closed}")));
    let report = check(&socat.addr.to_string());
    assert_eq!(codes(&report), ["forward-target-refused"], "{report:#}");
    let far = format!("127.0.0.1:{closed}");
    assert_eq!(report["forward"]["forwarder"], "socat");
    assert_eq!(report["forward"]["pid"], socat.pid());
    assert_eq!(report["forward"]["destination"], far);
    assert_eq!(report["forward"]["far_end"]["outcome"], "refused");
    let text = String::from_utf8(portdoctor(&["check", &socat.addr.to_string()]).stdout).unwrap();
    assert!(
        text.contains(&format!(
            "socat (pid {}) forwards to:\n  {far}",
            socat.pid()
        )),
        "{text}"
    );
    assert!(
        finding(&report, "forward-target-refused")["summary"]
            .as_str()
            .unwrap()
            .contains(&far)
    );
}

#[test]
fn socat_forwarding_to_a_silent_service_is_forward_target_silent() {
    // The far end accepts and never says a word.
    let silent = support::peers::raw_listener(support::peers::silent);
    let socat = spawn_listening(|port| socat(port, &silent.to_string()));
    let report = check(&socat.addr.to_string());
    // Silence on a bare port may be a protocol portdoctor does not know: advice.
    assert_eq!(
        codes(&report),
        ["forward-target-silent", "reachable"],
        "{report:#}"
    );
    assert_eq!(report["forward"]["far_end"]["outcome"], "open");
}

#[test]
fn socat_forwarding_to_a_working_server_is_healthy_and_shows_its_far_end() {
    let web = python_http("127.0.0.1");
    let socat = spawn_listening(|port| socat(port, &web.addr.to_string()));
    let report = check(&socat.addr.to_string());
    assert_eq!(report["verdict"], "reachable", "{report:#}");
    assert_eq!(report["service"]["protocol"], "http");
    assert_eq!(report["forward"]["destination"], web.addr.to_string());
    assert_eq!(report["forward"]["far_end"]["outcome"], "open");
}

#[test]
fn ssh_local_forward_to_a_closed_port_is_forward_target_refused() {
    let scratch = TempDir::new("ssh-forward");
    let (sshd, key) = sshd_for_key(&scratch);
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let closed = closed_port();
    let ssh = spawn_listening(|port| {
        let mut command = Command::new("ssh");
        command
            .args(["-N", "-F", "/dev/null", "-i"])
            .arg(&key)
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "ExitOnForwardFailure=yes",
                "-p",
                &sshd.addr.port().to_string(),
                "-L",
                &format!("127.0.0.1:{port}:127.0.0.1:{closed}"),
                &format!("{}@127.0.0.1", user.trim()),
            ]);
        command
    });
    let report = check(&ssh.addr.to_string());
    assert_eq!(codes(&report), ["forward-target-refused"], "{report:#}");
    assert_eq!(report["forward"]["forwarder"], "ssh -L");
    assert_eq!(
        report["forward"]["destination"],
        format!("127.0.0.1:{closed}")
    );
    assert_eq!(report["forward"]["far_end"]["outcome"], "refused");
}

#[test]
fn a_failing_socket_activated_service_is_socket_activation_failed() {
    let activator = spawn_listening(|port| {
        let mut command = Command::new("systemd-socket-activate");
        command.args([
            "--accept",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "false",
        ]);
        command
    });
    let report = check(&activator.addr.to_string());
    assert_eq!(codes(&report), ["socket-activation-failed"], "{report:#}");
    let failed = finding(&report, "socket-activation-failed");
    assert!(
        failed["summary"].as_str().unwrap().contains("`false`"),
        "{failed:#}"
    );
    assert!(failed["fix"].as_str().unwrap().contains("journalctl -u"));
}

#[test]
fn localhost_mapped_to_ipv4_only_with_a_server_on_ipv6_is_localhost_single_family() {
    let server = python_http("::1");
    let scratch = TempDir::new("hosts");
    let hosts = scratch.path("hosts");
    std::fs::write(
        &hosts,
        "127.0.0.1\tlocalhost\n::1\tip6-localhost ip6-loopback\n",
    )
    .unwrap();
    // The hosts file is this test's own, bind-mounted in a mount namespace.
    let output = Command::new("unshare")
        .args([
            "--mount",
            "--",
            "sh",
            "-c",
            r#"mount --bind "$0" /etc/hosts && exec "$@""#,
        ])
        .arg(&hosts)
        .args([
            BIN,
            "check",
            &format!("localhost:{}", server.addr.port()),
            "--json",
        ])
        .output()
        .expect("unshare");
    let (report, code) = check_json(&output);
    assert_eq!(code, 1);
    assert_eq!(codes(&report)[0], "localhost-single-family", "{report:#}");
    let single = finding(&report, "localhost-single-family");
    let quoted = single["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "/etc/hosts line 1: 127.0.0.1\tlocalhost");
    assert!(quoted, "{single:#}");
    assert!(
        single["fix"]
            .as_str()
            .unwrap()
            .contains("Browsers treat localhost as both")
    );
}

/// The real docker-proxy in front of a "container" (a network namespace
/// joined by a veth pair) whose app listens on 127.0.0.1 inside, and one in
/// front of an address nothing has. Everything runs in fresh network, pid
/// and mount namespaces: no packet leaves, nothing outlives the script.
#[test]
fn docker_proxy_in_front_of_a_container_names_its_far_end() {
    let scratch = TempDir::new("container");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/behind/container.sh");
    let output = Command::new("timeout")
        .args([
            "-s",
            "KILL",
            "90",
            "unshare",
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "bash",
        ])
        .arg(script)
        .arg(BIN)
        .arg(&scratch.0)
        .output()
        .expect("unshare");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reports: Vec<(&str, Value)> = stdout
        .split("== ")
        .skip(1)
        .map(|part| {
            let (name, json) = part.split_once('\n').unwrap();
            (
                name,
                serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}")),
            )
        })
        .collect();
    assert_eq!(
        reports.len(),
        2,
        "{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (_, refused) = &reports[0];
    assert_eq!(codes(refused)[0], "forward-target-refused", "{refused:#}");
    assert_eq!(refused["forward"]["forwarder"], "docker-proxy");
    assert_eq!(refused["forward"]["destination"], "10.99.0.2:80");
    assert_eq!(refused["forward"]["far_end"]["outcome"], "refused");
    let fix = finding(refused, "forward-target-refused")["fix"]
        .as_str()
        .unwrap();
    assert!(fix.contains("0.0.0.0 (not 127.0.0.1)"), "{fix}");
    assert!(!codes(refused).contains(&"connection-reset".to_owned()));

    let (_, unreachable) = &reports[1];
    assert_eq!(
        codes(unreachable)[0],
        "forward-target-unreachable",
        "{unreachable:#}"
    );
    assert_eq!(unreachable["forward"]["destination"], "10.99.0.3:80");
    // Nothing answers ARP for 10.99.0.3: a connect waits (timeout) until the
    // kernel gives up on the neighbour after about 3 s, and from then on
    // fails at once (unreachable). `wait` above may already have asked, so
    // on a slow machine either can come first; both say nothing is there.
    let far_end = &unreachable["forward"]["far_end"]["outcome"];
    assert!(
        far_end == "timeout" || far_end == "unreachable",
        "{unreachable:#}"
    );
}
