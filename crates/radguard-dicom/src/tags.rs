//! Attribute tags: the standard dictionary's named tags, the few structural
//! tags it does not name, the pixel data tags, and conversion between
//! dicom-rs [`Tag`] and radguard's dependency-free [`AttrTag`].
//!
//! Every radguard crate names tags through this module (never as
//! `Tag(0x0010, 0x0020)`), so a tag is spelled once, by the standard's
//! keyword.
//!
//! # Examples
//!
//! ```
//! use radguard_dicom::tags::{self, PATIENT_ID, PIXEL_DATA};
//!
//! assert!(tags::is_pixel_data(PIXEL_DATA));
//! assert!(!tags::is_pixel_data(PATIENT_ID));
//! let at = tags::to_attr(PATIENT_ID);
//! assert_eq!(at.to_string(), "(0010,0020)");
//! assert_eq!(tags::from_attr(at), PATIENT_ID);
//! ```

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use radguard_core::AttrTag;

/// Every tag of the DICOM standard dictionary (PS3.6), by keyword
/// (re-exported from `dicom-dictionary-std`).
pub use dicom_dictionary_std::tags::*;

/// Item (FFFE,E000): starts a sequence item or a pixel data fragment.
pub const ITEM: Tag = Tag(0xFFFE, 0xE000);
/// Item Delimitation Item (FFFE,E00D): ends an item of undefined length.
pub const ITEM_DELIMITATION_ITEM: Tag = Tag(0xFFFE, 0xE00D);
/// Sequence Delimitation Item (FFFE,E0DD): ends a sequence (or encapsulated
/// pixel data) of undefined length.
pub const SEQUENCE_DELIMITATION_ITEM: Tag = Tag(0xFFFE, 0xE0DD);

/// The three top-level pixel data attributes: Float Pixel Data
/// (7FE0,0008), Double Float Pixel Data (7FE0,0009) and Pixel Data
/// (7FE0,0010), in tag order.
pub const PIXEL_DATA_TAGS: [Tag; 3] = [FLOAT_PIXEL_DATA, DOUBLE_FLOAT_PIXEL_DATA, PIXEL_DATA];

/// `true` for the three pixel data attributes of [`PIXEL_DATA_TAGS`].
#[must_use]
pub fn is_pixel_data(tag: Tag) -> bool {
    PIXEL_DATA_TAGS.contains(&tag)
}

/// The dicom-rs tag as radguard's [`AttrTag`] (for audit records, paths
/// and errors).
#[must_use]
pub const fn to_attr(tag: Tag) -> AttrTag {
    AttrTag::new(tag.0, tag.1)
}

/// radguard's [`AttrTag`] as a dicom-rs tag.
#[must_use]
pub const fn from_attr(tag: AttrTag) -> Tag {
    Tag(tag.group, tag.element)
}

/// `true` if the standard dictionary (PS3.6, including its group
/// patterns such as `60xx`) knows `tag` as a public attribute.
#[must_use]
pub fn is_known(tag: Tag) -> bool {
    tag.0.is_multiple_of(2) && StandardDataDictionary.by_tag(tag).is_some()
}

/// The VR the standard dictionary gives a public attribute, when it gives
/// exactly one (`None` for unknown tags and for attributes whose VR depends
/// on context, such as "US or SS" or "OB or OW").
///
/// # Examples
///
/// ```
/// use dicom_core::VR;
/// use radguard_dicom::tags::{self, dictionary_vr};
///
/// assert_eq!(dictionary_vr(tags::PATIENT_NAME), Some(VR::PN));
/// assert_eq!(dictionary_vr(tags::REFERENCED_IMAGE_SEQUENCE), Some(VR::SQ));
/// assert_eq!(dictionary_vr(tags::SMALLEST_IMAGE_PIXEL_VALUE), None); // US or SS
/// ```
#[must_use]
pub fn dictionary_vr(tag: Tag) -> Option<VR> {
    if tag.0 % 2 == 1 {
        return None;
    }
    match StandardDataDictionary.by_tag(tag)?.vr() {
        VirtualVr::Exact(vr) => Some(vr),
        _ => None,
    }
}

/// `true` if the standard dictionary says `tag` is a sequence (VR SQ).
#[must_use]
pub fn is_sequence_attribute(tag: Tag) -> bool {
    dictionary_vr(tag) == Some(VR::SQ)
}

/// `true` for groups PS3.5 §7.8.1 does not allow in a data set: the odd
/// groups 0001, 0003, 0005, 0007 and FFFF.
#[must_use]
pub fn is_forbidden_group(group: u16) -> bool {
    matches!(group, 0x0001 | 0x0003 | 0x0005 | 0x0007 | 0xFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_tags_are_the_dictionary_ones() {
        assert_eq!(PIXEL_DATA, Tag(0x7FE0, 0x0010));
        assert_eq!(FLOAT_PIXEL_DATA, Tag(0x7FE0, 0x0008));
        assert_eq!(DOUBLE_FLOAT_PIXEL_DATA, Tag(0x7FE0, 0x0009));
        assert!(PIXEL_DATA_TAGS.windows(2).all(|w| w[0] < w[1]));
        assert!(!is_pixel_data(EXTENDED_OFFSET_TABLE));
    }

    #[test]
    fn dictionary_lookups() {
        assert!(is_known(PATIENT_NAME));
        assert!(is_known(Tag(0x6002, 0x3000))); // an overlay group pattern
        assert!(!is_known(Tag(0x0009, 0x1001)));
        assert!(!is_known(Tag(0x0010, 0x9999)));
        assert!(is_sequence_attribute(SOURCE_IMAGE_SEQUENCE));
        assert!(!is_sequence_attribute(STUDY_DESCRIPTION));
        assert_eq!(dictionary_vr(STUDY_DESCRIPTION), Some(VR::LO));
        assert!(is_forbidden_group(0x0003));
        assert!(!is_forbidden_group(0x0009));
    }

    #[test]
    fn attr_round_trip() {
        for t in [PATIENT_NAME, PIXEL_DATA, ITEM, Tag(0x0009, 0x1001)] {
            assert_eq!(from_attr(to_attr(t)), t);
        }
    }
}
