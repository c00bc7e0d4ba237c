//! A small HTTP/1.1 client for the MCP checks, on hyper's connection API.
//!
//! Why not a client crate: the check wants the opposite of what reqwest
//! offers (a pool, redirects, TLS, its own DNS). Each request goes on a fresh
//! connection to the one address the connect stage found open, so the target
//! policy holds and no name is resolved twice; the `Host` header is the host
//! as typed, as the user's own client would send it, since servers check it;
//! and every body is read under a size limit. hyper is already in the tree
//! under axum. `https://` goes through the identify stage's TLS connector,
//! which accepts any certificate: a self-signed one is reported there, and
//! the server behind it is still worth checking.

use std::collections::VecDeque;
use std::net::SocketAddr;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::identify::tls;

use super::event_stream::{Event, MAX_EVENT, Parser};
use super::jsonrpc::{self, Found};
use super::transport::{CallError, HttpRefusal, answered};

/// Largest JSON body we read (a long tool list fits many times over).
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Events we read on one stream before giving up on the answer.
pub const MAX_EVENTS: usize = 1000;
/// How much of an unexpected body the report quotes.
const SNIPPET: usize = 200;

pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";

/// One server, as the user's client would address it.
#[derive(Debug, Clone)]
pub struct Http {
    pub addr: SocketAddr,
    /// The `Host` header: host as typed, with the port unless it is 80.
    pub host: String,
    /// An `Origin` to send, to check the server as a browser page would reach it.
    pub origin: Option<String>,
    /// Sent with every request, after ours (a configured server's token).
    headers: Arc<[(HeaderName, HeaderValue)]>,
    /// For `https://`: how to wrap each connection.
    tls: Option<Tls>,
}

#[derive(Clone)]
struct Tls {
    connector: TlsConnector,
    name: ServerName<'static>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("name", &self.name).finish()
    }
}

/// A response whose body has not been read yet.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    body: Incoming,
}

impl Http {
    /// Plain HTTP to `addr`, addressed as `host:port`.
    pub fn new(addr: SocketAddr, host: &str, port: u16, origin: Option<String>) -> Self {
        Self {
            addr,
            host: authority(host, port, 80),
            origin,
            headers: Arc::new([]),
            tls: None,
        }
    }

    /// HTTPS: the same, with TLS on each connection (SNI `host`).
    pub fn secure(addr: SocketAddr, host: &str, port: u16, origin: Option<String>) -> Self {
        let (connector, _) = tls::connector(&[b"http/1.1"]);
        Self {
            addr,
            host: authority(host, port, 443),
            origin,
            headers: Arc::new([]),
            tls: Some(Tls {
                connector,
                name: tls::server_name(host, addr),
            }),
        }
    }

    /// Adds headers to every request.
    pub fn with_headers(mut self, headers: &[(HeaderName, HeaderValue)]) -> Self {
        self.headers = headers.into();
        self
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The URL of `path` on this server, for reports.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme(), self.host)
    }

    /// A reference the server sent (an SSE `endpoint` event, a redirect's
    /// `Location`) as a path on this server, relative to `base` as a browser
    /// would read it. An absolute URL naming another server (or scheme) is
    /// `Err` with the reference: the check talks only to the address it
    /// was given.
    pub fn path_on_this_server(&self, base: &str, reference: &str) -> Result<String, String> {
        if reference.starts_with('/') {
            return Ok(reference.to_owned());
        }
        if let Some(rest) = reference
            .strip_prefix("http://")
            .or_else(|| reference.strip_prefix("https://"))
        {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let ours =
                authority.eq_ignore_ascii_case(&self.host) || authority == self.addr.to_string();
            return if ours && reference.starts_with(&format!("{}://", self.scheme())) {
                Ok(if path.is_empty() { "/" } else { path }.to_owned())
            } else {
                Err(reference.to_owned())
            };
        }
        let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
        Ok(format!(
            "{}{reference}",
            if dir.is_empty() { "/" } else { dir }
        ))
    }

    /// Sends one request on a fresh connection and returns once the status
    /// and headers are in.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&'static str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, CallError> {
        let body = body.map(|json| ("application/json", Bytes::from(json.to_string())));
        self.send_body(method, path, headers, body).await
    }

    /// [`Http::send`] with a body of any type: `(content type, bytes)`.
    pub async fn send_body(
        &self,
        method: Method,
        path: &str,
        headers: &[(&'static str, &str)],
        body: Option<(&'static str, Bytes)>,
    ) -> Result<Answer, CallError> {
        let request = self.request(method, path, headers, body)?;
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| CallError::Broken(format!("cannot connect to {}: {e}", self.addr)))?;
        // Requests are written in pieces (headers, body); without this, each
        // piece after the first waits for the server's delayed ACK.
        let _ = stream.set_nodelay(true);
        let mut sender = match &self.tls {
            None => handshake(stream).await?,
            Some(tls) => {
                let stream = tls
                    .connector
                    .connect(tls.name.clone(), stream)
                    .await
                    .map_err(|e| CallError::NotHttp(format!("the TLS handshake failed ({e})")))?;
                handshake(stream).await?
            }
        };
        let response = sender.send_request(request).await.map_err(|e| {
            if e.is_parse() {
                CallError::NotHttp(format!("the answer is not HTTP ({e})"))
            } else {
                CallError::Broken(format!("the connection ended without an answer ({e})"))
            }
        })?;
        let (parts, body) = response.into_parts();
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&'static str, &str)],
        body: Option<(&'static str, Bytes)>,
    ) -> Result<Request<Full<Bytes>>, CallError> {
        // A fragment never goes on the wire.
        let path = path.split('#').next().unwrap_or("/");
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host)
            .header(
                header::USER_AGENT,
                concat!("portdoctor/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(origin) = &self.origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        for (name, value) in self.headers.iter() {
            builder = builder.header(name, value);
        }
        let body = match body {
            Some((content_type, bytes)) => {
                builder = builder.header(header::CONTENT_TYPE, content_type);
                bytes
            }
            None => Bytes::new(),
        };
        builder
            .body(Full::new(body))
            .map_err(|e| CallError::Broken(format!("cannot build a request for {path}: {e}")))
    }
}

/// HTTP/1.1 on `io`, with a task that drives the connection until the
/// answer's body is read or dropped.
async fn handshake<S>(io: S) -> Result<SendRequest<Full<Bytes>>, CallError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| CallError::Broken(e.to_string()))?;
    tokio::spawn(connection);
    Ok(sender)
}

/// `host:port` as a `Host` header: IPv6 in brackets, the scheme's default
/// port left out.
fn authority(host: &str, port: u16, default: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    if port == default {
        host
    } else {
        format!("{host}:{port}")
    }
}

impl Answer {
    /// A header as text; names match exactly (case aside), never as a
    /// substring of another header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type, lower case, without parameters.
    pub fn media_type(&self) -> String {
        self.header(header::CONTENT_TYPE.as_str())
            .and_then(|v| v.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }

    pub fn is_event_stream(&self) -> bool {
        self.media_type() == "text/event-stream"
    }

    /// The whole body as text, up to [`MAX_BODY`].
    pub async fn text(mut self) -> Result<String, CallError> {
        let mut bytes = Vec::new();
        while let Some(frame) = self.body.frame().await {
            let frame = frame.map_err(|e| CallError::Broken(format!("the body broke off: {e}")))?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > MAX_BODY {
                    return Err(CallError::Broken(format!(
                        "the answer is larger than {MAX_BODY} bytes"
                    )));
                }
                bytes.extend_from_slice(data);
            }
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The answer as a refusal: status, explaining headers, start of the body.
    pub async fn refusal(self) -> HttpRefusal {
        let status = self.status;
        let content_type = self.media_type();
        let www_authenticate = self
            .header(header::WWW_AUTHENTICATE.as_str())
            .map(str::to_owned);
        let location = self.header(header::LOCATION.as_str()).map(str::to_owned);
        let body = self.text().await.unwrap_or_default();
        HttpRefusal {
            status,
            content_type,
            rpc: jsonrpc::error_in(&body).map(|e| e.to_string()),
            body: snippet(&body),
            www_authenticate,
            location,
        }
    }

    /// The JSON-RPC error an error status carries in its body, or the
    /// status as it is. For a redirect, or a refusal for want of
    /// credentials or for the Host or Origin sent, the status decides
    /// whatever the body says: a JSON-RPC error there only explains it.
    pub async fn error(self) -> CallError {
        let status = self.status;
        let refusal = self.refusal().await;
        let status_decides = matches!(status, 300..=399 | 401 | 403 | 406 | 421);
        match jsonrpc::error_in(&refusal.body) {
            Some(error) if !status_decides => CallError::Rpc {
                error,
                status: Some(status),
            },
            _ => CallError::Http(Box::new(refusal)),
        }
    }

    /// The answer to request `id` in a JSON body or an event stream.
    pub async fn answer(self, id: u64) -> Result<Value, CallError> {
        if self.is_event_stream() {
            return Events::new(self).answer(id).await;
        }
        let media = self.media_type();
        let status = self.status;
        let text = self.text().await?;
        match jsonrpc::answer_in(&text, id) {
            Found::Answer(Ok(result)) => Ok(result),
            Found::Answer(Err(error)) => Err(CallError::Rpc {
                error,
                status: Some(status),
            }),
            _ if media == "application/json" => Err(CallError::NotJsonRpc(format!(
                "the JSON answer holds no response to request {id}: {}",
                snippet(&text)
            ))),
            _ if text.is_empty() => Err(CallError::NotJsonRpc(format!(
                "HTTP {status} with an empty body"
            ))),
            _ => Err(CallError::NotJsonRpc(format!(
                "HTTP {status} {media}, not JSON-RPC: {}",
                snippet(&text)
            ))),
        }
    }
}

/// An event stream being read, with a cap on the events it may take.
pub struct Events {
    body: Incoming,
    parser: Parser,
    queue: VecDeque<Event>,
    seen: usize,
}

impl Events {
    pub fn new(answer: Answer) -> Self {
        Self {
            body: answer.body,
            parser: Parser::default(),
            queue: VecDeque::new(),
            seen: 0,
        }
    }

    /// The next event; an error once the stream ends or a limit is reached.
    pub async fn next(&mut self) -> Result<Event, CallError> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                self.seen += 1;
                if self.seen > MAX_EVENTS {
                    return Err(CallError::Broken(format!(
                        "the stream sent {MAX_EVENTS} events without the answer"
                    )));
                }
                return Ok(event);
            }
            let frame = match self.body.frame().await {
                None => return Err(CallError::Broken("the stream ended".to_owned())),
                Some(Err(e)) => {
                    return Err(CallError::Broken(format!("the stream broke off: {e}")));
                }
                Some(Ok(frame)) => frame,
            };
            if let Some(data) = frame.data_ref() {
                let events = self
                    .parser
                    .feed(data)
                    .map_err(|e| CallError::Broken(format!("{e} (limit {MAX_EVENT} bytes)")))?;
                self.queue.extend(events);
            }
        }
    }

    /// Reads `message` events until the answer to request `id`, skipping
    /// notifications and requests the server sends first.
    pub async fn answer(&mut self, id: u64) -> Result<Value, CallError> {
        loop {
            let event = self.next().await?;
            // A priming event (an `id:` and an empty `data:`, sent first by
            // servers with resumability on, as the 2025-11-25 spec suggests)
            // carries no message: only a place to resume from.
            if event.name != "message" || event.data.trim().is_empty() {
                continue;
            }
            match jsonrpc::answer_in(&event.data, id) {
                Found::Answer(answer) => return answered(answer),
                Found::Other => {}
                Found::NotJsonRpc => {
                    return Err(CallError::NotJsonRpc(format!(
                        "an event is not JSON-RPC: {}",
                        snippet(&event.data)
                    )));
                }
            }
        }
    }
}

/// The start of a text, on one line, for evidence.
pub fn snippet(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(SNIPPET) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_on_the_same_server_only() {
        let http = Http::new("127.0.0.1:8000".parse().unwrap(), "localhost", 8000, None);
        let resolve = |h: &Http, base: &str, r: &str| h.path_on_this_server(base, r);
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
