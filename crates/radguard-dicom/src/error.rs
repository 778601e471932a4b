//! The crate's error type.

use std::io;
use std::path::PathBuf;

use radguard_core::{AttrTag, Reason};

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing a DICOM file.
///
/// Every variant that concerns a place in the input names the attribute tag
/// and the byte offset, in its `Display` text and in its fields. No variant
/// ever carries a value read from the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{op} {path}")]
    Io {
        /// What was being done: "cannot open", "cannot read", ...
        op: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// An I/O error on a reader or writer that has no path.
    #[error("I/O error while {op}")]
    Stream {
        /// What was being done.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The input does not look like DICOM at all: no `DICM` marker and no
    /// plausible data set at the start.
    #[error("not a DICOM file: {reason}")]
    NotDicom {
        /// Why the input was rejected.
        reason: &'static str,
    },

    /// A declared length points past the bytes that are really there.
    #[error(
        "{tag} at offset {offset}: declared length {declared} exceeds the {available} bytes available"
    )]
    Truncated {
        /// The element (or item) whose length is wrong.
        tag: AttrTag,
        /// Byte offset of its header in the input.
        offset: u64,
        /// The length it declares.
        declared: u64,
        /// The bytes left in its enclosing container (item, sequence or file).
        available: u64,
    },

    /// The input breaks the DICOM encoding rules in a way that cannot be
    /// read safely.
    #[error("malformed DICOM at offset {offset}{}: {what}", fmt_tag(*.tag))]
    Malformed {
        /// Byte offset where the problem was found.
        offset: u64,
        /// The element involved, if known.
        tag: Option<AttrTag>,
        /// What is wrong.
        what: &'static str,
    },

    /// Sequences are nested deeper than the limit.
    #[error("{tag} at offset {offset}: sequence nesting deeper than the limit of {limit}")]
    TooDeep {
        /// The sequence that went too deep.
        tag: AttrTag,
        /// Byte offset of its header.
        offset: u64,
        /// The configured limit ([`Limits::max_depth`](crate::Limits::max_depth)).
        limit: u32,
    },

    /// A size limit was exceeded.
    #[error("{what} of {size} exceeds the limit of {limit}")]
    TooLarge {
        /// What is too large: "file", "header", "element count", "inflated data set".
        what: &'static str,
        /// The size found (bytes, or elements).
        size: u64,
        /// The configured limit.
        limit: u64,
    },

    /// The transfer syntax is unknown or its data set encoding is not
    /// supported. The UID is a public identifier, not PHI.
    #[error("unsupported transfer syntax {uid}: {why}")]
    UnsupportedTransferSyntax {
        /// The transfer syntax UID.
        uid: String,
        /// Why it is not supported.
        why: &'static str,
    },

    /// An element's value could not be decoded for its VR.
    #[error("{tag} at offset {offset}: value cannot be decoded as {vr}")]
    Value {
        /// The element.
        tag: AttrTag,
        /// Byte offset of its value.
        offset: u64,
        /// The value representation it was decoded as.
        vr: &'static str,
        /// dicom-rs's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// Encoding the data set for writing failed (for example a value that
    /// the declared character set cannot represent).
    #[error("cannot encode the data set")]
    Encode {
        /// dicom-rs's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The output file already exists and overwriting was not allowed.
    #[error("output {path} already exists (not overwritten)")]
    Exists {
        /// The output path.
        path: PathBuf,
    },

    /// The pixel data may carry metadata that cannot be removed: a frame
    /// that is not a well-formed stream of its transfer syntax, a video
    /// stream, fragments that do not make the declared frames, or native
    /// pixel data whose Image Pixel attributes are missing or inconsistent.
    #[error("pixel data{}: metadata cannot be removed", fmt_frame(*.frame))]
    PixelMetadata {
        /// The frame (0-based), when one frame is at fault.
        frame: Option<u64>,
        /// What is wrong.
        #[source]
        source: crate::pixel_meta::Error,
    },

    /// A writer was used out of order (elements must be written in
    /// ascending tag order, pixel data exactly once, with exactly the
    /// declared number of bytes).
    #[error("writer misuse: {what}")]
    WriterState {
        /// What was done wrong.
        what: &'static str,
    },
}

fn fmt_tag(tag: Option<AttrTag>) -> String {
    tag.map(|t| format!(" in {t}")).unwrap_or_default()
}

fn fmt_frame(frame: Option<u64>) -> String {
    frame.map(|f| format!(", frame {f}")).unwrap_or_default()
}

impl Error {
    pub(crate) fn io(op: &'static str, path: &std::path::Path, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn malformed(offset: u64, tag: Option<AttrTag>, what: &'static str) -> Self {
        Self::Malformed { offset, tag, what }
    }

    /// A PHI-free, machine-readable reason for audit records.
    #[must_use]
    pub fn reason(&self) -> Reason {
        let (code, tag, offset) = match self {
            Self::Io { .. } | Self::Stream { .. } => ("io_error", None, None),
            Self::NotDicom { .. } => ("not_dicom", None, None),
            Self::Truncated { tag, offset, .. } => {
                ("length_exceeds_data", Some(*tag), Some(*offset))
            }
            Self::Malformed { tag, offset, .. } => ("malformed", *tag, Some(*offset)),
            Self::TooDeep { tag, offset, .. } => ("too_deep", Some(*tag), Some(*offset)),
            Self::TooLarge { .. } => ("too_large", None, None),
            Self::UnsupportedTransferSyntax { .. } => ("unsupported_transfer_syntax", None, None),
            Self::Value { tag, offset, .. } => ("undecodable_value", Some(*tag), Some(*offset)),
            Self::Encode { .. } => ("encode_error", None, None),
            Self::Exists { .. } => ("output_exists", None, None),
            Self::WriterState { .. } => ("writer_misuse", None, None),
            Self::PixelMetadata { source, .. } => (
                source.code(),
                Some(crate::tags::to_attr(crate::tags::PIXEL_DATA)),
                None,
            ),
        };
        let mut r = Reason::code(code);
        if let Some(t) = tag {
            r = r.at_tag(t);
        }
        if let Some(o) = offset {
            r = r.at_offset(o);
        }
        r
    }
}
