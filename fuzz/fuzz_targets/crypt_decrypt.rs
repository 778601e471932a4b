//! Decrypt arbitrary bytes as an encrypted DICOM file. Properties: no
//! panic; on failure nothing at all is written (no output file, no
//! temporary file); on success the restored pixel data is exactly what the
//! seeds encrypted (byte `i` is `fuzz_pattern(i)`), so no forgery ever
//! yields plaintext. Seeds of formats v1 (`seed-v1-*`) and v2 (with an
//! overlay, a private blob and an icon image among the protected elements).
//!
//! The seeds (`fuzz/seeds/crypt_decrypt`) are encrypted under the fixed
//! fuzz key below; regenerate them with
//! `RADGUARD_WRITE_FUZZ_SEEDS=1 cargo test -p radguard-crypt --test fuzz_seeds -- --ignored`.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::{Corpus, fuzz_target};
use radguard_core::{KeyId, SecretKey};
use radguard_crypt::StaticKey;
use radguard_crypt::dicom::{DecryptOptions, decrypt_file};

/// The pixel bytes every seed encrypted (keep in sync with
/// `crates/radguard-crypt/tests/fuzz_seeds.rs`).
fn fuzz_pattern(i: usize) -> u8 {
    ((i * 31 + 7) % 251) as u8
}

struct Ctx {
    _dir: tempfile::TempDir,
    input: PathBuf,
    out_dir: PathBuf,
    provider: StaticKey,
}

fn ctx() -> &'static Ctx {
    static CTX: OnceLock<Ctx> = OnceLock::new();
    CTX.get_or_init(|| {
        let base = std::path::Path::new("/dev/shm");
        let dir = if base.is_dir() {
            tempfile::tempdir_in(base)
        } else {
            tempfile::tempdir()
        }
        .expect("temporary folder");
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).expect("output folder");
        Ctx {
            input: dir.path().join("input.dcm"),
            out_dir,
            provider: StaticKey::new(
                KeyId::new("fuzz-kek").expect("key id"),
                SecretKey::from_bytes([0x5A; 32]),
            ),
            _dir: dir,
        }
    })
}

fn pixel_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut split = radguard_dicom::open_split(path).expect("decrypted output re-opens");
    // Every seed has top-level pixel data; a forgery cannot decrypt at all.
    let Some(px) = split.pixel_data().cloned() else {
        return Vec::new();
    };
    match px.layout() {
        radguard_dicom::PixelLayout::Native { len } => {
            let mut b = vec![0u8; *len as usize];
            split.read_native_at(0, &mut b).expect("read pixel data");
            b
        }
        radguard_dicom::PixelLayout::Encapsulated { fragment_lens, .. } => {
            let mut all = Vec::new();
            for i in 0..fragment_lens.len() {
                let mut b = Vec::new();
                split.read_fragment(i, &mut b).expect("read fragment");
                all.extend(b);
            }
            all
        }
        _ => Vec::new(),
    }
}

fuzz_target!(|data: &[u8]| -> Corpus {
    let c = ctx();
    std::fs::write(&c.input, data).expect("write input");
    let out = c.out_dir.join("out.dcm");
    let r = decrypt_file(&c.input, &out, &c.provider, &DecryptOptions::new());
    let left: Vec<_> = std::fs::read_dir(&c.out_dir)
        .expect("list output folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    match r {
        Err(_) => {
            assert!(left.is_empty(), "failed decryption left {left:?}");
            Corpus::Keep
        }
        Ok(_) => {
            let pixels = pixel_bytes(&out);
            for (i, b) in pixels.iter().enumerate() {
                assert_eq!(*b, fuzz_pattern(i), "decrypted byte {i} is not what was encrypted");
            }
            std::fs::remove_file(&out).expect("remove output");
            Corpus::Keep
        }
    }
});
