//! HTTP/1.x: a GET of the target's path; the status line and `Server` tell
//! the rest. nginx answers plain HTTP on a TLS port with a 400 that says so,
//! which is the cleanest possible evidence for `tls-expected`.

use protocol::ServiceProtocol;

use super::Identified;
use crate::target::Target;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFacts {
    pub status: u16,
    pub reason: String,
    pub server: Option<String>,
    /// The server said plain HTTP reached its TLS port.
    pub plain_to_tls: bool,
}

const PLAIN_TO_TLS: &[u8] = b"plain HTTP request was sent to HTTPS port";

pub fn request(target: &Target) -> Vec<u8> {
    request_with(target, "")
}

/// A GET of the target's path, with extra header lines.
pub fn request_with(target: &Target, extra: &str) -> Vec<u8> {
    let path = target.path.as_deref().unwrap_or("/");
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: portdoctor/{}\r\nAccept: */*\r\n{extra}Connection: close\r\n\r\n",
        target.port,
        env!("CARGO_PKG_VERSION"),
    )
    .into_bytes()
}

pub fn recognise(bytes: &[u8], ended: bool) -> Option<Identified> {
    let facts = parse(bytes, ended)?;
    let status_line = std::str::from_utf8(&bytes[..bytes.windows(2).position(|w| w == b"\r\n")?])
        .ok()?
        .to_owned();
    let detail = match &facts.server {
        Some(server) => format!("{server}, {} {}", facts.status, facts.reason),
        None => format!("HTTP {} {}", facts.status, facts.reason),
    };
    let mut found = Identified::new(ServiceProtocol::Http, detail, Some(status_line));
    found.http = Some(facts);
    Some(found)
}

/// The status and headers, once the header block is complete; a 400 waits
/// for its body (or the end) to see whether it is nginx's TLS-port message.
pub fn parse(bytes: &[u8], ended: bool) -> Option<HttpFacts> {
    if !bytes.starts_with(b"HTTP/1.") {
        return None;
    }
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n");
    let head = match head_end {
        Some(end) => &bytes[..end],
        None if ended => bytes,
        None => return None,
    };
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut status_line = lines.next()?.splitn(3, ' ');
    let _version = status_line.next()?;
    let status: u16 = status_line.next()?.parse().ok()?;
    let reason = status_line.next().unwrap_or("").to_owned();
    let server = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("server"))
        .map(|(_, value)| value.trim().to_owned());
    let plain_to_tls = bytes.windows(PLAIN_TO_TLS.len()).any(|w| w == PLAIN_TO_TLS);
    if status == 400 && !plain_to_tls && !ended {
        return None;
    }
    Some(HttpFacts {
        status,
        reason,
        server,
        plain_to_tls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_server() {
        let answer = b"HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n";
        let found = recognise(answer, false).unwrap();
        assert_eq!(
            found.service.detail.as_deref(),
            Some("nginx/1.22.1, 404 Not Found")
        );
        assert_eq!(found.http.unwrap().status, 404);
        assert!(
            recognise(b"HTTP/1.1 200 OK\r\nServer: x", false).is_none(),
            "incomplete head"
        );
        assert!(recognise(b"SSH-2.0-x\r\n", true).is_none());
    }

    #[test]
    fn nginx_plain_to_tls_port() {
        let head = b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n";
        assert!(parse(head, false).is_none(), "waits for the body");
        let mut full = head.to_vec();
        full.extend_from_slice(b"<center>The plain HTTP request was sent to HTTPS port</center>");
        assert!(parse(&full, false).unwrap().plain_to_tls);
        assert!(!parse(head, true).unwrap().plain_to_tls);
    }
}
