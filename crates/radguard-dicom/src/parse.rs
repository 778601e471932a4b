//! radguard's own structural DICOM parser.
//!
//! dicom-rs trusts declared lengths: it reserves memory for a value before
//! checking that the bytes exist. This parser walks the structure itself
//! (element headers, sequences, items, encapsulated fragments), checks every
//! declared length against the bytes really present in the enclosing
//! container before touching memory, limits nesting depth and element
//! count, and only then hands each value, as an exact slice, to dicom-rs's
//! value decoder. The object is built from those values, so dicom-rs never
//! sees a length that was not checked.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::info::{Finding, FindingKind};
use crate::limits::Limits;
use crate::source::Source;
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::header::{DataElementHeader, Length};
use dicom_core::value::{DataSetSequence, PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_encoding::TransferSyntax;
use dicom_encoding::text::SpecificCharacterSet;
use dicom_object::InMemDicomObject;
use dicom_object::mem::InMemElement;
use dicom_parser::stateful::decode::{StatefulDecode, StatefulDecoder};
use dicom_transfer_syntax_registry::entries;

pub(crate) use crate::tags::to_attr as attr;
use crate::tags::{
    ITEM, ITEM_DELIMITATION_ITEM as ITEM_DELIMITER, PIXEL_DATA, PIXEL_REPRESENTATION,
    SEQUENCE_DELIMITATION_ITEM as SEQUENCE_DELIMITER, SPECIFIC_CHARACTER_SET, is_pixel_data,
};
const UNDEFINED: u32 = 0xFFFF_FFFF;

/// How a data set is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Enc {
    pub(crate) explicit: bool,
    pub(crate) big_endian: bool,
}

impl Enc {
    pub(crate) const EXPLICIT_LE: Self = Self {
        explicit: true,
        big_endian: false,
    };
    pub(crate) const IMPLICIT_LE: Self = Self {
        explicit: false,
        big_endian: false,
    };
    pub(crate) const EXPLICIT_BE: Self = Self {
        explicit: true,
        big_endian: true,
    };
}

/// VRs whose explicit-VR header has 2 reserved bytes and a 32-bit length
/// (mirrors dicom-encoding's explicit VR decoders).
pub(crate) fn has_long_length(vr: VR) -> bool {
    !matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::AT
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::FL
            | VR::FD
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::SL
            | VR::SS
            | VR::ST
            | VR::TM
            | VR::UI
            | VR::UL
            | VR::US
    )
}

/// A fragment of encapsulated pixel data: where its bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fragment {
    /// Byte offset of the fragment's value in the source.
    pub(crate) offset: u64,
    /// Length of the fragment's value in bytes.
    pub(crate) len: u32,
}

/// Where a top-level pixel data element is, when the parser was asked not
/// to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PixelLoc {
    pub(crate) tag: Tag,
    pub(crate) vr: VR,
    pub(crate) kind: PixelKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PixelKind {
    Native {
        offset: u64,
        len: u32,
    },
    Encapsulated {
        offset_table: Vec<u32>,
        fragments: Vec<Fragment>,
    },
}

/// What the parser does with values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Decode every value and build the object.
    Build,
    /// Check the structure only; decode just the top-level tags in
    /// `capture` (small values only).
    Scan,
}

/// How a data set ends.
#[derive(Debug, Clone, Copy)]
enum End {
    /// At the end of the source (top level).
    Eof,
    /// At an absolute offset (defined-length item).
    At(u64),
    /// At an item delimitation item, which must come before `limit`.
    Delimited { limit: u64 },
}

impl End {
    fn limit(self, src_len: u64) -> u64 {
        match self {
            Self::Eof => src_len,
            Self::At(e) => e,
            Self::Delimited { limit } => limit,
        }
    }
}

/// Parser state to roll back a failed tentative interpretation.
struct Snapshot {
    element_count: u64,
    in_memory: u64,
    max_depth: u32,
    findings: usize,
    charset: SpecificCharacterSet,
    truncated: bool,
}

#[derive(Clone, Copy)]
struct Header {
    tag: Tag,
    vr: VR,
    len: u32,
    hlen: u64,
}

/// The parser's result.
pub(crate) struct Parsed {
    pub(crate) elements: Vec<InMemElement>,
    pub(crate) pixel: Option<PixelLoc>,
    pub(crate) element_count: u64,
    pub(crate) max_depth: u32,
    pub(crate) findings: Vec<Finding>,
}

pub(crate) struct Parser<'a, S: Source> {
    src: &'a mut S,
    limits: Limits,
    mode: Mode,
    skip_pixel: bool,
    capture: &'a [Tag],
    value_ts: TransferSyntax,
    charset: SpecificCharacterSet,
    element_count: u64,
    in_memory: u64,
    max_depth: u32,
    findings: Vec<Finding>,
    pixel: Option<PixelLoc>,
    truncated: bool,
    allow_truncated: bool,
    split_tag: Option<Tag>,
}

impl<'a, S: Source> Parser<'a, S> {
    pub(crate) fn new(
        src: &'a mut S,
        limits: Limits,
        mode: Mode,
        skip_pixel: bool,
        capture: &'a [Tag],
        big_endian: bool,
    ) -> Self {
        let value_ts = if big_endian {
            entries::EXPLICIT_VR_BIG_ENDIAN.erased()
        } else {
            entries::EXPLICIT_VR_LITTLE_ENDIAN.erased()
        };
        Self {
            src,
            limits,
            mode,
            skip_pixel,
            capture,
            value_ts,
            charset: SpecificCharacterSet::default(),
            element_count: 0,
            in_memory: 0,
            max_depth: 0,
            findings: Vec::new(),
            pixel: None,
            truncated: false,
            allow_truncated: false,
            split_tag: None,
        }
    }

    /// When skipping pixel data, also leave this top-level element (of
    /// defined length) unread, as if it were pixel data.
    pub(crate) fn split_tag(mut self, tag: Option<Tag>) -> Self {
        self.split_tag = tag;
        self
    }

    /// Reads a file that ends inside an element up to its last complete
    /// element (with a [`FindingKind::TruncatedAtEof`] finding) instead of
    /// failing.
    pub(crate) fn allow_truncated(mut self, yes: bool) -> Self {
        self.allow_truncated = yes;
        self
    }

    /// Parses the top-level data set from `start` to the end of the source.
    pub(crate) fn parse_top(mut self, start: u64, enc: Enc) -> Result<Parsed> {
        let (elements, _) = self.dataset(start, End::Eof, enc, 0)?;
        Ok(Parsed {
            elements,
            pixel: self.pixel,
            element_count: self.element_count,
            max_depth: self.max_depth,
            findings: self.findings,
        })
    }

    /// Parses the whole source as the value of a sequence encoded in
    /// Implicit VR Little Endian (its items, PS3.5 §6.2.2), at nesting
    /// depth `depth`. Every byte must belong to an item.
    pub(crate) fn parse_items(mut self, tag: Tag, depth: u32) -> Result<Vec<InMemDicomObject>> {
        let len = self.src.len();
        let h = Header {
            tag,
            vr: VR::SQ,
            len: u32::try_from(len).map_err(|_| Error::TooLarge {
                what: "sequence value",
                size: len,
                limit: u64::from(u32::MAX - 1),
            })?,
            hlen: 0,
        };
        if depth + 1 > self.limits.max_depth {
            return Err(Error::TooDeep {
                tag: attr(tag),
                offset: 0,
                limit: self.limits.max_depth,
            });
        }
        let (items, end) = self.sequence(0, &h, 0, len, Enc::IMPLICIT_LE, depth + 1)?;
        if self.truncated || end != len {
            return Err(Error::malformed(
                end,
                Some(attr(tag)),
                "bytes left after the last item of the sequence",
            ));
        }
        Ok(items)
    }

    /// Parses file meta elements (group 0002, always Explicit VR Little
    /// Endian) from `start` while the group is 0002. Returns the elements,
    /// the offset after them, and the findings.
    pub(crate) fn parse_meta(
        mut self,
        start: u64,
    ) -> Result<(Vec<InMemElement>, u64, Vec<Finding>)> {
        let src_len = self.src.len();
        let mut out = Vec::new();
        let mut off = start;
        while src_len - off >= 8 {
            let tag = self.tag_at(off, false)?;
            if tag.0 != 0x0002 {
                break;
            }
            let Some(h) = self.header(off, src_len, Enc::EXPLICIT_LE)? else {
                return Err(Error::malformed(
                    off,
                    Some(attr(tag)),
                    "file meta element cut short",
                ));
            };
            if h.vr == VR::SQ || h.len == UNDEFINED {
                return Err(Error::malformed(
                    off,
                    Some(attr(h.tag)),
                    "sequence or undefined length in the file meta group",
                ));
            }
            let value_off = off + h.hlen;
            let len = u64::from(h.len);
            if len > src_len - value_off {
                return Err(Error::Truncated {
                    tag: attr(h.tag),
                    offset: off,
                    declared: len,
                    available: src_len - value_off,
                });
            }
            self.count_element()?;
            let value = self.value(&h, value_off)?;
            out.push(DataElement::new(h.tag, h.vr, value));
            off = value_off + len;
        }
        if off < src_len && src_len - off < 8 {
            // Fewer bytes than an element header after the meta elements:
            // the file was cut there (no data set can follow).
            return Err(Error::malformed(
                off,
                None,
                "file cut short inside or right after the file meta group",
            ));
        }
        Ok((out, off, self.findings))
    }

    fn finding(&mut self, kind: FindingKind, tag: Option<Tag>, offset: u64) {
        // Keep the report bounded on pathological files.
        if self.findings.len() < 1000
            && !self
                .findings
                .iter()
                .any(|f| f.kind == kind && f.offset == offset)
        {
            self.findings.push(Finding {
                kind,
                tag: tag.map(attr),
                offset,
            });
        }
    }

    fn bytes(&mut self, off: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        self.src.read(off, len)
    }

    fn u16_at(&mut self, off: u64, be: bool) -> Result<u16> {
        let b = self.bytes(off, 2)?;
        let a = [b[0], b[1]];
        Ok(if be {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }

    fn u32_at(&mut self, off: u64, be: bool) -> Result<u32> {
        let b = self.bytes(off, 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if be {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }

    fn tag_at(&mut self, off: u64, be: bool) -> Result<Tag> {
        Ok(Tag(self.u16_at(off, be)?, self.u16_at(off + 2, be)?))
    }

    fn count_element(&mut self) -> Result<()> {
        self.element_count += 1;
        if self.element_count > self.limits.max_elements {
            return Err(Error::TooLarge {
                what: "element count",
                size: self.element_count,
                limit: self.limits.max_elements,
            });
        }
        Ok(())
    }

    fn charge_memory(&mut self, len: u64) -> Result<()> {
        self.in_memory += len;
        if self.in_memory > self.limits.max_in_memory {
            return Err(Error::TooLarge {
                what: "value bytes held in memory",
                size: self.in_memory,
                limit: self.limits.max_in_memory,
            });
        }
        Ok(())
    }

    /// If truncated files are allowed and the container whose `limit` was
    /// overrun extends to the end of the source, records truncation;
    /// otherwise returns `err`.
    fn cut(&mut self, limit: u64, tag: Option<Tag>, offset: u64, err: Error) -> Result<()> {
        if self.allow_truncated && limit == self.src.len() {
            self.truncated = true;
            self.finding(FindingKind::TruncatedAtEof, tag, offset);
            Ok(())
        } else {
            Err(err)
        }
    }

    /// `Ok(true)` if `len` bytes from `value_off` fit before `limit`. If
    /// they do not: the error [`Error::Truncated`] naming `tag` at `off`,
    /// or, where truncated files are allowed and the container runs to the
    /// end of the source, `Ok(false)` with the truncation recorded under
    /// `finding_tag`.
    fn fits(
        &mut self,
        limit: u64,
        (tag, finding_tag): (Tag, Tag),
        off: u64,
        value_off: u64,
        len: u64,
    ) -> Result<bool> {
        if len <= limit - value_off {
            return Ok(true);
        }
        let err = Error::Truncated {
            tag: attr(tag),
            offset: off,
            declared: len,
            available: limit - value_off,
        };
        self.cut(limit, Some(finding_tag), off, err)?;
        Ok(false)
    }

    /// Reads an element header at `off`; at least 8 bytes are available
    /// before `limit` (checked by the caller). `Ok(None)` means the header
    /// itself is cut off by the end of the file.
    fn header(&mut self, off: u64, limit: u64, enc: Enc) -> Result<Option<Header>> {
        let be = enc.big_endian;
        let tag = self.tag_at(off, be)?;
        if tag.0 == 0xFFFE {
            let len = self.u32_at(off + 4, be)?;
            return Ok(Some(Header {
                tag,
                vr: VR::UN,
                len,
                hlen: 8,
            }));
        }
        let (vr, len, hlen) = if enc.explicit {
            let raw = self.bytes(off + 4, 2)?;
            let raw = [raw[0], raw[1]];
            let (vr, long) = match VR::from_binary(raw) {
                Some(vr) => (vr, has_long_length(vr)),
                None => {
                    self.finding(FindingKind::InvalidVr, Some(tag), off);
                    // An unknown VR: take the dictionary's VR, and the
                    // length layout under which the element fits and is
                    // followed by a plausible next element.
                    let vr = implicit_vr(tag);
                    (vr, !self.short_layout_fits(off, limit, tag, be)?)
                }
            };
            if long {
                if !self.fits(limit, (tag, tag), off, off, 12)? {
                    return Ok(None);
                }
                (vr, self.u32_at(off + 8, be)?, 12)
            } else {
                (vr, u32::from(self.u16_at(off + 6, be)?), 8)
            }
        } else {
            let len = self.u32_at(off + 4, be)?;
            (implicit_vr(tag), len, 8)
        };
        Ok(Some(Header { tag, vr, len, hlen }))
    }

    /// For an element with an unknown VR at `off`: does the short (2-byte
    /// length) layout fit in the container and land on the container end or
    /// on a plausible next tag (same or later group)?
    fn short_layout_fits(&mut self, off: u64, limit: u64, tag: Tag, be: bool) -> Result<bool> {
        let len = u64::from(self.u16_at(off + 6, be)?);
        let next = off + 8 + len;
        if next > limit {
            return Ok(false);
        }
        if limit - next < 4 {
            return Ok(true);
        }
        let next_tag = self.tag_at(next, be)?;
        Ok(next_tag.0 >= tag.0 && next_tag > tag)
    }

    /// Parses one data set (top level or item).
    /// Returns the elements and the offset just after the data set (after
    /// its item delimitation item, if any).
    fn dataset(
        &mut self,
        start: u64,
        end: End,
        enc: Enc,
        depth: u32,
    ) -> Result<(Vec<InMemElement>, u64)> {
        let src_len = self.src.len();
        let limit = end.limit(src_len);
        let mut out: Vec<InMemElement> = Vec::new();
        let mut off = start;
        let mut last_tag: Option<Tag> = None;
        while !self.truncated {
            match end {
                End::Eof | End::At(_) if off == limit => break,
                End::Delimited { .. } if off == limit => {
                    let err = Error::malformed(
                        off,
                        None,
                        "item has no item delimiter before the end of its sequence",
                    );
                    self.cut(limit, None, off, err)?;
                    break;
                }
                _ => {}
            }
            let avail = limit - off;
            if avail < 8 {
                let padding = usize::try_from(avail)
                    .ok()
                    .and_then(|n| self.bytes(off, n).ok().map(|b| b.iter().all(|x| *x == 0)))
                    .unwrap_or(false);
                if matches!(end, End::Eof) && padding {
                    self.finding(FindingKind::TrailingBytes, None, off);
                    break;
                }
                if matches!(end, End::Eof) {
                    // Not padding: an element header cut by the end of the
                    // file, and whatever followed it is lost.
                    let err = Error::malformed(
                        off,
                        None,
                        "element header cut short by the end of the file",
                    );
                    self.cut(limit, None, off, err)?;
                    break;
                }
                let err =
                    Error::malformed(off, None, "element header cut short by the end of its item");
                self.cut(limit, None, off, err)?;
                break;
            }
            let Some(h) = self.header(off, limit, enc)? else {
                break;
            };
            let value_off = off + h.hlen;
            if h.tag == ITEM_DELIMITER || (h.tag == SEQUENCE_DELIMITER && depth == 0) {
                if h.len != 0 {
                    self.finding(FindingKind::NonZeroDelimiterLength, Some(h.tag), off);
                }
                match end {
                    End::Delimited { .. } if h.tag == ITEM_DELIMITER => {
                        return Ok((out, value_off));
                    }
                    End::Eof if depth == 0 => {
                        self.finding(FindingKind::StrayDelimiter, Some(h.tag), off);
                        off = value_off;
                        continue;
                    }
                    _ => {
                        return Err(Error::malformed(
                            off,
                            Some(attr(h.tag)),
                            "item delimiter inside a defined-length item",
                        ));
                    }
                }
            }
            if h.tag.0 == 0xFFFE {
                return Err(Error::malformed(
                    off,
                    Some(attr(h.tag)),
                    "item or sequence delimiter where an element was expected",
                ));
            }
            if let Some(prev) = last_tag {
                if h.tag == prev {
                    self.finding(FindingKind::DuplicateTag, Some(h.tag), off);
                } else if h.tag < prev {
                    self.finding(FindingKind::OutOfOrder, Some(h.tag), off);
                }
            }
            last_tag = Some(h.tag);
            self.count_element()?;
            let misplaced_meta = h.tag.0 == 0x0002 && depth == 0;
            if (h.tag.1 == 0x0000 || misplaced_meta) && h.len != UNDEFINED && h.vr != VR::SQ {
                // Group lengths (gggg,0000) are retired (PS3.5 §7.2) and go
                // stale as soon as a value changes; file meta elements
                // (0002,xxxx) do not belong in the data set (PS3.10 §7.1).
                // Drop both; a finding says so.
                let len = u64::from(h.len);
                if !self.fits(limit, (h.tag, h.tag), off, value_off, len)? {
                    break;
                }
                let kind = if misplaced_meta {
                    FindingKind::MetaElementInDataSet
                } else {
                    FindingKind::GroupLengthDropped
                };
                self.finding(kind, Some(h.tag), off);
                off = value_off + len;
                continue;
            }

            let top_pixel = depth == 0 && (is_pixel_data(h.tag) || self.split_tag == Some(h.tag));
            if h.tag == PIXEL_DATA && h.len == UNDEFINED {
                // Encapsulated pixel data.
                let (bot, frags, next) =
                    self.fragments(value_off, limit, enc, top_pixel && self.skip_pixel)?;
                if top_pixel && self.skip_pixel {
                    self.set_pixel(
                        off,
                        PixelLoc {
                            tag: h.tag,
                            vr: h.vr,
                            kind: PixelKind::Encapsulated {
                                offset_table: bot,
                                fragments: frags.into_iter().map(|(f, _)| f).collect(),
                            },
                        },
                    )?;
                } else if self.mode == Mode::Build {
                    let data = frags.into_iter().map(|(_, d)| d).collect::<Vec<_>>();
                    out.push(DataElement::new(
                        h.tag,
                        VR::OB,
                        Value::PixelSequence(PixelFragmentSequence::new(bot, data)),
                    ));
                }
                off = next;
                continue;
            }
            // A standard sequence stored as UN with a defined length holds
            // an Implicit VR Little Endian sequence (PS3.5 §6.2.2): parse it,
            // so that what is inside is visible (and de-identifiable). If it
            // does not parse, it stays opaque bytes.
            if h.vr == VR::UN
                && h.len != UNDEFINED
                && enc.explicit
                && !enc.big_endian
                && h.tag.0 % 2 == 0
                && dict_vr(h.tag) == Some(VirtualVr::Exact(VR::SQ))
                && depth < self.limits.max_depth
                && u64::from(h.len) <= limit - value_off
            {
                let snapshot = self.snapshot();
                let as_seq = Header { vr: VR::SQ, ..h };
                match self.sequence(off, &as_seq, value_off, limit, Enc::IMPLICIT_LE, depth + 1) {
                    Ok((items, next))
                        if !self.truncated && next == value_off + u64::from(h.len) =>
                    {
                        self.finding(FindingKind::UnknownVrSequence, Some(h.tag), off);
                        self.max_depth = self.max_depth.max(depth + 1);
                        self.push_sequence(&mut out, h.tag, items);
                        off = next;
                        continue;
                    }
                    // Limits hold whatever the interpretation.
                    Err(e @ (Error::TooLarge { .. } | Error::TooDeep { .. })) => return Err(e),
                    _ => self.restore(snapshot),
                }
            }
            let un_sequence = h.vr == VR::UN && h.len == UNDEFINED && enc.explicit;
            if h.vr == VR::SQ || h.len == UNDEFINED {
                let inner = if un_sequence {
                    if enc.big_endian {
                        return Err(Error::malformed(
                            off,
                            Some(attr(h.tag)),
                            "UN element of undefined length in a big endian data set",
                        ));
                    }
                    self.finding(FindingKind::UnknownVrSequence, Some(h.tag), off);
                    Enc::IMPLICIT_LE
                } else {
                    if h.vr != VR::SQ {
                        self.finding(FindingKind::UndefinedLengthNonSequence, Some(h.tag), off);
                    }
                    enc
                };
                if depth + 1 > self.limits.max_depth {
                    return Err(Error::TooDeep {
                        tag: attr(h.tag),
                        offset: off,
                        limit: self.limits.max_depth,
                    });
                }
                self.max_depth = self.max_depth.max(depth + 1);
                let (items, next) = self.sequence(off, &h, value_off, limit, inner, depth + 1)?;
                self.push_sequence(&mut out, h.tag, items);
                off = next;
                continue;
            }
            // A primitive value of defined length.
            let len = u64::from(h.len);
            if !self.fits(limit, (h.tag, h.tag), off, value_off, len)? {
                break;
            }
            if len % 2 == 1 {
                self.finding(FindingKind::OddLength, Some(h.tag), off);
            }
            if top_pixel && self.skip_pixel {
                self.set_pixel(
                    off,
                    PixelLoc {
                        tag: h.tag,
                        vr: h.vr,
                        kind: PixelKind::Native {
                            offset: value_off,
                            len: h.len,
                        },
                    },
                )?;
            } else if self.mode == Mode::Build
                || (depth == 0 && len <= 64 * 1024 && self.capture.contains(&h.tag))
            {
                let value = self.value(&h, value_off)?;
                out.push(DataElement::new(h.tag, h.vr, value));
            }
            off = value_off + len;
        }
        Ok((out, off))
    }

    /// Adds a parsed sequence to the data set being built.
    fn push_sequence(&self, out: &mut Vec<InMemElement>, tag: Tag, items: Vec<InMemDicomObject>) {
        if self.mode == Mode::Build {
            out.push(DataElement::new(
                tag,
                VR::SQ,
                Value::Sequence(DataSetSequence::new(items, Length::UNDEFINED)),
            ));
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            element_count: self.element_count,
            in_memory: self.in_memory,
            max_depth: self.max_depth,
            findings: self.findings.len(),
            charset: self.charset.clone(),
            truncated: self.truncated,
        }
    }

    fn restore(&mut self, s: Snapshot) {
        self.element_count = s.element_count;
        self.in_memory = s.in_memory;
        self.max_depth = s.max_depth;
        self.findings.truncate(s.findings);
        self.charset = s.charset;
        self.truncated = s.truncated;
    }

    fn set_pixel(&mut self, off: u64, loc: PixelLoc) -> Result<()> {
        if self.pixel.is_some() {
            return Err(Error::malformed(
                off,
                Some(attr(loc.tag)),
                "more than one top-level pixel data element",
            ));
        }
        self.pixel = Some(loc);
        Ok(())
    }

    /// Decodes a primitive value with dicom-rs from exactly its bytes.
    fn value(&mut self, h: &Header, value_off: u64) -> Result<PrimitiveValue> {
        if h.len == 0 {
            return Ok(PrimitiveValue::Empty);
        }
        let len = usize::try_from(h.len).map_err(|_| {
            Error::malformed(
                value_off,
                Some(attr(h.tag)),
                "value too large for this platform",
            )
        })?;
        self.charge_memory(u64::from(h.len))?;
        let charset = self.charset.clone();
        let header = DataElementHeader::new(h.tag, h.vr, Length(h.len));
        let bytes = self.src.read(value_off, len)?;
        let mut dec = StatefulDecoder::new_with(&bytes[..], &self.value_ts, charset, value_off)
            .map_err(|e| Error::Value {
                tag: attr(h.tag),
                offset: value_off,
                vr: h.vr.to_string(),
                source: Box::new(e),
            })?;
        let v = dec
            .read_value_preserved(&header)
            .map_err(|e| Error::Value {
                tag: attr(h.tag),
                offset: value_off,
                vr: h.vr.to_string(),
                source: Box::new(e),
            })?;
        if h.tag == SPECIFIC_CHARACTER_SET {
            let first = v
                .strings()
                .ok()
                .and_then(|s| s.first().map(|x| crate::text::trim_value(x).to_owned()));
            if let Some(cs) = first.as_deref().and_then(SpecificCharacterSet::from_code) {
                self.charset = cs;
            }
        }
        Ok(v)
    }

    /// Parses the items of a sequence whose value starts at `value_off`.
    ///
    /// Like pydicom, an item that runs past the declared end of a
    /// defined-length sequence is accepted if its bytes are present in the
    /// enclosing container (the sequence length is rewritten on output);
    /// this is reported as a finding.
    fn sequence(
        &mut self,
        hdr_off: u64,
        h: &Header,
        value_off: u64,
        limit: u64,
        enc: Enc,
        depth: u32,
    ) -> Result<(Vec<InMemDicomObject>, u64)> {
        let seq_end = if h.len == UNDEFINED {
            None
        } else {
            let len = u64::from(h.len);
            if !self.fits(limit, (h.tag, h.tag), hdr_off, value_off, len)? {
                // Read what is there, up to the end of the file.
                None
            } else {
                Some(value_off + len)
            }
        };
        let src_len = self.src.len();
        let mut items = Vec::new();
        let mut off = value_off;
        // A truncated defined-length sequence reads to the end of the file.
        let open_to_eof = self.truncated;
        self.truncated = false;
        loop {
            if let Some(e) = seq_end
                && off >= e
            {
                if off > e {
                    self.finding(FindingKind::SequenceLengthMismatch, Some(h.tag), hdr_off);
                }
                break;
            }
            if off == limit && open_to_eof {
                break;
            }
            if limit - off < 8 {
                if seq_end.is_none() && limit == src_len {
                    if limit != off {
                        self.finding(FindingKind::TrailingBytes, Some(h.tag), off);
                    }
                    if !open_to_eof {
                        self.finding(FindingKind::MissingDelimiter, Some(h.tag), off);
                    }
                    off = limit;
                    break;
                }
                let err = Error::malformed(
                    off,
                    Some(attr(h.tag)),
                    "sequence cut short: no room for the next item header",
                );
                self.cut(limit, Some(h.tag), off, err)?;
                break;
            }
            let tag = self.tag_at(off, enc.big_endian)?;
            let len = self.u32_at(off + 4, enc.big_endian)?;
            if tag == SEQUENCE_DELIMITER {
                if len != 0 {
                    self.finding(FindingKind::NonZeroDelimiterLength, Some(h.tag), off);
                }
                if seq_end.is_some() {
                    return Err(Error::malformed(
                        off,
                        Some(attr(h.tag)),
                        "sequence delimiter inside a defined-length sequence",
                    ));
                }
                off += 8;
                break;
            }
            if tag != ITEM {
                return Err(Error::malformed(
                    off,
                    Some(attr(h.tag)),
                    "expected an item in a sequence",
                ));
            }
            let item_start = off + 8;
            let (elements, next) = if len == UNDEFINED {
                self.dataset(item_start, End::Delimited { limit }, enc, depth)?
            } else {
                let ilen = u64::from(len);
                if !self.fits(limit, (ITEM, ITEM), off, item_start, ilen)? {
                    // Read the item up to the end of the file.
                    self.truncated = false;
                    let r = self.dataset(item_start, End::At(limit), enc, depth)?;
                    self.truncated = true;
                    r
                } else {
                    self.dataset(item_start, End::At(item_start + ilen), enc, depth)?
                }
            };
            if self.mode == Mode::Build {
                items.push(InMemDicomObject::from_element_iter(elements));
            }
            off = next;
            if self.truncated {
                break;
            }
        }
        self.truncated |= open_to_eof;
        Ok((items, off))
    }

    /// Parses the items of encapsulated pixel data. Returns the basic
    /// offset table, the fragments (with their bytes when building and not
    /// skipping) and the offset after the sequence delimiter.
    #[allow(clippy::type_complexity)]
    fn fragments(
        &mut self,
        start: u64,
        limit: u64,
        enc: Enc,
        skip: bool,
    ) -> Result<(Vec<u32>, Vec<(Fragment, Vec<u8>)>, u64)> {
        let src_len = self.src.len();
        let mut off = start;
        let mut bot: Option<Vec<u32>> = None;
        let mut frags = Vec::new();
        let keep_bytes = self.mode == Mode::Build && !skip;
        loop {
            if limit - off < 8 {
                if limit == src_len {
                    if limit != off {
                        self.finding(FindingKind::TrailingBytes, Some(PIXEL_DATA), off);
                    }
                    self.finding(FindingKind::MissingDelimiter, Some(PIXEL_DATA), off);
                    off = limit;
                    break;
                }
                return Err(Error::malformed(
                    off,
                    Some(attr(PIXEL_DATA)),
                    "encapsulated pixel data cut short",
                ));
            }
            let tag = self.tag_at(off, enc.big_endian)?;
            let len = self.u32_at(off + 4, enc.big_endian)?;
            if tag == SEQUENCE_DELIMITER {
                if len != 0 {
                    self.finding(FindingKind::NonZeroDelimiterLength, Some(PIXEL_DATA), off);
                }
                off += 8;
                break;
            }
            if tag != ITEM {
                return Err(Error::malformed(
                    off,
                    Some(attr(PIXEL_DATA)),
                    "expected a fragment item in encapsulated pixel data",
                ));
            }
            if len == UNDEFINED {
                return Err(Error::malformed(
                    off,
                    Some(attr(PIXEL_DATA)),
                    "fragment item of undefined length",
                ));
            }
            let value_off = off + 8;
            let flen = u64::from(len);
            if !self.fits(limit, (ITEM, PIXEL_DATA), off, value_off, flen)? {
                off = limit;
                break;
            }
            self.count_element()?;
            if bot.is_none() {
                // The first item is the basic offset table.
                if len % 4 != 0 {
                    self.finding(FindingKind::BadOffsetTable, Some(PIXEL_DATA), off);
                }
                let mut table = Vec::new();
                if self.mode == Mode::Build && len >= 4 {
                    self.charge_memory(flen)?;
                    let n = usize::try_from(len / 4).unwrap_or(0);
                    let be = enc.big_endian;
                    let raw = self.bytes(value_off, n * 4)?;
                    table = raw
                        .chunks_exact(4)
                        .map(|c| {
                            let a = [c[0], c[1], c[2], c[3]];
                            if be {
                                u32::from_be_bytes(a)
                            } else {
                                u32::from_le_bytes(a)
                            }
                        })
                        .collect();
                }
                bot = Some(table);
            } else {
                let data = if keep_bytes {
                    self.charge_memory(flen)?;
                    let n = usize::try_from(len)
                        .map_err(|_| Error::malformed(off, None, "fragment too large"))?;
                    self.bytes(value_off, n)?.into_owned()
                } else {
                    Vec::new()
                };
                frags.push((
                    Fragment {
                        offset: value_off,
                        len,
                    },
                    data,
                ));
            }
            off = value_off + flen;
        }
        Ok((bot.unwrap_or_default(), frags, off))
    }
}

/// The VR dicom-rs assigns to a tag in Implicit VR.
pub(crate) fn implicit_vr(tag: Tag) -> VR {
    if tag == PIXEL_DATA || (tag.0 >> 8 == 0x60 && tag.1 == 0x3000) {
        return VR::OW;
    }
    StandardDataDictionary
        .by_tag(tag)
        .map_or(VR::UN, |e| e.vr().relaxed())
}

fn dict_vr(tag: Tag) -> Option<VirtualVr> {
    StandardDataDictionary.by_tag(tag).map(|e| e.vr())
}

/// Gives attributes whose dictionary VR is "US or SS" (pixel sample values
/// such as Smallest Image Pixel Value) the VR SS wherever Pixel
/// Representation (0028,0103) is 1, in the item that holds them or an
/// enclosing one, as dicom-rs does. Done on the finished object, not in
/// stream order, so the result does not depend on element order and a
/// written file reads back the same.
pub(crate) fn resolve_sample_vrs(obj: &mut InMemDicomObject) {
    let _ = crate::walk::visit_datasets_with(obj, &false, &mut |_,
                                                                ds,
                                                                inherited_signed|
     -> std::result::Result<
        _,
        std::convert::Infallible,
    > {
        let signed = ds
            .get(PIXEL_REPRESENTATION)
            .and_then(|e| e.value().to_int::<u16>().ok())
            .map_or(*inherited_signed, |v| v != 0);
        if signed {
            sample_values_as_ss(ds);
        }
        Ok(crate::walk::Descend::Every(signed))
    });
}

/// Gives the "US or SS" attributes of one data set read as US the VR SS.
fn sample_values_as_ss(obj: &mut InMemDicomObject) {
    use dicom_core::header::Header as _;
    let to_fix: Vec<Tag> = obj
        .iter()
        .filter(|e| e.vr() == VR::US && dict_vr(e.tag()) == Some(VirtualVr::Xs))
        .map(|e| e.tag())
        .collect();
    for tag in to_fix {
        if let Some(e) = obj.take(tag) {
            let value = match e.value() {
                Value::Primitive(PrimitiveValue::U16(v)) => PrimitiveValue::I16(
                    v.iter()
                        .map(|x| i16::from_ne_bytes(x.to_ne_bytes()))
                        .collect(),
                ),
                Value::Primitive(p) => p.clone(),
                _ => {
                    obj.put(e);
                    continue;
                }
            };
            obj.put(DataElement::new(tag, VR::SS, value));
        }
    }
}
