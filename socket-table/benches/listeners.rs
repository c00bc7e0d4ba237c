//! `tcp_listeners()` against the tool it replaces, `ss`, on the same table in
//! the same run.
//!
//! The bench opens ~1000 loopback listeners of its own first, so the kernel
//! dump spans several netlink replies and the `/proc` scan has real work (this
//! process holds 1000 socket fds). `ss` is timed as a user would run it: a
//! fresh process whose output is read to the end.
//!
//! Run: `cargo bench -p socket-table`; for a socket table holding only the
//! bench's listeners, as root:
//! `unshare -n sh -c 'ip link set lo up && cargo bench --offline -p socket-table'`.

use std::hint::black_box;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LISTENERS: usize = 1000;
const RUNS: usize = 50;

fn main() {
    // Half IPv4, half IPv6, so both dumps carry weight.
    let held: Vec<TcpListener> = (0..LISTENERS)
        .map(|i| TcpListener::bind(if i % 2 == 0 { "127.0.0.1:0" } else { "[::1]:0" }))
        .collect::<Result<_, _>>()
        .expect("bind loopback listeners (is `ulimit -n` above 1100?)");

    let table = socket_table::tcp_listeners().expect("socket table readable");
    let ss_rows = ss(&["-tln"]).lines().count().saturating_sub(1);
    println!(
        "{} listeners held by the bench; table: {} rows here, {ss_rows} from `ss -tln`",
        held.len(),
        table.len()
    );

    // What a check of a port nobody listens on costs.
    let free_port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();

    let [ours, ours_port, ss_p, ss_n] = measure([
        &mut || {
            black_box(socket_table::tcp_listeners().unwrap());
        },
        &mut || {
            black_box(socket_table::tcp_listeners_on(free_port).unwrap());
        },
        &mut || {
            black_box(ss(&["-tlnp"]));
        },
        &mut || {
            black_box(ss(&["-tln"]));
        },
    ]);

    println!("\n{RUNS} runs each      median       p90    median ÷ ours");
    for (name, (median, p90)) in [
        ("tcp_listeners()", ours),
        ("…_on(free port)", ours_port),
        ("ss -tlnp", ss_p),
        ("ss -tln", ss_n),
    ] {
        println!(
            "{name:<17} {:>9}  {:>9}  {:>8.1}×",
            micros(median),
            micros(p90),
            median.as_secs_f64() / ours.0.as_secs_f64()
        );
    }
}

/// Median and 90th percentile wall time of `RUNS` calls of each task, after
/// one warm-up. The tasks take turns, so a burst of load elsewhere on the
/// machine hits all of them alike.
fn measure<const N: usize>(mut tasks: [&mut dyn FnMut(); N]) -> [(Duration, Duration); N] {
    let mut times = [const { Vec::new() }; N];
    for run in 0..=RUNS {
        for (task, times) in tasks.iter_mut().zip(&mut times) {
            let start = Instant::now();
            task();
            if run > 0 {
                times.push(start.elapsed());
            }
        }
    }
    times.map(|mut times| {
        times.sort();
        (times[RUNS / 2], times[RUNS * 9 / 10])
    })
}

/// Runs `ss` with `args` and reads its whole output.
fn ss(args: &[&str]) -> String {
    let mut child = Command::new("ss")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run `ss` (package iproute2)");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(child.wait().unwrap().success(), "ss {args:?} failed");
    out
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}
