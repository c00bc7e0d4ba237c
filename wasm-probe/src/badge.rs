//! The docs embed's one-line status: what a reader of someone's docs sees
//! next to "start the server": is it up, and if not, why and what to do.
//! Pure: states and their rendering, tested on the host; `embed` drives it.

use protocol::{Report, Verdict};

use crate::node::{Element, el};

/// Everything the embed can be showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Badge {
    /// Asking the browser for local network access (Chromium's prompt).
    AskingPermission,
    /// The reader (or a policy) refused local network access for this site.
    PermissionDenied,
    /// Nothing answers on the helper's port.
    NotRunning {
        port: u16,
    },
    /// The helper runs but does not accept this site's origin.
    NotAllowed {
        origin: String,
    },
    Checking,
    Up {
        summary: String,
    },
    Down {
        summary: String,
        fix: String,
    },
    Failed {
        message: String,
    },
}

impl Badge {
    /// The `data-state` hook.
    pub fn state(&self) -> &'static str {
        match self {
            Self::AskingPermission => "permission",
            Self::PermissionDenied => "permission-denied",
            Self::NotRunning { .. } => "not-running",
            Self::NotAllowed { .. } => "not-allowed",
            Self::Checking => "checking",
            Self::Up { .. } => "up",
            Self::Down { .. } => "down",
            Self::Failed { .. } => "error",
        }
    }

    /// Up when reachable and healthy; otherwise the most important finding.
    pub fn from_report(report: &Report) -> Self {
        let first = report.findings.first();
        let summary = first.map(|f| f.summary.clone()).unwrap_or_default();
        match report.verdict {
            Verdict::Reachable => Self::Up { summary },
            _ => Self::Down {
                summary,
                fix: first.map(|f| f.fix.clone()).unwrap_or_default(),
            },
        }
    }

    /// Whether a Retry button helps.
    fn retryable(&self) -> bool {
        matches!(
            self,
            Self::NotRunning { .. }
                | Self::NotAllowed { .. }
                | Self::Down { .. }
                | Self::Failed { .. }
        )
    }
}

/// `label` names what is checked ("Dev server"), `target` where.
pub fn view(label: &str, target: &str, badge: &Badge) -> Element {
    let (message, fix) = match badge {
        Badge::AskingPermission => (
            "Your browser asks whether this page may reach services on your computer: allow it to check.".to_owned(),
            None,
        ),
        Badge::PermissionDenied => (
            "This site may not reach services on your computer.".to_owned(),
            Some("Allow \"local network access\" for this site in the browser's site settings (the icon left of the address), then reload.".to_owned()),
        ),
        Badge::NotRunning { port } => (
            format!("portdoctor is not running on this computer (port {port})."),
            Some("Start it with `portdoctor` in a terminal, then press Retry.".to_owned()),
        ),
        Badge::NotAllowed { origin } => (
            "portdoctor is running, but does not accept checks from this site.".to_owned(),
            Some(format!("Restart it with `portdoctor --allow-origin {origin}`, then press Retry.")),
        ),
        Badge::Checking => (format!("Checking {target}…"), None),
        Badge::Up { summary } => (format!("Up: {summary}"), None),
        Badge::Down { summary, fix } => (format!("Down: {summary}"), Some(fix.clone())),
        Badge::Failed { message } => (message.clone(), None),
    };
    el("div", "pd-embed")
        .attr("data-state", badge.state())
        .attr("role", "status")
        .attr("aria-live", "polite")
        .child(el("span", "pd-embed-dot").attr("aria-hidden", "true"))
        .child(el("strong", "pd-embed-label").text(if label.is_empty() { target } else { label }))
        .child(el("span", "pd-embed-message").text(message))
        .children(fix.map(|fix| el("p", "pd-embed-fix").text(fix)))
        .children(badge.retryable().then(|| {
            el("button", "pd-button pd-embed-retry")
                .attr("type", "button")
                .text("Retry")
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;

    #[test]
    fn reports_become_up_or_down_with_the_top_finding() {
        let mut report = sample_report();
        report.verdict = Verdict::Unreachable;
        let Badge::Down { summary, fix } = Badge::from_report(&report) else {
            panic!("down expected")
        };
        assert_eq!(summary, report.findings[0].summary);
        assert_eq!(fix, report.findings[0].fix);
        report.verdict = Verdict::Reachable;
        assert_eq!(Badge::from_report(&report).state(), "up");
    }

    #[test]
    fn each_state_says_what_to_do() {
        let text = |badge: &Badge| format!("{:?}", view("Dev server", "localhost:8080", badge));
        assert!(text(&Badge::NotRunning { port: 61900 }).contains("Start it with `portdoctor`"));
        assert!(
            text(&Badge::NotAllowed {
                origin: "https://docs.example.com".into()
            })
            .contains("--allow-origin https://docs.example.com")
        );
        assert!(text(&Badge::PermissionDenied).contains("local network access"));
        assert!(text(&Badge::Checking).contains("Checking localhost:8080"));
        assert!(
            !text(&Badge::Up {
                summary: "fine".into()
            })
            .contains("Retry")
        );
    }
}
