//! Sentences about the report's values that the report view and its
//! copies (Markdown) share, so both say the same.

use protocol::{Listener, McpReport};

/// `node (pid 4242)`, or what little the OS let us see.
pub fn owner(listener: &Listener) -> String {
    match (&listener.process, listener.pid) {
        (Some(process), Some(pid)) => format!("{process} (pid {pid})"),
        (Some(process), None) => process.clone(),
        (None, Some(pid)) => format!("pid {pid}"),
        (None, None) => "a process this helper cannot see".to_owned(),
    }
}

pub fn server_name(mcp: &McpReport) -> String {
    match &mcp.server {
        Some(server) => format!("{} {}", server.name, server.version),
        None => "(no name given)".to_owned(),
    }
}

/// `demo 1.2 over Streamable HTTP, protocol 2025-06-18, 3 tools`.
pub fn mcp_text(mcp: &McpReport) -> String {
    let mut parts = vec![format!(
        "{} over {}",
        server_name(mcp),
        mcp.transport.label()
    )];
    if let Some(version) = &mcp.protocol_version {
        parts.push(format!("protocol {version}"));
    }
    if let Some(tools) = mcp.tools {
        parts.push(format!("{tools} tools"));
    }
    parts.join(", ")
}
