//! JPEG-LS (ISO 14495-1) through CharLS, behind the `jpegls` feature.

use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameDesc};

#[cfg(feature = "jpegls")]
const CODEC: &str = "JPEG-LS";

#[cfg(feature = "jpegls")]
pub(crate) fn decode(desc: &FrameDesc, frame: u32, data: &[u8]) -> Result<FrameBuf> {
    let bad = |what: &dyn std::fmt::Display| Error::decode(frame, CODEC, what);
    // One CharLS decoder per call: a decoder that has read a header
    // cannot be given a new source.
    let info = charls::CharLS::default()
        .get_frame_info(data)
        .map_err(|e| bad(&e))?;
    if info.width != desc.columns() || info.height != desc.rows() {
        return Err(bad(&"image size differs from Rows and Columns"));
    }
    if i64::from(info.component_count) != i64::from(desc.samples_per_pixel()) {
        return Err(bad(&"component count differs from Samples per Pixel"));
    }
    let bits = u16::try_from(info.bits_per_sample).map_err(|_| bad(&"bad sample precision"))?;
    if bits < 2 || bits > desc.bits_allocated() {
        return Err(bad(&"sample precision does not fit Bits Allocated"));
    }
    let (ns, _, _) = super::markers::jpegls_scan(data).ok_or_else(|| bad(&"no scan header"))?;
    // One component per scan (ILV none): CharLS delivers plane by plane.
    let planar = desc.samples_per_pixel() > 1 && ns == 1;
    let pixels = charls::CharLS::default()
        .decode(data)
        .map_err(|e| bad(&e))?;
    let out_desc = desc.with_layout(desc.photometric(), planar);
    super::frame_from_decoder(out_desc, pixels, bits > 8, frame, CODEC)
}

#[cfg(feature = "jpegls")]
pub(crate) fn can_encode(desc: &FrameDesc) -> bool {
    matches!(desc.bits_allocated(), 8 | 16)
        && desc.bits_stored() >= 2
        && desc.high_bit() + 1 == desc.bits_stored()
        && desc.photometric() != crate::frame::Photometric::YbrFull422
}

#[cfg(feature = "jpegls")]
pub(crate) fn encode(frame: &FrameBuf, index: u32) -> Result<Vec<u8>> {
    let d = frame.desc();
    if !can_encode(d) {
        return Err(Error::encode(index, CODEC, "samples CharLS cannot take"));
    }
    let frame = frame.clone().to_planar(false);
    let bad = |e: &dyn std::fmt::Display| Error::encode(index, CODEC, e);
    // Samples as CharLS wants them: Bits Stored wide, unsigned view of the
    // two's complement value (what a decoder returns), native endian.
    let src: Vec<u8> = if d.bits_allocated() == 8 {
        let mask = u8::MAX >> (8 - d.bits_stored());
        frame.data().iter().map(|b| b & mask).collect()
    } else {
        let mask = u16::MAX >> (16 - d.bits_stored());
        frame
            .data()
            .as_chunks::<2>()
            .0
            .iter()
            .flat_map(|c| (u16::from_le_bytes(*c) & mask).to_ne_bytes())
            .collect()
    };
    let mut codec = charls::CharLS::default();
    if d.samples_per_pixel() > 1 {
        codec
            .set_interleave_mode(charls::InterleaveMode::Sample)
            .map_err(|e| bad(&e))?;
    }
    let info = charls::FrameInfo {
        width: d.columns(),
        height: d.rows(),
        bits_per_sample: i32::from(d.bits_stored()),
        component_count: i32::from(d.samples_per_pixel()),
    };
    codec.encode(info, 0, &src).map_err(|e| bad(&e))
}

#[cfg(not(feature = "jpegls"))]
pub(crate) fn decode(_: &FrameDesc, _: u32, _: &[u8]) -> Result<FrameBuf> {
    Err(Error::NoDecoder {
        codec: "JPEG-LS",
        uid: String::new(),
        hint: Some("enable the `jpegls` feature of radguard-pixels (CharLS, built with cmake)"),
    })
}

#[cfg(not(feature = "jpegls"))]
pub(crate) fn can_encode(_: &FrameDesc) -> bool {
    false
}

#[cfg(not(feature = "jpegls"))]
pub(crate) fn encode(_: &FrameBuf, index: u32) -> Result<Vec<u8>> {
    Err(Error::encode(
        index,
        "JPEG-LS",
        "no JPEG-LS encoder in this build",
    ))
}
