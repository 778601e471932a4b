//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

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
