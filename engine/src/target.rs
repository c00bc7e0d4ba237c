//! Stages 1 and 2 of a check: read the target text, then validate the port.
//!
//! Users paste what they have at hand: `localhost:8080`, `8080`,
//! `[::1]:5432`, `http://localhost:8000/mcp`, a connection URL from a config
//! file. Anything we cannot use becomes a [`TargetError`] that says what was
//! wrong; the diagnosis stage turns it into a finding, never a crash.

use std::net::{IpAddr, Ipv6Addr};

/// The target as read, before the port is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTarget {
    pub host: String,
    /// `None` when the digits do not even fit in 64 bits.
    pub port: Option<u64>,
    pub port_text: String,
    pub path: Option<String>,
    pub scheme: Option<String>,
}

/// A target the later stages can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub path: Option<String>,
    pub scheme: Option<String>,
    /// The wildcard address typed (`0.0.0.0`, `::`), when `host` is the
    /// loopback address it stands for here.
    pub wildcard: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// What to type instead is the finding's fix, said once.
    #[error("the target is empty")]
    Empty,
    #[error("{reason}")]
    Invalid { reason: String },
    #[error("{}", port_out_of_range_message(*.port, .text, .suggestions, .listening))]
    PortOutOfRange {
        port: Option<u64>,
        text: String,
        suggestions: Vec<u16>,
        /// The suggestions something listens on now (see [`TargetError::ranked_by`]).
        listening: Vec<u16>,
    },
}

impl TargetError {
    /// Ranks an out-of-range port's suggestions with the ports something
    /// listens on now first: with a server on 61909, `619009` most likely
    /// meant that one, not the familiar 61900.
    pub fn ranked_by(self, listening: &[u16]) -> Self {
        match self {
            Self::PortOutOfRange { port, text, .. } => {
                let suggestions = suggest_ports(&text, listening);
                let listening = suggestions
                    .iter()
                    .copied()
                    .filter(|p| listening.contains(p))
                    .collect();
                Self::PortOutOfRange {
                    port,
                    text,
                    suggestions,
                    listening,
                }
            }
            other => other,
        }
    }
}

/// Default ports of the URL schemes people paste, so `https://localhost`
/// means port 443 as it does everywhere else.
const SCHEME_PORTS: &[(&str, Option<u16>)] = &[
    ("http", Some(80)),
    ("https", Some(443)),
    ("ws", Some(80)),
    ("wss", Some(443)),
    ("redis", Some(6379)),
    ("rediss", Some(6379)),
    ("postgres", Some(5432)),
    ("postgresql", Some(5432)),
    ("mysql", Some(3306)),
    ("mongodb", Some(27017)),
    ("amqp", Some(5672)),
    ("ssh", Some(22)),
    ("ftp", Some(21)),
    ("smtp", Some(25)),
    ("tcp", None),
];

/// Ports developers type often; a typo that lands on one of them is the
/// likeliest reading of an out-of-range number.
const FAMILIAR_PORTS: &[u16] = &[
    protocol::DEFAULT_PORT,
    80,
    443,
    1433,
    3000,
    3306,
    4200,
    5000,
    5173,
    5432,
    5672,
    6379,
    8000,
    8080,
    8443,
    8888,
    9000,
    9200,
    11434,
    27017,
];

/// Stage 1: split the text into host, port text and path.
pub fn parse(input: &str) -> Result<RawTarget, TargetError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(TargetError::Empty);
    }
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, text),
    };
    let default_port = match &scheme {
        None => None,
        Some(s) => match SCHEME_PORTS.iter().find(|(name, _)| name == s) {
            Some((_, port)) => *port,
            None => {
                return Err(invalid(format!(
                    "unknown scheme \"{s}://\"; use host:port, or a URL starting with http://, https://, ws://, redis://, postgres://, ..."
                )));
            }
        },
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let path = path.map(|p| {
        if p.starts_with('/') {
            p.to_owned()
        } else {
            format!("/{p}")
        }
    });
    // Credentials in a pasted connection URL are not ours to keep or echo.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);

    let bare_port = !authority.is_empty() && authority.bytes().all(|b| b.is_ascii_digit());
    match (&scheme, &path) {
        (None, None) if bare_port => return Ok(raw("localhost", authority, None, None)),
        // `8000/mcp`: a path belongs to a URL.
        (None, Some(path)) if bare_port => {
            return Err(invalid(format!(
                "a path needs a URL: write http://localhost:{authority}{path}"
            )));
        }
        (Some(scheme), _) if authority.is_empty() => {
            return Err(invalid(format!(
                "no host in \"{text}\"; write e.g. {scheme}://localhost:8080/"
            )));
        }
        _ => {}
    }
    let (host, port_text) = split_host_port(authority)?;
    validate_host(host)?;
    let port_text = match (port_text, default_port) {
        (Some(p), _) => p.to_owned(),
        (None, Some(p)) => p.to_string(),
        (None, None) => {
            return Err(invalid(format!(
                "no port in \"{text}\"; add one, e.g. {}:8080",
                display_host(host)
            )));
        }
    };
    Ok(raw(host, &port_text, path, scheme))
}

/// Stage 2: the port must be a TCP port, 1 to 65535.
pub fn validate(raw: RawTarget) -> Result<Target, TargetError> {
    match raw.port {
        Some(port @ 1..=65535) => {
            let (host, wildcard) = match raw.host.parse::<IpAddr>() {
                Ok(ip) if ip.is_unspecified() => (loopback_of(ip).to_string(), Some(ip)),
                _ => (raw.host, None),
            };
            Ok(Target {
                host,
                port: port as u16,
                path: raw.path,
                scheme: raw.scheme,
                wildcard,
            })
        }
        port => Err(TargetError::PortOutOfRange {
            port,
            suggestions: suggest_ports(&raw.port_text, &[]),
            text: raw.port_text,
            listening: Vec::new(),
        }),
    }
}

/// `0.0.0.0:8080` is what a server prints when it binds every address; as
/// a destination it means this machine (Linux and macOS connect it to
/// loopback, Windows refuses it). Checked as the loopback address of the
/// same family: what a client here should use.
fn loopback_of(wildcard: IpAddr) -> IpAddr {
    match wildcard {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

fn raw(host: &str, port_text: &str, path: Option<String>, scheme: Option<String>) -> RawTarget {
    RawTarget {
        host: host.to_owned(),
        port: port_text.parse().ok(),
        port_text: port_text.to_owned(),
        path,
        scheme,
    }
}

fn invalid(reason: String) -> TargetError {
    TargetError::Invalid { reason }
}

/// `host:port`, `[v6]:port`, `[v6]`, `host`. A bare IPv6 address is refused
/// with the bracketed form to use, since `::1:8080` is itself an address.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), TargetError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| {
            invalid(format!(
                "\"[{rest}\" has no closing \"]\"; write IPv6 addresses as [::1]:8080"
            ))
        })?;
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(invalid(format!(
                "\"{host}\" inside [ ] is not an IPv6 address"
            )));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => {
                    return Err(invalid(format!(
                        "unexpected \"{after}\" after \"[{host}]\"; write [{host}]:PORT"
                    )));
                }
            },
        }
    } else if authority.matches(':').count() > 1 {
        let port_split = authority
            .rsplit_once(':')
            .filter(|(head, tail)| head.parse::<Ipv6Addr>().is_ok() && tail.parse::<u16>().is_ok());
        let hint = match (port_split, authority.parse::<Ipv6Addr>()) {
            (Some((ip, port)), _) => format!("did you mean [{ip}]:{port}?"),
            (None, Ok(ip)) => format!("write [{ip}]:PORT"),
            _ => "write IPv6 addresses in brackets, e.g. [::1]:8080".to_owned(),
        };
        return Err(invalid(format!("\"{authority}\" is ambiguous: {hint}")));
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() {
            return Err(invalid(format!(
                "nothing after \":\" in \"{authority}\"; add the port number"
            )));
        }
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "port \"{port}\" is not a number; TCP ports are whole numbers from 1 to 65535"
            )));
        }
    }
    Ok((host, port))
}

/// Host names per RFC 1123 (letters, digits, hyphens, dots; underscores too,
/// since container and service names use them) or IP literals.
fn validate_host(host: &str) -> Result<(), TargetError> {
    if host.is_empty() {
        return Err(invalid(
            "no host before the port; write localhost:8080 or just 8080".to_owned(),
        ));
    }
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if host.len() > 253 {
        return Err(invalid(format!(
            "host name is {} characters long; names stop at 253",
            host.len()
        )));
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        return Err(invalid(format!(
            "\"{host}\" is not a host name: it contains {bad:?}; use letters, digits, '-' and '.'"
        )));
    }
    if host
        .split('.')
        .any(|label| label.is_empty() || label.len() > 63)
    {
        return Err(invalid(format!(
            "\"{host}\" is not a host name: a part between dots is empty or longer than 63 characters"
        )));
    }
    Ok(())
}

fn display_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// Ports the user probably meant: one digit too many is the usual slip
/// (`619009` for `61900`). Ranked: ports in `listening` first, then
/// familiar ports, then a doubled keystroke removed, then the last digit
/// dropped.
pub fn suggest_ports(digits: &str, listening: &[u16]) -> Vec<u16> {
    let digits = digits.trim_start_matches('0');
    let bytes = digits.as_bytes();
    let mut candidates: Vec<((bool, bool, bool, bool), u16)> = Vec::new();
    for i in 0..bytes.len() {
        let mut s = String::with_capacity(bytes.len());
        s.push_str(&digits[..i]);
        s.push_str(&digits[i + 1..]);
        if s.starts_with('0') {
            continue;
        }
        let Ok(port @ 1..=65535) = s.parse::<u32>() else {
            continue;
        };
        let port = port as u16;
        let doubled = (i > 0 && bytes[i - 1] == bytes[i]) || bytes.get(i + 1) == Some(&bytes[i]);
        let last = i == bytes.len() - 1;
        let rank = (
            !listening.contains(&port),
            !FAMILIAR_PORTS.contains(&port),
            !doubled,
            !last,
        );
        if !candidates.iter().any(|&(_, p)| p == port) {
            candidates.push((rank, port));
        }
    }
    candidates.sort_by_key(|&(rank, _)| rank);
    candidates.into_iter().map(|(_, p)| p).take(4).collect()
}

fn port_out_of_range_message(
    port: Option<u64>,
    text: &str,
    suggestions: &[u16],
    listening: &[u16],
) -> String {
    let what = match port {
        Some(0) => {
            return "port 0 cannot be connected to: it only means \"any free port\" when a server binds; TCP ports to connect to are 1 to 65535".to_owned();
        }
        Some(p) => format!("port {p} is out of range"),
        None => format!("port {text} is out of range"),
    };
    let list: Vec<String> = suggestions
        .iter()
        .map(|p| {
            if listening.contains(p) {
                format!("{p} (listening now)")
            } else {
                p.to_string()
            }
        })
        .collect();
    let hint = if list.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", list.join(", "))
    };
    format!("{what}: TCP ports stop at 65535{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str) -> Result<Target, TargetError> {
        parse(input).and_then(validate)
    }

    fn ok(input: &str) -> (String, u16, Option<String>) {
        let t = check(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (t.host, t.port, t.path)
    }

    #[test]
    fn reads_every_documented_form() {
        assert_eq!(ok("localhost:8080"), ("localhost".into(), 8080, None));
        assert_eq!(ok("8080"), ("localhost".into(), 8080, None));
        assert_eq!(ok("[::1]:5432"), ("::1".into(), 5432, None));
        assert_eq!(ok("127.0.0.1:6379"), ("127.0.0.1".into(), 6379, None));
        assert_eq!(
            ok("http://localhost:8000/mcp"),
            ("localhost".into(), 8000, Some("/mcp".into()))
        );
        assert_eq!(ok("  localhost:8080 \n"), ("localhost".into(), 8080, None));
    }

    #[test]
    fn wildcards_mean_the_loopback_address_of_their_family() {
        let t = check("0.0.0.0:8080").unwrap();
        assert_eq!(
            (t.host.as_str(), t.wildcard),
            ("127.0.0.1", Some("0.0.0.0".parse().unwrap()))
        );
        let t = check("http://[::]:8000/mcp").unwrap();
        assert_eq!(
            (t.host.as_str(), t.wildcard),
            ("::1", Some("::".parse().unwrap()))
        );
        assert_eq!(check("127.0.0.1:80").unwrap().wildcard, None);
    }

    #[test]
    fn urls_get_their_scheme_default_port_and_lose_credentials() {
        assert_eq!(ok("https://localhost"), ("localhost".into(), 443, None));
        assert_eq!(
            ok("http://localhost/"),
            ("localhost".into(), 80, Some("/".into()))
        );
        assert_eq!(
            ok("postgres://alice:secret@db.local/app"),
            ("db.local".into(), 5432, Some("/app".into()))
        );
        assert_eq!(ok("HTTP://[::1]:8000"), ("::1".into(), 8000, None));
        let t = check("http://localhost:8000/mcp").unwrap();
        assert_eq!(t.scheme.as_deref(), Some("http"));
    }

    #[test]
    fn port_bounds() {
        assert!(matches!(
            check("localhost:0"),
            Err(TargetError::PortOutOfRange { port: Some(0), .. })
        ));
        assert_eq!(ok("localhost:1").1, 1);
        assert_eq!(ok("localhost:65535").1, 65535);
        assert!(matches!(
            check("localhost:65536"),
            Err(TargetError::PortOutOfRange {
                port: Some(65536),
                ..
            })
        ));
        assert!(matches!(
            check("0"),
            Err(TargetError::PortOutOfRange { .. })
        ));
    }

    #[test]
    fn out_of_range_explains_and_suggests_the_likely_port() {
        let err = check("localhost:619009").unwrap_err();
        let TargetError::PortOutOfRange {
            port, suggestions, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*port, Some(619009));
        assert_eq!(suggestions.first(), Some(&61900));
        assert!(suggestions.contains(&61909), "{suggestions:?}");
        let message = err.to_string();
        assert!(message.contains("65535"), "{message}");
        assert!(message.contains("61900"), "{message}");
    }

    #[test]
    fn suggestions_prefer_familiar_ports() {
        assert_eq!(suggest_ports("80800", &[]).first(), Some(&8080));
        assert_eq!(suggest_ports("54320", &[]).first(), Some(&5432));
        assert!(suggest_ports("99999999", &[]).is_empty());
    }

    #[test]
    fn a_port_listening_now_outranks_a_familiar_one() {
        let err = check("localhost:619009")
            .unwrap_err()
            .ranked_by(&[22, 61909]);
        let TargetError::PortOutOfRange {
            suggestions,
            listening,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(suggestions.first(), Some(&61909));
        assert_eq!(listening, &[61909]);
        assert!(
            err.to_string()
                .contains("did you mean 61909 (listening now), 61900"),
            "{err}"
        );
    }

    #[test]
    fn digits_beyond_64_bits_are_out_of_range_not_a_crash() {
        let err = check("localhost:99999999999999999999999").unwrap_err();
        assert!(matches!(
            err,
            TargetError::PortOutOfRange { port: None, .. }
        ));
        assert!(err.to_string().contains("65535"));
    }

    #[test]
    fn garbage_is_invalid_with_a_reason() {
        for (input, needle) in [
            ("", "empty"),
            ("   ", "empty"),
            ("localhost", "no port"),
            ("localhost:", "nothing after"),
            ("localhost:http", "not a number"),
            ("localhost:-1", "not a number"),
            (":8080", "no host"),
            ("::1", "[::1]:PORT"),
            ("::1:8080", "[::1]:8080"),
            ("fe80::zz:1", "brackets"),
            ("[::1", "closing"),
            ("[nope]:80", "not an IPv6"),
            ("[::1]8080", "unexpected"),
            ("gopher://localhost:70", "unknown scheme"),
            ("8000/mcp", "http://localhost:8000/mcp"),
            ("http://", "http://localhost:8080/"),
            ("https:///path", "no host"),
            ("local host:80", "contains ' '"),
            ("exa..mple:80", "empty"),
            ("<script>:80", "not a host name"),
        ] {
            match check(input) {
                Err(TargetError::Invalid { reason }) => {
                    assert!(reason.contains(needle), "{input:?}: {reason}")
                }
                Err(TargetError::Empty) => assert_eq!(needle, "empty", "{input:?}"),
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4096))]

            /// Whatever is typed, the first two stages answer; out-of-range
            /// ports are reported as such, never clamped.
            #[test]
            fn any_text_gets_an_answer(input in "\\PC{0,80}") {
                match check(&input) {
                    Ok(t) => prop_assert!(t.port >= 1),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }

            #[test]
            fn host_and_port_round_trip(
                host in "[a-z][a-z0-9-]{0,20}(\\.[a-z][a-z0-9]{0,10}){0,3}",
                port in 1u16..,
            ) {
                prop_assert_eq!(ok(&format!("{host}:{port}")), (host, port, None));
            }

            #[test]
            fn every_port_beyond_65535_is_out_of_range(port in 65536u64..) {
                let err = check(&format!("localhost:{port}")).unwrap_err();
                let is_out_of_range = matches!(err, TargetError::PortOutOfRange { port: Some(p), .. } if p == port);
                prop_assert!(is_out_of_range);
            }
        }
    }
}
