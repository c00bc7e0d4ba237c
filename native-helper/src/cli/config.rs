//! The helper's settings file: what the user allowed, kept across starts.
//!
//! ```toml
//! # ~/.config/portdoctor/config.toml
//! allow-origin = ["https://docs.example.com"]
//! allow-target = ["192.168.1.0/24", "nas.local"]
//! ```
//!
//! Same names and meanings as the command-line flags; both add up.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub allow_origin: Vec<String>,
    #[serde(default)]
    pub allow_target: Vec<String>,
}

/// `$XDG_CONFIG_HOME/portdoctor/config.toml`, else `~/.config/portdoctor/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("portdoctor").join("config.toml"))
}

/// Reads `path` if given (it must exist), else the default file if present.
pub fn load(path: Option<&Path>) -> Result<Config, String> {
    let (path, required) = match path {
        Some(p) => (p.to_owned(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(Config::default()),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn parse(text: &str) -> Result<Config, String> {
    toml::from_str(text).map_err(|e| {
        format!(
            "{e}expected keys: allow-origin = [\"https://...\"], allow-target = [\"HOST|IP|CIDR\"]"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_lists() {
        let config = parse(
            "allow-origin = [\"https://docs.example.com\"]\nallow-target = [\"10.0.0.0/8\"]\n",
        )
        .unwrap();
        assert_eq!(config.allow_origin, ["https://docs.example.com"]);
        assert_eq!(config.allow_target, ["10.0.0.0/8"]);
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn typos_are_errors_that_name_the_keys() {
        let err = parse("allow_origins = [\"x\"]").unwrap_err();
        assert!(err.contains("allow-origin ="), "{err}");
        assert!(parse("allow-origin = \"not a list\"").is_err());
    }

    #[test]
    fn an_explicit_missing_file_is_an_error() {
        assert!(load(Some(Path::new("/nonexistent/portdoctor.toml"))).is_err());
    }
}
