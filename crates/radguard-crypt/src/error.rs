//! The crate's error type.

use std::path::PathBuf;

use radguard_core::{KeyId, Reason};

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong encrypting, decrypting or managing keys.
///
/// # Security
///
/// Every way a ciphertext can fail to decrypt — wrong key, any modified or
/// truncated byte of the envelope or the segments, segments reordered or
/// moved from another instance, a malformed envelope — is the single,
/// deliberately uninformative [`Error::Decrypt`], as `aead::Error` is: an
/// attacker probing a decryption service learns nothing about *why* a
/// forgery failed. Only facts that are public anyway get their own
/// variant: the key id named in the header is unknown to the provider
/// ([`Error::UnknownKey`]) or was destroyed ([`Error::KeyDestroyed`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Decryption failed: wrong key, or the data was modified, truncated,
    /// reordered or moved from another instance. Deliberately opaque.
    #[error("decryption failed: wrong key, or the encrypted data was modified, truncated or moved")]
    Decrypt,

    /// The key provider does not know the key-encryption key.
    #[error("key {key_id} is not available from the key provider")]
    UnknownKey {
        /// The key id asked for.
        key_id: KeyId,
    },

    /// The key-encryption key was destroyed (crypto-erase): what it
    /// protected cannot be decrypted any more, by design.
    #[error("key {key_id} was destroyed (crypto-erased); data under it is unrecoverable")]
    KeyDestroyed {
        /// The destroyed key's id.
        key_id: KeyId,
    },

    /// The key provider has no primary key to encrypt new data under.
    #[error("the key provider has no primary key (create one first)")]
    NoPrimaryKey,

    /// A key provider's backend failed (network, HSM, KMS permission, ...).
    #[error("key provider failed")]
    Provider {
        /// The backend's error. Providers must not put key material in it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A keyring file is unusable.
    #[error("keyring {path}: {what}")]
    Keyring {
        /// The keyring file.
        path: PathBuf,
        /// What is wrong (never includes key material).
        what: &'static str,
    },

    /// Reading or writing a keyring file failed.
    #[error("keyring {path}: {op}")]
    KeyringIo {
        /// What was being done.
        op: &'static str,
        /// The keyring file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A key management request that cannot be honoured (duplicate key id,
    /// destroying an unknown key, ...).
    #[error("{what}")]
    KeyManagement {
        /// What is wrong.
        what: &'static str,
    },

    /// The operating system's random number generator failed.
    #[error("the operating system random number generator failed")]
    Random,

    /// An I/O error on a stream that has no path.
    #[error("I/O error while {op}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A parameter outside what the format allows (segment size, number of
    /// segments, lengths).
    #[error("invalid parameter: {what}")]
    InvalidInput {
        /// What is out of range.
        what: &'static str,
    },

    /// The input is not a DICOM file encrypted by radguard-crypt (its
    /// private block is absent).
    #[cfg(feature = "dicom")]
    #[error("not encrypted by radguard-crypt (no RADGUARD CRYPT private block)")]
    NotEncrypted,

    /// The input is already encrypted by radguard-crypt.
    #[cfg(feature = "dicom")]
    #[error("already encrypted by radguard-crypt")]
    AlreadyEncrypted,

    /// The input has nothing the protection policy covers: no pixel data,
    /// overlay, document, waveform or private bulk data.
    #[cfg(feature = "dicom")]
    #[error("no pixel data or other protected content to encrypt")]
    NoPixelData,

    /// The input cannot be encrypted safely as it is; nothing was written.
    #[cfg(feature = "dicom")]
    #[error("cannot encrypt: {what}")]
    Unsupported {
        /// Why.
        what: &'static str,
    },

    /// An attribute bound to the encrypted data (format v2: what interprets
    /// the pixels, the instance's identity) differs from its value at
    /// encryption, or the place a protected element goes back to is gone.
    /// Nothing was written.
    #[cfg(feature = "dicom")]
    #[error("{what}: {attribute}")]
    HeaderChanged {
        /// The attribute, by keyword and path (never its value).
        attribute: String,
        /// What is wrong.
        what: &'static str,
    },

    /// The Patient ID differs from the one at encryption (format v2's keyed
    /// digest), and the caller asked to refuse such files. Nothing was
    /// written.
    #[cfg(feature = "dicom")]
    #[error(
        "the Patient ID differs from the one the data was encrypted under (relabelled or transplanted?)"
    )]
    PatientChanged,

    /// An element the protection policy covers cannot be protected (its
    /// value cannot be taken out and restored exactly); nothing was written.
    #[cfg(feature = "dicom")]
    #[error("cannot protect {path}: {what}")]
    Unprotectable {
        /// Where the element is.
        path: radguard_core::AttrPath,
        /// Why.
        what: &'static str,
    },

    /// Reading or writing the DICOM file failed.
    #[cfg(feature = "dicom")]
    #[error(transparent)]
    Dicom(#[from] radguard_dicom::Error),
}

impl Error {
    /// A PHI-free, key-free, machine-readable reason for audit records.
    #[must_use]
    pub fn reason(&self) -> Reason {
        match self {
            Self::Decrypt => Reason::code("decrypt_failed"),
            Self::UnknownKey { .. } => Reason::code("unknown_key"),
            Self::KeyDestroyed { .. } => Reason::code("key_destroyed"),
            Self::NoPrimaryKey => Reason::code("no_primary_key"),
            Self::Provider { .. } => Reason::code("key_provider_error"),
            Self::Keyring { .. } | Self::KeyringIo { .. } => Reason::code("keyring_error"),
            Self::KeyManagement { .. } => Reason::code("key_management_error"),
            Self::Random => Reason::code("random_failed"),
            Self::Io { .. } => Reason::code("io_error"),
            Self::InvalidInput { .. } => Reason::code("invalid_parameter"),
            #[cfg(feature = "dicom")]
            Self::NotEncrypted => Reason::code("not_encrypted"),
            #[cfg(feature = "dicom")]
            Self::AlreadyEncrypted => Reason::code("already_encrypted"),
            #[cfg(feature = "dicom")]
            Self::NoPixelData => Reason::code("no_pixel_data"),
            #[cfg(feature = "dicom")]
            Self::Unsupported { .. } => Reason::code("unsupported_input"),
            #[cfg(feature = "dicom")]
            Self::HeaderChanged { .. } => Reason::code("bound_attribute_changed"),
            #[cfg(feature = "dicom")]
            Self::PatientChanged => Reason::code("patient_changed"),
            #[cfg(feature = "dicom")]
            Self::Unprotectable { .. } => Reason::code("unprotectable_element"),
            #[cfg(feature = "dicom")]
            Self::Dicom(e) => e.reason(),
        }
    }
}
