//! Stage 5: who listens on the port, from the operating system's socket table.
//!
//! The socket table answers what a connect cannot: whether anything listens at
//! all, on which address and family, and whether its accept queue is full.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use protocol::{Listener as ListenerReport, Queue};
use socket_table::Listener;
use tokio::sync::Semaphore;

use crate::platform::Os;

/// Every TCP listener of the machine.
pub async fn all() -> Result<Vec<Listener>, String> {
    shared_read(None).await
}

/// The listeners bound to `port`, on any address. Cheap when there are none
/// (the "connection refused" case): owners are only looked up for matches.
pub async fn on_port(port: u16) -> Result<Vec<Listener>, String> {
    shared_read(Some(port)).await
}

type Read = Shared<BoxFuture<'static, Result<Arc<Vec<Listener>>, String>>>;

/// Reads under way, by port (`None`: the whole table).
static IN_FLIGHT: LazyLock<Mutex<HashMap<Option<u16>, Read>>> = LazyLock::new(Default::default);

/// Reads that may run at once. A read is CPU-bound kernel work (netlink,
/// then every process's file descriptors); a thousand of them at once would
/// starve the server's own threads.
static READERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// Single flight: a check that needs the table while a read of the same port
/// is under way joins it. That read started at most a moment before, and the
/// connect it is compared with runs concurrently anyway.
async fn shared_read(port: Option<u16>) -> Result<Vec<Listener>, String> {
    let read = IN_FLIGHT
        .lock()
        .expect("lock")
        .entry(port)
        .or_insert_with(|| read_table(port).boxed().shared())
        .clone();
    read.await.map(|table| table.as_ref().clone())
}

async fn read_table(port: Option<u16>) -> Result<Arc<Vec<Listener>>, String> {
    let permit = READERS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let result = tokio::task::spawn_blocking(move || match port {
        Some(port) => socket_table::tcp_listeners_on(port),
        None => socket_table::tcp_listeners(),
    })
    .await
    .map_err(|e| format!("socket table reader failed: {e}"))
    .and_then(|read| read.map_err(|e| e.to_string()));
    drop(permit);
    IN_FLIGHT.lock().expect("lock").remove(&port);
    result.map(Arc::new)
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

/// "python3 (pid 4242)", as the report says it; for an owner the OS hid,
/// also the user's own command that names it.
pub fn owner(listener: &Listener) -> String {
    let owner = to_report(listener).owner();
    if listener.processes.is_empty() {
        format!("{owner} ({})", Os::CURRENT.see_every_owner())
    } else {
        owner
    }
}
