//! JPEG 2000 and HTJ2K codestreams (ISO 15444-1, -15), and JP2 files.

use super::{Edit, Error, Format, Removed, Result, Stripped, apply, be16, be32, be64, trailing};

const SOC: u16 = 0xFF4F;
const SIZ: u16 = 0xFF51;
const SOT: u16 = 0xFF90;
const SOD: u16 = 0xFF93;
const EOC: u16 = 0xFFD9;
const COM: u16 = 0xFF64;
const TLM: u16 = 0xFF55;

/// The JP2 signature box.
pub(super) const JP2_SIGNATURE: [u8; 12] = [
    0x00, 0x00, 0x00, 0x0C, b'j', b'P', b' ', b' ', 0x0D, 0x0A, 0x87, 0x0A,
];

/// Marker segments allowed in the main header (besides SOC, SIZ, COM).
fn main_header_marker(m: u16) -> bool {
    matches!(
        m,
        // CAP, COD, COC, TLM, PLM, CPF, QCD, QCC, RGN, POC, PPM, CRG
        0xFF50 | 0xFF52 | 0xFF53 | 0xFF55 | 0xFF57 | 0xFF59 | 0xFF5C..=0xFF5F | 0xFF60 | 0xFF63
        // Part 2 (DCO, VMS, DFS, ADS, MCT, MCC, NLT, MCO, CBD, ATK, ...)
        | 0xFF70..=0xFF7F
    )
}

/// Marker segments allowed in a tile-part header (besides COM).
fn tile_header_marker(m: u16) -> bool {
    matches!(
        m,
        // COD, COC, PLT, QCD, QCC, RGN, POC, PPT
        0xFF52 | 0xFF53 | 0xFF58 | 0xFF5C..=0xFF5F | 0xFF61 | 0xFF70..=0xFF7F
    )
}

/// Removes the metadata from one JPEG 2000 or HTJ2K codestream (one frame),
/// or from a JP2 file.
///
/// A codestream (starting with SOC 0xFF4F, what DICOM carries) loses its
/// COM marker segments, in the main header and in every tile-part header;
/// each tile-part's Psot (and its TLM entry, if the main header has TLM
/// marker segments) is reduced by the bytes removed from its header.
/// Bytes after EOC are removed except a single 0x00 padding byte.
/// Everything else is copied byte for byte; tile-part data is never
/// touched.
///
/// A JP2 file (starting with the signature box `0000000C 6A502020
/// 0D0A870A`) keeps its signature, `ftyp`, `jp2h` (with only `ihdr`,
/// `bpcc`, `colr`, `pclr`, `cmap`, `cdef` and `res ` inside) and `jp2c`
/// boxes, the codestream stripped as above; every other box (`xml `,
/// `uuid`, `uinf`, `jp2i`, ...) is removed.
///
/// # Errors
///
/// [`Error::Malformed`] if the codestream does not start with SOC and SIZ,
/// has an unknown marker, a marker segment or tile-part longer than the
/// data, or no tile-part; [`Error::Truncated`] if it ends before EOC.
///
/// # Examples
///
/// ```
/// use radguard_dicom::pixel_meta::{Error, strip_j2k};
///
/// assert!(matches!(strip_j2k(&[0xFF, 0x4F, 0xFF, 0x51]), Err(Error::Truncated { .. })));
/// assert!(matches!(strip_j2k(&[0xFF, 0xD8]), Err(Error::Malformed { .. })));
/// ```
pub fn strip_j2k(data: &[u8]) -> Result<Stripped<'_>> {
    if data.starts_with(&JP2_SIGNATURE) {
        return strip_jp2(data);
    }
    let (edits, removed) = codestream_edits(data)?;
    Ok(apply(data, edits, removed))
}

struct TilePart {
    /// Offset of its Psot field.
    psot_at: usize,
    psot: u32,
    removed: u32,
}

fn codestream_edits(data: &[u8]) -> Result<(Vec<Edit>, Removed)> {
    let f = Format::J2k;
    let marker = |at: usize| be16(data, at).ok_or_else(|| Error::truncated(f, data.len()));
    // A marker segment at `at`: its end.
    let segment_end = |at: usize, limit: usize| -> Result<usize> {
        let len = be16(data, at + 2).ok_or_else(|| Error::truncated(f, data.len()))?;
        if len < 2 {
            return Err(Error::malformed(f, at + 2, "marker segment length below 2"));
        }
        let end = at + 2 + usize::from(len);
        if end > limit {
            return Err(Error::truncated(f, limit));
        }
        Ok(end)
    };
    if marker(0).ok() != Some(SOC) {
        return Err(Error::malformed(f, 0, "no SOC marker at the start"));
    }
    if marker(2)? != SIZ {
        return Err(Error::malformed(f, 2, "SOC not followed by SIZ"));
    }
    let mut edits = Vec::new();
    let mut removed = Removed::default();
    let mut tlm = Vec::new();
    // Main header.
    let mut pos = segment_end(2, data.len())?;
    loop {
        let m = marker(pos)?;
        if m == SOT {
            break;
        }
        let end = segment_end(pos, data.len())?;
        if m == COM {
            edits.push(Edit::remove(pos, end));
            removed.comments += 1;
        } else if m == TLM {
            tlm.push((pos, end));
        } else if !main_header_marker(m) {
            return Err(Error::malformed(
                f,
                pos,
                "unknown or misplaced marker in the main header",
            ));
        }
        pos = end;
    }
    // Tile-parts, then EOC.
    let mut tile_parts = Vec::new();
    let end = loop {
        let m = marker(pos)?;
        if m == EOC {
            if tile_parts.is_empty() {
                return Err(Error::malformed(f, pos, "no tile-part"));
            }
            break pos + 2;
        }
        if m != SOT {
            return Err(Error::malformed(f, pos, "expected SOT or EOC"));
        }
        if be16(data, pos + 2) != Some(10) {
            return Err(Error::malformed(f, pos + 2, "SOT length is not 10"));
        }
        let psot = be32(data, pos + 6).ok_or_else(|| Error::truncated(f, data.len()))?;
        let tp_end = if psot == 0 {
            // The last tile-part: it runs to the EOC at the end of the data.
            let body = data.strip_suffix(&[0]).unwrap_or(data);
            if !body.ends_with(&[0xFF, 0xD9]) {
                return Err(Error::malformed(f, pos + 6, "Psot 0 but no EOC at the end"));
            }
            body.len() - 2
        } else {
            pos.checked_add(psot as usize)
                .filter(|e| *e <= data.len())
                .ok_or_else(|| Error::truncated(f, data.len()))?
        };
        if tp_end < pos + 14 {
            return Err(Error::malformed(
                f,
                pos + 6,
                "tile-part shorter than SOT and SOD",
            ));
        }
        let mut tp = TilePart {
            psot_at: pos + 6,
            psot,
            removed: 0,
        };
        let mut at = pos + 12;
        loop {
            let m = marker(at)?;
            if m == SOD {
                break;
            }
            let end = segment_end(at, tp_end)?;
            if m == COM {
                edits.push(Edit::remove(at, end));
                removed.comments += 1;
                tp.removed += u32::try_from(end - at).unwrap_or(u32::MAX);
            } else if !tile_header_marker(m) {
                return Err(Error::malformed(
                    f,
                    at,
                    "unknown or misplaced marker in a tile-part header",
                ));
            }
            at = end;
        }
        if at + 2 > tp_end {
            return Err(Error::malformed(f, at, "SOD past the end of the tile-part"));
        }
        if tp.removed > 0 && psot != 0 {
            let new = psot.saturating_sub(tp.removed);
            edits.push(Edit {
                start: tp.psot_at,
                end: tp.psot_at + 4,
                with: new.to_be_bytes().to_vec(),
            });
        }
        tile_parts.push(tp);
        pos = tp_end;
    };
    if tile_parts.iter().any(|t| t.removed > 0) {
        patch_tlm(data, &tlm, &tile_parts, &mut edits)?;
    }
    trailing(data, end, &mut edits, &mut removed);
    Ok((edits, removed))
}

/// Rewrites the tile-part lengths in the TLM marker segments at `tlm`
/// after COM segments were removed from tile-part headers.
fn patch_tlm(
    data: &[u8],
    tlm: &[(usize, usize)],
    tile_parts: &[TilePart],
    edits: &mut Vec<Edit>,
) -> Result<()> {
    let f = Format::J2k;
    if tlm.is_empty() {
        return Ok(());
    }
    let mut parts = tile_parts.iter();
    for &(start, end) in tlm {
        // FF55, Ltlm, Ztlm, Stlm, then (Ttlm, Ptlm) pairs.
        let stlm = data.get(start + 5).copied().unwrap_or(0);
        let t_size = match (stlm >> 4) & 3 {
            0 => 0,
            1 => 1,
            2 => 2,
            _ => return Err(Error::malformed(f, start + 5, "invalid TLM Stlm")),
        };
        let p_size = if stlm & 0x40 == 0 { 2 } else { 4 };
        let mut at = start + 6;
        if (end - at) % (t_size + p_size) != 0 {
            return Err(Error::malformed(
                f,
                start,
                "TLM length is not a whole number of entries",
            ));
        }
        while at < end {
            let p_at = at + t_size;
            let ptlm = if p_size == 2 {
                be16(data, p_at).map(u32::from)
            } else {
                be32(data, p_at)
            };
            let tp = parts.next().ok_or_else(|| {
                Error::malformed(f, at, "TLM lists more tile-parts than there are")
            })?;
            if ptlm != Some(tp.psot) {
                return Err(Error::malformed(
                    f,
                    p_at,
                    "TLM entry differs from the tile-part's Psot",
                ));
            }
            if tp.removed > 0 && tp.psot != 0 {
                let new = tp.psot.saturating_sub(tp.removed);
                let with = if p_size == 2 {
                    u16::try_from(new)
                        .unwrap_or(u16::MAX)
                        .to_be_bytes()
                        .to_vec()
                } else {
                    new.to_be_bytes().to_vec()
                };
                edits.push(Edit {
                    start: p_at,
                    end: p_at + p_size,
                    with,
                });
            }
            at = p_at + p_size;
        }
    }
    if parts.next().is_some() {
        return Err(Error::malformed(
            f,
            tlm.first().map_or(0, |t| t.0),
            "TLM lists fewer tile-parts than there are",
        ));
    }
    Ok(())
}

/// A box of an ISO base media file (JP2, JPEG XL container).
#[derive(Debug, Clone, Copy)]
pub(super) struct BoxHeader {
    pub(super) kind: [u8; 4],
    pub(super) start: usize,
    /// 8, or 16 with an extended length.
    pub(super) header_len: usize,
    pub(super) end: usize,
    /// The length field was 0: the box runs to the end of the data.
    pub(super) to_end: bool,
}

impl BoxHeader {
    pub(super) fn content<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        data.get(self.start + self.header_len..self.end)
            .unwrap_or_default()
    }

    /// The box with `content` and the same kind and length form.
    pub(super) fn write(&self, content: &[u8], out: &mut Vec<u8>) {
        if self.to_end {
            out.extend(0u32.to_be_bytes());
            out.extend(self.kind);
        } else if self.header_len == 16 {
            out.extend(1u32.to_be_bytes());
            out.extend(self.kind);
            out.extend(((content.len() + 16) as u64).to_be_bytes());
        } else {
            let len = u32::try_from(content.len() + 8).unwrap_or(u32::MAX);
            out.extend(len.to_be_bytes());
            out.extend(self.kind);
        }
        out.extend_from_slice(content);
    }
}

/// A box of `kind` holding `content` (for tests).
#[cfg(test)]
pub(super) fn bx(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let header = BoxHeader {
        kind: *kind,
        start: 0,
        header_len: 8,
        end: 0,
        to_end: false,
    };
    header.write(content, &mut out);
    out
}

/// Reads the box header at `at` within `data[..limit]`.
pub(super) fn read_box(data: &[u8], at: usize, limit: usize, f: Format) -> Result<BoxHeader> {
    let len = be32(data, at).ok_or_else(|| Error::truncated(f, limit))?;
    let kind: [u8; 4] = data
        .get(at + 4..at + 8)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| Error::truncated(f, limit))?;
    let (header_len, end, to_end) = match len {
        0 => (8, limit, true),
        1 => {
            let xl = be64(data, at + 8).ok_or_else(|| Error::truncated(f, limit))?;
            let end = usize::try_from(xl)
                .ok()
                .and_then(|l| at.checked_add(l))
                .ok_or_else(|| Error::truncated(f, limit))?;
            (16, end, false)
        }
        n => (8, at.saturating_add(n as usize), false),
    };
    if end < at + header_len {
        return Err(Error::malformed(f, at, "box length below its header"));
    }
    if end > limit {
        return Err(Error::truncated(f, limit));
    }
    Ok(BoxHeader {
        kind,
        start: at,
        header_len,
        end,
        to_end,
    })
}

/// The end of the boxes in `data`: its length, or one less if it ends with
/// a single 0x00 padding byte after the last box.
pub(super) fn boxes_end(data: &[u8], last_box_end: usize) -> bool {
    last_box_end == data.len() || (last_box_end + 1 == data.len() && data.last() == Some(&0))
}

fn strip_jp2(data: &[u8]) -> Result<Stripped<'_>> {
    let f = Format::Jp2;
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(&JP2_SIGNATURE);
    let mut removed = Removed::default();
    let mut pos = JP2_SIGNATURE.len();
    let mut codestreams = 0;
    let mut first = true;
    while !boxes_end(data, pos) {
        let b = read_box(data, pos, data.len(), f)?;
        if first && &b.kind != b"ftyp" {
            return Err(Error::malformed(
                f,
                pos,
                "the file type box does not follow the signature",
            ));
        }
        first = false;
        match &b.kind {
            b"ftyp" => out.extend_from_slice(data.get(b.start..b.end).unwrap_or_default()),
            b"jp2h" => {
                let mut content = Vec::new();
                let inner = b.content(data);
                let mut at = 0;
                while at < inner.len() {
                    let c = read_box(inner, at, inner.len(), f)?;
                    if matches!(
                        &c.kind,
                        b"ihdr" | b"bpcc" | b"colr" | b"pclr" | b"cmap" | b"cdef" | b"res "
                    ) {
                        content.extend_from_slice(inner.get(c.start..c.end).unwrap_or_default());
                    } else {
                        removed.boxes += 1;
                    }
                    at = c.end;
                }
                b.write(&content, &mut out);
            }
            b"jp2c" => {
                let cs = b.content(data);
                let (edits, r) = codestream_edits(cs)?;
                removed.add(&r);
                let stripped = apply(cs, edits, Removed::default());
                b.write(stripped.data(), &mut out);
                codestreams += 1;
            }
            _ => removed.boxes += 1,
        }
        pos = b.end;
    }
    if codestreams == 0 {
        return Err(Error::malformed(f, pos, "no contiguous codestream box"));
    }
    out.extend_from_slice(data.get(pos..).unwrap_or_default());
    Ok(Stripped::new(data, out, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(marker: u16, payload: &[u8]) -> Vec<u8> {
        let mut s = marker.to_be_bytes().to_vec();
        s.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend(payload);
        s
    }

    fn com(text: &[u8]) -> Vec<u8> {
        seg(COM, &[&[0, 1][..], text].concat())
    }

    /// A tile-part: SOT (Psot computed, or 0), `header`, SOD, `data`.
    fn tile_part(index: u16, header: &[Vec<u8>], data: &[u8], psot_zero: bool) -> Vec<u8> {
        let body: Vec<u8> = header.concat();
        let len = 12 + body.len() + 2 + data.len();
        let psot = if psot_zero {
            0
        } else {
            u32::try_from(len).unwrap()
        };
        let mut sot_payload = index.to_be_bytes().to_vec();
        sot_payload.extend(psot.to_be_bytes());
        sot_payload.extend([0, 1]);
        let mut t = seg(SOT, &sot_payload);
        t.extend(body);
        t.extend(SOD.to_be_bytes());
        t.extend(data);
        t
    }

    fn codestream(main: &[Vec<u8>], tiles: &[Vec<u8>]) -> Vec<u8> {
        let mut c = SOC.to_be_bytes().to_vec();
        c.extend(seg(SIZ, &[0; 38]));
        c.extend(seg(0xFF52, &[0; 10]));
        c.extend(seg(0xFF5C, &[0; 3]));
        for m in main {
            c.extend(m);
        }
        for t in tiles {
            c.extend(t);
        }
        c.extend(EOC.to_be_bytes());
        c
    }

    /// A TLM segment (Ttlm 1 byte, Ptlm 4 bytes) for `tiles`.
    fn tlm(tiles: &[Vec<u8>]) -> Vec<u8> {
        let mut p = vec![0, 0x50];
        for (i, t) in tiles.iter().enumerate() {
            p.push(u8::try_from(i).unwrap());
            p.extend(u32::try_from(t.len()).unwrap().to_be_bytes());
        }
        seg(TLM, &p)
    }

    #[test]
    fn comments_go_from_main_and_tile_part_headers_with_psot_and_tlm_adjusted() {
        let data = [0xFF, 0x91, 0x12, 0xFF, 0xD9, 0x34]; // may look like markers: never read
        let clean_tiles = [
            tile_part(0, &[], &data, false),
            tile_part(1, &[seg(0xFF58, &[0, 5])], &data, false),
        ];
        let dirty_tiles = [
            tile_part(0, &[com(b"DOE^JOHN")], &data, false),
            tile_part(1, &[seg(0xFF58, &[0, 5]), com(b"MRN998877")], &data, false),
        ];
        let clean = codestream(&[tlm(&clean_tiles)], &clean_tiles);
        let mut dirty = codestream(&[com(b"DOE^JOHN"), tlm(&dirty_tiles)], &dirty_tiles);
        dirty.extend(b"MRN998877");
        let s = strip_j2k(&dirty).unwrap();
        assert_eq!(s.data(), &clean[..]);
        assert_eq!(s.removed().comments, 3);
        assert_eq!(s.removed().trailing_bytes, 9);
        assert!(strip_j2k(s.data()).unwrap().is_unchanged());
    }

    #[test]
    fn last_tile_part_may_run_to_eoc() {
        let clean = codestream(&[], &[tile_part(0, &[], &[1, 2, 3], true)]);
        let dirty = codestream(&[], &[tile_part(0, &[com(b"DOE")], &[1, 2, 3], true)]);
        assert_eq!(strip_j2k(&dirty).unwrap().data(), &clean[..]);
        let mut padded = clean;
        padded.push(0);
        assert!(strip_j2k(&padded).unwrap().is_unchanged());
    }

    #[test]
    fn jp2_keeps_what_decoding_needs() {
        let tiles = [tile_part(0, &[com(b"DOE")], &[9, 9], false)];
        let cs = codestream(&[com(b"JOHN")], &tiles);
        let clean_cs = codestream(&[], &[tile_part(0, &[], &[9, 9], false)]);
        let ihdr = bx(b"ihdr", &[0; 14]);
        let colr = bx(b"colr", &[1, 0, 0, 0, 0, 0, 17]);
        let ftyp = bx(b"ftyp", b"jp2 \0\0\0\0jp2 ");
        let mut dirty = JP2_SIGNATURE.to_vec();
        dirty.extend(&ftyp);
        dirty.extend(bx(
            b"jp2h",
            &[&ihdr[..], &colr, &bx(b"xml ", b"DOE")].concat(),
        ));
        dirty.extend(bx(b"xml ", b"<name>DOE^JOHN</name>"));
        dirty.extend(bx(b"uuid", &[7; 24]));
        dirty.extend(bx(b"jp2c", &cs));
        dirty.extend(bx(b"uinf", &bx(b"url ", b"http://x")));
        let mut clean = JP2_SIGNATURE.to_vec();
        clean.extend(&ftyp);
        clean.extend(bx(b"jp2h", &[&ihdr[..], &colr].concat()));
        clean.extend(bx(b"jp2c", &clean_cs));
        let s = strip_j2k(&dirty).unwrap();
        assert_eq!(s.data(), &clean[..]);
        assert_eq!((s.removed().boxes, s.removed().comments), (4, 2));
        assert!(strip_j2k(s.data()).unwrap().is_unchanged());
        // No codestream box, or ftyp not second: errors.
        let mut no_cs = JP2_SIGNATURE.to_vec();
        no_cs.extend(&ftyp);
        assert!(strip_j2k(&no_cs).is_err());
        let mut late_ftyp = JP2_SIGNATURE.to_vec();
        late_ftyp.extend(bx(b"jp2c", &clean_cs));
        late_ftyp.extend(&ftyp);
        assert!(strip_j2k(&late_ftyp).is_err());
    }

    #[test]
    fn malformed_codestreams_are_errors() {
        let tiles = [tile_part(0, &[com(b"x")], &[1, 2], false)];
        let good = codestream(&[], &tiles);
        assert!(strip_j2k(&good).is_ok());
        for n in 0..good.len() - 1 {
            assert!(strip_j2k(&good[..n]).is_err(), "prefix {n}");
        }
        let mut unknown = good.clone();
        unknown.splice(4..4, seg(0xFF40, &[1]));
        let mut psot_long = good.clone();
        let sot = good.len() - tiles[0].len() - 2;
        psot_long[sot + 6..sot + 10].copy_from_slice(&1000u32.to_be_bytes());
        let mut psot_short = good.clone();
        psot_short[sot + 6..sot + 10].copy_from_slice(&4u32.to_be_bytes());
        let bad_tlm = codestream(&[seg(TLM, &[0, 0x50, 0, 0, 0, 0, 9])], &tiles);
        let cases = [
            (unknown, "unknown marker"),
            (psot_long, "Psot past the end"),
            (psot_short, "Psot below SOT + SOD"),
            (codestream(&[], &[]), "no tile-part"),
            (good[..4].to_vec(), "SIZ cut"),
            (vec![0xFF, 0x4F, 0xFF, 0x52, 0, 2], "no SIZ"),
        ];
        for (bytes, what) in cases {
            assert!(strip_j2k(&bytes).is_err(), "{what}");
        }
        // A TLM entry that disagrees with Psot cannot be adjusted.
        assert!(strip_j2k(&bad_tlm).is_err());
    }
}
