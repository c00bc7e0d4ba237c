//! The check view: type a target, see the check's progress, then the
//! report; recent targets and the desktop assistant's MCP servers are one
//! click each.
//!
//! The panel and the recent list are pure trees; [`CheckView`] keeps the
//! handles it updates and handles this view's [`Msg`]s.

pub mod mcp;
pub mod report;

use std::cell::{Cell, RefCell};

use protocol::{ErrorKind, Progress, Report, Verdict};
use wasm_bindgen::prelude::*;
use web_sys::HtmlInputElement;

use crate::dom::{Field, Region, Timer};
use crate::node::el;

use super::session::{Change, ReportState, Shown};
use super::views::{self, Html, Tree, View};
use super::widgets::{self, note};
use super::{Page, Parts};

/// What the check view's elements send.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The form was submitted: check what it holds.
    Submit,
    /// Check this target (a recent one, a machine row).
    Run(String),
    /// Check the configured MCP server with this name.
    McpCheck(String),
    /// Sign in to the MCP server at this target (its 401 chain is whole).
    SignIn(String),
}

/// The check view's elements its handlers update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Input,
    Recent,
    Report,
    Progress,
    Result,
    /// The configured MCP servers' section, shown only where a
    /// configuration exists.
    McpSection,
    McpList,
}

/// How often the page looks whether the sign-in window was closed.
const POPUP_MS: u32 = 500;

/// How many recent targets the page remembers.
pub const RECENT: usize = 8;

pub const TARGET_HINT: &str = "localhost:8080";

fn hook(hook: Hook) -> views::Hook {
    views::Hook::Check(hook)
}

/// The check panel, its box prefilled with `target`.
pub fn panel(target: &str) -> Html {
    el("div", "pd-view-body")
        .child(widgets::form(
            "pd-form",
            widgets::Field {
                name: "target",
                label: "Target",
                placeholder: TARGET_HINT,
                hook: Some(hook(Hook::Input)),
            },
            target,
            "Check",
            views::Msg::Check(Msg::Submit),
        ))
        .child(
            el("div", "pd-recent")
                .attr("aria-label", "Recent targets")
                .hook(hook(Hook::Recent)),
        )
        .child(
            el("section", "pd-report")
                .attr("data-state", ReportState::Idle.as_str())
                .attr("aria-live", "polite")
                .attr("aria-label", "Check result")
                .hook(hook(Hook::Report))
                .child(el("ol", "pd-progress").hook(hook(Hook::Progress)))
                .child(el("div", "pd-result").hook(hook(Hook::Result))),
        )
        .child(
            // Hidden until the helper lists a configuration: people who use
            // no desktop assistant never see MCP here.
            el("section", "pd-mcp-config")
                .attr("aria-label", "Configured MCP servers")
                .attr("data-state", "asking")
                .attr("hidden", "")
                .hook(hook(Hook::McpSection))
                .child(el("h2", "pd-heading").text("The desktop assistant's MCP servers"))
                .child(el("div", "pd-mcp-list").hook(hook(Hook::McpList))),
        )
}

/// The recently checked targets, newest first, each a button that checks it.
pub fn recent_view(recent: &[String]) -> Html {
    let list = el("p", "pd-recent-list");
    if recent.is_empty() {
        return list;
    }
    list.child(el("span", "pd-note").text("Recent: "))
        .children(recent.iter().map(|target| {
            el("button", "pd-chip pd-recent-item")
                .attr("type", "button")
                .attr("data-target", target)
                .on_click(views::Msg::Check(Msg::Run(target.clone())))
                .text(target)
        }))
}

/// `target` first, then the others without it, at most [`RECENT`].
pub fn remember(recent: &[String], target: &str) -> Vec<String> {
    let target = target.trim();
    if target.is_empty() {
        return recent.to_vec();
    }
    std::iter::once(target.to_owned())
        .chain(recent.iter().filter(|t| *t != target).cloned())
        .take(RECENT)
        .collect()
}

/// `recent` without `target`: a target that cannot be checked is not worth
/// a click.
pub fn forget(recent: &[String], target: &str) -> Vec<String> {
    let target = target.trim();
    recent.iter().filter(|t| *t != target).cloned().collect()
}

/// Where the recent targets are kept, one per line.
const RECENT_KEY: &str = "portdoctor.recent";

/// The check view's elements and its recent targets.
pub struct CheckView {
    input: HtmlInputElement,
    recent_region: Region<Tree>,
    report: web_sys::Element,
    progress: Region<Tree>,
    result: Region<Tree>,
    mcp_section: web_sys::HtmlElement,
    mcp_list: Region<Tree>,
    recent: RefCell<Vec<String>>,
    /// The target of the check on its way, remembered once it answers.
    asked: RefCell<Option<String>>,
    /// The sign-in window a Sign in click opened, while signing in.
    popup: RefCell<Option<web_sys::Window>>,
    /// Whether the sign-in waits for the person in that window: from the
    /// click (and each `authorize`) until the browser is back (`redirected`),
    /// when the page closes the window.
    awaiting: Cell<bool>,
    /// What the running sign-in is for, to offer it again once stopped.
    signing: RefCell<Option<String>>,
    /// Looks whether the sign-in window was closed.
    popup_timer: Timer,
}

impl CheckView {
    pub fn new(parts: &mut Parts, popup_timer: Timer) -> Result<Self, JsValue> {
        let view = Self {
            recent_region: parts.region(hook(Hook::Recent))?,
            progress: parts.region(hook(Hook::Progress))?,
            result: parts.region(hook(Hook::Result))?,
            mcp_list: parts.region(hook(Hook::McpList))?,
            mcp_section: parts.take(hook(Hook::McpSection))?,
            input: parts.take(hook(Hook::Input))?,
            report: parts.take(hook(Hook::Report))?,
            recent: RefCell::new(load_recent()),
            asked: RefCell::default(),
            popup: RefCell::default(),
            awaiting: Cell::new(false),
            signing: RefCell::default(),
            popup_timer,
        };
        view.show_recent()?;
        Ok(view)
    }

    pub fn handle(&self, page: &Page, msg: Msg, field: Field) -> Result<(), JsValue> {
        match msg {
            Msg::Submit => self.run(page, &field.text),
            Msg::Run(target) => self.run(page, &target),
            Msg::McpCheck(name) => {
                page.select(View::Check)?;
                self.again(page, Shown::McpCheck(name))
            }
            Msg::SignIn(target) => {
                // Opened now, in the click: a popup opened later, when the
                // helper has the URL, would be blocked.
                let popup = web_sys::window().and_then(|w| {
                    w.open_with_url_and_target_and_features(
                        "about:blank",
                        "portdoctor-sign-in",
                        "popup,width=520,height=680",
                    )
                    .ok()
                    .flatten()
                });
                self.popup.replace(popup);
                self.awaiting.set(true);
                self.signing.replace(Some(target.clone()));
                self.popup_timer.start(POPUP_MS);
                self.again(page, Shown::McpLogin(target))
            }
        }
    }

    /// Sends `shown` and shows its progress, staying on whatever view the
    /// user is on (a check run again once the helper is back).
    pub fn again(&self, page: &Page, shown: Shown) -> Result<(), JsValue> {
        self.start_report();
        page.request(|session, id| match &shown {
            Shown::Check(target) => {
                self.asked.replace(Some(target.clone()));
                session.check(id, target)
            }
            Shown::McpCheck(name) => session.mcp_check(id, name),
            Shown::McpLogin(target) => session.mcp_login(id, target),
        })?;
        self.show_state(page)
    }

    /// Checks `target` in this view, remembers it, and puts it in the
    /// address bar so the page's URL runs it again.
    pub fn run(&self, page: &Page, target: &str) -> Result<(), JsValue> {
        let target = target.trim();
        self.input.set_value(target);
        page.select(View::Check)?;
        page.set_query(&self.query());
        self.again(page, Shown::Check(target.to_owned()))
    }

    /// The address bar's query for this view: the check shown, if any.
    pub fn query(&self) -> String {
        let target = self.input.value();
        match target.trim() {
            "" => "?view=check".to_owned(),
            target => super::check_query(target),
        }
    }

    fn start_report(&self) {
        self.progress.clear();
        self.result.clear();
    }

    /// Keeps `target` in the recent list, first, when it could be checked;
    /// takes it out when it could not.
    fn remember(&self, target: &str, valid: bool) -> Result<(), JsValue> {
        let recent = match valid {
            true => remember(&self.recent.borrow(), target),
            false => forget(&self.recent.borrow(), target),
        };
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            // Storage can be full or disabled; the list then lasts this visit.
            let _ = storage.set_item(RECENT_KEY, &recent.join("\n"));
        }
        self.recent.replace(recent);
        self.show_recent()
    }

    fn show_recent(&self) -> Result<(), JsValue> {
        self.recent_region
            .show(recent_view(&self.recent.borrow()))
            .map(drop)
    }

    /// What an answer of the session changes in this view.
    pub fn apply(&self, page: &Page, change: Change) -> Result<(), JsValue> {
        match change {
            Change::McpServers { config, servers } => {
                self.mcp_list.show(mcp::servers(&config, &servers))?;
                self.mcp_section.set_attribute("data-state", "listed")?;
                self.mcp_section.set_hidden(false);
            }
            Change::McpServersUnavailable { kind, message } => {
                let (state, shown) = mcp::unavailable(kind, !self.mcp_section.hidden());
                if shown {
                    self.mcp_list.show(note(&message))?;
                } else {
                    self.mcp_list.clear();
                }
                self.mcp_section.set_attribute("data-state", state)?;
                self.mcp_section.set_hidden(!shown);
            }
            Change::Step(progress) => {
                match &progress {
                    Progress::Authorize { url } => self.authorize(url),
                    Progress::Redirected {} => {
                        self.awaiting.set(false);
                        if let Some(popup) = self.popup.take() {
                            let _ = popup.close();
                        }
                    }
                    _ => {}
                }
                self.progress.append(report::progress_item(&progress))?;
            }
            Change::Finished(report) => self.finished(page, &report)?,
            Change::Failed { kind, message } => self.failed(kind, &message)?,
            _ => {}
        }
        self.show_state(page)
    }

    /// Shows the authorization page in the popup the Sign in click opened
    /// (or a new one, if the browser refused that, or for a step-up after
    /// the first window was closed).
    fn authorize(&self, url: &str) {
        self.awaiting.set(true);
        let shown = self
            .popup
            .borrow()
            .as_ref()
            .filter(|p| !p.closed().unwrap_or(true))
            .is_some_and(|p| p.location().set_href(url).is_ok());
        if !shown && let Some(window) = web_sys::window() {
            let opened = window.open_with_url_and_target(url, "portdoctor-sign-in");
            self.popup.replace(opened.ok().flatten());
        }
    }

    /// The timer's look at the sign-in window: closed while the sign-in
    /// waits for the person there means they gave up, so the helper is
    /// asked to stop (its loopback listener closes at once rather than
    /// after two minutes). After the redirect the page closes the window
    /// itself, and the sign-in goes on.
    ///
    /// A browser also reports the window closed once it shows a page that
    /// isolates itself (`Cross-Origin-Opener-Policy: same-origin`); such an
    /// authorization server's sign-in is stopped too, and the person can
    /// sign in from the CLI (`portdoctor mcp URL --login`).
    pub fn watch_popup(&self, page: &Page) {
        let Some(id) = page.session().signing_in() else {
            return;
        };
        let closed = self
            .popup
            .borrow()
            .as_ref()
            .is_some_and(|p| p.closed().unwrap_or(false));
        if closed && self.awaiting.get() {
            self.popup.replace(None);
            let _ = page.cancel(id);
        } else {
            self.popup_timer.start(POPUP_MS);
        }
    }

    fn finished(&self, page: &Page, report: &Report) -> Result<(), JsValue> {
        self.popup.replace(None);
        self.signing.replace(None);
        if let Some(target) = self.asked.take() {
            self.remember(&target, report.verdict != Verdict::Invalid)?;
        }
        let share = format!(
            "{}/{}",
            page.origin(),
            super::check_query(&report.target.input)
        );
        self.result
            .show(report::report_view(report, &share))
            .map(drop)
    }

    fn failed(&self, kind: Option<ErrorKind>, message: &str) -> Result<(), JsValue> {
        self.popup.replace(None);
        let view = match (kind, self.signing.take()) {
            (Some(ErrorKind::Cancelled), Some(target)) => report::sign_in_stopped(&target),
            _ => report::error_view(kind, message),
        };
        self.result.show(view).map(drop)
    }

    pub fn show_state(&self, page: &Page) -> Result<(), JsValue> {
        let state = page.session().state();
        self.report.set_attribute("data-state", state.as_str())
    }
}

fn load_recent() -> Vec<String> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(RECENT_KEY).ok().flatten())
        .map(|text| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .take(RECENT)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Event;

    #[test]
    /// Its form: `views`' tests.
    fn the_panel_has_the_form_hooks_and_the_prefill() {
        let panel = panel("localhost:3000");
        let form = panel.find("pd-form");
        let input = panel.find_hook(hook(Hook::Input));
        assert_eq!(input.get("value"), Some("localhost:3000"));
        assert_eq!(form.find_tag("button")[0].get("type"), Some("submit"));
        assert_eq!(form.find_tag("label")[0].text_content(), "Target");
        let report = panel.find_hook(hook(Hook::Report));
        assert_eq!(report.get("data-state"), Some("idle"));
        for h in [Hook::Recent, Hook::Progress, Hook::Result, Hook::McpList] {
            panel.find_hook(hook(h));
        }
        // No MCP section until the helper lists a configuration.
        assert_eq!(
            panel.find_hook(hook(Hook::McpSection)).get("hidden"),
            Some("")
        );
    }

    #[test]
    fn recent_targets_are_newest_first_without_repeats() {
        let recent = remember(&[], "8080");
        let recent = remember(&recent, " 5432 ");
        let recent = remember(&recent, "8080");
        assert_eq!(recent, ["8080", "5432"]);
        assert_eq!(remember(&recent, "  "), recent);
        let many = (0..20).fold(Vec::new(), |list, n| remember(&list, &n.to_string()));
        assert_eq!(many.len(), RECENT);
        assert_eq!(many[0], "19");
        let view = recent_view(&recent);
        let buttons = view.find_all("pd-recent-item");
        assert_eq!(buttons[1].get("data-target"), Some("5432"));
        assert_eq!(
            buttons[1].sends(Event::Click),
            Some(&views::Msg::Check(Msg::Run("5432".into())))
        );
        assert!(recent_view(&[]).children.is_empty());
        assert_eq!(forget(&recent, " 8080 "), ["5432"]);
    }
}
