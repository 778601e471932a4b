//! Byte-level builders for hand-made DICOM test files.
#![allow(dead_code, clippy::unwrap_used)]

/// An explicit VR little endian element.
pub(crate) fn el(group: u16, element: u16, vr: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(vr.as_bytes());
    let long = matches!(
        vr,
        "OB" | "OD" | "OF" | "OL" | "OV" | "OW" | "SQ" | "SV" | "UC" | "UN" | "UR" | "UT" | "UV"
    );
    if long {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&u32::try_from(value.len()).unwrap().to_le_bytes());
    } else {
        out.extend_from_slice(&u16::try_from(value.len()).unwrap().to_le_bytes());
    }
    out.extend_from_slice(value);
    out
}

/// An element header with an arbitrary (forged) length and no value.
pub(crate) fn header_with_len(group: u16, element: u16, vr: &str, len: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(vr.as_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out
}

/// An item (FFFE,E000) with the given length field.
pub(crate) fn item(len: u32) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF, 0x00, 0xE0];
    out.extend_from_slice(&len.to_le_bytes());
    out
}

pub(crate) const ITEM_DELIM: [u8; 8] = [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0];
pub(crate) const SEQ_DELIM: [u8; 8] = [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0];

/// Preamble, DICM and a file meta group for the given transfer syntax.
pub(crate) fn preamble_and_meta(ts: &str) -> Vec<u8> {
    let pad = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        if v.len() % 2 == 1 {
            v.push(0);
        }
        v
    };
    let mut meta = Vec::new();
    meta.extend(el(0x0002, 0x0001, "OB", &[0, 1]));
    meta.extend(el(0x0002, 0x0002, "UI", &pad("1.2.840.10008.5.1.4.1.1.7")));
    meta.extend(el(0x0002, 0x0003, "UI", &pad("2.25.123")));
    meta.extend(el(0x0002, 0x0010, "UI", &pad(ts)));
    meta.extend(el(0x0002, 0x0012, "UI", &pad("2.25.999")));
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    out.extend(el(
        0x0002,
        0x0000,
        "UL",
        &u32::try_from(meta.len()).unwrap().to_le_bytes(),
    ));
    out.extend(meta);
    out
}

/// A minimal valid explicit VR LE file: SOP class/instance, a name, pixel data.
pub(crate) fn minimal_file(pixel: &[u8]) -> Vec<u8> {
    let mut out = preamble_and_meta("1.2.840.10008.1.2.1");
    out.extend(el(0x0008, 0x0016, "UI", b"1.2.840.10008.5.1.4.1.1.7\0"));
    out.extend(el(0x0008, 0x0018, "UI", b"2.25.123"));
    out.extend(el(0x0010, 0x0010, "PN", b"DOE^JANE"));
    out.extend(el(0x7FE0, 0x0010, "OB", pixel));
    out
}

/// A file with sequences nested `depth` deep (undefined lengths).
pub(crate) fn nested_file(depth: usize) -> Vec<u8> {
    let mut out = preamble_and_meta("1.2.840.10008.1.2.1");
    out.extend(el(0x0008, 0x0018, "UI", b"2.25.123"));
    for _ in 0..depth {
        out.extend(header_with_len(0x0040, 0xA730, "SQ", 0xFFFF_FFFF));
        out.extend(item(0xFFFF_FFFF));
    }
    out.extend(el(0x0040, 0xA160, "UT", b"deep"));
    for _ in 0..depth {
        out.extend(ITEM_DELIM);
        out.extend(SEQ_DELIM);
    }
    out
}
