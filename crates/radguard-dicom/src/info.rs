//! What reading a file found out about it, beyond its content.

use std::fmt;

use radguard_core::AttrTag;

/// Something irregular but readable found in a file.
///
/// Findings never stop a read (irregularities that cannot be read safely are
/// [`Error`](crate::Error)s); they are reported so that a caller can decide,
/// and so that `radguard inspect` can show them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// The element involved, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tag: Option<AttrTag>,
    /// Byte offset in the file (in the inflated data set for a deflated
    /// transfer syntax, see [`FileInfo::offsets_in_inflated`]).
    pub offset: u64,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.kind.describe(), self.offset)?;
        if let Some(t) = self.tag {
            write!(f, " in {t}")?;
        }
        Ok(())
    }
}

/// The kinds of [`Finding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FindingKind {
    /// A value of odd length (DICOM requires even lengths); it is padded on write.
    OddLength,
    /// An explicit VR field that is not a known VR; read as UN.
    InvalidVr,
    /// An item or sequence delimitation item outside any sequence; ignored.
    StrayDelimiter,
    /// Elements not in ascending tag order.
    OutOfOrder,
    /// The same tag twice in one data set; the last one is kept.
    DuplicateTag,
    /// An element of undefined length that is neither a sequence nor pixel
    /// data; read as a sequence.
    UndefinedLengthNonSequence,
    /// A UN element of undefined length: read as a sequence encoded in
    /// Implicit VR Little Endian (PS3.5 §6.2.2), written back as SQ.
    UnknownVrSequence,
    /// A sequence or encapsulated pixel data ends at the end of the file
    /// without its delimitation item.
    MissingDelimiter,
    /// The file ends inside an element, item or fragment: everything up to
    /// the last complete element was read, the rest is lost. Callers that
    /// must not process partial files check [`FileInfo::is_truncated`].
    TruncatedAtEof,
    /// Items of a defined-length sequence run past its declared length
    /// (their bytes are present); lengths are recomputed on write.
    SequenceLengthMismatch,
    /// The data set is encoded with explicit VR while the transfer syntax
    /// says Implicit VR Little Endian, or the reverse; it was read as found
    /// and the transfer syntax corrected.
    EncodingMismatch,
    /// A retired group length element (gggg,0000) in the data set; dropped.
    GroupLengthDropped,
    /// A file meta element (group 0002) after the file meta group, in the
    /// data set; dropped.
    MetaElementInDataSet,
    /// Fewer than 8 bytes after the last element, all zero (padding);
    /// ignored. Trailing bytes that are not all zero are a cut element
    /// header ([`FindingKind::TruncatedAtEof`] or an error).
    TrailingBytes,
    /// A delimitation item with a non-zero length field.
    NonZeroDelimiterLength,
    /// An encapsulated pixel data offset table whose length is not a
    /// multiple of 4; its last bytes are ignored.
    BadOffsetTable,
    /// The file meta group length disagrees with the meta elements found.
    MetaGroupLengthMismatch,
    /// A file meta element that radguard does not carry over; dropped on write.
    MetaElementDropped,
    /// No file meta information: the file starts directly with the data set.
    NoFileMeta,
    /// A preamble and `DICM` marker followed directly by the data set, with
    /// no file meta group; the data set was read, its transfer syntax
    /// inferred.
    DicmWithoutFileMeta,
    /// The transfer syntax was inferred from the data set encoding.
    TransferSyntaxInferred,
    /// A required file meta element is missing.
    MissingMetaElement,
}

impl FindingKind {
    /// A short description in English.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::OddLength => "odd value length",
            Self::InvalidVr => "invalid VR, read as UN",
            Self::GroupLengthDropped => "retired group length element dropped",
            Self::MetaElementInDataSet => "file meta element inside the data set, dropped",
            Self::StrayDelimiter => "delimiter outside a sequence, ignored",
            Self::TruncatedAtEof => {
                "file ends inside an element; read up to the last complete element"
            }
            Self::SequenceLengthMismatch => "sequence items run past the declared sequence length",
            Self::EncodingMismatch => {
                "data set encoding differs from its transfer syntax (explicit/implicit VR); read as found, transfer syntax corrected"
            }
            Self::OutOfOrder => "elements out of ascending tag order",
            Self::DuplicateTag => "duplicate tag, last one kept",
            Self::UndefinedLengthNonSequence => {
                "undefined length on a non-sequence element, read as a sequence"
            }
            Self::UnknownVrSequence => {
                "UN element of undefined length, read as an implicit VR sequence"
            }
            Self::MissingDelimiter => "sequence ends at end of file without a delimiter",
            Self::TrailingBytes => "zero padding after the last element, ignored",
            Self::NonZeroDelimiterLength => "delimitation item with non-zero length",
            Self::BadOffsetTable => "basic offset table length not a multiple of 4",
            Self::MetaGroupLengthMismatch => "file meta group length does not match its elements",
            Self::MetaElementDropped => "unsupported file meta element, dropped on write",
            Self::NoFileMeta => "no file meta information",
            Self::DicmWithoutFileMeta => "DICM marker not followed by a file meta group",
            Self::TransferSyntaxInferred => "transfer syntax inferred from the data set",
            Self::MissingMetaElement => "required file meta element missing",
        }
    }

    /// `true` for findings about lengths (what `radguard inspect` calls
    /// malformed-length findings).
    #[must_use]
    pub fn is_length_finding(self) -> bool {
        matches!(
            self,
            Self::OddLength
                | Self::TruncatedAtEof
                | Self::SequenceLengthMismatch
                | Self::UndefinedLengthNonSequence
                | Self::UnknownVrSequence
                | Self::MissingDelimiter
                | Self::TrailingBytes
                | Self::NonZeroDelimiterLength
                | Self::BadOffsetTable
                | Self::MetaGroupLengthMismatch
        )
    }
}

/// How the 128-byte preamble of a file looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Preamble {
    /// No preamble: the file starts with `DICM` or directly with a data set.
    Absent,
    /// 128 zero bytes.
    Zeros,
    /// A preamble with content (for example a TIFF header: PS3.10 §7.5 warns
    /// that such dual-format files can carry executable content).
    NonZero,
}

/// Facts about a file established while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct FileInfo {
    /// File size in bytes.
    pub file_size: u64,
    /// The preamble.
    pub preamble: Preamble,
    /// `true` if the file had a file meta information group.
    pub has_file_meta: bool,
    /// The transfer syntax UID (from the file meta, or inferred).
    pub transfer_syntax: String,
    /// Elements read, nested ones included (file meta excluded).
    pub element_count: u64,
    /// The deepest sequence nesting found (top-level data set = 0).
    pub max_depth: u32,
    /// Byte offset of the data set (after preamble and file meta).
    pub dataset_offset: u64,
    /// `true` when the transfer syntax is deflated and finding offsets count
    /// bytes of the inflated data set.
    pub offsets_in_inflated: bool,
    /// Irregularities found.
    pub findings: Vec<Finding>,
}

impl FileInfo {
    /// `true` if the file ends inside an element and was read only up to
    /// its last complete element ([`FindingKind::TruncatedAtEof`]).
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.kind == FindingKind::TruncatedAtEof)
    }
}
