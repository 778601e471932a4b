//! Known-answer test in the encryption direction: with the data key, salt
//! and wrap salt of the vectors, the envelope and ciphertext radguard-crypt
//! produces are byte for byte those of the independent implementation
//! (`tests/kat_vectors.py`, output in `tests/kat_vectors.in`). The
//! decryption direction and the intermediate values are checked in
//! `tests/kat.rs` through the public API.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation, dead_code)]

use radguard_core::{KeyId, SecretKey};

use crate::envelope::Envelope;
use crate::exec::Sequential;
use crate::layout::Layout;
use crate::provider::{KeyProvider, unwrap_data_key, wrap_with_salt};

include!("../tests/kat_vectors.in");

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn kek() -> SecretKey {
    SecretKey::from_bytes([0x42; 32])
}

/// Wraps with the fixed salt of the vectors.
struct FixedWrap;

impl KeyProvider for FixedWrap {
    fn primary_key_id(&self) -> crate::Result<KeyId> {
        KeyId::new("test-kek").map_err(|_| crate::Error::NoPrimaryKey)
    }
    fn wrap_key(&self, id: &KeyId, k: &SecretKey, ctx: &[u8]) -> crate::Result<Vec<u8>> {
        let wrap_salt: [u8; 32] = core::array::from_fn(|i| 64 + i as u8);
        wrap_with_salt(&kek(), id, k, ctx, &wrap_salt)
    }
    fn unwrap_key(&self, id: &KeyId, w: &[u8], ctx: &[u8]) -> crate::Result<SecretKey> {
        unwrap_data_key(&kek(), id, w, ctx)
    }
}

#[test]
fn encryption_matches_the_independent_vectors() {
    let dk = SecretKey::from_bytes(core::array::from_fn(|i| i as u8));
    let salt: [u8; 32] = core::array::from_fn(|i| 32 + i as u8);
    let units: [&[u8]; 3] = [b"", b"hello", &(100u8..140).collect::<Vec<_>>()];
    let layout = Layout::new(16, units.iter().map(|u| u.len() as u64).collect()).unwrap();
    let (env, cipher) =
        Envelope::create_with(&FixedWrap, None, layout.clone(), b"meta", b"ctx", &dk, salt)
            .unwrap();
    assert_eq!(hex(env.commitment()), COMMITMENT);
    assert_eq!(hex(env.wrapped_key()), WRAPPED);
    assert_eq!(hex(&env.to_bytes()), ENVELOPE);
    let mut buf = vec![0u8; layout.ciphertext_len() as usize];
    for (u, data) in units.iter().enumerate() {
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

#[cfg(feature = "dicom")]
#[test]
fn patient_digest_matches_the_independent_vectors() {
    use radguard_dicom::dicom::core::{DataElement, VR};
    use radguard_dicom::dicom::object::InMemDicomObject;
    let dk = SecretKey::from_bytes(core::array::from_fn(|i| i as u8));
    let salt: [u8; 32] = core::array::from_fn(|i| 32 + i as u8);
    let key = crate::kdf::patient_key(&dk, &salt);
    assert_eq!(hex(key.as_slice()), PATIENT_KEY);
    // Padding is not part of the value.
    let ds = InMemDicomObject::from_element_iter([DataElement::new(
        radguard_dicom::tags::PATIENT_ID,
        VR::LO,
        "PID-0001 ",
    )]);
    assert_eq!(
        hex(&crate::dicom::patient_digest_for_kat(&key, &ds)),
        PATIENT_DIGEST
    );
}
