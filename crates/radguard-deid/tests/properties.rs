//! Property tests over generated data sets with nested sequences and
//! private blocks.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};

use dicom_core::header::Length;
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{FileDicomObject, InMemDicomObject};
use proptest::prelude::*;
use radguard_core::{AttrTag, SecretKey};
use radguard_deid::{Action, DeidKey, DeidOption, Deidentifier, Profile};

/// Attributes covering every Basic Profile action, with their VR.
const LEAVES: &[(Tag, VR)] = &[
    (tags::PATIENT_NAME, VR::PN),                // Z (pseudonym)
    (tags::PATIENT_ID, VR::LO),                  // Z/D (pseudonym)
    (tags::PATIENT_BIRTH_DATE, VR::DA),          // Z
    (tags::PATIENT_ADDRESS, VR::LO),             // X
    (tags::ACCESSION_NUMBER, VR::SH),            // Z
    (tags::STUDY_DATE, VR::DA),                  // Z
    (tags::STUDY_TIME, VR::TM),                  // Z
    (tags::CONTENT_DATE, VR::DA),                // Z/D
    (tags::ACQUISITION_DATE_TIME, VR::DT),       // X/Z/D
    (tags::INSTITUTION_NAME, VR::LO),            // X/Z/D
    (tags::DEVICE_SERIAL_NUMBER, VR::LO),        // X/Z/D
    (tags::PROTOCOL_NAME, VR::LO),               // X/D
    (tags::STUDY_DESCRIPTION, VR::LO),           // X
    (tags::PERSON_NAME, VR::PN),                 // D
    (tags::STUDY_INSTANCE_UID, VR::UI),          // U
    (tags::SERIES_INSTANCE_UID, VR::UI),         // U
    (tags::REFERENCED_SOP_INSTANCE_UID, VR::UI), // U
    (tags::FRAME_OF_REFERENCE_UID, VR::UI),      // U
    (tags::MODALITY, VR::CS),                    // not listed: K
    (tags::SLICE_THICKNESS, VR::DS),             // not listed: K
    (tags::TEXT_VALUE, VR::UT),                  // not listed (D inside D sequences)
];

const SEQUENCES: &[Tag] = &[
    tags::REFERENCED_IMAGE_SEQUENCE,   // X/Z/U*
    tags::CONTENT_SEQUENCE,            // D
    tags::OTHER_PATIENT_I_DS_SEQUENCE, // X
    tags::REFERENCED_STUDY_SEQUENCE,   // X/Z
    tags::REQUEST_ATTRIBUTES_SEQUENCE, // X
    Tag(0x0040, 0x0260),               // Performed Protocol Code Sequence: not listed, K
];

#[derive(Debug, Clone)]
enum Node {
    Leaf(usize, u32),
    Private(u32),
    Seq(usize, Vec<Vec<Self>>),
}

fn nodes(depth: u32) -> BoxedStrategy<Vec<Node>> {
    let leaf = prop_oneof![
        (0..LEAVES.len(), any::<u32>()).prop_map(|(i, n)| Node::Leaf(i, n)),
        any::<u32>().prop_map(Node::Private),
    ];
    if depth == 0 {
        return proptest::collection::vec(leaf, 0..10).boxed();
    }
    let seq = (
        0..SEQUENCES.len(),
        proptest::collection::vec(nodes(depth - 1), 1..3),
    )
        .prop_map(|(i, items)| Node::Seq(i, items));
    proptest::collection::vec(prop_oneof![3 => leaf, 1 => seq], 0..10).boxed()
}

/// A unique, recognisable original value for an element.
fn value(vr: VR, n: u32, serial: &mut u32) -> String {
    *serial += 1;
    let s = *serial;
    match vr {
        VR::UI => format!("1.2.999.{n}.{s}"),
        VR::DA => format!("19{:02}{:02}{:02}", 10 + s % 80, 1 + s % 12, 1 + s % 28),
        VR::TM => format!("{:02}{:02}{:02}", s % 24, s % 60, n % 60),
        VR::DT => format!("2001{:02}{:02}{:02}3000", 1 + s % 12, 1 + s % 28, s % 24),
        VR::CS => format!("QCS{s}"),
        VR::DS => format!("{}.5", s % 1000),
        _ => format!("Q{n:X}V{s}"),
    }
}

fn build(nodes: &[Node], serial: &mut u32) -> InMemDicomObject {
    let mut obj = InMemDicomObject::new_empty();
    for n in nodes {
        match n {
            Node::Leaf(i, v) => {
                let (tag, vr) = LEAVES[*i];
                obj.put(DataElement::new(
                    tag,
                    vr,
                    PrimitiveValue::from(value(vr, *v, serial)),
                ));
            }
            Node::Private(v) => {
                obj.put(DataElement::new(
                    Tag(0x0019, 0x0010),
                    VR::LO,
                    PrimitiveValue::from("ACME PRIVATE 1"),
                ));
                obj.put(DataElement::new(
                    Tag(0x0019, 0x1000 + (*v % 200) as u16),
                    VR::LO,
                    PrimitiveValue::from(value(VR::LO, *v, serial)),
                ));
            }
            Node::Seq(i, items) => {
                let items: Vec<InMemDicomObject> =
                    items.iter().map(|it| build(it, serial)).collect();
                obj.put(DataElement::new(
                    SEQUENCES[*i],
                    VR::SQ,
                    Value::Sequence(DataSetSequence::new(items, Length::UNDEFINED)),
                ));
            }
        }
    }
    obj
}

fn file(ds: InMemDicomObject) -> FileDicomObject<InMemDicomObject> {
    let mut ds = ds;
    ds.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.2"),
    ));
    ds.put(DataElement::new(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        PrimitiveValue::from("1.2.999.0.424242"),
    ));
    ds.put(DataElement::new(
        tags::BURNED_IN_ANNOTATION,
        VR::CS,
        PrimitiveValue::from("NO"),
    ));
    ds.with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .unwrap()
}

/// Every (tag, value) of a data set, recursively.
fn values(obj: &InMemDicomObject, out: &mut Vec<(Tag, String)>) {
    for e in obj.iter() {
        match e.value() {
            Value::Sequence(s) => {
                for it in s.items() {
                    values(it, out);
                }
            }
            Value::Primitive(p) => {
                for v in p.to_multi_str().iter() {
                    out.push((e.header().tag, v.trim().to_owned()));
                }
            }
            Value::PixelSequence(_) => {}
        }
    }
}

/// Values whose attribute the profile removes or replaces. Nested ones
/// count only where the sequence around them is itself kept or replaced
/// item-wise; values inside removed sequences must vanish too.
fn protected(obj: &InMemDicomObject, profile: &Profile, out: &mut BTreeSet<String>) {
    for e in obj.iter() {
        let t = e.header().tag;
        let at = AttrTag::new(t.0, t.1);
        match e.value() {
            Value::Sequence(s) => {
                for it in s.items() {
                    protected(it, profile, out);
                }
            }
            Value::Primitive(p) => {
                let rule = profile.rule(at);
                let removing = at.is_private() || rule.single().is_none_or(Action::removes_value);
                if removing {
                    for v in p.to_multi_str().iter() {
                        out.insert(v.trim().to_owned());
                    }
                }
            }
            Value::PixelSequence(_) => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_value_of_a_removed_or_replaced_attribute_survives(tree in nodes(3), opts in proptest::sample::subsequence(vec![
        DeidOption::RetainPatientCharacteristics,
        DeidOption::RetainLongModifiedDates,
        DeidOption::CleanDescriptors,
        DeidOption::CleanStructuredContent,
    ], 0..3)) {
        let mut serial = 0;
        let original = build(&tree, &mut serial);
        let profile = Profile::builder().options(opts).build().unwrap();
        let mut secret = BTreeSet::new();
        protected(&original, &profile, &mut secret);
        let mut f = file(original);
        Deidentifier::new(profile.clone(), DeidKey::new(&SecretKey::from_bytes([5; 32]))).deidentify_object(&mut f).unwrap();
        let mut after = Vec::new();
        values(&f, &mut after);
        for (tag, v) in &after {
            prop_assert!(!secret.contains(v), "{v:?} survived in {tag:?}");
            prop_assert!(tag.0 % 2 == 0 || tag.0 < 8, "private {tag:?} survived");
        }
        // The file meta holds no original either.
        prop_assert!(!secret.contains(f.meta().media_storage_sop_instance_uid.as_str()));
    }

    #[test]
    fn uid_mapping_is_one_to_one_stable_and_keyed(tree in nodes(2)) {
        let mut serial = 0;
        let original = build(&tree, &mut serial);
        let mut before = Vec::new();
        values(&original, &mut before);
        let uids: BTreeSet<String> = before.iter().filter(|(_, v)| v.starts_with("1.2.999.")).map(|(_, v)| v.clone()).collect();
        let run = |key: u8| {
            let mut f = file(original.clone());
            Deidentifier::new(Profile::basic(), DeidKey::new(&SecretKey::from_bytes([key; 32]))).deidentify_object(&mut f).unwrap();
            radguard_dicom::to_bytes(&f).unwrap()
        };
        // Two independent instances with the same key: byte-identical output.
        let a = run(7);
        prop_assert_eq!(&a, &run(7));
        // The mapping is a function of the key: one-to-one over this set.
        let k7 = DeidKey::new(&SecretKey::from_bytes([7; 32]));
        let k8 = DeidKey::new(&SecretKey::from_bytes([8; 32]));
        let mapped: BTreeMap<String, String> = uids.iter().map(|u| (u.clone(), k7.uid(u))).collect();
        let images: BTreeSet<&String> = mapped.values().collect();
        prop_assert_eq!(images.len(), uids.len());
        for (orig, new) in &mapped {
            prop_assert!(new.len() <= 64 && new.starts_with("2.25."));
            prop_assert_ne!(new, &k8.uid(orig));
        }
        // Every replaced UID in the output is an image of an original under this key.
        let out = radguard_dicom::from_bytes(&a).unwrap();
        let mut after = Vec::new();
        values(out.dataset(), &mut after);
        for (_, v) in after.iter().filter(|(_, v)| v.starts_with("2.25.")) {
            prop_assert!(images.contains(v) || *v == k7.uid("1.2.999.0.424242"), "unexpected UID {v}");
        }
    }
}
