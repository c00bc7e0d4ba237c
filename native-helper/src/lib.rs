//! portdoctor: finds out why a local connection fails, and says how to fix it.
//!
//! The check itself lives in the `engine` crate, which depends on neither
//! axum nor clap; this crate only puts it on a socket and a terminal:
//! - [`server`]: the local page and its WebSocket, on 127.0.0.1 only.
//! - [`cli`]: the terminal front end on the same engine.
//! - [`autostart`]: the login entry per OS (`portdoctor autostart on|off`).
//!
//! See ARCHITECTURE.md for the map.

pub mod autostart;
pub mod cli;
pub mod server;
