//! Builders shared by the de-identification tests: hand-made objects,
//! files and runs.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use dicom_core::header::Length;
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{FileDicomObject, InMemDicomObject};
use radguard_core::SecretKey;
use radguard_deid::{DeidKey, DeidOption, Deidentifier, Profile, Report};

pub const CT: &str = "1.2.840.10008.5.1.4.1.1.2";

pub fn key(b: u8) -> DeidKey {
    DeidKey::new(&SecretKey::from_bytes([b; 32]))
}

pub fn el(tag: Tag, vr: VR, v: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

pub fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(
        tag,
        VR::SQ,
        Value::Sequence(DataSetSequence::new(items, Length::UNDEFINED)),
    )
}

pub fn file(mut elems: Vec<DataElement<InMemDicomObject>>) -> FileDicomObject<InMemDicomObject> {
    elems.push(el(tags::SOP_CLASS_UID, VR::UI, CT));
    elems.push(el(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.5.6.7.8"));
    if !elems
        .iter()
        .any(|e| e.header().tag == tags::BURNED_IN_ANNOTATION)
    {
        elems.push(el(tags::BURNED_IN_ANNOTATION, VR::CS, "NO"));
    }
    InMemDicomObject::from_element_iter(elems)
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .source_application_entity_title("MODALITY01"),
        )
        .unwrap()
}

pub fn run(
    profile: Profile,
    elems: Vec<DataElement<InMemDicomObject>>,
) -> FileDicomObject<InMemDicomObject> {
    let mut f = file(elems);
    Deidentifier::new(profile, key(1))
        .deidentify_object(&mut f)
        .unwrap();
    f
}

pub fn s(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    obj.get(tag).map(|e| {
        e.value()
            .to_str()
            .map(|s| s.into_owned())
            .unwrap_or_default()
    })
}

pub fn opt(o: DeidOption) -> Profile {
    Profile::builder().option(o).build().unwrap()
}

/// An element holding raw bytes (as a file can carry any bytes under any VR).
pub fn raw(tag: Tag, vr: VR, bytes: &[u8]) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(bytes.to_vec()))
}

/// Encodes a file made of `elems` (Explicit VR Little Endian unless `ts`),
/// de-identifies the bytes as a file from disk would be, and reads the
/// output back with radguard's parser. Returns the input as parsed, the
/// output and the report.
pub fn through_bytes(
    profile: Profile,
    elems: Vec<DataElement<InMemDicomObject>>,
    ts: Option<&str>,
) -> (InMemDicomObject, FileDicomObject<InMemDicomObject>, Report) {
    let mut f = file(elems);
    if let Some(ts) = ts {
        f.update_meta(|m| m.transfer_syntax = ts.to_owned());
    }
    let bytes = radguard_dicom::to_bytes(&f).unwrap();
    let input = radguard_dicom::from_bytes(&bytes).unwrap();
    let deid = Deidentifier::new(profile, key(1));
    let (out, report) = deid.deidentify_bytes(&bytes).unwrap();
    let (out, _) = radguard_dicom::from_bytes(&out).unwrap().into_parts();
    ((**input.object()).clone(), out, report)
}
