//! Errors of radguard-wipe.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while planning or running a wipe, or while
/// handling a certificate.
///
/// A wipe that *ran* but failed (an I/O error halfway, a verification
/// mismatch, an interrupt) is not an `Error`: it is a [`TargetReport`]
/// whose status says so, because the certificate must record it.
///
/// [`TargetReport`]: crate::TargetReport
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A custom pattern that cannot be used.
    #[error("invalid pattern: {0}")]
    InvalidPattern(&'static str),
    /// A method name that is not known.
    #[error(
        "unknown method {0:?} (expected clear, random, dod3, dod7, zeroout, discard or pattern:HEX)"
    )]
    UnknownMethod(String),
    /// A verification mode name that is not known.
    #[error("unknown verification {0:?} (expected none, last, all or sample)")]
    UnknownVerify(String),
    /// The operating system could not provide randomness.
    #[error("the operating system random number generator failed")]
    Random,
    /// The target was refused by a safety rule (forcing, `Options::force`,
    /// overrides some).
    #[error("{path}: refused: {reason}")]
    Refused {
        /// The target.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The target is not something radguard-wipe can sanitize.
    #[error("{path}: unsupported target: {reason}")]
    Unsupported {
        /// The target.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The target changed between planning and wiping (replaced, turned
    /// into a symbolic link, ...).
    #[error("{0}: the target changed since it was planned; nothing was written")]
    Changed(PathBuf),
    /// An I/O error while inspecting or wiping a target.
    #[error("I/O error on {path}")]
    Io {
        /// The target or file involved.
        path: PathBuf,
        /// The operating system error.
        #[source]
        source: io::Error,
    },
    /// A certificate that is not well-formed JSON of the expected shape.
    #[error("malformed certificate: {0}")]
    CertificateFormat(String),
    /// A certificate whose signature does not verify, or whose signer is
    /// not the expected key.
    #[error("certificate verification failed: {0}")]
    CertificateInvalid(&'static str),
    /// Key material that is not a valid key.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
}

/// `err` and its sources, joined by `: `, for a report's one-line error.
pub(crate) fn chain_text(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn refused(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::Refused {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::Unsupported {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// A stable, machine-readable code for audit records.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidPattern(_) => "invalid_pattern",
            Self::UnknownMethod(_) => "unknown_method",
            Self::UnknownVerify(_) => "unknown_verify",
            Self::Random => "random_failed",
            Self::Refused { .. } => "refused",
            Self::Unsupported { .. } => "unsupported_target",
            Self::Changed(_) => "target_changed",
            Self::Io { .. } => "io_error",
            Self::CertificateFormat(_) => "certificate_malformed",
            Self::CertificateInvalid(_) => "certificate_invalid",
            Self::InvalidKey(_) => "invalid_key",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_the_cause_in_source_and_reports_show_it_once() {
        let e = Error::io("/dev/sdz", io::Error::from(io::ErrorKind::PermissionDenied));
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        let cause = cause.unwrap_or_default();
        assert!(!cause.is_empty());
        assert!(!e.to_string().contains(&cause), "{e}");
        let text = chain_text(&e);
        assert_eq!(text, format!("I/O error on /dev/sdz: {cause}"));
    }
}
