//! The desktop assistant's MCP configuration: `claude_desktop_config.json`,
//! with `mcpServers: { name: { command, args, env } | { url, headers } }`.
//!
//! This file is the only source of commands portdoctor ever starts, and it
//! is read here, on the user's machine, from a path fixed when portdoctor
//! starts: the page names a server by its key, so nothing sent over the
//! WebSocket can choose what runs. Entries that cannot be used are kept with
//! the reason, so a typo (`"comand"`) is shown rather than silently skipped.

use std::path::{Path, PathBuf};

use http::{HeaderName, HeaderValue};
use protocol::{McpServerEntry, McpServerKind};
use serde_json::{Map, Value};

use super::stdio::Spec;
use crate::platform::Os;

pub const FILE_NAME: &str = "claude_desktop_config.json";
/// A configuration file is a few kilobytes; anything huge is not one.
const MAX_SIZE: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub path: PathBuf,
    /// In key order.
    pub servers: Vec<Server>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub spec: ServerSpec,
}

pub type Headers = Vec<(HeaderName, HeaderValue)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSpec {
    Stdio(Spec),
    /// A server over HTTP, and the headers to send it (often a token).
    Url {
        url: String,
        headers: Headers,
    },
    /// Why the entry cannot be used.
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not a fault: most people use no desktop assistant. Each front end
    /// says how to name another file (its own flag).
    #[error("no {FILE_NAME} on this machine (looked at {})", list(.0))]
    NotFound(Vec<PathBuf>),
    #[error("cannot read {}: {}", .0.display(), .1)]
    Unreadable(PathBuf, String),
    #[error("{} is not valid JSON: {}", .0.display(), .1)]
    Invalid(PathBuf, String),
    #[error("{} has no server named {:?}", .0.display(), .1)]
    NoSuchServer(PathBuf, String),
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the assistant keeps its configuration on this system, most likely
/// first: macOS `~/Library/Application Support/Claude`; Windows the
/// Microsoft Store (MSIX) app's `%LOCALAPPDATA%\Packages\Claude_*\LocalCache\Roaming\Claude`
/// (where the packaged app's writes to `%APPDATA%` land), then the classic
/// `%APPDATA%\Claude`; elsewhere `$XDG_CONFIG_HOME/Claude` or `~/.config/Claude`.
pub fn default_paths() -> Vec<PathBuf> {
    paths_for(Os::CURRENT, &|name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// [`default_paths`] for `os`, with the environment read through `var`, so
/// each system's places are tested on any one.
fn paths_for(os: Os, var: &dyn Fn(&str) -> Option<PathBuf>) -> Vec<PathBuf> {
    let home = var("HOME");
    let dirs: Vec<PathBuf> = match os {
        Os::MacOs => home
            .map(|h| h.join("Library").join("Application Support"))
            .into_iter()
            .collect(),
        Os::Windows => msix_roaming(var("LOCALAPPDATA"))
            .into_iter()
            .chain(var("APPDATA"))
            .collect(),
        Os::Linux => var("XDG_CONFIG_HOME")
            .into_iter()
            .chain(home.map(|h| h.join(".config")))
            .collect(),
    };
    dirs.into_iter()
        .map(|d| d.join("Claude").join(FILE_NAME))
        .collect()
}

/// The MSIX-packaged assistant's redirected `%APPDATA%`: under
/// `%LOCALAPPDATA%\Packages`, the folder named `Claude_` and the package's
/// publisher hash (sorted, should there be several).
fn msix_roaming(local: Option<PathBuf>) -> Vec<PathBuf> {
    let Some(packages) = local.map(|l| l.join("Packages")) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(&packages)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("Claude_"))
        .map(|entry| entry.path().join("LocalCache").join("Roaming"))
        .collect();
    found.sort();
    found
}

/// The file to read: the one given, or the first default that exists.
pub fn locate(given: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    let candidates = default_paths();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(ConfigError::NotFound(candidates))
}

/// Locates and loads the configuration, off the async threads.
pub async fn read(given: Option<PathBuf>) -> Result<Config, ConfigError> {
    tokio::task::spawn_blocking(move || load(&locate(given.as_deref())?))
        .await
        .unwrap_or_else(|e| Err(ConfigError::Unreadable(PathBuf::new(), e.to_string())))
}

/// Reads and parses the configuration at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let unreadable = |e: String| ConfigError::Unreadable(path.to_owned(), e);
    let size = std::fs::metadata(path)
        .map_err(|e| unreadable(e.to_string()))?
        .len();
    if size > MAX_SIZE {
        return Err(unreadable(format!(
            "{size} bytes is too large for a configuration file"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ConfigError::Invalid(path.to_owned(), e.to_string()))?;
    let servers = match value.get("mcpServers") {
        None => Vec::new(),
        Some(Value::Object(servers)) => servers
            .iter()
            .map(|(name, entry)| Server {
                name: name.clone(),
                spec: spec(entry),
            })
            .collect(),
        Some(_) => {
            return Err(ConfigError::Invalid(
                path.to_owned(),
                "\"mcpServers\" is not an object of named servers".to_owned(),
            ));
        }
    };
    Ok(Config {
        path: path.to_owned(),
        servers,
    })
}

fn spec(entry: &Value) -> ServerSpec {
    let invalid = |why: &str| ServerSpec::Invalid(why.to_owned());
    let Some(entry) = entry.as_object() else {
        return invalid("the entry is not an object");
    };
    if let Some(url) = entry.get("url") {
        let Some(url) = url.as_str() else {
            return invalid("\"url\" is not a string");
        };
        return match strings(entry, "headers").and_then(|pairs| headers(&pairs)) {
            Ok(headers) => ServerSpec::Url {
                url: url.to_owned(),
                headers,
            },
            Err(why) => ServerSpec::Invalid(why),
        };
    }
    let Some(command) = entry.get("command") else {
        return invalid("the entry has neither \"command\" nor \"url\"");
    };
    let Some(command) = command.as_str().filter(|c| !c.trim().is_empty()) else {
        return invalid("\"command\" is not a non-empty string");
    };
    let args = match entry.get("args") {
        None => Vec::new(),
        Some(Value::Array(args)) => {
            match args.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
                Some(args) => args.into_iter().map(str::to_owned).collect(),
                None => return invalid("\"args\" must hold strings only"),
            }
        }
        Some(_) => return invalid("\"args\" is not a list"),
    };
    let env = match strings(entry, "env") {
        Ok(env) => env,
        Err(why) => return ServerSpec::Invalid(why),
    };
    ServerSpec::Stdio(Spec {
        command: command.to_owned(),
        args,
        env,
    })
}

/// An optional object of strings (`env`, `headers`) as name–value pairs.
fn strings(entry: &Map<String, Value>, key: &str) -> Result<Vec<(String, String)>, String> {
    match entry.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Object(pairs)) => pairs
            .iter()
            .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("\"{key}\" values must be strings")),
        Some(_) => Err(format!("\"{key}\" is not an object")),
    }
}

/// Header pairs as HTTP can carry them, or which one it cannot.
fn headers(pairs: &[(String, String)]) -> Result<Headers, String> {
    pairs
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| format!("\"headers\": {name:?} is not a valid header name"))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|_| format!("\"headers\": the value of {name} is not a valid header value (control characters?)"))?;
            Ok((name, value))
        })
        .collect()
}

impl Config {
    pub fn server(&self, name: &str) -> Result<&Server, ConfigError> {
        self.servers
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| ConfigError::NoSuchServer(self.path.clone(), name.to_owned()))
    }
}

impl Server {
    /// The entry as listed to the page and in JSON output: environment
    /// variable names only, never their values.
    pub fn entry(&self) -> McpServerEntry {
        let mut entry = McpServerEntry {
            name: self.name.clone(),
            kind: McpServerKind::Invalid,
            command: None,
            args: Vec::new(),
            env: Vec::new(),
            url: None,
            headers: Vec::new(),
            problem: None,
        };
        match &self.spec {
            ServerSpec::Stdio(spec) => {
                entry.kind = McpServerKind::Stdio;
                entry.command = Some(spec.command.clone());
                entry.args = spec.args.clone();
                entry.env = spec.env.iter().map(|(k, _)| k.clone()).collect();
            }
            ServerSpec::Url { url, headers } => {
                entry.kind = McpServerKind::Url;
                entry.url = Some(url.clone());
                entry.headers = headers.iter().map(|(k, _)| k.to_string()).collect();
            }
            ServerSpec::Invalid(why) => entry.problem = Some(why.clone()),
        }
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "globalShortcut": "",
      "mcpServers": {
        "filesystem": {
          "command": "npx",
          "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/alice/Desktop"],
          "env": {"API_KEY": "sk-secret"}
        },
        "remote": {"url": "http://localhost:8000/mcp", "headers": {"Authorization": "Bearer sk-remote"}},
        "badheaders": {"url": "http://localhost:8000/mcp", "headers": {"X-Retries": 3}},
        "badname": {"url": "http://localhost:8000/mcp", "headers": {"X Key": "1"}},
        "typo": {"comand": "uvx"},
        "badargs": {"command": "node", "args": "server.js"}
      }
    }"#;

    fn sample() -> Config {
        parse(Path::new("/c.json"), SAMPLE).unwrap()
    }

    #[test]
    fn reads_commands_urls_and_explains_bad_entries() {
        let config = sample();
        let names: Vec<&str> = config.servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "badargs",
                "badheaders",
                "badname",
                "filesystem",
                "remote",
                "typo"
            ]
        );
        assert_eq!(
            config.server("filesystem").unwrap().spec,
            ServerSpec::Stdio(Spec {
                command: "npx".into(),
                args: vec![
                    "-y".into(),
                    "@modelcontextprotocol/server-filesystem".into(),
                    "/Users/alice/Desktop".into()
                ],
                env: vec![("API_KEY".into(), "sk-secret".into())],
            })
        );
        assert_eq!(
            config.server("remote").unwrap().spec,
            ServerSpec::Url {
                url: "http://localhost:8000/mcp".into(),
                headers: vec![(
                    HeaderName::from_static("authorization"),
                    HeaderValue::from_static("Bearer sk-remote")
                )],
            }
        );
        assert_eq!(
            config.server("badheaders").unwrap().spec,
            ServerSpec::Invalid("\"headers\" values must be strings".into())
        );
        assert_eq!(
            config.server("badname").unwrap().spec,
            ServerSpec::Invalid("\"headers\": \"X Key\" is not a valid header name".into())
        );
        assert_eq!(
            config.server("typo").unwrap().spec,
            ServerSpec::Invalid("the entry has neither \"command\" nor \"url\"".into())
        );
        assert_eq!(
            config.server("badargs").unwrap().spec,
            ServerSpec::Invalid("\"args\" is not a list".into())
        );
        assert!(matches!(
            config.server("nope"),
            Err(ConfigError::NoSuchServer(_, name)) if name == "nope"
        ));
    }

    #[test]
    fn listed_entries_never_carry_env_or_header_values() {
        let entry = sample().server("filesystem").unwrap().entry();
        assert_eq!(entry.kind, McpServerKind::Stdio);
        assert_eq!(entry.env, ["API_KEY"]);
        assert!(!serde_json::to_string(&entry).unwrap().contains("sk-secret"));
        let entry = sample().server("remote").unwrap().entry();
        assert_eq!(entry.headers, ["authorization"]);
        assert!(!serde_json::to_string(&entry).unwrap().contains("sk-remote"));
    }

    #[test]
    fn broken_files_say_where() {
        let err = parse(Path::new("/c.json"), "{\"mcpServers\": {").unwrap_err();
        assert!(
            err.to_string().starts_with("/c.json is not valid JSON"),
            "{err}"
        );
        let err = parse(Path::new("/c.json"), "{\"mcpServers\": []}").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid(..)));
        assert_eq!(parse(Path::new("/c.json"), "{}").unwrap().servers, []);
    }

    #[test]
    fn default_locations_end_in_the_claude_directory() {
        for path in default_paths() {
            assert!(
                path.ends_with(Path::new("Claude").join(FILE_NAME)),
                "{path:?}"
            );
        }
    }

    /// A Windows profile as the Store app leaves it: the package's folder
    /// with its redirected configuration, and the classic one beside it.
    #[test]
    fn windows_looks_in_the_store_apps_folder_before_appdata() {
        let root = std::env::temp_dir().join(format!("claude-msix-{}", std::process::id()));
        let local = root.join("Local");
        let package = local.join("Packages").join("Claude_pzs8sxrjxfjjc");
        std::fs::create_dir_all(package.join("LocalCache").join("Roaming").join("Claude")).unwrap();
        std::fs::create_dir_all(local.join("Packages").join("Microsoft.Paint_8wekyb3d8bbwe"))
            .unwrap();
        let roaming = root.join("Roaming");
        let vars = |name: &str| match name {
            "LOCALAPPDATA" => Some(local.clone()),
            "APPDATA" => Some(roaming.clone()),
            _ => None,
        };
        let paths = paths_for(Os::Windows, &vars);
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(
            paths,
            [
                package
                    .join("LocalCache")
                    .join("Roaming")
                    .join("Claude")
                    .join(FILE_NAME),
                roaming.join("Claude").join(FILE_NAME),
            ]
        );
        // Without the Store app, only the classic place.
        let classic = |name: &str| (name == "APPDATA").then(|| roaming.clone());
        assert_eq!(
            paths_for(Os::Windows, &classic),
            [roaming.join("Claude").join(FILE_NAME)]
        );
    }

    #[test]
    fn macos_and_linux_look_where_the_assistant_and_xdg_say() {
        let home = PathBuf::from("/home/ann");
        let vars = |name: &str| (name == "HOME").then(|| home.clone());
        assert_eq!(
            paths_for(Os::MacOs, &vars),
            [home
                .join("Library/Application Support/Claude")
                .join(FILE_NAME)]
        );
        assert_eq!(
            paths_for(Os::Linux, &vars),
            [home.join(".config/Claude").join(FILE_NAME)]
        );
    }
}
