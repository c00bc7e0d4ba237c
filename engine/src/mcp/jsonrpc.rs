//! JSON-RPC 2.0 as MCP uses it: the requests we send, and finding the answer
//! to one of them in whatever the server sends back.
//!
//! Servers send more than the answer a client waits for: notifications
//! (`notifications/tools/list_changed`, log messages) and requests of their
//! own (`ping`) may come first, on every transport, and a 2025-03-26 server
//! may batch them. [`answer_in`] looks through one unit of input (a JSON
//! body, an SSE event, a stdout line) for the response with our id and
//! skips the rest. Nothing here trusts the input: whatever it is, the result
//! is a value or a typed error, never a panic.

use serde_json::{Value, json};

/// Versions reached through `initialize`, oldest first.
pub const HANDSHAKE_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// Versions of the stateless era (`server/discover`, `_meta` on every request).
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];

/// Stateless-era JSON-RPC errors of the MCP specification, sent with HTTP 400.
pub const HEADER_MISMATCH: i64 = -32020;
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
pub const UNSUPPORTED_VERSION: i64 = -32022;

/// What portdoctor calls itself in `clientInfo`.
pub fn client_info() -> Value {
    json!({ "name": "portdoctor", "version": env!("CARGO_PKG_VERSION") })
}

pub fn request(id: u64, method: &str, params: &Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

pub fn notification(method: &str) -> Value {
    json!({ "jsonrpc": "2.0", "method": method })
}

/// The `_meta` every stateless-era request carries instead of a session.
pub fn modern_meta(version: &str) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": client_info(),
    })
}

/// A JSON-RPC error object from the server.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JSON-RPC error {}: {}", self.code, self.message)
    }
}

impl RpcError {
    /// `data.supported` of an unsupported-version error (-32022), and the
    /// same list as 2025-era servers put it in an `initialize` error.
    pub fn supported_versions(&self) -> Vec<String> {
        strings(self.data.as_ref().and_then(|d| d.get("supported")))
    }
}

/// What one unit of input holds for the request `id`.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The answer: a result or an error.
    Answer(Result<Value, RpcError>),
    /// JSON-RPC, but not the answer (notifications, requests of the server's own).
    Other,
    /// Not a JSON-RPC message at all.
    NotJsonRpc,
}

/// Looks for the answer to request `id` in `text`: one message, or a batch.
pub fn answer_in(text: &str, id: u64) -> Found {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Found::NotJsonRpc;
    };
    let messages = match value {
        Value::Array(batch) => batch,
        one => vec![one],
    };
    let mut found = Found::NotJsonRpc;
    for message in &messages {
        match classify(message, id) {
            answer @ Found::Answer(_) => return answer,
            Found::Other => found = Found::Other,
            Found::NotJsonRpc => {}
        }
    }
    found
}

fn classify(message: &Value, id: u64) -> Found {
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Found::NotJsonRpc;
    }
    if message.get("method").is_some() {
        return Found::Other;
    }
    if message.get("id").and_then(Value::as_u64) != Some(id) {
        return if message.get("id").is_some() {
            Found::Other
        } else {
            Found::NotJsonRpc
        };
    }
    if let Some(result) = message.get("result") {
        return Found::Answer(Ok(result.clone()));
    }
    match message.get("error") {
        Some(error) => Found::Answer(Err(rpc_error(error))),
        None => Found::NotJsonRpc,
    }
}

fn rpc_error(error: &Value) -> RpcError {
    RpcError {
        code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        data: error.get("data").cloned(),
    }
}

/// A JSON-RPC error in an HTTP error body (the stateless era and most 2025
/// servers explain a 4xx this way), whatever id it carries.
pub fn error_in(text: &str) -> Option<RpcError> {
    let value: Value = serde_json::from_str(text).ok()?;
    let error = value.get("error")?;
    (value.get("jsonrpc").and_then(Value::as_str) == Some("2.0")).then(|| rpc_error(error))
}

/// An array of strings, ignoring anything else in it.
pub fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_answer_after_notifications_and_in_batches() {
        let note = r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#;
        assert_eq!(answer_in(note, 1), Found::Other);
        let answer = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#;
        assert_eq!(
            answer_in(answer, 1),
            Found::Answer(Ok(json!({"tools": []})))
        );
        assert_eq!(answer_in(answer, 2), Found::Other);
        let batch = format!("[{note},{answer}]");
        assert!(matches!(answer_in(&batch, 1), Found::Answer(Ok(_))));
    }

    #[test]
    fn errors_keep_code_message_and_supported_versions() {
        let text = r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2026-07-28"],"requested":"2027-01-01"}}}"#;
        let Found::Answer(Err(e)) = answer_in(text, 3) else {
            panic!("an error answer");
        };
        assert_eq!(e.code, UNSUPPORTED_VERSION);
        assert_eq!(e.supported_versions(), ["2026-07-28"]);
        assert_eq!(error_in(text), Some(e));
    }

    #[test]
    fn anything_else_is_not_json_rpc() {
        for text in [
            "",
            "<!doctype html>",
            "Starting server on stdio...",
            "[]",
            "42",
            r#"{"id":1,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"error":"nope"}"#,
        ] {
            assert!(
                matches!(
                    answer_in(text, 1),
                    Found::NotJsonRpc | Found::Answer(Err(_))
                ),
                "{text}"
            );
        }
        assert_eq!(answer_in("<!doctype html>", 1), Found::NotJsonRpc);
        assert_eq!(error_in("Not Found"), None);
    }
}
