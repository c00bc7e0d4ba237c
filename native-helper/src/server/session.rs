//! One WebSocket connection: reads requests, runs them as tasks, streams events.
//!
//! The reader never waits for a check: each request runs in its own task, so
//! several checks proceed at once and `cancel` can stop one. Everything the
//! client can make us hold is bounded: requests in flight, queued events.
//! Bad frames get a typed `error` event and the session carries on.
//!
//! Configured MCP servers (`mcp-servers`, `mcp-check`) need full access
//! (our own page, or a local script with the token), since checking a stdio
//! server starts a program: a page the user merely allowed with
//! `--allow-origin` gets `forbidden`. Even then the client names a server by
//! its key in the configuration file; the command comes from the file, never
//! from the socket.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use protocol::{
    ClientMessage, ErrorKind, PROTOCOL_VERSION, Progress, ProtocolError, RequestId, ServerMessage,
};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::guard::Access;
use engine::mcp::config::{self, ConfigError, Server};
use engine::{self, CheckOptions};

/// Requests one connection may have running at once.
pub const MAX_IN_FLIGHT: usize = 16;
/// Events waiting for a slow client before its requests wait too.
const OUTBOX: usize = 64;
/// A client that opens a session but never says hello gives its slot back.
const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

type Running = Arc<Mutex<HashMap<RequestId, AbortHandle>>>;

/// What a session knows about where it runs.
pub struct Context {
    pub options: Arc<CheckOptions>,
    /// The desktop assistant's MCP configuration, when given on the command line.
    pub mcp_config: Option<PathBuf>,
    /// What the client may do, from its Origin (or token).
    pub access: Access,
}

pub async fn run(socket: WebSocket, context: Context) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = mpsc::channel::<ServerMessage>(OUTBOX);
    let writer = tokio::spawn(async move {
        while let Some(msg) = outgoing.recv().await {
            let text = serde_json::to_string(&msg).expect("server messages always serialise");
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let session = Session {
        outbox,
        context,
        running: Running::default(),
        greeted: false,
    };
    session.read(&mut stream).await;
    writer.abort();
}

struct Session {
    outbox: mpsc::Sender<ServerMessage>,
    context: Context,
    running: Running,
    greeted: bool,
}

impl Session {
    async fn read(mut self, stream: &mut futures_util::stream::SplitStream<WebSocket>) {
        // Keep reading after a Close frame until the stream ends, so the
        // close handshake completes (breaking early shows as 1006 in browsers).
        loop {
            let frame = if self.greeted {
                stream.next().await
            } else {
                match tokio::time::timeout(HELLO_TIMEOUT, stream.next()).await {
                    Ok(frame) => frame,
                    Err(_) => break,
                }
            };
            let Some(Ok(frame)) = frame else { break };
            match frame {
                Message::Text(text) => self.handle(text.as_str()).await,
                Message::Binary(_) => {
                    self.reply_error(
                        None,
                        ErrorKind::BinaryFrame,
                        "binary frames are not part of the protocol; send JSON text frames",
                    )
                    .await
                }
                Message::Ping(_) | Message::Pong(_) | Message::Close(_) => {}
            }
        }
        for (_, task) in self.running.lock().expect("lock").drain() {
            task.abort();
        }
    }

    async fn handle(&mut self, text: &str) {
        let request = match ClientMessage::decode(text) {
            Ok(request) => request,
            Err(e) => {
                return self
                    .send(ServerMessage::Error {
                        id: e.id,
                        error: e.error,
                    })
                    .await;
            }
        };
        let id = request.id();
        match request {
            ClientMessage::Hello { protocol, .. } if protocol == PROTOCOL_VERSION => {
                self.greeted = true;
                self.send(ServerMessage::Hello {
                    protocol: PROTOCOL_VERSION,
                    server: format!("portdoctor {}", env!("CARGO_PKG_VERSION")),
                })
                .await;
            }
            ClientMessage::Hello { protocol, .. } => {
                let message = format!(
                    "this helper speaks protocol {PROTOCOL_VERSION}, the page asked for {protocol}: reload the page the helper serves, or update portdoctor"
                );
                self.reply_error(None, ErrorKind::Handshake, message).await;
            }
            _ if !self.greeted => {
                self.reply_error(
                    id,
                    ErrorKind::Handshake,
                    "send {\"type\":\"hello\",\"protocol\":1} first",
                )
                .await;
            }
            ClientMessage::Cancel { id } => self.cancel(id).await,
            ClientMessage::Check {
                id,
                target,
                options,
            } => {
                let mut check = (*self.context.options).clone();
                if let Some(ms) = options.timeout_ms {
                    check.timeout = std::time::Duration::from_millis(ms).min(engine::MAX_TIMEOUT);
                }
                check.expect = options.expect;
                self.spawn(id, move |outbox| async move {
                    let report = engine::check(&target, &check, &progress(outbox, id)).await;
                    ServerMessage::Report {
                        id,
                        report: Box::new(report),
                    }
                })
                .await;
            }
            ClientMessage::BindCheck { id, .. } if self.context.access == Access::ChecksOnly => {
                self.reply_error(Some(id), ErrorKind::Forbidden, "pages on other sites may only run checks; bind checks need the helper's own page")
                    .await;
            }
            ClientMessage::BindCheck { id, port: 0 } => {
                self.reply_error(Some(id), ErrorKind::BadRequest, engine::bind::PORT_ZERO)
                    .await;
            }
            ClientMessage::BindCheck { id, port } => {
                self.spawn(id, move |_| async move {
                    ServerMessage::BindCheck {
                        id,
                        report: engine::bind::bind_check(port).await,
                    }
                })
                .await;
            }
            ClientMessage::Listeners { id } if self.context.access == Access::ChecksOnly => {
                self.reply_error(Some(id), ErrorKind::Forbidden, "pages on other sites may only run checks; listing this machine's listeners needs the helper's own page")
                    .await;
            }
            ClientMessage::Listeners { id } => {
                self.spawn(id, move |_| async move {
                    match engine::listeners::all().await {
                        Ok(all) => ServerMessage::Listeners {
                            id,
                            listeners: all.iter().map(engine::listeners::to_report).collect(),
                        },
                        Err(message) => ServerMessage::Error {
                            id: Some(id),
                            error: ProtocolError::new(ErrorKind::Internal, message),
                        },
                    }
                })
                .await;
            }
            ClientMessage::McpServers { id } | ClientMessage::McpCheck { id, .. }
                if self.context.access == Access::ChecksOnly =>
            {
                self.reply_error(
                    Some(id),
                    ErrorKind::Forbidden,
                    "configured MCP servers are for the helper's own page only: checking one can start a program on this machine",
                )
                .await;
            }
            ClientMessage::McpServers { id } => {
                let path = self.context.mcp_config.clone();
                self.spawn(id, move |_| async move {
                    match config::read(path).await {
                        Ok(config) => ServerMessage::McpServers {
                            id,
                            config: config.path.display().to_string(),
                            servers: config.servers.iter().map(Server::entry).collect(),
                        },
                        Err(e) => config_error(id, &e),
                    }
                })
                .await;
            }
            ClientMessage::McpCheck { id, name } => {
                let path = self.context.mcp_config.clone();
                let options = self.context.options.clone();
                self.spawn(id, move |outbox| async move {
                    let config = match config::read(path).await {
                        Ok(config) => config,
                        Err(e) => return config_error(id, &e),
                    };
                    let server = match config.server(&name) {
                        Ok(server) => server,
                        Err(e) => return config_error(id, &e),
                    };
                    let report =
                        engine::check_configured(server, &options, &progress(outbox, id)).await;
                    ServerMessage::Report {
                        id,
                        report: Box::new(report),
                    }
                })
                .await;
            }
        }
    }

    /// Runs a request as its own task; `work` produces its terminal event.
    async fn spawn<F, Fut>(&self, id: RequestId, work: F)
    where
        F: FnOnce(mpsc::Sender<ServerMessage>) -> Fut,
        Fut: Future<Output = ServerMessage> + Send + 'static,
    {
        let refusal = {
            let mut running = self.running.lock().expect("lock");
            if running.contains_key(&id) {
                Some((
                    ErrorKind::DuplicateId,
                    format!("request {id} is still running; use a new id"),
                ))
            } else if running.len() >= MAX_IN_FLIGHT {
                Some((
                    ErrorKind::Limit,
                    format!(
                        "{MAX_IN_FLIGHT} requests are already running on this connection; wait for one to finish"
                    ),
                ))
            } else {
                let outbox = self.outbox.clone();
                let registry = self.running.clone();
                let job = work(outbox.clone());
                // The lock is held across spawn so the task cannot finish and
                // deregister before it is registered.
                let task = tokio::spawn(async move {
                    let last = job.await;
                    // Deregister only once queued: a client that stops
                    // reading keeps its slots busy instead of piling up tasks.
                    let _ = outbox.send(last).await;
                    registry.lock().expect("lock").remove(&id);
                });
                running.insert(id, task.abort_handle());
                None
            }
        };
        if let Some((kind, message)) = refusal {
            self.reply_error(Some(id), kind, message).await;
        }
    }

    async fn cancel(&self, id: RequestId) {
        let task = self.running.lock().expect("lock").remove(&id);
        match task {
            Some(task) => {
                task.abort();
                self.reply_error(
                    Some(id),
                    ErrorKind::Cancelled,
                    format!("request {id} cancelled"),
                )
                .await;
            }
            None => {
                self.reply_error(
                    Some(id),
                    ErrorKind::UnknownId,
                    format!("no request {id} is running"),
                )
                .await
            }
        }
    }

    async fn reply_error(
        &self,
        id: Option<RequestId>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) {
        self.send(ServerMessage::Error {
            id,
            error: ProtocolError::new(kind, message),
        })
        .await;
    }

    async fn send(&self, msg: ServerMessage) {
        // Fails only once the writer is gone, i.e. the client left.
        let _ = self.outbox.send(msg).await;
    }
}

/// Progress events of request `id`. Progress is advisory (the report
/// repeats it), so a client too slow to read it loses progress events,
/// never the report.
fn progress(outbox: mpsc::Sender<ServerMessage>, id: RequestId) -> impl Fn(Progress) + Sync {
    move |progress| {
        let _ = outbox.try_send(ServerMessage::Progress { id, progress });
    }
}

fn config_error(id: RequestId, error: &ConfigError) -> ServerMessage {
    let message = match error {
        // Said as a fact, not a fault, with the helper's own flag.
        ConfigError::NotFound(_) => format!(
            "No MCP servers to list: {error}. Only if you use a desktop assistant's MCP servers from another file: start the helper with `portdoctor --mcp-config PATH`."
        ),
        _ => error.to_string(),
    };
    ServerMessage::Error {
        id: Some(id),
        error: ProtocolError::new(ErrorKind::Config, message),
    }
}
