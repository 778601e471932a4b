//! Identifying shapes removed from every cleaned text, whoever they belong
//! to: e-mail addresses, dates in common written forms, phone-, SSN- and
//! MRN-shaped numbers, long numbers and UIDs.
//!
//! The expressions run on the folded text (lower case, ASCII digits), are
//! compiled once per process and run in time linear in the text (the
//! `regex` crate never backtracks). Boundaries are ASCII word boundaries,
//! so a date or number glued to CJK text (`1960年`, `19600102様`) is found.

use std::sync::LazyLock;

use regex::Regex;

/// Month names and abbreviations: English, German, French, Spanish
/// (folded: no accents).
const MONTHS: &str = concat!(
    "(?:jan(?:uary|uar)?|feb(?:ruary|ruar)?|mar(?:ch|z)?|apr(?:il)?|may|june?|july?",
    "|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|okt(?:ober)?|nov(?:ember)?|de[cz](?:ember)?",
    "|mai|juni|juli|janvier|fevrier|mars|avril|juin|juillet|aout|septembre|octobre|novembre",
    "|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre",
    "|octubre|noviembre|diciembre)",
);

fn compile(pattern: &str) -> Regex {
    // The patterns are constants tested below; a failure is a bug in this
    // file, caught by any test run.
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("static regex: {e}"))
}

/// Dates: numeric (ISO, DICOM, day/month/year either way, dotted), with
/// month names (`02-jan-1960`, `jan 2, 1960`, `january 2nd 1960`,
/// `2 january 1960`, `2. januar 1960`, `2 de enero de 1960`), and CJK
/// (`1960年1月2日`, `1960년 1월 2일`, `昭和35年1月2日`).
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    let b = r"(?-u:\b)";
    let year = "(?:1[89]|20)[0-9]{2}";
    let day = "(?:0?[1-9]|[12][0-9]|3[01])";
    let ord = "(?:st|nd|rd|th|er)?";
    let of = r"(?:[\s./,-]+|\s+of\s+|\s+de\s+)";
    compile(&[
        // 19600102, 1960-01-02, 1960/1/2, 1960.01.02, 1960. 1. 2.
        format!(r"{b}{year}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]){b}"),
        format!(r"{b}{year}[-./]\s?(?:0?[1-9]|1[0-2])[-./]\s?{day}{b}"),
        // 02/01/1960, 01/02/1960, 2.1.1960, 02-01-60
        format!(r"{b}[0-9]{{1,2}}[-./][0-9]{{1,2}}[-./](?:[0-9]{{4}}|[0-9]{{2}}){b}"),
        // 02-jan-1960, 2 january 1960, 2nd of january, 1960, 2. januar 1960, 02-jan-60
        format!(r"{b}{day}{ord}\.?{of}{MONTHS}\.?{of}(?:{year}|'?[0-9]{{2}}){b}"),
        // jan 2, 1960; january 2nd 1960; sept. 2nd, 1960
        format!(r"{b}{MONTHS}\.?[\s-]+{day}{ord},?[\s-]+{year}{b}"),
        // 1960年1月2日, 1960년 1월 2일, 昭和35年1月2日
        format!(r"{b}{year}\s*年\s*[0-9]{{1,2}}\s*月\s*[0-9]{{1,2}}\s*日?"),
        format!(r"{b}{year}\s*년\s*[0-9]{{1,2}}\s*월\s*[0-9]{{1,2}}\s*일?"),
        r"(?:明治|大正|昭和|平成|令和)\s*(?:元|[0-9]{1,2})\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日?"
            .to_owned(),
    ]
    .join("|"))
});

/// Phone numbers: international (`+1 (555) 123-4567`, `0049 30 1234567`;
/// at least 7 digits, checked after matching), North American
/// (`(555) 123-4567`, `555-123-4567`, `555.123.4567`).
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?:\+|(?-u:\b)00)[1-9][0-9]{0,2}(?:[\s.-]?\(?[0-9]{1,5}\)?){1,6}(?-u:\b)",
        r"|(?:(?-u:\b)1[\s.-]?)?\(\s?[0-9]{3}\s?\)[\s.-]?[0-9]{3}[\s.-]?[0-9]{4}(?-u:\b)",
        r"|(?-u:\b)[0-9]{3}[.-][0-9]{3}[.-][0-9]{4}(?-u:\b)",
    ))
});

/// Social security numbers: `123-45-6789`, `123 45 6789`.
static SSN: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?-u:\b)(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4})(?-u:\b)")
});

/// Record numbers: one word of letters and a run of at least 6 digits
/// (`mrn998877`, `a1234567b`), whole. (Digits after a separator, as in
/// `MRN: 998877`, are a long number: the label stays.)
static MRN: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?-u:\b)[a-z]{1,10}[0-9]{6,}[a-z0-9]*(?-u:\b)",
        r"|(?-u:\b)[0-9]{6,}[a-z][a-z0-9]*(?-u:\b)",
    ))
});

/// Long numbers (IDs, phone numbers) and UIDs.
static LONG_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\d{5,}|(?-u:\b)\d+(?:\.\d+){3,}(?-u:\b)"));

/// E-mail addresses.
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"));

/// Calls `found(start, end)` for every identifying shape in the folded
/// text `folded` (ranges may overlap).
pub(super) fn find(folded: &str, found: &mut impl FnMut(usize, usize)) {
    for re in [&*EMAIL, &*DATE, &*SSN, &*MRN, &*LONG_NUMBER] {
        for m in re.find_iter(folded) {
            found(m.start(), m.end());
        }
    }
    for m in PHONE.find_iter(folded) {
        let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
        if (7..=15).contains(&digits) {
            found(m.start(), m.end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find(s, &mut |a, b| out.push(&s[a..b]));
        out
    }

    /// `s` with every byte some shape covers replaced by `#`.
    fn mask(s: &str) -> String {
        let mut covered = vec![false; s.len()];
        find(s, &mut |a, b| {
            covered[a..b].iter_mut().for_each(|c| *c = true)
        });
        let mut out = String::new();
        for (i, c) in s.char_indices() {
            if covered[i] {
                out.push('#');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn dates_in_every_written_form() {
        for d in [
            "1960-01-02",
            "19600102",
            "02/01/1960",
            "01/02/1960",
            "1960/01/02",
            "1960/1/2",
            "2.1.1960",
            "02-jan-1960",
            "2-jan-1960",
            "02 jan 60",
            "jan 2, 1960",
            "jan. 2, 1960",
            "january 2nd 1960",
            "january 2nd, 1960",
            "2 january 1960",
            "2nd of january, 1960",
            "2. januar 1960",
            "2 de enero de 1960",
            "2 fevrier 1960",
            "1960年1月2日",
            "1960 年 01 月 02 日",
            "1960년 1월 2일",
            "1960. 1. 2",
            "昭和35年1月2日",
        ] {
            let masked = mask(&format!("seen {d} here"));
            assert_eq!(
                masked,
                format!("seen {} here", "#".repeat(d.chars().count())),
                "{d}"
            );
        }
    }

    #[test]
    fn numbers_by_shape() {
        for (s, want) in [
            ("call +1 (555) 123-4567 now", "+1 (555) 123-4567"),
            ("call (555) 123-4567 now", "(555) 123-4567"),
            ("call 555-123-4567 now", "555-123-4567"),
            ("call 0049 30 1234567 now", "0049 30 1234567"),
            ("ssn 123-45-6789 ok", "123-45-6789"),
            ("id mrn9988776 ok", "mrn9988776"),
            ("jd@example.org", "jd@example.org"),
            ("uid 1.2.840.10008.1 x", "1.2.840.10008.1"),
        ] {
            let h = hits(s);
            assert!(h.contains(&want), "{s}: {h:?}");
        }
    }

    #[test]
    fn ordinary_text_is_not_a_shape() {
        for s in [
            "t1 mprage sag 1.5 mm",
            "ax 5mm",
            "wl 40 ww 400",
            "+2 3 mm",
            "ct head 120 kv",
            "may be normal",
            "series 2 of 3",
            "version 3.2",
            "march",
        ] {
            assert!(hits(s).is_empty(), "{s}: {:?}", hits(s));
        }
    }
}
