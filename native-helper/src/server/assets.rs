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
    ($dir:literal, $file:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $dir, "/", $file))
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
        body: generated!("pkg", "wasm_probe.js"),
    },
    Asset {
        path: "/pkg/wasm_probe_bg.wasm",
        content_type: "application/wasm",
        body: generated!("pkg", "wasm_probe_bg.wasm"),
    },
    // The docs embed, as a folder a docs site copies (`cargo xtask embed`).
    Asset {
        path: "/embed/embed.js",
        content_type: "text/javascript; charset=utf-8",
        body: www!("embed.js"),
    },
    Asset {
        path: "/embed/style.css",
        content_type: "text/css; charset=utf-8",
        body: www!("style.css"),
    },
    Asset {
        path: "/embed/wasm_probe.js",
        content_type: "text/javascript; charset=utf-8",
        body: generated!("embed", "wasm_probe.js"),
    },
    Asset {
        path: "/embed/wasm_probe_bg.wasm",
        content_type: "application/wasm",
        body: generated!("embed", "wasm_probe_bg.wasm"),
    },
];

/// The files of the docs embed, by name.
pub fn embed_files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    ASSETS
        .iter()
        .filter_map(|a| Some((a.path.strip_prefix("/embed/")?, a.body)))
}

pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}
