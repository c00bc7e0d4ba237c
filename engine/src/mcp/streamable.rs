//! Streamable HTTP: every message is a POST to one endpoint, answered with a
//! JSON body or an event stream. Used by the handshake era (2025-03-26 on)
//! and the stateless era alike; the [`Envelope`] decides the headers.
//!
//! - `Accept: application/json, text/event-stream` on every POST (406 without).
//! - `Mcp-Session-Id`, when `initialize` issued one, on every later request,
//!   and a DELETE at the end so the server can free it.
//! - `MCP-Protocol-Version` after `initialize` from 2025-06-18 on; in the
//!   stateless era on every request, with `Mcp-Method`. (`Mcp-Name` belongs
//!   to calls that name a tool, prompt or resource; a check makes none.)

use http::Method;
use serde_json::Value;

use super::http::{ACCEPT_BOTH, Answer, Http};
use super::jsonrpc::HANDSHAKE_VERSIONS;
use super::transport::{CallError, Envelope, Outgoing, Transport};

pub const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
const METHOD_HEADER: &str = "mcp-method";
/// The first handshake version whose requests carry `MCP-Protocol-Version`.
const VERSION_HEADER_SINCE: &str = "2025-06-18";

pub struct Streamable {
    http: Http,
    path: String,
    session: Option<String>,
    status: Option<u16>,
}

impl Streamable {
    pub fn new(http: Http, path: &str) -> Self {
        Self {
            http,
            path: path.to_owned(),
            session: None,
            status: None,
        }
    }

    pub fn has_session(&self) -> bool {
        self.session.is_some()
    }

    /// Ends the session, when the server issued one; the DELETE's status.
    pub async fn close(&mut self) -> Option<Result<u16, CallError>> {
        let session = self.session.take()?;
        let answer = self
            .http
            .send(
                Method::DELETE,
                &self.path,
                &[(SESSION_HEADER, &session)],
                None,
            )
            .await;
        Some(answer.map(|a| a.status))
    }

    async fn post(
        &mut self,
        method: &str,
        body: &Value,
        envelope: Envelope<'_>,
    ) -> Result<Answer, CallError> {
        let mut headers = vec![("accept", ACCEPT_BOTH)];
        match envelope {
            Envelope::Bare => {}
            Envelope::Handshake(version) => {
                if at_least(version, VERSION_HEADER_SINCE) {
                    headers.push((VERSION_HEADER, version));
                }
            }
            Envelope::Modern(version) => {
                headers.push((VERSION_HEADER, version));
                headers.push((METHOD_HEADER, method));
            }
        }
        if let Some(session) = &self.session {
            headers.push((SESSION_HEADER, session));
        }
        self.status = None;
        let answer = self
            .http
            .send(Method::POST, &self.path, &headers, Some(body))
            .await?;
        self.status = Some(answer.status);
        if !(200..300).contains(&answer.status) {
            return Err(answer.error().await);
        }
        if self.session.is_none() {
            self.session = answer.header(SESSION_HEADER).map(str::to_owned);
        }
        Ok(answer)
    }
}

/// Each POST's own answer carries the answer to its request.
impl Transport for Streamable {
    type Pending = Answer;

    async fn send(&mut self, outgoing: Outgoing<'_>) -> Result<Answer, CallError> {
        self.post(outgoing.method, &outgoing.message, outgoing.envelope)
            .await
    }

    async fn answer(&mut self, pending: Answer, id: u64) -> Result<Value, CallError> {
        pending.answer(id).await
    }

    fn status(&self) -> Option<u16> {
        self.status
    }
}

/// Whether handshake `version` is `since` or later; unknown versions are not.
fn at_least(version: &str, since: &str) -> bool {
    let index = |v| HANDSHAKE_VERSIONS.iter().position(|known| *known == v);
    matches!((index(version), index(since)), (Some(v), Some(s)) if v >= s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers one request with `response`, whatever it was.
    async fn answering(response: &'static str) -> Http {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(response.as_bytes()).await;
        });
        Http::new(addr, "127.0.0.1", addr.port(), None)
    }

    #[tokio::test]
    async fn a_stream_answer_comes_after_notifications() {
        let http = answering(concat!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n",
            // Names the header in a value: not a session.
            "access-control-expose-headers: mcp-session-id\r\n\r\n",
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n",
            ": keep-alive\n\n",
            "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[]}}\n\n",
        ))
        .await;
        let mut transport = Streamable::new(http, "/mcp");
        let result = transport
            .call(7, "tools/list", &json!({}), Envelope::Bare)
            .await;
        assert_eq!(result, Ok(json!({"tools": []})));
        assert!(!transport.has_session());
        assert_eq!(transport.status(), Some(200));
    }

    #[tokio::test]
    async fn an_html_page_is_not_json_rpc() {
        let http = answering(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 24\r\n\r\n<!doctype html><p>hi</p>",
        )
        .await;
        let result = Streamable::new(http, "/")
            .call(1, "server/discover", &json!({}), Envelope::Bare)
            .await;
        assert_eq!(
            result,
            Err(CallError::NotJsonRpc(
                "HTTP 200 text/html, not JSON-RPC: <!doctype html><p>hi</p>".into()
            ))
        );
    }

    #[test]
    fn the_version_header_starts_with_2025_06_18() {
        assert!(!at_least("2024-11-05", VERSION_HEADER_SINCE));
        assert!(!at_least("2025-03-26", VERSION_HEADER_SINCE));
        assert!(at_least("2025-06-18", VERSION_HEADER_SINCE));
        assert!(at_least("2025-11-25", VERSION_HEADER_SINCE));
        assert!(!at_least("zzz", VERSION_HEADER_SINCE));
    }
}
