//! Building test files.
#![allow(dead_code, clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::path::Path;

use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::dicom::object::meta::FileMetaTableBuilder;
use radguard_dicom::tags;
use radguard_dicom::{DicomWriter, WriteOptions};

/// The header of a `frames`-frame `rows` × `cols` image.
pub(crate) fn header(
    rows: u16,
    cols: u16,
    frames: u32,
    photometric: &str,
    bits: u16,
) -> InMemDicomObject {
    let spp: u16 = if photometric.starts_with("MONO") || photometric == "PALETTE COLOR" {
        1
    } else {
        3
    };
    let mut ds = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.3.1"),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, "2.25.77"),
        DataElement::new(tags::MODALITY, VR::CS, "US"),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(spp)),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, photometric),
        DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, frames.to_string()),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(rows)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(cols)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(bits)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(bits)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(bits - 1)),
        DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ),
    ]);
    if spp == 3 {
        ds.put(DataElement::new(
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ));
    }
    ds
}

fn meta(ts: &str) -> radguard_dicom::dicom::object::FileMetaTable {
    FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.3.1")
        .media_storage_sop_instance_uid("2.25.77")
        .build()
        .unwrap()
}

/// Writes a native Explicit VR Little Endian file whose pixel data
/// streams from `src` (`len` bytes).
pub(crate) fn write_native(
    path: &Path,
    ds: &InMemDicomObject,
    len: u32,
    src: &mut dyn std::io::Read,
) {
    let mut w =
        DicomWriter::create(path, &meta("1.2.840.10008.1.2.1"), &WriteOptions::new()).unwrap();
    w.write_elements(ds.iter()).unwrap();
    w.write_native_pixel(tags::PIXEL_DATA, VR::OB, len, src)
        .unwrap();
    w.commit().unwrap();
}

/// Writes an encapsulated file in `ts` with one fragment per frame,
/// each produced by `frame(k)`, and a basic offset table.
pub(crate) fn write_encapsulated(
    path: &Path,
    ts: &str,
    ds: &InMemDicomObject,
    frames: u32,
    frame: &mut dyn FnMut(u32) -> Vec<u8>,
) {
    let mut w = DicomWriter::create(path, &meta(ts), &WriteOptions::new()).unwrap();
    w.write_elements(ds.iter()).unwrap();
    w.begin_encapsulated_reserved(frames as usize).unwrap();
    let mut offsets = Vec::new();
    let mut at = 0u32;
    for k in 0..frames {
        let data = frame(k);
        offsets.push(at);
        at += 8 + data.len() as u32 + data.len() as u32 % 2;
        w.write_fragment(&data).unwrap();
    }
    w.end_encapsulated_with_offsets(&offsets).unwrap();
    w.commit().unwrap();
}
