//! The talk view: a console to a TCP service through the helper's relay,
//! the way `telnet localhost 6379` then `PING` works, in the page.
//!
//! The helper's `/relay?target=HOST:PORT` speaks websockify's format (raw
//! bytes in binary frames, subprotocol `binary`) and says in its close code
//! how the TCP side ended. [`transcript`] and [`compose`] are pure;
//! [`TalkView`] holds the relay's socket and handles this view's [`Msg`]s.

pub mod compose;
pub mod conversation;
pub mod editor;
pub mod transcript;

use std::cell::RefCell;

use protocol::ServiceProtocol;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, Event, HtmlInputElement, MessageEvent, WebSocket};

use crate::dom::{self, Field, Handler, Region, Timer};
use crate::node::{self, el};

use super::views::{self, Html, Tree, View};
use super::widgets::{self, note};
use super::{Page, PageRef, Parts};
use compose::{Encoding, Ending, Suggestion, suggestions};
use conversation::{Conversation, Next, Run};
use editor::Draft;
use transcript::{Direction, Mode, Transcript};

/// What the talk view's elements send.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The connect form was submitted.
    Connect,
    /// "Open a console" on a report: the address that answered, the `Host`
    /// the user typed, the URL's path, and what answered.
    Open {
        target: String,
        host: String,
        path: Option<String>,
        protocol: Option<ServiceProtocol>,
    },
    /// The send form was submitted.
    Send,
    /// These bytes (a suggested first message).
    SendBytes(Vec<u8>),
    /// The encoding of typed text changed.
    Encoding,
    Show(Mode),
    Close,
    CopyMarkdown,
    Download,
    /// Save the session as a conversation (steps) to edit and run.
    Save,
    /// A step's row changed (its control holds the new value).
    Step(usize, editor::Edit),
    /// Add a step of this kind at the end.
    AddStep(editor::Kind),
    /// The conversation's target was edited.
    DraftTarget,
    /// Replay the conversation as written and judge it.
    Run,
    /// Copy a link that reruns the conversation.
    Share,
}

/// The talk view's elements its handlers update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Target,
    Status,
    Suggestions,
    Transcript,
    Steps,
    Results,
}

fn hook(hook: Hook) -> views::Hook {
    views::Hook::Talk(hook)
}

fn msg(msg: Msg) -> views::Msg {
    views::Msg::Talk(msg)
}

pub fn panel() -> Html {
    let button = |class: &'static str, label: &'static str, m: Msg| {
        el("button", class)
            .attr("type", "button")
            .on_click(msg(m))
            .text(label)
    };
    el("div", "pd-view-body")
        .child(note(
            "Talk to a service as with telnet or nc: the helper connects, this page sends \
             what you type and shows what comes back.",
        ))
        .child(widgets::form(
            "pd-form pd-talk-connect",
            widgets::Field {
                name: "talk-target",
                label: "Connect to",
                placeholder: "localhost:6379",
                hook: Some(hook(Hook::Target)),
            },
            "",
            "Connect",
            msg(Msg::Connect),
        ))
        .child(
            el("p", "pd-talk-status")
                .attr("data-state", "idle")
                .attr("role", "status")
                .attr("aria-live", "polite")
                .hook(hook(Hook::Status)),
        )
        .child(el("div", "pd-talk-suggestions").hook(hook(Hook::Suggestions)))
        .child(
            widgets::form(
                "pd-form pd-talk-send",
                widgets::Field {
                    name: "talk-message",
                    label: "Send",
                    placeholder: "PING",
                    hook: None,
                },
                "",
                "Send",
                msg(Msg::Send),
            )
            .child(
                el("label", "pd-field pd-talk-encoding")
                    .child(el("span", "pd-label").text("As"))
                    .child(
                        el("select", "pd-input")
                            .attr("name", "talk-encoding")
                            .on(node::Event::Change, msg(Msg::Encoding))
                            .children(
                                Encoding::ALL.map(|e| {
                                    el("option", "").attr("value", e.name()).text(e.label())
                                }),
                            ),
                    ),
            ),
        )
        .child(
            el("p", "pd-actions pd-talk-actions")
                .child(
                    button("pd-button pd-talk-mode", "Text", Msg::Show(Mode::Text))
                        .attr("data-mode", "text"),
                )
                .child(
                    button("pd-button pd-talk-mode", "Hex", Msg::Show(Mode::Hex))
                        .attr("data-mode", "hex"),
                )
                .child(button(
                    "pd-button pd-talk-copy",
                    "Copy as Markdown",
                    Msg::CopyMarkdown,
                ))
                .child(button(
                    "pd-button pd-talk-download",
                    "Download the capture",
                    Msg::Download,
                ))
                .child(button("pd-button pd-talk-close", "Close", Msg::Close)),
        )
        .child(el("div", "pd-talk-transcript").hook(hook(Hook::Transcript)))
        .child(
            el("section", "pd-talk-conversation")
                .attr("aria-label", "Conversation")
                .child(el("h2", "pd-heading").text("Conversation"))
                .child(note(
                    "Save the session as steps (send this; expect text, a regex or bytes \
                     within N ms), edit them, and run them again: each step is judged.",
                ))
                .child(el("div", "pd-talk-steps").hook(hook(Hook::Steps)))
                .child(
                    el("p", "pd-actions")
                        .child(button(
                            "pd-button pd-talk-save",
                            "Save as conversation",
                            Msg::Save,
                        ))
                        .child(button("pd-button pd-talk-run", "Run", Msg::Run))
                        .child(button(
                            "pd-button pd-talk-share",
                            "Copy share link",
                            Msg::Share,
                        )),
                )
                .child(
                    el("div", "pd-talk-results")
                        .attr("role", "status")
                        .attr("aria-live", "polite")
                        .hook(hook(Hook::Results)),
                ),
        )
}

/// Where a console is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Idle,
    Connecting,
    Open,
    Ended(Ending),
}

/// The console's state, apart from its socket.
#[derive(Debug)]
struct Talk {
    target: String,
    state: State,
    opened: bool,
    we_closed: bool,
    /// When the connection opened (or was asked for), for the times.
    since_ms: u64,
    transcript: Transcript,
    mode: Mode,
    encoding: Encoding,
    suggestions: Vec<Suggestion>,
    /// A conversation being replayed on this connection.
    run: Option<Run>,
}

impl Default for Talk {
    fn default() -> Self {
        Self {
            target: String::new(),
            state: State::Idle,
            opened: false,
            we_closed: false,
            since_ms: 0,
            transcript: Transcript::default(),
            mode: Mode::Text,
            encoding: Encoding::CrLf,
            suggestions: Vec::new(),
            run: None,
        }
    }
}

impl Talk {
    fn status(&self) -> (&'static str, String, Option<&'static str>) {
        let target = &self.target;
        match &self.state {
            State::Idle => ("idle", String::new(), None),
            State::Connecting => (
                "connecting",
                format!("Connecting to {target} through the helper…"),
                None,
            ),
            State::Open => ("open", format!("Connected to {target}."), None),
            State::Ended(ending) => ("ended", ending.words.clone(), Some(ending.name)),
        }
    }

    fn suggestions_view(&self) -> Html {
        if self.suggestions.is_empty() {
            return el("p", "pd-talk-suggestion-list");
        }
        el("p", "pd-talk-suggestion-list")
            .child(el("span", "pd-note").text("Try: "))
            .children(self.suggestions.iter().map(|s| {
                el("button", "pd-chip pd-talk-suggestion")
                    .attr("type", "button")
                    .on_click(msg(Msg::SendBytes(s.bytes.clone())))
                    .text(&s.label)
            }))
    }

    fn ending_words(&self) -> Option<&str> {
        match &self.state {
            State::Ended(ending) => Some(&ending.words),
            _ => None,
        }
    }
}

/// The relay's WebSocket and its listeners, dropped together.
struct Relay {
    socket: WebSocket,
    listeners: [Handler; 3],
}

impl Drop for Relay {
    fn drop(&mut self) {
        for (event, listener) in ["open", "message", "close"].iter().zip(&self.listeners) {
            let _ = dom::listen(&self.socket, event, listener, false);
        }
        let _ = self.socket.close();
    }
}

pub struct TalkView {
    target: HtmlInputElement,
    status: web_sys::Element,
    suggestions: Region<Tree>,
    transcript: Region<Tree>,
    /// The conversation editor's rows.
    steps: Region<Tree>,
    draft: RefCell<Draft>,
    results: Region<Tree>,
    talk: RefCell<Talk>,
    relay: RefCell<Option<Relay>>,
    /// Wakes a conversation's step when its time is up.
    timer: Timer,
    me: PageRef,
}

impl TalkView {
    pub fn new(parts: &mut Parts, me: PageRef) -> Result<Self, JsValue> {
        let view = Self {
            target: parts.take(hook(Hook::Target))?,
            status: parts.take(hook(Hook::Status))?,
            suggestions: parts.region(hook(Hook::Suggestions))?,
            transcript: parts.region(hook(Hook::Transcript))?,
            steps: parts.region(hook(Hook::Steps))?,
            draft: RefCell::default(),
            results: parts.region(hook(Hook::Results))?,
            talk: RefCell::default(),
            relay: RefCell::new(None),
            timer: me.timer(|page| {
                let _ = page.talk.drive();
            }),
            me,
        };
        view.show_draft()?;
        Ok(view)
    }

    pub fn handle(&self, page: &Page, msg: Msg, field: Field) -> Result<(), JsValue> {
        match msg {
            Msg::Connect => {
                let target = field.text.trim().to_owned();
                let suggestions = suggestions(None, &target, None);
                self.connect(page, &target, suggestions)
            }
            Msg::Open {
                target,
                host,
                path,
                protocol,
            } => {
                page.select(View::Talk)?;
                self.target.set_value(&target);
                self.connect(page, &target, suggestions(protocol, &host, path.as_deref()))
            }
            Msg::Send => {
                let encoding = self.talk.borrow().encoding;
                match encoding.encode(&field.text) {
                    Ok(bytes) => self.send(&bytes),
                    Err(problem) => self.show_problem(&problem),
                }
            }
            Msg::SendBytes(bytes) => self.send(&bytes),
            Msg::Encoding => {
                if let Some(encoding) = Encoding::from_name(&field.text) {
                    self.talk.borrow_mut().encoding = encoding;
                }
                Ok(())
            }
            Msg::Show(mode) => {
                self.talk.borrow_mut().mode = mode;
                self.show_transcript()
            }
            Msg::Close => {
                self.talk.borrow_mut().we_closed = true;
                if let Some(relay) = &*self.relay.borrow() {
                    relay.socket.close()?;
                }
                Ok(())
            }
            Msg::CopyMarkdown => {
                let talk = self.talk.borrow();
                page.copy(&talk.transcript.markdown(&talk.target, talk.ending_words()));
                Ok(())
            }
            Msg::Download => download(&self.talk.borrow().transcript.received()),
            Msg::Save => {
                let saved = {
                    let talk = self.talk.borrow();
                    Conversation::from_chunks(&talk.target, talk.transcript.chunks())
                };
                self.draft.replace(Draft::of(&saved));
                self.show_draft()
            }
            Msg::Step(index, edit) => {
                let redraw = self.draft.borrow_mut().edit(index, edit, &field.text);
                if redraw { self.show_draft() } else { Ok(()) }
            }
            Msg::AddStep(kind) => {
                self.draft.borrow_mut().add(kind);
                self.show_draft()
            }
            Msg::DraftTarget => {
                self.draft.borrow_mut().target = field.text;
                Ok(())
            }
            Msg::Run => {
                let drafted = self.draft.borrow().conversation();
                match drafted {
                    Ok(conversation) => self.run(page, conversation),
                    Err(problem) => self.results.show(note(&problem)).map(drop),
                }
            }
            Msg::Share => {
                let drafted = self.draft.borrow().conversation();
                match drafted {
                    Ok(conversation) => {
                        page.copy(&format!("{}/{}", page.origin(), share_query(&conversation)));
                        Ok(())
                    }
                    Err(problem) => self.results.show(note(&problem)).map(drop),
                }
            }
        }
    }

    /// Opens the view on a shared conversation (`?talk=`) and runs it.
    pub fn shared(&self, page: &Page, json: &str) -> Result<(), JsValue> {
        page.select(View::Talk)?;
        match Conversation::parse(json) {
            Ok(conversation) => {
                self.draft.replace(Draft::of(&conversation));
                self.show_draft()?;
                self.run(page, conversation)
            }
            Err(problem) => self.results.show(note(&problem)).map(drop),
        }
    }

    /// Replays `conversation` over a fresh connection.
    fn run(&self, page: &Page, conversation: Conversation) -> Result<(), JsValue> {
        self.target.set_value(&conversation.target);
        self.connect(
            page,
            &conversation.target,
            suggestions(None, &conversation.target, None),
        )?;
        page.set_query(&share_query(&conversation));
        self.talk.borrow_mut().run = Some(Run::new(&conversation, dom::now_ms()));
        self.show_results()
    }

    /// Lets the conversation act on what arrived and the time: send its
    /// next step, look again later, or finish and close.
    fn drive(&self) -> Result<(), JsValue> {
        loop {
            let now = dom::now_ms();
            let mut talk = self.talk.borrow_mut();
            // Steps start once the connection opened (or could not).
            let started = matches!(talk.state, State::Open | State::Ended(_));
            let next = match &mut talk.run {
                Some(run) if started => run.advance(now),
                _ => return Ok(()),
            };
            drop(talk);
            match next {
                Next::Send(bytes) => self.send(&bytes)?,
                Next::WaitUntil(at) => {
                    self.timer
                        .start(at.saturating_sub(now).min(u32::MAX as u64) as u32);
                    break;
                }
                Next::Done => {
                    self.timer.stop();
                    self.talk.borrow_mut().we_closed = true;
                    if let Some(relay) = &*self.relay.borrow() {
                        relay.socket.close()?;
                    }
                    break;
                }
            }
        }
        self.show_results()
    }

    fn show_draft(&self) -> Result<(), JsValue> {
        self.steps.show(self.draft.borrow().view()).map(drop)
    }

    fn show_results(&self) -> Result<(), JsValue> {
        match &self.talk.borrow().run {
            Some(run) => self.results.show(conversation::results_view(run)).map(drop),
            None => Ok(()),
        }
    }

    fn connect(
        &self,
        page: &Page,
        target: &str,
        suggestions: Vec<Suggestion>,
    ) -> Result<(), JsValue> {
        if target.is_empty() {
            return Ok(());
        }
        page.set_query(&format!("?view={}", View::Talk.name()));
        self.relay.replace(None);
        let url = compose::relay_url(
            page.ws_url(),
            &String::from(js_sys::encode_uri_component(target)),
        );
        let socket = WebSocket::new_with_str(&url, "binary")?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let me = &self.me;
        let listeners = [
            page_handler(me, |view, _| view.opened()),
            page_handler(me, |view, event| {
                let data = event.dyn_into::<MessageEvent>()?.data();
                view.received(&js_sys::Uint8Array::new(&data).to_vec())
            }),
            page_handler(me, |view, event| {
                let close = event.dyn_into::<CloseEvent>()?;
                view.closed(close.code(), &close.reason())
            }),
        ];
        for (event, listener) in ["open", "message", "close"].iter().zip(&listeners) {
            dom::listen(&socket, event, listener, true)?;
        }
        self.relay.replace(Some(Relay { socket, listeners }));
        // The view's choices outlive a connection.
        let (mode, encoding) = {
            let talk = self.talk.borrow();
            (talk.mode, talk.encoding)
        };
        self.talk.replace(Talk {
            target: target.to_owned(),
            state: State::Connecting,
            since_ms: dom::now_ms(),
            suggestions,
            mode,
            encoding,
            ..Talk::default()
        });
        self.show_all()
    }

    fn opened(&self) -> Result<(), JsValue> {
        {
            let mut talk = self.talk.borrow_mut();
            talk.state = State::Open;
            talk.opened = true;
            talk.since_ms = dom::now_ms();
        }
        self.show_status()?;
        self.drive()
    }

    fn received(&self, bytes: &[u8]) -> Result<(), JsValue> {
        if let Some(run) = &mut self.talk.borrow_mut().run {
            run.received(bytes);
        }
        self.record(Direction::Received, bytes)?;
        self.drive()
    }

    fn closed(&self, code: u16, reason: &str) -> Result<(), JsValue> {
        {
            let mut talk = self.talk.borrow_mut();
            let ending = Ending::of(code, reason, talk.opened, talk.we_closed);
            if let Some(run) = &mut talk.run {
                run.ended(&ending.words);
            }
            talk.state = State::Ended(ending);
        }
        self.relay.replace(None);
        self.show_status()?;
        self.drive()
    }

    fn send(&self, bytes: &[u8]) -> Result<(), JsValue> {
        let sent = match &*self.relay.borrow() {
            Some(relay) if self.talk.borrow().state == State::Open => {
                relay.socket.send_with_u8_array(bytes)?;
                true
            }
            _ => false,
        };
        if sent {
            self.record(Direction::Sent, bytes)
        } else {
            self.show_problem("Not connected: connect first, then send.")
        }
    }

    fn record(&self, direction: Direction, bytes: &[u8]) -> Result<(), JsValue> {
        {
            let mut talk = self.talk.borrow_mut();
            let at = dom::now_ms().saturating_sub(talk.since_ms);
            talk.transcript.push(direction, at, bytes);
        }
        self.show_transcript()
    }

    fn show_all(&self) -> Result<(), JsValue> {
        self.suggestions
            .show(self.talk.borrow().suggestions_view())?;
        self.show_status()?;
        self.show_transcript()
    }

    fn show_status(&self) -> Result<(), JsValue> {
        let talk = self.talk.borrow();
        let (state, text, ended) = talk.status();
        self.status.set_attribute("data-state", state)?;
        match ended {
            Some(name) => self.status.set_attribute("data-ended", name)?,
            None => self.status.remove_attribute("data-ended")?,
        }
        self.status.set_text_content(Some(&text));
        Ok(())
    }

    fn show_problem(&self, problem: &str) -> Result<(), JsValue> {
        self.status.set_attribute("data-problem", "")?;
        self.status.set_text_content(Some(problem));
        Ok(())
    }

    fn show_transcript(&self) -> Result<(), JsValue> {
        let talk = self.talk.borrow();
        self.transcript
            .show(talk.transcript.view(talk.mode))
            .map(drop)
    }
}

/// `?talk=…`: the query that reruns a conversation on load.
fn share_query(conversation: &Conversation) -> String {
    let json = serde_json::to_string(conversation).expect("plain data always serializes");
    format!(
        "?talk={}",
        String::from(js_sys::encode_uri_component(&json))
    )
}

/// A socket listener that calls `f` on the talk view while the page is mounted.
fn page_handler(me: &PageRef, f: fn(&TalkView, Event) -> Result<(), JsValue>) -> Handler {
    let me = me.clone();
    Closure::new(move |event| me.get().map_or(Ok(()), |page| f(&page.talk, event)))
}

/// Saves the received bytes as a file.
fn download(bytes: &[u8]) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("portdoctor: no document")?;
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download("portdoctor-capture.bin");
    link.click();
    web_sys::Url::revoke_object_url(&url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Event as On;

    #[test]
    fn the_panel_connects_sends_and_shows() {
        let panel = panel();
        assert_eq!(
            panel.find("pd-talk-connect").sends(On::Submit),
            Some(&msg(Msg::Connect))
        );
        assert_eq!(
            panel.find("pd-talk-send").sends(On::Submit),
            Some(&msg(Msg::Send))
        );
        let options: Vec<_> = panel
            .find_tag("option")
            .iter()
            .map(|o| o.get("value").unwrap())
            .collect();
        assert_eq!(options, ["crlf", "lf", "none", "hex"]);
        let modes = panel.find_all("pd-talk-mode");
        assert_eq!(modes[1].sends(On::Click), Some(&msg(Msg::Show(Mode::Hex))));
        for h in [
            Hook::Target,
            Hook::Status,
            Hook::Suggestions,
            Hook::Transcript,
        ] {
            panel.find_hook(hook(h));
        }
    }

    #[test]
    fn suggestions_send_their_bytes() {
        let talk = Talk {
            suggestions: suggestions(Some(ServiceProtocol::Redis), "localhost:6379", None),
            ..Talk::default()
        };
        let view = talk.suggestions_view();
        let first = view.find("pd-talk-suggestion");
        assert_eq!(first.text_content(), "Redis PING");
        assert_eq!(
            first.sends(On::Click),
            Some(&msg(Msg::SendBytes(b"PING\r\n".to_vec())))
        );
    }
}
