//! "Wait until it's up": check a target again and again, with back-off,
//! until it is up as chosen (`Until::Healthy` by default: it works; or
//! `Until::Accepts`: anything accepts), as `portdoctor wait --until`; then
//! say how long it took.
//!
//! The state and its rendering; the view runs the timer, sends the checks
//! and raises the notification.

use protocol::{Finding, Report, Until};

use crate::backoff::Backoff;
use crate::node::el;
use crate::page::check::report::fix;
use crate::page::describe::{TARGET_CHARS, shorten};
use crate::page::views::{self, Html};

use super::Msg;

/// First retry after half a second, then doubling to every five seconds:
/// a dev server that takes a while to start is seen within seconds of it.
const BACKOFF: Backoff = Backoff::new(500, 5_000);

/// Where the watch is; the name is `.pd-watch-status`'s `data-state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchState {
    /// Not up yet; the last attempt's outcome, once there was one, and
    /// its top finding, whose fix is the next step while waiting (a 502
    /// will not go away by itself).
    Waiting {
        last: Option<String>,
        top: Option<Box<Finding>>,
    },
    /// It is up as the watch's [`Until`] says, `after_ms` after the watch
    /// started.
    Up {
        after_ms: u64,
    },
    /// The target can never come up as typed (out of range, not allowed).
    Invalid {
        why: String,
    },
    Stopped,
}

#[derive(Debug)]
pub struct Watch {
    target: String,
    /// What counts as up.
    until: Until,
    started_ms: u64,
    attempts: u32,
    backoff: Backoff,
    state: WatchState,
}

impl Watch {
    pub fn start(target: &str, until: Until, now_ms: u64) -> Self {
        Self {
            target: target.trim().to_owned(),
            until,
            started_ms: now_ms,
            attempts: 0,
            backoff: BACKOFF,
            state: WatchState::Waiting {
                last: None,
                top: None,
            },
        }
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    pub fn state(&self) -> &WatchState {
        &self.state
    }

    pub fn until(&self) -> Until {
        self.until
    }

    /// The choice changed while waiting: the next answer is judged by it.
    pub fn set_until(&mut self, until: Until) {
        self.until = until;
    }

    pub fn is_waiting(&self) -> bool {
        matches!(self.state, WatchState::Waiting { .. })
    }

    /// An attempt goes out.
    pub fn attempt(&mut self) {
        self.attempts += 1;
    }

    /// The attempt's answer (`None`: it got none). Returns the delay before
    /// the next attempt, or `None` when the watch is over.
    pub fn answered(&mut self, report: Option<&Report>, now_ms: u64) -> Option<u32> {
        if !self.is_waiting() {
            return None;
        }
        let top = report
            .and_then(|r| r.findings.first())
            .cloned()
            .map(Box::new);
        let last = match report {
            Some(report) if report.is_up(self.until) => {
                self.state = WatchState::Up {
                    after_ms: now_ms.saturating_sub(self.started_ms),
                };
                return None;
            }
            Some(report) if report.is_final() => {
                let why = report.findings.first().map_or_else(
                    || "This target cannot be checked.".to_owned(),
                    |f| f.summary.clone(),
                );
                self.state = WatchState::Invalid { why };
                return None;
            }
            Some(report) => report.findings.first().map(|f| f.summary.clone()),
            None => Some("No answer from the helper; trying again.".to_owned()),
        };
        self.state = WatchState::Waiting { last, top };
        Some(self.backoff.next_delay())
    }

    pub fn stop(&mut self) {
        if self.is_waiting() {
            self.state = WatchState::Stopped;
        }
    }

    pub fn view(&self, now_ms: u64) -> Html {
        // The input box keeps all of it; a 5,000-character URL must not
        // fill the screen here.
        let target = &shorten(&self.target, TARGET_CHARS);
        let (state, text) = match &self.state {
            WatchState::Waiting { last, .. } => {
                let awaited = match self.until {
                    Until::Healthy => "work",
                    Until::Accepts => "accept a connection",
                };
                let mut text = format!(
                    "Waiting for {target} to {awaited}: attempt {}, {} so far.",
                    self.attempts.max(1),
                    seconds(now_ms.saturating_sub(self.started_ms))
                );
                if let Some(last) = last {
                    text.push_str(&format!(" Last attempt: {last}"));
                }
                ("waiting", text)
            }
            WatchState::Up { after_ms } => (
                "up",
                format!(
                    "{target} is {}: it answered after {}.",
                    self.until.reached(),
                    seconds(*after_ms)
                ),
            ),
            WatchState::Invalid { why } => ("invalid", format!("Stopped: {why}")),
            WatchState::Stopped => ("stopped", format!("Stopped watching {target}.")),
        };
        let stop = self.is_waiting().then(|| {
            el("button", "pd-button pd-watch-stop")
                .attr("type", "button")
                .on_click(views::Msg::Watch(Msg::Stop))
                .text("Stop")
        });
        let next = match &self.state {
            WatchState::Waiting { top: Some(top), .. } => fix(top),
            _ => None,
        };
        el("div", "pd-watch-body")
            .child(
                el("p", "pd-watch-status")
                    .attr("data-state", state)
                    .attr("data-target", &self.target)
                    .text(text),
            )
            .children(next)
            .children(stop)
    }
}

/// `12.3 s`, with integers only (float formatting would weigh on the module).
pub fn seconds(ms: u64) -> String {
    let tenths = ms.saturating_add(50) / 100;
    format!("{}.{} s", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;
    use protocol::{Outcome, Verdict};

    fn refused() -> Report {
        let mut report = sample_report();
        for address in &mut report.addresses {
            address.outcome = Outcome::Refused;
        }
        report.verdict = Verdict::Unreachable;
        report
    }

    #[test]
    fn backs_off_until_something_answers_then_says_how_long() {
        let mut watch = Watch::start(" localhost:8080 ", Until::Healthy, 1_000);
        assert_eq!(watch.target(), "localhost:8080");
        watch.attempt();
        assert_eq!(watch.answered(Some(&refused()), 1_100), Some(500));
        watch.attempt();
        assert_eq!(watch.answered(None, 1_700), Some(1_000));
        watch.attempt();
        let view = watch.view(2_000);
        assert_eq!(
            view.find("pd-watch-stop").sends(crate::node::Event::Click),
            Some(&views::Msg::Watch(Msg::Stop))
        );
        let view = view.find("pd-watch-status");
        assert_eq!(view.get("data-state"), Some("waiting"));
        assert!(
            view.text_content().contains("attempt 3, 1.0 s so far"),
            "{}",
            view.text_content()
        );
        // The helper did not answer: no finding, so no fix to show.
        assert!(view.find_all("pd-fix").is_empty());
        // Answering with an error finding is not up yet, and what to do
        // about it is shown, not only what is wrong.
        assert_eq!(watch.answered(Some(&sample_report()), 3_000), Some(2_000));
        let view = watch.view(3_000);
        assert!(
            view.find("pd-watch-status")
                .text_content()
                .ends_with("Last attempt: Only IPv6 listens")
        );
        assert!(
            view.find("pd-fix")
                .text_content()
                .contains("Bind to 127.0.0.1")
        );
        let mut healthy = sample_report();
        healthy.verdict = Verdict::Reachable;
        assert_eq!(watch.answered(Some(&healthy), 13_345), None);
        assert_eq!(watch.state(), &WatchState::Up { after_ms: 12_345 });
        let view = watch.view(20_000);
        assert!(view.find_all("pd-watch-stop").is_empty());
        let view = view.find("pd-watch-status");
        assert_eq!(view.get("data-state"), Some("up"));
        assert_eq!(
            view.text_content(),
            "localhost:8080 is up: it answered after 12.3 s."
        );
    }

    #[test]
    fn a_long_target_is_shown_cut() {
        let long = format!("http://localhost:8080/{}", "a".repeat(5000));
        let mut watch = Watch::start(&long, Until::Healthy, 0);
        watch.answered(Some(&refused()), 10);
        let status = watch.view(10).find("pd-watch-status").clone();
        assert!(status.text_content().chars().count() < 300);
        assert_eq!(status.get("data-target"), Some(long.as_str()));
    }

    #[test]
    fn anything_accepting_is_up_when_chosen() {
        // sample_report: something accepted, with an error finding.
        let mut healthy = Watch::start("8080", Until::Healthy, 0);
        assert_eq!(healthy.answered(Some(&sample_report()), 10), Some(500));
        assert!(healthy.is_waiting());
        let mut accepts = Watch::start("8080", Until::Accepts, 0);
        assert_eq!(accepts.answered(Some(&refused()), 10), Some(500));
        assert_eq!(accepts.answered(Some(&sample_report()), 1_500), None);
        assert_eq!(
            accepts.view(2_000).find("pd-watch-status").text_content(),
            "8080 is accepting connections: it answered after 1.5 s."
        );
        // Changed while waiting: the next answer is judged by the new choice.
        healthy.set_until(Until::Accepts);
        assert_eq!(healthy.answered(Some(&sample_report()), 20), None);
        assert_eq!(healthy.until(), Until::Accepts);
    }

    #[test]
    fn an_invalid_target_ends_the_watch_with_the_reason() {
        let mut watch = Watch::start("localhost:619009", Until::Healthy, 0);
        let mut report = refused();
        report.verdict = Verdict::Invalid;
        assert_eq!(watch.answered(Some(&report), 10), None);
        let view = watch.view(10);
        assert_eq!(
            view.find("pd-watch-status").get("data-state"),
            Some("invalid")
        );
        assert!(view.text_content().contains("Only IPv6 listens"));
    }

    #[test]
    fn a_stopped_watch_ignores_late_answers() {
        let mut watch = Watch::start("8080", Until::Healthy, 0);
        watch.stop();
        assert_eq!(watch.answered(Some(&sample_report()), 10), None);
        assert_eq!(watch.state(), &WatchState::Stopped);
    }

    #[test]
    fn seconds_round_to_tenths() {
        assert_eq!(seconds(0), "0.0 s");
        assert_eq!(seconds(1_949), "1.9 s");
        assert_eq!(seconds(1_950), "2.0 s");
    }
}
