//! The conversation editor: a saved conversation as rows of steps (send a
//! text line or hex bytes; expect text, a regex or bytes within N ms) to
//! change, add, remove and reorder, instead of raw JSON.
//!
//! A [`Draft`] holds exactly what the rows show, as typed (text with
//! `\r`-style escapes, hex as written), so a half-typed value is never lost
//! or rewritten under the cursor; it becomes a [`Conversation`] (the share
//! link's format, unchanged) only to run or share, and then says which step
//! is wrong and how.

use crate::node::{self, el};
use crate::page::views::Html;

use super::compose;
use super::conversation::{Conversation, Expect, Payload, Step, WITHIN_MS};
use super::{Msg, msg};

/// What a row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SendText,
    SendHex,
    ExpectText,
    ExpectRegex,
    ExpectBytes,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Self::SendText,
        Self::SendHex,
        Self::ExpectText,
        Self::ExpectRegex,
        Self::ExpectBytes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::SendText => "send-text",
            Self::SendHex => "send-hex",
            Self::ExpectText => "expect-text",
            Self::ExpectRegex => "expect-regex",
            Self::ExpectBytes => "expect-bytes",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::SendText => "Send text",
            Self::SendHex => "Send hex bytes",
            Self::ExpectText => "Expect text",
            Self::ExpectRegex => "Expect a regex",
            Self::ExpectBytes => "Expect hex bytes",
        }
    }

    fn placeholder(self) -> &'static str {
        match self {
            Self::SendText => r"PING\r\n",
            Self::SendHex => "50 49 4e 47 0d 0a",
            Self::ExpectText => "+PONG",
            Self::ExpectRegex => r"^\+PONG",
            Self::ExpectBytes => "2b 50 4f 4e 47",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    fn expects(self) -> bool {
        !matches!(self, Self::SendText | Self::SendHex)
    }

    /// Whether the value is bytes in hex (else text).
    fn hex(self) -> bool {
        matches!(self, Self::SendHex | Self::ExpectBytes)
    }
}

/// One step as its row shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: Kind,
    /// Text with escapes (`PING\r\n`), a regex, or hex, as typed.
    pub value: String,
    /// Milliseconds, as typed; only expectations wait.
    pub within: String,
}

/// What a row's control asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Kind,
    Value,
    Within,
    Up,
    Down,
    Remove,
}

/// The conversation being edited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub target: String,
    pub rows: Vec<Row>,
}

impl Draft {
    pub fn of(conversation: &Conversation) -> Self {
        let rows = conversation.steps.iter().map(|step| {
            let (kind, value, within) = match step {
                Step::Send(Payload::Text(text)) => (Kind::SendText, escape(text), WITHIN_MS),
                Step::Send(Payload::Hex(hex)) => (Kind::SendHex, hex.clone(), WITHIN_MS),
                Step::Expect { expect, within_ms } => match expect {
                    Expect::Text(text) => (Kind::ExpectText, escape(text), *within_ms),
                    Expect::Regex(re) => (Kind::ExpectRegex, re.clone(), *within_ms),
                    Expect::Bytes(hex) => (Kind::ExpectBytes, hex.clone(), *within_ms),
                },
            };
            Row {
                kind,
                value,
                within: within.to_string(),
            }
        });
        Self {
            target: conversation.target.clone(),
            rows: rows.collect(),
        }
    }

    /// The conversation the rows say, or which step is wrong and why.
    pub fn conversation(&self) -> Result<Conversation, String> {
        let steps = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| row.step().map_err(|e| format!("Step {}: {e}", i + 1)))
            .collect::<Result<_, _>>()?;
        let conversation = Conversation {
            target: self.target.trim().to_owned(),
            steps,
        };
        conversation.check()?;
        Ok(conversation)
    }

    /// Applies a row's edit; `text` is what its control holds now. Says
    /// whether the rows must be drawn again (a typed value need not: the
    /// box already shows it).
    pub fn edit(&mut self, index: usize, edit: Edit, text: &str) -> bool {
        if index >= self.rows.len() {
            return false;
        }
        match edit {
            Edit::Value => self.rows[index].value = text.to_owned(),
            Edit::Within => self.rows[index].within = text.trim().to_owned(),
            Edit::Kind => match Kind::from_name(text) {
                Some(kind) => {
                    self.rows[index].change(kind);
                    return true;
                }
                None => return false,
            },
            Edit::Up if index > 0 => {
                self.rows.swap(index - 1, index);
                return true;
            }
            Edit::Down if index + 1 < self.rows.len() => {
                self.rows.swap(index, index + 1);
                return true;
            }
            Edit::Remove => {
                self.rows.remove(index);
                return true;
            }
            Edit::Up | Edit::Down => {}
        }
        false
    }

    /// A new empty row of `kind` at the end.
    pub fn add(&mut self, kind: Kind) {
        self.rows.push(Row {
            kind,
            value: String::new(),
            within: WITHIN_MS.to_string(),
        });
    }

    pub fn view(&self) -> Html {
        let count = self.rows.len();
        let rows = self.rows.iter().enumerate().map(|(i, row)| {
            let edit = |e| msg(Msg::Step(i, e));
            let button = |class: &'static str, label: &'static str, title: String, e| {
                el("button", class)
                    .attr("type", "button")
                    .attr("aria-label", title)
                    .on_click(edit(e))
                    .text(label)
            };
            let kinds = Kind::ALL.map(|k| {
                el("option", "")
                    .attr("value", k.name())
                    .attr_opt("selected", (k == row.kind).then_some(""))
                    .text(k.label())
            });
            let within = row.kind.expects().then(|| {
                el("label", "pd-talk-within")
                    .child(el("span", "pd-label").text("within ms"))
                    .child(
                        el("input", "pd-input")
                            .attr("name", "step-within")
                            .attr("type", "number")
                            .attr("min", "0")
                            .attr("value", &row.within)
                            .on(node::Event::Input, edit(Edit::Within)),
                    )
            });
            let n = i + 1;
            el("li", "pd-talk-row")
                .attr("data-kind", row.kind.name())
                .child(
                    el("select", "pd-input")
                        .attr("name", "step-kind")
                        .attr("aria-label", format!("Step {n}: what it does"))
                        .on(node::Event::Change, edit(Edit::Kind))
                        .children(kinds),
                )
                .child(
                    el("input", "pd-input pd-talk-value")
                        .attr("name", "step-value")
                        .attr("aria-label", format!("Step {n}: {}", row.kind.label()))
                        .attr("placeholder", row.kind.placeholder())
                        .attr("spellcheck", "false")
                        .attr("value", &row.value)
                        .on(node::Event::Input, edit(Edit::Value)),
                )
                .children(within)
                .children((i > 0).then(|| {
                    button(
                        "pd-chip pd-talk-up",
                        "↑",
                        format!("Move step {n} up"),
                        Edit::Up,
                    )
                }))
                .children((i + 1 < count).then(|| {
                    button(
                        "pd-chip pd-talk-down",
                        "↓",
                        format!("Move step {n} down"),
                        Edit::Down,
                    )
                }))
                .child(button(
                    "pd-chip pd-talk-remove",
                    "✕",
                    format!("Remove step {n}"),
                    Edit::Remove,
                ))
        });
        let add = |kind: Kind, label: &'static str| {
            el("button", "pd-button pd-talk-add")
                .attr("type", "button")
                .attr("data-kind", kind.name())
                .on_click(msg(Msg::AddStep(kind)))
                .text(label)
        };
        el("div", "pd-talk-editor")
            .child(
                el("label", "pd-field")
                    .child(el("span", "pd-label").text("Target"))
                    .child(
                        el("input", "pd-input")
                            .attr("name", "conversation-target")
                            .attr("placeholder", "localhost:6379")
                            .attr("value", &self.target)
                            .on(node::Event::Input, msg(Msg::DraftTarget)),
                    ),
            )
            .child(el("ol", "pd-talk-rows").children(rows))
            .child(
                el("p", "pd-actions")
                    .child(add(Kind::SendText, "Add a send"))
                    .child(add(Kind::ExpectText, "Add an expectation")),
            )
            .child(el("p", "pd-note").text(
                r"Text may hold \r, \n, \t, \\ and \xNN (below 80); for other bytes, hex pairs such as 0d ff.",
            ))
    }
}

impl Row {
    /// The step this row stands for, or what is wrong with its value.
    fn step(&self) -> Result<Step, String> {
        let within_ms = || {
            self.within.parse::<u64>().map_err(|_| {
                format!(
                    "\"{}\" is not a number of milliseconds, such as 2000.",
                    self.within
                )
            })
        };
        Ok(match self.kind {
            Kind::SendText => Step::Send(Payload::Text(unescape(&self.value)?)),
            Kind::SendHex => Step::Send(Payload::Hex(self.value.clone())),
            Kind::ExpectText => Step::Expect {
                expect: Expect::Text(unescape(&self.value)?),
                within_ms: within_ms()?,
            },
            Kind::ExpectRegex => Step::Expect {
                expect: Expect::Regex(self.value.clone()),
                within_ms: within_ms()?,
            },
            Kind::ExpectBytes => Step::Expect {
                expect: Expect::Bytes(self.value.clone()),
                within_ms: within_ms()?,
            },
        })
    }

    /// Turns the row into `kind`, carrying its bytes over where they can
    /// be: text becomes its hex and back; otherwise the value stays as typed.
    fn change(&mut self, kind: Kind) {
        let converted = match (self.kind.hex(), kind.hex()) {
            (false, true) if self.kind != Kind::ExpectRegex => unescape(&self.value)
                .ok()
                .map(|text| spaced_hex(text.as_bytes())),
            (true, false) if kind != Kind::ExpectRegex => compose::hex(&self.value)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(|text| escape(&text)),
            _ => None,
        };
        if let Some(value) = converted {
            self.value = value;
        }
        self.kind = kind;
    }
}

fn spaced_hex(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    pairs.join(" ")
}

/// Text for a one-line box: `\r`, `\n`, `\t`, `\\`, and `\xNN` for other
/// control characters.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\r' => out.push_str(r"\r"),
            '\n' => out.push_str(r"\n"),
            '\t' => out.push_str(r"\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The text a one-line box stands for, or what is wrong with an escape.
pub fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('x') => {
                let digits: String = chars.by_ref().take(2).collect();
                match u8::from_str_radix(&digits, 16) {
                    Ok(byte) if digits.len() == 2 && byte < 0x80 => out.push(byte as char),
                    _ => {
                        return Err(format!(
                            "\\x{digits} is not a byte below 80 in two hex digits (for other bytes, send hex)."
                        ));
                    }
                }
            }
            other => {
                let what = other.map_or_else(|| "a \\ at the end".to_owned(), |c| format!("\\{c}"));
                return Err(format!(
                    "{what} is not an escape: write \\r, \\n, \\t, \\\\ or \\xNN."
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::conversation::tests::redis;
    use super::*;
    use crate::node::Event as On;

    #[test]
    fn escapes_round_trip_and_bad_ones_say_why() {
        let text = "a\\b\r\n\t\u{1}é";
        assert_eq!(escape(text), r"a\\b\r\n\t\x01é");
        assert_eq!(unescape(&escape(text)).unwrap(), text);
        assert!(
            unescape(r"\q")
                .unwrap_err()
                .starts_with(r"\q is not an escape")
        );
        assert!(unescape("x\\").unwrap_err().starts_with(r"a \ at the end"));
        assert!(unescape(r"\xzz").unwrap_err().contains("two hex digits"));
    }

    #[test]
    fn rows_round_trip_to_the_same_conversation() {
        let draft = Draft::of(&redis());
        assert_eq!(draft.rows[0].value, r"PING\r\n");
        assert_eq!(draft.rows[4].within, "500");
        assert_eq!(draft.conversation(), Ok(redis()));
    }

    #[test]
    fn rows_are_added_removed_reordered_and_changed() {
        let mut draft = Draft::of(&redis());
        assert!(!draft.edit(0, Edit::Up, ""), "the first row cannot go up");
        assert!(draft.edit(0, Edit::Down, ""));
        assert_eq!(draft.rows[1].value, r"PING\r\n");
        assert!(draft.edit(1, Edit::Up, ""));
        assert!(draft.edit(3, Edit::Remove, ""));
        assert_eq!(draft.rows.len(), 4);
        // Text to hex and back keeps the bytes.
        assert!(draft.edit(0, Edit::Kind, "send-hex"));
        assert_eq!(draft.rows[0].value, "50 49 4e 47 0d 0a");
        assert!(draft.edit(0, Edit::Kind, "send-text"));
        assert_eq!(draft.rows[0].value, r"PING\r\n");
        // A typed value needs no redraw.
        assert!(!draft.edit(1, Edit::Value, "+PO"));
        draft.add(Kind::ExpectText);
        draft.edit(4, Edit::Value, "bye");
        let conversation = draft.conversation().unwrap();
        assert_eq!(conversation.steps.len(), 5);
        assert_eq!(
            conversation.steps[4],
            Step::Expect {
                expect: Expect::Text("bye".into()),
                within_ms: WITHIN_MS
            }
        );
    }

    #[test]
    fn a_wrong_row_is_named() {
        let mut draft = Draft::of(&redis());
        draft.edit(1, Edit::Within, "soon");
        assert_eq!(
            draft.conversation().unwrap_err(),
            "Step 2: \"soon\" is not a number of milliseconds, such as 2000."
        );
        draft.edit(1, Edit::Within, "10");
        draft.edit(3, Edit::Value, "(");
        assert!(
            draft
                .conversation()
                .unwrap_err()
                .starts_with("Bad regular expression")
        );
        draft.edit(3, Edit::Value, "ok");
        draft.edit(2, Edit::Value, "0g");
        assert!(
            draft
                .conversation()
                .unwrap_err()
                .contains("is not a hex digit")
        );
    }

    #[test]
    fn the_rows_send_their_edits() {
        let view = Draft::of(&redis()).view();
        let rows = view.find_all("pd-talk-row");
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0].get("data-kind"), Some("send-text"));
        let value = rows[2].find("pd-talk-value");
        assert_eq!(
            value.sends(On::Input),
            Some(&msg(Msg::Step(2, Edit::Value)))
        );
        assert_eq!(
            rows[2].find("pd-talk-remove").sends(On::Click),
            Some(&msg(Msg::Step(2, Edit::Remove)))
        );
        assert!(rows[0].find_all("pd-talk-up").is_empty());
        assert!(rows[4].find_all("pd-talk-down").is_empty());
        assert_eq!(
            view.find("pd-talk-add").sends(On::Click),
            Some(&msg(Msg::AddStep(Kind::SendText)))
        );
    }
}
