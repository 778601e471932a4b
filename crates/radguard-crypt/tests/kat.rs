//! Known-answer tests for format v1: the expected values were computed from
//! the format specification (`src/format.rs`) by an independent
//! implementation, `tests/kat_vectors.py` (Python `cryptography`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use radguard_core::{KeyId, SecretKey};
use radguard_crypt::{
    Envelope, KeyProvider, Layout, Sequential, StaticKey, decrypt_units, unwrap_data_key,
    wrap_with_salt,
};

// Output of `python3 crates/radguard-crypt/tests/kat_vectors.py`.
const PAYLOAD_KEY: &str = "2a6735e9f8aab177c264341e80d7d99f3758121783570d92a413ed34cd60cd31";
const COMMITMENT: &str = "2089ecc308140911a8620384761f35f07fde81b992e0cb72b7b08f91c2b98533";
const NONCE_PREFIX: &str = "51bf559e7d45e0";
const BINDING: &str = "49c3358e6b01664871e3600c2325dec5dbe57197d47a0e606432d36ffe7a67c9";
const CIPHERTEXT: &str = "de27fa1744e80c61ae788903cae962c623c685c7bfa1f9bf88ae48220cd591bf8932fc392bb9ff8ce9c13096829060aa284069c25677b509a24caad1873343024a5db3308006f3c710a6e4323645f345c82ae43c4386a7ea13d755b056a65766a72d12068e06ebd99e25243e4f5ee23b0e38efcf2f49cb241b15d04230";
const WRAPPED: &str = "01404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f7acd152f6ac4da521f00a977f218281e4355c239a24ce964d28d3562b2de0c382b33cbb4b7b2a80522955aa43b58a74f";
const ENVELOPE: &str = "52474352595054010108746573742d6b656b005101404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f7acd152f6ac4da521f00a977f218281e4355c239a24ce964d28d3562b2de0c382b33cbb4b7b2a80522955aa43b58a74f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f2089ecc308140911a8620384761f35f07fde81b992e0cb72b7b08f91c2b985330000001000000003000000000000000000000000000000050000000000000028000000046d657461";
const DICOM_CONTEXT_SHA256: &str =
    "6af79b35e547d80d8aa888a007263ccdc7dbd9cfea00d4e4d881655f1889bab5";

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

/// Wraps with the fixed salt of the vectors.
struct FixedWrap;
impl KeyProvider for FixedWrap {
    fn primary_key_id(&self) -> radguard_crypt::Result<KeyId> {
        Ok(kek_id())
    }
    fn wrap_key(&self, id: &KeyId, k: &SecretKey, ctx: &[u8]) -> radguard_crypt::Result<Vec<u8>> {
        let wrap_salt: [u8; 32] = core::array::from_fn(|i| 64 + i as u8);
        wrap_with_salt(&kek(), id, k, ctx, &wrap_salt)
    }
    fn unwrap_key(&self, id: &KeyId, w: &[u8], ctx: &[u8]) -> radguard_crypt::Result<SecretKey> {
        unwrap_data_key(&kek(), id, w, ctx)
    }
}

#[test]
fn envelope_and_segments_match_the_independent_vectors() {
    let layout = Layout::new(16, vec![0, 5, 40]).unwrap();
    assert_eq!(layout.segment_count(), 5);
    let (env, cipher) = Envelope::create_with(
        &FixedWrap,
        None,
        layout.clone(),
        b"meta",
        b"ctx",
        &dk(),
        salt(),
    )
    .unwrap();
    assert_eq!(hex(env.commitment()), COMMITMENT);
    assert_eq!(hex(env.wrapped_key()), WRAPPED);
    assert_eq!(hex(&env.to_bytes()), ENVELOPE);

    // Seal the units in the ciphertext layout.
    let mut buf = vec![0u8; layout.ciphertext_len() as usize];
    for (u, data) in units().iter().enumerate() {
        for i in layout.unit_segments(u) {
            let s = layout.segment(i);
            let at = s.ciphertext_offset as usize;
            let from = s.offset_in_unit as usize;
            buf[at..at + s.plaintext_len].copy_from_slice(&data[from..from + s.plaintext_len]);
        }
    }
    cipher.seal_segments(0, &mut buf, &Sequential).unwrap();
    assert_eq!(hex(&buf), CIPHERTEXT);
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
