//! Envelope keys end to end: rotation re-wraps without touching the pixel
//! ciphertext; destroying a key-encryption key makes exactly the instances
//! under it unrecoverable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;

use radguard_crypt::dicom::{
    CIPHERTEXT_TAG, DecryptOptions, ENVELOPE_TAG, EncryptOptions, Rewrap, decrypt_file,
    encrypt_file, encryption_info, rewrap_file,
};
use radguard_crypt::{Error, KeyProvider, LocalKeyring};

use common::{EXPLICIT_LE, IMPLICIT_LE, make_native, pixels, value_of};

#[test]
fn rotate_then_destroy() {
    let dir = tempfile::tempdir().unwrap();
    let ring_path = dir.path().join("keyring");
    let mut ring = LocalKeyring::create(&ring_path).unwrap();
    let old = ring.generate_key(None).unwrap();
    ring.save().unwrap();
    drop(ring);

    // Three instances under the old key (one in Implicit VR).
    let ring = LocalKeyring::open(&ring_path).unwrap();
    let mut enc = Vec::new();
    for (i, ts) in [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_LE].iter().enumerate() {
        let plain = dir.path().join(format!("p{i}.dcm"));
        make_native(
            &plain,
            &format!("2.25.{}", 100 + i),
            ts,
            16,
            16,
            4,
            16,
            i as u64,
        );
        let e = dir.path().join(format!("e{i}.dcm"));
        encrypt_file(&plain, &e, &ring, &EncryptOptions::new()).unwrap();
        assert_eq!(encryption_info(&e).unwrap().unwrap().key_id, old);
        enc.push((plain, e));
    }

    // Rotate: a new primary key; re-wrap two of the three in place.
    let mut ring = LocalKeyring::open_for_update(&ring_path).unwrap();
    let new = ring.generate_key(None).unwrap();
    ring.set_primary(&new).unwrap();
    ring.save().unwrap();
    drop(ring);
    let ring = LocalKeyring::open(&ring_path).unwrap();
    assert_eq!(ring.primary_key_id().unwrap(), new);
    for (_, e) in &enc[..2] {
        let ct_before = value_of(e, CIPHERTEXT_TAG);
        let env_before = value_of(e, ENVELOPE_TAG);
        let r = rewrap_file(e, e, &ring, None, &DecryptOptions::new().overwrite(true)).unwrap();
        assert_eq!(
            r,
            Rewrap::Rewrapped {
                from: old.clone(),
                to: new.clone()
            }
        );
        // The pixel ciphertext is untouched; only the envelope changed.
        assert_eq!(value_of(e, CIPHERTEXT_TAG), ct_before);
        assert_ne!(value_of(e, ENVELOPE_TAG), env_before);
        assert_eq!(encryption_info(e).unwrap().unwrap().key_id, new);
        // A second rotation to the same key is a no-op.
        let r = rewrap_file(e, e, &ring, None, &DecryptOptions::new().overwrite(true)).unwrap();
        assert_eq!(r, Rewrap::Unchanged);
    }
    // Without overwrite, an in-place re-wrap is refused and changes nothing.
    let (_, e2) = &enc[2];
    let before = fs::read(e2).unwrap();
    assert!(rewrap_file(e2, e2, &ring, None, &DecryptOptions::new()).is_err());
    assert_eq!(fs::read(e2).unwrap(), before);

    // Everything still decrypts.
    for (i, (plain, e)) in enc.iter().enumerate() {
        let d = dir.path().join(format!("d{i}.dcm"));
        decrypt_file(e, &d, &ring, &DecryptOptions::new()).unwrap();
        assert_eq!(pixels(&d), pixels(plain));
        fs::remove_file(&d).unwrap();
    }

    // Crypto-erase the old key: the re-wrapped instances survive, the one
    // still under the old key is gone for good.
    let mut ring = LocalKeyring::open_for_update(&ring_path).unwrap();
    ring.destroy_key(&old).unwrap();
    ring.save().unwrap();
    drop(ring);
    let ring = LocalKeyring::open(&ring_path).unwrap();
    for (i, (plain, e)) in enc.iter().enumerate() {
        let d = dir.path().join(format!("d{i}.dcm"));
        let r = decrypt_file(e, &d, &ring, &DecryptOptions::new());
        if i < 2 {
            r.unwrap();
            assert_eq!(pixels(&d), pixels(plain));
        } else {
            assert!(matches!(r, Err(Error::KeyDestroyed { key_id }) if key_id == old));
            assert!(!d.exists());
        }
    }
    // And its data key can no longer be re-wrapped either.
    assert!(matches!(
        rewrap_file(
            e2,
            dir.path().join("x.dcm"),
            &ring,
            None,
            &DecryptOptions::new()
        ),
        Err(Error::KeyDestroyed { .. })
    ));
}
