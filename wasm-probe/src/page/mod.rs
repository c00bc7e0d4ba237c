//! The helper's page as a DOM component: its views behind tabs, on the
//! shared connection to the helper.
//!
//! Each view is a module that owns its panel, its typed messages and hooks,
//! and its handlers: [`check`], [`machine`], [`watch`], [`talk`]. [`views`] lists them
//! and builds the frame. This module mounts the frame, routes each
//! [`views::Msg`] to the view it names and each answer of the [`Session`]
//! to the view it belongs to; what a message means is [`session`]'s job.
//! Everything that decides is pure and tested on the host; the `web_sys`
//! code only wires.

mod check;
mod describe;
mod export;
mod machine;
mod session;
mod talk;
mod views;
mod watch;
mod widgets;

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::rc::{Rc, Weak};

use protocol::{ClientMessage, ErrorKind, RequestId, ServerMessage};
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

use crate::connection::{Connection, User, UserKey};
use crate::dom::{self, Field, Hooks, Region, Sink, Timer, option};
use crate::link::Link;
use crate::mounted::Mounted;
use check::CheckView;
use machine::MachineView;
use session::{Change, Session};
use talk::TalkView;
use views::{Hook, Msg, Tree, View};
use watch::WatchView;

/// Mounts the page into `root` (appended after whatever it holds).
///
/// `options` is an object with optional strings `url` (the helper's WebSocket,
/// by default `/ws` on the page's own host, the only origin the helper
/// accepts unless told otherwise) and `target` (prefills the input). A
/// `?check=TARGET` in the page's address prefills it and runs the check;
/// `?talk=CONVERSATION` replays a saved conversation; `?view=machine` opens
/// that view.
/// The component stays until `unmount()`, whatever happens to the handle.
#[wasm_bindgen]
pub fn mount(root: Element, options: JsValue) -> Result<Mounted, JsValue> {
    let window = web_sys::window().ok_or("portdoctor: no window")?;
    let location = window.location();
    let url = match option(&options, "url") {
        Some(url) => url,
        None => views::default_ws_url(&location.protocol()?, &location.host()?),
    };
    let query = web_sys::UrlSearchParams::new_with_str(&location.search()?)?;
    let shared = query
        .get("check")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let selected = match &shared {
        Some(_) => View::Check,
        None => query
            .get("view")
            .and_then(|name| View::from_name(&name))
            .unwrap_or(View::Check),
    };
    let target = shared
        .clone()
        .or_else(|| option(&options, "target"))
        .unwrap_or_default();

    let me = PageRef::default();
    let sink: Sink<Msg> = {
        let me = me.clone();
        Rc::new(move |msg, field| me.get().map_or(Ok(()), |page| page.dispatch(msg, field)))
    };
    let root = Region::new(root, sink.clone());
    let mut parts = Parts {
        hooks: root.append(views::skeleton(&target, selected))?,
        sink,
    };
    let frame = Frame {
        container: parts.take(Hook::Frame)?,
        status: parts.take(Hook::Status)?,
        status_text: parts.take(Hook::StatusText)?,
        retry: parts.take(Hook::Retry)?,
        copy_status: parts.take(Hook::CopyStatus)?,
        tabs: View::ALL
            .iter()
            .map(|&view| {
                Ok((
                    view,
                    parts.take(Hook::Tab(view))?,
                    parts.take(Hook::Panel(view))?,
                ))
            })
            .collect::<Result<_, JsValue>>()?,
    };
    let page = Rc::new(Page {
        check: CheckView::new(&mut parts, me.timer(|page| page.check.watch_popup(page)))?,
        machine: MachineView::new(&mut parts, me.timer(|page| page.machine.tick(page)))?,
        watch: WatchView::new(&mut parts, me.timer(|page| page.watch.attempt(page)))?,
        talk: TalkView::new(&mut parts, me.clone())?,
        _root: root,
        frame,
        connection: Connection::shared(&url),
        key: Cell::new(0),
        session: RefCell::default(),
        selected: Cell::new(selected),
        origin: location.origin().unwrap_or_default(),
    });
    me.0.replace(Rc::downgrade(&page));
    let weak: Weak<dyn User> = Rc::downgrade(&page) as Weak<Page>;
    page.key.set(page.connection.join(weak));
    page.link(page.connection.link());
    if let Some(target) = shared {
        page.check.run(&page, &target)?;
    } else if let Some(conversation) = query.get("talk") {
        page.talk.shared(&page, &conversation)?;
    }
    page.machine.tick(&page);
    Ok(Mounted::keep(page))
}

/// What each view's `new` takes its elements from: the frame's hooked
/// elements, and the sink that the regions it fills send their messages to.
pub struct Parts {
    hooks: Hooks<Tree>,
    sink: Sink<Msg>,
}

impl Parts {
    pub fn take<T: JsCast>(&mut self, hook: Hook) -> Result<T, JsValue> {
        self.hooks.take(hook)
    }

    /// The element hooked as `hook`, as a region whose content the view replaces.
    pub fn region(&mut self, hook: Hook) -> Result<Region<Tree>, JsValue> {
        Ok(Region::new(self.take(hook)?, self.sink.clone()))
    }
}

/// How handlers and timers reach the page: filled in once it exists, and
/// weak, so a late event after unmounting does nothing.
#[derive(Clone, Default)]
pub struct PageRef(Rc<RefCell<Weak<Page>>>);

impl PageRef {
    pub fn get(&self) -> Option<Rc<Page>> {
        self.0.borrow().upgrade()
    }

    /// A timer that calls `f` on the page while it is mounted.
    pub fn timer(&self, f: fn(&Page)) -> Timer {
        let me = self.clone();
        Timer::calling(move || {
            if let Some(page) = me.get() {
                f(&page)
            }
        })
    }
}

/// The frame's elements: the status line, each view's tab and panel, and
/// the line that confirms copies.
struct Frame {
    container: Element,
    status: Element,
    status_text: Element,
    retry: HtmlElement,
    copy_status: Element,
    tabs: Vec<(View, Element, HtmlElement)>,
}

pub struct Page {
    /// Holds the frame's listeners.
    _root: Region<Tree>,
    frame: Frame,
    connection: Rc<Connection>,
    key: Cell<UserKey>,
    session: RefCell<Session>,
    selected: Cell<View>,
    origin: String,
    check: CheckView,
    machine: MachineView,
    watch: WatchView,
    talk: TalkView,
}

impl Page {
    /// Where every element's message arrives: the frame's own, or the view's
    /// that sent it.
    fn dispatch(&self, msg: Msg, field: Field) -> Result<(), JsValue> {
        match msg {
            Msg::Select(view) => self.select(view),
            Msg::Retry => {
                self.connection.retry();
                Ok(())
            }
            Msg::Copy(text) => {
                self.copy(&text);
                Ok(())
            }
            Msg::Check(msg) => self.check.handle(self, msg, field),
            Msg::Machine(msg) => self.machine.handle(self, msg, field),
            Msg::Watch(msg) => self.watch.handle(self, msg, field),
            Msg::Talk(msg) => self.talk.handle(self, msg, field),
        }
    }

    /// Shows `view`, and says so in the address bar (the check view keeps
    /// its `?check=`, which its own code sets).
    pub fn select(&self, view: View) -> Result<(), JsValue> {
        let changed = self.selected.replace(view) != view;
        for (each, tab, panel) in &self.frame.tabs {
            tab.set_attribute("aria-selected", views::selected_attr(*each == view))?;
            panel.set_hidden(*each != view);
        }
        if changed {
            self.set_query(&match view {
                View::Check => self.check.query(),
                _ => format!("?view={}", view.name()),
            });
        }
        if view == View::Machine {
            self.machine.tick(self);
        }
        Ok(())
    }

    pub fn selected(&self) -> View {
        self.selected.get()
    }

    /// Replaces the address bar's query, so a reload or a copied address
    /// comes back to what is shown.
    pub fn set_query(&self, query: &str) {
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(query));
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether the helper is connected now.
    pub fn connected(&self) -> bool {
        self.connection.link() == Link::Open
    }

    pub fn session(&self) -> Ref<'_, Session> {
        self.session.borrow()
    }

    pub fn session_mut(&self) -> RefMut<'_, Session> {
        self.session.borrow_mut()
    }

    /// Sends the request `make` builds around a fresh id, remembered by the
    /// session so its answers come back to the right view.
    pub fn request(
        &self,
        make: impl FnOnce(&mut Session, RequestId) -> ClientMessage,
    ) -> Result<RequestId, JsValue> {
        self.connection.request(self.key.get(), |id| {
            make(&mut self.session.borrow_mut(), id)
        })
    }

    /// Asks the helper to stop request `id`.
    pub fn cancel(&self, id: RequestId) -> Result<(), JsValue> {
        self.connection.cancel(id)
    }

    /// The helper's WebSocket, beside which its relay is.
    pub fn ws_url(&self) -> &str {
        self.connection.url()
    }

    pub fn copy(&self, text: &str) {
        let status = self.frame.copy_status.clone();
        dom::copy(text, move |copied| {
            status.set_text_content(Some(if copied {
                "Copied to the clipboard."
            } else {
                "The browser did not allow copying; select the text instead."
            }));
        });
    }

    /// Hands an answer's change to the view it belongs to.
    fn apply(&self, change: Change) -> Result<(), JsValue> {
        match change {
            Change::Step(_)
            | Change::Finished(_)
            | Change::Failed { .. }
            | Change::McpServers { .. }
            | Change::McpServersUnavailable { .. } => self.check.apply(self, change),
            Change::Machine(_) | Change::Bound(_) => self.machine.apply(change),
            Change::Watched(_) => self.watch.apply(change),
        }
    }
}

impl User for Page {
    fn link(&self, link: Link) {
        let frame = &self.frame;
        let _ = frame.status.set_attribute("data-state", link.as_str());
        frame
            .status_text
            .set_text_content(Some(&link.text(self.connection.url(), &self.origin)));
        frame.retry.set_hidden(!link.is_failed());
        if link.is_failed() {
            let changes = self.session.borrow_mut().connection_lost();
            for change in changes {
                let _ = self.apply(change);
            }
        }
        if link == Link::Open {
            let again = self.session.borrow_mut().online();
            if let Some(shown) = again {
                let _ = self.check.again(self, shown);
            }
        }
    }

    fn greeted(&self, protocol: u32, server: &str) {
        self.frame
            .status_text
            .set_text_content(Some(&views::hello_status(protocol, server)));
        let _ = self.request(|session, id| session.mcp_servers(id));
        self.machine.tick(self);
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
        self.frame.container.remove();
    }
}

/// `?check=localhost%3A8080`: the query that runs a check on load.
fn check_query(target: &str) -> String {
    format!(
        "?check={}",
        String::from(js_sys::encode_uri_component(target))
    )
}
