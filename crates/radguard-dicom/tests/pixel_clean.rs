//! `SplitFile::copy_pixel_data_clean` on real and crafted files: the
//! output re-reads, its fragments are the stripped frames, its Basic
//! Offset Table matches them, native samples keep their values without
//! the bits above High Bit, and nothing named in the pixel data survives.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::Path;

use dicom_core::header::Header;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_object::InMemDicomObject;
use radguard_dicom::pixel_meta::{
    PixelCleanReport, PixelPlan, STALE_AFTER_STRIPPING, strip_fragment,
};
use radguard_dicom::{DicomWriter, Error, PixelLayout, WriteOptions, open, open_split, tags};

const MRN: &[u8] = b"MRN998877";

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Writes `src`'s header with `write_pixels` in place of its pixel data.
fn rewrite(
    src: &Path,
    dst: &Path,
    write_pixels: impl FnOnce(&mut DicomWriter) -> radguard_dicom::Result<()>,
) {
    let split = open_split(src).unwrap();
    let header = split.header().dataset().clone();
    let mut w = DicomWriter::create(dst, split.header().meta(), &WriteOptions::new()).unwrap();
    w.write_elements(header.iter().filter(|e| e.tag() < tags::PIXEL_DATA))
        .unwrap();
    write_pixels(&mut w).unwrap();
    w.write_elements(header.iter().filter(|e| e.tag() > tags::PIXEL_DATA))
        .unwrap();
    w.commit().unwrap();
}

/// Copies `src` to `dst` through `copy_pixel_data_clean`, as a
/// de-identifier would (stale offset attributes removed).
fn clean_copy(src: &Path, dst: &Path) -> radguard_dicom::Result<PixelCleanReport> {
    let mut split = open_split(src)?;
    let plan: PixelPlan = split.pixel_plan()?;
    let mut header = split.header().dataset().clone();
    for t in STALE_AFTER_STRIPPING {
        header.remove_element(t);
    }
    let pixel_tag = split.pixel_data().map(radguard_dicom::PixelData::tag);
    let mut w = DicomWriter::create(dst, split.header().meta(), &WriteOptions::new())?;
    w.write_elements(
        header
            .iter()
            .filter(|e| pixel_tag.is_none_or(|t| e.tag() < t)),
    )?;
    let report = split.copy_pixel_data_clean(&mut w, &plan)?;
    w.write_elements(
        header
            .iter()
            .filter(|e| pixel_tag.is_some_and(|t| e.tag() > t)),
    )?;
    w.commit()?;
    Ok(report)
}

/// Transfer syntax, basic offset table, fragments and frames (grouped the
/// simple ways) of a file's encapsulated pixel data.
struct Encapsulated {
    ts: String,
    bot: Vec<u32>,
    fragments: Vec<Vec<u8>>,
    frames: usize,
}

fn encapsulated(path: &Path) -> Encapsulated {
    let f = open(path).unwrap();
    let pd = f.dataset().get(tags::PIXEL_DATA).unwrap();
    let frames = radguard_dicom::text::value_text(f.dataset(), tags::NUMBER_OF_FRAMES)
        .parse()
        .unwrap_or(1);
    Encapsulated {
        ts: radguard_dicom::text::trim_value(&f.meta().transfer_syntax).to_owned(),
        bot: pd.value().offset_table().unwrap_or_default().to_vec(),
        fragments: pd.value().fragments().unwrap().to_vec(),
        frames,
    }
}

impl Encapsulated {
    fn frame_data(&self) -> Vec<Vec<u8>> {
        if self.fragments.len() == self.frames {
            self.fragments.clone()
        } else {
            assert_eq!(self.frames, 1);
            vec![self.fragments.concat()]
        }
    }
}

/// Checks `out`, the clean copy of `input`: one fragment per frame, each
/// the stripped input frame (padded to even), and a consistent table.
fn check_clean_copy(input: &Encapsulated, out: &Encapsulated, what: &str) {
    let frames = input.frame_data();
    assert_eq!(out.fragments.len(), frames.len(), "{what}");
    let mut at = 0u32;
    for (k, (frame, written)) in frames.iter().zip(&out.fragments).enumerate() {
        let mut expected = strip_fragment(&input.ts, frame)
            .unwrap()
            .into_data()
            .into_owned();
        if expected.len() % 2 == 1 {
            expected.push(0);
        }
        assert!(written == &expected, "{what} frame {k}");
        if !input.bot.is_empty() {
            assert_eq!(out.bot[k], at, "{what} offset of frame {k}");
        }
        at += 8 + u32::try_from(written.len()).unwrap();
    }
    if input.bot.is_empty() {
        assert!(out.bot.is_empty(), "{what}");
    } else {
        assert_eq!(out.bot.len(), frames.len(), "{what}");
    }
}

#[test]
fn every_encapsulated_sample_copies_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for (i, p) in radguard_testkit::samples().into_iter().enumerate() {
        let split = open_split(&p).unwrap();
        if !split
            .pixel_data()
            .is_some_and(radguard_dicom::PixelData::is_encapsulated)
        {
            continue;
        }
        let out = dir.path().join(format!("{i}.dcm"));
        let report = clean_copy(&p, &out).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let input = encapsulated(&p);
        let output = encapsulated(&out);
        check_clean_copy(&input, &output, &p.display().to_string());
        assert_eq!(report.frames, input.frame_data().len() as u64);
        // The header is unchanged.
        let (a, b) = (open(&p).unwrap(), open(&out).unwrap());
        let strip_px = |o: &InMemDicomObject| {
            let mut o = o.clone();
            o.remove_element(tags::PIXEL_DATA);
            o
        };
        assert_eq!(
            radguard_dicom::first_difference(&strip_px(a.dataset()), &strip_px(b.dataset())),
            None
        );
        n += 1;
    }
    assert!(n >= 5, "{n} encapsulated samples");
}

/// A JPEG frame with an Exif segment, a comment and trailing bytes.
fn dirty(frame: &[u8]) -> Vec<u8> {
    let frame = frame.strip_suffix(&[0]).unwrap_or(frame);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x22];
    out.extend(b"Exif\0\0Wound, DOE^JOHN, MRN998877");
    out.extend([0xFF, 0xFE, 0x00, 0x0B]);
    out.extend(b"MRN998877");
    out.extend(&frame[2..]);
    out.extend(b"MRN998877\0");
    out
}

#[test]
fn multiframe_jpeg_with_metadata_in_split_fragments_comes_out_clean() {
    let src = radguard_testkit::sample("pydicom/examples_ybr_color.dcm");
    let input = encapsulated(&src);
    assert_eq!(input.frames, 30);
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<Vec<u8>> = input.frame_data().iter().map(|f| dirty(f)).collect();
    // Each frame in three fragments (a marker may straddle a boundary).
    let pieces = |f: &[u8]| -> Vec<Vec<u8>> {
        let third = (f.len() / 3) & !1;
        vec![
            f[..third].to_vec(),
            f[third..2 * third].to_vec(),
            f[2 * third..].to_vec(),
        ]
    };
    for with_table in [true, false] {
        let dirty_path = dir.path().join(format!("dirty-{with_table}.dcm"));
        rewrite(&src, &dirty_path, |w| {
            let mut table = Vec::new();
            let mut at = 0;
            for f in &frames {
                table.push(at);
                for p in pieces(f) {
                    at += 8 + u32::try_from(p.len() + p.len() % 2).unwrap();
                }
            }
            w.begin_encapsulated(if with_table { &table } else { &[] })?;
            for f in &frames {
                for p in pieces(f) {
                    w.write_fragment(&p)?;
                }
            }
            w.end_encapsulated()
        });
        assert!(contains(&std::fs::read(&dirty_path).unwrap(), MRN));
        let clean_path = dir.path().join(format!("clean-{with_table}.dcm"));
        let report = clean_copy(&dirty_path, &clean_path).unwrap();
        let bytes = std::fs::read(&clean_path).unwrap();
        assert!(!contains(&bytes, MRN) && !contains(&bytes, b"DOE^JOHN"));
        assert_eq!(report.frames, 30);
        assert_eq!(report.frames_changed, 30);
        assert_eq!(report.removed.comments, 30);
        assert_eq!(report.removed.app_segments, 30);
        // The clean frames are the original frames (which carry no metadata).
        let out = encapsulated(&clean_path);
        assert_eq!(out.fragments.len(), 30);
        for (k, (a, b)) in out.fragments.iter().zip(input.frame_data()).enumerate() {
            let b = strip_fragment(&input.ts, &b)
                .unwrap()
                .into_data()
                .into_owned();
            let unpad = |x: &[u8]| x.strip_suffix(&[0]).unwrap_or(x).to_vec();
            assert!(unpad(a) == unpad(&b), "frame {k}");
        }
        assert_eq!(out.bot.is_empty(), !with_table);
        if with_table {
            let mut at = 0;
            for (k, f) in out.fragments.iter().enumerate() {
                assert_eq!(out.bot[k], at);
                at += 8 + u32::try_from(f.len()).unwrap();
            }
            assert_eq!(
                report.frame_offsets,
                out.bot.iter().map(|o| u64::from(*o)).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn malformed_frames_and_video_are_refused() {
    let src = radguard_testkit::sample("deid-data/ctbrain1.dcm");
    let dir = tempfile::tempdir().unwrap();
    let input = encapsulated(&src);
    let frame = input.frame_data().remove(0);
    let bad = dir.path().join("bad.dcm");
    // The frame cut short: no EOI.
    rewrite(&src, &bad, |w| {
        w.begin_encapsulated(&[])?;
        w.write_fragment(&frame[..(frame.len() / 2) & !1])?;
        w.end_encapsulated()
    });
    let err = clean_copy(&bad, &dir.path().join("out.dcm")).unwrap_err();
    assert!(
        matches!(err, Error::PixelMetadata { frame: Some(0), .. }),
        "{err}"
    );
    assert!(!dir.path().join("out.dcm").exists());

    // The same file declared as MPEG-4 video.
    let mut split = open_split(&src).unwrap();
    split.header_mut().object_mut().meta_mut().transfer_syntax =
        "1.2.840.10008.1.2.4.102".to_owned();
    let err = split.pixel_plan().unwrap_err();
    assert!(err.to_string().contains("pixel data"), "{err}");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("video"), "{source}");
}

/// A small native file: `frames` frames of 4 × 4 16-bit samples with 12
/// bits stored, bit 15 spelling "DOE^JOHN", and "MRN998877" after the
/// last frame.
fn native_file(path: &Path, ts: &str, signed: bool) -> Vec<u16> {
    use dicom_object::meta::FileMetaTableBuilder;
    let frames = 2u16;
    let n = usize::from(16 * frames);
    let name_bits: Vec<u16> = b"DOE^JOHN"
        .iter()
        .flat_map(|c| (0..8).map(move |i| u16::from((c >> i) & 1)))
        .collect();
    let samples: Vec<u16> = (0..n)
        .map(|i| {
            let value = u16::try_from(i * 97 % 4096).unwrap();
            // Signed: bits above bit 11 are the sign extension, or garbage.
            let ext = if signed && value & 0x800 != 0 {
                0x7000
            } else {
                0
            };
            value | ext | (name_bits[i % name_bits.len()] << 15)
        })
        .collect();
    let be = ts == "1.2.840.10008.1.2.2";
    let mut bytes: Vec<u8> = samples
        .iter()
        .flat_map(|s| if be { s.to_be_bytes() } else { s.to_le_bytes() })
        .collect();
    bytes.extend(MRN);
    bytes.push(0);
    let header = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, "2.25.7"),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, frames.to_string()),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(4u16)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(4u16)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(12u16)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(11u16)),
        DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(u16::from(signed)),
        ),
    ]);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid("2.25.7")
        .build()
        .unwrap();
    let mut w = DicomWriter::create(path, &meta, &WriteOptions::new()).unwrap();
    w.write_elements(header.iter()).unwrap();
    let len = u32::try_from(bytes.len()).unwrap();
    w.write_native_pixel(tags::PIXEL_DATA, VR::OW, len, &mut &bytes[..])
        .unwrap();
    w.commit().unwrap();
    samples
}

/// The 12-bit value of a 16-bit sample, as the standard reads it.
fn value(s: u16, signed: bool) -> i32 {
    let v = i32::from(s & 0x0FFF);
    if signed && v & 0x800 != 0 {
        v - 4096
    } else {
        v
    }
}

#[test]
fn native_overlay_bits_and_trailing_bytes_are_cleared() {
    let dir = tempfile::tempdir().unwrap();
    for ts in [
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.2",
    ] {
        for signed in [false, true] {
            let src = dir.path().join(format!("{ts}-{signed}.dcm"));
            let dst = dir.path().join(format!("{ts}-{signed}-clean.dcm"));
            let samples = native_file(&src, ts, signed);
            let report = clean_copy(&src, &dst).unwrap();
            let mut split = open_split(&dst).unwrap();
            let PixelLayout::Native { len } = *split.pixel_data().unwrap().layout() else {
                panic!("not native");
            };
            let mut bytes = vec![0u8; len as usize];
            split.read_native_at(0, &mut bytes).unwrap();
            let be = ts == "1.2.840.10008.1.2.2";
            let (px, tail) = bytes.split_at(samples.len() * 2);
            assert!(tail.iter().all(|b| *b == 0), "{ts}: trailing bytes kept");
            assert_eq!(report.trailing_bytes, tail.len() as u64);
            assert_eq!(report.trailing_nonzero, MRN.len() as u64);
            let mut changed = 0;
            for (i, (c, s)) in px.chunks_exact(2).zip(&samples).enumerate() {
                let out = if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                };
                assert_eq!(value(out, signed), value(*s, signed), "{ts} sample {i}");
                let sign = signed && out & 0x800 != 0;
                assert_eq!(
                    out & 0xF000,
                    if sign { 0xF000 } else { 0 },
                    "{ts} sample {i}"
                );
                changed += u64::from(out != *s);
            }
            assert!(changed > 0);
            assert_eq!(report.samples_changed, changed, "{ts}");
        }
    }
}

#[test]
fn native_data_with_every_bit_stored_takes_the_fast_path() {
    let dir = tempfile::tempdir().unwrap();
    for rel in [
        "pydicom/MR_small.dcm",
        "pydicom/MR_small_bigendian.dcm",
        "pydicom/rtdose.dcm",
    ] {
        let src = radguard_testkit::sample(rel);
        let dst = dir.path().join("out.dcm");
        let report = clean_copy(&src, &dst).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let (a, b) = (open(&src).unwrap(), open(&dst).unwrap());
        let px = |f: &radguard_dicom::DicomFile| {
            f.dataset()
                .get(tags::PIXEL_DATA)
                .unwrap()
                .to_bytes()
                .unwrap()
                .into_owned()
        };
        let desc = open_split(&src)
            .unwrap()
            .pixel_plan()
            .unwrap()
            .native()
            .cloned()
            .unwrap();
        if desc.has_unused_bits() {
            // Values unchanged, whatever the bits above High Bit held.
            let (x, y) = (px(&a), px(&b));
            let host = desc.clone();
            assert_eq!(
                host.values(&x).collect::<Vec<_>>(),
                host.values(&y).collect::<Vec<_>>(),
                "{rel}"
            );
        } else {
            assert_eq!(px(&a), px(&b), "{rel}");
            assert!(!report.changed());
        }
        std::fs::remove_file(&dst).unwrap();
    }
}

/// `clean_object` on a file read into memory gives what the streaming
/// `copy_pixel_data_clean` writes, for every sample and the crafted files.
#[test]
fn in_memory_cleaning_matches_streaming() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = radguard_testkit::samples();
    for (ts, signed) in [
        ("1.2.840.10008.1.2.1", true),
        ("1.2.840.10008.1.2.2", false),
    ] {
        let p = dir.path().join(format!("native-{signed}.dcm"));
        native_file(&p, ts, signed);
        inputs.push(p);
    }
    let src = radguard_testkit::sample("pydicom/examples_ybr_color.dcm");
    let frames = encapsulated(&src).frame_data();
    let dirty_path = dir.path().join("dirty-jpeg.dcm");
    rewrite(&src, &dirty_path, |w| {
        w.begin_encapsulated(&[])?;
        for f in &frames {
            w.write_fragment(&dirty(f))?;
        }
        w.end_encapsulated()
    });
    inputs.push(dirty_path);
    let mut compared = 0;
    for (i, p) in inputs.iter().enumerate() {
        if open(p).unwrap().dataset().get(tags::PIXEL_DATA).is_none() {
            continue;
        }
        let out = dir.path().join(format!("out-{i}.dcm"));
        let streamed = clean_copy(p, &out);
        let mut file = open(p).unwrap().into_parts().0;
        let in_memory = radguard_dicom::pixel_meta::clean_object(&mut file);
        match (streamed, in_memory) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{}", p.display());
                let written = open(&out).unwrap();
                assert_eq!(
                    radguard_dicom::first_difference(written.dataset(), &file),
                    None,
                    "{}",
                    p.display()
                );
                compared += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string());
                let cause = std::error::Error::source(&a).map(ToString::to_string);
                eprintln!(
                    "refused: {}: {a}: {}",
                    p.display(),
                    cause.unwrap_or_default()
                );
            }
            (a, b) => panic!("{}: {a:?} vs {b:?}", p.display()),
        }
    }
    assert!(compared >= 15, "{compared}");
}
