//! Stage 6: what speaks on the port — nmap's service detection, fast and bounded.
//!
//! Two things run side by side, each on fresh connections: a short wait for
//! a server-first banner ([`banner`]: SSH, SMTP, FTP, MySQL talk first), and
//! the client-first probes, most likely first for this target ([`order`]).
//! The first confident answer wins. Every read has a deadline and a size cap
//! and the whole stage a budget, so nothing a server does (or does not do)
//! can make us hang or buffer without bound.
//!
//! A probe is two steps, like a mini-redis command: what to send, and how to
//! recognise the answer. One file each: [`tls`], [`http`], [`http2`],
//! [`redis`], [`postgres`], [`websocket`].

mod banner;
mod http;
mod http2;
mod postgres;
mod redis;
pub(crate) mod tls;
mod websocket;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use protocol::{Service, ServiceProtocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::target::Target;

pub use http::HttpFacts;
pub use tls::TlsFacts;

/// Most bytes read from one answer: enough for any banner or header block.
const READ_CAP: usize = 8 * 1024;
/// How long a probe has the service to itself before the next one starts.
const STAGGER: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct IdentifyOptions {
    /// How long to wait for a server-first banner.
    pub banner_wait: Duration,
    /// How long one probe may wait for its answer.
    pub probe_timeout: Duration,
    /// The whole stage.
    pub budget: Duration,
}

impl Default for IdentifyOptions {
    fn default() -> Self {
        Self {
            banner_wait: Duration::from_millis(400),
            probe_timeout: Duration::from_millis(500),
            budget: Duration::from_secs(4),
        }
    }
}

/// What identification found: the report's service card, and the facts
/// the diagnosis rules need.
#[derive(Debug, Clone, Default)]
pub struct Identified {
    pub service: Service,
    pub tls: Option<TlsFacts>,
    pub http: Option<HttpFacts>,
    /// Connected, but nothing came back: no banner, no answer to any probe.
    pub silent: bool,
    /// The server accepted and then reset the connection.
    pub reset: bool,
}

impl Identified {
    fn new(protocol: ServiceProtocol, detail: impl Into<String>, banner: Option<String>) -> Self {
        Self {
            service: Service {
                protocol: Some(protocol),
                detail: Some(detail.into()),
                banner,
            },
            ..Self::default()
        }
    }

    fn unknown(bytes: &[u8]) -> Self {
        Self::new(
            ServiceProtocol::Unknown,
            "unrecognised answer",
            Some(show(bytes)),
        )
    }
}

/// A client-first probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Tls,
    Http,
    Http2,
    Redis,
    Postgres,
    WebSocket,
}

/// Most likely first: what the URL scheme says, then the well-known port,
/// then TLS (its answer is unambiguous) and HTTP (most local services).
fn order(target: &Target) -> Vec<Probe> {
    use Probe::*;
    let first = match (target.scheme.as_deref(), target.port) {
        (Some("https" | "rediss"), _) => vec![Tls],
        (Some("wss"), _) => vec![Tls, WebSocket],
        (Some("ws"), _) => vec![WebSocket],
        (Some("http"), _) => vec![Http],
        (Some("redis"), _) | (None, 6379) => vec![Redis],
        (Some("postgres" | "postgresql"), _) | (None, 5432) => vec![Postgres],
        (None, 443 | 8443) => vec![Tls],
        _ => vec![],
    };
    let mut all = first;
    for probe in [Tls, Http, Redis, Postgres, Http2] {
        if !all.contains(&probe) {
            all.push(probe);
        }
    }
    all
}

/// Identifies the service at `addr`, an address that accepted a connection.
pub async fn identify(addr: SocketAddr, target: &Target, options: &IdentifyOptions) -> Identified {
    let work = async {
        let banner = banner::wait(addr, options.banner_wait);
        let probes = run_probes(addr, target, options);
        tokio::pin!(banner, probes);
        // A banner settles it at once; probes that found nothing yet wait for it.
        tokio::select! {
            found = &mut banner => match found {
                Some(found) => found,
                None => probes.await.unwrap_or_else(silent),
            },
            found = &mut probes => match found {
                Some(found) if found.service.protocol != Some(ServiceProtocol::Unknown) => found,
                other => banner.await.or(other).unwrap_or_else(silent),
            },
        }
    };
    tokio::time::timeout(options.budget, work)
        .await
        .unwrap_or_else(|_| silent())
}

fn silent() -> Identified {
    Identified {
        silent: true,
        ..Identified::default()
    }
}

/// Runs the probes in order, staggered like Happy Eyeballs: the next starts
/// when the last one answered, or after [`STAGGER`] without an answer. The
/// first confident answer wins. Most services answer the first probe within
/// a millisecond, so they see no other; a service that ignores a probe (a
/// Redis reading a TLS ClientHello as an unfinished command) costs a
/// stagger, not a whole probe timeout. An unrecognised answer is kept in
/// case nothing better comes.
async fn run_probes(
    addr: SocketAddr,
    target: &Target,
    options: &IdentifyOptions,
) -> Option<Identified> {
    let mut waiting = order(target)
        .into_iter()
        .map(|probe| run_probe(probe, addr, target, options));
    let mut running = FuturesUnordered::new();
    let mut fallback: Option<Identified> = None;
    running.extend(waiting.next());
    loop {
        if running.is_empty() {
            return fallback;
        }
        let answer = tokio::select! {
            Some(answer) = running.next() => answer,
            () = tokio::time::sleep(STAGGER), if waiting.len() > 0 => {
                running.extend(waiting.next());
                continue;
            }
        };
        match answer {
            Answer::Found(found) => return Some(*found),
            Answer::Unrecognised(bytes) => {
                fallback.get_or_insert_with(|| Identified::unknown(&bytes));
            }
            Answer::Reset => {
                fallback.get_or_insert_with(|| Identified {
                    reset: true,
                    ..Identified::default()
                });
            }
            Answer::Nothing => {}
        }
        running.extend(waiting.next());
    }
}

async fn run_probe(
    probe: Probe,
    addr: SocketAddr,
    target: &Target,
    options: &IdentifyOptions,
) -> Answer {
    let (request, recognise): (Vec<u8>, Recogniser) = match probe {
        Probe::Tls => return tls::probe(addr, target, options.probe_timeout).await,
        Probe::Http => (http::request(target), http::recognise),
        Probe::WebSocket => (websocket::request(target), websocket::recognise),
        Probe::Http2 => (http2::REQUEST.to_vec(), http2::recognise),
        Probe::Redis => (redis::REQUEST.to_vec(), redis::recognise),
        Probe::Postgres => (postgres::REQUEST.to_vec(), postgres::recognise),
    };
    exchange(addr, &request, options.probe_timeout, recognise).await
}

/// Looks at all bytes so far, and whether more can come.
type Recogniser = fn(&[u8], bool) -> Option<Identified>;

/// What one probe got back.
#[derive(Debug)]
enum Answer {
    Found(Box<Identified>),
    /// Bytes nobody recognised.
    Unrecognised(Vec<u8>),
    /// The server reset the connection.
    Reset,
    /// No bytes: a timeout, a clean close, or no connection at all.
    Nothing,
}

/// Sends `request` on a fresh connection, then reads until `recognise` is
/// sure, the server closes, the cap is reached or the deadline passes.
/// `recognise` sees all bytes so far and whether more can come.
async fn exchange(
    addr: SocketAddr,
    request: &[u8],
    deadline: Duration,
    recognise: Recogniser,
) -> Answer {
    let work = async {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            return Answer::Nothing;
        };
        if stream.write_all(request).await.is_err() {
            return Answer::Nothing;
        }
        let mut bytes = Vec::new();
        match read_until(&mut stream, &mut bytes, |b, ended| {
            banner::recognise(b).or_else(|| recognise(b, ended))
        })
        .await
        {
            Ok(Some(found)) => Answer::Found(Box::new(found)),
            Ok(None) if bytes.is_empty() => Answer::Nothing,
            Ok(None) => Answer::Unrecognised(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && bytes.is_empty() => {
                Answer::Reset
            }
            Err(_) => Answer::Unrecognised(bytes),
        }
    };
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or(Answer::Nothing)
}

/// Reads into `bytes` (at most [`READ_CAP`]) until `recognise` returns an
/// answer; at the end of the stream it gets a last look with `ended` set.
async fn read_until(
    stream: &mut TcpStream,
    bytes: &mut Vec<u8>,
    recognise: impl Fn(&[u8], bool) -> Option<Identified>,
) -> std::io::Result<Option<Identified>> {
    let mut chunk = [0u8; 2048];
    loop {
        let room = (READ_CAP - bytes.len()).min(chunk.len());
        let n = stream.read(&mut chunk[..room]).await?;
        bytes.extend_from_slice(&chunk[..n]);
        let ended = n == 0 || bytes.len() >= READ_CAP;
        if let Some(found) = recognise(bytes, ended) {
            return Ok(Some(found));
        }
        if ended {
            return Ok(None);
        }
    }
}

/// First bytes for a person: printable text as is, the rest as `\xNN`,
/// plus a hex dump when anything was not text.
fn show(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(64)];
    let text: String = head
        .iter()
        .map(|&b| match b {
            b' '..=b'~' => (b as char).to_string(),
            b'\r' => "\\r".to_owned(),
            b'\n' => "\\n".to_owned(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    if head
        .iter()
        .all(|b| b.is_ascii_graphic() || b" \r\n\t".contains(b))
    {
        text
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        format!("{text} (hex {})", hex.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(input: &str) -> Target {
        super::super::target::parse(input)
            .and_then(super::super::target::validate)
            .unwrap()
    }

    #[test]
    fn order_follows_scheme_then_port() {
        use Probe::*;
        assert_eq!(order(&target("https://localhost"))[0], Tls);
        assert_eq!(order(&target("http://localhost:8443"))[0], Http);
        assert_eq!(order(&target("localhost:6379"))[0], Redis);
        assert_eq!(order(&target("localhost:5432"))[0], Postgres);
        assert_eq!(order(&target("ws://localhost:9000"))[0], WebSocket);
        let plain = order(&target("localhost:9000"));
        assert_eq!(plain, [Tls, Http, Redis, Postgres, Http2]);
    }

    #[test]
    fn shows_text_and_binary() {
        assert_eq!(show(b"hello\r\n"), "hello\\r\\n");
        assert_eq!(show(&[0x16, 0x03, b'a']), "\\x16\\x03a (hex 16 03 61)");
    }

    /// Servers send anything: no recogniser may panic on it, whole or cut
    /// short, and what it keeps for the report stays bounded.
    mod properties {
        use super::*;
        use proptest::prelude::*;

        const RECOGNISERS: [Recogniser; 5] = [
            http::recognise,
            websocket::recognise,
            http2::recognise,
            redis::recognise,
            postgres::recognise,
        ];

        fn read_all(answer: &[u8]) {
            let _ = banner::recognise(answer);
            for recognise in RECOGNISERS {
                for ended in [false, true] {
                    if let Some(found) = recognise(answer, ended) {
                        let banner = found.service.banner.unwrap_or_default();
                        assert!(banner.len() <= 4 * READ_CAP, "{banner}");
                    }
                }
            }
            assert!(show(answer).len() <= 64 * 8);
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2048))]

            #[test]
            fn any_answer(answer in prop::collection::vec(any::<u8>(), 0..600)) {
                read_all(&answer);
            }

            /// Answers that start like the real thing get further in.
            #[test]
            fn plausible_answers(
                prefix in prop::sample::select(vec![
                    &b"HTTP/1.1 "[..], b"HTTP/1.1 101 ", b"+PONG\r\n", b"-NOAUTH",
                    b"SSH-2.0-", b"220 ", b"\x4a\x00\x00\x00\x0a", b"S", b"N",
                    b"\x00\x00\x12\x04\x00",
                ]),
                rest in prop::collection::vec(any::<u8>(), 0..300),
            ) {
                read_all(&[prefix, &rest[..]].concat());
            }
        }
    }
}
