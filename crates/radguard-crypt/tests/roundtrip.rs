//! Round trips over the bundled samples and the shared corpus: the
//! decrypted data set equals the original bit for bit, the encrypted file
//! is a DICOM file with a readable header and no pixel data, and no 16-byte
//! run of any bulk value — top-level and nested pixel data (icons), private
//! OB/OW/OF/OD/OL/OV/UN values, overlays, curves, documents, waveforms —
//! appears in it (skipping runs of one repeated byte, runs the header kept
//! in the clear already holds, and the envelope, whose only contents are
//! key material, lengths and the bound attributes' values). What counts as
//! bulk is decided here, independently of the library's policy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use radguard_crypt::Error;
use radguard_crypt::dicom::{
    CIPHERTEXT_TAG, CREATOR_TAG, DecryptOptions, ENVELOPE_TAG, EncryptOptions, EncryptedFile,
    decrypt_file, encrypt_file, encryption_info,
};
use radguard_dicom::dicom::core::header::Header;
use radguard_dicom::dicom::core::value::Value;
use radguard_dicom::dicom::core::{DataElement, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;

use common::{Pixels, pixels, provider};

/// Why a file was not round-tripped.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    RoundTripped,
    /// radguard-dicom cannot read the file.
    Unreadable,
    /// Refused by encrypt_file for a documented reason.
    Refused(&'static str),
}

fn is_pixel_tag(t: Tag) -> bool {
    t == Tag(0x7FE0, 0x0010) || t == Tag(0x7FE0, 0x0008) || t == Tag(0x7FE0, 0x0009)
}

/// A cheap hasher for u128 keys (the windows are attacker-free test data).
#[derive(Default)]
struct Fold(u64);
impl Hasher for Fold {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u128(&mut self, v: u128) {
        let x = (v as u64) ^ ((v >> 64) as u64).rotate_left(29); // folding on purpose
        self.0 = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 31);
    }
}

type WindowSet = HashSet<u128, BuildHasherDefault<Fold>>;

/// Every 16-byte window of `bytes` that does not overlap `skip`.
fn windows(bytes: &[u8], skip: std::ops::Range<usize>) -> WindowSet {
    let mut set = WindowSet::default();
    set.reserve(bytes.len());
    for (i, w) in bytes.windows(16).enumerate() {
        if i + 16 > skip.start && i < skip.end {
            continue;
        }
        set.insert(u128::from_le_bytes(w.try_into().unwrap()));
    }
    set
}

/// Panics if any 16-byte run of `pixel` occurs in `file`, skipping runs of
/// one repeated byte and runs that the original header (kept in the clear
/// by design) already contains.
fn assert_no_plaintext_runs(name: &str, pixel: &[u8], in_file: &WindowSet, in_header: &WindowSet) {
    if pixel.len() < 16 {
        return;
    }
    for (i, w) in pixel.windows(16).enumerate() {
        if w.iter().all(|b| *b == w[0]) {
            continue;
        }
        let k = u128::from_le_bytes(w.try_into().unwrap());
        assert!(
            !in_file.contains(&k) || in_header.contains(&k),
            "{name}: the 16 pixel bytes at offset {i} appear in the encrypted file"
        );
    }
}

/// `true` for the elements this test treats as bulk data that must not
/// survive in the clear.
/// Private values shorter than 16 bytes cannot hold a 16-byte run and may
/// stay in the clear.
fn is_bulk(tag: Tag, vr: VR, len: usize, depth: usize) -> bool {
    let g = tag.0;
    let even = g.is_multiple_of(2);
    let pixel = is_pixel_tag(tag) && depth > 0;
    let overlay = even && g & 0xFF00 == 0x6000 && tag.1 == 0x3000;
    let curve = even && g & 0xFF00 == 0x5000 && (tag.1 == 0x3000 || tag.1 == 0x200C);
    let public =
        tag == Tag(0x0042, 0x0011) || tag == Tag(0x5400, 0x1010) || tag == Tag(0x5600, 0x0020);
    let private = g % 2 == 1
        && tag.1 >= 0x1000
        && matches!(
            vr,
            VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN
        )
        && len >= 16;
    pixel || overlay || curve || public || private
}

/// The bulk values of a data set (fragments concatenated), and the data
/// set without them.
fn split_bulk(ds: &InMemDicomObject, depth: usize, bulk: &mut Vec<Vec<u8>>) -> InMemDicomObject {
    let mut out = Vec::new();
    for e in ds.iter() {
        let len = match e.value() {
            Value::PixelSequence(s) => s.fragments().iter().map(Vec::len).sum(),
            v => v.to_bytes().map_or(0, |b| b.len()),
        };
        if is_bulk(e.tag(), e.vr(), len, depth) {
            match e.value() {
                Value::PixelSequence(s) => bulk.push(s.fragments().concat()),
                v => bulk.push(v.to_bytes().map(|b| b.into_owned()).unwrap_or_default()),
            }
            continue;
        }
        match e.value() {
            Value::Sequence(seq) => {
                let items: Vec<InMemDicomObject> = seq
                    .items()
                    .iter()
                    .map(|i| split_bulk(i, depth + 1, bulk))
                    .collect();
                out.push(DataElement::new(
                    e.tag(),
                    e.vr(),
                    Value::from(radguard_dicom::dicom::core::value::DataSetSequence::from(
                        items,
                    )),
                ));
            }
            _ => out.push(e.clone()),
        }
    }
    InMemDicomObject::from_element_iter(out)
}

fn round_trip(input: &Path, work: &Path) -> Outcome {
    let Ok(original) = radguard_dicom::open(input) else {
        return Outcome::Unreadable;
    };
    let enc = work.join("enc.dcm");
    let dec = work.join("dec.dcm");
    let _ = std::fs::remove_file(&enc);
    let _ = std::fs::remove_file(&dec);
    let p = provider();
    // Small segments so that frames span several segments.
    let opts = EncryptOptions::new().segment_size(4096);
    let info = match encrypt_file(input, &enc, &p, &opts) {
        Ok(info) => info,
        Err(Error::NoPixelData) => {
            // Nothing to protect: no pixel data, no bulk value with a 16-byte run.
            assert!(original.dataset().iter().all(|e| !is_pixel_tag(e.tag())));
            let mut bulk = Vec::new();
            split_bulk(original.dataset(), 0, &mut bulk);
            assert!(bulk.iter().all(|b| b.len() < 16), "{}", input.display());
            assert!(!enc.exists());
            return Outcome::Refused("no pixel data");
        }
        Err(Error::Unsupported { what }) => {
            assert!(!enc.exists());
            return Outcome::Refused(what);
        }
        Err(Error::Unprotectable { what, .. }) => {
            assert!(!enc.exists());
            return Outcome::Refused(what);
        }
        Err(e) => panic!("{}: encrypt failed: {e}", input.display()),
    };
    let name = input.display().to_string();

    // The encrypted file: DICOM, header readable and unchanged, no pixel
    // data, the private block present.
    let encrypted = radguard_dicom::open(&enc).unwrap_or_else(|e| panic!("{name}: {e}"));
    let ds = encrypted.dataset();
    assert!(ds.iter().all(|e| !is_pixel_tag(e.tag())), "{name}");
    for t in [CREATOR_TAG, ENVELOPE_TAG, CIPHERTEXT_TAG] {
        assert!(ds.get(t).is_some(), "{name}: {t} missing");
    }
    // The header kept in the clear: the original without its bulk data.
    let mut bulk = Vec::new();
    let mut header_in = split_bulk(original.dataset(), 0, &mut bulk);
    for t in [
        Tag(0x7FE0, 0x0010),
        Tag(0x7FE0, 0x0008),
        Tag(0x7FE0, 0x0009),
    ] {
        header_in.remove_element(t);
    }
    let mut header_out = ds.clone();
    for t in [CREATOR_TAG, ENVELOPE_TAG, CIPHERTEXT_TAG] {
        header_out.remove_element(t);
    }
    assert!(
        radguard_dicom::same_content(&header_in, &header_out),
        "{name}: header changed at {:?}",
        radguard_dicom::first_difference(&header_in, &header_out)
    );
    assert_eq!(encryption_info(&enc).unwrap().unwrap(), info);

    // No plaintext run survives.
    let before = pixels(input);
    let clear = header_in.clone().with_exact_meta(original.meta().clone());
    let clear_header = radguard_dicom::to_bytes(&clear).unwrap();
    // The envelope holds only key material and lengths (frame sizes, the
    // descriptor), whose big-endian integers can coincide with low-entropy
    // pixel data: windows overlapping it are not scanned.
    let enc_bytes = std::fs::read(&enc).unwrap();
    let envelope = ds.get(ENVELOPE_TAG).unwrap().to_bytes().unwrap();
    // (Deflated files hold it compressed: nothing to skip then.)
    let skip = enc_bytes
        .windows(envelope.len())
        .position(|w| w == &envelope[..])
        .map_or(0..0, |at| at..at + envelope.len());
    if let Some(b) = &before {
        bulk.push(b.bytes());
    }
    assert!(!bulk.is_empty(), "{name}: encrypted without bulk data");
    let in_file = windows(&enc_bytes, skip);
    let in_header = windows(&clear_header, 0..0);
    for b in &bulk {
        assert_no_plaintext_runs(&name, b, &in_file, &in_header);
    }

    // Decrypt: same data set, bit-identical pixel data.
    let info2 = decrypt_file(&enc, &dec, &p, &DecryptOptions::new())
        .unwrap_or_else(|e| panic!("{name}: decrypt failed: {e}"));
    assert_eq!(info, info2);
    let decrypted = radguard_dicom::open(&dec).unwrap();
    assert!(
        radguard_dicom::same_content(original.dataset(), decrypted.dataset()),
        "{name}: decrypted data set differs at {:?}",
        radguard_dicom::first_difference(original.dataset(), decrypted.dataset())
    );
    let (Some(before), Some(after)) = (before, pixels(&dec)) else {
        assert_eq!(info.pixel_tag, None, "{name}");
        return Outcome::RoundTripped;
    };
    match (&before, &after) {
        // Writing pads an odd native value with one zero byte.
        (Pixels::Native(a), Pixels::Native(b)) if a.len() % 2 == 1 => {
            assert_eq!(&b[..a.len()], &a[..], "{name}");
            assert_eq!(b.len(), a.len() + 1, "{name}");
        }
        _ => assert_eq!(before, after, "{name}: pixel data differs"),
    }
    assert_eq!(
        original.meta().transfer_syntax,
        decrypted.meta().transfer_syntax
    );

    // Random access: every frame read alone equals the original frame.
    let mut file = EncryptedFile::open(&enc, &p).unwrap();
    let frames = info.frames.min(8);
    for f in 0..frames {
        match (file.read_frame(f), &before) {
            (Ok(bytes), Pixels::Native(all)) => {
                let len = bytes.len();
                let start = f as usize * len;
                assert_eq!(bytes, all[start..start + len], "{name} frame {f}");
            }
            (Ok(bytes), Pixels::Encapsulated(_, frags)) => {
                if info.frames == 1 {
                    assert_eq!(bytes, frags.concat(), "{name}");
                } else if frags.len() == info.frames as usize {
                    assert_eq!(bytes, frags[f as usize], "{name} frame {f}");
                }
            }
            (Err(Error::Unsupported { .. }), _) => {}
            (Err(e), _) => panic!("{name}: frame {f}: {e}"),
        }
    }
    Outcome::RoundTripped
}

fn run(files: &[PathBuf]) -> Vec<(PathBuf, Outcome)> {
    let work = tempfile::tempdir().unwrap();
    files
        .iter()
        .map(|f| (f.clone(), round_trip(f, work.path())))
        .collect()
}

#[test]
fn bundled_samples_round_trip() {
    let files = radguard_testkit::samples();
    assert!(files.len() > 20);
    let results = run(&files);
    let done = results
        .iter()
        .filter(|(_, o)| *o == Outcome::RoundTripped)
        .count();
    for (f, o) in &results {
        eprintln!("{o:?}\t{}", f.display());
    }
    // Every sample with top-level pixel data round-trips, apart from the
    // refusals listed here (each for a documented reason).
    for (f, o) in &results {
        if let Outcome::Refused(why) = o {
            assert!(
                *why == "no pixel data" || why.contains("SOP Instance UID"),
                "{}: refused: {why}",
                f.display()
            );
        }
    }
    assert!(done >= 20, "only {done} samples round-tripped");
}

#[test]
fn corpus_round_trips() {
    let Some(corpus) = radguard_testkit::corpus() else {
        return;
    };
    let files: Vec<PathBuf> = corpus
        .iter()
        .filter(|f| f.parseable() && f.path.is_file())
        .map(|f| f.path.clone())
        .collect();
    let results = run(&files);
    let mut done = 0;
    let mut refused = Vec::new();
    let mut unreadable = 0;
    for (f, o) in &results {
        match o {
            Outcome::RoundTripped => done += 1,
            Outcome::Unreadable => unreadable += 1,
            Outcome::Refused(why) => refused.push((f, *why)),
        }
    }
    eprintln!(
        "corpus: {done} round-tripped, {} refused, {unreadable} unreadable by radguard-dicom, of {}",
        refused.len(),
        files.len()
    );
    for (f, why) in &refused {
        eprintln!("  refused {}: {why}", f.display());
        assert!(
            *why == "no pixel data" || why.contains("SOP Instance UID"),
            "{}: refused: {why}",
            f.display()
        );
    }
    assert!(
        done > files.len() / 2,
        "only {done} of {} round-tripped",
        files.len()
    );
}
