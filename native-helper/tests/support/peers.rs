//! Real servers for the identification tests: redis-server, nginx (plain and
//! TLS with a certificate made here), sshd, and raw listeners that misbehave
//! on purpose. Each runs on a port the OS chose and dies with the test.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Running, TempDir};

/// A port nothing listens on right now (the OS's choice).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts `command` in its own process group (servers fork: workers,
/// `runuser`'s child) and waits (bounded) until `addr` accepts connections:
/// for servers that do not announce their port.
pub fn spawn_listening(mut command: Command, addr: SocketAddr) -> Running {
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut running = Running::leader(child, addr);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = running.child.try_wait() {
            panic!("{command:?} exited with {status} before listening on {addr}");
        }
        assert!(
            Instant::now() < deadline,
            "{command:?} never listened on {addr}"
        );
        std::thread::yield_now();
    }
    running
}

pub fn redis() -> Running {
    let port = free_port();
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
    spawn_listening(command, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// nginx serving a tiny site on 127.0.0.1, with TLS (a self-signed
/// certificate for `localhost`) or without.
pub fn nginx(tls: bool, scratch: &TempDir) -> Running {
    let port = free_port();
    let dir = &scratch.0;
    std::fs::create_dir_all(dir.join("html")).unwrap();
    std::fs::write(dir.join("html/index.html"), "hello from nginx\n").unwrap();
    let listen = if tls {
        self_signed(dir);
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
  server {{ {listen} root {0}/html; location /down {{ proxy_pass http://127.0.0.1:{1}; }} }} }}",
        dir.display(),
        free_port(),
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let mut command = Command::new("nginx");
    command.args([
        "-p",
        &dir.display().to_string(),
        "-c",
        &dir.join("nginx.conf").display().to_string(),
    ]);
    spawn_listening(command, SocketAddr::from(([127, 0, 0, 1], port)))
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
    let port = free_port();
    let key = scratch.path("host_ed25519");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(status.success());
    let _ = std::fs::create_dir_all("/run/sshd");
    let config = scratch.path("sshd_config");
    std::fs::write(
        &config,
        format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nPidFile {}\nUsePAM no\n",
            key.display(),
            scratch.path("sshd.pid").display()
        ),
    )
    .unwrap();
    let mut command = Command::new("/usr/sbin/sshd");
    command.arg("-D").arg("-f").arg(&config);
    spawn_listening(command, SocketAddr::from(([127, 0, 0, 1], port)))
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
    let port = free_port();
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
    spawn_listening(command, SocketAddr::from(([127, 0, 0, 1], port)))
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
