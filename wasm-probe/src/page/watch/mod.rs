//! The watch view: "wait until it's up", for someone starting a server.
//!
//! The panel and [`state`] are pure; [`WatchView`] runs the attempts on a
//! timer, raises the notification, and handles this view's [`Msg`]s.

pub mod state;

use std::cell::{Cell, RefCell};

use std::str::FromStr;

use protocol::{Report, Until};
use wasm_bindgen::prelude::*;

use crate::dom::{self, Field, Region, Timer};
use crate::node::{Event, el};

use super::session::Change;
use super::views::{self, Html, Tree};
use super::widgets;
use super::{Page, Parts};
use state::{Watch, WatchState, seconds};

/// What the watch view's elements send.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The form was submitted: watch what it holds.
    Start,
    Stop,
    /// "Notify me" was ticked or cleared.
    Notify,
    /// What counts as up was chosen (an [`Until`]'s wire name).
    Until,
}

/// The watch view's elements its handlers update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Status,
}

pub fn panel() -> Html {
    el("div", "pd-view-body")
        .child(el("p", "pd-note").text(
            "Starting a server? Enter its port: this page checks it again and again, \
             and turns green when it works (no error found), or as soon as anything \
             accepts a connection if you choose so.",
        ))
        .child(
            widgets::form(
                "pd-form pd-watch-form",
                widgets::Field {
                    name: "watch-target",
                    label: "Target to watch",
                    placeholder: super::check::TARGET_HINT,
                    hook: None,
                },
                "",
                "Watch",
                views::Msg::Watch(Msg::Start),
            )
            .child(
                el("label", "pd-field pd-until-field")
                    .child(el("span", "pd-label").text("Up means"))
                    .child(
                        el("select", "pd-input pd-until")
                            .attr("name", "until")
                            .on(Event::Change, views::Msg::Watch(Msg::Until))
                            // The default first: a proxy answering 502 is not up.
                            .children([Until::Healthy, Until::Accepts].map(|until| {
                                el("option", "")
                                    .attr("value", <&str>::from(until))
                                    .attr_opt("selected", (until == Until::default()).then_some(""))
                                    .text(until.label())
                            })),
                    ),
            )
            .child(
                el("label", "pd-check-label")
                    .child(
                        el("input", "pd-notify")
                            .attr("type", "checkbox")
                            .on(Event::Change, views::Msg::Watch(Msg::Notify)),
                    )
                    .text(" Notify me when it is up"),
            ),
        )
        .child(
            el("div", "pd-watch")
                .attr("role", "status")
                .attr("aria-live", "polite")
                .hook(views::Hook::Watch(Hook::Status)),
        )
}

pub struct WatchView {
    status: Region<Tree>,
    watch: RefCell<Option<Watch>>,
    notify: Cell<bool>,
    until: Cell<Until>,
    timer: Timer,
}

impl WatchView {
    pub fn new(parts: &mut Parts, timer: Timer) -> Result<Self, JsValue> {
        Ok(Self {
            status: parts.region(views::Hook::Watch(Hook::Status))?,
            watch: RefCell::new(None),
            notify: Cell::new(false),
            until: Cell::default(),
            timer,
        })
    }

    pub fn handle(&self, page: &Page, msg: Msg, field: Field) -> Result<(), JsValue> {
        match msg {
            Msg::Start => self.start(page, &field.text),
            Msg::Stop => self.stop(page),
            Msg::Notify => {
                self.notify.set(field.checked);
                // Asking when the box is ticked: browsers only allow it after a click.
                if field.checked {
                    let _ = web_sys::Notification::request_permission();
                }
                Ok(())
            }
            Msg::Until => {
                if let Ok(until) = Until::from_str(&field.text) {
                    self.until.set(until);
                    if let Some(watch) = &mut *self.watch.borrow_mut() {
                        watch.set_until(until);
                    }
                }
                Ok(())
            }
        }
    }

    fn start(&self, page: &Page, target: &str) -> Result<(), JsValue> {
        if target.trim().is_empty() {
            return Ok(());
        }
        page.session_mut().unwatch();
        self.watch
            .replace(Some(Watch::start(target, self.until.get(), dom::now_ms())));
        self.attempt(page);
        Ok(())
    }

    fn stop(&self, page: &Page) -> Result<(), JsValue> {
        self.timer.stop();
        page.session_mut().unwatch();
        if let Some(watch) = &mut *self.watch.borrow_mut() {
            watch.stop();
        }
        self.show()
    }

    /// The watch's next attempt (the timer calls it).
    pub fn attempt(&self, page: &Page) {
        let target = match &mut *self.watch.borrow_mut() {
            Some(watch) if watch.is_waiting() => {
                watch.attempt();
                watch.target().to_owned()
            }
            _ => return,
        };
        let _ = page.request(|session, id| session.watch(id, &target));
        let _ = self.show();
    }

    /// What an answer of the session changes in this view.
    pub fn apply(&self, change: Change) -> Result<(), JsValue> {
        match change {
            Change::Watched(report) => self.watched(report.as_deref()),
            _ => Ok(()),
        }
    }

    fn watched(&self, report: Option<&Report>) -> Result<(), JsValue> {
        let next = match &mut *self.watch.borrow_mut() {
            Some(watch) => watch.answered(report, dom::now_ms()),
            None => return Ok(()),
        };
        match next {
            Some(delay) => self.timer.start(delay),
            None => self.notify_up(),
        }
        self.show()
    }

    fn notify_up(&self) {
        let watch = self.watch.borrow();
        let Some(watch) = watch.as_ref() else { return };
        if let WatchState::Up { after_ms } = watch.state()
            && self.notify.get()
            && web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
        {
            let options = web_sys::NotificationOptions::new();
            options.set_body(&format!("It answered after {}.", seconds(*after_ms)));
            let _ = web_sys::Notification::new_with_options(
                &format!("{} is {}", watch.target(), watch.until().reached()),
                &options,
            );
        }
    }

    fn show(&self) -> Result<(), JsValue> {
        match &*self.watch.borrow() {
            Some(watch) => self.status.show(watch.view(dom::now_ms())).map(drop),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Its form: `views`' tests.
    #[test]
    fn the_panel_has_the_choice_and_the_notify_box() {
        let panel = panel();
        let msg = views::Msg::Watch;
        let until = panel.find("pd-until");
        assert_eq!(until.sends(Event::Change), Some(&msg(Msg::Until)));
        let options = until.find_tag("option");
        let values: Vec<_> = options.iter().map(|o| o.get("value").unwrap()).collect();
        assert_eq!(values, ["healthy", "accepts"]);
        assert_eq!(options[0].get("selected"), Some(""), "healthy by default");
        let notify = panel.find("pd-notify");
        assert_eq!(notify.get("type"), Some("checkbox"));
        assert_eq!(notify.sends(Event::Change), Some(&msg(Msg::Notify)));
    }
}
