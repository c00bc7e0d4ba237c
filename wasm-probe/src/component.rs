//! The helper's page as a DOM component: three views (check, this machine,
//! wait until up) on the shared connection to the helper.
//!
//! This module decides nothing: what a message means is [`Session`]'s job,
//! the machine table and the watch are [`Machine`] and [`Watch`], what the
//! screen shows is [`view`]'s. It wires browser events to them and puts
//! their trees on the page, so the code that only runs in a browser stays
//! small and everything else is tested on the host.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use protocol::{ErrorKind, ServerMessage};
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement, HtmlInputElement};

use crate::connection::{Connection, User, UserKey};
use crate::dom::{self, Handler, Timer, closest, find, listen, option, show};
use crate::link::Link;
use crate::machine::{Column, Machine};
use crate::mounted::Mounted;
use crate::session::{Change, Session};
use crate::view;
use crate::watch::{Watch, WatchState};

/// How often the machine view asks for the listeners while it is shown.
const MACHINE_POLL_MS: u32 = 3_000;
/// Where the recent targets are kept, one per line.
const RECENT_KEY: &str = "portdoctor.recent";

/// Mounts the page into `root` (appended after whatever it holds).
///
/// `options` is an object with optional strings `url` (the helper's WebSocket,
/// by default `/ws` on the page's own host, the only origin the helper
/// accepts unless told otherwise) and `target` (prefills the input). A
/// `?check=TARGET` in the page's address prefills it and runs the check.
/// The component stays until `unmount()`, whatever happens to the handle.
#[wasm_bindgen]
pub fn mount(root: Element, options: JsValue) -> Result<Mounted, JsValue> {
    let window = web_sys::window().ok_or("portdoctor: no window")?;
    let location = window.location();
    let document = root
        .owner_document()
        .ok_or("portdoctor: the root element is not in a document")?;
    let url = match option(&options, "url") {
        Some(url) => url,
        None => view::default_ws_url(&location.protocol()?, &location.host()?),
    };
    let shared = web_sys::UrlSearchParams::new_with_str(&location.search()?)?
        .get("check")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let target = shared
        .clone()
        .or_else(|| option(&options, "target"))
        .unwrap_or_default();
    let container: Element =
        dom::build(&document, &view::skeleton(&target).into())?.unchecked_into();
    root.append_child(&container)?;
    let ui = Ui::find(container)?;
    let connection = Connection::shared(&url);
    let page = Rc::new_cyclic(|me: &Weak<Page>| Page {
        ui,
        connection,
        key: Cell::new(0),
        session: RefCell::default(),
        machine: RefCell::default(),
        watch: RefCell::new(None),
        recent: RefCell::new(load_recent()),
        origin: location.origin().unwrap_or_default(),
        on_click: dom::handler(me, Page::on_click),
        on_submit: dom::handler(me, Page::on_submit),
        on_filter: dom::handler(me, Page::on_filter),
        on_notify: dom::handler(me, Page::on_notify),
        machine_timer: Timer::new(me, Page::machine_tick),
        watch_timer: Timer::new(me, Page::watch_attempt),
    });
    let weak: Weak<dyn User> = Rc::downgrade(&page) as Weak<Page>;
    page.key.set(page.connection.join(weak));
    page.listeners(true)?;
    page.show_recent()?;
    page.link(page.connection.link());
    if let Some(target) = shared {
        page.run_check(&target)?;
    }
    page.machine_timer.start(MACHINE_POLL_MS);
    Ok(Mounted::keep(page))
}

/// The elements the page updates, found again by their hooks.
struct Ui {
    container: Element,
    status: Element,
    status_text: Element,
    retry: HtmlElement,
    input: HtmlInputElement,
    recent: Element,
    report: Element,
    progress: Element,
    result: Element,
    mcp_list: Element,
    machine: Element,
    filter: HtmlInputElement,
    bind_input: HtmlInputElement,
    bind: Element,
    watch_input: HtmlInputElement,
    notify: HtmlInputElement,
    watch: Element,
    copy_status: Element,
}

impl Ui {
    fn find(container: Element) -> Result<Self, JsValue> {
        let c = &container;
        Ok(Self {
            status: find(c, ".pd-status")?,
            status_text: find(c, ".pd-status-text")?,
            retry: find(c, ".pd-retry")?,
            input: find(c, ".pd-form input[name=target]")?,
            recent: find(c, ".pd-recent")?,
            report: find(c, ".pd-report")?,
            progress: find(c, ".pd-progress")?,
            result: find(c, ".pd-result")?,
            mcp_list: find(c, ".pd-mcp-list")?,
            machine: find(c, ".pd-machine")?,
            filter: find(c, ".pd-machine-filter")?,
            bind_input: find(c, ".pd-bind-form input")?,
            bind: find(c, ".pd-bind")?,
            watch_input: find(c, ".pd-watch-form input")?,
            notify: find(c, ".pd-notify")?,
            watch: find(c, ".pd-watch")?,
            copy_status: find(c, ".pd-copy-status")?,
            container,
        })
    }
}

struct Page {
    ui: Ui,
    connection: Rc<Connection>,
    key: Cell<UserKey>,
    session: RefCell<Session>,
    machine: RefCell<Machine>,
    watch: RefCell<Option<Watch>>,
    recent: RefCell<Vec<String>>,
    origin: String,
    on_click: Handler,
    on_submit: Handler,
    on_filter: Handler,
    on_notify: Handler,
    machine_timer: Timer,
    watch_timer: Timer,
}

impl Page {
    fn listeners(&self, on: bool) -> Result<(), JsValue> {
        let ui = &self.ui;
        listen(&ui.container, "click", &self.on_click, on)?;
        listen(&ui.container, "submit", &self.on_submit, on)?;
        listen(&ui.filter, "input", &self.on_filter, on)?;
        listen(&ui.notify, "change", &self.on_notify, on)
    }

    /// One listener for every button in the page: the nearest hook decides.
    fn on_click(&self, event: Event) -> Result<(), JsValue> {
        if let Some(button) = closest(&event, ".pd-copy") {
            let text = button.get_attribute("data-copy").unwrap_or_default();
            return self.copy(&text);
        }
        if let Some(tab) = closest(&event, ".pd-tab") {
            return self.select_view(&tab.get_attribute("data-view").unwrap_or_default());
        }
        if closest(&event, ".pd-retry").is_some() {
            self.connection.retry();
        } else if closest(&event, ".pd-watch-stop").is_some() {
            return self.stop_watch();
        } else if let Some(sort) = closest(&event, ".pd-sort") {
            let column = sort.get_attribute("data-column").unwrap_or_default();
            if let Some(parsed) = Column::from_name(&column) {
                self.machine.borrow_mut().sort_by(parsed);
                self.show_machine()?;
                // The table was rebuilt: keep the keyboard on the same header.
                let selector = format!(".pd-sort[data-column={column}]");
                return find::<HtmlElement>(&self.ui.machine, &selector)?.focus();
            }
        } else if let Some(button) = closest(&event, ".pd-mcp-check") {
            let name = button.get_attribute("data-name").unwrap_or_default();
            let key = self.key.get();
            self.start_report()?;
            self.connection
                .request(key, |id| self.session.borrow_mut().mcp_check(id, &name))?;
            return self.show_state();
        } else if let Some(row) = closest(&event, ".pd-recent-item, .pd-machine-row") {
            let target = row.get_attribute("data-target").unwrap_or_default();
            return self.run_check(&target);
        }
        Ok(())
    }

    fn on_submit(&self, event: Event) -> Result<(), JsValue> {
        event.prevent_default();
        if closest(&event, ".pd-watch-form").is_some() {
            self.start_watch(&self.ui.watch_input.value())
        } else if closest(&event, ".pd-bind-form").is_some() {
            self.bind_check(&self.ui.bind_input.value())
        } else {
            self.run_check(&self.ui.input.value())
        }
    }

    fn on_filter(&self, _: Event) -> Result<(), JsValue> {
        self.machine.borrow_mut().filter(&self.ui.filter.value());
        self.show_machine()
    }

    /// Asking when the box is ticked: browsers only allow it after a click.
    fn on_notify(&self, _: Event) -> Result<(), JsValue> {
        if self.ui.notify.checked() {
            let _ = web_sys::Notification::request_permission();
        }
        Ok(())
    }

    fn select_view(&self, name: &str) -> Result<(), JsValue> {
        let all = self.ui.container.query_selector_all(".pd-tab, .pd-view")?;
        for i in 0..all.length() {
            let Some(element) = all.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else {
                continue;
            };
            let selected = element.get_attribute("data-view").as_deref() == Some(name);
            if element.class_list().contains("pd-tab") {
                element.set_attribute("aria-selected", if selected { "true" } else { "false" })?;
            } else {
                element.set_hidden(!selected);
            }
        }
        if name == "machine" {
            self.machine_tick();
        }
        Ok(())
    }

    fn current_view(&self) -> Option<String> {
        self.ui
            .container
            .query_selector(".pd-tab[aria-selected=true]")
            .ok()
            .flatten()
            .and_then(|tab| tab.get_attribute("data-view"))
    }

    /// Checks `target` in the check view, remembers it, and puts it in the
    /// address bar so the page's URL runs it again.
    fn run_check(&self, target: &str) -> Result<(), JsValue> {
        let target = target.trim();
        self.select_view("check")?;
        self.ui.input.set_value(target);
        self.remember(target)?;
        if let Some(window) = web_sys::window() {
            let _ = window.history()?.replace_state_with_url(
                &JsValue::NULL,
                "",
                Some(&share_query(target)),
            );
        }
        self.start_report()?;
        let key = self.key.get();
        self.connection
            .request(key, |id| self.session.borrow_mut().check(id, target))?;
        self.show_state()
    }

    fn start_report(&self) -> Result<(), JsValue> {
        self.ui.progress.set_text_content(None);
        self.ui.result.set_text_content(None);
        Ok(())
    }

    fn remember(&self, target: &str) -> Result<(), JsValue> {
        let recent = view::remember(&self.recent.borrow(), target);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            // Storage can be full or disabled; the list then lasts this visit.
            let _ = storage.set_item(RECENT_KEY, &recent.join("\n"));
        }
        self.recent.replace(recent);
        self.show_recent()
    }

    fn show_recent(&self) -> Result<(), JsValue> {
        show(&self.ui.recent, view::recent_view(&self.recent.borrow()))
    }

    fn copy(&self, text: &str) -> Result<(), JsValue> {
        let status = self.ui.copy_status.clone();
        dom::copy(text, move |copied| {
            status.set_text_content(Some(if copied {
                "Copied to the clipboard."
            } else {
                "The browser did not allow copying; select the text instead."
            }));
        });
        Ok(())
    }

    /// Asks for the listeners while the machine view is shown and the tab
    /// visible, one request at a time; then waits for the next beat.
    fn machine_tick(&self) {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if self.current_view().as_deref() == Some("machine")
            && !hidden
            && !self.session.borrow().machine_pending()
            && self.connection.link() == Link::Open
        {
            let key = self.key.get();
            let _ = self
                .connection
                .request(key, |id| self.session.borrow_mut().machine(id));
        }
        self.machine_timer.start(MACHINE_POLL_MS);
    }

    fn show_machine(&self) -> Result<(), JsValue> {
        show(&self.ui.machine, self.machine.borrow().view())
    }

    /// Asks the helper whether a server could listen on the typed port.
    fn bind_check(&self, text: &str) -> Result<(), JsValue> {
        match view::bind_port(text) {
            Ok(port) => {
                show(&self.ui.bind, view::note(&format!("Trying port {port}…")))?;
                let key = self.key.get();
                self.connection
                    .request(key, |id| self.session.borrow_mut().bind_check(id, port))?;
                Ok(())
            }
            Err(message) => show(
                &self.ui.bind,
                view::error_view(Some(ErrorKind::BadRequest), &message),
            ),
        }
    }

    fn start_watch(&self, target: &str) -> Result<(), JsValue> {
        if target.trim().is_empty() {
            return Ok(());
        }
        self.session.borrow_mut().unwatch();
        self.watch
            .replace(Some(Watch::start(target, dom::now_ms())));
        self.watch_attempt();
        Ok(())
    }

    fn stop_watch(&self) -> Result<(), JsValue> {
        self.watch_timer.stop();
        self.session.borrow_mut().unwatch();
        if let Some(watch) = &mut *self.watch.borrow_mut() {
            watch.stop();
        }
        self.show_watch()
    }

    /// The watch's next attempt (the timer calls it).
    fn watch_attempt(&self) {
        let target = match &mut *self.watch.borrow_mut() {
            Some(watch) if watch.is_waiting() => {
                watch.attempt();
                watch.target().to_owned()
            }
            _ => return,
        };
        let key = self.key.get();
        let _ = self
            .connection
            .request(key, |id| self.session.borrow_mut().watch(id, &target));
        let _ = self.show_watch();
    }

    fn watched(&self, report: Option<&protocol::Report>) -> Result<(), JsValue> {
        let next = match &mut *self.watch.borrow_mut() {
            Some(watch) => watch.answered(report, dom::now_ms()),
            None => return Ok(()),
        };
        match next {
            Some(delay) => self.watch_timer.start(delay),
            None => self.notify_up(),
        }
        self.show_watch()
    }

    fn notify_up(&self) {
        let watch = self.watch.borrow();
        let Some(watch) = watch.as_ref() else { return };
        if let WatchState::Up { after_ms } = watch.state()
            && self.ui.notify.checked()
            && web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
        {
            let options = web_sys::NotificationOptions::new();
            options.set_body(&format!(
                "It answered after {}.",
                crate::watch::seconds(*after_ms)
            ));
            let _ = web_sys::Notification::new_with_options(
                &format!("{} is up", watch.target()),
                &options,
            );
        }
    }

    fn show_watch(&self) -> Result<(), JsValue> {
        match &*self.watch.borrow() {
            Some(watch) => show(&self.ui.watch, watch.view(dom::now_ms())),
            None => Ok(()),
        }
    }

    fn apply(&self, change: Change) -> Result<(), JsValue> {
        let ui = &self.ui;
        match change {
            Change::McpServers { config, servers } => {
                show(&ui.mcp_list, view::mcp_servers(&config, &servers))?
            }
            Change::McpServersUnavailable(message) => show(&ui.mcp_list, view::note(&message))?,
            Change::Step(progress) => {
                let document = ui.container.owner_document().ok_or("detached")?;
                let item = view::progress_item(&progress).into();
                ui.progress.append_child(&dom::build(&document, &item)?)?;
            }
            Change::Finished(report) => {
                let share = format!("{}/{}", self.origin, share_query(&report.target.input));
                show(&ui.result, view::report_view(&report, &share))?
            }
            Change::Failed { kind, message } => show(&ui.result, view::error_view(kind, &message))?,
            Change::Machine(Ok(listeners)) => {
                if self.machine.borrow_mut().update(&listeners) {
                    self.show_machine()?;
                }
            }
            Change::Machine(Err(message)) => show(&ui.machine, view::note(&message))?,
            Change::Bound(Ok(report)) => show(&ui.bind, view::bind_view(&report))?,
            Change::Bound(Err(message)) => show(&ui.bind, view::error_view(None, &message))?,
            Change::Watched(report) => self.watched(report.as_deref())?,
        }
        self.show_state()
    }

    fn show_state(&self) -> Result<(), JsValue> {
        let state = self.session.borrow().state();
        self.ui.report.set_attribute("data-state", state.as_str())
    }
}

impl User for Page {
    fn link(&self, link: Link) {
        let ui = &self.ui;
        let _ = ui.status.set_attribute("data-state", link.as_str());
        ui.status_text
            .set_text_content(Some(&link.text(self.connection.url(), &self.origin)));
        ui.retry.set_hidden(!link.is_failed());
        if link.is_failed() {
            let changes = self.session.borrow_mut().connection_lost();
            for change in changes {
                let _ = self.apply(change);
            }
        }
    }

    fn greeted(&self, protocol: u32, server: &str) {
        self.ui
            .status_text
            .set_text_content(Some(&view::hello_status(protocol, server)));
        let key = self.key.get();
        let _ = self
            .connection
            .request(key, |id| self.session.borrow_mut().mcp_servers(id));
        self.machine_tick();
    }

    fn message(&self, message: ServerMessage) {
        let change = self.session.borrow_mut().receive(message);
        if let Some(change) = change {
            let _ = self.apply(change);
        }
    }

    fn broadcast(&self, kind: Option<ErrorKind>, message: &str) {
        let change = self
            .session
            .borrow_mut()
            .broadcast(kind, message.to_owned());
        let _ = self.apply(change);
    }
}

impl Drop for Page {
    /// Unmounts; best effort, since dropping cannot report an error.
    fn drop(&mut self) {
        self.connection.leave(self.key.get());
        let _ = self.listeners(false);
        self.ui.container.remove();
    }
}

/// `?check=localhost%3A8080`: the query that runs a check on load.
fn share_query(target: &str) -> String {
    format!(
        "?check={}",
        String::from(js_sys::encode_uri_component(target))
    )
}

fn load_recent() -> Vec<String> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(RECENT_KEY).ok().flatten())
        .map(|text| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .take(view::RECENT)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
