//! The report contract of DESIGN.md: what `portdoctor check --json` prints and
//! what the page receives as the final event of a check.
//!
//! Scripts and acceptance tests parse these names. Fields and enum values may
//! be added; none may be renamed or change meaning.

use serde::{Deserialize, Serialize};

/// The whole outcome of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub target: Target,
    pub verdict: Verdict,
    pub addresses: Vec<AddressResult>,
    pub listeners: Vec<Listener>,
    pub service: Service,
    pub mcp: Option<McpReport>,
    /// Most important first: the first finding is what the user should do first.
    pub findings: Vec<Finding>,
    pub elapsed_us: u64,
}

/// What the user asked for, as far as it could be understood.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub input: String,
    pub host: Option<String>,
    /// Kept even when out of range (`localhost:619009` reports 619009), so the
    /// report shows what was typed; `null` when no number could be read.
    pub port: Option<u64>,
    pub path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Something accepted and nothing is wrong.
    Reachable,
    /// Nothing accepted a connection.
    Unreachable,
    /// Something accepted, but a finding of severity warning or error applies.
    Degraded,
    /// The input could not be checked: unparsable, out of range, or not allowed.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Ipv4,
    Ipv6,
}

/// One connect attempt to one resolved address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressResult {
    /// Socket address as text: `127.0.0.1:8080`, `[::1]:8080`.
    pub addr: String,
    pub family: Family,
    pub outcome: Outcome,
    pub elapsed_us: u64,
    /// The operating system's words when the outcome is not `open`.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Open,
    Refused,
    Timeout,
    Unreachable,
    Reset,
    Error,
    /// Not attempted: the target policy does not allow this address.
    NotAllowed,
}

/// A listening TCP socket from the operating system's socket table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// Bound address as text: `127.0.0.1:8080`, `[::]:8080`.
    pub local_addr: String,
    /// The owning process; `null` when the OS does not let us see it.
    pub pid: Option<u32>,
    pub process: Option<String>,
    pub user: Option<String>,
    /// Accept queue fill, where the OS exposes it.
    pub queue: Option<Queue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    /// Connections completed by the kernel but not yet accepted by the process.
    pub current: u32,
    /// The backlog the process asked for (capped by the OS).
    pub max: u32,
}

/// What speaks on the port. Every field is `null` until identification ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub protocol: Option<ServiceProtocol>,
    pub detail: Option<String>,
    pub banner: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceProtocol {
    Http,
    Tls,
    Ssh,
    Redis,
    Postgres,
    Mysql,
    Smtp,
    Ftp,
    Websocket,
    Mcp,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpReport {
    pub transport: McpTransport,
    pub era: McpEra,
    pub url: String,
    pub protocol_version: Option<String>,
    pub server: Option<McpServerInfo>,
    pub tools: Option<u32>,
    pub elapsed_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum McpTransport {
    StreamableHttp,
    Sse,
    Stdio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum McpEra {
    Handshake,
    Stateless,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServerInfo {
    pub name: String,
    pub version: String,
}

/// One conclusion drawn from the evidence: the cause, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// One line: what is wrong, in the user's terms.
    pub summary: String,
    /// A concrete next step, with the command or setting to change.
    pub fix: String,
    /// The facts this finding rests on, as the user could check them.
    pub evidence: Vec<String>,
}

/// Ordered from least to most serious, so `max()` picks the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Ok,
    Info,
    Warning,
    Error,
}

/// Stable diagnosis codes (DESIGN.md). Add variants; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    Reachable,
    PortOutOfRange,
    InvalidTarget,
    NameNotResolved,
    LocalhostNotLoopback,
    NothingListening,
    ListeningOtherFamily,
    ListeningOtherAddress,
    Filtered,
    ServiceUnresponsive,
    ConnectionReset,
    TlsExpected,
    PlaintextExpected,
    WrongProtocol,
    SilentService,
    HttpError,
    McpOk,
    McpWrongPath,
    McpRejected,
    McpVersionMismatch,
    NotMcp,
    PortInUse,
    ExposedToNetwork,
    TlsUntrustedCertificate,
    /// Added: every resolved address is outside the target policy.
    TargetNotAllowed,
}

impl Code {
    /// The code as it appears in JSON, for text output.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

impl Report {
    /// Exit status of `portdoctor check` (DESIGN.md): 0 reachable and
    /// healthy, 1 a problem was found, 2 invalid input or usage.
    pub fn exit_code(&self) -> i32 {
        match self.verdict {
            Verdict::Reachable => 0,
            Verdict::Unreachable | Verdict::Degraded => 1,
            Verdict::Invalid => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_to_the_documented_names() {
        let pairs = [
            (Code::Reachable, "reachable"),
            (Code::PortOutOfRange, "port-out-of-range"),
            (Code::ListeningOtherFamily, "listening-other-family"),
            (Code::McpVersionMismatch, "mcp-version-mismatch"),
            (Code::TlsUntrustedCertificate, "tls-untrusted-certificate"),
            (Code::PortInUse, "port-in-use"),
        ];
        for (code, name) in pairs {
            assert_eq!(code.as_str(), name);
        }
    }

    #[test]
    fn severity_orders_by_seriousness() {
        assert!(Severity::Error > Severity::Warning);
        assert!(Severity::Warning > Severity::Info);
        assert!(Severity::Info > Severity::Ok);
    }
}
