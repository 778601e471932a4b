//! `ReadOptions::split_tag` and `SplitFile::read_fragment_at`.
#![allow(clippy::unwrap_used)]

use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use radguard_dicom::{PixelLayout, ReadOptions, WriteOptions, write_file};

const PRIVATE_BIG: Tag = Tag(0x7FE1, 0x5202);

fn write(
    dir: &std::path::Path,
    name: &str,
    elements: Vec<InMemElementAlias>,
    ts: &str,
) -> std::path::PathBuf {
    let obj = InMemDicomObject::from_element_iter(elements);
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(ts)
                .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
                .media_storage_sop_instance_uid("2.25.1"),
        )
        .unwrap();
    let path = dir.join(name);
    write_file(&path, &file, &WriteOptions::new()).unwrap();
    path
}

type InMemElementAlias = dicom_object::mem::InMemElement;

fn base() -> Vec<InMemElementAlias> {
    vec![
        DataElement::new(Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
        DataElement::new(Tag(0x0008, 0x0018), VR::UI, "2.25.1"),
    ]
}

#[test]
fn split_tag_leaves_a_private_element_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    for ts in [
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.2",
    ] {
        let mut els = base();
        els.push(DataElement::new(Tag(0x7FE1, 0x0052), VR::LO, "TEST"));
        els.push(DataElement::new(
            PRIVATE_BIG,
            VR::OB,
            PrimitiveValue::U8(big.clone().into()),
        ));
        els.push(DataElement::new(
            Tag(0xFFFC, 0xFFFC),
            VR::OB,
            PrimitiveValue::U8(vec![0u8; 4].into()),
        ));
        let path = write(dir.path(), &format!("p{ts}.dcm"), els, ts);

        // Without split_tag the element is read into the header.
        let plain = radguard_dicom::open_split(&path).unwrap();
        assert!(plain.pixel_data().is_none());
        assert!(plain.header().dataset().get(PRIVATE_BIG).is_some());

        let mut split = ReadOptions::new()
            .split_tag(PRIVATE_BIG)
            .open_split(&path)
            .unwrap();
        assert!(split.header().dataset().get(PRIVATE_BIG).is_none());
        assert!(split.header().dataset().get(Tag(0x7FE1, 0x0052)).is_some());
        assert!(split.header().dataset().get(Tag(0xFFFC, 0xFFFC)).is_some());
        let px = split.pixel_data().unwrap().clone();
        assert_eq!(px.tag(), PRIVATE_BIG);
        assert_eq!(px.layout(), &PixelLayout::Native { len: 10_000 });
        let mut buf = vec![0u8; 100];
        split.read_native_at(5_000, &mut buf).unwrap();
        assert_eq!(buf, big[5_000..5_100]);
    }
}

#[test]
fn split_tag_with_pixel_data_too_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut els = base();
    els.push(DataElement::new(
        Tag(0x7FE0, 0x0010),
        VR::OB,
        PrimitiveValue::U8(vec![1, 2].into()),
    ));
    els.push(DataElement::new(
        PRIVATE_BIG,
        VR::OB,
        PrimitiveValue::U8(vec![3, 4].into()),
    ));
    let path = write(dir.path(), "both.dcm", els, "1.2.840.10008.1.2.1");
    assert!(radguard_dicom::open_split(&path).is_ok());
    let err = ReadOptions::new()
        .split_tag(PRIVATE_BIG)
        .open_split(&path)
        .unwrap_err();
    assert!(
        matches!(err, radguard_dicom::Error::Malformed { .. }),
        "{err}"
    );
}

#[test]
fn read_fragment_at_reads_part_of_a_fragment() {
    let dir = tempfile::tempdir().unwrap();
    let f0: Vec<u8> = (0..64u8).collect();
    let f1: Vec<u8> = (0..200u8).rev().collect();
    let mut els = base();
    els.push(DataElement::new(
        Tag(0x7FE0, 0x0010),
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(
            vec![],
            vec![f0.clone(), f1.clone()],
        )),
    ));
    let path = write(dir.path(), "enc.dcm", els, "1.2.840.10008.1.2.4.50");
    let mut split = radguard_dicom::open_split(&path).unwrap();
    let mut buf = [0u8; 10];
    split.read_fragment_at(1, 190, &mut buf).unwrap();
    assert_eq!(buf[..], f1[190..200]);
    split.read_fragment_at(0, 0, &mut buf).unwrap();
    assert_eq!(buf[..], f0[..10]);
    assert!(split.read_fragment_at(1, 191, &mut buf).is_err());
    assert!(split.read_fragment_at(2, 0, &mut buf).is_err());
    assert!(split.read_fragment_at(0, u64::MAX, &mut buf).is_err());
}
