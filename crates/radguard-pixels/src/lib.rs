//! Burned-in text removal for DICOM pixel data (PS3.15 E.3.1, the Clean
//! Pixel Data Option): decode, blank rectangles, re-encode, in bounded
//! memory, never losing quality silently.
//!
//! This crate is the pixel layer of radguard's pixel cleaning. Finding
//! *where* the text is (device rules, ultrasound regions, OCR) happens
//! elsewhere and produces [`geometry::Rect`]s in a [`geometry::RegionPlan`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clean;
mod codec;
mod error;
mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod geometry;
mod source;

pub use clean::{
    CleanOptions, CleanPlan, Fallback, HeaderChange, PixelReport, apply_changes, clean_file,
};
pub use source::for_each_frame;

pub use codec::{
    Compression, EXPLICIT_VR_LITTLE_ENDIAN, JPEG_LS_LOSSLESS, Lossiness, RLE_LOSSLESS, Support,
    TRANSFER_SYNTAXES, decode_frame, encode_frame, support,
};
pub use error::{Error, Result};
pub use frame::{BlankReport, FrameBuf, FrameDesc, MAX_FRAME_LEN, Palette, Photometric};
