//! Key derivation (HKDF-SHA-256) and the binding digest (SHA-256).
//!
//! Every label is spelled out in [`crate::format`]; the known-answer tests
//! in `tests/kat.rs` pin them against an independent implementation.

use hkdf::Hkdf;
use radguard_core::SecretKey;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub(crate) const LABEL_PAYLOAD: &[u8] = b"radguard-crypt v1 payload key";
pub(crate) const LABEL_COMMITMENT: &[u8] = b"radguard-crypt v1 key commitment";
pub(crate) const LABEL_NONCE_PREFIX: &[u8] = b"radguard-crypt v1 nonce prefix";
pub(crate) const LABEL_BINDING: &[u8] = b"radguard-crypt v1 binding\0";
pub(crate) const LABEL_WRAP_CONTEXT: &[u8] = b"radguard-crypt v1 wrap context\0";
pub(crate) const LABEL_LOCAL_WRAP: &[u8] = b"radguard-crypt v1 local wrap";
pub(crate) const LABEL_PATIENT_KEY: &[u8] = b"radguard-crypt v2 patient id key";

/// Keys and values derived from one data key and one salt.
pub(crate) struct StreamKeys {
    pub(crate) payload: Zeroizing<[u8; 32]>,
    pub(crate) commitment: [u8; 32],
    pub(crate) nonce_prefix: [u8; 7],
}

/// `PRK = HKDF-Extract(salt, data_key)`, then one HKDF-Expand per label.
pub(crate) fn derive(data_key: &SecretKey, salt: &[u8; 32]) -> StreamKeys {
    let hk = Hkdf::<Sha256>::new(Some(salt), data_key.expose_secret());
    let mut payload = Zeroizing::new([0u8; 32]);
    let mut commitment = [0u8; 32];
    let mut nonce_prefix = [0u8; 7];
    // HKDF-SHA-256 can expand up to 8160 bytes; these lengths cannot fail.
    let ok = hk.expand(LABEL_PAYLOAD, payload.as_mut_slice()).is_ok()
        && hk.expand(LABEL_COMMITMENT, &mut commitment).is_ok()
        && hk.expand(LABEL_NONCE_PREFIX, &mut nonce_prefix).is_ok();
    debug_assert!(ok, "HKDF output lengths are far below the limit");
    StreamKeys {
        payload,
        commitment,
        nonce_prefix,
    }
}

/// `HKDF-SHA-256(salt, IKM = key, info = label, L = 32)`.
fn hkdf32(key: &SecretKey, salt: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(salt), key.expose_secret());
    let mut out = Zeroizing::new([0u8; 32]);
    let ok = hk.expand(label, out.as_mut_slice()).is_ok();
    debug_assert!(ok, "HKDF output length is far below the limit");
    out
}

/// The key of format v2's keyed Patient ID digest:
/// `HKDF-Expand(PRK, "radguard-crypt v2 patient id key", 32)` with the
/// stream's `PRK = HKDF-Extract(salt, data key)`.
pub(crate) fn patient_key(data_key: &SecretKey, salt: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    hkdf32(data_key, salt, LABEL_PATIENT_KEY)
}

/// The 32-byte per-wrap key of the local wrapping construction:
/// `HKDF-SHA-256(salt = wrap_salt, IKM = KEK, info = LABEL_LOCAL_WRAP)`.
pub(crate) fn local_wrap_key(kek: &SecretKey, wrap_salt: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    hkdf32(kek, wrap_salt, LABEL_LOCAL_WRAP)
}

/// `SHA-256(LABEL_BINDING ‖ BE64(len B) ‖ B ‖ BE64(len X) ‖ X)`: the
/// associated data of every segment.
pub(crate) fn binding(bound_header: &[u8], context: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LABEL_BINDING);
    h.update((bound_header.len() as u64).to_be_bytes());
    h.update(bound_header);
    h.update((context.len() as u64).to_be_bytes());
    h.update(context);
    h.finalize().into()
}

/// The context handed to the key provider when wrapping a data key:
/// `LABEL_WRAP_CONTEXT ‖ salt ‖ commitment`.
pub(crate) fn wrap_context(salt: &[u8; 32], commitment: &[u8; 32]) -> Vec<u8> {
    let mut v = Vec::with_capacity(LABEL_WRAP_CONTEXT.len() + 64);
    v.extend_from_slice(LABEL_WRAP_CONTEXT);
    v.extend_from_slice(salt);
    v.extend_from_slice(commitment);
    v
}

/// Constant-time equality of two 32-byte values (`subtle`).
pub(crate) fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    subtle::ConstantTimeEq::ct_eq(&a[..], &b[..]).into()
}

/// Constant-time equality of two byte strings (`false` if the lengths
/// differ).
#[cfg_attr(not(feature = "pkcs11"), allow(dead_code))]
pub(crate) fn ct_eq_slices(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// Fills `buf` from the operating system's random number generator.
pub(crate) fn random(buf: &mut [u8]) -> crate::Result<()> {
    getrandom::fill(buf).map_err(|_| crate::Error::Random)
}
