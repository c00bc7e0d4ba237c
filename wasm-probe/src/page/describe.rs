//! Sentences about the report's values that the report view and its
//! copies (Markdown) share, so both say the same.

use protocol::{Forward, McpReport};

use crate::text::ms;

pub fn server_name(mcp: &McpReport) -> String {
    match &mcp.server {
        Some(server) => format!("{} {}", server.name, server.version),
        None => "(no name given)".to_owned(),
    }
}

/// `demo 1.2 over Streamable HTTP, protocol 2025-06-18, 3 tools`.
pub fn mcp_text(mcp: &McpReport) -> String {
    let mut parts = vec![format!(
        "{} over {}",
        server_name(mcp),
        mcp.transport.label()
    )];
    if let Some(version) = &mcp.protocol_version {
        parts.push(format!("protocol {version}"));
    }
    if let Some(tools) = mcp.tools {
        parts.push(format!("{tools} tools"));
    }
    parts.join(", ")
}

/// `docker-proxy (pid 812) forwards to 172.17.0.2:80: refused in 0.1 ms`;
/// the far end is reached from `from` when that is another machine.
pub fn forward_text(forward: &Forward) -> String {
    let mut text = format!(
        "{} (pid {}) forwards to {}",
        forward.forwarder, forward.pid, forward.destination
    );
    if let Some(from) = &forward.from {
        text.push_str(&format!(", reached from {from}"));
    }
    match (&forward.far_end, &forward.note) {
        (Some(far), _) => {
            text.push_str(&format!(
                ": {} in {}",
                far.outcome.label(),
                ms(far.elapsed_us)
            ));
        }
        (None, Some(note)) => text.push_str(&format!(": {note}")),
        (None, None) => {}
    }
    text
}

/// The most of a target the page shows; the input box keeps all of it.
pub const TARGET_CHARS: usize = 64;
/// The most of any one line (a summary, a piece of evidence) the page shows.
pub const LINE_CHARS: usize = 240;

/// `text` cut to at most `max` characters, an ellipsis saying it was: a
/// 5,000-character target must not push the findings off the screen.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let cut = text.char_indices().nth(max - 1).map_or(0, |(i, _)| i);
            format!("{}…", &text[..cut])
        }
    }
}

/// `line` (a finding's summary or evidence) without a target too long to
/// show twice: the verdict shows it once, cut; here it is named instead,
/// quoted (as the helper's evidence quotes it) or bare.
pub fn once(line: &str, target: &str) -> String {
    let chars = target.chars().count();
    if chars <= TARGET_CHARS {
        return line.to_owned();
    }
    let named = format!("the target above ({chars} characters)");
    line.replace(&format!("{target:?}"), &named)
        .replace(target, &named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_target_is_named_not_repeated() {
        let long = "a\"b".repeat(2000);
        assert_eq!(
            once(&format!("input: {long:?}"), &long),
            "input: the target above (6000 characters)"
        );
        assert_eq!(
            once(&format!("{long} is odd"), &long),
            "the target above (6000 characters) is odd"
        );
        assert_eq!(once("input: \"8080\"", "8080"), "input: \"8080\"");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(shorten("localhost:8080", 64), "localhost:8080");
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdefg", 6), "abcde…");
        assert_eq!(shorten("ééééééé", 6).chars().count(), 6);
        assert_eq!(
            shorten(&"a".repeat(5000), TARGET_CHARS).chars().count(),
            TARGET_CHARS
        );
    }
}
