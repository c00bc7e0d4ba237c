//! The WebSocket protocol between the page and the helper.
//!
//! Every frame is one JSON object with a `type`. The client opens with
//! `hello`; after that it sends requests carrying an `id` of its choosing and
//! receives events tagged with the same `id`, so several checks can run on one
//! connection at once. A request ends with exactly one terminal event:
//! `report`, `listeners`, `bind-check`, `mcp-servers` or `error`. The
//! messages, who may send each, and the error kinds: docs/report.md.
//!
//! MCP servers from the desktop assistant's configuration are named by their
//! key in that file, never by a command: the helper reads the file itself, so
//! nothing sent over the socket can make it start a program.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

use crate::report::{
    AddressResult, BindReport, Forward, Listener, McpReport, McpServerEntry, Report, Service,
    ServiceProtocol, Target,
};

/// Bumped when a change would break an older peer; additions keep it.
pub const PROTOCOL_VERSION: u32 = 1;

/// The port the helper listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 61900;

/// Path of the WebSocket endpoint on the helper.
pub const WS_PATH: &str = "/ws";

/// A request id chosen by the client.
pub type RequestId = u64;

/// What the page (or any client) sends. [`RequestKind`] names each variant
/// without its fields (`RequestKind::iter()` lists them all), for the
/// helper's access table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
#[strum_discriminants(
    name(RequestKind),
    vis(pub),
    derive(Hash, strum::EnumIter, strum::IntoStaticStr),
    strum(serialize_all = "kebab-case")
)]
pub enum ClientMessage {
    Hello {
        protocol: u32,
        /// Free text naming the client, for the helper's log.
        #[serde(default)]
        client: Option<String>,
    },
    /// Run one check and stream its progress.
    Check {
        id: RequestId,
        target: String,
        #[serde(default)]
        options: CheckOptions,
    },
    /// List every TCP listener on the machine.
    Listeners { id: RequestId },
    /// Stop a running request; it ends with an `error` of kind `cancelled`.
    Cancel { id: RequestId },
    /// List the MCP servers in the desktop assistant's configuration. Only
    /// the helper's own page may ask; ends with `mcp-servers`.
    McpServers { id: RequestId },
    /// Check one configured MCP server, named by its key in the
    /// configuration (a stdio server is started for the check). Only the
    /// helper's own page may ask; streams `progress`, ends with `report`.
    McpCheck { id: RequestId, name: String },
    /// Can a server bind this port? Only the helper's own page (or a token
    /// holder) may ask; ends with `bind-check`.
    BindCheck { id: RequestId, port: u16 },
    /// Check an MCP server and, when it answers 401 with a whole
    /// authorization chain, sign in and check it with the token (as
    /// `portdoctor mcp TARGET --login`). Only the helper's own page (or a
    /// token holder) may ask: it registers a client and obtains a token.
    /// Streams `progress`, `authorize` among it (the URL to open: the page
    /// shows it in the popup its click opened); ends with `report`.
    McpLogin { id: RequestId, target: String },
}

impl RequestKind {
    /// Every kind of request, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    /// The `type` the client sends, e.g. `bind-check`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckOptions {
    /// Per-address connect timeout; the helper caps it.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// The protocol the user expects; a different one is a finding.
    #[serde(default)]
    pub expect: Option<ServiceProtocol>,
}

/// What the helper sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    Hello {
        protocol: u32,
        /// The helper's version, e.g. `portdoctor 0.1.0`.
        server: String,
    },
    /// A stage of a running check finished.
    Progress { id: RequestId, progress: Progress },
    /// Terminal event of a `check`.
    Report { id: RequestId, report: Box<Report> },
    /// Terminal event of a `listeners` request.
    Listeners {
        id: RequestId,
        listeners: Vec<Listener>,
        /// Processes the OS hid, with their sockets (macOS without root
        /// lists only the user's own): not in `listeners`, only counted.
        #[serde(default)]
        hidden_processes: u32,
    },
    /// Terminal event of a `bind-check` request.
    BindCheck { id: RequestId, report: BindReport },
    /// Terminal event of an `mcp-servers` request.
    McpServers {
        id: RequestId,
        /// The configuration file read.
        config: String,
        servers: Vec<McpServerEntry>,
    },
    /// Terminal event of a failed request, or (with no id) of a frame that
    /// could not be read as a request. The connection stays open.
    Error {
        id: Option<RequestId>,
        error: ProtocolError,
    },
}

/// Progress of one check, one event per pipeline stage as it finishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "stage", rename_all = "kebab-case")]
pub enum Progress {
    Parsed {
        target: Target,
    },
    /// Every address the name resolved to, in the order the OS gave them.
    Resolved {
        addresses: Vec<String>,
    },
    /// One connect attempt finished; sent in completion order.
    Connected {
        address: AddressResult,
    },
    Listeners {
        listeners: Vec<Listener>,
    },
    /// Identification finished: what speaks on the port.
    Identified {
        service: Service,
    },
    /// The MCP stage finished: the server that answered, or `null` when none did.
    Mcp {
        mcp: Option<Box<McpReport>>,
    },
    /// Added: signing in (`mcp-login`) needs the person: open this
    /// authorization URL; the helper waits for the redirect to its loopback URI.
    Authorize {
        url: String,
    },
    /// Added: the port's holder forwards elsewhere; where to, and how the
    /// far end answered. Only sent when a forwarder holds the port.
    Forwarded {
        forward: Forward,
    },
    /// Added: (`mcp-login`) the browser came back to the helper's loopback
    /// URI from the authorization page: the sign-in window's part is over
    /// (the page closes it), the helper goes on with the token.
    Redirected {},
}

/// A typed error: what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProtocolError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum ErrorKind {
    /// The frame is not JSON.
    BadJson,
    /// JSON, but not a request this helper knows (unknown type, wrong field).
    BadRequest,
    /// A binary frame, where the protocol is text.
    BinaryFrame,
    /// A request came before `hello`, or `hello` named a version we lack.
    Handshake,
    /// An id that is already running on this connection.
    DuplicateId,
    /// `cancel` for an id that is not running.
    UnknownId,
    /// A bound was reached (requests in flight, frame size).
    Limit,
    /// The client cancelled the request.
    Cancelled,
    /// The operation failed on the helper's side (e.g. socket table unreadable).
    Internal,
    /// This client may not make this request: pages on an origin the user
    /// allowed (docs embeds) may only run checks.
    Forbidden,
    /// The desktop assistant's configuration is unreadable, invalid, or has no such server.
    Config,
    /// No desktop assistant's configuration exists where the assistant keeps
    /// it: nothing is configured, which is no fault (most people use no
    /// desktop assistant). The page shows no MCP section then.
    NoConfig,
}

impl ProtocolError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// A frame that could not be read as a request, with the id it carried if any
/// so the error can be matched to what the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub id: Option<RequestId>,
    pub error: ProtocolError,
}

impl ClientMessage {
    /// Reads one text frame. Never panics, whatever the input: the error says
    /// what was wrong in terms the sender can act on.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| DecodeError {
            id: None,
            error: ProtocolError::new(ErrorKind::BadJson, format!("frame is not JSON: {e}")),
        })?;
        let id = value.get("id").and_then(serde_json::Value::as_u64);
        let Some(kind) = value.get("type").and_then(serde_json::Value::as_str) else {
            return Err(DecodeError {
                id,
                error: ProtocolError::new(
                    ErrorKind::BadRequest,
                    "request has no \"type\"; expected one of hello, check, listeners, bind-check, cancel, mcp-servers, mcp-check",
                ),
            });
        };
        let kind = kind.to_owned();
        serde_json::from_value(value).map_err(|e| DecodeError {
            id,
            error: ProtocolError::new(
                ErrorKind::BadRequest,
                format!("cannot read a \"{kind}\" request: {e}"),
            ),
        })
    }

    /// Which request this is, without its fields.
    pub fn kind(&self) -> RequestKind {
        self.into()
    }

    /// The id of a request, `None` for `hello`.
    pub fn id(&self) -> Option<RequestId> {
        match self {
            Self::Hello { .. } => None,
            Self::Check { id, .. }
            | Self::Listeners { id }
            | Self::Cancel { id }
            | Self::McpServers { id }
            | Self::McpCheck { id, .. }
            | Self::McpLogin { id, .. }
            | Self::BindCheck { id, .. } => Some(*id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_check_request() {
        let msg =
            ClientMessage::decode(r#"{"type":"check","id":7,"target":"localhost:8080"}"#).unwrap();
        assert_eq!(
            msg,
            ClientMessage::Check {
                id: 7,
                target: "localhost:8080".into(),
                options: CheckOptions::default()
            }
        );
    }

    #[test]
    fn an_mcp_check_names_a_server_never_a_command() {
        let msg = ClientMessage::decode(r#"{"type":"mcp-check","id":2,"name":"files"}"#).unwrap();
        assert_eq!(
            msg,
            ClientMessage::McpCheck {
                id: 2,
                name: "files".into()
            }
        );
        let err = ClientMessage::decode(
            r#"{"type":"mcp-check","id":3,"name":"files","command":"rm","args":["-rf","/"]}"#,
        )
        .unwrap_err();
        assert_eq!(err.error.kind, ErrorKind::BadRequest);
        assert_eq!(err.id, Some(3));
    }

    /// One request of each kind, as a client would send it.
    fn sample(kind: RequestKind) -> &'static str {
        match kind {
            RequestKind::Hello => r#"{"type":"hello","protocol":1}"#,
            RequestKind::Check => r#"{"type":"check","id":1,"target":"8080"}"#,
            RequestKind::Listeners => r#"{"type":"listeners","id":1}"#,
            RequestKind::Cancel => r#"{"type":"cancel","id":1}"#,
            RequestKind::McpServers => r#"{"type":"mcp-servers","id":1}"#,
            RequestKind::McpCheck => r#"{"type":"mcp-check","id":1,"name":"files"}"#,
            RequestKind::BindCheck => r#"{"type":"bind-check","id":1,"port":8080}"#,
            RequestKind::McpLogin => {
                r#"{"type":"mcp-login","id":1,"target":"http://127.0.0.1:8000/mcp"}"#
            }
        }
    }

    #[test]
    fn every_request_kind_is_named_as_on_the_wire() {
        for kind in RequestKind::all() {
            let message = ClientMessage::decode(sample(kind)).unwrap();
            assert_eq!(message.kind(), kind);
            let wire = serde_json::to_value(&message).unwrap();
            assert_eq!(wire["type"], kind.name());
        }
    }

    #[test]
    fn not_json_is_bad_json_without_id() {
        let err = ClientMessage::decode("{nope").unwrap_err();
        assert_eq!(err.id, None);
        assert_eq!(err.error.kind, ErrorKind::BadJson);
    }

    #[test]
    fn unknown_type_keeps_the_id_and_names_the_type() {
        let err = ClientMessage::decode(r#"{"type":"format-disk","id":3}"#).unwrap_err();
        assert_eq!(err.id, Some(3));
        assert_eq!(err.error.kind, ErrorKind::BadRequest);
        assert!(
            err.error.message.contains("format-disk"),
            "{}",
            err.error.message
        );
    }

    #[test]
    fn wrong_field_type_is_bad_request() {
        let err = ClientMessage::decode(r#"{"type":"check","id":1,"target":42}"#).unwrap_err();
        assert_eq!(err.error.kind, ErrorKind::BadRequest);
        assert_eq!(err.id, Some(1));
    }

    #[test]
    fn missing_type_is_bad_request() {
        let err = ClientMessage::decode(r#"{"id":1}"#).unwrap_err();
        assert_eq!(err.error.kind, ErrorKind::BadRequest);
    }

    #[test]
    fn deeply_nested_json_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert_eq!(
            ClientMessage::decode(&text).unwrap_err().error.kind,
            ErrorKind::BadJson
        );
    }

    #[test]
    fn server_messages_round_trip() {
        let msg = ServerMessage::Error {
            id: Some(4),
            error: ProtocolError::new(ErrorKind::DuplicateId, "id 4 is running"),
        };
        let text = serde_json::to_string(&msg).unwrap();
        assert!(text.contains(r#""type":"error""#), "{text}");
        assert!(text.contains(r#""kind":"duplicate-id""#), "{text}");
        assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), msg);
    }
}
