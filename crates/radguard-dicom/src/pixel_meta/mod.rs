//! Metadata that rides inside the pixel data: found and removed without
//! re-encoding.
//!
//! Compressed pixel data is a file format of its own, with room for
//! metadata DICOM never sees: a JPEG photograph keeps its Exif segment
//! (capture date, a caption with the patient's name), an encoder writes
//! the patient's name into a JPEG or JPEG 2000 comment, a JP2 or JPEG XL
//! container carries XML or UUID boxes. Native pixel data can carry an
//! overlay in the bits above High Bit (the retired "embedded overlay"),
//! and bytes after the last frame. Removing the DICOM attributes leaves
//! all of that in place.
//!
//! This module removes it, **without re-encoding**: segments, markers and
//! boxes that only carry metadata are cut out of the stream, everything
//! else is copied byte for byte, so the decoded pixels are bit-identical.
//! A stream that is not well-formed is an error (the caller refuses the
//! file): what cannot be parsed cannot be checked.
//!
//! | function | input | removes |
//! |---|---|---|
//! | [`strip_jpeg`] | JPEG (ISO 10918: baseline, extended, lossless) and JPEG-LS (ISO 14495) | COM, APPn (except APP0 `JFIF`, whose thumbnail goes, and APP14 `Adobe`), bytes after EOI |
//! | [`strip_j2k`] | JPEG 2000 and HTJ2K codestreams (and JP2 files) | COM marker segments in the main and tile-part headers (Psot and TLM adjusted); JP2 boxes other than `jP  `, `ftyp`, `jp2h` (filtered), `jp2c`; bytes after EOC |
//! | [`strip_jxl`] | JPEG XL codestream or container | container boxes other than `ftyp`, `jxll`, `jxli`, `jxlc`, `jxlp`, `jbrd` |
//! | [`strip_fragment`] | a frame, by transfer syntax | dispatches to the above; RLE and deflated frames unchanged; video refused |
//! | [`clear_unused_bits`] | native samples | bits outside the stored bits (zero, or the sign extension) |
//! | [`clean_object`] | a file in memory | all of the above, frame by frame |
//!
//! Every function works on one **frame**: the concatenated fragments of
//! one frame of encapsulated pixel data (a JPEG marker may straddle a
//! fragment boundary, so fragments are not streams on their own).
//! [`SplitFile::copy_pixel_data_clean`](crate::SplitFile::copy_pixel_data_clean)
//! groups the fragments into frames (with the Basic or Extended Offset
//! Table, or one frame per fragment when there are as many fragments as
//! frames, or all fragments when there is one frame, or else at the end of
//! each stream), strips each frame and writes it as one fragment, with a
//! new Basic Offset Table when the input had one.
//!
//! The functions are pure, never panic, and do work linear in the input
//! (one pass, a few bytes of state per segment).
//!
//! # Examples
//!
//! ```
//! use radguard_dicom::pixel_meta::strip_jpeg;
//!
//! // SOI, a comment naming the patient, a minimal frame and scan, EOI.
//! let mut jpeg = vec![0xFF, 0xD8];
//! jpeg.extend([0xFF, 0xFE, 0x00, 0x0A]);
//! jpeg.extend(b"DOE^JOHN");
//! jpeg.extend([0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
//! jpeg.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
//! jpeg.extend([0x12, 0x34, 0xFF, 0xD9]);
//!
//! let stripped = strip_jpeg(&jpeg)?;
//! assert_eq!(stripped.removed().comments, 1);
//! assert!(!stripped.data().windows(8).any(|w| w == b"DOE^JOHN"));
//! assert_eq!(stripped.data().len(), jpeg.len() - 12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - Only what decoding needs is kept: an APP0 `JFIF` header (without
//!   thumbnail, since decoders use its presence to choose the colour
//!   transform) and an APP14 `Adobe` header (cut to its 12 standard bytes,
//!   it carries the colour transform). Exif, XMP, ICC profiles, Photoshop
//!   IPTC, JFXX thumbnails and every other APPn are removed; unknown JPEG
//!   and JPEG 2000 markers are errors, never copied.
//! - A JPEG XL `jbrd` box is kept (it is what makes transfer syntax
//!   1.2.840.10008.1.2.4.111 reconstruct the original JPEG) but it may hold
//!   the original JPEG's COM and APP payloads, Brotli-compressed; they are
//!   not checked here.
//! - Bits above High Bit of RLE, JPEG or JPEG 2000 coded samples cannot be
//!   cleared without re-encoding; only native pixel data gets
//!   [`clear_unused_bits`].

mod error;
mod frames;
mod j2k;
mod jpeg;
mod jxl;
mod memory;
mod native;
mod split;

use std::borrow::Cow;

pub use error::{Error, Format, Result};
pub use j2k::strip_j2k;
pub use jpeg::strip_jpeg;
pub use jxl::strip_jxl;
pub use memory::clean_object;
pub use native::{BitsCleared, NativeDesc, NativeDescBuilder, clear_unused_bits};
pub use split::{PixelCleanReport, PixelPlan, STALE_AFTER_STRIPPING};

/// What stripping removed from a stream: counts by kind, never content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removed {
    /// Comment segments (JPEG COM, JPEG 2000 COM).
    pub comments: u64,
    /// JPEG application segments (APPn) removed whole.
    pub app_segments: u64,
    /// Segments kept but cut short: an APP0 `JFIF` without its thumbnail,
    /// an APP14 `Adobe` cut to its standard length.
    pub trimmed_segments: u64,
    /// JP2 or JPEG XL boxes removed (top level or inside `jp2h`).
    pub boxes: u64,
    /// Bytes after the end of the stream (JPEG EOI, JPEG 2000 EOC), other
    /// than a single 0x00 padding byte.
    pub trailing_bytes: u64,
    /// All bytes removed.
    pub bytes: u64,
}

impl Removed {
    /// `true` if nothing was removed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Self) {
        self.comments += other.comments;
        self.app_segments += other.app_segments;
        self.trimmed_segments += other.trimmed_segments;
        self.boxes += other.boxes;
        self.trailing_bytes += other.trailing_bytes;
        self.bytes += other.bytes;
    }
}

/// A stream with its metadata removed, and what was removed.
///
/// The data borrows the input when nothing was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped<'a> {
    data: Cow<'a, [u8]>,
    removed: Removed,
}

impl<'a> Stripped<'a> {
    fn unchanged(data: &'a [u8]) -> Self {
        Self {
            data: Cow::Borrowed(data),
            removed: Removed::default(),
        }
    }

    fn new(input: &'a [u8], data: Vec<u8>, mut removed: Removed) -> Self {
        if data == input {
            return Self::unchanged(input);
        }
        removed.bytes = (input.len() as u64).saturating_sub(data.len() as u64);
        Self {
            data: Cow::Owned(data),
            removed,
        }
    }

    /// The stream without its metadata.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The stream without its metadata, owned or borrowed from the input.
    #[must_use]
    pub fn into_data(self) -> Cow<'a, [u8]> {
        self.data
    }

    /// What was removed.
    #[must_use]
    pub fn removed(&self) -> &Removed {
        &self.removed
    }

    /// `true` if the stream is returned exactly as it came.
    #[must_use]
    pub fn is_unchanged(&self) -> bool {
        matches!(self.data, Cow::Borrowed(_))
    }
}

/// A change to the input: bytes `start..end` replaced by `with` (empty
/// for a removal).
#[derive(Debug)]
struct Edit {
    start: usize,
    end: usize,
    with: Vec<u8>,
}

impl Edit {
    fn remove(start: usize, end: usize) -> Self {
        Self {
            start,
            end,
            with: Vec::new(),
        }
    }
}

/// Applies non-overlapping `edits` to `input`.
fn apply(input: &[u8], mut edits: Vec<Edit>, removed: Removed) -> Stripped<'_> {
    if edits.is_empty() {
        return Stripped::unchanged(input);
    }
    edits.sort_by_key(|e| e.start);
    let mut out = Vec::with_capacity(input.len());
    let mut at = 0;
    for e in &edits {
        // Edits come from one forward pass and never overlap; skip any that
        // would (defensive, never reached).
        if e.start < at || e.end < e.start {
            continue;
        }
        out.extend_from_slice(input.get(at..e.start).unwrap_or_default());
        out.extend_from_slice(&e.with);
        at = e.end;
    }
    out.extend_from_slice(input.get(at..).unwrap_or_default());
    Stripped::new(input, out, removed)
}

/// Reads a big-endian `u16` at `at`.
fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

/// Reads a big-endian `u32` at `at`.
fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// Reads a big-endian `u64` at `at`.
fn be64(data: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// Bytes after the end of a stream at `end`: none, or a single 0x00
/// padding byte, stay; anything else is removed.
fn trailing(data: &[u8], end: usize, edits: &mut Vec<Edit>, removed: &mut Removed) {
    let rest = data.get(end..).unwrap_or_default();
    if !rest.is_empty() && rest != [0] {
        edits.push(Edit::remove(end, data.len()));
        removed.trailing_bytes += rest.len() as u64;
    }
}

/// How a transfer syntax encodes its frames, for stripping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    /// JPEG (ISO 10918) and JPEG-LS (ISO 14495).
    Jpeg,
    /// JPEG 2000 and HTJ2K.
    J2k,
    /// JPEG XL.
    Jxl,
    /// RLE Lossless and Deflated Image Frame Compression: no room for
    /// metadata.
    Plain,
}

/// The codec of an encapsulated transfer syntax.
pub(crate) fn codec(transfer_syntax_uid: &str) -> Result<Codec> {
    let uid = crate::text::trim_value(transfer_syntax_uid);
    let Some(rest) = uid.strip_prefix("1.2.840.10008.1.2.") else {
        return Err(Error::unsupported(uid, "not a DICOM transfer syntax"));
    };
    match rest {
        // JPEG processes (the retired ones included), JPEG lossless, JPEG-LS.
        "4.50" | "4.51" | "4.52" | "4.53" | "4.54" | "4.55" | "4.56" | "4.57" | "4.58" | "4.59"
        | "4.60" | "4.61" | "4.62" | "4.63" | "4.64" | "4.65" | "4.66" | "4.70" | "4.80"
        | "4.81" => Ok(Codec::Jpeg),
        // JPEG 2000 (Part 1 and Part 2) and HTJ2K.
        "4.90" | "4.91" | "4.92" | "4.93" | "4.201" | "4.202" | "4.203" => Ok(Codec::J2k),
        "4.110" | "4.111" | "4.112" => Ok(Codec::Jxl),
        "5" | "8.1" => Ok(Codec::Plain),
        "4.100" | "4.101" | "4.102" | "4.103" | "4.104" | "4.105" | "4.106" | "4.107" | "4.108" => {
            Err(Error::Video {
                uid: crate::ts::sanitize_uid(uid),
            })
        }
        "" | "1" | "1.99" | "2" => Err(Error::unsupported(
            uid,
            "native pixel data has no fragments to strip",
        )),
        _ => Err(Error::unsupported(
            uid,
            "not an encapsulated transfer syntax whose pixel stream radguard can check",
        )),
    }
}

/// Removes the metadata from one frame of encapsulated pixel data,
/// choosing the stream format by transfer syntax.
///
/// | transfer syntax | handled by |
/// |---|---|
/// | JPEG 1.2.840.10008.1.2.4.50, .51, .57, .70 (and the retired .52–.66), JPEG-LS .80, .81 | [`strip_jpeg`] |
/// | JPEG 2000 .90–.93, HTJ2K .201–.203 | [`strip_j2k`] |
/// | JPEG XL .110–.112 | [`strip_jxl`] |
/// | RLE Lossless 1.2.840.10008.1.2.5, Deflated Image Frame Compression 1.2.840.10008.1.2.8.1 | unchanged: no room for metadata |
/// | MPEG-2, MPEG-4, HEVC .100–.108 | [`Error::Video`] |
///
/// `frame` is one whole frame: the concatenated fragments of that frame.
///
/// # Errors
///
/// [`Error::Video`] for video transfer syntaxes; [`Error::Unsupported`] for
/// native, referenced (JPIP) and unknown transfer syntaxes; the errors of
/// the format's function.
///
/// # Examples
///
/// ```
/// use radguard_dicom::pixel_meta::{Error, strip_fragment};
///
/// let rle = [0u8; 64];
/// assert!(strip_fragment("1.2.840.10008.1.2.5", &rle)?.is_unchanged());
/// assert!(matches!(
///     strip_fragment("1.2.840.10008.1.2.4.102", &rle),
///     Err(Error::Video { .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn strip_fragment<'a>(transfer_syntax_uid: &str, frame: &'a [u8]) -> Result<Stripped<'a>> {
    match codec(transfer_syntax_uid)? {
        Codec::Jpeg => strip_jpeg(frame),
        Codec::J2k => strip_j2k(frame),
        Codec::Jxl => strip_jxl(frame),
        Codec::Plain => Ok(Stripped::unchanged(frame)),
    }
}

/// Entry points for the fuzz targets. **Not** part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    use super::{NativeDesc, clear_unused_bits, strip_j2k, strip_jpeg, strip_jxl};

    /// Strips `data` as the format its first byte selects (JPEG, JPEG 2000,
    /// JPEG XL) or clears unused bits of native samples, and panics if a
    /// property does not hold: the output is never longer than the input;
    /// stripping it again changes nothing; a stripped JPEG still starts
    /// with SOI and ends with EOI (plus at most one padding byte), a
    /// stripped JPEG 2000 codestream with SOC and EOC; cleared samples keep
    /// their values, and clearing again changes nothing.
    ///
    /// # Panics
    ///
    /// When a property does not hold (that is the point).
    pub fn check(data: &[u8]) {
        let Some((&selector, rest)) = data.split_first() else {
            return;
        };
        let strip: fn(&[u8]) -> super::Result<super::Stripped<'_>> = match selector % 4 {
            0 => strip_jpeg,
            1 => strip_j2k,
            2 => strip_jxl,
            _ => return check_native(rest),
        };
        let Ok(out) = strip(rest) else {
            return;
        };
        let bytes = out.data();
        assert!(bytes.len() <= rest.len(), "output longer than input");
        assert_eq!(
            out.removed().bytes,
            (rest.len() - bytes.len()) as u64,
            "byte count"
        );
        let again = strip(bytes).expect("stripped output must strip again");
        assert!(again.is_unchanged(), "stripping is not idempotent");
        let body = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        match selector % 4 {
            0 => {
                assert!(bytes.starts_with(&[0xFF, 0xD8]), "no SOI");
                assert!(body.ends_with(&[0xFF, 0xD9]), "no EOI");
            }
            1 if bytes.starts_with(&[0xFF, 0x4F]) => {
                assert!(body.ends_with(&[0xFF, 0xD9]), "no EOC");
            }
            _ => {}
        }
    }

    fn check_native(data: &[u8]) {
        let Some((head, samples)) = data.split_first_chunk::<4>() else {
            return;
        };
        let [ba, bs, hb, flags] = *head;
        let bits_allocated = [8u16, 16, 32][usize::from(ba % 3)];
        let Ok(desc) = NativeDesc::builder(1, 1)
            .bits(bits_allocated, u16::from(bs), u16::from(hb))
            .signed(flags & 1 == 1)
            .big_endian(flags & 2 == 2)
            .build()
        else {
            return;
        };
        let mut buf = samples.to_vec();
        let before: Vec<i64> = desc.values(&buf).collect();
        clear_unused_bits(&mut buf, &desc);
        let after: Vec<i64> = desc.values(&buf).collect();
        assert_eq!(before, after, "clearing changed a sample value");
        let mut again = buf.clone();
        assert_eq!(clear_unused_bits(&mut again, &desc).samples_changed, 0);
        assert_eq!(again, buf, "clearing is not idempotent");
    }
}
