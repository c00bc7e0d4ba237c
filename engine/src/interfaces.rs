//! This machine's network interfaces, read beside the socket table.
//!
//! Two findings rest on them: a wildcard listener (`0.0.0.0`, `::`) is only
//! exposed to the networks this machine is really on, and a loopback
//! interface that is down explains "network unreachable" on 127.0.0.1.

use std::net::IpAddr;

use crate::Audience;

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// `eth0`, `wlan0`, `lo`, `en0`, ...
    pub name: String,
    pub ip: IpAddr,
    /// Operationally up: the interface carries traffic now.
    pub up: bool,
}

impl Interface {
    pub fn is_loopback(&self) -> bool {
        self.ip.is_loopback()
    }
}

/// Every address of every interface, in the order the OS lists them.
pub fn all() -> Result<Vec<Interface>, String> {
    let found = if_addrs::get_if_addrs().map_err(|e| e.to_string())?;
    Ok(found
        .into_iter()
        .map(|i| Interface {
            up: i.is_oper_up(),
            ip: i.ip(),
            name: i.name,
        })
        .collect())
}

/// `eth0 (192.0.2.2, fd00::2)`: each interface once, with its addresses
/// (only its name for an embed), in the order given.
pub fn by_name(list: &[&Interface], audience: Audience) -> Vec<String> {
    let mut names: Vec<&str> = Vec::new();
    for i in list {
        if !names.contains(&i.name.as_str()) {
            names.push(&i.name);
        }
    }
    names
        .iter()
        .map(|name| {
            if audience == Audience::Embed {
                return (*name).to_owned();
            }
            let ips: Vec<String> = list
                .iter()
                .filter(|i| i.name == *name)
                .map(|i| i.ip.to_string())
                .collect();
            format!("{name} ({})", ips.join(", "))
        })
        .collect()
}

/// One evidence line: the interfaces that are up, or that none is.
pub fn up_line(all: &[Interface], audience: Audience) -> String {
    let up: Vec<&Interface> = all.iter().filter(|i| i.up).collect();
    if up.is_empty() {
        "interfaces up: none (no address on any interface that is up)".to_owned()
    } else {
        format!("interfaces up: {}", by_name(&up, audience).join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_listed_and_up_here() {
        // Tests run with loopback up (the CLI tests bring it down in a namespace).
        let all = all().unwrap();
        assert!(all.iter().any(|i| i.is_loopback() && i.up), "{all:#?}");
    }
}
