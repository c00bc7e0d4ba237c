//! Who may talk to the helper. Any web page the user visits can send requests
//! to 127.0.0.1:61900, so every request proves where it comes from.
//!
//! - `Host` must name loopback with our port: a DNS-rebinding page reaches us
//!   under its own name (`evil.example:61900`) and is turned away.
//! - A WebSocket `Origin` must be our own page or one the user allowed. Which
//!   of the two it is stays with the session: only our own page may use the
//!   desktop assistant's configured MCP servers (and so start processes).

use std::net::SocketAddr;

/// The names our own page can be loaded under.
const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

#[derive(Debug, Clone)]
pub struct Guard {
    port: u16,
    /// Origins the user allowed with `--allow-origin`, normalised.
    allowed_origins: Vec<String>,
}

/// Who opened a WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginKind {
    /// The helper's own page.
    Own,
    /// A page the user allowed with `--allow-origin`.
    Allowed,
}

/// Why a request was turned away; the text goes back to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "Host header {0:?} is not this helper (expected 127.0.0.1, localhost or [::1] with our port): refused to defeat DNS rebinding"
    )]
    Host(String),
    #[error("missing Host header")]
    NoHost,
    #[error(
        "WebSocket from origin {0:?} refused: only the helper's own page and origins allowed with --allow-origin may connect"
    )]
    Origin(String),
    #[error("WebSocket without an Origin header refused")]
    NoOrigin,
}

impl Guard {
    pub fn new(local: SocketAddr, allowed_origins: &[String]) -> Self {
        Self {
            port: local.port(),
            allowed_origins: allowed_origins.iter().map(|o| normalise(o)).collect(),
        }
    }

    pub fn check_host(&self, host: Option<&str>) -> Result<(), Refusal> {
        let host = host.ok_or(Refusal::NoHost)?;
        let ours = LOOPBACK_NAMES
            .iter()
            .any(|name| is_name_with_port(host, name, self.port));
        if ours {
            Ok(())
        } else {
            Err(Refusal::Host(host.to_owned()))
        }
    }

    pub fn check_origin(&self, origin: Option<&str>) -> Result<OriginKind, Refusal> {
        let origin = normalise(origin.ok_or(Refusal::NoOrigin)?);
        let own = origin.strip_prefix("http://").is_some_and(|h| {
            LOOPBACK_NAMES
                .iter()
                .any(|n| is_name_with_port(h, n, self.port))
        });
        if own {
            Ok(OriginKind::Own)
        } else if self.allowed_origins.contains(&origin) {
            Ok(OriginKind::Allowed)
        } else {
            Err(Refusal::Origin(origin))
        }
    }
}

fn is_name_with_port(host: &str, name: &str, port: u16) -> bool {
    host.len() > name.len()
        && host[..name.len()].eq_ignore_ascii_case(name)
        && host[name.len()..].strip_prefix(':') == Some(port.to_string().as_str())
}

/// Origins compare case-insensitively and without a trailing slash.
fn normalise(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(
            "127.0.0.1:61900".parse().unwrap(),
            &["https://Docs.Example.com/".to_owned()],
        )
    }

    #[test]
    fn host_must_be_loopback_with_our_port() {
        let g = guard();
        for ok in [
            "127.0.0.1:61900",
            "localhost:61900",
            "LOCALHOST:61900",
            "[::1]:61900",
        ] {
            assert_eq!(g.check_host(Some(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "evil.example:61900",
            "127.0.0.1",
            "127.0.0.1:61901",
            "127.0.0.1:619000",
            "localhost.evil.example:61900",
            "127.0.0.1:61900.evil",
            "",
        ] {
            assert!(g.check_host(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(g.check_host(None), Err(Refusal::NoHost));
    }

    #[test]
    fn origin_must_be_our_page_or_allowed() {
        let g = guard();
        for own in [
            "http://127.0.0.1:61900",
            "http://localhost:61900",
            "http://[::1]:61900",
        ] {
            assert_eq!(g.check_origin(Some(own)), Ok(OriginKind::Own), "{own}");
        }
        assert_eq!(
            g.check_origin(Some("https://docs.example.com")),
            Ok(OriginKind::Allowed)
        );
        for bad in [
            "http://evil.example",
            "http://127.0.0.1:8080",
            "https://127.0.0.1:61900",
            "http://docs.example.com",
            "null",
        ] {
            assert!(g.check_origin(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(g.check_origin(None), Err(Refusal::NoOrigin));
    }
}
