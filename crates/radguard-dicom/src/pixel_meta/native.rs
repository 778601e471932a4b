//! Native pixel data: bits outside the stored bits, bytes after the last
//! frame.

use dicom_core::Tag;
use dicom_object::InMemDicomObject;

use super::{Error, Result};
use crate::tags;
use crate::text::value_text;

/// How native pixel data is laid out: the Image Pixel attributes that say
/// which bits of each sample hold the image.
///
/// Built with [`NativeDesc::builder`] or from a data set with
/// [`NativeDesc::from_dataset`]; always valid (Bits Stored ≤ Bits
/// Allocated, High Bit < Bits Allocated, High Bit ≥ Bits Stored − 1, ...).
///
/// # Examples
///
/// ```
/// use radguard_dicom::pixel_meta::{NativeDesc, clear_unused_bits};
///
/// // 12-bit CT in 16-bit samples, with an overlay in bit 15 of the first sample.
/// let desc = NativeDesc::builder(1, 2).bits(16, 12, 11).build()?;
/// let mut px = [0x34, 0x81, 0x34, 0x01]; // little endian 0x8134, 0x0134
/// let cleared = clear_unused_bits(&mut px, &desc);
/// assert_eq!(cleared.samples_changed, 1);
/// assert_eq!(px, [0x34, 0x01, 0x34, 0x01]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeDesc {
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    high_bit: u16,
    signed: bool,
    frames: u32,
    ybr_422: bool,
    big_endian: bool,
}

/// Builds a [`NativeDesc`]; see [`NativeDesc::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct NativeDescBuilder {
    desc: NativeDesc,
}

impl NativeDescBuilder {
    /// Samples per Pixel (0028,0002); 1 by default.
    pub fn samples_per_pixel(mut self, n: u16) -> Self {
        self.desc.samples_per_pixel = n;
        self
    }

    /// Bits Allocated (0028,0100), Bits Stored (0028,0101) and High Bit
    /// (0028,0102); 16, 16, 15 by default.
    pub fn bits(mut self, allocated: u16, stored: u16, high_bit: u16) -> Self {
        self.desc.bits_allocated = allocated;
        self.desc.bits_stored = stored;
        self.desc.high_bit = high_bit;
        self
    }

    /// Pixel Representation (0028,0103) 1: two's complement samples.
    pub fn signed(mut self, yes: bool) -> Self {
        self.desc.signed = yes;
        self
    }

    /// Number of Frames (0028,0008); 1 by default.
    pub fn frames(mut self, n: u32) -> Self {
        self.desc.frames = n;
        self
    }

    /// Photometric Interpretation YBR_FULL_422: two samples of luminance
    /// and one of each chrominance for every two pixels.
    pub fn ybr_422(mut self, yes: bool) -> Self {
        self.desc.ybr_422 = yes;
        self
    }

    /// Samples are big endian (Explicit VR Big Endian).
    pub fn big_endian(mut self, yes: bool) -> Self {
        self.desc.big_endian = yes;
        self
    }

    /// Checks the values.
    ///
    /// # Errors
    ///
    /// [`Error::Description`] if rows, columns or frames are 0, Samples per
    /// Pixel is not 1 to 4, Bits Allocated is not 1, 8, 16, 32 or 64, Bits
    /// Stored is 0 or above Bits Allocated, High Bit is not below Bits
    /// Allocated or below Bits Stored − 1, YBR_FULL_422 without 3 samples
    /// or with an odd number of columns, or the pixel data would exceed
    /// 2⁶⁴ bytes.
    pub fn build(self) -> Result<NativeDesc> {
        let d = self.desc;
        let bad = |what| Err(Error::Description { what });
        if d.rows == 0 || d.columns == 0 {
            return bad("Rows or Columns is 0");
        }
        if d.frames == 0 {
            return bad("Number of Frames is 0");
        }
        if !(1..=4).contains(&d.samples_per_pixel) {
            return bad("Samples per Pixel is not 1 to 4");
        }
        if !matches!(d.bits_allocated, 1 | 8 | 16 | 32 | 64) {
            return bad("Bits Allocated is not 1, 8, 16, 32 or 64");
        }
        if d.bits_stored == 0 || d.bits_stored > d.bits_allocated {
            return bad("Bits Stored is 0 or above Bits Allocated");
        }
        if d.high_bit >= d.bits_allocated {
            return bad("High Bit is not below Bits Allocated");
        }
        if d.high_bit + 1 < d.bits_stored {
            return bad("High Bit is below Bits Stored - 1");
        }
        if d.ybr_422 && (d.samples_per_pixel != 3 || !d.columns.is_multiple_of(2)) {
            return bad("YBR_FULL_422 needs 3 samples per pixel and an even number of columns");
        }
        if d.samples_total().is_none() || d.pixel_len().is_none() {
            return bad("the pixel data size overflows");
        }
        Ok(d)
    }
}

impl NativeDesc {
    /// Starts a description of `rows` × `columns` pixels, one sample per
    /// pixel, 16 bits allocated and stored, unsigned, one frame, little
    /// endian.
    pub fn builder(rows: u32, columns: u32) -> NativeDescBuilder {
        NativeDescBuilder {
            desc: Self {
                rows,
                columns,
                samples_per_pixel: 1,
                bits_allocated: 16,
                bits_stored: 16,
                high_bit: 15,
                signed: false,
                frames: 1,
                ybr_422: false,
                big_endian: false,
            },
        }
    }

    /// The description of the pixel data element `pixel_tag` of `ds`:
    /// Rows, Columns and Bits Allocated are required; Samples per Pixel
    /// defaults to 1, Bits Stored to Bits Allocated, High Bit to Bits
    /// Stored − 1, Pixel Representation to 0, Number of Frames to 1. Float
    /// and Double Float Pixel Data have all their bits stored.
    ///
    /// # Errors
    ///
    /// [`Error::Description`] if a required attribute is missing, a value
    /// is not a number, or the values are inconsistent (see
    /// [`NativeDescBuilder::build`]).
    pub fn from_dataset(ds: &InMemDicomObject, pixel_tag: Tag, big_endian: bool) -> Result<Self> {
        let num = |tag: Tag| -> Result<Option<u32>> {
            let text = value_text(ds, tag);
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<u32>()
                .map(Some)
                .map_err(|_| Error::Description {
                    what: "an Image Pixel attribute is not a non-negative integer",
                })
        };
        let small = |v: u32| {
            u16::try_from(v).map_err(|_| Error::Description {
                what: "an Image Pixel attribute is out of range",
            })
        };
        let missing = |what| Error::Description { what };
        let rows = num(tags::ROWS)?.ok_or(missing("no Rows"))?;
        let columns = num(tags::COLUMNS)?.ok_or(missing("no Columns"))?;
        let allocated = small(num(tags::BITS_ALLOCATED)?.ok_or(missing("no Bits Allocated"))?)?;
        let float = pixel_tag != tags::PIXEL_DATA;
        let stored = match num(tags::BITS_STORED)? {
            Some(v) if !float => small(v)?,
            _ => allocated,
        };
        let high_bit = match num(tags::HIGH_BIT)? {
            Some(v) if !float => small(v)?,
            _ => stored.saturating_sub(1),
        };
        let photometric = value_text(ds, tags::PHOTOMETRIC_INTERPRETATION);
        Self::builder(rows, columns)
            .samples_per_pixel(small(num(tags::SAMPLES_PER_PIXEL)?.unwrap_or(1))?)
            .bits(allocated, stored, high_bit)
            .signed(!float && num(tags::PIXEL_REPRESENTATION)? == Some(1))
            .frames(num(tags::NUMBER_OF_FRAMES)?.unwrap_or(1))
            .ybr_422(photometric.trim() == "YBR_FULL_422")
            .big_endian(big_endian)
            .build()
    }

    /// Bits Allocated.
    #[must_use]
    pub fn bits_allocated(&self) -> u16 {
        self.bits_allocated
    }

    /// Number of Frames.
    #[must_use]
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Bytes per sample: 1, 2, 4 or 8 (1 for single-bit samples, which are
    /// packed eight to a byte).
    #[must_use]
    pub fn bytes_per_sample(&self) -> usize {
        usize::from(self.bits_allocated.div_ceil(8))
    }

    /// Samples in all frames.
    fn samples_total(&self) -> Option<u64> {
        let pixels = u64::from(self.rows).checked_mul(u64::from(self.columns))?;
        let per_frame = if self.ybr_422 {
            pixels.checked_mul(2)?
        } else {
            pixels.checked_mul(u64::from(self.samples_per_pixel))?
        };
        per_frame.checked_mul(u64::from(self.frames))
    }

    /// The bytes all frames take, without the padding to an even length:
    /// the length native pixel data should have.
    #[must_use]
    pub fn pixel_len(&self) -> Option<u64> {
        let samples = self.samples_total()?;
        if self.bits_allocated == 1 {
            return Some(samples.div_ceil(8));
        }
        samples.checked_mul(u64::from(self.bits_allocated / 8))
    }

    /// `true` if a sample has bits outside the stored bits, so that
    /// [`clear_unused_bits`] may change something.
    #[must_use]
    pub fn has_unused_bits(&self) -> bool {
        self.bits_allocated > 1
            && self.bits_allocated <= 32
            && self.bits_stored < self.bits_allocated
    }

    /// Bits of a sample that hold the stored value.
    fn value_mask(&self) -> u64 {
        let low = u32::from(self.high_bit + 1 - self.bits_stored);
        (mask(u32::from(self.bits_stored))) << low
    }

    fn sample(&self, b: &[u8]) -> u64 {
        let mut v = 0u64;
        if self.big_endian {
            for x in b {
                v = (v << 8) | u64::from(*x);
            }
        } else {
            for x in b.iter().rev() {
                v = (v << 8) | u64::from(*x);
            }
        }
        v
    }

    /// The value of each whole sample in `buf`, as the standard reads it:
    /// bits Bits Stored wide ending at High Bit, two's complement if
    /// signed. A partial sample at the end of `buf` is ignored, and so is
    /// all of `buf` for single-bit samples and 64-bit (double float)
    /// samples, which have no unused bits.
    pub fn values<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = i64> + 'a {
        let n = if self.bits_allocated == 1 || self.bits_allocated == 64 {
            usize::MAX
        } else {
            self.bytes_per_sample()
        };
        let low = u32::from(self.high_bit + 1 - self.bits_stored);
        let bits = u32::from(self.bits_stored);
        buf.chunks_exact(n.min(buf.len() + 1)).map(move |c| {
            let v = (self.sample(c) >> low) & mask(bits);
            if self.signed && bits < 64 && v >> (bits - 1) & 1 == 1 {
                // Two's complement: the value minus 2^bits, in i64.
                i64::try_from(v).unwrap_or(0) - i64::try_from(1u64 << bits).unwrap_or(0)
            } else {
                i64::try_from(v).unwrap_or(i64::MAX)
            }
        })
    }
}

/// `n` low bits set (`n` ≤ 64).
fn mask(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// What [`clear_unused_bits`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BitsCleared {
    /// Samples that had bits set outside their stored bits (other than
    /// the sign extension) and were changed.
    pub samples_changed: u64,
}

/// Clears the bits of each sample in `buf` that are outside the stored
/// bits: bits below the lowest stored bit become 0, bits above High Bit
/// become 0 (unsigned samples) or copies of High Bit, the sign (signed
/// samples). Every sample's value, as the standard reads it, is unchanged;
/// what goes is what the retired embedded overlays (and anything else)
/// left there.
///
/// `buf` holds whole samples in the description's byte order, for example
/// a chunk of native pixel data starting at a sample boundary; a partial
/// sample at its end is left alone. Samples of 8, 16 and 32 bits are
/// cleared; single-bit and 64-bit samples have no unused bits. Work is
/// linear in `buf.len()`, and nothing happens when Bits Stored equals Bits
/// Allocated.
///
/// # Examples
///
/// ```
/// use radguard_dicom::pixel_meta::{NativeDesc, clear_unused_bits};
///
/// // Signed 12-bit samples: bits above High Bit are the sign extension.
/// let desc = NativeDesc::builder(1, 2).bits(16, 12, 11).signed(true).build()?;
/// let mut px = [0xFF, 0x7F, 0x00, 0xF8]; // 0x7FFF (garbage above bit 11), 0xF800 (-2048)
/// clear_unused_bits(&mut px, &desc);
/// assert_eq!(px, [0xFF, 0xFF, 0x00, 0xF8]); // -1 sign-extended; -2048 unchanged
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clear_unused_bits(buf: &mut [u8], desc: &NativeDesc) -> BitsCleared {
    if !desc.has_unused_bits() {
        return BitsCleared::default();
    }
    let keep = desc.value_mask();
    let above = !mask(u32::from(desc.high_bit) + 1) & mask(u32::from(desc.bits_allocated));
    let sign = if desc.signed { above } else { 0 };
    let hb = u32::from(desc.high_bit);
    let changed = match (desc.bits_allocated, desc.big_endian) {
        (8, _) => clear_u8::<false>(buf, keep, sign, hb),
        (16, false) => clear_u16::<false>(buf, keep, sign, hb),
        (16, true) => clear_u16::<true>(buf, keep, sign, hb),
        (32, false) => clear_u32::<false>(buf, keep, sign, hb),
        (32, true) => clear_u32::<true>(buf, keep, sign, hb),
        _ => 0,
    };
    BitsCleared {
        samples_changed: changed,
    }
}

/// One loop per sample type and byte order, branch-free so that it
/// vectorizes: each sample becomes its stored bits (`keep`) plus, where
/// bit `hb` is set, the sign extension bits (`sign`, 0 if unsigned).
macro_rules! clear_fn {
    ($name:ident, $t:ty, $n:literal) => {
        // The masks are those of a sample of this width: the casts keep
        // every bit that matters.
        #[allow(clippy::cast_possible_truncation)]
        fn $name<const BE: bool>(buf: &mut [u8], keep: u64, sign: u64, hb: u32) -> u64 {
            let (keep, sign) = (keep as $t, sign as $t);
            let mut changed = 0u64;
            // Counted in blocks with a narrow counter, which vectorizes.
            for block in buf.as_chunks_mut::<$n>().0.chunks_mut(1 << 15) {
                let mut n = 0u16;
                for c in block {
                    let s = if BE {
                        <$t>::from_be_bytes(*c)
                    } else {
                        <$t>::from_le_bytes(*c)
                    };
                    let ext = ((s >> hb) & 1).wrapping_neg() & sign;
                    let new = (s & keep) | ext;
                    n += u16::from(new != s);
                    *c = if BE {
                        new.to_be_bytes()
                    } else {
                        new.to_le_bytes()
                    };
                }
                changed += u64::from(n);
            }
            changed
        }
    };
}

clear_fn!(clear_u8, u8, 1);
clear_fn!(clear_u16, u16, 2);
clear_fn!(clear_u32, u32, 4);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn desc() -> impl Strategy<Value = NativeDesc> {
        (
            0usize..3,
            any::<bool>(),
            any::<bool>(),
            any::<u8>(),
            any::<u8>(),
        )
            .prop_filter_map("valid", |(a, signed, big_endian, s, h)| {
                let allocated = [8u16, 16, 32][a];
                let stored = 1 + u16::from(s) % allocated;
                let high_bit = stored - 1 + u16::from(h) % (allocated - stored + 1);
                NativeDesc::builder(3, 5)
                    .bits(allocated, stored, high_bit)
                    .signed(signed)
                    .big_endian(big_endian)
                    .build()
                    .ok()
            })
    }

    proptest! {
        #[test]
        fn clearing_keeps_values_and_leaves_only_the_sign_extension(
            d in desc(),
            mut buf in proptest::collection::vec(any::<u8>(), 0..257),
        ) {
            let before: Vec<i64> = d.values(&buf).collect();
            let original = buf.clone();
            let cleared = clear_unused_bits(&mut buf, &d);
            prop_assert_eq!(d.values(&buf).collect::<Vec<_>>(), before);
            // Outside the stored bits: zeros, or copies of High Bit.
            let n = d.bytes_per_sample();
            let low = u32::from(d.high_bit + 1 - d.bits_stored);
            let mut changed = 0;
            for (c, o) in buf.chunks_exact(n).zip(original.chunks_exact(n)) {
                let v = d.sample(c);
                prop_assert_eq!(v & mask(low), 0);
                let above = v >> (d.high_bit + 1);
                let sign = (v >> d.high_bit) & 1 == 1;
                let expected = if d.signed && sign {
                    mask(u32::from(d.bits_allocated - d.high_bit - 1))
                } else {
                    0
                };
                prop_assert_eq!(above, expected);
                changed += u64::from(c != o);
            }
            prop_assert_eq!(cleared.samples_changed, changed);
            // The partial sample at the end is untouched.
            let tail = buf.len() / n * n;
            prop_assert_eq!(&buf[tail..], &original[tail..]);
            // Idempotent.
            let mut again = buf.clone();
            prop_assert_eq!(clear_unused_bits(&mut again, &d).samples_changed, 0);
            prop_assert_eq!(again, buf);
        }
    }

    #[test]
    fn descriptions_are_checked() {
        let ok = |b: NativeDescBuilder| b.build().is_ok();
        assert!(ok(NativeDesc::builder(2, 2).bits(16, 12, 15)));
        assert!(!ok(NativeDesc::builder(2, 2).bits(16, 12, 16)));
        assert!(!ok(NativeDesc::builder(2, 2).bits(16, 12, 10)));
        assert!(!ok(NativeDesc::builder(2, 2).bits(16, 17, 16)));
        assert!(!ok(NativeDesc::builder(2, 2).bits(12, 12, 11)));
        assert!(!ok(NativeDesc::builder(2, 2).bits(16, 0, 0)));
        assert!(!ok(NativeDesc::builder(0, 2)));
        assert!(!ok(NativeDesc::builder(2, 2).frames(0)));
        assert!(!ok(NativeDesc::builder(2, 2).samples_per_pixel(5)));
        assert!(!ok(NativeDesc::builder(2, 3)
            .samples_per_pixel(3)
            .ybr_422(true)));
        assert!(!ok(NativeDesc::builder(u32::MAX, u32::MAX)
            .samples_per_pixel(4)
            .frames(u32::MAX)
            .bits(64, 64, 63)));
        let d = NativeDesc::builder(2, 4)
            .samples_per_pixel(3)
            .ybr_422(true)
            .bits(8, 8, 7)
            .build()
            .unwrap();
        assert_eq!(d.pixel_len(), Some(16));
        let d = NativeDesc::builder(3, 3)
            .bits(1, 1, 0)
            .frames(3)
            .build()
            .unwrap();
        assert_eq!(d.pixel_len(), Some(4));
        assert!(!d.has_unused_bits());
    }
}
