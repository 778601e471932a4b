//! DICOM attribute tags and nested attribute paths as plain numbers.
//!
//! These types let audit records and errors say *where* something happened
//! in a data set without depending on a DICOM library and without carrying
//! any value.

use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

/// A DICOM attribute tag: a (group, element) pair.
///
/// # Examples
///
/// ```
/// use radguard_core::AttrTag;
///
/// let t: AttrTag = "0010,0010".parse()?;
/// assert_eq!(t, AttrTag::new(0x0010, 0x0010));
/// assert_eq!(t.to_string(), "(0010,0010)");
/// assert_eq!("(0009,1001)".parse::<AttrTag>()?.is_private(), true);
/// assert_eq!("7FE00010".parse::<AttrTag>()?, AttrTag::new(0x7FE0, 0x0010));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct AttrTag {
    /// Group number.
    pub group: u16,
    /// Element number.
    pub element: u16,
}

impl AttrTag {
    /// Builds a tag from its group and element numbers.
    #[must_use]
    pub const fn new(group: u16, element: u16) -> Self {
        Self { group, element }
    }

    /// `true` for tags in an odd group (private attributes and private
    /// creators), except the reserved groups 0001, 0003, 0005 and 0007.
    #[must_use]
    pub const fn is_private(self) -> bool {
        self.group % 2 == 1 && self.group > 0x0008
    }

    /// `true` for a private creator element: (gggg,0010) to (gggg,00FF) in a
    /// private group.
    #[must_use]
    pub const fn is_private_creator(self) -> bool {
        self.is_private() && self.element >= 0x0010 && self.element <= 0x00FF
    }
}

impl fmt::Display for AttrTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:04X},{:04X})", self.group, self.element)
    }
}

/// Error parsing an [`AttrTag`] from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseTagError;

impl fmt::Display for ParseTagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tag is written GGGG,EEEE or (GGGG,EEEE) or GGGGEEEE in hexadecimal")
    }
}

impl core::error::Error for ParseTagError {}

impl FromStr for AttrTag {
    type Err = ParseTagError;

    /// Accepts `GGGG,EEEE`, `(GGGG,EEEE)` and `GGGGEEEE` (hexadecimal, any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s
            .strip_prefix('(')
            .and_then(|x| x.strip_suffix(')'))
            .unwrap_or(s);
        let (g, e) = match s.split_once(',') {
            Some((g, e)) => (g.trim(), e.trim()),
            None if s.len() == 8 => s.split_at(4),
            None => return Err(ParseTagError),
        };
        let hex4 = |x: &str| {
            if x.len() == 4 && x.bytes().all(|b| b.is_ascii_hexdigit()) {
                u16::from_str_radix(x, 16).map_err(|_| ParseTagError)
            } else {
                Err(ParseTagError)
            }
        };
        Ok(Self::new(hex4(g)?, hex4(e)?))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AttrTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One step of an [`AttrPath`]: an attribute, and for a step that descends
/// into a sequence, the index of the item (0-based).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PathStep {
    /// The attribute.
    pub tag: AttrTag,
    /// The sequence item descended into, if any.
    pub item: Option<u32>,
}

/// The location of an attribute in a data set, through any number of
/// sequence items.
///
/// Displayed as `(0040,0275)[0].(0040,0007)`: the Request Attributes
/// Sequence, its first item, the Scheduled Procedure Step Description in it.
///
/// # Examples
///
/// ```
/// use radguard_core::{AttrPath, AttrTag};
///
/// let root = AttrPath::root();
/// let seq = root.child(AttrTag::new(0x0040, 0x0275));
/// let inner = seq.item(0).child(AttrTag::new(0x0040, 0x0007));
/// assert_eq!(inner.to_string(), "(0040,0275)[0].(0040,0007)");
/// assert_eq!(inner.depth(), 1);
/// assert_eq!(inner.last(), Some(AttrTag::new(0x0040, 0x0007)));
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct AttrPath {
    steps: Vec<PathStep>,
}

impl AttrPath {
    /// The empty path: the top-level data set.
    #[must_use]
    pub const fn root() -> Self {
        Self { steps: Vec::new() }
    }

    /// This path extended by an attribute of the current data set.
    #[must_use]
    pub fn child(&self, tag: AttrTag) -> Self {
        let mut steps = self.steps.clone();
        steps.push(PathStep { tag, item: None });
        Self { steps }
    }

    /// This path (which must end in a sequence attribute) extended by one of
    /// its items. On the root path, or a path already ending in an item, the
    /// path is returned unchanged.
    #[must_use]
    pub fn item(&self, index: u32) -> Self {
        let mut steps = self.steps.clone();
        if let Some(last) = steps.last_mut().filter(|l| l.item.is_none()) {
            last.item = Some(index);
        }
        Self { steps }
    }

    /// The steps of the path, outermost first.
    #[must_use]
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// The last attribute named by the path.
    #[must_use]
    pub fn last(&self) -> Option<AttrTag> {
        self.steps.last().map(|s| s.tag)
    }

    /// How many sequence items the path descends through.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.steps.iter().filter(|s| s.item.is_some()).count()
    }

    /// `true` for the top-level data set.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{}", step.tag)?;
            if let Some(item) = step.item {
                write!(f, "[{item}]")?;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AttrPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn tag_parse_forms() {
        let t = AttrTag::new(0x0008, 0x103e);
        for s in ["0008,103E", "(0008,103e)", "0008103E", " (0008, 103E) "] {
            assert_eq!(s.parse::<AttrTag>(), Ok(t), "{s}");
        }
        for s in [
            "",
            "8,103E",
            "0008103",
            "(0008,103G)",
            "00081030E",
            "0008;103E",
        ] {
            assert!(s.parse::<AttrTag>().is_err(), "{s}");
        }
    }

    #[test]
    fn private_classification() {
        assert!(AttrTag::new(0x0009, 0x0010).is_private_creator());
        assert!(AttrTag::new(0x0029, 0x1010).is_private());
        assert!(!AttrTag::new(0x0029, 0x1010).is_private_creator());
        assert!(!AttrTag::new(0x0007, 0x0010).is_private());
        assert!(!AttrTag::new(0x0010, 0x0010).is_private());
    }

    #[test]
    fn path_display_nested() {
        let p = AttrPath::root()
            .child(AttrTag::new(0x0008, 0x1115))
            .item(2)
            .child(AttrTag::new(0x0008, 0x1140))
            .item(0)
            .child(AttrTag::new(0x0008, 0x1155));
        assert_eq!(p.to_string(), "(0008,1115)[2].(0008,1140)[0].(0008,1155)");
        assert_eq!(p.depth(), 2);
        assert!(!p.is_root());
        assert_eq!(AttrPath::root().to_string(), "");
    }
}
