//! Tampering: every modified byte of the protected structures, truncation,
//! swapped frames, frames moved between instances and wrong keys are
//! detected, and a failed decryption leaves no file behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use radguard_core::{KeyId, SecretKey};
use radguard_crypt::dicom::{
    CIPHERTEXT_TAG, CREATOR_TAG, DecryptOptions, ENVELOPE_TAG, EncryptOptions, EncryptedFile,
    decrypt_file, encrypt_file,
};
use radguard_crypt::{Envelope, Error, KeyProvider, StaticKey};
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};

use common::{
    EXPLICIT_LE, IMPLICIT_LE, assert_empty, find, make_encapsulated, make_native, pattern,
    provider, value_of, wrong_provider,
};

const SOP_A: &str = "2.25.111111111111111111";
const SOP_B: &str = "2.25.222222222222222222";

struct Fixture {
    dir: tempfile::TempDir,
    enc: PathBuf,
}

impl Fixture {
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
}

/// A small 3-frame native file, encrypted with 64-byte segments (3 per frame).
fn native_fixture(sop: &str, ts: &str, seed: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.dcm");
    make_native(&plain, sop, ts, 8, 10, 3, 16, seed);
    let enc = dir.path().join("enc.dcm");
    encrypt_file(
        &plain,
        &enc,
        &provider(),
        &EncryptOptions::new().segment_size(64),
    )
    .unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    Fixture { dir, enc }
}

/// Decrypts `bytes` (written to a file) and returns the error; panics if
/// it decrypted, and checks that nothing was written.
fn expect_failure(fx: &Fixture, bytes: &[u8], p: &dyn KeyProvider) -> Error {
    let input = fx.dir.path().join("tampered.dcm");
    fs::write(&input, bytes).unwrap();
    let out = fx.out();
    let r = decrypt_file(&input, out.join("dec.dcm"), p, &DecryptOptions::new());
    if r.is_ok() {
        let orig = fs::read(fx.enc.as_path()).unwrap();
        let i = orig.iter().zip(bytes).position(|(a, b)| a != b);
        panic!("tampered file decrypted (first changed byte {i:?})");
    }
    assert_empty(&out);
    match r {
        Ok(_) => panic!("tampered file decrypted"),
        Err(e) => e,
    }
}

fn flip_each(
    fx: &Fixture,
    bytes: &[u8],
    range: std::ops::Range<usize>,
    check: impl Fn(usize, &Error) -> bool,
) -> usize {
    let mut n = 0;
    for i in range {
        let mut t = bytes.to_vec();
        t[i] ^= 0x01;
        let e = expect_failure(fx, &t, &provider());
        assert!(check(i, &e), "flip at byte {i}: unexpected error {e:?}");
        n += 1;
    }
    n
}

fn flip_header_each(fx: &Fixture, bytes: &[u8], range: std::ops::Range<usize>) {
    let plain = common::pixels(&plain_path(fx)).unwrap();
    for i in range {
        let mut t = bytes.to_vec();
        t[i] ^= 0x01;
        let input = fx.dir.path().join("tampered.dcm");
        fs::write(&input, &t).unwrap();
        let out = fx.out().join("dec.dcm");
        match decrypt_file(&input, &out, &provider(), &DecryptOptions::new()) {
            Ok(_) => {
                assert_eq!(common::pixels(&out).unwrap(), plain, "flip at {i}");
                fs::remove_file(&out).unwrap();
            }
            Err(_) => assert_empty(&fx.out()),
        }
    }
}

#[test]
fn every_byte_of_envelope_and_ciphertext_is_protected() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 1);
    let bytes = fs::read(&fx.enc).unwrap();
    // Sanity: the untouched file decrypts.
    decrypt_file(
        &fx.enc,
        fx.out().join("ok.dcm"),
        &provider(),
        &DecryptOptions::new(),
    )
    .unwrap();
    fs::remove_file(fx.out().join("ok.dcm")).unwrap();

    let ct = find(&bytes, &value_of(&fx.enc, CIPHERTEXT_TAG));
    let env = find(&bytes, &value_of(&fx.enc, ENVELOPE_TAG));
    assert_eq!(ct.len(), 3 * 160 + 9 * 16);
    // Every ciphertext byte: the one opaque error.
    let n = flip_each(&fx, &bytes, ct.clone(), |_, e| matches!(e, Error::Decrypt));
    assert_eq!(n, 624);
    // Every envelope byte: opaque, or (inside the key id) an unknown key.
    let kek_id = env.start + 10..env.start + 10 + "test-kek".len();
    flip_each(&fx, &bytes, env.clone(), |i, e| {
        matches!(e, Error::Decrypt)
            || (kek_id.contains(&i) && matches!(e, Error::UnknownKey { .. }))
    });
    // The creator value: a foreign or missing creator over our block.
    let creator = find(&bytes, b"RADGUARD CRYPT");
    flip_each(&fx, &bytes, creator.clone(), |_, e| {
        matches!(e, Error::Decrypt)
    });
    // Element headers of the block are DICOM encoding, not protected data:
    // a flip must either fail or leave the result exactly right (a VR
    // byte turned invalid is read as UN, for instance).
    for r in [
        creator.start - 8..creator.start,
        env.start - 12..env.start,
        ct.start - 12..ct.start,
    ] {
        flip_header_each(&fx, &bytes, r);
    }
    // The SOP Instance UID (0008,0018) of the data set is bound: a change
    // is refused, naming it. (Its first occurrence is the file meta's copy.)
    let meta_copy = find(&bytes, SOP_A.as_bytes());
    let sop = find(&bytes[meta_copy.end..], SOP_A.as_bytes());
    let sop = sop.start + meta_copy.end..sop.end + meta_copy.end;
    assert_eq!(
        &bytes[sop.start - 8..sop.start - 4],
        &[0x08, 0x00, 0x18, 0x00]
    );
    flip_each(
        &fx,
        &bytes,
        sop,
        |_, e| matches!(e, Error::HeaderChanged { attribute, .. } if attribute.contains("(0008,0018)")),
    );
}

#[test]
fn encapsulated_fragments_and_offset_table_are_protected() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.dcm");
    let frags: Vec<Vec<u8>> = (0..3).map(|i| pattern(i, 50 + 10 * i as usize)).collect();
    make_encapsulated(&plain, SOP_A, &frags);
    let enc = dir.path().join("enc.dcm");
    encrypt_file(
        &plain,
        &enc,
        &provider(),
        &EncryptOptions::new().segment_size(16),
    )
    .unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    let fx = Fixture { dir, enc };
    let bytes = fs::read(&fx.enc).unwrap();
    let ct = find(&bytes, &value_of(&fx.enc, CIPHERTEXT_TAG));
    let env = find(&bytes, &value_of(&fx.enc, ENVELOPE_TAG));
    flip_each(&fx, &bytes, ct, |_, e| matches!(e, Error::Decrypt));
    let kek_id = env.start + 10..env.start + 18;
    flip_each(&fx, &bytes, env, |i, e| {
        matches!(e, Error::Decrypt)
            || (kek_id.contains(&i) && matches!(e, Error::UnknownKey { .. }))
    });
    // The intact file restores every fragment.
    let out = fx.out().join("dec.dcm");
    decrypt_file(&fx.enc, &out, &provider(), &DecryptOptions::new()).unwrap();
    assert_eq!(
        common::pixels(&out).unwrap(),
        common::pixels(&plain_path(&fx)).unwrap()
    );
}

fn plain_path(fx: &Fixture) -> PathBuf {
    fx.dir.path().join("plain.dcm")
}

/// Rewrites the ciphertext element of an encrypted file.
fn with_ciphertext(path: &Path, out: &Path, ct: Vec<u8>) {
    let mut f = radguard_dicom::open(path).unwrap();
    f.object_mut().put(DataElement::new(
        CIPHERTEXT_TAG,
        VR::OB,
        PrimitiveValue::U8(ct.into()),
    ));
    radguard_dicom::write_file(out, f.object(), &radguard_dicom::WriteOptions::new()).unwrap();
}

fn decrypt_err(fx: &Fixture, input: &Path, p: &dyn KeyProvider) -> Error {
    let out = fx.out();
    let r = decrypt_file(input, out.join("dec.dcm"), p, &DecryptOptions::new());
    assert_empty(&out);
    r.expect_err("must not decrypt")
}

#[test]
fn truncation_is_detected() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 2);
    let bytes = fs::read(&fx.enc).unwrap();
    // A file cut anywhere inside the ciphertext is not even a complete
    // DICOM file.
    let ct = find(&bytes, &value_of(&fx.enc, CIPHERTEXT_TAG));
    for cut in [ct.start, ct.start + 1, ct.start + 300, ct.end - 1] {
        expect_failure(&fx, &bytes[..cut], &provider());
    }
    // A well-formed file whose ciphertext lost its last segment, or its
    // last byte, or gained one.
    let full = value_of(&fx.enc, CIPHERTEXT_TAG);
    let t = fx.dir.path().join("t.dcm");
    for ct in [
        full[..full.len() - (32 + 16)].to_vec(),
        full[..full.len() - 2].to_vec(),
        [&full[..], &[0, 0]].concat(),
        Vec::new(),
    ] {
        let _ = fs::remove_file(&t);
        with_ciphertext(&fx.enc, &t, ct);
        assert!(matches!(decrypt_err(&fx, &t, &provider()), Error::Decrypt));
    }
}

/// Rewrites the unit table of an envelope (by the format's byte layout)
/// so that it claims only the first `keep` units.
fn truncated_envelope(env: &[u8], keep: u32, unit_len: u64) -> Vec<u8> {
    let k = usize::from(env[9]);
    let w = usize::from(u16::from_be_bytes([env[10 + k], env[11 + k]]));
    let bound = 12 + k + w;
    let units_at = bound + 32 + 32 + 4;
    let n = u32::from_be_bytes(env[units_at..units_at + 4].try_into().unwrap()) as usize;
    let meta_at = units_at + 4 + 8 * n;
    let mut out = env[..units_at].to_vec();
    out.extend_from_slice(&keep.to_be_bytes());
    for _ in 0..keep {
        out.extend_from_slice(&unit_len.to_be_bytes());
    }
    out.extend_from_slice(&env[meta_at..]);
    out
}

#[test]
fn dropping_whole_frames_with_a_consistent_table_is_detected() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 3);
    let padded = value_of(&fx.enc, ENVELOPE_TAG);
    let (parsed, used) = Envelope::parse_prefix(&padded).unwrap();
    let env = &padded[..used];
    assert_eq!(parsed.layout().unit_count(), 3);
    // Claim two frames, keep the first two frames' ciphertext: a
    // consistent, well-formed stream that must still fail (the table and
    // descriptor are bound; the last-segment flag is missing).
    let short_env = truncated_envelope(env, 2, 160);
    assert!(Envelope::parse(&short_env).is_ok());
    let ct = value_of(&fx.enc, CIPHERTEXT_TAG);
    let two = parsed.layout().unit_ciphertext_range(1).end as usize;
    let mut f = radguard_dicom::open(&fx.enc).unwrap();
    f.object_mut().put(DataElement::new(
        ENVELOPE_TAG,
        VR::OB,
        PrimitiveValue::U8(short_env.into()),
    ));
    f.object_mut().put(DataElement::new(
        CIPHERTEXT_TAG,
        VR::OB,
        PrimitiveValue::U8(ct[..two].to_vec().into()),
    ));
    let t = fx.dir.path().join("t.dcm");
    radguard_dicom::write_file(&t, f.object(), &Default::default()).unwrap();
    assert!(matches!(decrypt_err(&fx, &t, &provider()), Error::Decrypt));
}

#[test]
fn swapped_frames_are_detected() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 4);
    let env = Envelope::parse_prefix(&value_of(&fx.enc, ENVELOPE_TAG))
        .unwrap()
        .0;
    let ct = value_of(&fx.enc, CIPHERTEXT_TAG);
    let r0 = env.layout().unit_ciphertext_range(0);
    let r1 = env.layout().unit_ciphertext_range(1);
    let (r0, r1) = (
        r0.start as usize..r0.end as usize,
        r1.start as usize..r1.end as usize,
    );
    let mut swapped = ct.clone();
    swapped[r0.clone()].copy_from_slice(&ct[r1.clone()]);
    swapped[r1.clone()].copy_from_slice(&ct[r0]);
    let t = fx.dir.path().join("t.dcm");
    with_ciphertext(&fx.enc, &t, swapped);
    assert!(matches!(decrypt_err(&fx, &t, &provider()), Error::Decrypt));
    // Swapping two segments inside one frame too.
    let mut s = ct.clone();
    s[0..80].copy_from_slice(&ct[80..160]);
    s[80..160].copy_from_slice(&ct[0..80]);
    let _ = fs::remove_file(&t);
    with_ciphertext(&fx.enc, &t, s);
    assert!(matches!(decrypt_err(&fx, &t, &provider()), Error::Decrypt));
    // Random access: opening verifies frame 0's first segment, so a file
    // whose frame 0 was swapped does not even open.
    assert!(matches!(
        EncryptedFile::open(&t, &provider()),
        Err(Error::Decrypt)
    ));
    // Frames 1 and 2 swapped: frame 0 reads, the swapped ones do not.
    let _ = fs::remove_file(&t);
    let r2 = env.layout().unit_ciphertext_range(2);
    let r2 = r2.start as usize..r2.end as usize;
    let mut swapped = ct.clone();
    swapped[r2.clone()].copy_from_slice(&ct[r1.clone()]);
    swapped[r1].copy_from_slice(&ct[r2]);
    with_ciphertext(&fx.enc, &t, swapped);
    let mut file = EncryptedFile::open(&t, &provider()).unwrap();
    assert_eq!(file.read_frame(0).unwrap().len(), 160);
    assert!(matches!(file.read_frame(1), Err(Error::Decrypt)));
    assert!(matches!(file.read_frame(2), Err(Error::Decrypt)));
}

#[test]
fn frames_and_blocks_moved_between_instances_are_detected() {
    let a = native_fixture(SOP_A, EXPLICIT_LE, 5);
    let b = native_fixture(SOP_B, EXPLICIT_LE, 6);
    let env = Envelope::parse_prefix(&value_of(&a.enc, ENVELOPE_TAG))
        .unwrap()
        .0;
    let r1 = env.layout().unit_ciphertext_range(1);
    let r1 = r1.start as usize..r1.end as usize;
    // Frame 1 of B into A.
    let mut ct_a = value_of(&a.enc, CIPHERTEXT_TAG);
    ct_a[r1.clone()].copy_from_slice(&value_of(&b.enc, CIPHERTEXT_TAG)[r1]);
    let t = a.dir.path().join("t.dcm");
    with_ciphertext(&a.enc, &t, ct_a);
    assert!(matches!(decrypt_err(&a, &t, &provider()), Error::Decrypt));
    // A's whole private block (envelope and ciphertext) into B's header.
    let mut fb = radguard_dicom::open(&b.enc).unwrap();
    for tag in [CREATOR_TAG, ENVELOPE_TAG, CIPHERTEXT_TAG] {
        let e = radguard_dicom::open(&a.enc)
            .unwrap()
            .dataset()
            .get(tag)
            .unwrap()
            .clone();
        fb.object_mut().put(e);
    }
    let t2 = a.dir.path().join("t2.dcm");
    radguard_dicom::write_file(&t2, fb.object(), &Default::default()).unwrap();
    assert!(matches!(
        decrypt_err(&a, &t2, &provider()),
        Error::HeaderChanged { attribute, .. } if attribute.contains("(0008,0018)")
    ));
    // The same block with B's SOP Instance UID changed to A's and the same
    // bound attributes decrypts; but B's patient is another one: reported,
    // and refused with `strict`.
    fb.object_mut()
        .put(DataElement::new(Tag(0x0008, 0x0018), VR::UI, SOP_A));
    fb.object_mut().put(DataElement::new(
        Tag(0x0010, 0x0020),
        VR::LO,
        "OTHER-PATIENT",
    ));
    let t3 = a.dir.path().join("t3.dcm");
    radguard_dicom::write_file(&t3, fb.object(), &Default::default()).unwrap();
    let r = decrypt_file(
        &t3,
        a.out().join("d.dcm"),
        &provider(),
        &DecryptOptions::new().strict(true),
    );
    assert!(matches!(r, Err(Error::PatientChanged)), "{r:?}");
    assert_empty(&a.out());
    let info = decrypt_file(
        &t3,
        a.out().join("d.dcm"),
        &provider(),
        &DecryptOptions::new(),
    )
    .unwrap();
    assert!(info.patient_changed);
    // The untouched file reports no change.
    let info = decrypt_file(
        &a.enc,
        a.out().join("d2.dcm"),
        &provider(),
        &DecryptOptions::new().strict(true),
    )
    .unwrap();
    assert!(!info.patient_changed);
}

#[test]
fn a_relabelled_transfer_syntax_is_detected() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 7);
    let mut f = radguard_dicom::open(&fx.enc).unwrap();
    f.object_mut()
        .update_meta(|m| m.transfer_syntax = IMPLICIT_LE.to_owned());
    let t = fx.dir.path().join("t.dcm");
    radguard_dicom::write_file(&t, f.object(), &Default::default()).unwrap();
    assert!(matches!(
        decrypt_err(&fx, &t, &provider()),
        Error::HeaderChanged { attribute, .. } if attribute.contains("(0002,0010)")
    ));
}

#[test]
fn wrong_or_missing_keys_fail() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 8);
    // Another key under the same id: the wrapped data key does not open.
    assert!(matches!(
        decrypt_err(&fx, &fx.enc, &wrong_provider()),
        Error::Decrypt
    ));
    assert!(matches!(
        EncryptedFile::open(&fx.enc, &wrong_provider()),
        Err(Error::Decrypt)
    ));
    // A provider without the key id.
    let other = StaticKey::new(KeyId::new("other").unwrap(), SecretKey::from_bytes([1; 32]));
    assert!(matches!(
        decrypt_err(&fx, &fx.enc, &other),
        Error::UnknownKey { .. }
    ));
}

/// A provider that unwraps every data key to the same fixed key: what a
/// broken or malicious KMS would do.
struct Liar;
impl KeyProvider for Liar {
    fn primary_key_id(&self) -> radguard_crypt::Result<KeyId> {
        KeyId::new("test-kek").map_err(|_| Error::NoPrimaryKey)
    }
    fn wrap_key(&self, _: &KeyId, _: &SecretKey, _: &[u8]) -> radguard_crypt::Result<Vec<u8>> {
        Ok(vec![0; 81])
    }
    fn unwrap_key(&self, _: &KeyId, _: &[u8], _: &[u8]) -> radguard_crypt::Result<SecretKey> {
        Ok(SecretKey::from_bytes([0x55; 32]))
    }
}

#[test]
fn key_commitment_refuses_any_other_data_key() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 9);
    assert!(matches!(decrypt_err(&fx, &fx.enc, &Liar), Error::Decrypt));
    // The same at the envelope level: opening fails before any segment.
    let env = Envelope::parse_prefix(&value_of(&fx.enc, ENVELOPE_TAG))
        .unwrap()
        .0;
    assert!(matches!(env.open(&Liar, b"any"), Err(Error::Decrypt)));
}

#[test]
fn no_output_on_failure_even_when_the_output_exists_elsewhere() {
    let fx = native_fixture(SOP_A, EXPLICIT_LE, 10);
    let bytes = fs::read(&fx.enc).unwrap();
    let ct = find(&bytes, &value_of(&fx.enc, CIPHERTEXT_TAG));
    // A flip in the last segment: earlier segments verify, then the last
    // fails; still nothing appears and no temporary file is left.
    let mut t = bytes;
    t[ct.end - 1] ^= 0x80;
    let e = expect_failure(&fx, &t, &provider());
    assert!(matches!(e, Error::Decrypt));
    // Not encrypted at all.
    let plain = plain_path(&fx);
    let r = decrypt_file(
        &plain,
        fx.out().join("x.dcm"),
        &provider(),
        &DecryptOptions::new(),
    );
    assert!(matches!(r, Err(Error::NotEncrypted)));
    assert_empty(&fx.out());
}
