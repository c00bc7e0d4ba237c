//! One test per row about what answers, each with literal evidence of what
//! a real server of that kind sent.

use protocol::{Code, Outcome, Service, ServiceProtocol, Severity, Verdict};

use crate::diagnose::rules::tests::{beside_reachable, codes, evidence, only};
use crate::diagnose::{Evidence, diagnose, verdict};
use crate::identify::{HttpFacts, Identified, TlsFacts};

fn answered(protocol: ServiceProtocol, detail: &str) -> Identified {
    Identified {
        service: Service {
            protocol: Some(protocol),
            detail: Some(detail.into()),
            banner: None,
        },
        ..Identified::default()
    }
}

fn http(status: u16, reason: &str, server: &str) -> Identified {
    Identified {
        http: Some(HttpFacts {
            status,
            reason: reason.into(),
            server: Some(server.into()),
            plain_to_tls: false,
        }),
        ..answered(
            ServiceProtocol::Http,
            &format!("{server}, {status} {reason}"),
        )
    }
}

fn tls(untrusted: Option<&str>) -> Identified {
    Identified {
        tls: Some(TlsFacts {
            version: "TLS 1.3".into(),
            alpn: Some("http/1.1".into()),
            subject: Some("CN=localhost".into()),
            issuer: Some("CN=localhost".into()),
            untrusted: untrusted.map(Into::into),
        }),
        ..answered(ServiceProtocol::Tls, "TLS 1.3, ALPN http/1.1")
    }
}

/// An open 127.0.0.1:8443 on which `found` answered, asked as `scheme://`.
fn open(scheme: Option<&str>, path: Option<&str>, found: Identified) -> Evidence {
    let mut e = evidence("127.0.0.1", 8443)
        .tried("127.0.0.1:8443", Outcome::Open)
        .listening("127.0.0.1:8443", Some((0, 511)));
    e.scheme = scheme.map(Into::into);
    e.path = path.map(Into::into);
    e.service = Some(found);
    e
}

#[test]
fn tls_expected_when_http_meets_tls() {
    let f = only(&open(Some("http"), None, tls(None)), Code::TlsExpected);
    assert!(f.fix.contains("https://127.0.0.1:8443/"), "{}", f.fix);
    // nginx's own words on its TLS port count too.
    let mut nginx = http(400, "Bad Request", "nginx/1.22.1");
    nginx.http.as_mut().unwrap().plain_to_tls = true;
    only(&open(Some("http"), None, nginx), Code::TlsExpected);
}

#[test]
fn plaintext_expected_when_https_meets_http() {
    let e = open(Some("https"), None, http(200, "OK", "SimpleHTTP/0.6"));
    let f = only(&e, Code::PlaintextExpected);
    assert!(f.fix.contains("http://127.0.0.1:8443/"), "{}", f.fix);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Degraded);
}

#[test]
fn wrong_protocol_names_both() {
    let mut e = open(None, None, answered(ServiceProtocol::Redis, "Redis 7.0.15"));
    e.expect = Some(ServiceProtocol::Postgres);
    let f = only(&e, Code::WrongProtocol);
    assert!(
        f.summary.contains("redis") && f.summary.contains("postgres"),
        "{}",
        f.summary
    );
    // HTTP expected, an MCP server answers: fine.
    let mut e = open(None, None, http(200, "OK", "uvicorn"));
    e.expect = Some(ServiceProtocol::Mcp);
    assert_eq!(codes(&e), vec![(Code::Reachable, Severity::Ok)]);
}

#[test]
fn a_url_scheme_is_an_expectation_too() {
    let e = open(
        Some("http"),
        None,
        answered(ServiceProtocol::Redis, "Redis 7.0.15"),
    );
    let f = only(&e, Code::WrongProtocol);
    assert_eq!(
        f.summary,
        "127.0.0.1:8443 answers as redis, not http as the http:// target says"
    );
    only(
        &open(Some("redis"), None, http(200, "OK", "nginx")),
        Code::WrongProtocol,
    );
    // A scheme names a family: a WebSocket endpoint at an http:// URL, an
    // HTTP server at a ws:// one, TLS at a secure one are not wrong.
    for (scheme, found) in [
        ("http", answered(ServiceProtocol::Websocket, "WebSocket")),
        ("ws", http(200, "OK", "uvicorn")),
        ("rediss", tls(None)),
        ("wss", tls(None)),
    ] {
        let e = open(Some(scheme), None, found);
        assert!(
            !codes(&e).contains(&(Code::WrongProtocol, Severity::Error)),
            "{scheme}: {:?}",
            codes(&e)
        );
    }
}

#[test]
fn silent_service() {
    let silent = Identified {
        silent: true,
        ..Identified::default()
    };
    // A bare port: perhaps a protocol portdoctor does not know.
    beside_reachable(
        &open(None, None, silent.clone()),
        Code::SilentService,
        Severity::Warning,
    );
    // Asked for HTTP, silence does not work as asked.
    let e = open(Some("http"), None, silent);
    assert_eq!(codes(&e), vec![(Code::SilentService, Severity::Error)]);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Degraded);
}

#[test]
fn reset_right_after_accept() {
    let reset = Identified {
        reset: true,
        ..Identified::default()
    };
    only(&open(None, None, reset), Code::ConnectionReset);
}

#[test]
fn untrusted_certificate_names_subject_and_issuer() {
    let e = open(
        Some("https"),
        None,
        tls(Some("invalid peer certificate: UnknownIssuer")),
    );
    // Clients verify by default: as asked, it does not work.
    let f = only(&e, Code::TlsUntrustedCertificate);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Degraded);
    assert!(f.summary.contains("self-signed"), "{}", f.summary);
    assert!(f.evidence.iter().any(|l| l == "issuer: CN=localhost"));
    // Trusted: nothing to say.
    assert_eq!(
        codes(&open(Some("https"), None, tls(None))),
        vec![(Code::Reachable, Severity::Ok)]
    );
}

#[test]
fn http_errors_at_the_given_path_and_dead_upstreams() {
    let e = open(Some("http"), Some("/api"), http(404, "Not Found", "nginx"));
    let f = only(&e, Code::HttpError);
    assert!(
        f.summary.contains("404") && f.summary.contains("/api"),
        "{}",
        f.summary
    );
    // Nothing at the path asked for: it does not work as asked.
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Degraded);
    // A 401 is a working endpoint that wants credentials.
    let e = open(
        Some("http"),
        Some("/api"),
        http(401, "Unauthorized", "nginx"),
    );
    beside_reachable(&e, Code::HttpError, Severity::Warning);
    // A 404 at / of a bare port is just an API without a home page.
    assert_eq!(
        codes(&open(None, None, http(404, "Not Found", "uvicorn"))),
        vec![(Code::Reachable, Severity::Ok)]
    );
    let f = only(
        &open(None, None, http(502, "Bad Gateway", "nginx/1.22.1")),
        Code::HttpError,
    );
    assert!(f.summary.contains("upstream is down"), "{}", f.summary);
    assert_eq!(f.severity, Severity::Error);
}

#[test]
fn exposed_to_network_names_the_networks_and_keeps_the_server_reachable() {
    let wildcard = |listen: &str| {
        evidence("127.0.0.1", 8000)
            .tried("127.0.0.1:8000", Outcome::Open)
            .listening(listen, None)
            .interface("lo", "127.0.0.1", true)
            .interface("lo", "::1", true)
    };
    // On a network: a warning naming it. The server works, so the ok
    // finding stays and the verdict is reachable.
    let e = wildcard("0.0.0.0:8000")
        .interface("eth0", "192.0.2.2", true)
        .interface("eth0", "fd00::2", true)
        .interface("wlan0", "10.0.0.7", false);
    let f = beside_reachable(&e, Code::ExposedToNetwork, Severity::Warning);
    // 0.0.0.0 is IPv4 only; wlan0 is down.
    assert!(
        f.summary.ends_with(
            "listens on 0.0.0.0:8000: other machines can reach it through eth0 (192.0.2.2)"
        ),
        "{}",
        f.summary
    );
    assert!(f.fix.contains("127.0.0.1"), "{}", f.fix);
    // `::` takes IPv4 too (dual-stack).
    let e = wildcard("[::]:8000")
        .interface("eth0", "192.0.2.2", true)
        .interface("eth0", "fd00::2", true);
    let f = diagnose(&e).remove(0);
    assert!(
        f.summary.ends_with("through eth0 (192.0.2.2, fd00::2)"),
        "{}",
        f.summary
    );

    // A docs page on an allowed origin learns the interface, not where this
    // machine is on the network.
    let mut e = wildcard("0.0.0.0:8000").interface("eth0", "192.0.2.2", true);
    e.audience = crate::Audience::Embed;
    let f = beside_reachable(&e, Code::ExposedToNetwork, Severity::Warning);
    assert!(f.summary.ends_with("through eth0"), "{}", f.summary);
    assert!(!format!("{f:?}").contains("192.0.2.2"), "{f:#?}");

    // Loopback the only interface up: nobody else can reach it today.
    let e = wildcard("[::]:8000").interface("eth0", "192.0.2.2", false);
    let f = beside_reachable(&e, Code::ExposedToNetwork, Severity::Info);
    assert!(
        f.summary.contains("only this machine can reach it"),
        "{}",
        f.summary
    );
}

#[test]
fn container_published_ports() {
    let mut e = evidence("127.0.0.1", 5432)
        .tried("127.0.0.1:5432", Outcome::Open)
        .listening("127.0.0.1:5432", None);
    if let Some(Ok(l)) = &mut e.listeners {
        l[0].processes[0].name = "docker-proxy".into();
    }
    let found = codes(&e);
    assert_eq!(
        found[0],
        (Code::ContainerPublished, Severity::Info),
        "{found:?}"
    );
    let f = diagnose(&e).remove(0);
    assert!(
        f.fix.contains("docker ps --filter publish=5432"),
        "{}",
        f.fix
    );
}
