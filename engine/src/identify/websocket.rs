//! WebSocket: an HTTP upgrade request; `101 Switching Protocols` is a
//! WebSocket endpoint, anything else is what HTTP says it is.

use protocol::ServiceProtocol;

use super::{Identified, http};
use crate::target::Target;

pub fn request(target: &Target) -> Vec<u8> {
    // A fixed key is fine: we only read the status line.
    http::request_with(
        target,
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: cG9ydGRvY3Rvci1wcm9iZQ==\r\n",
    )
}

pub fn recognise(bytes: &[u8], ended: bool) -> Option<Identified> {
    let mut found = http::recognise(bytes, ended)?;
    if found.http.as_ref().is_some_and(|h| h.status == 101) {
        found.service.protocol = Some(ServiceProtocol::Websocket);
        found.service.detail = Some("WebSocket (101 Switching Protocols)".to_owned());
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_protocols_is_websocket() {
        let found = recognise(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!(found.service.protocol, Some(ServiceProtocol::Websocket));
        let found = recognise(b"HTTP/1.1 426 Upgrade Required\r\n\r\n", false).unwrap();
        assert_eq!(found.service.protocol, Some(ServiceProtocol::Http));
    }
}
