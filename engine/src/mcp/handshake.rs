//! Era detection and the calls of a check, written once for every transport.
//!
//! MCP has two eras: the handshake era (`initialize`, a session) and the
//! stateless era (`server/discover`, `_meta` on every request); the report's
//! `mcp.era` says which answered. Probe `server/discover` the stateless way
//! first. A recognised stateless-era error is an answer in its
//! own right; anything else that is not positive evidence of a stateless
//! server (a 400 without a modern error, `method not found`, no answer) falls
//! back to `initialize`, as the official SDK's client does, so no one error
//! code decides the era. Then list what the server offers.

use std::time::{Duration, Instant};

use protocol::{McpEra, McpServerInfo, McpStep};
use serde_json::{Value, json};

use super::jsonrpc::{
    self, HANDSHAKE_VERSIONS, HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY, MODERN_VERSIONS,
    UNSUPPORTED_VERSION,
};
use super::transport::{CallError, Envelope, Transport};
use crate::connect::micros;

/// Pages of a list we follow before counting what we have.
const MAX_PAGES: usize = 10;

/// What both sides agreed on, and what the server said about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreed {
    pub era: McpEra,
    pub version: String,
    pub server: Option<McpServerInfo>,
    /// Names of the announced capabilities.
    pub capabilities: Vec<String>,
    /// Every version the server announced on the way, in its order.
    pub server_versions: Vec<String>,
}

/// What the server offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub tools: Option<Vec<String>>,
    pub resources: Option<u32>,
    pub prompts: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HandshakeError {
    /// A call failed: which one, and how.
    Call { step: String, error: CallError },
    /// The server speaks only versions portdoctor does not know.
    VersionMismatch {
        theirs: Vec<String>,
        server: Option<McpServerInfo>,
    },
}

/// How long a check may wait: for each answer, and for all of them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub deadline: Instant,
}

impl Limits {
    /// The time the next exchange may take.
    pub fn wait(&self) -> Duration {
        self.timeout
            .min(self.deadline.saturating_duration_since(Instant::now()))
    }
}

/// A client over one transport: numbers the requests, bounds each in time,
/// and records every exchange for the report.
pub struct Client<'t, T> {
    transport: &'t mut T,
    next_id: u64,
    limits: Limits,
    /// Whether a `server/discover` left unanswered still leads to
    /// `initialize`: right on stdio, where servers of the 2025 SDKs ignore
    /// requests that come before `initialize`; over HTTP they answer 400,
    /// so silence there means a hung server.
    patient: bool,
    pub steps: Vec<McpStep>,
    /// Requests that went unanswered, and how long each was waited for.
    pub unanswered: Vec<(String, Duration)>,
    /// Versions the server named anywhere: `supportedVersions`, the
    /// `supported` list of a version error, `initialize`'s answer.
    announced: Vec<String>,
}

impl<'t, T: Transport> Client<'t, T> {
    pub fn new(transport: &'t mut T, limits: Limits, patient: bool) -> Self {
        Self {
            transport,
            next_id: 1,
            limits,
            patient,
            steps: Vec::new(),
            unanswered: Vec::new(),
            announced: Vec::new(),
        }
    }

    /// Finds the era and agrees on a version.
    pub async fn agree(&mut self) -> Result<Agreed, HandshakeError> {
        match self.discover().await {
            Err(CallError::Timeout(_)) if self.patient => match self.initialize().await {
                // A slow starter answered the discover after all, and now
                // serves the stateless era: ask it again.
                Err(HandshakeError::Call {
                    error: CallError::Rpc { error, .. },
                    ..
                }) if error.code == UNSUPPORTED_VERSION => {
                    let answer = self.discover().await;
                    self.after_discover(answer).await
                }
                other => other,
            },
            answer => self.after_discover(answer).await,
        }
    }

    async fn discover(&mut self) -> Result<Value, CallError> {
        let version = MODERN_VERSIONS[MODERN_VERSIONS.len() - 1];
        let params = json!({ "_meta": jsonrpc::modern_meta(version) });
        // A patient client keeps half of its time for `initialize`, so a
        // server that ignores the discover still fits in the user's timeout.
        let wait = if self.patient {
            self.wait().min(self.limits.timeout / 2)
        } else {
            self.wait()
        };
        let answer = self
            .call_within(wait, "server/discover", &params, Envelope::Modern(version))
            .await;
        match &answer {
            Ok(result) => self.announce(jsonrpc::strings(result.get("supportedVersions"))),
            Err(error) => self.announce(announced_in(error)),
        }
        answer
    }

    /// Remembers versions the server named, once each, in its order.
    fn announce(&mut self, versions: Vec<String>) {
        for version in versions {
            if !self.announced.contains(&version) {
                self.announced.push(version);
            }
        }
    }

    /// What a `server/discover` answer (or its failure) leads to.
    async fn after_discover(
        &mut self,
        answer: Result<Value, CallError>,
    ) -> Result<Agreed, HandshakeError> {
        match answer {
            Ok(result) => {
                let theirs = jsonrpc::strings(result.get("supportedVersions"));
                match MODERN_VERSIONS
                    .iter()
                    .rev()
                    .find(|v| theirs.contains(&v.to_string()))
                {
                    Some(version) => Ok(Agreed {
                        era: McpEra::Stateless,
                        version: (*version).to_owned(),
                        server: server_info(&result),
                        capabilities: capability_names(&result),
                        server_versions: self.announced.clone(),
                    }),
                    // Discover answered, but offers no stateless version:
                    // a handshake-era advertisement.
                    None => self.initialize().await,
                }
            }
            Err(CallError::Rpc { error, .. }) if error.code == UNSUPPORTED_VERSION => {
                let theirs = error.supported_versions();
                if !theirs.is_empty() && !theirs.iter().any(|v| is_known(v)) {
                    return Err(HandshakeError::VersionMismatch {
                        theirs,
                        server: None,
                    });
                }
                self.initialize().await
            }
            Err(error) if falls_back(&error) => self.initialize().await,
            Err(error) => Err(HandshakeError::Call {
                step: "server/discover".to_owned(),
                error,
            }),
        }
    }

    /// The handshake era's `initialize`, then `notifications/initialized`.
    pub async fn initialize(&mut self) -> Result<Agreed, HandshakeError> {
        let offer = HANDSHAKE_VERSIONS[HANDSHAKE_VERSIONS.len() - 1];
        let params = json!({
            "protocolVersion": offer,
            "capabilities": {},
            "clientInfo": jsonrpc::client_info(),
        });
        let answer = self.call("initialize", &params, Envelope::Bare).await;
        if let Err(error) = &answer {
            self.announce(announced_in(error));
        }
        let result = match answer {
            Ok(result) => result,
            Err(CallError::Rpc { error, .. })
                if !error.supported_versions().is_empty()
                    && !error.supported_versions().iter().any(|v| is_known(v)) =>
            {
                return Err(HandshakeError::VersionMismatch {
                    theirs: self.announced.clone(),
                    server: None,
                });
            }
            Err(error) => return Err(failed("initialize", error)),
        };
        let server = server_info(&result);
        let Some(version) = result.get("protocolVersion").and_then(Value::as_str) else {
            return Err(failed(
                "initialize",
                CallError::NotJsonRpc("the initialize result has no protocolVersion".to_owned()),
            ));
        };
        self.announce(vec![version.to_owned()]);
        if !HANDSHAKE_VERSIONS.contains(&version) {
            return Err(HandshakeError::VersionMismatch {
                theirs: self.announced.clone(),
                server,
            });
        }
        self.notify("notifications/initialized", Envelope::Handshake(version))
            .await
            .map_err(|error| failed("notifications/initialized", error))?;
        Ok(Agreed {
            era: McpEra::Handshake,
            version: version.to_owned(),
            server,
            capabilities: capability_names(&result),
            server_versions: self.announced.clone(),
        })
    }

    /// Lists tools, and resources and prompts where the server announces them.
    pub async fn inventory(&mut self, agreed: &Agreed) -> Result<Inventory, HandshakeError> {
        let tools = match self.list(agreed, "tools/list", "tools").await {
            Ok(tools) => Some(
                tools
                    .iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect(),
            ),
            // A server without tools may well not know the method.
            Err(HandshakeError::Call {
                error: CallError::Rpc { .. },
                ..
            }) if !agreed.capabilities.iter().any(|c| c == "tools") => None,
            Err(e) => return Err(e),
        };
        Ok(Inventory {
            tools,
            resources: self.count(agreed, "resources").await?,
            prompts: self.count(agreed, "prompts").await?,
        })
    }

    /// How many `resources` or `prompts` there are, if the server announces them.
    async fn count(&mut self, agreed: &Agreed, kind: &str) -> Result<Option<u32>, HandshakeError> {
        if !agreed.capabilities.iter().any(|c| c == kind) {
            return Ok(None);
        }
        let items = self.list(agreed, &format!("{kind}/list"), kind).await?;
        Ok(Some(u32::try_from(items.len()).unwrap_or(u32::MAX)))
    }

    /// Every item of a paginated list, up to [`MAX_PAGES`] pages.
    async fn list(
        &mut self,
        agreed: &Agreed,
        method: &str,
        key: &str,
    ) -> Result<Vec<Value>, HandshakeError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = json!({});
            let envelope = match agreed.era {
                McpEra::Stateless => {
                    params["_meta"] = jsonrpc::modern_meta(&agreed.version);
                    Envelope::Modern(&agreed.version)
                }
                McpEra::Handshake => Envelope::Handshake(&agreed.version),
            };
            if let Some(cursor) = &cursor {
                params["cursor"] = json!(cursor);
            }
            let result = self
                .call(method, &params, envelope)
                .await
                .map_err(|error| failed(method, error))?;
            match result.get(key).and_then(Value::as_array) {
                Some(page) => items.extend(page.iter().cloned()),
                None => {
                    return Err(failed(
                        method,
                        CallError::NotJsonRpc(format!("the {method} result has no \"{key}\" list")),
                    ));
                }
            }
            cursor = result
                .get("nextCursor")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(items)
    }

    async fn call(
        &mut self,
        method: &str,
        params: &Value,
        envelope: Envelope<'_>,
    ) -> Result<Value, CallError> {
        let wait = self.wait();
        self.call_within(wait, method, params, envelope).await
    }

    async fn call_within(
        &mut self,
        wait: Duration,
        method: &str,
        params: &Value,
        envelope: Envelope<'_>,
    ) -> Result<Value, CallError> {
        let id = self.next_id;
        self.next_id += 1;
        let started = Instant::now();
        let answer = tokio::time::timeout(wait, self.transport.call(id, method, params, envelope))
            .await
            .unwrap_or(Err(CallError::Timeout(wait)));
        if matches!(answer, Err(CallError::Timeout(_))) {
            self.unanswered.push((method.to_owned(), wait));
        }
        self.record(method, started);
        answer
    }

    async fn notify(&mut self, method: &str, envelope: Envelope<'_>) -> Result<(), CallError> {
        let started = Instant::now();
        let wait = self.wait();
        let sent = tokio::time::timeout(wait, self.transport.notify(method, envelope))
            .await
            .unwrap_or(Err(CallError::Timeout(wait)));
        self.record(method, started);
        sent
    }

    fn wait(&self) -> Duration {
        self.limits.wait()
    }

    fn record(&mut self, step: &str, started: Instant) {
        self.steps.push(McpStep {
            step: step.to_owned(),
            http_status: self.transport.status(),
            elapsed_us: micros(started.elapsed()),
        });
    }
}

/// Whether a failed `server/discover` leaves `initialize` worth trying: yes,
/// unless the answer is a recognised stateless-era error or says there is
/// no MCP endpoint here at all.
fn falls_back(error: &CallError) -> bool {
    match error {
        CallError::Rpc { error, .. } => {
            ![HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY].contains(&error.code)
        }
        CallError::Http(refusal) => refusal.status == 400,
        CallError::Timeout(_) => false,
        CallError::NotJsonRpc(_) | CallError::NotHttp(_) | CallError::Broken(_) => false,
    }
}

/// Versions a failed call's answer names: the `supported` list of a version
/// error, or the list the TypeScript SDK writes into its 400 for a version
/// header it does not know ("... (supported versions: 2025-11-25, 2025-06-18,
/// ...)"), its only way of saying them.
fn announced_in(error: &CallError) -> Vec<String> {
    let message = match error {
        CallError::Rpc { error, .. } if !error.supported_versions().is_empty() => {
            return error.supported_versions();
        }
        CallError::Rpc { error, .. } => error.message.as_str(),
        CallError::Http(refusal) => refusal.body.as_str(),
        _ => return Vec::new(),
    };
    message
        .split_once("supported versions:")
        .map(|(_, rest)| rest.split(')').next().unwrap_or(rest))
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 32)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn failed(step: &str, error: CallError) -> HandshakeError {
    HandshakeError::Call {
        step: step.to_owned(),
        error,
    }
}

fn is_known(version: &str) -> bool {
    HANDSHAKE_VERSIONS.contains(&version) || MODERN_VERSIONS.contains(&version)
}

/// `serverInfo` of `initialize`; in the stateless era, `serverInfo` or the
/// `_meta` stamp the official SDK puts it in.
fn server_info(result: &Value) -> Option<McpServerInfo> {
    let info = result.get("serverInfo").or_else(|| {
        result
            .get("_meta")
            .and_then(|m| m.get("io.modelcontextprotocol/serverInfo"))
    })?;
    let text = |key| {
        info.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Some(McpServerInfo {
        name: text("name"),
        version: text("version"),
    })
}

fn capability_names(result: &Value) -> Vec<String> {
    result
        .get("capabilities")
        .and_then(Value::as_object)
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
