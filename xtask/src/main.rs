//! Project automation, in Rust so it runs the same everywhere (`cargo xtask`).
//!
//! - `cargo xtask test`: everything CI checks — formatting, clippy (host and
//!   wasm32), and every test including the headless-browser ones.
//! - `cargo xtask lint`: formatting and clippy only.
//! - `cargo xtask embed`: writes the docs embed to `target/embed/` and fails
//!   when it is above its size budget (part of `test`, so CI checks it).

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <test|lint|embed>

  test   cargo fmt --check, clippy -D warnings (host + wasm32, page and embed),
         the embed's size budget, cargo test --workspace
  lint   formatting and clippy only
  embed  write the docs embed to target/embed/ and check its gzipped size";

/// What a docs reader downloads for `<port-check>`, gzipped, all files together.
const EMBED_BUDGET: u64 = 120 * 1024;
const EMBED_DIR: &str = "target/embed";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("test") => lint().and_then(|()| embed()).and_then(|()| test()),
        Some("lint") => lint(),
        Some("embed") => embed(),
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
    // The page, and the embed built without it.
    for features in ["--all-features", "--no-default-features"] {
        cargo(&[
            "clippy",
            "--package",
            "wasm-probe",
            "--target",
            "wasm32-unknown-unknown",
            features,
            "--",
            "-D",
            "warnings",
        ])?;
    }
    Ok(())
}

/// Builds the helper (which builds the embed), has it write the embed's
/// files, and adds up their gzipped sizes: what a browser fetches with
/// `Content-Encoding: gzip`.
fn embed() -> Result<(), String> {
    cargo(&[
        "run",
        "--quiet",
        "--package",
        "native-helper",
        "--",
        "embed",
        EMBED_DIR,
    ])?;
    let mut total = 0;
    let mut files: Vec<_> = std::fs::read_dir(EMBED_DIR)
        .map_err(|e| format!("cannot read {EMBED_DIR}: {e}"))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    files.sort();
    for path in &files {
        let size = gzipped(path)?;
        eprintln!("  {:>7} B gzipped  {}", size, path.display());
        total += size;
    }
    eprintln!(
        "  {total:>7} B gzipped  in all ({:.1} KiB of the {} KiB budget)",
        total as f64 / 1024.0,
        EMBED_BUDGET / 1024
    );
    if total > EMBED_BUDGET {
        return Err(format!(
            "the docs embed is {total} B gzipped, above its budget of {EMBED_BUDGET} B"
        ));
    }
    Ok(())
}

fn gzipped(path: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&bytes)
        .and_then(|()| encoder.finish())
        .map(|gz| gz.len() as u64)
        .map_err(|e| format!("cannot gzip {}: {e}", path.display()))
}

fn test() -> Result<(), String> {
    cargo(&["test", "--workspace"])
}

fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}
