//! Decoded frames: their description, their samples, blanking and an 8-bit
//! grayscale rendering.

use std::sync::Arc;

use radguard_dicom::dicom::core::Tag;
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::tags;
use radguard_dicom::text::value_text;

use crate::error::{Error, Result};
use crate::geometry::Rect;

/// The largest decoded frame this crate holds in memory: 1 GiB (a
/// 16384 × 16384 RGB frame of 16-bit samples is 1.5 GiB; imaging frames
/// are far smaller). Larger frames are refused.
pub const MAX_FRAME_LEN: u64 = 1 << 30;

/// Photometric Interpretation (0028,0004): how samples make a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Photometric {
    /// Grayscale, the smallest value displayed white.
    Monochrome1,
    /// Grayscale, the smallest value displayed black.
    Monochrome2,
    /// One sample per pixel, an index into the Red/Green/Blue Palette
    /// Color Lookup Tables.
    PaletteColor,
    /// Red, green, blue.
    Rgb,
    /// Luminance and two chrominance samples, full range (black is Y = 0).
    YbrFull,
    /// As [`Photometric::YbrFull`] with chrominance shared by each pair of
    /// pixels: native pixel data holds Y₀ Y₁ Cb Cr for every two pixels.
    YbrFull422,
    /// Luminance and chrominance in the video range (black is Y = 16 on 8
    /// bits), chrominance halved horizontally (MPEG-2 and H.264 only).
    YbrPartial422,
    /// As [`Photometric::YbrPartial422`], chrominance halved both ways.
    YbrPartial420,
    /// JPEG 2000 irreversible colour transform (compressed data only: its
    /// decoder delivers RGB).
    YbrIct,
    /// JPEG 2000 reversible colour transform (compressed data only: its
    /// decoder delivers RGB).
    YbrRct,
}

impl Photometric {
    /// Parses the defined term (surrounding spaces ignored).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim_matches([' ', '\0']) {
            "MONOCHROME1" => Self::Monochrome1,
            "MONOCHROME2" => Self::Monochrome2,
            "PALETTE COLOR" => Self::PaletteColor,
            "RGB" => Self::Rgb,
            "YBR_FULL" => Self::YbrFull,
            "YBR_FULL_422" => Self::YbrFull422,
            "YBR_PARTIAL_422" => Self::YbrPartial422,
            "YBR_PARTIAL_420" => Self::YbrPartial420,
            "YBR_ICT" => Self::YbrIct,
            "YBR_RCT" => Self::YbrRct,
            _ => return None,
        })
    }

    /// The defined term, as written in (0028,0004).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Monochrome1 => "MONOCHROME1",
            Self::Monochrome2 => "MONOCHROME2",
            Self::PaletteColor => "PALETTE COLOR",
            Self::Rgb => "RGB",
            Self::YbrFull => "YBR_FULL",
            Self::YbrFull422 => "YBR_FULL_422",
            Self::YbrPartial422 => "YBR_PARTIAL_422",
            Self::YbrPartial420 => "YBR_PARTIAL_420",
            Self::YbrIct => "YBR_ICT",
            Self::YbrRct => "YBR_RCT",
        }
    }

    /// Samples per pixel: 1 for the grayscale and palette kinds, 3 for
    /// the colour kinds.
    #[must_use]
    pub const fn samples_per_pixel(self) -> u16 {
        match self {
            Self::Monochrome1 | Self::Monochrome2 | Self::PaletteColor => 1,
            _ => 3,
        }
    }
}

impl std::fmt::Display for Photometric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Red, Green and Blue Palette Color Lookup Tables of a
/// [`Photometric::PaletteColor`] image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    first_mapped: i64,
    red: Vec<u16>,
    green: Vec<u16>,
    blue: Vec<u16>,
    bits: u16,
}

impl Palette {
    /// A palette whose entry `i` colours the stored value
    /// `first_mapped + i`. The three tables must have the same non-zero
    /// length; `bits` (8 or 16) is the depth of their entries.
    ///
    /// # Errors
    ///
    /// [`Error::Description`] if the tables are empty or differ in length,
    /// or `bits` is not 8 or 16.
    pub fn new(
        first_mapped: i64,
        bits: u16,
        red: Vec<u16>,
        green: Vec<u16>,
        blue: Vec<u16>,
    ) -> Result<Self> {
        if red.is_empty() || red.len() != green.len() || red.len() != blue.len() {
            return Err(Error::Description {
                what: "palette tables are empty or differ in length",
            });
        }
        if !matches!(bits, 8 | 16) {
            return Err(Error::Description {
                what: "palette entries are not 8 or 16 bits",
            });
        }
        Ok(Self {
            first_mapped,
            red,
            green,
            blue,
            bits,
        })
    }

    /// Reads the palette of a data set: the Red/Green/Blue Palette Color
    /// Lookup Table Descriptors (0028,1101-1103) and Data (0028,1201-1203).
    ///
    /// # Errors
    ///
    /// [`Error::Description`] if they are missing or inconsistent, or the
    /// palette is segmented (0028,1221-1223), which is not supported.
    pub fn from_dataset(ds: &InMemDicomObject) -> Result<Self> {
        if ds
            .get(tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA)
            .is_some()
        {
            return Err(Error::Description {
                what: "segmented palettes are not supported",
            });
        }
        let desc = |tag: Tag| -> Result<(u32, i64, u16)> {
            let e = ds.get(tag).ok_or(Error::Description {
                what: "PALETTE COLOR without its lookup table descriptors",
            })?;
            let v: Vec<i64> = e
                .value()
                .to_multi_int::<i64>()
                .map_err(|_| Error::Description {
                    what: "palette descriptor is not three numbers",
                })?;
            match v.as_slice() {
                [n, first, bits] => {
                    // 0 entries means 65536; the first mapped value may be
                    // read as signed when it is SS.
                    let n = if *n == 0 {
                        65536
                    } else {
                        u32::try_from(*n).unwrap_or(0)
                    };
                    let bits = u16::try_from(*bits).unwrap_or(0);
                    Ok((n, *first, bits))
                }
                _ => Err(Error::Description {
                    what: "palette descriptor is not three numbers",
                }),
            }
        };
        let (n, first, bits) = desc(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR)?;
        let data = |tag: Tag| -> Result<Vec<u16>> {
            let bytes =
                ds.get(tag)
                    .and_then(|e| e.value().to_bytes().ok())
                    .ok_or(Error::Description {
                        what: "PALETTE COLOR without its lookup table data",
                    })?;
            let n = n as usize;
            if bytes.len() >= 2 * n {
                Ok(bytes
                    .as_chunks::<2>()
                    .0
                    .iter()
                    .take(n)
                    .map(|c| u16::from_le_bytes(*c))
                    .collect())
            } else if bits == 8 && bytes.len() >= n {
                // 8-bit entries packed two to a word.
                Ok(bytes.iter().take(n).map(|b| u16::from(*b)).collect())
            } else {
                Err(Error::Description {
                    what: "palette data shorter than its descriptor says",
                })
            }
        };
        let red = data(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA)?;
        let green = data(tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA)?;
        let blue = data(tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA)?;
        Self::new(first, if bits == 8 { 8 } else { 16 }, red, green, blue)
    }

    /// The colour of stored value `v` (values outside the table take its
    /// first or last entry), each channel on `bits` bits.
    #[must_use]
    pub fn colour(&self, v: i64) -> (u16, u16, u16) {
        let last = self.red.len() - 1;
        let i = usize::try_from(v.saturating_sub(self.first_mapped))
            .unwrap_or(0)
            .min(last);
        (self.red[i], self.green[i], self.blue[i])
    }

    /// Bits per entry (8 or 16).
    #[must_use]
    pub fn bits(&self) -> u16 {
        self.bits
    }

    /// The stored value in `min..=max` whose colour is darkest (least
    /// luma, ties to the smallest value).
    fn darkest(&self, min: i64, max: i64) -> i64 {
        let last = self.red.len() - 1;
        let mut best: Option<(u64, i64)> = None;
        for i in 0..=last {
            // The values entry i colours: values below the table take its
            // first entry, values above it its last.
            let at = self.first_mapped.saturating_add(i as i64);
            let lo = if i == 0 { i64::MIN } else { at };
            let hi = if i == last { i64::MAX } else { at };
            let (lo, hi) = (lo.max(min), hi.min(max));
            if lo > hi {
                continue;
            }
            let luma = 299 * u64::from(self.red[i])
                + 587 * u64::from(self.green[i])
                + 114 * u64::from(self.blue[i]);
            if best.is_none_or(|(l, v)| (luma, lo) < (l, v)) {
                best = Some((luma, lo));
            }
        }
        best.map_or(min, |(_, v)| v)
    }
}

/// What a frame's bytes are: the Image Pixel attributes of one frame,
/// plus what rendering it needs (palette, rescale, window).
///
/// Samples are **little endian**, `bits_allocated / 8` bytes each, in the
/// order Planar Configuration says: pixel by pixel (0) or plane by plane
/// (1); [`Photometric::YbrFull422`] data holds Y₀ Y₁ Cb Cr for every two
/// pixels.
///
/// # Examples
///
/// ```
/// use radguard_pixels::{FrameDesc, Photometric};
///
/// // 12-bit signed CT in 16-bit samples.
/// let ct = FrameDesc::new(512, 512, Photometric::Monochrome2).bits(16, 12, 11).signed(true);
/// assert_eq!(ct.frame_len(), 512 * 512 * 2);
/// assert_eq!(ct.blank_value()?, vec![-2048]);
/// // A YBR_FULL ultrasound frame blanks to Y = 0, Cb = Cr = 128.
/// let us = FrameDesc::new(480, 640, Photometric::YbrFull);
/// assert_eq!(us.blank_value()?, vec![0, 128, 128]);
/// # Ok::<(), radguard_pixels::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FrameDesc {
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    high_bit: u16,
    signed: bool,
    photometric: Photometric,
    planar: bool,
    palette: Option<Arc<Palette>>,
    rescale: Option<(f64, f64)>,
    window: Option<(f64, f64)>,
}

impl FrameDesc {
    /// `rows` × `columns` pixels of `photometric`, with its samples per
    /// pixel, 8 bits allocated and stored, unsigned, pixel by pixel.
    #[must_use]
    pub fn new(rows: u32, columns: u32, photometric: Photometric) -> Self {
        Self {
            rows,
            columns,
            samples_per_pixel: photometric.samples_per_pixel(),
            bits_allocated: 8,
            bits_stored: 8,
            high_bit: 7,
            signed: false,
            photometric,
            planar: false,
            palette: None,
            rescale: None,
            window: None,
        }
    }

    /// Bits Allocated, Bits Stored and High Bit.
    #[must_use]
    pub fn bits(mut self, allocated: u16, stored: u16, high_bit: u16) -> Self {
        self.bits_allocated = allocated;
        self.bits_stored = stored;
        self.high_bit = high_bit;
        self
    }

    /// Pixel Representation 1: two's complement samples.
    #[must_use]
    pub fn signed(mut self, yes: bool) -> Self {
        self.signed = yes;
        self
    }

    /// Planar Configuration 1: plane by plane (colour images only).
    #[must_use]
    pub fn planar(mut self, yes: bool) -> Self {
        self.planar = yes && self.samples_per_pixel > 1;
        self
    }

    /// The palette of a [`Photometric::PaletteColor`] image.
    #[must_use]
    pub fn palette(mut self, palette: Palette) -> Self {
        self.palette = Some(Arc::new(palette));
        self
    }

    /// Rescale Slope and Intercept (the Modality LUT), for
    /// [`FrameBuf::to_gray8`].
    #[must_use]
    pub fn rescale(mut self, slope: f64, intercept: f64) -> Self {
        self.rescale = Some((slope, intercept));
        self
    }

    /// Window Center and Width, for [`FrameBuf::to_gray8`].
    #[must_use]
    pub fn window(mut self, center: f64, width: f64) -> Self {
        self.window = Some((center, width));
        self
    }

    /// Reads the description of one frame from a data set's Image Pixel
    /// module: Rows, Columns and Bits Allocated are required; Samples per
    /// Pixel follows the Photometric Interpretation; Bits Stored defaults to
    /// Bits Allocated, High Bit to Bits Stored − 1; the palette of a
    /// PALETTE COLOR image, Rescale Slope/Intercept and the first Window
    /// Center/Width are read when present.
    ///
    /// # Errors
    ///
    /// [`Error::Description`] if an attribute is missing, not a number or
    /// inconsistent, or describes what this crate does not handle (see
    /// [`FrameDesc::check`]).
    pub fn from_dataset(ds: &InMemDicomObject) -> Result<Self> {
        let num = |tag: Tag| -> Option<i64> {
            let t = value_text(ds, tag);
            let t = t.split('\\').next().unwrap_or("").trim();
            if t.is_empty() {
                None
            } else {
                t.parse::<i64>()
                    .ok()
                    .or_else(|| ds.get(tag).and_then(|e| e.value().to_int::<i64>().ok()))
            }
        };
        let real = |tag: Tag| -> Option<f64> {
            let t = value_text(ds, tag);
            t.split('\\')
                .next()
                .and_then(|s| s.trim().parse::<f64>().ok())
        };
        let missing = |what| Error::Description { what };
        let u16_of = |v: i64, what| u16::try_from(v).map_err(|_| missing(what));
        let rows = num(tags::ROWS).ok_or(missing("Rows is missing"))?;
        let columns = num(tags::COLUMNS).ok_or(missing("Columns is missing"))?;
        let photometric = Photometric::parse(&value_text(ds, tags::PHOTOMETRIC_INTERPRETATION))
            .ok_or(missing("Photometric Interpretation is missing or unknown"))?;
        let ba = u16_of(
            num(tags::BITS_ALLOCATED).ok_or(missing("Bits Allocated is missing"))?,
            "Bits Allocated is out of range",
        )?;
        let bs = u16_of(
            num(tags::BITS_STORED).unwrap_or(i64::from(ba)),
            "Bits Stored is out of range",
        )?;
        let hb = u16_of(
            num(tags::HIGH_BIT).unwrap_or(i64::from(bs) - 1),
            "High Bit is out of range",
        )?;
        let spp =
            num(tags::SAMPLES_PER_PIXEL).unwrap_or(i64::from(photometric.samples_per_pixel()));
        if spp != i64::from(photometric.samples_per_pixel()) {
            return Err(missing(
                "Samples per Pixel does not match the Photometric Interpretation",
            ));
        }
        let mut d = Self::new(
            u32::try_from(rows).map_err(|_| missing("Rows is out of range"))?,
            u32::try_from(columns).map_err(|_| missing("Columns is out of range"))?,
            photometric,
        )
        .bits(ba, bs, hb)
        .signed(num(tags::PIXEL_REPRESENTATION) == Some(1))
        .planar(num(tags::PLANAR_CONFIGURATION) == Some(1));
        if photometric == Photometric::PaletteColor {
            d = d.palette(Palette::from_dataset(ds)?);
        }
        let slope = real(tags::RESCALE_SLOPE);
        let intercept = real(tags::RESCALE_INTERCEPT);
        if slope.is_some() || intercept.is_some() {
            d = d.rescale(slope.unwrap_or(1.0), intercept.unwrap_or(0.0));
        }
        if let (Some(c), Some(w)) = (real(tags::WINDOW_CENTER), real(tags::WINDOW_WIDTH)) {
            d = d.window(c, w);
        }
        d.check()?;
        Ok(d)
    }

    /// Checks the description: rows and columns not 0; Bits Allocated 8,
    /// 16 or 32; 1 ≤ Bits Stored ≤ Bits Allocated; Bits Stored − 1 ≤ High
    /// Bit < Bits Allocated. Bits Allocated 1 (bitmaps) and 64 are not
    /// handled. (Native YBR_FULL_422 frames also need an even number of
    /// columns: [`FrameBuf::new`] checks it.)
    ///
    /// # Errors
    ///
    /// [`Error::Description`] naming the first problem.
    pub fn check(&self) -> Result<()> {
        let bad = |what| Err(Error::Description { what });
        if self.rows == 0 || self.columns == 0 {
            return bad("Rows or Columns is 0");
        }
        if !matches!(self.bits_allocated, 8 | 16 | 32) {
            return bad("Bits Allocated is not 8, 16 or 32");
        }
        if self.bits_stored == 0 || self.bits_stored > self.bits_allocated {
            return bad("Bits Stored is 0 or above Bits Allocated");
        }
        if self.high_bit >= self.bits_allocated || self.high_bit + 1 < self.bits_stored {
            return bad("High Bit is inconsistent with Bits Allocated and Bits Stored");
        }
        match self.frame_len_checked() {
            Some(n) if n <= MAX_FRAME_LEN => {}
            _ => return bad("a frame would be larger than 1 GiB"),
        }
        Ok(())
    }

    /// Rows.
    #[must_use]
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Columns.
    #[must_use]
    pub fn columns(&self) -> u32 {
        self.columns
    }

    /// Samples per Pixel.
    #[must_use]
    pub fn samples_per_pixel(&self) -> u16 {
        self.samples_per_pixel
    }

    /// Bits Allocated.
    #[must_use]
    pub fn bits_allocated(&self) -> u16 {
        self.bits_allocated
    }

    /// Bits Stored.
    #[must_use]
    pub fn bits_stored(&self) -> u16 {
        self.bits_stored
    }

    /// High Bit.
    #[must_use]
    pub fn high_bit(&self) -> u16 {
        self.high_bit
    }

    /// `true` for two's complement samples.
    #[must_use]
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    /// Photometric Interpretation.
    #[must_use]
    pub fn photometric(&self) -> Photometric {
        self.photometric
    }

    /// `true` for Planar Configuration 1 (plane by plane).
    #[must_use]
    pub fn is_planar(&self) -> bool {
        self.planar
    }

    /// The palette, if any.
    #[must_use]
    pub fn palette_ref(&self) -> Option<&Palette> {
        self.palette.as_deref()
    }

    /// Bytes per sample.
    #[must_use]
    pub fn bytes_per_sample(&self) -> usize {
        usize::from(self.bits_allocated / 8)
    }

    /// Pixels in the frame.
    #[must_use]
    pub fn pixels(&self) -> u64 {
        u64::from(self.rows) * u64::from(self.columns)
    }

    fn samples_total(&self) -> Option<u64> {
        let per_pixel = if self.photometric == Photometric::YbrFull422 {
            2
        } else {
            u64::from(self.samples_per_pixel)
        };
        self.pixels().checked_mul(per_pixel)
    }

    fn frame_len_checked(&self) -> Option<u64> {
        self.samples_total()?
            .checked_mul(u64::from(self.bits_allocated / 8))
    }

    /// Bytes one frame takes.
    #[must_use]
    pub fn frame_len(&self) -> u64 {
        self.frame_len_checked().unwrap_or(u64::MAX)
    }

    /// [`FrameDesc::frame_len`] as a buffer size (checked by
    /// [`FrameDesc::check`] to be at most [`MAX_FRAME_LEN`]).
    pub(crate) fn frame_len_usize(&self) -> usize {
        usize::try_from(self.frame_len()).unwrap_or(usize::MAX)
    }

    /// [`FrameDesc::pixels`] as an index bound.
    pub(crate) fn pixels_usize(&self) -> usize {
        usize::try_from(self.pixels()).unwrap_or(usize::MAX)
    }

    /// The same description with another photometric interpretation and
    /// planar configuration (what a decoder delivers).
    #[must_use]
    pub(crate) fn with_layout(&self, photometric: Photometric, planar: bool) -> Self {
        let mut d = self.clone();
        d.photometric = photometric;
        d.samples_per_pixel = photometric.samples_per_pixel();
        d.planar = planar && d.samples_per_pixel > 1;
        d
    }

    /// The smallest and largest value a sample can hold.
    #[must_use]
    pub fn value_range(&self) -> (i64, i64) {
        let bs = u32::from(self.bits_stored);
        if self.signed {
            (-(1i64 << (bs - 1)), (1i64 << (bs - 1)) - 1)
        } else {
            (0, (1i64 << bs) - 1)
        }
    }

    /// The value blanked pixels get, one per sample:
    ///
    /// | Photometric Interpretation | blank |
    /// |---|---|
    /// | MONOCHROME2 | the smallest value (0, or −2^(Bits Stored−1) if signed): black |
    /// | MONOCHROME1 | the largest value (2^Bits Stored − 1, or 2^(Bits Stored−1) − 1 if signed): black |
    /// | RGB | 0, 0, 0 |
    /// | YBR_FULL, YBR_FULL_422 | Y = 0, Cb = Cr = 2^(Bits Stored−1) (128 on 8 bits) |
    /// | YBR_PARTIAL_422, YBR_PARTIAL_420 | Y = 16 · 2^(Bits Stored−8), Cb = Cr = 2^(Bits Stored−1) |
    /// | PALETTE COLOR | the stored value whose palette colour has the least luma (0.299 R + 0.587 G + 0.114 B), the smallest such value on ties |
    ///
    /// With a Modality LUT or a window, the darkest displayable pixel of a
    /// grayscale image is still its smallest (MONOCHROME2) or largest
    /// (MONOCHROME1) stored value: rescale slopes are positive and windows
    /// increasing.
    ///
    /// # Errors
    ///
    /// [`Error::Description`] for PALETTE COLOR without a palette, and for
    /// YBR_ICT and YBR_RCT, which only describe compressed data.
    pub fn blank_value(&self) -> Result<Vec<i64>> {
        let (min, max) = self.value_range();
        let mid = 1i64 << (self.bits_stored - 1);
        Ok(match self.photometric {
            Photometric::Monochrome2 => vec![min],
            Photometric::Monochrome1 => vec![max],
            Photometric::Rgb => vec![0, 0, 0],
            Photometric::YbrFull | Photometric::YbrFull422 => vec![0, mid, mid],
            Photometric::YbrPartial422 | Photometric::YbrPartial420 => {
                let black = if self.bits_stored >= 8 {
                    16i64 << (self.bits_stored - 8)
                } else {
                    0
                };
                vec![black, mid, mid]
            }
            Photometric::PaletteColor => {
                let p = self.palette.as_ref().ok_or(Error::Description {
                    what: "PALETTE COLOR frame without its palette",
                })?;
                vec![p.darkest(min, max)]
            }
            Photometric::YbrIct | Photometric::YbrRct => {
                return Err(Error::Description {
                    what: "YBR_ICT and YBR_RCT describe compressed data; decoded frames are RGB",
                });
            }
        })
    }

    /// The bytes of sample value `v` (little endian, shifted to High Bit,
    /// sign-extended above it if signed).
    fn encode_sample(&self, v: i64) -> [u8; 4] {
        let low = u32::from(self.high_bit + 1 - self.bits_stored);
        let mask = mask(u32::from(self.bits_allocated));
        let mut raw = (v << low).cast_unsigned() & mask;
        if !self.signed {
            raw &= mask_stored(self);
        }
        let b = raw.to_le_bytes();
        [b[0], b[1], b[2], b[3]]
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The stored bits of an unsigned sample, in place.
fn mask_stored(d: &FrameDesc) -> u64 {
    mask(u32::from(d.bits_stored)) << (d.high_bit + 1 - d.bits_stored)
}

/// What [`FrameBuf::blank`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlankReport {
    /// Rectangles that covered at least one pixel after clipping.
    pub rects: u32,
    /// Pixels set to the blank value, each counted once however many
    /// rectangles cover it.
    pub pixels: u64,
}

/// The number of pixels covered by at least one of `rects`: the covered
/// intervals of each row, merged.
fn union_area(rects: &[Rect]) -> u64 {
    let (Some(top), Some(bottom)) = (
        rects.iter().map(|r| r.y).min(),
        rects.iter().map(Rect::bottom).max(),
    ) else {
        return 0;
    };
    let mut total = 0u64;
    let mut spans: Vec<(u32, u32)> = Vec::with_capacity(rects.len());
    for y in top..bottom {
        spans.clear();
        spans.extend(
            rects
                .iter()
                .filter(|r| r.y <= y && y < r.bottom())
                .map(|r| (r.x, r.right())),
        );
        spans.sort_unstable();
        let mut end = 0u32;
        for &(a, b) in &spans {
            let a = a.max(end);
            if b > a {
                total += u64::from(b - a);
                end = b;
            }
        }
    }
    total
}

/// One decoded frame: its description and its samples.
///
/// # Examples
///
/// ```
/// use radguard_pixels::{FrameBuf, FrameDesc, Photometric, geometry::Rect};
///
/// let desc = FrameDesc::new(4, 6, Photometric::Rgb);
/// let mut frame = FrameBuf::new(desc, vec![200u8; 4 * 6 * 3])?;
/// let done = frame.blank(&[Rect::new(4, 2, 10, 10)])?;
/// assert_eq!(done.pixels, 4); // clipped to columns 4-5, rows 2-3
/// assert_eq!(frame.sample(5, 3, 1), 0);
/// assert_eq!(frame.sample(3, 3, 1), 200);
/// # Ok::<(), radguard_pixels::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FrameBuf {
    desc: FrameDesc,
    data: Vec<u8>,
}

impl FrameBuf {
    /// A frame of `data` described by `desc`.
    ///
    /// # Errors
    ///
    /// [`Error::Description`] if `desc` does not pass [`FrameDesc::check`];
    /// [`Error::Length`] if `data` is not [`FrameDesc::frame_len`] bytes.
    pub fn new(desc: FrameDesc, data: Vec<u8>) -> Result<Self> {
        desc.check()?;
        if desc.photometric == Photometric::YbrFull422 && desc.columns % 2 == 1 {
            return Err(Error::Description {
                what: "YBR_FULL_422 samples need an even number of columns",
            });
        }
        if data.len() as u64 != desc.frame_len() {
            return Err(Error::Length {
                expected: desc.frame_len(),
                actual: data.len() as u64,
            });
        }
        Ok(Self { desc, data })
    }

    /// The description.
    #[must_use]
    pub fn desc(&self) -> &FrameDesc {
        &self.desc
    }

    /// The samples.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The samples, to change in place.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// The samples, owned.
    #[must_use]
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// Where sample `s` of the pixel at column `x`, row `y` starts in
    /// [`FrameBuf::data`], or `None` outside the frame.
    #[must_use]
    pub fn sample_offset(&self, x: u32, y: u32, s: u16) -> Option<usize> {
        let d = &self.desc;
        if x >= d.columns || y >= d.rows || s >= d.samples_per_pixel {
            return None;
        }
        let bps = d.bytes_per_sample();
        let pixel = y as usize * d.columns as usize + x as usize;
        let index = if d.photometric == Photometric::YbrFull422 {
            let pair = pixel / 2;
            match s {
                0 => pair * 4 + pixel % 2,
                _ => pair * 4 + 1 + usize::from(s),
            }
        } else if d.planar {
            usize::from(s) * d.pixels_usize() + pixel
        } else {
            pixel * usize::from(d.samples_per_pixel) + usize::from(s)
        };
        Some(index * bps)
    }

    /// The value of sample `s` of the pixel at column `x`, row `y`, as the
    /// standard reads it (Bits Stored bits ending at High Bit, two's
    /// complement if signed); 0 outside the frame.
    #[must_use]
    pub fn sample(&self, x: u32, y: u32, s: u16) -> i64 {
        let Some(at) = self.sample_offset(x, y, s) else {
            return 0;
        };
        let bps = self.desc.bytes_per_sample();
        let mut b = [0u8; 8];
        if let (Some(dst), Some(src)) = (b.get_mut(..bps), self.data.get(at..at + bps)) {
            dst.copy_from_slice(src);
        }
        self.desc.value_of(u64::from_le_bytes(b))
    }

    /// Sets every pixel inside `rects` (clipped to the frame) to the blank
    /// value of [`FrameDesc::blank_value`]. Every other byte is left as it
    /// is.
    ///
    /// For [`Photometric::YbrFull422`] data, whose two pixels of a pair
    /// share their chrominance, a rectangle is widened to whole pairs
    /// (even left edge, even width): the partner of a blanked pixel is
    /// blanked too.
    ///
    /// # Errors
    ///
    /// The errors of [`FrameDesc::blank_value`].
    pub fn blank(&mut self, rects: &[Rect]) -> Result<BlankReport> {
        let d = &self.desc;
        let mut report = BlankReport::default();
        let rects: Vec<Rect> = rects
            .iter()
            .map(|r| {
                let r = r.clip(d.columns, d.rows);
                if d.photometric == Photometric::YbrFull422 && !r.is_empty() {
                    let left = r.x & !1;
                    let right = r.right().saturating_add(1) & !1;
                    Rect::new(left, r.y, right - left, r.height).clip(d.columns, d.rows)
                } else {
                    r
                }
            })
            .filter(|r| !r.is_empty())
            .collect();
        if rects.is_empty() {
            return Ok(report);
        }
        let value = d.blank_value()?;
        let bps = d.bytes_per_sample();
        let spp = usize::from(d.samples_per_pixel);
        let cols = d.columns as usize;
        let plane = d.pixels_usize() * bps;
        let sample_bytes: Vec<[u8; 4]> = value.iter().map(|v| d.encode_sample(*v)).collect();
        report.pixels = union_area(&rects);
        for r in &rects {
            report.rects += 1;
            let (x0, x1) = (r.x as usize, r.right() as usize);
            for y in r.y as usize..r.bottom() as usize {
                let row = y * cols;
                if d.photometric == Photometric::YbrFull422 {
                    // Pairs: Y0 Y1 Cb Cr.
                    let mut pattern = Vec::with_capacity(4 * bps);
                    for s in [0usize, 0, 1, 2] {
                        pattern.extend_from_slice(&sample_bytes[s][..bps]);
                    }
                    fill(
                        &mut self.data,
                        (row + x0) * 2 * bps,
                        (row + x1) * 2 * bps,
                        &pattern,
                    );
                } else if d.planar {
                    for (s, bytes) in sample_bytes.iter().enumerate() {
                        let base = s * plane;
                        fill(
                            &mut self.data,
                            base + (row + x0) * bps,
                            base + (row + x1) * bps,
                            &bytes[..bps],
                        );
                    }
                } else {
                    let mut pattern = Vec::with_capacity(spp * bps);
                    for bytes in &sample_bytes {
                        pattern.extend_from_slice(&bytes[..bps]);
                    }
                    fill(
                        &mut self.data,
                        (row + x0) * spp * bps,
                        (row + x1) * spp * bps,
                        &pattern,
                    );
                }
            }
        }
        Ok(report)
    }

    /// The frame with its samples pixel by pixel (`planar == false`) or
    /// plane by plane (`true`); the same frame if already so. YBR_FULL_422
    /// and single-sample frames are returned unchanged.
    #[must_use]
    pub fn to_planar(self, planar: bool) -> Self {
        let d = &self.desc;
        if d.samples_per_pixel == 1
            || d.photometric == Photometric::YbrFull422
            || d.planar == planar
        {
            return self;
        }
        let bps = d.bytes_per_sample();
        let spp = usize::from(d.samples_per_pixel);
        let n = d.pixels_usize();
        let mut out = vec![0u8; self.data.len()];
        if bps == 1 {
            // The common case, without per-sample bounds checks.
            let (src, dst) = (&self.data, &mut out);
            for s in 0..spp {
                let plane = s * n..(s + 1) * n;
                if planar {
                    let to = dst.get_mut(plane).unwrap_or_default();
                    for (t, v) in to.iter_mut().zip(src.iter().skip(s).step_by(spp)) {
                        *t = *v;
                    }
                } else {
                    let from = src.get(plane).unwrap_or_default();
                    for (t, v) in dst.iter_mut().skip(s).step_by(spp).zip(from) {
                        *t = *v;
                    }
                }
            }
            let desc = d.with_layout(d.photometric, planar);
            return Self { desc, data: out };
        }
        for p in 0..n {
            for s in 0..spp {
                let (inter, plane) = ((p * spp + s) * bps, (s * n + p) * bps);
                let (from, to) = if planar {
                    (inter, plane)
                } else {
                    (plane, inter)
                };
                if let (Some(dst), Some(src)) =
                    (out.get_mut(to..to + bps), self.data.get(from..from + bps))
                {
                    dst.copy_from_slice(src);
                }
            }
        }
        let desc = d.with_layout(d.photometric, planar);
        Self { desc, data: out }
    }

    /// An 8-bit grayscale rendering, row by row (`rows × columns` bytes),
    /// for text detection:
    ///
    /// - grayscale: the Modality LUT (Rescale Slope/Intercept), then the
    ///   window (`window` as (center, width) if given, else the header's,
    ///   else the frame's minimum to maximum), with the linear function of
    ///   PS3.3 C.11.2.1.2; MONOCHROME1 is inverted so text is light on dark
    ///   as on MONOCHROME2;
    /// - RGB: luma 0.299 R + 0.587 G + 0.114 B, scaled from Bits Stored;
    /// - YBR: the Y sample (YBR_PARTIAL stretched from 16–235);
    /// - PALETTE COLOR: the luma of each value's palette colour.
    #[must_use]
    pub fn to_gray8(&self, window: Option<(f64, f64)>) -> Vec<u8> {
        let d = &self.desc;
        let (cols, rows) = (d.columns, d.rows);
        let mut out = Vec::with_capacity(d.pixels_usize());
        let top = ((1u64 << d.bits_stored) - 1) as f64;
        match d.photometric {
            Photometric::Monochrome1 | Photometric::Monochrome2 => {
                let (slope, intercept) = d.rescale.unwrap_or((1.0, 0.0));
                let modality = |v: i64| v as f64 * slope + intercept;
                let (c, w) = match window.or(d.window) {
                    Some((c, w)) if w >= 1.0 => (c, w),
                    _ => {
                        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
                        for y in 0..rows {
                            for x in 0..cols {
                                let m = modality(self.sample(x, y, 0));
                                lo = lo.min(m);
                                hi = hi.max(m);
                            }
                        }
                        // Centre and width whose linear function maps lo..hi to 0..255.
                        let w = (hi - lo + 1.0).max(1.0);
                        (lo + w / 2.0 - 0.5 + 0.5, w)
                    }
                };
                let invert = d.photometric == Photometric::Monochrome1;
                for y in 0..rows {
                    for x in 0..cols {
                        let g = window_linear(modality(self.sample(x, y, 0)), c, w);
                        out.push(if invert { 255 - g } else { g });
                    }
                }
            }
            Photometric::PaletteColor => {
                let scale = d
                    .palette
                    .as_ref()
                    .map_or(1.0, |p| 255.0 / ((1u64 << p.bits) - 1) as f64);
                for y in 0..rows {
                    for x in 0..cols {
                        let v = self.sample(x, y, 0);
                        let g = d.palette.as_ref().map_or(0.0, |p| {
                            let (r, g, b) = p.colour(v);
                            luma(f64::from(r), f64::from(g), f64::from(b)) * scale
                        });
                        out.push(to_u8(g));
                    }
                }
            }
            Photometric::Rgb | Photometric::YbrIct | Photometric::YbrRct => {
                let scale = 255.0 / top;
                for y in 0..rows {
                    for x in 0..cols {
                        let s = |i| self.sample(x, y, i) as f64;
                        out.push(to_u8(luma(s(0), s(1), s(2)) * scale));
                    }
                }
            }
            Photometric::YbrFull | Photometric::YbrFull422 => {
                let scale = 255.0 / top;
                for y in 0..rows {
                    for x in 0..cols {
                        out.push(to_u8(self.sample(x, y, 0) as f64 * scale));
                    }
                }
            }
            Photometric::YbrPartial422 | Photometric::YbrPartial420 => {
                let unit = top / 255.0;
                for y in 0..rows {
                    for x in 0..cols {
                        let yv = self.sample(x, y, 0) as f64 / unit;
                        out.push(to_u8((yv - 16.0) * 255.0 / 219.0));
                    }
                }
            }
        }
        out
    }
}

impl FrameDesc {
    /// The value of a raw little endian sample, as the standard reads it.
    fn value_of(&self, raw: u64) -> i64 {
        let bs = u32::from(self.bits_stored);
        let low = u32::from(self.high_bit + 1 - self.bits_stored);
        let v = (raw >> low) & mask(bs);
        if self.signed && v >> (bs - 1) & 1 == 1 {
            v as i64 - (1i64 << bs)
        } else {
            v as i64
        }
    }
}

/// Fills `data[start..end]` with repetitions of `pattern`.
fn fill(data: &mut [u8], start: usize, end: usize, pattern: &[u8]) {
    if let Some(run) = data.get_mut(start..end) {
        for chunk in run.chunks_exact_mut(pattern.len()) {
            chunk.copy_from_slice(pattern);
        }
    }
}

fn luma(r: f64, g: f64, b: f64) -> f64 {
    0.299 * r + 0.587 * g + 0.114 * b
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to 0..=255 first
fn to_u8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// The linear VOI function of PS3.3 C.11.2.1.2.1 onto 0..=255.
fn window_linear(x: f64, c: f64, w: f64) -> u8 {
    if w <= 1.0 {
        return if x < c - 0.5 { 0 } else { 255 };
    }
    let lo = c - 0.5 - (w - 1.0) / 2.0;
    let hi = c - 0.5 + (w - 1.0) / 2.0;
    if x <= lo {
        0
    } else if x > hi {
        255
    } else {
        to_u8(((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0)
    }
}
