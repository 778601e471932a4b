//! Errors as the Python package raises them: a kind (the exception class),
//! the PHI-free reason code of the audit trail, and the message the CLI
//! prints for the same failure.

use std::fmt;

use radguard_core::secret_file::SecretFileError;

/// Which Python exception a failure becomes (all derive from
/// `radguard.RadguardError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// Refused by policy (burned-in annotation, DICOMDIR, truncated file,
    /// no SOP Instance UID): `RefusedError`.
    Refused,
    /// Not a DICOM file: `NotDicomError`.
    NotDicom,
    /// A malformed or unsupported DICOM file: `InvalidDicomError`.
    InvalidDicom,
    /// A bad argument: unknown option, malformed tag, CVSS vector,
    /// inventory, pseudonym list: `InvalidInputError` (also a `ValueError`).
    InvalidInput,
    /// A key file or keyring that may not be used (mode, format):
    /// `KeyFileError`.
    KeyFile,
    /// The output exists and overwriting was not asked for:
    /// `OutputExistsError` (also a `FileExistsError`).
    Exists,
    /// Decryption failed (wrong key, or modified data): `DecryptionError`.
    Decryption,
    /// A key-management failure (unknown or destroyed key, no primary
    /// key): `KeyError_` in Rust terms, `KeyManagementError` in Python.
    KeyManagement,
    /// Reading or writing failed: `RadguardIOError` (also an `OSError`).
    Io,
}

impl FailureKind {
    /// The name of the Python exception class.
    #[must_use]
    pub fn exception(self) -> &'static str {
        match self {
            Self::Refused => "RefusedError",
            Self::NotDicom => "NotDicomError",
            Self::InvalidDicom => "InvalidDicomError",
            Self::InvalidInput => "InvalidInputError",
            Self::KeyFile => "KeyFileError",
            Self::Exists => "OutputExistsError",
            Self::Decryption => "DecryptionError",
            Self::KeyManagement => "KeyManagementError",
            Self::Io => "RadguardIOError",
        }
    }
}

/// A failure, ready to become a Python exception.
///
/// # Security
///
/// `message` is built from the libraries' error texts, which never
/// include values read from a file (names, IDs, dates) or key material;
/// it names paths the caller gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exception class.
    pub kind: FailureKind,
    /// The PHI-free reason code, as in audit records (`"truncated"`,
    /// `"burned_in_annotation"`, ...).
    pub reason: String,
    /// The message: the error and its causes on one line, as the CLI
    /// prints them.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// A failure of `kind` with a reason code and a message.
    #[must_use]
    pub fn new(kind: FailureKind, reason: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    /// An invalid argument.
    #[must_use]
    pub fn invalid(reason: &str, err: &(dyn std::error::Error + 'static)) -> Self {
        Self::new(FailureKind::InvalidInput, reason, chain(err))
    }
}

/// An error and its causes on one line (`what: why: deeper why`), as the
/// CLI renders them.
#[must_use]
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn dicom_kind(e: &radguard_dicom::Error) -> FailureKind {
    use radguard_dicom::Error as E;
    match e {
        E::NotDicom { .. } => FailureKind::NotDicom,
        E::Exists { .. } => FailureKind::Exists,
        E::Io { .. } | E::Stream { .. } => FailureKind::Io,
        _ => FailureKind::InvalidDicom,
    }
}

impl From<radguard_dicom::Error> for Failure {
    fn from(e: radguard_dicom::Error) -> Self {
        Self::new(dicom_kind(&e), e.reason().code.as_str(), chain(&e))
    }
}

impl From<radguard_deid::Error> for Failure {
    fn from(e: radguard_deid::Error) -> Self {
        use radguard_deid::Error as E;
        let kind = match &e {
            E::Dicom(d) => dicom_kind(d),
            E::ConflictingOptions { .. } | E::Mapping { .. } => FailureKind::InvalidInput,
            E::Io(_) => FailureKind::Io,
            _ if e.is_refusal() => FailureKind::Refused,
            _ => FailureKind::InvalidDicom,
        };
        let mut message = chain(&e);
        if matches!(e, E::BurnedInAnnotation { .. }) {
            message.push_str(" (allow_burned_in=True de-identifies the header only)");
        }
        Self::new(kind, e.reason().code.as_str(), message)
    }
}

impl From<radguard_crypt::Error> for Failure {
    fn from(e: radguard_crypt::Error) -> Self {
        use radguard_crypt::Error as E;
        let kind = match &e {
            E::Dicom(d) => dicom_kind(d),
            E::Decrypt => FailureKind::Decryption,
            E::UnknownKey { .. }
            | E::KeyDestroyed { .. }
            | E::NoPrimaryKey
            | E::Provider { .. }
            | E::KeyManagement { .. } => FailureKind::KeyManagement,
            E::Keyring { .. } => FailureKind::KeyFile,
            E::KeyringIo { .. } | E::Io { .. } => FailureKind::Io,
            E::InvalidInput { .. } => FailureKind::InvalidInput,
            _ => FailureKind::InvalidDicom,
        };
        Self::new(kind, e.reason().code.as_str(), chain(&e))
    }
}

impl From<SecretFileError> for Failure {
    fn from(e: SecretFileError) -> Self {
        let (kind, reason) = match &e {
            SecretFileError::Io { .. } => (FailureKind::Io, "io_error"),
            _ => (FailureKind::KeyFile, "bad_key_file"),
        };
        Self::new(kind, reason, chain(&e))
    }
}

impl From<radguard_deid::UnknownOption> for Failure {
    fn from(e: radguard_deid::UnknownOption) -> Self {
        Self::invalid("unknown_option", &e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        let kind = if e.kind() == std::io::ErrorKind::AlreadyExists {
            FailureKind::Exists
        } else {
            FailureKind::Io
        };
        Self::new(kind, "io_error", chain(&e))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kinds_reasons_and_messages() {
        let f = Failure::from(radguard_deid::Error::Truncated {
            offset: 12,
            tag: None,
        });
        assert_eq!(f.kind, FailureKind::Refused);
        assert_eq!(f.reason, "truncated");
        assert_eq!(f.message, "refused: the file is truncated at offset 12");
        let f = Failure::from(radguard_deid::Error::BurnedInAnnotation { reason: "x" });
        assert!(f.message.contains("allow_burned_in=True"), "{}", f.message);
        let f = Failure::from(radguard_crypt::Error::Decrypt);
        assert_eq!(
            (f.kind, f.reason.as_str()),
            (FailureKind::Decryption, "decrypt_failed")
        );
        let f = Failure::from("nope".parse::<radguard_deid::DeidOption>().unwrap_err());
        assert_eq!(f.kind.exception(), "InvalidInputError");
        assert!(
            f.message
                .starts_with("unknown de-identification option \"nope\"")
        );
    }
}
