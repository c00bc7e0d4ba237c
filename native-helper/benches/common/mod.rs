//! What the benchmarks share: the real helper binary, percentiles.

#![allow(dead_code)] // each benchmark uses its own subset

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

/// The helper on a free port; killed on drop.
pub struct Helper(pub Child, pub String);

impl Helper {
    pub fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portdoctor"))
            .args(["--no-open", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start portdoctor");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .trim()
            .strip_prefix("portdoctor is running at http://")
            .expect("the helper announces its URL")
            .trim_end_matches('/')
            .to_owned();
        Self(child, addr)
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
