//! Text values: one set of padding rules, values as strings, private
//! creators.
//!
//! DICOM pads values to an even length: text with trailing spaces, UIDs
//! (and binary values) with a trailing NUL. Leading and trailing spaces
//! are insignificant in most text VRs (AE, AS, CS, DA, DS, DT, IS, LO, SH,
//! TM, UI), only trailing ones in the others (LT, PN, ST, UC, UR, UT). The
//! padding characters are exactly NUL and space, never other white space.
//! Every radguard crate trims through this module:
//!
//! | function | removes | use for |
//! |---|---|---|
//! | [`trim_padding`] | trailing NUL and space | comparing or keeping any value as it was meant |
//! | [`trim_value`] | leading and trailing NUL and space | identifiers: UIDs, code strings, private creators, IDs |
//! | [`trim_value_bytes`] | the same, on raw bytes | values read as bytes (UN) |
//!
//! # Examples
//!
//! ```
//! use radguard_dicom::text::{trim_padding, trim_value};
//!
//! assert_eq!(trim_value(" 1.2.840.10008.1.2.1\0"), "1.2.840.10008.1.2.1");
//! assert_eq!(trim_padding("  indented text "), "  indented text");
//! // Only NUL and space are padding: a tab is content.
//! assert_eq!(trim_value("ID\t"), "ID\t");
//! ```

use std::collections::HashMap;

use dicom_core::Tag;
use dicom_core::header::Header;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_encoding::text::SpecificCharacterSet;
use dicom_object::InMemDicomObject;
use dicom_object::mem::InMemElement;

const fn is_pad(c: char) -> bool {
    c == '\0' || c == ' '
}

/// `s` without its trailing padding (NUL and space).
#[must_use]
pub fn trim_padding(s: &str) -> &str {
    s.trim_end_matches(is_pad)
}

/// `s` without leading or trailing NUL and space.
#[must_use]
pub fn trim_value(s: &str) -> &str {
    s.trim_matches(is_pad)
}

/// `b` without leading or trailing NUL and space bytes.
///
/// # Examples
///
/// ```
/// assert_eq!(radguard_dicom::text::trim_value_bytes(b" RADGUARD\0"), b"RADGUARD");
/// assert_eq!(radguard_dicom::text::trim_value_bytes(b"\0\0"), b"");
/// ```
#[must_use]
pub fn trim_value_bytes(b: &[u8]) -> &[u8] {
    let keep = |c: &u8| *c != 0 && *c != b' ';
    let Some(start) = b.iter().position(keep) else {
        return &[];
    };
    let end = b.iter().rposition(keep).map_or(start, |p| p + 1);
    &b[start..end]
}

/// An element's values as strings, one per value (split at `\`). Bytes (a
/// text attribute stored as UN or OB) are read as UTF-8, lossily, without
/// their trailing padding. Sequences and pixel fragments give no strings.
///
/// Values keep their padding except bytes; trim each with [`trim_value`]
/// or [`trim_padding`] as the VR requires.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, PrimitiveValue, VR};
/// use radguard_dicom::{tags, text::strings};
///
/// let two = PrimitiveValue::Strs(["A1".to_owned(), "B2".to_owned()].into_iter().collect());
/// let e = DataElement::new(tags::OTHER_PATIENT_NAMES, VR::PN, two);
/// assert_eq!(strings(&e), ["A1", "B2"]);
/// // The same text arriving as UN bytes.
/// let un = DataElement::new(tags::OTHER_PATIENT_NAMES, VR::UN, PrimitiveValue::from(b"A1\\B2 ".to_vec()));
/// assert_eq!(strings(&un), ["A1", "B2"]);
/// ```
#[must_use]
pub fn strings(e: &InMemElement) -> Vec<String> {
    if let Value::Primitive(PrimitiveValue::U8(b)) = e.value() {
        let s = String::from_utf8_lossy(b);
        return trim_padding(&s).split('\\').map(str::to_owned).collect();
    }
    e.value()
        .to_multi_str()
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default()
}

/// The text of `tag` in `ds`: its values joined with `\`, without leading
/// or trailing padding; empty if the attribute is absent or has no text.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, VR};
/// use dicom_object::InMemDicomObject;
/// use radguard_dicom::{tags, text::value_text};
///
/// let ds = InMemDicomObject::from_element_iter([DataElement::new(tags::MODALITY, VR::CS, "CT ")]);
/// assert_eq!(value_text(&ds, tags::MODALITY), "CT");
/// assert_eq!(value_text(&ds, tags::PATIENT_ID), "");
/// ```
#[must_use]
pub fn value_text(ds: &InMemDicomObject, tag: Tag) -> String {
    ds.get(tag)
        .map(|e| trim_value(&strings(e).join("\\")).to_owned())
        .unwrap_or_default()
}

/// `true` if a value holds nothing once padding is removed: no value, only
/// empty strings, or an empty sequence. Encapsulated pixel data is never
/// blank.
#[must_use]
pub fn is_blank<I>(v: &Value<I>) -> bool {
    match v {
        Value::Primitive(p) => match p {
            PrimitiveValue::Empty => true,
            PrimitiveValue::Str(s) => trim_padding(s).is_empty(),
            PrimitiveValue::Strs(v) => v.iter().all(|s| trim_padding(s).is_empty()),
            other => other.multiplicity() == 0,
        },
        Value::Sequence(s) => s.items().is_empty(),
        Value::PixelSequence(_) => false,
    }
}

/// The private creators of a data set (not of its items): for each private
/// group and block number (the `xx` of `(gggg,xx00)`), the creator text
/// without padding.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, Tag, VR};
/// use dicom_object::InMemDicomObject;
///
/// let ds = InMemDicomObject::from_element_iter([
///     DataElement::new(Tag(0x0029, 0x0010), VR::LO, "SIEMENS CSA HEADER "),
/// ]);
/// let creators = radguard_dicom::text::private_creators(&ds);
/// assert_eq!(creators[&(0x0029, 0x10)], "SIEMENS CSA HEADER");
/// assert_eq!(radguard_dicom::text::private_creator_of(&ds, Tag(0x0029, 0x1008)).as_deref(), Some("SIEMENS CSA HEADER"));
/// ```
#[must_use]
pub fn private_creators(ds: &InMemDicomObject) -> HashMap<(u16, u8), String> {
    ds.iter()
        .filter(|e| crate::tags::to_attr(e.tag()).is_private_creator())
        .filter_map(|e| {
            let t = e.tag();
            let block = u8::try_from(t.1).ok()?;
            Some(((t.0, block), creator_text(e)?))
        })
        .collect()
}

/// The private creator of the block a private attribute belongs to, if the
/// data set declares one.
#[must_use]
pub fn private_creator_of(ds: &InMemDicomObject, tag: Tag) -> Option<String> {
    let at = crate::tags::to_attr(tag);
    if !at.is_private() || at.is_private_creator() {
        return None;
    }
    let block = tag.1 >> 8;
    if block < 0x10 {
        return None;
    }
    ds.get(Tag(tag.0, block)).and_then(creator_text)
}

fn creator_text(e: &InMemElement) -> Option<String> {
    let s = strings(e).into_iter().next()?;
    Some(trim_value(&s).to_owned())
}

/// `true` if one value (without padding) fits the syntax PS3.5 Table
/// 6.2-1 gives its VR: AE, AS, CS, DA, DS, DT, IS, TM and UI are checked
/// (character repertoire and length); every other VR is accepted.
///
/// # Examples
///
/// ```
/// use dicom_core::VR;
/// use radguard_dicom::text::conforms;
///
/// assert!(conforms(VR::DS, "0.5"));
/// assert!(!conforms(VR::DS, "DOE^JOHN"));
/// assert!(conforms(VR::DA, "19600102"));
/// assert!(!conforms(VR::DA, "02-JAN-1960"));
/// assert!(!conforms(VR::IS, "MRN998877"));
/// assert!(conforms(VR::LO, "anything goes"));
/// ```
#[must_use]
pub fn conforms(vr: dicom_core::VR, value: &str) -> bool {
    use dicom_core::VR;
    let v = trim_value(value);
    let all = |ok: fn(u8) -> bool| v.bytes().all(ok);
    match vr {
        VR::AE => v.len() <= 16 && all(|b| (0x20..0x7F).contains(&b) && b != b'\\'),
        VR::AS => {
            v.len() == 4
                && v.as_bytes()[..3].iter().all(u8::is_ascii_digit)
                && matches!(v.as_bytes()[3], b'D' | b'W' | b'M' | b'Y')
        }
        VR::CS => {
            v.len() <= 16
                && all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'_')
        }
        VR::DA => v.len() == 8 && all(|b| b.is_ascii_digit()),
        VR::DS => {
            !v.is_empty()
                && v.len() <= 16
                && all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
                && v.bytes().any(|b| b.is_ascii_digit())
        }
        VR::DT => {
            !v.is_empty()
                && v.len() <= 26
                && all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-'))
        }
        VR::IS => {
            let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
            !digits.is_empty() && v.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit())
        }
        VR::TM => {
            !v.is_empty() && v.len() <= 16 && all(|b| b.is_ascii_digit() || b == b'.' || b == b':')
        }
        VR::UI => crate::uid::is_valid(v),
        _ => true,
    }
}

/// The Specific Character Set (0008,0005) of a data set (the default
/// repertoire when absent or unknown).
#[must_use]
pub fn charset_of(ds: &InMemDicomObject) -> SpecificCharacterSet {
    ds.get(crate::tags::SPECIFIC_CHARACTER_SET)
        .map(strings)
        .and_then(|v| {
            // Code extensions (ISO 2022) name several sets: the first
            // gives the default one, which is what values start in.
            let first = v.first().map(|s| trim_value(s).to_owned())?;
            let code = if first.is_empty() && v.len() > 1 {
                v.get(1).map(|s| trim_value(s).to_owned())?
            } else {
                first
            };
            SpecificCharacterSet::from_code(&code)
        })
        .unwrap_or_default()
}

/// Decodes text bytes (a text attribute stored as OB, OW or UN) in the
/// given character set; bytes the set cannot decode are read as UTF-8,
/// lossily, so nothing is lost to the checks that follow.
#[must_use]
pub fn decode(bytes: &[u8], charset: &SpecificCharacterSet) -> String {
    use dicom_encoding::text::TextCodec;
    charset
        .decode(bytes)
        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use dicom_core::{DataElement, VR};

    #[test]
    fn padding_rules() {
        assert_eq!(trim_padding("ABC \0"), "ABC");
        assert_eq!(trim_padding(" ABC"), " ABC");
        assert_eq!(trim_value(" \0ABC \0"), "ABC");
        assert_eq!(trim_value("\tABC\n"), "\tABC\n");
        assert_eq!(trim_value(""), "");
        assert_eq!(trim_value_bytes(b" A B "), b"A B");
    }

    #[test]
    fn vr_syntax() {
        use dicom_core::VR;
        for (vr, ok, bad) in [
            (VR::AS, "045Y", "45 years"),
            (VR::CS, "ORIGINAL", "Doe John"),
            (VR::TM, "101010.5", "ten"),
            (VR::DT, "20240101101010", "Jan 2024"),
            (VR::UI, "1.2.3", "1.2.abc"),
            (VR::AE, "STORESCP", "A\\B"),
        ] {
            assert!(conforms(vr, ok), "{vr:?} {ok}");
            assert!(!conforms(vr, bad), "{vr:?} {bad}");
        }
    }

    #[test]
    fn charset_and_decoding() {
        let ds = InMemDicomObject::from_element_iter([DataElement::new(
            crate::tags::SPECIFIC_CHARACTER_SET,
            VR::CS,
            "ISO_IR 100",
        )]);
        let cs = charset_of(&ds);
        assert_eq!(decode(&[0x5A, 0x6F, 0xEB], &cs), "Zoë");
        assert_eq!(decode(b"plain", &SpecificCharacterSet::default()), "plain");
    }

    #[test]
    fn blank_values() {
        let e = |v: PrimitiveValue| -> InMemElement {
            DataElement::new(Tag(0x0010, 0x0010), VR::PN, v)
        };
        assert!(is_blank(e(PrimitiveValue::Empty).value()));
        assert!(is_blank(e(PrimitiveValue::from(" \0")).value()));
        assert!(!is_blank(e(PrimitiveValue::from(" X")).value()));
    }

    #[test]
    fn creators_are_per_block() {
        let ds = InMemDicomObject::from_element_iter([
            DataElement::new(Tag(0x0009, 0x0010), VR::LO, "A"),
            DataElement::new(Tag(0x0009, 0x0011), VR::LO, " B\0"),
            DataElement::new(
                Tag(0x0009, 0x0012),
                VR::UN,
                PrimitiveValue::from(b"C ".to_vec()),
            ),
        ]);
        let c = private_creators(&ds);
        assert_eq!(c.len(), 3);
        assert_eq!(c[&(0x0009, 0x11)], "B");
        assert_eq!(c[&(0x0009, 0x12)], "C");
        assert_eq!(
            private_creator_of(&ds, Tag(0x0009, 0x1101)).as_deref(),
            Some("B")
        );
        assert_eq!(private_creator_of(&ds, Tag(0x0009, 0x1301)), None);
        assert_eq!(private_creator_of(&ds, Tag(0x0009, 0x0010)), None);
        assert_eq!(private_creator_of(&ds, Tag(0x0010, 0x1001)), None);
    }
}
