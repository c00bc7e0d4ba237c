//! The hosts file's say on `localhost`: which lines map it, to which family.
//!
//! Browsers treat `localhost` as both 127.0.0.1 and ::1 whatever the file
//! says; most other clients (curl, Node, Python) ask the resolver, which
//! takes the file's word. So a file that maps it to one family explains why
//! a server on the other one works in the browser only.

use std::net::IpAddr;

#[cfg(windows)]
pub const PATH: &str = r"C:\Windows\System32\drivers\etc\hosts";
#[cfg(not(windows))]
pub const PATH: &str = "/etc/hosts";

/// One line of the hosts file that maps `localhost`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based, as an editor shows it.
    pub number: usize,
    pub text: String,
    pub addr: IpAddr,
}

/// The lines of `text` that map the name `localhost` (any case).
pub fn localhost_lines(text: &str) -> Vec<Line> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let line = raw.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let addr = words.next()?.parse().ok()?;
            words
                .any(|name| name.eq_ignore_ascii_case("localhost"))
                .then(|| Line {
                    number: i + 1,
                    text: raw.trim().to_owned(),
                    addr,
                })
        })
        .collect()
}

/// This machine's lines for `localhost`; none when the file is unreadable.
pub fn read() -> Vec<Line> {
    std::fs::read_to_string(PATH)
        .map(|text| localhost_lines(&text))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lines_that_map_localhost() {
        let text = "# comment localhost\n127.0.0.1\tlocalhost runsc\n::1 ip6-localhost ip6-loopback\n10.0.0.1 LocalHost.\n  ::1  LOCALHOST # v6 too\nnot-an-ip localhost\n";
        let lines = localhost_lines(text);
        assert_eq!(lines.iter().map(|l| l.number).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(lines[0].text, "127.0.0.1\tlocalhost runsc");
        assert_eq!(lines[1].addr, "::1".parse::<IpAddr>().unwrap());
    }
}
