//! Burned-in text removal for DICOM pixel data (PS3.15 E.3.1, the Clean
//! Pixel Data Option): decode frame by frame, blank rectangles, re-encode
//! without losing quality silently, in bounded memory.
//!
//! This crate is the pixel layer of radguard's pixel cleaning. Finding
//! *where* the text is (device rules, ultrasound regions, OCR) happens
//! elsewhere and produces [`geometry::Rect`]s in a
//! [`geometry::RegionPlan`]; this crate makes those pixels black, and
//! nothing else changes.
//!
//! - **Files** ([`CleanPlan`], [`clean_file`]): a file opened with
//!   [`radguard_dicom::open_split`] is cleaned while it is written, one
//!   frame in memory at a time (a 1,000-frame 640 × 480 RGB cine takes a
//!   few MiB of heap). The plan says which header attributes change
//!   ([`HeaderChange`]) before anything is written.
//! - **Frames** ([`FrameBuf::blank`]): a vendor that already decoded a
//!   frame describes it ([`FrameDesc`]) and blanks it, no DICOM file
//!   needed. [`decode_frame`] and [`encode_frame`] are the codecs, one
//!   frame at a time.
//! - **Text detection input** ([`for_each_frame`], [`FrameBuf::to_gray8`]):
//!   every frame decoded in turn, rendered to 8-bit grayscale (Modality
//!   LUT, window, MONOCHROME1 inverted, colour to luma, palettes applied).
//!
//! # Transfer syntaxes
//!
//! | input | decoded by | frames with a rectangle become | lossy? |
//! |---|---|---|---|
//! | Implicit/Explicit VR Little Endian, Deflated, Explicit VR Big Endian | (native) | the same, blanked in place | no |
//! | RLE Lossless | this crate (PS3.5 Annex G framing; PackBits from `tiff`) | RLE, re-encoded; other frames copied byte for byte | no |
//! | JPEG-LS Lossless (feature `jpegls`) | CharLS | JPEG-LS Lossless; other frames copied | no |
//! | JPEG Lossless (process 14, SV1) | `jpeg-decoder` (feature `jpeg`) | RLE Lossless, all frames | no |
//! | JPEG Baseline, Extended (8-bit) | `jpeg-decoder` (feature `jpeg`) | RLE Lossless, all frames, RGB | stays "01" |
//! | JPEG-LS Near-Lossless (feature `jpegls`) | CharLS | RLE Lossless, all frames | stays "01" if NEAR > 0 |
//! | JPEG 2000, HTJ2K (feature `j2k`) | OpenJPEG's Rust port (`jpeg2k`/`openjp2`) | RLE Lossless, all frames | stays "01" if irreversible |
//! | 12-bit JPEG (process 4), JPEG XL, Deflated Image Frame Compression, video | — | refused: [`Error::NoDecoder`] / [`Error::UnsupportedTransferSyntax`] | |
//!
//! RLE is the fallback ([`Fallback`]; or native Explicit VR Little Endian)
//! because every DICOM toolkit reads it without extra codecs and it is
//! compact on blanked banners and dark ultrasound frames. JPEG baseline is
//! not redacted block by block (as PixelMed does): no maintained Rust
//! crate gives access to the quantized DCT coefficients (`jpeg-decoder`,
//! `zune-jpeg` and `jpeg-encoder` do not; libjpeg's `jpeg_read_coefficients`
//! is reachable only through C bindings and `unsafe` code), so lossy frames
//! are stored losslessly as decoded instead, and never compressed lossily
//! a second time.
//!
//! Default features: `jpeg` and `j2k` (pure Rust). `jpegls` builds CharLS
//! (C++) from source with cmake; `serde` serializes the geometry.
//!
//! # Examples
//!
//! Blank a banner in a frame a vendor decoded itself:
//!
//! ```
//! use radguard_pixels::{FrameBuf, FrameDesc, Photometric, geometry::Rect};
//!
//! let desc = FrameDesc::new(480, 640, Photometric::Monochrome2).bits(16, 12, 11);
//! let mut frame = FrameBuf::new(desc, vec![0x10; 480 * 640 * 2])?;
//! let done = frame.blank(&[Rect::new(0, 0, 640, 40)])?;
//! assert_eq!(done.pixels, 640 * 40);
//! assert_eq!(frame.sample(5, 5, 0), 0);
//! assert_eq!(frame.sample(5, 45, 0), 0x1010 & 0x0FFF);
//! # Ok::<(), radguard_pixels::Error>(())
//! ```
//!
//! Clean a file while writing it, with the header changes applied:
//!
//! ```no_run
//! use radguard_dicom::{DicomWriter, WriteOptions, open_split};
//! use radguard_pixels::{CleanOptions, CleanPlan, geometry::{Rect, RegionPlan}};
//!
//! let mut split = open_split("us.dcm")?;
//! let regions = RegionPlan::all_frames([Rect::new(0, 0, u32::MAX, 48)]);
//! let plan = CleanPlan::new(&mut split, &regions, &CleanOptions::new())?;
//! let mut meta = split.header().meta().clone();
//! let mut header = split.header().dataset().clone();
//! plan.apply(&mut header, &mut meta);
//! let px = split.pixel_data().map(|p| p.tag());
//! let mut w = DicomWriter::create("clean.dcm".as_ref(), &meta, &WriteOptions::new())?;
//! w.write_elements(header.iter().filter(|e| px.is_none_or(|t| e.header().tag < t)))?;
//! let report = plan.write_pixels(&mut split, &mut w)?;
//! w.write_elements(header.iter().filter(|e| px.is_some_and(|t| e.header().tag > t)))?;
//! w.commit()?;
//! println!("{} of {} frames blanked, now {}", report.frames_blanked, report.frames, report.output_transfer_syntax);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - Fail closed: a frame that must be decoded and cannot be (no decoder
//!   in this build, a malformed stream, a stream whose size or components
//!   differ from the header) is an error naming what is missing, never a
//!   pass-through. Frames *without* a rectangle are copied as they came
//!   (their metadata stripped by radguard-dicom) when the transfer
//!   syntax stays.
//! - Pixels outside the rectangles are the decoded input's, bit for bit;
//!   the property tests and an independent pydicom check hold this.
//! - Sizes are checked against the header before any decoder allocates
//!   (JPEG and JPEG 2000 headers, RLE's 64:1 PackBits bound); a frame is at
//!   most [`MAX_FRAME_LEN`] bytes.
//! - Blanking changes pixels only: Icon Image Sequences, overlays and
//!   other places text may hide are the caller's to handle.

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

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
