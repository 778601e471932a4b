//! Reading a split file's frames one at a time, native or encapsulated.

use radguard_dicom::dicom::core::VR;
use radguard_dicom::pixel_meta::{PixelCleanReport, PixelPlan, clear_unused_bits};
use radguard_dicom::{PixelData, PixelLayout, SplitFile};

use crate::codec::{self, Support};
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameDesc};

/// What is known about a split file's pixel data before reading it.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) ts: String,
    pub(crate) support: Support,
    pub(crate) desc: FrameDesc,
    pub(crate) frames: u32,
    pub(crate) pixel: PixelData,
    pub(crate) plan: PixelPlan,
    /// Native big endian OW: swap the bytes of each 16-bit word.
    pub(crate) swap_words: bool,
}

impl Input {
    /// Reads the description from the split file's (unchanged) header.
    pub(crate) fn of(split: &SplitFile) -> Result<Option<Self>> {
        let Some(pixel) = split.pixel_data().cloned() else {
            return Ok(None);
        };
        if pixel.tag() != radguard_dicom::tags::PIXEL_DATA {
            return Err(Error::Description {
                what: "float pixel data is not an image to clean",
            });
        }
        let ts =
            radguard_dicom::text::trim_value(&split.header().meta().transfer_syntax).to_owned();
        let support = codec::decodable(&ts)?;
        let plan = split.pixel_plan()?;
        let desc = FrameDesc::from_dataset(split.header().dataset())?;
        let big_endian = ts == "1.2.840.10008.1.2.2";
        if big_endian && desc.bits_allocated() > 16 {
            return Err(Error::Description {
                what: "big endian pixel data of more than 16 bits is not handled",
            });
        }
        let encapsulated = pixel.is_encapsulated();
        if encapsulated == (support.compression == codec::Compression::Native) {
            return Err(Error::Description {
                what: "pixel data encapsulation does not match the transfer syntax",
            });
        }
        Ok(Some(Self {
            frames: plan.frames(),
            swap_words: big_endian && pixel.vr() == VR::OW,
            ts,
            support,
            desc,
            pixel,
            plan,
        }))
    }

    pub(crate) fn is_native(&self) -> bool {
        !self.pixel.is_encapsulated()
    }

    /// The native value length.
    pub(crate) fn native_len(&self) -> u32 {
        match self.pixel.layout() {
            PixelLayout::Native { len } => *len,
            _ => 0,
        }
    }

    /// Checks that native data holds all frames.
    pub(crate) fn check_native_len(&self) -> Result<u64> {
        let need = self.desc.frame_len().saturating_mul(u64::from(self.frames));
        if u64::from(self.native_len()) < need {
            return Err(Error::Length {
                expected: need,
                actual: u64::from(self.native_len()),
            });
        }
        Ok(need)
    }

    /// Reads native frame `k` into `buf` (resized to one frame) in little
    /// endian, its bits outside Bits Stored cleared; returns how many
    /// samples had such bits.
    pub(crate) fn read_native(
        &self,
        split: &mut SplitFile,
        k: u32,
        buf: &mut Vec<u8>,
    ) -> Result<u64> {
        let len = self.desc.frame_len();
        let n = usize::try_from(len).map_err(|_| too_large(len))?;
        let start = u64::from(k) * len;
        if self.swap_words {
            // Big endian words: the frame's bytes are in the words that
            // cover it (a frame of 8-bit samples may start mid-word).
            let (a0, a1) = (
                start & !1,
                ((start + len + 1) & !1).min(u64::from(self.native_len())),
            );
            let mut words = vec![0u8; usize::try_from(a1 - a0).map_err(|_| too_large(len))?];
            split.read_native_at(a0, &mut words)?;
            swap_pairs(&mut words);
            let skip = usize::from(start != a0);
            buf.clear();
            buf.extend_from_slice(words.get(skip..skip + n).ok_or(Error::Length {
                expected: len,
                actual: words.len() as u64,
            })?);
        } else {
            buf.resize(n, 0);
            split.read_native_at(start, buf)?;
        }
        Ok(self
            .plan
            .native()
            .map_or(0, |d| clear_unused_bits(buf, d).samples_changed))
    }

    /// Calls `f` with each frame decoded, in order.
    pub(crate) fn for_each_decoded(
        &self,
        split: &mut SplitFile,
        f: &mut dyn FnMut(u32, FrameBuf) -> Result<()>,
    ) -> Result<PixelCleanReport> {
        if self.is_native() {
            self.check_native_len()?;
            let mut buf = Vec::new();
            for k in 0..self.frames {
                self.read_native(split, k, &mut buf)?;
                let frame = FrameBuf::new(self.desc.clone(), std::mem::take(&mut buf))?;
                f(k, frame)?;
            }
            return Ok(PixelCleanReport::default());
        }
        let mut k = 0u32;
        let mut failed = None;
        let report = split.for_each_clean_frame(&self.plan, &mut |data| {
            let r =
                codec::decode_frame(&self.ts, &self.desc, k, data).and_then(|frame| f(k, frame));
            k += 1;
            r.map_err(|e| crate::clean::stash(&mut failed, e))
        });
        match (report, failed) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(e.into()),
            (Ok(r), None) => Ok(r),
        }
    }
}

pub(crate) fn too_large(size: u64) -> Error {
    Error::TooLarge {
        what: "frame",
        size,
        limit: usize::MAX as u64,
    }
}

/// Swaps the two bytes of every 16-bit word.
pub(crate) fn swap_pairs(buf: &mut [u8]) {
    for w in buf.as_chunks_mut::<2>().0 {
        w.swap(0, 1);
    }
}

/// Calls `f` with each frame of `split`'s pixel data, decoded, in order,
/// one frame in memory at a time: for text detection on the frames
/// ([`FrameBuf::to_gray8`]).
///
/// Frames are as [`decode_frame`](crate::decode_frame) delivers them
/// (native frames as stored, in little endian, with their bits outside
/// Bits Stored cleared); encapsulated frames have their metadata removed
/// first, as radguard-dicom's cleaning does. Call it before changing the
/// header: it reads the Image Pixel attributes from it.
///
/// # Errors
///
/// [`Error::Description`] if there is no pixel data or its attributes
/// are unusable; the decoding errors of
/// [`decode_frame`](crate::decode_frame); whatever `f` returns, which stops
/// the walk.
///
/// # Examples
///
/// ```no_run
/// let mut split = radguard_dicom::open_split("us-cine.dcm")?;
/// radguard_pixels::for_each_frame(&mut split, &mut |k, frame| {
///     let gray = frame.to_gray8(None);
///     assert_eq!(gray.len() as u64, frame.desc().pixels());
///     Ok(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn for_each_frame(
    split: &mut SplitFile,
    f: &mut dyn FnMut(u32, &FrameBuf) -> Result<()>,
) -> Result<()> {
    let input = Input::of(split)?.ok_or(Error::Description {
        what: "the file has no pixel data",
    })?;
    input.for_each_decoded(split, &mut |k, frame| f(k, &frame))?;
    Ok(())
}
