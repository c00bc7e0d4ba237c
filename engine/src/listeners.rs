//! Stage 5: who listens on the port, from the operating system's socket table.
//!
//! The socket table answers what a connect cannot: whether anything listens at
//! all, on which address and family, and whether its accept queue is full.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use protocol::{Listener as ListenerReport, Queue};
use socket_table::{Listener, Listing};
use tokio::sync::Semaphore;

use crate::platform::Os;

/// Every TCP listener of the machine.
pub async fn all() -> Result<Vec<Listener>, String> {
    Ok(listing().await?.listeners)
}

/// Every TCP listener, and how many processes the OS hid (macOS without
/// root: other users' sockets are not listed at all).
pub async fn listing() -> Result<Listing, String> {
    shared_read(None).await
}

/// The listeners bound to `port`, on any address. Cheap when there are none
/// (the "connection refused" case): owners are only looked up for matches.
pub async fn on_port(port: u16) -> Result<Vec<Listener>, String> {
    Ok(shared_read(Some(port)).await?.listeners)
}

/// What `portdoctor listeners` adds when the OS hid processes: how many, and
/// the command that shows them.
pub fn hidden_note(listing: &Listing) -> Option<String> {
    (listing.hidden_processes > 0).then(|| protocol::hidden_processes(listing.hidden_processes))
}

type Read = Shared<BoxFuture<'static, Result<Arc<Listing>, String>>>;

/// Reads under way, by port (`None`: the whole table).
static IN_FLIGHT: LazyLock<Mutex<HashMap<Option<u16>, Read>>> = LazyLock::new(Default::default);

/// Reads that may run at once. A read is CPU-bound kernel work (netlink,
/// then every process's file descriptors); a thousand of them at once would
/// starve the server's own threads.
static READERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// Single flight: a check that needs the table while a read of the same port
/// is under way joins it. That read started at most a moment before, and the
/// connect it is compared with runs concurrently anyway.
async fn shared_read(port: Option<u16>) -> Result<Listing, String> {
    let read = IN_FLIGHT
        .lock()
        .expect("lock")
        .entry(port)
        .or_insert_with(|| read_table(port).boxed().shared())
        .clone();
    read.await.map(|table| table.as_ref().clone())
}

async fn read_table(port: Option<u16>) -> Result<Arc<Listing>, String> {
    let permit = READERS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let result = tokio::task::spawn_blocking(move || socket_table::listing(port))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_processes_are_counted_and_nothing_hidden_says_nothing() {
        let mut listing = Listing::default();
        assert_eq!(hidden_note(&listing), None);
        listing.hidden_processes = 3;
        let note = hidden_note(&listing).unwrap();
        assert!(note.contains("3 other users' processes"), "{note}");
        assert!(note.contains("sudo portdoctor listeners"), "{note}");
    }

    #[test]
    fn an_owner_the_os_named_is_its_name_and_pid() {
        let listener = Listener {
            local: "127.0.0.1:8080".parse().unwrap(),
            queue: None,
            uid: None,
            user: None,
            processes: vec![socket_table::Process {
                pid: 42,
                name: "node".into(),
            }],
        };
        assert_eq!(owner(&listener), "node (pid 42)");
    }
}
