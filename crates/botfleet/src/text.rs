//! The one rule for control characters in text a request carries: every name and text field is
//! checked here, so a NUL or an escape sequence is refused the same way everywhere (SQLite would
//! store it, PostgreSQL refuses a NUL, and a terminal or log viewer would act on an escape).
//!
//! A single-line field (a name, a reason, a search) holds no control character at all. A
//! multi-line field (a product description, a message sent to Discord) may also hold a line feed,
//! a carriage return and a tab — nothing else below U+0020 or in U+007F–U+009F.

use crate::error::FieldError;

/// Which control characters a field may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Names, reasons, searches: no control characters.
    Single,
    /// Descriptions and message content: line feed, carriage return and tab allowed.
    Multi,
}

impl Lines {
    fn allows(self, c: char) -> bool {
        !c.is_control() || (self == Self::Multi && matches!(c, '\n' | '\r' | '\t'))
    }

    fn message(self) -> &'static str {
        match self {
            Self::Single => "must not contain control characters (such as NUL, tab or a line break)",
            Self::Multi => "must not contain control characters other than line breaks and tabs (such as NUL)",
        }
    }
}

/// The field error for `text` in `field`, or `None` when it holds only characters `lines` allows.
pub fn check(field: &str, text: &str, lines: Lines) -> Option<FieldError> {
    (!text.chars().all(|c| lines.allows(c))).then(|| FieldError::new(field, lines.message()))
}

/// Like [`check`], pushing the error onto `errors`; whether `text` passed.
pub fn push(errors: &mut Vec<FieldError>, field: &str, text: &str, lines: Lines) -> bool {
    match check(field, text, lines) {
        Some(e) => {
            errors.push(e);
            false
        }
        None => true,
    }
}

/// [`check`] as a result: a one-field validation error.
pub fn require(field: &str, text: &str, lines: Lines) -> crate::error::Result<()> {
    match check(field, text, lines) {
        Some(e) => Err(crate::error::Error::Validation(vec![e])),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_text_refuses_every_control_character() {
        for bad in ["a\0b", "tab\there", "line\nbreak", "cr\r", "esc\u{1b}[31m", "del\u{7f}", "c1\u{85}"] {
            assert!(check("name", bad, Lines::Single).is_some(), "{bad:?}");
        }
        assert_eq!(check("name", "Shop bot — ünïcode ✓", Lines::Single), None);
    }

    #[test]
    fn multi_line_text_allows_line_breaks_and_tabs_only() {
        assert_eq!(check("content", "one\r\ntwo\tthree\n", Lines::Multi), None);
        for bad in ["a\0b", "esc\u{1b}", "bell\u{7}", "c1\u{9b}"] {
            let e = check("content", bad, Lines::Multi).expect("refused");
            assert_eq!(e.field, "content");
        }
    }
}
