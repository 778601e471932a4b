//! Files crafted the way an attacker or a careless exporter would, one or
//! more per class of the hardening issue: each checks that no identifying
//! value survives, through the bytes of a real file (encoded, parsed by
//! radguard's parser, de-identified, parsed again), and that the one leak
//! oracle agrees.
#![allow(clippy::unwrap_used)]

mod common;

use common::{el, raw, seq, through_bytes};
use dicom_core::header::Header;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use radguard_deid::{DeidOption, Profile};
use radguard_dicom::text::strings;

const NAME: &str = "DOE^JOHN";
const MRN: &str = "MRN998877";

/// Every string value in `obj`, at any depth, joined (for "does this
/// survive anywhere" checks).
fn all_text(obj: &InMemDicomObject) -> String {
    let mut out = String::new();
    radguard_dicom::walk(obj, &mut |_, e| {
        if e.tag() != tags::PIXEL_DATA {
            out.push_str(&strings(e).join("\\"));
            out.push('\n');
        }
    });
    out.to_uppercase()
}

fn assert_gone(obj: &InMemDicomObject, what: &[&str]) {
    let text = all_text(obj);
    for w in what {
        assert!(!text.contains(&w.to_uppercase()), "{w} survived:\n{text}");
    }
}

fn patient() -> Vec<DataElement<InMemDicomObject>> {
    vec![
        el(tags::PATIENT_NAME, VR::PN, NAME),
        el(tags::PATIENT_ID, VR::LO, MRN),
        el(tags::PATIENT_BIRTH_DATE, VR::DA, "19600102"),
    ]
}

fn with_patient(more: Vec<DataElement<InMemDicomObject>>) -> Vec<DataElement<InMemDicomObject>> {
    let mut v = patient();
    v.extend(more);
    v
}

fn oracle(input: &InMemDicomObject, out: &InMemDicomObject, profile: &Profile) {
    let leaks = radguard_deid::fuzzing::leaks(input, out, profile, 4);
    assert!(leaks.is_empty(), "{leaks:?}");
}

/// Class 2: odd groups below 0009 (PS3.5 forbids 0001-0007).
#[test]
fn forbidden_odd_groups_are_removed() {
    let elems = with_patient(vec![
        el(Tag(0x0001, 0x0010), VR::LO, NAME),
        el(Tag(0x0003, 0x1000), VR::LO, MRN),
        el(Tag(0x0005, 0x0100), VR::SH, "JOHN"),
        el(Tag(0x0007, 0x2000), VR::LT, "DOE JOHN 19600102"),
    ]);
    for profile in [
        Profile::basic(),
        Profile::builder()
            .option(DeidOption::RetainSafePrivate)
            .build()
            .unwrap(),
    ] {
        let (input, out, report) = through_bytes(profile.clone(), elems.clone(), None);
        assert!(out.iter().all(|e| !matches!(e.tag().0, 1 | 3 | 5 | 7)));
        assert_eq!(report.counts.forbidden_groups_removed, 4);
        assert_gone(&out, &[NAME, MRN, "JOHN"]);
        oracle(&input, &out, &profile);
    }
}

/// Class 3: groups 0000 and 0002 in the data set, at the top level and in
/// sequence items.
#[test]
fn command_and_meta_groups_are_removed_at_any_depth() {
    let item = InMemDicomObject::from_element_iter([
        el(tags::REFERENCED_SOP_CLASS_UID, VR::UI, common::CT),
        el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, "1.2.3.9"),
        el(tags::SOURCE_APPLICATION_ENTITY_TITLE, VR::AE, "DOEJOHN_PC"),
        raw(tags::PRIVATE_INFORMATION, VR::OB, b"MRN998877 DOE^JOHN"),
    ]);
    let elems = with_patient(vec![
        el(tags::ERROR_COMMENT, VR::LO, "failed for DOE^JOHN"),
        el(
            tags::MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE,
            VR::AE,
            "JOHNS_WS",
        ),
        seq(tags::REFERENCED_IMAGE_SEQUENCE, vec![item]),
    ]);
    let (input, out, report) = through_bytes(Profile::basic(), elems, None);
    assert!(out.get(tags::ERROR_COMMENT).is_none());
    assert!(
        out.get(tags::MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE)
            .is_none()
    );
    let mut nested = Vec::new();
    radguard_dicom::walk(&out, &mut |p, e| {
        if matches!(e.tag().0, 0x0000 | 0x0002) {
            nested.push(p.to_string());
        }
    });
    assert!(nested.is_empty(), "{nested:?}");
    assert!(report.counts.misplaced_groups_removed >= 4);
    assert_gone(&out, &[NAME, MRN, "DOEJOHN", "JOHNS_WS"]);
    oracle(&input, &out, &Profile::basic());
}

/// Class 4: sequence attributes that arrive with another VR; a person
/// name that arrives as LO.
#[test]
fn the_dictionary_decides_the_structure_and_the_vr() {
    // A PN attribute Table E.1-1 does not list, so that only the PN
    // extension (by the dictionary's VR) can catch it.
    let unlisted_pn = [
        tags::CONTENT_CREATOR_NAME,
        tags::OPERATORS_NAME,
        tags::PERSON_NAME,
        tags::EVALUATOR_NAME,
        tags::VERIFYING_OBSERVER_NAME,
        tags::HUMAN_PERFORMER_NAME,
        tags::SCHEDULED_PERFORMING_PHYSICIAN_NAME,
        tags::REVIEWER_NAME,
    ]
    .into_iter()
    .find(|t| {
        Profile::basic()
            .explain(radguard_dicom::tags::to_attr(*t))
            .source
            == radguard_deid::RuleSource::NotListed
            && radguard_dicom::tags::dictionary_vr(*t) == Some(VR::PN)
    });
    let mut more = vec![
        el(
            tags::REFERENCED_IMAGE_SEQUENCE,
            VR::LT,
            "DOE^JOHN MRN998877",
        ),
        raw(tags::SOURCE_IMAGE_SEQUENCE, VR::OB, b"MRN998877 DOE^JOHN"),
    ];
    if let Some(t) = unlisted_pn {
        more.push(el(t, VR::LO, "SMITH^ALICE"));
    }
    let (input, out, report) = through_bytes(Profile::basic(), with_patient(more), None);
    assert!(out.get(tags::REFERENCED_IMAGE_SEQUENCE).is_none());
    assert!(out.get(tags::SOURCE_IMAGE_SEQUENCE).is_none());
    assert!(report.counts.structure_mismatch_removed >= 2);
    let mut gone = vec![NAME, MRN];
    if unlisted_pn.is_some() {
        gone.push("SMITH");
    }
    assert_gone(&out, &gone);
    oracle(&input, &out, &Profile::basic());
}

/// Class 12: text in binary clothing, numbers and dates that do not fit
/// their VR.
#[test]
fn text_in_binary_clothing_and_values_that_do_not_fit_their_vr() {
    let clean = Profile::builder()
        .option(DeidOption::CleanDescriptors)
        .option(DeidOption::RetainLongModifiedDates)
        .build()
        .unwrap();
    let elems = with_patient(vec![
        raw(tags::STUDY_DESCRIPTION, VR::OB, b"CT chest DOE JOHN "),
        raw(tags::STUDY_DATE, VR::OB, b"20240131"),
        el(tags::PIXEL_SPACING, VR::DS, "DOE^JOHN\\1"),
        el(tags::SLICE_THICKNESS, VR::DS, MRN),
    ]);
    let (input, out, report) = through_bytes(clean.clone(), elems, None);
    let desc = out.get(tags::STUDY_DESCRIPTION).unwrap();
    assert_eq!(desc.vr(), VR::LO, "text written back as text");
    let d = strings(desc).join("");
    assert!(d.starts_with("CT chest"), "{d}");
    assert!(!d.contains("DOE") && !d.contains("JOHN"), "{d}");
    let date = strings(out.get(tags::STUDY_DATE).unwrap()).join("");
    assert_ne!(date.trim(), "20240131", "the study date must be shifted");
    assert_eq!(out.get(tags::STUDY_DATE).unwrap().vr(), VR::DA);
    for t in [tags::PIXEL_SPACING, tags::SLICE_THICKNESS] {
        for v in strings(out.get(t).unwrap()) {
            assert!(radguard_dicom::text::conforms(VR::DS, &v), "{v} in {t}");
        }
    }
    assert!(report.counts.nonconforming_replaced >= 2);
    assert_gone(&out, &[NAME, MRN, "JOHN"]);
    oracle(&input, &out, &clean);
}

/// Class 7: free text outside Table E.1-1, and public attributes the
/// dictionary does not know.
#[test]
fn free_text_outside_the_table_keeps_no_identity() {
    let elems = with_patient(vec![
        el(tags::DOCUMENT_TITLE, VR::ST, "Report for DOE JOHN"),
        el(tags::SEGMENT_DESCRIPTION, VR::ST, "tumour of John Doe"),
        el(
            tags::COMMENTS_ON_THE_SCHEDULED_PROCEDURE_STEP,
            VR::LT,
            "call DOE JOHN MRN998877",
        ),
        el(tags::HL7_INSTANCE_IDENTIFIER, VR::ST, "MRN998877^^^HOSP"),
        el(tags::LUT_EXPLANATION, VR::LO, "window for DOE JOHN"),
        el(Tag(0x0010, 0x9999), VR::LO, "DOE^JOHN"),
    ]);
    let (input, out, report) = through_bytes(Profile::basic(), elems, None);
    assert!(out.get(Tag(0x0010, 0x9999)).is_none());
    assert_eq!(report.counts.unknown_public_removed, 1);
    assert_gone(&out, &[NAME, "DOE", MRN, "998877"]);
    oracle(&input, &out, &Profile::basic());
}

/// Class 8: references to other instances outside the table, and URLs that
/// embed them.
#[test]
fn references_outside_the_table_are_replaced() {
    let uids = [
        (
            tags::MULTI_FRAME_SOURCE_SOP_INSTANCE_UID,
            "1.2.826.0.1.99.1",
        ),
        (
            tags::SOP_INSTANCE_UID_OF_CONCATENATION_SOURCE,
            "1.2.826.0.1.99.2",
        ),
        (tags::RETRIEVE_LOCATION_UID, "1.2.826.0.1.99.3"),
    ];
    let mut more: Vec<_> = uids.iter().map(|(t, u)| el(*t, VR::UI, u)).collect();
    more.push(el(tags::REPOSITORY_UNIQUE_ID, VR::UI, "1.2.826.0.1.99.4"));
    more.push(el(
        tags::RETRIEVE_URL,
        VR::UR,
        "https://pacs.example/wado?studyUID=1.2.826.0.1.99.5",
    ));
    let (input, out, report) = through_bytes(Profile::basic(), with_patient(more), None);
    let text = all_text(&out);
    assert!(
        !text.contains("1.2.826.0.1.99"),
        "an original UID survived:\n{text}"
    );
    // The SOP Class UID is the standard's own: kept.
    assert_eq!(
        strings(out.get(tags::SOP_CLASS_UID).unwrap()).join(""),
        common::CT
    );
    assert!(report.counts.uids_outside_table + report.counts.u >= 3);
    oracle(&input, &out, &Profile::basic());
}

/// Class 5: Retain Safe Private as E.3.10 says.
#[test]
fn retain_safe_private_checks_vr_shape_and_text() {
    let profile = Profile::builder()
        .option(DeidOption::RetainSafePrivate)
        .build()
        .unwrap();
    // (2001,xx5F) "Philips Imaging DD 001" is listed as a safe SQ; here it
    // arrives as UN bytes: an Implicit VR Little Endian item holding the
    // patient's name and ID.
    let mut item = Vec::new();
    for (tag, v) in [(tags::PATIENT_NAME, NAME), (tags::PATIENT_ID, MRN)] {
        let mut value = v.as_bytes().to_vec();
        if value.len() % 2 == 1 {
            value.push(b' ');
        }
        item.extend_from_slice(&tag.0.to_le_bytes());
        item.extend_from_slice(&tag.1.to_le_bytes());
        item.extend_from_slice(&u32::try_from(value.len()).unwrap().to_le_bytes());
        item.extend_from_slice(&value);
    }
    let mut un = vec![0xFE, 0xFF, 0x00, 0xE0];
    un.extend_from_slice(&u32::try_from(item.len()).unwrap().to_le_bytes());
    un.extend_from_slice(&item);
    let elems = with_patient(vec![
        el(Tag(0x2001, 0x0010), VR::LO, "Philips Imaging DD 001"),
        raw(Tag(0x2001, 0x105F), VR::UN, &un),
        // (2001,xx65) is a listed SQ too: bytes that are not a sequence.
        raw(Tag(0x2001, 0x1065), VR::UN, b"DOE^JOHN MRN998877  "),
        // (7053,xx00) is a listed DS: holding a name, it must go.
        el(Tag(0x7053, 0x0010), VR::LO, "Philips PET Private Group"),
        el(Tag(0x7053, 0x1000), VR::LO, "DOE^JOHN"),
        // (0019,xx9E) is a listed LO: kept, but cleaned.
        el(Tag(0x0019, 0x0010), VR::LO, "GEMS_ACQU_01"),
        el(Tag(0x0019, 0x109E), VR::LO, "FSE for DOE JOHN"),
    ]);
    let (input, out, report) = through_bytes(profile.clone(), elems, None);
    let parsed = out.get(Tag(0x2001, 0x105F)).unwrap();
    assert!(parsed.items().is_some(), "the safe UN sequence is parsed");
    assert!(out.get(Tag(0x2001, 0x1065)).is_none());
    assert!(out.get(Tag(0x7053, 0x1000)).is_none());
    let kept = strings(out.get(Tag(0x0019, 0x109E)).unwrap()).join("");
    assert!(kept.starts_with("FSE"), "{kept}");
    assert_eq!(report.counts.private_sequences_parsed, 1);
    assert!(report.counts.private_vr_mismatch_removed >= 2);
    assert_gone(&out, &[NAME, MRN, "JOHN"]);
    oracle(&input, &out, &profile);
}

/// The leak oracle itself catches each class (so the fuzz target can).
#[test]
fn the_oracle_flags_every_class() {
    let input = InMemDicomObject::from_element_iter(patient());
    let bad = [
        el(Tag(0x0003, 0x0010), VR::LO, "x"),
        el(tags::ERROR_COMMENT, VR::LO, "x"),
        el(tags::REFERENCED_IMAGE_SEQUENCE, VR::LT, "x"),
        el(tags::STUDY_DESCRIPTION, VR::LO, "scan of Doe"),
        el(tags::SERIES_DESCRIPTION, VR::LO, "for mrn998877"),
    ];
    for e in bad {
        let out = InMemDicomObject::from_element_iter([e.clone()]);
        let leaks = radguard_deid::fuzzing::leaks(&input, &out, &Profile::basic(), 4);
        // "Doe" has 3 letters: below the token threshold, so only the
        // others must be flagged.
        let expect = e.tag() != tags::STUDY_DESCRIPTION;
        assert_eq!(!leaks.is_empty(), expect, "{:?}: {leaks:?}", e.tag());
    }
    // A numeric ID inside a longer number (a UID, a measurement) is not
    // the ID.
    let input = InMemDicomObject::from_element_iter([el(tags::PATIENT_ID, VR::LO, "1234")]);
    let out =
        InMemDicomObject::from_element_iter([el(tags::IMAGE_COMMENTS, VR::LT, "dose 5123499")]);
    assert!(radguard_deid::fuzzing::leaks(&input, &out, &Profile::basic(), 4).is_empty());
    let _ = PrimitiveValue::Empty;
}

/// Classes 6 and 13: names in scripts without word separators, and the
/// patient's own dates and ID-shaped numbers in free text, through the
/// file's character set.
#[test]
fn cleaning_finds_names_in_every_script_and_dates_in_every_form() {
    let clean = Profile::builder()
        .option(DeidOption::CleanDescriptors)
        .build()
        .unwrap();
    for (name, desc, gone, kept) in [
        (
            "Yamada^Tarou=山田^太郎",
            "山田太郎様 頭部CT",
            vec!["山田", "太郎"],
            "頭部CT",
        ),
        ("Wang^Wei=王^伟", "王伟 胸部CT", vec!["王", "伟"], "胸部CT"),
        (
            "DOE^JOHN",
            "CT born 02-JAN-1960, Jan 2, 1960, 1960年1月2日",
            vec!["02-JAN-1960", "Jan 2, 1960", "1960年1月2日"],
            "CT born",
        ),
        (
            "DOE^JOHN",
            "CT tel 555-123-4567 SSN 123-45-6789",
            vec!["555-123-4567", "123-45-6789"],
            "CT tel",
        ),
    ] {
        let elems = vec![
            el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
            el(tags::PATIENT_NAME, VR::PN, name),
            el(tags::PATIENT_ID, VR::LO, MRN),
            el(tags::PATIENT_BIRTH_DATE, VR::DA, "19600102"),
            el(tags::STUDY_DESCRIPTION, VR::LO, desc),
        ];
        let (input, out, _) = through_bytes(clean.clone(), elems, None);
        let d = strings(out.get(tags::STUDY_DESCRIPTION).unwrap()).join("");
        for g in gone {
            assert!(!d.contains(g), "{g} survived in {d:?}");
        }
        assert!(d.contains(kept), "{kept} lost from {d:?}");
        oracle(&input, &out, &clean);
    }
}
