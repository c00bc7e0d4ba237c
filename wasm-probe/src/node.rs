//! A tiny description of DOM to build: what the views produce and the
//! components turn into real elements.
//!
//! The views work on these plain values rather than on `web_sys` so that every
//! rendering decision (which hook, which attribute, which text, which message
//! a click sends) is a pure function with host unit tests. Text is always a
//! text node, never parsed as HTML: banners and OS error strings come from
//! arbitrary services, and this shape makes injecting markup impossible by
//! construction.
//!
//! A tree is typed by its [`Wiring`]: the messages its elements send when an
//! event fires ([`On`]) and the hooks a component keeps a handle to. Both are
//! enums of the component that owns the tree, so a handler or a hook that
//! does not exist is a compile error, not a selector that finds nothing.

use std::convert::Infallible;
use std::fmt::Debug;

/// What a tree's elements can carry besides attributes.
pub trait Wiring: Clone + Debug + PartialEq + 'static {
    /// What an element sends when one of its events fires.
    type Msg: Clone + Debug + PartialEq + 'static;
    /// Names the elements a component updates later.
    type Hook: Copy + Debug + PartialEq;
}

/// A tree that only shows: no events, no hooks (the docs embed).
#[derive(Debug, Clone, PartialEq)]
pub enum Static {}

impl Wiring for Static {
    type Msg = Infallible;
    type Hook = Infallible;
}

/// One node: an element or a run of text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<W: Wiring = Static> {
    Text(String),
    Element(Element<W>),
}

/// The browser events a view listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Click,
    /// A form was submitted; the default (loading a page) is prevented.
    Submit,
    /// A text box changed, at each keystroke.
    #[cfg(feature = "page")]
    Input,
    /// A checkbox was ticked or cleared.
    #[cfg(feature = "page")]
    Change,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::Submit => "submit",
            #[cfg(feature = "page")]
            Self::Input => "input",
            #[cfg(feature = "page")]
            Self::Change => "change",
        }
    }
}

/// `msg` is sent when `event` fires on the element.
#[derive(Debug, Clone, PartialEq)]
pub struct On<M> {
    pub event: Event,
    pub msg: M,
}

/// An element with its attributes (the class is one of them), children,
/// handlers, and the hook its component finds it by.
#[derive(Debug, Clone, PartialEq)]
pub struct Element<W: Wiring = Static> {
    pub tag: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub children: Vec<Node<W>>,
    pub on: Vec<On<W::Msg>>,
    pub hook: Option<W::Hook>,
}

/// Starts an element; an empty `class` adds no attribute.
pub fn el<W: Wiring>(tag: &'static str, class: &'static str) -> Element<W> {
    let attrs = if class.is_empty() {
        Vec::new()
    } else {
        vec![("class", class.to_owned())]
    };
    Element {
        tag,
        attrs,
        children: Vec::new(),
        on: Vec::new(),
        hook: None,
    }
}

impl<W: Wiring> Element<W> {
    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attrs.push((name, value.into()));
        self
    }

    /// Sets the attribute only when there is a value.
    #[cfg(feature = "page")]
    pub fn attr_opt(self, name: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    pub fn text(self, text: impl Into<String>) -> Self {
        self.child(Node::Text(text.into()))
    }

    pub fn child(mut self, node: impl Into<Node<W>>) -> Self {
        self.children.push(node.into());
        self
    }

    /// Appends any number of children; an `Option` appends zero or one.
    pub fn children<N: Into<Node<W>>>(mut self, nodes: impl IntoIterator<Item = N>) -> Self {
        self.children.extend(nodes.into_iter().map(Into::into));
        self
    }

    /// Sends `msg` when `event` fires here.
    pub fn on(mut self, event: Event, msg: W::Msg) -> Self {
        self.on.push(On { event, msg });
        self
    }

    /// Sends `msg` when clicked.
    pub fn on_click(self, msg: W::Msg) -> Self {
        self.on(Event::Click, msg)
    }

    /// Names this element for its component, which keeps a handle to it.
    #[cfg(feature = "page")]
    pub fn hook(mut self, hook: W::Hook) -> Self {
        self.hook = Some(hook);
        self
    }
}

impl<W: Wiring> From<Element<W>> for Node<W> {
    fn from(element: Element<W>) -> Self {
        Node::Element(element)
    }
}

/// Queries for tests, in the spirit of `querySelectorAll` and `textContent`.
#[cfg(test)]
impl<W: Wiring> Element<W> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_class(&self, class: &str) -> bool {
        self.get("class")
            .is_some_and(|c| c.split(' ').any(|c| c == class))
    }

    /// Every descendant (self included) with the class, in document order.
    pub fn find_all(&self, class: &str) -> Vec<&Element<W>> {
        let mut found = Vec::new();
        self.walk(&mut |e| {
            if e.has_class(class) {
                found.push(e)
            }
        });
        found
    }

    pub fn find(&self, class: &str) -> &Element<W> {
        self.find_all(class)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no .{class} in {self:?}"))
    }

    /// Every descendant (self included) with the tag, in document order.
    pub fn find_tag(&self, tag: &str) -> Vec<&Element<W>> {
        let mut found = Vec::new();
        self.walk(&mut |e| {
            if e.tag == tag {
                found.push(e)
            }
        });
        found
    }

    /// The element with `hook`.
    pub fn find_hook(&self, hook: W::Hook) -> &Element<W> {
        let mut found = None;
        self.walk(&mut |e| {
            if found.is_none() && e.hook == Some(hook) {
                found = Some(e)
            }
        });
        found.unwrap_or_else(|| panic!("no hook {hook:?}"))
    }

    /// What `event` on this element sends.
    pub fn sends(&self, event: Event) -> Option<&W::Msg> {
        self.on
            .iter()
            .find(|on| on.event == event)
            .map(|on| &on.msg)
    }

    pub fn text_content(&self) -> String {
        self.children
            .iter()
            .map(|c| match c {
                Node::Text(t) => t.clone(),
                Node::Element(e) => e.text_content(),
            })
            .collect()
    }

    fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Element<W>)) {
        visit(self);
        for child in &self.children {
            if let Node::Element(e) = child {
                e.walk(visit);
            }
        }
    }
}
