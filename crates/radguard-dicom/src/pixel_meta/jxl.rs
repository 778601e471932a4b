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

#[cfg(test)]
mod tests {
    use super::super::j2k::bx;
    use super::*;

    #[test]
    fn container_keeps_the_codestream_and_loses_metadata_boxes() {
        let keep = [
            bx(b"ftyp", b"jxl \0\0\0\0jxl "),
            bx(b"jxll", &[5]),
            bx(b"jxlp", &[0, 0, 0, 0, 0xFF, 0x0A, 1]),
            bx(b"jbrd", &[1, 2, 3]),
            bx(b"jxlp", &[0x80, 0, 0, 1, 2, 3]),
        ];
        let drop = [
            bx(b"Exif", b"\0\0\0\0II*\0DOE^JOHN"),
            bx(b"xml ", b"<x>DOE^JOHN</x>"),
            bx(b"jumb", b"DOE"),
            bx(b"brob", b"Exif...."),
            bx(b"uuid", &[0; 20]),
        ];
        let mut dirty = JXL_SIGNATURE.to_vec();
        let mut clean = JXL_SIGNATURE.to_vec();
        for (k, d) in keep.iter().zip(&drop) {
            dirty.extend(k);
            dirty.extend(d);
            clean.extend(k);
        }
        let s = strip_jxl(&dirty).unwrap();
        assert_eq!(s.data(), &clean[..]);
        assert_eq!(s.removed().boxes, 5);
        assert!(strip_jxl(s.data()).unwrap().is_unchanged());
        // A last box running to the end (length 0), and a padding byte.
        let mut open = clean.clone();
        open.extend([0, 0, 0, 0]);
        open.extend(b"jxlc\xFF\x0A\x01\x00");
        assert!(strip_jxl(&open).unwrap().is_unchanged());
        clean.push(0);
        assert!(strip_jxl(&clean).unwrap().is_unchanged());
    }

    #[test]
    fn malformed_containers_are_errors() {
        let mut no_codestream = JXL_SIGNATURE.to_vec();
        no_codestream.extend(bx(b"ftyp", b"jxl "));
        assert!(strip_jxl(&no_codestream).is_err());
        let mut short = JXL_SIGNATURE.to_vec();
        short.extend([0, 0, 0, 4, b'j', b'x', b'l', b'c']);
        assert!(strip_jxl(&short).is_err());
        let mut past = JXL_SIGNATURE.to_vec();
        past.extend([0, 0, 0, 99, b'j', b'x', b'l', b'c', 0]);
        assert!(strip_jxl(&past).is_err());
        assert!(strip_jxl(b"\xFF\xD8 not JPEG XL").is_err());
        assert!(strip_jxl(&[]).is_err());
    }
}
