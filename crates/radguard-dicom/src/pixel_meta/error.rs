//! Errors of the pixel stream checks.

use std::fmt;

/// Result type of [`pixel_meta`](super).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A stream format whose metadata radguard removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// JPEG (ISO 10918).
    Jpeg,
    /// JPEG-LS (ISO 14495).
    JpegLs,
    /// A JPEG 2000 or HTJ2K codestream (ISO 15444-1, -15).
    J2k,
    /// A JP2 file (ISO 15444-1 Annex I).
    Jp2,
    /// JPEG XL (ISO 18181).
    Jxl,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jpeg => "JPEG",
            Self::JpegLs => "JPEG-LS",
            Self::J2k => "JPEG 2000",
            Self::Jp2 => "JP2",
            Self::Jxl => "JPEG XL",
        })
    }
}

/// Why pixel data could not be checked for metadata. No variant carries
/// content from the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The stream breaks its format's syntax where metadata could hide.
    #[error("cannot check the {format} stream for metadata: {what} at byte {offset}")]
    Malformed {
        /// The format.
        format: Format,
        /// Byte offset in the frame.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },

    /// The stream ends before its end marker (a frame cut short, or a frame
    /// that continues in the next fragment).
    #[error("cannot check the {format} stream for metadata: it ends early, at byte {offset}")]
    Truncated {
        /// The format.
        format: Format,
        /// Where the data ran out.
        offset: u64,
    },

    /// Video transfer syntaxes (MPEG-2, MPEG-4, HEVC) are not parsed.
    #[error("metadata cannot be checked in video streams (transfer syntax {uid})")]
    Video {
        /// The transfer syntax UID.
        uid: String,
    },

    /// The transfer syntax has no pixel stream radguard can check.
    #[error("transfer syntax {uid}: {why}")]
    Unsupported {
        /// The transfer syntax UID (digits and dots only, else `<invalid>`).
        uid: String,
        /// Why.
        why: &'static str,
    },

    /// The image pixel attributes are missing or inconsistent, so which
    /// bits of native pixel data hold the image is unknown.
    #[error("native pixel data cannot be checked: {what}")]
    Description {
        /// What is missing or inconsistent.
        what: &'static str,
    },

    /// The fragments of encapsulated pixel data cannot be grouped into
    /// frames.
    #[error("encapsulated pixel data: {what}")]
    Frames {
        /// What is inconsistent.
        what: &'static str,
    },
}

impl Error {
    pub(super) fn malformed(format: Format, offset: usize, what: &'static str) -> Self {
        Self::Malformed {
            format,
            offset: offset as u64,
            what,
        }
    }

    pub(super) fn truncated(format: Format, offset: usize) -> Self {
        Self::Truncated {
            format,
            offset: offset as u64,
        }
    }

    pub(super) fn unsupported(uid: &str, why: &'static str) -> Self {
        Self::Unsupported {
            uid: crate::ts::sanitize_uid(uid),
            why,
        }
    }

    /// A PHI-free, machine-readable code for audit records.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "pixel_stream_malformed",
            Self::Truncated { .. } => "pixel_stream_truncated",
            Self::Video { .. } => "pixel_stream_video",
            Self::Unsupported { .. } => "pixel_stream_unsupported",
            Self::Description { .. } => "pixel_description_invalid",
            Self::Frames { .. } => "pixel_frames_inconsistent",
        }
    }
}
