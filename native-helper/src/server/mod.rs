//! The local server: the page, its WebSocket, a health check. Same port.
//!
//! Nothing here knows about probes: a WebSocket session turns requests into
//! calls of [`engine`], and [`guard`] decides who may talk at all.

mod assets;
pub mod guard;
mod listen;
mod session;

pub use assets::embed_files;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State, WebSocketUpgrade};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use engine::CheckOptions;
use guard::Guard;

/// Largest WebSocket message or frame we accept: requests are small JSON.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// WebSocket sessions the helper serves at once.
pub const MAX_SESSIONS: usize = 1024;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub allowed_origins: Vec<String>,
    pub check: CheckOptions,
    /// What scripts without an Origin must present.
    pub token: guard::Token,
    /// The desktop assistant's MCP configuration; `None` looks in the usual places.
    pub mcp_config: Option<PathBuf>,
}

struct AppState {
    guard: Guard,
    check: Arc<CheckOptions>,
    mcp_config: Option<PathBuf>,
    sessions: Arc<Semaphore>,
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
        sessions: Arc::new(Semaphore::new(MAX_SESSIONS)),
    });
    Router::new()
        .route(protocol::WS_PATH, get(websocket))
        .route("/api/health", get(health))
        .fallback(get(asset))
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

async fn websocket(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .or_else(|| {
            uri.query()?
                .split('&')
                .find_map(|pair| pair.strip_prefix("token="))
        });
    let access = match state.guard.check_websocket(origin, token) {
        Ok(access) => access,
        Err(refusal) => {
            tracing::warn!(%refusal, "websocket refused");
            return (StatusCode::FORBIDDEN, refusal.to_string()).into_response();
        }
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
        .on_upgrade(move |socket| async move {
            session::run(socket, context).await;
            drop(permit);
        })
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
