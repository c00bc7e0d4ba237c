//! Builds the page's WebAssembly so that one `cargo build` yields one binary
//! that serves everything.
//!
//! A nested cargo compiles `wasm-probe` for wasm32 into its own target
//! directory (the outer cargo holds a lock on ours), then wasm-bindgen runs as
//! a library. Both are pinned to the same version in the workspace manifest,
//! so the generated glue always matches the crate in Cargo.lock.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest
        .parent()
        .expect("native-helper lives in the workspace");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    for input in [
        "wasm-probe/src",
        "wasm-probe/Cargo.toml",
        "protocol/src",
        "protocol/Cargo.toml",
        "www",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }

    // The helper's page and the docs embed: one crate, built twice with
    // one feature each, so the embed does not carry the page. Each build is
    // bound before the next overwrites the module; dependencies are shared.
    for (feature, dir) in [("page", "pkg"), ("embed", "embed")] {
        let wasm = compile_wasm(root, &out, feature);
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&wasm)
            .web(true)
            .expect("the web target is always available")
            // The library omits the module's own URL by default (the CLI does
            // not); without it the page's `init()` cannot find the .wasm file.
            .omit_default_module_path(false)
            .typescript(false)
            .generate(out.join(dir))
            .unwrap_or_else(|e| panic!("wasm-bindgen failed on {}: {e:#}", wasm.display()));
    }
}

/// Runs `cargo build -p wasm-probe --target wasm32-unknown-unknown` with
/// only `feature` and returns the module's path.
fn compile_wasm(root: &Path, out: &Path, feature: &str) -> PathBuf {
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out: share one wasm
    // target directory per outer target directory, whatever the profile.
    let target_dir = out
        .ancestors()
        .nth(4)
        .map_or_else(|| out.join("wasm"), |t| t.join("wasm-probe"));
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--package",
            "wasm-probe",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--no-default-features", "--features", feature])
        .args(["--profile", "wasm", "--target-dir"])
        .arg(&target_dir)
        // The outer build's flags and wrappers (clippy's, a host target) are
        // not meant for the page's module.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("RUSTC_WRAPPER")
        .status()
        .expect("cannot run cargo to build the page's WebAssembly");
    assert!(
        status.success(),
        "building wasm-probe for wasm32-unknown-unknown failed; if the target is missing, run `rustup target add wasm32-unknown-unknown`"
    );
    target_dir.join("wasm32-unknown-unknown/wasm/wasm_probe.wasm")
}
