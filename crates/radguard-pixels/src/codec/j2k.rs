//! JPEG 2000 and HTJ2K frames through `jpeg2k` on OpenJPEG's pure Rust
//! port (`openjp2`), behind the `j2k` feature.

use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameDesc};

#[cfg(feature = "j2k")]
pub(crate) fn decode(desc: &FrameDesc, frame: u32, data: &[u8]) -> Result<FrameBuf> {
    use crate::frame::Photometric;

    const CODEC: &str = "JPEG 2000";
    let bad = |what: &dyn std::fmt::Display| Error::decode(frame, CODEC, what);
    // Check the size before the decoder allocates anything.
    let (w, h, tiles, comps) =
        super::markers::j2k_size(data).ok_or_else(|| bad(&"no valid SIZ segment"))?;
    if w != desc.columns() || h != desc.rows() {
        return Err(bad(&"image size differs from Rows and Columns"));
    }
    if comps != desc.samples_per_pixel() {
        return Err(bad(&"component count differs from Samples per Pixel"));
    }
    if tiles > 4096 {
        return Err(bad(&"more than 4096 tiles"));
    }
    let (mct, _) = super::markers::j2k_coding(data).ok_or_else(|| bad(&"no valid COD segment"))?;
    let image = jpeg2k::Image::from_bytes(data).map_err(|e| bad(&e))?;
    let components = image.components();
    if components.len() != usize::from(desc.samples_per_pixel()) {
        return Err(bad(&"component count differs from Samples per Pixel"));
    }
    let bps = desc.bytes_per_sample();
    let n = desc.pixels_usize();
    for c in components {
        if c.width() != w || c.height() != h {
            return Err(bad(&"subsampled components are not supported"));
        }
        if c.precision() > u32::from(desc.bits_allocated()) {
            return Err(bad(&"sample precision does not fit Bits Allocated"));
        }
    }
    // With the multiple component transform the decoder delivers RGB;
    // without it, the samples are as the header says (YBR_ICT/RCT without
    // the transform are plain YBR_FULL).
    let photometric = match desc.photometric() {
        p if desc.samples_per_pixel() == 1 => p,
        _ if mct => Photometric::Rgb,
        Photometric::YbrIct | Photometric::YbrRct => Photometric::YbrFull,
        p => p,
    };
    let out_desc = desc.with_layout(photometric, false);
    let spp = components.len();
    let mut out = vec![0u8; out_desc.frame_len_usize()];
    for (ci, c) in components.iter().enumerate() {
        let samples = c.data();
        if samples.len() != n {
            return Err(bad(&"component data size differs from the image"));
        }
        for (p, v) in samples.iter().enumerate() {
            let at = (p * spp + ci) * bps;
            if let Some(dst) = out.get_mut(at..at + bps) {
                dst.copy_from_slice(&v.to_le_bytes()[..bps]);
            }
        }
    }
    FrameBuf::new(out_desc, out)
}

#[cfg(not(feature = "j2k"))]
pub(crate) fn decode(_: &FrameDesc, _: u32, _: &[u8]) -> Result<FrameBuf> {
    Err(Error::NoDecoder {
        codec: "JPEG 2000",
        uid: String::new(),
        hint: Some("enable the `j2k` feature of radguard-pixels"),
    })
}
