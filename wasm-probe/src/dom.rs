//! The few `web_sys` helpers every component shares: building a `node` tree,
//! finding hooks, event listeners, timers, the clipboard.

use std::cell::Cell;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget};

use crate::node::Node;

/// Browser callbacks return `Err` to throw: the exception reaches the console
/// while the component stays usable.
pub type Handler = Closure<dyn FnMut(Event) -> Result<(), JsValue>>;

/// A handler that calls `f` on the component while it is mounted; it holds
/// the component weakly, so a late event after unmounting does nothing.
pub fn handler<T: 'static>(
    component: &std::rc::Weak<T>,
    f: fn(&T, Event) -> Result<(), JsValue>,
) -> Handler {
    let component = component.clone();
    Closure::new(move |event| component.upgrade().map_or(Ok(()), |c| f(&c, event)))
}

pub fn build(document: &Document, node: &Node) -> Result<web_sys::Node, JsValue> {
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

/// Replaces `parent`'s children with `node`.
pub fn show(parent: &Element, node: impl Into<Node>) -> Result<(), JsValue> {
    let document = parent
        .owner_document()
        .ok_or("portdoctor: detached element")?;
    parent.set_text_content(None);
    parent.append_child(&build(&document, &node.into())?)?;
    Ok(())
}

#[cfg(feature = "page")]
/// The first element under `root` matching `selector`, as `T`.
pub fn find<T: JsCast>(root: &Element, selector: &str) -> Result<T, JsValue> {
    root.query_selector(selector)?
        .and_then(|e| e.dyn_into().ok())
        .ok_or_else(|| format!("portdoctor: the view has no {selector}").into())
}

pub fn listen(
    target: &EventTarget,
    event: &str,
    handler: &Handler,
    on: bool,
) -> Result<(), JsValue> {
    let callback = handler.as_ref().unchecked_ref();
    if on {
        target.add_event_listener_with_callback(event, callback)
    } else {
        target.remove_event_listener_with_callback(event, callback)
    }
}

/// The element an event happened on, or its nearest ancestor matching
/// `selector`: how one listener on a container serves every button in it.
pub fn closest(event: &Event, selector: &str) -> Option<Element> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

/// A string field of the caller's options; anything else reads as absent.
pub fn option(options: &JsValue, key: &str) -> Option<String> {
    if !options.is_object() {
        return None;
    }
    js_sys::Reflect::get(options, &JsValue::from_str(key))
        .ok()?
        .as_string()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A `setTimeout` that can be restarted and is cleared on drop.
pub struct Timer {
    callback: Closure<dyn FnMut()>,
    id: Cell<Option<i32>>,
}

impl Timer {
    pub fn new<T: 'static>(component: &std::rc::Weak<T>, f: fn(&T)) -> Self {
        let component = component.clone();
        Self {
            callback: Closure::new(move || {
                if let Some(c) = component.upgrade() {
                    f(&c)
                }
            }),
            id: Cell::new(None),
        }
    }

    /// Runs the callback once, `ms` from now, instead of any earlier start.
    pub fn start(&self, ms: u32) {
        self.stop();
        let id = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                self.callback.as_ref().unchecked_ref(),
                ms.min(i32::MAX as u32) as i32,
            )
            .ok()
        });
        self.id.set(id);
    }

    pub fn stop(&self) {
        if let (Some(id), Some(window)) = (self.id.take(), web_sys::window()) {
            window.clear_timeout_with_handle(id);
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(feature = "page")]
/// Milliseconds since the epoch, for durations the user sees.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

#[cfg(feature = "page")]
/// Puts `text` on the clipboard; `done` hears whether that worked (a page
/// without focus or permission is refused).
pub fn copy(text: &str, done: impl FnOnce(bool) + 'static) {
    let Some(window) = web_sys::window() else {
        return done(false);
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok())
    });
}
