//! Clean Pixel Data (PS3.15 E.3.1, option 113101) through
//! `Deidentifier::deidentify_file`, on a synthetic ultrasound image with
//! made-up identifying text burned in (`tests/data/us_burned_in.dcm`,
//! written by `tests/burned_in/make_fixture.py`; the text boxes are in
//! `us_burned_in.json`).
//!
//! The tests that need text detection run only with the `ocr` feature
//! (Tesseract installed): `cargo test -p radguard-deid --features ocr
//! --test clean_pixels`. The rest hold in every build.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{el, file, key, opt, s};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileDicomObject, InMemDicomObject};
use radguard_deid::{DeidOption, Deidentifier, Error, PixelCleaning, Profile};
use radguard_dicom::WriteOptions;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/us_burned_in.dcm");
const COLUMNS: usize = 320;
const ROWS: usize = 240;
/// The burned-in text boxes of the fixture, `[left, top, right, bottom)`
/// (from `us_burned_in.json`).
const TEXT_BOXES: [[usize; 4]; 3] = [[6, 10, 105, 27], [8, 33, 122, 45], [214, 9, 315, 22]];

fn open(path: &Path) -> FileDicomObject<InMemDicomObject> {
    radguard_dicom::open(path).unwrap().object().clone()
}

fn pixel_bytes(obj: &InMemDicomObject) -> Vec<u8> {
    obj.get(tags::PIXEL_DATA)
        .unwrap()
        .value()
        .to_bytes()
        .unwrap()
        .into_owned()
}

fn method_codes(obj: &InMemDicomObject) -> Vec<String> {
    let Some(e) = obj.get(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE) else {
        return Vec::new();
    };
    e.items()
        .unwrap()
        .iter()
        .filter_map(|i| s(i, tags::CODE_VALUE))
        .map(|v| v.trim().to_owned())
        .collect()
}

fn cpd() -> Profile {
    opt(DeidOption::CleanPixelData)
}

fn out_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("out.dcm")
}

#[test]
fn fixture_matches_its_truth_file() {
    let truth = std::fs::read_to_string(FIXTURE.replace(".dcm", ".json")).unwrap();
    for b in TEXT_BOXES {
        let quad = format!("{},\n    {},\n    {},\n    {}", b[0], b[1], b[2], b[3]);
        assert!(truth.contains(&quad), "box {b:?} not in the truth file");
    }
    let obj = open(Path::new(FIXTURE));
    assert_eq!(pixel_bytes(&obj).len(), COLUMNS * ROWS);
    assert_eq!(
        s(&obj, tags::BURNED_IN_ANNOTATION)
            .as_deref()
            .map(str::trim),
        Some("YES")
    );
}

#[test]
fn without_detection_a_file_at_risk_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let deid = Deidentifier::new(cpd(), key(1))
        .with_pixel_cleaning(PixelCleaning::new().with_detection(None));
    let err = deid
        .deidentify_file(Path::new(FIXTURE), &out, &WriteOptions::new())
        .unwrap_err();
    match &err {
        Error::PixelsNotCleaned { reason } => {
            assert!(reason.contains("re-checked"), "{reason}");
            // The reason names no patient data.
            assert!(!reason.contains("DOE") && !reason.contains("48213377"));
        }
        other => panic!("expected PixelsNotCleaned, got {other:?}"),
    }
    assert_eq!(err.reason().code.as_str(), "pixels_not_cleaned");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn let_through_uncleaned_does_not_claim_clean_pixel_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let profile = Profile::builder()
        .option(DeidOption::CleanPixelData)
        .allow_burned_in(true)
        .build()
        .unwrap();
    let deid = Deidentifier::new(profile, key(1))
        .with_pixel_cleaning(PixelCleaning::new().with_detection(None));
    let report = deid
        .deidentify_file(Path::new(FIXTURE), &out, &WriteOptions::new())
        .unwrap();
    assert!(report.burned_in_retained);
    assert!(report.pixels.is_none());
    let before = open(Path::new(FIXTURE));
    let after = open(&out);
    assert_eq!(pixel_bytes(&after), pixel_bytes(&before));
    assert_eq!(
        s(&after, tags::BURNED_IN_ANNOTATION)
            .as_deref()
            .map(str::trim),
        Some("YES")
    );
    assert_eq!(
        s(&after, tags::PATIENT_IDENTITY_REMOVED)
            .as_deref()
            .map(str::trim),
        Some("NO")
    );
    let codes = method_codes(&after);
    assert!(codes.contains(&"113100".to_owned()), "{codes:?}");
    assert!(!codes.contains(&"113101".to_owned()), "{codes:?}");
}

#[test]
fn an_image_without_burned_in_risk_keeps_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ct.dcm");
    // Samples within Bits Stored, so that nothing is cleared.
    let clean: Vec<u8> = (0..64u32 * 64)
        .flat_map(|i| u16::try_from(i % 4096).unwrap().to_le_bytes())
        .collect();
    let f = file(vec![
        el(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
        el(tags::MODALITY, VR::CS, "CT"),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
        el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(64u16)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(64u16)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(12u16)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(11u16)),
        DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::from(clean.clone()),
        ),
    ]);
    radguard_dicom::write_file(&input, &f, &WriteOptions::new()).unwrap();
    let out = out_path(&dir);
    let report = Deidentifier::new(cpd(), key(1))
        .with_pixel_cleaning(PixelCleaning::new().with_detection(None))
        .deidentify_file(&input, &out, &WriteOptions::new())
        .unwrap();
    assert!(report.pixels.is_none());
    assert_eq!(report.counts.pixels_blanked, 0);
    let after = open(&out);
    assert_eq!(pixel_bytes(&after), clean);
    let codes = method_codes(&after);
    assert!(codes.contains(&"113101".to_owned()), "{codes:?}");
}

#[test]
fn in_memory_de_identification_refuses_rather_than_skipping_the_pixels() {
    let bytes = std::fs::read(FIXTURE).unwrap();
    let err = Deidentifier::new(cpd(), key(1))
        .deidentify_bytes(&bytes)
        .unwrap_err();
    match err {
        Error::PixelsNotCleaned { reason } => assert!(reason.contains("only in files"), "{reason}"),
        other => panic!("expected PixelsNotCleaned, got {other:?}"),
    }
}

#[test]
fn user_rules_are_parsed_strictly() {
    let bad = "[[rule]]\nname = \"x\"\nunknown_key = 1\n";
    let rules = radguard_pixfind::RuleSet::parse(bad, "site.toml");
    assert!(rules.is_err());
}

/// With Tesseract: the text is gone, nothing outside the listed
/// rectangles changed, and the file says what was done.
#[cfg(feature = "ocr")]
#[test]
fn detected_text_is_blanked_and_the_file_says_so() {
    use radguard_core::RegionSource;

    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let report = Deidentifier::new(cpd(), key(1))
        .deidentify_file(Path::new(FIXTURE), &out, &WriteOptions::new())
        .unwrap();
    let summary = report.pixels.clone().expect("a pixel summary");
    assert_eq!(summary.frames, 1);
    assert_eq!(summary.frames_rechecked, 1);
    assert!(summary.detected_boxes >= 3, "{summary:?}");
    assert_eq!(summary.rects_not_listed, 0);
    assert!(
        summary
            .rects
            .iter()
            .all(|r| r.source == RegionSource::TextDetection)
    );
    assert_eq!(report.counts.pixel_frames_blanked, 1);
    assert_eq!(report.audit.regions().len(), summary.rects.len());

    let before = pixel_bytes(&open(Path::new(FIXTURE)));
    let obj = open(&out);
    let after = pixel_bytes(&obj);
    assert_eq!(after.len(), before.len());
    let inside = |x: usize, y: usize| {
        summary.rects.iter().any(|r| {
            let (rx, ry) = (r.x as usize, r.y as usize);
            x >= rx && x < rx + r.width as usize && y >= ry && y < ry + r.height as usize
        })
    };
    let mut blanked = 0u64;
    for y in 0..ROWS {
        for x in 0..COLUMNS {
            let i = y * COLUMNS + x;
            if inside(x, y) {
                assert_eq!(after[i], 0, "({x},{y}) inside a blanked rectangle");
                blanked += 1;
            } else {
                assert_eq!(
                    after[i], before[i],
                    "({x},{y}) outside every rectangle changed"
                );
            }
        }
    }
    assert_eq!(report.counts.pixels_blanked, blanked);
    // Every text stroke (the drawn text is the only pure white) is gone.
    for [l, t, r, b] in TEXT_BOXES {
        for y in t..b {
            for x in l..r {
                let i = y * COLUMNS + x;
                if before[i] > 200 {
                    assert_eq!(after[i], 0, "text pixel ({x},{y}) kept");
                }
            }
        }
    }
    assert_eq!(
        s(&obj, tags::BURNED_IN_ANNOTATION)
            .as_deref()
            .map(str::trim),
        Some("NO")
    );
    assert_eq!(
        s(&obj, tags::PATIENT_IDENTITY_REMOVED)
            .as_deref()
            .map(str::trim),
        Some("YES")
    );
    let codes = method_codes(&obj);
    assert!(codes.contains(&"113101".to_owned()), "{codes:?}");
}

/// With Tesseract: `explain` shows the boxes and the verdict, never text.
#[cfg(feature = "ocr")]
#[test]
fn explain_lists_boxes_and_never_the_text() {
    let e = PixelCleaning::new().explain(Path::new(FIXTURE)).unwrap();
    let text = e.to_string();
    assert!(text.contains("text-detection"), "{text}");
    for needle in ["JANE", "DOE", "48213377", "1961"] {
        assert!(!text.contains(needle), "{needle} shown");
    }
}
