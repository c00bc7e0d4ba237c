//! WebSocket and raw HTTP clients for talking to the real helper.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::DEADLINE;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/ws` with the given Origin (a browser always sends one).
pub async fn connect(helper: SocketAddr, origin: &str) -> Result<Ws, WsError> {
    connect_with(helper, Some(origin), None).await
}

/// Opens `/ws` with any combination of Origin and bearer token.
pub async fn connect_with(
    helper: SocketAddr,
    origin: Option<&str>,
    token: Option<&str>,
) -> Result<Ws, WsError> {
    let mut request = format!("ws://{helper}/ws").into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().unwrap();
        request.headers_mut().insert("Authorization", value);
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

pub async fn session(helper: SocketAddr) -> Ws {
    let mut ws = connect(helper, &format!("http://{helper}"))
        .await
        .expect("upgrade");
    send(
        &mut ws,
        json!({"type": "hello", "protocol": 1, "client": "test"}),
    )
    .await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["protocol"], 1);
    ws
}

pub async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON event; a generous deadline so a hung helper fails the test.
pub async fn next(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(DEADLINE, ws.next())
            .await
            .expect("helper answered in time")
            .expect("stream open")
            .expect("frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Events until the terminal one of request `id`.
pub async fn until_done(ws: &mut Ws, id: u64) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let event = next(ws).await;
        let done = event["id"] == id && event["type"] != "progress";
        events.push(event);
        if done {
            return events;
        }
    }
}

/// A raw HTTP/1.1 request with the given Host header; returns the status code.
pub fn status_with_host(helper: SocketAddr, path: &str, host: &str) -> u16 {
    let mut stream = TcpStream::connect(helper).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response);
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}
