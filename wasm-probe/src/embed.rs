//! The docs embed as a DOM component: one line that says whether a service
//! is up, kept current.
//!
//! `www/embed.js` defines `<port-check>` and calls [`embed`] for each
//! element. Embeds talking to the same helper share one socket. An embed
//! only ever sends `check`: the helper gives other sites' pages nothing else.
//! While the service is down the embed checks again with back-off, so it
//! turns green by itself once the reader has started the server.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use protocol::{DEFAULT_PORT, ErrorKind, ServerMessage, ServiceProtocol};
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::backoff::Backoff;
use crate::connection::{Connection, User, UserKey};
use crate::dom::{Region, Timer, option};
use crate::embed_view::{self, Msg, Spec, State, Tree};
use crate::link::Link;
use crate::mounted::Mounted;

/// Re-check a down service after a second, backing off to every fifteen.
const RECHECK: Backoff = Backoff::new(1_000, 15_000);

/// Mounts a live checker into `root`. `options`: `target` (required),
/// `expect` (a protocol such as `http`), `label` (shown instead of the
/// target), `port` (the helper's, default 61900). The component stays until
/// `unmount()`, whatever happens to the handle.
#[wasm_bindgen]
pub fn embed(root: Element, options: JsValue) -> Result<Mounted, JsValue> {
    let target = option(&options, "target")
        .ok_or("portdoctor: <port-check> needs a target, e.g. target=\"localhost:8080\"")?;
    let expect = match option(&options, "expect") {
        Some(name) => Some(name.parse::<ServiceProtocol>().map_err(|_| {
            format!("portdoctor: expect=\"{name}\" is not a protocol portdoctor knows")
        })?),
        None => None,
    };
    let port = match option(&options, "port") {
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("portdoctor: port=\"{port}\" is not a port"))?,
        None => DEFAULT_PORT,
    };
    let origin = web_sys::window()
        .ok_or("portdoctor: no window")?
        .location()
        .origin()?;
    let spec = Spec {
        target,
        label: option(&options, "label"),
        port,
        origin,
    };
    let document = root
        .owner_document()
        .ok_or("portdoctor: detached element")?;
    let host: Element = document.create_element("div")?;
    host.set_class_name("pd-embed-host");
    host.set_attribute("role", "status")?;
    host.set_attribute("aria-live", "polite")?;
    root.append_child(&host)?;
    let connection = Connection::shared(&spec.ws_url());
    let embed = Rc::new_cyclic(|me: &Weak<Embed>| Embed {
        host: Region::new(host, {
            let me = me.clone();
            Rc::new(move |msg, _| me.upgrade().map_or(Ok(()), |embed| embed.on(msg)))
        }),
        spec,
        expect,
        connection,
        key: Cell::new(0),
        state: RefCell::new(State::Link(Link::Connecting)),
        backoff: RefCell::new(RECHECK),
        recheck: Timer::new(me, Embed::check),
    });
    let weak: Weak<dyn User> = Rc::downgrade(&embed) as Weak<Embed>;
    embed.key.set(embed.connection.join(weak));
    embed.link(embed.connection.link());
    Ok(Mounted::keep(embed))
}

struct Embed {
    host: Region<Tree>,
    spec: Spec,
    expect: Option<ServiceProtocol>,
    connection: Rc<Connection>,
    key: Cell<UserKey>,
    state: RefCell<State>,
    backoff: RefCell<Backoff>,
    recheck: Timer,
}

impl Embed {
    fn check(&self) {
        self.recheck.stop();
        self.set(State::Checking);
        let key = self.key.get();
        let (target, expect) = (&self.spec.target, self.expect);
        let _ = self
            .connection
            .request(key, |id| crate::client::check(id, target, expect));
    }

    fn on(&self, msg: Msg) -> Result<(), JsValue> {
        match msg {
            Msg::Retry if self.connection.link() == Link::Open => {
                self.backoff.borrow_mut().reset();
                self.check();
            }
            Msg::Retry => self.connection.retry(),
        }
        Ok(())
    }

    fn set(&self, state: State) {
        let _ = self.host.show(embed_view::view(&self.spec, &state));
        self.state.replace(state);
    }
}

impl User for Embed {
    fn link(&self, link: Link) {
        if link == Link::Open {
            self.check();
        } else {
            self.recheck.stop();
            self.set(State::Link(link));
        }
    }

    fn message(&self, message: ServerMessage) {
        let state = match message {
            ServerMessage::Report { report, .. } => State::Done(report),
            ServerMessage::Error { error, .. } => State::Error(error.message),
            _ => return,
        };
        if state.recheck() {
            let delay = self.backoff.borrow_mut().next_delay();
            self.recheck.start(delay);
        } else {
            self.backoff.borrow_mut().reset();
        }
        self.set(state);
    }

    fn broadcast(&self, _kind: Option<ErrorKind>, message: &str) {
        self.set(State::Error(message.to_owned()));
    }
}

impl Drop for Embed {
    fn drop(&mut self) {
        self.connection.leave(self.key.get());
        self.host.remove();
    }
}
