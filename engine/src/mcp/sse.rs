//! The legacy HTTP+SSE transport (protocol 2024-11-05), still common: a GET
//! opens an event stream whose first event, `endpoint`, names the URL to
//! POST messages to. The POSTs are only acknowledged (202); the answers come
//! back on the stream, after whatever notifications the server sends first.

use http::Method;
use serde_json::Value;

use super::http::{ACCEPT_BOTH, Events, Http};
use super::transport::{CallError, Outgoing, Transport};

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
        let endpoint = http
            .path_on_this_server(path, endpoint.trim())
            .map_err(|other| {
                CallError::Broken(format!(
                    "the endpoint event points at another server ({other}); not followed"
                ))
            })?;
        Ok(Self {
            http,
            endpoint,
            events,
            status: Some(status),
        })
    }

    /// Where the stream said messages go.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
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

/// The POSTs are only acknowledged: every answer comes on the stream.
impl Transport for LegacySse {
    type Pending = ();

    async fn send(&mut self, outgoing: Outgoing<'_>) -> Result<(), CallError> {
        self.post(&outgoing.message).await
    }

    async fn answer(&mut self, (): (), id: u64) -> Result<Value, CallError> {
        self.events.answer(id).await
    }

    fn status(&self) -> Option<u16> {
        self.status
    }
}
