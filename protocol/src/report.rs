//! The report contract (docs/report.md): what `portdoctor check --json` prints and
//! what the page receives as the final event of a check.
//!
//! Scripts and acceptance tests parse these names. Fields and enum values may
//! be added; none may be renamed or change meaning.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

/// The whole outcome of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    pub target: Target,
    pub verdict: Verdict,
    pub addresses: Vec<AddressResult>,
    pub listeners: Vec<Listener>,
    pub service: Service,
    pub mcp: Option<McpReport>,
    /// Added: the listener forwards elsewhere (docker-proxy, socat, `ssh -L`,
    /// `kubectl port-forward`): where to, and how that far end answered.
    #[serde(default)]
    pub forward: Option<Forward>,
    /// Most important first: the first finding is what the user should do first.
    pub findings: Vec<Finding>,
    pub elapsed_us: u64,
}

/// What the user asked for, as far as it could be understood.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Target {
    pub input: String,
    pub host: Option<String>,
    /// Kept even when out of range (`localhost:619009` reports 619009), so the
    /// report shows what was typed; `null` when no number could be read.
    pub port: Option<u64>,
    pub path: Option<String>,
}

/// The one-word answer. What each means, and what it does not:
///
/// | verdict       | meaning                                                         | exit code |
/// |---------------|-----------------------------------------------------------------|-----------|
/// | `reachable`   | something accepted and works as asked: no finding of severity `error` (warnings and notes may apply, next to the `reachable`/`mcp-ok` finding) | 0 |
/// | `degraded`    | something accepted, but it does not work as asked: at least one finding of severity `error` (wrong protocol, HTTP 5xx, a failed MCP handshake, ...) | 1 |
/// | `unreachable` | nothing accepted a connection                                   | 1         |
/// | `invalid`     | the input could not be checked: unparsable, out of range, or not allowed | 2 |
///
/// A warning (`exposed-to-network`, stray stdout of a stdio MCP server) is
/// advice about a working server, so it never turns `reachable` into `degraded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum Verdict {
    /// Something accepted and works as asked: no finding of severity error.
    Reachable,
    /// Nothing accepted a connection.
    Unreachable,
    /// Something accepted, but a finding of severity error applies.
    Degraded,
    /// The input could not be checked: unparsable, out of range, or not allowed.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum Family {
    Ipv4,
    Ipv6,
}

/// One connect attempt to one resolved address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// How a listener whose owner the OS did not name is described.
pub const UNKNOWN_OWNER: &str = "an unknown process";

impl Listener {
    /// Who holds the socket, in words: `node (pid 4242)`; `pid 4242` or
    /// `node` when the OS gave only one; [`UNKNOWN_OWNER`] when it gave
    /// neither (another user's process, or, under Wine, no Windows process).
    /// Every text that names an owner (findings, CLI, page) says it this way.
    pub fn owner(&self) -> String {
        let name = self.process.as_deref().filter(|n| !n.is_empty());
        match (name, self.pid) {
            (Some(name), Some(pid)) => format!("{name} (pid {pid})"),
            (Some(name), None) => name.to_owned(),
            (None, Some(pid)) => format!("pid {pid}"),
            (None, None) => UNKNOWN_OWNER.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Queue {
    /// Connections completed by the kernel but not yet accepted by the process.
    pub current: u32,
    /// The backlog the process asked for (capped by the OS).
    pub max: u32,
}

/// A forwarder holding the port and its far end, read from its command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Forward {
    /// `docker-proxy`, `socat`, `ssh -L`, `kubectl port-forward`.
    pub forwarder: String,
    pub pid: u32,
    /// The far end as the command line names it: `172.17.0.2:80`.
    pub destination: String,
    /// Where the destination is reached from when that is not this machine:
    /// `the ssh server bastion`; `null` when this machine connects to it.
    pub from: Option<String>,
    /// One connect to the far end; `null` when it was not checked.
    pub far_end: Option<AddressResult>,
    /// Why it was not checked, or why its name did not resolve.
    pub note: Option<String>,
}

/// What speaks on the port. Every field is `null` until identification ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Service {
    pub protocol: Option<ServiceProtocol>,
    pub detail: Option<String>,
    pub banner: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
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

impl ServiceProtocol {
    /// The name as it appears in JSON (`http`, `redis`, ...), for text output.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An MCP server that answered: where, how, who, and what it offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpReport {
    pub transport: McpTransport,
    pub era: McpEra,
    /// The endpoint that answered; for stdio, the command line.
    pub url: String,
    /// The version both sides agreed on.
    pub protocol_version: Option<String>,
    pub server: Option<McpServerInfo>,
    pub tools: Option<u32>,
    pub elapsed_us: u64,
    /// Top-level capabilities the server announced: `tools`, `resources`, `prompts`, `logging`, ...
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub tool_names: Vec<String>,
    /// Counts from `resources/list` and `prompts/list`, when the server announces them.
    #[serde(default)]
    pub resources: Option<u32>,
    #[serde(default)]
    pub prompts: Option<u32>,
    /// Versions the server supports, as far as it said: `supportedVersions`
    /// of `server/discover`, or the one version `initialize` answered.
    #[serde(default)]
    pub server_versions: Vec<String>,
    /// Versions portdoctor speaks in the era it found.
    #[serde(default)]
    pub client_versions: Vec<String>,
    /// Whether the server issued an `Mcp-Session-Id` (Streamable HTTP, handshake era).
    #[serde(default)]
    pub session: bool,
    /// Every exchange of the check, in order, with its time.
    #[serde(default)]
    pub steps: Vec<McpStep>,
    /// Added: when the server answered 401, the authorization chain a client
    /// would walk, step by step, in order (only public metadata is fetched).
    #[serde(default)]
    pub auth: Vec<McpAuthStep>,
    /// Added: after signing in (`--login`, the page's Sign in), the token
    /// the check ran with, described (never the token itself); `null` otherwise.
    #[serde(default)]
    pub login: Option<McpLogin>,
}

/// The token a sign-in obtained, as far as it can be told without showing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpLogin {
    /// How the client got its client id.
    pub registration: McpRegistration,
    /// `token_type` of the token response (`Bearer`).
    pub token_type: String,
    /// The scopes granted (the response's `scope`, else those asked for).
    pub scopes: Vec<String>,
    /// `expires_in` of the token response, when it said.
    pub expires_in_s: Option<u64>,
    /// Times the server answered 403 insufficient_scope and the sign-in was
    /// repeated with the union of the scopes (at most 3).
    pub step_ups: u8,
}

/// How a signing-in client got its client id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum McpRegistration {
    /// The client id is the URL of its Client ID Metadata Document.
    ClientIdMetadataDocument,
    /// Registered at the authorization server's `registration_endpoint` (RFC 7591).
    DynamicClientRegistration,
    /// A client id (and secret) the user gave.
    PreRegistered,
}

/// One link of the MCP authorization chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpAuthStep {
    pub check: McpAuthCheck,
    /// The document fetched, when the step fetched one.
    pub url: Option<String>,
    pub http_status: Option<u16>,
    pub elapsed_us: u64,
    /// Whether this link holds.
    pub ok: bool,
    /// What was found, or why not, on one line.
    pub detail: String,
}

/// What a step of the authorization chain checks, in the order of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum McpAuthCheck {
    /// Protected Resource Metadata (RFC 9728): fetched from the
    /// `resource_metadata` link, or the path-based, then the root well-known URL.
    ResourceMetadata,
    /// Its `resource` names this server.
    Resource,
    /// Authorization server metadata (RFC 8414 or OpenID), at the locations
    /// the spec lists for the issuer.
    ServerMetadata,
    /// The metadata's `issuer` equals the issuer it was fetched for.
    Issuer,
    /// PKCE with S256 (`code_challenge_methods_supported`).
    Pkce,
    /// How a client gets a client id: Client ID Metadata Documents, Dynamic
    /// Client Registration, or only pre-registration.
    Registration,
    /// The scopes a client will ask for.
    Scopes,
    /// 2025-03-26 servers without metadata: `/authorize`, `/token`, `/register`.
    DefaultEndpoints,
    /// Signing in: the client id (registered, a metadata document, or given).
    Register,
    /// Signing in: the authorization URL, opened in a browser.
    Authorize,
    /// Signing in: the redirect to the loopback URI, its `state` and `iss`.
    Callback,
    /// Signing in: the code exchanged for a token at the token endpoint.
    Token,
    /// Signing in: the server answered the token 403 insufficient_scope;
    /// the scopes it wants (a sign-in for the union follows, at most 3).
    StepUp,
}

/// One exchange with an MCP server: a JSON-RPC call, or an HTTP request
/// around them (`GET` of the SSE stream, `DELETE` of the session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpStep {
    /// `server/discover`, `initialize`, `tools/list`, `GET`, `DELETE`, ...
    pub step: String,
    /// The HTTP status, for HTTP transports.
    pub http_status: Option<u16>,
    pub elapsed_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum McpTransport {
    StreamableHttp,
    Sse,
    Stdio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum McpEra {
    Handshake,
    Stateless,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpServerInfo {
    pub name: String,
    pub version: String,
}

/// One MCP server of the desktop assistant's configuration, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpServerEntry {
    /// Its key under `mcpServers`.
    pub name: String,
    pub kind: McpServerKind,
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Names of the environment variables it sets. The values stay on this
    /// machine: they often hold API keys.
    #[serde(default)]
    pub env: Vec<String>,
    pub url: Option<String>,
    /// Names of the headers sent to a URL server; values stay here too.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Why the entry cannot be used as written, when it cannot.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum McpServerKind {
    /// Started as a process; JSON-RPC over its stdin and stdout.
    Stdio,
    /// Reached over HTTP at a URL.
    Url,
    /// Neither: see `problem`.
    Invalid,
}

/// `portdoctor mcp --json` without a target: every configured server, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpConfigReport {
    /// The configuration file read.
    pub config: String,
    pub servers: Vec<McpServerCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct McpServerCheck {
    pub server: McpServerEntry,
    pub report: Report,
}

/// One conclusion drawn from the evidence: the cause, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum Severity {
    Ok,
    Info,
    Warning,
    Error,
}

/// Stable diagnosis codes, each explained in docs/report.md. Add variants;
/// never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
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
    /// Added: the listener is a container runtime's port forwarder.
    ContainerPublished,
    /// Added: (bind check) the port is free for a server.
    PortAvailable,
    /// Added: the server answered 406: the request's `Accept` header does not suit it.
    McpNotAcceptable,
    /// Added: the server took the request but did not answer within the time allowed.
    McpNoAnswer,
    /// Added: the server answered with a JSON-RPC error, or the exchange broke off.
    McpError,
    /// Added: a configured stdio server's command is not on PATH.
    McpCommandNotFound,
    /// Added: a configured stdio server's process ended before answering.
    McpProcessExited,
    /// Added: a stdio server wrote something other than JSON-RPC to stdout.
    McpBadOutput,
    /// Added: an entry of the assistant's configuration cannot be used as written.
    McpBadConfig,
    /// Added: MCP was not checked. Emitted for `https://` targets until MCP
    /// spoke TLS; kept so that scripts matching on it still parse reports.
    McpNotChecked,
    /// Added: the loopback interface is down, so nothing on this machine can
    /// connect to 127.0.0.1 or ::1 (a check, or a bind check: binding works).
    LoopbackDown,
    /// Added: `localhost` resolves to one family only here (the hosts
    /// file), and the server listens on the other.
    LocalhostSingleFamily,
    /// Added (note): the target was a wildcard address (`0.0.0.0`, `::`), what
    /// servers bind to mean "every address"; it was checked as the loopback
    /// address of its family, which is what a client reaching it here uses.
    WildcardTarget,
    /// Added: a forwarder (docker-proxy, socat, `ssh -L`) accepted; its far end refuses.
    ForwardTargetRefused,
    /// Added: a forwarder's far end does not answer, or its name does not resolve.
    ForwardTargetUnreachable,
    /// Added: a forwarder's far end accepts but says nothing, as the port does.
    ForwardTargetSilent,
    /// Added: accepted then closed; the far end is reached from elsewhere
    /// (the ssh server, inside a pod) and cannot be checked from here.
    ForwardTargetRemote,
    /// Added: every process holding the socket is stopped (Ctrl-Z, SIGSTOP).
    ProcessStopped,
    /// Added: every process holding the socket is stopped by its debugger.
    ProcessTraced,
    /// Added: the process holding the socket started seconds ago and is silent.
    ProcessStarting,
    /// Added: a service manager holds the socket; the service it starts fails.
    SocketActivationFailed,
    /// Added: a 401 from an MCP server, and no Protected Resource Metadata
    /// (nor 2025-03-26 authorization server metadata) to sign in with.
    McpAuthNoMetadata,
    /// Added: a metadata document the chain names cannot be fetched.
    McpAuthMetadataUnreachable,
    /// Added: the Protected Resource Metadata's `resource` is not this server.
    McpAuthResourceMismatch,
    /// Added: the authorization server metadata's `issuer` is not the issuer
    /// it was fetched for.
    McpAuthIssuerMismatch,
    /// Added: the authorization server does not advertise PKCE with S256.
    McpAuthNoPkce,
    /// Added: no Dynamic Client Registration and no Client ID Metadata
    /// Documents: only pre-registered clients can sign in.
    McpAuthNoRegistration,
    /// Added: signing in (`--login`) did not complete: the step and why.
    McpLoginFailed,
    /// Added: signed in; the check ran with the token.
    McpSignedIn,
    /// Added: nothing speaks MCP where the client looks, and the server's
    /// discovery document (server card) names the endpoint.
    McpEndpointAdvertised,
}

impl Code {
    /// The code as it appears in JSON, for text output.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// `portdoctor bind-check PORT --json`: can a server listen on this port?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BindReport {
    pub port: u16,
    pub available: bool,
    /// One per address a server typically binds: 127.0.0.1, 0.0.0.0, ::.
    pub attempts: Vec<BindAttempt>,
    /// Who holds the port, from the socket table.
    pub holders: Vec<Listener>,
    pub findings: Vec<Finding>,
}

impl BindReport {
    /// The answer in a few words, for the CLI's first line and the page:
    /// `free`, `in use`, or which family is taken when only one is.
    pub fn headline(&self) -> &'static str {
        if self.findings.iter().any(|f| f.code == Code::LoopbackDown) {
            return "loopback is down";
        }
        if self.available {
            return "free";
        }
        let v6 = |addr: &str| addr.starts_with('[');
        let free = |ipv6: bool| {
            self.attempts
                .iter()
                .filter(|a| v6(&a.addr) == ipv6)
                .all(|a| a.ok)
        };
        let held = |ipv6: bool| {
            !self.holders.is_empty() && self.holders.iter().all(|l| v6(&l.local_addr) == ipv6)
        };
        if free(false) && held(true) {
            if self
                .holders
                .iter()
                .all(|l| l.local_addr.starts_with("[::1]:"))
            {
                "IPv6 loopback taken, IPv4 free"
            } else {
                "IPv6 taken, IPv4 free"
            }
        } else if free(true) && held(false) {
            "IPv4 taken, IPv6 free"
        } else {
            "in use"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BindAttempt {
    pub addr: String,
    pub ok: bool,
    pub error: Option<String>,
}

/// What "up" means when waiting for a service (`portdoctor wait --until`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, EnumString, EnumIter, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum Until {
    /// Something accepts connections, whatever it answers: a proxy whose
    /// backend is down counts.
    Accepts,
    /// It works as asked: verdict `reachable` (no finding of severity error).
    #[default]
    Healthy,
}

impl Report {
    /// Something accepted a connection.
    pub fn answered(&self) -> bool {
        self.addresses.iter().any(|a| a.outcome == Outcome::Open)
    }

    /// Up, in the sense asked for: what waiting for a service stops at
    /// (`portdoctor wait`, the page's watch).
    pub fn is_up(&self, until: Until) -> bool {
        match until {
            Until::Accepts => self.answered(),
            Until::Healthy => self.verdict == Verdict::Reachable,
        }
    }

    /// Checking again cannot change the answer: the target cannot be read,
    /// or the target policy refuses it. Waiting for it is pointless.
    pub fn is_final(&self) -> bool {
        self.verdict == Verdict::Invalid
            || self
                .findings
                .iter()
                .any(|f| f.code == Code::TargetNotAllowed)
    }

    /// Exit status of `portdoctor check` (docs/report.md): 0 reachable and
    /// working (warnings and notes may apply), 1 degraded or unreachable, 2
    /// invalid input.
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
    use strum::IntoEnumIterator as _;

    /// Every code's name as scripts match it: added to, never changed.
    #[test]
    fn codes_serialize_to_the_documented_names() {
        let documented = [
            "reachable",
            "port-out-of-range",
            "invalid-target",
            "name-not-resolved",
            "localhost-not-loopback",
            "nothing-listening",
            "listening-other-family",
            "listening-other-address",
            "filtered",
            "service-unresponsive",
            "connection-reset",
            "tls-expected",
            "plaintext-expected",
            "wrong-protocol",
            "silent-service",
            "http-error",
            "mcp-ok",
            "mcp-wrong-path",
            "mcp-rejected",
            "mcp-version-mismatch",
            "not-mcp",
            "port-in-use",
            "exposed-to-network",
            "tls-untrusted-certificate",
            "target-not-allowed",
            "container-published",
            "port-available",
            "mcp-not-acceptable",
            "mcp-no-answer",
            "mcp-error",
            "mcp-command-not-found",
            "mcp-process-exited",
            "mcp-bad-output",
            "mcp-bad-config",
            "mcp-not-checked",
            "loopback-down",
            "localhost-single-family",
            "wildcard-target",
            "forward-target-refused",
            "forward-target-unreachable",
            "forward-target-silent",
            "forward-target-remote",
            "process-stopped",
            "process-traced",
            "process-starting",
            "socket-activation-failed",
            "mcp-auth-no-metadata",
            "mcp-auth-metadata-unreachable",
            "mcp-auth-resource-mismatch",
            "mcp-auth-issuer-mismatch",
            "mcp-auth-no-pkce",
            "mcp-auth-no-registration",
            "mcp-login-failed",
            "mcp-signed-in",
            "mcp-endpoint-advertised",
        ];
        let names: Vec<_> = Code::iter().map(Code::as_str).collect();
        assert_eq!(
            names, documented,
            "a new code's name goes here, in its place"
        );
    }

    /// strum's names (text output, `--expect`, the page's `data-*`) are
    /// serde's, byte for byte, for every variant of every wire enum.
    fn one_name_per_variant<T>()
    where
        T: strum::IntoEnumIterator
            + Serialize
            + serde::de::DeserializeOwned
            + std::str::FromStr<Err = strum::ParseError>
            + Into<&'static str>
            + std::fmt::Display
            + Copy
            + PartialEq
            + std::fmt::Debug,
    {
        for variant in T::iter() {
            let name: &'static str = variant.into();
            assert_eq!(serde_json::to_value(variant).unwrap(), name);
            assert_eq!(variant.to_string(), name);
            assert_eq!(name.parse::<T>(), Ok(variant));
            assert_eq!(serde_json::from_value::<T>(name.into()).unwrap(), variant);
        }
    }

    #[test]
    fn wire_enums_have_one_name_per_variant() {
        one_name_per_variant::<Verdict>();
        one_name_per_variant::<Family>();
        one_name_per_variant::<Outcome>();
        one_name_per_variant::<ServiceProtocol>();
        one_name_per_variant::<McpTransport>();
        one_name_per_variant::<McpEra>();
        one_name_per_variant::<McpAuthCheck>();
        one_name_per_variant::<McpRegistration>();
        one_name_per_variant::<McpServerKind>();
        one_name_per_variant::<Severity>();
        one_name_per_variant::<Code>();
        one_name_per_variant::<Until>();
        one_name_per_variant::<crate::ErrorKind>();
    }

    #[test]
    fn an_owner_reads_as_what_the_os_said_and_unknown_as_unknown() {
        let listener = |pid: Option<u32>, process: Option<&str>| Listener {
            local_addr: "127.0.0.1:24777".into(),
            pid,
            process: process.map(str::to_owned),
            user: None,
            queue: None,
        };
        assert_eq!(listener(Some(42), Some("node")).owner(), "node (pid 42)");
        assert_eq!(listener(Some(42), None).owner(), "pid 42");
        assert_eq!(listener(Some(42), Some("")).owner(), "pid 42");
        assert_eq!(listener(None, Some("node")).owner(), "node");
        assert_eq!(listener(None, None).owner(), UNKNOWN_OWNER);
        assert_eq!(listener(None, Some("")).owner(), UNKNOWN_OWNER);
    }

    #[test]
    fn severity_orders_by_seriousness() {
        assert!(Severity::Error > Severity::Warning);
        assert!(Severity::Warning > Severity::Info);
        assert!(Severity::Info > Severity::Ok);
    }
}
