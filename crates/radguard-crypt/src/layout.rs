//! How a plaintext is cut into units and segments.

use core::ops::Range;

use crate::error::{Error, Result};

/// The authentication tag appended to every segment (AES-GCM, 16 bytes).
pub const TAG_LEN: usize = 16;

/// How a plaintext is cut into **units** and **segments**.
///
/// The plaintext is a sequence of units (for DICOM: one per frame of native
/// pixel data, one per fragment of encapsulated pixel data). Each unit is
/// cut into segments of `segment_size` bytes, the last one shorter; an
/// empty unit is one empty segment. Segments are numbered across units
/// from 0, and each becomes `ciphertext ‖ 16-byte tag` in the ciphertext,
/// in order, so every unit and every segment is at a computable offset:
/// reading one frame reads and decrypts only that frame's segments.
///
/// # Examples
///
/// ```
/// use radguard_crypt::Layout;
///
/// // Three 100-byte frames, 64-byte segments: two segments per frame.
/// let layout = Layout::new(64, vec![100, 100, 100])?;
/// assert_eq!(layout.segment_count(), 6);
/// assert_eq!(layout.unit_segments(1), 2..4);
/// assert_eq!(layout.unit_ciphertext_range(1), 132..264);
/// assert_eq!(layout.ciphertext_len(), 300 + 6 * 16);
/// # Ok::<(), radguard_crypt::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    segment_size: u32,
    unit_lens: Vec<u64>,
    /// `first_segment[u]` = number of the first segment of unit `u`; one
    /// extra entry holds the total.
    first_segment: Vec<u64>,
    /// Plaintext offset of each unit; one extra entry holds the total.
    pt_offset: Vec<u64>,
}

/// One segment of a [`Layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The segment number (its STREAM counter).
    pub index: u64,
    /// The unit it belongs to.
    pub unit: usize,
    /// Its offset within the unit's plaintext.
    pub offset_in_unit: u64,
    /// Its offset within the whole plaintext (all units concatenated).
    pub plaintext_offset: u64,
    /// Its plaintext length (`<= segment_size`).
    pub plaintext_len: usize,
    /// Its offset within the ciphertext.
    pub ciphertext_offset: u64,
}

impl Segment {
    /// Bytes of ciphertext for this segment: plaintext length + 16.
    #[must_use]
    pub fn ciphertext_len(&self) -> usize {
        self.plaintext_len + TAG_LEN
    }
}

impl Layout {
    /// Smallest allowed segment size in bytes.
    pub const MIN_SEGMENT_SIZE: u32 = 16;
    /// Largest allowed segment size in bytes (16 MiB).
    pub const MAX_SEGMENT_SIZE: u32 = 1 << 24;
    /// The default segment size (256 KiB).
    pub const DEFAULT_SEGMENT_SIZE: u32 = 1 << 18;
    /// Most segments in one stream: the 32-bit counter runs from 0 to
    /// 2^32 − 2.
    pub const MAX_SEGMENTS: u64 = u32::MAX as u64;
    /// Most units in one stream.
    pub const MAX_UNITS: usize = 1 << 24;

    /// A layout of `unit_lens` plaintext units cut into segments of
    /// `segment_size` bytes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the segment size is outside
    /// [`MIN_SEGMENT_SIZE`](Self::MIN_SEGMENT_SIZE)..=[`MAX_SEGMENT_SIZE`](Self::MAX_SEGMENT_SIZE),
    /// there are no units or more than [`MAX_UNITS`](Self::MAX_UNITS), or
    /// the stream would have more than [`MAX_SEGMENTS`](Self::MAX_SEGMENTS)
    /// segments.
    pub fn new(segment_size: u32, unit_lens: Vec<u64>) -> Result<Self> {
        if !(Self::MIN_SEGMENT_SIZE..=Self::MAX_SEGMENT_SIZE).contains(&segment_size) {
            return Err(Error::InvalidInput {
                what: "segment size outside 16 bytes ..= 16 MiB",
            });
        }
        if unit_lens.is_empty() || unit_lens.len() > Self::MAX_UNITS {
            return Err(Error::InvalidInput {
                what: "a stream has 1 to 2^24 units",
            });
        }
        let seg = u64::from(segment_size);
        let mut first_segment = Vec::with_capacity(unit_lens.len() + 1);
        let mut pt_offset = Vec::with_capacity(unit_lens.len() + 1);
        let mut segs: u64 = 0;
        let mut pt: u64 = 0;
        for len in &unit_lens {
            first_segment.push(segs);
            pt_offset.push(pt);
            segs += len.div_ceil(seg).max(1);
            pt = pt.checked_add(*len).ok_or(Error::InvalidInput {
                what: "plaintext longer than 2^64 bytes",
            })?;
            if segs > Self::MAX_SEGMENTS {
                return Err(Error::InvalidInput {
                    what: "more than 2^32 - 1 segments",
                });
            }
        }
        first_segment.push(segs);
        pt_offset.push(pt);
        // The ciphertext length must fit too.
        pt.checked_add(segs * TAG_LEN as u64)
            .ok_or(Error::InvalidInput {
                what: "ciphertext longer than 2^64 bytes",
            })?;
        Ok(Self {
            segment_size,
            unit_lens,
            first_segment,
            pt_offset,
        })
    }

    /// The nominal plaintext bytes per segment.
    #[must_use]
    pub fn segment_size(&self) -> u32 {
        self.segment_size
    }

    /// The number of units.
    #[must_use]
    pub fn unit_count(&self) -> usize {
        self.unit_lens.len()
    }

    /// The plaintext length of every unit.
    #[must_use]
    pub fn unit_lens(&self) -> &[u64] {
        &self.unit_lens
    }

    /// The total number of segments.
    #[must_use]
    pub fn segment_count(&self) -> u64 {
        self.first_segment[self.unit_lens.len()]
    }

    /// The total plaintext length.
    #[must_use]
    pub fn plaintext_len(&self) -> u64 {
        self.pt_offset[self.unit_lens.len()]
    }

    /// The total ciphertext length: plaintext + 16 bytes per segment.
    #[must_use]
    pub fn ciphertext_len(&self) -> u64 {
        self.plaintext_len() + self.segment_count() * TAG_LEN as u64
    }

    /// The segment numbers of unit `unit`.
    ///
    /// # Panics
    ///
    /// If `unit >= unit_count()`.
    #[must_use]
    pub fn unit_segments(&self, unit: usize) -> Range<u64> {
        self.first_segment[unit]..self.first_segment[unit + 1]
    }

    /// Where unit `unit` lies in the plaintext.
    ///
    /// # Panics
    ///
    /// If `unit >= unit_count()`.
    #[must_use]
    pub fn unit_plaintext_range(&self, unit: usize) -> Range<u64> {
        self.pt_offset[unit]..self.pt_offset[unit + 1]
    }

    /// Where unit `unit` lies in the ciphertext.
    ///
    /// # Panics
    ///
    /// If `unit >= unit_count()`.
    #[must_use]
    pub fn unit_ciphertext_range(&self, unit: usize) -> Range<u64> {
        let tag = TAG_LEN as u64;
        let start = self.pt_offset[unit] + self.first_segment[unit] * tag;
        let end = self.pt_offset[unit + 1] + self.first_segment[unit + 1] * tag;
        start..end
    }

    /// Segment number `index`.
    ///
    /// # Panics
    ///
    /// If `index >= segment_count()`.
    #[must_use]
    pub fn segment(&self, index: u64) -> Segment {
        assert!(index < self.segment_count(), "segment index out of range");
        // The last unit whose first segment is <= index.
        let unit = self.first_segment.partition_point(|f| *f <= index) - 1;
        let k = index - self.first_segment[unit];
        let seg = u64::from(self.segment_size);
        let offset_in_unit = k * seg;
        let len = (self.unit_lens[unit] - offset_in_unit).min(seg);
        let plaintext_offset = self.pt_offset[unit] + offset_in_unit;
        Segment {
            index,
            unit,
            offset_in_unit,
            plaintext_offset,
            // len <= segment_size <= 16 MiB
            plaintext_len: usize::try_from(len).unwrap_or(usize::MAX),
            ciphertext_offset: plaintext_offset + index * TAG_LEN as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_units_get_one_segment() {
        let l = Layout::new(16, vec![0, 5, 0, 32]).unwrap();
        assert_eq!(l.segment_count(), 5);
        assert_eq!(l.unit_segments(0), 0..1);
        assert_eq!(l.unit_segments(3), 3..5);
        let s = l.segment(0);
        assert_eq!((s.unit, s.plaintext_len, s.ciphertext_offset), (0, 0, 0));
        let s = l.segment(1);
        assert_eq!((s.unit, s.plaintext_len, s.ciphertext_offset), (1, 5, 16));
        let s = l.segment(2);
        assert_eq!((s.unit, s.plaintext_len, s.ciphertext_offset), (2, 0, 37));
        let s = l.segment(4);
        assert_eq!(
            (
                s.unit,
                s.offset_in_unit,
                s.plaintext_offset,
                s.ciphertext_offset
            ),
            (3, 16, 21, 21 + 4 * 16)
        );
        assert_eq!(l.ciphertext_len(), 37 + 80);
        assert_eq!(l.unit_ciphertext_range(3), 53..117);
    }

    #[test]
    fn limits() {
        assert!(Layout::new(15, vec![1]).is_err());
        assert!(Layout::new(Layout::MAX_SEGMENT_SIZE + 1, vec![1]).is_err());
        assert!(Layout::new(16, vec![]).is_err());
        // 2^32 segments of 16 bytes is one too many.
        assert!(Layout::new(16, vec![16 * (1u64 << 32)]).is_err());
        assert!(Layout::new(16, vec![16 * ((1u64 << 32) - 1)]).is_ok());
        assert!(Layout::new(16, vec![u64::MAX, 1]).is_err());
    }
}
