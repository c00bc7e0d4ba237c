//! The local server: the page, its WebSocket, the byte relay, a health
//! check. Same port.
//!
//! Nothing here knows about probes: a WebSocket session turns requests into
//! calls of [`engine`], and [`guard`] decides who may talk at all and what
//! they may do.

mod assets;
pub mod guard;
mod listen;
pub mod relay;
mod session;

pub use assets::embed_files;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State, WebSocketUpgrade};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use engine::CheckOptions;
use guard::{Access, Guard, Operation};

/// Largest WebSocket message or frame we accept: requests are small JSON.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// WebSocket sessions the helper serves at once.
pub const MAX_SESSIONS: usize = 1024;
/// Each WebSocket's read buffer, allocated (and touched) up front: the
/// library's 128 KiB made an idle relay cost 144 KiB; larger frames are
/// read in several pieces.
const READ_BUFFER: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub allowed_origins: Vec<String>,
    pub check: CheckOptions,
    /// What scripts without an Origin must present.
    pub token: guard::Token,
    /// The desktop assistant's MCP configuration; `None` looks in the usual places.
    pub mcp_config: Option<PathBuf>,
    pub relay: RelayLimits,
    /// `portdoctor bridge`: serve nothing but relays to this one target.
    pub bridge: Option<String>,
}

/// Bounds on relays.
#[derive(Debug, Clone, Copy)]
pub struct RelayLimits {
    /// A relay ends after this long without a byte either way.
    pub idle: Duration,
    /// Relays open at once; one more is closed with 1013 (try again later).
    pub max: usize,
}

struct AppState {
    guard: Guard,
    check: Arc<CheckOptions>,
    mcp_config: Option<PathBuf>,
    relay: RelayLimits,
    bridge: Option<String>,
    sessions: Arc<Semaphore>,
    relays: Arc<Semaphore>,
}

/// Serves until the listener fails; the caller binds, so it knows the port.
pub async fn serve(listener: TcpListener, config: ServerConfig) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    listen::serve(listener, app(local, config)).await
}

pub fn app(local: SocketAddr, config: ServerConfig) -> Router {
    let state = Arc::new(AppState {
        guard: Guard::new(local, &config.allowed_origins, config.token),
        check: Arc::new(config.check),
        mcp_config: config.mcp_config,
        relay: config.relay,
        bridge: config.bridge,
        sessions: Arc::new(Semaphore::new(MAX_SESSIONS)),
        relays: Arc::new(Semaphore::new(config.relay.max)),
    });
    let routes = match state.bridge {
        Some(_) => Router::new().fallback(get(open_relay)),
        None => Router::new()
            .route(protocol::WS_PATH, get(websocket))
            .route(relay::PATH, get(open_relay))
            .route("/api/health", get(health))
            .fallback(get(asset)),
    };
    routes
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .with_state(state)
}

async fn check_host(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    match state.guard.check_host(host) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(%refusal, "request refused");
            (StatusCode::FORBIDDEN, refusal.to_string()).into_response()
        }
    }
}

/// A WebSocket upgrade's parameters: its Origin, and what its URL carries.
struct Upgrade {
    origin: Option<String>,
    token: Option<String>,
    /// `/relay`'s `target`.
    target: Option<String>,
}

impl Upgrade {
    fn read(headers: &axum::http::HeaderMap, uri: &Uri) -> Self {
        let query = uri.query().unwrap_or_default().as_bytes();
        let param = |name: &str| {
            form_urlencoded::parse(query)
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let (query_token, target) = (param("token"), param("target"));
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        Self {
            origin: headers
                .get(header::ORIGIN)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned),
            token: bearer.map(str::to_owned).or(query_token),
            target,
        }
    }

    /// Reads an upgrade and decides what its client may do, or why it may
    /// not talk at all.
    fn admit(
        guard: &Guard,
        headers: &axum::http::HeaderMap,
        uri: &Uri,
    ) -> Result<(Self, Access), guard::Refusal> {
        let asked = Self::read(headers, uri);
        let access = guard.check_websocket(asked.origin.as_deref(), asked.token.as_deref())?;
        Ok((asked, access))
    }
}

/// A 403 that says why, logged.
fn forbidden(why: impl std::fmt::Display) -> Response {
    tracing::warn!(%why, "websocket refused");
    (StatusCode::FORBIDDEN, why.to_string()).into_response()
}

async fn websocket(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    let access = match Upgrade::admit(&state.guard, &headers, &uri) {
        Ok((_, access)) => access,
        Err(refusal) => return forbidden(refusal),
    };
    let Ok(permit) = state.sessions.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_SESSIONS} sessions are open already; close a portdoctor tab and retry"),
        )
            .into_response();
    };
    let context = session::Context {
        options: state.check.clone(),
        mcp_config: state.mcp_config.clone(),
        access,
    };
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| async move {
            session::run(socket, context).await;
            drop(permit);
        })
}

/// `/relay?target=HOST:PORT`: a WebSocket whose binary frames are the bytes
/// of a TCP connection (websockify's wire format; see [`relay`]). On a
/// `portdoctor bridge`, every path (noVNC asks for `/websockify`) relays to
/// its one target, for the listed origins too: the user named them for it.
async fn open_relay(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    let (asked, access) = match Upgrade::admit(&state.guard, &headers, &uri) {
        Ok(admitted) => admitted,
        Err(refusal) => return forbidden(refusal),
    };
    let target = match &state.bridge {
        Some(target) => target.clone(),
        None if !access.permits(Operation::Relay) => {
            return forbidden(format_args!(
                "pages on other sites may only run checks: a relay needs the helper's own page (or a script with its token); origin {:?}",
                asked.origin.unwrap_or_default()
            ));
        }
        None => match asked.target.filter(|t| !t.is_empty()) {
            Some(target) => target,
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    "say where to relay to: /relay?target=HOST:PORT, e.g. /relay?target=localhost:6379",
                )
                    .into_response();
            }
        },
    };
    let relay = relay::Relay {
        target,
        options: state.check.clone(),
        idle: state.relay.idle,
        origin: asked.origin.unwrap_or_else(|| "token".to_owned()),
        slot: (state.relays.clone().try_acquire_owned()).map_err(|_| state.relay.max),
    };
    upgrade
        .protocols(["binary"])
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| relay::serve(socket, relay))
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({
        "ok": true,
        "server": format!("portdoctor {}", env!("CARGO_PKG_VERSION")),
        "protocol": protocol::PROTOCOL_VERSION,
    }))
}

async fn asset(uri: Uri) -> Response {
    match assets::find(uri.path()) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
