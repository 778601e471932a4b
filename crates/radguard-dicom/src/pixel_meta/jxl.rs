//! JPEG XL (ISO 18181): naked codestreams and containers.

use super::j2k::{boxes_end, read_box};
use super::{Error, Format, Removed, Result, Stripped};

/// The JPEG XL container signature box.
const JXL_SIGNATURE: [u8; 12] = [
    0x00, 0x00, 0x00, 0x0C, b'J', b'X', b'L', b' ', 0x0D, 0x0A, 0x87, 0x0A,
];

/// Removes the metadata from one JPEG XL frame.
///
/// A naked codestream (starting with 0xFF0A) has no room for metadata
/// boxes and is returned unchanged. A container keeps its signature and
/// its `ftyp`, `jxll` (level), `jxli` (frame index), `jxlc` and `jxlp`
/// (codestream) and `jbrd` (JPEG reconstruction) boxes; `Exif`, `xml `,
/// `jumb`, `uuid`, `brob` (Brotli-compressed boxes) and every unknown box
/// are removed.
///
/// # Errors
///
/// [`Error::Malformed`] if the data is neither a codestream nor a
/// container, if a box is shorter than its header or if the container has
/// no codestream box; [`Error::Truncated`] if a box runs past the end.
///
/// # Examples
///
/// ```
/// use radguard_dicom::pixel_meta::strip_jxl;
///
/// let naked = [0xFF, 0x0A, 0x7A, 0x00, 0x10];
/// assert!(strip_jxl(&naked)?.is_unchanged());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// The `jbrd` box is what lets transfer syntax 1.2.840.10008.1.2.4.111
/// give back the original JPEG, and is kept; it can hold that JPEG's COM
/// and APPn payloads (Brotli-compressed), which are not checked.
pub fn strip_jxl(data: &[u8]) -> Result<Stripped<'_>> {
    let f = Format::Jxl;
    if data.starts_with(&[0xFF, 0x0A]) {
        return Ok(Stripped::unchanged(data));
    }
    if !data.starts_with(&JXL_SIGNATURE) {
        return Err(Error::malformed(
            f,
            0,
            "neither a JPEG XL codestream nor a container",
        ));
    }
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(&JXL_SIGNATURE);
    let mut removed = Removed::default();
    let mut pos = JXL_SIGNATURE.len();
    let mut codestream = false;
    while !boxes_end(data, pos) {
        let b = read_box(data, pos, data.len(), f)?;
        match &b.kind {
            b"ftyp" | b"jxll" | b"jxli" | b"jbrd" => {}
            b"jxlc" | b"jxlp" => codestream = true,
            _ => {
                removed.boxes += 1;
                pos = b.end;
                continue;
            }
        }
        out.extend_from_slice(data.get(b.start..b.end).unwrap_or_default());
        pos = b.end;
    }
    if !codestream {
        return Err(Error::malformed(f, pos, "no codestream box"));
    }
    out.extend_from_slice(data.get(pos..).unwrap_or_default());
    Ok(Stripped::new(data, out, removed))
}
