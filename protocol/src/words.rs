//! The words people read for the report's values, in one place: the CLI's
//! text report, the page, and its Markdown copy all say the same thing.
//!
//! Wire names (`degraded`, `not-allowed`) are the contract scripts match;
//! these are for people, and may be reworded without breaking anyone.

use crate::report::{
    Family, McpAuthCheck, McpRegistration, McpTransport, Outcome, Severity, Until, Verdict,
};

impl Verdict {
    /// The verdict's one word, as the CLI prints it (upper case when
    /// something is wrong) and the page shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reachable => "Reachable",
            Self::Degraded => "Degraded",
            Self::Unreachable => "Unreachable",
            Self::Invalid => "Invalid",
        }
    }

    /// What the verdict means, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Reachable => "Something accepted the connection and works as asked.",
            Self::Degraded => {
                "Something accepted the connection, but it does not work as asked: see the errors."
            }
            Self::Unreachable => "Nothing accepted a connection.",
            Self::Invalid => "This target could not be checked.",
        }
    }
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Info => "Note",
            Self::Warning => "Warning",
            Self::Error => "Error",
        }
    }
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Refused => "refused",
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::Reset => "reset",
            Self::Error => "error",
            Self::NotAllowed => "not allowed",
        }
    }
}

impl Family {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ipv4 => "IPv4",
            Self::Ipv6 => "IPv6",
        }
    }
}

impl McpTransport {
    pub fn label(self) -> &'static str {
        match self {
            Self::StreamableHttp => "Streamable HTTP",
            Self::Sse => "legacy HTTP+SSE",
            Self::Stdio => "stdio",
        }
    }
}

impl McpRegistration {
    /// How the client got its id, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::ClientIdMetadataDocument => "Client ID Metadata Document",
            Self::DynamicClientRegistration => "Dynamic Client Registration",
            Self::PreRegistered => "pre-registered",
        }
    }
}

impl McpAuthCheck {
    /// What the step checked, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::ResourceMetadata => "resource metadata",
            Self::Resource => "resource",
            Self::ServerMetadata => "server metadata",
            Self::Issuer => "issuer",
            Self::Pkce => "PKCE",
            Self::Registration => "registration",
            Self::Scopes => "scopes",
            Self::DefaultEndpoints => "default endpoints",
            Self::Register => "client id",
            Self::Authorize => "authorize",
            Self::Callback => "callback",
            Self::Token => "token",
            Self::StepUp => "step-up",
        }
    }
}

impl Until {
    /// The choice, as the page offers it: "up means …".
    pub fn label(self) -> &'static str {
        match self {
            Self::Healthy => "it works (no error found)",
            Self::Accepts => "anything accepts a connection",
        }
    }

    /// What the target is once the wait is over: `up after 2.0 s`.
    pub fn reached(self) -> &'static str {
        match self {
            Self::Healthy => "up",
            Self::Accepts => "accepting connections",
        }
    }
}

/// When the OS hid other users' processes and their sockets (macOS without
/// root): how many, and how to see them. The CLI's note and the page's.
pub fn hidden_processes(count: u32) -> String {
    format!(
        "The OS hides {count} other users' processes and their sockets: `sudo portdoctor listeners` lists them too."
    )
}
