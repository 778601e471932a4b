//! radguard-pixels: frames per second blanking a banner and re-encoding a
//! 640 × 480 RGB ultrasound cine, against baselines measured in the same
//! run on the same files:
//!
//! - `copy_unchanged_baseline`: radguard-dicom's metadata-stripping copy of
//!   the pixel data (what de-identification without pixel cleaning does);
//! - `decode_baseline`: decoding every frame (`for_each_frame`), nothing
//!   written;
//! - `blank_reencode`: a 640 × 40 banner blanked in every frame, the file
//!   written (native: in place; RLE: re-encoded RLE; JPEG baseline: stored
//!   as RLE Lossless, never re-compressed lossily).
//!
//! Three inputs of 32 frames each: native (Explicit VR Little Endian), RLE
//! Lossless, and JPEG baseline YBR_FULL_422 (quality 90). Outputs are not
//! fsynced (`DicomWriter::finish`, dropped), so the figures are CPU and
//! page cache, one core.
//!
//! `cargo bench -p radguard-benches --bench pixel_clean`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, VR};
use radguard_dicom::dicom::object::meta::FileMetaTableBuilder;
use radguard_dicom::dicom::object::{FileMetaTable, InMemDicomObject};
use radguard_dicom::{DicomWriter, WriteOptions, tags};
use radguard_pixels::geometry::{Rect, RegionPlan};
use radguard_pixels::{
    CleanOptions, CleanPlan, FrameBuf, FrameDesc, Photometric, RLE_LOSSLESS, encode_frame,
    for_each_frame,
};

const ROWS: u32 = 480;
const COLS: u32 = 640;
const FRAMES: u32 = 32;

/// An ultrasound-like RGB frame: black, a text banner, a noisy fan.
fn frame(k: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((ROWS * COLS * 3) as usize);
    let mut noise = 0x9E37_79B9u32 ^ k;
    for y in 0..ROWS {
        for x in 0..COLS {
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let v = if y < 40 {
                if (x / 6 + y / 8) % 3 == 0 { 220 } else { 0 }
            } else if x.abs_diff(320) < (y - 40) * 2 / 3 {
                ((x / 3 + y / 2 + k * 3) % 120 + noise % 24) as u8
            } else {
                0
            };
            out.extend([v, v, v]);
        }
    }
    out
}

fn header(photometric: &str) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.3.1"),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, "2.25.99"),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(3u16)),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, photometric),
        DataElement::new(
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ),
        DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, FRAMES.to_string()),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(ROWS as u16)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(COLS as u16)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(8u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(8u16)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16)),
        DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ),
    ])
}

fn meta(ts: &str) -> FileMetaTable {
    FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.3.1")
        .media_storage_sop_instance_uid("2.25.99")
        .build()
        .unwrap()
}

fn write_native(path: &Path) {
    let mut w =
        DicomWriter::create(path, &meta("1.2.840.10008.1.2.1"), &WriteOptions::new()).unwrap();
    w.write_elements(header("RGB").iter()).unwrap();
    let all: Vec<u8> = (0..FRAMES).flat_map(frame).collect();
    w.write_native_pixel(tags::PIXEL_DATA, VR::OB, all.len() as u32, &mut &all[..])
        .unwrap();
    w.commit().unwrap();
}

fn write_encapsulated(path: &Path, ts: &str, photometric: &str, encode: &dyn Fn(u32) -> Vec<u8>) {
    let mut w = DicomWriter::create(path, &meta(ts), &WriteOptions::new()).unwrap();
    w.write_elements(header(photometric).iter()).unwrap();
    w.begin_encapsulated(&[]).unwrap();
    for k in 0..FRAMES {
        w.write_fragment(&encode(k)).unwrap();
    }
    w.end_encapsulated().unwrap();
    w.commit().unwrap();
}

fn jpeg(k: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 90);
    e.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_2);
    e.encode(
        &frame(k),
        COLS as u16,
        ROWS as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

/// Writes `input` to `out` with its pixel data copied or cleaned, not fsynced.
fn run(input: &Path, out: &Path, regions: Option<&RegionPlan>) {
    let mut split = radguard_dicom::open_split(input).unwrap();
    let mut meta = split.header().meta().clone();
    let mut header = split.header().dataset().clone();
    let plan = regions.map(|r| CleanPlan::new(&mut split, r, &CleanOptions::new()).unwrap());
    if let Some(p) = &plan {
        p.apply(&mut header, &mut meta);
    }
    let mut w = DicomWriter::create(out, &meta, &WriteOptions::new().overwrite(true)).unwrap();
    w.write_elements(header.iter()).unwrap();
    match &plan {
        Some(p) => {
            black_box(p.write_pixels(&mut split, &mut w).unwrap());
        }
        None => {
            let pp = split.pixel_plan().unwrap();
            black_box(split.copy_pixel_data_clean(&mut w, &pp).unwrap());
        }
    }
    drop(w.finish().unwrap());
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let native = dir.path().join("native.dcm");
    let rle = dir.path().join("rle.dcm");
    let jpg = dir.path().join("jpeg.dcm");
    write_native(&native);
    let desc = FrameDesc::new(ROWS, COLS, Photometric::Rgb);
    write_encapsulated(&rle, RLE_LOSSLESS, "RGB", &|k| {
        encode_frame(
            RLE_LOSSLESS,
            &FrameBuf::new(desc.clone(), frame(k)).unwrap(),
            k,
        )
        .unwrap()
    });
    write_encapsulated(&jpg, "1.2.840.10008.1.2.4.50", "YBR_FULL_422", &jpeg);
    let banner = RegionPlan::all_frames([Rect::new(0, 0, COLS, 40)]);
    let out = dir.path().join("out.dcm");
    for (name, input) in [("native", &native), ("rle", &rle), ("jpeg_baseline", &jpg)] {
        let mut g = c.benchmark_group(format!("pixel_clean/{name}"));
        g.throughput(Throughput::Elements(u64::from(FRAMES)));
        g.sample_size(10);
        g.bench_function("copy_unchanged_baseline", |b| {
            b.iter(|| run(input, &out, None))
        });
        g.bench_function("decode_baseline", |b| {
            b.iter(|| {
                let mut split = radguard_dicom::open_split(input).unwrap();
                for_each_frame(&mut split, &mut |_, f| {
                    black_box(f.data().len());
                    Ok(())
                })
                .unwrap();
            });
        });
        g.bench_function("blank_reencode", |b| {
            b.iter(|| run(input, &out, Some(&banner)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
