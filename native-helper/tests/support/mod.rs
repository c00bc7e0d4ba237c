//! Real processes for the integration tests: the helper binary, python's
//! http.server, the CLI. Each is killed when dropped, so a failing assert
//! leaves nothing behind. Ports are always chosen by the OS.

#![allow(dead_code)] // each test file uses its own subset

pub mod browser;
pub mod ws;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_portdoctor");

/// A child process killed on drop.
pub struct Running {
    pub child: Child,
    /// What the process announced on its first stdout line.
    pub addr: SocketAddr,
    /// Kill the whole process group: chromedriver's browsers outlive it otherwise.
    group: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.group {
            // `kill -KILL -PID` is misread by procps' kill (as signal 9 to
            // group 9, or to -1: everything); `-s KILL --` is unambiguous.
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Spawns `command`, reads stdout lines until `parse` finds the address the
/// process listens on (the process announcing it is the synchronisation).
pub fn spawn_announcing(
    mut command: Command,
    group: bool,
    parse: impl Fn(&str) -> Option<SocketAddr>,
) -> Running {
    if group {
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(addr) = parse(&line) {
                    break addr;
                }
            }
            _ => {
                let _ = child.kill();
                panic!("{command:?} exited before announcing its address");
            }
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Running { child, addr, group }
}

/// The helper, on a port the OS chose.
pub fn helper(extra: &[&str]) -> Running {
    let mut command = Command::new(BIN);
    command.args(["--no-open", "--port", "0"]).args(extra);
    spawn_announcing(command, false, |line| {
        let url = line.strip_prefix("portdoctor is running at http://")?;
        url.trim_end_matches('/').parse().ok()
    })
}

/// The helper with its token written where the test can read it.
pub fn helper_with_token(extra: &[&str]) -> (Running, String) {
    let file = std::env::temp_dir().join(format!(
        "portdoctor-token-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let path = file.to_str().expect("utf-8 temp dir").to_owned();
    let helper = helper(&[&["--token-file", &path], extra].concat());
    let token =
        std::fs::read_to_string(&file).expect("token file written before the URL is printed");
    let _ = std::fs::remove_file(&file);
    (helper, token)
}

/// `python3 -m http.server` bound to `bind` (e.g. "::1", "127.0.0.1").
pub fn python_http(bind: &str) -> Running {
    python_http_in(bind, &std::env::temp_dir())
}

/// `python3 -m http.server` serving `dir` on 127.0.0.1, for pages of other origins.
pub fn python_http_serving(dir: &std::path::Path) -> Running {
    python_http_in("127.0.0.1", dir)
}

fn python_http_in(bind: &str, dir: &std::path::Path) -> Running {
    let mut command = Command::new("python3");
    command
        .args(["-u", "-m", "http.server", "--bind", bind, "0"])
        .current_dir(dir);
    let ip: std::net::IpAddr = bind.parse().expect("an address literal");
    spawn_announcing(command, false, move |line| {
        // "Serving HTTP on ::1 port 39185 (http://[::1]:39185/) ..."
        let port = line
            .split(" port ")
            .nth(1)?
            .split(' ')
            .next()?
            .parse()
            .ok()?;
        Some(SocketAddr::new(ip, port))
    })
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Runs `portdoctor ARGS` to completion.
pub fn portdoctor(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run portdoctor")
}

/// Runs `portdoctor ARGS` inside a fresh network namespace with only
/// loopback up, so nothing it does can leave the machine.
pub fn portdoctor_in_netns(args: &[&str]) -> Output {
    let script = r#"ip link set lo up && exec "$0" "$@""#;
    let output = Command::new("unshare")
        .args(["--net", "--", "sh", "-c", script, BIN])
        .args(args)
        .output()
        .expect("run unshare");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("unshare failed"),
        "network namespaces unavailable here: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `check --json` output as JSON, with the exit code.
pub fn check_json(output: &Output) -> (serde_json::Value, i32) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code().expect("exited"))
}

pub fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}
