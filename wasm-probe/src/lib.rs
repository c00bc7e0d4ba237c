//! The portdoctor page and its docs embed: drive checks over the helper's
//! WebSocket and show progress, the verdict, the evidence, and each
//! finding's cause and fix.
//!
//! A browser cannot open a TCP socket, so the native helper does the network
//! work and this module explains it. Two components mount into any element:
//! [`mount`] is the helper's own page (check, this machine, wait until up),
//! [`embed`] the one-line live checker a docs page shows through the
//! `<port-check>` element (`www/embed.js`). Both keep themselves alive
//! until unmounted ([`Mounted`]) and share one socket per helper.
//!
//! Pure, tested on the host:
//! - `client`: request ids and who asked, for a shared socket.
//! - `page`: one module per view, each with its panel, its typed messages
//!   and hooks, and its rendering; `page::session` says which view a
//!   message of the helper belongs to.
//! - `link`: the connection's state and how each failure is explained.
//! - `node`: trees typed by the messages their elements send and the hooks
//!   their components keep; `embed_view` renders the embed's states.
//! - `backoff`: delays for reconnecting and re-checking.
//!
//! The helper builds the crate twice, with only the `page` feature and with
//! only `embed`, so the docs embed carries no page code.
//!
//! Thin `web_sys` layers: `dom` (building trees with their listeners,
//! timers), `connection` (the shared, self-healing socket), each page view's
//! `…View` struct, `embed`, `mounted`.

mod backoff;
mod client;
mod connection;
mod dom;
#[cfg(feature = "embed")]
mod embed;
#[cfg(feature = "embed")]
mod embed_view;
mod link;
mod mounted;
mod node;
#[cfg(test)]
mod testdata;
mod text;

#[cfg(feature = "page")]
mod page;

#[cfg(feature = "embed")]
pub use embed::embed;
pub use mounted::Mounted;
#[cfg(feature = "page")]
pub use page::mount;
