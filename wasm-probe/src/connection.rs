//! The WebSocket to the helper, shared by every component on the page that
//! talks to the same helper, and kept up: it reconnects by itself with
//! back-off when the helper goes away.
//!
//! Components join as [`User`]s and hear the link state and the answers to
//! their own requests ([`Client`] routes them). When a connection fails
//! before it opened, the browser gives no reason, so this module finds one
//! (see [`crate::link`]): the Local Network Access permission state, then a
//! `no-cors` fetch of the helper's `/api/health` — it answers any origin, so
//! "health answers but the WebSocket failed" means the origin was refused.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use protocol::{ClientMessage, ErrorKind, RequestId, ServerMessage};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, MessageEvent, WebSocket};

use crate::backoff::Backoff;
use crate::client::{Client, Incoming};
use crate::dom::{self, Handler, Timer};
use crate::link::{Link, health_url};

/// Reconnect at once after a drop, then back off to every ten seconds.
const RECONNECT: Backoff = Backoff::new(500, 10_000);

/// A component that talks to the helper.
pub trait User {
    /// The link changed. On a failed link every request in flight is gone.
    fn link(&self, link: Link);
    /// The helper answered `hello`.
    fn greeted(&self, _protocol: u32, _server: &str) {}
    /// An event of one of this user's requests.
    fn message(&self, message: ServerMessage);
    /// An error that belongs to no request.
    fn broadcast(&self, _kind: Option<ErrorKind>, _message: &str) {}
}

pub type UserKey = u32;

thread_local! {
    static SHARED: RefCell<Vec<(String, Weak<Connection>)>> = RefCell::default();
}

pub struct Connection {
    url: String,
    me: Weak<Connection>,
    client: RefCell<Client<UserKey>>,
    users: RefCell<Vec<(UserKey, Weak<dyn User>)>>,
    next_user: Cell<UserKey>,
    socket: RefCell<Option<WebSocket>>,
    /// Whether the current socket opened: a close before that is a failure
    /// to explain, a close after it is the helper going away.
    opened: Cell<bool>,
    /// Counts connection attempts, so a late answer about an old one is ignored.
    attempt: Cell<u32>,
    link: Cell<Link>,
    /// Frames requested before the socket opened; sent right after `hello`.
    outbox: RefCell<Vec<String>>,
    backoff: RefCell<Backoff>,
    reconnect: Timer,
    on_open: Handler,
    on_message: Handler,
    on_close: Handler,
}

impl Connection {
    /// The live connection to `url`, or a new one, connecting.
    pub fn shared(url: &str) -> Rc<Self> {
        let existing = SHARED.with(|shared| {
            let mut shared = shared.borrow_mut();
            shared.retain(|(_, c)| c.strong_count() > 0);
            shared
                .iter()
                .find(|(u, _)| u == url)
                .and_then(|(_, c)| c.upgrade())
        });
        if let Some(connection) = existing {
            return connection;
        }
        let connection = Rc::new_cyclic(|me: &Weak<Self>| Self {
            url: url.to_owned(),
            me: me.clone(),
            client: RefCell::default(),
            users: RefCell::default(),
            next_user: Cell::new(0),
            socket: RefCell::new(None),
            opened: Cell::new(false),
            attempt: Cell::new(0),
            link: Cell::new(Link::Connecting),
            outbox: RefCell::default(),
            backoff: RefCell::new(RECONNECT),
            reconnect: Timer::new(me, |c: &Self| c.connect(false)),
            on_open: dom::handler(me, Self::on_open),
            on_message: dom::handler(me, Self::on_message),
            on_close: dom::handler(me, Self::on_close),
        });
        SHARED.with(|shared| {
            shared
                .borrow_mut()
                .push((url.to_owned(), Rc::downgrade(&connection)))
        });
        connection.connect(true);
        connection
    }

    #[cfg(feature = "page")]
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn link(&self) -> Link {
        self.link.get()
    }

    pub fn join(&self, user: Weak<dyn User>) -> UserKey {
        let key = self.next_user.get();
        self.next_user.set(key + 1);
        self.users.borrow_mut().push((key, user));
        key
    }

    pub fn leave(&self, key: UserKey) {
        self.users.borrow_mut().retain(|(k, _)| *k != key);
        self.client.borrow_mut().forget(key);
    }

    /// Sends a request for `user`: now, once the socket opens, or after
    /// reconnecting at once when the link had failed.
    pub fn request(
        &self,
        user: UserKey,
        make: impl FnOnce(RequestId) -> ClientMessage,
    ) -> Result<RequestId, JsValue> {
        let (id, frame) = self.client.borrow_mut().request(user, make);
        match self.link.get() {
            Link::Open => self.send_now(&frame)?,
            Link::Connecting | Link::AwaitingPermission => self.outbox.borrow_mut().push(frame),
            _ => {
                self.outbox.borrow_mut().push(frame);
                self.connect(true);
            }
        }
        Ok(id)
    }

    /// Asks the helper to stop request `id`. With the link down there is
    /// nothing to stop: the request went with it.
    #[cfg(feature = "page")]
    pub fn cancel(&self, id: RequestId) -> Result<(), JsValue> {
        let frame = self.client.borrow().cancel(id);
        match frame {
            Some(frame) if self.link.get() == Link::Open => self.send_now(&frame),
            _ => Ok(()),
        }
    }

    /// Reconnects now (the Retry button).
    pub fn retry(&self) {
        if self.link.get() != Link::Open {
            self.connect(true);
        }
    }

    /// Opens a fresh socket, dropping the old one without hearing its close.
    /// `announce` shows "connecting" (the user asked); background retries
    /// keep showing why the last attempt failed.
    fn connect(&self, announce: bool) {
        self.reconnect.stop();
        self.drop_socket();
        self.opened.set(false);
        let attempt = self.attempt.get() + 1;
        self.attempt.set(attempt);
        match WebSocket::new(&self.url) {
            Ok(socket) => {
                self.socket_listeners(&socket, true);
                self.socket.replace(Some(socket));
                // Background retries keep showing why the last attempt
                // failed: a permission query that says "prompt" while the
                // helper is simply gone must not flip the status to a prompt
                // nobody sees.
                if announce {
                    self.set_link(Link::Connecting);
                    self.watch_permission(attempt);
                }
            }
            // A URL the browser refuses outright: explain it like any failure.
            Err(_) => self.explain_failure(attempt),
        }
    }

    fn drop_socket(&self) {
        if let Some(old) = self.socket.take() {
            self.socket_listeners(&old, false);
            let _ = old.close();
        }
    }

    fn socket_listeners(&self, socket: &WebSocket, on: bool) {
        for (event, handler) in [
            ("open", &self.on_open),
            ("message", &self.on_message),
            ("close", &self.on_close),
        ] {
            let _ = dom::listen(socket, event, handler, on);
        }
    }

    fn send_now(&self, frame: &str) -> Result<(), JsValue> {
        match &*self.socket.borrow() {
            Some(socket) => socket.send_with_str(frame),
            None => Ok(()),
        }
    }

    fn on_open(&self, _: Event) -> Result<(), JsValue> {
        self.opened.set(true);
        self.backoff.borrow_mut().reset();
        self.send_now(&Client::<UserKey>::hello())?;
        for frame in self.outbox.take() {
            self.send_now(&frame)?;
        }
        self.set_link(Link::Open);
        Ok(())
    }

    fn on_message(&self, event: Event) -> Result<(), JsValue> {
        // The protocol is text; anything else reads as an unreadable frame.
        let text = event
            .dyn_into::<MessageEvent>()
            .ok()
            .and_then(|message| message.data().as_string())
            .unwrap_or_default();
        let incoming = self.client.borrow_mut().receive(&text);
        match incoming {
            Incoming::Greeted { protocol, server } => {
                for user in self.users() {
                    user.greeted(protocol, &server);
                }
            }
            Incoming::For { user, message } => {
                let user = self
                    .users
                    .borrow()
                    .iter()
                    .find(|(k, _)| *k == user)
                    .and_then(|(_, u)| u.upgrade());
                if let Some(user) = user {
                    user.message(message);
                }
            }
            Incoming::Broadcast { kind, message } => {
                for user in self.users() {
                    user.broadcast(kind, &message);
                }
            }
            Incoming::Stray => {}
        }
        Ok(())
    }

    fn on_close(&self, _: Event) -> Result<(), JsValue> {
        self.drop_socket();
        if self.opened.get() {
            // It was there a moment ago: it went away (stopped, restarted).
            self.fail(Link::Closed);
        } else {
            self.explain_failure(self.attempt.get());
        }
        Ok(())
    }

    /// The link failed: requests in flight are gone, and a reconnect is
    /// scheduled.
    fn fail(&self, link: Link) {
        self.client.borrow_mut().lost();
        self.outbox.borrow_mut().clear();
        self.set_link(link);
        let delay = self.backoff.borrow_mut().next_delay();
        self.reconnect.start(delay);
    }

    /// While attempt `attempt` waits, tells the users when the browser is
    /// asking the user for Local Network Access.
    fn watch_permission(&self, attempt: u32) {
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if loopback_permission().await.as_deref() == Some("prompt")
                && let Some(me) = me.upgrade()
                && me.attempt.get() == attempt
                && !me.opened.get()
                && me.socket.borrow().is_some()
            {
                me.set_link(Link::AwaitingPermission);
            }
        });
    }

    /// Finds out why attempt `attempt` failed, then fails the link with it.
    fn explain_failure(&self, attempt: u32) {
        let me = self.me.clone();
        let health = health_url(&self.url);
        wasm_bindgen_futures::spawn_local(async move {
            let link = if loopback_permission().await.as_deref() == Some("denied") {
                Link::PermissionDenied
            } else if health_answers(&health).await {
                Link::NotAllowed
            } else {
                Link::Closed
            };
            if let Some(me) = me.upgrade()
                && me.attempt.get() == attempt
                && !me.opened.get()
            {
                me.fail(link);
            }
        });
    }

    fn set_link(&self, link: Link) {
        self.link.set(link);
        for user in self.users() {
            user.link(link);
        }
    }

    /// The users still mounted; collected first, so a user may call back in.
    fn users(&self) -> Vec<Rc<dyn User>> {
        self.users
            .borrow()
            .iter()
            .filter_map(|(_, u)| u.upgrade())
            .collect()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.drop_socket();
    }
}

/// The state of Chromium's `loopback-network` permission (Local Network
/// Access); `None` where the browser has no such permission.
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

/// Whether anything answers the helper's health URL. `no-cors`: the answer
/// is opaque, but a resolved fetch is all this asks.
async fn health_answers(url: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::NoCors);
    init.set_cache(web_sys::RequestCache::NoStore);
    JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .is_ok()
}
