//! The accept loop, with the bounds `axum::serve` does not set.
//!
//! A local server still meets hostile clients: a page can open hundreds of
//! connections, and a slowloris client sends its headers one byte a minute.
//! So connections are capped (accepting pauses at the cap, the kernel's
//! backlog absorbs the rest), and a request's headers must arrive in time.
//!
//! Every accepted socket sets TCP_NODELAY: a check's answer is several
//! small WebSocket frames, and with Nagle's algorithm each frame after the
//! first waits for the client's delayed ACK (about 40 ms on Linux).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// HTTP connections served at once (WebSocket sessions have their own cap).
pub const MAX_CONNECTIONS: usize = 2048;
/// Time a client has to send a request's headers, idle keep-alive included.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until accepting fails for good.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors or a connection aborted in the queue:
            // the listener itself is fine, so pause briefly and go on.
            Err(e) if is_transient(&e) => {
                tracing::warn!("accept failed: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let service = app
            .clone()
            .map_request(|request: Request<Incoming>| request.map(Body::new));
        let service = TowerToHyperService::new(service);
        tokio::spawn(async move {
            let result = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
            if let Err(e) = result {
                tracing::debug!("connection ended: {e}");
            }
            // An upgraded WebSocket has left this future by now; its session
            // counts against the session cap instead.
            drop(permit);
        });
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || matches!(e.raw_os_error(), Some(23 | 24)) // ENFILE, EMFILE
}
