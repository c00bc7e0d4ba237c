//! What the page's requests are for, and what each answer changes.
//!
//! The page runs several kinds of request on its one connection: the check
//! on screen, the configured MCP servers, the machine's listeners (polled),
//! the bind check, and the watch's repeated checks. The connection ([`crate::client`]) says
//! a message is the page's; this module says which view it belongs to and
//! turns it into at most one [`Change`], dropping events of requests the
//! user has moved on from. Free of `web_sys`, so tested on the host.

use protocol::{
    BindReport, ClientMessage, ErrorKind, Listener, McpServerEntry, Progress, Report, RequestId,
    ServerMessage,
};

use crate::client::check;

/// What the report region shows; its name is the region's `data-state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportState {
    #[default]
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

/// The machine's listeners as the helper read them.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub listeners: Vec<Listener>,
    /// Processes the OS hid with their sockets (macOS without root).
    pub hidden_processes: u32,
}

/// What an incoming message means for the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
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
    /// They could not be listed: no configuration (`no-config`), one that
    /// cannot be read, or the helper is gone (`kind` `None`).
    McpServersUnavailable {
        kind: Option<ErrorKind>,
        message: String,
    },
    /// Every listener on the machine, or why the helper could not list them.
    Machine(Result<Listing, String>),
    /// Whether a server could listen on the asked port, or why the helper
    /// could not tell.
    Bound(Result<Box<BindReport>, String>),
    /// One attempt of the watch: its report, or `None` when the attempt got
    /// no report (the connection dropped, the helper refused).
    Watched(Option<Box<Report>>),
}

/// The request on screen, as it can be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Check(String),
    McpCheck(String),
    /// Sign in to the MCP server at this target, then check it.
    McpLogin(String),
}

/// The helper is gone: what the views say meanwhile.
pub const NOT_STARTED: &str = "The helper is not reachable, so this check has not started. \
     It runs as soon as the page reconnects (by itself, or press Retry).";
pub const NOT_FINISHED: &str = "The helper went away, so this check could not finish. \
     It runs again as soon as the page reconnects.";
pub const NO_LISTENERS: &str = "The helper is not reachable, so the listeners cannot be listed. \
     They appear here as soon as the page reconnects.";
pub const NO_MCP_SERVERS: &str = "The helper is not reachable, so the configured MCP servers \
     cannot be listed. They appear here as soon as the page reconnects.";

#[derive(Debug, Default)]
pub struct Session {
    /// The check on screen.
    shown: Option<RequestId>,
    /// What it asked, and whether it went out on an open connection (a
    /// request made while the helper is gone waits for the next one).
    asked: Option<(Shown, bool)>,
    /// Asked again once the helper is back: the connection was lost before
    /// the shown check answered.
    again: Option<Shown>,
    /// Whether the connection is open now.
    online: bool,
    mcp: Option<RequestId>,
    machine: Option<RequestId>,
    bind: Option<RequestId>,
    watch: Option<RequestId>,
    state: ReportState,
}

impl Session {
    pub fn state(&self) -> ReportState {
        self.state
    }

    /// Shows the check `id` from now on. The target goes as typed (trimmed):
    /// the helper owns parsing, so an odd target gets its explanation.
    pub fn check(&mut self, id: RequestId, target: &str) -> ClientMessage {
        self.show(id, Shown::Check(target.trim().to_owned()));
        check(id, target, None)
    }

    /// Checks a configured MCP server, named by its key in the
    /// configuration, and shows it from now on.
    pub fn mcp_check(&mut self, id: RequestId, name: &str) -> ClientMessage {
        self.show(id, Shown::McpCheck(name.to_owned()));
        ClientMessage::McpCheck {
            id,
            name: name.to_owned(),
        }
    }

    /// Signs in to the MCP server at `target` (the helper does the OAuth
    /// work) and shows its check from now on.
    pub fn mcp_login(&mut self, id: RequestId, target: &str) -> ClientMessage {
        self.show(id, Shown::McpLogin(target.to_owned()));
        ClientMessage::McpLogin {
            id,
            target: target.to_owned(),
        }
    }

    pub fn mcp_servers(&mut self, id: RequestId) -> ClientMessage {
        self.mcp = Some(id);
        ClientMessage::McpServers { id }
    }

    /// Whether a listing is still on its way: the poll skips a beat then.
    pub fn machine_pending(&self) -> bool {
        self.machine.is_some()
    }

    pub fn machine(&mut self, id: RequestId) -> ClientMessage {
        self.machine = Some(id);
        ClientMessage::Listeners { id }
    }

    /// Asks whether a server could listen on `port`; a new question
    /// supersedes one still on its way.
    pub fn bind_check(&mut self, id: RequestId, port: u16) -> ClientMessage {
        self.bind = Some(id);
        ClientMessage::BindCheck { id, port }
    }

    /// One attempt of the watch; a new one supersedes any still running.
    pub fn watch(&mut self, id: RequestId, target: &str) -> ClientMessage {
        self.watch = Some(id);
        check(id, target, None)
    }

    /// The watch stopped: its last attempt's answer no longer matters.
    pub fn unwatch(&mut self) {
        self.watch = None;
    }

    fn show(&mut self, id: RequestId, asked: Shown) {
        self.shown = Some(id);
        self.asked = Some((asked, self.online));
        self.again = None;
        self.state = ReportState::Running;
    }

    /// The sign-in on screen while it runs: its id, for the `cancel` sent
    /// when the person closes the sign-in window.
    pub fn signing_in(&self) -> Option<RequestId> {
        match (&self.asked, self.state) {
            (Some((Shown::McpLogin(_), _)), ReportState::Running) => self.shown,
            _ => None,
        }
    }

    /// The connection opened: returns the check to run again, if the last
    /// connection was lost before it answered.
    pub fn online(&mut self) -> Option<Shown> {
        self.online = true;
        self.again.take()
    }

    pub fn receive(&mut self, message: ServerMessage) -> Option<Change> {
        let id = match &message {
            ServerMessage::Hello { .. } | ServerMessage::Error { id: None, .. } => None,
            ServerMessage::Progress { id, .. }
            | ServerMessage::Report { id, .. }
            | ServerMessage::Listeners { id, .. }
            | ServerMessage::McpServers { id, .. }
            | ServerMessage::BindCheck { id, .. }
            | ServerMessage::Error { id: Some(id), .. } => Some(*id),
        };
        if id.is_some() && id == self.watch {
            return self.watched(message);
        }
        if id.is_some() && id == self.machine {
            self.machine = None;
            return match message {
                ServerMessage::Listeners {
                    listeners,
                    hidden_processes,
                    ..
                } => Some(Change::Machine(Ok(Listing {
                    listeners,
                    hidden_processes,
                }))),
                ServerMessage::Error { error, .. } => Some(Change::Machine(Err(error.message))),
                _ => None,
            };
        }
        if id.is_some() && id == self.bind {
            self.bind = None;
            return match message {
                ServerMessage::BindCheck { report, .. } => {
                    Some(Change::Bound(Ok(Box::new(report))))
                }
                ServerMessage::Error { error, .. } => Some(Change::Bound(Err(error.message))),
                _ => None,
            };
        }
        if id.is_some() && id == self.mcp {
            return match message {
                ServerMessage::McpServers {
                    config, servers, ..
                } => Some(Change::McpServers { config, servers }),
                ServerMessage::Error { error, .. } => Some(Change::McpServersUnavailable {
                    kind: Some(error.kind),
                    message: error.message,
                }),
                _ => None,
            };
        }
        if id.is_none() || id != self.shown {
            return match message {
                ServerMessage::Error { id: None, error } => {
                    Some(self.fail(Some(error.kind), error.message))
                }
                _ => None,
            };
        }
        match message {
            ServerMessage::Progress { progress, .. } => Some(Change::Step(progress)),
            ServerMessage::Report { report, .. } => {
                self.state = ReportState::Done;
                Some(Change::Finished(report))
            }
            ServerMessage::Error { error, .. } => Some(self.fail(Some(error.kind), error.message)),
            _ => None,
        }
    }

    fn watched(&mut self, message: ServerMessage) -> Option<Change> {
        match message {
            ServerMessage::Progress { .. } => None,
            ServerMessage::Report { report, .. } => {
                self.watch = None;
                Some(Change::Watched(Some(report)))
            }
            _ => {
                self.watch = None;
                Some(Change::Watched(None))
            }
        }
    }

    /// A frame this page cannot read, or an error that belongs to no request.
    pub fn broadcast(&mut self, kind: Option<ErrorKind>, message: String) -> Change {
        self.fail(kind, message)
    }

    /// The connection closed, or never opened: every request on it is gone.
    /// A check on screen can no longer finish (or never started) and runs
    /// again once the helper is back; a watch tries again; the machine's
    /// listeners and the MCP servers cannot be asked for.
    pub fn connection_lost(&mut self) -> Vec<Change> {
        self.online = false;
        let mut changes = Vec::new();
        if self.state == ReportState::Running
            && let Some((asked, sent)) = self.asked.clone()
        {
            self.again = Some(asked);
            let message = if sent { NOT_FINISHED } else { NOT_STARTED };
            changes.push(self.fail(None, message.to_owned()));
        }
        if self.watch.take().is_some() {
            changes.push(Change::Watched(None));
        }
        if self.bind.take().is_some() {
            changes.push(Change::Bound(Err(
                "The helper went away before it answered; ask again once it is back.".to_owned(),
            )));
        }
        self.machine = None;
        changes.push(Change::Machine(Err(NO_LISTENERS.to_owned())));
        if self.mcp.take().is_some() {
            changes.push(Change::McpServersUnavailable {
                kind: None,
                message: NO_MCP_SERVERS.to_owned(),
            });
        }
        changes
    }

    fn fail(&mut self, kind: Option<ErrorKind>, message: String) -> Change {
        self.state = ReportState::Error;
        Change::Failed { kind, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{ProtocolError, Target};

    fn progress(id: RequestId) -> ServerMessage {
        ServerMessage::Progress {
            id,
            progress: Progress::Parsed {
                target: Target::default(),
            },
        }
    }

    fn report(id: RequestId) -> ServerMessage {
        ServerMessage::Report {
            id,
            report: Box::new(crate::testdata::sample_report()),
        }
    }

    fn error(id: Option<RequestId>) -> ServerMessage {
        ServerMessage::Error {
            id,
            error: ProtocolError::new(ErrorKind::Limit, "too many checks"),
        }
    }

    #[test]
    fn a_check_sends_the_trimmed_target() {
        let mut session = Session::default();
        match session.check(3, " localhost:8080 ") {
            ClientMessage::Check { id, target, .. } => {
                assert_eq!((id, target.as_str()), (3, "localhost:8080"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(session.state(), ReportState::Running);
    }

    #[test]
    fn only_the_latest_check_reaches_the_screen() {
        let mut session = Session::default();
        session.check(1, "1");
        session.check(2, "2");
        assert_eq!(session.receive(progress(1)), None);
        assert_eq!(session.receive(error(Some(1))), None);
        assert!(matches!(
            session.receive(progress(2)),
            Some(Change::Step(_))
        ));
        assert_eq!(session.state(), ReportState::Running);
        assert!(matches!(
            session.receive(report(2)),
            Some(Change::Finished(_))
        ));
        assert_eq!(session.state(), ReportState::Done);
    }

    #[test]
    fn a_typed_error_fails_the_shown_check() {
        let mut session = Session::default();
        session.check(1, "x");
        assert_eq!(
            session.receive(error(Some(1))),
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
            session.receive(error(None)),
            Some(Change::Failed { .. })
        ));
        assert_eq!(session.state(), ReportState::Error);
    }

    #[test]
    fn each_view_gets_its_own_answers() {
        let mut session = Session::default();
        session.check(1, "8080");
        session.machine(2);
        session.watch(3, "9090");
        assert!(session.machine_pending());
        assert_eq!(
            session.receive(ServerMessage::Listeners {
                id: 2,
                listeners: vec![],
                hidden_processes: 4,
            }),
            Some(Change::Machine(Ok(Listing {
                listeners: vec![],
                hidden_processes: 4
            })))
        );
        assert!(!session.machine_pending());
        assert_eq!(session.receive(progress(3)), None);
        assert!(matches!(
            session.receive(report(3)),
            Some(Change::Watched(Some(_)))
        ));
        // The shown check was not touched by either.
        assert_eq!(session.state(), ReportState::Running);
    }

    #[test]
    fn only_a_running_sign_in_can_be_stopped() {
        let mut session = Session::default();
        session.check(1, "8080");
        assert_eq!(session.signing_in(), None);
        session.mcp_login(2, "http://localhost:8000/mcp");
        assert_eq!(session.signing_in(), Some(2));
        assert!(matches!(
            session.receive(progress(2)),
            Some(Change::Step(_))
        ));
        assert_eq!(session.signing_in(), Some(2));
        session.receive(report(2));
        assert_eq!(session.signing_in(), None);
    }

    #[test]
    fn a_bind_check_gets_its_report_or_its_error() {
        let mut session = Session::default();
        assert_eq!(
            session.bind_check(4, 8080),
            ClientMessage::BindCheck { id: 4, port: 8080 }
        );
        let report = BindReport {
            port: 8080,
            available: true,
            attempts: vec![],
            holders: vec![],
            findings: vec![],
        };
        assert_eq!(
            session.receive(ServerMessage::BindCheck {
                id: 4,
                report: report.clone()
            }),
            Some(Change::Bound(Ok(Box::new(report))))
        );
        session.bind_check(5, 8080);
        assert_eq!(
            session.receive(error(Some(5))),
            Some(Change::Bound(Err("too many checks".into())))
        );
        // Answered: a late duplicate belongs to nobody.
        assert_eq!(session.receive(error(Some(5))), None);
        assert_eq!(session.state(), ReportState::Idle);
    }

    #[test]
    fn a_stopped_watch_hears_nothing_more() {
        let mut session = Session::default();
        session.watch(1, "9090");
        session.unwatch();
        assert_eq!(session.receive(report(1)), None);
    }

    #[test]
    fn losing_the_connection_fails_the_check_and_retries_the_watch() {
        let mut session = Session::default();
        assert_eq!(
            session.connection_lost(),
            [Change::Machine(Err(NO_LISTENERS.into()))]
        );
        session.online();
        session.check(1, "x");
        session.watch(2, "y");
        session.machine(3);
        session.bind_check(4, 80);
        session.mcp_servers(5);
        let changes = session.connection_lost();
        assert_eq!(
            changes[0],
            Change::Failed {
                kind: None,
                message: NOT_FINISHED.into()
            }
        );
        assert_eq!(changes[1], Change::Watched(None));
        assert!(matches!(changes[2], Change::Bound(Err(_))));
        assert_eq!(changes[3], Change::Machine(Err(NO_LISTENERS.into())));
        assert_eq!(
            changes[4],
            Change::McpServersUnavailable {
                kind: None,
                message: NO_MCP_SERVERS.into()
            }
        );
        assert!(!session.machine_pending());
        assert_eq!(session.state(), ReportState::Error);
        assert_eq!(session.connection_lost().len(), 1);
        // Back: the check runs again, once.
        assert_eq!(session.online(), Some(Shown::Check("x".into())));
        assert_eq!(session.online(), None);
    }

    #[test]
    fn a_check_asked_while_the_helper_is_gone_never_started_and_runs_once_it_is_back() {
        let mut session = Session::default();
        session.connection_lost();
        session.mcp_check(1, "files");
        let changes = session.connection_lost();
        assert_eq!(
            changes[0],
            Change::Failed {
                kind: None,
                message: NOT_STARTED.into()
            }
        );
        assert_eq!(session.online(), Some(Shown::McpCheck("files".into())));
        // A check that answered is not run again.
        session.check(2, "8080");
        session.receive(report(2));
        session.connection_lost();
        assert_eq!(session.online(), None);
    }
}
