//! portdoctor: finds out why a local connection fails, and says how to fix it.
//!
//! - [`engine`]: one check, stage by stage (parse → … → diagnose). No I/O
//!   beyond the network and the socket table; knows no WebSocket or terminal.
//! - [`server`]: the local page and its WebSocket, on 127.0.0.1 only.
//! - [`cli`]: the terminal front end on the same engine.
//!
//! See ARCHITECTURE.md for the map.

pub mod cli;
pub mod engine;
pub mod server;
