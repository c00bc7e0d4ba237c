//! What a console sends: a typed line with its ending, hex bytes, or a
//! first message suggested by the protocol that answered; and how the
//! relay's end reads in words.

use protocol::ServiceProtocol;

/// How the typed text goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    CrLf,
    Lf,
    /// The text as typed, no line ending.
    Raw,
    /// The text is hex bytes: `de ad be ef`, `0xde,0xad`, `\x00\x01`.
    Hex,
}

impl Encoding {
    pub const ALL: [Encoding; 4] = [Self::CrLf, Self::Lf, Self::Raw, Self::Hex];

    pub fn name(self) -> &'static str {
        match self {
            Self::CrLf => "crlf",
            Self::Lf => "lf",
            Self::Raw => "none",
            Self::Hex => "hex",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CrLf => "Line, CRLF",
            Self::Lf => "Line, LF",
            Self::Raw => "Text, no ending",
            Self::Hex => "Hex bytes",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The bytes `text` stands for, or what is wrong with it.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, String> {
        let mut bytes = match self {
            Self::Hex => return hex(text),
            _ => text.as_bytes().to_vec(),
        };
        match self {
            Self::CrLf => bytes.extend_from_slice(b"\r\n"),
            Self::Lf => bytes.push(b'\n'),
            _ => {}
        }
        Ok(bytes)
    }
}

/// Hex bytes, separated or not by spaces, commas, `0x` or `\x`.
pub fn hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text
        .replace("0x", " ")
        .replace("0X", " ")
        .replace("\\x", " ")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "\"{bad}\" is not a hex digit: write bytes as pairs such as 50 49 4e 47 0d 0a."
        ));
    }
    if digits.len() % 2 == 1 {
        return Err("An odd number of hex digits: each byte is two, such as 0a.".to_owned());
    }
    Ok((0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("checked hex digits"))
        .collect())
}

/// A first message worth sending, one click away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub label: String,
    pub bytes: Vec<u8>,
}

/// First messages for what answered on the port. `host` is what the user
/// typed (`localhost:8080`), the `Host` an HTTP server expects; `path` the
/// URL's path, for MCP.
pub fn suggestions(
    protocol: Option<ServiceProtocol>,
    host: &str,
    path: Option<&str>,
) -> Vec<Suggestion> {
    let line = |label: &str, text: &str| Suggestion {
        label: label.to_owned(),
        bytes: text.as_bytes().to_vec(),
    };
    let get = line(
        "HTTP GET /",
        &format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    match protocol {
        Some(ServiceProtocol::Redis) => vec![
            line("Redis PING", "PING\r\n"),
            line("Redis INFO server", "INFO server\r\n"),
        ],
        Some(ServiceProtocol::Smtp) => vec![
            line("SMTP EHLO", "EHLO localhost\r\n"),
            line("SMTP QUIT", "QUIT\r\n"),
        ],
        Some(ServiceProtocol::Ftp) => {
            vec![line("FTP SYST", "SYST\r\n"), line("FTP QUIT", "QUIT\r\n")]
        }
        Some(ServiceProtocol::Ssh) => vec![line("SSH version", "SSH-2.0-portdoctor\r\n")],
        Some(ServiceProtocol::Postgres) => vec![Suggestion {
            label: "PostgreSQL SSLRequest".to_owned(),
            bytes: vec![0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f],
        }],
        Some(ServiceProtocol::Mcp) => {
            let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"portdoctor console","version":"1"}}}"#;
            vec![
                line(
                    "MCP initialize (HTTP POST)",
                    &format!(
                        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{body}",
                        path.unwrap_or("/mcp"),
                        body.len()
                    ),
                ),
                get,
            ]
        }
        Some(ServiceProtocol::Mysql | ServiceProtocol::Tls) => Vec::new(),
        Some(ServiceProtocol::Http | ServiceProtocol::Websocket | ServiceProtocol::Unknown)
        | None => vec![get],
    }
}

/// How a relay ended, from the WebSocket's close: the helper says it in
/// the code (documented with the relay) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The hook: `closed`, `refused`, `timeout`, `reset`, `idle`, ...
    pub name: &'static str,
    pub words: String,
}

impl Ending {
    /// `opened` tells a relay the helper never accepted from one that dropped.
    pub fn of(code: u16, reason: &str, opened: bool, we_closed: bool) -> Self {
        let (name, default) = match code {
            _ if we_closed => ("you-closed", "You closed the connection."),
            1000 => ("closed", "The target closed the connection (FIN)."),
            1013 => (
                "busy",
                "The helper runs as many relays as it allows; close one and retry.",
            ),
            4001 => ("refused", "Connection refused: nothing listens there."),
            4002 => (
                "timeout",
                "The target did not answer the connection in time.",
            ),
            4003 => ("reset", "The target reset the connection (RST)."),
            4004 => (
                "idle",
                "Nothing went either way for too long; the helper closed it.",
            ),
            4005 => (
                "not-allowed",
                "The helper does not relay to that address (loopback only, unless started with --allow-target).",
            ),
            4006 => (
                "bad-target",
                "The helper cannot read that target: write HOST:PORT.",
            ),
            4007 => ("unreachable", "The target cannot be reached."),
            4008 => ("failed", "The connection failed."),
            _ if !opened => (
                "no-relay",
                "The helper did not open the relay: it is not running, or too old to have one (portdoctor --version).",
            ),
            _ => ("dropped", "The connection to the helper dropped."),
        };
        let words = match reason.trim() {
            "" => default.to_owned(),
            reason => {
                let mut words = reason[..1].to_uppercase() + &reason[1..];
                if !words.ends_with('.') {
                    words.push('.');
                }
                words
            }
        };
        Self { name, words }
    }
}

/// The relay's address beside the page's socket, `ws://h:p/ws` →
/// `ws://h:p/relay?target=…`; `target` comes URL-encoded.
pub fn relay_url(ws_url: &str, encoded_target: &str) -> String {
    let base = ws_url.strip_suffix(protocol::WS_PATH).unwrap_or(ws_url);
    format!("{base}/relay?target={encoded_target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_get_their_ending_and_hex_its_bytes() {
        assert_eq!(Encoding::CrLf.encode("PING").unwrap(), b"PING\r\n");
        assert_eq!(Encoding::Lf.encode("PING").unwrap(), b"PING\n");
        assert_eq!(Encoding::Raw.encode("PING").unwrap(), b"PING");
        assert_eq!(
            Encoding::Hex.encode("50 49,0x4e \\x47 0d0A").unwrap(),
            b"PING\r\n"
        );
        assert!(
            Encoding::Hex
                .encode("zz")
                .unwrap_err()
                .contains("\"z\" is not a hex digit")
        );
        assert!(
            Encoding::Hex
                .encode("0d 0")
                .unwrap_err()
                .contains("odd number")
        );
        for encoding in Encoding::ALL {
            assert_eq!(Encoding::from_name(encoding.name()), Some(encoding));
        }
    }

    #[test]
    fn first_messages_follow_the_protocol() {
        let redis = suggestions(Some(ServiceProtocol::Redis), "localhost:6379", None);
        assert_eq!(redis[0].bytes, b"PING\r\n");
        let http = suggestions(Some(ServiceProtocol::Http), "localhost:8080", None);
        assert_eq!(
            http[0].bytes,
            b"GET / HTTP/1.1\r\nHost: localhost:8080\r\nConnection: close\r\n\r\n"
        );
        let pg = suggestions(Some(ServiceProtocol::Postgres), "x", None);
        assert_eq!(pg[0].bytes, [0, 0, 0, 8, 4, 210, 22, 47]);
        let smtp = suggestions(Some(ServiceProtocol::Smtp), "x", None);
        assert_eq!(smtp[0].bytes, b"EHLO localhost\r\n");
        let mcp = suggestions(Some(ServiceProtocol::Mcp), "localhost:3001", Some("/mcp"));
        let text = String::from_utf8(mcp[0].bytes.clone()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("POST /mcp HTTP/1.1\r\nHost: localhost:3001\r\n"));
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["method"], "initialize");
        assert!(suggestions(Some(ServiceProtocol::Tls), "x", None).is_empty());
    }

    #[test]
    fn endings_read_as_words() {
        let reset = Ending::of(4003, "", true, false);
        assert_eq!(
            (reset.name, reset.words.as_str()),
            ("reset", "The target reset the connection (RST).")
        );
        let closed = Ending::of(1000, "the target closed the connection", true, false);
        assert_eq!(closed.words, "The target closed the connection.");
        assert_eq!(Ending::of(1000, "", true, true).name, "you-closed");
        assert_eq!(Ending::of(1006, "", false, false).name, "no-relay");
        assert_eq!(Ending::of(1006, "", true, false).name, "dropped");
    }

    #[test]
    fn the_relay_sits_beside_the_socket() {
        assert_eq!(
            relay_url("ws://127.0.0.1:61900/ws", "localhost%3A6379"),
            "ws://127.0.0.1:61900/relay?target=localhost%3A6379"
        );
    }
}
