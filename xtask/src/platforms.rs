//! The platforms portdoctor ships for besides this one, checked as far as a
//! Linux machine can:
//!
//! - Windows (`x86_64-pc-windows-gnu`, linked by mingw-w64): clippy, then the
//!   unit tests and the helper itself under Wine (`check` of an open and a
//!   refused port, `listeners`).
//! - macOS (`aarch64-apple-darwin`, `x86_64-apple-darwin`): clippy through
//!   cargo-zigbuild, whose zig compiles ring's C for Apple targets. Linking
//!   needs the macOS SDK, so nothing runs here.
//!
//! A missing tool fails the step with the command that installs it: a CI run
//! without Windows or macOS checked must not look green.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::setup::{cargo_program, has_target, on_path};
use crate::{cargo, run};

pub const WINDOWS: &str = "x86_64-pc-windows-gnu";
pub const MACOS: [&str; 2] = ["aarch64-apple-darwin", "x86_64-apple-darwin"];
/// The C cross compiler and linker for `WINDOWS` (Debian `gcc-mingw-w64-x86-64`).
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
/// Pinned, so a new zig cannot break CI on its own.
pub const ZIG_PACKAGES: [&str; 2] = ["ziglang==0.17.1", "cargo-zigbuild==0.24.1"];
/// How long one run of the helper under Wine may take (the first one also
/// creates the Wine prefix).
const WINE_DEADLINE: Duration = Duration::from_secs(180);

/// What the platform checks need that this machine lacks, each with the
/// command that installs it.
pub fn missing() -> Vec<String> {
    let mut missing = Vec::new();
    let targets: Vec<&str> = std::iter::once(WINDOWS)
        .chain(MACOS)
        .filter(|t| !has_target(t))
        .collect();
    if !targets.is_empty() {
        missing.push(format!(
            "the Rust targets {0} (rustup target add {0})",
            targets.join(" ")
        ));
    }
    if on_path(MINGW_GCC).is_none() {
        missing.push(format!("{MINGW_GCC} (Debian package gcc-mingw-w64-x86-64)"));
    }
    if wine().is_none() {
        missing.push("wine64 (Debian package wine64)".to_owned());
    }
    if zigbuild().is_none() {
        missing.push(format!(
            "cargo-zigbuild and zig (python3 -m venv {0} && {0}/bin/pip install {1})",
            zig_venv().display(),
            ZIG_PACKAGES.join(" ")
        ));
    }
    missing
}

/// Clippy with warnings denied for Windows and both macOS targets.
pub fn clippy() -> Result<(), String> {
    need_tools()?;
    let deny = ["--", "-D", "warnings"];
    // native-helper's integration tests drive Linux peers (process groups,
    // network namespaces): on Windows only its library and binary.
    for targets in [
        &["--workspace", "--exclude", "native-helper", "--all-targets"][..],
        &["--package", "native-helper", "--lib", "--bins"][..],
    ] {
        cargo(&[&["clippy", "--target", WINDOWS], targets, &deny[..]].concat())?;
    }
    let zigbuild = zigbuild().ok_or("cargo-zigbuild vanished")?;
    for target in MACOS {
        run(with_zig_path(&mut Command::new(&zigbuild))
            .args(["clippy", "--target", target, "--workspace", "--all-targets"])
            .args(deny))?;
    }
    Ok(())
}

/// The Windows unit tests and the Windows helper, run by Wine.
pub fn test_windows() -> Result<(), String> {
    need_tools()?;
    let wine = wine().ok_or("wine vanished")?;
    let shim = shim()?;
    let env = wine_env(&shim)?;
    prepare_prefix(&wine, &env)?;
    let runner = format!(
        "CARGO_TARGET_{}_RUNNER",
        WINDOWS.to_uppercase().replace('-', "_")
    );
    // Unit tests (the integration tests start Linux peers), and
    // socket-table's own, which read the table Windows gives.
    // Wine names no owner for any socket (it reports pid 0), so the one unit
    // test that expects this very process as a port's holder cannot pass
    // there; Windows itself names it.
    let unit = [
        "--workspace",
        "--exclude",
        "xtask",
        "--lib",
        "--bins",
        "--",
        "--skip",
        "bind::tests::a_held_port_names_its_holder_and_a_free_one_is_free",
    ];
    for args in [&unit[..], &["--package", "socket-table", "--tests"][..]] {
        run(Command::new(cargo_program())
            .args(["test", "--target", WINDOWS])
            .args(args)
            .env(&runner, &wine)
            .envs(env.iter().cloned()))?;
    }
    cargo(&["build", "--package", "native-helper", "--target", WINDOWS])?;
    let exe = target_dir().join(WINDOWS).join("debug/portdoctor.exe");
    smoke_test(&wine, &exe, &env)
}

/// `check` of an open port (a listener of ours) and a refused one, and
/// `listeners`, by the Windows helper under Wine, judged by their JSON.
fn smoke_test(wine: &Path, exe: &Path, env: &[(String, String)]) -> Result<(), String> {
    let open = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    let open_addr = open.local_addr().map_err(|e| e.to_string())?.to_string();
    let refused_addr = {
        let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
        closed.local_addr().map_err(|e| e.to_string())?.to_string()
    };
    let helper = |args: &[&str]| -> Result<Value, String> {
        let mut command = Command::new(wine);
        command.arg(exe).args(args).envs(env.iter().cloned());
        let (status, stdout) = output_within(&mut command, WINE_DEADLINE)?;
        serde_json::from_str(&stdout).map_err(|e| {
            format!(
                "portdoctor.exe {} ({status}) printed no JSON ({e}): {stdout}",
                args.join(" ")
            )
        })
    };

    let report = helper(&["check", &open_addr, "--json"])?;
    expect(&report, "/verdict", "reachable")?;
    expect(&report, "/listeners/0/local_addr", &open_addr)?;
    // Wine knows no Windows process for a Linux socket: it must read as unknown.
    let summary = report
        .pointer("/findings/0/summary")
        .and_then(Value::as_str);
    if summary.is_none_or(|s| s.contains("pid 0") || s.contains("( ")) {
        return Err(format!(
            "an unknown owner is not described as unknown: {summary:?}"
        ));
    }

    let report = helper(&["check", &refused_addr, "--json"])?;
    expect(&report, "/verdict", "unreachable")?;
    expect(&report, "/addresses/0/outcome", "refused")?;
    expect(&report, "/findings/0/code", "nothing-listening")?;

    let listeners = helper(&["listeners", "--json"])?;
    let listed = listeners.as_array().is_some_and(|all| {
        all.iter()
            .any(|l| l.get("local_addr").and_then(Value::as_str) == Some(&open_addr))
    });
    if !listed {
        return Err(format!(
            "`listeners` under Wine does not list {open_addr}: {listeners}"
        ));
    }
    drop(open);
    eprintln!("wine: portdoctor.exe check (open, refused) and listeners answered as on Windows");
    Ok(())
}

fn expect(json: &Value, pointer: &str, want: &str) -> Result<(), String> {
    match json.pointer(pointer).and_then(Value::as_str) {
        Some(got) if got == want => Ok(()),
        got => Err(format!(
            "portdoctor.exe under Wine: {pointer} is {got:?}, expected {want:?} in {json}"
        )),
    }
}

/// Runs `command` to its end or the deadline; its stdout, and how it ended.
fn output_within(command: &mut Command, deadline: Duration) -> Result<(String, String), String> {
    let shown = format!("{command:?}");
    eprintln!("$ {shown}");
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let end = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{shown} did not finish within {deadline:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = reader
        .join()
        .map_err(|_| "stdout reader panicked")?
        .map_err(|e| e.to_string())?;
    Ok((status.to_string(), stdout))
}

/// Builds the `ProcessPrng` stand-in (see `wine/bcryptprimitives.c`) into
/// `target/wine/`, the folder Wine's PATH gets.
fn shim() -> Result<PathBuf, String> {
    let dir = target_dir().join("wine");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("wine/bcryptprimitives.c");
    run(Command::new(MINGW_GCC)
        .args(["-shared", "-O2", "-s", "-o"])
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(source)
        .arg("-ladvapi32"))?;
    Ok(dir)
}

/// A Wine prefix of our own under `target/`, quiet, without the Mono and
/// Gecko installers, with the shim's folder on its PATH.
fn wine_env(shim: &Path) -> Result<Vec<(String, String)>, String> {
    let dir = shim.canonicalize().map_err(|e| e.to_string())?;
    let dir = dir.to_str().ok_or("the target folder needs a UTF-8 path")?;
    Ok(vec![
        ("WINEPREFIX".into(), format!("{dir}/prefix")),
        ("WINEDEBUG".into(), "-all".into()),
        ("WINEDLLOVERRIDES".into(), "mscoree,mshtml=".into()),
        // Z: is the Linux root in every Wine prefix.
        ("WINEPATH".into(), format!("Z:{}", dir.replace('/', "\\"))),
    ])
}

/// Creates the Wine prefix and waits until Wine is done with it. A prefix is
/// otherwise made by the first program run in it, while that program already
/// runs: Windows tests then meet a half-built C:\windows and die with an
/// exit status and no output (seen on a fresh clone: status 53).
fn prepare_prefix(wine: &Path, env: &[(String, String)]) -> Result<(), String> {
    run(Command::new(wine)
        .args(["wineboot", "--init"])
        .envs(env.iter().cloned()))?;
    // wineserver sits beside wine64 in every Wine package; `-w` returns once
    // every process of the prefix (wineboot's services too) has ended.
    let server = Some(wine.with_file_name("wineserver"))
        .filter(|path| path.is_file())
        .or_else(|| on_path("wineserver"))
        .ok_or("wineserver is missing beside wine64 and on PATH")?;
    run(Command::new(&server).arg("-w").envs(env.iter().cloned()))
}

fn need_tools() -> Result<(), String> {
    match missing().as_slice() {
        [] => Ok(()),
        missing => Err(format!(
            "checking Windows and macOS needs what this machine lacks:\n  {}\ninstall it with: cargo xtask setup",
            missing.join("\n  ")
        )),
    }
}

/// Debian puts wine64 outside PATH.
fn wine() -> Option<PathBuf> {
    let debian = PathBuf::from("/usr/lib/wine/wine64");
    debian
        .is_file()
        .then_some(debian)
        .or_else(|| on_path("wine64"))
}

/// cargo-zigbuild on PATH, or in the virtualenv setup makes.
pub fn zigbuild() -> Option<PathBuf> {
    let venv = zig_venv().join("bin");
    let found = on_path("cargo-zigbuild").or_else(|| {
        let exe = venv.join("cargo-zigbuild");
        exe.is_file().then_some(exe)
    })?;
    let zig = on_path("zig").is_some()
        || Command::new(venv.join("python3"))
            .args(["-c", "import ziglang"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        || Command::new("python3")
            .args(["-c", "import ziglang"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    zig.then_some(found)
}

/// cargo-zigbuild runs zig as `python3 -m ziglang`: the virtualenv's python
/// must come first on PATH.
fn with_zig_path(command: &mut Command) -> &mut Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(zig_venv().join("bin")).chain(std::env::split_paths(&path));
    if let Ok(joined) = std::env::join_paths(dirs) {
        command.env("PATH", joined);
    }
    command
}

pub fn zig_venv() -> PathBuf {
    std::env::temp_dir().join("zig-venv")
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}
