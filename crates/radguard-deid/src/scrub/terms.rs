//! The search terms one file's identifying values yield, within a budget.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use super::fold::{Keep, View, fold, is_continuous, is_word};

/// The most pattern text (folded, in bytes, confidence keys included) one
/// scrubber holds: more than the terms of a header with 10,000 distinct
/// person names (about 640 KiB). The built matcher takes about 8 bytes per
/// pattern byte; building peaks at about 18 MiB of heap for those 10,000
/// names and under 30 MiB for a full budget of the shortest terms
/// (`tests/scrub_memory.rs`), however many values a file holds.
pub(super) const MAX_PATTERN_BYTES: usize = 1 << 20;

/// The longest term, in bytes: a PN component or LO value is at most 64
/// characters. Longer name components and IDs make the scrubber incomplete;
/// longer free-text values (comments, histories) are not used as terms.
pub(super) const MAX_TERM_BYTES: usize = 256;

/// The term must not follow a letter or digit of a spaced script.
pub(super) const BOUND_START: u8 = 1;
/// The term must not precede a letter or digit of a spaced script.
pub(super) const BOUND_END: u8 = 2;
/// An identifier: matched in the letters-and-digits view of the text.
pub(super) const COMPACT: u8 = 4;

/// The terms collected so far.
#[derive(Default)]
pub(super) struct Terms {
    patterns: HashMap<String, u8>,
    /// Folded letters-and-digits forms of name components (4+ characters):
    /// one left in a cleaned text means a spelling the matcher missed.
    pub(super) keys: HashSet<String>,
    bytes: usize,
    /// Some term was left out (budget, or a name component too long).
    pub(super) truncated: bool,
    /// Dates already expanded (a multi-frame header repeats one date in
    /// thousands of DT values).
    dates: HashSet<NaiveDate>,
}

/// Whether a folded term is worth matching: at least two letters or digits
/// (four if all digits), or any character of a script without word
/// separators, or with `single` one letter. `None` if it is too long.
fn usable(t: &str, single: bool) -> Option<bool> {
    if t.len() > MAX_TERM_BYTES {
        return None;
    }
    if t.chars().any(is_continuous) {
        return Some(true);
    }
    let alnum = t.chars().filter(|c| c.is_alphanumeric()).count();
    let digits_only = t.chars().all(|c| !c.is_alphanumeric() || c.is_numeric());
    let single = single && alnum == 1 && t.chars().count() == 1;
    Some(alnum >= 4 || alnum >= 2 && !digits_only || single)
}

impl Terms {
    fn fits(&mut self, len: usize) -> bool {
        if self.bytes + len > MAX_PATTERN_BYTES {
            self.truncated = true;
            return false;
        }
        true
    }

    fn insert(&mut self, t: String, flags: u8) {
        if let Some(f) = self.patterns.get_mut(&t) {
            // The same text as a name and as an ID: the looser rule wins.
            *f &= flags | COMPACT;
            *f |= flags & COMPACT;
            return;
        }
        if self.fits(t.len()) {
            self.bytes += t.len();
            self.patterns.insert(t, flags);
        }
    }

    /// Adds a term matched in the folded text: whole words where its ends
    /// are letters or digits of a spaced script, anywhere otherwise. With
    /// `single`, one letter or ideograph is enough. `false` if it was too
    /// long to use.
    fn term(&mut self, raw: &str, single: bool) -> bool {
        let t = fold(raw.trim());
        match usable(&t, single) {
            None => return false,
            Some(false) => {}
            Some(true) => {
                let mut flags = 0;
                if t.chars().next().is_some_and(is_word) {
                    flags |= BOUND_START;
                }
                if t.chars().next_back().is_some_and(is_word) {
                    flags |= BOUND_END;
                }
                self.insert(t, flags);
            }
        }
        true
    }

    /// Remembers a name component's letters and digits for the confidence
    /// check.
    fn key(&mut self, raw: &str) {
        let Some(k) = View::new(raw, Keep::Alphanumeric).map(|v| v.text) else {
            return;
        };
        if k.chars().count() >= 4 && !self.keys.contains(&k) && self.fits(k.len()) {
            self.bytes += k.len();
            self.keys.insert(k);
        }
    }

    /// Each component of a person name (`Family^Given^Middle^Prefix^Suffix`
    /// in up to three `=`-separated groups; `\` separates values).
    pub(super) fn name_components(&mut self, pn: &str) {
        for (group, parts) in name_groups(pn) {
            for c in parts.into_iter().filter(|c| !c.is_empty()) {
                // Ideographic and phonetic groups: one character is a name.
                if !self.term(c, group > 0) {
                    self.truncated = true;
                }
                self.key(c);
            }
        }
    }

    /// The concatenations of a person name's components, in both orders,
    /// where they add something: without a space when a component would not
    /// match inside the glued word (`TaroYamada`, and `山田太郎` only if a
    /// component is not itself a term), with a space when a component is
    /// too short to be a term alone (`Jane Q Doe`). A spaced form whose
    /// components are all terms is found component by component.
    pub(super) fn name_concatenations(&mut self, pn: &str) {
        for (group, parts) in name_groups(pn) {
            // Family Given, Given Family, Family Given Middle, Given Middle Family.
            const ORDERS: [&[usize]; 4] = [&[0, 1], &[1, 0], &[0, 1, 2], &[1, 2, 0]];
            for order in ORDERS {
                let seq: Vec<&str> = order
                    .iter()
                    .filter_map(|&i| parts.get(i).copied())
                    .filter(|c| !c.is_empty())
                    .collect();
                if seq.len() < 2 {
                    continue;
                }
                let all_alone = seq
                    .iter()
                    .all(|c| usable(&fold(c), group > 0) == Some(true));
                // Components that are terms and match anywhere (no letter of
                // a spaced script) find their glued form themselves.
                let anywhere = !seq.iter().any(|c| c.chars().any(is_word));
                if (!anywhere || !all_alone) && !self.term(&seq.concat(), false) {
                    self.truncated = true;
                }
                if !all_alone && !self.term(&seq.join(" "), false) {
                    self.truncated = true;
                }
            }
        }
    }

    /// An identifier (patient ID, accession number, MRN...): matched
    /// anywhere, ignoring everything but letters and digits on both sides
    /// (`MRN-998-877` finds `mrn998877` and `MRN 998 877`) when it has at
    /// least four of them, and its digits alone when there are six or more
    /// (`998 877`); shorter IDs as whole words.
    pub(super) fn id(&mut self, raw: &str) {
        let Some(k) = View::new(raw.trim(), Keep::Alphanumeric).map(|v| v.text) else {
            self.truncated = true;
            return;
        };
        if k.len() > MAX_TERM_BYTES {
            self.truncated = true;
        } else if k.chars().count() >= 4 {
            // The digits of a long ID alone too: `998877` of `MRN-998-877`.
            let digits: String = k.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 6 && digits.len() < k.len() {
                self.insert(digits, COMPACT);
            }
            self.insert(k, COMPACT);
        } else if !self.term(raw, false) {
            self.truncated = true;
        }
    }

    /// A date of the patient's (DA, or the date of a DT), in the written
    /// forms the generic date shapes do not cover: year and month
    /// (`jan 1960`, `1960-01`, `01/1960`, `1960年1月`), month and day
    /// (`jan 2`, `2 january`, `1月2日`, `1월 2일`), numbers separated by
    /// spaces, and Japanese era years (`昭和35年1月`). Values that are not
    /// dates are ignored.
    pub(super) fn date(&mut self, raw: &str) {
        if let Some(d) = parse_date(raw).filter(|d| self.dates.insert(*d)) {
            for f in date_forms(d) {
                self.term(&f, false);
            }
        }
    }

    /// Any other identifying value (institution, address, station...): the
    /// whole value and its `^`/`=` components as terms; a value shaped like
    /// an ID (one word of six or more letters and digits, three of them
    /// digits) also as an ID.
    pub(super) fn generic(&mut self, raw: &str) {
        for v in raw.split('\\').map(str::trim).filter(|v| !v.is_empty()) {
            self.term(v, false);
            for c in v.split(['^', '=']).map(str::trim).filter(|c| !c.is_empty()) {
                if c.len() != v.len() {
                    self.term(c, false);
                }
                self.key(c);
            }
            // Shaped like an ID: one word, six letters and digits, three of
            // them digits. (Shorter codes such as `CT01` stay whole words:
            // as IDs they would match across words, in `Fact 01`.)
            let alnum = v.chars().filter(|c| c.is_alphanumeric()).count();
            let digits = v.chars().filter(char::is_ascii_digit).count();
            if alnum >= 6 && digits >= 3 && !v.chars().any(char::is_whitespace) {
                self.id(v);
            }
        }
    }

    /// The patterns and their flags.
    pub(super) fn into_patterns(self) -> (Vec<String>, Vec<u8>, HashSet<String>, bool) {
        let (patterns, flags) = self.patterns.into_iter().unzip();
        (patterns, flags, self.keys, self.truncated)
    }
}

/// The groups of each value of a PN: (group index, components).
fn name_groups(pn: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    pn.split('\\').flat_map(|v| {
        v.split('=')
            .enumerate()
            .map(|(g, group)| (g, group.split('^').map(str::trim).collect()))
    })
}

/// A DA (`YYYYMMDD`, or the retired `YYYY.MM.DD`), an ISO date, or the date
/// of a DT.
pub(super) fn parse_date(raw: &str) -> Option<NaiveDate> {
    let t = raw.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = std::str::from_utf8(t.get(r)?).ok()?;
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = match t.get(4) {
        Some(b'.' | b'-') if t.get(7) == t.get(4) => (num(0..4)?, num(5..7)?, num(8..10)?),
        _ => (num(0..4)?, num(4..6)?, num(6..8)?),
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

const MON: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTH: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The Japanese era name and year of a date (from Meiji).
fn era(d: NaiveDate) -> Option<(&'static str, i32)> {
    const ERAS: [(&str, i32, u32, u32); 5] = [
        ("令和", 2019, 5, 1),
        ("平成", 1989, 1, 8),
        ("昭和", 1926, 12, 25),
        ("大正", 1912, 7, 30),
        ("明治", 1868, 1, 25),
    ];
    ERAS.iter().find_map(|&(name, y, m, day)| {
        let start = NaiveDate::from_ymd_opt(y, m, day)?;
        (d >= start).then(|| (name, d.year() - y + 1))
    })
}

fn date_forms(d: NaiveDate) -> Vec<String> {
    let (y, m, dd) = (d.year(), d.month(), d.day());
    let i = usize::try_from(m.saturating_sub(1)).unwrap_or(0) % 12;
    let (mon, month) = (MON[i], MONTH[i]);
    let ord = match dd {
        1 | 21 | 31 => "st",
        2 | 22 => "nd",
        3 | 23 => "rd",
        _ => "th",
    };
    let mut f = vec![
        // Year and month.
        format!("{mon} {y}"),
        format!("{month} {y}"),
        format!("{mon}-{y}"),
        format!("{month}, {y}"),
        format!("{y}-{m:02}"),
        format!("{y}/{m:02}"),
        format!("{m:02}/{y}"),
        format!("{m}/{y}"),
        format!("{y}年{m}月"),
        format!("{y}年{m:02}月"),
        format!("{y}년 {m}월"),
        format!("{y}년{m}월"),
        // Month and day.
        format!("{mon} {dd}"),
        format!("{month} {dd}"),
        format!("{mon} {dd}{ord}"),
        format!("{month} {dd}{ord}"),
        format!("{dd} {mon}"),
        format!("{dd} {month}"),
        format!("{dd}{ord} {month}"),
        format!("{dd}{ord} of {month}"),
        format!("{dd:02}-{mon}"),
        format!("{dd}-{mon}"),
        format!("{m}月{dd}日"),
        format!("{m:02}月{dd:02}日"),
        format!("{m}월 {dd}일"),
        format!("{m}월{dd}일"),
        // Numbers separated by spaces.
        format!("{y} {m:02} {dd:02}"),
        format!("{dd:02} {m:02} {y}"),
        format!("{m:02} {dd:02} {y}"),
    ];
    if let Some((name, ey)) = era(d) {
        let ey = if ey == 1 {
            "元".to_owned()
        } else {
            ey.to_string()
        };
        f.push(format!("{name}{ey}年{m}月{dd}日"));
        f.push(format!("{name}{ey}年{m}月"));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(t: Terms) -> Vec<(String, u8)> {
        let (p, f, _, _) = t.into_patterns();
        let mut v: Vec<_> = p.into_iter().zip(f).collect();
        v.sort();
        v
    }

    #[test]
    fn name_terms() {
        let mut t = Terms::default();
        t.name_components("Yamada^Tarou=山田^太郎=やまだ^たろう");
        t.name_concatenations("Yamada^Tarou=山田^太郎=やまだ^たろう");
        let p = patterns(t);
        let names: Vec<&str> = p.iter().map(|(s, _)| s.as_str()).collect();
        for want in [
            "yamada",
            "tarou",
            "山田",
            "太郎",
            "やまだ",
            "たろう",
            "yamadatarou",
            "tarouyamada",
        ] {
            assert!(names.contains(&want), "{want} in {names:?}");
        }
        // Glued CJK components are found component by component.
        assert!(!names.contains(&"山田太郎"));
        let flags = |n: &str| p.iter().find(|(s, _)| s == n).map(|(_, f)| *f);
        assert_eq!(flags("yamada"), Some(BOUND_START | BOUND_END));
        assert_eq!(flags("山田"), Some(0));

        let mut t = Terms::default();
        t.name_components("Wang^Wei=王^伟");
        t.name_components("Doe^J^Q");
        t.name_concatenations("Doe^J^Q");
        let p = patterns(t);
        let names: Vec<&str> = p.iter().map(|(s, _)| s.as_str()).collect();
        assert!(names.contains(&"王") && names.contains(&"伟"));
        // A Latin initial is not a term, but glued or spaced with the
        // family name it is.
        assert!(!names.contains(&"j"));
        for want in ["doe j", "j doe", "doej", "jdoe", "doe j q", "j q doe"] {
            assert!(names.contains(&want), "{want} in {names:?}");
        }
    }

    #[test]
    fn ids_and_short_terms() {
        let mut t = Terms::default();
        t.id("MRN-998-877");
        t.id("A12");
        t.generic("St Mary Hospital");
        t.generic("CT");
        t.generic("-");
        t.generic("12");
        let p = patterns(t);
        assert!(p.contains(&("mrn998877".to_owned(), COMPACT)));
        assert!(p.contains(&("a12".to_owned(), BOUND_START | BOUND_END)));
        assert!(p.contains(&("st mary hospital".to_owned(), BOUND_START | BOUND_END)));
        assert!(p.contains(&("ct".to_owned(), BOUND_START | BOUND_END)));
        assert!(!p.iter().any(|(s, _)| s == "-" || s == "12"));
    }

    #[test]
    fn dates_parse_and_expand() {
        let d = NaiveDate::from_ymd_opt(1960, 1, 2).unwrap();
        for s in [
            "19600102",
            "1960.01.02",
            "1960-01-02",
            "19600102083000.5+0100",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        for s in ["", "1960", "19601302", "abcdefgh", "1960-0102"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        let forms = date_forms(d);
        for want in [
            "jan 1960",
            "1960年1月",
            "jan 2",
            "2nd of january",
            "昭和35年1月2日",
        ] {
            assert!(forms.iter().any(|f| f == want), "{want}");
        }
        assert_eq!(
            era(NaiveDate::from_ymd_opt(2019, 5, 1).unwrap()),
            Some(("令和", 1))
        );
        assert_eq!(
            era(NaiveDate::from_ymd_opt(1989, 1, 7).unwrap()),
            Some(("昭和", 64))
        );
    }

    #[test]
    fn budget_truncates() {
        let mut t = Terms::default();
        let mut i = 0u32;
        while !t.truncated {
            t.id(&format!("ID{i:08}"));
            i += 1;
        }
        assert!(t.bytes <= MAX_PATTERN_BYTES);
        let mut t = Terms::default();
        t.name_components(&"x".repeat(MAX_TERM_BYTES + 1));
        assert!(t.truncated);
        // A long free-text value is simply not a term.
        let mut t = Terms::default();
        t.generic(&"words ".repeat(100));
        assert!(!t.truncated);
    }
}
