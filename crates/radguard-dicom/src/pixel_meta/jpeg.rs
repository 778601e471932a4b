//! JPEG (ISO 10918) and JPEG-LS (ISO 14495): one marker syntax.

use super::{Edit, Error, Format, Removed, Result, Stripped, apply, be16, trailing};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const COM: u8 = 0xFE;
const APP0: u8 = 0xE0;
const APP14: u8 = 0xEE;
const SOF55: u8 = 0xF7;

/// Payload bytes of a JFIF APP0 header without thumbnail: `JFIF\0`,
/// version, units, densities, and the thumbnail size (set to 0 × 0).
const JFIF_LEN: usize = 14;
/// Payload bytes of an APP14 `Adobe` header: `Adobe`, version, flags0,
/// flags1, colour transform.
const ADOBE_LEN: usize = 12;

/// What a marker is, for the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A start-of-frame marker (SOF0–SOF15 but DHT, JPG and DAC; SOF55).
    Frame,
    /// A marker segment decoding needs: DHT, DAC, DQT, DNL, DRI, DHP, EXP,
    /// LSE.
    Table,
    /// Start of scan: entropy-coded data follows.
    Scan,
    /// APPn.
    App,
    /// COM.
    Comment,
    /// RSTn and TEM: no length, no payload.
    Standalone,
    /// EOI.
    End,
    /// Anything else: reserved, or out of place (SOI, 0xFF00).
    Invalid,
}

fn kind(code: u8) -> Kind {
    match code {
        0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | SOF55 => Kind::Frame,
        0xC4 | 0xCC | 0xDB..=0xDF | 0xF8 => Kind::Table,
        SOS => Kind::Scan,
        0xE0..=0xEF => Kind::App,
        COM => Kind::Comment,
        0x01 | 0xD0..=0xD7 => Kind::Standalone,
        EOI => Kind::End,
        _ => Kind::Invalid,
    }
}

/// Removes the metadata from one JPEG or JPEG-LS stream (one frame).
///
/// Walks the marker segments from SOI to EOI, across every scan (the
/// entropy-coded data of each scan is skipped up to the next marker, RST
/// markers and stuffed bytes included; JPEG-LS scans, recognised by their
/// SOF55 frame header, use JPEG-LS bit stuffing). Removed:
///
/// - COM segments;
/// - APPn segments, except an APP0 `JFIF` header, kept without its
///   thumbnail (decoders use the JFIF header's presence to choose the
///   colour transform; the thumbnail is cut, the size set to 0 × 0), and
///   an APP14 `Adobe` header of at least the standard 12 bytes, cut to
///   them (it carries the colour transform);
/// - bytes after EOI, except a single 0x00 (DICOM pads fragments to an
///   even length).
///
/// Everything else (DQT, DHT, DAC, SOFn, SOF55, LSE, DRI, DNL, DHP, EXP,
/// SOS, entropy-coded data, RST, EOI) is copied byte for byte, so the
/// decoded samples are unchanged.
///
/// # Errors
///
/// [`Error::Malformed`] if the stream does not start with SOI, has a
/// segment shorter than its length field, a reserved or misplaced marker,
/// a scan before a frame header or no scan; [`Error::Truncated`] if it ends
/// before EOI.
///
/// # Examples
///
/// ```
/// use radguard_dicom::pixel_meta::{Error, strip_jpeg};
///
/// assert!(matches!(strip_jpeg(b"not a JPEG"), Err(Error::Malformed { .. })));
/// assert!(matches!(strip_jpeg(&[0xFF, 0xD8, 0xFF]), Err(Error::Truncated { .. })));
/// ```
pub fn strip_jpeg(data: &[u8]) -> Result<Stripped<'_>> {
    let mut w = Walk {
        data,
        format: Format::Jpeg,
        edits: Vec::new(),
        removed: Removed::default(),
    };
    w.run()?;
    let Walk { edits, removed, .. } = w;
    Ok(apply(data, edits, removed))
}

struct Walk<'a> {
    data: &'a [u8],
    format: Format,
    edits: Vec<Edit>,
    removed: Removed,
}

impl Walk<'_> {
    fn malformed(&self, at: usize, what: &'static str) -> Error {
        Error::malformed(self.format, at, what)
    }

    fn truncated(&self, at: usize) -> Error {
        Error::truncated(self.format, at)
    }

    fn byte(&self, at: usize) -> Result<u8> {
        self.data.get(at).copied().ok_or_else(|| self.truncated(at))
    }

    fn run(&mut self) -> Result<()> {
        if self.data.get(..2) != Some(&[0xFF, SOI][..]) {
            return Err(self.malformed(0, "no SOI marker at the start"));
        }
        let mut pos = 2;
        let mut frame = false;
        let mut scan = false;
        loop {
            if self.byte(pos)? != 0xFF {
                return Err(self.malformed(pos, "expected a marker"));
            }
            // Fill bytes (0xFF) may precede a marker; they belong to it.
            let mut code_at = pos + 1;
            while self.byte(code_at)? == 0xFF {
                code_at += 1;
            }
            let code = self.byte(code_at)?;
            let after = code_at + 1;
            match kind(code) {
                Kind::End => {
                    if !scan {
                        return Err(self.malformed(code_at, "EOI before any scan"));
                    }
                    trailing(self.data, after, &mut self.edits, &mut self.removed);
                    return Ok(());
                }
                Kind::Standalone => {
                    pos = after;
                    continue;
                }
                Kind::Invalid => {
                    return Err(self.malformed(code_at, "reserved or misplaced marker"));
                }
                _ => {}
            }
            let len = be16(self.data, after).ok_or_else(|| self.truncated(self.data.len()))?;
            if len < 2 {
                return Err(self.malformed(after, "segment length below 2"));
            }
            let end = after + usize::from(len);
            if end > self.data.len() {
                return Err(self.truncated(self.data.len()));
            }
            let payload = self.data.get(after + 2..end).unwrap_or_default();
            match kind(code) {
                Kind::Frame => {
                    if code == SOF55 {
                        self.format = Format::JpegLs;
                    }
                    frame = true;
                }
                Kind::Scan => {
                    if !frame {
                        return Err(self.malformed(code_at, "scan before the frame header"));
                    }
                    scan = true;
                    pos = self.skip_entropy_coded(end)?;
                    continue;
                }
                Kind::App => self.app(code, pos, end, payload),
                Kind::Comment => {
                    self.edits.push(Edit::remove(pos, end));
                    self.removed.comments += 1;
                }
                _ => {}
            }
            pos = end;
        }
    }

    /// Decides the fate of the APPn segment at `start..end`.
    fn app(&mut self, code: u8, start: usize, end: usize, payload: &[u8]) {
        let keep = match code {
            APP0 if payload.starts_with(b"JFIF\0") => JFIF_LEN,
            APP14 if payload.starts_with(b"Adobe") && payload.len() >= ADOBE_LEN => ADOBE_LEN,
            _ => {
                self.edits.push(Edit::remove(start, end));
                self.removed.app_segments += 1;
                return;
            }
        };
        let mut kept: Vec<u8> = payload.iter().copied().take(keep).collect();
        if code == APP0 && kept.len() == JFIF_LEN {
            // No thumbnail: width and height 0.
            kept.truncate(JFIF_LEN - 2);
            kept.extend([0, 0]);
        }
        if kept == payload && end - start == payload.len() + 4 {
            return;
        }
        let len = u16::try_from(kept.len() + 2).unwrap_or(u16::MAX);
        let mut seg = vec![0xFF, code];
        seg.extend(len.to_be_bytes());
        seg.extend(kept);
        self.edits.push(Edit {
            start,
            end,
            with: seg,
        });
        self.removed.trimmed_segments += 1;
    }

    /// Skips the entropy-coded data starting at `at` and returns where the
    /// next marker (not RST) starts.
    fn skip_entropy_coded(&self, mut at: usize) -> Result<usize> {
        let ls = self.format == Format::JpegLs;
        loop {
            let rest = self.data.get(at..).unwrap_or_default();
            let Some(ff) = rest.iter().position(|b| *b == 0xFF) else {
                return Err(self.truncated(self.data.len()));
            };
            let ff = at + ff;
            let next = self.byte(ff + 1)?;
            at = match next {
                // A stuffed zero byte (JPEG), or a byte after JPEG-LS's
                // stuffed zero bit.
                0x00 => ff + 2,
                0x01..=0x7F if ls => ff + 2,
                // Restart markers stay inside the scan.
                0xD0..=0xD7 => ff + 2,
                // Fill bytes before a marker.
                0xFF => ff + 1,
                _ => return Ok(ff),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strips an owned stream: the result and what was removed.
    fn owned(j: &[u8]) -> (Vec<u8>, Removed) {
        let s = strip_jpeg(j).unwrap();
        (s.data().to_vec(), *s.removed())
    }

    fn seg(code: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, code];
        s.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend(payload);
        s
    }

    /// SOI, `head` segments, a frame header, a scan with `ecs`, EOI.
    fn jpeg(head: &[Vec<u8>], sof: u8, ecs: &[u8]) -> Vec<u8> {
        let mut j = vec![0xFF, SOI];
        for h in head {
            j.extend(h);
        }
        j.extend(seg(0xDB, &[0; 65]));
        j.extend(seg(sof, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        j.extend(seg(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
        j.extend(ecs);
        j.extend([0xFF, EOI]);
        j
    }

    #[test]
    fn comments_app_segments_and_trailing_bytes_go() {
        let head = [
            seg(0xE1, b"Exif\0\0DOE^JOHN"),
            seg(0xE2, b"ICC_PROFILE\0\x01\x01DOE"),
            seg(0xFE, b"DOE^JOHN"),
            seg(0xED, b"Photoshop 3.0\0DOE"),
        ];
        let clean = jpeg(&[], 0xC0, &[1, 2, 3]);
        let mut dirty = jpeg(&head, 0xC0, &[1, 2, 3]);
        dirty.extend(b"DOE^JOHN");
        let s = strip_jpeg(&dirty).unwrap();
        assert_eq!(s.data(), &clean[..]);
        let r = s.removed();
        assert_eq!((r.comments, r.app_segments, r.trailing_bytes), (1, 3, 8));
        assert_eq!(r.bytes, (dirty.len() - clean.len()) as u64);
        assert!(strip_jpeg(s.data()).unwrap().is_unchanged());
        // One 0x00 padding byte stays; it is not metadata.
        let mut padded = clean;
        padded.push(0);
        assert!(strip_jpeg(&padded).unwrap().is_unchanged());
    }

    #[test]
    fn jfif_keeps_its_header_and_loses_its_thumbnail() {
        let mut jfif = b"JFIF\0\x01\x02\x00\x00\x48\x00\x48".to_vec();
        let header = jfif.clone();
        jfif.extend([2, 1]);
        jfif.extend(b"DOE^JO");
        let s = owned(&jpeg(&[seg(0xE0, &jfif)], 0xC0, &[7]));
        let mut expected_payload = header;
        expected_payload.extend([0, 0]);
        assert_eq!(s.0, jpeg(&[seg(0xE0, &expected_payload)], 0xC0, &[7]));
        assert_eq!(s.1.trimmed_segments, 1);
        assert!(strip_jpeg(&s.0).unwrap().is_unchanged());
        // JFXX (extension thumbnails) and other APP0 segments go.
        let s = owned(&jpeg(&[seg(0xE0, b"JFXX\0\x10DOE")], 0xC0, &[7]));
        assert_eq!(s.1.app_segments, 1);
    }

    #[test]
    fn adobe_is_kept_and_cut_to_its_standard_length() {
        let std = b"Adobe\x00\x64\x00\x00\x00\x00\x01".to_vec();
        let mut long = std.clone();
        long.extend(b"DOE^JOHN");
        let s = owned(&jpeg(&[seg(0xEE, &long)], 0xC0, &[7]));
        assert_eq!(s.0, jpeg(&[seg(0xEE, &std)], 0xC0, &[7]));
        assert!(strip_jpeg(&s.0).unwrap().is_unchanged());
        // Too short to be read by decoders: removed.
        let s = owned(&jpeg(&[seg(0xEE, b"Adobe\x00")], 0xC0, &[7]));
        assert_eq!(s.1.app_segments, 1);
    }

    #[test]
    fn entropy_coded_data_markers_and_scans_are_copied() {
        // Stuffed 0xFF00, RST markers, fill bytes; a second scan after a
        // DHT and a DNL; a comment between the scans.
        let ecs = [
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD7, 0x78,
        ];
        let mut dirty = jpeg(&[], 0xC2, &ecs);
        let eoi = dirty.len() - 2;
        let mut between = seg(0xDC, &[0, 1]);
        between.extend(seg(0xFE, b"DOE^JOHN"));
        between.extend(seg(0xC4, &[0; 17]));
        between.extend(seg(0xDA, &[1, 1, 0, 1, 5, 0]));
        between.extend([0xAB, 0xFF, 0x00]);
        dirty.splice(eoi..eoi, between.iter().copied());
        let s = strip_jpeg(&dirty).unwrap();
        assert_eq!(s.removed().comments, 1);
        assert_eq!(s.data().len(), dirty.len() - 12);
        assert!(!s.data().windows(3).any(|w| w == b"DOE"));
        assert!(strip_jpeg(s.data()).unwrap().is_unchanged());
    }

    #[test]
    fn jpeg_ls_scans_use_their_own_bit_stuffing() {
        // In JPEG-LS, 0xFF followed by a byte below 0x80 is scan data:
        // here FF 7F and FF 5A, which baseline JPEG would read as markers.
        let ecs = [0x01, 0xFF, 0x7F, 0xFF, 0x5A, 0x02];
        let head = [
            seg(0xF8, &[1, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0]),
            seg(0xFE, b"DOE"),
        ];
        let s = owned(&jpeg(&head, SOF55, &ecs));
        assert_eq!(s.1.comments, 1);
        assert!(matches!(
            strip_jpeg(&jpeg(&[], 0xC0, &ecs)),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn malformed_streams_are_errors() {
        let good = jpeg(&[seg(0xFE, b"x")], 0xC0, &[1, 2]);
        assert!(strip_jpeg(&good).is_ok());
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "empty"),
            (good[2..].to_vec(), "no SOI"),
            (good[..good.len() - 2].to_vec(), "no EOI"),
            (good[..good.len() - 1].to_vec(), "half EOI"),
            (vec![0xFF, SOI, 0xFF, EOI], "no scan"),
            (
                vec![0xFF, SOI, 0xFF, 0xFE, 0x00, 0x09, 0x41],
                "length past the end",
            ),
            (vec![0xFF, SOI, 0xFF, 0xFE, 0x00, 0x01], "length below 2"),
            (vec![0xFF, SOI, 0xFF, 0xF0, 0x00, 0x02], "reserved marker"),
            (vec![0xFF, SOI, 0xFF, SOI], "second SOI"),
            (vec![0xFF, SOI, 0x00], "no marker"),
            (
                [&[0xFF, SOI][..], &seg(0xDA, &[0])[..], &[0xFF, EOI]].concat(),
                "scan first",
            ),
        ];
        for (bytes, what) in cases {
            assert!(strip_jpeg(&bytes).is_err(), "{what}");
        }
        // Every prefix of a good stream is an error, never a panic.
        for n in 0..good.len() - 1 {
            assert!(strip_jpeg(&good[..n]).is_err(), "{n}");
        }
    }
}
