//! The machine view: "Can my server use this port?" and every TCP listener
//! on this machine, polled while the view is shown.
//!
//! The panel, the table ([`table`]) and the bind answer ([`bind`]) are pure
//! trees; [`MachineView`] keeps the handles it updates, polls, and handles
//! this view's [`Msg`]s.

pub mod bind;
pub mod table;

use std::cell::RefCell;

use protocol::ErrorKind;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::dom::{Field, Hooks, Region, Timer};
use crate::node::{Event, el};

use super::check::report::error_view;
use super::session::Change;
use super::views::{self, Html, Tree, View};
use super::widgets::{self, note};
use super::{Page, Parts};
use table::{Column, Machine};

/// How often the view asks for the listeners while it is shown.
const POLL_MS: u32 = 3_000;

/// What the machine view's elements send.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The filter box changed.
    Filter,
    Sort(Column),
    /// The bind-check form was submitted.
    BindCheck,
}

/// The machine view's elements its handlers update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Table,
    Bind,
    /// A column's sort button, to keep the keyboard on it.
    Sort(Column),
}

fn hook(hook: Hook) -> views::Hook {
    views::Hook::Machine(hook)
}

pub fn panel() -> Html {
    el("div", "pd-view-body")
        .child(
            el("section", "pd-bind-check")
                .attr("aria-label", "Can a server use this port?")
                .child(el("h2", "pd-heading").text("Can my server use this port?"))
                .child(widgets::form(
                    "pd-form pd-bind-form",
                    widgets::Field {
                        name: "bind-port",
                        label: "Port",
                        placeholder: "8080",
                        hook: None,
                    },
                    "",
                    "Try it",
                    views::Msg::Machine(Msg::BindCheck),
                ))
                .child(
                    el("div", "pd-bind")
                        .attr("role", "status")
                        .attr("aria-live", "polite")
                        .hook(hook(Hook::Bind)),
                ),
        )
        .child(el("h2", "pd-heading").text("Listening now"))
        .child(
            el("label", "pd-field pd-machine-field")
                .child(el("span", "pd-label").text("Filter"))
                .child(
                    el("input", "pd-input pd-machine-filter")
                        .attr("type", "search")
                        .attr("placeholder", "process, pid, address or port")
                        .attr("autocomplete", "off")
                        .on(Event::Input, views::Msg::Machine(Msg::Filter)),
                ),
        )
        .child(
            el("div", "pd-machine")
                .hook(hook(Hook::Table))
                .child(note("Asking the helper for every listener…")),
        )
}

pub struct MachineView {
    table: Region<Tree>,
    bind: Region<Tree>,
    machine: RefCell<Machine>,
    timer: Timer,
}

impl MachineView {
    pub fn new(parts: &mut Parts, timer: Timer) -> Result<Self, JsValue> {
        Ok(Self {
            table: parts.region(hook(Hook::Table))?,
            bind: parts.region(hook(Hook::Bind))?,
            machine: RefCell::default(),
            timer,
        })
    }

    pub fn handle(&self, page: &Page, msg: Msg, field: Field) -> Result<(), JsValue> {
        match msg {
            Msg::Filter => {
                self.machine.borrow_mut().filter(&field.text);
                self.show()
            }
            Msg::Sort(column) => {
                self.machine.borrow_mut().sort_by(column);
                let mut hooks = self.show_hooked()?;
                // The table was rebuilt: keep the keyboard on the same header.
                hooks.take::<HtmlElement>(hook(Hook::Sort(column)))?.focus()
            }
            Msg::BindCheck => self.bind_check(page, &field.text),
        }
    }

    /// Asks for the listeners while this view is shown and the tab
    /// visible, one request at a time; then waits for the next beat.
    pub fn tick(&self, page: &Page) {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if page.selected() == View::Machine
            && !hidden
            && !page.session().machine_pending()
            && page.connected()
        {
            let _ = page.request(|session, id| session.machine(id));
        }
        self.timer.start(POLL_MS);
    }

    fn show(&self) -> Result<(), JsValue> {
        self.show_hooked().map(drop)
    }

    fn show_hooked(&self) -> Result<Hooks<Tree>, JsValue> {
        self.table.show(self.machine.borrow().view())
    }

    /// Asks the helper whether a server could listen on the typed port.
    fn bind_check(&self, page: &Page, text: &str) -> Result<(), JsValue> {
        match bind::bind_port(text) {
            Ok(port) => {
                self.bind.show(note(&format!("Trying port {port}…")))?;
                page.request(|session, id| session.bind_check(id, port))?;
                Ok(())
            }
            Err(message) => self
                .bind
                .show(error_view(Some(ErrorKind::BadRequest), &message))
                .map(drop),
        }
    }

    /// What an answer of the session changes in this view.
    pub fn apply(&self, change: Change) -> Result<(), JsValue> {
        match change {
            // An unchanged listing leaves the table (and the focus) alone.
            Change::Machine(Ok(listing)) if self.machine.borrow_mut().update(&listing) => {
                self.show()?
            }
            Change::Machine(Err(message)) => {
                self.machine.borrow_mut().hide();
                self.table.show(note(&message))?;
            }
            Change::Bound(Ok(report)) => drop(self.bind.show(bind::bind_view(&report))?),
            Change::Bound(Err(message)) => drop(self.bind.show(error_view(None, &message))?),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Its form: `views`' tests.
    #[test]
    fn the_panel_has_the_filter_and_the_table() {
        let panel = panel();
        let filter = panel.find("pd-machine-filter");
        assert_eq!(filter.get("type"), Some("search"));
        let sent = filter.sends(Event::Input);
        assert_eq!(sent, Some(&views::Msg::Machine(Msg::Filter)));
        panel.find_hook(hook(Hook::Table));
    }
}
