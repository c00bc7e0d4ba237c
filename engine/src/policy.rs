//! Which addresses the helper may connect to.
//!
//! Any web page the user visits can try to drive the helper, so by default it
//! only connects to loopback. The policy is applied to resolved addresses, not
//! names: a name that resolves elsewhere (DNS rebinding, a poisoned hosts
//! file) is refused before any packet leaves.

use std::net::IpAddr;
use std::str::FromStr;

/// An address range the user allowed with `--allow-target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an address or range; use e.g. 192.168.1.20, 10.0.0.0/8 or fd00::/8")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CidrError(s.to_owned());
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, prefix)) => (ip, Some(prefix)),
            None => (s, None),
        };
        let network: IpAddr = ip.parse().map_err(|_| err())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(err)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

impl From<IpAddr> for Cidr {
    fn from(ip: IpAddr) -> Self {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Self {
            network: ip,
            prefix,
        }
    }
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    net[..full] == ip[..full] && (rest == 0 || (net[full] ^ ip[full]) & (0xffu8 << (8 - rest)) == 0)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    allowed: Vec<Cidr>,
}

impl TargetPolicy {
    /// Loopback plus the ranges the user allowed explicitly.
    pub fn new(allowed: Vec<Cidr>) -> Self {
        Self { allowed }
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        ip.to_canonical().is_loopback() || self.allowed.iter().any(|c| c.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn default_allows_loopback_only() {
        let p = TargetPolicy::default();
        for ok in ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"] {
            assert!(p.allows(ip(ok)), "{ok}");
        }
        for no in [
            "0.0.0.0",
            "192.168.1.1",
            "10.0.0.1",
            "8.8.8.8",
            "::",
            "fe80::1",
        ] {
            assert!(!p.allows(ip(no)), "{no}");
        }
    }

    #[test]
    fn allowed_ranges_widen_it() {
        let p = TargetPolicy::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "fd00::1".parse().unwrap(),
        ]);
        assert!(p.allows(ip("10.200.3.4")));
        assert!(!p.allows(ip("11.0.0.1")));
        assert!(p.allows(ip("fd00::1")));
        assert!(!p.allows(ip("fd00::2")));
        let p = TargetPolicy::new(vec!["192.168.1.128/25".parse().unwrap()]);
        assert!(p.allows(ip("192.168.1.200")));
        assert!(!p.allows(ip("192.168.1.127")));
    }

    #[test]
    fn bad_ranges_are_refused() {
        for bad in ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert!("0.0.0.0/0".parse::<Cidr>().is_ok());
    }
}
