//! What the tests need on this machine, in one table: `cargo xtask setup`
//! installs it (Debian and Ubuntu), `cargo xtask test` checks it first and
//! names what is missing instead of failing somewhere inside a test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{platforms, run};

/// The official MCP Python SDK the MCP tests run servers from, pinned so the
/// versions they assert stay put.
const MCP_SDK_VERSION: &str = "2.3.0";

/// fastmcp, the other way Python MCP servers are written, in a virtualenv of
/// its own (its dependencies float apart from the SDK's pin).
const FASTMCP_VERSION: &str = "4.2.3";

/// Real MCP servers from npm the MCP tests run, as published and pinned:
/// the reference servers, Context7, and the official TypeScript SDK.
const MCP_NPM: &[(&str, &str)] = &[
    ("@modelcontextprotocol/server-everything", "2026.8.31"),
    ("@modelcontextprotocol/server-filesystem", "2026.8.31"),
    ("@upstash/context7-mcp", "4.1.1"),
    ("@modelcontextprotocol/sdk", "1.32.2"),
];

/// A Debian package the tests use and a file that shows it is installed.
struct Package {
    name: &'static str,
    /// A program on the PATH, an absolute path, or a path with one `*`
    /// directory (versioned installs); `None`: only setup needs it.
    proof: Option<&'static str>,
}

const fn package(name: &'static str, proof: &'static str) -> Package {
    Package {
        name,
        proof: Some(proof),
    }
}

const PACKAGES: &[Package] = &[
    // Headless browser tests, through chromedriver.
    package("chromium", "/usr/bin/chromium"),
    package("chromium-driver", "/usr/bin/chromedriver"),
    // http.server peers; the venv for the MCP SDK.
    package("python3", "python3"),
    Package {
        name: "python3-venv",
        proof: None,
    },
    // Network namespaces and `ss`.
    package("iproute2", "ip"),
    // Real peers for identification (and the benchmarks' peer tools).
    package("redis-server", "redis-server"),
    package("redis-tools", "redis-cli"),
    package("nginx", "nginx"),
    package("openssh-server", "/usr/sbin/sshd"),
    package("openssh-client", "ssh-keygen"),
    package("postgresql", "/usr/lib/postgresql/*/bin/postgres"),
    // The relay's echo server, and its benchmark's peer.
    package("socat", "socat"),
    package("websockify", "websockify"),
    // A firewall drop inside a network namespace.
    package("nftables", "nft"),
    // What is behind a port: real forwarders, a debugger, socket activation.
    package("docker.io", "/usr/sbin/docker-proxy"),
    package("socat", "socat"),
    package("gdb", "gdb"),
    package("systemd", "systemd-socket-activate"),
    // Test certificates.
    package("openssl", "openssl"),
    // A user only a directory service knows (systemd's user database).
    package("libnss-systemd", "/usr/lib/*/libnss_systemd.so.2"),
    package("curl", "curl"),
    // The Windows build's C compiler and linker, and Wine to run it
    // (`platforms::missing` checks them).
    Package {
        name: "gcc-mingw-w64-x86-64",
        proof: None,
    },
    Package {
        name: "wine64",
        proof: None,
    },
];

/// What `cargo xtask test` needs that is not there, each in a few words.
pub fn missing() -> Vec<String> {
    let mut missing: Vec<String> = PACKAGES
        .iter()
        .filter_map(|p| {
            let proof = p.proof?;
            (!installed(proof)).then(|| format!("{proof} (Debian package {})", p.name))
        })
        .collect();
    if !has_target("wasm32-unknown-unknown") {
        missing.push("the Rust target wasm32-unknown-unknown".to_owned());
    }
    missing.extend(platforms::missing());
    for tool in ["fmt", "clippy"] {
        if !succeeds(Command::new(cargo_program()).args([tool, "--version"])) {
            missing.push(format!("cargo {tool}"));
        }
    }
    for (python, package, version) in python_packages() {
        if !has_package(&python, package, version) {
            missing.push(format!("{} with {package}=={version}", python.display()));
        }
    }
    missing.extend(
        missing_npm()
            .iter()
            .map(|spec| format!("{spec} in {}", mcp_npm().display())),
    );
    missing
}

/// Installs everything `missing` can report: Debian packages, the Rust
/// target and components, the MCP SDK's virtualenv.
pub fn setup() -> Result<(), String> {
    let need: Vec<&str> = PACKAGES
        .iter()
        .map(|p| p.name)
        .filter(|name| !succeeds(Command::new("dpkg").args(["-s", name])))
        .collect();
    if !need.is_empty() {
        if !Path::new("/usr/bin/apt-get").exists() {
            return Err(format!(
                "`cargo xtask setup` installs with apt-get (Debian, Ubuntu); install these with your package manager: {}",
                need.join(" ")
            ));
        }
        apt(&["update", "-q"])?;
        apt(&[&["install", "-y", "-q"], need.as_slice()].concat())?;
    }
    run(Command::new("rustup")
        .args([
            "target",
            "add",
            "wasm32-unknown-unknown",
            platforms::WINDOWS,
        ])
        .args(platforms::MACOS))?;
    if platforms::zigbuild().is_none() {
        let venv = platforms::zig_venv();
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet"])
            .args(platforms::ZIG_PACKAGES))?;
    }
    run(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))?;
    for (python, package, version) in python_packages() {
        if has_package(&python, package, version) {
            continue;
        }
        // The tests look for $PORTDOCTOR_MCP_PYTHON (_FASTMCP_), else this
        // virtualenv.
        let venv = python
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| format!("{} should be VENV/bin/python", python.display()))?;
        run(Command::new("python3").arg("-m").arg("venv").arg(venv))?;
        run(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            &format!("{package}=={version}"),
        ]))?;
    }
    let npm = missing_npm();
    if !npm.is_empty() {
        if !installed("npm") {
            apt(&["install", "-y", "-q", "nodejs", "npm"])?;
        }
        let dir = mcp_npm();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        run(Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&dir)
            .args(["--no-audit", "--no-fund", "--save-exact"])
            .args(&npm))?;
    }
    match missing().as_slice() {
        [] => Ok(()),
        still => Err(format!("still missing after setup: {}", still.join(", "))),
    }
}

/// apt-get, through sudo unless we are root.
fn apt(args: &[&str]) -> Result<(), String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mut command = if root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    command.env("DEBIAN_FRONTEND", "noninteractive").args(args);
    run(&mut command)
}

/// Each Python the MCP tests use, with the package it must have: the SDK
/// in `$PORTDOCTOR_MCP_PYTHON`, fastmcp in `$PORTDOCTOR_FASTMCP_PYTHON`,
/// else their virtualenvs in the temporary directory.
fn python_packages() -> [(PathBuf, &'static str, &'static str); 2] {
    let python = |variable: &str, venv: &str| {
        std::env::var_os(variable)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join(venv).join("bin/python"))
    };
    [
        (
            python("PORTDOCTOR_MCP_PYTHON", "mcp-venv"),
            "mcp",
            MCP_SDK_VERSION,
        ),
        (
            python("PORTDOCTOR_FASTMCP_PYTHON", "fastmcp-venv"),
            "fastmcp",
            FASTMCP_VERSION,
        ),
    ]
}

/// Where the npm MCP servers go: `$PORTDOCTOR_MCP_NPM`, or `mcp-npm` in the
/// temporary directory (the tests look there too).
fn mcp_npm() -> PathBuf {
    std::env::var_os("PORTDOCTOR_MCP_NPM")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("mcp-npm"))
}

/// `name@version` of each pinned npm package not installed at its version.
fn missing_npm() -> Vec<String> {
    let modules = mcp_npm().join("node_modules");
    MCP_NPM
        .iter()
        .filter(|(name, version)| {
            // The manifest npm installed; its "version" line is enough here.
            let manifest = std::fs::read_to_string(modules.join(name).join("package.json"));
            !manifest.is_ok_and(|m| m.contains(&format!("\"version\": \"{version}\"")))
        })
        .map(|(name, version)| format!("{name}@{version}"))
        .collect()
}

fn has_package(python: &Path, package: &str, version: &str) -> bool {
    let script = format!(
        "import importlib.metadata as m, sys; sys.exit(m.version('{package}') != '{version}')"
    );
    succeeds(Command::new(python).args(["-c", &script]))
}

/// Whether `proof` (see `Package::proof`) names an existing file.
fn installed(proof: &str) -> bool {
    if let Some((parent, rest)) = proof.split_once("/*/") {
        return std::fs::read_dir(parent)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| entry.path().join(rest).exists());
    }
    if proof.starts_with('/') {
        return Path::new(proof).exists();
    }
    on_path(proof).is_some()
}

/// Where `program` is on the PATH.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether rustup installed the standard library for `target`.
pub fn has_target(target: &str) -> bool {
    sysroot().is_some_and(|root| root.join("lib/rustlib").join(target).is_dir())
}

fn sysroot() -> Option<PathBuf> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let root = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(root.trim_end()))
}

fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}
