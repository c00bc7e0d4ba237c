//! One WebSocket, several users: request ids and who asked, without the socket.
//!
//! Every checker on a page (the page's own views, each docs embed) shares
//! the connection to the helper. This module hands out ids, remembers which
//! user (`K`) sent each request, and reads every frame into an [`Incoming`]
//! saying whom it is for. A terminal event (`report`, `listeners`,
//! `bind-check`, `mcp-servers`, `error`) ends its request. Free of `web_sys`, so tested on
//! the host.

use protocol::{
    CheckOptions, ClientMessage, PROTOCOL_VERSION, Progress, RequestId, ServerMessage,
    ServiceProtocol,
};

/// What a frame from the helper is, and for whom.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming<K> {
    /// The helper answered `hello`: for everyone.
    Greeted { protocol: u32, server: String },
    /// An event of a request `user` sent.
    For { user: K, message: ServerMessage },
    /// An error that belongs to no request, or a frame this page cannot read:
    /// for everyone.
    Broadcast {
        kind: Option<protocol::ErrorKind>,
        message: String,
    },
    /// An event of a request nobody waits for any more.
    Stray,
}

#[derive(Debug)]
pub struct Client<K> {
    next_id: RequestId,
    pending: Vec<(RequestId, K)>,
}

impl<K> Default for Client<K> {
    fn default() -> Self {
        Self {
            next_id: 1,
            pending: Vec::new(),
        }
    }
}

impl<K: Copy + PartialEq> Client<K> {
    /// The first frame on every new connection.
    pub fn hello() -> String {
        encode(&ClientMessage::Hello {
            protocol: PROTOCOL_VERSION,
            client: Some(concat!("portdoctor page ", env!("CARGO_PKG_VERSION")).to_owned()),
        })
    }

    /// Starts a request for `user` under a fresh id: `make` builds it around
    /// the id. Returns the id and the frame to send.
    pub fn request(
        &mut self,
        user: K,
        make: impl FnOnce(RequestId) -> ClientMessage,
    ) -> (RequestId, String) {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.push((id, user));
        (id, encode(&make(id)))
    }

    pub fn receive(&mut self, text: &str) -> Incoming<K> {
        let message = match decode(text) {
            Ok(message) => message,
            Err(e) => {
                return Incoming::Broadcast {
                    kind: None,
                    message: format!(
                        "The helper sent a message this page cannot read ({e}). \
                         Page and helper may come from different versions: reload the page."
                    ),
                };
            }
        };
        let (id, terminal) = match &message {
            ServerMessage::Hello { protocol, server } => {
                return Incoming::Greeted {
                    protocol: *protocol,
                    server: server.clone(),
                };
            }
            ServerMessage::Error { id: None, error } => {
                return Incoming::Broadcast {
                    kind: Some(error.kind),
                    message: error.message.clone(),
                };
            }
            ServerMessage::Progress { id, .. } => (*id, false),
            ServerMessage::Report { id, .. }
            | ServerMessage::Listeners { id, .. }
            | ServerMessage::McpServers { id, .. }
            | ServerMessage::BindCheck { id, .. }
            | ServerMessage::Error { id: Some(id), .. } => (*id, true),
        };
        let Some(at) = self.pending.iter().position(|(pending, _)| *pending == id) else {
            return Incoming::Stray;
        };
        let user = if terminal {
            self.pending.remove(at).1
        } else {
            self.pending[at].1
        };
        Incoming::For { user, message }
    }

    /// The frame that asks the helper to stop request `id`, while it runs;
    /// its end (an `error` of kind `cancelled`) still reaches its user.
    #[cfg(feature = "page")]
    pub fn cancel(&self, id: RequestId) -> Option<String> {
        self.pending
            .iter()
            .any(|(pending, _)| *pending == id)
            .then(|| encode(&ClientMessage::Cancel { id }))
    }

    /// The connection is gone, and every request on it.
    pub fn lost(&mut self) {
        self.pending.clear();
    }

    /// `user` left: events of its requests are strays from now on.
    pub fn forget(&mut self, user: K) {
        self.pending.retain(|(_, u)| *u != user);
    }
}

/// A check as the page, the watch and the embed send it; `expect` is the
/// protocol the user expects (a different one is a finding).
pub fn check(id: RequestId, target: &str, expect: Option<ServiceProtocol>) -> ClientMessage {
    ClientMessage::Check {
        id,
        target: target.trim().to_owned(),
        options: CheckOptions {
            expect,
            ..CheckOptions::default()
        },
    }
}

/// Reads a frame as [`ServerMessage`] by way of a `serde_json::Value`.
///
/// Same result as `serde_json::from_str::<ServerMessage>`, but the derived
/// decoder of an internally tagged enum buffers every frame through serde's
/// generic `Content` tree, and that code was a fifth of the page's module.
/// Here the tags are read by hand and every payload goes through the one
/// `Value` deserializer. [`tag`] keeps the list of variants honest: a new
/// one fails to compile there and its round-trip test.
pub fn decode(text: &str) -> Result<ServerMessage, serde_json::Error> {
    use serde::de::Error as _;
    use serde_json::{Value, from_value};

    let mut value: Value = serde_json::from_str(text)?;
    let mut take = |key: &str| value.get_mut(key).map_or(Value::Null, Value::take);
    let kind = take("type");
    let id = take("id");
    Ok(match kind.as_str().unwrap_or_default() {
        "hello" => ServerMessage::Hello {
            protocol: from_value(take("protocol"))?,
            server: from_value(take("server"))?,
        },
        "progress" => {
            let mut progress = take("progress");
            let mut take = |key: &str| progress.get_mut(key).map_or(Value::Null, Value::take);
            let stage = take("stage");
            let progress = match stage.as_str().unwrap_or_default() {
                "parsed" => Progress::Parsed {
                    target: from_value(take("target"))?,
                },
                "resolved" => Progress::Resolved {
                    addresses: from_value(take("addresses"))?,
                },
                "connected" => Progress::Connected {
                    address: from_value(take("address"))?,
                },
                "listeners" => Progress::Listeners {
                    listeners: from_value(take("listeners"))?,
                },
                "identified" => Progress::Identified {
                    service: from_value(take("service"))?,
                },
                "mcp" => Progress::Mcp {
                    mcp: from_value(take("mcp"))?,
                },
                "authorize" => Progress::Authorize {
                    url: from_value(take("url"))?,
                },
                "forwarded" => Progress::Forwarded {
                    forward: from_value(take("forward"))?,
                },
                "redirected" => Progress::Redirected {},
                other => return Err(serde_json::Error::custom(format!("unknown stage {other}"))),
            };
            ServerMessage::Progress {
                id: from_value(id)?,
                progress,
            }
        }
        "report" => ServerMessage::Report {
            id: from_value(id)?,
            report: from_value(take("report"))?,
        },
        "listeners" => ServerMessage::Listeners {
            id: from_value(id)?,
            listeners: from_value(take("listeners"))?,
            // Absent from helpers before it: none hidden.
            hidden_processes: match take("hidden_processes") {
                Value::Null => 0,
                count => from_value(count)?,
            },
        },
        "bind-check" => ServerMessage::BindCheck {
            id: from_value(id)?,
            report: from_value(take("report"))?,
        },
        "mcp-servers" => ServerMessage::McpServers {
            id: from_value(id)?,
            config: from_value(take("config"))?,
            servers: from_value(take("servers"))?,
        },
        "error" => ServerMessage::Error {
            id: from_value(id)?,
            error: from_value(take("error"))?,
        },
        other => return Err(serde_json::Error::custom(format!("unknown type {other}"))),
    })
}

/// The wire name of each message and stage: an exhaustive match, so a
/// variant added to the protocol does not compile until [`decode`] knows it.
#[cfg(test)]
fn tag(message: &ServerMessage) -> String {
    let stage = |progress: &Progress| match progress {
        Progress::Parsed { .. } => "parsed",
        Progress::Resolved { .. } => "resolved",
        Progress::Connected { .. } => "connected",
        Progress::Listeners { .. } => "listeners",
        Progress::Identified { .. } => "identified",
        Progress::Mcp { .. } => "mcp",
        Progress::Authorize { .. } => "authorize",
        Progress::Forwarded { .. } => "forwarded",
        Progress::Redirected {} => "redirected",
    };
    match message {
        ServerMessage::Hello { .. } => "hello".into(),
        ServerMessage::Progress { progress, .. } => format!("progress/{}", stage(progress)),
        ServerMessage::Report { .. } => "report".into(),
        ServerMessage::Listeners { .. } => "listeners".into(),
        ServerMessage::McpServers { .. } => "mcp-servers".into(),
        ServerMessage::BindCheck { .. } => "bind-check".into(),
        ServerMessage::Error { .. } => "error".into(),
    }
}

fn encode(message: &ClientMessage) -> String {
    serde_json::to_string(message).expect("client messages are plain data and always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{ErrorKind, ProtocolError, Target};

    fn frame(message: ServerMessage) -> String {
        serde_json::to_string(&message).unwrap()
    }

    fn progress(id: RequestId) -> String {
        frame(ServerMessage::Progress {
            id,
            progress: Progress::Parsed {
                target: Target::default(),
            },
        })
    }

    fn listeners(id: RequestId) -> String {
        frame(ServerMessage::Listeners {
            id,
            listeners: vec![],
            hidden_processes: 0,
        })
    }

    #[test]
    fn decodes_every_message_and_stage_as_the_derived_decoder_does() {
        let report = crate::testdata::sample_report();
        let listeners = report.listeners.clone();
        let mut messages = vec![
            ServerMessage::Hello {
                protocol: 1,
                server: "portdoctor 0.1.0".into(),
            },
            ServerMessage::Report {
                id: 1,
                report: Box::new(report.clone()),
            },
            ServerMessage::Listeners {
                id: 2,
                listeners: listeners.clone(),
                hidden_processes: 3,
            },
            ServerMessage::McpServers {
                id: 3,
                config: "/c.json".into(),
                servers: vec![],
            },
            ServerMessage::BindCheck {
                id: 5,
                report: protocol::BindReport {
                    port: 8080,
                    available: false,
                    attempts: vec![],
                    holders: report.listeners.clone(),
                    findings: report.findings.clone(),
                },
            },
            ServerMessage::Error {
                id: None,
                error: ProtocolError::new(ErrorKind::Limit, "busy"),
            },
        ];
        for progress in [
            Progress::Parsed {
                target: report.target.clone(),
            },
            Progress::Resolved {
                addresses: vec!["127.0.0.1:1".into()],
            },
            Progress::Connected {
                address: report.addresses[0].clone(),
            },
            Progress::Listeners { listeners },
            Progress::Identified {
                service: report.service.clone(),
            },
            Progress::Mcp {
                mcp: report.mcp.clone().map(Box::new),
            },
            Progress::Authorize {
                url: "http://127.0.0.1:9000/authorize?state=x".into(),
            },
            Progress::Forwarded {
                forward: crate::testdata::sample_forward(),
            },
            Progress::Redirected {},
        ] {
            messages.push(ServerMessage::Progress { id: 4, progress });
        }
        let mut tags = Vec::new();
        for message in messages {
            let text = serde_json::to_string(&message).unwrap();
            assert_eq!(decode(&text).unwrap(), message, "{text}");
            tags.push(tag(&message));
        }
        assert_eq!(tags.len(), 15, "{tags:?}");
        assert!(decode(r#"{"type":"progress","id":1,"progress":{"stage":"x"}}"#).is_err());
        assert!(decode(r#"{"type":"report","id":1,"report":{}}"#).is_err());
    }

    #[test]
    fn hello_names_our_protocol_version() {
        match ClientMessage::decode(&Client::<u8>::hello()).unwrap() {
            ClientMessage::Hello { protocol, .. } => assert_eq!(protocol, PROTOCOL_VERSION),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn events_go_to_whoever_asked_until_the_terminal_one() {
        let mut client = Client::default();
        let (a, frame_a) = client.request('a', |id| ClientMessage::Listeners { id });
        let (b, _) = client.request('b', |id| ClientMessage::Listeners { id });
        assert_ne!(a, b);
        assert_eq!(
            ClientMessage::decode(&frame_a).unwrap(),
            ClientMessage::Listeners { id: a }
        );
        assert!(matches!(
            client.receive(&progress(b)),
            Incoming::For { user: 'b', .. }
        ));
        assert!(matches!(
            client.receive(&listeners(a)),
            Incoming::For { user: 'a', .. }
        ));
        assert_eq!(client.receive(&listeners(a)), Incoming::Stray);
        assert!(matches!(
            client.receive(&listeners(b)),
            Incoming::For { user: 'b', .. }
        ));
    }

    #[test]
    fn a_running_request_can_be_cancelled_and_its_end_still_arrives() {
        let mut client = Client::default();
        let (a, _) = client.request('a', |id| ClientMessage::Listeners { id });
        let cancel = client.cancel(a).expect("a runs");
        assert_eq!(
            ClientMessage::decode(&cancel).unwrap(),
            ClientMessage::Cancel { id: a }
        );
        let cancelled = frame(ServerMessage::Error {
            id: Some(a),
            error: ProtocolError::new(ErrorKind::Cancelled, "request 1 cancelled"),
        });
        assert!(matches!(
            client.receive(&cancelled),
            Incoming::For { user: 'a', .. }
        ));
        // Over: nothing left to cancel.
        assert_eq!(client.cancel(a), None);
    }

    #[test]
    fn errors_without_id_and_unreadable_frames_are_for_everyone() {
        let mut client = Client::<u8>::default();
        let error = frame(ServerMessage::Error {
            id: None,
            error: ProtocolError::new(ErrorKind::BadJson, "not JSON"),
        });
        assert_eq!(
            client.receive(&error),
            Incoming::Broadcast {
                kind: Some(ErrorKind::BadJson),
                message: "not JSON".into()
            }
        );
        match client.receive("{not json") {
            Incoming::Broadcast {
                kind: None,
                message,
            } => {
                assert!(message.contains("cannot read"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_lost_connection_or_a_user_leaving_ends_their_requests() {
        let mut client = Client::default();
        let (a, _) = client.request(1, |id| ClientMessage::Listeners { id });
        let (b, _) = client.request(2, |id| ClientMessage::Listeners { id });
        client.forget(1);
        assert_eq!(client.receive(&listeners(a)), Incoming::Stray);
        client.lost();
        assert_eq!(client.receive(&listeners(b)), Incoming::Stray);
    }
}
