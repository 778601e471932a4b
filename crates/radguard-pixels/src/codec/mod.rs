//! Transfer syntaxes: which can be decoded and encoded in this build, and
//! the per-frame codecs.

mod j2k;
mod jpeg;
mod jpegls;
mod markers;
mod rle;

use crate::error::{Error, Result, sanitize_uid};
use crate::frame::{FrameBuf, FrameDesc};

pub(crate) use markers::{j2k_irreversible, jpegls_near};

/// The multiple component transform flag of a JPEG 2000 stream's COD.
pub(crate) fn j2k_mct(data: &[u8]) -> Option<bool> {
    markers::j2k_coding(data).map(|(mct, _)| mct)
}

/// How a transfer syntax stores pixel data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Native (uncompressed) samples.
    Native,
    /// RLE Lossless (PS3.5 Annex G).
    Rle,
    /// JPEG (ISO 10918-1): baseline, extended, lossless.
    Jpeg,
    /// JPEG-LS (ISO 14495-1).
    JpegLs,
    /// JPEG 2000 and High-Throughput JPEG 2000 (ISO 15444).
    Jpeg2000,
    /// JPEG XL (ISO 18181).
    JpegXl,
    /// Deflated Image Frame Compression.
    DeflatedFrames,
    /// MPEG-2, MPEG-4, HEVC video.
    Video,
    /// Anything else (JPIP referenced, unknown).
    Other,
}

/// Whether a transfer syntax loses information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lossiness {
    /// Always lossless.
    Lossless,
    /// Always lossy (JPEG baseline and extended).
    Lossy,
    /// Either, depending on the stream (JPEG-LS near-lossless with NEAR
    /// 0, JPEG 2000 with a reversible wavelet...).
    Either,
}

/// What this build can do with a transfer syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Support {
    /// The transfer syntax UID.
    pub uid: &'static str,
    /// Its name.
    pub name: &'static str,
    /// How it stores pixel data.
    pub compression: Compression,
    /// Whether it loses information.
    pub lossiness: Lossiness,
    /// `true` if this build decodes its frames.
    pub decode: bool,
    /// `true` if this build encodes frames in it (losslessly).
    pub encode: bool,
}

macro_rules! ts_table {
    ($( $uid:literal, $name:literal, $comp:ident, $loss:ident, $dec:expr, $enc:expr; )*) => {
        /// Every transfer syntax this crate knows, with what this build
        /// can do with it.
        pub const TRANSFER_SYNTAXES: &[Support] = &[
            $( Support { uid: $uid, name: $name, compression: Compression::$comp,
                lossiness: Lossiness::$loss, decode: $dec, encode: $enc }, )*
        ];
    };
}

const JPEG: bool = cfg!(feature = "jpeg");
const J2K: bool = cfg!(feature = "j2k");
const JLS: bool = cfg!(feature = "jpegls");

ts_table! {
    "1.2.840.10008.1.2", "Implicit VR Little Endian", Native, Lossless, true, true;
    "1.2.840.10008.1.2.1", "Explicit VR Little Endian", Native, Lossless, true, true;
    "1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", Native, Lossless, true, true;
    "1.2.840.10008.1.2.2", "Explicit VR Big Endian", Native, Lossless, true, true;
    "1.2.840.10008.1.2.5", "RLE Lossless", Rle, Lossless, true, true;
    "1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", Jpeg, Lossy, JPEG, false;
    "1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", Jpeg, Lossy, JPEG, false;
    "1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", Jpeg, Lossless, JPEG, false;
    "1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)", Jpeg, Lossless, JPEG, false;
    "1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", JpegLs, Lossless, JLS, JLS;
    "1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless)", JpegLs, Either, JLS, false;
    "1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", Jpeg2000, Lossless, J2K, false;
    "1.2.840.10008.1.2.4.91", "JPEG 2000", Jpeg2000, Either, J2K, false;
    "1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component (Lossless Only)", Jpeg2000, Lossless, J2K, false;
    "1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component", Jpeg2000, Either, J2K, false;
    "1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)", Jpeg2000, Lossless, J2K, false;
    "1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)", Jpeg2000, Lossless, J2K, false;
    "1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", Jpeg2000, Either, J2K, false;
    "1.2.840.10008.1.2.4.110", "JPEG XL Lossless", JpegXl, Lossless, false, false;
    "1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression", JpegXl, Lossy, false, false;
    "1.2.840.10008.1.2.4.112", "JPEG XL", JpegXl, Either, false, false;
    "1.2.840.10008.1.2.8.1", "Deflated Image Frame Compression", DeflatedFrames, Lossless, false, false;
}

/// Explicit VR Little Endian: the native transfer syntax outputs fall
/// back to.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// RLE Lossless.
pub const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
/// JPEG-LS Lossless.
pub const JPEG_LS_LOSSLESS: &str = "1.2.840.10008.1.2.4.80";

/// What this build can do with transfer syntax `uid` (padding ignored);
/// `None` for a UID this crate does not know.
///
/// # Examples
///
/// ```
/// use radguard_pixels::{support, Compression};
///
/// let rle = support("1.2.840.10008.1.2.5\0").unwrap();
/// assert_eq!(rle.compression, Compression::Rle);
/// assert!(rle.decode && rle.encode);
/// assert!(support("1.2.840.10008.1.2.4.100").is_none()); // MPEG-2: not handled
/// ```
#[must_use]
pub fn support(uid: &str) -> Option<Support> {
    let uid = radguard_dicom::text::trim_value(uid);
    TRANSFER_SYNTAXES.iter().find(|s| s.uid == uid).copied()
}

/// The support entry of `uid`, or the error that says why its pixels
/// cannot be decoded.
pub(crate) fn decodable(uid: &str) -> Result<Support> {
    let Some(s) = support(uid) else {
        let clean = sanitize_uid(uid);
        let video = clean.starts_with("1.2.840.10008.1.2.4.10");
        return Err(Error::UnsupportedTransferSyntax {
            uid: clean,
            why: if video {
                "video is not decoded"
            } else {
                "not a transfer syntax radguard decodes"
            },
        });
    };
    if s.decode {
        return Ok(s);
    }
    let (codec, hint) = match s.compression {
        Compression::Jpeg => ("JPEG", Some("enable the `jpeg` feature of radguard-pixels")),
        Compression::JpegLs => (
            "JPEG-LS",
            Some("enable the `jpegls` feature of radguard-pixels (CharLS, built with cmake)"),
        ),
        Compression::Jpeg2000 => (
            "JPEG 2000",
            Some("enable the `j2k` feature of radguard-pixels"),
        ),
        Compression::JpegXl => ("JPEG XL", None),
        Compression::DeflatedFrames => ("Deflated Image Frame Compression", None),
        _ => ("pixel", None),
    };
    Err(Error::NoDecoder {
        codec,
        uid: s.uid.to_owned(),
        hint,
    })
}

/// Decodes one frame of encapsulated pixel data in transfer syntax
/// `uid`, described by `desc` (the header's Image Pixel attributes).
///
/// The result's description says what the bytes really are: decoders
/// deliver colour pixel by pixel (Planar Configuration 0, except RLE,
/// whose segments are planes: plane by plane), JPEG with YBR_FULL_422 or
/// YBR_FULL and JPEG 2000 with a colour transform deliver RGB; samples
/// keep Bits Allocated/Stored and Pixel Representation.
///
/// # Errors
///
/// [`Error::NoDecoder`] if this build has no decoder for `uid`;
/// [`Error::UnsupportedTransferSyntax`] for native, video and unknown
/// transfer syntaxes; [`Error::Decode`] if the stream is malformed or does
/// not match `desc` (size, components, precision).
pub fn decode_frame(uid: &str, desc: &FrameDesc, frame: u32, data: &[u8]) -> Result<FrameBuf> {
    desc.check()?;
    let s = decodable(uid)?;
    match s.compression {
        Compression::Rle => rle::decode(desc, frame, data),
        Compression::Jpeg => jpeg::decode(desc, frame, data),
        Compression::JpegLs => jpegls::decode(desc, frame, data),
        Compression::Jpeg2000 => j2k::decode(desc, frame, data),
        _ => Err(Error::UnsupportedTransferSyntax {
            uid: s.uid.to_owned(),
            why: "native pixel data has no frames to decode; read its bytes",
        }),
    }
}

/// Encodes one frame, losslessly, in transfer syntax `uid`: RLE Lossless,
/// or JPEG-LS Lossless with the `jpegls` feature.
///
/// # Errors
///
/// [`Error::Encode`] if `uid` has no lossless encoder in this build or
/// the frame cannot be represented in it (RLE: at most 15 segments).
pub fn encode_frame(uid: &str, frame: &FrameBuf, index: u32) -> Result<Vec<u8>> {
    match radguard_dicom::text::trim_value(uid) {
        RLE_LOSSLESS => rle::encode(frame, index),
        JPEG_LS_LOSSLESS => jpegls::encode(frame, index),
        _ => Err(Error::encode(
            index,
            "pixel",
            "no lossless encoder for this transfer syntax",
        )),
    }
}

/// `true` if [`encode_frame`] can encode frames of `desc` in `uid`.
pub(crate) fn can_encode(uid: &str, desc: &FrameDesc) -> bool {
    match uid {
        RLE_LOSSLESS => rle::can_encode(desc),
        JPEG_LS_LOSSLESS => jpegls::can_encode(desc),
        _ => false,
    }
}

/// A decoder's output as the frame `desc` describes (pixel by pixel
/// unless `planar`): its 8-bit samples, or its native endian 16-bit ones
/// (`wide`), widened or converted to little endian Bits Allocated samples.
#[cfg_attr(not(any(feature = "jpeg", feature = "jpegls")), allow(dead_code))]
fn frame_from_decoder(
    desc: FrameDesc,
    pixels: Vec<u8>,
    wide: bool,
    frame: u32,
    codec: &'static str,
) -> Result<FrameBuf> {
    let out = match (desc.bits_allocated(), wide) {
        (8, false) => pixels,
        (16, false) => pixels
            .iter()
            .flat_map(|b| u16::from(*b).to_le_bytes())
            .collect(),
        (16, true) => pixels
            .as_chunks::<2>()
            .0
            .iter()
            .flat_map(|c| u16::from_ne_bytes(*c).to_le_bytes())
            .collect(),
        _ => {
            return Err(Error::decode(
                frame,
                codec,
                "sample precision does not fit Bits Allocated",
            ));
        }
    };
    if out.len() as u64 != desc.frame_len() {
        return Err(Error::decode(
            frame,
            codec,
            "decoded size differs from the header",
        ));
    }
    FrameBuf::new(desc, out)
}
