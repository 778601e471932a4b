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

use dicom_core::Tag;
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
    fn attr_round_trip() {
        for t in [PATIENT_NAME, PIXEL_DATA, ITEM, Tag(0x0009, 0x1001)] {
            assert_eq!(from_attr(to_attr(t)), t);
        }
    }
}
