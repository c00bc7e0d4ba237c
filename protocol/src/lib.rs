//! Types shared by the portdoctor helper and its page: pure data, no I/O.
//!
//! - [`report`]: the report contract of DESIGN.md (`check --json`, final event).
//! - [`messages`]: the WebSocket requests and events around it.
//! - `words`: what people read for each value, shared by the CLI and the page.
//!
//! Both sides compile this crate, so a field renamed here breaks the build of
//! the other side rather than a user's script at run time.

pub mod messages;
pub mod report;
mod words;

pub use messages::*;
pub use report::*;
