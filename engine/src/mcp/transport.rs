//! What the handshake needs from a transport, and how an exchange can fail.
//!
//! Streamable HTTP, legacy HTTP+SSE and stdio move the same JSON-RPC messages
//! in different ways; [`Transport`] is the part they share, so era detection
//! and the list calls are written once (`handshake.rs`). A transport only
//! sends a message and finds the answer to a request; a call is both, once. [`CallError`] keeps
//! what went wrong in terms the diagnosis can explain: an HTTP status with
//! its headers, a JSON-RPC error, no answer, something that is not JSON-RPC.

use std::time::Duration;

use serde_json::Value;

use super::jsonrpc::{self, RpcError};

/// Which MCP headers (HTTP) a request carries. The `_meta` of the
/// stateless era is in the params, so stdio needs none of this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope<'a> {
    /// `initialize`: nothing agreed yet.
    Bare,
    /// After `initialize`: the agreed version, as `MCP-Protocol-Version`
    /// from 2025-06-18 on.
    Handshake(&'a str),
    /// Stateless era: `MCP-Protocol-Version` and `Mcp-Method` on every request.
    Modern(&'a str),
}

/// One JSON-RPC message on its way out, with what the transport needs to
/// send it (Streamable HTTP names the method in a header).
pub struct Outgoing<'a> {
    pub method: &'a str,
    pub message: Value,
    pub envelope: Envelope<'a>,
}

pub trait Transport {
    /// Where the answer to a sent request will come from: the HTTP answer
    /// to the POST (Streamable HTTP), or the one stream of every answer
    /// (legacy SSE, stdio: `()`).
    type Pending;

    /// Sends one message; HTTP servers acknowledge a notification with 202.
    async fn send(&mut self, outgoing: Outgoing<'_>) -> Result<Self::Pending, CallError>;

    /// Waits for the answer to request `id`, skipping whatever the server
    /// sends first.
    async fn answer(&mut self, pending: Self::Pending, id: u64) -> Result<Value, CallError>;

    /// Sends request `id` and waits for its answer. The caller bounds the
    /// time.
    async fn call(
        &mut self,
        id: u64,
        method: &str,
        params: &Value,
        envelope: Envelope<'_>,
    ) -> Result<Value, CallError> {
        let message = jsonrpc::request(id, method, params);
        let pending = self
            .send(Outgoing {
                method,
                message,
                envelope,
            })
            .await?;
        self.answer(pending, id).await
    }

    /// Sends a notification.
    async fn notify(&mut self, method: &str, envelope: Envelope<'_>) -> Result<(), CallError> {
        let message = jsonrpc::notification(method);
        self.send(Outgoing {
            method,
            message,
            envelope,
        })
        .await
        .map(drop)
    }

    /// The HTTP status of the last exchange, for the report's steps.
    fn status(&self) -> Option<u16> {
        None
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The server answered with a JSON-RPC error (over HTTP, with its status).
    #[error("{error}")]
    Rpc {
        error: RpcError,
        status: Option<u16>,
    },
    /// An HTTP status without a JSON-RPC answer (boxed: it is large, and
    /// the rare case).
    #[error("{0}")]
    Http(Box<HttpRefusal>),
    /// An answer, but not JSON-RPC: an HTML page, a log line.
    #[error("{0}")]
    NotJsonRpc(String),
    /// What answered does not speak HTTP.
    #[error("{0}")]
    NotHttp(String),
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The exchange broke off: connection closed or reset, process gone, a
    /// limit reached.
    #[error("{0}")]
    Broken(String),
}

/// The answer found in a stream of messages (SSE events, stdout lines): the
/// result, or the server's JSON-RPC error.
pub fn answered(answer: Result<Value, RpcError>) -> Result<Value, CallError> {
    answer.map_err(|error| CallError::Rpc {
        error,
        status: None,
    })
}

/// An HTTP answer that is not the JSON-RPC one: status, the headers that
/// explain it, and the start of its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRefusal {
    pub status: u16,
    pub content_type: String,
    /// The start of the body, on one line.
    pub body: String,
    pub www_authenticate: Option<String>,
    /// Where a redirect points, as the server wrote it.
    pub location: Option<String>,
    /// The JSON-RPC error the body carried, if it was one: an explanation,
    /// while the status (and `WWW-Authenticate`) say what happened.
    pub rpc: Option<String>,
}

impl HttpRefusal {
    /// Whether the refusal names MCP itself: a JSON-RPC error in the body,
    /// or a challenge pointing at OAuth protected-resource metadata, as MCP
    /// authorization prescribes. A plain web app's 401 has neither.
    pub fn speaks_mcp(&self) -> bool {
        self.rpc.is_some()
            || self
                .www_authenticate
                .as_deref()
                .is_some_and(|c| c.to_ascii_lowercase().contains("resource_metadata"))
    }
}

impl std::fmt::Display for HttpRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reason = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        write!(f, "HTTP {} {reason}", self.status)?;
        match (&self.rpc, self.body.is_empty()) {
            (Some(rpc), _) => write!(f, ": {rpc}")?,
            (None, false) => write!(f, ": {}", self.body)?,
            (None, true) => {}
        }
        if let Some(location) = &self.location {
            write!(f, " (Location: {location})")?;
        }
        Ok(())
    }
}
