//! Helpers shared by the integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::too_many_arguments
)]

use std::path::Path;

use radguard_core::{KeyId, SecretKey};
use radguard_crypt::StaticKey;
use radguard_dicom::PixelLayout;

/// A provider with one fixed test KEK.
pub fn provider() -> StaticKey {
    StaticKey::new(
        KeyId::new("test-kek").unwrap(),
        SecretKey::from_bytes([0x42; 32]),
    )
}

/// Another KEK under the same id (a wrong key).
pub fn wrong_provider() -> StaticKey {
    StaticKey::new(
        KeyId::new("test-kek").unwrap(),
        SecretKey::from_bytes([0x43; 32]),
    )
}

/// The raw pixel data of a file as stored: native bytes, or the offset
/// table and fragments.
#[derive(Debug, PartialEq, Eq)]
pub enum Pixels {
    Native(Vec<u8>),
    Encapsulated(Vec<u32>, Vec<Vec<u8>>),
}

impl Pixels {
    /// Every byte of pixel data, fragments concatenated.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Native(b) => b.clone(),
            Self::Encapsulated(_, f) => f.concat(),
        }
    }
}

/// The pixel data of `path` exactly as stored, or `None` without pixel data.
pub fn pixels(path: &Path) -> Option<Pixels> {
    let mut split = radguard_dicom::open_split(path).unwrap();
    let px = split.pixel_data()?.clone();
    Some(match px.layout() {
        PixelLayout::Native { len } => {
            let mut buf = vec![0u8; *len as usize];
            split.read_native_at(0, &mut buf).unwrap();
            Pixels::Native(buf)
        }
        PixelLayout::Encapsulated {
            offset_table,
            fragment_lens,
        } => {
            let mut frags = Vec::new();
            for i in 0..fragment_lens.len() {
                let mut b = Vec::new();
                split.read_fragment(i, &mut b).unwrap();
                frags.push(b);
            }
            Pixels::Encapsulated(offset_table.clone(), frags)
        }
        _ => unreachable!(),
    })
}

/// Files in a folder (recursively).
pub fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Panics unless `dir` holds no file at all.
pub fn assert_empty(dir: &Path) {
    let files = files_in(dir);
    assert!(files.is_empty(), "unexpected output: {files:?}");
}

use radguard_dicom::dicom::core::value::{PixelFragmentSequence, Value};
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::dicom::object::meta::FileMetaTableBuilder;

pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
pub const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";

/// Deterministic, non-repeating test bytes.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn header(
    sop: &str,
    rows: u16,
    cols: u16,
    frames: u32,
    bits: u16,
) -> Vec<DataElement<InMemDicomObject>> {
    vec![
        DataElement::new(Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
        DataElement::new(Tag(0x0008, 0x0018), VR::UI, sop),
        DataElement::new(Tag(0x0010, 0x0010), VR::PN, "DOE^JANE"),
        DataElement::new(Tag(0x0028, 0x0002), VR::US, PrimitiveValue::from(1u16)),
        DataElement::new(Tag(0x0028, 0x0008), VR::IS, frames.to_string()),
        DataElement::new(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(rows)),
        DataElement::new(Tag(0x0028, 0x0011), VR::US, PrimitiveValue::from(cols)),
        DataElement::new(Tag(0x0028, 0x0100), VR::US, PrimitiveValue::from(bits)),
    ]
}

fn write(path: &Path, elements: Vec<DataElement<InMemDicomObject>>, ts: &str, sop: &str) {
    let obj = InMemDicomObject::from_element_iter(elements)
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(ts)
                .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
                .media_storage_sop_instance_uid(sop),
        )
        .unwrap();
    radguard_dicom::write_file(path, &obj, &radguard_dicom::WriteOptions::new()).unwrap();
}

/// A native multi-frame file (8-bit samples when `bits` is 8, else 16).
pub fn make_native(
    path: &Path,
    sop: &str,
    ts: &str,
    rows: u16,
    cols: u16,
    frames: u32,
    bits: u16,
    seed: u64,
) -> Vec<u8> {
    let len = usize::from(rows) * usize::from(cols) * frames as usize * usize::from(bits / 8);
    let pixels = pattern(seed, len);
    let mut els = header(sop, rows, cols, frames, bits);
    let vr = if bits > 8 { VR::OW } else { VR::OB };
    els.push(DataElement::new(
        Tag(0x7FE0, 0x0010),
        vr,
        PrimitiveValue::U8(pixels.clone().into()),
    ));
    write(path, els, ts, sop);
    pixels
}

/// An encapsulated file with one fragment per frame and a basic offset table.
pub fn make_encapsulated(path: &Path, sop: &str, fragments: &[Vec<u8>]) {
    let mut bot = Vec::new();
    let mut off = 0u32;
    for f in fragments {
        bot.push(off);
        off += 8 + f.len() as u32 + (f.len() as u32 % 2);
    }
    let mut els = header(sop, 16, 16, fragments.len() as u32, 8);
    els.push(DataElement::new(
        Tag(0x7FE0, 0x0010),
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(bot, fragments.to_vec())),
    ));
    write(path, els, JPEG_BASELINE, sop);
}

/// Byte range of the first occurrence of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> std::ops::Range<usize> {
    let at = hay
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("value not found in file");
    at..at + needle.len()
}

/// The raw value of a top-level element of a file.
pub fn value_of(path: &Path, tag: Tag) -> Vec<u8> {
    let f = radguard_dicom::open(path).unwrap();
    f.dataset()
        .get(tag)
        .unwrap()
        .to_bytes()
        .unwrap()
        .into_owned()
}

/// A Float (`double == false`, OF) or Double Float (OD) Pixel Data file.
pub fn make_float(
    path: &Path,
    sop: &str,
    ts: &str,
    rows: u16,
    cols: u16,
    frames: u32,
    double: bool,
    seed: u64,
) {
    let (tag, vr, bits) = if double {
        (Tag(0x7FE0, 0x0009), VR::OD, 64)
    } else {
        (Tag(0x7FE0, 0x0008), VR::OF, 32)
    };
    let len = usize::from(rows) * usize::from(cols) * frames as usize * usize::from(bits / 8);
    let mut els = header(sop, rows, cols, frames, bits);
    els.push(DataElement::new(
        tag,
        vr,
        PrimitiveValue::U8(pattern(seed, len).into()),
    ));
    write(path, els, ts, sop);
}
