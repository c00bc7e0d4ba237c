//! Signing in to an MCP server, on request: the OAuth 2.1 authorization
//! code flow with PKCE (S256) and the `resource` parameter (RFC 8707), on a
//! loopback redirect URI (RFC 8252).
//!
//! ```text
//! bind 127.0.0.1:0 ─ client id: given (pre-registered or a metadata document URL), else DCR
//!  └ per sign-in: authorize URL → the opener (a browser) → callback: state, iss → token
//! ```
//!
//! The chain's facts come from discovery ([`super::auth::Chain`]); every
//! request goes through the target policy like discovery's GETs. The access
//! token lives in memory for one check: [`Token`] never prints it, and the
//! report only describes it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use protocol::{McpAuthCheck, McpAuthStep, McpRegistration};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::{Url, form_urlencoded};

use super::auth::{self, Chain, Fetcher};
use super::handshake::Limits;
use super::http::snippet;
use crate::policy::TargetPolicy;

/// How long the person has to sign in, unless told otherwise.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(120);
/// Sign-ins after the first, when the server wants more scopes.
pub const MAX_STEP_UPS: u8 = 3;
/// A browser's request to the loopback URI is small; anything larger is not one.
const MAX_CALLBACK_REQUEST: usize = 16 * 1024;
/// A connection to the loopback URI gets this long to send its request.
const CALLBACK_CONNECTION: Duration = Duration::from_secs(10);

/// What signing in needs besides the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOptions {
    /// A client id (and secret) the user gave: used as it is, no registration.
    pub client: Option<ClientCredentials>,
    /// Shows the authorization URL to the person signing in.
    pub opener: Opener,
    /// How long each sign-in may wait for the browser's redirect.
    pub timeout: Duration,
    /// The loopback redirect URI's port; 0: one the OS picks. A fixed one
    /// is for pre-registered clients whose server compares redirect URIs
    /// exactly (RFC 8252 says any port should do; not every server agrees).
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: Option<Secret>,
}

/// A value that must not be shown: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

/// Opens the authorization URL: a browser for the CLI, the page's popup for
/// the helper. An error is said in the report; the sign-in still waits, as
/// the person may open the URL by hand. It also hears when the browser came
/// back to the loopback URI: the page then knows its popup closing is the
/// sign-in's end, not the person giving up.
#[derive(Clone)]
pub struct Opener(Arc<OpenFn>, Option<Arc<ReturnedFn>>);

type OpenFn = dyn Fn(&str) -> Result<(), String> + Send + Sync;
type ReturnedFn = dyn Fn() + Send + Sync;

impl Opener {
    pub fn new(open: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(open), None)
    }

    /// Also calls `returned` each time the browser comes back to the
    /// loopback URI (with a code or an error).
    pub fn on_return(self, returned: impl Fn() + Send + Sync + 'static) -> Self {
        Self(self.0, Some(Arc::new(returned)))
    }
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opener")
    }
}

impl PartialEq for Opener {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Opener {}

/// An access token, in memory only.
pub struct Token {
    access: Secret,
    pub token_type: String,
    pub scopes: Vec<String>,
    pub expires_in_s: Option<u64>,
}

impl Token {
    /// The `Authorization` header that carries it, marked sensitive so no
    /// HTTP machinery shows it.
    pub fn header(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.access.expose())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("token_type", &self.token_type)
            .field("scopes", &self.scopes)
            .field("expires_in_s", &self.expires_in_s)
            .finish_non_exhaustive()
    }
}

/// Why signing in stopped, at which step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginProblem {
    #[error("not tried: {0}")]
    NotTried(String),
    #[error("no client id: {0}")]
    NoClient(String),
    #[error("registration at {url} failed: {why}")]
    Registration { url: String, why: String },
    #[error("the loopback redirect URI cannot be served: {0}")]
    Loopback(String),
    #[error("no redirect came back to {redirect_uri} within {} s", .waited.as_secs())]
    TimedOut {
        redirect_uri: String,
        waited: Duration,
    },
    #[error("the authorization server answered {error}{}", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("the redirect's state is not the one sent: not this sign-in's answer")]
    StateMismatch,
    #[error("the redirect's iss is {}, not the issuer {expected}", .found.as_deref().unwrap_or("missing"))]
    IssuerMismatch {
        expected: String,
        found: Option<String>,
    },
    #[error("the redirect carries no code")]
    NoCode,
    #[error("the token endpoint {url} refused the code: {why}")]
    Token { url: String, why: String },
    #[error("the server still answers 403 insufficient_scope after {} sign-in{}, the last for scope \"{}\"", .sign_ins, if *.sign_ins == 1 { "" } else { "s" }, .scopes.join(" "))]
    InsufficientScope { scopes: Vec<String>, sign_ins: u8 },
}

impl LoginProblem {
    /// The step it stopped at.
    pub fn step(&self) -> McpAuthCheck {
        match self {
            Self::NotTried(_) | Self::NoClient(_) | Self::Registration { .. } => {
                McpAuthCheck::Register
            }
            Self::Loopback(_) | Self::InsufficientScope { .. } => McpAuthCheck::Authorize,
            Self::TimedOut { .. }
            | Self::Denied { .. }
            | Self::StateMismatch
            | Self::IssuerMismatch { .. }
            | Self::NoCode => McpAuthCheck::Callback,
            Self::Token { .. } => McpAuthCheck::Token,
        }
    }
}

/// A registered (or given) client.
struct Client {
    id: String,
    secret: Option<Secret>,
    method: AuthMethod,
    registration: McpRegistration,
    /// The scopes it registered for (Dynamic Client Registration): an
    /// authorization server may refuse to grant others to it.
    scopes: Vec<String>,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthMethod {
    Basic,
    Post,
    None,
}

impl AuthMethod {
    fn name(self) -> &'static str {
        match self {
            Self::Basic => "client_secret_basic",
            Self::Post => "client_secret_post",
            Self::None => "none",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Basic, Self::Post, Self::None]
            .into_iter()
            .find(|m| m.name() == name)
    }

    /// What to register with: a public client when the server takes one (a
    /// CLI keeps no secret better than a browser does), else a secret in
    /// the way advertised, `client_secret_basic` by default (RFC 8414).
    fn preferred(advertised: &[String]) -> Self {
        let has = |m: Self| advertised.iter().any(|a| a == m.name());
        if has(Self::None) {
            Self::None
        } else if has(Self::Basic) || advertised.is_empty() {
            Self::Basic
        } else if has(Self::Post) {
            Self::Post
        } else {
            Self::Basic
        }
    }
}

/// One sign-in session: the loopback listener and the client, kept across
/// step-ups; the steps, for the report.
pub struct Session<'a> {
    chain: &'a Chain,
    policy: &'a TargetPolicy,
    options: &'a LoginOptions,
    /// Each HTTP request's own bound.
    request_timeout: Duration,
    redirect_uri: String,
    callbacks: mpsc::Receiver<Vec<(String, String)>>,
    server: JoinHandle<()>,
    client: Option<Client>,
    pub steps: Vec<McpAuthStep>,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl<'a> Session<'a> {
    /// Binds the loopback redirect URI: 127.0.0.1 on a port the OS picks.
    pub async fn start(
        chain: &'a Chain,
        policy: &'a TargetPolicy,
        options: &'a LoginOptions,
        request_timeout: Duration,
    ) -> Result<Self, LoginProblem> {
        let listener = TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|e| LoginProblem::Loopback(format!("127.0.0.1:{}: {e}", options.port)))?;
        let port = listener
            .local_addr()
            .map_err(|e| LoginProblem::Loopback(e.to_string()))?
            .port();
        let (sender, callbacks) = mpsc::channel(1);
        Ok(Self {
            chain,
            policy,
            options,
            request_timeout,
            redirect_uri: format!("http://127.0.0.1:{port}/callback"),
            callbacks,
            server: tokio::spawn(serve_callbacks(listener, sender)),
            client: None,
            steps: Vec::new(),
        })
    }

    /// How the client got its id, once it has one.
    pub fn registration(&self) -> Option<McpRegistration> {
        self.client.as_ref().map(|c| c.registration)
    }

    /// One sign-in for `scopes`: the client id (once), then authorize,
    /// callback and token.
    pub async fn sign_in(&mut self, scopes: &[String]) -> Result<Token, LoginProblem> {
        // Once; again when a step-up asks for scopes the registration lacks.
        let registered = self.client.as_ref().is_some_and(|c| {
            c.registration != McpRegistration::DynamicClientRegistration
                || scopes.iter().all(|s| c.scopes.contains(s))
        });
        if !registered {
            let started = Instant::now();
            let client = self.register(scopes).await;
            let (ok, detail) = match &client {
                Ok(c) => (
                    true,
                    format!(
                        "{}: client id {}; token endpoint authentication: {}",
                        c.registration.label(),
                        c.id,
                        c.method.name()
                    ),
                ),
                Err(e) => (false, e.to_string()),
            };
            let url = self
                .chain
                .registration_endpoint
                .clone()
                .filter(|_| matches!(&client, Ok(c) if c.registration == McpRegistration::DynamicClientRegistration));
            self.steps.push(auth::step(
                McpAuthCheck::Register,
                url.as_ref(),
                None,
                started,
                ok,
                detail,
            ));
            self.client = Some(client?);
        }
        let verifier = random();
        let state = random();
        let authorize = self.authorization_url(&verifier, &state, scopes);
        let started = Instant::now();
        let opened = (self.options.opener.0)(authorize.as_str());
        let mut endpoint = self.chain.authorization_endpoint.clone();
        endpoint.set_query(None);
        self.steps.push(auth::step(
            McpAuthCheck::Authorize,
            Some(&endpoint),
            None,
            started,
            opened.is_ok(),
            match opened {
                Ok(()) => format!(
                    "opened in a browser for {}: {}; resource {}",
                    if scopes.is_empty() {
                        "no scope".to_owned()
                    } else {
                        format!("scope \"{}\"", scopes.join(" "))
                    },
                    self.redirect_uri,
                    self.chain.resource
                ),
                Err(why) => {
                    format!("no browser opened ({why}): waiting for the URL to be opened by hand")
                }
            },
        ));
        let started = Instant::now();
        let code = self.callback(&state).await;
        if !matches!(code, Err(LoginProblem::TimedOut { .. }))
            && let Some(returned) = &self.options.opener.1
        {
            returned();
        }
        self.steps.push(auth::step(
            McpAuthCheck::Callback,
            None,
            None,
            started,
            code.is_ok(),
            match &code {
                Ok((_, iss)) => format!(
                    "a code at {}; state matches; {}",
                    self.redirect_uri,
                    if *iss {
                        "iss is the issuer"
                    } else {
                        "no iss (not required: the server does not advertise RFC 9207)"
                    }
                ),
                Err(e) => e.to_string(),
            },
        ));
        let (code, _) = code?;
        self.exchange(&code, &verifier, scopes).await
    }

    /// Requests go through the target policy, each with its own bound.
    fn fetcher(&self) -> Fetcher<'_> {
        Fetcher {
            policy: self.policy,
            limits: Limits {
                timeout: self.request_timeout,
                deadline: Instant::now() + self.request_timeout,
            },
        }
    }

    /// A client id: the one given (a Client ID Metadata Document when it is
    /// an https URL the server accepts as one), else Dynamic Client
    /// Registration as a native application.
    async fn register(&mut self, scopes: &[String]) -> Result<Client, LoginProblem> {
        let chain = self.chain;
        if let Some(given) = &self.options.client {
            let cimd = chain.cimd && given.id.starts_with("https://");
            return Ok(Client {
                id: given.id.clone(),
                secret: given.secret.clone(),
                method: match given.secret {
                    None => AuthMethod::None,
                    Some(_) => AuthMethod::preferred(
                        &chain
                            .auth_methods
                            .iter()
                            .filter(|m| *m != "none")
                            .cloned()
                            .collect::<Vec<_>>(),
                    ),
                },
                registration: if cimd {
                    McpRegistration::ClientIdMetadataDocument
                } else {
                    McpRegistration::PreRegistered
                },
                scopes: Vec::new(),
            });
        }
        let Some(endpoint) = &chain.registration_endpoint else {
            return Err(LoginProblem::NoClient(if chain.cimd {
                "the server takes Client ID Metadata Documents: give the https URL of yours with --client-id".to_owned()
            } else {
                "the server offers no registration: give a client id registered with it (--client-id, and --client-secret if it has one)".to_owned()
            }));
        };
        let method = AuthMethod::preferred(&chain.auth_methods);
        let mut request = json!({
            "client_name": "portdoctor",
            "redirect_uris": [self.redirect_uri],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": method.name(),
            "application_type": "native",
        });
        if !scopes.is_empty() {
            request["scope"] = Value::String(scopes.join(" "));
        }
        let failed = |why: String| LoginProblem::Registration {
            url: endpoint.to_string(),
            why,
        };
        let (status, body) = self
            .post(
                endpoint,
                &[],
                ("application/json", Bytes::from(request.to_string())),
            )
            .await
            .map_err(failed)?;
        let json = match serde_json::from_str::<Value>(&body) {
            Ok(json @ Value::Object(_)) if (200..300).contains(&status) => json,
            _ => return Err(failed(oauth_error(status, &body))),
        };
        let Some(id) = json.get("client_id").and_then(Value::as_str) else {
            return Err(failed(format!("HTTP {status} without a client_id")));
        };
        let secret = json
            .get("client_secret")
            .and_then(Value::as_str)
            .map(|s| Secret::new(s.to_owned()));
        // The server may assign another method than the one asked for.
        let assigned = json
            .get("token_endpoint_auth_method")
            .and_then(Value::as_str)
            .map_or(Some(method), AuthMethod::from_name)
            .ok_or_else(|| {
                failed(format!(
                    "it assigned the token endpoint authentication {}, which portdoctor does not speak",
                    json["token_endpoint_auth_method"]
                ))
            })?;
        Ok(Client {
            id: id.to_owned(),
            secret,
            method: assigned,
            registration: McpRegistration::DynamicClientRegistration,
            scopes: scopes.to_vec(),
        })
    }

    fn authorization_url(&self, verifier: &str, state: &str, scopes: &[String]) -> Url {
        let challenge = challenge(verifier);
        let client = self.client.as_ref().map_or("", |c| c.id.as_str());
        let mut url = self.chain.authorization_endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", client)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("state", state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("resource", &self.chain.resource);
            if !scopes.is_empty() {
                query.append_pair("scope", &scopes.join(" "));
            }
        }
        url
    }

    /// Waits for the browser's redirect; checks `state`, then `iss` (RFC
    /// 9207). The code, and whether `iss` came with it.
    async fn callback(&mut self, state: &str) -> Result<(String, bool), LoginProblem> {
        let waited = self.options.timeout;
        let params = tokio::time::timeout(waited, self.callbacks.recv())
            .await
            .ok()
            .flatten()
            .ok_or_else(|| LoginProblem::TimedOut {
                redirect_uri: self.redirect_uri.clone(),
                waited,
            })?;
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        if param("state").as_deref() != Some(state) {
            return Err(LoginProblem::StateMismatch);
        }
        let iss = param("iss");
        if (iss.is_some() || self.chain.iss_in_redirect)
            && iss.as_deref() != Some(&self.chain.issuer)
        {
            return Err(LoginProblem::IssuerMismatch {
                expected: self.chain.issuer.clone(),
                found: iss,
            });
        }
        if let Some(error) = param("error") {
            return Err(LoginProblem::Denied {
                error,
                description: param("error_description"),
            });
        }
        let code = param("code").ok_or(LoginProblem::NoCode)?;
        Ok((code, iss.is_some()))
    }

    /// The code for a token, the client authenticating as registered.
    async fn exchange(
        &mut self,
        code: &str,
        verifier: &str,
        scopes: &[String],
    ) -> Result<Token, LoginProblem> {
        let Some(client) = &self.client else {
            return Err(LoginProblem::NoClient("not registered".to_owned()));
        };
        let endpoint = self.chain.token_endpoint.clone();
        // Built before any await: the serializer is not Send.
        let (form, basic) = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "authorization_code")
                .append_pair("code", code)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("code_verifier", verifier)
                .append_pair("client_id", &client.id)
                .append_pair("resource", &self.chain.resource);
            let mut basic = None;
            match (client.method, &client.secret) {
                (AuthMethod::Post, Some(secret)) => {
                    form.append_pair("client_secret", secret.expose());
                }
                (AuthMethod::Basic, Some(secret)) => {
                    // RFC 6749 §2.3.1: each part form-encoded, then base64.
                    let encode =
                        |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                    basic = Some(format!(
                        "Basic {}",
                        STANDARD.encode(format!(
                            "{}:{}",
                            encode(&client.id),
                            encode(secret.expose())
                        ))
                    ));
                }
                _ => {}
            }
            (form.finish(), basic)
        };
        let method = client.method;
        let headers: Vec<(&'static str, &str)> = basic
            .as_deref()
            .map(|b| ("authorization", b))
            .into_iter()
            .collect();
        let started = Instant::now();
        let answer = self
            .post(
                &endpoint,
                &headers,
                ("application/x-www-form-urlencoded", Bytes::from(form)),
            )
            .await;
        let failed = |why: String| LoginProblem::Token {
            url: endpoint.to_string(),
            why,
        };
        let (token, status) = match answer {
            Err(why) => (Err(failed(why)), None),
            Ok((status, body)) => (token(status, &body, scopes).map_err(failed), Some(status)),
        };
        let detail = match &token {
            Ok(t) => format!(
                "a {} token for {}{} ({})",
                t.token_type,
                if t.scopes.is_empty() {
                    "no scope".to_owned()
                } else {
                    format!("scope \"{}\"", t.scopes.join(" "))
                },
                t.expires_in_s
                    .map(|s| format!(", expiring in {s} s"))
                    .unwrap_or_default(),
                method.name()
            ),
            Err(e) => e.to_string(),
        };
        self.steps.push(auth::step(
            McpAuthCheck::Token,
            Some(&endpoint),
            status,
            started,
            token.is_ok(),
            detail,
        ));
        token
    }

    /// A POST through the target policy: status and body.
    async fn post(
        &self,
        url: &Url,
        headers: &[(&'static str, &str)],
        body: (&'static str, Bytes),
    ) -> Result<(u16, String), String> {
        let fetcher = self.fetcher();
        let (http, path) = fetcher.reach(url).await?;
        let mut all = vec![("accept", "application/json")];
        all.extend_from_slice(headers);
        let wait = fetcher.limits.wait();
        tokio::time::timeout(wait, async {
            let answer = http
                .send_body(Method::POST, &path, &all, Some(body))
                .await
                .map_err(|e| e.to_string())?;
            let status = answer.status;
            Ok((status, answer.text().await.map_err(|e| e.to_string())?))
        })
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", wait.as_millis())))
    }
}

/// The token response (RFC 6749 §5.1), or why it is not one.
fn token(status: u16, body: &str, asked: &[String]) -> Result<Token, String> {
    let json = match serde_json::from_str::<Value>(body) {
        Ok(json @ Value::Object(_)) if status == 200 => json,
        _ => return Err(oauth_error(status, body)),
    };
    let Some(access) = json.get("access_token").and_then(Value::as_str) else {
        return Err(format!("HTTP {status} without an access_token"));
    };
    let token_type = json
        .get("token_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(format!(
            "a token of type \"{token_type}\": MCP servers take Bearer tokens"
        ));
    }
    Ok(Token {
        access: Secret::new(access.to_owned()),
        token_type: token_type.to_owned(),
        // RFC 6749 §5.1: without `scope`, the scopes asked for.
        scopes: json.get("scope").and_then(Value::as_str).map_or_else(
            || asked.to_vec(),
            |s| s.split_whitespace().map(str::to_owned).collect(),
        ),
        expires_in_s: json.get("expires_in").and_then(Value::as_u64),
    })
}

/// An OAuth error answer in a line: `error: description`, else the status and body.
fn oauth_error(status: u16, body: &str) -> String {
    let json = serde_json::from_str::<Value>(body).unwrap_or_default();
    match (
        json.get("error").and_then(Value::as_str),
        json.get("error_description").and_then(Value::as_str),
    ) {
        (Some(error), Some(description)) => format!("HTTP {status} {error}: {description}"),
        (Some(error), None) => format!("HTTP {status} {error}"),
        _ => format!("HTTP {status}: {}", snippet(body)),
    }
}

/// PKCE S256: base64url(SHA-256(verifier)), unpadded (RFC 7636 §4.2).
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// 32 random bytes, base64url: a PKCE verifier (RFC 7636 §4.1) or a state.
fn random() -> String {
    let mut bytes = [0u8; 32];
    // The system's generator; it fails only where no OS source exists.
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the operating system's random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The loopback redirect URI: hands the first `/callback` query it gets to
/// the session (later ones are answered, not used); other paths are 404.
async fn serve_callbacks(listener: TcpListener, sender: mpsc::Sender<Vec<(String, String)>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let sender = sender.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let sender = sender.clone();
                async move {
                    let (status, page) = if request.uri().path() == "/callback" {
                        let params = form_urlencoded::parse(
                            request.uri().query().unwrap_or_default().as_bytes(),
                        )
                        .into_owned()
                        .collect();
                        let _ = sender.try_send(params);
                        (200, CALLBACK_PAGE)
                    } else {
                        (404, "not found")
                    };
                    Ok::<_, Infallible>(
                        Response::builder()
                            .status(status)
                            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                            .header(header::CACHE_CONTROL, "no-store")
                            .body(Full::new(Bytes::from_static(page.as_bytes())))
                            .unwrap_or_default(),
                    )
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .max_buf_size(MAX_CALLBACK_REQUEST)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CALLBACK_CONNECTION, connection).await;
        });
    }
}

/// No script closes it: the page closes its popup once the helper says the
/// browser is back (a window closing by itself would look like the person
/// giving up), and a browser never lets a script close a tab it did not open.
const CALLBACK_PAGE: &str = "<!doctype html><meta charset=utf-8><title>portdoctor</title>\
<p>portdoctor has the answer and goes on with the check. You can close this window.</p>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_is_unpadded_base64url_of_sha_256() {
        // FIPS 180-2's SHA-256 of "abc", base64url without padding.
        assert_eq!(
            challenge("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        let one = random();
        assert_eq!(one.len(), 43);
        assert_ne!(one, random());
    }

    #[test]
    fn a_token_response_is_described_and_never_shown() {
        let token = token(
            200,
            r#"{"access_token":"s3cret-value","token_type":"bearer","expires_in":3600}"#,
            &["demo".to_owned()],
        )
        .unwrap();
        assert_eq!(token.scopes, ["demo"]);
        assert_eq!(token.expires_in_s, Some(3600));
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(token.header().unwrap().is_sensitive());
        assert_eq!(
            super::token(200, r#"{"access_token":"x","token_type":"mac"}"#, &[]).unwrap_err(),
            "a token of type \"mac\": MCP servers take Bearer tokens"
        );
        assert_eq!(
            super::token(
                400,
                r#"{"error":"invalid_grant","error_description":"incorrect code_verifier"}"#,
                &[]
            )
            .unwrap_err(),
            "HTTP 400 invalid_grant: incorrect code_verifier"
        );
    }

    #[test]
    fn a_public_client_when_the_server_takes_one() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            AuthMethod::preferred(&names(&["client_secret_post", "none"])),
            AuthMethod::None
        );
        assert_eq!(
            AuthMethod::preferred(&names(&["client_secret_post", "client_secret_basic"])),
            AuthMethod::Basic
        );
        assert_eq!(
            AuthMethod::preferred(&names(&["client_secret_post"])),
            AuthMethod::Post
        );
        assert_eq!(AuthMethod::preferred(&[]), AuthMethod::Basic);
    }
}
