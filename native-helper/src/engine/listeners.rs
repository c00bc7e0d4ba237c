//! Stage 5: who listens on the port, from the operating system's socket table.
//!
//! The socket table answers what a connect cannot: whether anything listens at
//! all, on which address and family, and whether its accept queue is full.

use protocol::{Listener as ListenerReport, Queue};
use socket_table::Listener;

/// Every TCP listener of the machine.
pub async fn all() -> Result<Vec<Listener>, String> {
    blocking(socket_table::tcp_listeners).await
}

/// The listeners bound to `port`, on any address. Cheap when there are none
/// (the "connection refused" case): owners are only looked up for matches.
pub async fn on_port(port: u16) -> Result<Vec<Listener>, String> {
    blocking(move || socket_table::tcp_listeners_on(port)).await
}

/// Reading the socket table blocks (netlink, /proc): keep it off the runtime.
async fn blocking<F>(read: F) -> Result<Vec<Listener>, String>
where
    F: FnOnce() -> Result<Vec<Listener>, socket_table::Error> + Send + 'static,
{
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| format!("socket table reader failed: {e}"))?
        .map_err(|e| e.to_string())
}

/// The report's view of a listener: the lowest pid stands for a group of
/// pre-forked workers sharing one socket.
pub fn to_report(listener: &Listener) -> ListenerReport {
    let first = listener.processes.first();
    ListenerReport {
        local_addr: listener.local.to_string(),
        pid: first.map(|p| p.pid),
        process: first.map(|p| p.name.clone()),
        user: listener.user.clone(),
        queue: listener.queue.as_ref().map(|q| Queue {
            current: q.current,
            max: q.max,
        }),
    }
}

/// "python3 (pid 4242)" or "an unknown process" when the OS hides it.
pub fn owner(listener: &Listener) -> String {
    match listener.processes.first() {
        Some(p) => format!("{} (pid {})", p.name, p.pid),
        None => "a process we are not allowed to see (run as root to name it)".to_owned(),
    }
}
