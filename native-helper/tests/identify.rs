//! Identification and the troubleshooting table against real servers:
//! redis-server, nginx (plain and TLS), sshd, and raw listeners that never
//! accept, reset, or stay silent; a firewall drop inside a network namespace.

mod support;

use std::net::{SocketAddr, TcpStream};

use serde_json::Value;
use support::peers::*;
use support::*;

fn check(args: &[&str]) -> (Value, i32) {
    check_json(&portdoctor(&[&["check", "--json"], args].concat()))
}

fn service(report: &Value) -> (&str, &str) {
    (
        report["service"]["protocol"].as_str().unwrap_or("null"),
        report["service"]["detail"].as_str().unwrap_or(""),
    )
}

#[test]
fn redis_is_named_with_its_version() {
    let redis = redis();
    let (report, code) = check(&[&redis.addr.to_string()]);
    assert_eq!(code, 0, "{report:#}");
    let (protocol, detail) = service(&report);
    assert_eq!(protocol, "redis");
    assert!(
        detail.starts_with("Redis 7") || detail.starts_with("Redis "),
        "{detail}"
    );
    assert_eq!(report["listeners"][0]["pid"], redis.pid());

    let (report, code) = check(&[&redis.addr.to_string(), "--expect", "postgres"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["wrong-protocol"]);

    // An http:// URL pointed at Redis: the scheme was the expectation.
    let (report, code) = check(&[&format!("http://{}/", redis.addr)]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["wrong-protocol"]);
    let summary = report["findings"][0]["summary"].as_str().unwrap();
    assert!(summary.ends_with("as the http:// target says"), "{summary}");
}

#[test]
fn nginx_plain_http_and_its_errors() {
    let scratch = TempDir::new("nginx");
    let nginx = nginx(false, &scratch);
    let (report, code) = check(&[&format!("http://{}/", nginx.addr)]);
    assert_eq!(code, 0, "{report:#}");
    let (protocol, detail) = service(&report);
    assert_eq!(protocol, "http");
    assert!(detail.starts_with("nginx/"), "{detail}");

    let (report, _) = check(&[&format!("http://{}/missing", nginx.addr)]);
    assert_eq!(codes(&report), ["http-error"]);
    let (report, _) = check(&[&format!("http://{}/down", nginx.addr)]);
    assert_eq!(codes(&report), ["http-error"]);
    let summary = report["findings"][0]["summary"].as_str().unwrap();
    assert!(summary.contains("upstream is down"), "{summary}");

    let (report, code) = check(&[&format!("https://{}/", nginx.addr)]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report)[0], "plaintext-expected");
}

#[test]
fn nginx_tls_is_named_and_http_to_it_is_tls_expected() {
    let scratch = TempDir::new("nginx-tls");
    let nginx = nginx(true, &scratch);
    let (report, code) = check(&[&format!("http://{}/", nginx.addr)]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report)[0], "tls-expected");
    let fix = report["findings"][0]["fix"].as_str().unwrap();
    assert!(fix.contains(&format!("https://{}/", nginx.addr)), "{fix}");

    let (report, _) = check(&[&format!("https://localhost:{}/", nginx.addr.port())]);
    let (protocol, detail) = service(&report);
    assert_eq!(protocol, "tls");
    assert!(
        detail.starts_with("TLS 1.") && detail.contains("CN=localhost"),
        "{detail}"
    );
    assert!(
        codes(&report).contains(&"tls-untrusted-certificate".to_owned()),
        "{report:#}"
    );
    let untrusted = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "tls-untrusted-certificate")
        .unwrap();
    assert!(
        untrusted["summary"]
            .as_str()
            .unwrap()
            .contains("self-signed")
    );
    // `openssl req -x509` makes a CA certificate: said in words, not as
    // rustls's debug text (`Other(OtherError(CaUsedAsEndEntity))`).
    let verification = untrusted["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str()?.strip_prefix("verification: "))
        .next()
        .expect("a verification line");
    assert!(
        verification.starts_with("the server presents a CA certificate (CA:TRUE) as its own"),
        "{verification}"
    );
    assert!(!verification.contains("OtherError"), "{verification}");
}

#[test]
fn sshd_banner_is_read() {
    let scratch = TempDir::new("sshd");
    let sshd = sshd(&scratch);
    let (report, code) = check(&[&sshd.addr.to_string()]);
    assert_eq!(code, 0, "{report:#}");
    let (protocol, detail) = service(&report);
    assert_eq!(protocol, "ssh");
    assert!(detail.starts_with("OpenSSH_"), "{detail}");
    assert!(
        report["service"]["banner"]
            .as_str()
            .unwrap()
            .starts_with("SSH-2.0-")
    );
}

#[test]
fn postgres_answers_its_ssl_request() {
    let scratch = TempDir::new("postgres");
    let postgres = postgres(&scratch);
    let (report, code) = check(&[&postgres.addr.to_string()]);
    assert_eq!(code, 0, "{report:#}");
    let (protocol, detail) = service(&report);
    assert_eq!(protocol, "postgres");
    assert!(detail.starts_with("PostgreSQL"), "{detail}");
    assert_eq!(report["listeners"][0]["process"], "postgres");
}

#[test]
fn a_listener_that_resets_is_connection_reset() {
    let addr = raw_listener(reset);
    let (report, code) = check(&[&addr.to_string()]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["connection-reset"]);
}

#[test]
fn a_listener_that_says_nothing_is_silent() {
    let addr = raw_listener(silent);
    // On a bare port, maybe a protocol portdoctor does not know: a warning
    // about a server that accepts.
    let (report, code) = check(&[&addr.to_string()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(codes(&report), ["silent-service", "reachable"]);
    assert_eq!(report["service"]["protocol"], Value::Null);
    // Asked for HTTP, it does not work as asked.
    let (report, code) = check(&[&format!("http://{addr}/")]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["verdict"], "degraded");
    assert_eq!(codes(&report)[0], "silent-service");
}

#[test]
fn a_listener_that_never_accepts_is_unresponsive() {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(1).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    // Fill the accept queue: backlog 1 takes two completed connections.
    let _waiting: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let (report, code) = check(&[&addr.to_string(), "--timeout", "1s"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report)[0], "service-unresponsive");
    let summary = report["findings"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("pid {}", std::process::id())),
        "{summary}"
    );
}

#[test]
fn a_firewall_drop_is_filtered() {
    // A fresh network namespace, where nothing listens on port 9 and an
    // nftables rule drops every packet to it.
    let script = r#"ip link set lo up \
        && nft add table inet pd \
        && nft add chain inet pd input '{ type filter hook input priority 0; }' \
        && nft add rule inet pd input tcp dport 9 drop \
        && exec "$0" check 127.0.0.1:9 --json --timeout 1s"#;
    let output = std::process::Command::new("unshare")
        .args(["--net", "--", "sh", "-c", script, BIN])
        .output()
        .expect("run unshare");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.stdout.is_empty(),
        "network namespace or nftables unavailable here: {stderr}"
    );
    let (report, code) = check_json(&output);
    assert_eq!(code, 1);
    assert_eq!(report["addresses"][0]["outcome"], "timeout");
    assert_eq!(codes(&report), ["filtered"]);
}
