//! Who may talk to the helper, and what they may do. Any web page the user
//! visits can send requests to 127.0.0.1:61900, so every request proves where
//! it comes from.
//!
//! - `Host` must name loopback with our port: a DNS-rebinding page reaches us
//!   under its own name (`evil.example:61900`) and is turned away.
//! - A WebSocket `Origin` must be our own page or one the user allowed.
//!   Clients without an Origin (scripts; browsers always send one) must
//!   present the per-start token, like Jupyter's.
//! - An allowed foreign origin (a docs embed) gets [`Access::ChecksOnly`].
//!
//! What each access level may do is one table, [`Access::permits`], over
//! everything a client can ask: every WebSocket request kind and the relay.

use std::net::{IpAddr, SocketAddr};

use protocol::RequestKind;
use subtle::ConstantTimeEq as _;

/// The names our own page can be loaded under.
const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

#[derive(Debug, Clone)]
pub struct Guard {
    port: u16,
    /// A non-loopback address the user chose to listen on (`--listen`).
    exposed: Option<String>,
    /// Origins the user allowed with `--allow-origin`, normalised.
    allowed_origins: Vec<String>,
    token: Token,
}

/// What a WebSocket client may do; a higher level may do all a lower one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// A page on an origin the user allowed: check targets, nothing else —
    /// no listing of this machine's processes, no process starts, no relay.
    ChecksOnly,
    /// Our own page, or a local script holding the token.
    Full,
}

/// Everything a client can ask of the helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A request on the `/ws` session.
    Request(RequestKind),
    /// A byte relay to a target (`/relay`): a page could talk to any local
    /// service with it, so only our own page and token holders get one.
    Relay,
}

impl Access {
    /// The access table. Exhaustive, with no wildcard arm: a new request kind
    /// does not compile until its author decides who may send it.
    pub fn permits(self, operation: Operation) -> bool {
        use RequestKind::*;
        let needs = match operation {
            Operation::Request(Hello | Cancel | Check) => Access::ChecksOnly,
            // Signing in registers a client and obtains a token: never for
            // a checks-only origin.
            Operation::Request(Listeners | BindCheck | McpServers | McpCheck | McpLogin) => {
                Access::Full
            }
            Operation::Relay => Access::Full,
        };
        self >= needs
    }

    /// Who reads the reports of this client's checks.
    pub fn audience(self) -> engine::Audience {
        match self {
            Access::ChecksOnly => engine::Audience::Embed,
            Access::Full => engine::Audience::Owner,
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operation::Request(kind) => f.write_str(kind.name()),
            Operation::Relay => f.write_str("relay"),
        }
    }
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
    #[error(
        "WebSocket without an Origin header refused: scripts must send `Authorization: Bearer TOKEN` (or ?token=TOKEN) with the token portdoctor printed at start"
    )]
    NoToken,
}

/// A secret made at each start; scripts prove they run as a local user who
/// could read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    pub fn generate() -> std::io::Result<Self> {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares in constant time, so response timing does not leak a prefix.
    /// The length is no secret: every token has 48 characters.
    fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl Guard {
    pub fn new(local: SocketAddr, allowed_origins: &[String], token: Token) -> Self {
        let ip = local.ip();
        let exposed = (!ip.is_loopback() && !ip.is_unspecified()).then(|| match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        });
        Self {
            port: local.port(),
            exposed,
            allowed_origins: allowed_origins.iter().map(|o| normalise(o)).collect(),
            token,
        }
    }

    fn is_us(&self, host: &str) -> bool {
        LOOPBACK_NAMES
            .iter()
            .copied()
            .chain(self.exposed.as_deref())
            .any(|name| is_name_with_port(host, name, self.port))
    }

    pub fn check_host(&self, host: Option<&str>) -> Result<(), Refusal> {
        let host = host.ok_or(Refusal::NoHost)?;
        if self.is_us(host) {
            Ok(())
        } else {
            Err(Refusal::Host(host.to_owned()))
        }
    }

    /// Decides a WebSocket upgrade from its `Origin` and, without one, its token.
    pub fn check_websocket(
        &self,
        origin: Option<&str>,
        token: Option<&str>,
    ) -> Result<Access, Refusal> {
        let Some(origin) = origin else {
            return match token {
                Some(t) if self.token.matches(t) => Ok(Access::Full),
                _ => Err(Refusal::NoToken),
            };
        };
        let origin = normalise(origin);
        if origin
            .strip_prefix("http://")
            .is_some_and(|h| self.is_us(h))
        {
            Ok(Access::Full)
        } else if self.allowed_origins.contains(&origin) {
            Ok(Access::ChecksOnly)
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

    fn guard() -> (Guard, Token) {
        let token = Token::generate().unwrap();
        let guard = Guard::new(
            "127.0.0.1:61900".parse().unwrap(),
            &["https://Docs.Example.com/".to_owned()],
            token.clone(),
        );
        (guard, token)
    }

    #[test]
    fn host_must_be_loopback_with_our_port() {
        let (g, _) = guard();
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
            "192.168.1.5:61900",
            "",
        ] {
            assert!(g.check_host(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(g.check_host(None), Err(Refusal::NoHost));
    }

    #[test]
    fn an_exposed_helper_also_answers_to_its_address() {
        let g = Guard::new(
            "192.168.1.5:61900".parse().unwrap(),
            &[],
            Token::generate().unwrap(),
        );
        assert_eq!(g.check_host(Some("192.168.1.5:61900")), Ok(()));
        assert!(g.check_host(Some("192.168.1.6:61900")).is_err());
    }

    #[test]
    fn origin_decides_access() {
        let (g, _) = guard();
        for own in [
            "http://127.0.0.1:61900",
            "http://localhost:61900",
            "http://[::1]:61900",
        ] {
            assert_eq!(
                g.check_websocket(Some(own), None),
                Ok(Access::Full),
                "{own}"
            );
        }
        assert_eq!(
            g.check_websocket(Some("https://docs.example.com"), None),
            Ok(Access::ChecksOnly)
        );
        for bad in [
            "http://evil.example",
            "http://127.0.0.1:8080",
            "https://127.0.0.1:61900",
            "http://docs.example.com",
            "null",
        ] {
            assert!(g.check_websocket(Some(bad), None).is_err(), "{bad}");
        }
    }

    /// Every operation, from the derived list of request kinds.
    fn every_operation() -> impl Iterator<Item = Operation> {
        RequestKind::all()
            .map(Operation::Request)
            .chain([Operation::Relay])
    }

    #[test]
    fn allowed_origins_may_only_check() {
        for operation in every_operation() {
            let expected = matches!(
                operation,
                Operation::Request(RequestKind::Hello | RequestKind::Cancel | RequestKind::Check)
            );
            assert_eq!(
                Access::ChecksOnly.permits(operation),
                expected,
                "{operation}"
            );
            assert!(Access::Full.permits(operation), "{operation}");
        }
    }

    #[test]
    fn clients_without_origin_need_the_token() {
        let (g, token) = guard();
        assert_eq!(g.check_websocket(None, None), Err(Refusal::NoToken));
        assert_eq!(
            g.check_websocket(None, Some("guess")),
            Err(Refusal::NoToken)
        );
        assert_eq!(
            g.check_websocket(None, Some(token.as_str())),
            Ok(Access::Full)
        );
        // Only the whole token: not a prefix, not more, not another of its length.
        let whole = token.as_str();
        let mut other = whole.to_owned().into_bytes();
        other[47] = if other[47] == b'0' { b'1' } else { b'0' };
        for wrong in [
            "",
            &whole[..47],
            &format!("{whole}0"),
            std::str::from_utf8(&other).unwrap(),
        ] {
            assert!(!token.matches(wrong), "{wrong:?}");
        }
        // A token does not let a foreign page in.
        assert!(
            g.check_websocket(Some("http://evil.example"), Some(token.as_str()))
                .is_err()
        );
    }
}
