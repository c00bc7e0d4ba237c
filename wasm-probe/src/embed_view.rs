//! What a docs embed shows: one line per state, the fix when something is
//! wrong, and a button when the reader can do something about it.
//!
//! A docs reader did not ask for a diagnosis tool; they followed "start the
//! server" and want to know whether it worked. So each state is a sentence
//! about their service, and each failure of the embed itself (no helper, a
//! site the helper does not accept, a browser that blocks loopback) says the
//! one thing to do.

use protocol::{DEFAULT_PORT, Report, Verdict};

use crate::link::{Link, PERMISSION_DENIED, PERMISSION_PROMPT};
use std::convert::Infallible;

use crate::node::{Element, Node, Wiring, el};
use crate::text::{ms, pieces, wire_name};

/// What the docs author wrote on the element, and where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub target: String,
    /// Shown instead of the target when given.
    pub label: Option<String>,
    /// The helper's port on 127.0.0.1.
    pub port: u16,
    /// The page's origin, for the `--allow-origin` the reader needs.
    pub origin: String,
}

impl Spec {
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}{}", self.port, protocol::WS_PATH)
    }

    /// The one command that starts a helper this page may use.
    pub fn start_command(&self) -> String {
        let port = if self.port == DEFAULT_PORT {
            String::new()
        } else {
            format!(" --port {}", self.port)
        };
        format!("portdoctor --allow-origin {}{port}", self.origin)
    }
}

/// What an embed's elements send: its one button.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// Connect again, or check again.
    Retry,
}

/// An embed's trees send [`Msg`] and need no hooks.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {}

impl Wiring for Tree {
    type Msg = Msg;
    type Hook = Infallible;
}

pub type Html = Element<Tree>;

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Not connected (yet): why.
    Link(Link),
    Checking,
    Done(Box<Report>),
    /// The helper refused or failed the check itself.
    Error(String),
}

impl State {
    /// Worth checking again later by itself: down, so the reader may be
    /// starting the server right now.
    pub fn recheck(&self) -> bool {
        matches!(self, Self::Done(report) if report.verdict == Verdict::Unreachable)
    }
}

pub fn view(spec: &Spec, state: &State) -> Html {
    let name = spec.label.as_deref().unwrap_or(&spec.target);
    let command = || el("code", "pd-cmd").text(spec.start_command());
    let (data_state, text, extra, button): (&str, String, Option<Html>, Option<&str>) = match state
    {
        State::Link(Link::Connecting | Link::Open) => (
            "connecting",
            "Looking for portdoctor on this computer…".into(),
            None,
            None,
        ),
        State::Link(Link::AwaitingPermission) => {
            ("permission", PERMISSION_PROMPT.into(), None, None)
        }
        State::Link(Link::Closed) => (
            "not-running",
            format!(
                "portdoctor is not running on this computer, so {name} cannot be checked. Start it:"
            ),
            Some(command()),
            Some("Retry"),
        ),
        State::Link(Link::NotAllowed) => (
            "not-allowed",
            "portdoctor is running but does not accept this site. Restart it with:".into(),
            Some(command()),
            Some("Retry"),
        ),
        State::Link(Link::PermissionDenied) => (
            "permission-denied",
            PERMISSION_DENIED.into(),
            None,
            Some("Retry"),
        ),
        State::Checking => ("checking", format!("Checking {name}…"), None, None),
        State::Error(message) => ("error", message.clone(), None, Some("Check again")),
        State::Done(report) => done(name, report),
    };
    el("div", "pd-embed")
        .attr("data-state", data_state)
        .attr("data-target", &spec.target)
        .child(el("span", "pd-embed-dot").attr("aria-hidden", "true"))
        .child(
            el("div", "pd-embed-body")
                .child(el("span", "pd-embed-text").text(text))
                .children(extra)
                .children(button.map(|label| {
                    el("button", "pd-button pd-retry pd-embed-retry")
                        .attr("type", "button")
                        .on_click(Msg::Retry)
                        .text(label)
                })),
        )
}

/// Up, up with a problem, or down: with the top finding's summary and fix.
fn done(name: &str, report: &Report) -> (&'static str, String, Option<Html>, Option<&'static str>) {
    let top = report.findings.first();
    let fix = top.map(|f| {
        el("p", "pd-embed-fix")
            .child(el("strong", "").text("Fix: "))
            .children(pieces(&f.fix).map(|(command, piece)| {
                if command {
                    el("code", "pd-cmd").text(piece).into()
                } else {
                    Node::Text(piece.to_owned())
                }
            }))
    });
    let summary = top.map_or(String::new(), |f| format!(": {}", f.summary));
    match report.verdict {
        Verdict::Reachable => {
            let what = report
                .service
                .protocol
                .as_ref()
                .map_or(String::new(), |p| format!(" ({})", wire_name(p)));
            (
                "up",
                format!(
                    "{name} is up{what}: it answered in {}.",
                    ms(report.elapsed_us)
                ),
                None,
                Some("Check again"),
            )
        }
        Verdict::Degraded => (
            "degraded",
            format!("{name} answers, with a problem{summary}"),
            fix,
            Some("Check again"),
        ),
        Verdict::Unreachable | Verdict::Invalid => (
            "down",
            format!("{name} is down{summary}"),
            fix,
            Some("Check again"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;

    fn spec(port: u16) -> Spec {
        Spec {
            target: "localhost:8080".into(),
            label: Some("The dev server".into()),
            port,
            origin: "https://docs.example.com".into(),
        }
    }

    fn state_of(state: &State) -> String {
        view(&spec(DEFAULT_PORT), state)
            .get("data-state")
            .unwrap()
            .to_owned()
    }

    #[test]
    fn the_start_command_names_the_origin_and_a_non_default_port() {
        assert_eq!(
            spec(DEFAULT_PORT).start_command(),
            "portdoctor --allow-origin https://docs.example.com"
        );
        assert_eq!(
            spec(7000).start_command(),
            "portdoctor --allow-origin https://docs.example.com --port 7000"
        );
        assert_eq!(spec(7000).ws_url(), "ws://127.0.0.1:7000/ws");
    }

    #[test]
    fn every_connection_failure_says_what_to_do() {
        let not_running = view(&spec(DEFAULT_PORT), &State::Link(Link::Closed));
        assert_eq!(not_running.get("data-state"), Some("not-running"));
        assert!(
            not_running
                .text_content()
                .contains("The dev server cannot be checked")
        );
        assert_eq!(
            not_running.find("pd-cmd").text_content(),
            "portdoctor --allow-origin https://docs.example.com"
        );
        assert_eq!(not_running.find("pd-embed-retry").text_content(), "Retry");
        let refused = view(&spec(DEFAULT_PORT), &State::Link(Link::NotAllowed));
        assert_eq!(refused.get("data-state"), Some("not-allowed"));
        assert!(refused.text_content().contains("does not accept this site"));
        assert_eq!(
            state_of(&State::Link(Link::PermissionDenied)),
            "permission-denied"
        );
        assert_eq!(
            state_of(&State::Link(Link::AwaitingPermission)),
            "permission"
        );
        assert_eq!(state_of(&State::Link(Link::Connecting)), "connecting");
        assert!(
            view(&spec(DEFAULT_PORT), &State::Checking)
                .find_all("pd-embed-retry")
                .is_empty()
        );
    }

    #[test]
    fn a_report_is_up_degraded_or_down_with_the_top_fix() {
        let mut report = sample_report();
        assert_eq!(state_of(&State::Done(Box::new(report.clone()))), "degraded");
        report.verdict = Verdict::Unreachable;
        let down = view(&spec(DEFAULT_PORT), &State::Done(Box::new(report.clone())));
        assert_eq!(down.get("data-state"), Some("down"));
        assert_eq!(
            down.find("pd-embed-text").text_content(),
            "The dev server is down: Only IPv6 listens"
        );
        assert_eq!(
            down.find("pd-embed-fix").text_content(),
            "Fix: Bind to 127.0.0.1 as well"
        );
        report.findings[0].fix = "Run `npm start`.".into();
        let down = view(&spec(DEFAULT_PORT), &State::Done(Box::new(report.clone())));
        assert_eq!(
            down.find("pd-embed-fix").find("pd-cmd").text_content(),
            "npm start"
        );
        assert!(State::Done(Box::new(report.clone())).recheck());
        report.verdict = Verdict::Reachable;
        let up = view(&spec(DEFAULT_PORT), &State::Done(Box::new(report.clone())));
        assert_eq!(up.get("data-state"), Some("up"));
        assert_eq!(
            up.find("pd-embed-text").text_content(),
            "The dev server is up (http): it answered in 2.35 ms."
        );
        assert!(!State::Done(Box::new(report)).recheck());
    }
}
