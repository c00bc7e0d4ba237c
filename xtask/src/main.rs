//! Project automation, in Rust so it runs the same everywhere (`cargo xtask`).
//!
//! - `cargo xtask test`: everything CI checks — formatting, clippy (host and
//!   wasm32), and every test including the headless-browser ones.
//! - `cargo xtask lint`: formatting and clippy only.

use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <test|lint>

  test   cargo fmt --check, clippy -D warnings (host + wasm32), cargo test --workspace
  lint   the first two only";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("test") => lint().and_then(|()| test()),
        Some("lint") => lint(),
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
    cargo(&[
        "clippy",
        "--package",
        "wasm-probe",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ])
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
