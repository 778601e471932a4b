//! The crate's error type.

use radguard_core::{AttrTag, Reason};
use radguard_dicom::tags::{self, to_attr};

use crate::profile::DeidOption;

/// Why a file was not de-identified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read or written (see the source).
    #[error(transparent)]
    Dicom(#[from] radguard_dicom::Error),

    /// The input is a DICOMDIR (a media directory, not an image).
    #[error(
        "DICOMDIR files are not de-identified: de-identify the instances and build a new DICOMDIR from them (PS3.15 E.1.1)"
    )]
    Dicomdir,

    /// The pixel data may show identifying text, and the profile does not
    /// clean it.
    #[error("refused: {reason}; select the Clean Pixel Data option to clean the pixels")]
    BurnedInAnnotation {
        /// Why the file is considered to have burned-in annotation.
        reason: &'static str,
    },

    /// The pixel data may show identifying text, and cleaning it could not
    /// be assured (Clean Pixel Data).
    #[error("refused: burned-in text could not be cleaned: {reason}")]
    PixelsNotCleaned {
        /// What is missing (PHI-free): no rule and no text detection, a
        /// decoder, text left after cleaning in a frame...
        reason: String,
    },

    /// A pixel rule file is invalid, or its rule ids clash.
    #[error("pixel rules")]
    PixelRules(#[from] radguard_pixfind::RuleError),

    /// The pixel data could not be written.
    #[error("pixel data")]
    Pixels(#[source] radguard_pixels::Error),

    /// The input has no SOP Instance UID, in its data set or file meta.
    #[error("refused: no SOP Instance UID (0008,0018) in the data set or file meta")]
    NoInstanceUid,

    /// The input file ends inside an element.
    #[error("refused: the file is truncated at offset {offset}{}", tag.map(|t| format!(" in {t}")).unwrap_or_default())]
    Truncated {
        /// Where.
        offset: u64,
        /// In which element.
        tag: Option<AttrTag>,
    },

    /// Two options that exclude each other were selected.
    #[error("options {a} and {b} exclude each other")]
    ConflictingOptions {
        /// One option.
        a: DeidOption,
        /// The other.
        b: DeidOption,
    },

    /// A pseudonym mapping file is malformed.
    #[error("pseudonym mapping, line {line}: {what}")]
    Mapping {
        /// 1-based line number.
        line: usize,
        /// What is wrong (never the values).
        what: &'static str,
    },

    /// Reading or writing a stream failed.
    #[error("I/O error")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A PHI-free reason for audit records.
    #[must_use]
    pub fn reason(&self) -> Reason {
        match self {
            Self::Dicom(e) => e.reason(),
            Self::Dicomdir => Reason::code("dicomdir"),
            Self::BurnedInAnnotation { .. } => {
                Reason::code("burned_in_annotation").at_tag(to_attr(tags::BURNED_IN_ANNOTATION))
            }
            Self::PixelsNotCleaned { .. } => {
                Reason::code("pixels_not_cleaned").at_tag(to_attr(tags::BURNED_IN_ANNOTATION))
            }
            Self::PixelRules(_) => Reason::code("bad_pixel_rules"),
            Self::Pixels(e) => e.reason(),
            Self::NoInstanceUid => {
                Reason::code("no_sop_instance_uid").at_tag(to_attr(tags::SOP_INSTANCE_UID))
            }
            Self::Truncated { offset, tag } => {
                let r = Reason::code("truncated").at_offset(*offset);
                match tag {
                    Some(t) => r.at_tag(*t),
                    None => r,
                }
            }
            Self::ConflictingOptions { .. } => Reason::code("conflicting_options"),
            Self::Mapping { .. } => Reason::code("bad_mapping"),
            Self::Io(_) => Reason::code("io_error"),
        }
    }

    /// `true` when the input is not a DICOM file at all (a caller walking
    /// folders may skip it).
    #[must_use]
    pub fn is_not_dicom(&self) -> bool {
        matches!(self, Self::Dicom(radguard_dicom::Error::NotDicom { .. }))
    }

    /// `true` when the file was refused by policy rather than failing.
    #[must_use]
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Dicomdir
                | Self::BurnedInAnnotation { .. }
                | Self::PixelsNotCleaned { .. }
                | Self::NoInstanceUid
                | Self::Truncated { .. }
        )
    }
}
