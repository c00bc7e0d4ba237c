//! The state of the connection to the helper, as the page and the embeds
//! explain it.
//!
//! A browser reports every failed WebSocket the same way (a close, code
//! 1006), whether nothing listens, the helper refused the page's origin with
//! 403, or Local Network Access blocked it. The connection layer tells these
//! apart with the permission state and a `no-cors` fetch of `/api/health`
//! (which answers whatever the origin), and this type names the outcome.

/// The value is also the `data-link` / `data-state` attribute tests match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Connecting,
    /// The browser is asking the user whether this site may reach loopback.
    AwaitingPermission,
    Open,
    /// Nothing answers: the helper is not running (or not on this port).
    Closed,
    /// The helper runs but refused the WebSocket: this origin is not allowed.
    NotAllowed,
    /// The user (or a policy) denied Local Network Access to this site.
    PermissionDenied,
}

#[cfg(feature = "page")]
impl Link {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::AwaitingPermission => "permission",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::NotAllowed => "not-allowed",
            Self::PermissionDenied => "permission-denied",
        }
    }

    /// Whether the user can do something about it (a Retry button helps).
    pub fn is_failed(self) -> bool {
        matches!(
            self,
            Self::Closed | Self::NotAllowed | Self::PermissionDenied
        )
    }

    /// The page's status line. `origin` is the page's own, for the
    /// `--allow-origin` the user would need.
    pub fn text(self, url: &str, origin: &str) -> String {
        match self {
            Self::Connecting => format!("Connecting to the helper at {url}…"),
            Self::AwaitingPermission => PERMISSION_PROMPT.to_owned(),
            Self::Open => "Connected to the helper.".to_owned(),
            Self::Closed => format!(
                "The portdoctor helper is not reachable at {url}. Start it on this machine \
                 (run portdoctor); this page reconnects by itself, or press Retry."
            ),
            Self::NotAllowed => format!(
                "The helper at {url} is running but refused this page. Start it with \
                 portdoctor --allow-origin {origin}, then press Retry."
            ),
            Self::PermissionDenied => PERMISSION_DENIED.to_owned(),
        }
    }
}

/// `ws://127.0.0.1:61900/ws` → `http://127.0.0.1:61900/api/health`: what
/// tells "nothing listens" from "the helper refused this origin".
pub fn health_url(ws_url: &str) -> String {
    let http = ws_url.replacen("ws", "http", 1);
    let base = http.strip_suffix(protocol::WS_PATH).unwrap_or(&http);
    format!("{base}/api/health")
}

pub const PERMISSION_PROMPT: &str = "Your browser asks whether this site may talk to portdoctor \
     on this computer (Local Network Access): choose Allow.";

pub const PERMISSION_DENIED: &str = "Your browser blocks this site from reaching portdoctor on \
     this computer (Local Network Access was denied). To allow it: click the icon left of the \
     address, open Site settings, set Local network access to Allow, then reload.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_check_sits_beside_the_socket() {
        assert_eq!(
            health_url("ws://127.0.0.1:61900/ws"),
            "http://127.0.0.1:61900/api/health"
        );
        assert_eq!(
            health_url("wss://localhost:9/ws"),
            "https://localhost:9/api/health"
        );
    }

    #[test]
    fn each_failure_says_what_to_do() {
        let url = "ws://127.0.0.1:61900/ws";
        assert!(Link::Closed.text(url, "").contains("run portdoctor"));
        let refused = Link::NotAllowed.text(url, "https://docs.example.com");
        assert!(
            refused.contains("--allow-origin https://docs.example.com"),
            "{refused}"
        );
        assert!(
            Link::PermissionDenied
                .text(url, "")
                .contains("Local network access to Allow")
        );
        assert!(Link::NotAllowed.is_failed() && !Link::Connecting.is_failed());
    }
}
