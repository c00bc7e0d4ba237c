//! The docs embed: a live "is it up?" line on someone else's page,
//! `<port-check target="localhost:8080" expect="http" label="Dev server">`
//! (the custom element is defined in `www/embed.js`, which calls [`embed`]).
//!
//! Every embed on a page shares one WebSocket per helper port ([`Hub`]).
//! The helper accepts the page only if the user allowed its origin
//! (`--allow-origin`), and then only for checks. A browser shows a refused
//! upgrade as a plain failure, so when the socket fails the hub asks the
//! helper's `/api/health` in `no-cors` mode: an (opaque) answer means the
//! helper runs and refused us, no answer means it is not running. Chromium
//! asks the reader before a public page may reach loopback (Local Network
//! Access, permission `loopback-network`); the hub looks at that permission
//! first, so a denial is explained instead of looking like "not running".

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use protocol::{
    CheckOptions, ClientMessage, PROTOCOL_VERSION, ServerMessage, ServiceProtocol, WS_PATH,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Element, Event, WebSocket};

use crate::badge::{self, Badge};
use crate::node::build;

thread_local! {
    /// One hub per helper port, for the page's lifetime.
    static HUBS: RefCell<HashMap<u16, Rc<Hub>>> = RefCell::default();
}

/// Shows a live check of `options.target` in `root`. Options (strings):
/// `target` (required), `expect` (a protocol name), `label`, `port` (the
/// helper's, default 61900). Embeds live as long as the page.
#[wasm_bindgen]
pub fn embed(root: Element, options: JsValue) -> Result<(), JsValue> {
    let get = |key: &str| {
        js_sys::Reflect::get(&options, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let target = get("target").ok_or("portdoctor: <port-check> needs a target attribute")?;
    let port = match get("port") {
        Some(p) => p
            .parse()
            .map_err(|_| format!("portdoctor: port=\"{p}\" is not a port"))?,
        None => protocol::DEFAULT_PORT,
    };
    let expect = get("expect").and_then(|e| {
        serde_json::from_value::<ServiceProtocol>(serde_json::Value::String(e.to_ascii_lowercase()))
            .ok()
    });
    let spot = Rc::new(Spot {
        root,
        label: get("label").unwrap_or_default(),
        target,
        expect,
    });
    let hub = HUBS.with(|hubs| {
        hubs.borrow_mut()
            .entry(port)
            .or_insert_with(|| Hub::new(port))
            .clone()
    });
    let retry = {
        let hub = Rc::downgrade(&hub);
        Listener::new(move |event: Event| {
            let on_retry = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .is_some_and(|e| e.closest(".pd-embed-retry").ok().flatten().is_some());
            if let (true, Some(hub)) = (on_retry, hub.upgrade()) {
                hub.start();
            }
        })
    };
    spot.root
        .add_event_listener_with_callback("click", retry.as_ref().unchecked_ref())?;
    // Lives as long as the page, like the embed itself.
    retry.forget();
    hub.add(spot)
}

/// A browser event callback, kept alive as long as its target.
type Listener = Closure<dyn FnMut(Event)>;

/// One `<port-check>`: where it draws, and what it checks.
struct Spot {
    root: Element,
    label: String,
    target: String,
    expect: Option<ServiceProtocol>,
}

impl Spot {
    fn show(&self, badge: &Badge) -> Result<(), JsValue> {
        let document = self
            .root
            .owner_document()
            .ok_or("portdoctor: element left the page")?;
        self.root.set_text_content(None);
        let view = badge::view(&self.label, &self.target, badge);
        self.root.append_child(&build(&document, &view.into())?)?;
        Ok(())
    }
}

/// The shared connection to one helper.
struct Hub {
    port: u16,
    spots: RefCell<Vec<Rc<Spot>>>,
    socket: RefCell<Option<WebSocket>>,
    open: Cell<bool>,
    next_id: Cell<u64>,
    /// Checks under way, by request id.
    running: RefCell<HashMap<u64, Rc<Spot>>>,
    handlers: RefCell<Vec<Listener>>,
    me: Weak<Hub>,
}

impl Hub {
    fn new(port: u16) -> Rc<Self> {
        Rc::new_cyclic(|me| Self {
            port,
            spots: RefCell::default(),
            socket: RefCell::default(),
            open: Cell::new(false),
            next_id: Cell::new(1),
            running: RefCell::default(),
            handlers: RefCell::default(),
            me: me.clone(),
        })
    }

    fn add(&self, spot: Rc<Spot>) -> Result<(), JsValue> {
        self.spots.borrow_mut().push(spot.clone());
        if self.open.get() {
            self.check(spot)
        } else {
            spot.show(&Badge::Checking)?;
            if self.socket.borrow().is_none() {
                self.start();
            }
            Ok(())
        }
    }

    fn each(&self, badge: &Badge) {
        for spot in self.spots.borrow().iter() {
            let _ = spot.show(badge);
        }
    }

    /// Looks at the permission, then opens the socket; every spot is
    /// checked once it is open.
    fn start(&self) {
        let Some(hub) = self.me.upgrade() else { return };
        spawn_local(async move {
            match loopback_permission().await.as_deref() {
                Some("denied") => return hub.each(&Badge::PermissionDenied),
                Some("prompt") => hub.each(&Badge::AskingPermission),
                _ => hub.each(&Badge::Checking),
            }
            if let Err(e) = hub.connect() {
                hub.each(&Badge::Failed {
                    message: format!("portdoctor: {e:?}"),
                });
            }
        });
    }

    fn connect(&self) -> Result<(), JsValue> {
        if let Some(old) = self.socket.take() {
            let _ = old.close();
        }
        self.open.set(false);
        let socket = WebSocket::new(&format!("ws://127.0.0.1:{}{WS_PATH}", self.port))?;
        let mut handlers = self.handlers.borrow_mut();
        handlers.clear();
        for (event, on) in [
            ("open", Hub::on_open as fn(&Hub, Event)),
            ("message", Hub::on_message),
            ("close", Hub::on_close),
        ] {
            let me = self.me.clone();
            let handler = Listener::new(move |e: Event| {
                if let Some(hub) = me.upgrade() {
                    on(&hub, e);
                }
            });
            socket.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref())?;
            handlers.push(handler);
        }
        self.socket.replace(Some(socket));
        Ok(())
    }

    fn send(&self, message: &ClientMessage) {
        if let (Some(socket), Ok(text)) = (&*self.socket.borrow(), serde_json::to_string(message)) {
            let _ = socket.send_with_str(&text);
        }
    }

    fn check(&self, spot: Rc<Spot>) -> Result<(), JsValue> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        spot.show(&Badge::Checking)?;
        self.send(&ClientMessage::Check {
            id,
            target: spot.target.clone(),
            options: CheckOptions {
                expect: spot.expect,
                ..CheckOptions::default()
            },
        });
        self.running.borrow_mut().insert(id, spot);
        Ok(())
    }

    fn on_open(&self, _: Event) {
        self.open.set(true);
        self.send(&ClientMessage::Hello {
            protocol: PROTOCOL_VERSION,
            client: Some(concat!("portdoctor embed ", env!("CARGO_PKG_VERSION")).to_owned()),
        });
        let spots = self.spots.borrow().clone();
        for spot in spots {
            let _ = self.check(spot);
        }
    }

    fn on_message(&self, event: Event) {
        let Some(text) = event
            .dyn_into::<web_sys::MessageEvent>()
            .ok()
            .and_then(|m| m.data().as_string())
        else {
            return;
        };
        let (id, badge) = match serde_json::from_str::<ServerMessage>(&text) {
            Ok(ServerMessage::Report { id, report }) => (id, Badge::from_report(&report)),
            Ok(ServerMessage::Error {
                id: Some(id),
                error,
            }) => (
                id,
                Badge::Failed {
                    message: error.message,
                },
            ),
            _ => return,
        };
        if let Some(spot) = self.running.borrow_mut().remove(&id) {
            let _ = spot.show(&badge);
        }
    }

    /// The socket closed, or never opened: find out which story to tell.
    fn on_close(&self, _: Event) {
        self.open.set(false);
        self.running.borrow_mut().clear();
        let Some(hub) = self.me.upgrade() else { return };
        spawn_local(async move {
            let badge = if helper_answers(hub.port).await {
                let origin = web_sys::window()
                    .and_then(|w| w.location().origin().ok())
                    .unwrap_or_default();
                Badge::NotAllowed { origin }
            } else {
                Badge::NotRunning { port: hub.port }
            };
            hub.each(&badge);
        });
    }
}

/// The `loopback-network` permission's state, where the browser knows it.
async fn loopback_permission() -> Option<String> {
    let permissions = web_sys::window()?.navigator().permissions().ok()?;
    let descriptor = js_sys::Object::new();
    js_sys::Reflect::set(&descriptor, &"name".into(), &"loopback-network".into()).ok()?;
    let status = JsFuture::from(permissions.query(&descriptor).ok()?)
        .await
        .ok()?;
    js_sys::Reflect::get(&status, &"state".into())
        .ok()?
        .as_string()
}

/// Whether anything answers HTTP on the helper's port (opaque, no-cors).
async fn helper_answers(port: u16) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::NoCors);
    let promise =
        window.fetch_with_str_and_init(&format!("http://127.0.0.1:{port}/api/health"), &init);
    JsFuture::from(promise).await.is_ok()
}
