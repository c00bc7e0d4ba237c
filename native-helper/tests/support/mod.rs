//! Real processes for the integration tests: the helper binary, python's
//! http.server, MCP servers from the official Python SDK, the CLI. Each is
//! killed when dropped, so a failing assert leaves nothing behind. Ports are
//! always chosen by the OS.

#![allow(dead_code)] // each test file uses its own subset

pub mod browser;
pub mod peers;
pub mod ws;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_portdoctor");

/// `portdoctor` as the tests run it: with a runtime directory of this test
/// process, so the helpers they start write their token files there and never
/// over the token of a helper the developer runs (in $XDG_RUNTIME_DIR or
/// ~/.cache). A test that needs its own directory sets XDG_RUNTIME_DIR again.
pub fn command() -> Command {
    static RUNTIME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let dir = RUNTIME.get_or_init(|| {
        // One per user, not per run: no test reads a token from here.
        let user = std::env::var("USER").unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("portdoctor-tests-{user}"));
        std::fs::create_dir_all(&dir).expect("the tests' runtime directory");
        dir
    });
    let mut portdoctor = Command::new(BIN);
    portdoctor.env("XDG_RUNTIME_DIR", dir);
    portdoctor
}

/// How long any wait in a test may take before it fails: only a hang gets
/// near it, so it is generous for a busy machine, and waits end as soon as
/// their condition holds.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `probe` until it gives a value, and fails the test with `what` once
/// `deadline` has passed: the one bounded wait for a condition no event
/// announces (a window opening, a listener closing, a log line).
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    deadline: Instant,
    what: &str,
    mut probe: impl FnMut() -> F,
) -> T {
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`eventually`] for a condition that can be read at once, within
/// [`DEADLINE`] from now.
pub async fn wait_until(condition: impl Fn() -> bool, what: &str) {
    eventually(Instant::now() + DEADLINE, what, || {
        std::future::ready(condition().then_some(()))
    })
    .await
}

/// A child process killed on drop.
pub struct Running {
    pub child: Child,
    /// What the process announced on its first stdout line.
    pub addr: SocketAddr,
    /// Kill the whole process group: chromedriver's browsers outlive it otherwise.
    group: bool,
    /// Everything the process wrote to stderr so far (the helper logs there).
    stderr: Arc<Mutex<String>>,
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
    /// A child, leader of its own process group, listening on `addr`.
    pub fn leader(child: Child, addr: SocketAddr) -> Self {
        Self {
            child,
            addr,
            group: true,
            stderr: Arc::default(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process has logged so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }
}

/// Spawns `command`, reads stdout lines until `parse` finds the address the
/// process listens on (the process announcing it is the synchronisation).
pub fn spawn_announcing(
    command: Command,
    group: bool,
    parse: impl Fn(&str) -> Option<SocketAddr>,
) -> Running {
    try_spawn_announcing(command, group, parse).unwrap_or_else(|e| panic!("{e}"))
}

/// [`spawn_announcing`], with a process that ends before announcing an
/// error that says what it printed and how it ended.
pub fn try_spawn_announcing(
    mut command: Command,
    group: bool,
    parse: impl Fn(&str) -> Option<SocketAddr>,
) -> Result<Running, String> {
    if group {
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().expect("piped");
    let log = stderr.clone();
    let drain = std::thread::spawn(move || {
        let mut buffer = [0; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buffer) {
            log.lock()
                .expect("lock")
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(addr) = parse(&line) {
                    break addr;
                }
                printed.push_str(&line);
                printed.push('\n');
            }
            _ => {
                let _ = child.kill();
                let status = child.wait();
                let _ = drain.join();
                let stderr = stderr.lock().expect("lock");
                return Err(format!(
                    "{command:?} exited before announcing its address ({status:?})\nstdout:\n{printed}stderr:\n{stderr}"
                ));
            }
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Running {
        child,
        addr,
        group,
        stderr,
    })
}

/// The helper, on a port the OS chose.
pub fn helper(extra: &[&str]) -> Running {
    helper_on(0, extra)
}

/// The helper on `port` (0: any free one), e.g. to restart it where it was.
pub fn helper_on(port: u16, extra: &[&str]) -> Running {
    let mut command = command();
    command
        .args(["--no-open", "--port", &port.to_string()])
        .args(extra);
    helper_from(command)
}

/// The helper as `command` starts it (`portdoctor --no-open --port 0 ...`,
/// with its own environment), once it announces its address.
pub fn helper_from(command: Command) -> Running {
    spawn_announcing(command, false, |line| {
        let url = line.strip_prefix("portdoctor is running at http://")?;
        url.trim_end_matches('/').parse().ok()
    })
}

/// The helper with `home` as its HOME: no desktop assistant's
/// configuration there, as for most people.
pub fn helper_without_assistant(home: &TempDir) -> Running {
    let mut command = command();
    command
        .args(["--no-open", "--port", "0"])
        .env("HOME", &home.0)
        .env_remove("XDG_CONFIG_HOME");
    helper_from(command)
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

/// The Python with the official MCP SDK: `$PORTDOCTOR_MCP_PYTHON`, or the
/// virtualenv `cargo xtask setup` makes in the temporary directory.
pub fn mcp_python() -> PathBuf {
    venv_python("PORTDOCTOR_MCP_PYTHON", "mcp-venv", "mcp")
}

/// The Python with fastmcp: `$PORTDOCTOR_FASTMCP_PYTHON`, or the
/// virtualenv `cargo xtask setup` makes in the temporary directory.
pub fn fastmcp_python() -> PathBuf {
    venv_python("PORTDOCTOR_FASTMCP_PYTHON", "fastmcp-venv", "fastmcp")
}

fn venv_python(variable: &str, venv: &str, package: &str) -> PathBuf {
    let python = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(venv).join("bin/python"));
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask setup`, \
         or point {variable} at a Python that has the {package} package",
        python.display(),
    );
    python
}

/// The MCP server scripts and the test configuration.
pub fn mcp_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mcp")
}

/// `SCRIPT ARGS` from tests/mcp, once it prints `listening on PORT`.
pub fn mcp_server(script: &str, args: &[&str]) -> Running {
    python_server(&mcp_python(), script, args)
}

/// `SCRIPT ARGS` from tests/mcp run by `python`, once it prints
/// `listening on PORT`.
pub fn python_server(python: &std::path::Path, script: &str, args: &[&str]) -> Running {
    let mut command = Command::new(python);
    command.arg(mcp_dir().join(script)).args(args);
    spawn_announcing(command, false, |line| {
        let port = line.strip_prefix("listening on ")?.trim().parse().ok()?;
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    })
}

/// The npm MCP servers (`.ci/run` installs them, pinned):
/// `$PORTDOCTOR_MCP_NPM`, or `$TMPDIR/mcp-npm`, holding `node_modules`.
pub fn mcp_npm() -> PathBuf {
    let dir = std::env::var_os("PORTDOCTOR_MCP_NPM")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("mcp-npm"));
    assert!(
        dir.join("node_modules").exists(),
        "{}/node_modules is missing: run .ci/run (it installs the pinned npm MCP servers there), \
         or point PORTDOCTOR_MCP_NPM at a directory where they are installed",
        dir.display()
    );
    dir
}

/// A file of an installed npm package, e.g.
/// `@modelcontextprotocol/server-everything/dist/index.js`.
pub fn npm_file(path: &str) -> PathBuf {
    mcp_npm().join("node_modules").join(path)
}

/// A Node MCP server over HTTP, started as its README says (`node SCRIPT
/// ARGS`), on a port the OS chooses: tests/mcp/announce.mjs makes it bind
/// 127.0.0.1 and print the port. The npm packages are on `NODE_PATH`.
pub fn node_server(script: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new("node");
    command
        .arg("--import")
        .arg(mcp_dir().join("announce.mjs"))
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
        .env("NODE_PATH", mcp_npm().join("node_modules"));
    spawn_announcing(command, false, |line| {
        let port = line.strip_prefix("listening on ")?.trim().parse().ok()?;
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    })
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "portdoctor-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// tests/mcp/claude_desktop_config.json with its placeholders filled in,
/// written to `dir`. `$PIDFILE` is where the hanging server notes its pids.
pub fn mcp_config(dir: &TempDir, http_url: &str) -> PathBuf {
    let template = std::fs::read_to_string(mcp_dir().join("claude_desktop_config.json"))
        .expect("the test configuration");
    let text = template
        .replace("$PYTHON", &mcp_python().display().to_string())
        .replace("$MCP_DIR", &mcp_dir().display().to_string())
        .replace("$PIDFILE", &dir.0.join("pids").display().to_string())
        .replace("$HTTP_URL", http_url);
    let path = dir.0.join("claude_desktop_config.json");
    std::fs::write(&path, text).expect("write the configuration");
    path
}

/// A loopback port that refuses connections for as long as this lives: a
/// socket bound to it that never listens. The kernel answers a connect with
/// a reset and lists no listener, like a free port, but gives the port to
/// no other process (a port that was merely free a moment ago can be taken
/// by anything on the machine that binds port 0).
pub struct ClosedPort {
    socket: socket2::Socket,
    pub port: u16,
}

impl ClosedPort {
    /// Starts listening on the held port: a service that comes up exactly
    /// there, with no moment in which another process could take it.
    pub fn listen(self) -> TcpListener {
        self.socket.listen(128).expect("listen on the held port");
        self.socket.into()
    }
}

impl std::fmt::Display for ClosedPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.port.fmt(f)
    }
}

pub fn closed_port() -> ClosedPort {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    socket.bind(&any.into()).expect("bind a loopback port");
    let port = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("a bound address")
        .port();
    ClosedPort { socket, port }
}

/// A port nothing holds right now, for a server that must be told its port.
/// Another process may take it before the server binds it: start servers
/// through `peers::spawn_listening`, which notices and tries another.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `portdoctor ARGS` to completion.
pub fn portdoctor(args: &[&str]) -> Output {
    command().args(args).output().expect("run portdoctor")
}

/// Runs `portdoctor ARGS` inside a fresh network namespace with only
/// loopback up, so nothing it does can leave the machine.
pub fn portdoctor_in_netns(args: &[&str]) -> Output {
    netns(NetnsSetup::default(), args)
}

/// What a fresh network namespace gets before `portdoctor ARGS` runs in it.
#[derive(Default)]
pub struct NetnsSetup<'a> {
    /// Leave `lo` down, as a fresh namespace has it.
    pub loopback_down: bool,
    /// More shell commands as root in the namespace (`ip link add ...`,
    /// `mount --bind HOSTS /etc/hosts`).
    pub setup: &'a str,
    /// A server started first (in the background, stopped afterwards);
    /// portdoctor runs once `wait_for` accepts connections.
    pub server: Option<(&'a str, &'a str)>,
}

/// Runs `portdoctor ARGS` in a fresh network namespace prepared as `how`
/// says: the namespace is ours alone, so fixed ports are free there.
pub fn netns(how: NetnsSetup, args: &[&str]) -> Output {
    let lo = if how.loopback_down {
        ""
    } else {
        "ip link set lo up || exit 97\n"
    };
    let server = match how.server {
        None => String::new(),
        // The server is stopped however portdoctor ends; `wait` (bounded)
        // is the synchronisation.
        Some((command, wait_for)) => format!(
            "{command} >/dev/null 2>&1 &\nserver=$!\ntrap 'kill $server' EXIT\n\"$0\" wait {wait_for} --until accepts --for 20s >/dev/null 2>&1 || exit 98\n"
        ),
    };
    let setup = if how.setup.is_empty() {
        String::new()
    } else {
        format!("{{ {}; }} || exit 97\n", how.setup)
    };
    let script = format!("set -u\n{lo}{setup}{server}\"$0\" \"$@\"\n");
    // Its own mount namespace too, so a setup may bind-mount a hosts file.
    let output = Command::new("unshare")
        .args(["--net", "--mount", "--", "sh", "-c", &script, BIN])
        .args(args)
        .output()
        .expect("run unshare");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("unshare failed")
            && !matches!(output.status.code(), Some(97 | 98)),
        "network namespace setup failed (exit {:?}): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs the test `name` of this test binary again, inside a fresh network
/// namespace prepared by the shell commands `setup` (as root there), and
/// asserts it passed there. Returns `true` when already inside: the caller
/// then goes on with the test body; `false` when the rerun is done.
pub fn inside_netns(name: &str, setup: &str) -> bool {
    const INNER: &str = "PORTDOCTOR_TEST_IN_NETNS";
    if std::env::var_os(INNER).is_some() {
        return true;
    }
    let script = format!("{setup} && exec \"$0\" \"$@\"");
    let status = Command::new("unshare")
        .args(["--net", "--", "sh", "-c", &script])
        .arg(std::env::current_exe().expect("the test binary's path"))
        .args(["--exact", name, "--nocapture"])
        .env(INNER, "1")
        .status()
        .expect("run unshare");
    assert!(status.success(), "{name} failed inside the namespace");
    false
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

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The SDK's authorization server that signs people in (tokens it issues
/// listed in `issued`) and the demo server behind it, checking tokens by
/// introspection; `extra` are more arguments for the demo server.
pub fn signing_in_servers(issued: &std::path::Path, extra: &[&str]) -> (Running, Running) {
    signing_in_servers_with(issued, &[], extra)
}

/// [`signing_in_servers`] with `issuer_extra` arguments for the
/// authorization server.
pub fn signing_in_servers_with(
    issued: &std::path::Path,
    issuer_extra: &[&str],
    extra: &[&str],
) -> (Running, Running) {
    let mut issuer_args = vec!["--grant", "--issued", issued.to_str().unwrap()];
    issuer_args.extend_from_slice(issuer_extra);
    let issuer_server = mcp_server("sdk_auth_server.py", &issuer_args);
    let issuer = format!("http://{}/", issuer_server.addr);
    let introspect = format!("http://{}/introspect", issuer_server.addr);
    let mut args = vec![
        "streamable-http",
        "--auth-issuer",
        &issuer,
        "--introspect",
        &introspect,
    ];
    args.extend_from_slice(extra);
    let server = mcp_server("demo_server.py", &args);
    (issuer_server, server)
}
