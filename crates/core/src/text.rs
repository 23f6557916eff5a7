//! Text that comes in from people and files: free text may hold tab and newline, never other
//! control characters (NUL, the escape that starts a terminal sequence, the C1 controls), and
//! anything echoed back in a message is made printable and short.

use std::borrow::Cow;

/// Windows (`\r\n`) and old Mac (`\r`) line ends as `\n`, as a browser's text area or Excel
/// sends them.
pub fn normalise_newlines(s: &str) -> Cow<'_, str> {
    if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The first character free text may not hold: a control character other than tab and
/// newline (carriage returns are expected to have been normalised).
pub fn forbidden_control(s: &str) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() && *c != '\t' && *c != '\n')
}

/// Free text checked: line ends normalised, then refused if it holds another control
/// character.
///
/// # Errors
/// A message naming the character, e.g. "contains the control character U+001B; only tab and
/// newline may appear in text".
pub fn checked(s: &str) -> Result<Cow<'_, str>, String> {
    let s = normalise_newlines(s);
    match forbidden_control(&s) {
        Some(c) => Err(control_message(c)),
        None => Ok(s),
    }
}

/// The message for a refused control character.
pub fn control_message(c: char) -> String {
    format!(
        "contains the control character U+{:04X}; only tab and newline may appear in text",
        u32::from(c)
    )
}

/// Text as it may be echoed in a message or a log line: control characters shown as `\u{..}`
/// escapes, and cut to `max` characters with an ellipsis.
pub fn printable(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max && !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A whole number with thousands separated by commas: 12345 -> "12,345", -1000 -> "-1,000".
pub fn thousands(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The text with its first letter upper case: "suspected suicide" -> "Suspected suicide".
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_and_newline_pass_other_controls_do_not() {
        assert_eq!(checked("a\tb\r\nc\rd").unwrap(), "a\tb\nc\nd");
        for bad in ["\u{0}", "x\u{1b}[31m", "\u{7f}", "\u{85}", "\u{9b}"] {
            let e = checked(bad).unwrap_err();
            assert!(e.contains("U+00"), "{e}");
        }
        assert_eq!(checked("Zoë's café — ok").unwrap(), "Zoë's café — ok");
    }

    #[test]
    fn printable_escapes_and_cuts() {
        assert_eq!(printable("plain", 10), "plain");
        assert_eq!(printable("a\u{1b}b", 10), "a\\u{1b}b");
        assert_eq!(printable(&"\u{0}".repeat(1_000), 3), "\\u{0}\\u{0}\\u{0}…");
        assert_eq!(printable("abcdef", 3), "abc…");
    }

    #[test]
    fn thousands_are_separated_and_words_capitalised() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999_u64), "999");
        assert_eq!(thousands(1_000_u64), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(capitalise("suspected suicide"), "Suspected suicide");
        assert_eq!(capitalise(""), "");
    }
}
