//! Types shared by the portdoctor helper and its page: pure data, no I/O.
//!
//! - [`report`]: the report contract (`check --json`, the final event of a
//!   check), documented in docs/report.md.
//! - [`messages`]: the WebSocket requests and events around it.
//! - `words`: what people read for each value, shared by the CLI and the page.
//! - `schema` (feature `schema`): the JSON Schema of both, generated from the
//!   types, committed under docs/schema/.
//!
//! Both sides compile this crate, so a field renamed here breaks the build of
//! the other side rather than a user's script at run time.

pub mod messages;
pub mod report;
#[cfg(feature = "schema")]
pub mod schema;
mod words;

pub use words::hidden_processes;

pub use messages::*;
pub use report::*;
