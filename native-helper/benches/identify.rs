//! How fast identification names a known service, next to the tool a person
//! would reach for, in the same run: `ssh-keyscan` for a server-first banner,
//! `redis-cli ping` and `curl` for first-probe matches, and nmap's service
//! detection for a service known by its port number alone, where the probes
//! fall through to the one that matches. The peers' figures include
//! starting a process; ours is the library call.
//!
//! `cargo bench -p native-helper --bench identify`

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use engine::identify::{IdentifyOptions, identify};
use engine::target;
use support::TempDir;
use support::peers::{nginx, redis, sshd};

const ROUNDS: usize = 50;
/// nmap -sV takes seconds a run.
const NMAP_ROUNDS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ours(runtime: &tokio::runtime::Runtime, input: &str, addr: SocketAddr) -> (Duration, String) {
    let target = target::parse(input).and_then(target::validate).unwrap();
    let options = IdentifyOptions::default();
    let mut detail = String::new();
    let samples = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            let found = runtime.block_on(identify(addr, &target, &options));
            let took = started.elapsed();
            detail = found.service.detail.unwrap_or_default();
            took
        })
        .collect();
    (median(samples), detail)
}

fn peer(program: &str, args: &[&str]) -> Duration {
    peer_rounds(ROUNDS, program, args)
}

fn peer_rounds(rounds: usize, program: &str, args: &[&str]) -> Duration {
    median(
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                let status = Command::new(program)
                    .args(args)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap_or_else(|e| panic!("{program}: {e}"));
                assert!(status.success(), "{program} {args:?} failed");
                started.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ssh_dir = TempDir::new("bench-sshd");
    let nginx_dir = TempDir::new("bench-nginx");
    let (ssh, redis, web) = (sshd(&ssh_dir), redis(), nginx(false, &nginx_dir));

    let rows = [
        (
            "SSH banner (server-first)",
            ours(&runtime, &ssh.addr.to_string(), ssh.addr),
            "ssh-keyscan",
            peer(
                "ssh-keyscan",
                &["-p", &ssh.addr.port().to_string(), "127.0.0.1"],
            ),
        ),
        (
            "Redis (first probe)",
            ours(&runtime, &format!("redis://{}", redis.addr), redis.addr),
            "redis-cli ping",
            peer("redis-cli", &["-p", &redis.addr.port().to_string(), "ping"]),
        ),
        (
            "Redis by port (third probe)",
            ours(&runtime, &redis.addr.to_string(), redis.addr),
            "nmap -sV",
            peer_rounds(
                NMAP_ROUNDS,
                "nmap",
                &[
                    "-sV",
                    "-Pn",
                    "-p",
                    &redis.addr.port().to_string(),
                    "127.0.0.1",
                ],
            ),
        ),
        (
            "nginx HTTP (first probe)",
            ours(&runtime, &format!("http://{}/", web.addr), web.addr),
            "curl -sI",
            peer("curl", &["-sI", &format!("http://{}/", web.addr)]),
        ),
    ];
    println!(
        "{:<28} {:>10}  {:<32} {:>10}",
        "service", "portdoctor", "", "peer"
    );
    for (what, (ours, detail), peer_name, theirs) in rows {
        println!(
            "{what:<28} {:>7.2} ms  {:<32} {:>7.2} ms ({peer_name})",
            ours.as_secs_f64() * 1e3,
            detail,
            theirs.as_secs_f64() * 1e3,
        );
    }
}
