//! DICOM PS3.15 2026c Table E.1-1, Table E.3.10-1 and CID 7050, generated
//! at build time from `data/` (see `data/README.md`).

use std::fmt;

use radguard_core::AttrTag;

/// The edition of PS3.15 the tables come from.
pub const EDITION: &str = "2026c";

/// A de-identification action of Table E.1-1 (E.1.1 "Profile Actions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Action {
    /// X: remove.
    X,
    /// Z: replace with a zero-length value (or a dummy value consistent with the VR).
    Z,
    /// D: replace with a non-zero-length dummy value consistent with the VR.
    D,
    /// K: keep (on a sequence: keep and apply the profile to its items).
    K,
    /// C: clean: keep, but replace identifying content with values of similar meaning.
    C,
    /// U: replace the UID with a non-zero-length UID, consistently within the set.
    U,
}

impl Action {
    /// The letter the standard uses.
    #[must_use]
    pub fn letter(self) -> &'static str {
        match self {
            Self::X => "X",
            Self::Z => "Z",
            Self::D => "D",
            Self::K => "K",
            Self::C => "C",
            Self::U => "U",
        }
    }

    /// How much identifying content the action lets through: higher retains
    /// more. Used to pick the most protective of several option actions.
    pub(crate) fn retention(self) -> u8 {
        match self {
            Self::X => 0,
            Self::Z => 1,
            Self::D => 2,
            Self::U => 3,
            Self::C => 4,
            Self::K => 5,
        }
    }

    /// `true` for actions that must leave no original value behind.
    #[must_use]
    pub fn removes_value(self) -> bool {
        matches!(self, Self::X | Self::Z | Self::D | Self::U)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

/// A Basic Profile cell of Table E.1-1, composite actions included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Rule {
    /// X
    X,
    /// Z
    Z,
    /// D
    D,
    /// K
    K,
    /// C
    C,
    /// U
    U,
    /// Z/D: Z unless D is required to maintain IOD conformance.
    ZD,
    /// X/Z: X unless Z is required to maintain IOD conformance.
    XZ,
    /// X/D: X unless D is required to maintain IOD conformance.
    XD,
    /// X/Z/D: X unless Z or D is required to maintain IOD conformance.
    XZD,
    /// X/Z/U*: X unless Z or replacement of contained UIDs (U) is required.
    XZU,
}

impl Rule {
    /// The cell as the standard prints it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X => "X",
            Self::Z => "Z",
            Self::D => "D",
            Self::K => "K",
            Self::C => "C",
            Self::U => "U",
            Self::ZD => "Z/D",
            Self::XZ => "X/Z",
            Self::XD => "X/D",
            Self::XZD => "X/Z/D",
            Self::XZU => "X/Z/U*",
        }
    }

    /// A single action, if the rule is not composite.
    #[must_use]
    pub fn single(self) -> Option<Action> {
        Some(match self {
            Self::X => Action::X,
            Self::Z => Action::Z,
            Self::D => Action::D,
            Self::K => Action::K,
            Self::C => Action::C,
            Self::U => Action::U,
            _ => return None,
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An option column cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptAction {
    K,
    C,
}

impl OptAction {
    pub(crate) fn action(self) -> Action {
        match self {
            Self::K => Action::K,
            Self::C => Action::C,
        }
    }
}

/// A concrete row of Table E.1-1.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) tag: u32,
    pub(crate) keyword: &'static str,
    pub(crate) name: &'static str,
    pub(crate) rule: Rule,
    #[allow(dead_code)]
    pub(crate) retired: bool,
    pub(crate) options: [Option<OptAction>; 10],
}

/// The pattern rows of Table E.1-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    CurveData,
    OverlayData,
    OverlayComments,
    Private,
}

/// A pattern row of Table E.1-1.
#[derive(Debug)]
pub(crate) struct PatternRow {
    pub(crate) pattern: Pattern,
    pub(crate) name: &'static str,
    pub(crate) rule: Rule,
    #[allow(dead_code)]
    pub(crate) retired: bool,
    pub(crate) options: [Option<OptAction>; 10],
}

/// A row of Table E.3.10-1.
#[derive(Debug)]
pub(crate) struct SafePrivate {
    pub(crate) creator: &'static str,
    pub(crate) group: u16,
    pub(crate) element: u8,
    pub(crate) vr: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/tables.rs"));

/// The concrete row for a tag, if Table E.1-1 lists it.
pub(crate) fn row(tag: AttrTag) -> Option<&'static Row> {
    let key = (u32::from(tag.group) << 16) | u32::from(tag.element);
    ROWS.binary_search_by_key(&key, |r| r.tag)
        .ok()
        .map(|i| &ROWS[i])
}

/// The pattern row that covers a tag not listed as a concrete row.
pub(crate) fn pattern_row(tag: AttrTag) -> Option<&'static PatternRow> {
    let g = tag.group;
    let pattern = if tag.is_private() {
        Pattern::Private
    } else if g & 0xFF00 == 0x5000 && g.is_multiple_of(2) {
        Pattern::CurveData
    } else if g & 0xFF00 == 0x6000 && g.is_multiple_of(2) && tag.element == 0x3000 {
        Pattern::OverlayData
    } else if g & 0xFF00 == 0x6000 && g.is_multiple_of(2) && tag.element == 0x4000 {
        Pattern::OverlayComments
    } else {
        return None;
    };
    PATTERN_ROWS.iter().find(|p| p.pattern == pattern)
}

/// The row of Table E.3.10-1 for element `element` (low byte) of the block
/// reserved by `creator` in group `group`, if the table lists it.
pub(crate) fn safe_private(creator: &str, group: u16, element: u8) -> Option<&'static SafePrivate> {
    let creator = radguard_dicom::text::trim_value(creator);
    SAFE_PRIVATE
        .binary_search_by(|s| (s.creator, s.group, s.element).cmp(&(creator, group, element)))
        .ok()
        .and_then(|i| SAFE_PRIVATE.get(i))
}

/// Counts of the generated tables, for provenance checks.
#[doc(hidden)]
#[must_use]
pub fn table_sizes() -> (usize, usize, usize, usize) {
    (
        ROWS.len(),
        PATTERN_ROWS.len(),
        SAFE_PRIVATE.len(),
        CID7050.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_sorted_and_unique() {
        assert!(ROWS.windows(2).all(|w| w[0].tag < w[1].tag));
        assert_eq!(table_sizes(), (652, 4, 479, 13));
    }

    #[test]
    fn lookups() {
        let pn = row(AttrTag::new(0x0010, 0x0010)).unwrap();
        assert_eq!(pn.keyword, "PatientName");
        assert_eq!(pn.rule, Rule::Z);
        assert_eq!(row(AttrTag::new(0x0010, 0x0020)).unwrap().rule, Rule::ZD);
        assert_eq!(row(AttrTag::new(0x0008, 0x1140)).unwrap().rule, Rule::XZU);
        assert!(row(AttrTag::new(0x0028, 0x0010)).is_none());
        assert_eq!(
            pattern_row(AttrTag::new(0x5002, 0x3000)).unwrap().pattern,
            Pattern::CurveData
        );
        assert_eq!(
            pattern_row(AttrTag::new(0x6002, 0x3000)).unwrap().pattern,
            Pattern::OverlayData
        );
        assert_eq!(
            pattern_row(AttrTag::new(0x6000, 0x4000)).unwrap().pattern,
            Pattern::OverlayComments
        );
        assert!(pattern_row(AttrTag::new(0x6000, 0x0010)).is_none());
        assert_eq!(
            pattern_row(AttrTag::new(0x0029, 0x1010)).unwrap().pattern,
            Pattern::Private
        );
        assert!(safe_private("Philips PET Private Group", 0x7053, 0x00).is_some());
        assert!(safe_private("Philips PET Private Group", 0x7053, 0x42).is_none());
        assert!(safe_private("PHILIPS PET PRIVATE GROUP", 0x7053, 0x00).is_none());
    }
}
