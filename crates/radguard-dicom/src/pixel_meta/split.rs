//! Streaming a split file's pixel data with its metadata removed.

use std::io;

use dicom_core::{Tag, VR};

use super::frames::{Grouping, group};
use super::native::{NativeDesc, clear_unused_bits};
use super::{Codec, Error as StreamError, Removed, codec, strip_fragment};
use crate::error::{Error, Result};
use crate::file::{PixelData, PixelLayout, SplitFile};
use crate::tags;
use crate::text::value_text;
use crate::write::DicomWriter;

/// Header attributes that describe encapsulated pixel data by byte offset
/// and become wrong once frames are stripped: Extended Offset Table
/// (7FE0,0001), Extended Offset Table Lengths (7FE0,0002) and Encapsulated
/// Pixel Data Value Total Length (7FE0,0003). A caller of
/// [`SplitFile::copy_pixel_data_clean`] removes them from the header it
/// writes (they precede the pixel data, so they cannot be rewritten after
/// it is streamed); [`PixelCleanReport::frame_offsets`] and
/// [`PixelCleanReport::frame_lengths`] hold the values a new Extended
/// Offset Table would need.
pub const STALE_AFTER_STRIPPING: [Tag; 3] = [
    tags::EXTENDED_OFFSET_TABLE,
    tags::EXTENDED_OFFSET_TABLE_LENGTHS,
    tags::ENCAPSULATED_PIXEL_DATA_VALUE_TOTAL_LENGTH,
];

/// Native reads and writes go in chunks of this many bytes (a multiple of
/// every sample size).
const CHUNK: usize = 1 << 20;

/// The largest frame held in memory by default.
const MAX_FRAME_LEN: u64 = 1 << 30;

/// What [`SplitFile::copy_pixel_data_clean`] needs from the header, read
/// before the header is changed or taken out: the transfer syntax, Number
/// of Frames, the Image Pixel attributes of native data, the Extended
/// Offset Table.
///
/// Made by [`SplitFile::pixel_plan`].
#[derive(Debug, Clone)]
pub struct PixelPlan {
    transfer_syntax: String,
    frames: u32,
    native: Option<NativeDesc>,
    extended_offsets: Option<Vec<u64>>,
    max_frame_len: u64,
    /// Native big endian OW: swap the bytes of each 16-bit word before
    /// and after cleaning.
    swap_words: bool,
}

impl PixelPlan {
    /// The largest frame of encapsulated pixel data held in memory, in
    /// bytes (1 GiB by default; at most 4 GiB − 2, the largest fragment).
    /// A larger frame is an [`Error::TooLarge`].
    #[must_use]
    pub fn max_frame_len(mut self, bytes: u64) -> Self {
        self.max_frame_len = bytes.min(0xFFFF_FFFE);
        self
    }

    /// The description of native pixel data, if the pixel data is native.
    #[must_use]
    pub fn native(&self) -> Option<&NativeDesc> {
        self.native.as_ref()
    }

    /// Number of Frames (1 when absent).
    #[must_use]
    pub fn frames(&self) -> u32 {
        self.frames
    }
}

/// What [`SplitFile::copy_pixel_data_clean`] did. No content, only counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PixelCleanReport {
    /// Frames of encapsulated pixel data checked.
    pub frames: u64,
    /// Frames from which something was removed.
    pub frames_changed: u64,
    /// What was removed from the frames, in total.
    pub removed: Removed,
    /// Native samples whose unused bits were cleared.
    pub samples_changed: u64,
    /// Native bytes after the last frame, all written as zeros.
    pub trailing_bytes: u64,
    /// How many of those trailing bytes were not zero.
    pub trailing_nonzero: u64,
    /// Where each frame's fragment item now starts, counted from the first
    /// fragment item (the Basic and Extended Offset Table's convention).
    pub frame_offsets: Vec<u64>,
    /// Each frame's length in bytes, padding included (the Extended Offset
    /// Table Lengths' convention).
    pub frame_lengths: Vec<u64>,
}

impl PixelCleanReport {
    /// `true` if the pixel data was written differently from how it came.
    #[must_use]
    pub fn changed(&self) -> bool {
        self.frames_changed > 0 || self.samples_changed > 0 || self.trailing_nonzero > 0
    }
}

fn stream_err(frame: Option<u64>) -> impl FnOnce(StreamError) -> Error {
    move |source| Error::PixelMetadata { frame, source }
}

impl SplitFile {
    /// Reads what [`SplitFile::copy_pixel_data_clean`] needs from the
    /// header. Call it before changing the header.
    ///
    /// # Errors
    ///
    /// [`Error::PixelMetadata`] if the pixel data is encapsulated in a
    /// transfer syntax whose streams cannot be checked (video, JPIP,
    /// unknown), if native pixel data has missing or inconsistent Image
    /// Pixel attributes, or if Number of Frames or the Extended Offset
    /// Table is malformed; [`Error::WriterState`] if the element left on
    /// disk is not pixel data ([`ReadOptions::split_tag`](crate::ReadOptions::split_tag)).
    pub fn pixel_plan(&self) -> Result<PixelPlan> {
        let meta = self.header().meta();
        let pixel = self.pixel_data().map(|p| (p.tag(), p.is_encapsulated()));
        let big_endian = match pixel {
            Some((_, false)) => crate::ts::lookup(&meta.transfer_syntax)?.enc.big_endian,
            _ => false,
        };
        // Big endian OW is a sequence of big endian 16-bit words: swapped
        // to little endian words, its samples read as in a little endian
        // file (as dicom-rs holds them in memory).
        let vr = self.pixel_data().map(PixelData::vr);
        let swap_words = big_endian && vr == Some(VR::OW);
        let mut plan = plan_for(&meta.transfer_syntax, self.header().dataset(), pixel, false)?;
        if big_endian
            && !swap_words
            && plan
                .native
                .as_ref()
                .is_some_and(NativeDesc::has_unused_bits)
        {
            return Err(Error::PixelMetadata {
                frame: None,
                source: StreamError::Description {
                    what: "big endian pixel data with unused bits must be OW",
                },
            });
        }
        plan.swap_words = swap_words;
        Ok(plan)
    }

    /// Writes this file's pixel data element into `w` with no metadata
    /// inside it: the streaming counterpart of
    /// [`SplitFile::copy_pixel_data`] for de-identification.
    ///
    /// - **Encapsulated** pixel data is grouped into frames (see
    ///   [`pixel_meta`](super)), each frame is read into memory (at most
    ///   [`PixelPlan::max_frame_len`] bytes), stripped with
    ///   [`strip_fragment`] and written as **one fragment**. A Basic
    ///   Offset Table is written, with the new offsets, when the input had
    ///   a non-empty one; otherwise it stays empty. The attributes of
    ///   [`STALE_AFTER_STRIPPING`] must be removed from the header.
    /// - **Native** pixel data is streamed in 1 MiB chunks: the bits
    ///   outside the stored bits of every sample are cleared
    ///   ([`clear_unused_bits`]) and the bytes after the last frame are
    ///   written as zeros. When Bits Stored equals Bits Allocated and there
    ///   are no bytes after the last frame, nothing can change and the
    ///   value is copied as [`SplitFile::copy_pixel_data`] does (a kernel
    ///   copy between files). Explicit VR Big Endian OW data is a sequence
    ///   of big endian 16-bit words: each chunk is swapped to little endian
    ///   words, cleaned and swapped back (so 8-bit samples in OW are found
    ///   where dicom-rs puts them in memory); big endian data with unused
    ///   bits in another VR is refused by [`SplitFile::pixel_plan`].
    ///
    /// `plan` comes from [`SplitFile::pixel_plan`]. A file without pixel
    /// data writes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::PixelMetadata`] if a frame is not a well-formed stream of
    /// its transfer syntax, the fragments cannot be grouped into Number of
    /// Frames frames, or native pixel data is shorter than its attributes
    /// say; [`Error::TooLarge`] for a frame above the plan's limit; writer
    /// and I/O errors. The writer must then be dropped (nothing is left at
    /// its path).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use radguard_dicom::{DicomWriter, WriteOptions, open_split, pixel_meta::STALE_AFTER_STRIPPING};
    ///
    /// let mut split = open_split("in.dcm")?;
    /// let plan = split.pixel_plan()?;
    /// let mut header = split.header().dataset().clone();
    /// for t in STALE_AFTER_STRIPPING {
    ///     header.remove_element(t);
    /// }
    /// let pixel_tag = split.pixel_data().map(|p| p.tag());
    /// let mut w = DicomWriter::create("out.dcm".as_ref(), split.header().meta(), &WriteOptions::new())?;
    /// w.write_elements(header.iter().filter(|e| pixel_tag.is_none_or(|t| e.header().tag < t)))?;
    /// let report = split.copy_pixel_data_clean(&mut w, &plan)?;
    /// w.write_elements(header.iter().filter(|e| pixel_tag.is_some_and(|t| e.header().tag > t)))?;
    /// w.commit()?;
    /// println!("{} comment segments removed", report.removed.comments);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn copy_pixel_data_clean(
        &mut self,
        w: &mut DicomWriter,
        plan: &PixelPlan,
    ) -> Result<PixelCleanReport> {
        let Some(px) = self.pixel_data().cloned() else {
            return Ok(PixelCleanReport::default());
        };
        if !tags::is_pixel_data(px.tag()) {
            return Err(Error::WriterState {
                what: "the element left on disk is not pixel data",
            });
        }
        match px.layout() {
            PixelLayout::Native { len } => self.clean_native(w, &px, *len, plan),
            PixelLayout::Encapsulated {
                offset_table,
                fragment_lens,
            } => self.clean_encapsulated(w, offset_table, fragment_lens, plan),
        }
    }

    /// Hands each frame of encapsulated pixel data to `f`, in order, with
    /// its metadata removed exactly as
    /// [`SplitFile::copy_pixel_data_clean`] would write it, without writing
    /// anything: for a caller that decodes, changes or re-encodes frames
    /// (radguard-pixels). One frame is in memory at a time (at most
    /// [`PixelPlan::max_frame_len`] bytes).
    ///
    /// The report counts what was removed; its offsets are those the
    /// stripped frames would have, not those of what the caller writes.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] if the pixel data is missing or native; the
    /// errors of [`SplitFile::copy_pixel_data_clean`]; whatever `f`
    /// returns, which stops the walk.
    pub fn for_each_clean_frame(
        &mut self,
        plan: &PixelPlan,
        f: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<PixelCleanReport> {
        let Some(px) = self.pixel_data().cloned() else {
            return Err(Error::WriterState {
                what: "no pixel data",
            });
        };
        let PixelLayout::Encapsulated {
            offset_table,
            fragment_lens,
        } = px.layout()
        else {
            return Err(Error::WriterState {
                what: "pixel data is native, not encapsulated",
            });
        };
        strip_frames(
            plan,
            offset_table,
            fragment_lens,
            &mut SplitFragments(self),
            &mut |frame| f(frame),
        )
    }

    fn clean_native(
        &mut self,
        w: &mut DicomWriter,
        px: &PixelData,
        len: u32,
        plan: &PixelPlan,
    ) -> Result<PixelCleanReport> {
        let desc = plan.native.as_ref().ok_or(Error::WriterState {
            what: "the pixel plan is not for native pixel data",
        })?;
        let need = desc.pixel_len().unwrap_or(u64::MAX);
        if u64::from(len) < need {
            return Err(Error::PixelMetadata {
                frame: None,
                source: StreamError::Description {
                    what: "the pixel data is shorter than its Image Pixel attributes say",
                },
            });
        }
        let mut report = PixelCleanReport::default();
        if !desc.has_unused_bits() && u64::from(len) - need <= u64::from(!plan.swap_words) {
            // Nothing can change but a padding byte: check it, then copy fast.
            if u64::from(len) > need {
                let mut last = [0u8];
                self.read_native_at(need, &mut last)?;
                report.trailing_bytes = 1;
                report.trailing_nonzero = u64::from(last != [0]);
            }
            if report.trailing_nonzero == 0 {
                self.copy_pixel_data(w)?;
                return Ok(report);
            }
            report = PixelCleanReport::default();
        }
        let mut buf = vec![0u8; CHUNK.min(len as usize)];
        let mut failed = None;
        let total = u64::from(len);
        let written = w.write_native_pixel_with(px.tag(), px.vr(), len, |out| {
            let mut off = 0u64;
            while off < total {
                let n = usize::try_from(total - off).unwrap_or(CHUNK).min(CHUNK);
                let Some(chunk) = buf.get_mut(..n) else {
                    return Err(io::Error::other("chunk buffer too small"));
                };
                if let Err(e) = self.read_native_at(off, chunk) {
                    failed = Some(e);
                    return Err(io::Error::other("reading the pixel data failed"));
                }
                if plan.swap_words {
                    swap_pairs(chunk);
                }
                let pixel_bytes = usize::try_from(need.saturating_sub(off))
                    .unwrap_or(n)
                    .min(n);
                let (pixels, tail) = chunk.split_at_mut(pixel_bytes);
                report.samples_changed += clear_unused_bits(pixels, desc).samples_changed;
                report.trailing_bytes += tail.len() as u64;
                report.trailing_nonzero += tail.iter().filter(|b| **b != 0).count() as u64;
                tail.fill(0);
                if plan.swap_words {
                    swap_pairs(chunk);
                }
                out.write_all(chunk)?;
                off += n as u64;
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Err(e);
        }
        written?;
        Ok(report)
    }

    fn clean_encapsulated(
        &mut self,
        w: &mut DicomWriter,
        offset_table: &[u32],
        fragment_lens: &[u32],
        plan: &PixelPlan,
    ) -> Result<PixelCleanReport> {
        let with_table = !offset_table.is_empty();
        if with_table {
            w.begin_encapsulated_reserved(plan.frames as usize)?;
        } else {
            w.begin_encapsulated(&[])?;
        }
        let report = strip_frames(
            plan,
            offset_table,
            fragment_lens,
            &mut SplitFragments(self),
            &mut |frame| w.write_fragment(frame),
        )?;
        if with_table {
            w.end_encapsulated_with_offsets(&basic_offset_table(&report)?)?;
        } else {
            w.end_encapsulated()?;
        }
        Ok(report)
    }
}

/// The plan for pixel data `pixel` (its tag, and `true` if encapsulated)
/// of data set `ds` in transfer syntax `ts`; native samples in the byte
/// order `big_endian`.
pub(super) fn plan_for(
    ts: &str,
    ds: &dicom_object::InMemDicomObject,
    pixel: Option<(Tag, bool)>,
    big_endian: bool,
) -> Result<PixelPlan> {
    let mut plan = PixelPlan {
        transfer_syntax: crate::text::trim_value(ts).to_owned(),
        frames: 1,
        native: None,
        extended_offsets: None,
        max_frame_len: MAX_FRAME_LEN,
        swap_words: false,
    };
    let Some((tag, encapsulated)) = pixel else {
        return Ok(plan);
    };
    if !tags::is_pixel_data(tag) {
        return Err(Error::WriterState {
            what: "the element left on disk is not pixel data",
        });
    }
    if encapsulated {
        codec(&plan.transfer_syntax).map_err(stream_err(None))?;
        plan.frames = frames(ds).map_err(stream_err(None))?;
        plan.extended_offsets = extended_offsets(ds).map_err(stream_err(None))?;
    } else {
        let desc = NativeDesc::from_dataset(ds, tag, big_endian).map_err(stream_err(None))?;
        plan.frames = desc.frames();
        plan.native = Some(desc);
    }
    Ok(plan)
}

/// Where the fragments of encapsulated pixel data come from.
pub(super) trait Fragments {
    /// Appends fragment `i` to `buf`.
    fn append(&mut self, i: usize, buf: &mut Vec<u8>) -> Result<()>;
    /// The first two bytes of fragment `i`, if it has them.
    fn head(&mut self, i: usize) -> Option<[u8; 2]>;
}

struct SplitFragments<'a>(&'a mut SplitFile);

impl Fragments for SplitFragments<'_> {
    fn append(&mut self, i: usize, buf: &mut Vec<u8>) -> Result<()> {
        let len = match self.0.pixel_data().map(PixelData::layout) {
            Some(PixelLayout::Encapsulated { fragment_lens, .. }) => {
                fragment_lens.get(i).copied().unwrap_or(0) as usize
            }
            _ => 0,
        };
        let old = buf.len();
        buf.resize(old + len, 0);
        self.0
            .read_fragment_at(i, 0, buf.get_mut(old..).unwrap_or_default())
    }

    fn head(&mut self, i: usize) -> Option<[u8; 2]> {
        let mut head = [0u8; 2];
        self.0.read_fragment_at(i, 0, &mut head).ok()?;
        Some(head)
    }
}

/// The Basic Offset Table of the frames in `report`.
pub(super) fn basic_offset_table(report: &PixelCleanReport) -> Result<Vec<u32>> {
    report
        .frame_offsets
        .iter()
        .map(|o| u32::try_from(*o))
        .collect::<Result<Vec<u32>, _>>()
        .map_err(|_| Error::TooLarge {
            what: "pixel data for a basic offset table",
            size: report.frame_offsets.last().copied().unwrap_or(0),
            limit: u64::from(u32::MAX),
        })
}

/// Groups the fragments into the plan's frames, strips each frame and
/// hands it to `emit` (to be written as one fragment).
pub(super) fn strip_frames(
    plan: &PixelPlan,
    offset_table: &[u32],
    fragment_lens: &[u32],
    src: &mut impl Fragments,
    emit: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<PixelCleanReport> {
    let grouping = group(
        fragment_lens,
        offset_table,
        plan.extended_offsets.as_deref(),
        plan.frames,
    )
    .map_err(stream_err(None))?;
    let codec = codec(&plan.transfer_syntax).map_err(stream_err(None))?;
    let mut out = FrameWriter {
        ts: &plan.transfer_syntax,
        report: PixelCleanReport::default(),
        at: 0,
    };
    let mut buf = Vec::new();
    let max = plan.max_frame_len;
    match grouping {
        Grouping::Ranges(ranges) => {
            for r in ranges {
                buf.clear();
                for i in r {
                    append(src, i, &mut buf, fragment_lens, max)?;
                }
                out.frame(emit, &buf)?;
            }
        }
        Grouping::ByStreamEnd => {
            if !matches!(codec, Codec::Jpeg | Codec::J2k) {
                return Err(Error::PixelMetadata {
                    frame: None,
                    source: StreamError::Frames {
                        what: "more fragments than frames and no offset table",
                    },
                });
            }
            let n = fragment_lens.len();
            for i in 0..n {
                append(src, i, &mut buf, fragment_lens, max)?;
                // Try to end the frame here when its stream seems to end
                // (EOI/EOC last, or the next fragment starts a stream, or
                // no fragment is left); a stream that turns out to go on
                // takes the next fragment too.
                let body = buf.strip_suffix(&[0]).unwrap_or(&buf);
                let next_starts =
                    i + 1 == n || matches!(src.head(i + 1), Some([0xFF, 0xD8] | [0xFF, 0x4F]));
                if !body.ends_with(&[0xFF, 0xD9]) && !next_starts {
                    continue;
                }
                match out.frame(emit, &buf) {
                    Ok(()) => buf.clear(),
                    Err(Error::PixelMetadata {
                        source: StreamError::Truncated { .. },
                        ..
                    }) if i + 1 < n => {}
                    Err(e) => return Err(e),
                }
            }
            if !buf.is_empty() || out.report.frames != u64::from(plan.frames) {
                return Err(Error::PixelMetadata {
                    frame: None,
                    source: StreamError::Frames {
                        what: "the streams in the fragments do not make Number of Frames frames",
                    },
                });
            }
        }
    }
    Ok(out.report)
}

/// Appends fragment `i` to `buf`, which must stay within `max` bytes.
fn append(
    src: &mut impl Fragments,
    i: usize,
    buf: &mut Vec<u8>,
    fragment_lens: &[u32],
    max: u64,
) -> Result<()> {
    let len = fragment_lens.get(i).copied().unwrap_or(0) as usize;
    let new = buf.len() + len;
    if new as u64 > max {
        return Err(Error::TooLarge {
            what: "pixel data frame",
            size: new as u64,
            limit: max,
        });
    }
    src.append(i, buf)
}

/// Strips frames and hands each to the writer, keeping count.
struct FrameWriter<'a> {
    ts: &'a str,
    report: PixelCleanReport,
    /// Where the next fragment item starts, from the first one.
    at: u64,
}

impl FrameWriter<'_> {
    fn frame(&mut self, emit: &mut impl FnMut(&[u8]) -> Result<()>, frame: &[u8]) -> Result<()> {
        let k = self.report.frames;
        let s = strip_fragment(self.ts, frame).map_err(stream_err(Some(k)))?;
        let data = s.data();
        emit(data)?;
        let padded = data.len() as u64 + data.len() as u64 % 2;
        self.report.frame_offsets.push(self.at);
        self.report.frame_lengths.push(padded);
        self.at += 8 + padded;
        self.report.frames += 1;
        if !s.is_unchanged() {
            self.report.frames_changed += 1;
            self.report.removed.add(s.removed());
        }
        Ok(())
    }
}

/// Swaps the two bytes of every 16-bit word.
fn swap_pairs(buf: &mut [u8]) {
    for w in buf.as_chunks_mut::<2>().0 {
        w.swap(0, 1);
    }
}

/// Number of Frames, 1 when absent.
fn frames(ds: &dicom_object::InMemDicomObject) -> Result<u32, StreamError> {
    let text = value_text(ds, tags::NUMBER_OF_FRAMES);
    let text = text.trim();
    if text.is_empty() {
        return Ok(1);
    }
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(StreamError::Frames {
            what: "Number of Frames is not a positive integer",
        }),
    }
}

/// The Extended Offset Table (7FE0,0001), if present.
fn extended_offsets(ds: &dicom_object::InMemDicomObject) -> Result<Option<Vec<u64>>, StreamError> {
    let Some(e) = ds.get(tags::EXTENDED_OFFSET_TABLE) else {
        return Ok(None);
    };
    if let Ok(v) = e.value().to_multi_int::<u64>() {
        return Ok(Some(v));
    }
    let bytes = e.value().to_bytes().map_err(|_| StreamError::Frames {
        what: "the Extended Offset Table cannot be read",
    })?;
    let (chunks, rest) = bytes.as_chunks::<8>();
    if !rest.is_empty() {
        return Err(StreamError::Frames {
            what: "the Extended Offset Table is not a whole number of 64-bit offsets",
        });
    }
    Ok(Some(
        chunks.iter().map(|c| u64::from_le_bytes(*c)).collect(),
    ))
}
