//! RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then
//! one PackBits segment per byte plane (most significant byte first) of
//! each sample plane.
//!
//! The segment framing is DICOM's and lives here; PackBits encoding is
//! image-rs's (`tiff`'s TIFF compressor), applied row by row as G.3.1
//! asks. Decoding PackBits is its eight-line inverse, written here because
//! dicom-rs 0.10's RLE reader panics on short or malformed segments and
//! reads only 8- and 16-bit samples.

use std::io::Write as _;

use tiff::encoder::compression::{CompressionAlgorithm, Packbits};

use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameDesc, Photometric};

const CODEC: &str = "RLE";
const HEADER: usize = 64;
const MAX_SEGMENTS: usize = 15;

fn segments(desc: &FrameDesc) -> usize {
    usize::from(desc.samples_per_pixel()) * desc.bytes_per_sample()
}

/// `true` if frames of `desc` fit in RLE's 15 segments.
pub(crate) fn can_encode(desc: &FrameDesc) -> bool {
    segments(desc) <= MAX_SEGMENTS && desc.photometric() != Photometric::YbrFull422
}

/// Decodes one RLE frame into plane-by-plane samples.
pub(crate) fn decode(desc: &FrameDesc, frame: u32, data: &[u8]) -> Result<FrameBuf> {
    let bad = |what: &str| Error::decode(frame, CODEC, what);
    // Segments hold full samples: YBR_FULL_422 cannot be RLE coded, and a
    // file that says so holds YBR_FULL planes.
    let photometric = match desc.photometric() {
        Photometric::YbrFull422 => Photometric::YbrFull,
        p => p,
    };
    let out_desc = desc.with_layout(photometric, true);
    let nseg = segments(&out_desc);
    let header = data
        .get(..HEADER)
        .ok_or_else(|| bad("shorter than its header"))?;
    let words: Vec<u32> = header
        .as_chunks::<4>()
        .0
        .iter()
        .map(|c| u32::from_le_bytes(*c))
        .collect();
    let declared = words.first().copied().unwrap_or(0) as usize;
    if declared != nseg {
        return Err(bad(
            "segment count differs from Samples per Pixel × bytes per sample",
        ));
    }
    let mut offsets: Vec<usize> = words
        .iter()
        .skip(1)
        .take(nseg)
        .map(|o| *o as usize)
        .collect();
    offsets.push(data.len());
    if offsets.windows(2).any(|w| w[0] > w[1]) || offsets.first().is_some_and(|o| *o < HEADER) {
        return Err(bad("segment offsets are not increasing within the frame"));
    }
    let plane_len = out_desc.pixels_usize();
    // PackBits expands at most 64 times (2 bytes for a run of 128): a
    // segment too short for its plane is refused before allocating.
    if offsets
        .windows(2)
        .any(|w| (w[1] - w[0]).saturating_mul(64) < plane_len)
    {
        return Err(bad("segment too short for the image"));
    }
    let bps = out_desc.bytes_per_sample();
    let mut out = vec![0u8; out_desc.frame_len_usize()];
    let mut segment = Vec::with_capacity(plane_len);
    for (i, w) in offsets.windows(2).enumerate() {
        let src = data
            .get(w[0]..w[1])
            .ok_or_else(|| bad("segment outside the frame"))?;
        unpack(src, plane_len, &mut segment)
            .ok_or_else(|| bad("segment shorter than the image"))?;
        // Segment i is byte (bps - 1 - i % bps) of sample plane i / bps.
        let (plane, byte) = (i / bps, bps - 1 - i % bps);
        let base = plane * plane_len * bps;
        let dst = out
            .get_mut(base..base + plane_len * bps)
            .ok_or_else(|| bad("segment outside the image"))?;
        if bps == 1 {
            dst.copy_from_slice(&segment);
        } else {
            for (d, s) in dst.chunks_exact_mut(bps).zip(&segment) {
                d[byte] = *s;
            }
        }
    }
    FrameBuf::new(out_desc, out)
}

/// PackBits-decodes `src` into exactly `n` bytes of `out`; `None` if it
/// runs out first. Bytes after the `n`th (padding) are ignored.
fn unpack(src: &[u8], n: usize, out: &mut Vec<u8>) -> Option<()> {
    out.clear();
    let mut it = src.iter();
    while out.len() < n {
        let h = *it.next()? as i8;
        if h >= 0 {
            let k = (usize::from(h.unsigned_abs()) + 1).min(n - out.len());
            out.extend(it.by_ref().take(k));
            if out.len() < n && it.len() == 0 {
                return None;
            }
        } else if h != -128 {
            let k = (1 - isize::from(h)).unsigned_abs().min(n - out.len());
            let v = *it.next()?;
            out.extend(std::iter::repeat_n(v, k));
        }
    }
    Some(())
}

/// Encodes one frame (either planar configuration) as RLE.
pub(crate) fn encode(frame: &FrameBuf, index: u32) -> Result<Vec<u8>> {
    let d = frame.desc();
    if !can_encode(d) {
        return Err(Error::encode(
            index,
            CODEC,
            "more than 15 segments, or YBR_FULL_422 samples",
        ));
    }
    let nseg = segments(d);
    let bps = d.bytes_per_sample();
    let (cols, rows) = (d.columns() as usize, d.rows() as usize);
    let spp = usize::from(d.samples_per_pixel());
    let data = frame.data();
    let mut out = vec![0u8; HEADER];
    let plane_len = rows * cols;
    let mut plane = Vec::with_capacity(plane_len);
    let mut offsets = Vec::with_capacity(nseg);
    for i in 0..nseg {
        let (sample, byte) = (i / bps, bps - 1 - i % bps);
        offsets.push(out.len());
        // The segment's bytes: byte `byte` of every sample `sample`.
        let (start, step) = if d.is_planar() {
            (sample * plane_len * bps + byte, bps)
        } else {
            (sample * bps + byte, spp * bps)
        };
        plane.clear();
        plane.extend(data.iter().skip(start).step_by(step).take(plane_len));
        if plane.len() != plane_len {
            return Err(Error::encode(
                index,
                CODEC,
                "frame shorter than its description",
            ));
        }
        for row in plane.chunks_exact(cols) {
            Packbits
                .write_to(&mut out, row)
                .map_err(|e| Error::encode(index, CODEC, e))?;
        }
        if out.len() % 2 == 1 {
            out.push(0);
        }
    }
    let mut header = Vec::with_capacity(HEADER);
    let too_big = |_| Error::encode(index, CODEC, "frame larger than 4 GiB");
    header
        .write_all(&u32::try_from(nseg).map_err(too_big)?.to_le_bytes())
        .map_err(|e| Error::encode(index, CODEC, e))?;
    for k in 0..MAX_SEGMENTS {
        let o = offsets
            .get(k)
            .map_or(Ok(0), |o| u32::try_from(*o))
            .map_err(too_big)?;
        header.extend_from_slice(&o.to_le_bytes());
    }
    out[..HEADER].copy_from_slice(&header);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_inverse() {
        let mut out = Vec::new();
        // Run of 3 x 0xAA, literal 2 bytes, no-op, run of 2.
        let src = [0xFE, 0xAA, 0x01, 1, 2, 0x80, 0xFF, 7];
        unpack(&src, 7, &mut out).unwrap();
        assert_eq!(out, [0xAA, 0xAA, 0xAA, 1, 2, 7, 7]);
        assert!(unpack(&src, 8, &mut out).is_none());
        assert!(unpack(&[0x05, 1, 2], 6, &mut out).is_none());
        unpack(&src, 2, &mut out).unwrap();
        assert_eq!(out, [0xAA, 0xAA]);
    }

    #[test]
    fn round_trip_16bit_rgb() {
        let desc = FrameDesc::new(3, 5, Photometric::Rgb).bits(16, 16, 15);
        let data: Vec<u8> = (0..3 * 5 * 3 * 2u32)
            .map(|i| u8::try_from(i * 37 % 251).unwrap())
            .collect();
        let f = FrameBuf::new(desc, data).unwrap();
        let enc = encode(&f, 0).unwrap();
        let back = decode(f.desc(), 0, &enc).unwrap();
        assert!(back.desc().is_planar());
        assert_eq!(back.to_planar(false).data(), f.data());
        let mut cut = enc.clone();
        cut.truncate(enc.len() - 9);
        assert!(decode(f.desc(), 0, &cut).is_err());
        assert!(decode(f.desc(), 0, &enc[..40]).is_err());
    }
}
