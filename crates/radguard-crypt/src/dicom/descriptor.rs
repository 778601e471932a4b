//! The pixel descriptor: what the encrypted element was, stored as the
//! envelope's authenticated metadata.

use radguard_dicom::dicom::core::{Tag, VR};
use radguard_dicom::tags::{PIXEL_DATA, is_pixel_data};

use crate::error::{Error, Result};
use crate::layout::Layout;

pub(crate) const DESCRIPTOR_VERSION: u8 = 1;
const UNDEFINED: u32 = 0xFFFF_FFFF;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PixelDescriptor {
    pub(crate) tag: Tag,
    pub(crate) vr: VR,
    pub(crate) frames: u32,
    pub(crate) kind: Kind,
}

impl PixelDescriptor {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.push(DESCRIPTOR_VERSION);
        out.extend_from_slice(&self.tag.0.to_be_bytes());
        out.extend_from_slice(&self.tag.1.to_be_bytes());
        out.extend_from_slice(&self.vr.to_bytes());
        let (kind, value_len, frame_units, bot): (u8, u32, u32, &[u32]) = match &self.kind {
            Kind::Native {
                value_len,
                frame_units,
            } => (0, *value_len, *frame_units, &[]),
            Kind::Encapsulated { offset_table } => (1, UNDEFINED, 0, offset_table),
        };
        out.push(kind);
        out.extend_from_slice(&value_len.to_be_bytes());
        out.extend_from_slice(&self.frames.to_be_bytes());
        out.extend_from_slice(&frame_units.to_be_bytes());
        // The offset table comes from one DICOM item (< 4 GiB / 4 entries).
        out.extend_from_slice(&u32::try_from(bot.len()).unwrap_or(u32::MAX).to_be_bytes());
        for v in bot {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out
    }

    /// Parses a descriptor and checks it against the stream layout.
    pub(crate) fn parse(bytes: &[u8], layout: &Layout) -> Result<Self> {
        let get = |r: core::ops::Range<usize>| bytes.get(r).ok_or(Error::Decrypt);
        let be16 = |at: usize| -> Result<u16> {
            let b = get(at..at + 2)?;
            Ok(u16::from_be_bytes([b[0], b[1]]))
        };
        let be32 = |at: usize| -> Result<u32> {
            let b = get(at..at + 4)?;
            Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        if *get(0..1)?.first().ok_or(Error::Decrypt)? != DESCRIPTOR_VERSION {
            return Err(Error::Decrypt);
        }
        let tag = Tag(be16(1)?, be16(3)?);
        let vr_bytes = get(5..7)?;
        let vr = VR::from_binary([vr_bytes[0], vr_bytes[1]]).ok_or(Error::Decrypt)?;
        let kind = get(7..8)?[0];
        let value_len = be32(8)?;
        let frames = be32(12)?;
        let frame_units = be32(16)?;
        let bot_count = usize::try_from(be32(20)?).map_err(|_| Error::Decrypt)?;
        let bot_end = bot_count
            .checked_mul(4)
            .and_then(|n| n.checked_add(24))
            .ok_or(Error::Decrypt)?;
        if bot_end != bytes.len() || !is_pixel_data(tag) || !allowed_vr(vr) {
            return Err(Error::Decrypt);
        }
        let offset_table: Vec<u32> = (0..bot_count)
            .map(|i| be32(24 + 4 * i))
            .collect::<Result<_>>()?;
        let units = layout.unit_count() as u64;
        let kind = match kind {
            0 => {
                let frame_units_ok = frame_units == 0
                    || (frame_units == frames
                        && (units == u64::from(frame_units)
                            || units == u64::from(frame_units) + 1));
                if bot_count != 0
                    || layout.plaintext_len() != u64::from(value_len)
                    || !frame_units_ok
                {
                    return Err(Error::Decrypt);
                }
                Kind::Native {
                    value_len,
                    frame_units,
                }
            }
            1 => {
                let fragments_ok = layout
                    .unit_lens()
                    .iter()
                    .all(|l| *l <= u64::from(u32::MAX - 1));
                if tag != PIXEL_DATA || value_len != UNDEFINED || frame_units != 0 || !fragments_ok
                {
                    return Err(Error::Decrypt);
                }
                Kind::Encapsulated { offset_table }
            }
            _ => return Err(Error::Decrypt),
        };
        Ok(Self {
            tag,
            vr,
            frames,
            kind,
        })
    }
}
