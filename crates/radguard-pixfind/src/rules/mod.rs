//! Pixel rules by device: which rectangles of an image carry burned-in
//! text, decided from the header.
//!
//! A rule names header conditions (Modality, Manufacturer, Manufacturer
//! Model Name, Rows, Columns, Image Type, ...) and what to do with the
//! images that meet them: blank rectangles, keep only rectangles, or flag
//! the image as carrying text at places the rule does not know. Rules are
//! written in TOML ([the format](crate::rules#the-rule-format)), parsed
//! strictly ([`RuleSet::parse`]: unknown keys and attributes are errors
//! naming the line), and matched against a data set
//! ([`RuleSet::matches`]); [`RuleSet::explain`] says which condition of
//! which rule held, for the people who write rules.
//!
//! [`RuleSet::bundled`] holds the 118 filters of pydicom/deid 0.4.13
//! (`deid/data/deid.dicom`, MIT), converted by
//! `rules/convert_deid.py` (see `rules/README.md` in the crate for the
//! source, its sha256 and every deviation from deid's own interpreter).
//!
//! # The rule format
//!
//! ```toml
//! format = 1                       # required; the only version so far
//!
//! [[rule]]
//! id = "site:us-banner"            # optional; defaults to "<origin>:<line>"
//! label = "Philips iU22 banner"    # required: names the rule in audits and explanations
//! source = "our PACS team"         # optional: who says so
//! note = "checked on 12 studies"   # optional free text
//! action = "blank"                 # blank | keep-only | flag | declared-clean
//! when.all = [                     # the conditions (see below)
//!   { attr = "Modality", equals = "US" },
//!   { attr = "Manufacturer", contains = "Philips" },
//!   { attr = "ManufacturerModelName", contains = ["iU22", "iU 22"] },
//!   { attr = "Rows", equals = 480 },
//!   { any = [
//!     { attr = "ImageType", contains = "SCREEN SAVE" },
//!     { attr = "SeriesDescription", startswith = "Dose" },
//!   ] },
//! ]
//! rects = [                        # x, y = top-left pixel; width, height in pixels
//!   { x = 0, y = 0, width = 640, height = 47 },
//! ]
//! ```
//!
//! A condition is one table holding either
//!
//! - `attr` (a keyword of the standard dictionary, PS3.6, e.g.
//!   `"ManufacturerModelName"`; group 0002 keywords read the file meta
//!   information) and exactly one test:
//!   - `equals`: some value of the attribute equals the text,
//!     ignoring case and padding; when both sides are numbers they are
//!     compared as numbers (`Rows = 480`, `WindowWidth = "1"` matches
//!     `1.0`);
//!   - `contains`, `startswith`, `endswith`: some value contains / starts
//!     with / ends with the text, ignoring case;
//!   - `missing = true`: the attribute is absent; `present = true`: it is
//!     there (even empty); `empty = true`: it is there with no value;
//!
//!   The text of `equals`, `contains`, `startswith` and `endswith` may be a
//!   list: any of its entries will do. Values of multi-valued attributes
//!   (`ImageType`) are tested one by one. No text is a pattern: `+`, `|`,
//!   `*` mean themselves.
//! - or a combination: `all = [...]` (every condition holds), `any = [...]`
//!   (at least one holds), `not = {...}`. Lists are never empty.
//!
//! Only the top-level data set is read: attributes inside sequences are
//! not (pydicom/deid reads them the same way).
//!
//! Actions:
//!
//! | action | `rects` | meaning |
//! |---|---|---|
//! | `blank` | required | blank these rectangles |
//! | `keep-only` | required | blank everything outside these rectangles |
//! | `flag` | none | the image carries burned-in text at places the rule does not know: text detection must find it, or the image is refused |
//! | `declared-clean` | none | the rule's source considers these images free of burned-in text. Reported, never used as assurance by radguard |
//!
//! Rectangles are clipped to the image (Rows × Columns) when matched, so
//! `{ x = 0, y = 0, width = 4096, height = 4096 }` means "the whole
//! image" on any image up to that size. Every matching rule applies: the
//! rectangles to blank are the union over all matching rules, and a
//! `keep-only` rule never un-blanks what another rule blanks.

mod matcher;
mod parse;
mod write;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dicom_core::Tag;

use crate::Rect;

pub use matcher::{
    ConditionOutcome, Explanation, MatchError, RuleExplanation, RuleMatch, SHOWN_ATTRIBUTES,
    image_size,
};

/// The bundled rules, as converted (TOML) from pydicom/deid 0.4.13.
pub const BUNDLED_TOML: &str = include_str!("../../rules/deid-0.4.13.toml");

/// The origin name of the bundled rules in ids, errors and explanations.
pub const BUNDLED_ORIGIN: &str = "bundled:deid-0.4.13";

/// The one rule format version this crate reads (`format = 1`).
pub const FORMAT_VERSION: i64 = 1;

/// What a rule does with the images it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleAction {
    /// Blank the rule's rectangles.
    Blank,
    /// Blank everything outside the rule's rectangles.
    KeepOnly,
    /// The image carries burned-in text the rule cannot locate.
    Flag,
    /// The rule's source says these images carry no burned-in text
    /// (information only; never assurance).
    DeclaredClean,
}

impl RuleAction {
    /// The action's name in rule files (`blank`, `keep-only`, `flag`,
    /// `declared-clean`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Blank => "blank",
            Self::KeepOnly => "keep-only",
            Self::Flag => "flag",
            Self::DeclaredClean => "declared-clean",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "blank" => Self::Blank,
            "keep-only" => Self::KeepOnly,
            "flag" => Self::Flag,
            "declared-clean" => Self::DeclaredClean,
            _ => return None,
        })
    }

    /// `true` for the actions that carry rectangles.
    #[must_use]
    pub const fn has_rects(self) -> bool {
        matches!(self, Self::Blank | Self::KeepOnly)
    }
}

/// An attribute a condition reads: a standard dictionary keyword and its
/// tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attribute {
    keyword: String,
    tag: Tag,
    /// `(gg00,eeee)` repeating groups (`60xx` overlays, `50xx` curves):
    /// every group of the range is read.
    repeating: bool,
}

impl Attribute {
    /// The attribute of a standard dictionary keyword, or `None` if the
    /// dictionary does not know it.
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_pixfind::rules::Attribute;
    ///
    /// let a = Attribute::from_keyword("ManufacturerModelName").unwrap();
    /// assert_eq!(a.tag(), radguard_dicom::tags::MANUFACTURER_MODEL_NAME);
    /// assert!(Attribute::from_keyword("Manfacturer").is_none());
    /// ```
    #[must_use]
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, TagRange};
        let entry = dicom_dictionary_std::StandardDataDictionary.by_name(keyword)?;
        let (tag, repeating) = match entry.tag_range() {
            TagRange::Single(t) => (t, false),
            TagRange::Group100(t) => (t, true),
            _ => return None,
        };
        Some(Self {
            keyword: entry.alias().to_owned(),
            tag,
            repeating,
        })
    }

    /// The keyword, as the dictionary spells it.
    #[must_use]
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The tag (the first group of a repeating group range).
    #[must_use]
    pub const fn tag(&self) -> Tag {
        self.tag
    }

    /// The tags read: one, or the 16 even groups of a `(ggxx,eeee)` range.
    pub(crate) fn tags(&self) -> impl Iterator<Item = Tag> + '_ {
        let n: u16 = if self.repeating { 16 } else { 1 };
        (0..n).map(move |i| Tag(self.tag.0 + 2 * i, self.tag.1))
    }
}

/// A test on one attribute's values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Test {
    /// Some value equals one of the texts (ignoring case and padding;
    /// numerically when both parse as numbers).
    Equals(Vec<String>),
    /// Some value contains one of the texts (ignoring case).
    Contains(Vec<String>),
    /// Some value starts with one of the texts (ignoring case).
    StartsWith(Vec<String>),
    /// Some value ends with one of the texts (ignoring case).
    EndsWith(Vec<String>),
    /// The attribute is absent.
    Missing,
    /// The attribute is present (with or without a value).
    Present,
    /// The attribute is present with no value.
    Empty,
}

impl Test {
    /// The test's key in rule files.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Equals(_) => "equals",
            Self::Contains(_) => "contains",
            Self::StartsWith(_) => "startswith",
            Self::EndsWith(_) => "endswith",
            Self::Missing => "missing",
            Self::Present => "present",
            Self::Empty => "empty",
        }
    }

    /// The texts compared against (empty for `missing`, `present`,
    /// `empty`).
    #[must_use]
    pub fn texts(&self) -> &[String] {
        match self {
            Self::Equals(v) | Self::Contains(v) | Self::StartsWith(v) | Self::EndsWith(v) => v,
            Self::Missing | Self::Present | Self::Empty => &[],
        }
    }
}

/// A rule's condition: a test on one attribute, or a combination.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// `test` holds on `attr`.
    Test {
        /// The attribute read.
        attr: Attribute,
        /// The test.
        test: Test,
    },
    /// Every condition holds (never empty).
    All(Vec<Self>),
    /// At least one condition holds (never empty).
    Any(Vec<Self>),
    /// The condition does not hold.
    Not(Box<Self>),
}

/// Conditions nest at most this deep.
pub const MAX_CONDITION_DEPTH: usize = 16;

/// One rule: conditions on the header, and what to do with the images
/// that meet them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) source: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) action: RuleAction,
    pub(crate) when: Condition,
    pub(crate) rects: Vec<Rect>,
    pub(crate) origin: String,
    pub(crate) line: usize,
}

impl Rule {
    /// The rule's id: unique within its rule set; `"<origin>:<line>"`
    /// when the file gives none.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The rule's label (what it is about).
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }
    /// Who contributed the rule, if the file says.
    #[must_use]
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }
    /// The rule's free-text note, if any.
    #[must_use]
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    /// What the rule does.
    #[must_use]
    pub const fn action(&self) -> RuleAction {
        self.action
    }
    /// The rule's condition.
    #[must_use]
    pub const fn condition(&self) -> &Condition {
        &self.when
    }
    /// The rule's rectangles, unclipped (empty for `flag` and
    /// `declared-clean`).
    #[must_use]
    pub fn rects(&self) -> &[Rect] {
        &self.rects
    }
    /// The file the rule came from (its origin name).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// The line of the rule's `[[rule]]` header in its file.
    #[must_use]
    pub const fn line(&self) -> usize {
        self.line
    }
}

/// An ordered set of rules, from one or more files.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, VR};
/// use dicom_object::InMemDicomObject;
/// use radguard_dicom::tags;
/// use radguard_pixfind::{Rect, RuleSet};
///
/// let rules = RuleSet::parse(r#"
/// format = 1
/// [[rule]]
/// label = "ACME banner"
/// action = "blank"
/// when.all = [{ attr = "Manufacturer", contains = "acme" }, { attr = "Modality", equals = "US" }]
/// rects = [{ x = 0, y = 0, width = 1024, height = 40 }]
/// "#, "site.toml")?;
///
/// let ds = InMemDicomObject::from_element_iter([
///     DataElement::new(tags::MODALITY, VR::CS, "US"),
///     DataElement::new(tags::MANUFACTURER, VR::LO, "ACME Products"),
///     DataElement::new(tags::ROWS, VR::US, dicom_core::PrimitiveValue::from(480_u16)),
///     DataElement::new(tags::COLUMNS, VR::US, dicom_core::PrimitiveValue::from(640_u16)),
/// ]);
/// let found = rules.matches(&ds, None)?;
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].rule().label(), "ACME banner");
/// assert_eq!(found[0].rects(), [Rect::new(0, 0, 640, 40)]); // clipped to 640 columns
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// An empty rule set.
    #[must_use]
    pub const fn new() -> Self {
        Self { rules: Vec::new() }
    }

    /// The bundled rules (pydicom/deid 0.4.13, converted), parsed once.
    ///
    /// # Security
    ///
    /// These are other sites' rules for other sites' devices: they blank
    /// where those devices put text. They are a starting point, not a
    /// guarantee for your devices; check them with
    /// [`explain`](Self::explain) and text detection.
    #[must_use]
    pub fn bundled() -> &'static Self {
        static BUNDLED: OnceLock<RuleSet> = OnceLock::new();
        // The bundled file is parsed by the tests; an error here would be
        // a build defect, and an empty set fails closed (nothing matches,
        // so nothing is assured by rules).
        BUNDLED.get_or_init(|| Self::parse(BUNDLED_TOML, BUNDLED_ORIGIN).unwrap_or_default())
    }

    /// Rules from TOML text. `origin` names the text in ids and errors
    /// (usually the file name).
    ///
    /// # Errors
    ///
    /// [`RuleError::Syntax`] for TOML that does not parse or does not fit
    /// the format (unknown keys included), [`RuleError::Invalid`] for a
    /// rule that does (unknown attribute keyword, a test without `attr`,
    /// two tests in one condition, `blank` without rectangles, duplicate
    /// ids...). Both name the line.
    pub fn parse(text: &str, origin: &str) -> Result<Self, RuleError> {
        parse::parse(text, origin).map(|rules| Self { rules })
    }

    /// Rules from a TOML file (its path is the origin).
    ///
    /// # Errors
    ///
    /// [`RuleError::Read`] if the file cannot be read (or is larger than
    /// 16 MiB), otherwise as [`parse`](Self::parse).
    pub fn from_file(path: &Path) -> Result<Self, RuleError> {
        use std::io::Read;
        const MAX: u64 = 16 << 20;
        let read = |e| RuleError::Read {
            path: path.to_owned(),
            source: e,
        };
        let f = std::fs::File::open(path).map_err(read)?;
        let mut text = String::new();
        f.take(MAX + 1).read_to_string(&mut text).map_err(read)?;
        if text.len() as u64 > MAX {
            return Err(read(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                "larger than 16 MiB",
            )));
        }
        Self::parse(&text, &path.display().to_string())
    }

    /// Appends `other`'s rules after these (a user file after the bundled
    /// rules).
    ///
    /// # Errors
    ///
    /// [`RuleError::DuplicateId`] if a rule id of `other` is already used;
    /// nothing is appended then.
    pub fn extend(&mut self, other: Self) -> Result<(), RuleError> {
        for r in &other.rules {
            if let Some(first) = self.rules.iter().find(|s| s.id == r.id) {
                return Err(RuleError::DuplicateId {
                    id: r.id.clone(),
                    first: format!("{}:{}", first.origin, first.line),
                    second: format!("{}:{}", r.origin, r.line),
                });
            }
        }
        self.rules.extend(other.rules);
        Ok(())
    }

    /// The rules, in order.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The number of rules.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// `true` if there are no rules.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules as TOML in this crate's format (comments are not kept).
    /// [`parse`](Self::parse) reads it back to an equal set.
    #[must_use]
    pub fn to_toml(&self) -> String {
        write::to_toml(&self.rules)
    }
}

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The text is not TOML, or not this format.
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        /// The file (origin name).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A rule breaks the format's rules.
    #[error("{origin}:{line}: {message}")]
    Invalid {
        /// The file (origin name).
        origin: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Two rule sets use the same rule id.
    #[error("rule id {id:?} is used twice ({first} and {second})")]
    DuplicateId {
        /// The id.
        id: String,
        /// Where it is used first.
        first: String,
        /// Where it is used again.
        second: String,
    },
    /// The rule file cannot be read.
    #[error("cannot read pixel rule file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
