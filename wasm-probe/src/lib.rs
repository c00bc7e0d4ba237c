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
//! - `export`: a report as Markdown or as the JSON report contract.
//! - `badge` and `embed`: the docs embed's one-line status and its shared
//!   connection (`<port-check>`, defined in `www/embed.js`).
//! - `component`: the thin `web_sys` layer that builds those trees and owns
//!   the socket.

#[cfg(feature = "embed")]
mod badge;
#[cfg(feature = "page")]
mod component;
#[cfg(feature = "embed")]
mod embed;
#[cfg(feature = "page")]
mod export;
mod node;
#[cfg(feature = "page")]
mod session;
#[cfg(test)]
mod testdata;
#[cfg(feature = "page")]
mod view;

#[cfg(feature = "page")]
pub use component::{Checker, mount};
#[cfg(feature = "embed")]
pub use embed::embed;
