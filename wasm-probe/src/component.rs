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

use crate::mounted::Mounted;
use crate::node::{self, Node};
use crate::session::{Change, Session};
use crate::view::{self, Link};

/// Mounts a checker into `root` (appended after whatever it holds).
///
/// `options` is an object with optional strings `url` (the helper's WebSocket,
/// by default `/ws` on the page's own host, the only origin the helper
/// accepts unless told otherwise) and `target` (prefills the input). Anything
/// else, including `undefined`, means the defaults: other sites embed this.
#[wasm_bindgen]
pub fn mount(root: Element, options: JsValue) -> Result<Mounted, JsValue> {
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
    let target = option(&options, "target").unwrap_or_default();
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
        handlers: Handlers::new(weak),
    });
    listen(&inner.ui.form, "submit", &inner.handlers.submit, true)?;
    listen(&inner.ui.retry, "click", &inner.handlers.retry, true)?;
    listen(&inner.ui.mcp_list, "click", &inner.handlers.mcp_check, true)?;
    inner.connect()?;
    Ok(Mounted::keep(inner))
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

fn build(document: &Document, node: &Node) -> Result<web_sys::Node, JsValue> {
    Ok(match node {
        Node::Text(text) => document.create_text_node(text).into(),
        Node::Element(element) => {
            let dom = document.create_element(element.tag)?;
            for (name, value) in &element.attrs {
                dom.set_attribute(name, value)?;
            }
            for child in &element.children {
                dom.append_child(&build(document, child)?)?;
            }
            dom.into()
        }
    })
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
}

impl Handlers {
    /// The closures hold the component weakly, so unmounting frees it; a
    /// late event after unmounting does nothing.
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

    /// Clears the report region for a request that is now the shown one.
    fn start(&self, frame: String) -> Result<(), JsValue> {
        let ui = &self.ui;
        ui.progress.set_text_content(None);
        ui.result.set_text_content(None);
        self.show_state()?;
        self.send(frame)
    }

    fn on_retry(&self, _: Event) -> Result<(), JsValue> {
        self.connect()
    }

    fn lost(&self) -> Result<(), JsValue> {
        self.outbox.borrow_mut().clear();
        self.set_link(Link::Closed)?;
        let change = self.session.borrow_mut().connection_lost();
        change.map_or(Ok(()), |change| self.apply(change))
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
        if let Some(socket) = self.socket.take() {
            let _ = self.socket_listeners(&socket, false);
            let _ = socket.close();
        }
        let _ = listen(&self.ui.form, "submit", &self.handlers.submit, false);
        let _ = listen(&self.ui.retry, "click", &self.handlers.retry, false);
        let _ = listen(&self.ui.mcp_list, "click", &self.handlers.mcp_check, false);
        self.ui.container.remove();
    }
}
