//! The few `web_sys` helpers every component shares: building a `node` tree,
//! finding hooks, event listeners, timers, the clipboard.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget, HtmlInputElement};

use crate::node::{Node, Wiring};

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

/// Builds `node` in `document`, attaching its handlers and collecting its
/// hooks in `wire`.
fn build<W: Wiring>(
    document: &Document,
    node: &Node<W>,
    wire: &mut Wire<'_, W>,
) -> Result<web_sys::Node, JsValue> {
    Ok(match node {
        Node::Text(text) => document.create_text_node(text).into(),
        Node::Element(element) => {
            let dom = document.create_element(element.tag)?;
            for (name, value) in &element.attrs {
                dom.set_attribute(name, value)?;
            }
            for child in &element.children {
                dom.append_child(&build(document, child, wire)?)?;
            }
            wire.attach(&dom, element)?;
            dom.into()
        }
    })
}

/// Where a tree's messages go (its component), with what the element that
/// sent one holds.
pub type Sink<M> = Rc<dyn Fn(M, Field) -> Result<(), JsValue>>;

/// What the element an event came from holds: a text box's text, a
/// checkbox's state; for a submitted form, its text box's.
#[derive(Debug, Default)]
// The embed's one button reads nothing.
#[cfg_attr(not(feature = "page"), allow(dead_code))]
pub struct Field {
    pub text: String,
    pub checked: bool,
}

impl Field {
    fn of(event: &Event) -> Self {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return Self::default();
        };
        // A form's text box is its first input that is not a checkbox.
        let input = if target.tag_name().eq_ignore_ascii_case("form") {
            target
                .query_selector("input:not([type=checkbox])")
                .ok()
                .flatten()
        } else {
            Some(target)
        };
        let Some(input) = input else {
            return Self::default();
        };
        if let Some(select) = input.dyn_ref::<web_sys::HtmlSelectElement>() {
            return Self {
                text: select.value(),
                checked: false,
            };
        }
        match input.dyn_into::<HtmlInputElement>() {
            Ok(input) => Self {
                text: input.value(),
                checked: input.checked(),
            },
            Err(_) => Self::default(),
        }
    }
}

/// While building: the sink for handlers, the listeners made so far, and
/// the hooked elements.
pub struct Wire<'a, W: Wiring> {
    sink: Option<&'a Sink<W::Msg>>,
    listeners: Vec<Handler>,
    hooks: Vec<(W::Hook, Element)>,
}

impl<W: Wiring> Wire<'_, W> {
    fn attach(&mut self, dom: &Element, element: &crate::node::Element<W>) -> Result<(), JsValue> {
        if let Some(hook) = element.hook {
            self.hooks.push((hook, dom.clone()));
        }
        let Some(sink) = self.sink else {
            return Ok(());
        };
        for on in &element.on {
            let (sink, msg, event) = (sink.clone(), on.msg.clone(), on.event);
            let listener: Handler = Closure::new(move |e: Event| {
                if event == crate::node::Event::Submit {
                    e.prevent_default();
                }
                sink(msg.clone(), Field::of(&e))
            });
            dom.add_event_listener_with_callback(event.name(), listener.as_ref().unchecked_ref())?;
            self.listeners.push(listener);
        }
        Ok(())
    }
}

/// The elements a tree hooked, taken out by their typed names.
// The embed hooks nothing.
#[cfg_attr(not(feature = "page"), allow(dead_code))]
pub struct Hooks<W: Wiring>(Vec<(W::Hook, Element)>);

impl<W: Wiring> Hooks<W> {
    /// The element hooked as `hook`, as `T`; a view that forgot the hook (or
    /// hooked the wrong kind of element) fails the mount with its name.
    #[cfg(feature = "page")]
    pub fn take<T: JsCast>(&mut self, hook: W::Hook) -> Result<T, JsValue> {
        let at = self.0.iter().position(|(h, _)| *h == hook);
        at.and_then(|at| self.0.remove(at).1.dyn_into().ok())
            .ok_or_else(|| {
                format!("portdoctor: the view has no {hook:?} element of that kind").into()
            })
    }
}

/// An element whose content its component replaces: it keeps the listeners
/// of what it shows, and drops them with that content.
pub struct Region<W: Wiring> {
    element: Element,
    sink: Sink<W::Msg>,
    listeners: RefCell<Vec<Handler>>,
}

impl<W: Wiring> Region<W> {
    pub fn new(element: Element, sink: Sink<W::Msg>) -> Self {
        Self {
            element,
            sink,
            listeners: RefCell::default(),
        }
    }

    /// Replaces the content with `node`; returns what it hooked.
    pub fn show(&self, node: impl Into<Node<W>>) -> Result<Hooks<W>, JsValue> {
        self.element.set_text_content(None);
        self.listeners.borrow_mut().clear();
        self.append(node)
    }

    /// Adds `node` after the content; returns what it hooked.
    pub fn append(&self, node: impl Into<Node<W>>) -> Result<Hooks<W>, JsValue> {
        let document = self
            .element
            .owner_document()
            .ok_or("portdoctor: detached element")?;
        let mut wire = Wire {
            sink: Some(&self.sink),
            listeners: Vec::new(),
            hooks: Vec::new(),
        };
        let built = build(&document, &node.into(), &mut wire)?;
        self.element.append_child(&built)?;
        self.listeners.borrow_mut().extend(wire.listeners);
        Ok(Hooks(wire.hooks))
    }

    /// Takes it off the page.
    #[cfg(feature = "embed")]
    pub fn remove(&self) {
        self.element.remove();
        self.listeners.borrow_mut().clear();
    }

    /// Empties it.
    #[cfg(feature = "page")]
    pub fn clear(&self) {
        self.element.set_text_content(None);
        self.listeners.borrow_mut().clear();
    }
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
        Self::calling(move || {
            if let Some(c) = component.upgrade() {
                f(&c)
            }
        })
    }

    /// A timer that calls `f`.
    pub fn calling(f: impl FnMut() + 'static) -> Self {
        Self {
            callback: Closure::new(f),
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
