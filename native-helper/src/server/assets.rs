//! The page, compiled into the binary so one file serves everything.
//!
//! `build.rs` compiles `wasm-probe` to WebAssembly and runs wasm-bindgen on
//! it; `www/` holds the hand-written files.

pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! www {
    ($file:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/", $file))
    };
}

macro_rules! generated {
    ($file:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/pkg/", $file))
    };
}

pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: www!("index.html"),
    },
    Asset {
        path: "/style.css",
        content_type: "text/css; charset=utf-8",
        body: www!("style.css"),
    },
    Asset {
        path: "/pkg/wasm_probe.js",
        content_type: "text/javascript; charset=utf-8",
        body: generated!("wasm_probe.js"),
    },
    Asset {
        path: "/pkg/wasm_probe_bg.wasm",
        content_type: "application/wasm",
        body: generated!("wasm_probe_bg.wasm"),
    },
];

pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}
