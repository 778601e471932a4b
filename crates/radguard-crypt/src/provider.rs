//! Key-encryption keys: the [`KeyProvider`] trait, the local wrapping
//! construction and a single-key provider.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use radguard_core::{KeyId, SecretKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::kdf;

/// Where key-encryption keys (KEKs) live: a local keyring file, a cloud
/// KMS, an HSM.
///
/// radguard-crypt never sees a KEK through this trait: it hands the
/// provider a fresh 256-bit data key to **wrap** when encrypting, and the
/// wrapped bytes (stored in the file's header) to **unwrap** when
/// decrypting. A KMS or HSM implementation forwards these calls to its
/// backend (for example AWS KMS `Encrypt`/`Decrypt` with `context` as the
/// encryption context, or a PKCS#11 `C_WrapKey`), so KEKs never leave it.
///
/// Rotation is the provider's job as well: [`primary_key_id`] names the
/// KEK new data keys are wrapped under; older KEKs stay available for
/// unwrapping until they are destroyed.
///
/// # Implementing
///
/// - `wrap_key` must use an authenticated construction that binds both
///   `kek` and `context` (an AEAD with `context` in its associated data,
///   or a KMS encryption context), and a fresh nonce or per-wrap key for
///   every call. [`wrap_data_key`] / [`unwrap_data_key`] implement such a
///   construction for providers that hold raw 256-bit KEKs.
/// - `unwrap_key` must return [`Error::Decrypt`] when authentication fails,
///   [`Error::UnknownKey`] when it does not know `kek`, and
///   [`Error::KeyDestroyed`] when `kek` was destroyed. Backend failures go
///   into [`Error::Provider`].
/// - Never log or return key material in errors.
///
/// # Examples
///
/// ```
/// use radguard_core::{KeyId, SecretKey};
/// use radguard_crypt::{KeyProvider, StaticKey};
///
/// let kek = StaticKey::new("site-a:2026".parse()?, SecretKey::from_bytes([7; 32]));
/// let data_key = SecretKey::from_bytes([1; 32]);
/// let id = kek.primary_key_id()?;
/// let wrapped = kek.wrap_key(&id, &data_key, b"context")?;
/// let back = kek.unwrap_key(&id, &wrapped, b"context")?;
/// assert_eq!(back.expose_secret(), data_key.expose_secret());
/// // The context is authenticated.
/// assert!(kek.unwrap_key(&id, &wrapped, b"other").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`primary_key_id`]: KeyProvider::primary_key_id
pub trait KeyProvider: Send + Sync {
    /// The KEK that new data keys are wrapped under.
    ///
    /// # Errors
    ///
    /// [`Error::NoPrimaryKey`] if there is none; [`Error::Provider`].
    fn primary_key_id(&self) -> Result<KeyId>;

    /// Wraps (encrypts and authenticates) `data_key` under the KEK `kek`,
    /// bound to `context`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`], [`Error::KeyDestroyed`], [`Error::Provider`],
    /// [`Error::Random`].
    fn wrap_key(&self, kek: &KeyId, data_key: &SecretKey, context: &[u8]) -> Result<Vec<u8>>;

    /// Unwraps a data key wrapped by [`KeyProvider::wrap_key`] with the
    /// same `kek` and `context`.
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] if `wrapped` or `context` was modified or the KEK
    /// is not the one that wrapped it; [`Error::UnknownKey`];
    /// [`Error::KeyDestroyed`]; [`Error::Provider`].
    fn unwrap_key(&self, kek: &KeyId, wrapped: &[u8], context: &[u8]) -> Result<SecretKey>;
}

impl<T: KeyProvider + ?Sized> KeyProvider for &T {
    fn primary_key_id(&self) -> Result<KeyId> {
        (**self).primary_key_id()
    }
    fn wrap_key(&self, kek: &KeyId, data_key: &SecretKey, context: &[u8]) -> Result<Vec<u8>> {
        (**self).wrap_key(kek, data_key, context)
    }
    fn unwrap_key(&self, kek: &KeyId, wrapped: &[u8], context: &[u8]) -> Result<SecretKey> {
        (**self).unwrap_key(kek, wrapped, context)
    }
}

impl<T: KeyProvider + ?Sized> KeyProvider for Box<T> {
    fn primary_key_id(&self) -> Result<KeyId> {
        (**self).primary_key_id()
    }
    fn wrap_key(&self, kek: &KeyId, data_key: &SecretKey, context: &[u8]) -> Result<Vec<u8>> {
        (**self).wrap_key(kek, data_key, context)
    }
    fn unwrap_key(&self, kek: &KeyId, wrapped: &[u8], context: &[u8]) -> Result<SecretKey> {
        (**self).unwrap_key(kek, wrapped, context)
    }
}

impl<T: KeyProvider + ?Sized> KeyProvider for std::sync::Arc<T> {
    fn primary_key_id(&self) -> Result<KeyId> {
        (**self).primary_key_id()
    }
    fn wrap_key(&self, kek: &KeyId, data_key: &SecretKey, context: &[u8]) -> Result<Vec<u8>> {
        (**self).wrap_key(kek, data_key, context)
    }
    fn unwrap_key(&self, kek: &KeyId, wrapped: &[u8], context: &[u8]) -> Result<SecretKey> {
        (**self).unwrap_key(kek, wrapped, context)
    }
}

/// Length of a data key wrapped by [`wrap_data_key`]: version byte,
/// 32-byte salt, 32-byte ciphertext, 16-byte tag.
pub const LOCAL_WRAPPED_LEN: usize = 1 + 32 + 32 + 16;
const LOCAL_WRAP_VERSION: u8 = 1;

fn local_wrap_aad(kek_id: &KeyId, context: &[u8]) -> Vec<u8> {
    let id = kek_id.as_str().as_bytes();
    let mut aad = Vec::with_capacity(kdf::LABEL_LOCAL_WRAP.len() + 2 + id.len() + context.len());
    aad.extend_from_slice(kdf::LABEL_LOCAL_WRAP);
    aad.push(0);
    // KeyId is at most 64 bytes.
    aad.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    aad.extend_from_slice(id);
    aad.extend_from_slice(context);
    aad
}

/// Wraps a data key under a raw 256-bit KEK (the construction of
/// [`LocalKeyring`](crate::LocalKeyring) and [`StaticKey`], for custom
/// providers that hold raw KEKs).
///
/// `wrapped = 0x01 ‖ s ‖ AES-256-GCM(K_w, nonce = 0^96, aad, data_key)`
/// with a fresh random 32-byte `s`, the one-time key
/// `K_w = HKDF-SHA-256(salt = s, IKM = KEK, info = "radguard-crypt v1 local wrap")`
/// and `aad = "radguard-crypt v1 local wrap" ‖ 0x00 ‖ len(kek_id) ‖ kek_id ‖ context`
/// (see [`crate::format`]). A fresh key per wrap makes the all-zero nonce
/// safe and removes GCM's 2^32 random-nonce limit per KEK.
///
/// # Errors
///
/// [`Error::Random`] if the operating system cannot provide randomness.
pub fn wrap_data_key(
    kek: &SecretKey,
    kek_id: &KeyId,
    data_key: &SecretKey,
    context: &[u8],
) -> Result<Vec<u8>> {
    let mut salt = [0u8; 32];
    kdf::random(&mut salt)?;
    wrap_with_salt(kek, kek_id, data_key, context, &salt)
}

/// [`wrap_data_key`] with a caller-chosen salt (known-answer tests only: a
/// salt must never repeat under one KEK).
pub(crate) fn wrap_with_salt(
    kek: &SecretKey,
    kek_id: &KeyId,
    data_key: &SecretKey,
    context: &[u8],
    salt: &[u8; 32],
) -> Result<Vec<u8>> {
    let key = kdf::local_wrap_key(kek, salt);
    let aead = Aes256Gcm::new(&(*key).into());
    let mut buf = Zeroizing::new(*data_key.expose_secret());
    let tag = aead
        .encrypt_inout_detached(
            &Nonce::default(),
            &local_wrap_aad(kek_id, context),
            buf.as_mut_slice().into(),
        )
        .map_err(|_| Error::InvalidInput {
            what: "key wrap input too long",
        })?;
    let mut out = Vec::with_capacity(LOCAL_WRAPPED_LEN);
    out.push(LOCAL_WRAP_VERSION);
    out.extend_from_slice(salt);
    out.extend_from_slice(buf.as_slice());
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Unwraps a data key wrapped by [`wrap_data_key`].
///
/// # Errors
///
/// [`Error::Decrypt`] if `wrapped` is malformed or does not authenticate
/// under this KEK, key id and context.
pub fn unwrap_data_key(
    kek: &SecretKey,
    kek_id: &KeyId,
    wrapped: &[u8],
    context: &[u8],
) -> Result<SecretKey> {
    if wrapped.len() != LOCAL_WRAPPED_LEN || wrapped[0] != LOCAL_WRAP_VERSION {
        return Err(Error::Decrypt);
    }
    let mut salt = [0u8; 32];
    salt.copy_from_slice(&wrapped[1..33]);
    let mut buf = Zeroizing::new([0u8; 32]);
    buf.copy_from_slice(&wrapped[33..65]);
    let tag = Tag::try_from(&wrapped[65..81]).map_err(|_| Error::Decrypt)?;
    let key = kdf::local_wrap_key(kek, &salt);
    let aead = Aes256Gcm::new(&(*key).into());
    aead.decrypt_inout_detached(
        &Nonce::default(),
        &local_wrap_aad(kek_id, context),
        buf.as_mut_slice().into(),
        &tag,
    )
    .map_err(|_| Error::Decrypt)?;
    Ok(SecretKey::from_bytes(*buf))
}

/// A provider holding exactly one KEK in memory.
///
/// For embedding (the application fetched the KEK itself) and for tests.
/// Its KEK is always the primary key.
///
/// # Examples
///
/// ```
/// use radguard_core::{KeyId, SecretKey};
/// use radguard_crypt::{KeyProvider, StaticKey};
///
/// let key = SecretKey::from_bytes([9; 32]);
/// let id = KeyId::fingerprint(&key);
/// let provider = StaticKey::new(id.clone(), key);
/// assert_eq!(provider.primary_key_id()?, id);
/// # Ok::<(), radguard_crypt::Error>(())
/// ```
pub struct StaticKey {
    id: KeyId,
    key: SecretKey,
}

impl StaticKey {
    /// A provider for one KEK named `id`.
    #[must_use]
    pub fn new(id: KeyId, key: SecretKey) -> Self {
        Self { id, key }
    }

    fn check(&self, kek: &KeyId) -> Result<()> {
        if *kek == self.id {
            Ok(())
        } else {
            Err(Error::UnknownKey {
                key_id: kek.clone(),
            })
        }
    }
}

impl core::fmt::Debug for StaticKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StaticKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl KeyProvider for StaticKey {
    fn primary_key_id(&self) -> Result<KeyId> {
        Ok(self.id.clone())
    }

    fn wrap_key(&self, kek: &KeyId, data_key: &SecretKey, context: &[u8]) -> Result<Vec<u8>> {
        self.check(kek)?;
        wrap_data_key(&self.key, kek, data_key, context)
    }

    fn unwrap_key(&self, kek: &KeyId, wrapped: &[u8], context: &[u8]) -> Result<SecretKey> {
        self.check(kek)?;
        unwrap_data_key(&self.key, kek, wrapped, context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> KeyId {
        KeyId::new(s).unwrap()
    }

    #[test]
    fn wrap_round_trip_and_binding() {
        let kek = SecretKey::from_bytes([3; 32]);
        let dk = SecretKey::from_bytes([4; 32]);
        let w = wrap_data_key(&kek, &id("a"), &dk, b"ctx").unwrap();
        assert_eq!(w.len(), LOCAL_WRAPPED_LEN);
        let back = unwrap_data_key(&kek, &id("a"), &w, b"ctx").unwrap();
        assert_eq!(back.expose_secret(), dk.expose_secret());
        // Another key id, context or KEK fails.
        assert!(matches!(
            unwrap_data_key(&kek, &id("b"), &w, b"ctx"),
            Err(Error::Decrypt)
        ));
        assert!(unwrap_data_key(&kek, &id("a"), &w, b"ctx2").is_err());
        assert!(unwrap_data_key(&SecretKey::from_bytes([5; 32]), &id("a"), &w, b"ctx").is_err());
        // Every byte is authenticated.
        for i in 0..w.len() {
            let mut t = w.clone();
            t[i] ^= 0x01;
            assert!(
                unwrap_data_key(&kek, &id("a"), &t, b"ctx").is_err(),
                "byte {i}"
            );
        }
        assert!(unwrap_data_key(&kek, &id("a"), &w[..80], b"ctx").is_err());
        // Two wraps of the same key differ (fresh salt).
        let w2 = wrap_data_key(&kek, &id("a"), &dk, b"ctx").unwrap();
        assert_ne!(w, w2);
    }

    #[test]
    fn static_key_refuses_other_ids() {
        let p = StaticKey::new(id("a"), SecretKey::from_bytes([1; 32]));
        let dk = SecretKey::from_bytes([2; 32]);
        assert!(matches!(
            p.wrap_key(&id("b"), &dk, b""),
            Err(Error::UnknownKey { .. })
        ));
        assert!(!format!("{p:?}").contains("1, 1"));
    }
}
