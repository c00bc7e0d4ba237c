//! Server-first protocols: SSH, SMTP, FTP and MySQL speak before the client
//! does. We connect and listen briefly; the same recogniser also reads the
//! answers to client-first probes, since such a server greets every
//! connection whatever was sent.

use std::net::SocketAddr;
use std::time::Duration;

use protocol::ServiceProtocol;
use tokio::net::TcpStream;

use super::{Identified, read_until, show};

/// Connects and waits up to `wait` for the server to speak first.
pub async fn wait(addr: SocketAddr, wait: Duration) -> Option<Identified> {
    let work = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let mut bytes = Vec::new();
        let found = read_until(&mut stream, &mut bytes, |b, ended| {
            recognise(b).or_else(|| (ended && !b.is_empty()).then(|| talker(b)))
        })
        .await;
        match found {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && bytes.is_empty() => {
                Some(Identified {
                    reset: true,
                    ..Identified::default()
                })
            }
            Err(_) => (!bytes.is_empty()).then(|| talker(&bytes)),
        }
    };
    // Bytes that arrived before the deadline still count.
    tokio::time::timeout(wait, work).await.ok().flatten()
}

/// A server that talks first in a way we do not know.
fn talker(bytes: &[u8]) -> Identified {
    Identified::new(
        ServiceProtocol::Unknown,
        "talks first, in a protocol portdoctor does not know",
        Some(show(bytes)),
    )
}

/// Known greetings. Needs the whole first line (or MySQL's whole packet).
pub fn recognise(bytes: &[u8]) -> Option<Identified> {
    if let Some(found) = mysql(bytes) {
        return Some(found);
    }
    let end = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .or_else(|| bytes.iter().position(|&b| b == b'\n'))?;
    let line = std::str::from_utf8(&bytes[..end]).ok()?.trim_end();
    if let Some(rest) = line.strip_prefix("SSH-") {
        // "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3": the software is after the version.
        let software = rest.split_once('-').map_or(rest, |(_, s)| s);
        let name = software.split(' ').next().unwrap_or(software);
        return Some(Identified::new(
            ServiceProtocol::Ssh,
            name,
            Some(line.to_owned()),
        ));
    }
    let greeting = line.strip_prefix("220")?;
    let upper = greeting.to_ascii_uppercase();
    let protocol = if upper.contains("FTP") {
        ServiceProtocol::Ftp
    } else if upper.contains("SMTP") || upper.contains("MAIL") {
        ServiceProtocol::Smtp
    } else {
        return None;
    };
    let detail = greeting.trim_start_matches(['-', ' ']).to_owned();
    Some(Identified::new(protocol, detail, Some(line.to_owned())))
}

/// The MySQL/MariaDB handshake: a 3-byte length, sequence 0, protocol 10,
/// then the server version as a NUL-terminated string. An error packet
/// (0xff, e.g. "host is not allowed") is MySQL too.
fn mysql(bytes: &[u8]) -> Option<Identified> {
    let (header, body) = (bytes.get(..4)?, bytes.get(4..)?);
    let length =
        usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    if header[3] != 0 || length == 0 || length > 1024 || body.len() < length {
        return None;
    }
    let body = &body[..length];
    match body[0] {
        0x0a => {
            let version = std::str::from_utf8(&body[1..body.iter().position(|&b| b == 0)?]).ok()?;
            let detail = match version.split_once("-MariaDB") {
                Some((v, _)) => format!("MariaDB {}", v.trim_start_matches("5.5.5-")),
                None => format!("MySQL {version}"),
            };
            Some(Identified::new(
                ServiceProtocol::Mysql,
                detail,
                Some(show(bytes)),
            ))
        }
        0xff if length > 3 => {
            let message = String::from_utf8_lossy(&body[3..]).into_owned();
            Some(Identified::new(
                ServiceProtocol::Mysql,
                format!("MySQL, refusing: {message}"),
                Some(show(bytes)),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(bytes: &[u8]) -> (Option<ServiceProtocol>, String) {
        let found = recognise(bytes).expect("recognised");
        (found.service.protocol, found.service.detail.unwrap())
    }

    #[test]
    fn greetings() {
        assert_eq!(
            detail(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
            (Some(ServiceProtocol::Ssh), "OpenSSH_9.2p1".into())
        );
        assert_eq!(
            detail(b"220 mail.example ESMTP Postfix\r\n").0,
            Some(ServiceProtocol::Smtp)
        );
        assert_eq!(
            detail(b"220 (vsFTPd 3.0.3)\r\n").0,
            Some(ServiceProtocol::Ftp)
        );
        assert!(
            recognise(b"SSH-2.0-OpenSSH").is_none(),
            "needs the whole line"
        );
        assert!(recognise(b"220 hello\r\n").is_none());
    }

    #[test]
    fn mysql_and_mariadb_handshakes() {
        let mut packet = vec![0, 0, 0, 0, 0x0a];
        packet.extend_from_slice(b"8.0.36\0rest");
        packet[0] = (packet.len() - 4) as u8;
        assert_eq!(
            detail(&packet),
            (Some(ServiceProtocol::Mysql), "MySQL 8.0.36".into())
        );
        let mut packet = vec![0, 0, 0, 0, 0x0a];
        packet.extend_from_slice(b"5.5.5-10.11.6-MariaDB-0+deb12u1\0");
        packet[0] = (packet.len() - 4) as u8;
        assert_eq!(detail(&packet).1, "MariaDB 10.11.6");
        assert!(mysql(&[5, 0, 0, 0, 0x0a]).is_none(), "incomplete");
    }
}
