//! Text normalization for matching: a folded copy of a text with a map back
//! to the original's byte offsets.
//!
//! Folding makes spellings of the same name compare equal: case (full
//! Unicode lower-casing), full-width forms (`ＹＡＭＡＤＡ`, `１９６０`),
//! half-width katakana (`ﾔﾏﾀﾞ`) and katakana against hiragana, Latin
//! accents (`José` = `JOSE`, precomposed or with combining marks), Greek
//! tonos and final sigma, `ё`, decomposed Hangul jamo, Arabic-Indic and
//! Devanagari digits; invisible format characters (soft hyphen, zero-width
//! spaces and joiners, bidi controls, BOM) are dropped so they cannot split
//! a name.

/// A folded copy of a text and, for each byte of it, the offset in the
/// original of the character it comes from.
#[derive(Debug)]
pub(super) struct View {
    /// The folded text.
    pub(super) text: String,
    /// `map[i]`: original offset of the character folded into byte `i`;
    /// `None` when the fold is the identity on offsets (ASCII input).
    map: Option<Vec<u32>>,
    /// Characters dropped right after a range belong to it (invisible
    /// characters, voicing marks); not in the letters-and-digits view, where
    /// they are separators.
    absorb: bool,
}

/// Which characters a view keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// Everything (folded).
    All,
    /// Letters and digits only: `MRN-998 877` reads `mrn998877`.
    Alphanumeric,
}

impl View {
    /// Folds `s`. `None` if `s` is too long for the offset map (4 GiB).
    pub(super) fn new(s: &str, keep: Keep) -> Option<Self> {
        if keep == Keep::All && s.is_ascii() {
            return Some(Self {
                text: s.to_ascii_lowercase(),
                map: None,
                absorb: true,
            });
        }
        u32::try_from(s.len()).ok()?;
        let mut text = String::with_capacity(s.len());
        let mut map = Vec::with_capacity(s.len());
        for (at, c) in s.char_indices() {
            let at = u32::try_from(at).ok()?;
            fold_char(c, &mut text, &mut |text: &mut String, f: char| {
                if keep == Keep::Alphanumeric && !f.is_alphanumeric() {
                    return;
                }
                text.push(f);
                map.resize(text.len(), at);
            });
        }
        Some(Self {
            text,
            map: Some(map),
            absorb: keep == Keep::All,
        })
    }

    /// The original byte range (in the text this view was made from) of the
    /// folded range `start..end`: from the start of the first character to
    /// the end of the last, including characters dropped in between (and,
    /// in the full view, right after).
    pub(super) fn original(&self, orig: &str, start: usize, end: usize) -> (usize, usize) {
        let Some(map) = &self.map else {
            return (start, end);
        };
        let at = |i: usize| map.get(i).map_or(orig.len(), |&o| o as usize);
        let s = at(start);
        if end <= start {
            return (s, s);
        }
        let last = at(end - 1);
        let next = at(end);
        let e = if next > last && self.absorb {
            next
        } else {
            // `end` falls inside the fold of one original character.
            last + orig
                .get(last..)
                .and_then(|r| r.chars().next())
                .map_or(0, char::len_utf8)
        };
        (s, e)
    }
}

/// The folded form of a term.
pub(super) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out, &mut |t: &mut String, f: char| t.push(f));
    }
    out
}

/// Folds one character, calling `push` with each folded character; a
/// voicing mark or a Hangul vowel/final may instead combine with the last
/// character of `text`.
fn fold_char(c: char, text: &mut String, push: &mut impl FnMut(&mut String, char)) {
    let u = u32::from(c);
    match u {
        // Invisible format characters: soft hyphen, zero-width space/joiners,
        // directional marks and embeddings, word joiner, BOM.
        0xAD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF => {}
        // Combining diacritical marks: `e` + U+0301 folds like `é`.
        0x300..=0x36F => {}
        0x3000 => push(text, ' '),
        0xFF01..=0xFF5E => {
            if let Some(a) = char::from_u32(u - 0xFEE0) {
                push(text, a.to_ascii_lowercase());
            }
        }
        // Arabic-Indic, extended Arabic-Indic and Devanagari digits.
        0x0660..=0x0669 | 0x06F0..=0x06F9 | 0x0966..=0x096F => {
            let zero = match u {
                0x0660..=0x0669 => 0x0660,
                0x06F0..=0x06F9 => 0x06F0,
                _ => 0x0966,
            };
            if let Some(d) = char::from_digit(u - zero, 10) {
                push(text, d);
            }
        }
        // Voiced and semi-voiced sound marks (half-width, combining, spacing).
        0xFF9E | 0x3099 | 0x309B => voice(text, push, 1, '\u{309B}'),
        0xFF9F | 0x309A | 0x309C => voice(text, push, 2, '\u{309C}'),
        0xFF61..=0xFF9D => push(text, halfwidth_kana(c)),
        // Hangul vowel or final jamo after a syllable it completes.
        0x1161..=0x1175 | 0x11A8..=0x11C2 => {
            if !compose_hangul(text, c) {
                push(text, c);
            }
        }
        _ if c.is_ascii() => push(text, c.to_ascii_lowercase()),
        _ => {
            for l in c.to_lowercase() {
                match u32::from(l) {
                    0x300..=0x36F => {}
                    _ => fold_lower(l, text, push),
                }
            }
        }
    }
}

/// Folds a lower-case character: Latin accents, Greek tonos and final
/// sigma, `ё`, katakana to hiragana.
fn fold_lower(l: char, text: &mut String, push: &mut impl FnMut(&mut String, char)) {
    /// Base letters of U+00DF..=U+00FF; `*` marks a two-letter fold, `#` none.
    const LATIN1: &[u8; 33] = b"*aaaaaa*ceeeeiiiidnooooo#ouuuuy*y";
    /// Base letters of U+0100..=U+017F (Latin Extended-A).
    const LATIN_A: &[u8; 128] = b"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkkllllllllllnnnnnnnnnoooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    let u = u32::from(l);
    let table = |t: &[u8], i: u32| {
        usize::try_from(i)
            .ok()
            .and_then(|i| t.get(i))
            .copied()
            .unwrap_or(b'#')
    };
    let base = match u {
        0xDF..=0xFF => table(LATIN1, u - 0xDF),
        0x100..=0x17F => table(LATIN_A, u - 0x100),
        _ => 0,
    };
    match base {
        b'#' => push(text, l),
        b'*' => {
            let pair = match l {
                'ß' => "ss",
                'æ' => "ae",
                'þ' => "th",
                'ĳ' => "ij",
                _ => "oe", // œ
            };
            for p in pair.chars() {
                push(text, p);
            }
        }
        0 => push(text, fold_other(l)),
        b => push(text, char::from(b)),
    }
}

fn fold_other(l: char) -> char {
    match l {
        'ά' => 'α',
        'έ' => 'ε',
        'ή' => 'η',
        'ί' | 'ϊ' | 'ΐ' => 'ι',
        'ό' => 'ο',
        'ύ' | 'ϋ' | 'ΰ' => 'υ',
        'ώ' => 'ω',
        'ς' => 'σ',
        'ё' => 'е',
        // Katakana to hiragana (ァ..ヶ), so either spelling of a phonetic
        // name matches the other.
        '\u{30A1}'..='\u{30F6}' => char::from_u32(u32::from(l) - 0x60).unwrap_or(l),
        _ => l,
    }
}

/// Half-width katakana and punctuation (U+FF61..=U+FF9D), folded.
fn halfwidth_kana(c: char) -> char {
    /// Full-width equivalents of U+FF61..=U+FF9D.
    const FULL: [u16; 61] = [
        0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9,
        0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB,
        0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1,
        0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5,
        0x30D8, 0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9,
        0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3,
    ];
    let full = usize::try_from(u32::from(c) - 0xFF61)
        .ok()
        .and_then(|i| FULL.get(i))
        .and_then(|&f| char::from_u32(u32::from(f)))
        .unwrap_or(c);
    fold_other(full)
}

/// A (semi-)voiced sound mark: combines with the kana before it when it can
/// (`た` + `゛` = `だ`), else is pushed as the spacing mark `alone`.
fn voice(text: &mut String, push: &mut impl FnMut(&mut String, char), step: u32, alone: char) {
    let Some(prev) = text.chars().next_back() else {
        return push(text, alone);
    };
    let p = u32::from(prev);
    // Hiragana rows that take marks: か..ご, さ..ぞ, た..ど (base letters at
    // even or odd steps), は..ぽ (both marks).
    let voiced = match p {
        0x304B..=0x3062 if p % 2 == 1 && step == 1 => Some(p + 1),
        0x3064..=0x3069 if p % 2 == 0 && step == 1 => Some(p + 1),
        0x306F..=0x307D if (p - 0x306F) % 3 == 0 => Some(p + step),
        0x3046 if step == 1 => Some(0x3094),
        _ => None,
    }
    .and_then(char::from_u32);
    match voiced {
        Some(v) if v.len_utf8() == prev.len_utf8() => {
            text.pop();
            text.push(v);
        }
        _ => push(text, alone),
    }
}

/// Composes a Hangul vowel jamo with a leading consonant, or a final jamo
/// with an open syllable, at the end of `text`. `false` if it cannot.
fn compose_hangul(text: &mut String, c: char) -> bool {
    let Some(prev) = text.chars().next_back() else {
        return false;
    };
    let (p, u) = (u32::from(prev), u32::from(c));
    let composed = match (p, u) {
        (0x1100..=0x1112, 0x1161..=0x1175) => 0xAC00 + ((p - 0x1100) * 21 + (u - 0x1161)) * 28,
        (0xAC00..=0xD7A3, 0x11A8..=0x11C2) if (p - 0xAC00) % 28 == 0 => p + (u - 0x11A7),
        _ => return false,
    };
    match char::from_u32(composed) {
        Some(s) if s.len_utf8() == prev.len_utf8() => {
            text.pop();
            text.push(s);
            true
        }
        _ => false,
    }
}

/// `true` for characters of scripts written without spaces between words
/// (CJK ideographs, kana, Hangul, Thai, Lao, Khmer, Myanmar, Bopomofo):
/// a name in them matches anywhere, and one character is a name component.
pub(super) fn is_continuous(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x1000..=0x109F   // Myanmar
        | 0x1100..=0x11FF   // Hangul jamo
        | 0x1780..=0x17FF   // Khmer
        | 0x2E80..=0x2FDF   // CJK radicals, Kangxi radicals
        | 0x3005..=0x3007   // 々 〆 〇
        | 0x3021..=0x3029
        | 0x3031..=0x3035
        | 0x3038..=0x303C
        | 0x3040..=0x30FF   // hiragana, katakana
        | 0x3100..=0x312F   // Bopomofo
        | 0x3130..=0x318F   // Hangul compatibility jamo
        | 0x31A0..=0x31BF
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF   // Hangul syllables, jamo extended-B
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // half-width katakana
        | 0xFFA0..=0xFFDC   // half-width Hangul
        | 0x20000..=0x3134F // CJK extensions B..G
    )
}

/// `true` for a letter or digit of a script that separates words: a name
/// next to one is part of a longer word (`Li` in `Liver`).
pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_continuous(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_width_accents_and_kana() {
        assert_eq!(fold("José MÜLLER"), "jose muller");
        assert_eq!(fold("Jose\u{301}"), "jose");
        assert_eq!(fold("STRAUß Ærø"), "strauss aero");
        assert_eq!(fold("ＹＡＭＡＤＡ　１９６０"), "yamada 1960");
        assert_eq!(fold("ﾔﾏﾀﾞ ﾀﾛｳ"), "やまだ たろう");
        assert_eq!(fold("ヤマダ"), fold("やまだ"));
        assert_eq!(fold("ﾊﾟﾊﾞ"), "ぱば");
        assert_eq!(fold("た\u{3099}"), "だ");
        assert_eq!(fold("ΟΔΥΣΣΈΑΣ"), fold("Οδυσσέας"));
        assert_eq!(fold("ЁЛКИН"), "елкин");
        assert_eq!(fold("Jo\u{AD}hn\u{200B}"), "john");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("١٩٦٠ ۱۹۶۰ १९६०"), "1960 1960 1960");
        // Decomposed Hangul (as macOS writes it) folds to syllables.
        assert_eq!(fold("\u{1100}\u{1175}\u{11B7}"), "김");
        assert_eq!(fold("김민수"), "김민수");
    }

    #[test]
    fn latin_tables_match_their_ranges() {
        for (c, want) in [
            ('à', "a"),
            ('ÿ', "y"),
            ('ø', "o"),
            ('÷', "÷"),
            ('ā', "a"),
            ('č', "c"),
            ('đ', "d"),
            ('ğ', "g"),
            ('ħ', "h"),
            ('ı', "i"),
            ('ķ', "k"),
            ('ł', "l"),
            ('ň', "n"),
            ('ő', "o"),
            ('œ', "oe"),
            ('ř', "r"),
            ('š', "s"),
            ('ť', "t"),
            ('ű', "u"),
            ('ŵ', "w"),
            ('ÿ', "y"),
            ('ž', "z"),
            ('ſ', "s"),
        ] {
            assert_eq!(fold(&c.to_string()), want, "{c}");
        }
    }

    #[test]
    fn offsets_map_back_to_whole_characters() {
        let s = "Ｍｒ ＹＡＭＡＤＡ様";
        let v = View::new(s, Keep::All).unwrap();
        assert_eq!(v.text, "mr yamada様");
        let i = v.text.find("yamada").unwrap();
        let (a, b) = v.original(s, i, i + 6);
        assert_eq!(&s[a..b], "ＹＡＭＡＤＡ");
        // A fold that splits one character: ß -> ss.
        let s = "Straße";
        let v = View::new(s, Keep::All).unwrap();
        assert_eq!(v.text, "strasse");
        let (a, b) = v.original(s, 4, 5);
        assert_eq!(&s[a..b], "ß");
        // Composed voiced kana keep the mark in the original range.
        let s = "xﾀﾞy";
        let v = View::new(s, Keep::All).unwrap();
        assert_eq!(v.text, "xだy");
        let (a, b) = v.original(s, 1, 4);
        assert_eq!(&s[a..b], "ﾀﾞ");
        // The compact view drops separators but maps them back in.
        let s = "ID: MRN-998 877.";
        let v = View::new(s, Keep::Alphanumeric).unwrap();
        assert_eq!(v.text, "idmrn998877");
        let (a, b) = v.original(s, 5, 11);
        assert_eq!(&s[a..b], "998 877");
    }

    #[test]
    fn scripts() {
        for c in ['山', '太', 'や', 'ヤ', 'ﾔ', '김', 'ก', '〇'] {
            assert!(is_continuous(c) && !is_word(c), "{c}");
        }
        for c in ['a', 'Ж', 'α', '7', 'é', 'ي', 'क'] {
            assert!(!is_continuous(c) && is_word(c), "{c}");
        }
        for c in [' ', '-', '^', '.', '様'] {
            assert!(!is_word(c), "{c}");
        }
    }
}
