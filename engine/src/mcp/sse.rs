//! The legacy HTTP+SSE transport (protocol 2024-11-05), still common: a GET
//! opens an event stream whose first event, `endpoint`, names the URL to
//! POST messages to. The POSTs are only acknowledged (202); the answers come
//! back on the stream, after whatever notifications the server sends first.

use http::Method;
use serde_json::Value;

use super::http::{ACCEPT_BOTH, Events, Http};
use super::jsonrpc;
use super::transport::{CallError, Envelope, Transport};

pub struct LegacySse {
    http: Http,
    /// Path (and query) of the `endpoint` event: where messages go.
    endpoint: String,
    events: Events,
    status: Option<u16>,
}

impl LegacySse {
    /// Opens the stream at `path` and reads its `endpoint` event.
    pub async fn open(http: Http, path: &str) -> Result<Self, CallError> {
        let answer = http
            .send(Method::GET, path, &[("accept", "text/event-stream")], None)
            .await?;
        let status = answer.status;
        if !(200..300).contains(&status) {
            return Err(answer.error().await);
        }
        if !answer.is_event_stream() {
            let media = answer.media_type();
            return Err(CallError::NotJsonRpc(format!(
                "GET answered HTTP {status} {media}, not an event stream"
            )));
        }
        let mut events = Events::new(answer);
        let endpoint = loop {
            let event = events.next().await?;
            if event.name == "endpoint" {
                break event.data;
            }
        };
        let endpoint = resolve(&http, path, endpoint.trim())?;
        Ok(Self {
            http,
            endpoint,
            events,
            status: Some(status),
        })
    }

    async fn post(&mut self, body: &Value) -> Result<(), CallError> {
        self.status = None;
        let answer = self
            .http
            .send(
                Method::POST,
                &self.endpoint,
                &[("accept", ACCEPT_BOTH)],
                Some(body),
            )
            .await?;
        self.status = Some(answer.status);
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(answer.error().await)
        }
    }
}

impl Transport for LegacySse {
    async fn call(
        &mut self,
        id: u64,
        method: &str,
        params: &Value,
        _: Envelope<'_>,
    ) -> Result<Value, CallError> {
        self.post(&jsonrpc::request(id, method, params)).await?;
        self.events.answer(id).await
    }

    async fn notify(&mut self, method: &str, _: Envelope<'_>) -> Result<(), CallError> {
        self.post(&jsonrpc::notification(method)).await
    }

    fn status(&self) -> Option<u16> {
        self.status
    }
}

/// The endpoint as a path on the same server. An absolute URL naming another
/// server is not followed: the check talks to the address it was given.
fn resolve(http: &Http, stream_path: &str, endpoint: &str) -> Result<String, CallError> {
    if endpoint.starts_with('/') {
        return Ok(endpoint.to_owned());
    }
    if let Some(rest) = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
    {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let ours = authority.eq_ignore_ascii_case(&http.host) || authority == http.addr.to_string();
        return if ours && endpoint.starts_with(&format!("{}://", http.scheme())) {
            Ok(if path.is_empty() { "/" } else { path }.to_owned())
        } else {
            Err(CallError::Broken(format!(
                "the endpoint event points at another server ({endpoint}); not followed"
            )))
        };
    }
    // Relative to the stream's own path, as a browser would read it.
    let base = &stream_path[..stream_path.rfind('/').map_or(0, |i| i + 1)];
    Ok(format!(
        "{}{endpoint}",
        if base.is_empty() { "/" } else { base }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_resolve_on_the_same_server_only() {
        let http = Http::new("127.0.0.1:8000".parse().unwrap(), "localhost", 8000, None);
        let ok = |e: &str| resolve(&http, "/api/sse", e).unwrap();
        assert_eq!(ok("/messages/?session_id=1"), "/messages/?session_id=1");
        assert_eq!(ok("messages?s=1"), "/api/messages?s=1");
        assert_eq!(ok("http://localhost:8000/m?s=1"), "/m?s=1");
        assert_eq!(ok("http://127.0.0.1:8000/m"), "/m");
        assert!(resolve(&http, "/sse", "http://evil.example/m").is_err());
        assert!(resolve(&http, "/sse", "https://localhost:8000/m").is_err());
        let https = Http::secure("127.0.0.1:8443".parse().unwrap(), "localhost", 8443, None);
        assert_eq!(
            resolve(&https, "/sse", "https://localhost:8443/m").unwrap(),
            "/m"
        );
        assert!(resolve(&https, "/sse", "http://localhost:8443/m").is_err());
    }
}
