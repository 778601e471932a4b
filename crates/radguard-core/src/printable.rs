//! Text made safe to show on a terminal.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt::Write as _;

/// `true` for characters that can change how a terminal shows text around
/// them rather than show themselves: C0 and C1 control characters
/// (escape sequences, carriage return, backspace, newline), DEL, the
/// Unicode bidirectional controls (which reorder what follows, "Trojan
/// Source"), line and paragraph separators, zero-width characters and the
/// byte order mark.
#[must_use]
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` with every character [`is_unsafe_char`] replaces by a visible
/// escape (`\n`, `\t`, `\r`, `\u{1b}`, `\u{202e}`, ...), so that text
/// from untrusted sources — file names, certificate fields, error
/// messages quoting either — cannot erase, overwrite, reorder or forge
/// lines on a terminal. Backslashes are kept as they are. Borrowed when
/// nothing needs escaping.
///
/// # Examples
///
/// ```
/// use radguard_core::printable;
///
/// assert_eq!(printable("study/IM0001.dcm"), "study/IM0001.dcm");
/// assert_eq!(printable("a\u{1b}[2Kb"), "a\\u{1b}[2Kb");
/// assert_eq!(printable("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
/// assert_eq!(printable("two\nlines"), "two\\nlines");
/// ```
#[must_use]
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_unsafe_survives() {
        for c in [
            '\u{0}', '\u{7}', '\u{8}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{200e}',
            '\u{202a}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{feff}', '\u{61c}',
        ] {
            let s = alloc::format!("x{c}y");
            let p = printable(&s);
            assert!(!p.chars().any(is_unsafe_char), "{c:?} -> {p:?}");
            assert!(p.starts_with('x') && p.ends_with('y'));
        }
        // Ordinary text, accents and CJK included, is untouched.
        assert!(matches!(printable("Müller^李 /tmp/ä b"), Cow::Borrowed(_)));
    }
}
