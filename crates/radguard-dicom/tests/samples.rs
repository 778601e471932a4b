//! Every bundled sample opens, round-trips with the same content, splits
//! and copies with bit-identical pixel data, and summarizes consistently.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use dicom_core::Tag;
use radguard_dicom::{
    FindingKind, PixelLayout, Preamble, WriteOptions, first_difference, from_bytes, open,
    open_split, summarize, to_bytes, write_file,
};

const PIXEL: Tag = Tag(0x7FE0, 0x0010);

#[test]
fn all_samples_open_and_round_trip() {
    let samples = radguard_testkit::samples();
    assert!(samples.len() >= 25, "{} samples", samples.len());
    for p in samples {
        let f = open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(!f.info().is_truncated(), "{}", p.display());
        let bytes = to_bytes(f.object()).unwrap();
        // Output always has a zero preamble, DICM and a file meta group.
        assert!(bytes[..128].iter().all(|b| *b == 0));
        assert_eq!(&bytes[128..132], b"DICM");
        let back = from_bytes(&bytes).unwrap();
        assert_eq!(back.info().preamble, Preamble::Zeros);
        assert!(back.info().has_file_meta);
        assert_eq!(
            back.meta().transfer_syntax,
            f.meta().transfer_syntax,
            "{}",
            p.display()
        );
        assert_eq!(
            first_difference(f.dataset(), back.dataset()),
            None,
            "{}",
            p.display()
        );
        // A second generation is byte-identical: writing is deterministic.
        assert_eq!(to_bytes(back.object()).unwrap(), bytes, "{}", p.display());
    }
}

#[test]
fn split_copy_streams_identical_pixel_data() {
    let dir = tempfile::tempdir().unwrap();
    for (i, p) in radguard_testkit::samples().into_iter().enumerate() {
        let whole = open(&p).unwrap();
        let mut split = open_split(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let out = dir.path().join(format!("{i}.dcm"));
        split
            .copy_to(&out, &WriteOptions::new())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let copy = open(&out).unwrap();
        assert_eq!(
            first_difference(whole.dataset(), copy.dataset()),
            None,
            "{}",
            p.display()
        );
        // Header-only view: everything but the top-level pixel data.
        let px = whole.dataset().get(PIXEL);
        assert_eq!(
            split.header().dataset().get(PIXEL).is_none(),
            split.pixel_data().map(|d| d.tag()) == Some(PIXEL) || px.is_none()
        );
        if let (Some(px), Some(data)) = (px, split.pixel_data().cloned()) {
            match data.layout() {
                PixelLayout::Native { len } => {
                    let mut buf = vec![0u8; usize::try_from(*len).unwrap()];
                    split.read_native_at(0, &mut buf).unwrap();
                    // dicom-rs keeps OW as host-endian u16; compare through the file's own bytes
                    // on little endian transfer syntaxes.
                    if !whole
                        .meta()
                        .transfer_syntax
                        .starts_with("1.2.840.10008.1.2.2")
                    {
                        assert_eq!(&px.to_bytes().unwrap()[..], &buf[..], "{}", p.display());
                    }
                }
                PixelLayout::Encapsulated {
                    fragment_lens,
                    offset_table,
                } => {
                    assert_eq!(px.offset_table().unwrap(), &offset_table[..]);
                    let frags = px.fragments().unwrap();
                    assert_eq!(frags.len(), fragment_lens.len());
                    let mut buf = Vec::new();
                    for (k, f) in frags.iter().enumerate() {
                        split.read_fragment(k, &mut buf).unwrap();
                        assert_eq!(&buf, f, "{} fragment {k}", p.display());
                    }
                }
                _ => unreachable!(),
            }
        }
    }
}

#[test]
fn summary_agrees_with_a_full_read() {
    for p in radguard_testkit::samples() {
        let f = open(&p).unwrap();
        let s = summarize(&p).unwrap();
        assert_eq!(s.element_count, f.info().element_count, "{}", p.display());
        assert_eq!(s.max_depth, f.info().max_depth, "{}", p.display());
        assert_eq!(
            s.transfer_syntax.uid,
            f.meta().transfer_syntax,
            "{}",
            p.display()
        );
        assert_eq!(s.has_file_meta, f.info().has_file_meta);
        let has_px = [Tag(0x7FE0, 0x0008), Tag(0x7FE0, 0x0009), PIXEL]
            .iter()
            .any(|t| f.dataset().get(*t).is_some());
        assert_eq!(s.pixel_data.is_some(), has_px, "{}", p.display());
    }
}

#[test]
fn peculiar_samples_are_read_as_documented() {
    // UN of undefined length becomes an implicit VR sequence.
    let f = open(radguard_testkit::sample("pydicom/UN_sequence.dcm")).unwrap();
    assert!(
        f.info()
            .findings
            .iter()
            .any(|x| x.kind == FindingKind::UnknownVrSequence)
    );
    // A file with a non-zero preamble is reported, and never copied.
    let f = open(radguard_testkit::sample("pydicom/MR_small.dcm")).unwrap();
    assert_eq!(f.info().preamble, Preamble::NonZero);
    // No file meta: inferred transfer syntax.
    for s in [
        "pydicom/ExplVR_BigEndNoMeta.dcm",
        "pydicom-data/OT-PAL-8-face.dcm",
    ] {
        let f = open(radguard_testkit::sample(s)).unwrap();
        assert!(!f.info().has_file_meta, "{s}");
        assert!(
            f.info()
                .findings
                .iter()
                .any(|x| x.kind == FindingKind::TransferSyntaxInferred),
            "{s}"
        );
    }
    let f = open(radguard_testkit::sample("pydicom/ExplVR_BigEndNoMeta.dcm")).unwrap();
    assert_eq!(f.meta().transfer_syntax, "1.2.840.10008.1.2.2");
    // Deflated data sets are inflated on read and deflated again on write.
    let f = open(radguard_testkit::sample("pydicom/image_dfl.dcm")).unwrap();
    assert_eq!(f.meta().transfer_syntax, "1.2.840.10008.1.2.1.99");
    let bytes = to_bytes(f.object()).unwrap();
    let back = from_bytes(&bytes).unwrap();
    assert!(back.info().offsets_in_inflated);
    assert_eq!(first_difference(f.dataset(), back.dataset()), None);
    // Float pixel data is found by the split.
    let s = open_split(radguard_testkit::sample(
        "pydicom-data/parametric_map_float.dcm",
    ))
    .unwrap();
    assert_eq!(s.pixel_data().unwrap().tag(), Tag(0x7FE0, 0x0008));
}

#[test]
fn write_file_is_atomic_and_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    let src = radguard_testkit::sample("pydicom/MR_small.dcm");
    let f = open(&src).unwrap();
    let out = dir.path().join("out.dcm");
    write_file(&out, f.object(), &WriteOptions::new()).unwrap();
    let first = std::fs::read(&out).unwrap();
    // An existing file is not replaced by default...
    let err = write_file(&out, f.object(), &WriteOptions::new()).unwrap_err();
    assert!(
        matches!(err, radguard_dicom::Error::Exists { .. }),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), first);
    // ... and writing over the input is refused the same way, leaving it intact.
    let input_before = std::fs::read(&src).unwrap();
    assert!(write_file(&src, f.object(), &WriteOptions::new()).is_err());
    assert_eq!(std::fs::read(&src).unwrap(), input_before);
    // Overwrite on request.
    write_file(&out, f.object(), &WriteOptions::new().overwrite(true)).unwrap();
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("out.dcm")]);
}

#[test]
fn a_failed_write_leaves_nothing() {
    use dicom_core::{DataElement, VR};
    let dir = tempfile::tempdir().unwrap();
    let mut f = open(radguard_testkit::sample("pydicom/chrRuss.dcm")).unwrap();
    // Latin-1 cannot encode CJK: the encoder fails mid-file.
    let obj = f.object_mut();
    obj.put(DataElement::new(Tag(0x0008, 0x0005), VR::CS, "ISO_IR 100"));
    obj.put(DataElement::new(Tag(0x0010, 0x0010), VR::PN, "王^小明"));
    let out = dir.path().join("bad.dcm");
    assert!(write_file(&out, f.object(), &WriteOptions::new()).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn writer_enforces_order_and_lengths() {
    use dicom_core::VR;
    let dir = tempfile::tempdir().unwrap();
    let f = open(radguard_testkit::sample("pydicom/MR_small.dcm")).unwrap();
    let out = dir.path().join("w.dcm");
    let mut w = radguard_dicom::DicomWriter::create(&out, f.meta(), &WriteOptions::new()).unwrap();
    w.write_elements(f.dataset().iter().filter(|e| e.header().tag < PIXEL))
        .unwrap();
    // A source shorter than the declared length is an error.
    let err = w
        .write_native_pixel(PIXEL, VR::OW, 100, &mut &[0u8; 10][..])
        .unwrap_err();
    assert!(
        matches!(&err, radguard_dicom::Error::Stream { source, .. } if source.kind() == std::io::ErrorKind::UnexpectedEof),
        "{err:?}"
    );
    drop(w);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "dropped writer left a file"
    );
    let mut w = radguard_dicom::DicomWriter::create(&out, f.meta(), &WriteOptions::new()).unwrap();
    w.write_elements(
        f.dataset()
            .iter()
            .filter(|e| e.header().tag == Tag(0x0010, 0x0010)),
    )
    .unwrap();
    let err = w
        .write_elements(
            f.dataset()
                .iter()
                .filter(|e| e.header().tag == Tag(0x0008, 0x0016)),
        )
        .unwrap_err();
    assert!(
        matches!(err, radguard_dicom::Error::WriterState { .. }),
        "{err:?}"
    );
}

#[test]
fn batch_commit_publishes_every_file_and_refuses_clobbering() {
    let dir = tempfile::tempdir().unwrap();
    let f = open(radguard_testkit::sample("pydicom/MR_small.dcm")).unwrap();
    std::fs::write(dir.path().join("2.dcm"), b"existing").unwrap();
    let mut pending = Vec::new();
    for i in 0..4 {
        let mut w = radguard_dicom::DicomWriter::create(
            &dir.path().join(format!("{i}.tmp-target")),
            f.meta(),
            &WriteOptions::new(),
        )
        .unwrap();
        w.write_elements(f.dataset().iter()).unwrap();
        pending.push(w.finish().unwrap());
    }
    // Nothing is visible before the commit.
    assert!(!dir.path().join("0.tmp-target").exists());
    let results = radguard_dicom::commit_all(pending);
    assert_eq!(results.len(), 4);
    for (p, r) in results {
        r.unwrap();
        let back = open(&p).unwrap();
        assert_eq!(first_difference(f.dataset(), back.dataset()), None);
    }
    // A batch member whose target appeared meanwhile is refused, the others land.
    let mut pending = Vec::new();
    for name in ["a.dcm", "b.dcm"] {
        let mut w = radguard_dicom::DicomWriter::create(
            &dir.path().join(name),
            f.meta(),
            &WriteOptions::new(),
        )
        .unwrap();
        w.write_elements(f.dataset().iter()).unwrap();
        pending.push(w.finish().unwrap());
    }
    std::fs::write(dir.path().join("b.dcm"), b"raced").unwrap();
    let results = radguard_dicom::commit_all(pending);
    assert!(results[0].1.is_ok());
    assert!(matches!(
        results[1].1,
        Err(radguard_dicom::Error::Exists { .. })
    ));
    assert_eq!(std::fs::read(dir.path().join("b.dcm")).unwrap(), b"raced");
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".part")
        })
        .count();
    assert_eq!(leftovers, 0);
}
