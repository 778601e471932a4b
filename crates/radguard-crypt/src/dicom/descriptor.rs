//! The descriptor: what the encrypted elements were, where they go back,
//! and (format v2) the attributes bound to them, stored as the envelope's
//! authenticated metadata. Byte layouts in [`crate::format`] §5.2.

use radguard_core::{AttrPath, AttrTag};
use radguard_dicom::dicom::core::{Tag, VR};
use radguard_dicom::tags::{PIXEL_DATA, is_pixel_data};

use crate::envelope::Reader;
use crate::error::{Error, Result};
use crate::layout::Layout;

pub(crate) const DESCRIPTOR_V1: u8 = 1;
pub(crate) const DESCRIPTOR_V2: u8 = 2;
const UNDEFINED: u32 = 0xFFFF_FFFF;
const NO_ITEM: u32 = 0xFFFF_FFFF;
/// Most steps in a stored attribute path.
const MAX_PATH_STEPS: usize = 64;

/// VRs a pixel data element may have been read with.
pub(crate) fn allowed_vr(vr: VR) -> bool {
    matches!(vr, VR::OB | VR::OW | VR::OF | VR::OD | VR::UN)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One value of `value_len` bytes; the first `frame_units` units are
    /// whole frames (0: the value was not cut per frame).
    Native { value_len: u32, frame_units: u32 },
    /// Fragments (one unit each) after a basic offset table.
    Encapsulated { offset_table: Vec<u32> },
}

/// The top-level pixel data element, streamed from and to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PixelDescriptor {
    pub(crate) tag: Tag,
    pub(crate) vr: VR,
    pub(crate) frames: u32,
    pub(crate) kind: Kind,
}

/// How an element held in memory is rebuilt from its decrypted bytes: the
/// dicom-rs value type it was read as (numbers stored little endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    U8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    F64 = 7,
    U64 = 8,
    I64 = 9,
    /// Encapsulated (fragments, one unit each, after an offset table).
    Fragments = 10,
}

impl ValueType {
    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::U8,
            2 => Self::U16,
            3 => Self::I16,
            4 => Self::U32,
            5 => Self::I32,
            6 => Self::F32,
            7 => Self::F64,
            8 => Self::U64,
            9 => Self::I64,
            10 => Self::Fragments,
            _ => return None,
        })
    }

    /// Bytes per value (1 for bytes and fragments).
    pub(crate) fn width(self) -> usize {
        match self {
            Self::U8 | Self::Fragments => 1,
            Self::U16 | Self::I16 => 2,
            Self::U32 | Self::I32 | Self::F32 => 4,
            Self::F64 | Self::U64 | Self::I64 => 8,
        }
    }
}

/// A protected element other than the top-level pixel data: held in the
/// header in memory, encrypted as one unit (or one unit per fragment), put
/// back at `path` on decryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtraDescriptor {
    pub(crate) path: AttrPath,
    pub(crate) vr: VR,
    pub(crate) value_type: ValueType,
    pub(crate) units: u32,
    pub(crate) offset_table: Vec<u32>,
}

/// One bound attribute: its path and canonical value (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoundValue {
    pub(crate) path: AttrPath,
    pub(crate) value: Option<Vec<u8>>,
}

/// Everything the envelope's metadata says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Descriptor {
    pub(crate) version: u8,
    pub(crate) pixel: Option<PixelDescriptor>,
    /// Units of the top-level pixel data (the first units of the stream).
    pub(crate) pixel_units: usize,
    pub(crate) extras: Vec<ExtraDescriptor>,
    pub(crate) bound: Vec<BoundValue>,
    pub(crate) patient_digest: [u8; 32],
}

struct W(Vec<u8>);

impl W {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn len32(&mut self, n: usize) {
        // Every count written is bounded by a DICOM value or the layout.
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn path(&mut self, p: &AttrPath) {
        let steps = p.steps();
        self.u16(u16::try_from(steps.len()).unwrap_or(u16::MAX));
        for s in steps {
            self.u16(s.tag.group);
            self.u16(s.tag.element);
            self.u32(s.item.unwrap_or(NO_ITEM));
        }
    }
    fn pixel(&mut self, d: &PixelDescriptor) {
        self.u16(d.tag.0);
        self.u16(d.tag.1);
        self.0.extend_from_slice(&d.vr.to_bytes());
        let (kind, value_len, frame_units, bot): (u8, u32, u32, &[u32]) = match &d.kind {
            Kind::Native {
                value_len,
                frame_units,
            } => (0, *value_len, *frame_units, &[]),
            Kind::Encapsulated { offset_table } => (1, UNDEFINED, 0, offset_table),
        };
        self.u8(kind);
        self.u32(value_len);
        self.u32(d.frames);
        self.u32(frame_units);
        self.len32(bot.len());
        for v in bot {
            self.u32(*v);
        }
    }
}

/// A count of items of at least `min_size` bytes each that must fit in
/// what is left.
fn count(r: &mut Reader<'_>, min_size: usize) -> Result<usize> {
    let n = usize::try_from(r.u32()?).map_err(|_| Error::Decrypt)?;
    if n.saturating_mul(min_size.max(1)) > r.remaining() {
        return Err(Error::Decrypt);
    }
    Ok(n)
}

fn read_path(r: &mut Reader<'_>) -> Result<AttrPath> {
    let n = usize::from(r.u16()?);
    if n == 0 || n > MAX_PATH_STEPS {
        return Err(Error::Decrypt);
    }
    let mut p = AttrPath::root();
    for i in 0..n {
        let tag = AttrTag::new(r.u16()?, r.u16()?);
        let item = r.u32()?;
        p = p.child(tag);
        let last = i + 1 == n;
        match (last, item) {
            (true, NO_ITEM) => {}
            (false, i) if i != NO_ITEM => p = p.item(i),
            _ => return Err(Error::Decrypt),
        }
    }
    Ok(p)
}

fn read_vr(r: &mut Reader<'_>) -> Result<VR> {
    let b = r.take(2)?;
    VR::from_binary([b[0], b[1]]).ok_or(Error::Decrypt)
}

fn read_pixel(r: &mut Reader<'_>) -> Result<PixelDescriptor> {
    let tag = Tag(r.u16()?, r.u16()?);
    let vr = read_vr(r)?;
    let kind = r.u8()?;
    let value_len = r.u32()?;
    let frames = r.u32()?;
    let frame_units = r.u32()?;
    let bot_count = count(r, 4)?;
    let offset_table = (0..bot_count)
        .map(|_| r.u32())
        .collect::<Result<Vec<_>>>()?;
    if !is_pixel_data(tag) || !allowed_vr(vr) {
        return Err(Error::Decrypt);
    }
    let kind = match kind {
        0 if bot_count == 0 => Kind::Native {
            value_len,
            frame_units,
        },
        1 if tag == PIXEL_DATA && value_len == UNDEFINED && frame_units == 0 => {
            Kind::Encapsulated { offset_table }
        }
        _ => return Err(Error::Decrypt),
    };
    Ok(PixelDescriptor {
        tag,
        vr,
        frames,
        kind,
    })
}

/// Checks a top-level pixel descriptor against its `units` unit lengths.
fn check_pixel(d: &PixelDescriptor, units: &[u64]) -> Result<()> {
    match &d.kind {
        Kind::Native {
            value_len,
            frame_units,
        } => {
            let n = units.len() as u64;
            let frame_units_ok = *frame_units == 0
                || (*frame_units == d.frames
                    && (n == u64::from(*frame_units) || n == u64::from(*frame_units) + 1));
            let sum: u64 = units.iter().sum();
            if sum != u64::from(*value_len) || !frame_units_ok || units.is_empty() {
                return Err(Error::Decrypt);
            }
        }
        Kind::Encapsulated { .. } => {
            if units.is_empty() || units.iter().any(|l| *l > u64::from(u32::MAX - 1)) {
                return Err(Error::Decrypt);
            }
        }
    }
    Ok(())
}

impl Descriptor {
    /// Encodes format v2's descriptor.
    pub(crate) fn encode_v2(&self) -> Vec<u8> {
        let mut w = W(Vec::with_capacity(256));
        w.u8(DESCRIPTOR_V2);
        match &self.pixel {
            Some(p) => {
                w.u8(1);
                w.pixel(p);
                w.len32(self.pixel_units);
            }
            None => w.u8(0),
        }
        w.len32(self.extras.len());
        for e in &self.extras {
            w.path(&e.path);
            w.0.extend_from_slice(&e.vr.to_bytes());
            w.u8(e.value_type as u8);
            w.u32(e.units);
            w.len32(e.offset_table.len());
            for v in &e.offset_table {
                w.u32(*v);
            }
        }
        w.len32(self.bound.len());
        for b in &self.bound {
            w.path(&b.path);
            match &b.value {
                None => w.u8(0),
                Some(v) => {
                    w.u8(1);
                    w.len32(v.len());
                    w.0.extend_from_slice(v);
                }
            }
        }
        w.0.extend_from_slice(&self.patient_digest);
        w.0
    }

    /// Encodes format v1's descriptor (top-level pixel data only).
    #[cfg(test)]
    pub(crate) fn encode_v1(p: &PixelDescriptor) -> Vec<u8> {
        let mut w = W(Vec::with_capacity(24));
        w.u8(DESCRIPTOR_V1);
        w.pixel(p);
        w.0
    }

    /// Parses a descriptor of envelope version `version` and checks it
    /// against the stream layout.
    pub(crate) fn parse(version: u8, bytes: &[u8], layout: &Layout) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let units = layout.unit_lens();
        match (version, r.u8()?) {
            (1, DESCRIPTOR_V1) => {
                let pixel = read_pixel(&mut r)?;
                r.end()?;
                check_pixel(&pixel, units)?;
                Ok(Self {
                    version: 1,
                    pixel: Some(pixel),
                    pixel_units: units.len(),
                    extras: Vec::new(),
                    bound: Vec::new(),
                    patient_digest: [0; 32],
                })
            }
            (2, DESCRIPTOR_V2) => Self::parse_v2(&mut r, units),
            _ => Err(Error::Decrypt),
        }
    }

    fn parse_v2(r: &mut Reader<'_>, units: &[u64]) -> Result<Self> {
        let (pixel, pixel_units) = match r.u8()? {
            0 => (None, 0),
            1 => {
                let p = read_pixel(r)?;
                let n = usize::try_from(r.u32()?).map_err(|_| Error::Decrypt)?;
                let lens = units.get(..n).ok_or(Error::Decrypt)?;
                check_pixel(&p, lens)?;
                (Some(p), n)
            }
            _ => return Err(Error::Decrypt),
        };
        let n_extras = count(r, 16)?;
        let mut extras = Vec::with_capacity(n_extras);
        let mut next_unit = pixel_units;
        for _ in 0..n_extras {
            let path = read_path(r)?;
            let vr = read_vr(r)?;
            let value_type = ValueType::from_u8(r.u8()?).ok_or(Error::Decrypt)?;
            let n = r.u32()?;
            let bot = count(r, 4)?;
            let offset_table = (0..bot).map(|_| r.u32()).collect::<Result<Vec<_>>>()?;
            let count = usize::try_from(n).map_err(|_| Error::Decrypt)?;
            let end = next_unit.checked_add(count).ok_or(Error::Decrypt)?;
            let lens = units.get(next_unit..end).ok_or(Error::Decrypt)?;
            let ok = match value_type {
                ValueType::Fragments => {
                    count >= 1 && lens.iter().all(|l| *l <= u64::from(u32::MAX - 1))
                }
                t => {
                    count == 1
                        && bot == 0
                        && lens[0] % t.width() as u64 == 0
                        && lens[0] <= u64::from(u32::MAX - 1)
                }
            };
            if !ok {
                return Err(Error::Decrypt);
            }
            next_unit = end;
            extras.push(ExtraDescriptor {
                path,
                vr,
                value_type,
                units: n,
                offset_table,
            });
        }
        if next_unit != units.len() || next_unit == 0 {
            return Err(Error::Decrypt);
        }
        let n_bound = count(r, 9)?;
        let mut bound = Vec::with_capacity(n_bound);
        for _ in 0..n_bound {
            let path = read_path(r)?;
            let value = match r.u8()? {
                0 => None,
                1 => {
                    let len = count(r, 1)?;
                    Some(r.take(len)?.to_vec())
                }
                _ => return Err(Error::Decrypt),
            };
            bound.push(BoundValue { path, value });
        }
        let mut patient_digest = [0u8; 32];
        patient_digest.copy_from_slice(r.take(32)?);
        r.end()?;
        Ok(Self {
            version: 2,
            pixel,
            pixel_units,
            extras,
            bound,
            patient_digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(units: Vec<u64>) -> Layout {
        Layout::new(16, units).unwrap()
    }

    #[test]
    fn v2_round_trips_and_rejects_every_truncation() {
        let d = Descriptor {
            version: 2,
            pixel: Some(PixelDescriptor {
                tag: PIXEL_DATA,
                vr: VR::OW,
                frames: 2,
                kind: Kind::Native {
                    value_len: 20,
                    frame_units: 2,
                },
            }),
            pixel_units: 2,
            extras: vec![ExtraDescriptor {
                path: AttrPath::root()
                    .child(AttrTag::new(0x0088, 0x0200))
                    .item(0)
                    .child(AttrTag::new(0x7FE0, 0x0010)),
                vr: VR::OW,
                value_type: ValueType::U16,
                units: 1,
                offset_table: Vec::new(),
            }],
            bound: vec![
                BoundValue {
                    path: AttrPath::root().child(AttrTag::new(0x0028, 0x0010)),
                    value: Some(vec![2, 0]),
                },
                BoundValue {
                    path: AttrPath::root().child(AttrTag::new(0x0028, 0x1053)),
                    value: None,
                },
            ],
            patient_digest: [7; 32],
        };
        let l = layout(vec![10, 10, 6]);
        let bytes = d.encode_v2();
        assert_eq!(Descriptor::parse(2, &bytes, &l).unwrap(), d);
        // Version mismatch between envelope and descriptor.
        assert!(Descriptor::parse(1, &bytes, &l).is_err());
        for n in 0..bytes.len() {
            assert!(Descriptor::parse(2, &bytes[..n], &l).is_err(), "{n}");
        }
        // Units that do not add up.
        assert!(Descriptor::parse(2, &bytes, &layout(vec![10, 10, 6, 1])).is_err());
        assert!(Descriptor::parse(2, &bytes, &layout(vec![10, 10, 5])).is_err());
    }

    #[test]
    fn v1_still_parses() {
        let p = PixelDescriptor {
            tag: PIXEL_DATA,
            vr: VR::OB,
            frames: 1,
            kind: Kind::Native {
                value_len: 4,
                frame_units: 1,
            },
        };
        let bytes = Descriptor::encode_v1(&p);
        let d = Descriptor::parse(1, &bytes, &layout(vec![4])).unwrap();
        assert_eq!(d.pixel, Some(p));
        assert_eq!(d.pixel_units, 1);
        assert!(Descriptor::parse(2, &bytes, &layout(vec![4])).is_err());
    }
}
