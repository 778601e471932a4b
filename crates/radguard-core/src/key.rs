//! Secret keys and key identifiers.

use alloc::string::String;
use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length in bytes of a [`SecretKey`].
const KEY_LEN: usize = 32;

/// A 256-bit secret key.
///
/// This is the one key type the radguard crates pass around: the HMAC key
/// that derives de-identification pseudonyms, a key-encryption key, a data
/// key, an Ed25519 seed.
///
/// # Security
///
/// - The bytes are overwritten with zeros when the value is dropped
///   ([`ZeroizeOnDrop`]).
/// - There is no `Clone`, `Copy`, `Display` or serde implementation, and
///   `Debug` prints `SecretKey { .. }`. A copy can only be made on purpose,
///   through [`SecretKey::expose_secret`].
/// - Comparison is not offered: compare [`KeyId`]s instead.
///
/// # Examples
///
/// ```
/// use radguard_core::SecretKey;
///
/// let key = SecretKey::try_from_slice(&[1u8; 32])?;
/// assert_eq!(key.expose_secret().len(), 32);
/// assert!(SecretKey::try_from_slice(&[1u8; 31]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKey {
    bytes: [u8; KEY_LEN],
}

impl SecretKey {
    /// The key length in bytes (32).
    pub const LEN: usize = KEY_LEN;

    /// Wraps the given bytes. The caller should zeroize its own copy.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self { bytes }
    }

    /// Copies a key out of a slice.
    ///
    /// # Errors
    ///
    /// [`KeyError::Length`] if the slice is not exactly 32 bytes long.
    pub fn try_from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: [u8; KEY_LEN] = bytes.try_into().map_err(|_| KeyError::Length {
            expected: KEY_LEN,
            found: bytes.len(),
        })?;
        Ok(Self { bytes: arr })
    }

    /// Generates a fresh key from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`KeyError::Random`] if the operating system cannot provide randomness.
    #[cfg(feature = "getrandom")]
    #[cfg_attr(docsrs, doc(cfg(feature = "getrandom")))]
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|_| KeyError::Random)?;
        Ok(Self { bytes })
    }

    /// Parses a key written as 64 hexadecimal characters (either case, no
    /// surrounding whitespace), the form key files use.
    ///
    /// # Errors
    ///
    /// [`KeyError::Hex`] if `s` is not exactly 64 hexadecimal characters.
    ///
    /// # Security
    ///
    /// Decoding is constant-time in the key's value (`base16ct`); the
    /// decoded bytes exist only inside the returned key.
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_core::SecretKey;
    ///
    /// let key = SecretKey::from_hex(&"aB".repeat(32))?;
    /// assert_eq!(key.expose_secret(), &[0xab; 32]);
    /// assert!(SecretKey::from_hex(&"ab".repeat(31)).is_err());
    /// # Ok::<(), radguard_core::KeyError>(())
    /// ```
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        match base16ct::mixed::decode(s, &mut bytes[..]) {
            Ok(decoded) if decoded.len() == KEY_LEN => Ok(Self::from_bytes(*bytes)),
            _ => Err(KeyError::Hex),
        }
    }

    /// The key as 64 lowercase hexadecimal characters, for writing a key
    /// file. The text is zeroized when dropped.
    ///
    /// # Security
    ///
    /// Like [`SecretKey::expose_secret`]: the text is the key.
    #[must_use]
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut buf = Zeroizing::new([0u8; 2 * KEY_LEN]);
        let text = base16ct::lower::encode_str(&self.bytes, &mut buf[..])
            .unwrap_or_else(|_| unreachable!("the buffer holds twice the key length"));
        Zeroizing::new(String::from(text))
    }

    /// Returns the key bytes.
    ///
    /// # Security
    ///
    /// The name is loud on purpose: the returned bytes must go straight into
    /// a cipher or MAC constructor and never be stored, logged or copied.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey").finish_non_exhaustive()
    }
}

/// Errors from building keys or key ids.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Key material of the wrong length.
    Length {
        /// Bytes required.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// A key id that is empty, longer than 64 characters, or uses characters
    /// outside `A-Z a-z 0-9 . _ : -`.
    InvalidKeyId,
    /// The operating system's random number generator failed.
    Random,
    /// Key text that is not exactly 64 hexadecimal characters.
    Hex,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { expected, found } => {
                write!(f, "key material must be {expected} bytes, found {found}")
            }
            Self::InvalidKeyId => {
                f.write_str("key id must be 1 to 64 characters from A-Z a-z 0-9 . _ : -")
            }
            Self::Random => f.write_str("the operating system random number generator failed"),
            Self::Hex => f.write_str("a key is written as exactly 64 hexadecimal characters"),
        }
    }
}

impl core::error::Error for KeyError {}

/// The public name of a key.
///
/// A key id is safe to print, log, write into audit records and store in
/// file headers: it is either chosen by an operator or derived from the key
/// with a one-way function ([`KeyId::fingerprint`]). It is 1 to 64
/// characters from `A-Z a-z 0-9 . _ : -`, which keeps it safe to embed in
/// file names, DICOM `LO`/`SH` values and JSON without escaping.
///
/// # Examples
///
/// ```
/// use radguard_core::KeyId;
///
/// let id: KeyId = "site-a:2026-11".parse()?;
/// assert_eq!(id.as_str(), "site-a:2026-11");
/// assert!("has space".parse::<KeyId>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct KeyId(String);

impl KeyId {
    /// Maximum length of a key id in characters.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps a key id.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidKeyId`] if `s` is empty, too long or contains a
    /// character outside `A-Z a-z 0-9 . _ : -`.
    pub fn new(s: &str) -> Result<Self, KeyError> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        if ok {
            Ok(Self(String::from(s)))
        } else {
            Err(KeyError::InvalidKeyId)
        }
    }

    /// Derives a stable key id from key material: `k1-` followed by 16 bytes
    /// of HMAC-SHA-256(key, "radguard key id v1") in lowercase hex.
    ///
    /// # Security
    ///
    /// HMAC is a pseudorandom function, so the id reveals nothing about the
    /// key, yet every holder of the key computes the same id with no shared
    /// state.
    #[must_use]
    pub fn fingerprint(key: &SecretKey) -> Self {
        // HMAC accepts keys of any length, so this cannot fail for 32 bytes.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"radguard key id v1");
        let tag = mac.finalize().into_bytes();
        let mut s = String::with_capacity(3 + 32);
        s.push_str("k1-");
        for b in &tag[..16] {
            push_hex(&mut s, *b);
        }
        Self(s)
    }

    /// The id as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(crate) fn push_hex(s: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    s.push(char::from(HEX[usize::from(b >> 4)]));
    s.push(char::from(HEX[usize::from(b & 0x0f)]));
}

impl core::str::FromStr for KeyId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = SecretKey::from_bytes([0xAB; 32]);
        let dbg = format!("{key:?}");
        assert!(!dbg.contains("171"), "{dbg}");
        assert!(!dbg.to_lowercase().contains("ab"), "{dbg}");
    }

    #[test]
    fn zeroize_clears_bytes() {
        let mut key = SecretKey::from_bytes([0x5A; 32]);
        key.zeroize();
        assert_eq!(key.expose_secret(), &[0u8; 32]);
    }

    #[test]
    fn fingerprint_is_stable_and_key_dependent() {
        let a = KeyId::fingerprint(&SecretKey::from_bytes([1; 32]));
        let b = KeyId::fingerprint(&SecretKey::from_bytes([1; 32]));
        let c = KeyId::fingerprint(&SecretKey::from_bytes([2; 32]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str().len(), 35);
        assert!(a.as_str().starts_with("k1-"));
        // The fingerprint is a valid key id.
        assert_eq!(KeyId::new(a.as_str()), Ok(a));
    }

    #[test]
    fn fingerprint_known_answer() {
        // HMAC-SHA-256(key = 32 zero bytes, "radguard key id v1"), first 16 bytes,
        // computed independently with Python's hmac module.
        let id = KeyId::fingerprint(&SecretKey::from_bytes([0; 32]));
        assert_eq!(id.as_str(), "k1-ef9d609da1fad343983be7c9922d9804");
    }

    #[test]
    fn key_id_validation() {
        assert!(KeyId::new("").is_err());
        assert!(KeyId::new(&"a".repeat(65)).is_err());
        assert!(KeyId::new(&"a".repeat(64)).is_ok());
        assert!(KeyId::new("a/b").is_err());
        assert!(KeyId::new("DOE^JANE").is_err());
        assert!(KeyId::new("site_a.kek-1:v2").is_ok());
    }

    #[test]
    fn slice_length_checked() {
        assert_eq!(
            SecretKey::try_from_slice(&[0; 16]).map(|_| ()),
            Err(KeyError::Length {
                expected: 32,
                found: 16
            })
        );
    }
}
