//! Small formatting both components share.

use serde::Serialize;

/// Microseconds as milliseconds with two decimals, rounded half up, using
/// integers only (float formatting would add weight to the module).
pub fn ms(us: u64) -> String {
    let hundredths = us.saturating_add(5) / 10;
    format!("{}.{:02} ms", hundredths / 100, hundredths % 100)
}

/// A protocol enum as it is spelled on the wire (`not-allowed`,
/// `listening-other-family`): the `data-*` values tests and style sheets match.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    // Through the string serializer the page already needs, not `to_value`:
    // a second serializer would weigh on the module.
    serde_json::to_string(value)
        .map(|text| text.trim_matches('"').to_owned())
        .unwrap_or_default()
}
