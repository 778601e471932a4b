//! Round trips over the bundled samples and the shared corpus: the
//! decrypted data set equals the original, the pixel data is bit-identical,
//! the encrypted file is a DICOM file with a readable header and no pixel
//! data, and no 16-byte run of the original pixel data appears in it
//! (skipping runs of one repeated byte, runs the original header already
//! holds in the clear, and the envelope, whose only contents are key
//! material and lengths).
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
use radguard_dicom::dicom::core::Tag;
use radguard_dicom::dicom::core::header::Header;

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
fn assert_no_plaintext_runs(
    name: &str,
    pixel: &[u8],
    file: &[u8],
    skip: std::ops::Range<usize>,
    clear_header: &[u8],
) {
    if pixel.len() < 16 || file.len() < 16 {
        return;
    }
    let in_file = windows(file, skip);
    let in_header = windows(clear_header, 0..0);
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
            assert!(original.dataset().iter().all(|e| !is_pixel_tag(e.tag())));
            assert!(!enc.exists());
            return Outcome::Refused("no pixel data");
        }
        Err(Error::Unsupported { what }) => {
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
    let mut header_in = original.dataset().clone();
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
    let before = pixels(input).unwrap();
    let mut clear = original.object().clone();
    for t in [
        Tag(0x7FE0, 0x0010),
        Tag(0x7FE0, 0x0008),
        Tag(0x7FE0, 0x0009),
    ] {
        clear.remove_element(t);
    }
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
    assert_no_plaintext_runs(&name, &before.bytes(), &enc_bytes, skip, &clear_header);

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
    let after = pixels(&dec).unwrap();
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
                *why == "no pixel data"
                    || why.contains("nested in a sequence")
                    || why.contains("SOP Instance UID"),
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
            *why == "no pixel data"
                || why.contains("nested in a sequence")
                || why.contains("SOP Instance UID"),
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
