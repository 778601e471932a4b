//! Known-answer tests for format v1: the expected values were computed from
//! the format specification (`src/format.rs`) by an independent
//! implementation, `tests/kat_vectors.py` (Python `cryptography`); its
//! output is `tests/kat_vectors.in`. This file checks the decryption
//! direction and the intermediate values through the public API; the
//! encryption direction (which needs a fixed data key and salt, not public)
//! is the unit test `src/kat.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    dead_code // PATIENT_KEY / PATIENT_DIGEST are checked by `src/kat.rs`
)]

use radguard_core::{KeyId, SecretKey};
use radguard_crypt::{Envelope, Sequential, StaticKey, decrypt_units, unwrap_data_key};

// Output of `python3 crates/radguard-crypt/tests/kat_vectors.py`.
include!("kat_vectors.in");

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn dk() -> SecretKey {
    SecretKey::from_bytes(core::array::from_fn(|i| i as u8))
}
fn salt() -> [u8; 32] {
    core::array::from_fn(|i| 32 + i as u8)
}
fn kek() -> SecretKey {
    SecretKey::from_bytes([0x42; 32])
}
fn kek_id() -> KeyId {
    KeyId::new("test-kek").unwrap()
}
fn units() -> Vec<Vec<u8>> {
    vec![Vec::new(), b"hello".to_vec(), (100u8..140).collect()]
}

#[test]
fn the_independent_wrapped_key_unwraps() {
    // The wrap context of the vectors: label, salt, commitment.
    let mut ctx = b"radguard-crypt v1 wrap context\0".to_vec();
    ctx.extend_from_slice(&salt());
    ctx.extend_from_slice(&unhex(COMMITMENT));
    let dk_back = unwrap_data_key(&kek(), &kek_id(), &unhex(WRAPPED), &ctx).unwrap();
    assert_eq!(dk_back.expose_secret(), dk().expose_secret());
    // And a fresh wrap (random salt) round-trips under the same rules.
    let w = radguard_crypt::wrap_data_key(&kek(), &kek_id(), &dk(), &ctx).unwrap();
    assert_ne!(w, unhex(WRAPPED));
    assert!(unwrap_data_key(&kek(), &kek_id(), &w, &ctx).is_ok());
}

#[test]
fn the_independent_vectors_decrypt() {
    let env = Envelope::parse(&unhex(ENVELOPE)).unwrap();
    assert_eq!(env.kek_id(), &kek_id());
    assert_eq!(env.metadata(), b"meta");
    let p = StaticKey::new(kek_id(), kek());
    let got = decrypt_units(&p, &env, &unhex(CIPHERTEXT), b"ctx", &Sequential).unwrap();
    assert_eq!(got, units());
    // Another context does not.
    assert!(decrypt_units(&p, &env, &unhex(CIPHERTEXT), b"ctx2", &Sequential).is_err());
}

#[test]
fn single_segments_open_at_their_own_position_only() {
    let env = Envelope::parse(&unhex(ENVELOPE)).unwrap();
    let cipher = env.open(&StaticKey::new(kek_id(), kek()), b"ctx").unwrap();
    let ct = unhex(CIPHERTEXT);
    let layout = env.layout();
    for i in 0..layout.segment_count() {
        let s = layout.segment(i);
        let at = s.ciphertext_offset as usize;
        let mut seg = ct[at..at + s.ciphertext_len()].to_vec();
        // At any other position (another counter or last-flag) it fails.
        for j in 0..layout.segment_count() {
            if j != i && layout.segment(j).ciphertext_len() == seg.len() {
                assert!(
                    cipher.open_segment(j, &mut seg.clone()).is_err(),
                    "{i} at {j}"
                );
            }
        }
        cipher.open_segment(i, &mut seg).unwrap();
    }
}

#[cfg(feature = "dicom")]
#[test]
fn dicom_context_matches_the_specification() {
    use sha2_check::digest;
    let ctx = radguard_crypt::dicom::context_bytes(b"1.2.3.4", b"1.2.840.10008.1.2.1");
    assert_eq!(hex(&digest(&ctx)), DICOM_CONTEXT_SHA256);
}

mod sha2_check {
    pub(crate) fn digest(data: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(data).into()
    }
}

/// The intermediate values of the specification, recomputed here from the
/// primitives (hkdf, sha2, aes-gcm) without radguard-crypt's own code: what
/// another implementation would do.
#[test]
fn intermediate_values_follow_the_specification() {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use sha2::Digest;
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt()), dk().expose_secret());
    let mut payload = [0u8; 32];
    let mut prefix = [0u8; 7];
    hk.expand(b"radguard-crypt v1 payload key", &mut payload)
        .unwrap();
    hk.expand(b"radguard-crypt v1 nonce prefix", &mut prefix)
        .unwrap();
    assert_eq!(hex(&payload), PAYLOAD_KEY);
    assert_eq!(hex(&prefix), NONCE_PREFIX);
    // The bound header starts after magic, version, suite, key id and
    // wrapped key.
    let env = unhex(ENVELOPE);
    let k = usize::from(env[9]);
    let w = usize::from(u16::from_be_bytes([env[10 + k], env[11 + k]]));
    let bound = &env[12 + k + w..];
    let mut h = sha2::Sha256::new();
    h.update(b"radguard-crypt v1 binding\0");
    h.update((bound.len() as u64).to_be_bytes());
    h.update(bound);
    h.update(3u64.to_be_bytes());
    h.update(b"ctx");
    let binding: [u8; 32] = h.finalize().into();
    assert_eq!(hex(&binding), BINDING);
    // Segment 0 (the empty first unit): only its tag, nonce counter 0,
    // not last.
    let gcm = aes_gcm::Aes256Gcm::new(&payload.into());
    let mut nonce = [0u8; 12];
    nonce[..7].copy_from_slice(&prefix);
    let tag = gcm
        .encrypt_inout_detached(&nonce.into(), &binding, (&mut [][..]).into())
        .unwrap();
    assert_eq!(hex(&tag), &CIPHERTEXT[..32]);
}
