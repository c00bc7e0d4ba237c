//! Which addresses the helper may connect to.
//!
//! Any web page the user visits can try to drive the helper, so by default it
//! only connects to loopback. The policy is applied to resolved addresses, not
//! names: a name that resolves elsewhere (DNS rebinding, a poisoned hosts
//! file) is refused before any packet leaves.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// An address range the user allowed with `--allow-target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(IpNet);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an address or range; use e.g. 192.168.1.20, 10.0.0.0/8 or fd00::/8")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;

    /// A range (`10.0.0.0/8`, host bits allowed) or one address.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map(Self)
            .map_err(|_| CidrError(s.to_owned()))
    }
}

impl From<IpAddr> for Cidr {
    fn from(ip: IpAddr) -> Self {
        Self(IpNet::from(ip))
    }
}

impl Cidr {
    /// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) reaches the IPv4
    /// host, so it is in an IPv4 range as well as in IPv6 ones.
    fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip) || self.0.contains(&ip.to_canonical())
    }
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

    /// Only loopback is allowed (no `--allow-target`): then a name other
    /// than `localhost` need not even be resolved, and no DNS query leaves
    /// the machine for it.
    pub fn loopback_only(&self) -> bool {
        self.allowed.is_empty()
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
    fn range_edges() {
        let allows = |range: &str, addr: &str| {
            TargetPolicy::new(vec![range.parse().unwrap()]).allows(ip(addr))
        };
        // The first and last address of a range are in it; their neighbours not.
        assert!(allows("10.1.0.0/16", "10.1.0.0"));
        assert!(allows("10.1.0.0/16", "10.1.255.255"));
        assert!(!allows("10.1.0.0/16", "10.0.255.255"));
        assert!(!allows("10.1.0.0/16", "10.2.0.0"));
        // Host bits in the range mean its network, as `ip route` reads them.
        assert!(allows("10.1.2.3/16", "10.1.200.1"));
        // A prefix that does not end on a byte boundary.
        assert!(allows("172.16.0.0/12", "172.31.255.255"));
        assert!(!allows("172.16.0.0/12", "172.32.0.0"));
        // /0 is everything of its family, and only of its family.
        assert!(allows("0.0.0.0/0", "203.0.113.9"));
        assert!(!allows("0.0.0.0/0", "2001:db8::1"));
        assert!(allows("::/0", "2001:db8::1"));
        // An IPv4-mapped IPv6 address is the IPv4 host it maps.
        assert!(allows("10.0.0.0/8", "::ffff:10.9.8.7"));
        assert!(!allows("10.0.0.0/8", "::ffff:11.0.0.1"));
        assert!(allows("fe80::/10", "fe80::1"));
        assert!(!allows("fe80::/10", "fec0::1"));
    }

    #[test]
    fn bad_ranges_are_refused() {
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.0/x",
            "10.0.0.0/",
            "/8",
            "10.0.0/8",
            "10.0.0.0/8/8",
            " 10.0.0.0/8",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert!("0.0.0.0/0".parse::<Cidr>().is_ok());
    }
}
