//! Property tests: random data sets with nested sequences and private
//! blocks, written by dicom-rs in each supported transfer syntax, read back
//! by radguard's parser with the same content.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use dicom_core::header::Length;
use dicom_core::value::{DataSetSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Tag, VR};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use proptest::prelude::*;

const STRINGS: &[(Tag, VR)] = &[
    (Tag(0x0008, 0x0018), VR::UI),
    (Tag(0x0008, 0x0020), VR::DA),
    (Tag(0x0008, 0x0030), VR::TM),
    (Tag(0x0008, 0x0060), VR::CS),
    (Tag(0x0008, 0x1030), VR::LO),
    (Tag(0x0010, 0x0010), VR::PN),
    (Tag(0x0010, 0x0020), VR::LO),
    (Tag(0x0018, 0x0050), VR::DS),
    (Tag(0x0020, 0x0013), VR::IS),
    (Tag(0x0040, 0xA160), VR::UT),
];
const SEQUENCES: &[Tag] = &[
    Tag(0x0008, 0x1140),
    Tag(0x0040, 0xA730),
    Tag(0x0054, 0x0016),
];

fn string_value(vr: VR) -> BoxedStrategy<String> {
    match vr {
        VR::UI => "[1-9][0-9]{0,5}(\\.[1-9][0-9]{0,5}){1,6}".boxed(),
        VR::DA => "(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])".boxed(),
        VR::TM => "([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]".boxed(),
        VR::CS => "[A-Z0-9_]{1,16}".boxed(),
        VR::DS => "-?[0-9]{1,6}(\\.[0-9]{1,4})?".boxed(),
        VR::IS => "-?[0-9]{1,8}".boxed(),
        VR::PN => "[A-Z]{1,10}\\^[A-Z]{1,10}".boxed(),
        _ => "[A-Za-z0-9 ]{0,40}".boxed(),
    }
}

fn element() -> impl Strategy<Value = DataElement<InMemDicomObject>> {
    prop_oneof![
        (0..STRINGS.len()).prop_flat_map(|i| {
            let (tag, vr) = STRINGS[i];
            string_value(vr).prop_map(move |s| DataElement::new(tag, vr, PrimitiveValue::from(s)))
        }),
        proptest::collection::vec(any::<u16>(), 1..4).prop_map(|v| DataElement::new(
            Tag(0x0028, 0x0010),
            VR::US,
            PrimitiveValue::U16(v.into())
        )),
        // A private block: creator and an opaque value (UN, so implicit VR reads it back alike).
        ("[A-Z]{3,12}", proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(_, b)| {
            let mut b = b;
            if b.len() % 2 == 1 {
                b.push(0);
            }
            DataElement::new(Tag(0x0009, 0x1001), VR::UN, PrimitiveValue::U8(b.into()))
        }),
    ]
}

fn dataset(depth: u32) -> BoxedStrategy<InMemDicomObject> {
    let leaf =
        proptest::collection::vec(element(), 0..8).prop_map(InMemDicomObject::from_element_iter);
    if depth == 0 {
        return leaf.boxed();
    }
    (
        proptest::collection::vec(element(), 0..8),
        proptest::collection::vec(
            (
                0..SEQUENCES.len(),
                proptest::collection::vec(dataset(depth - 1), 0..3),
            ),
            0..2,
        ),
    )
        .prop_map(|(elems, seqs)| {
            let mut obj = InMemDicomObject::from_element_iter(elems);
            for (i, items) in seqs {
                obj.put(DataElement::new(
                    SEQUENCES[i],
                    VR::SQ,
                    Value::Sequence(DataSetSequence::new(items, Length::UNDEFINED)),
                ));
            }
            obj
        })
        .boxed()
}

const SYNTAXES: &[&str] = &[
    "1.2.840.10008.1.2",      // implicit VR little endian
    "1.2.840.10008.1.2.1",    // explicit VR little endian
    "1.2.840.10008.1.2.2",    // explicit VR big endian
    "1.2.840.10008.1.2.1.99", // deflated explicit VR little endian
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_data_sets_round_trip(ds in dataset(3), ts in 0..SYNTAXES.len(), pixels in proptest::collection::vec(any::<u16>(), 0..128)) {
        let mut ds = ds;
        ds.put(DataElement::new(Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"));
        // OW, as Implicit VR reads Pixel Data back.
        ds.put(DataElement::new(Tag(0x7FE0, 0x0010), VR::OW, PrimitiveValue::U16(pixels.into())));
        let file = ds
            .with_meta(FileMetaTableBuilder::new().transfer_syntax(SYNTAXES[ts]).media_storage_sop_instance_uid("2.25.1"))
            .unwrap();
        let bytes = radguard_dicom::to_bytes(&file).unwrap();
        let back = radguard_dicom::from_bytes(&bytes).unwrap();
        prop_assert_eq!(radguard_dicom::first_difference(&file, back.dataset()), None);
        // The parser counts every element the walk visits.
        let mut visited = 0u64;
        radguard_dicom::walk(back.dataset(), &mut |_, _| visited += 1);
        prop_assert_eq!(visited, back.info().element_count);
        // The streaming summary sees the same structure.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.dcm");
        std::fs::write(&p, &bytes).unwrap();
        let s = radguard_dicom::summarize(&p).unwrap();
        prop_assert_eq!(s.element_count, back.info().element_count);
    }

    #[test]
    fn mutated_files_never_panic(flips in proptest::collection::vec((0usize..10_000, any::<u8>()), 1..8)) {
        let mut bytes = std::fs::read(radguard_testkit::sample("pydicom/test-SR.dcm")).unwrap();
        for (at, v) in flips {
            let n = bytes.len();
            bytes[at % n] = v;
        }
        // Errors are fine; panics are not. Whatever opens also writes and re-reads.
        if let Ok(f) = radguard_dicom::from_bytes(&bytes)
            && let Ok(out) = radguard_dicom::to_bytes(f.object())
        {
            let back = radguard_dicom::from_bytes(&out).unwrap();
            prop_assert_eq!(radguard_dicom::first_difference(f.dataset(), back.dataset()), None);
        }
    }
}
