//! `text/event-stream` (Server-Sent Events), read incrementally.
//!
//! Both HTTP transports answer through it: Streamable HTTP may answer a POST
//! with a stream, and the legacy transport keeps one open for everything.
//! Bytes arrive in arbitrary chunks, so the parser keeps a partial line
//! between calls; a line or event above [`MAX_EVENT`] bytes is an error
//! rather than unbounded memory.
//!
//! Our own rather than a crate's: eventsource-stream and sse-stream buffer a
//! line or event without any limit, so a server's endless line is theirs to
//! grow until memory runs out.

/// Largest line, and largest event, we hold.
pub const MAX_EVENT: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field; `message` when absent, as the standard says.
    pub name: String,
    pub data: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an event-stream line or event is larger than {MAX_EVENT} bytes")]
pub struct TooLarge;

#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes of a line whose end has not arrived yet.
    pending: Vec<u8>,
    /// The last chunk ended in CR: an LF starting the next one is its other half.
    after_cr: bool,
    name: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Event>, TooLarge> {
        let bytes = match (self.after_cr, bytes.first()) {
            (true, Some(b'\n')) => &bytes[1..],
            _ => bytes,
        };
        if !bytes.is_empty() {
            self.after_cr = false;
        }
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(offset) = self.pending[start..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
        {
            let end = start + offset;
            let next = match (self.pending[end], self.pending.get(end + 1)) {
                (b'\r', Some(b'\n')) => end + 2,
                (b'\r', None) => {
                    self.after_cr = true;
                    end + 1
                }
                _ => end + 1,
            };
            let line = String::from_utf8_lossy(&self.pending[start..end]).into_owned();
            start = next;
            if let Some(event) = self.line(&line)? {
                events.push(event);
            }
        }
        self.pending.drain(..start);
        if self.pending.len() > MAX_EVENT {
            return Err(TooLarge);
        }
        Ok(events)
    }

    fn line(&mut self, line: &str) -> Result<Option<Event>, TooLarge> {
        if line.is_empty() {
            let name = self.name.take();
            return Ok(self.data.take().map(|data| Event {
                name: name.unwrap_or_else(|| "message".to_owned()),
                data,
            }));
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.name = Some(value.to_owned()),
            "data" => {
                // Several data lines make one value, joined by newlines.
                let data = match self.data.take() {
                    Some(mut data) => {
                        data.push('\n');
                        data.push_str(value);
                        data
                    }
                    None => value.to_owned(),
                };
                if data.len() > MAX_EVENT {
                    return Err(TooLarge);
                }
                self.data = Some(data);
            }
            // Comments (`: ping`), `id`, `retry`: nothing we need.
            _ => {}
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<Event> {
        let mut parser = Parser::default();
        chunks
            .iter()
            .flat_map(|c| parser.feed(c).unwrap())
            .collect()
    }

    fn event(name: &str, data: &str) -> Event {
        Event {
            name: name.into(),
            data: data.into(),
        }
    }

    #[test]
    fn reads_the_legacy_endpoint_event() {
        let events = all(&[b"event: endpoint\r\ndata: /messages/?session_id=ab\r\n\r\n"]);
        assert_eq!(events, [event("endpoint", "/messages/?session_id=ab")]);
    }

    #[test]
    fn events_split_anywhere_across_chunks() {
        let text = b"event: message\ndata: {\"a\":1}\n\n: ping\n\ndata: x\rdata: y\r\r";
        for cut in 0..text.len() {
            let events = all(&[&text[..cut], &text[cut..]]);
            assert_eq!(
                events,
                [event("message", "{\"a\":1}"), event("message", "x\ny")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_endless_line_is_an_error() {
        let mut parser = Parser::default();
        let chunk = vec![b'a'; MAX_EVENT / 4];
        let result = (0..5).try_for_each(|_| parser.feed(&chunk).map(drop));
        assert_eq!(result, Err(TooLarge));
    }
}
