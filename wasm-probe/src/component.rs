//! The checker as a DOM component: builds the view into a host element, owns
//! the WebSocket to the helper, and routes every event through the session.
//!
//! This is the only module that touches `web_sys`, and it decides nothing:
//! what to send and what a frame means is [`Session`]'s job, what the screen
//! shows is [`view`]'s. That keeps the browser-only code small enough to read
//! in one go, and everything else tested on the host.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget, HtmlElement, HtmlInputElement, WebSocket};

use crate::export;
use crate::node::{self, build};
use crate::session::{Change, Session};
use crate::view::{self, Link};

thread_local! {
    /// Mounted checkers live until `unmount()`, not until JavaScript happens
    /// to collect the handle `mount` returned (a module variable no closure
    /// uses can be collected, and an embed author may drop it on purpose).
    static MOUNTED: RefCell<Vec<Rc<Inner>>> = RefCell::default();
}

/// Longest wait between two reconnect attempts.
const MAX_BACKOFF_MS: i32 = 30_000;

/// Mounts a checker into `root` (appended after whatever it holds).
///
/// `options` is an object with optional strings `url` (the helper's WebSocket,
/// by default `/ws` on the page's own host, the only origin the helper
/// accepts unless told otherwise) and `target` (prefills the input), and an
/// optional `check` string: a target to check at once (share links,
/// `/?check=localhost:8080`). Anything else, including `undefined`, means the
/// defaults: other sites embed this.
#[wasm_bindgen]
pub fn mount(root: Element, options: JsValue) -> Result<Checker, JsValue> {
    let document = root
        .owner_document()
        .ok_or("portdoctor: the root element is not in a document")?;
    let url = match option(&options, "url") {
        Some(url) => url,
        None => {
            let location = web_sys::window().ok_or("portdoctor: no window")?.location();
            view::default_ws_url(&location.protocol()?, &location.host()?)
        }
    };
    let autorun = option(&options, "check");
    let target = autorun
        .clone()
        .or_else(|| option(&options, "target"))
        .unwrap_or_default();
    let container: Element = build(&document, &view::skeleton(&target).into())?.unchecked_into();
    root.append_child(&container)?;
    let ui = Ui::find(container)?;
    let inner = Rc::new_cyclic(|weak| Inner {
        ui,
        document,
        url,
        session: RefCell::default(),
        link: Cell::new(Link::Connecting),
        socket: RefCell::new(None),
        outbox: RefCell::default(),
        failures: Cell::new(0),
        reconnect_timer: Cell::new(None),
        shown: RefCell::default(),
        handlers: Handlers::new(weak),
    });
    listen(&inner.ui.form, "submit", &inner.handlers.submit, true)?;
    listen(&inner.ui.retry, "click", &inner.handlers.retry, true)?;
    listen(&inner.ui.mcp_list, "click", &inner.handlers.mcp_check, true)?;
    listen(&inner.ui.result, "click", &inner.handlers.copy, true)?;
    inner.connect()?;
    if autorun.is_some() {
        let frame = inner.session.borrow_mut().check(&target);
        inner.start(frame)?;
    }
    let checker = Checker {
        inner: Rc::downgrade(&inner),
    };
    MOUNTED.with(|mounted| mounted.borrow_mut().push(inner));
    Ok(checker)
}

/// A handle on a mounted checker. The checker stays on the page whatever
/// becomes of this handle, until `unmount()`.
#[wasm_bindgen]
pub struct Checker {
    inner: Weak<Inner>,
}

#[wasm_bindgen]
impl Checker {
    /// Removes the checker: the socket closes and its elements leave the page.
    pub fn unmount(&self) {
        if let Some(inner) = self.inner.upgrade() {
            MOUNTED.with(|mounted| mounted.borrow_mut().retain(|m| !Rc::ptr_eq(m, &inner)));
        }
    }
}

/// A string field of the caller's options; anything else reads as absent.
fn option(options: &JsValue, key: &str) -> Option<String> {
    if !options.is_object() {
        return None;
    }
    js_sys::Reflect::get(options, &JsValue::from_str(key))
        .ok()?
        .as_string()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The elements the component updates, found again by their hooks.
struct Ui {
    container: Element,
    form: Element,
    input: HtmlInputElement,
    status: Element,
    status_text: Element,
    retry: HtmlElement,
    report: Element,
    progress: Element,
    result: Element,
    /// Where the configured MCP servers are listed, with their Check buttons.
    mcp_list: Element,
}

impl Ui {
    fn find(container: Element) -> Result<Self, JsValue> {
        fn find<T: JsCast>(root: &Element, class: &str) -> Result<T, JsValue> {
            root.query_selector(&format!(".{class}"))?
                .and_then(|e| e.dyn_into().ok())
                .ok_or_else(|| format!("portdoctor: the view has no .{class}").into())
        }
        Ok(Self {
            form: find(&container, "pd-form")?,
            input: find(&container, "pd-input")?,
            status: find(&container, "pd-status")?,
            status_text: find(&container, "pd-status-text")?,
            retry: find(&container, "pd-retry")?,
            report: find(&container, "pd-report")?,
            progress: find(&container, "pd-progress")?,
            result: find(&container, "pd-result")?,
            mcp_list: find(&container, "pd-mcp-list")?,
            container,
        })
    }
}

/// Browser callbacks return `Err` to throw: the exception reaches the console
/// while the component stays usable.
type Handler = Closure<dyn FnMut(Event) -> Result<(), JsValue>>;

struct Handlers {
    open: Handler,
    message: Handler,
    close: Handler,
    submit: Handler,
    retry: Handler,
    mcp_check: Handler,
    /// The back-off timer's callback: tries the helper again.
    reconnect: Handler,
    /// A click in the report: the copy buttons.
    copy: Handler,
}

impl Handlers {
    /// The closures hold the component weakly, so `unmount()` alone decides
    /// how long it lives; a late event after unmounting does nothing.
    fn new(inner: &Weak<Inner>) -> Self {
        let handler = |f: fn(&Inner, Event) -> Result<(), JsValue>| -> Handler {
            let inner = inner.clone();
            Closure::new(move |event| inner.upgrade().map_or(Ok(()), |inner| f(&inner, event)))
        };
        Self {
            open: handler(Inner::on_open),
            message: handler(Inner::on_message),
            close: handler(Inner::on_close),
            submit: handler(Inner::on_submit),
            retry: handler(Inner::on_retry),
            mcp_check: handler(Inner::on_mcp_check),
            reconnect: handler(Inner::on_retry),
            copy: handler(Inner::on_copy),
        }
    }
}

fn listen(target: &EventTarget, event: &str, handler: &Handler, on: bool) -> Result<(), JsValue> {
    let callback = handler.as_ref().unchecked_ref();
    if on {
        target.add_event_listener_with_callback(event, callback)
    } else {
        target.remove_event_listener_with_callback(event, callback)
    }
}

struct Inner {
    ui: Ui,
    document: Document,
    url: String,
    session: RefCell<Session>,
    link: Cell<Link>,
    socket: RefCell<Option<WebSocket>>,
    /// Frames written before the socket opened; sent right after `hello`.
    outbox: RefCell<Vec<String>>,
    /// Connections lost in a row, for the reconnect back-off.
    failures: Cell<u32>,
    reconnect_timer: Cell<Option<i32>>,
    /// The report on screen, for the copy buttons.
    shown: RefCell<Option<Box<protocol::Report>>>,
    handlers: Handlers,
}

impl Inner {
    /// Opens a fresh socket, dropping the old one without hearing its close.
    fn connect(&self) -> Result<(), JsValue> {
        if let Some(old) = self.socket.take() {
            self.socket_listeners(&old, false)?;
            old.close()?;
        }
        match WebSocket::new(&self.url) {
            Ok(socket) => {
                self.socket_listeners(&socket, true)?;
                self.socket.replace(Some(socket));
                self.set_link(Link::Connecting)
            }
            // A URL the browser refuses outright: as unreachable as can be.
            Err(_) => self.lost(),
        }
    }

    fn socket_listeners(&self, socket: &WebSocket, on: bool) -> Result<(), JsValue> {
        let h = &self.handlers;
        for (event, handler) in [
            ("open", &h.open),
            ("message", &h.message),
            ("close", &h.close),
        ] {
            listen(socket, event, handler, on)?;
        }
        Ok(())
    }

    /// Sends now, queues until the socket opens, or reconnects first: a
    /// check typed while the helper was down starts it once it is back.
    fn send(&self, frame: String) -> Result<(), JsValue> {
        match self.link.get() {
            Link::Open => self.send_now(&frame),
            Link::Connecting => {
                self.outbox.borrow_mut().push(frame);
                Ok(())
            }
            Link::Closed => {
                self.outbox.borrow_mut().push(frame);
                self.connect()
            }
        }
    }

    fn send_now(&self, frame: &str) -> Result<(), JsValue> {
        match &*self.socket.borrow() {
            Some(socket) => socket.send_with_str(frame),
            None => Ok(()),
        }
    }

    fn on_open(&self, _: Event) -> Result<(), JsValue> {
        self.failures.set(0);
        self.set_link(Link::Open)?;
        self.send_now(&Session::hello())?;
        for frame in self.outbox.take() {
            self.send_now(&frame)?;
        }
        Ok(())
    }

    fn on_message(&self, event: Event) -> Result<(), JsValue> {
        // The protocol is text; anything else reads as an unreadable frame.
        let text = event
            .dyn_into::<web_sys::MessageEvent>()
            .ok()
            .and_then(|message| message.data().as_string())
            .unwrap_or_default();
        let change = self.session.borrow_mut().receive(&text);
        change.map_or(Ok(()), |change| self.apply(change))
    }

    fn on_close(&self, _: Event) -> Result<(), JsValue> {
        self.lost()
    }

    fn on_submit(&self, event: Event) -> Result<(), JsValue> {
        event.prevent_default();
        let frame = self.session.borrow_mut().check(&self.ui.input.value());
        self.start(frame)
    }

    /// A click in the list of configured servers: the Check button names
    /// its server, and only the name goes to the helper.
    fn on_mcp_check(&self, event: Event) -> Result<(), JsValue> {
        let button = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .map(|e| e.closest(".pd-mcp-check"))
            .transpose()?
            .flatten();
        let Some(name) = button.and_then(|b| b.get_attribute("data-name")) else {
            return Ok(());
        };
        let frame = self.session.borrow_mut().mcp_check(&name);
        self.start(frame)
    }

    /// A copy button: the shown report as Markdown or JSON, to the clipboard
    /// and into the report's read-only box.
    fn on_copy(&self, event: Event) -> Result<(), JsValue> {
        let button = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .map(|e| e.closest(".pd-copy"))
            .transpose()?
            .flatten();
        let Some(format) = button.and_then(|b| b.get_attribute("data-format")) else {
            return Ok(());
        };
        let Some(text) = self
            .shown
            .borrow()
            .as_deref()
            .map(|report| match format.as_str() {
                "json" => export::json(report),
                _ => export::markdown(report),
            })
        else {
            return Ok(());
        };
        if let Some(copied) = self
            .ui
            .result
            .query_selector(".pd-copied")?
            .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        {
            copied.set_value(&text);
            copied.set_attribute("data-format", &format)?;
        }
        if let Some(window) = web_sys::window() {
            // Refused without a user gesture or a secure context: the box has it.
            let _ = window.navigator().clipboard().write_text(&text);
        }
        Ok(())
    }

    /// Clears the report region for a request that is now the shown one.
    fn start(&self, frame: String) -> Result<(), JsValue> {
        let ui = &self.ui;
        ui.progress.set_text_content(None);
        ui.result.set_text_content(None);
        self.show_state()?;
        self.send(frame)
    }

    fn on_retry(&self, _: Event) -> Result<(), JsValue> {
        self.cancel_reconnect();
        self.connect()
    }

    /// The helper went away (or never came): say so, keep what is shown,
    /// and try again by itself, waiting 1, 2, 4 … up to 30 s.
    fn lost(&self) -> Result<(), JsValue> {
        self.outbox.borrow_mut().clear();
        self.set_link(Link::Closed)?;
        let change = self.session.borrow_mut().connection_lost();
        change.map_or(Ok(()), |change| self.apply(change))?;
        let failures = self.failures.get();
        self.failures.set(failures.saturating_add(1));
        let delay = 1000i32
            .saturating_mul(1 << failures.min(5))
            .min(MAX_BACKOFF_MS);
        self.cancel_reconnect();
        if let Some(window) = web_sys::window() {
            let timer = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                self.handlers.reconnect.as_ref().unchecked_ref(),
                delay,
            )?;
            self.reconnect_timer.set(Some(timer));
        }
        Ok(())
    }

    fn cancel_reconnect(&self) {
        if let (Some(timer), Some(window)) = (self.reconnect_timer.take(), web_sys::window()) {
            window.clear_timeout_with_handle(timer);
        }
    }

    fn set_link(&self, link: Link) -> Result<(), JsValue> {
        let ui = &self.ui;
        self.link.set(link);
        ui.status.set_attribute("data-state", link.as_str())?;
        ui.status_text.set_text_content(Some(&link.text(&self.url)));
        ui.retry.set_hidden(link != Link::Closed);
        Ok(())
    }

    fn apply(&self, change: Change) -> Result<(), JsValue> {
        let ui = &self.ui;
        match change {
            Change::Greeted { protocol, server } => {
                ui.status_text
                    .set_text_content(Some(&view::hello_status(protocol, &server)));
                let frame = self.session.borrow_mut().mcp_servers();
                self.send_now(&frame)?;
            }
            Change::McpServers { config, servers } => {
                ui.mcp_list.set_text_content(None);
                self.append(&ui.mcp_list, view::mcp_servers(&config, &servers))?;
            }
            Change::McpServersUnavailable(message) => {
                ui.mcp_list.set_text_content(None);
                self.append(&ui.mcp_list, view::mcp_note(&message))?;
            }
            Change::Step(progress) => {
                self.append(&ui.progress, view::progress_item(&progress))?;
            }
            Change::Finished(report) => {
                ui.result.set_text_content(None);
                self.append(&ui.result, view::report_view(&report))?;
                self.shown.replace(Some(report));
            }
            Change::Failed { kind, message } => {
                ui.result.set_text_content(None);
                self.append(&ui.result, view::error_view(kind, &message))?;
            }
        }
        self.show_state()
    }

    fn append(&self, parent: &Element, element: node::Element) -> Result<(), JsValue> {
        parent.append_child(&build(&self.document, &element.into())?)?;
        Ok(())
    }

    fn show_state(&self) -> Result<(), JsValue> {
        let state = self.session.borrow().state();
        self.ui.report.set_attribute("data-state", state.as_str())
    }
}

impl Drop for Inner {
    /// Unmounts; best effort, since dropping cannot report an error.
    fn drop(&mut self) {
        self.cancel_reconnect();
        if let Some(socket) = self.socket.take() {
            let _ = self.socket_listeners(&socket, false);
            let _ = socket.close();
        }
        let _ = listen(&self.ui.form, "submit", &self.handlers.submit, false);
        let _ = listen(&self.ui.retry, "click", &self.handlers.retry, false);
        let _ = listen(&self.ui.mcp_list, "click", &self.handlers.mcp_check, false);
        let _ = listen(&self.ui.result, "click", &self.handlers.copy, false);
        self.ui.container.remove();
    }
}
