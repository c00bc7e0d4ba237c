//! The portdoctor page: drives checks over the helper's WebSocket and shows
//! progress, the verdict, the evidence, and each finding's cause and fix.
//!
//! A browser cannot open a TCP socket, so the native helper does the network
//! work and this module explains it. It is a component rather than a page:
//! [`mount`] renders into any element, so the helper's own page and the docs
//! embed share it.
//!
//! - `session`: the protocol as the page speaks it (ids, which request is
//!   shown, what each frame changes), no DOM.
//! - `view`: protocol types to `node` trees and text, no DOM.
//! - `component`: the thin `web_sys` layer that builds those trees and owns
//!   the socket.

mod component;
mod mounted;
mod node;
mod session;
#[cfg(test)]
mod testdata;
mod view;

pub use component::mount;
pub use mounted::Mounted;
