//! JPEG (ISO 10918-1) frames through image-rs's `jpeg-decoder`: baseline
//! and extended 8-bit, and lossless (process 14) up to 16 bits. 12-bit
//! DCT (process 4) has no maintained Rust decoder and is refused.

use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameDesc};

#[cfg(feature = "jpeg")]
pub(crate) fn decode(desc: &FrameDesc, frame: u32, data: &[u8]) -> Result<FrameBuf> {
    use jpeg_decoder::{CodingProcess, ColorTransform, Decoder, PixelFormat};

    use crate::frame::Photometric;

    const CODEC: &str = "JPEG";
    let bad = |what: &dyn std::fmt::Display| Error::decode(frame, CODEC, what);
    let mut dec = Decoder::new(std::io::Cursor::new(data));
    // Never decode more than the frame the header describes (plus the
    // decoder's own rounding to whole blocks).
    dec.set_max_decoding_buffer_size(
        usize::try_from(desc.frame_len().saturating_mul(2)).unwrap_or(usize::MAX),
    );
    dec.read_info().map_err(|e| map_err(frame, e))?;
    let info = dec.info().ok_or_else(|| bad(&"no frame header"))?;
    if u32::from(info.width) != desc.columns() || u32::from(info.height) != desc.rows() {
        return Err(bad(&"image size differs from Rows and Columns"));
    }
    let comps = match info.pixel_format {
        PixelFormat::L8 | PixelFormat::L16 => 1u16,
        PixelFormat::RGB24 => 3,
        PixelFormat::CMYK32 => 4,
    };
    if comps != desc.samples_per_pixel() {
        return Err(bad(&"component count differs from Samples per Pixel"));
    }
    let lossless = info.coding_process == CodingProcess::Lossless;
    // DCT colour: the header says YBR, so convert to RGB as every viewer
    // does; RGB is left to the stream's own markers (JFIF, Adobe,
    // component ids), as libjpeg does.
    let mut photometric = desc.photometric();
    if comps == 3 && !lossless {
        if matches!(
            photometric,
            Photometric::YbrFull
                | Photometric::YbrFull422
                | Photometric::YbrPartial422
                | Photometric::YbrPartial420
        ) {
            dec.set_color_transform(ColorTransform::YCbCr);
        } else if photometric == Photometric::Rgb && !super::markers::jpeg_colour_marker(data) {
            // PS3.5 8.2.1: RGB means no colour transform, unless the
            // stream itself says otherwise (JFIF, Adobe).
            dec.set_color_transform(ColorTransform::RGB);
        }
        photometric = Photometric::Rgb;
    }
    let pixels = dec.decode().map_err(|e| map_err(frame, e))?;
    let out_desc = desc.with_layout(photometric, false);
    let wide = matches!(info.pixel_format, PixelFormat::L16)
        || (lossless && pixels.len() as u64 == 2 * out_desc.pixels() * u64::from(comps));
    super::frame_from_decoder(out_desc, pixels, wide, frame, CODEC)
}

#[cfg(feature = "jpeg")]
fn map_err(frame: u32, e: jpeg_decoder::Error) -> Error {
    match e {
        jpeg_decoder::Error::Unsupported(jpeg_decoder::UnsupportedFeature::SamplePrecision(p))
            if p > 8 =>
        {
            Error::NoDecoder {
                codec: "12-bit JPEG (process 4)",
                uid: "1.2.840.10008.1.2.4.51".to_owned(),
                hint: Some(
                    "no maintained Rust decoder exists; transcode the file losslessly first",
                ),
            }
        }
        other => Error::decode(frame, "JPEG", other),
    }
}

#[cfg(not(feature = "jpeg"))]
pub(crate) fn decode(_: &FrameDesc, _: u32, _: &[u8]) -> Result<FrameBuf> {
    Err(Error::NoDecoder {
        codec: "JPEG",
        uid: String::new(),
        hint: Some("enable the `jpeg` feature of radguard-pixels"),
    })
}
