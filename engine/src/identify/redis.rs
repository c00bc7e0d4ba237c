//! Redis (and compatible servers): `PING` then `INFO server` as RESP arrays.
//! `+PONG` is Redis; `-NOAUTH` is Redis that wants a password.

use protocol::ServiceProtocol;

use super::Identified;

pub const REQUEST: &[u8] = b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";

pub fn recognise(bytes: &[u8], ended: bool) -> Option<Identified> {
    let text = String::from_utf8_lossy(bytes);
    if text.starts_with("-NOAUTH") || text.starts_with("-WRONGPASS") {
        return Some(found("Redis (authentication required)", &text));
    }
    if !text.starts_with("+PONG\r\n") {
        return None;
    }
    match text.lines().find_map(|l| l.strip_prefix("redis_version:")) {
        Some(version) => Some(found(&format!("Redis {}", version.trim()), &text)),
        // INFO may be refused (renamed command, ACL): PONG is enough.
        None if ended || text.contains("\r\n-") => Some(found("Redis", &text)),
        None => None,
    }
}

fn found(detail: &str, text: &str) -> Identified {
    let first = text.lines().next().unwrap_or_default().to_owned();
    Identified::new(ServiceProtocol::Redis, detail, Some(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pong_and_version() {
        let answer = b"+PONG\r\n$20\r\n# Server\r\nredis_version:7.0.15\r\n";
        assert_eq!(
            recognise(answer, false).unwrap().service.detail.as_deref(),
            Some("Redis 7.0.15")
        );
        assert!(recognise(b"+PONG\r\n", false).is_none(), "waits for INFO");
        assert_eq!(
            recognise(b"+PONG\r\n", true)
                .unwrap()
                .service
                .detail
                .as_deref(),
            Some("Redis")
        );
        assert!(recognise(b"-NOAUTH Authentication required.\r\n", false).is_some());
        assert!(recognise(b"HTTP/1.1 400\r\n", true).is_none());
    }
}
