//! Project automation, in Rust so it runs the same everywhere (`cargo xtask`).
//!
//! - `cargo xtask setup`: install what the tests need (Debian, Ubuntu).
//! - `cargo xtask test`: everything CI checks — formatting, clippy (host and
//!   wasm32), every test including the headless-browser ones, the docs
//!   embed's size budget, and `platforms`; first, whether `setup` has run.
//! - `cargo xtask lint`: formatting and clippy only.
//! - `cargo xtask schema`: regenerate docs/schema/ from the protocol types.
//! - `cargo xtask platforms`: clippy for Windows and macOS, the Windows tests
//!   and helper under Wine (`platforms.rs`).
//! - `cargo xtask dist`: the Linux and Windows x86_64 release archives and
//!   their SHA-256 sums in `target/dist/`, checked once written (`dist.rs`).
//! - `cargo xtask embed [DIR]`: write the docs embed to DIR (default
//!   `target/embed`) and check its size.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod dist;
mod platforms;
mod schema;
mod setup;

const USAGE: &str = "usage: cargo xtask <setup|test|lint|platforms|dist|schema|embed [DIR]>

  setup         install what the tests need: Debian packages (chromium, redis, nginx,
                sshd, postgres, mingw-w64, wine64, ...), the wasm32, Windows and macOS
                targets, rustfmt and clippy, the MCP SDK's virtualenv, cargo-zigbuild
                with zig, the pinned npm MCP servers (Debian and Ubuntu; apt-get, npm)
  test          check that setup has run, then cargo fmt --check, clippy -D warnings
                (host + wasm32 page and embed), cargo test --workspace, the embed
                size budget, and platforms
  lint          the first two only
  schema        write the report contract's JSON Schemas to docs/schema/ (from the
                protocol types; a test fails when the committed ones are stale)
  platforms     clippy -D warnings for Windows and macOS (aarch64, x86_64), the
                Windows unit tests and portdoctor.exe under Wine
  dist          release archives in target/dist/: Linux x86_64 .tar.gz, Windows x86_64
                .zip (binary, README.md, licences) and SHA256SUMS, checked once written
  embed [DIR]   write the docs embed to DIR (default target/embed), check its size";

/// What a docs page downloads for the embed, gzipped, at most.
const EMBED_BUDGET: usize = 120 * 1024;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let result = match task.as_deref() {
        Some("setup") => setup::setup(),
        Some("schema") => schema::write(),
        Some("test") => prerequisites()
            .and_then(|()| lint())
            .and_then(|()| test())
            .and_then(|()| embed(Path::new("target/embed")))
            .and_then(|()| platforms()),
        Some("lint") => lint(),
        Some("platforms") => platforms(),
        Some("dist") => dist::dist(),
        Some("embed") => embed(
            &args
                .next()
                .map_or_else(|| PathBuf::from("target/embed"), PathBuf::from),
        ),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Fails at once, naming what is missing and the command that installs it,
/// instead of somewhere inside a test minutes later.
fn prerequisites() -> Result<(), String> {
    match setup::missing().as_slice() {
        [] => Ok(()),
        missing => Err(format!(
            "the tests need what this machine lacks:\n  {}\ninstall it with: cargo xtask setup",
            missing.join("\n  ")
        )),
    }
}

fn lint() -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // Each build the helper ships (the page, the embed) alone, as build.rs
    // makes them: code only one of them uses must not warn in the other.
    for feature in ["page", "embed"] {
        cargo(&[
            "clippy",
            "--package",
            "wasm-probe",
            "--target",
            "wasm32-unknown-unknown",
            "--no-default-features",
            "--features",
            feature,
            "--",
            "-D",
            "warnings",
        ])?;
    }
    Ok(())
}

fn platforms() -> Result<(), String> {
    platforms::clippy().and_then(|()| platforms::test_windows())
}

fn test() -> Result<(), String> {
    cargo(&["test", "--workspace"])
}

/// Has the helper write the embed (the very bytes it serves), then weighs it
/// as a browser downloads it: gzipped.
fn embed(dir: &Path) -> Result<(), String> {
    let dir = dir.to_str().ok_or("the embed folder needs a UTF-8 path")?;
    cargo(&[
        "run",
        "--quiet",
        "--package",
        "native-helper",
        "--",
        "embed",
        "--out",
        dir,
    ])?;
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{dir}: {e}"))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let gzipped = gzip_len(&bytes)?;
        eprintln!("  {:>8} bytes gzipped  {}", gzipped, path.display());
        total += gzipped;
    }
    eprintln!("embed: {total} bytes gzipped in all (budget {EMBED_BUDGET})");
    if total > EMBED_BUDGET {
        return Err(format!(
            "the docs embed is {total} bytes gzipped, over its {EMBED_BUDGET}-byte budget"
        ));
    }
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<usize, String> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(encoder.finish().map_err(|e| e.to_string())?.len())
}

fn cargo(args: &[&str]) -> Result<(), String> {
    run(Command::new(setup::cargo_program()).args(args))
}

/// Runs `command`, showing it first; an error says which one failed.
fn run(command: &mut Command) -> Result<(), String> {
    let shown = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("$ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}
