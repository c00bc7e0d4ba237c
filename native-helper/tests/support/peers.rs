//! Real servers for the identification tests: redis-server, nginx (plain and
//! TLS with a certificate made here), sshd, and raw listeners that misbehave
//! on purpose. Each runs on a free port and dies with the test.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{DEADLINE, Running, TempDir, free_port};

/// Starts the server `command(port)` makes, in its own process group
/// (servers fork: workers, `runuser`'s child), on a free port, and waits
/// (bounded) until the kernel lists a listener there owned by that group:
/// for servers that do not announce their port. A port is only free until
/// someone binds it, and anything on this machine may; when our server
/// exits (it could not bind) the next free port is tried, and a listener
/// of another process on the port is never mistaken for ours.
pub fn spawn_listening(mut command: impl FnMut(u16) -> Command) -> Running {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut command = command(port);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let mut running = Running::leader(child, addr);
        loop {
            // Connecting is cheap; reading the socket table only once
            // something answers.
            if TcpStream::connect(addr).is_ok() && listens_in_group(addr, running.pid()) {
                return running;
            }
            if let Ok(Some(status)) = running.child.try_wait() {
                assert!(
                    Instant::now() < deadline,
                    "{command:?} exited with {status} before listening on {addr}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{command:?} never listened on {addr}"
            );
            std::thread::yield_now();
        }
    }
}

/// Whether a process of process group `group` listens on `addr`.
fn listens_in_group(addr: SocketAddr, group: u32) -> bool {
    let listeners = socket_table::tcp_listeners_on(addr.port()).unwrap_or_default();
    listeners
        .iter()
        .filter(|l| l.local == addr)
        .flat_map(|l| &l.processes)
        .any(|p| process_group(p.pid) == Some(group))
}

/// The process group of `pid`: the fifth field of /proc/PID/stat, counted
/// after the command name, which may itself hold spaces and parentheses.
fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(2)?.parse().ok()
}

pub fn redis() -> Running {
    spawn_listening(|port| {
        let mut command = Command::new("redis-server");
        command.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        command
    })
}

/// nginx serving a tiny site on 127.0.0.1, with TLS (a self-signed
/// certificate for `localhost`) or without. `/down` proxies to a Unix
/// socket that does not exist: an upstream that is down, for certain.
pub fn nginx(tls: bool, scratch: &TempDir) -> Running {
    let dir = &scratch.0;
    std::fs::create_dir_all(dir.join("html")).unwrap();
    std::fs::write(dir.join("html/index.html"), "hello from nginx\n").unwrap();
    if tls {
        self_signed(dir);
    }
    spawn_listening(|port| {
        let listen = if tls {
            format!(
                "listen 127.0.0.1:{port} ssl; ssl_certificate {0}/cert.pem; ssl_certificate_key {0}/key.pem;",
                dir.display()
            )
        } else {
            format!("listen 127.0.0.1:{port};")
        };
        let conf = format!(
            "daemon off; master_process off; pid {0}/nginx.pid; error_log {0}/error.log; user root;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {0}; proxy_temp_path {0}; fastcgi_temp_path {0}; uwsgi_temp_path {0}; scgi_temp_path {0};
  server {{ {listen} root {0}/html; location /down {{ proxy_pass http://unix:{0}/no-upstream.sock; }} }} }}",
            dir.display(),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let mut command = Command::new("nginx");
        command.args([
            "-p",
            &dir.display().to_string(),
            "-c",
            &dir.join("nginx.conf").display().to_string(),
        ]);
        command
    })
}

/// `cert.pem` and `key.pem` for CN=localhost, signed by themselves.
pub fn self_signed(dir: &Path) {
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl req failed");
}

/// sshd on a free port with a host key made here.
pub fn sshd(scratch: &TempDir) -> Running {
    sshd_with(scratch, "")
}

/// sshd that lets the current user in with a key made here, for `ssh -L`;
/// returns the client's private key too.
pub fn sshd_for_key(scratch: &TempDir) -> (Running, std::path::PathBuf) {
    let key = keygen(scratch, "client_ed25519");
    let authorized = format!(
        "AuthorizedKeysFile {}.pub\nStrictModes no\nPermitRootLogin prohibit-password\n",
        key.display()
    );
    (sshd_with(scratch, &authorized), key)
}

fn keygen(scratch: &TempDir, name: &str) -> std::path::PathBuf {
    let key = scratch.path(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(status.success());
    key
}

fn sshd_with(scratch: &TempDir, extra: &str) -> Running {
    let key = keygen(scratch, "host_ed25519");
    let _ = std::fs::create_dir_all("/run/sshd");
    let config = scratch.path("sshd_config");
    spawn_listening(|port| {
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nPidFile {}\nUsePAM no\n{extra}",
                key.display(),
                scratch.path("sshd.pid").display()
            ),
        )
        .unwrap();
        let mut command = Command::new("/usr/sbin/sshd");
        command.arg("-D").arg("-f").arg(&config);
        command
    })
}

/// PostgreSQL from Debian's package: `initdb` into the scratch dir, then
/// `postgres` on a free port, both as the `postgres` user (it refuses root).
pub fn postgres(scratch: &TempDir) -> Running {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|versions| versions.flatten().map(|v| v.path().join("bin")).max())
        .expect("PostgreSQL is not installed (apt-get install postgresql)");
    let data = scratch.path("data");
    let status = Command::new("chown")
        .args(["postgres"])
        .arg(&scratch.0)
        .status()
        .expect("chown");
    assert!(status.success());
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join("initdb"))
        .args(["-A", "trust", "-U", "postgres", "-D"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("initdb");
    assert!(status.success(), "initdb failed");
    spawn_listening(|port| {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(&scratch.0);
        command
    })
}

/// A listener whose accept loop treats every client with `serve`, on a
/// thread that ends with the test process.
pub fn raw_listener(serve: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            serve(stream);
        }
    });
    addr
}

/// A listener that counts the connections it accepts (and holds them).
pub fn counting_listener() -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
        }
    });
    (addr, accepted)
}

/// Accepts and resets at once (SO_LINGER 0 turns the close into a RST).
pub fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    let _ = socket.set_linger(Some(Duration::ZERO));
}

/// Accepts and says nothing, holding the connection until the client leaves.
pub fn silent(mut stream: TcpStream) {
    std::thread::spawn(move || {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
}

/// socat listening on 127.0.0.1:PORT, forwarding each connection to `to`.
pub fn socat(port: u16, to: &str) -> Command {
    let mut command = Command::new("socat");
    command.args([
        format!("TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr"),
        format!("TCP:{to}"),
    ]);
    command
}
