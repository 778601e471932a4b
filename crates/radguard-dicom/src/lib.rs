//! Safe DICOM file I/O for untrusted input, on top of [dicom-rs].
//!
//! `radguard-dicom` is the one crate of radguard that reads and writes DICOM
//! files. It exists because DICOM files arrive from outside (modalities,
//! other hospitals, patients' CDs, the internet) and must be read as hostile
//! input, and because the other radguard crates need the same few things
//! done right once:
//!
//! - **Safe open** ([`open`], [`from_bytes`], [`ReadOptions`]): radguard's
//!   own structural parser checks every declared length against the bytes
//!   really present *before* anything is allocated, limits sequence depth,
//!   element count and memory ([`Limits`]), reads files with and without
//!   preamble and file meta, and reports what it had to tolerate as
//!   [`Finding`]s. Each value is then decoded by dicom-rs from exactly its
//!   own bytes, so the result is an ordinary dicom-rs
//!   [`FileDicomObject`](dicom_object::FileDicomObject). Errors name the
//!   tag and byte offset.
//! - **Header/pixel split** ([`open_split`], [`SplitFile`]): the header is
//!   read into memory, the top-level pixel data stays on disk and is read as
//!   a stream or at random offsets, so memory does not grow with the pixel
//!   data.
//! - **Atomic writes** ([`DicomWriter`], [`write_file`]): a temporary file
//!   in the target folder, `fsync`, rename; nothing half-written ever
//!   appears under the final name, an existing file is never replaced unless
//!   asked, and the preamble is always zeroed.
//! - **Path-aware walks** ([`walk`], [`visit_datasets_mut`]) that say where
//!   in the nesting each element is ([`AttrPath`](radguard_core::AttrPath)),
//!   and a visitor that carries state down into the sequences it chooses
//!   ([`visit_datasets_with`]).
//! - **One DICOM vocabulary** for every radguard crate: named tags, pixel
//!   data tags and `Tag`↔`AttrTag` ([`tags`]); the padding rules, values as
//!   text, private creators and VR syntax ([`text`]); UID syntax and the
//!   standard's well-known UIDs ([`uid`]).
//! - **A PHI-free summary** ([`summarize`], [`Summary`]) in bounded memory.
//! - **No metadata inside the pixel data** ([`pixel_meta`],
//!   [`SplitFile::copy_pixel_data_clean`]): JPEG, JPEG-LS, JPEG 2000 and
//!   JPEG XL streams lose their comments and application segments or boxes
//!   without re-encoding; native samples lose the bits outside the stored
//!   bits, where embedded overlays lived.
//!
//! # Examples
//!
//! ```
//! use radguard_dicom::{from_bytes, to_bytes, Error};
//!
//! // A forged length is an error naming the element and offset, not a 4 GB allocation.
//! let mut bytes = to_bytes(&sample()?)?;
//! let n = bytes.len();
//! bytes[n - 8..n - 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes()); // Pixel Data length
//! match from_bytes(&bytes) {
//!     Err(Error::Truncated { tag, declared, .. }) => {
//!         assert_eq!(tag.to_string(), "(7FE0,0010)");
//!         assert_eq!(declared, 0xFFFF_FFF0);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! # fn sample() -> Result<dicom_object::FileDicomObject<dicom_object::InMemDicomObject>, Box<dyn std::error::Error>> {
//! #     use dicom_core::{DataElement, VR, PrimitiveValue};
//! #     use dicom_object::{InMemDicomObject, meta::FileMetaTableBuilder};
//! #     let obj = InMemDicomObject::from_element_iter([
//! #         DataElement::new(dicom_core::Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
//! #         DataElement::new(dicom_core::Tag(0x0008, 0x0018), VR::UI, "2.25.1"),
//! #         DataElement::new(dicom_core::Tag(0x7FE0, 0x0010), VR::OB, PrimitiveValue::from(vec![0u8; 4])),
//! #     ]);
//! #     Ok(obj.with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))?)
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - Never trusted: declared lengths, nesting, element counts, transfer
//!   syntax UIDs. Unknown transfer syntaxes and data set encodings radguard
//!   cannot read are errors, never a guess (files *without* a transfer
//!   syntax are inferred and the inference is reported).
//! - The 128-byte preamble of the input is never copied: output files get
//!   128 zero bytes (PS3.10 §7.5 dual-format files can carry executables).
//! - What dicom-rs does not model in the file meta group (e.g. Source
//!   Presentation Address) is dropped, and reported as a finding.
//! - Run services that read untrusted files under an OS memory limit as
//!   well: limits bound radguard's parser, not every allocation a caller
//!   makes afterwards.
//!
//! [dicom-rs]: https://github.com/Enet4/dicom-rs

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod file;
mod info;
mod limits;
mod parse;
pub mod pixel_meta;
mod source;
mod summary;
pub mod tags;
pub mod text;
mod ts;
pub mod uid;
mod walk;
mod write;

pub use error::{Error, Result};
pub use file::{
    DicomFile, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, PixelData, PixelLayout,
    PixelReader, ReadOptions, SplitFile, from_bytes, open, open_split, summarize,
};
pub use info::{FileInfo, Finding, FindingKind, Preamble};
pub use limits::Limits;
pub use summary::{NamedUid, PixelSummary, Summary};
pub use walk::{
    Descend, first_difference, same_content, visit_datasets_mut, visit_datasets_with, walk,
};
pub use write::{
    DicomWriter, PendingFile, PositionedValue, WriteOptions, commit_all, to_bytes, write_file,
};

/// Re-exports of the dicom-rs crates whose types appear in this crate's API,
/// so callers use the same versions.
pub mod dicom {
    pub use dicom_core as core;
    pub use dicom_dictionary_std as dictionary_std;
    pub use dicom_object as object;
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
