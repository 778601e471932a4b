//! Format v2: every place an image or identifying bulk data can hide is
//! encrypted and restored bit for bit; every bound attribute is checked (a
//! tamper test per bound attribute, one per editable attribute); format v1
//! files still decrypt.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use radguard_core::{KeyId, SecretKey};
use radguard_crypt::dicom::{
    DecryptOptions, EncryptOptions, EncryptedFile, decrypt_file, encrypt_file, encryption_info,
};
use radguard_crypt::{Error, StaticKey};
use radguard_dicom::dicom::core::header::Length;
use radguard_dicom::dicom::core::value::{DataSetSequence, PixelFragmentSequence, Value};
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::dicom::object::meta::FileMetaTableBuilder;
use radguard_dicom::tags;

use common::{EXPLICIT_LE, IMPLICIT_LE, assert_empty, pattern, provider};

const SOP: &str = "2.25.333333333333333333";

fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(
        tag,
        VR::SQ,
        Value::Sequence(DataSetSequence::new(items, Length::UNDEFINED)),
    )
}

fn us(tag: Tag, v: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::US, PrimitiveValue::from(v))
}

/// A 2-frame 8x8 16-bit CT with every bound attribute present, Enhanced
/// functional groups, and every kind of protected bulk data: overlay,
/// icon image, encapsulated document, waveform, a private OB at the top
/// level and an image copy in a private sequence.
fn rich(ts: &str) -> InMemDicomObject {
    let icon = InMemDicomObject::from_element_iter([
        us(tags::SAMPLES_PER_PIXEL, 1),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        us(tags::ROWS, 4),
        us(tags::COLUMNS, 4),
        us(tags::BITS_ALLOCATED, 8),
        us(tags::BITS_STORED, 8),
        us(tags::HIGH_BIT, 7),
        us(tags::PIXEL_REPRESENTATION, 0),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::U8(pattern(91, 16).into()),
        ),
    ]);
    let transform = InMemDicomObject::from_element_iter([
        DataElement::new(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
        DataElement::new(tags::RESCALE_SLOPE, VR::DS, "1"),
        DataElement::new(tags::RESCALE_TYPE, VR::LO, "HU"),
    ]);
    let shared = InMemDicomObject::from_element_iter([seq(
        tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
        vec![transform],
    )]);
    let waveform = InMemDicomObject::from_element_iter([
        us(tags::WAVEFORM_BITS_ALLOCATED, 16),
        DataElement::new(
            tags::WAVEFORM_DATA,
            VR::OW,
            PrimitiveValue::U8(pattern(92, 64).into()),
        ),
    ]);
    let private_item = InMemDicomObject::from_element_iter([DataElement::new(
        Tag(0x0029, 0x1011),
        VR::OB,
        // A full copy of the image in a private sequence.
        PrimitiveValue::U8(pattern(90, 256).into()),
    )]);
    let mut els = vec![
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, SOP),
        DataElement::new(tags::STUDY_DESCRIPTION, VR::LO, "CT HEAD"),
        DataElement::new(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
        DataElement::new(tags::PATIENT_ID, VR::LO, "PID-0001"),
        DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.10"),
        DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.11"),
        DataElement::new(tags::SERIES_DESCRIPTION, VR::LO, "AXIAL"),
        DataElement::new(tags::ACCESSION_NUMBER, VR::SH, "ACC1"),
        DataElement::new(Tag(0x0029, 0x0010), VR::LO, "VENDOR X"),
        seq(Tag(0x0029, 0x1010), vec![private_item]),
        DataElement::new(
            Tag(0x0029, 0x1012),
            VR::OB,
            PrimitiveValue::U8(pattern(93, 40).into()),
        ),
        us(tags::SAMPLES_PER_PIXEL, 1),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        us(tags::PLANAR_CONFIGURATION, 0),
        DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, "2"),
        us(tags::ROWS, 8),
        us(tags::COLUMNS, 8),
        us(tags::BITS_ALLOCATED, 16),
        us(tags::BITS_STORED, 12),
        us(tags::HIGH_BIT, 11),
        us(tags::PIXEL_REPRESENTATION, 1),
        DataElement::new(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
        DataElement::new(tags::RESCALE_SLOPE, VR::DS, "1"),
        DataElement::new(tags::RESCALE_TYPE, VR::LO, "HU"),
        seq(tags::ICON_IMAGE_SEQUENCE, vec![icon]),
        seq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]),
        DataElement::new(tags::ENCAPSULATED_DOCUMENT, VR::OB, {
            let mut pdf = b"%PDF-1.4 secret report of DOE^JANE ".to_vec();
            pdf.extend(pattern(94, 60));
            PrimitiveValue::U8(pdf.into())
        }),
        seq(tags::WAVEFORM_SEQUENCE, vec![waveform]),
        us(Tag(0x6000, 0x0010), 8),
        us(Tag(0x6000, 0x0011), 8),
        DataElement::new(
            Tag(0x6000, 0x3000),
            VR::OW,
            PrimitiveValue::U8(pattern(95, 8).into()),
        ),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U8(pattern(96, 8 * 8 * 2 * 2).into()),
        ),
    ];
    if ts == IMPLICIT_LE {
        // A private sequence that arrives as UN in Implicit VR, holding an image.
        els.push(DataElement::new(
            Tag(0x7FE1, 0x1010),
            VR::UN,
            PrimitiveValue::U8(pattern(97, 300).into()),
        ));
    }
    InMemDicomObject::from_element_iter(els)
}

fn write(path: &Path, obj: InMemDicomObject, ts: &str) {
    let f = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(ts)
                .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
                .media_storage_sop_instance_uid(SOP),
        )
        .unwrap();
    radguard_dicom::write_file(path, &f, &Default::default()).unwrap();
}

struct Fx {
    dir: tempfile::TempDir,
    plain: PathBuf,
    enc: PathBuf,
}

fn fixture(ts: &str) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.dcm");
    write(&plain, rich(ts), ts);
    let enc = dir.path().join("enc.dcm");
    encrypt_file(
        &plain,
        &enc,
        &provider(),
        &EncryptOptions::new().segment_size(64),
    )
    .unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    Fx { dir, plain, enc }
}

/// Every 16-byte window of every bulk value of `rich`.
fn bulk_values(ts: &str) -> Vec<Vec<u8>> {
    let mut v = vec![
        pattern(90, 256),
        pattern(91, 16),
        pattern(92, 64),
        pattern(93, 40),
        pattern(94, 60),
        pattern(96, 256),
        b"secret report of DOE^JANE".to_vec(),
    ];
    if ts == IMPLICIT_LE {
        v.push(pattern(97, 300));
    }
    v
}

#[test]
fn every_hiding_place_is_encrypted_and_restored() {
    for ts in [EXPLICIT_LE, IMPLICIT_LE] {
        let fx = fixture(ts);
        let bytes = fs::read(&fx.enc).unwrap();
        for value in bulk_values(ts) {
            for w in value.windows(16) {
                assert!(
                    !bytes.windows(16).any(|x| x == w),
                    "{ts}: a 16-byte run of a protected value is readable"
                );
            }
        }
        let info = encryption_info(&fx.enc).unwrap().unwrap();
        let protected: Vec<String> = info.protected.iter().map(ToString::to_string).collect();
        for p in [
            "(7FE0,0010)",
            "(0029,1010)[0].(0029,1011)",
            "(0029,1012)",
            "(0042,0011)",
            "(0088,0200)[0].(7FE0,0010)",
            "(5400,0100)[0].(5400,1010)",
        ] {
            assert!(
                protected.iter().any(|x| x == p),
                "{ts}: {p} not in {protected:?}"
            );
        }
        // The 8-byte overlay is protected too (it cannot hold a 16-byte run).
        assert!(
            protected.iter().any(|x| x == "(6000,3000)"),
            "{protected:?}"
        );
        assert_eq!(info.version, 2);
        // The header stays readable.
        let header = radguard_dicom::open(&fx.enc).unwrap();
        assert!(header.dataset().get(tags::STUDY_DESCRIPTION).is_some());
        assert!(header.dataset().get(tags::ENCAPSULATED_DOCUMENT).is_none());
        // Decryption restores the data set exactly.
        let out = fx.dir.path().join("out/dec.dcm");
        let info = decrypt_file(&fx.enc, &out, &provider(), &DecryptOptions::new()).unwrap();
        assert!(!info.patient_changed);
        let a = radguard_dicom::open(&fx.plain).unwrap();
        let b = radguard_dicom::open(&out).unwrap();
        assert!(
            radguard_dicom::same_content(a.dataset(), b.dataset()),
            "{ts}: differs at {:?}",
            radguard_dicom::first_difference(a.dataset(), b.dataset())
        );
        // Random access still reads frames.
        let mut f = EncryptedFile::open(&fx.enc, &provider()).unwrap();
        assert_eq!(f.read_frame(1).unwrap(), pattern(96, 256)[128..]);
    }
}

#[test]
fn encapsulated_icons_and_big_endian_words_come_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("p.dcm");
    let icon = InMemDicomObject::from_element_iter([
        us(tags::ROWS, 4),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            Value::PixelSequence(PixelFragmentSequence::new(
                vec![0],
                vec![pattern(1, 33), pattern(2, 20)],
            )),
        ),
    ]);
    let obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, SOP),
        seq(tags::ICON_IMAGE_SEQUENCE, vec![icon]),
        DataElement::new(
            Tag(0x6002, 0x3000),
            VR::OW,
            PrimitiveValue::U16((0..40u16).map(|i| i * 977).collect()),
        ),
    ]);
    write(&plain, obj, common::EXPLICIT_BE);
    let enc = dir.path().join("e.dcm");
    let info = encrypt_file(&plain, &enc, &provider(), &EncryptOptions::new()).unwrap();
    // No top-level pixel data: the other elements alone are protected.
    assert_eq!(info.pixel_tag, None);
    assert_eq!(info.protected.len(), 2);
    let dec = dir.path().join("d.dcm");
    decrypt_file(&enc, &dec, &provider(), &DecryptOptions::new()).unwrap();
    let a = fs::read(&plain).unwrap();
    let b = fs::read(&dec).unwrap();
    // Written by the same writer from the same data set: byte for byte.
    assert_eq!(a, b);
}

#[test]
fn a_removed_item_or_an_impostor_in_its_place_is_refused() {
    let fx = fixture(EXPLICIT_LE);
    let mut f = radguard_dicom::open(&fx.enc).unwrap();
    f.object_mut().remove_element(tags::ICON_IMAGE_SEQUENCE);
    let t = fx.dir.path().join("t.dcm");
    radguard_dicom::write_file(&t, f.object(), &Default::default()).unwrap();
    let r = decrypt_file(
        &t,
        fx.dir.path().join("out/d.dcm"),
        &provider(),
        &DecryptOptions::new(),
    );
    // The icon's Rows etc. are bound: their removal is named.
    assert!(
        matches!(&r, Err(Error::HeaderChanged { attribute, .. }) if attribute.contains("(0088,0200)[0]")),
        "{r:?}"
    );
    assert_empty(&fx.dir.path().join("out"));
    // A readable document put where the encrypted one goes back.
    let mut f = radguard_dicom::open(&fx.enc).unwrap();
    f.object_mut().put(DataElement::new(
        tags::ENCAPSULATED_DOCUMENT,
        VR::OB,
        PrimitiveValue::U8(b"%PDF-1.4 fake".to_vec().into()),
    ));
    let t2 = fx.dir.path().join("t2.dcm");
    radguard_dicom::write_file(&t2, f.object(), &Default::default()).unwrap();
    let r = decrypt_file(
        &t2,
        fx.dir.path().join("out/d.dcm"),
        &provider(),
        &DecryptOptions::new(),
    );
    assert!(
        matches!(&r, Err(Error::HeaderChanged { attribute, .. }) if attribute.contains("(0042,0011)")),
        "{r:?}"
    );
    assert_empty(&fx.dir.path().join("out"));
}

/// Decrypts a copy of the encrypted file with `edit` applied to its header.
fn decrypt_edited(
    fx: &Fx,
    edit: &dyn Fn(&mut InMemDicomObject),
    opts: &DecryptOptions<'_>,
) -> (
    radguard_crypt::Result<radguard_crypt::dicom::EncryptionInfo>,
    PathBuf,
) {
    let mut f = radguard_dicom::open(&fx.enc).unwrap();
    edit(f.object_mut());
    let t = fx.dir.path().join("edited.dcm");
    let _ = fs::remove_file(&t);
    radguard_dicom::write_file(&t, f.object(), &Default::default()).unwrap();
    let out = fx.dir.path().join("out/dec.dcm");
    let _ = fs::remove_file(&out);
    (decrypt_file(&t, &out, &provider(), opts), out)
}

#[test]
fn a_change_to_any_bound_attribute_is_refused_and_named() {
    let fx = fixture(EXPLICIT_LE);
    type Edit = Box<dyn Fn(&mut InMemDicomObject)>;
    let set = |tag: Tag, vr: VR, v: &'static str| -> Edit {
        Box::new(move |o: &mut InMemDicomObject| {
            o.put(DataElement::new(tag, vr, v));
        })
    };
    let set_us = |tag: Tag, v: u16| -> Edit {
        Box::new(move |o: &mut InMemDicomObject| {
            o.put(us(tag, v));
        })
    };
    let remove = |tag: Tag| -> Edit {
        Box::new(move |o: &mut InMemDicomObject| {
            o.remove_element(tag);
        })
    };
    let cases: Vec<(&str, Edit)> = vec![
        ("(0028,0010)", set_us(tags::ROWS, 16)),
        ("(0028,0011)", set_us(tags::COLUMNS, 4)),
        ("(0028,0008)", set(tags::NUMBER_OF_FRAMES, VR::IS, "1")),
        ("(0028,0002)", set_us(tags::SAMPLES_PER_PIXEL, 3)),
        ("(0028,0100)", set_us(tags::BITS_ALLOCATED, 8)),
        ("(0028,0101)", set_us(tags::BITS_STORED, 16)),
        ("(0028,0102)", set_us(tags::HIGH_BIT, 15)),
        ("(0028,0103)", set_us(tags::PIXEL_REPRESENTATION, 0)),
        (
            "(0028,0004)",
            set(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME1"),
        ),
        ("(0028,0006)", set_us(tags::PLANAR_CONFIGURATION, 1)),
        ("(0028,1052)", set(tags::RESCALE_INTERCEPT, VR::DS, "0")),
        ("(0028,1053)", set(tags::RESCALE_SLOPE, VR::DS, "100")),
        ("(0028,1054)", set(tags::RESCALE_TYPE, VR::LO, "US")),
        (
            "(0020,000D)",
            set(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.99"),
        ),
        (
            "(0020,000E)",
            set(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.98"),
        ),
        (
            "(0008,0018)",
            set(tags::SOP_INSTANCE_UID, VR::UI, "2.25.97"),
        ),
        ("(0028,1053)", remove(tags::RESCALE_SLOPE)),
        ("(0028,0101)", remove(tags::BITS_STORED)),
        ("(0028,1050)", set(tags::WINDOW_CENTER, VR::DS, "40")),
        (
            "(0028,3000)",
            Box::new(|o: &mut InMemDicomObject| {
                let lut = InMemDicomObject::from_element_iter([DataElement::new(
                    tags::MODALITY_LUT_TYPE,
                    VR::LO,
                    "HU",
                )]);
                o.put(seq(tags::MODALITY_LUT_SEQUENCE, vec![lut]));
            }),
        ),
        (
            "(5200,9229)[0].(0028,9145)[0].(0028,1053)",
            Box::new(|o: &mut InMemDicomObject| {
                let t = InMemDicomObject::from_element_iter([
                    DataElement::new(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
                    DataElement::new(tags::RESCALE_SLOPE, VR::DS, "10"),
                    DataElement::new(tags::RESCALE_TYPE, VR::LO, "HU"),
                ]);
                let shared = InMemDicomObject::from_element_iter([seq(
                    tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
                    vec![t],
                )]);
                o.put(seq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]));
            }),
        ),
        (
            "(0002,0010)",
            Box::new(|_o: &mut InMemDicomObject| {}), // replaced below
        ),
    ];
    for (name, edit) in &cases {
        if *name == "(0002,0010)" {
            continue;
        }
        if *name == "(0028,1050)" {
            // Window Center is display, not interpretation: editable.
            let (r, out) = decrypt_edited(&fx, edit.as_ref(), &DecryptOptions::new());
            r.unwrap();
            assert!(out.exists());
            continue;
        }
        if *name == "(0028,3000)" {
            // A Modality LUT added where there was none: its type is bound.
            let (r, _) = decrypt_edited(&fx, edit.as_ref(), &DecryptOptions::new());
            assert!(
                matches!(&r, Err(Error::HeaderChanged { attribute, .. }) if attribute.contains("(0028,3000)[0].(0028,3004)")),
                "{r:?}"
            );
            assert_empty(&fx.dir.path().join("out"));
            continue;
        }
        let (r, _) = decrypt_edited(&fx, edit.as_ref(), &DecryptOptions::new());
        match &r {
            Err(Error::HeaderChanged { attribute, .. }) => {
                assert!(attribute.contains(name), "{name}: named {attribute}");
                // Named by keyword and tag, never by value.
                assert!(
                    !attribute.contains("DOE") && !attribute.contains("2.25."),
                    "{attribute}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_empty(&fx.dir.path().join("out"));
    }
    // The transfer syntax, relabelled in the file meta.
    let mut f = radguard_dicom::open(&fx.enc).unwrap();
    f.object_mut()
        .update_meta(|m| m.transfer_syntax = IMPLICIT_LE.to_owned());
    let t = fx.dir.path().join("ts.dcm");
    radguard_dicom::write_file(&t, f.object(), &Default::default()).unwrap();
    let r = decrypt_file(
        &t,
        fx.dir.path().join("out/d.dcm"),
        &provider(),
        &DecryptOptions::new(),
    );
    assert!(
        matches!(&r, Err(Error::HeaderChanged { attribute, .. }) if attribute.contains("(0002,0010)")),
        "{r:?}"
    );
    assert_empty(&fx.dir.path().join("out"));
    // EncryptedFile refuses the same edits.
    let (_, _) = decrypt_edited(
        &fx,
        &|o| {
            o.put(us(tags::ROWS, 2));
        },
        &DecryptOptions::new(),
    );
    assert!(matches!(
        EncryptedFile::open(fx.dir.path().join("edited.dcm"), &provider()),
        Err(Error::HeaderChanged { .. })
    ));
}

#[test]
fn editable_attributes_stay_editable() {
    let fx = fixture(EXPLICIT_LE);
    let edits: Vec<(Tag, VR, &str)> = vec![
        (tags::PATIENT_NAME, VR::PN, "DOE^JOHN"),
        (tags::STUDY_DESCRIPTION, VR::LO, "CT HEAD W/O"),
        (tags::SERIES_DESCRIPTION, VR::LO, "CORONAL"),
        (tags::ACCESSION_NUMBER, VR::SH, "ACC2"),
        (tags::INSTITUTION_NAME, VR::LO, "OTHER HOSPITAL"),
        (tags::STUDY_DATE, VR::DA, "20260101"),
        (tags::REFERRING_PHYSICIAN_NAME, VR::PN, "WHO^DR"),
        (tags::WINDOW_WIDTH, VR::DS, "400"),
    ];
    for (tag, vr, v) in edits {
        let (r, out) = decrypt_edited(
            &fx,
            &|o| {
                o.put(DataElement::new(tag, vr, v));
            },
            &DecryptOptions::new().strict(true),
        );
        let info = r.unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert!(!info.patient_changed, "{tag}");
        // The edit is kept, the pixels restored.
        let d = radguard_dicom::open(&out).unwrap();
        assert_eq!(
            radguard_dicom::text::value_text(d.dataset(), tag),
            v,
            "{tag}"
        );
        assert_eq!(common::pixels(&out), common::pixels(&fx.plain));
    }
    // The Patient ID is editable (reconciliation) but reported; `strict`
    // refuses it.
    let edit = |o: &mut InMemDicomObject| {
        o.put(DataElement::new(tags::PATIENT_ID, VR::LO, "PID-0002"));
    };
    let (r, out) = decrypt_edited(&fx, &edit, &DecryptOptions::new());
    assert!(r.unwrap().patient_changed);
    assert!(out.exists());
    let (r, _) = decrypt_edited(&fx, &edit, &DecryptOptions::new().strict(true));
    assert!(matches!(r, Err(Error::PatientChanged)));
    assert_empty(&fx.dir.path().join("out"));
    // Padding is not a change.
    let (r, _) = decrypt_edited(
        &fx,
        &|o| {
            o.put(DataElement::new(tags::PATIENT_ID, VR::LO, "PID-0001 "));
        },
        &DecryptOptions::new().strict(true),
    );
    assert!(!r.unwrap().patient_changed);
}

/// Format v1 files (committed, written by radguard-crypt 0.1 under the
/// fuzz key) still decrypt.
#[test]
fn format_v1_files_still_decrypt() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1");
    let key = StaticKey::new(
        KeyId::new("fuzz-kek").unwrap(),
        SecretKey::from_bytes([0x5A; 32]),
    );
    let out = tempfile::tempdir().unwrap();
    let mut n = 0;
    for f in common::files_in(&dir) {
        let info = encryption_info(&f).unwrap().unwrap();
        assert_eq!(info.version, 1);
        let d = out.path().join(f.file_name().unwrap());
        decrypt_file(&f, &d, &key, &DecryptOptions::new().strict(true)).unwrap();
        let px = common::pixels(&d).unwrap().bytes();
        assert!(
            px.iter()
                .enumerate()
                .all(|(i, b)| *b == ((i * 31 + 7) % 251) as u8)
        );
        n += 1;
    }
    assert!(n >= 3, "{n} v1 samples");
}
