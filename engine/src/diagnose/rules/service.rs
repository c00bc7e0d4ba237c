//! The rows about what answers on the port (identification) and how the
//! listener is bound.
//!
//! | rule                  | symptom                                           | cause                                   |
//! |-----------------------|---------------------------------------------------|-----------------------------------------|
//! | `tls_expected`        | `http://` (or plain) asked, TLS answers            | the port is the TLS one                 |
//! | `plaintext_expected`  | `https://` asked, plain HTTP answers               | TLS not enabled, or the wrong port      |
//! | `wrong_protocol`      | `--expect P` or the scheme's, another answers      | another program on the port             |
//! | `silent_service`      | connected, no banner, no probe answered            | still starting, or an unknown protocol  |
//! |                       | (error when a protocol was asked for)              |                                         |
//! | `reset_on_accept`     | accepted, then reset before a word                 | allow-list, connection limit, crash     |
//! | `untrusted_cert`      | `https://`, certificate not trusted here           | self-signed / private CA                |
//! | `http_error`          | 4xx/5xx at the given path; 502/504 anywhere        | wrong path; the proxy's upstream is down|
//! |                       | (error for 404, 410 and 5xx; else a warning)       |                                         |
//! | `exposed`             | listener on 0.0.0.0 or ::, and a network is up     | bound to all interfaces                 |
//! | `container`           | the listener is docker-proxy / rootlessport        | published by a container                |

use protocol::{Code, Finding, ServiceProtocol, Severity};

use super::{finding, join};
use crate::diagnose::Evidence;
use crate::identify::Identified;
use crate::interfaces::{self, Interface};
use crate::listeners::owner;

fn identified(e: &Evidence) -> Option<&Identified> {
    e.service.as_ref()
}

fn protocol(e: &Evidence) -> Option<ServiceProtocol> {
    identified(e)?.service.protocol
}

fn scheme(e: &Evidence) -> Option<&str> {
    e.scheme.as_deref()
}

fn address(e: &Evidence) -> String {
    format!("{}:{}", e.host, e.port.unwrap_or_default())
}

/// What identification saw, as evidence lines.
fn seen(e: &Evidence) -> Vec<String> {
    let Some(found) = identified(e) else {
        return Vec::new();
    };
    let service = &found.service;
    let mut lines = Vec::new();
    if let (Some(p), Some(d)) = (&service.protocol, &service.detail) {
        lines.push(format!("answered as {}: {d}", p.as_str()));
    }
    if let Some(banner) = &service.banner {
        lines.push(format!("first bytes: {banner}"));
    }
    lines
}

pub(super) fn tls_expected(e: &Evidence) -> Option<Finding> {
    let found = identified(e)?;
    let plain_asked = matches!(scheme(e), Some("http" | "ws"))
        || (scheme(e).is_none() && e.expect == Some(ServiceProtocol::Http));
    let tls_port = found.tls.is_some() || found.http.as_ref().is_some_and(|h| h.plain_to_tls);
    if !(plain_asked && tls_port) {
        return None;
    }
    let secure = if scheme(e) == Some("ws") {
        "wss"
    } else {
        "https"
    };
    Some(finding(
        Code::TlsExpected,
        Severity::Error,
        format!("{} speaks TLS, but the request was plain text", address(e)),
        format!(
            "Use {secure}://{}{} (the client must speak TLS on this port), or point the client at the server's plain-HTTP port.",
            address(e),
            e.path.as_deref().unwrap_or("/")
        ),
        seen(e)
            .into_iter()
            .chain(found.http.as_ref().filter(|h| h.plain_to_tls).map(|_| {
                "the server said: \"The plain HTTP request was sent to HTTPS port\"".to_owned()
            }))
            .collect(),
    ))
}

pub(super) fn plaintext_expected(e: &Evidence) -> Option<Finding> {
    let asked_tls =
        matches!(scheme(e), Some("https" | "wss")) || e.expect == Some(ServiceProtocol::Tls);
    let found = identified(e)?;
    if !asked_tls || found.tls.is_some() || protocol(e) != Some(ServiceProtocol::Http) {
        return None;
    }
    Some(finding(
        Code::PlaintextExpected,
        Severity::Error,
        format!(
            "{} speaks plain HTTP, but the request was TLS (https)",
            address(e)
        ),
        format!(
            "Use http://{}{} — or enable TLS in the server if it must be https.",
            address(e),
            e.path.as_deref().unwrap_or("/")
        ),
        seen(e),
    ))
}

/// What the user expects to answer, and how they said it: `--expect`, or
/// the protocol the URL's scheme names (`http://` answered by Redis).
fn expectation(e: &Evidence) -> Option<(ServiceProtocol, String)> {
    if let Some(expected) = e.expect {
        return Some((expected, "as expected".to_owned()));
    }
    let scheme = scheme(e)?;
    let expected = match scheme {
        "http" | "https" => ServiceProtocol::Http,
        "ws" | "wss" => ServiceProtocol::Websocket,
        "redis" | "rediss" => ServiceProtocol::Redis,
        "postgres" | "postgresql" => ServiceProtocol::Postgres,
        _ => return None,
    };
    Some((expected, format!("as the {scheme}:// target says")))
}

pub(super) fn wrong_protocol(e: &Evidence) -> Option<Finding> {
    let (expected, said) = expectation(e)?;
    let actual = protocol(e)?;
    let web = |p| {
        matches!(
            p,
            ServiceProtocol::Http | ServiceProtocol::Websocket | ServiceProtocol::Mcp
        )
    };
    // MCP and WebSocket ride on HTTP; TLS may carry anything. A scheme only
    // names a family: an http:// URL may well be a WebSocket endpoint.
    let compatible = actual == expected
        || (expected == ServiceProtocol::Http
            && matches!(actual, ServiceProtocol::Websocket | ServiceProtocol::Mcp))
        || (expected == ServiceProtocol::Mcp && actual == ServiceProtocol::Http)
        || (e.expect.is_none() && web(expected) && web(actual))
        || (actual == ServiceProtocol::Tls
            && matches!(scheme(e), Some("https" | "wss" | "rediss")))
        || (expected == ServiceProtocol::Tls && identified(e)?.tls.is_some());
    // tls-expected / plaintext-expected say it better for that mix-up.
    let tls_mixup = matches!(
        (expected, actual),
        (ServiceProtocol::Http, ServiceProtocol::Tls)
            | (ServiceProtocol::Tls, ServiceProtocol::Http)
    );
    if compatible || tls_mixup {
        return None;
    }
    Some(finding(
        Code::WrongProtocol,
        Severity::Error,
        format!(
            "{} answers as {}, not {} {said}",
            address(e),
            actual.as_str(),
            expected.as_str()
        ),
        "Another program holds this port, or the client has the wrong port: check which port the expected server really uses (`portdoctor listeners`), and what the listener shown here is.".to_owned(),
        seen(e),
    ))
}

pub(super) fn silent_service(e: &Evidence) -> Option<Finding> {
    // A silent MCP endpoint is better told by the MCP rows (no answer).
    if !identified(e)?.silent || e.mcp.is_some() || super::behind::explains(e) {
        return None;
    }
    // Asked for a protocol (a scheme, --expect), silence is a failure; on a
    // bare port it may be one portdoctor does not know.
    let asked = e.scheme.is_some() || e.expect.is_some();
    Some(finding(
        Code::SilentService,
        if asked {
            Severity::Error
        } else {
            Severity::Warning
        },
        format!("{} accepts connections but says nothing and answers no probe", address(e)),
        "The server may still be starting (watch its log), be stuck after accepting, or speak a client-first protocol portdoctor does not know: try the client it is meant for.".to_owned(),
        vec!["no banner, and no answer to TLS, HTTP, Redis, PostgreSQL or HTTP/2 probes".to_owned()],
    ))
}

/// Accepted, then reset before anything was said (the connect looked open).
pub(super) fn reset_on_accept(e: &Evidence) -> Option<Finding> {
    if !identified(e)?.reset || protocol(e).is_some() || super::behind::explains(e) {
        return None;
    }
    Some(finding(
        Code::ConnectionReset,
        Severity::Error,
        format!("{} accepts connections and resets them at once", address(e)),
        "The server (or a proxy or firewall in front of it) drops every client straight away: check its log; it may only allow certain client addresses, have reached its connection limit, or crash on connect.".to_owned(),
        vec!["the connection opened, then the server reset it before sending anything".to_owned()],
    ))
}

pub(super) fn untrusted_cert(e: &Evidence) -> Option<Finding> {
    if !matches!(scheme(e), Some("https" | "wss")) {
        return None;
    }
    let tls = identified(e)?.tls.as_ref()?;
    let why = tls.untrusted.as_ref()?;
    let subject = tls
        .subject
        .clone()
        .unwrap_or_else(|| "(no subject)".to_owned());
    let issuer = tls
        .issuer
        .clone()
        .unwrap_or_else(|| "(no issuer)".to_owned());
    let origin = if subject == issuer {
        "self-signed".to_owned()
    } else {
        format!("issued by {issuer}")
    };
    // Clients verify by default, so as asked (`https://`) it does not work.
    Some(finding(
        Code::TlsUntrustedCertificate,
        Severity::Error,
        format!(
            "The certificate of {} ({subject}) is {origin} and not trusted on this machine",
            address(e)
        ),
        "Clients will refuse it unless told otherwise: add its CA to the system trust store (e.g. `mkcert -install`, or copy it to /usr/local/share/ca-certificates and run update-ca-certificates), or use a certificate from a trusted CA.".to_owned(),
        vec![
            format!("subject: {subject}"),
            format!("issuer: {issuer}"),
            format!("verification: {why}"),
        ],
    ))
}

pub(super) fn http_error(e: &Evidence) -> Option<Finding> {
    // An MCP endpoint answers a plain GET with 405/406 by design; when the
    // MCP stage had something to say, its rows say it better.
    if e.mcp.is_some() {
        return None;
    }
    let http = identified(e)?.http.as_ref()?;
    let upstream_down = matches!(http.status, 502 | 504);
    if http.plain_to_tls || http.status < 400 || !(upstream_down || e.path.is_some()) {
        return None;
    }
    let path = e.path.as_deref().unwrap_or("/");
    let server = http.server.as_deref().unwrap_or("the server");
    let (summary, fix) = if upstream_down {
        (
            format!("{server} at {} is a proxy whose upstream is down ({} {})", address(e), http.status, http.reason),
            "The proxy runs, the service behind it does not answer: start that service, or fix the proxy's upstream address (proxy_pass / backend) and check both logs.".to_owned(),
        )
    } else {
        (
            format!("HTTP {} {} at {path}", http.status, http.reason),
            match http.status {
                404 => format!("Nothing at {path} on this server: check the path in the client's URL (the server runs, the route does not exist)."),
                401 | 403 => "The server wants credentials or refuses this client: check the token, login or allow-list the client needs.".to_owned(),
                s if s >= 500 => "The server failed while handling the request: its log says why.".to_owned(),
                _ => "The server rejected the request: check the URL and what the endpoint expects.".to_owned(),
            },
        )
    };
    Some(finding(
        Code::HttpError,
        // Nothing at the path asked for, or a failing server, does not work
        // as asked; a 401, 403 or 405 is a working endpoint that wants more.
        if http.status >= 500 || matches!(http.status, 404 | 410) {
            Severity::Error
        } else {
            Severity::Warning
        },
        summary,
        fix,
        seen(e),
    ))
}

/// A wildcard listener is reachable through every interface that is up,
/// apart from loopback: those are the networks named. `::` counts IPv4
/// interfaces too, since it takes IPv4 unless the socket is IPv6-only (the
/// default on Linux, macOS and Windows alike is dual-stack for servers that
/// bind `::`, e.g. Node.js). With no such interface, nothing else can reach
/// it today: a note, not a warning.
pub(super) fn exposed(e: &Evidence) -> Option<Finding> {
    let listeners = e.known_listeners()?;
    let open: Vec<_> = listeners
        .iter()
        .filter(|l| l.local.ip().is_unspecified())
        .collect();
    let first = open.first()?;
    let bound = join(open.iter().map(|l| l.local.to_string()), ", ");
    let mut evidence: Vec<String> = open
        .iter()
        .map(|l| format!("{} listens on {}", owner(l), l.local))
        .collect();
    // 127.0.0.1 rather than ::1: every client of this machine reaches it,
    // whatever localhost resolves to first.
    let loopback = std::net::Ipv4Addr::LOCALHOST;
    let fix = match e.program(first) {
        Some(program) => format!(
            "If only this machine should use it, bind it to {loopback}: {}.",
            program.listen_on(loopback.into(), first.local.port())
        ),
        None => format!(
            "If only this machine should use it, bind it to 127.0.0.1 (and ::1): e.g. `--host 127.0.0.1` / `--bind 127.0.0.1`, or listen 127.0.0.1:{} in its config.",
            first.local.port()
        ),
    };
    let Some(Ok(interfaces)) = &e.interfaces else {
        return Some(finding(
            Code::ExposedToNetwork,
            Severity::Warning,
            format!(
                "{} listens on {bound}: other machines on this machine's networks can reach it",
                owner(first)
            ),
            fix,
            evidence,
        ));
    };
    let v6 = open.iter().any(|l| l.local.is_ipv6());
    let networks: Vec<&Interface> = interfaces
        .iter()
        .filter(|i| i.up && !i.is_loopback() && (v6 || i.ip.is_ipv4()))
        .collect();
    if networks.is_empty() {
        evidence
            .push("interfaces up: loopback only (no other network on this machine now)".to_owned());
        return Some(finding(
            Code::ExposedToNetwork,
            Severity::Info,
            format!(
                "{} listens on {bound} (every interface), but this machine is on no network besides loopback now: only this machine can reach it",
                owner(first)
            ),
            format!(
                "Nothing to do today; once this machine joins a network, other machines there can reach it. {fix}"
            ),
            evidence,
        ));
    }
    let named = interfaces::by_name(&networks, e.audience);
    evidence.extend(named.iter().map(|n| format!("interface up: {n}")));
    Some(finding(
        Code::ExposedToNetwork,
        Severity::Warning,
        format!(
            "{} listens on {bound}: other machines can reach it through {}",
            owner(first),
            named.join(", ")
        ),
        fix,
        evidence,
    ))
}

/// Forwarders that publish a container's port on the host.
const CONTAINER_FORWARDERS: &[&str] = &[
    "docker-proxy",
    "rootlessport",
    "slirp4netns",
    "vpnkit",
    "com.docker.backend",
];

pub(super) fn container(e: &Evidence) -> Option<Finding> {
    let listeners = e.known_listeners()?;
    let forwarder = listeners.iter().find(|l| {
        l.processes
            .iter()
            .any(|p| CONTAINER_FORWARDERS.contains(&p.name.as_str()))
    })?;
    let port = forwarder.local.port();
    Some(finding(
        Code::ContainerPublished,
        Severity::Info,
        format!(
            "Port {port} is published by a container ({}): the real service runs inside it",
            owner(forwarder)
        ),
        format!(
            "Look at the container, not the host: `docker ps --filter publish={port}`, then `docker logs CONTAINER`; inside, the service must listen on 0.0.0.0 (not 127.0.0.1) for the published port to reach it."
        ),
        vec![format!(
            "{} listens on {}",
            owner(forwarder),
            forwarder.local
        )],
    ))
}

#[cfg(test)]
mod tests;
