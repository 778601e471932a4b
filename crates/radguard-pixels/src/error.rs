//! The crate's error type.

use radguard_core::Reason;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why pixel data could not be decoded, blanked or re-encoded.
///
/// No variant carries pixel values or header values read from the file,
/// only what kind of thing failed, so errors may be logged and audited.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the DICOM file failed.
    #[error(transparent)]
    Dicom(#[from] radguard_dicom::Error),

    /// This build has no decoder for the pixel data: a codec that is
    /// missing or switched off, never a reason to pass pixels through.
    #[error("no {codec} decoder in this build (transfer syntax {uid}){}", hint.map(|h| format!("; {h}")).unwrap_or_default())]
    NoDecoder {
        /// What would be needed, e.g. "JPEG-LS" or "12-bit JPEG (process 4)".
        codec: &'static str,
        /// The transfer syntax UID (sanitized: digits and dots only).
        uid: String,
        /// How to get one, e.g. "enable the `jpegls` feature of radguard-pixels".
        hint: Option<&'static str>,
    },

    /// The transfer syntax is not one whose pixels radguard can decode
    /// (video, JPIP, unknown).
    #[error("pixel data in transfer syntax {uid} cannot be decoded: {why}")]
    UnsupportedTransferSyntax {
        /// The transfer syntax UID (sanitized).
        uid: String,
        /// Why.
        why: &'static str,
    },

    /// The Image Pixel attributes are missing, inconsistent, or describe
    /// something this crate does not handle (for example 1-bit samples).
    #[error("image pixel description: {what}")]
    Description {
        /// What is wrong.
        what: &'static str,
    },

    /// A frame's encoded stream could not be decoded, or decoded to
    /// something else than its header says.
    #[error("frame {frame}: {codec} stream cannot be decoded: {what}")]
    Decode {
        /// 0-based frame number.
        frame: u32,
        /// The codec.
        codec: &'static str,
        /// What went wrong (the codec's message, which holds no pixel values).
        what: String,
    },

    /// A frame could not be encoded.
    #[error("frame {frame}: {codec} encoding failed: {what}")]
    Encode {
        /// 0-based frame number.
        frame: u32,
        /// The codec.
        codec: &'static str,
        /// What went wrong.
        what: String,
    },

    /// A buffer does not have the length its description requires.
    #[error("frame buffer holds {actual} bytes, its description needs {expected}")]
    Length {
        /// Bytes the description requires.
        expected: u64,
        /// Bytes given.
        actual: u64,
    },

    /// A frame or an output is larger than this crate will hold in memory
    /// or write in one value.
    #[error("{what} of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// What.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },

    /// A [`CleanPlan`](crate::CleanPlan) was used with another file than
    /// the one it was made for.
    #[error("the clean plan does not match this file: {what}")]
    PlanMismatch {
        /// What differs.
        what: &'static str,
    },
}

impl Error {
    /// A PHI-free reason for audit records.
    #[must_use]
    pub fn reason(&self) -> Reason {
        match self {
            Self::Dicom(e) => e.reason(),
            Self::NoDecoder { .. } => Reason::code("pixel_decoder_missing"),
            Self::UnsupportedTransferSyntax { .. } => {
                Reason::code("pixel_transfer_syntax_unsupported")
            }
            Self::Description { .. } => Reason::code("pixel_description_invalid"),
            Self::Decode { .. } => Reason::code("pixel_decode_failed"),
            Self::Encode { .. } => Reason::code("pixel_encode_failed"),
            Self::Length { .. } => Reason::code("pixel_length_mismatch"),
            Self::TooLarge { .. } => Reason::code("pixel_too_large"),
            Self::PlanMismatch { .. } => Reason::code("pixel_plan_mismatch"),
        }
    }

    pub(crate) fn decode(frame: u32, codec: &'static str, what: impl std::fmt::Display) -> Self {
        Self::Decode {
            frame,
            codec,
            what: what.to_string(),
        }
    }

    pub(crate) fn encode(frame: u32, codec: &'static str, what: impl std::fmt::Display) -> Self {
        Self::Encode {
            frame,
            codec,
            what: what.to_string(),
        }
    }
}

/// Keeps the digits and dots of a UID read from a file (no PHI can ride
/// in an error through it).
pub(crate) fn sanitize_uid(uid: &str) -> String {
    uid.chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .take(64)
        .collect()
}
