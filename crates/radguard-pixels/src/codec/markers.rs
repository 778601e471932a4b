//! The few header fields read straight from compressed streams: JPEG-LS
//! scan parameters and the JPEG 2000 coding style.

/// A JPEG-LS stream's first scan: (components in the scan, NEAR, ILV).
/// `None` if no well-formed SOS is found.
pub(crate) fn jpegls_scan(data: &[u8]) -> Option<(u8, u8, u8)> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2usize;
    loop {
        // Skip fill bytes.
        while *data.get(at)? == 0xFF && *data.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *data.get(at)? != 0xFF {
            return None;
        }
        let marker = *data.get(at + 1)?;
        let len = usize::from(u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]));
        if marker == 0xDA {
            let ns = *data.get(at + 4)?;
            let near = *data.get(at + 5 + 2 * usize::from(ns))?;
            let ilv = *data.get(at + 6 + 2 * usize::from(ns))?;
            return Some((ns, near, ilv));
        }
        if len < 2 {
            return None;
        }
        at = at.checked_add(2 + len)?;
    }
}

/// `true` if a JPEG stream says how its colour is coded: an APP0 `JFIF`
/// (YCbCr) or APP14 `Adobe` (its transform flag) segment before the first
/// scan.
#[cfg_attr(not(feature = "jpeg"), allow(dead_code))]
pub(crate) fn jpeg_colour_marker(data: &[u8]) -> bool {
    let mut at = 2usize;
    while let (Some(&0xFF), Some(&marker)) = (data.get(at), data.get(at + 1)) {
        if marker == 0xFF {
            at += 1;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            return false;
        }
        let Some(len) = data
            .get(at + 2..at + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return false;
        };
        let body = data.get(at + 4..).unwrap_or_default();
        if (marker == 0xE0 && body.starts_with(b"JFIF\0"))
            || (marker == 0xEE && body.starts_with(b"Adobe"))
        {
            return true;
        }
        if len < 2 {
            return false;
        }
        at += 2 + len;
    }
    false
}

/// The NEAR parameter of a JPEG-LS stream's first scan (0: lossless).
pub(crate) fn jpegls_near(data: &[u8]) -> Option<u8> {
    jpegls_scan(data).map(|(_, near, _)| near)
}

/// The start of the JPEG 2000 codestream in `data` (a raw codestream, or
/// the first one inside a JP2 file).
fn j2k_codestream(data: &[u8]) -> Option<&[u8]> {
    const SOC_SIZ: [u8; 4] = [0xFF, 0x4F, 0xFF, 0x51];
    let at = data.windows(4).take(1 << 16).position(|w| w == SOC_SIZ)?;
    data.get(at..)
}

/// The COD segment's multiple component transform flag and wavelet
/// (`true` for the irreversible 9-7 wavelet).
pub(crate) fn j2k_coding(data: &[u8]) -> Option<(bool, bool)> {
    let cs = j2k_codestream(data)?;
    let mut at = 2usize;
    loop {
        if *cs.get(at)? != 0xFF {
            return None;
        }
        let marker = *cs.get(at + 1)?;
        if marker == 0x90 || marker == 0x93 {
            return None; // SOT / SOD before COD
        }
        let len = usize::from(u16::from_be_bytes([*cs.get(at + 2)?, *cs.get(at + 3)?]));
        if marker == 0x52 {
            let mct = *cs.get(at + 8)? != 0;
            let irreversible = *cs.get(at + 13)? == 0;
            return Some((mct, irreversible));
        }
        if len < 2 {
            return None;
        }
        at = at.checked_add(2 + len)?;
    }
}

/// The image size, tile count and component count of a JPEG 2000
/// codestream's SIZ segment: `(width, height, tiles, components)`.
#[cfg_attr(not(feature = "j2k"), allow(dead_code))]
pub(crate) fn j2k_size(data: &[u8]) -> Option<(u32, u32, u64, u16)> {
    let cs = j2k_codestream(data)?;
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(cs.get(at..at + 4)?.try_into().ok()?))
    };
    let (x, y, xo, yo) = (be32(8)?, be32(12)?, be32(16)?, be32(20)?);
    let (xt, yt, xto, yto) = (be32(24)?, be32(28)?, be32(32)?, be32(36)?);
    let comps = u16::from_be_bytes([*cs.get(40)?, *cs.get(41)?]);
    let (w, h) = (x.checked_sub(xo)?, y.checked_sub(yo)?);
    if xt == 0 || yt == 0 || xto > xo || yto > yo {
        return None;
    }
    let tiles = u64::from((x - xto).div_ceil(xt)) * u64::from((y - yto).div_ceil(yt));
    Some((w, h, tiles, comps))
}

/// `Some(true)` if a JPEG 2000 stream uses the irreversible wavelet
/// (lossy), `Some(false)` if reversible.
pub(crate) fn j2k_irreversible(data: &[u8]) -> Option<bool> {
    j2k_coding(data).map(|(_, irreversible)| irreversible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpegls_sos() {
        // SOI, SOF55 (len 11, 1 component), SOS (Ns=1, C=1 Tm=0, NEAR=2, ILV=0, 0).
        let mut s = vec![
            0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0B, 8, 0, 4, 0, 4, 1, 1, 0x11, 0,
        ];
        s.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 2, 0, 0]);
        assert_eq!(jpegls_scan(&s), Some((1, 2, 0)));
        assert_eq!(jpegls_near(&s[..s.len() - 3]), None);
        assert_eq!(jpegls_near(&[0xFF, 0xD8, 0xFF]), None);
    }

    #[test]
    fn jpeg_markers() {
        let mut s = vec![0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x04, 0, 0];
        assert!(!jpeg_colour_marker(&s));
        s.extend([0xFF, 0xE0, 0x00, 0x07]);
        s.extend(b"JFIF\0");
        assert!(jpeg_colour_marker(&s));
        assert!(!jpeg_colour_marker(&s[..10]));
    }

    #[test]
    fn j2k_cod() {
        let mut s = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x04, 0, 0];
        // COD: Lcod 12, Scod 0, prog 0, layers 1, mct 1, levels 5, cb 4 4, style 0, transform 1.
        s.extend([0xFF, 0x52, 0x00, 0x0C, 0, 0, 0, 1, 1, 5, 4, 4, 0, 1]);
        assert_eq!(j2k_coding(&s), Some((true, false)));
        *s.last_mut().unwrap() = 0;
        assert_eq!(j2k_irreversible(&s), Some(true));
        assert_eq!(j2k_coding(&s[..10]), None);
    }
}
