//! Types shared by the portdoctor helper and its page: pure data, no I/O.
//!
//! - [`report`]: the report contract of DESIGN.md (`check --json`, final event).
//! - [`messages`]: the WebSocket requests and events around it.
//!
//! Both sides compile this crate, so a field renamed here breaks the build of
//! the other side rather than a user's script at run time.

pub mod messages;
pub mod report;

pub use messages::*;
pub use report::*;
