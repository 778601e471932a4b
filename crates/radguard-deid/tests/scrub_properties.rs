//! Property tests of the free-text scrubber: names in Latin, Cyrillic,
//! Greek, CJK, kana, Hangul and Thai, the patient's dates and IDs, in
//! several spellings (case, full-width forms, glued or spaced components,
//! written date forms), embedded in random surrounding text. None survives
//! cleaning, and every surrounding word that shares no character with them
//! does.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use radguard_deid::fuzzing::{REMOVED, Scrubber};

#[derive(Debug, Clone, Copy)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    Cjk,
    Kana,
    Hangul,
    Thai,
}

impl Script {
    /// Scripts that separate words with spaces: names match whole words.
    fn spaced(self) -> bool {
        matches!(self, Self::Latin | Self::Cyrillic | Self::Greek)
    }
}

fn script() -> impl Strategy<Value = Script> {
    prop_oneof![
        Just(Script::Latin),
        Just(Script::Cyrillic),
        Just(Script::Greek),
        Just(Script::Cjk),
        Just(Script::Kana),
        Just(Script::Hangul),
        Just(Script::Thai),
    ]
}

fn chars(
    range: std::ops::RangeInclusive<char>,
    len: std::ops::RangeInclusive<usize>,
) -> BoxedStrategy<String> {
    proptest::collection::vec(proptest::char::range(*range.start(), *range.end()), len)
        .prop_map(|v| v.into_iter().collect())
        .boxed()
}

/// A capitalized name component in `s`.
fn component(s: Script) -> BoxedStrategy<String> {
    let cap = |w: String| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    };
    match s {
        Script::Latin => chars('a'..='z', 2..=8).prop_map(cap).boxed(),
        Script::Cyrillic => chars('а'..='я', 2..=8).prop_map(cap).boxed(),
        Script::Greek => chars('α'..='ω', 2..=8).prop_map(cap).boxed(),
        Script::Cjk => chars('\u{4E00}'..='\u{9FA5}', 1..=3),
        Script::Kana => chars('\u{3041}'..='\u{3093}', 2..=5),
        Script::Hangul => chars('\u{AC00}'..='\u{D7A3}', 1..=3),
        Script::Thai => chars('\u{0E01}'..='\u{0E2E}', 2..=6),
    }
}

/// A surrounding word: lower-case consonants (no month name, no ordinal can
/// be made of them with a date), CJK or Hangul.
fn filler() -> BoxedStrategy<String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(b"bcfghjklmpqvwxz".to_vec()), 1..=6)
            .prop_map(|v| v.into_iter().map(char::from).collect::<String>()),
        chars('\u{4E00}'..='\u{9FA5}', 1..=3)
            .prop_filter("date characters", |w| !w.contains(['年', '月', '日', '元'])),
        chars('\u{AC00}'..='\u{D7A3}', 1..=2),
    ]
    .boxed()
}

/// `true` for a letter of a spaced script (as the scrubber sees it).
fn spaced_char(c: char) -> bool {
    c.is_alphanumeric()
        && (c.is_ascii()
            || ('\u{0370}'..='\u{052F}').contains(&c)
            || ('\u{FF10}'..='\u{FF5A}').contains(&c))
}

/// Joins pieces with the given separators, never gluing two letters of a
/// spaced script (that would make one word, which is not the name).
fn join(pieces: &[String], seps: &[&str]) -> String {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            let mut sep = seps[i % seps.len()];
            let glued = out.chars().next_back().is_some_and(spaced_char)
                && p.chars().next().is_some_and(spaced_char);
            if sep.is_empty() && glued {
                sep = " ";
            }
            out.push_str(sep);
        }
        out.push_str(p);
    }
    out
}

fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() {
                char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// `text` without the removal markers, lower-cased.
fn remains(text: &str) -> String {
    text.replace(REMOVED, "\u{1}").to_lowercase()
}

fn shares_chars(a: &str, b: &str) -> bool {
    let a = a.to_lowercase();
    b.to_lowercase().chars().any(|c| a.contains(c))
}

const SEPS: [&str; 6] = ["", " ", ", ", "/", " (", ") "];

/// A name: its script, family and given components.
fn name() -> impl Strategy<Value = (Script, String, String)> {
    script().prop_flat_map(|s| (Just(s), component(s), component(s)))
}

fn seps() -> impl Strategy<Value = Vec<&'static str>> {
    proptest::collection::vec(proptest::sample::select(SEPS.to_vec()), 1..6)
}

/// Places `written` among `fillers`, every third piece.
fn embed(fillers: &[String], written: Vec<String>, seps: &[&str]) -> String {
    let mut pieces = fillers.to_vec();
    for (i, w) in written.into_iter().enumerate() {
        pieces.insert((i * 3 + 1).min(pieces.len()), w);
    }
    join(&pieces, seps)
}

/// `text` cleaned; every filler survives.
fn clean_keeping(
    scrubber: &Scrubber,
    text: &str,
    fillers: &[String],
) -> Result<(String, bool), TestCaseError> {
    let cleaned = scrubber.clean_checked(text);
    for f in fillers {
        prop_assert!(
            cleaned.text.contains(f.as_str()),
            "{f} lost: {:?} (from {text:?})",
            cleaned.text
        );
    }
    Ok((cleaned.text, cleaned.confident))
}

const MON: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTH: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The date `y-m-d` in written form number `form`.
fn written_date(y: u32, m: u32, d: u32, form: usize) -> String {
    let (mon, month) = (MON[(m - 1) as usize], MONTH[(m - 1) as usize]);
    let ord = match d {
        1 | 21 | 31 => "st",
        2 | 22 => "nd",
        3 | 23 => "rd",
        _ => "th",
    };
    match form {
        0 => format!("{y}-{m:02}-{d:02}"),
        1 => format!("{y}{m:02}{d:02}"),
        2 => format!("{d:02}/{m:02}/{y}"),
        3 => format!("{m:02}/{d:02}/{y}"),
        4 => format!("{y}/{m:02}/{d:02}"),
        5 => format!("{d}.{m}.{y}"),
        6 => format!("{d:02}-{}-{y}", mon.to_uppercase()),
        7 => format!("{d}-{mon}-{y}"),
        8 => format!("{mon} {d}, {y}"),
        9 => format!("{month} {d}{ord} {y}"),
        10 => format!("{d} {month} {y}"),
        11 => format!("{y}年{m}月{d}日"),
        12 => fullwidth(&format!("{y}年{m}月{d}日")),
        13 => format!("{y}년 {m}월 {d}일"),
        14 => format!("{mon} {y}"),
        15 => format!("{month} {d}{ord}"),
        _ => format!("{m}月{d}日"),
    }
}

/// Text from the characters folding treats specially (combining and
/// voicing marks, jamo, half-width kana, format characters, letters whose
/// fold changes length) and ordinary ones.
fn tricky() -> BoxedStrategy<String> {
    let special: Vec<char> = "\u{301}\u{308}\u{3099}\u{309A}ﾞﾟｶﾀﾊｳ\u{1100}\u{1161}\u{11A8}\u{AD}\u{200B}\u{FEFF}ßİẞΣςﬁＡ１　か山김ก^=\\ .-/1a"
        .chars()
        .collect();
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(proptest::sample::select(special), 0..40)
            .prop_map(|v| v.into_iter().collect()),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_and_values_never_panic(
        values in proptest::collection::vec(tricky(), 0..4),
        text in tricky(),
    ) {
        let s = Scrubber::builder()
            .names(values.iter().cloned())
            .ids(values.iter().cloned())
            .dates(values.iter().cloned())
            .terms(values.iter().cloned())
            .build();
        let c = s.clean_checked(&text);
        // Whatever is kept is a piece of the original, in order.
        let mut rest = text.as_str();
        for kept in c.text.split(REMOVED) {
            let at = rest.find(kept);
            prop_assert!(at.is_some(), "{kept:?} is not from {text:?}");
            rest = &rest[at.unwrap_or(0) + kept.len()..];
        }
        let _ = Scrubber::new(values).clean(&text);
    }

    #[test]
    fn names_in_any_script_do_not_survive(
        (s, family, given) in name(),
        fillers in proptest::collection::vec(filler(), 1..8),
        seps in seps(),
        form in 0..6usize,
    ) {
        let pn = format!("{family}^{given}");
        let fillers: Vec<String> =
            fillers.into_iter().filter(|f| !shares_chars(f, &pn)).collect();
        let written = match (form, s.spaced()) {
            (0, _) => vec![family.clone()],
            (1, _) => vec![format!("{given}{family}")],
            (2, _) => vec![format!("{family}{given}")],
            (3, _) => vec![given.clone(), family.clone()],
            (4, true) => vec![family.to_uppercase(), given.to_lowercase()],
            (4 | 5, false) => vec![format!("{family} {given}")],
            _ => vec![fullwidth(&family.to_uppercase())],
        };
        let text = embed(&fillers, written, &seps);
        let scrubber = Scrubber::builder().names([pn.as_str()]).build();
        let (out, confident) = clean_keeping(&scrubber, &text, &fillers)?;
        let left = remains(&out);
        for c in [&family, &given] {
            prop_assert!(!left.contains(&c.to_lowercase()), "{c} survived in {out:?} (from {text:?})");
        }
        prop_assert!(confident);
    }

    #[test]
    fn names_inside_longer_words_of_spaced_scripts_are_kept(
        (family, given) in prop_oneof![Just(Script::Latin), Just(Script::Cyrillic), Just(Script::Greek)]
            .prop_flat_map(|s| (component(s), component(s))),
        before in chars('a'..='z', 0..=3),
        after in chars('a'..='z', 0..=3),
    ) {
        let pn = format!("{family}^{given}");
        let strip = |w: String| -> String {
            w.chars().filter(|c| !shares_chars(&c.to_string(), &pn)).collect()
        };
        let (before, mut after) = (strip(before), strip(after));
        if before.is_empty() && after.is_empty() {
            // A digit is a word character too.
            after.push('7');
        }
        let text = format!("x {before}{family}{after} y");
        let scrubber = Scrubber::builder().names([pn.as_str()]).build();
        prop_assert_eq!(scrubber.clean(&text), text);
    }

    #[test]
    fn the_patients_dates_do_not_survive(
        (y, m, d) in (1900..=2030u32, 1..=12u32, 1..=28u32),
        form in 0..17usize,
        fillers in proptest::collection::vec(filler(), 1..6),
        seps in seps(),
    ) {
        let fillers: Vec<String> = fillers
            .into_iter()
            .filter(|f| !f.contains(['년', '월', '일']))
            .collect();
        let date = written_date(y, m, d, form);
        let text = embed(&fillers, vec![date.clone()], &seps);
        let scrubber = Scrubber::builder().dates([format!("{y}{m:02}{d:02}")]).build();
        let (out, _) = clean_keeping(&scrubber, &text, &fillers)?;
        let left = remains(&out);
        prop_assert!(
            !left.chars().any(|c| c.is_numeric()),
            "digits of {date:?} survived in {out:?}"
        );
        let (mon, month) = (MON[(m - 1) as usize], MONTH[(m - 1) as usize]);
        prop_assert!(
            !left.contains(&mon.to_lowercase()) && !left.contains(&month.to_lowercase()),
            "month of {date:?} survived in {out:?}"
        );
        prop_assert!(!left.contains(['年', '月', '日', '년', '월', '일']), "{out:?}");
    }

    #[test]
    fn ids_with_any_separators_do_not_survive(
        prefix in chars('A'..='E', 0..=3),
        digits in chars('0'..='9', 6..=9),
        sep in proptest::sample::select(vec!["", "-", " ", "/", "."]),
        form in 0..4usize,
        fillers in proptest::collection::vec(filler(), 1..6),
        seps in seps(),
    ) {
        let id = format!("{prefix}{sep}{}{sep}{}", &digits[..3], &digits[3..]);
        let written = match form {
            0 => id.clone(),
            1 => format!("{prefix}{digits}").to_lowercase(),
            2 => format!("{prefix} {} {}", &digits[..3], &digits[3..]),
            _ => format!("{}-{}", &digits[..3], &digits[3..]),
        };
        let written = written.trim().to_owned();
        let fillers: Vec<String> =
            fillers.into_iter().filter(|f| !shares_chars(f, &id)).collect();
        let text = embed(&fillers, vec![written.clone()], &seps);
        let scrubber = Scrubber::builder().ids([id.as_str()]).build();
        let (out, _) = clean_keeping(&scrubber, &text, &fillers)?;
        prop_assert!(
            !remains(&out).chars().any(|c| c.is_ascii_digit()),
            "{written:?} (ID {id:?}) survived in {out:?}"
        );
    }
}
