//! Opening files: whole, split into header and pixel data, or just scanned.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use dicom_core::header::Header;
use dicom_core::{Tag, VR};
use dicom_object::mem::InMemElement;
use dicom_object::{FileDicomObject, FileMetaTable, InMemDicomObject};
use flate2::read::DeflateDecoder;

use crate::error::{Error, Result};
use crate::info::{FileInfo, Finding, FindingKind, Preamble};
use crate::limits::Limits;
use crate::parse::{Enc, Fragment, Mode, Parsed, Parser, PixelKind, PixelLoc, attr};
use crate::source::{FileSource, SliceSource, Source};
use crate::tags;
use crate::text::{trim_padding, trim_value};
use crate::ts::{self, TsInfo};

/// radguard's Implementation Class UID, written into the file meta of every
/// file radguard writes (a `2.25` UUID-derived UID, PS3.5 Annex B.2).
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.163270457613953460932917034004862226761";
/// radguard's Implementation Version Name (at most 16 characters).
pub const IMPLEMENTATION_VERSION_NAME: &str = concat!("RADGUARD_", env!("CARGO_PKG_VERSION"));

/// A DICOM file read into memory, with what was learned reading it.
#[derive(Debug, Clone)]
pub struct DicomFile {
    object: FileDicomObject<InMemDicomObject>,
    info: FileInfo,
}

impl DicomFile {
    /// The file meta group and data set.
    #[must_use]
    pub fn object(&self) -> &FileDicomObject<InMemDicomObject> {
        &self.object
    }

    /// Mutable access to the file meta group and data set.
    pub fn object_mut(&mut self) -> &mut FileDicomObject<InMemDicomObject> {
        &mut self.object
    }

    /// The file meta group.
    #[must_use]
    pub fn meta(&self) -> &FileMetaTable {
        self.object.meta()
    }

    /// The top-level data set.
    #[must_use]
    pub fn dataset(&self) -> &InMemDicomObject {
        &self.object
    }

    /// Facts established while reading.
    #[must_use]
    pub fn info(&self) -> &FileInfo {
        &self.info
    }

    /// Splits into the object and the facts.
    #[must_use]
    pub fn into_parts(self) -> (FileDicomObject<InMemDicomObject>, FileInfo) {
        (self.object, self.info)
    }
}

/// Where the bytes of a split file's pixel data live.
#[derive(Debug)]
enum PixelSource {
    File { file: File, path: PathBuf },
    Memory(Vec<u8>),
}

impl PixelSource {
    fn read_exact_at(&self, off: u64, buf: &mut [u8]) -> Result<()> {
        match self {
            Self::File { file, path } => {
                read_exact_at(file, off, buf).map_err(|e| Error::io("cannot read", path, e))
            }
            Self::Memory(v) => {
                let s = usize::try_from(off)
                    .map_err(|_| Error::malformed(off, None, "offset out of range"))?;
                let src = v
                    .get(s..s + buf.len())
                    .ok_or_else(|| Error::malformed(off, None, "read past the end of the data"))?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }
}

/// Reads `buf.len()` bytes at `off`: one `pread` per call on Unix (no
/// separate seek, and several threads may read at once).
#[cfg(unix)]
fn read_exact_at(file: &File, off: u64, buf: &mut [u8]) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, off)
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &File, off: u64, buf: &mut [u8]) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(off))?;
    file.read_exact(buf)
}

/// The layout of a split file's pixel data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PixelLayout {
    /// Native (uncompressed) pixel data: one value of `len` bytes, in the
    /// file's byte order.
    Native {
        /// Value length in bytes.
        len: u32,
    },
    /// Encapsulated pixel data: a basic offset table and fragments.
    Encapsulated {
        /// The basic offset table (empty if the file has none).
        offset_table: Vec<u32>,
        /// The length of each fragment in bytes.
        fragment_lens: Vec<u32>,
    },
}

/// The top-level pixel data element of a split file, not read into memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixelData {
    tag: Tag,
    vr: VR,
    layout: PixelLayout,
    fragments: Vec<Fragment>,
    native_offset: u64,
}

impl PixelData {
    /// The tag: Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008),
    /// Double Float Pixel Data (7FE0,0009), or the tag given to
    /// [`ReadOptions::split_tag`].
    #[must_use]
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The VR as read (OB, OW, OF, OD).
    #[must_use]
    pub fn vr(&self) -> VR {
        self.vr
    }

    /// Native or encapsulated, with sizes.
    #[must_use]
    pub fn layout(&self) -> &PixelLayout {
        &self.layout
    }

    /// Total bytes of pixel data (all fragments for encapsulated data, the
    /// offset table excluded).
    #[must_use]
    pub fn byte_len(&self) -> u64 {
        match &self.layout {
            PixelLayout::Native { len } => u64::from(*len),
            PixelLayout::Encapsulated { fragment_lens, .. } => {
                fragment_lens.iter().map(|l| u64::from(*l)).sum()
            }
        }
    }

    /// `true` for encapsulated pixel data.
    #[must_use]
    pub fn is_encapsulated(&self) -> bool {
        matches!(self.layout, PixelLayout::Encapsulated { .. })
    }
}

/// A file opened with its pixel data left on disk.
///
/// The header (every element except the top-level pixel data, including
/// any elements after it) is in memory; the pixel data is read on demand,
/// as a stream or at random offsets, so memory use does not grow with the
/// pixel data size.
///
/// # Examples
///
/// ```no_run
/// use radguard_dicom::{open_split, PixelLayout};
///
/// let mut split = open_split("big-multiframe.dcm")?;
/// if let Some(px) = split.pixel_data() {
///     println!("{} bytes of pixel data", px.byte_len());
/// }
/// // Copy the file, streaming the pixel data.
/// split.copy_to("copy.dcm", &radguard_dicom::WriteOptions::new())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SplitFile {
    header: DicomFile,
    pixel: Option<PixelData>,
    source: PixelSource,
}

impl SplitFile {
    /// The header: file meta and every element but the top-level pixel data.
    #[must_use]
    pub fn header(&self) -> &DicomFile {
        &self.header
    }

    /// Mutable access to the header.
    pub fn header_mut(&mut self) -> &mut DicomFile {
        &mut self.header
    }

    /// The pixel data element, if the file has one.
    #[must_use]
    pub fn pixel_data(&self) -> Option<&PixelData> {
        self.pixel.as_ref()
    }

    fn pixel(&self) -> Result<&PixelData> {
        self.pixel.as_ref().ok_or(Error::WriterState {
            what: "no pixel data",
        })
    }

    /// Where native pixel data starts in the source, and its length.
    fn native(&self) -> Result<(u64, u32)> {
        let px = self.pixel()?;
        match px.layout {
            PixelLayout::Native { len } => Ok((px.native_offset, len)),
            PixelLayout::Encapsulated { .. } => Err(Error::WriterState {
                what: "pixel data is encapsulated, not native",
            }),
        }
    }

    /// Where fragment `index` of encapsulated pixel data is.
    fn fragment(&self, index: usize) -> Result<Fragment> {
        self.pixel()?
            .fragments
            .get(index)
            .copied()
            .ok_or(Error::WriterState {
                what: "no such fragment",
            })
    }

    /// Reads `buf.len()` bytes of native pixel data starting `offset` bytes
    /// into the value.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] if there is no native pixel data or the range
    /// is outside it; I/O errors.
    pub fn read_native_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.pixel_reader().read_native_at(offset, buf)
    }

    fn read_native_shared(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let (start, len) = self.native()?;
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|e| *e <= u64::from(len));
        if end.is_none() {
            return Err(Error::WriterState {
                what: "range outside the pixel data",
            });
        }
        self.source.read_exact_at(start + offset, buf)
    }

    /// Reads fragment `index` (0-based, the offset table not counted) of
    /// encapsulated pixel data into `buf`, which is resized to fit.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] if there is no such fragment; I/O errors.
    pub fn read_fragment(&mut self, index: usize, buf: &mut Vec<u8>) -> Result<()> {
        let f = self.fragment(index)?;
        buf.resize(usize::try_from(f.len).unwrap_or(0), 0);
        self.source.read_exact_at(f.offset, buf)
    }

    /// Reads `buf.len()` bytes of fragment `index` (0-based, the offset
    /// table not counted) starting `offset` bytes into the fragment, so that
    /// a large fragment can be streamed without holding it in memory.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] if there is no such fragment or the range is
    /// outside it; I/O errors.
    pub fn read_fragment_at(&mut self, index: usize, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.pixel_reader().read_fragment_at(index, offset, buf)
    }

    /// Shared, `Sync` read access to the pixel data, so that several
    /// threads can read different parts at once.
    #[must_use]
    pub fn pixel_reader(&self) -> PixelReader<'_> {
        PixelReader { file: self }
    }

    fn read_fragment_shared(&self, index: usize, offset: u64, buf: &mut [u8]) -> Result<()> {
        let f = self.fragment(index)?;
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|e| *e <= u64::from(f.len));
        if end.is_none() {
            return Err(Error::WriterState {
                what: "range outside the fragment",
            });
        }
        self.source.read_exact_at(f.offset + offset, buf)
    }

    /// A reader over the whole native pixel data value, in chunks.
    ///
    /// # Errors
    ///
    /// As [`SplitFile::read_native_at`].
    pub fn native_reader(&mut self) -> Result<impl Read + '_> {
        let (_, len) = self.native()?;
        Ok(NativeReader {
            file: self,
            pos: 0,
            len: u64::from(len),
        })
    }

    /// Writes a copy of the file to `path` atomically, streaming the pixel
    /// data.
    ///
    /// # Errors
    ///
    /// Encoding and I/O errors; [`Error::Exists`] if `path` exists and
    /// overwriting was not allowed. Nothing is left at `path` on error.
    pub fn copy_to(&mut self, path: impl AsRef<Path>, opts: &crate::WriteOptions) -> Result<()> {
        let mut w = crate::DicomWriter::create(path.as_ref(), self.header.meta(), opts)?;
        let pixel_tag = self.pixel.as_ref().map(|p| p.tag);
        let header = self.header.dataset().clone();
        w.write_elements(
            header
                .iter()
                .filter(|e| pixel_tag.is_none_or(|t| e.tag() < t)),
        )?;
        self.copy_pixel_data(&mut w)?;
        w.write_elements(
            header
                .iter()
                .filter(|e| pixel_tag.is_some_and(|t| e.tag() > t)),
        )?;
        w.commit()
    }

    /// Writes this file's pixel data element, unchanged, into `w`.
    ///
    /// # Errors
    ///
    /// Writer and I/O errors.
    pub fn copy_pixel_data(&mut self, w: &mut crate::DicomWriter) -> Result<()> {
        let Some(px) = self.pixel.clone() else {
            return Ok(());
        };
        match &px.layout {
            PixelLayout::Native { len } => match &self.source {
                PixelSource::File { file, .. } => {
                    w.write_native_pixel_from(px.tag, px.vr, *len, file, px.native_offset)
                }
                PixelSource::Memory(_) => {
                    let mut r = self.native_reader()?;
                    w.write_native_pixel(px.tag, px.vr, *len, &mut r)
                }
            },
            PixelLayout::Encapsulated { offset_table, .. } => {
                w.begin_encapsulated(offset_table)?;
                let mut buf = Vec::new();
                for i in 0..px.fragments.len() {
                    self.read_fragment(i, &mut buf)?;
                    w.write_fragment(&buf)?;
                }
                w.end_encapsulated()
            }
        }
    }
}

/// Shared read access to a [`SplitFile`]'s pixel data
/// ([`SplitFile::pixel_reader`]): it is `Sync`, and on Unix each read is
/// one `pread`, so several threads can read at once.
#[derive(Debug, Clone, Copy)]
pub struct PixelReader<'a> {
    file: &'a SplitFile,
}

impl PixelReader<'_> {
    /// As [`SplitFile::read_native_at`].
    ///
    /// # Errors
    ///
    /// As [`SplitFile::read_native_at`].
    pub fn read_native_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.file.read_native_shared(offset, buf)
    }

    /// As [`SplitFile::read_fragment_at`].
    ///
    /// # Errors
    ///
    /// As [`SplitFile::read_fragment_at`].
    pub fn read_fragment_at(&self, index: usize, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.file.read_fragment_shared(index, offset, buf)
    }
}

struct NativeReader<'a> {
    file: &'a mut SplitFile,
    pos: u64,
    len: u64,
}

impl Read for NativeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.pos;
        let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        if n == 0 {
            return Ok(0);
        }
        self.file
            .read_native_at(self.pos, &mut buf[..n])
            .map_err(io::Error::other)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Options for reading files. See [`open`], [`open_split`] and
/// [`from_bytes`] for the defaults.
///
/// # Examples
///
/// ```
/// use radguard_dicom::{Limits, ReadOptions};
///
/// let opts = ReadOptions::new().limits(Limits::default().max_depth(8));
/// let err = opts.from_bytes(b"not dicom at all").unwrap_err();
/// assert!(err.to_string().contains("not a DICOM file"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    limits: Limits,
    allow_truncated: bool,
    split_tag: Option<Tag>,
}

/// Top-level tags decoded while scanning ([`ReadOptions::summarize`]).
pub(crate) const SCAN_CAPTURE: &[Tag] = &[
    tags::SOP_CLASS_UID,
    tags::SOP_INSTANCE_UID, // file meta rebuild only; never shown
    tags::MODALITY,
    tags::SAMPLES_PER_PIXEL,
    tags::NUMBER_OF_FRAMES,
    tags::ROWS,
    tags::COLUMNS,
    tags::BITS_ALLOCATED,
    tags::BURNED_IN_ANNOTATION,
];

struct Prelude {
    preamble: Preamble,
    meta_elements: Option<Vec<InMemElement>>,
    dataset_offset: u64,
    findings: Vec<Finding>,
}

impl ReadOptions {
    /// Default options: [`Limits::default`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the resource limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads a file that ends inside an element (a cut-short download, or
    /// a forged length on the last element) up to its last complete element
    /// instead of failing with [`Error::Truncated`]. The result carries a
    /// [`FindingKind::TruncatedAtEof`] finding and
    /// [`FileInfo::is_truncated`] is `true`.
    ///
    /// Off by default: a truncated file has lost data, and tools that
    /// transform files should refuse it. Diagnostic tools (`radguard
    /// inspect`) turn it on.
    #[must_use]
    pub fn allow_truncated(mut self, yes: bool) -> Self {
        self.allow_truncated = yes;
        self
    }

    /// With [`ReadOptions::open_split`], also leaves the top-level element
    /// `tag` (of defined length) on disk, as if it were pixel data: it
    /// becomes the split file's [`PixelData`] (native layout) instead of
    /// being read into the header.
    ///
    /// This is for formats that keep a large value in another element than
    /// Pixel Data (radguard-crypt keeps pixel ciphertext in a private
    /// element). A split file has at most one element left on disk: a file
    /// holding both pixel data and `tag` at the top level is an error
    /// ([`Error::Malformed`]). [`ReadOptions::summarize`] describes `tag` as
    /// the pixel data; [`ReadOptions::open`] and
    /// [`ReadOptions::from_bytes`] read everything and ignore this setting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use radguard_dicom::ReadOptions;
    /// use radguard_dicom::dicom::core::Tag;
    ///
    /// let mut split = ReadOptions::new()
    ///     .split_tag(Tag(0x7FE1, 0x5202))
    ///     .open_split("encrypted.dcm")?;
    /// if let Some(px) = split.pixel_data() {
    ///     assert_eq!(px.tag(), Tag(0x7FE1, 0x5202));
    ///     let mut first = [0u8; 16];
    ///     split.read_native_at(0, &mut first)?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn split_tag(mut self, tag: Tag) -> Self {
        self.split_tag = Some(tag);
        self
    }

    /// Reads a whole file, pixel data included, into memory.
    ///
    /// # Errors
    ///
    /// See [`Error`]: I/O errors, inputs that are not DICOM, malformed or
    /// truncated structure, limits exceeded, unsupported transfer syntaxes.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<DicomFile> {
        let mut src = FileSource::open(path.as_ref())?;
        let (file, _, _) = self.read(&mut src, Mode::Build, false)?;
        Ok(file)
    }

    /// Reads a file from bytes in memory.
    ///
    /// # Errors
    ///
    /// As [`ReadOptions::open`].
    pub fn from_bytes(&self, bytes: &[u8]) -> Result<DicomFile> {
        let mut src = SliceSource(bytes);
        let (file, _, _) = self.read(&mut src, Mode::Build, false)?;
        Ok(file)
    }

    /// Parses `bytes`, the value of a sequence attribute that arrived as
    /// opaque bytes (VR UN, or a private sequence in an Implicit VR file),
    /// as Implicit VR Little Endian items (PS3.5 §6.2.2), under these
    /// limits; `depth` is the nesting depth of the attribute itself (0 at
    /// the top level).
    ///
    /// # Examples
    ///
    /// ```
    /// // One item holding (0010,0010) PN "AB", in Implicit VR Little Endian.
    /// let bytes = [
    ///     0xFE, 0xFF, 0x00, 0xE0, 10, 0, 0, 0, // item, 10 bytes
    ///     0x10, 0x00, 0x10, 0x00, 2, 0, 0, 0, b'A', b'B',
    /// ];
    /// let tag = dicom_core::Tag(0x0029, 0x1010);
    /// let items = radguard_dicom::ReadOptions::new().items_from_bytes(tag, &bytes, 0)?;
    /// assert_eq!(items.len(), 1);
    /// assert!(radguard_dicom::ReadOptions::new().items_from_bytes(tag, b"DOE^JOHN", 0).is_err());
    /// # Ok::<(), radguard_dicom::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`], [`Error::Truncated`] and the limit errors when
    /// the bytes are not exactly a sequence of items.
    pub fn items_from_bytes(
        &self,
        tag: Tag,
        bytes: &[u8],
        depth: u32,
    ) -> Result<Vec<InMemDicomObject>> {
        let mut src = SliceSource(bytes);
        Parser::new(&mut src, self.limits, Mode::Build, false, &[], false).parse_items(tag, depth)
    }

    /// Reads a file's header into memory and leaves its top-level pixel
    /// data on disk (see [`SplitFile`]).
    ///
    /// # Errors
    ///
    /// As [`ReadOptions::open`].
    pub fn open_split(&self, path: impl AsRef<Path>) -> Result<SplitFile> {
        let mut src = FileSource::open(path.as_ref())?;
        let (header, pixel, inflated) = self.read(&mut src, Mode::Build, true)?;
        let source = match inflated {
            Some(v) => PixelSource::Memory(v),
            None => PixelSource::File {
                path: src.path().to_path_buf(),
                file: src.into_file(),
            },
        };
        Ok(SplitFile {
            header,
            pixel: pixel.map(pixel_data),
            source,
        })
    }

    /// Checks a file's whole structure without holding its values in
    /// memory, and returns a PHI-free [`Summary`](crate::Summary).
    ///
    /// Memory use is bounded by the nesting depth, not by the file size.
    ///
    /// # Errors
    ///
    /// As [`ReadOptions::open`].
    pub fn summarize(&self, path: impl AsRef<Path>) -> Result<crate::Summary> {
        let mut src = FileSource::open(path.as_ref())?;
        let size = src.len();
        let (file, pixel, _) = self.read(&mut src, Mode::Scan, true)?;
        Ok(crate::summary::summarize(
            &file,
            pixel.map(pixel_data).as_ref(),
            size,
        ))
    }

    /// The whole read: prelude, transfer syntax, (inflate,) data set.
    fn read<S: Source>(
        &self,
        src: &mut S,
        mode: Mode,
        skip_pixel: bool,
    ) -> Result<(DicomFile, Option<PixelLoc>, Option<Vec<u8>>)> {
        let file_size = src.len();
        let prelude = self.prelude(src)?;
        let mut findings = prelude.findings;
        let has_file_meta = prelude.meta_elements.is_some();
        let meta_elements = prelude.meta_elements.unwrap_or_default();
        let ts_uid = meta_elements
            .iter()
            .find(|e| e.tag() == tags::TRANSFER_SYNTAX_UID)
            .and_then(|e| e.value().to_str().ok().map(|s| trim_value(&s).to_owned()))
            .filter(|s| !s.is_empty());
        let start = prelude.dataset_offset;

        let (ts_uid, info, parsed, inflated) = match ts_uid {
            Some(mut uid) => {
                let mut info = ts::lookup(&uid)?;
                // A data set plainly in the other VR mode than its (native,
                // little endian) transfer syntax says is read as found, and
                // the transfer syntax corrected so that it is written back
                // the way it was read.
                let corrected = match uid.as_str() {
                    ts::IMPLICIT_VR_LE => Some(ts::EXPLICIT_VR_LE),
                    ts::EXPLICIT_VR_LE => Some(ts::IMPLICIT_VR_LE),
                    _ => None,
                };
                if let Some(other) = corrected
                    && start < file_size
                    && mismatched_encoding(src, start, info.enc)?.is_some()
                {
                    info = ts::lookup(other)?;
                    uid = other.to_owned();
                    findings.push(Finding {
                        kind: FindingKind::EncodingMismatch,
                        tag: None,
                        offset: start,
                    });
                }
                let (parsed, inflated) = self.parse_dataset(src, start, &info, mode, skip_pixel)?;
                (uid, info, parsed, inflated)
            }
            None => {
                if has_file_meta {
                    findings.push(Finding {
                        kind: FindingKind::MissingMetaElement,
                        tag: Some(radguard_core::AttrTag::new(0x0002, 0x0010)),
                        offset: start,
                    });
                }
                let (uid, info, parsed) =
                    self.infer(src, start, mode, skip_pixel, has_file_meta)?;
                findings.push(Finding {
                    kind: FindingKind::TransferSyntaxInferred,
                    tag: None,
                    offset: start,
                });
                (uid.to_owned(), info, parsed, None)
            }
        };
        if !has_file_meta {
            findings.push(Finding {
                kind: FindingKind::NoFileMeta,
                tag: None,
                offset: 0,
            });
        }
        let Parsed {
            elements,
            pixel,
            element_count,
            max_depth,
            findings: parse_findings,
        } = parsed;
        findings.extend(parse_findings);
        let mut dataset = InMemDicomObject::from_element_iter(elements);
        if mode == Mode::Build {
            crate::parse::resolve_sample_vrs(&mut dataset);
        }
        let meta = build_meta(
            &meta_elements,
            &dataset,
            &ts_uid,
            has_file_meta,
            start,
            &mut findings,
        );
        let info = FileInfo {
            file_size,
            preamble: prelude.preamble,
            has_file_meta,
            transfer_syntax: ts_uid,
            element_count,
            max_depth,
            dataset_offset: start,
            offsets_in_inflated: info.deflated,
            findings,
        };
        Ok((
            DicomFile {
                object: dataset.with_exact_meta(meta),
                info,
            },
            pixel,
            inflated,
        ))
    }

    fn parse_dataset<S: Source>(
        &self,
        src: &mut S,
        start: u64,
        info: &TsInfo,
        mode: Mode,
        skip_pixel: bool,
    ) -> Result<(Parsed, Option<Vec<u8>>)> {
        if info.deflated {
            let inflated = self.inflate(src, start)?;
            let mut s = SliceSource(&inflated);
            let parsed = Parser::new(&mut s, self.limits, mode, skip_pixel, SCAN_CAPTURE, false)
                .allow_truncated(self.allow_truncated)
                .split_tag(self.split_tag)
                .parse_top(0, Enc::EXPLICIT_LE)?;
            return Ok((parsed, Some(inflated)));
        }
        let parsed = Parser::new(
            src,
            self.limits,
            mode,
            skip_pixel,
            SCAN_CAPTURE,
            info.enc.big_endian,
        )
        .allow_truncated(self.allow_truncated)
        .split_tag(self.split_tag)
        .parse_top(start, info.enc)?;
        Ok((parsed, None))
    }

    fn inflate<S: Source>(&self, src: &mut S, start: u64) -> Result<Vec<u8>> {
        let len = usize::try_from(src.len() - start).map_err(|_| Error::TooLarge {
            what: "deflated data set",
            size: src.len(),
            limit: self.limits.max_inflated,
        })?;
        let compressed = src.read(start, len)?;
        let mut out = Vec::new();
        let limit = self.limits.max_inflated;
        let n = DeflateDecoder::new(&compressed[..])
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::Stream {
                op: "inflating the deflated data set",
                source: e,
            })?;
        if n as u64 > limit {
            return Err(Error::TooLarge {
                what: "inflated data set",
                size: n as u64,
                limit,
            });
        }
        Ok(out)
    }

    /// Preamble, `DICM` and file meta.
    fn prelude<S: Source>(&self, src: &mut S) -> Result<Prelude> {
        let len = src.len();
        let mut preamble = Preamble::Absent;
        let meta_follows = |src: &mut S, at: u64| -> Result<bool> {
            Ok(len >= at + 8 && src.read(at, 2)?[..] == [0x02, 0x00])
        };
        // A data set of its own from byte 0 may happen to hold "DICM" at
        // 128: a file that starts with an Identifying group element is read
        // from 0, whatever its bytes 128-131 say.
        let dataset_at_0 = len >= 8 && src.read(0, 2)?[..] == [0x08, 0x00];
        let dicm_at_128 = len >= 132
            && &src.read(128, 4)?[..] == b"DICM"
            && (!dataset_at_0 || meta_follows(src, 132)?);
        let dicm_at_0 = !dicm_at_128 && len >= 4 && &src.read(0, 4)?[..] == b"DICM";
        if dicm_at_128 {
            preamble = if src.read(0, 128)?.iter().all(|b| *b == 0) {
                Preamble::Zeros
            } else {
                Preamble::NonZero
            };
        }
        let meta_start = if dicm_at_128 && meta_follows(src, 132)? {
            Some(132)
        } else if dicm_at_0 && meta_follows(src, 4)? {
            Some(4)
        } else if !dicm_at_128
            && !dicm_at_0
            && meta_follows(src, 0)?
            && src.read(4, 2)?.iter().all(u8::is_ascii_uppercase)
        {
            // A meta group without preamble or magic.
            Some(0)
        } else {
            None
        };
        let Some(meta_start) = meta_start else {
            // The magic without a meta group after it: the data set follows
            // the marker (a DICOM file, not something else to skip).
            let (dataset_offset, findings) = if dicm_at_128 || dicm_at_0 {
                let at = if dicm_at_128 { 132 } else { 4 };
                let finding = Finding {
                    kind: FindingKind::DicmWithoutFileMeta,
                    tag: None,
                    offset: at,
                };
                (at, vec![finding])
            } else {
                (0, Vec::new())
            };
            return Ok(Prelude {
                preamble,
                meta_elements: None,
                dataset_offset,
                findings,
            });
        };
        let (elements, end, mut findings) =
            Parser::new(src, self.limits, Mode::Build, false, &[], false).parse_meta(meta_start)?;
        if elements.is_empty() {
            return Err(Error::malformed(
                meta_start,
                None,
                "DICM marker not followed by a file meta group",
            ));
        }
        // Check the declared group length against the elements found.
        if let Some(gl) = elements
            .iter()
            .find(|e| e.tag() == tags::FILE_META_INFORMATION_GROUP_LENGTH)
        {
            // The group length counts the bytes after its own 12-byte element.
            let declared = gl.value().uint32().ok().map(u64::from);
            let actual = end.checked_sub(meta_start + 12);
            if declared.is_none() || declared != actual {
                findings.push(Finding {
                    kind: FindingKind::MetaGroupLengthMismatch,
                    tag: Some(attr(tags::FILE_META_INFORMATION_GROUP_LENGTH)),
                    offset: meta_start,
                });
            }
        }
        Ok(Prelude {
            preamble,
            meta_elements: Some(elements),
            dataset_offset: end,
            findings,
        })
    }

    /// Infers the encoding of a data set without a transfer syntax: Explicit
    /// VR Little Endian, then Implicit VR Little Endian, then Explicit VR Big
    /// Endian; the first whose first element is plausible and whose whole
    /// structure reads wins.
    fn infer<S: Source>(
        &self,
        src: &mut S,
        start: u64,
        mode: Mode,
        skip_pixel: bool,
        has_file_meta: bool,
    ) -> Result<(&'static str, TsInfo, Parsed)> {
        let len = src.len();
        if len - start < 8 {
            return Err(Error::NotDicom {
                reason: "too short to hold a data set",
            });
        }
        let candidates = [
            (ts::EXPLICIT_VR_LE, Enc::EXPLICIT_LE),
            (ts::IMPLICIT_VR_LE, Enc::IMPLICIT_LE),
            (ts::EXPLICIT_VR_BE, Enc::EXPLICIT_BE),
        ];
        // Without a file meta group nothing says this is DICOM: demand a
        // plausible first element and a clean, ordered structure.
        let strict = !has_file_meta;
        let mut last_err = None;
        for (uid, enc) in candidates {
            if enc.explicit && !vr_at(src, start)? {
                continue;
            }
            if strict && !plausible_group(src, start, enc)? {
                continue;
            }
            let info = ts::lookup(uid)?;
            match Parser::new(
                src,
                self.limits,
                mode,
                skip_pixel,
                SCAN_CAPTURE,
                enc.big_endian,
            )
            .allow_truncated(self.allow_truncated)
            .split_tag(self.split_tag)
            .parse_top(start, enc)
            {
                Ok(p)
                    if p.element_count > 0
                        && p.findings
                            .iter()
                            .all(|f| acceptable_for_inference(f.kind, strict)) =>
                {
                    return Ok((uid, info, p));
                }
                Ok(_) => {}
                // Limits are a property of the file, not of the guess.
                Err(e @ (Error::TooLarge { .. } | Error::TooDeep { .. } | Error::Io { .. })) => {
                    return Err(e);
                }
                Err(e) => last_err = Some(e),
            }
        }
        if strict {
            return Err(Error::NotDicom {
                reason: "no DICM marker and no plausible data set at the start",
            });
        }
        Err(last_err.unwrap_or(Error::NotDicom {
            reason: "the data set matches no transfer syntax",
        }))
    }
}

fn acceptable_for_inference(kind: FindingKind, strict: bool) -> bool {
    match kind {
        FindingKind::InvalidVr | FindingKind::TruncatedAtEof => false,
        FindingKind::DuplicateTag | FindingKind::OutOfOrder | FindingKind::TrailingBytes => !strict,
        _ => true,
    }
}

/// `true` if the bytes where an explicit VR would be at `start` hold a valid VR.
fn vr_at<S: Source>(src: &mut S, start: u64) -> Result<bool> {
    let b = src.read(start, 6)?;
    Ok(VR::from_binary([b[4], b[5]]).is_some())
}

/// For a data set whose transfer syntax says explicit (implicit) VR, the
/// encoding to read it with instead if its first element is plainly
/// implicit (explicit), as pydicom does.
fn mismatched_encoding<S: Source>(src: &mut S, start: u64, declared: Enc) -> Result<Option<Enc>> {
    if src.len() - start < 8 || declared.big_endian {
        return Ok(None);
    }
    let has_vr = vr_at(src, start)?;
    let alt = Enc {
        explicit: !declared.explicit,
        big_endian: declared.big_endian,
    };
    Ok((declared.explicit != has_vr).then_some(alt))
}

/// `true` if the first element at `start` is in a group a data set can
/// start with: 0000, 0002, 0004 or 0008.
fn plausible_group<S: Source>(src: &mut S, start: u64, enc: Enc) -> Result<bool> {
    let b = src.read(start, 2)?;
    let group = if enc.big_endian {
        u16::from_be_bytes([b[0], b[1]])
    } else {
        u16::from_le_bytes([b[0], b[1]])
    };
    Ok(matches!(group, 0x0000 | 0x0002 | 0x0004 | 0x0008))
}

fn pixel_data(loc: PixelLoc) -> PixelData {
    match loc.kind {
        PixelKind::Native { offset, len } => PixelData {
            tag: loc.tag,
            vr: loc.vr,
            layout: PixelLayout::Native { len },
            fragments: Vec::new(),
            native_offset: offset,
        },
        PixelKind::Encapsulated {
            offset_table,
            fragments,
        } => PixelData {
            tag: loc.tag,
            vr: VR::OB,
            layout: PixelLayout::Encapsulated {
                offset_table,
                fragment_lens: fragments.iter().map(|f| f.len).collect(),
            },
            fragments,
            native_offset: 0,
        },
    }
}

fn str_of(elements: &[InMemElement], tag: Tag) -> Option<String> {
    elements
        .iter()
        .find(|e| e.tag() == tag)
        .and_then(|e| e.value().to_str().ok())
        .map(|s| trim_padding(&s).to_owned())
}

fn ds_str(ds: &InMemDicomObject, tag: Tag) -> String {
    ds.get(tag)
        .and_then(|e| e.value().to_str().ok())
        .map(|s| trim_value(&s).to_owned())
        .unwrap_or_default()
}

/// Builds the file meta table from the meta elements read (or, for a file
/// without meta, from the data set).
fn build_meta(
    elements: &[InMemElement],
    dataset: &InMemDicomObject,
    ts_uid: &str,
    has_file_meta: bool,
    offset: u64,
    findings: &mut Vec<Finding>,
) -> FileMetaTable {
    // What dicom-rs's `FileMetaTable` models; the rest is dropped.
    const KNOWN: &[Tag] = &[
        tags::FILE_META_INFORMATION_GROUP_LENGTH,
        tags::FILE_META_INFORMATION_VERSION,
        tags::MEDIA_STORAGE_SOP_CLASS_UID,
        tags::MEDIA_STORAGE_SOP_INSTANCE_UID,
        tags::TRANSFER_SYNTAX_UID,
        tags::IMPLEMENTATION_CLASS_UID,
        tags::IMPLEMENTATION_VERSION_NAME,
        tags::SOURCE_APPLICATION_ENTITY_TITLE,
        tags::SENDING_APPLICATION_ENTITY_TITLE,
        tags::RECEIVING_APPLICATION_ENTITY_TITLE,
        tags::PRIVATE_INFORMATION_CREATOR_UID,
        tags::PRIVATE_INFORMATION,
    ];
    let missing = |tag: Tag, findings: &mut Vec<Finding>| {
        if has_file_meta {
            findings.push(Finding {
                kind: FindingKind::MissingMetaElement,
                tag: Some(attr(tag)),
                offset,
            });
        }
    };
    for e in elements {
        if !KNOWN.contains(&e.tag()) {
            findings.push(Finding {
                kind: FindingKind::MetaElementDropped,
                tag: Some(attr(e.tag())),
                offset,
            });
        }
    }
    let information_version = elements
        .iter()
        .find(|e| e.tag() == tags::FILE_META_INFORMATION_VERSION)
        .and_then(|e| e.value().to_bytes().ok())
        .and_then(|b| <[u8; 2]>::try_from(&b[..]).ok())
        .unwrap_or([0, 1]);
    let sop_class = str_of(elements, tags::MEDIA_STORAGE_SOP_CLASS_UID).unwrap_or_else(|| {
        missing(tags::MEDIA_STORAGE_SOP_CLASS_UID, findings);
        ds_str(dataset, tags::SOP_CLASS_UID)
    });
    let sop_instance =
        str_of(elements, tags::MEDIA_STORAGE_SOP_INSTANCE_UID).unwrap_or_else(|| {
            missing(tags::MEDIA_STORAGE_SOP_INSTANCE_UID, findings);
            ds_str(dataset, tags::SOP_INSTANCE_UID)
        });
    let (impl_uid, impl_name) = match str_of(elements, tags::IMPLEMENTATION_CLASS_UID) {
        Some(u) => (u, str_of(elements, tags::IMPLEMENTATION_VERSION_NAME)),
        None => {
            missing(tags::IMPLEMENTATION_CLASS_UID, findings);
            (
                IMPLEMENTATION_CLASS_UID.to_owned(),
                Some(IMPLEMENTATION_VERSION_NAME.to_owned()),
            )
        }
    };
    let private_information = elements
        .iter()
        .find(|e| e.tag() == tags::PRIVATE_INFORMATION)
        .and_then(|e| e.value().to_bytes().ok())
        .map(|b| b.into_owned());
    let mut meta = FileMetaTable {
        information_group_length: 0,
        information_version,
        media_storage_sop_class_uid: sop_class,
        media_storage_sop_instance_uid: sop_instance,
        transfer_syntax: ts_uid.to_owned(),
        implementation_class_uid: impl_uid,
        implementation_version_name: impl_name,
        source_application_entity_title: str_of(elements, tags::SOURCE_APPLICATION_ENTITY_TITLE),
        sending_application_entity_title: str_of(elements, tags::SENDING_APPLICATION_ENTITY_TITLE),
        receiving_application_entity_title: str_of(
            elements,
            tags::RECEIVING_APPLICATION_ENTITY_TITLE,
        ),
        private_information_creator_uid: str_of(elements, tags::PRIVATE_INFORMATION_CREATOR_UID),
        private_information,
    };
    meta.update_information_group_length();
    meta
}

/// Reads a whole file into memory with default [`Limits`].
///
/// # Errors
///
/// See [`ReadOptions::open`].
///
/// # Examples
///
/// ```no_run
/// let file = radguard_dicom::open("image.dcm")?;
/// println!("{} elements", file.info().element_count);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// Safe on untrusted input: every declared length is checked against the
/// bytes present before anything is allocated, and nesting depth, element
/// count and memory are limited ([`Limits`]).
pub fn open(path: impl AsRef<Path>) -> Result<DicomFile> {
    ReadOptions::new().open(path)
}

/// Reads a file from bytes with default [`Limits`].
///
/// # Errors
///
/// See [`ReadOptions::open`].
pub fn from_bytes(bytes: &[u8]) -> Result<DicomFile> {
    ReadOptions::new().from_bytes(bytes)
}

/// Opens a file with its pixel data left on disk, with default [`Limits`].
///
/// # Errors
///
/// See [`ReadOptions::open`].
pub fn open_split(path: impl AsRef<Path>) -> Result<SplitFile> {
    ReadOptions::new().open_split(path)
}

/// Summarizes a file without holding its values in memory, with default
/// [`Limits`].
///
/// # Errors
///
/// See [`ReadOptions::open`].
pub fn summarize(path: impl AsRef<Path>) -> Result<crate::Summary> {
    ReadOptions::new().summarize(path)
}
