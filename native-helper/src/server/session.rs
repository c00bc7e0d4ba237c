//! One WebSocket connection: requests in, events and bytes out.
//!
//! Every request is a task with an output: what it writes reaches the
//! client in order. A canned check is the simple case: one terminal event;
//! a check streams progress events first. (`/relay` is not a session of
//! requests but one byte stream: `relay.rs` runs it on its own.)
//!
//! Everything the client can make us hold is bounded, and nothing a request
//! writes is dropped: writing waits while the client is slow (backpressure),
//! so a client that stops reading stops its own requests instead of growing
//! the helper. The reader never waits for a request. Bad frames get a typed `error` event and the session carries on.
//!
//! Before a request runs, the access table ([`Access::permits`]) decides
//! whether this client may make it. Configured MCP servers are named by their
//! key in the configuration file; the command comes from the file, never
//! from the socket.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use protocol::{
    ClientMessage, ErrorKind, PROTOCOL_VERSION, Progress, ProtocolError, RequestId, ServerMessage,
};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::guard::{Access, Operation};
use engine::mcp::config::{self, ConfigError, Server};
use engine::mcp::login::{self, LoginOptions, Opener};
use engine::{self, CheckOptions};

/// Requests one connection may have running at once.
pub const MAX_IN_FLIGHT: usize = 16;
/// Frames waiting for a slow client before the requests writing them wait too.
const OUTBOX: usize = 64;
/// Progress events one request may have waiting: a check sends one per
/// stage and one per address, far fewer.
const PROGRESS: usize = 64;
/// A client that opens a session but never says hello gives its slot back.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// After our close frame, how long the client has to answer it.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

type Running = Arc<Mutex<HashMap<RequestId, Handle>>>;

/// A running request, as the session sees it.
struct Handle {
    task: AbortHandle,
}

/// What a session knows about where it runs.
pub struct Context {
    pub options: Arc<CheckOptions>,
    /// The desktop assistant's MCP configuration, when given on the command line.
    pub mcp_config: Option<PathBuf>,
    /// What the client may do, from its Origin (or token).
    pub access: Access,
}

/// Where a request writes. Every send waits for room: nothing is dropped,
/// and a client that stops reading stops the request.
#[derive(Clone)]
pub struct Output(mpsc::Sender<ServerMessage>);

/// The client is gone; whatever the request does next, nobody reads it.
#[derive(Debug)]
pub struct Gone;

impl Output {
    pub async fn send(&self, message: ServerMessage) -> Result<(), Gone> {
        self.0.send(message).await.map_err(|_| Gone)
    }
}

pub async fn run(socket: WebSocket, context: Context) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = mpsc::channel::<ServerMessage>(OUTBOX);
    let mut writer = tokio::spawn(async move {
        while let Some(event) = outgoing.recv().await {
            let text = serde_json::to_string(&event).expect("server messages always serialise");
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let session = Session {
        output: Output(outbox),
        context,
        running: Running::default(),
        greeted: false,
    };
    session.read(&mut stream, &mut writer).await;
    writer.abort();
}

/// A close frame's reason must fit in 123 bytes; cut at a character boundary.
pub fn close_reason(mut reason: String) -> String {
    const MAX: usize = 123;
    if reason.len() > MAX {
        let end = (0..=MAX).rev().find(|&i| reason.is_char_boundary(i));
        reason.truncate(end.unwrap_or(0));
    }
    reason
}

struct Session {
    output: Output,
    context: Context,
    running: Running,
    greeted: bool,
}

impl Session {
    async fn read(
        mut self,
        stream: &mut SplitStream<WebSocket>,
        writer: &mut tokio::task::JoinHandle<()>,
    ) {
        // Keep reading after a Close frame until the stream ends, so the
        // close handshake completes (breaking early shows as 1006 in browsers).
        loop {
            let next = async {
                if self.greeted {
                    stream.next().await
                } else {
                    tokio::time::timeout(HELLO_TIMEOUT, stream.next())
                        .await
                        .ok()
                        .flatten()
                }
            };
            let frame = tokio::select! {
                frame = next => frame,
                // The writer lost the client.
                _ = &mut *writer => break,
            };
            let Some(Ok(frame)) = frame else { break };
            match frame {
                Message::Text(text) => self.handle(text.as_str()).await,
                Message::Binary(_) => {
                    self.reply_error(
                        None,
                        ErrorKind::BinaryFrame,
                        "no request on this connection takes bytes: requests are JSON text frames (a byte relay is /relay?target=HOST:PORT)",
                    )
                    .await
                }
                Message::Close(_) | Message::Ping(_) | Message::Pong(_) => {}
            }
        }
        for (_, handle) in self.running.lock().expect("lock").drain() {
            handle.task.abort();
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
        let operation = Operation::Request(request.kind());
        if !self.context.access.permits(operation) {
            let message = format!(
                "pages on other sites may only run checks: `{operation}` needs the helper's own page (or a script with its token)"
            );
            return self.reply_error(id, ErrorKind::Forbidden, message).await;
        }
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
                    check.timeout = Duration::from_millis(ms).min(engine::MAX_TIMEOUT);
                }
                check.expect = options.expect;
                check.audience = self.context.access.audience();
                self.start_with_progress(id, move |progress| async move {
                    let report = engine::check(&target, &check, &progress).await;
                    ServerMessage::Report {
                        id,
                        report: Box::new(report),
                    }
                })
                .await;
            }
            ClientMessage::BindCheck { id, port: 0 } => {
                self.reply_error(Some(id), ErrorKind::BadRequest, engine::bind::PORT_ZERO)
                    .await;
            }
            ClientMessage::BindCheck { id, port } => {
                self.start_canned(id, async move {
                    ServerMessage::BindCheck {
                        id,
                        report: engine::bind::bind_check(port).await,
                    }
                })
                .await;
            }
            ClientMessage::Listeners { id } => {
                self.start_canned(id, async move {
                    match engine::listeners::listing().await {
                        Ok(listing) => ServerMessage::Listeners {
                            id,
                            listeners: listing
                                .listeners
                                .iter()
                                .map(engine::listeners::to_report)
                                .collect(),
                            hidden_processes: listing.hidden_processes,
                        },
                        Err(message) => ServerMessage::Error {
                            id: Some(id),
                            error: ProtocolError::new(ErrorKind::Internal, message),
                        },
                    }
                })
                .await;
            }
            ClientMessage::McpServers { id } => {
                let path = self.context.mcp_config.clone();
                self.start_canned(id, async move {
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
            ClientMessage::McpLogin { id, target } => {
                let mut check = (*self.context.options).clone();
                self.start_with_progress(id, move |progress| async move {
                    let progress: Arc<dyn Fn(Progress) + Send + Sync> = Arc::from(progress);
                    let page = progress.clone();
                    let returned = progress.clone();
                    check.mcp.expect = true;
                    check.mcp.login = Some(LoginOptions {
                        client: None,
                        // The page opens it in its popup.
                        opener: Opener::new(move |url| {
                            page(Progress::Authorize {
                                url: url.to_owned(),
                            });
                            Ok(())
                        })
                        .on_return(move || returned(Progress::Redirected {})),
                        timeout: login::DEFAULT_LOGIN_TIMEOUT,
                        port: 0,
                    });
                    let report = engine::check(&target, &check, &*progress).await;
                    ServerMessage::Report {
                        id,
                        report: Box::new(report),
                    }
                })
                .await;
            }
            ClientMessage::McpCheck { id, name } => {
                let path = self.context.mcp_config.clone();
                let options = self.context.options.clone();
                self.start_with_progress(id, move |progress| async move {
                    let config = match config::read(path).await {
                        Ok(config) => config,
                        Err(e) => return config_error(id, &e),
                    };
                    let server = match config.server(&name) {
                        Ok(server) => server,
                        Err(e) => return config_error(id, &e),
                    };
                    let report = engine::check_configured(server, &options, &progress).await;
                    ServerMessage::Report {
                        id,
                        report: Box::new(report),
                    }
                })
                .await;
            }
        }
    }

    /// The simple case of a request: no input, one terminal event.
    async fn start_canned<Fut>(&self, id: RequestId, work: Fut)
    where
        Fut: Future<Output = ServerMessage> + Send + 'static,
    {
        self.start(id, move |_| Box::pin(work)).await;
    }

    /// A request that streams progress before its terminal event. The
    /// engine reports progress synchronously, so events wait in a queue of
    /// their own and reach the client in order, all before the terminal event.
    async fn start_with_progress<W, Fut>(&self, id: RequestId, work: W)
    where
        W: FnOnce(Box<dyn Fn(Progress) + Send + Sync>) -> Fut + Send + 'static,
        Fut: Future<Output = ServerMessage> + Send + 'static,
    {
        self.start(id, move |output: Output| {
            Box::pin(async move {
                let (progress, mut queued) = mpsc::channel(PROGRESS);
                let on_progress = Box::new(move |event| {
                    if progress.try_send(event).is_err() {
                        tracing::warn!("request {id}: more than {PROGRESS} progress events queued");
                    }
                });
                let forward = async {
                    while let Some(progress) = queued.recv().await {
                        let event = ServerMessage::Progress { id, progress };
                        if output.send(event).await.is_err() {
                            break;
                        }
                    }
                };
                // `work` owns the queue's sender: once it is done, `forward`
                // drains what is left and ends.
                let (last, ()) = tokio::join!(work(on_progress), forward);
                last
            })
        })
        .await;
    }

    /// Runs a request as its own task; `job` writes its output and returns
    /// its terminal event.
    async fn start<J>(&self, id: RequestId, job: J)
    where
        J: FnOnce(Output) -> futures_util::future::BoxFuture<'static, ServerMessage>,
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
                let output = self.output.clone();
                let registry = self.running.clone();
                let job = job(output.clone());
                // The lock is held across spawn so the task cannot finish and
                // deregister before it is registered.
                let task = tokio::spawn(async move {
                    let last = job.await;
                    // Deregister only once queued: a client that stops
                    // reading keeps its slots busy instead of piling up tasks.
                    let _ = output.send(last).await;
                    registry.lock().expect("lock").remove(&id);
                });
                let handle = Handle {
                    task: task.abort_handle(),
                };
                running.insert(id, handle);
                None
            }
        };
        if let Some((kind, message)) = refusal {
            self.reply_error(Some(id), kind, message).await;
        }
    }

    async fn cancel(&self, id: RequestId) {
        let handle = self.running.lock().expect("lock").remove(&id);
        match handle {
            Some(handle) => {
                handle.task.abort();
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
        let _ = self.output.send(msg).await;
    }
}

fn config_error(id: RequestId, error: &ConfigError) -> ServerMessage {
    let (kind, message) = match error {
        // Said as a fact, not a fault, with the helper's own flag.
        ConfigError::NotFound(_) => (
            ErrorKind::NoConfig,
            format!(
                "No MCP servers to list: {error}. Only if you use a desktop assistant's MCP servers from another file: start the helper with `portdoctor --mcp-config PATH`."
            ),
        ),
        _ => (ErrorKind::Config, error.to_string()),
    };
    ServerMessage::Error {
        id: Some(id),
        error: ProtocolError::new(kind, message),
    }
}

#[cfg(test)]
mod tests {
    use super::close_reason;

    #[test]
    fn close_reasons_fit_a_control_frame() {
        let long = "é".repeat(100);
        let cut = close_reason(long);
        assert!(cut.len() <= 123, "{}", cut.len());
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(close_reason("refused".into()), "refused");
    }
}
