//! Conversations: a console session saved as steps (send this; expect that
//! within N ms), replayed over a fresh relay and judged step by step, like
//! blackbox_exporter's `query_response`, and shared as `/?talk=…`.
//!
//! [`Run`] is the judge, free of time and sockets: it is told what arrived
//! and what time it is, and says what to send and when to look again.

use serde::{Deserialize, Serialize};

use crate::node::el;
use crate::page::views::Html;

use super::compose;
use super::transcript::{Chunk, Direction, visible};

/// Bytes as text when they are text, else as hex: readable in a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Text(String),
    Hex(String),
}

impl Payload {
    pub fn of(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::Text(text.to_owned()),
            Err(_) => Self::Hex(bytes.iter().map(|b| format!("{b:02x}")).collect()),
        }
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            Self::Text(text) => Ok(text.as_bytes().to_vec()),
            Self::Hex(hex) => compose::hex(hex),
        }
    }
}

/// What a step waits for in what arrived since the step before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// This text appears.
    Text(String),
    /// This regular expression matches (the bytes read as text).
    Regex(String),
    /// These bytes appear, in hex.
    Bytes(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Send(Payload),
    Expect { expect: Expect, within_ms: u64 },
}

/// A saved conversation: where, and the steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub target: String,
    pub steps: Vec<Step>,
}

/// How long a saved step waits for its answer.
pub const WITHIN_MS: u64 = 2_000;

impl Conversation {
    /// The session as steps: each chunk sent, and after it an expectation
    /// of the first line that came back (as text, control bytes visible).
    pub fn from_chunks(target: &str, chunks: &[Chunk]) -> Self {
        let mut steps = Vec::new();
        let mut answered = true;
        for chunk in chunks {
            match chunk.direction {
                Direction::Sent => {
                    steps.push(Step::Send(Payload::of(&chunk.bytes)));
                    answered = false;
                }
                Direction::Received if !answered => {
                    answered = true;
                    let text = String::from_utf8_lossy(&chunk.bytes);
                    let line = text.lines().next().unwrap_or_default().trim_end();
                    let expect = match line.is_empty() || line.contains('\u{fffd}') {
                        true => Expect::Bytes(
                            chunk
                                .bytes
                                .iter()
                                .take(16)
                                .map(|b| format!("{b:02x}"))
                                .collect(),
                        ),
                        false => Expect::Text(line.to_owned()),
                    };
                    steps.push(Step::Expect {
                        expect,
                        within_ms: WITHIN_MS,
                    });
                }
                Direction::Received => {}
            }
        }
        Self {
            target: target.to_owned(),
            steps,
        }
    }

    /// A conversation as the user edited it, or what is wrong with it.
    pub fn parse(json: &str) -> Result<Self, String> {
        let conversation: Self = serde_json::from_str(json).map_err(|e| {
            format!("This is not a conversation ({e}). Steps look like {{\"send\": {{\"text\": \"PING\\r\\n\"}}}} and {{\"expect\": {{\"expect\": {{\"text\": \"+PONG\"}}, \"within_ms\": 1000}}}}.")
        })?;
        conversation.check()?;
        Ok(conversation)
    }

    /// What is wrong with a conversation's steps or target, if anything.
    pub fn check(&self) -> Result<(), String> {
        for step in &self.steps {
            match step {
                Step::Send(payload) => drop(payload.bytes()?),
                Step::Expect {
                    expect: Expect::Regex(re),
                    ..
                } => {
                    regex_lite::Regex::new(re)
                        .map_err(|e| format!("Bad regular expression {re}: {e}"))?;
                }
                Step::Expect {
                    expect: Expect::Bytes(hex),
                    ..
                } => drop(compose::hex(hex)?),
                Step::Expect { .. } => {}
            }
        }
        if self.target.trim().is_empty() {
            return Err(
                "The conversation names no target (\"target\": \"localhost:6379\").".to_owned(),
            );
        }
        Ok(())
    }
}

/// How one step went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Sent,
    Passed,
    /// What arrived instead, control bytes visible.
    Failed {
        received: String,
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub step: usize,
    /// Since the step began.
    pub elapsed_ms: u64,
    pub verdict: Verdict,
}

/// What the runner should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Send(Vec<u8>),
    /// Look again at this time (ms, the caller's clock) unless bytes arrive first.
    WaitUntil(u64),
    Done,
}

/// A conversation being replayed.
#[derive(Debug)]
pub struct Run {
    steps: Vec<Step>,
    at: usize,
    step_started: u64,
    /// What arrived since the last step that passed or sent.
    buffer: Vec<u8>,
    ended: Option<String>,
    pub outcomes: Vec<Outcome>,
}

impl Run {
    pub fn new(conversation: &Conversation, now_ms: u64) -> Self {
        Self {
            steps: conversation.steps.clone(),
            at: 0,
            step_started: now_ms,
            buffer: Vec::new(),
            ended: None,
            outcomes: Vec::new(),
        }
    }

    pub fn received(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The connection ended: steps still waiting fail with `why`.
    pub fn ended(&mut self, why: &str) {
        self.ended = Some(why.to_owned());
    }

    pub fn is_done(&self) -> bool {
        self.at >= self.steps.len()
    }

    /// Judges what can be judged at `now_ms` and says what to do next.
    pub fn advance(&mut self, now_ms: u64) -> Next {
        while let Some(step) = self.steps.get(self.at).cloned() {
            let elapsed_ms = now_ms.saturating_sub(self.step_started);
            let verdict = match step {
                Step::Send(payload) => {
                    let bytes = payload.bytes().unwrap_or_default();
                    self.finish(Verdict::Sent, elapsed_ms, now_ms);
                    return Next::Send(bytes);
                }
                Step::Expect { expect, within_ms } => match matches(&expect, &self.buffer) {
                    true => Verdict::Passed,
                    false if self.ended.is_none() && elapsed_ms < within_ms => {
                        return Next::WaitUntil(self.step_started + within_ms);
                    }
                    false => Verdict::Failed {
                        received: visible(&self.buffer),
                        why: match &self.ended {
                            Some(why) => format!("the connection ended first: {why}"),
                            None => format!("nothing matched within {within_ms} ms"),
                        },
                    },
                },
            };
            self.finish(verdict, elapsed_ms, now_ms);
        }
        Next::Done
    }

    fn finish(&mut self, verdict: Verdict, elapsed_ms: u64, now_ms: u64) {
        if verdict != Verdict::Sent {
            self.buffer.clear();
        }
        self.outcomes.push(Outcome {
            step: self.at,
            elapsed_ms,
            verdict,
        });
        self.at += 1;
        self.step_started = now_ms;
    }
}

fn matches(expect: &Expect, buffer: &[u8]) -> bool {
    match expect {
        Expect::Text(text) => String::from_utf8_lossy(buffer).contains(text.as_str()),
        Expect::Regex(re) => {
            regex_lite::Regex::new(re).is_ok_and(|re| re.is_match(&String::from_utf8_lossy(buffer)))
        }
        Expect::Bytes(hex) => compose::hex(hex).is_ok_and(|needle| {
            needle.is_empty() || buffer.windows(needle.len()).any(|w| w == needle)
        }),
    }
}

/// The results so far: one row per step judged, with what was expected
/// and, for a failed one, what arrived instead.
pub fn results_view(run: &Run) -> Html {
    let failed = run
        .outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Failed { .. }))
        .count();
    let summary = match (run.is_done(), failed) {
        (false, _) => format!(
            "Running step {} of {}…",
            run.outcomes.len() + 1,
            run.steps.len()
        ),
        (true, 0) => format!("All {} steps passed.", run.steps.len()),
        (true, 1) => "1 step failed.".to_owned(),
        (true, n) => format!("{n} steps failed."),
    };
    el("div", "pd-talk-results-body")
        .attr("data-state", if run.is_done() { "done" } else { "running" })
        .attr("data-failed", failed.to_string())
        .child(el("p", "pd-talk-summary").text(summary))
        .child(
            el("ol", "pd-talk-outcomes").children(run.outcomes.iter().map(|o| {
                let (name, detail) = match &o.verdict {
                    Verdict::Sent => ("sent", None),
                    Verdict::Passed => ("passed", None),
                    Verdict::Failed { received, why } => (
                        "failed",
                        Some(
                            el("div", "pd-talk-mismatch")
                                .child(el("p", "pd-talk-why").text(why))
                                .child(el("p", "pd-label").text("Received:"))
                                .child(el("pre", "pd-talk-received").text(received)),
                        ),
                    ),
                };
                el("li", "pd-talk-outcome")
                    .attr("data-verdict", name)
                    .child(el("span", "pd-talk-step").text(describe(&run.steps[o.step])))
                    .child(
                        el("span", "pd-talk-verdict")
                            .text(format!(" — {name} after {} ms", o.elapsed_ms)),
                    )
                    .children(detail)
            })),
        )
}

/// A step in words, for the results.
pub fn describe(step: &Step) -> String {
    match step {
        Step::Send(Payload::Text(text)) => format!("send {}", visible(text.as_bytes())),
        Step::Send(Payload::Hex(hex)) => format!("send hex {hex}"),
        Step::Expect { expect, within_ms } => {
            let what = match expect {
                Expect::Text(text) => format!("text {text}"),
                Expect::Regex(re) => format!("regex {re}"),
                Expect::Bytes(hex) => format!("bytes {hex}"),
            };
            format!("expect {what} within {within_ms} ms")
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A conversation with a step of each kind, for the editor's tests too.
    pub fn redis() -> Conversation {
        Conversation {
            target: "127.0.0.1:6379".into(),
            steps: vec![
                Step::Send(Payload::Text("PING\r\n".into())),
                Step::Expect {
                    expect: Expect::Text("+PONG".into()),
                    within_ms: 1000,
                },
                Step::Send(Payload::Hex("4543484f2068690d0a".into())),
                Step::Expect {
                    expect: Expect::Regex(r"^\$2\r\nhi".into()),
                    within_ms: 1000,
                },
                Step::Expect {
                    expect: Expect::Bytes("ff".into()),
                    within_ms: 500,
                },
            ],
        }
    }

    #[test]
    fn a_run_sends_waits_and_judges_each_step() {
        let mut run = Run::new(&redis(), 0);
        assert_eq!(run.advance(0), Next::Send(b"PING\r\n".to_vec()));
        assert_eq!(run.advance(5), Next::WaitUntil(1000));
        run.received(b"+PO");
        assert_eq!(run.advance(6), Next::WaitUntil(1000));
        run.received(b"NG\r\n");
        assert_eq!(run.advance(7), Next::Send(b"ECHO hi\r\n".to_vec()));
        run.received(b"$2\r\nhi\r\n");
        assert_eq!(run.advance(9), Next::WaitUntil(9 + 500));
        assert_eq!(run.advance(600), Next::Done);
        let verdicts: Vec<_> = run.outcomes.iter().map(|o| &o.verdict).collect();
        assert_eq!(verdicts[1], &Verdict::Passed);
        assert_eq!(run.outcomes[1].elapsed_ms, 7);
        assert_eq!(verdicts[3], &Verdict::Passed);
        assert_eq!(
            verdicts[4],
            &Verdict::Failed {
                received: String::new(),
                why: "nothing matched within 500 ms".into()
            }
        );
        assert!(run.is_done());
    }

    #[test]
    fn an_ended_connection_fails_what_still_waits() {
        let mut run = Run::new(&redis(), 0);
        run.advance(0);
        run.received(b"-ERR\r\n");
        run.ended("The target reset the connection (RST).");
        assert_eq!(run.advance(1), Next::Send(b"ECHO hi\r\n".to_vec()));
        assert_eq!(
            run.outcomes[1].verdict,
            Verdict::Failed {
                received: "-ERR\\r\\n\n".into(),
                why: "the connection ended first: The target reset the connection (RST).".into()
            }
        );
    }

    #[test]
    fn a_session_saves_as_steps_and_round_trips_as_json() {
        let chunks = [
            Chunk {
                direction: Direction::Sent,
                at_ms: 0,
                bytes: b"PING\r\n".to_vec(),
            },
            Chunk {
                direction: Direction::Received,
                at_ms: 1,
                bytes: b"+PONG\r\n".to_vec(),
            },
            Chunk {
                direction: Direction::Received,
                at_ms: 2,
                bytes: b"more".to_vec(),
            },
            Chunk {
                direction: Direction::Sent,
                at_ms: 3,
                bytes: vec![0, 0xff],
            },
            Chunk {
                direction: Direction::Received,
                at_ms: 4,
                bytes: vec![0xfe],
            },
        ];
        let saved = Conversation::from_chunks("127.0.0.1:6379", &chunks);
        assert_eq!(
            saved.steps,
            [
                Step::Send(Payload::Text("PING\r\n".into())),
                Step::Expect {
                    expect: Expect::Text("+PONG".into()),
                    within_ms: WITHIN_MS
                },
                Step::Send(Payload::Hex("00ff".into())),
                Step::Expect {
                    expect: Expect::Bytes("fe".into()),
                    within_ms: WITHIN_MS
                },
            ]
        );
        let json = serde_json::to_string(&saved).unwrap();
        assert_eq!(Conversation::parse(&json), Ok(saved));
        assert!(
            Conversation::parse("{")
                .unwrap_err()
                .starts_with("This is not a conversation")
        );
        let bad = r#"{"target":"x:1","steps":[{"expect":{"expect":{"regex":"("},"within_ms":1}}]}"#;
        assert!(
            Conversation::parse(bad)
                .unwrap_err()
                .starts_with("Bad regular expression")
        );
        assert_eq!(
            describe(&redis().steps[1]),
            "expect text +PONG within 1000 ms"
        );
    }
}
