//! Free-text cleaning (the C action on text): [`Scrubber`] removes one
//! file's identifying values, in any script, and identifying shapes.

mod fold;
mod shapes;
mod terms;

use std::collections::HashSet;
use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use radguard_core::Redacted;

use fold::{Keep, View, is_word};
use terms::{BOUND_END, BOUND_START, COMPACT, Terms};

/// What replaces removed text.
pub const REMOVED: &str = "[removed]";

/// The kinds of identifying values, in the order their terms are kept when
/// the budget runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Name,
    Id,
    Date,
    Other,
}

/// Collects one file's identifying values by kind; [`build`](Self::build)
/// makes the [`Scrubber`].
///
/// # Examples
///
/// ```
/// use radguard_deid::fuzzing::Scrubber;
///
/// let s = Scrubber::builder()
///     .names(["Yamada^Tarou=山田^太郎"])
///     .ids(["MRN-998-877"])
///     .dates(["19600102"])
///     .build();
/// assert_eq!(s.clean("山田太郎様 頭部CT"), "[removed]様 頭部CT");
/// assert_eq!(s.clean("mrn 998877, born Jan 2, 1960"), "[removed], born [removed]");
/// assert!(s.clean_checked("Liver").confident);
/// ```
#[derive(Debug, Default, Clone)]
pub struct ScrubberBuilder {
    values: Redacted<Vec<(Kind, String)>>,
}

impl ScrubberBuilder {
    fn add<I>(mut self, kind: Kind, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut all = self.values.into_inner();
        all.extend(values.into_iter().map(|s| (kind, s.into())));
        self.values = Redacted::new(all);
        self
    }

    /// Person names (PN values, multi-valued with `\`).
    #[must_use]
    pub fn names<I>(self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.add(Kind::Name, values)
    }

    /// Identifiers: patient IDs, other patient IDs, accession numbers,
    /// record numbers, serial numbers.
    #[must_use]
    pub fn ids<I>(self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.add(Kind::Id, values)
    }

    /// The patient's dates: DA values (birth date...) or DT values, whose
    /// date part is used. Values that are not dates are ignored.
    #[must_use]
    pub fn dates<I>(self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.add(Kind::Date, values)
    }

    /// Any other identifying text (institution, address, station name...):
    /// the whole value and its `^`/`=` components, as whole words; a value
    /// shaped like an ID (one word of six or more letters and digits, three
    /// of them digits) also as an ID.
    #[must_use]
    pub fn terms<I>(self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.add(Kind::Other, values)
    }

    /// Builds the scrubber: terms of names first, then IDs, dates, name
    /// concatenations and other values, until 1 MiB of pattern text; a
    /// scrubber that could not take every term is incomplete
    /// ([`Scrubber::is_complete`]).
    #[must_use]
    pub fn build(self) -> Scrubber {
        let mut values = self.values.into_inner();
        values.sort_unstable();
        values.dedup();
        let mut t = Terms::default();
        let of = |k: Kind| {
            values
                .iter()
                .filter(move |v| v.0 == k)
                .map(|v| v.1.as_str())
        };
        of(Kind::Name).for_each(|v| t.name_components(v));
        of(Kind::Id).for_each(|v| t.id(v));
        of(Kind::Date).for_each(|v| t.date(v));
        of(Kind::Name).for_each(|v| t.name_concatenations(v));
        of(Kind::Other).for_each(|v| t.generic(v));
        drop(values);
        let (patterns, flags, keys, mut truncated) = t.into_patterns();
        let matcher = if patterns.is_empty() {
            None
        } else {
            // Dense transitions only next to the root: a quarter less memory
            // than the default depth for a large set, at no cost in speed.
            // Always the contiguous NFA: for the few patterns of a typical
            // file the automatic choice is a DFA, whose construction cost
            // more than the whole scan (a fifth of `radguard deid`'s time on
            // small files), while the matcher scans only that file's text.
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .dense_depth(2)
                .build(&patterns);
            match ac {
                Ok(ac) => Some(Matcher {
                    ids: flags.iter().any(|f| f & COMPACT != 0),
                    ac,
                    flags,
                    keys,
                }),
                Err(_) => {
                    // Not expected within the budget; fail closed.
                    truncated = true;
                    None
                }
            }
        };
        Scrubber {
            matcher: Redacted::new(matcher),
            truncated,
        }
    }
}

/// The automaton and what to know about each pattern.
#[derive(Clone)]
struct Matcher {
    ac: AhoCorasick,
    flags: Vec<u8>,
    /// Folded letters and digits of name components (see `Terms::keys`).
    keys: HashSet<String>,
    /// Some pattern is an ID, matched in the letters-and-digits view.
    ids: bool,
}

/// Cleans free text: removes one file's identifying values and identifying
/// shapes. `Debug` never shows the terms.
///
/// One [`Scrubber`] is built per file from that file's identifying values.
/// It holds a single Aho-Corasick automaton over every search term (names,
/// IDs, the patient's dates), so its memory is proportional to the terms'
/// total length, capped at 1 MiB of pattern text, and cleaning a text takes
/// time linear in its length whatever the number of terms.
///
/// # What is removed
///
/// - **Names** (PN values: `Family^Given^Middle^Prefix^Suffix` in up to three
///   `=`-separated groups): every component, and the components glued
///   together in either order (`TaroYamada`, `YamadaTaro`). A component in a
///   script that separates words (Latin, Cyrillic, Greek...) matches as a
///   whole word and needs two letters (`Li` does not touch `Liver`, `Ann`
///   not `Annual`); in a script without word separators (CJK ideographs,
///   kana, Hangul, Thai...) it matches anywhere, and one character is
///   enough (`王`, `伟`, `김`): `山田太郎様` loses `山田` and `太郎`.
/// - **IDs** (patient ID, other IDs, accession numbers, MRNs...): anywhere,
///   comparing letters and digits only, so `MRN-998-877` also finds
///   `mrn 998877`, and its digits alone (six or more) `998 877`. IDs of
///   fewer than four letters and digits match as whole words.
/// - **The patient's dates** in every common written form: the generic date
///   shapes below, plus year and month (`Jan 1960`, `1960年1月`), month and
///   day (`January 2nd`, `1月2日`) and era years (`昭和35年1月2日`).
/// - **Shapes**, whoever they belong to: dates (`1960-01-02`, `19600102`,
///   `02/01/1960`, `2.1.1960`, `02-JAN-1960`, `Jan 2, 1960`,
///   `January 2nd 1960`, `2 January 1960`, `1960年1月2日`, `1960년 1월 2일`,
///   with English, German, French or Spanish month names), e-mail addresses,
///   phone numbers (`+1 (555) 123-4567`, `555-123-4567`, `0049 30 1234567`),
///   SSNs (`123-45-6789`), record numbers (letters and 6+ digits), numbers
///   of 5+ digits, UIDs.
///
/// Texts and terms are compared after folding case (all of Unicode),
/// full-width and half-width forms, Latin accents, katakana/hiragana,
/// decomposed Hangul and invisible format characters.
///
/// # Confidence
///
/// [`Scrubber::clean_checked`] says whether the result can be trusted. It
/// cannot when the scrubber had to leave terms out (more than 1 MiB of
/// pattern text, or a name component or ID longer than 256 bytes), or when
/// a word of the result still spells a name component once punctuation is
/// ignored (`J.A.N.E`). The engine then replaces the whole value with a
/// dummy (D).
///
/// # Limits
///
/// - A Latin-script component needs two letters (four if all digits): an
///   initial alone is not a term, but glued or spaced with the other
///   components it is (`Doe^J` finds `J Doe` and `DoeJ`, not `J`).
/// - Accents fold for Latin-1 and Latin Extended-A letters, precomposed or
///   decomposed; other precomposed letters (Vietnamese `ễ`) match only in
///   the same normalization form.
/// - Free-text values longer than 256 bytes (comments, histories) are not
///   terms; names in orders other than family-given, given-family (with
///   the middle name) are found component by component.
/// - Month names are English, German, French and Spanish.
///
/// # Examples
///
/// ```
/// use radguard_deid::fuzzing::Scrubber;
///
/// let s = Scrubber::builder().names(["Wang^Wei=王^伟", "Li^Ann"]).build();
/// assert_eq!(s.clean("王伟 胸部CT"), "[removed] 胸部CT");
/// assert_eq!(s.clean("Liver, annual check by Li"), "Liver, annual check by [removed]");
/// ```
#[derive(Debug, Default, Clone)]
pub struct Scrubber {
    matcher: Redacted<Option<Matcher>>,
    truncated: bool,
}

/// The result of [`Scrubber::clean_checked`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cleaned {
    /// The cleaned text.
    pub text: String,
    /// `false` when the text may still identify someone: the scrubber is
    /// incomplete, or a word of the result spells a name component once
    /// punctuation and case are ignored. Replace the value instead (D).
    pub confident: bool,
}

impl fmt::Debug for Cleaned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An unconfident result may hold PHI.
        f.debug_struct("Cleaned")
            .field("text", &Redacted::new(()))
            .field("confident", &self.confident)
            .finish()
    }
}

impl Scrubber {
    /// A scrubber from identifying values of any kind, sorted by shape: a
    /// value with `^` or `=` is a person name, a DA/DT value a date, a UID
    /// nothing (every UID is removed anyway), anything else a term (and an
    /// ID if shaped like one, see [`ScrubberBuilder::terms`]). Prefer
    /// [`builder`](Self::builder) when the attributes are known.
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let (mut names, mut dates, mut others) = (Vec::new(), Vec::new(), Vec::new());
        for v in values {
            for item in v.split('\\').map(str::trim).filter(|s| !s.is_empty()) {
                if item.contains(['^', '=']) {
                    names.push(item.to_owned());
                } else if is_temporal(item) {
                    dates.push(item.to_owned());
                } else if !is_uid(item) {
                    others.push(item.to_owned());
                }
            }
        }
        Self::builder()
            .names(names)
            .dates(dates)
            .terms(others)
            .build()
    }

    /// A builder taking values by kind.
    #[must_use]
    pub fn builder() -> ScrubberBuilder {
        ScrubberBuilder::default()
    }

    /// `false` if some term had to be left out (see [`Cleaned::confident`]).
    #[must_use]
    pub fn is_complete(&self) -> bool {
        !self.truncated
    }

    /// Cleans one text value: every identifying term or shape becomes
    /// `[removed]`. See [`clean_checked`](Self::clean_checked) to know
    /// whether the result can be trusted.
    #[must_use]
    pub fn clean(&self, text: &str) -> String {
        self.clean_checked(text).text
    }

    /// Cleans one text value and says whether the result can be trusted.
    #[must_use]
    pub fn clean_checked(&self, text: &str) -> Cleaned {
        let Some(view) = View::new(text, Keep::All) else {
            // Longer than 4 GiB: not cleaned.
            return Cleaned {
                text: REMOVED.to_owned(),
                confident: false,
            };
        };
        let mut spans = Spans::default();
        let mut confident = !self.truncated;
        if let Some(m) = self.matcher.expose() {
            m.find_terms(text, &view, &mut spans);
            if m.ids {
                match View::new(text, Keep::Alphanumeric) {
                    Some(compact) => m.find_ids(text, &compact, &mut spans),
                    None => confident = false,
                }
            }
        }
        shapes::find(&view.text, &mut |a, b| {
            let (s, e) = view.original(text, a, b);
            spans.push(s, e);
        });
        let spans = spans.merged();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for &(s, e) in &spans {
            let kept = text.get(at..s).unwrap_or("");
            confident &= !self.spells_a_name(kept);
            out.push_str(kept);
            out.push_str(REMOVED);
            at = e;
        }
        let kept = text.get(at..).unwrap_or("");
        confident &= !self.spells_a_name(kept);
        out.push_str(kept);
        Cleaned {
            text: out,
            confident,
        }
    }

    /// `true` if a word of `kept` is a name component once folded and
    /// stripped of everything but letters and digits.
    fn spells_a_name(&self, kept: &str) -> bool {
        let Some(m) = self.matcher.expose() else {
            return false;
        };
        !m.keys.is_empty()
            && kept
                .split_whitespace()
                .any(|w| View::new(w, Keep::Alphanumeric).is_some_and(|v| m.keys.contains(&v.text)))
    }
}

impl Matcher {
    /// Terms in the folded view, with their word boundaries.
    fn find_terms(&self, text: &str, view: &View, spans: &mut Spans) {
        let t = view.text.as_str();
        for m in self.ac.find_overlapping_iter(t) {
            let flags = self.flags.get(m.pattern().as_usize()).copied().unwrap_or(0);
            if flags & COMPACT != 0 {
                continue;
            }
            let before = t.get(..m.start()).and_then(|b| b.chars().next_back());
            let after = t.get(m.end()..).and_then(|a| a.chars().next());
            if flags & BOUND_START != 0 && before.is_some_and(is_word)
                || flags & BOUND_END != 0 && after.is_some_and(is_word)
            {
                continue;
            }
            let (s, e) = view.original(text, m.start(), m.end());
            spans.push(s, e);
        }
    }

    /// IDs in the letters-and-digits view.
    fn find_ids(&self, text: &str, compact: &View, spans: &mut Spans) {
        for m in self.ac.find_overlapping_iter(compact.text.as_str()) {
            let flags = self.flags.get(m.pattern().as_usize()).copied().unwrap_or(0);
            if flags & COMPACT != 0 {
                let (s, e) = compact.original(text, m.start(), m.end());
                spans.push(s, e);
            }
        }
    }
}

/// Byte ranges to remove. Ranges that overlap or touch the last one merge
/// as they come, so the list stays as short as the result's removals when
/// they arrive in order (as the matcher's do).
#[derive(Default)]
struct Spans(Vec<(usize, usize)>);

impl Spans {
    fn push(&mut self, mut s: usize, mut e: usize) {
        if s >= e {
            return;
        }
        while let Some(&(ls, le)) = self.0.last() {
            if le < s || e < ls {
                break;
            }
            s = s.min(ls);
            e = e.max(le);
            self.0.pop();
        }
        self.0.push((s, e));
    }

    /// Sorted, disjoint, not touching.
    fn merged(mut self) -> Vec<(usize, usize)> {
        self.0.sort_unstable();
        let mut out: Vec<(usize, usize)> = Vec::with_capacity(self.0.len());
        for (s, e) in self.0 {
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out
    }
}

/// A DA or DT value (digits, then `.`, `+`, `-` only) holding a valid date.
fn is_temporal(v: &str) -> bool {
    v.len() >= 8
        && v.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-'))
        && terms::parse_date(v).is_some()
}

/// A UID: digits and at least three dots (removed as a shape anyway).
fn is_uid(v: &str) -> bool {
    v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && v.bytes().filter(|b| *b == b'.').count() >= 3
        && v.split('.').all(|p| !p.is_empty())
}

#[cfg(test)]
mod tests;
