//! The page's side of the WebSocket protocol, without the socket.
//!
//! Several checks may be in flight on one connection; the page shows only the
//! latest. This module hands out request ids, remembers which one is on
//! screen, and turns each incoming frame into at most one [`Change`] for the
//! view, dropping events of requests the user has moved on from. The list of
//! configured MCP servers is a request of its own, shown in its own place.
//! Being free of `web_sys`, it is tested on the host.

use protocol::{
    ClientMessage, ErrorKind, McpServerEntry, PROTOCOL_VERSION, Progress, Report, RequestId,
    ServerMessage,
};

/// What the report region shows; its name is the region's `data-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportState {
    Idle,
    Running,
    Done,
    Error,
}

impl ReportState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Running => "running",
            Self::Done => "done",
            Self::Error => "error",
        }
    }
}

/// What an incoming frame means for the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The helper answered `hello`.
    Greeted { protocol: u32, server: String },
    /// A stage of the shown check finished.
    Step(Progress),
    /// The shown check finished.
    Finished(Box<Report>),
    /// The shown check failed, or something went wrong that belongs to no
    /// request (a frame the helper could not read, a refused `hello`).
    Failed {
        kind: Option<ErrorKind>,
        message: String,
    },
    /// The desktop assistant's configured MCP servers.
    McpServers {
        config: String,
        servers: Vec<McpServerEntry>,
    },
    /// They could not be listed: no configuration, or not for this page.
    McpServersUnavailable(String),
}

#[derive(Debug)]
pub struct Session {
    next_id: RequestId,
    shown: Option<RequestId>,
    /// The latest request for the configured MCP servers.
    listing: Option<RequestId>,
    state: ReportState,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            next_id: 1,
            shown: None,
            listing: None,
            state: ReportState::Idle,
        }
    }
}

impl Session {
    pub fn state(&self) -> ReportState {
        self.state
    }

    /// The first frame on every new connection.
    pub fn hello() -> String {
        encode(&ClientMessage::Hello {
            protocol: PROTOCOL_VERSION,
            client: Some(concat!("portdoctor page ", env!("CARGO_PKG_VERSION")).to_owned()),
        })
    }

    /// Starts a check under a fresh id and shows it from now on; returns the
    /// frame to send. The target goes as typed (trimmed): the helper owns
    /// parsing, so an empty or odd target gets its explanation, not ours.
    pub fn check(&mut self, target: &str) -> String {
        let target = target.trim().to_owned();
        self.show(|id| ClientMessage::Check {
            id,
            target,
            options: Default::default(),
        })
    }

    /// Checks a configured MCP server, named by its key in the
    /// configuration, and shows it from now on.
    pub fn mcp_check(&mut self, name: &str) -> String {
        let name = name.to_owned();
        self.show(|id| ClientMessage::McpCheck { id, name })
    }

    /// Asks for the configured MCP servers.
    pub fn mcp_servers(&mut self) -> String {
        let id = self.fresh_id();
        self.listing = Some(id);
        encode(&ClientMessage::McpServers { id })
    }

    fn show(&mut self, request: impl FnOnce(RequestId) -> ClientMessage) -> String {
        let id = self.fresh_id();
        self.shown = Some(id);
        self.state = ReportState::Running;
        encode(&request(id))
    }

    fn fresh_id(&mut self) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Reads one text frame from the helper.
    pub fn receive(&mut self, text: &str) -> Option<Change> {
        let message = match serde_json::from_str::<ServerMessage>(text) {
            Ok(message) => message,
            Err(e) => {
                return Some(self.fail(
                    None,
                    format!(
                        "The helper sent a message this page cannot read ({e}). \
                         Page and helper may come from different versions: reload the page."
                    ),
                ));
            }
        };
        match message {
            ServerMessage::Hello { protocol, server } => Some(Change::Greeted { protocol, server }),
            ServerMessage::Progress { id, progress } => {
                self.is_shown(id).then_some(Change::Step(progress))
            }
            ServerMessage::Report { id, report } => self.is_shown(id).then(|| {
                self.state = ReportState::Done;
                Change::Finished(report)
            }),
            ServerMessage::McpServers {
                id,
                config,
                servers,
            } => (self.listing == Some(id)).then_some(Change::McpServers { config, servers }),
            ServerMessage::Error {
                id: Some(id),
                error,
            } if self.listing == Some(id) => Some(Change::McpServersUnavailable(error.message)),
            ServerMessage::Error {
                id: Some(id),
                error,
            } => self
                .is_shown(id)
                .then(|| self.fail(Some(error.kind), error.message)),
            ServerMessage::Error { id: None, error } => {
                Some(self.fail(Some(error.kind), error.message))
            }
            // The checker never asks for the machine-wide listener list or
            // a bind check (CLI and other clients do).
            ServerMessage::Listeners { .. } | ServerMessage::BindCheck { .. } => None,
        }
    }

    /// The connection closed, or never opened: a check on screen can no
    /// longer finish.
    pub fn connection_lost(&mut self) -> Option<Change> {
        (self.state == ReportState::Running).then(|| {
            self.fail(
                None,
                "The helper is not reachable, so the check could not finish. \
                 Start portdoctor on this machine, press Retry, then check again."
                    .to_owned(),
            )
        })
    }

    fn is_shown(&self, id: RequestId) -> bool {
        self.shown == Some(id)
    }

    fn fail(&mut self, kind: Option<ErrorKind>, message: String) -> Change {
        self.state = ReportState::Error;
        Change::Failed { kind, message }
    }
}

fn encode(message: &ClientMessage) -> String {
    serde_json::to_string(message).expect("client messages are plain data and always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{ProtocolError, Target};

    fn id_of(frame: &str) -> RequestId {
        match ClientMessage::decode(frame).unwrap() {
            ClientMessage::Check { id, .. } => id,
            other => panic!("not a check: {other:?}"),
        }
    }

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

    fn error(id: Option<RequestId>) -> String {
        frame(ServerMessage::Error {
            id,
            error: ProtocolError::new(ErrorKind::Limit, "too many checks"),
        })
    }

    #[test]
    fn hello_names_our_protocol_version() {
        match ClientMessage::decode(&Session::hello()).unwrap() {
            ClientMessage::Hello { protocol, .. } => assert_eq!(protocol, PROTOCOL_VERSION),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_check_gets_a_fresh_id_and_a_trimmed_target() {
        let mut session = Session::default();
        let first = session.check(" localhost:8080 ");
        let second = session.check("8080");
        assert_ne!(id_of(&first), id_of(&second));
        assert!(first.contains(r#""target":"localhost:8080""#), "{first}");
        assert_eq!(session.state(), ReportState::Running);
    }

    #[test]
    fn only_the_latest_check_reaches_the_screen() {
        let mut session = Session::default();
        let old = id_of(&session.check("1"));
        let new = id_of(&session.check("2"));
        assert_eq!(session.receive(&progress(old)), None);
        assert_eq!(session.receive(&error(Some(old))), None);
        assert!(matches!(
            session.receive(&progress(new)),
            Some(Change::Step(_))
        ));
        assert_eq!(session.state(), ReportState::Running);
    }

    #[test]
    fn the_report_of_the_shown_check_finishes_it() {
        let mut session = Session::default();
        let id = id_of(&session.check("localhost:8080"));
        let report = Box::new(crate::testdata::sample_report());
        let change = session.receive(&frame(ServerMessage::Report {
            id,
            report: report.clone(),
        }));
        assert_eq!(change, Some(Change::Finished(report)));
        assert_eq!(session.state(), ReportState::Done);
    }

    #[test]
    fn a_typed_error_fails_the_shown_check() {
        let mut session = Session::default();
        let id = id_of(&session.check("x"));
        let change = session.receive(&error(Some(id)));
        assert_eq!(
            change,
            Some(Change::Failed {
                kind: Some(ErrorKind::Limit),
                message: "too many checks".into()
            })
        );
        assert_eq!(session.state(), ReportState::Error);
    }

    #[test]
    fn an_error_without_id_is_shown_even_when_idle() {
        let mut session = Session::default();
        assert!(matches!(
            session.receive(&error(None)),
            Some(Change::Failed { .. })
        ));
        assert_eq!(session.state(), ReportState::Error);
    }

    #[test]
    fn an_unreadable_frame_is_an_error_not_a_crash() {
        let mut session = Session::default();
        session.check("x");
        match session.receive("{not json") {
            Some(Change::Failed {
                kind: None,
                message,
            }) => {
                assert!(message.contains("cannot read"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_configured_server_is_checked_by_name_and_shown() {
        let mut session = Session::default();
        let frame = session.mcp_check("files");
        let id = match ClientMessage::decode(&frame).unwrap() {
            ClientMessage::McpCheck { id, name } => {
                assert_eq!(name, "files");
                id
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(session.state(), ReportState::Running);
        assert!(matches!(
            session.receive(&progress(id)),
            Some(Change::Step(_))
        ));
    }

    #[test]
    fn the_server_list_goes_to_its_own_place() {
        let mut session = Session::default();
        let shown = id_of(&session.check("8080"));
        let listing = match ClientMessage::decode(&session.mcp_servers()).unwrap() {
            ClientMessage::McpServers { id } => id,
            other => panic!("{other:?}"),
        };
        let listed = frame(ServerMessage::McpServers {
            id: listing,
            config: "/c.json".into(),
            servers: vec![],
        });
        assert_eq!(
            session.receive(&listed),
            Some(Change::McpServers {
                config: "/c.json".into(),
                servers: vec![]
            })
        );
        // Refused: said in the list's place, the shown check carries on.
        let refused = frame(ServerMessage::Error {
            id: Some(listing),
            error: ProtocolError::new(ErrorKind::Forbidden, "own page only"),
        });
        assert_eq!(
            session.receive(&refused),
            Some(Change::McpServersUnavailable("own page only".into()))
        );
        assert_eq!(session.state(), ReportState::Running);
        assert!(matches!(
            session.receive(&progress(shown)),
            Some(Change::Step(_))
        ));
    }

    #[test]
    fn losing_the_connection_fails_only_a_running_check() {
        let mut session = Session::default();
        assert_eq!(session.connection_lost(), None);
        session.check("x");
        assert!(session.connection_lost().is_some());
        assert_eq!(session.state(), ReportState::Error);
        assert_eq!(session.connection_lost(), None);
    }
}
