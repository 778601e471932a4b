//! Writes the seed corpora of the `crypt_decrypt` and `crypt_envelope` fuzz
//! targets (ignored by default; the seeds are committed):
//!
//! ```sh
//! RADGUARD_WRITE_FUZZ_SEEDS=1 cargo test -p radguard-crypt --test fuzz_seeds -- --ignored
//! ```
//!
//! Every seed is a small file encrypted (format v2) under the fuzz target's
//! fixed key, whose pixel bytes are `fuzz_pattern(i)` (the target checks
//! that anything that decrypts restores exactly these bytes). The
//! `seed-v1-*` files were written by the format v1 encoder and are kept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::{Path, PathBuf};

use radguard_core::{KeyId, SecretKey};
use radguard_crypt::StaticKey;
use radguard_crypt::dicom::{
    DecryptOptions, ENVELOPE_TAG, EncryptOptions, decrypt_file, encrypt_file,
};
use radguard_dicom::dicom::core::value::{PixelFragmentSequence, Value};
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::dicom::object::meta::FileMetaTableBuilder;

/// Keep in sync with `fuzz/fuzz_targets/crypt_decrypt.rs`.
fn fuzz_pattern(i: usize) -> u8 {
    ((i * 31 + 7) % 251) as u8
}

fn fuzz_key() -> StaticKey {
    StaticKey::new(
        KeyId::new("fuzz-kek").unwrap(),
        SecretKey::from_bytes([0x5A; 32]),
    )
}

fn plain(path: &Path, ts: &str, frames: u32, pixel: Value<InMemDicomObject>, tag: Tag, vr: VR) {
    let mut obj = InMemDicomObject::from_element_iter([
        DataElement::new(Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
        DataElement::new(Tag(0x0008, 0x0018), VR::UI, "2.25.5"),
        DataElement::new(Tag(0x0028, 0x0008), VR::IS, frames.to_string()),
        DataElement::new(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(4u16)),
        DataElement::new(Tag(0x0028, 0x0011), VR::US, PrimitiveValue::from(4u16)),
        DataElement::new(Tag(0x0028, 0x0100), VR::US, PrimitiveValue::from(16u16)),
        DataElement::new(tag, vr, pixel),
    ]);
    if frames == 3 && ts == common::EXPLICIT_LE && tag == Tag(0x7FE0, 0x0010) {
        // Other protected elements: an overlay, a private blob, an icon.
        obj.put(DataElement::new(
            Tag(0x6000, 0x3000),
            VR::OW,
            PrimitiveValue::U8(vec![0x0F; 8].into()),
        ));
        obj.put(DataElement::new(Tag(0x0029, 0x0010), VR::LO, "FUZZ"));
        obj.put(DataElement::new(
            Tag(0x0029, 0x1010),
            VR::OB,
            PrimitiveValue::U8(vec![0x33; 20].into()),
        ));
        let icon = InMemDicomObject::from_element_iter([
            DataElement::new(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(2u16)),
            DataElement::new(
                Tag(0x7FE0, 0x0010),
                VR::OB,
                PrimitiveValue::U8(vec![9; 4].into()),
            ),
        ]);
        obj.put(DataElement::new(
            Tag(0x0088, 0x0200),
            VR::SQ,
            Value::Sequence(radguard_dicom::dicom::core::value::DataSetSequence::from(
                vec![icon],
            )),
        ));
    }
    let obj = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(ts))
        .unwrap();
    radguard_dicom::write_file(path, &obj, &Default::default()).unwrap();
}

#[test]
#[ignore = "writes the committed fuzz seeds"]
fn write_fuzz_seeds() {
    if std::env::var_os("RADGUARD_WRITE_FUZZ_SEEDS").is_none() {
        return;
    }
    let root = radguard_testkit::workspace_root().join("fuzz/seeds");
    let dec_dir = root.join("crypt_decrypt");
    let env_dir = root.join("crypt_envelope");
    std::fs::create_dir_all(&dec_dir).unwrap();
    std::fs::create_dir_all(&env_dir).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..96).map(fuzz_pattern).collect();
    let frags = vec![bytes[..40].to_vec(), bytes[40..96].to_vec()];
    type Case<'a> = (&'a str, &'a str, u32, Value<InMemDicomObject>, Tag, VR);
    let cases: Vec<Case<'_>> = vec![
        (
            "native-le",
            common::EXPLICIT_LE,
            3,
            PrimitiveValue::U8(bytes.clone().into()).into(),
            Tag(0x7FE0, 0x0010),
            VR::OW,
        ),
        (
            "native-implicit",
            common::IMPLICIT_LE,
            3,
            PrimitiveValue::U8(bytes.clone().into()).into(),
            Tag(0x7FE0, 0x0010),
            VR::OW,
        ),
        (
            "native-be",
            common::EXPLICIT_BE,
            3,
            PrimitiveValue::U8(bytes.clone().into()).into(),
            Tag(0x7FE0, 0x0010),
            VR::OB,
        ),
        (
            "float",
            common::EXPLICIT_LE,
            3,
            PrimitiveValue::U8(bytes[..64].to_vec().into()).into(),
            Tag(0x7FE0, 0x0008),
            VR::OF,
        ),
        (
            "encapsulated",
            common::JPEG_BASELINE,
            2,
            Value::PixelSequence(PixelFragmentSequence::new(vec![0, 48], frags)),
            Tag(0x7FE0, 0x0010),
            VR::OB,
        ),
    ];
    for (name, ts, frames, pixel, tag, vr) in cases {
        let p: PathBuf = tmp.path().join(format!("{name}.dcm"));
        plain(&p, ts, frames, pixel, tag, vr);
        let out = dec_dir.join(format!("seed-{name}.dcm"));
        let _ = std::fs::remove_file(&out);
        encrypt_file(
            &p,
            &out,
            &fuzz_key(),
            &EncryptOptions::new().segment_size(16),
        )
        .unwrap();
        // The seed decrypts to the pattern.
        let d = tmp.path().join(format!("{name}.dec.dcm"));
        decrypt_file(&out, &d, &fuzz_key(), &DecryptOptions::new()).unwrap();
        let px = common::pixels(&d).unwrap().bytes();
        assert!(
            px.iter().enumerate().all(|(i, b)| *b == fuzz_pattern(i)),
            "{name}"
        );
        let env = common::value_of(&out, ENVELOPE_TAG);
        std::fs::write(env_dir.join(format!("seed-{name}")), env).unwrap();
    }
}
