//! What went each way on a console's connection: chunks with their
//! direction and time, shown as text (control bytes made visible) or as
//! hex and ASCII, bounded on screen however much arrives, with the whole
//! capture kept (up to a cap) for a download.

use crate::node::el;
use crate::page::views::Html;

/// Which way a chunk went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Received => "received",
        }
    }

    fn arrow(self) -> &'static str {
        match self {
            Self::Sent => "→",
            Self::Received => "←",
        }
    }
}

/// How the transcript shows bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Text,
    Hex,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Hex => "hex",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub direction: Direction,
    /// Milliseconds since the connection opened.
    pub at_ms: u64,
    pub bytes: Vec<u8>,
}

/// Most bytes shown on screen, newest last: a 10 MB answer must not freeze
/// the page. Hex takes far more elements per byte than text.
const SHOWN_TEXT: usize = 16 * 1024;
const SHOWN_HEX: usize = 2 * 1024;
/// Most bytes kept for the download, both ways together.
pub const CAPTURE: usize = 32 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Transcript {
    chunks: Vec<Chunk>,
    /// Bytes kept in `chunks`.
    kept: usize,
    /// Bytes that arrived after the capture was full.
    dropped: u64,
}

impl Transcript {
    pub fn push(&mut self, direction: Direction, at_ms: u64, bytes: &[u8]) {
        let room = CAPTURE - self.kept;
        let take = bytes.len().min(room);
        self.dropped += (bytes.len() - take) as u64;
        if take > 0 {
            self.kept += take;
            self.chunks.push(Chunk {
                direction,
                at_ms,
                bytes: bytes[..take].to_vec(),
            });
        }
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// Everything received, in order: the download.
    pub fn received(&self) -> Vec<u8> {
        self.chunks
            .iter()
            .filter(|c| c.direction == Direction::Received)
            .flat_map(|c| c.bytes.iter().copied())
            .collect()
    }

    /// The newest chunks that fit on screen (the oldest of them cut at its
    /// start), and how many bytes are left out before them.
    fn shown(&self, budget: usize) -> (u64, Vec<(&Chunk, &[u8])>) {
        let mut left = budget;
        let mut shown = Vec::new();
        let mut hidden = self.dropped;
        for chunk in self.chunks.iter().rev() {
            if left == 0 {
                hidden += chunk.bytes.len() as u64;
                continue;
            }
            let take = chunk.bytes.len().min(left);
            left -= take;
            hidden += (chunk.bytes.len() - take) as u64;
            shown.push((chunk, &chunk.bytes[chunk.bytes.len() - take..]));
        }
        shown.reverse();
        (hidden, shown)
    }

    pub fn view(&self, mode: Mode) -> Html {
        let budget = match mode {
            Mode::Text => SHOWN_TEXT,
            Mode::Hex => SHOWN_HEX,
        };
        let (hidden, shown) = self.shown(budget);
        el("ol", "pd-transcript")
            .attr("data-mode", mode.name())
            .children((hidden > 0).then(|| {
                el("li", "pd-note pd-transcript-hidden").text(format!(
                    "{hidden} earlier bytes are not shown; download the capture for all of them."
                ))
            }))
            .children(shown.into_iter().map(|(chunk, bytes)| {
                let body = match mode {
                    Mode::Text => el("pre", "pd-chunk-text").text(visible(bytes)),
                    Mode::Hex => hex_view(bytes),
                };
                el("li", "pd-chunk")
                    .attr("data-direction", chunk.direction.name())
                    .child(el("span", "pd-chunk-head").text(format!(
                        "{} {} {} bytes at {}",
                        chunk.direction.arrow(),
                        chunk.direction.name(),
                        chunk.bytes.len(),
                        seconds(chunk.at_ms)
                    )))
                    .child(body)
            }))
    }

    /// The transcript for a bug report: each chunk as a fenced block of its
    /// text (control bytes visible), with its direction and time.
    pub fn markdown(&self, target: &str, ending: Option<&str>) -> String {
        let (hidden, shown) = self.shown(SHOWN_TEXT);
        let mut md = format!("### portdoctor console: `{target}`\n\n");
        if hidden > 0 {
            md.push_str(&format!("({hidden} earlier bytes left out)\n\n"));
        }
        for (chunk, bytes) in shown {
            md.push_str(&format!(
                "**{} {}** at {} ({} bytes)\n\n```\n{}\n```\n\n",
                chunk.direction.arrow(),
                chunk.direction.name(),
                seconds(chunk.at_ms),
                chunk.bytes.len(),
                visible(bytes).replace("```", "`\u{200b}``")
            ));
        }
        if let Some(ending) = ending {
            md.push_str(&format!("Ended: {ending}\n"));
        }
        md
    }
}

/// `1.234 s`.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// Bytes as text with control bytes made visible as the escapes
/// programmers know (`\r\n`, then a real line break after `\n`; `\t`,
/// `\0`, other control bytes and bytes that are not UTF-8 as `\xNN`; a
/// backslash as `\\`). Plain escapes rather than Unicode control pictures:
/// those are missing from many fonts.
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for piece in bytes.utf8_chunks() {
        for c in piece.valid().chars() {
            match c {
                '\n' => out.push_str("\\n\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                '\\' => out.push_str("\\\\"),
                '\u{1}'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push(c),
            }
        }
        for byte in piece.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// Sixteen bytes a row: offset, hex, and the printable ASCII.
fn hex_view(bytes: &[u8]) -> Html {
    el("pre", "pd-chunk-hex").children(bytes.chunks(16).enumerate().map(|(row, line)| {
        let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = line
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        el("span", "pd-hex-row")
            .child(el("span", "pd-hex-offset").text(format!("{:08x}  ", row * 16)))
            .child(el("span", "pd-hex-bytes").text(format!("{:<48}", hex.join(" "))))
            .child(el("span", "pd-hex-ascii").text(format!(" |{ascii}|\n")))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_visible() {
        assert_eq!(visible(b"+PONG\r\n"), "+PONG\\r\\n\n");
        assert_eq!(visible(b"a\tb\x00\x1b\x7f\\"), "a\\tb\\0\\x1b\\x7f\\\\");
        assert_eq!(visible(&[0x66, 0xff, 0x6f]), "f\\xffo");
        assert_eq!(visible("é".as_bytes()), "é");
    }

    #[test]
    fn hex_rows_hold_sixteen_bytes_and_their_ascii() {
        let all: Vec<u8> = (0..=255).collect();
        let mut transcript = Transcript::default();
        transcript.push(Direction::Received, 12, &all);
        let view = transcript.view(Mode::Hex);
        let rows = view.find_all("pd-hex-row");
        assert_eq!(rows.len(), 16);
        assert_eq!(
            rows[4].text_content(),
            "00000040  40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f  |@ABCDEFGHIJKLMNO|\n"
        );
        let bytes: String = view
            .find_all("pd-hex-bytes")
            .iter()
            .map(|b| b.text_content())
            .collect::<Vec<_>>()
            .join(" ");
        let back: Vec<u8> = bytes
            .split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        assert_eq!(back, all);
        assert_eq!(
            view.find("pd-chunk").get("data-direction"),
            Some("received")
        );
    }

    #[test]
    fn a_big_answer_is_bounded_on_screen_and_kept_for_the_download() {
        let mut transcript = Transcript::default();
        transcript.push(Direction::Sent, 0, b"GET / HTTP/1.1\r\n\r\n");
        for i in 0..160 {
            transcript.push(Direction::Received, i, &[b'x'; 64 * 1024]);
        }
        assert_eq!(transcript.received().len(), 160 * 64 * 1024);
        let view = transcript.view(Mode::Text);
        let shown: usize = view
            .find_all("pd-chunk-text")
            .iter()
            .map(|t| t.text_content().len())
            .sum();
        assert_eq!(shown, SHOWN_TEXT);
        let hidden = view.find("pd-transcript-hidden").text_content();
        let expected = 18 + 160 * 64 * 1024 - SHOWN_TEXT;
        assert!(
            hidden.starts_with(&format!("{expected} earlier bytes")),
            "{hidden}"
        );
        assert!(transcript.markdown("t", None).len() < SHOWN_TEXT + 1024);
    }

    #[test]
    fn the_capture_stops_at_its_cap() {
        let mut transcript = Transcript::default();
        transcript.push(Direction::Received, 0, &vec![0; CAPTURE - 1]);
        transcript.push(Direction::Received, 1, &[1, 2, 3]);
        assert_eq!(transcript.received().len(), CAPTURE);
        let hidden = transcript.view(Mode::Text);
        assert!(
            hidden
                .find("pd-transcript-hidden")
                .text_content()
                .starts_with(&format!("{} earlier", CAPTURE - SHOWN_TEXT + 2))
        );
    }

    #[test]
    fn markdown_has_direction_time_and_the_ending() {
        let mut transcript = Transcript::default();
        transcript.push(Direction::Sent, 2, b"PING\r\n");
        transcript.push(Direction::Received, 3, b"+PONG\r\n");
        let md = transcript.markdown("127.0.0.1:6379", Some("The target closed the connection."));
        assert_eq!(
            md,
            "### portdoctor console: `127.0.0.1:6379`\n\n\
             **→ sent** at 0.002 s (6 bytes)\n\n```\nPING\\r\\n\n\n```\n\n\
             **← received** at 0.003 s (7 bytes)\n\n```\n+PONG\\r\\n\n\n```\n\n\
             Ended: The target closed the connection.\n"
        );
    }
}
