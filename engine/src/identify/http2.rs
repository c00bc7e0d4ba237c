//! HTTP/2 with prior knowledge (h2c): the client preface and an empty
//! SETTINGS frame; an HTTP/2 server answers with its own SETTINGS frame.

use protocol::ServiceProtocol;

use super::Identified;

pub const REQUEST: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// A frame header: 24-bit length, type 4 (SETTINGS), stream 0.
pub fn recognise(bytes: &[u8], _ended: bool) -> Option<Identified> {
    let header = bytes.get(..9)?;
    let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
    (header[3] == 0x04 && stream == 0).then(|| {
        Identified::new(
            ServiceProtocol::Http,
            "HTTP/2 cleartext (h2c, prior knowledge)",
            None,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_frame() {
        assert!(
            recognise(
                b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64",
                false
            )
            .is_some()
        );
        assert!(recognise(b"HTTP/1.1 400 Bad Request\r\n", false).is_none());
    }
}
