//! Small formatting both components share.

/// Microseconds as milliseconds with two decimals, rounded half up, using
/// integers only (float formatting would add weight to the module).
pub fn ms(us: u64) -> String {
    let hundredths = us.saturating_add(5) / 10;
    format!("{}.{:02} ms", hundredths / 100, hundredths % 100)
}

/// A protocol enum as it is spelled on the wire (`not-allowed`,
/// `listening-other-family`): the `data-*` values tests and style sheets match.
pub fn wire_name<T: Copy + Into<&'static str>>(value: &T) -> &'static str {
    (*value).into()
}

/// A finding's text split at its backticks: `(true, command)` for each
/// `command`, `(false, prose)` around them, empty pieces left out.
pub fn pieces(text: &str) -> impl Iterator<Item = (bool, &str)> {
    text.split('`')
        .enumerate()
        .map(|(i, piece)| (i % 2 == 1, piece))
        .filter(|(_, piece)| !piece.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_pieces_between_backticks() {
        let split: Vec<_> = pieces("Run `npm start` or `yarn dev`.").collect();
        assert_eq!(
            split,
            [
                (false, "Run "),
                (true, "npm start"),
                (false, " or "),
                (true, "yarn dev"),
                (false, ".")
            ]
        );
    }

    #[test]
    fn elapsed_is_milliseconds_with_two_decimals() {
        assert_eq!(ms(0), "0.00 ms");
        assert_eq!(ms(57), "0.06 ms");
        assert_eq!(ms(1234), "1.23 ms");
        assert_eq!(ms(1235), "1.24 ms");
        assert_eq!(ms(2_000_000), "2000.00 ms");
        assert!(ms(u64::MAX).ends_with(" ms"));
    }
}
