//! The page's views by name: which exist, what their tabs say, where each
//! is in the address bar, and the typed messages and hooks of the whole page.
//!
//! [`View`] is the one list of views. The tab bar, the panels, the
//! `?view=` of a link and the handlers all take it from here, so a view
//! cannot be half added: a new variant fails to compile until it has a
//! name, a label and a panel.

use protocol::{DEFAULT_PORT, PROTOCOL_VERSION, WS_PATH};

use crate::link::Link;
use crate::node::{Element, Wiring, el};

use super::{check, machine, talk, watch};

/// One of the page's views, behind its tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Check,
    Machine,
    Watch,
    Talk,
}

impl View {
    /// In tab order.
    pub const ALL: [View; 4] = [View::Check, View::Machine, View::Watch, View::Talk];

    /// Its name in `?view=` and in the tab's and panel's `data-view`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Machine => "machine",
            Self::Watch => "watch",
            Self::Talk => "talk",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|view| view.name() == name)
    }

    /// What its tab says.
    pub fn tab(self) -> &'static str {
        match self {
            Self::Check => "Check",
            Self::Machine => "This machine",
            Self::Watch => "Wait until up",
            Self::Talk => "Talk to it",
        }
    }

    /// What its panel is, for screen readers.
    fn title(self) -> &'static str {
        match self {
            Self::Check => "Check a port",
            Self::Machine => "Every TCP listener on this machine",
            Self::Watch => "Wait until a service is up",
            Self::Talk => "Talk to a service",
        }
    }

    fn panel(self, target: &str) -> Html {
        match self {
            Self::Check => check::panel(target),
            Self::Machine => machine::panel(),
            Self::Watch => watch::panel(),
            Self::Talk => talk::panel(),
        }
    }
}

/// Everything an element of the page can send: each view's own messages,
/// and the few the frame handles.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Select(View),
    Retry,
    /// Puts the text on the clipboard.
    Copy(String),
    Check(check::Msg),
    Machine(machine::Msg),
    Watch(watch::Msg),
    Talk(talk::Msg),
}

/// The elements the page keeps a handle to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// The whole frame, removed on unmount.
    Frame,
    Status,
    StatusText,
    Retry,
    Tab(View),
    Panel(View),
    CopyStatus,
    Check(check::Hook),
    Machine(machine::Hook),
    Watch(watch::Hook),
    Talk(talk::Hook),
}

/// The page's trees: they send [`Msg`] and are hooked by [`Hook`].
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {}

impl Wiring for Tree {
    type Msg = Msg;
    type Hook = Hook;
}

/// A tree of the page.
pub type Html = Element<Tree>;

/// The page's fixed frame: connection status, the views behind tabs with
/// `selected` shown, and a live region that confirms copies.
pub fn skeleton(target: &str, selected: View) -> Html {
    el("div", "pd-checker")
        .hook(Hook::Frame)
        .child(
            el("p", "pd-status")
                .attr("data-state", Link::Connecting.as_str())
                .attr("role", "status")
                .attr("aria-live", "polite")
                .hook(Hook::Status)
                .child(el("span", "pd-status-text").hook(Hook::StatusText))
                .child(
                    el("button", "pd-button pd-retry")
                        .attr("type", "button")
                        .attr("hidden", "")
                        .hook(Hook::Retry)
                        .on_click(Msg::Retry)
                        .text("Retry"),
                ),
        )
        .child(
            el("div", "pd-tabs")
                .attr("role", "tablist")
                .attr("aria-label", "Views")
                .children(View::ALL.map(|view| {
                    el("button", "pd-tab")
                        .attr("type", "button")
                        .attr("role", "tab")
                        .attr("data-view", view.name())
                        .attr("aria-selected", selected_attr(view == selected))
                        .hook(Hook::Tab(view))
                        .on_click(Msg::Select(view))
                        .text(view.tab())
                })),
        )
        .children(View::ALL.map(|view| {
            let panel = el("section", "pd-view")
                .attr("role", "tabpanel")
                .attr("data-view", view.name())
                .attr("aria-label", view.title())
                .hook(Hook::Panel(view))
                .child(view.panel(target));
            if view == selected {
                panel
            } else {
                panel.attr("hidden", "")
            }
        }))
        .child(
            el("p", "pd-copy-status")
                .attr("role", "status")
                .attr("aria-live", "polite")
                .hook(Hook::CopyStatus),
        )
}

/// The helper's WebSocket on the page's own origin: the helper accepts only
/// its own origin (or ones the user allowed), so the host must be the one the
/// page came from. A page opened from a file has no host: use the default port.
pub fn default_ws_url(page_protocol: &str, page_host: &str) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    if page_host.is_empty() {
        format!("{scheme}://127.0.0.1:{DEFAULT_PORT}{WS_PATH}")
    } else {
        format!("{scheme}://{page_host}{WS_PATH}")
    }
}

/// Status line once the helper has answered `hello`.
pub fn hello_status(protocol: u32, server: &str) -> String {
    if protocol == PROTOCOL_VERSION {
        format!("Connected to {server}.")
    } else {
        format!(
            "Connected to {server}, which speaks protocol {protocol} while this page speaks \
             {PROTOCOL_VERSION}: reload the page so both come from the same version."
        )
    }
}

pub fn selected_attr(selected: bool) -> &'static str {
    if selected { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Event;

    #[test]
    fn every_view_has_a_name_that_reads_back() {
        for view in View::ALL {
            assert_eq!(View::from_name(view.name()), Some(view));
        }
        assert_eq!(View::from_name("nope"), None);
    }

    #[test]
    fn the_skeleton_has_a_tab_and_a_panel_per_view() {
        let page = skeleton("", View::Machine);
        let tabs = page.find_all("pd-tab");
        let names: Vec<_> = tabs.iter().map(|t| t.get("data-view").unwrap()).collect();
        assert_eq!(names, ["check", "machine", "watch", "talk"]);
        assert_eq!(tabs[1].get("aria-selected"), Some("true"));
        assert_eq!(tabs[0].get("aria-selected"), Some("false"));
        assert_eq!(tabs[2].sends(Event::Click), Some(&Msg::Select(View::Watch)));
        let panels = page.find_all("pd-view");
        assert_eq!(panels[0].get("hidden"), Some(""));
        assert_eq!(panels[1].get("hidden"), None);
        for view in View::ALL {
            assert_eq!(
                page.find_hook(Hook::Panel(view)).get("data-view"),
                Some(view.name())
            );
        }
        assert_eq!(page.find("pd-status").get("data-state"), Some("connecting"));
        assert_eq!(
            page.find_hook(Hook::Retry).sends(Event::Click),
            Some(&Msg::Retry)
        );
    }

    #[test]
    fn each_views_form_sends_its_own_message_and_its_answer_is_live() {
        let forms = [
            (
                View::Check,
                "pd-form",
                "target",
                Msg::Check(check::Msg::Submit),
            ),
            (
                View::Machine,
                "pd-bind-form",
                "bind-port",
                Msg::Machine(machine::Msg::BindCheck),
            ),
            (
                View::Watch,
                "pd-watch-form",
                "watch-target",
                Msg::Watch(watch::Msg::Start),
            ),
        ];
        let answers = [
            Hook::Check(check::Hook::Report),
            Hook::Machine(machine::Hook::Bind),
            Hook::Watch(watch::Hook::Status),
        ];
        for ((view, class, input, msg), answer) in forms.into_iter().zip(answers) {
            let panel = view.panel("");
            let form = panel.find(class);
            assert_eq!(form.sends(Event::Submit), Some(&msg), "{view:?}");
            assert_eq!(form.find_tag("input")[0].get("name"), Some(input));
            assert_eq!(panel.find_hook(answer).get("aria-live"), Some("polite"));
        }
    }

    #[test]
    fn the_socket_is_on_the_pages_own_origin() {
        assert_eq!(
            default_ws_url("http:", "127.0.0.1:61900"),
            "ws://127.0.0.1:61900/ws"
        );
        assert_eq!(
            default_ws_url("https:", "localhost:9"),
            "wss://localhost:9/ws"
        );
        assert_eq!(default_ws_url("file:", ""), "ws://127.0.0.1:61900/ws");
    }

    #[test]
    fn a_protocol_mismatch_is_named_in_the_status() {
        assert_eq!(
            hello_status(PROTOCOL_VERSION, "portdoctor 0.1.0"),
            "Connected to portdoctor 0.1.0."
        );
        assert!(hello_status(PROTOCOL_VERSION + 1, "x").contains("reload"));
    }
}
