//! The streaming file path: what is copied, what is re-encoded, what the
//! header says afterwards.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use radguard_dicom::tags;
use radguard_dicom::{PixelLayout, WriteOptions};
use radguard_pixels::geometry::{Rect, RegionPlan};
use radguard_pixels::{
    CleanOptions, CleanPlan, FrameBuf, FrameDesc, HeaderChange, Photometric, RLE_LOSSLESS,
    clean_file, encode_frame, for_each_frame,
};

fn frame(k: u32, rows: u32, cols: u32) -> FrameBuf {
    let desc = FrameDesc::new(rows, cols, Photometric::Monochrome2);
    let data = (0..rows * cols)
        .map(|i| ((i * 7 + k * 13) % 251) as u8)
        .collect();
    FrameBuf::new(desc, data).unwrap()
}

fn fragments(path: &std::path::Path) -> Vec<Vec<u8>> {
    let mut split = radguard_dicom::open_split(path).unwrap();
    let n = match split.pixel_data().unwrap().layout() {
        PixelLayout::Encapsulated { fragment_lens, .. } => fragment_lens.len(),
        PixelLayout::Native { .. } => panic!("native"),
        _ => unreachable!(),
    };
    (0..n)
        .map(|i| {
            let mut b = Vec::new();
            split.read_fragment(i, &mut b).unwrap();
            b
        })
        .collect()
}

#[test]
fn untouched_rle_frames_are_copied_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.dcm"), dir.path().join("out.dcm"));
    let ds = common::header(48, 64, 3, "MONOCHROME2", 8);
    common::write_encapsulated(&input, RLE_LOSSLESS, &ds, 3, &mut |k| {
        encode_frame(RLE_LOSSLESS, &frame(k, 48, 64), k).unwrap()
    });
    let mut plan = RegionPlan::new();
    plan.add_frame(1, Rect::new(10, 5, 20, 8));
    let report = clean_file(
        &input,
        &output,
        &plan,
        &CleanOptions::new(),
        &WriteOptions::new(),
    )
    .unwrap();
    assert_eq!(
        (
            report.frames,
            report.frames_blanked,
            report.frames_reencoded
        ),
        (3, 1, 1)
    );
    assert_eq!(report.output_transfer_syntax, RLE_LOSSLESS);
    let (a, b) = (fragments(&input), fragments(&output));
    assert_eq!(a[0], b[0]);
    assert_eq!(a[2], b[2]);
    assert_ne!(a[1], b[1]);
    let mut split = radguard_dicom::open_split(&output).unwrap();
    for_each_frame(&mut split, &mut |k, f| {
        let expect = frame(k, 48, 64);
        for y in 0..48 {
            for x in 0..64 {
                let blanked = k == 1 && Rect::new(10, 5, 20, 8).contains(x, y);
                assert_eq!(
                    f.sample(x, y, 0),
                    if blanked { 0 } else { expect.sample(x, y, 0) }
                );
            }
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn no_rectangle_in_the_image_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.dcm"), dir.path().join("out.dcm"));
    let ds = common::header(8, 8, 2, "MONOCHROME2", 8);
    common::write_encapsulated(&input, RLE_LOSSLESS, &ds, 2, &mut |k| {
        encode_frame(RLE_LOSSLESS, &frame(k, 8, 8), k).unwrap()
    });
    // Outside the image, and on a frame that does not exist.
    let mut plan = RegionPlan::all_frames([Rect::new(100, 100, 5, 5)]);
    plan.add_frame(7, Rect::new(0, 0, 4, 4));
    let mut split = radguard_dicom::open_split(&input).unwrap();
    let p = CleanPlan::new(&mut split, &plan, &CleanOptions::new()).unwrap();
    assert!(!p.blanks_anything());
    assert!(
        p.changes()
            .iter()
            .all(|c| matches!(c, HeaderChange::Remove { .. }))
    );
    let report = clean_file(
        &input,
        &output,
        &plan,
        &CleanOptions::new(),
        &WriteOptions::new(),
    )
    .unwrap();
    assert_eq!((report.frames_blanked, report.frames_reencoded), (0, 0));
    assert_eq!(fragments(&input), fragments(&output));
}

#[test]
fn native_frames_are_blanked_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.dcm"), dir.path().join("out.dcm"));
    let ds = common::header(4, 6, 2, "RGB", 8);
    let bytes: Vec<u8> = (0..2 * 4 * 6 * 3u32).map(|i| (i % 200 + 1) as u8).collect();
    common::write_native(&input, &ds, bytes.len() as u32, &mut &bytes[..]);
    let plan = RegionPlan::all_frames([Rect::new(4, 3, 9, 9)]);
    let report = clean_file(
        &input,
        &output,
        &plan,
        &CleanOptions::new(),
        &WriteOptions::new(),
    )
    .unwrap();
    assert_eq!(report.output_transfer_syntax, "1.2.840.10008.1.2.1");
    assert_eq!(report.pixels_blanked, 4);
    let out = radguard_dicom::open(&output).unwrap();
    let px = out
        .dataset()
        .get(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap()
        .into_owned();
    let mut expect = bytes;
    for f in 0..2 {
        for x in 4..6 {
            let at = f * 72 + (3 * 6 + x) * 3;
            expect[at..at + 3].fill(0);
        }
    }
    assert_eq!(px, expect);
}

/// A JPEG baseline YBR_FULL_422 cine (pydicom's examples_ybr_color.dcm,
/// in tests/data) becomes RGB in RLE (or native), lossy marks kept.
#[cfg(feature = "jpeg")]
#[test]
fn lossy_jpeg_is_stored_losslessly_with_its_marks() {
    use radguard_dicom::text::value_text;
    use radguard_pixels::Fallback;

    let input = radguard_testkit::sample("pydicom/examples_ybr_color.dcm");
    let dir = tempfile::tempdir().unwrap();
    let mut decoded = Vec::new();
    let mut split = radguard_dicom::open_split(&input).unwrap();
    for_each_frame(&mut split, &mut |_, f| {
        decoded.push(f.clone());
        Ok(())
    })
    .unwrap();
    let rect = Rect::new(0, 0, 100, 20);
    let mut plan = RegionPlan::new();
    plan.add_frame(0, rect);
    for (fallback, ts) in [
        (Fallback::Rle, RLE_LOSSLESS),
        (Fallback::Native, "1.2.840.10008.1.2.1"),
    ] {
        let output = dir.path().join(format!("{fallback:?}.dcm"));
        let report = clean_file(
            &input,
            &output,
            &plan,
            &CleanOptions::new().fallback(fallback),
            &WriteOptions::new(),
        )
        .unwrap();
        assert!(report.lossy_input);
        assert_eq!(report.output_transfer_syntax, ts);
        assert_eq!(report.frames_reencoded, decoded.len() as u64);
        let mut split = radguard_dicom::open_split(&output).unwrap();
        let ds = split.header().dataset().clone();
        assert_eq!(
            value_text(&ds, tags::PHOTOMETRIC_INTERPRETATION).trim(),
            "RGB"
        );
        assert_eq!(value_text(&ds, tags::PLANAR_CONFIGURATION).trim(), "0");
        assert_eq!(value_text(&ds, tags::LOSSY_IMAGE_COMPRESSION).trim(), "01");
        assert_eq!(
            value_text(&ds, tags::LOSSY_IMAGE_COMPRESSION_METHOD).trim(),
            "ISO_10918_1"
        );
        assert!(
            !value_text(&ds, tags::LOSSY_IMAGE_COMPRESSION_RATIO)
                .trim()
                .is_empty()
        );
        assert_eq!(split.header().meta().transfer_syntax(), ts);
        for_each_frame(&mut split, &mut |k, f| {
            let d = &decoded[k as usize];
            for y in 0..f.desc().rows() {
                for x in 0..f.desc().columns() {
                    for s in 0..3 {
                        let want = if k == 0 && rect.contains(x, y) {
                            0
                        } else {
                            d.sample(x, y, s)
                        };
                        assert_eq!(f.sample(x, y, s), want);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    }
}

#[cfg(not(feature = "jpegls"))]
#[test]
fn missing_decoder_is_named() {
    let input = radguard_testkit::sample("pydicom-data/emri_small_jpeg_ls_lossless.dcm");
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.dcm");
    let plan = RegionPlan::all_frames([Rect::new(0, 0, 4, 4)]);
    let err = clean_file(
        &input,
        &output,
        &plan,
        &CleanOptions::new(),
        &WriteOptions::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("no JPEG-LS decoder in this build"),
        "{err}"
    );
    assert!(!output.exists());
}

#[test]
fn a_plan_only_fits_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.dcm"), dir.path().join("b.dcm"));
    common::write_native(
        &a,
        &common::header(2, 2, 1, "MONOCHROME2", 8),
        4,
        &mut &[1u8, 2, 3, 4][..],
    );
    common::write_native(
        &b,
        &common::header(2, 2, 1, "MONOCHROME2", 8),
        6,
        &mut &[1u8, 2, 3, 4, 5, 6][..],
    );
    let plan = RegionPlan::all_frames([Rect::new(0, 0, 1, 1)]);
    let mut sa = radguard_dicom::open_split(&a).unwrap();
    let mut sb = radguard_dicom::open_split(&b).unwrap();
    let p = CleanPlan::new(&mut sa, &plan, &CleanOptions::new()).unwrap();
    let mut w = radguard_dicom::DicomWriter::create(
        &dir.path().join("c.dcm"),
        sb.header().meta(),
        &WriteOptions::new(),
    )
    .unwrap();
    let err = p.write_pixels(&mut sb, &mut w).unwrap_err();
    assert!(
        matches!(err, radguard_pixels::Error::PlanMismatch { .. }),
        "{err}"
    );
}

/// The plan keeps what it read: the caller may take the header out of the
/// split file (as radguard-deid does) before the pixel data is written.
#[test]
fn the_header_may_be_taken_out_after_planning() {
    use radguard_dicom::dicom::object::InMemDicomObject;

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.dcm");
    let ds = common::header(8, 8, 2, "MONOCHROME2", 8);
    common::write_encapsulated(&input, RLE_LOSSLESS, &ds, 2, &mut |k| {
        encode_frame(RLE_LOSSLESS, &frame(k, 8, 8), k).unwrap()
    });
    for regions in [
        RegionPlan::new(),
        RegionPlan::all_frames([Rect::new(0, 0, 3, 3)]),
    ] {
        let mut split = radguard_dicom::open_split(&input).unwrap();
        let plan = CleanPlan::new(&mut split, &regions, &CleanOptions::new()).unwrap();
        let mut meta = split.header().meta().clone();
        let mut header = std::mem::replace(
            &mut **split.header_mut().object_mut(),
            InMemDicomObject::new_empty(),
        );
        plan.apply(&mut header, &mut meta);
        let out = dir.path().join("out.dcm");
        let mut w =
            radguard_dicom::DicomWriter::create(&out, &meta, &WriteOptions::new().overwrite(true))
                .unwrap();
        w.write_elements(header.iter()).unwrap();
        let report = plan.write_pixels(&mut split, &mut w).unwrap();
        w.commit().unwrap();
        assert_eq!(report.frames, 2);
        assert_eq!(
            report.frames_blanked,
            if regions.is_empty() { 0 } else { 2 }
        );
        let mut back = radguard_dicom::open_split(&out).unwrap();
        let mut n = 0;
        for_each_frame(&mut back, &mut |_, f| {
            n += 1;
            assert_eq!(f.sample(1, 1, 0) == 0, !regions.is_empty());
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 2);
    }
}
