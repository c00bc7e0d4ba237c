//! PostgreSQL: the SSLRequest a client sends before anything else. The
//! server answers with one byte: `S` (TLS available) or `N` (plain only).

use protocol::ServiceProtocol;

use super::Identified;

/// Length 8, then the magic code 80877103.
pub const REQUEST: &[u8] = &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

pub fn recognise(bytes: &[u8], _ended: bool) -> Option<Identified> {
    let detail = match bytes {
        b"S" => "PostgreSQL (TLS available)",
        b"N" => "PostgreSQL (no TLS)",
        _ => return None,
    };
    Some(Identified::new(ServiceProtocol::Postgres, detail, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_answers() {
        assert!(recognise(b"N", false).is_some());
        assert!(recognise(b"S", false).is_some());
        assert!(recognise(b"NO", false).is_none());
    }
}
