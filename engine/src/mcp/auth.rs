//! MCP authorization discovery: after a 401, walk the chain a client walks
//! before it can sign in, and say which link is broken.
//!
//! ```text
//! WWW-Authenticate (resource_metadata, scope)
//!  └ Protected Resource Metadata (RFC 9728): the resource_metadata link, else
//!    /.well-known/oauth-protected-resource/<path>, then .../oauth-protected-resource
//!     ├ resource: names this server
//!     └ authorization_servers[0] = issuer
//!        └ authorization server metadata, in the spec's order:
//!          issuer https://a/t1: /.well-known/oauth-authorization-server/t1,
//!            /.well-known/openid-configuration/t1, /t1/.well-known/openid-configuration
//!          issuer https://a:    /.well-known/oauth-authorization-server, /.well-known/openid-configuration
//!           ├ issuer equal to the one used     ├ PKCE S256
//!           └ registration (CIMD, DCR, pre-registered), scopes
//! no metadata at all (2025-03-26 servers): authorization server metadata at
//! the server's origin, else its default /authorize, /token, /register
//! ```
//!
//! Only GETs of documents meant to be public: no registration, no token
//! request, nothing that changes the server. Every URL goes through the
//! target policy, resolved and checked right before connecting, as a check
//! does; each fetch is a step of the report with its status and time.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use http::Method;
use protocol::{McpAuthCheck, McpAuthStep};
use serde_json::Value;
use url::Url;

use super::handshake::Limits;
use super::http::{Http, snippet};
use super::transport::CallError;
use crate::connect::micros;
use crate::policy::TargetPolicy;

/// What discovery found: the steps for the report, the broken links for
/// the diagnosis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthFacts {
    pub steps: Vec<McpAuthStep>,
    pub problems: Vec<AuthProblem>,
    /// What signing in needs, when the chain got as far as the
    /// authorization server's endpoints.
    pub chain: Option<Chain>,
}

/// The endpoints and choices the chain names: what a client signs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub issuer: String,
    /// The resource the token is for (RFC 8707 `resource`).
    pub resource: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub registration_endpoint: Option<Url>,
    /// `client_id_metadata_document_supported`.
    pub cimd: bool,
    /// `token_endpoint_auth_methods_supported` (empty: the default, client_secret_basic).
    pub auth_methods: Vec<String>,
    /// What a client asks for first.
    pub scopes: Vec<String>,
    /// RFC 9207: the server says it puts `iss` in the redirect.
    pub iss_in_redirect: bool,
}

/// A broken link of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthProblem {
    /// No Protected Resource Metadata at any place a client looks.
    /// `legacy`: authorization server metadata at the server's origin, which
    /// only clients of the 2025-03-26 revision use.
    NoMetadata {
        tried: Vec<String>,
        legacy: bool,
    },
    /// A document the chain names cannot be had.
    MetadataUnreachable {
        url: String,
        why: String,
    },
    ResourceMismatch {
        resource: String,
        server: String,
        metadata: String,
    },
    IssuerMismatch {
        issuer: String,
        found: String,
        metadata: String,
    },
    NoPkce {
        metadata: String,
        methods: Vec<String>,
    },
    NoRegistration {
        metadata: String,
    },
}

/// How to reach documents: the target policy, and the time left.
pub struct Fetcher<'a> {
    pub policy: &'a TargetPolicy,
    pub limits: Limits,
}

/// The answer to one GET of a metadata document.
pub(super) struct Fetched {
    pub status: Option<u16>,
    /// The JSON object, on 200.
    pub json: Result<serde_json::Map<String, Value>, String>,
}

impl Fetcher<'_> {
    /// A client for `url`'s server and the path to ask for, once its
    /// address passes the target policy; why not, otherwise.
    pub async fn reach(&self, url: &Url) -> Result<(Http, String), String> {
        let host = url.host_str().ok_or_else(|| format!("{url} has no host"))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| format!("{url} has no port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let local_name = host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost");
        if self.policy.loopback_only() && !local_name && host.parse::<IpAddr>().is_err() {
            return Err(format!(
                "not fetched: {host} is not this machine, and checks stay on loopback unless --allow-target allows its address"
            ));
        }
        let addrs: Vec<SocketAddr> =
            match tokio::time::timeout(self.limits.wait(), tokio::net::lookup_host((host, port)))
                .await
            {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(e)) => return Err(format!("{host} does not resolve ({e})")),
                Err(_) => return Err(format!("{host} did not resolve in time")),
            };
        let Some(addr) = addrs.iter().copied().find(|a| self.policy.allows(a.ip())) else {
            return Err(format!(
                "not fetched: {host} is outside the target policy (loopback unless --allow-target allows its address)"
            ));
        };
        let http = match url.scheme() {
            "https" => Http::secure(addr, host, port, None),
            "http" => Http::new(addr, host, port, None),
            other => return Err(format!("not fetched: scheme {other}")),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        Ok((http, path))
    }

    pub(super) async fn get(&self, url: &Url) -> Fetched {
        let failed = |why: String| Fetched {
            status: None,
            json: Err(why),
        };
        let (http, path) = match self.reach(url).await {
            Ok(reached) => reached,
            Err(why) => return failed(why),
        };
        let wait = self.limits.wait();
        let sent = tokio::time::timeout(wait, async {
            let answer = http
                .send(Method::GET, &path, &[("accept", "application/json")], None)
                .await?;
            let status = answer.status;
            Ok::<_, CallError>((status, answer.text().await?))
        })
        .await
        .unwrap_or(Err(CallError::Timeout(wait)));
        match sent {
            Err(e) => failed(e.to_string()),
            Ok((status, _)) if status != 200 => Fetched {
                status: Some(status),
                json: Err(format!("HTTP {status}")),
            },
            Ok((status, body)) => Fetched {
                status: Some(status),
                json: match serde_json::from_str::<Value>(&body) {
                    Ok(Value::Object(map)) => Ok(map),
                    _ => Err(format!("not a JSON object: {}", snippet(&body))),
                },
            },
        }
    }
}

/// Walks the chain for the server at `server_url`, which answered 401 with
/// `challenge` (its `WWW-Authenticate`, if any).
pub async fn discover(
    fetcher: &Fetcher<'_>,
    server_url: &Url,
    challenge: Option<&str>,
) -> AuthFacts {
    let mut walk = Walk {
        fetcher,
        facts: AuthFacts::default(),
    };
    let params = bearer_params(challenge.unwrap_or_default());
    let named = params
        .iter()
        .find(|(k, _)| k == "resource_metadata")
        .and_then(|(_, v)| server_url.join(v).ok());
    let challenge_scope = params
        .iter()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone());

    let linked = named.is_some();
    let Some(prm) = walk.resource_metadata(server_url, named).await else {
        // A broken link is the finding; without one, the server may be of
        // the 2025-03-26 revision, which had no resource metadata.
        if !linked {
            walk.legacy(server_url).await;
        }
        return walk.facts;
    };
    walk.resource(server_url, &prm);
    let issuer = prm
        .json
        .get("authorization_servers")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(issuer) = issuer else {
        walk.facts.problems.push(AuthProblem::MetadataUnreachable {
            url: prm.url.to_string(),
            why: "it lists no authorization_servers".to_owned(),
        });
        return walk.facts;
    };
    let Some(asm) = walk.server_metadata(&issuer).await else {
        return walk.facts;
    };
    walk.issuer(&issuer, &asm);
    walk.requirements(&asm);
    let scopes = challenge_scope.or_else(|| {
        prm.json
            .get("scopes_supported")
            .and_then(Value::as_array)
            .map(|a| strings(a).join(" "))
    });
    walk.facts.chain = chain(&issuer, &prm, &asm, server_url, scopes.as_deref());
    walk.facts.steps.push(step(
        McpAuthCheck::Scopes,
        None,
        None,
        Instant::now(),
        true,
        match scopes {
            Some(s) if !s.is_empty() => format!("a client asks for: {s}"),
            _ => "none named: a client asks for none".to_owned(),
        },
    ));
    walk.facts
}

/// A fetched document and where it came from.
struct Document {
    url: Url,
    json: serde_json::Map<String, Value>,
}

struct Walk<'f, 'a> {
    fetcher: &'f Fetcher<'a>,
    facts: AuthFacts,
}

impl Walk<'_, '_> {
    /// Fetches each URL in turn, a step each, until one is a JSON object.
    async fn first_of(&mut self, check: McpAuthCheck, urls: &[Url]) -> Option<Document> {
        for url in urls {
            let started = Instant::now();
            let fetched = self.fetcher.get(url).await;
            match fetched.json {
                Ok(json) => {
                    let detail = summary(check, &json);
                    self.facts.steps.push(step(
                        check,
                        Some(url),
                        fetched.status,
                        started,
                        true,
                        detail,
                    ));
                    return Some(Document {
                        url: url.clone(),
                        json,
                    });
                }
                Err(why) => self.facts.steps.push(step(
                    check,
                    Some(url),
                    fetched.status,
                    started,
                    false,
                    why,
                )),
            }
        }
        None
    }

    /// Step 1: the resource's metadata, from the link or the well-known URLs.
    async fn resource_metadata(&mut self, server: &Url, named: Option<Url>) -> Option<Document> {
        let check = McpAuthCheck::ResourceMetadata;
        if let Some(link) = named {
            let found = self.first_of(check, std::slice::from_ref(&link)).await;
            if found.is_none() {
                let why = self.last_detail();
                self.facts.problems.push(AuthProblem::MetadataUnreachable {
                    url: link.to_string(),
                    why,
                });
            }
            return found;
        }
        let path = server.path().trim_end_matches('/');
        let mut urls = Vec::new();
        if !path.is_empty() {
            urls.push(origin(
                server,
                &format!("/.well-known/oauth-protected-resource{path}"),
            ));
        }
        urls.push(origin(server, "/.well-known/oauth-protected-resource"));
        let found = self.first_of(check, &urls).await;
        if found.is_none() {
            self.facts.problems.push(AuthProblem::NoMetadata {
                tried: urls.iter().map(Url::to_string).collect(),
                legacy: false,
            });
        }
        found
    }

    /// The metadata's `resource` must name this server (the same origin, a
    /// path this server's is under), or conforming clients stop.
    fn resource(&mut self, server: &Url, prm: &Document) {
        let resource = prm.json.get("resource").and_then(Value::as_str);
        let ok = resource.is_some_and(|r| covers(r, server));
        self.facts.steps.push(step(
            McpAuthCheck::Resource,
            None,
            None,
            Instant::now(),
            ok,
            match resource {
                Some(r) if ok => format!("{r} covers {server}"),
                Some(r) => format!("{r} is not {server}"),
                None => "the metadata names no resource".to_owned(),
            },
        ));
        if !ok {
            self.facts.problems.push(AuthProblem::ResourceMismatch {
                resource: resource.unwrap_or("(none)").to_owned(),
                server: server.to_string(),
                metadata: prm.url.to_string(),
            });
        }
    }

    /// Step 2: the authorization server's metadata, where the spec says.
    async fn server_metadata(&mut self, issuer: &str) -> Option<Document> {
        let Ok(url) = Url::parse(issuer) else {
            self.facts.problems.push(AuthProblem::MetadataUnreachable {
                url: issuer.to_owned(),
                why: "the authorization server is not a URL".to_owned(),
            });
            return None;
        };
        let path = url.path().trim_end_matches('/');
        let places: Vec<String> = if path.is_empty() {
            vec![
                "/.well-known/oauth-authorization-server".to_owned(),
                "/.well-known/openid-configuration".to_owned(),
            ]
        } else {
            vec![
                format!("/.well-known/oauth-authorization-server{path}"),
                format!("/.well-known/openid-configuration{path}"),
                format!("{path}/.well-known/openid-configuration"),
            ]
        };
        let urls: Vec<Url> = places.iter().map(|p| origin(&url, p)).collect();
        let found = self.first_of(McpAuthCheck::ServerMetadata, &urls).await;
        if found.is_none() {
            self.facts.problems.push(AuthProblem::MetadataUnreachable {
                url: issuer.to_owned(),
                why: format!(
                    "no authorization server metadata at {}",
                    urls.iter()
                        .map(Url::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        found
    }

    /// RFC 8414 §3.3: the `issuer` inside must be the issuer used, exactly.
    fn issuer(&mut self, issuer: &str, asm: &Document) {
        let found = asm.json.get("issuer").and_then(Value::as_str);
        let ok = found == Some(issuer);
        self.facts.steps.push(step(
            McpAuthCheck::Issuer,
            None,
            None,
            Instant::now(),
            ok,
            match found {
                Some(f) if ok => format!("{f}, as expected"),
                Some(f) => format!("{f}, but it was fetched for {issuer}"),
                None => "the metadata names no issuer".to_owned(),
            },
        ));
        if !ok {
            self.facts.problems.push(AuthProblem::IssuerMismatch {
                issuer: issuer.to_owned(),
                found: found.unwrap_or("(none)").to_owned(),
                metadata: asm.url.to_string(),
            });
        }
    }

    /// Step 3: what a client needs from the authorization server.
    fn requirements(&mut self, asm: &Document) {
        let metadata = asm.url.to_string();
        let methods = asm
            .json
            .get("code_challenge_methods_supported")
            .and_then(Value::as_array)
            .map(|a| strings(a))
            .unwrap_or_default();
        let pkce = methods.iter().any(|m| m == "S256");
        self.facts.steps.push(step(
            McpAuthCheck::Pkce,
            None,
            None,
            Instant::now(),
            pkce,
            if methods.is_empty() {
                "code_challenge_methods_supported is missing".to_owned()
            } else {
                format!("code_challenge_methods_supported: {}", methods.join(", "))
            },
        ));
        if !pkce {
            self.facts.problems.push(AuthProblem::NoPkce {
                metadata: metadata.clone(),
                methods,
            });
        }
        let cimd = asm
            .json
            .get("client_id_metadata_document_supported")
            .and_then(Value::as_bool)
            == Some(true);
        let dcr = asm
            .json
            .get("registration_endpoint")
            .and_then(Value::as_str);
        let mut ways = Vec::new();
        if cimd {
            ways.push("Client ID Metadata Documents".to_owned());
        }
        if let Some(endpoint) = dcr {
            ways.push(format!("Dynamic Client Registration at {endpoint}"));
        }
        let auth_methods = asm
            .json
            .get("token_endpoint_auth_methods_supported")
            .and_then(Value::as_array)
            .map(|a| strings(a).join(", "))
            .unwrap_or_else(|| "client_secret_basic (the default)".to_owned());
        self.facts.steps.push(step(
            McpAuthCheck::Registration,
            None,
            None,
            Instant::now(),
            !ways.is_empty(),
            format!(
                "{}; token endpoint authentication: {auth_methods}",
                if ways.is_empty() {
                    "pre-registered clients only".to_owned()
                } else {
                    ways.join(", ")
                }
            ),
        ));
        if ways.is_empty() {
            self.facts
                .problems
                .push(AuthProblem::NoRegistration { metadata });
        }
    }

    /// Step 4, for servers of the 2025-03-26 revision: metadata at the
    /// server's origin, else its default endpoints.
    async fn legacy(&mut self, server: &Url) {
        let urls = [origin(server, "/.well-known/oauth-authorization-server")];
        if let Some(asm) = self.first_of(McpAuthCheck::ServerMetadata, &urls).await {
            if let Some(AuthProblem::NoMetadata { legacy, .. }) = self.facts.problems.last_mut() {
                *legacy = true;
            }
            self.requirements(&asm);
            return;
        }
        let started = Instant::now();
        let mut seen = Vec::new();
        // Any answer but 404 means a route is there.
        let mut any = false;
        for path in ["/authorize", "/token", "/register"] {
            let url = origin(server, path);
            let fetched = self.fetcher.get(&url).await;
            any |= fetched.status.is_some_and(|s| s != 404);
            seen.push(match fetched.status {
                Some(status) => format!("{path} {status}"),
                None => format!("{path}: {}", fetched.json.err().unwrap_or_default()),
            });
            if let Some(AuthProblem::NoMetadata { tried, .. }) = self.facts.problems.last_mut() {
                tried.push(url.to_string());
            }
        }
        self.facts.steps.push(step(
            McpAuthCheck::DefaultEndpoints,
            Some(&origin(server, "/")),
            None,
            started,
            any,
            seen.join(", "),
        ));
    }

    fn last_detail(&self) -> String {
        self.facts
            .steps
            .last()
            .map(|s| s.detail.clone())
            .unwrap_or_default()
    }
}

/// What signing in needs from the two documents; `None` without both endpoints.
fn chain(
    issuer: &str,
    prm: &Document,
    asm: &Document,
    server: &Url,
    scopes: Option<&str>,
) -> Option<Chain> {
    let url = |key: &str| {
        asm.json
            .get(key)
            .and_then(Value::as_str)
            .and_then(|u| Url::parse(u).ok())
    };
    let list = |key: &str| {
        asm.json
            .get(key)
            .and_then(Value::as_array)
            .map(|a| strings(a))
            .unwrap_or_default()
    };
    Some(Chain {
        issuer: issuer.to_owned(),
        resource: prm
            .json
            .get("resource")
            .and_then(Value::as_str)
            .map_or_else(|| server.to_string(), str::to_owned),
        authorization_endpoint: url("authorization_endpoint")?,
        token_endpoint: url("token_endpoint")?,
        registration_endpoint: url("registration_endpoint"),
        cimd: asm.json.get("client_id_metadata_document_supported") == Some(&Value::Bool(true)),
        auth_methods: list("token_endpoint_auth_methods_supported"),
        scopes: scopes
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        iss_in_redirect: asm
            .json
            .get("authorization_response_iss_parameter_supported")
            == Some(&Value::Bool(true)),
    })
}

/// One step of the chain, timed from `started`.
pub(super) fn step(
    check: McpAuthCheck,
    url: Option<&Url>,
    http_status: Option<u16>,
    started: Instant,
    ok: bool,
    detail: String,
) -> McpAuthStep {
    McpAuthStep {
        check,
        url: url.map(Url::to_string),
        http_status,
        elapsed_us: micros(started.elapsed()),
        ok,
        detail,
    }
}

/// `path` on the origin of `url`.
fn origin(url: &Url, path: &str) -> Url {
    let mut at = url.clone();
    at.set_query(None);
    at.set_fragment(None);
    at.set_path(path);
    at
}

/// Whether a `resource` identifier covers the server's URL: the same
/// origin, and the server's path at or under the resource's (the check the
/// official TypeScript SDK's client makes).
fn covers(resource: &str, server: &Url) -> bool {
    let Ok(resource) = Url::parse(resource) else {
        return false;
    };
    let base = resource.path().trim_end_matches('/');
    let path = server.path().trim_end_matches('/');
    resource.origin() == server.origin() && (path == base || path.starts_with(&format!("{base}/")))
}

/// The parameters of the `Bearer` challenge, unescaped (RFC 9110 §11.6.1,
/// parsed by http-auth).
pub(super) fn bearer_params(header: &str) -> Vec<(String, String)> {
    http_auth::parse_challenges(header)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .flat_map(|c| c.params)
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_unescaped()))
        .collect()
}

fn strings(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// What a fetched document says, in a line.
fn summary(check: McpAuthCheck, json: &serde_json::Map<String, Value>) -> String {
    let field = |k: &str| json.get(k).and_then(Value::as_str).unwrap_or("(none)");
    match check {
        McpAuthCheck::ResourceMetadata => format!(
            "resource {}; authorization servers: {}",
            field("resource"),
            json.get("authorization_servers")
                .and_then(Value::as_array)
                .map(|a| strings(a).join(", "))
                .unwrap_or_else(|| "(none)".to_owned())
        ),
        _ => format!(
            "issuer {}; authorize at {}; tokens at {}",
            field("issuer"),
            field("authorization_endpoint"),
            field("token_endpoint")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parameters_are_unescaped_whatever_their_case() {
        let params = bearer_params(
            r#"Basic realm="x", Bearer Resource_Metadata="http://a/.well-known/oauth-protected-resource/mcp", scope="files:read files:write", error="invalid_token""#,
        );
        assert_eq!(
            params,
            [
                (
                    "resource_metadata".to_owned(),
                    "http://a/.well-known/oauth-protected-resource/mcp".to_owned()
                ),
                ("scope".to_owned(), "files:read files:write".to_owned()),
                ("error".to_owned(), "invalid_token".to_owned()),
            ]
        );
        assert!(bearer_params("garbage ,, =").is_empty());
    }

    #[test]
    fn a_resource_covers_its_server_and_paths_under_it() {
        let server = Url::parse("http://127.0.0.1:8000/mcp").unwrap();
        for yes in [
            "http://127.0.0.1:8000/mcp",
            "http://127.0.0.1:8000/mcp/",
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/",
        ] {
            assert!(covers(yes, &server), "{yes}");
        }
        for no in [
            "http://localhost:8000/mcp",
            "https://127.0.0.1:8000/mcp",
            "http://127.0.0.1:8001/mcp",
            "http://127.0.0.1:8000/mcpx",
            "http://127.0.0.1:8000/other",
            "not a url",
        ] {
            assert!(!covers(no, &server), "{no}");
        }
    }
}
