//! Cleaning a split file's pixel data while it is written: the plan
//! (what changes in the header), then the streamed pixel data.

use radguard_dicom::dicom::core::{PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::{FileMetaTable, InMemDicomObject};
use radguard_dicom::pixel_meta::{PixelCleanReport, PixelPlan, STALE_AFTER_STRIPPING};
use radguard_dicom::{DicomWriter, SplitFile, tags};

use crate::codec::{self, Compression, Lossiness, RLE_LOSSLESS};
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameDesc, Photometric};
use crate::geometry::RegionPlan;
use crate::source::{Input, swap_pairs, too_large};

/// The lossless transfer syntax frames are stored in when the input's own
/// cannot be written (no encoder in this build, or a lossy one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fallback {
    /// RLE Lossless (1.2.840.10008.1.2.5): compact on images with large
    /// uniform areas (ultrasound, screen captures, blanked banners), read
    /// by every DICOM toolkit without extra codecs. Native when RLE cannot
    /// hold the samples (more than 15 byte planes).
    #[default]
    Rle,
    /// Explicit VR Little Endian (native): the fastest to write and read,
    /// and the largest.
    Native,
}

/// Options for [`CleanPlan::new`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CleanOptions {
    fallback: Fallback,
}

impl CleanOptions {
    /// Defaults: [`Fallback::Rle`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The lossless transfer syntax used when the input's cannot be kept.
    #[must_use]
    pub fn fallback(mut self, fallback: Fallback) -> Self {
        self.fallback = fallback;
        self
    }
}

/// A change the header must get for the cleaned pixel data to be
/// described truthfully.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HeaderChange {
    /// The file meta's Transfer Syntax UID (0002,0010) becomes `to`.
    TransferSyntax {
        /// The input's.
        from: String,
        /// The output's.
        to: String,
    },
    /// The attribute is set (added or replaced) to this value.
    Set {
        /// The attribute.
        tag: Tag,
        /// Its VR.
        vr: VR,
        /// Its value.
        value: PrimitiveValue,
    },
    /// The attribute is removed.
    Remove {
        /// The attribute.
        tag: Tag,
    },
}

/// How the pixel data will be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// No pixel to blank: radguard-dicom's metadata-stripping copy.
    CopyClean,
    /// Native pixel data: frames streamed, the touched ones blanked in
    /// place.
    Native,
    /// Encapsulated in the same transfer syntax: untouched frames copied
    /// (metadata stripped), touched ones decoded, blanked, re-encoded.
    Reencode,
    /// Every frame decoded and re-encoded in another encapsulated
    /// transfer syntax.
    Transcode,
    /// Every frame decoded and written as native pixel data.
    ToNative,
}

/// What [`CleanPlan::write_pixels`] did. Counts only, never pixel values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PixelReport {
    /// Frames written.
    pub frames: u64,
    /// Frames in which at least one pixel was blanked.
    pub frames_blanked: u64,
    /// Pixels blanked (each once per frame), summed over frames.
    pub pixels_blanked: u64,
    /// Frames decoded and re-encoded (blanked or not).
    pub frames_reencoded: u64,
    /// Input transfer syntax.
    pub input_transfer_syntax: String,
    /// Output transfer syntax.
    pub output_transfer_syntax: String,
    /// `true` if the input had been lossy compressed (its frames are
    /// stored losslessly as decoded, never compressed lossily again).
    pub lossy_input: bool,
    /// What was removed from the frames that were copied, as
    /// radguard-dicom's metadata stripping counts it.
    pub metadata: PixelCleanReport,
}

/// How one file's pixel data will be cleaned: made from the unchanged
/// header and the rectangles, before anything is written, because the
/// transfer syntax (in the file meta) and the Image Pixel attributes
/// precede the pixel data.
///
/// The steps, for a file opened with [`radguard_dicom::open_split`]:
///
/// 1. [`CleanPlan::new`] on the split file (its header unchanged; the
///    plan keeps what it needs, so the header may then be changed or taken
///    out of the split file);
/// 2. [`CleanPlan::apply`] to the header and file meta that will be
///    written (the caller may have de-identified them meanwhile), or read
///    [`CleanPlan::changes`] and apply them yourself;
/// 3. create the [`DicomWriter`] with that file meta, write the elements
///    before Pixel Data, call [`CleanPlan::write_pixels`], write the
///    elements after it, commit.
///
/// [`clean_file`](crate::clean_file) does all of it for a file.
///
/// # What comes out
///
/// | input | frames with a rectangle | other frames | transfer syntax |
/// |---|---|---|---|
/// | native (any of the four) | blanked in place | copied | unchanged |
/// | RLE Lossless; JPEG-LS Lossless (`jpegls`) | decoded, blanked, re-encoded losslessly | copied byte for byte (metadata stripped) | unchanged |
/// | JPEG baseline/extended/lossless, JPEG-LS near-lossless, JPEG 2000, HTJ2K | decoded, blanked, encoded in the fallback | decoded, encoded in the fallback | RLE Lossless (or native, [`Fallback`]) |
///
/// Pixels outside the rectangles are the decoded input's, bit for bit. A
/// lossy input is never compressed lossily again: its decoded frames are
/// stored losslessly, and Lossy Image Compression (0028,2110) stays "01"
/// (set, with its method (0028,2114) and ratio (0028,2112), if the input
/// did not say so). The Photometric Interpretation and Planar Configuration
/// follow what is written (a YBR_FULL_422 JPEG becomes RGB, pixel by
/// pixel), except that an RLE output keeps the input's Planar
/// Configuration (RLE segments are per sample whatever it says). When no
/// frame has a pixel to blank, the pixel data is copied as radguard-dicom's
/// metadata-stripping copy does, and nothing changes.
#[derive(Debug, Clone)]
pub struct CleanPlan {
    input_ts: String,
    /// The pixel data and radguard-dicom's stripping plan, read from the
    /// header before the caller changes it.
    copy: Option<(radguard_dicom::PixelData, PixelPlan)>,
    input: Option<Input>,
    regions: RegionPlan,
    action: Action,
    output_ts: String,
    /// What written frames look like (re-encoded ones).
    output_desc: Option<FrameDesc>,
    changes: Vec<HeaderChange>,
    lossy_input: bool,
}

impl CleanPlan {
    /// Plans the cleaning of `split`'s pixel data with `regions`, from its
    /// header as read (call it before de-identifying the header).
    ///
    /// # Errors
    ///
    /// [`Error::NoDecoder`] or [`Error::UnsupportedTransferSyntax`] if a
    /// frame would need decoding and cannot be (never a pass-through);
    /// [`Error::Description`] if the Image Pixel attributes are unusable;
    /// radguard-dicom's errors reading the first frame.
    pub fn new(split: &mut SplitFile, regions: &RegionPlan, opts: &CleanOptions) -> Result<Self> {
        // Stripping changes fragment lengths: the byte offsets that precede
        // encapsulated pixel data go.
        let stale: Vec<HeaderChange> = if split
            .pixel_data()
            .is_some_and(radguard_dicom::PixelData::is_encapsulated)
        {
            STALE_AFTER_STRIPPING
                .iter()
                .map(|t| HeaderChange::Remove { tag: *t })
                .collect()
        } else {
            Vec::new()
        };
        let copy = match split.pixel_data().cloned() {
            Some(px) => Some((px, split.pixel_plan()?)),
            None => None,
        };
        let empty = |input| Self {
            input_ts: radguard_dicom::text::trim_value(&split.header().meta().transfer_syntax)
                .to_owned(),
            copy: copy.clone(),
            input,
            regions: regions.clone(),
            action: Action::CopyClean,
            output_ts: radguard_dicom::text::trim_value(&split.header().meta().transfer_syntax)
                .to_owned(),
            output_desc: None,
            changes: stale.clone(),
            lossy_input: false,
        };
        if regions.is_empty() || split.pixel_data().is_none() {
            // Nothing to decode: the metadata-stripping copy, whatever
            // the transfer syntax (it refuses what it cannot check).
            return Ok(empty(None));
        }
        let input = Input::of(split)?.ok_or(Error::Description {
            what: "the file has no pixel data",
        })?;
        let (cols, rows) = (input.desc.columns(), input.desc.rows());
        if !(0..input.frames).any(|k| regions.touches(k, cols, rows)) {
            return Ok(empty(Some(input)));
        }
        let mut plan = empty(None);
        let head = first_frame_head(split, &input)?;
        plan.lossy_input = is_lossy(&input, split.header().dataset(), &head);
        let mut changes = stale.clone();
        let decoded = decoded_desc(&input, &head);
        let (action, out_ts) = if input.is_native() {
            (Action::Native, input.ts.clone())
        } else if input.support.encode
            && input.support.lossiness == Lossiness::Lossless
            && codec::can_encode(&input.ts, &decoded)
        {
            (Action::Reencode, input.ts.clone())
        } else if opts.fallback == Fallback::Rle && codec::can_encode(RLE_LOSSLESS, &decoded) {
            (Action::Transcode, RLE_LOSSLESS.to_owned())
        } else {
            (
                Action::ToNative,
                codec::EXPLICIT_VR_LITTLE_ENDIAN.to_owned(),
            )
        };
        // Frames re-encoded are written pixel by pixel.
        let out_desc = decoded.with_layout(decoded.photometric(), false);
        if action != Action::Native {
            if out_desc.photometric() != input.desc.photometric() {
                changes.push(set_str(
                    tags::PHOTOMETRIC_INTERPRETATION,
                    VR::CS,
                    out_desc.photometric().as_str(),
                ));
            }
            // RLE stores each sample in its own segments whatever Planar
            // Configuration says (PS3.5 G.2), so an RLE output keeps the
            // input's value (IODs constrain it: US YBR_FULL requires 1).
            if out_desc.samples_per_pixel() > 1 && out_ts != RLE_LOSSLESS {
                changes.push(HeaderChange::Set {
                    tag: tags::PLANAR_CONFIGURATION,
                    vr: VR::US,
                    value: PrimitiveValue::from(0u16),
                });
            }
        }
        if out_ts != input.ts {
            changes.insert(
                0,
                HeaderChange::TransferSyntax {
                    from: input.ts.clone(),
                    to: out_ts.clone(),
                },
            );
            if plan.lossy_input {
                changes.extend(lossy_marks(&input, split.header().dataset()));
            }
        }
        plan.input = Some(input);
        plan.action = action;
        plan.output_ts = out_ts;
        plan.output_desc = Some(out_desc);
        plan.changes = changes;
        Ok(plan)
    }

    /// The header changes, in the order to apply them.
    #[must_use]
    pub fn changes(&self) -> &[HeaderChange] {
        &self.changes
    }

    /// The output transfer syntax.
    #[must_use]
    pub fn output_transfer_syntax(&self) -> &str {
        &self.output_ts
    }

    /// `true` if some frame has a pixel to blank.
    #[must_use]
    pub fn blanks_anything(&self) -> bool {
        self.action != Action::CopyClean
    }

    /// `true` if the input had been lossy compressed (Lossy Image
    /// Compression "01", or a lossy stream). Only known when
    /// [`CleanPlan::blanks_anything`].
    #[must_use]
    pub fn lossy_input(&self) -> bool {
        self.lossy_input
    }

    /// Applies [`CleanPlan::changes`] to the top-level data set `header`
    /// and the file meta `meta` that will be written.
    pub fn apply(&self, header: &mut InMemDicomObject, meta: &mut FileMetaTable) {
        apply_changes(&self.changes, header, meta);
    }

    /// Writes the pixel data element into `w`, cleaned: the touched frames
    /// blanked, every frame's metadata removed (radguard-dicom's
    /// [`SplitFile::copy_pixel_data_clean`] for the frames it copies). `w`
    /// must have been created with the file meta [`CleanPlan::apply`]
    /// changed, and be just before Pixel Data.
    ///
    /// # Errors
    ///
    /// [`Error::PlanMismatch`] if `split` is not the file the plan was
    /// made for; decoding, encoding, writer and I/O errors. The writer
    /// must then be dropped (nothing is left at its path).
    pub fn write_pixels(&self, split: &mut SplitFile, w: &mut DicomWriter) -> Result<PixelReport> {
        let mut report = PixelReport {
            input_transfer_syntax: self.input_ts.clone(),
            output_transfer_syntax: self.output_ts.clone(),
            lossy_input: self.lossy_input,
            ..PixelReport::default()
        };
        let Some(input) = self
            .input
            .as_ref()
            .filter(|_| self.action != Action::CopyClean)
        else {
            let Some((px, plan)) = &self.copy else {
                if split.pixel_data().is_some() {
                    return Err(Error::PlanMismatch {
                        what: "the file has pixel data, the plan none",
                    });
                }
                return Ok(report);
            };
            if split.pixel_data() != Some(px) {
                return Err(Error::PlanMismatch {
                    what: "the pixel data differs",
                });
            }
            report.metadata = split.copy_pixel_data_clean(w, plan)?;
            report.frames = report.metadata.frames.max(u64::from(plan.frames()));
            return Ok(report);
        };
        if split.pixel_data() != Some(&input.pixel) {
            return Err(Error::PlanMismatch {
                what: "the pixel data differs",
            });
        }
        match self.action {
            Action::Native => self.write_native(input, split, w, &mut report)?,
            Action::Reencode | Action::Transcode => {
                self.write_encapsulated(input, split, w, &mut report)?
            }
            Action::ToNative => self.write_to_native(input, split, w, &mut report)?,
            Action::CopyClean => {}
        }
        Ok(report)
    }

    fn blank(&self, k: u32, frame: &mut FrameBuf, report: &mut PixelReport) -> Result<bool> {
        let d = frame.desc();
        let rects = self.regions.clipped_for(k, d.columns(), d.rows());
        if rects.is_empty() {
            return Ok(false);
        }
        let done = frame.blank(&rects)?;
        report.frames_blanked += 1;
        report.pixels_blanked += done.pixels;
        Ok(true)
    }

    fn write_native(
        &self,
        input: &Input,
        split: &mut SplitFile,
        w: &mut DicomWriter,
        report: &mut PixelReport,
    ) -> Result<()> {
        let need = input.check_native_len()?;
        let len = input.native_len();
        let mut failed = None;
        let mut buf = Vec::new();
        let written = w.write_native_pixel_with(input.pixel.tag(), input.pixel.vr(), len, |out| {
            // Big endian words are swapped back on the way out; a frame of
            // 8-bit samples may end mid-word, so one byte can wait.
            let mut words = WordSwapper::new(input.swap_words);
            let mut frame_loop = || -> Result<()> {
                for k in 0..input.frames {
                    report.metadata.samples_changed += input.read_native(split, k, &mut buf)?;
                    let mut frame = FrameBuf::new(input.desc.clone(), std::mem::take(&mut buf))?;
                    self.blank(k, &mut frame, report)?;
                    buf = frame.into_data();
                    words
                        .write(out, &buf)
                        .map_err(stream("writing pixel data"))?;
                    report.frames += 1;
                }
                // Bytes after the last frame are written as zeros.
                let tail = u64::from(len) - need;
                if tail > 0 {
                    let mut rest = vec![0u8; usize::try_from(tail).map_err(|_| too_large(tail))?];
                    split.read_native_at(need, &mut rest)?;
                    report.metadata.trailing_bytes = tail;
                    report.metadata.trailing_nonzero =
                        rest.iter().filter(|b| **b != 0).count() as u64;
                    rest.fill(0);
                    words
                        .write(out, &rest)
                        .map_err(stream("writing pixel data"))?;
                }
                words.finish(out).map_err(stream("writing pixel data"))
            };
            frame_loop().map_err(|e| {
                failed = Some(e);
                std::io::Error::other("cleaning the pixel data failed")
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        written?;
        Ok(())
    }

    fn write_encapsulated(
        &self,
        input: &Input,
        split: &mut SplitFile,
        w: &mut DicomWriter,
        report: &mut PixelReport,
    ) -> Result<()> {
        let out_desc = self.output_desc.as_ref().ok_or(Error::PlanMismatch {
            what: "no output layout",
        })?;
        let (cols, rows) = (input.desc.columns(), input.desc.rows());
        w.begin_encapsulated_reserved(input.frames as usize)?;
        let mut offsets: Vec<u32> = Vec::with_capacity(input.frames as usize);
        let mut at = 0u64;
        let mut k = 0u32;
        let mut failed = None;
        let transcode = self.action == Action::Transcode;
        let walked = split.for_each_clean_frame(&input.plan, &mut |data| {
            let mut step = || -> Result<()> {
                let encoded;
                let bytes: &[u8] = if transcode || self.regions.touches(k, cols, rows) {
                    let mut frame = codec::decode_frame(&input.ts, &input.desc, k, data)?;
                    self.blank(k, &mut frame, report)?;
                    let frame = conform(frame, out_desc, k, false)?;
                    encoded = codec::encode_frame(&self.output_ts, &frame, k)?;
                    report.frames_reencoded += 1;
                    &encoded
                } else {
                    data
                };
                offsets.push(u32::try_from(at).map_err(|_| Error::TooLarge {
                    what: "pixel data for a basic offset table",
                    size: at,
                    limit: u64::from(u32::MAX),
                })?);
                w.write_fragment(bytes)?;
                at += 8 + bytes.len() as u64 + bytes.len() as u64 % 2;
                report.frames += 1;
                Ok(())
            };
            let r = step();
            k += 1;
            r.map_err(|e| stash(&mut failed, e))
        });
        if let Some(e) = failed {
            return Err(e);
        }
        report.metadata = walked?;
        w.end_encapsulated_with_offsets(&offsets)?;
        Ok(())
    }

    fn write_to_native(
        &self,
        input: &Input,
        split: &mut SplitFile,
        w: &mut DicomWriter,
        report: &mut PixelReport,
    ) -> Result<()> {
        let out_desc = self.output_desc.as_ref().ok_or(Error::PlanMismatch {
            what: "no output layout",
        })?;
        let total = out_desc.frame_len().saturating_mul(u64::from(input.frames));
        let len = u32::try_from(total)
            .ok()
            .filter(|l| *l < u32::MAX)
            .ok_or(Error::TooLarge {
                what: "native pixel data",
                size: total,
                limit: u64::from(u32::MAX - 1),
            })?;
        let vr = if out_desc.bits_allocated() > 8 {
            VR::OW
        } else {
            VR::OB
        };
        let mut failed = None;
        let written = w.write_native_pixel_with(tags::PIXEL_DATA, vr, len, |out| {
            let mut k = 0u32;
            let walked = split.for_each_clean_frame(&input.plan, &mut |data| {
                let mut step = || -> Result<()> {
                    let mut frame = codec::decode_frame(&input.ts, &input.desc, k, data)?;
                    self.blank(k, &mut frame, report)?;
                    let frame = conform(frame, out_desc, k, true)?;
                    out.write_all(frame.data())
                        .map_err(stream("writing pixel data"))?;
                    report.frames_reencoded += 1;
                    report.frames += 1;
                    Ok(())
                };
                let r = step();
                k += 1;
                r.map_err(|e| stash(&mut failed, e))
            });
            match walked {
                Ok(m) => {
                    report.metadata = m;
                    Ok(())
                }
                Err(e) => {
                    if failed.is_none() {
                        failed = Some(e.into());
                    }
                    Err(std::io::Error::other("cleaning the pixel data failed"))
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        written?;
        Ok(())
    }
}

/// Writes a little endian byte stream as big endian 16-bit words (or as
/// it is), holding back an odd last byte until its partner comes.
struct WordSwapper {
    swap: bool,
    held: Option<u8>,
    scratch: Vec<u8>,
}

impl WordSwapper {
    fn new(swap: bool) -> Self {
        Self {
            swap,
            held: None,
            scratch: Vec::new(),
        }
    }

    fn write(&mut self, out: &mut dyn std::io::Write, bytes: &[u8]) -> std::io::Result<()> {
        if !self.swap {
            return out.write_all(bytes);
        }
        self.scratch.clear();
        self.scratch.extend(self.held.take());
        self.scratch.extend_from_slice(bytes);
        if self.scratch.len() % 2 == 1 {
            self.held = self.scratch.pop();
        }
        swap_pairs(&mut self.scratch);
        out.write_all(&self.scratch)
    }

    /// Writes a byte still held (an odd-length value: never after a
    /// well-formed one, whose length is even).
    fn finish(&mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self.held.take() {
            Some(b) => out.write_all(&[b]),
            None => Ok(()),
        }
    }
}

/// The frame in the output layout: with the photometric interpretation
/// the plan announced, and pixel by pixel if `native` (encoders take
/// either order).
fn conform(frame: FrameBuf, out: &FrameDesc, k: u32, native: bool) -> Result<FrameBuf> {
    let frame = if native {
        frame.to_planar(false)
    } else {
        frame
    };
    if frame.desc().photometric() != out.photometric()
        || frame.desc().samples_per_pixel() != out.samples_per_pixel()
    {
        return Err(Error::decode(
            k,
            "pixel",
            "frame decodes to another colour model than the first frame",
        ));
    }
    Ok(frame)
}

/// Keeps a frame callback's error for the caller and gives radguard-dicom
/// a stand-in that stops its walk.
pub(crate) fn stash(slot: &mut Option<Error>, e: Error) -> radguard_dicom::Error {
    *slot = Some(e);
    radguard_dicom::Error::WriterState {
        what: "frame cleaning failed",
    }
}

fn stream(op: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Dicom(radguard_dicom::Error::Stream { op, source })
}

fn set_str(tag: Tag, vr: VR, v: &str) -> HeaderChange {
    HeaderChange::Set {
        tag,
        vr,
        value: PrimitiveValue::from(v),
    }
}

/// The first bytes of the first frame (enough for the stream headers).
fn first_frame_head(split: &mut SplitFile, input: &Input) -> Result<Vec<u8>> {
    let len = match input.pixel.layout() {
        radguard_dicom::PixelLayout::Encapsulated { fragment_lens, .. } => {
            fragment_lens.first().copied().unwrap_or(0)
        }
        _ => return Ok(Vec::new()),
    };
    let mut head = vec![0u8; len.min(1 << 16) as usize];
    split.read_fragment_at(0, 0, &mut head)?;
    Ok(head)
}

/// What the decoder will deliver for this input.
fn decoded_desc(input: &Input, head: &[u8]) -> FrameDesc {
    let d = &input.desc;
    let p = d.photometric();
    let colour = d.samples_per_pixel() == 3;
    let photometric = match input.support.compression {
        Compression::Rle if p == Photometric::YbrFull422 => Photometric::YbrFull,
        Compression::Jpeg if colour && input.support.lossiness == Lossiness::Lossy => {
            Photometric::Rgb
        }
        Compression::Jpeg2000 if colour => match codec::j2k_mct(head) {
            Some(true) => Photometric::Rgb,
            _ if matches!(p, Photometric::YbrIct | Photometric::YbrRct) => Photometric::YbrFull,
            _ => p,
        },
        _ => p,
    };
    d.with_layout(photometric, d.is_planar() && input.is_native())
}

/// `true` if the input had been lossy compressed.
fn is_lossy(input: &Input, ds: &InMemDicomObject, head: &[u8]) -> bool {
    if radguard_dicom::text::value_text(ds, tags::LOSSY_IMAGE_COMPRESSION).trim() == "01" {
        return true;
    }
    match (input.support.lossiness, input.support.compression) {
        (Lossiness::Lossless, _) => false,
        (Lossiness::Lossy, _) => true,
        (_, Compression::JpegLs) => codec::jpegls_near(head).is_none_or(|n| n > 0),
        (_, Compression::Jpeg2000) => codec::j2k_irreversible(head).unwrap_or(true),
        _ => true,
    }
}

/// Lossy Image Compression "01" with its method and ratio, for a lossy
/// input whose frames are now stored losslessly (only what the header
/// lacks).
fn lossy_marks(input: &Input, ds: &InMemDicomObject) -> Vec<HeaderChange> {
    let mut out = Vec::new();
    let text = |t| radguard_dicom::text::value_text(ds, t);
    if text(tags::LOSSY_IMAGE_COMPRESSION).trim() != "01" {
        out.push(set_str(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "01"));
    }
    if text(tags::LOSSY_IMAGE_COMPRESSION_METHOD).trim().is_empty() {
        let method = match input.support.compression {
            Compression::Jpeg => "ISO_10918_1",
            Compression::JpegLs => "ISO_14495_1",
            Compression::Jpeg2000 if input.ts.ends_with(".92") || input.ts.ends_with(".93") => {
                "ISO_15444_2"
            }
            Compression::Jpeg2000 => "ISO_15444_1",
            _ => "",
        };
        if !method.is_empty() {
            out.push(set_str(
                tags::LOSSY_IMAGE_COMPRESSION_METHOD,
                VR::CS,
                method,
            ));
        }
    }
    if text(tags::LOSSY_IMAGE_COMPRESSION_RATIO).trim().is_empty() {
        let native = input.desc.frame_len() as f64 * f64::from(input.frames);
        let coded = input.pixel.byte_len() as f64;
        if coded > 0.0 {
            // DS: at most 16 characters.
            let ratio = format!("{:.2}", native / coded);
            if ratio.len() <= 16 {
                out.push(set_str(tags::LOSSY_IMAGE_COMPRESSION_RATIO, VR::DS, &ratio));
            }
        }
    }
    out
}

/// Applies header changes to a data set and its file meta.
///
/// # Examples
///
/// ```
/// use radguard_pixels::{HeaderChange, apply_changes};
/// use radguard_dicom::dicom::object::{InMemDicomObject, meta::FileMetaTableBuilder};
///
/// let mut meta = FileMetaTableBuilder::new()
///     .transfer_syntax("1.2.840.10008.1.2.4.50")
///     .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.6.1")
///     .media_storage_sop_instance_uid("2.25.1")
///     .build()?;
/// let mut ds = InMemDicomObject::new_empty();
/// let change = HeaderChange::TransferSyntax {
///     from: "1.2.840.10008.1.2.4.50".into(),
///     to: "1.2.840.10008.1.2.5".into(),
/// };
/// apply_changes(&[change], &mut ds, &mut meta);
/// assert_eq!(meta.transfer_syntax(), "1.2.840.10008.1.2.5");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn apply_changes(
    changes: &[HeaderChange],
    header: &mut InMemDicomObject,
    meta: &mut FileMetaTable,
) {
    use radguard_dicom::dicom::core::DataElement;
    for c in changes {
        match c {
            HeaderChange::TransferSyntax { to, .. } => {
                meta.transfer_syntax = to.clone();
                meta.update_information_group_length();
            }
            HeaderChange::Set { tag, vr, value } => {
                header.put(DataElement::new(*tag, *vr, value.clone()));
            }
            HeaderChange::Remove { tag } => {
                header.remove_element(*tag);
            }
        }
    }
}

/// Cleans the pixel data of the DICOM file `input` into `output`, header
/// unchanged but for what the cleaned pixel data needs
/// ([`CleanPlan::changes`]): the whole procedure of [`CleanPlan`] for a
/// vendor who de-identifies headers elsewhere. The output is written
/// atomically; nothing is left at `output` on error.
///
/// # Errors
///
/// As [`CleanPlan::new`] and [`CleanPlan::write_pixels`]; radguard-dicom's
/// errors opening, writing and committing.
///
/// # Examples
///
/// ```no_run
/// use radguard_pixels::{clean_file, CleanOptions, geometry::{Rect, RegionPlan}};
/// use radguard_dicom::WriteOptions;
///
/// let banner = RegionPlan::all_frames([Rect::new(0, 0, u32::MAX, 48)]);
/// let report = clean_file(
///     "us.dcm".as_ref(), "us-clean.dcm".as_ref(), &banner,
///     &CleanOptions::new(), &WriteOptions::new(),
/// )?;
/// println!("{} frames blanked", report.frames_blanked);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clean_file(
    input: &std::path::Path,
    output: &std::path::Path,
    regions: &RegionPlan,
    opts: &CleanOptions,
    write: &radguard_dicom::WriteOptions,
) -> Result<PixelReport> {
    let mut split = radguard_dicom::open_split(input)?;
    let plan = CleanPlan::new(&mut split, regions, opts)?;
    let mut meta = split.header().meta().clone();
    let mut header = split.header().dataset().clone();
    plan.apply(&mut header, &mut meta);
    let pixel_tag = split.pixel_data().map(radguard_dicom::PixelData::tag);
    let mut w = DicomWriter::create(output, &meta, write)?;
    w.write_elements(
        header
            .iter()
            .filter(|e| pixel_tag.is_none_or(|t| e.header().tag < t)),
    )?;
    let report = plan.write_pixels(&mut split, &mut w)?;
    w.write_elements(
        header
            .iter()
            .filter(|e| pixel_tag.is_some_and(|t| e.header().tag > t)),
    )?;
    w.commit()?;
    Ok(report)
}
