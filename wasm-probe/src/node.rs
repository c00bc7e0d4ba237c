//! A tiny description of DOM to build: what the view produces and the
//! component turns into real elements.
//!
//! The view works on these plain values rather than on `web_sys` so that every
//! rendering decision (which hook, which attribute, which text) is a pure
//! function with host unit tests. Text is always a text node, never parsed as
//! HTML: banners and OS error strings come from arbitrary services, and this
//! shape makes injecting markup impossible by construction.

/// One node: an element or a run of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Text(String),
    Element(Element),
}

/// An element with its attributes (the class is one of them) and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub tag: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

/// Starts an element; an empty `class` adds no attribute.
pub fn el(tag: &'static str, class: &'static str) -> Element {
    let attrs = if class.is_empty() {
        Vec::new()
    } else {
        vec![("class", class.to_owned())]
    };
    Element {
        tag,
        attrs,
        children: Vec::new(),
    }
}

impl Element {
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

    pub fn child(mut self, node: impl Into<Node>) -> Self {
        self.children.push(node.into());
        self
    }

    /// Appends any number of children; an `Option` appends zero or one.
    pub fn children<N: Into<Node>>(mut self, nodes: impl IntoIterator<Item = N>) -> Self {
        self.children.extend(nodes.into_iter().map(Into::into));
        self
    }
}

impl From<Element> for Node {
    fn from(element: Element) -> Self {
        Node::Element(element)
    }
}

/// Queries for tests, in the spirit of `querySelectorAll` and `textContent`.
#[cfg(test)]
impl Element {
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
    pub fn find_all(&self, class: &str) -> Vec<&Element> {
        let mut found = Vec::new();
        self.walk(&mut |e| {
            if e.has_class(class) {
                found.push(e)
            }
        });
        found
    }

    pub fn find(&self, class: &str) -> &Element {
        self.find_all(class)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no .{class} in {self:?}"))
    }

    /// Every descendant (self included) with the tag, in document order.
    pub fn find_tag(&self, tag: &str) -> Vec<&Element> {
        let mut found = Vec::new();
        self.walk(&mut |e| {
            if e.tag == tag {
                found.push(e)
            }
        });
        found
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

    fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Element)) {
        visit(self);
        for child in &self.children {
            if let Node::Element(e) = child {
                e.walk(visit);
            }
        }
    }
}
