//! Every action on every kind of value, checked on hand-built objects.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use common::{el, file, key, opt, run, s, seq};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use radguard_core::AttrTag;
use radguard_deid::{
    DeidOption, Deidentifier, Error, Hook, HookAction, HookContext, Profile, PseudonymMap,
};

#[test]
fn x_removes() {
    let f = run(
        Profile::basic(),
        vec![
            el(tags::PATIENT_ADDRESS, VR::LO, "1 Main St"),
            el(tags::OTHER_PATIENT_NAMES, VR::PN, "A^B"),
        ],
    );
    assert!(f.get(tags::PATIENT_ADDRESS).is_none());
    assert!(f.get(tags::OTHER_PATIENT_NAMES).is_none());
}

#[test]
fn z_empties_and_names_get_the_pseudonym() {
    let f = run(
        Profile::basic(),
        vec![
            el(tags::ACCESSION_NUMBER, VR::SH, "ACC123"),
            el(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
            el(tags::PATIENT_ID, VR::LO, "MRN42"),
        ],
    );
    assert_eq!(s(&f, tags::ACCESSION_NUMBER).as_deref(), Some(""));
    let name = s(&f, tags::PATIENT_NAME).unwrap();
    assert_eq!(s(&f, tags::PATIENT_ID).unwrap(), name);
    assert!(name.starts_with("RG") && name.len() == 22, "{name}");
    // Same patient, same key: same pseudonym in another file; other key: another pseudonym.
    let mut g = file(vec![el(tags::PATIENT_ID, VR::LO, "MRN42")]);
    Deidentifier::new(Profile::basic(), key(1))
        .deidentify_object(&mut g)
        .unwrap();
    assert_eq!(s(&g, tags::PATIENT_ID).unwrap(), name);
    let mut h = file(vec![el(tags::PATIENT_ID, VR::LO, "MRN42")]);
    Deidentifier::new(Profile::basic(), key(2))
        .deidentify_object(&mut h)
        .unwrap();
    assert_ne!(s(&h, tags::PATIENT_ID).unwrap(), name);
}

#[test]
fn d_puts_dummies_valid_for_the_vr() {
    let f = run(
        Profile::basic(),
        vec![
            el(tags::PERSON_NAME, VR::PN, "SMITH^ANN"),    // D, PN
            el(tags::DATE, VR::DA, "20240301"),            // D, DA
            el(tags::TIME, VR::TM, "101500"),              // D, TM
            el(tags::DATE_TIME, VR::DT, "20240301101500"), // D, DT
            el(tags::VERIFYING_ORGANIZATION, VR::LO, "St Elsewhere"), // D, LO
            el(tags::UNFORMATTED_TEXT_VALUE, VR::ST, "note by Dr X"), // D, ST
            el(tags::INSTITUTION_NAME, VR::LO, "Hospital One"), // X/Z/D present, non-empty -> D
            el(tags::STATION_NAME, VR::SH, ""),            // X/Z/D present, empty -> Z
            el(tags::CONTENT_DATE, VR::DA, "20240301"),    // Z/D -> D
            el(tags::DETECTOR_ID, VR::SH, "DET-1"),        // X/D -> D
        ],
    );
    assert_eq!(s(&f, tags::PERSON_NAME).as_deref(), Some("ANONYMIZED"));
    assert_eq!(s(&f, tags::DATE).as_deref(), Some("19000101"));
    assert_eq!(s(&f, tags::TIME).as_deref(), Some("000000"));
    assert_eq!(s(&f, tags::DATE_TIME).as_deref(), Some("19000101000000"));
    assert_eq!(
        s(&f, tags::VERIFYING_ORGANIZATION).as_deref(),
        Some("ANONYMIZED")
    );
    assert_eq!(
        s(&f, tags::UNFORMATTED_TEXT_VALUE).as_deref(),
        Some("ANONYMIZED")
    );
    assert_eq!(s(&f, tags::INSTITUTION_NAME).as_deref(), Some("ANONYMIZED"));
    assert_eq!(s(&f, tags::STATION_NAME).as_deref(), Some(""));
    assert_eq!(s(&f, tags::CONTENT_DATE).as_deref(), Some("19000101"));
    assert_eq!(s(&f, tags::DETECTOR_ID).as_deref(), Some("ANONYMIZED"));
}

#[test]
fn u_replaces_every_uid_consistently() {
    let study = "1.2.826.0.1.3680043.2.1125.1.111";
    let f = run(
        Profile::basic(),
        vec![
            el(tags::STUDY_INSTANCE_UID, VR::UI, study),
            el(tags::FRAME_OF_REFERENCE_UID, VR::UI, "1.2.3.9"),
            DataElement::new(Tag(0x0010, 0x1000), VR::LO, PrimitiveValue::from("X")),
            seq(
                tags::REFERENCED_STUDY_SEQUENCE,
                vec![InMemDicomObject::from_element_iter([
                    el(
                        tags::REFERENCED_SOP_CLASS_UID,
                        VR::UI,
                        "1.2.840.10008.3.1.2.3.1",
                    ),
                    el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, study),
                ])],
            ),
            DataElement::new(
                Tag(0x3006, 0x00C2),
                VR::UI,
                PrimitiveValue::Strs(
                    ["1.2.3.9".to_owned(), "1.2.3.10".to_owned()]
                        .into_iter()
                        .collect(),
                ),
            ),
        ],
    );
    let k = key(1);
    let new_study = s(&f, tags::STUDY_INSTANCE_UID).unwrap();
    assert_eq!(new_study, k.uid(study));
    // The same original UID in another attribute (inside a sequence) maps the same way.
    let item = &f
        .get(tags::REFERENCED_STUDY_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()[0];
    assert_eq!(
        s(item, tags::REFERENCED_SOP_INSTANCE_UID).unwrap(),
        new_study
    );
    // SOP Class UIDs are not identifying and are kept.
    assert_eq!(
        s(item, tags::REFERENCED_SOP_CLASS_UID).unwrap(),
        "1.2.840.10008.3.1.2.3.1"
    );
    // Multi-valued UIDs are mapped one by one.
    let multi = f
        .get(Tag(0x3006, 0x00C2))
        .unwrap()
        .value()
        .to_multi_str()
        .unwrap()
        .into_owned();
    assert_eq!(multi, vec![k.uid("1.2.3.9"), k.uid("1.2.3.10")]);
    assert_eq!(
        s(&f, tags::FRAME_OF_REFERENCE_UID).unwrap(),
        k.uid("1.2.3.9")
    );
    // SOP Instance UID and the file meta follow.
    let sop = s(&f, tags::SOP_INSTANCE_UID).unwrap();
    assert_eq!(sop, k.uid("1.2.3.4.5.6.7.8"));
    assert_eq!(f.meta().media_storage_sop_instance_uid, sop);
    assert_eq!(
        f.meta().implementation_class_uid,
        radguard_dicom::IMPLEMENTATION_CLASS_UID
    );
    assert!(f.meta().source_application_entity_title.is_none());
}

#[test]
fn sequences_act_first_then_recurse_at_any_depth() {
    let deep = InMemDicomObject::from_element_iter([
        el(tags::PATIENT_ADDRESS, VR::LO, "secret street"),
        el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, "1.2.3.77"),
    ]);
    let mid =
        InMemDicomObject::from_element_iter([seq(tags::REFERENCED_IMAGE_SEQUENCE, vec![deep])]);
    let top = InMemDicomObject::from_element_iter([seq(tags::SOURCE_IMAGE_SEQUENCE, vec![mid])]);
    let f = run(
        Profile::basic(),
        vec![
            seq(tags::REFERENCED_IMAGE_SEQUENCE, vec![top]),
            // X on a sequence removes it with everything inside.
            seq(
                tags::OTHER_PATIENT_I_DS_SEQUENCE,
                vec![InMemDicomObject::from_element_iter([el(
                    tags::PATIENT_ID,
                    VR::LO,
                    "OTHER1",
                )])],
            ),
        ],
    );
    assert!(f.get(tags::OTHER_PATIENT_I_DS_SEQUENCE).is_none());
    let l1 = &f
        .get(tags::REFERENCED_IMAGE_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()[0];
    let l2 = &l1
        .get(tags::SOURCE_IMAGE_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()[0];
    let l3 = &l2
        .get(tags::REFERENCED_IMAGE_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()[0];
    assert!(l3.get(tags::PATIENT_ADDRESS).is_none());
    assert_eq!(
        s(l3, tags::REFERENCED_SOP_INSTANCE_UID).unwrap(),
        key(1).uid("1.2.3.77")
    );
}

#[test]
fn d_on_a_sequence_keeps_structure_and_codes() {
    let code = InMemDicomObject::from_element_iter([
        el(tags::CODE_VALUE, VR::SH, "121071"),
        el(tags::CODING_SCHEME_DESIGNATOR, VR::SH, "DCM"),
        el(tags::CODE_MEANING, VR::LO, "Finding"),
    ]);
    let item = InMemDicomObject::from_element_iter([
        el(tags::RELATIONSHIP_TYPE, VR::CS, "CONTAINS"),
        el(tags::VALUE_TYPE, VR::CS, "TEXT"),
        seq(tags::CONCEPT_NAME_CODE_SEQUENCE, vec![code]),
        el(
            tags::TEXT_VALUE,
            VR::UT,
            "Patient Jane Doe, seen 2024-03-01",
        ),
    ]);
    let f = run(
        Profile::basic(),
        vec![seq(tags::CONTENT_SEQUENCE, vec![item])],
    );
    let it = &f.get(tags::CONTENT_SEQUENCE).unwrap().items().unwrap()[0];
    assert_eq!(s(it, tags::TEXT_VALUE).as_deref(), Some("ANONYMIZED"));
    assert_eq!(s(it, tags::VALUE_TYPE).as_deref(), Some("TEXT"));
    let c = &it
        .get(tags::CONCEPT_NAME_CODE_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()[0];
    assert_eq!(s(c, tags::CODE_MEANING).as_deref(), Some("Finding"));

    // With Clean Structured Content the text is cleaned instead.
    let item = InMemDicomObject::from_element_iter([
        el(tags::VALUE_TYPE, VR::CS, "TEXT"),
        el(
            tags::TEXT_VALUE,
            VR::UT,
            "Mass seen in DOE JANE on 2024-03-01, MRN 12345678",
        ),
    ]);
    let f = run(
        opt(DeidOption::CleanStructuredContent),
        vec![
            el(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
            seq(tags::CONTENT_SEQUENCE, vec![item]),
        ],
    );
    let it = &f.get(tags::CONTENT_SEQUENCE).unwrap().items().unwrap()[0];
    let t = s(it, tags::TEXT_VALUE).unwrap();
    assert!(t.starts_with("Mass seen in"), "{t}");
    for leak in ["DOE", "JANE", "2024-03-01", "12345678"] {
        assert!(!t.contains(leak), "{leak} in {t}");
    }
}

#[test]
fn modified_dates_shift_per_patient_keeping_intervals() {
    let p = opt(DeidOption::RetainLongModifiedDates);
    let one = run(
        p.clone(),
        vec![
            el(tags::PATIENT_ID, VR::LO, "P1"),
            el(tags::STUDY_DATE, VR::DA, "20240301"),
            el(tags::STUDY_TIME, VR::TM, "233000"),
            el(tags::ACQUISITION_DATE_TIME, VR::DT, "20240302011500"),
        ],
    );
    let d = s(&one, tags::STUDY_DATE).unwrap();
    let t = s(&one, tags::STUDY_TIME).unwrap();
    let dt = s(&one, tags::ACQUISITION_DATE_TIME).unwrap();
    assert_ne!(d, "20240301");
    let parse = |x: &str| chrono_like(x);
    // 1 h 45 min between study start and acquisition, before and after.
    assert_eq!(parse(&dt) - parse(&format!("{d}{t}")), 105 * 60);
    assert_eq!(
        s(&one, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref(),
        Some("MODIFIED")
    );
    // Another file of the same patient gets the same offset.
    let two = run(
        p.clone(),
        vec![
            el(tags::PATIENT_ID, VR::LO, "P1"),
            el(tags::STUDY_DATE, VR::DA, "20240302"),
            el(tags::STUDY_TIME, VR::TM, "233000"),
        ],
    );
    let d2 = s(&two, tags::STUDY_DATE).unwrap();
    let t2 = s(&two, tags::STUDY_TIME).unwrap();
    assert_eq!(
        parse(&format!("{d2}{t2}")) - parse(&format!("{d}{t}")),
        86_400
    );
    // Garbage dates cannot be shifted and are emptied.
    let bad = run(p, vec![el(tags::STUDY_DATE, VR::DA, "notadate")]);
    assert_eq!(s(&bad, tags::STUDY_DATE).as_deref(), Some(""));
    // Full dates keep them; neither removes them (Z).
    let full = run(
        opt(DeidOption::RetainLongFullDates),
        vec![el(tags::STUDY_DATE, VR::DA, "20240301")],
    );
    assert_eq!(s(&full, tags::STUDY_DATE).as_deref(), Some("20240301"));
    assert_eq!(
        s(&full, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref(),
        Some("UNMODIFIED")
    );
    let basic = run(
        Profile::basic(),
        vec![el(tags::STUDY_DATE, VR::DA, "20240301")],
    );
    assert_eq!(s(&basic, tags::STUDY_DATE).as_deref(), Some(""));
    assert_eq!(
        s(&basic, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref(),
        Some("REMOVED")
    );
}

/// Seconds since an arbitrary epoch for YYYYMMDDHHMMSS.
fn chrono_like(x: &str) -> i64 {
    let n = |a: usize, b: usize| x[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(4, 6), n(6, 8));
    // days from civil (Howard Hinnant)
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe;
    days * 86_400 + n(8, 10) * 3600 + n(10, 12) * 60 + n(12, 14)
}

#[test]
fn options_keep_what_they_retain() {
    let f = run(
        opt(DeidOption::RetainPatientCharacteristics),
        vec![
            el(tags::PATIENT_SEX, VR::CS, "F"),
            el(tags::PATIENT_AGE, VR::AS, "042Y"),
        ],
    );
    assert_eq!(s(&f, tags::PATIENT_SEX).as_deref(), Some("F"));
    assert_eq!(s(&f, tags::PATIENT_AGE).as_deref(), Some("042Y"));
    let f = run(
        opt(DeidOption::RetainDeviceIdentity),
        vec![el(tags::DEVICE_SERIAL_NUMBER, VR::LO, "SN-991")],
    );
    assert_eq!(s(&f, tags::DEVICE_SERIAL_NUMBER).as_deref(), Some("SN-991"));
    let f = run(
        opt(DeidOption::RetainInstitutionIdentity),
        vec![el(tags::INSTITUTION_NAME, VR::LO, "Hospital One")],
    );
    assert_eq!(
        s(&f, tags::INSTITUTION_NAME).as_deref(),
        Some("Hospital One")
    );
    let f = run(
        opt(DeidOption::RetainUids),
        vec![el(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4")],
    );
    assert_eq!(s(&f, tags::STUDY_INSTANCE_UID).as_deref(), Some("1.2.3.4"));
    assert_eq!(
        s(&f, tags::SOP_INSTANCE_UID).as_deref(),
        Some("1.2.3.4.5.6.7.8")
    );
    let f = run(
        opt(DeidOption::CleanDescriptors),
        vec![
            el(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
            el(tags::STUDY_DESCRIPTION, VR::LO, "CT chest Jane Doe"),
            el(tags::SERIES_DESCRIPTION, VR::LO, "AX 5mm"),
        ],
    );
    assert_eq!(
        s(&f, tags::STUDY_DESCRIPTION).as_deref(),
        Some("CT chest [removed] [removed]")
    );
    assert_eq!(s(&f, tags::SERIES_DESCRIPTION).as_deref(), Some("AX 5mm"));
    let basic = run(
        Profile::basic(),
        vec![el(tags::STUDY_DESCRIPTION, VR::LO, "CT chest")],
    );
    assert!(basic.get(tags::STUDY_DESCRIPTION).is_none());
}

#[test]
fn private_attributes_and_the_safe_list() {
    let elems = || {
        vec![
            el(Tag(0x7053, 0x0010), VR::LO, "Philips PET Private Group"),
            el(Tag(0x7053, 0x1000), VR::DS, "1.5"), // listed safe (7053,xx00)
            el(Tag(0x7053, 0x1042), VR::LO, "identifying"), // not listed
            el(Tag(0x0029, 0x0010), VR::LO, "ACME 1.0"),
            el(Tag(0x0029, 0x1001), VR::LO, "secret"),
            el(Tag(0x0011, 0x1001), VR::LO, "no creator"),
        ]
    };
    let f = run(Profile::basic(), elems());
    assert!(
        f.iter()
            .all(|e| e.header().tag.0 % 2 == 0 || e.header().tag.0 < 8),
        "private kept"
    );
    let f = run(opt(DeidOption::RetainSafePrivate), elems());
    assert_eq!(s(&f, Tag(0x7053, 0x1000)).as_deref(), Some("1.5"));
    assert_eq!(
        s(&f, Tag(0x7053, 0x0010)).as_deref(),
        Some("Philips PET Private Group")
    );
    assert!(f.get(Tag(0x7053, 0x1042)).is_none());
    assert!(f.get(Tag(0x0029, 0x1001)).is_none());
    assert!(
        f.get(Tag(0x0029, 0x0010)).is_none(),
        "creator of an emptied block is removed"
    );
    assert!(f.get(Tag(0x0011, 0x1001)).is_none());
    // A block the data set itself declares SAFE (PS3.15 E.3.10).
    let decl = InMemDicomObject::from_element_iter([
        DataElement::new(Tag(0x0008, 0x0301), VR::US, PrimitiveValue::from(0x0029u16)),
        el(Tag(0x0008, 0x0302), VR::LO, "ACME 1.0"),
        el(Tag(0x0008, 0x0303), VR::CS, "SAFE"),
    ]);
    let mut e = elems();
    e.push(seq(Tag(0x0008, 0x0300), vec![decl]));
    // Honoured only when the profile trusts such declarations: the file
    // being de-identified cannot vouch for itself by default.
    let f = run(opt(DeidOption::RetainSafePrivate), e.clone());
    assert!(f.get(Tag(0x0029, 0x1001)).is_none());
    let trusting = Profile::builder()
        .option(DeidOption::RetainSafePrivate)
        .trust_declared_private(true)
        .build()
        .unwrap();
    let f = run(trusting, e);
    assert_eq!(s(&f, Tag(0x0029, 0x1001)).as_deref(), Some("secret"));
}

#[test]
fn groups_0004_curves_and_overlays_are_removed() {
    let f = run(
        opt(DeidOption::CleanGraphics),
        vec![
            DataElement::new(Tag(0x0004, 0x1130), VR::CS, PrimitiveValue::from("FILESET")),
            DataElement::new(
                Tag(0x5000, 0x3000),
                VR::OW,
                PrimitiveValue::U16([1, 2].into_iter().collect()),
            ),
            DataElement::new(
                Tag(0x6000, 0x3000),
                VR::OW,
                PrimitiveValue::U16([1, 2].into_iter().collect()),
            ),
            el(Tag(0x6000, 0x4000), VR::LT, "overlay by DOE"),
            el(tags::PATIENT_NAME, VR::PN, "DOE^J"),
        ],
    );
    assert!(f.get(Tag(0x0004, 0x1130)).is_none());
    assert!(f.get(Tag(0x5000, 0x3000)).is_none());
    assert!(f.get(Tag(0x6000, 0x3000)).is_none());
    // The whole overlay group goes with its bitmap, comments included.
    assert!(f.get(Tag(0x6000, 0x4000)).is_none());
}

#[test]
fn markers_name_the_profile_and_options() {
    let f = run(
        Profile::builder()
            .options([DeidOption::RetainUids, DeidOption::CleanDescriptors])
            .build()
            .unwrap(),
        vec![],
    );
    assert_eq!(
        s(&f, tags::PATIENT_IDENTITY_REMOVED).as_deref(),
        Some("YES")
    );
    let method = f
        .get(tags::DEIDENTIFICATION_METHOD)
        .unwrap()
        .value()
        .to_multi_str()
        .unwrap()
        .into_owned();
    assert!(method[0].starts_with("radguard "));
    assert!(method.iter().any(|m| m.contains("2026c")));
    assert!(method.iter().all(|m| m.len() <= 64));
    let codes: Vec<String> = f
        .get(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()
        .iter()
        .map(|i| s(i, tags::CODE_VALUE).unwrap())
        .collect();
    assert_eq!(codes, ["113100", "113110", "113105"]);
}

#[test]
fn refusals_fail_closed() {
    let dd = Deidentifier::new(Profile::basic(), key(1));
    let mut f = file(vec![]);
    f.meta_mut().media_storage_sop_class_uid = "1.2.840.10008.1.3.10".into();
    assert!(matches!(dd.deidentify_object(&mut f), Err(Error::Dicomdir)));
    let mut f = file(vec![el(tags::BURNED_IN_ANNOTATION, VR::CS, "YES")]);
    let before = f.clone();
    assert!(matches!(
        dd.deidentify_object(&mut f),
        Err(Error::BurnedInAnnotation { .. })
    ));
    assert_eq!(
        radguard_dicom::first_difference(&before, &f),
        None,
        "object touched on refusal"
    );
    // Ultrasound without the flag: refused unless allowed, then marked NO.
    let us = || {
        InMemDicomObject::from_element_iter([
            el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.6.1"),
            el(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3"),
        ])
        .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .unwrap()
    };
    assert!(matches!(
        dd.deidentify_object(&mut us()),
        Err(Error::BurnedInAnnotation { .. })
    ));
    let allow = Deidentifier::new(
        Profile::builder().allow_burned_in(true).build().unwrap(),
        key(1),
    );
    let mut u = us();
    let rep = allow.deidentify_object(&mut u).unwrap();
    assert!(rep.burned_in_retained);
    assert_eq!(s(&u, tags::PATIENT_IDENTITY_REMOVED).as_deref(), Some("NO"));
}

#[test]
fn hooks_override_and_are_counted() {
    struct KeepDesc;
    impl Hook for KeepDesc {
        fn action(&self, at: &HookContext<'_>) -> Option<HookAction> {
            (at.tag == AttrTag::new(0x0008, 0x1030)).then(|| HookAction::Replace("REVIEWED".into()))
        }
    }
    let mut f = file(vec![el(tags::STUDY_DESCRIPTION, VR::LO, "CT chest")]);
    let rep = Deidentifier::new(Profile::basic(), key(1))
        .with_hook(KeepDesc)
        .deidentify_object(&mut f)
        .unwrap();
    assert_eq!(s(&f, tags::STUDY_DESCRIPTION).as_deref(), Some("REVIEWED"));
    assert_eq!(rep.counts.hook_overrides, 1);
}

#[test]
fn pseudonym_map_overrides_and_is_validated() {
    let map = PseudonymMap::from_csv("original_patient_id,pseudonym\nMRN42,TRIAL-007\n".as_bytes())
        .unwrap();
    let mut f = file(vec![
        el(tags::PATIENT_ID, VR::LO, "MRN42"),
        el(tags::PATIENT_NAME, VR::PN, "DOE^J"),
    ]);
    Deidentifier::new(Profile::basic(), key(1))
        .with_pseudonyms(map)
        .deidentify_object(&mut f)
        .unwrap();
    assert_eq!(s(&f, tags::PATIENT_ID).as_deref(), Some("TRIAL-007"));
    assert_eq!(s(&f, tags::PATIENT_NAME).as_deref(), Some("TRIAL-007"));
    for bad in [
        "a,b\na,c\n",
        "a,x\nb,x\n",
        "a,\n",
        "a,b,c\n",
        "a,bad\\pseudo\n",
    ] {
        let e = PseudonymMap::from_csv(bad.as_bytes()).unwrap_err();
        assert!(
            !e.to_string().contains("bad\\pseudo"),
            "error leaks a value: {e}"
        );
    }
}

#[test]
fn report_and_audit_carry_no_original_values() {
    let mut f = file(vec![
        el(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
        el(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4.5"),
    ]);
    let rep = Deidentifier::new(Profile::basic(), key(1))
        .deidentify_object(&mut f)
        .unwrap();
    let dbg = format!("{:?}", rep.audit);
    assert!(!dbg.contains("DOE") && !dbg.contains("1.2.3.4.5"), "{dbg}");
    assert_eq!(
        rep.study_digest,
        Some(key(1).digest("StudyInstanceUID", "1.2.3.4.5"))
    );
    assert_eq!(rep.audit.key_id(), Some(key(1).id()));
}

/// The fuzz target's leak check: an original that already equals the dummy
/// value D writes (Instance Creation Time "000000", found by `deid_bytes`)
/// is not a leak, while a real original that survives is reported.
#[test]
fn leak_check_ignores_originals_equal_to_the_dummy_and_flags_real_survivors() {
    let mut obj = file(vec![
        el(tags::INSTANCE_CREATION_TIME, VR::TM, "000000"),
        el(tags::CONTENT_TIME, VR::TM, "123456"),
        el(tags::PATIENT_NAME, VR::PN, "Doe^Jane"),
    ]);
    let input = (*obj).clone();
    let deid = Deidentifier::new(Profile::basic(), key(3));
    deid.deidentify_object(&mut obj).unwrap();
    assert_eq!(
        radguard_deid::fuzzing::check(&input, &obj, deid.profile()),
        Ok(())
    );
    // The same check on an untouched copy must report the surviving name.
    let err = radguard_deid::fuzzing::check(&input, &input, deid.profile()).unwrap_err();
    assert!(err.contains("survived"), "{err}");
}

/// An attribute that should be a sequence but holds a plain value (found
/// by `deid_bytes`: Source Image Sequence as DS "2097") is removed: its
/// content cannot be judged.
#[test]
fn a_sequence_attribute_holding_a_value_is_removed() {
    let mut obj = file(vec![el(tags::SOURCE_IMAGE_SEQUENCE, VR::DS, "2097")]);
    let input = (*obj).clone();
    let deid = Deidentifier::new(Profile::basic(), key(3));
    let rep = deid.deidentify_object(&mut obj).unwrap();
    assert!(obj.get(tags::SOURCE_IMAGE_SEQUENCE).is_none());
    assert_eq!(rep.counts.structure_mismatch_removed, 1);
    assert_eq!(
        radguard_deid::fuzzing::check(&input, &obj, deid.profile()),
        Ok(())
    );
}
