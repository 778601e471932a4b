//! Atomic, streaming DICOM writing.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use dicom_core::header::Header;
use dicom_core::{Tag, VR};
use dicom_encoding::text::SpecificCharacterSet;
use dicom_object::mem::InMemElement;
use dicom_object::{FileDicomObject, FileMetaTable, InMemDicomObject};
use dicom_parser::dataset::IntoTokens;
use dicom_parser::dataset::write::DataSetWriter;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use radguard_core::fs::{AtomicFile, AtomicOptions};

use crate::error::{Error, Result};
use crate::parse::Enc;
use crate::tags::{ITEM, PIXEL_DATA, SEQUENCE_DELIMITATION_ITEM, SPECIFIC_CHARACTER_SET};
use crate::ts::{self, TsInfo};

/// Options for writing files.
///
/// # Examples
///
/// ```
/// use radguard_dicom::WriteOptions;
///
/// let opts = WriteOptions::new().overwrite(true);
/// assert!(opts.overwrites());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    overwrite: bool,
    keep_metadata: bool,
}

impl WriteOptions {
    /// Default options: never overwrite an existing file.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows replacing an existing file at the output path.
    #[must_use]
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }

    /// `true` if an existing file may be replaced.
    #[must_use]
    pub fn overwrites(&self) -> bool {
        self.overwrite
    }

    /// When an existing file is replaced, gives the new file its owner,
    /// group, mode, times, ACLs and extended attributes, and refuses to
    /// replace a file with other hard links (see
    /// [`radguard_core::fs::AtomicOptions::keep_metadata`]).
    #[must_use]
    pub fn keep_metadata(mut self, yes: bool) -> Self {
        self.keep_metadata = yes;
        self
    }

    /// The atomic-writer options these stand for.
    pub(crate) fn atomic(&self) -> AtomicOptions {
        AtomicOptions::new()
            .overwrite(self.overwrite)
            .keep_metadata(self.keep_metadata)
    }
}

enum Sink {
    Plain(BufWriter<AtomicFile>),
    Deflate(ChunkedDeflate<BufWriter<AtomicFile>>),
}

/// A deflate encoder fed in fixed-size chunks, whatever the sizes of the
/// writes it receives: the compressor's choices depend on how much input
/// it sees at once, so this makes the compressed bytes a function of the
/// uncompressed stream alone. [`to_bytes`] and [`DicomWriter`] (which
/// streams the pixel data in its own pieces) then write identical files.
/// `flush` compresses nothing early (a sync flush would also change the
/// stream); everything reaches the inner writer on `finish`.
struct ChunkedDeflate<W: Write> {
    enc: DeflateEncoder<W>,
    buf: Vec<u8>,
}

impl<W: Write> ChunkedDeflate<W> {
    const CHUNK: usize = 64 * 1024;

    fn new(w: W) -> Self {
        // Level 1: DICOM does not ask for a compression level, and the
        // default level costs several times the CPU for a few percent.
        Self {
            enc: DeflateEncoder::new(w, Compression::fast()),
            buf: Vec::with_capacity(Self::CHUNK),
        }
    }

    fn finish(mut self) -> io::Result<W> {
        self.enc.write_all(&self.buf)?;
        self.enc.finish()
    }
}

impl<W: Write> Write for ChunkedDeflate<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let n = data.len();
        while !data.is_empty() {
            let take = (Self::CHUNK - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == Self::CHUNK {
                self.enc.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Deflate(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Deflate(w) => w.flush(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pixel {
    None,
    InEncapsulated,
    Done,
}

/// Writes a DICOM file atomically, element by element, with pixel data
/// streamed.
///
/// The file is written to a temporary file in the target folder; only
/// [`DicomWriter::commit`] flushes it, `fsync`s it, moves it to its final
/// name (refusing to replace an existing file unless
/// [`WriteOptions::overwrite`] allows it) and `fsync`s the folder. If the
/// writer is dropped without commit, or any step fails, the temporary file
/// is removed and nothing appears under the final name.
///
/// Elements must be written in ascending tag order. The preamble is always
/// 128 zero bytes.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, VR};
/// use dicom_object::{InMemDicomObject, meta::FileMetaTableBuilder};
/// use radguard_dicom::{DicomWriter, WriteOptions};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.dcm");
/// let meta = FileMetaTableBuilder::new()
///     .transfer_syntax("1.2.840.10008.1.2.1")
///     .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
///     .media_storage_sop_instance_uid("2.25.1")
///     .build()?;
/// let header = InMemDicomObject::from_element_iter([
///     DataElement::new(dicom_dictionary_std::tags::SOP_INSTANCE_UID, VR::UI, "2.25.1"),
/// ]);
/// let mut w = DicomWriter::create(&path, &meta, &WriteOptions::new())?;
/// w.write_elements(header.iter())?;
/// w.write_native_pixel(dicom_dictionary_std::tags::PIXEL_DATA, VR::OB, 4, &mut &[1u8, 2, 3, 4][..])?;
/// w.commit()?;
/// let back = radguard_dicom::open(&path)?;
/// assert_eq!(back.dataset().get(dicom_dictionary_std::tags::PIXEL_DATA).unwrap().to_bytes()?.len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DicomWriter {
    /// Writes into an [`AtomicFile`]; dropping it removes the temporary file.
    sink: Option<Sink>,
    path: PathBuf,
    info: TsInfo,
    charset: SpecificCharacterSet,
    last_tag: Option<Tag>,
    pixel: Pixel,
    /// Where a reserved basic offset table's values start in the file, and
    /// how many there are.
    reserved_table: Option<(u64, usize)>,
}

impl std::fmt::Debug for DicomWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DicomWriter")
            .field("path", &self.path)
            .field("last_tag", &self.last_tag)
            .finish_non_exhaustive()
    }
}

fn stream_err(op: &'static str) -> impl FnOnce(io::Error) -> Error {
    move |source| Error::Stream { op, source }
}

impl DicomWriter {
    /// Starts writing `path`: a temporary file next to it receives the zero
    /// preamble, `DICM` and the file meta group (its group length
    /// recomputed).
    ///
    /// # Errors
    ///
    /// [`Error::Exists`] if `path` exists and overwriting is off;
    /// [`Error::UnsupportedTransferSyntax`]; I/O errors creating the
    /// temporary file (the target folder must exist).
    pub fn create(path: &Path, meta: &FileMetaTable, opts: &WriteOptions) -> Result<Self> {
        let file = AtomicFile::create(path, &opts.atomic()).map_err(|e| create_error(path, e))?;
        let info = ts::lookup(&meta.transfer_syntax)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut meta = meta.clone();
        meta.update_information_group_length();
        w.write_all(&[0u8; 128])
            .and_then(|()| w.write_all(b"DICM"))
            .map_err(|e| Error::io("cannot write", path, e))?;
        meta.write(&mut w).map_err(|e| Error::Encode {
            source: Box::new(e),
        })?;
        let sink = if info.deflated {
            Sink::Deflate(ChunkedDeflate::new(w))
        } else {
            Sink::Plain(w)
        };
        Ok(Self {
            sink: Some(sink),
            path: path.to_path_buf(),
            info,
            charset: SpecificCharacterSet::default(),
            last_tag: None,
            pixel: Pixel::None,
            reserved_table: None,
        })
    }

    fn sink(&mut self) -> Result<&mut Sink> {
        self.sink.as_mut().ok_or(Error::WriterState {
            what: "writer already finished",
        })
    }

    fn check_order(&mut self, tag: Tag) -> Result<()> {
        if self.pixel == Pixel::InEncapsulated {
            return Err(Error::WriterState {
                what: "element written inside encapsulated pixel data",
            });
        }
        if self.last_tag.is_some_and(|t| tag <= t) {
            return Err(Error::WriterState {
                what: "elements must be written in ascending tag order",
            });
        }
        self.last_tag = Some(tag);
        Ok(())
    }

    /// Writes top-level elements (of any kind, sequences and in-memory
    /// pixel data included), in ascending tag order, through dicom-rs's
    /// encoder.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] on out-of-order tags; [`Error::Encode`] if a
    /// value cannot be encoded (for example a character the data set's
    /// Specific Character Set cannot represent).
    pub fn write_elements<'a>(
        &mut self,
        elements: impl IntoIterator<Item = &'a InMemElement>,
    ) -> Result<()> {
        let mut batch: Vec<&InMemElement> = Vec::new();
        for e in elements {
            self.check_order(e.tag())?;
            batch.push(e);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let new_charset = batch
            .iter()
            .find(|e| e.tag() == SPECIFIC_CHARACTER_SET)
            .and_then(|e| {
                e.value()
                    .to_multi_str()
                    .ok()
                    .and_then(|v| v.first().map(|s| s.trim().to_owned()))
            })
            .and_then(|code| SpecificCharacterSet::from_code(&code));
        let ts = ts::element_ts(&self.info)?;
        let cs = self.charset.clone();
        let encode_err = |e: dicom_parser::dataset::write::Error| Error::Encode {
            source: Box::new(e),
        };
        {
            let sink = self.sink()?;
            // One writer for the batch, fed each element's tokens (one clone
            // per element, as dicom-rs tokens own their values).
            let mut writer = DataSetWriter::with_ts_cs(sink, ts, cs).map_err(encode_err)?;
            for e in batch {
                writer
                    .write_sequence((*e).clone().into_tokens())
                    .map_err(encode_err)?;
            }
            writer.flush().map_err(encode_err)?;
        }
        if let Some(cs) = new_charset {
            self.charset = cs;
        }
        Ok(())
    }

    fn enc(&self) -> Enc {
        if self.info.deflated {
            Enc::EXPLICIT_LE
        } else {
            self.info.enc
        }
    }

    fn put_tag(&mut self, tag: Tag) -> Result<()> {
        let be = self.enc().big_endian;
        let (g, e) = if be {
            (tag.0.to_be_bytes(), tag.1.to_be_bytes())
        } else {
            (tag.0.to_le_bytes(), tag.1.to_le_bytes())
        };
        let s = self.sink()?;
        s.write_all(&g)
            .and_then(|()| s.write_all(&e))
            .map_err(stream_err("writing"))
    }

    fn put_u32(&mut self, v: u32) -> Result<()> {
        let b = if self.enc().big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.sink()?.write_all(&b).map_err(stream_err("writing"))
    }

    /// Element header for a value with a 32-bit length (OB, OW, OF, OD, ...).
    fn put_long_header(&mut self, tag: Tag, vr: VR, len: u32) -> Result<()> {
        self.put_tag(tag)?;
        if self.enc().explicit {
            let vr_bytes = vr.to_bytes();
            self.sink()?
                .write_all(&[vr_bytes[0], vr_bytes[1], 0, 0])
                .map_err(stream_err("writing"))?;
        }
        self.put_u32(len)
    }

    /// Writes a native pixel data element (or any top-level element with a
    /// long length: OB, OW, OF, OD, OL, OV, UN) of `len` bytes, copied from
    /// `src` as a stream. An odd `len` is padded with one zero byte.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] on out-of-order tags, a VR without a 32-bit
    /// length, or if `src` ends before `len` bytes; I/O errors.
    pub fn write_native_pixel(
        &mut self,
        tag: Tag,
        vr: VR,
        len: u32,
        src: &mut dyn Read,
    ) -> Result<()> {
        self.write_native_pixel_with(tag, vr, len, |w| {
            let n = io::copy(&mut src.take(u64::from(len)), w)?;
            if n < u64::from(len) {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "pixel data source ended early",
                ));
            }
            Ok(())
        })
    }

    /// Like [`DicomWriter::write_native_pixel`], copying the value from
    /// `src` starting at byte `offset`. File to file, the kernel copies the
    /// bytes itself (`copy_file_range` on Linux, sharing extents where the
    /// file system can).
    ///
    /// # Errors
    ///
    /// As [`DicomWriter::write_native_pixel`].
    pub fn write_native_pixel_from(
        &mut self,
        tag: Tag,
        vr: VR,
        len: u32,
        src: &File,
        offset: u64,
    ) -> Result<()> {
        let mut reader = src;
        reader
            .seek(SeekFrom::Start(offset))
            .map_err(stream_err("reading pixel data"))?;
        if let Some(Sink::Plain(_)) = &self.sink {
            self.begin_streamed_value(tag, vr, len)?;
            let Some(Sink::Plain(w)) = &mut self.sink else {
                return Err(Error::WriterState {
                    what: "writer already finished",
                });
            };
            w.flush().map_err(stream_err("writing"))?;
            let n = io::copy(&mut reader.take(u64::from(len)), w.get_mut().file_mut())
                .map_err(stream_err("copying pixel data"))?;
            if n != u64::from(len) {
                return Err(Error::Stream {
                    op: "copying pixel data",
                    source: io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "pixel data source ended early",
                    ),
                });
            }
            return self.end_streamed_value(tag, len);
        }
        let mut r = io::BufReader::with_capacity(1 << 20, reader);
        self.write_native_pixel(tag, vr, len, &mut r)
    }

    /// Like [`DicomWriter::write_native_pixel`], but `fill` writes the value
    /// itself; it must write exactly `len` bytes. The writer it gets is
    /// `Send`, so `fill` may hand it to another (scoped) thread, to write
    /// while the calling thread computes the next bytes.
    ///
    /// # Errors
    ///
    /// As [`DicomWriter::write_native_pixel`]; [`Error::WriterState`] if
    /// `fill` writes a different number of bytes.
    pub fn write_native_pixel_with(
        &mut self,
        tag: Tag,
        vr: VR,
        len: u32,
        fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
    ) -> Result<()> {
        self.begin_streamed_value(tag, vr, len)?;
        let sink = self.sink()?;
        let mut counter = Counting { inner: sink, n: 0 };
        fill(&mut counter).map_err(stream_err("writing pixel data"))?;
        let n = counter.n;
        if n != u64::from(len) {
            return Err(Error::WriterState {
                what: "pixel data length differs from the declared length",
            });
        }
        self.end_streamed_value(tag, len)
    }

    /// `true` if [`DicomWriter::write_native_pixel_at`] can be used: the
    /// transfer syntax is not deflated and the platform has positional
    /// writes.
    #[must_use]
    pub fn supports_positional(&self) -> bool {
        cfg!(unix) && matches!(self.sink, Some(Sink::Plain(_)))
    }

    /// Like [`DicomWriter::write_native_pixel_with`], but `fill` writes the
    /// value's bytes at offsets of its choice, from as many threads as it
    /// likes ([`PositionedValue`] is `Sync`): for producers whose work is
    /// parallel, so that writing is too. Every byte of the value must be
    /// written exactly once.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] for a deflated transfer syntax (its bytes
    /// cannot be written out of order), on platforms without positional
    /// writes, or if `fill` wrote a different number of bytes; as
    /// [`DicomWriter::write_native_pixel`].
    pub fn write_native_pixel_at(
        &mut self,
        tag: Tag,
        vr: VR,
        len: u32,
        fill: impl FnOnce(&PositionedValue<'_>) -> io::Result<()>,
    ) -> Result<()> {
        if !self.supports_positional() {
            return Err(Error::WriterState {
                what: "positional writes need an uncompressed transfer syntax",
            });
        }
        self.begin_streamed_value(tag, vr, len)?;
        let Some(Sink::Plain(w)) = &mut self.sink else {
            return Err(Error::WriterState {
                what: "writer already finished",
            });
        };
        w.flush().map_err(stream_err("writing"))?;
        let file = w.get_mut().file_mut();
        let base = file.stream_position().map_err(stream_err("writing"))?;
        let value = PositionedValue {
            file,
            base,
            len: u64::from(len),
            written: std::sync::atomic::AtomicU64::new(0),
        };
        fill(&value).map_err(stream_err("writing pixel data"))?;
        if value.written.into_inner() != u64::from(len) {
            return Err(Error::WriterState {
                what: "pixel data length differs from the declared length",
            });
        }
        file.seek(SeekFrom::Start(base + u64::from(len)))
            .map_err(stream_err("writing"))?;
        self.end_streamed_value(tag, len)
    }

    /// Checks that `tag`/`vr` can take a streamed value of `len` bytes and
    /// writes its element header (length padded to even).
    fn begin_streamed_value(&mut self, tag: Tag, vr: VR, len: u32) -> Result<()> {
        if !crate::parse::has_long_length(vr) || vr == VR::SQ {
            return Err(Error::WriterState {
                what: "streamed values need a VR with a 32-bit length",
            });
        }
        self.check_order(tag)?;
        let padded = len.checked_add(len % 2).ok_or(Error::WriterState {
            what: "value too long",
        })?;
        self.put_long_header(tag, vr, padded)
    }

    /// Pads a streamed value of odd length `len` and records that the pixel
    /// data is written when `tag` is a pixel data tag.
    fn end_streamed_value(&mut self, tag: Tag, len: u32) -> Result<()> {
        if len % 2 == 1 {
            self.sink()?
                .write_all(&[0])
                .map_err(stream_err("writing"))?;
        }
        if crate::tags::is_pixel_data(tag) {
            self.pixel = Pixel::Done;
        }
        Ok(())
    }

    /// Starts encapsulated Pixel Data (7FE0,0010) with the given basic
    /// offset table (may be empty).
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] on out-of-order use; I/O errors.
    pub fn begin_encapsulated(&mut self, offset_table: &[u32]) -> Result<()> {
        self.start_encapsulated(offset_table.len())?;
        for v in offset_table {
            self.put_u32(*v)?;
        }
        self.pixel = Pixel::InEncapsulated;
        Ok(())
    }

    /// Starts encapsulated Pixel Data (7FE0,0010) with room for a basic
    /// offset table of `entries` offsets, written by
    /// [`DicomWriter::end_encapsulated_with_offsets`] once the fragments are
    /// written and their lengths known.
    ///
    /// # Errors
    ///
    /// As [`DicomWriter::begin_encapsulated`]; [`Error::WriterState`] if
    /// the transfer syntax is deflated (the output cannot be rewritten in
    /// place).
    pub fn begin_encapsulated_reserved(&mut self, entries: usize) -> Result<()> {
        if !matches!(self.sink, Some(Sink::Plain(_))) {
            return Err(Error::WriterState {
                what: "a reserved offset table needs an uncompressed output",
            });
        }
        self.start_encapsulated(entries)?;
        let at = self.flushed_file()?.stream_position();
        let at = at.map_err(stream_err("writing"))?;
        for _ in 0..entries {
            self.put_u32(0)?;
        }
        self.reserved_table = Some((at, entries));
        self.pixel = Pixel::InEncapsulated;
        Ok(())
    }

    /// Checks the order and writes the pixel data header and the header
    /// of a basic offset table of `entries` offsets.
    fn start_encapsulated(&mut self, entries: usize) -> Result<()> {
        if !self.enc().explicit || self.enc().big_endian {
            return Err(Error::WriterState {
                what: "encapsulated pixel data needs an explicit VR little endian transfer syntax",
            });
        }
        self.check_order(PIXEL_DATA)?;
        let len = entries
            .checked_mul(4)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(Error::WriterState {
                what: "offset table too long",
            })?;
        self.put_long_header(PIXEL_DATA, VR::OB, 0xFFFF_FFFF)?;
        self.put_tag(ITEM)?;
        self.put_u32(len)
    }

    /// The output file, with everything buffered written to it.
    fn flushed_file(&mut self) -> Result<&mut File> {
        match &mut self.sink {
            Some(Sink::Plain(w)) => {
                w.flush().map_err(stream_err("writing"))?;
                Ok(w.get_mut().file_mut())
            }
            _ => Err(Error::WriterState {
                what: "the output cannot be rewritten in place",
            }),
        }
    }

    /// Writes one fragment of encapsulated pixel data (padded to even length).
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] outside [`DicomWriter::begin_encapsulated`]; I/O errors.
    pub fn write_fragment(&mut self, data: &[u8]) -> Result<()> {
        let len = u32::try_from(data.len()).map_err(|_| Error::WriterState {
            what: "fragment too long",
        })?;
        self.write_fragment_with(len, |w| w.write_all(data))
    }

    /// Writes one fragment of `len` bytes produced by `fill` (padded to even
    /// length).
    ///
    /// # Errors
    ///
    /// As [`DicomWriter::write_fragment`]; [`Error::WriterState`] if `fill`
    /// writes a different number of bytes.
    pub fn write_fragment_with(
        &mut self,
        len: u32,
        fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
    ) -> Result<()> {
        if self.pixel != Pixel::InEncapsulated {
            return Err(Error::WriterState {
                what: "fragment written outside encapsulated pixel data",
            });
        }
        let padded = len.checked_add(len % 2).ok_or(Error::WriterState {
            what: "fragment too long",
        })?;
        self.put_tag(ITEM)?;
        self.put_u32(padded)?;
        let sink = self.sink()?;
        let mut counter = Counting { inner: sink, n: 0 };
        fill(&mut counter).map_err(stream_err("writing a fragment"))?;
        if counter.n != u64::from(len) {
            return Err(Error::WriterState {
                what: "fragment length differs from the declared length",
            });
        }
        if len % 2 == 1 {
            self.sink()?
                .write_all(&[0])
                .map_err(stream_err("writing"))?;
        }
        Ok(())
    }

    /// Ends encapsulated pixel data.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] outside [`DicomWriter::begin_encapsulated`],
    /// or after [`DicomWriter::begin_encapsulated_reserved`] (end with
    /// [`DicomWriter::end_encapsulated_with_offsets`]); I/O errors.
    pub fn end_encapsulated(&mut self) -> Result<()> {
        if self.reserved_table.is_some() {
            return Err(Error::WriterState {
                what: "a reserved offset table was not filled in",
            });
        }
        self.finish_encapsulated()
    }

    fn finish_encapsulated(&mut self) -> Result<()> {
        if self.pixel != Pixel::InEncapsulated {
            return Err(Error::WriterState {
                what: "end of encapsulated pixel data without a start",
            });
        }
        self.put_tag(SEQUENCE_DELIMITATION_ITEM)?;
        self.put_u32(0)?;
        self.pixel = Pixel::Done;
        Ok(())
    }

    /// Ends encapsulated pixel data started with
    /// [`DicomWriter::begin_encapsulated_reserved`], writing `offset_table`
    /// into the room reserved for it.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] without a reserved table, or if
    /// `offset_table` does not have the reserved number of entries; I/O
    /// errors.
    pub fn end_encapsulated_with_offsets(&mut self, offset_table: &[u32]) -> Result<()> {
        let Some((at, entries)) = self.reserved_table else {
            return Err(Error::WriterState {
                what: "no reserved offset table",
            });
        };
        if offset_table.len() != entries {
            return Err(Error::WriterState {
                what: "offset table size differs from the reserved size",
            });
        }
        self.finish_encapsulated()?;
        self.reserved_table = None;
        let bytes: Vec<u8> = offset_table.iter().flat_map(|v| v.to_le_bytes()).collect();
        let file = self.flushed_file()?;
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.write_all(&bytes))
            .and_then(|()| file.seek(SeekFrom::End(0)))
            .map_err(stream_err("writing the offset table"))?;
        Ok(())
    }

    /// Finishes the file: flush, `fsync`, move into place, `fsync` the folder.
    ///
    /// # Errors
    ///
    /// [`Error::WriterState`] if encapsulated pixel data was left open;
    /// [`Error::Exists`] if the target appeared meanwhile and overwriting is
    /// off; I/O errors. On error the temporary file is removed.
    pub fn commit(self) -> Result<()> {
        self.finish()?.commit()
    }

    /// Finishes writing without making the file durable or visible yet: the
    /// bytes are in a temporary file next to the target, returned as a
    /// [`PendingFile`]. Commit many pending files at once with
    /// [`commit_all`], which replaces one `fsync` per file by one file
    /// system sync per batch (an order of magnitude faster for many small
    /// files) with the same guarantee: nothing appears under a final name
    /// before its bytes are on disk.
    ///
    /// # Errors
    ///
    /// As [`DicomWriter::commit`], except the rename-related ones.
    pub fn finish(mut self) -> Result<PendingFile> {
        if self.pixel == Pixel::InEncapsulated {
            return Err(Error::WriterState {
                what: "encapsulated pixel data not ended",
            });
        }
        let sink = self.sink.take().ok_or(Error::WriterState {
            what: "writer already finished",
        })?;
        let buf = match sink {
            Sink::Plain(w) => w,
            Sink::Deflate(d) => d
                .finish()
                .map_err(|e| Error::io("cannot write", &self.path, e))?,
        };
        let file = buf
            .into_inner()
            .map_err(|e| Error::io("cannot write", &self.path, e.into_error()))?;
        Ok(PendingFile { file })
    }
}

fn create_error(path: &Path, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::AlreadyExists {
        Error::Exists {
            path: path.to_path_buf(),
        }
    } else if e.kind() == io::ErrorKind::InvalidInput {
        // The file to replace is refused (other hard links, not a file).
        Error::io("cannot replace", path, e)
    } else {
        let dir = path.parent().unwrap_or(Path::new("."));
        Error::io("cannot create a temporary file in", dir, e)
    }
}

fn commit_error(path: &Path, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::AlreadyExists {
        Error::Exists {
            path: path.to_path_buf(),
        }
    } else {
        Error::io("cannot move into place", path, e)
    }
}

/// A value being written at chosen offsets, from any number of threads
/// ([`DicomWriter::write_native_pixel_at`]).
#[derive(Debug)]
pub struct PositionedValue<'a> {
    file: &'a File,
    base: u64,
    len: u64,
    written: std::sync::atomic::AtomicU64,
}

impl PositionedValue<'_> {
    /// The value's length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// `true` for an empty value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes `bytes` at `offset` bytes into the value.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] if the range is outside the value;
    /// I/O errors.
    pub fn write_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let end = offset.checked_add(bytes.len() as u64);
        if end.is_none_or(|e| e > self.len) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "write outside the value",
            ));
        }
        write_all_at(self.file, bytes, self.base + offset)?;
        self.written
            .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(unix)]
fn write_all_at(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(not(unix))]
fn write_all_at(_file: &File, _bytes: &[u8], _at: u64) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "positional writes are not supported on this platform",
    ))
}

/// A fully written file in a temporary location, not yet durable nor under
/// its final name (see [`DicomWriter::finish`]). Dropping it removes the
/// temporary file.
#[derive(Debug)]
pub struct PendingFile {
    file: AtomicFile,
}

impl PendingFile {
    /// The final path.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// `fsync`s the file, moves it into place and `fsync`s the folder.
    ///
    /// # Errors
    ///
    /// [`Error::Exists`] if the target exists and overwriting is off; I/O
    /// errors. On error the temporary file is removed.
    pub fn commit(self) -> Result<()> {
        let path = self.file.path().to_path_buf();
        self.file.commit().map_err(|e| commit_error(&path, e))
    }
}

/// Commits many [`PendingFile`]s: one sync of each file system involved
/// (`syncfs` on Linux; one `fsync` per file elsewhere), then the renames,
/// then one `fsync` per folder. Returns each final path with its result,
/// in the order of `files`.
///
/// # Security
///
/// The guarantee is the same as [`PendingFile::commit`]'s: a file appears
/// under its final name only after its bytes are on stable storage, so a
/// crash leaves either the complete file or none (plus, at worst, a
/// `.radguard-*.part` temporary file).
#[must_use]
pub fn commit_all(files: Vec<PendingFile>) -> Vec<(PathBuf, Result<()>)> {
    radguard_core::fs::commit_all(files.into_iter().map(|f| f.file).collect())
        .into_iter()
        .map(|(path, r)| {
            let r = r.map_err(|e| commit_error(&path, e));
            (path, r)
        })
        .collect()
}

struct Counting<'a> {
    inner: &'a mut Sink,
    n: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a whole in-memory file atomically (see [`DicomWriter`]).
///
/// # Errors
///
/// As [`DicomWriter::create`], [`DicomWriter::write_elements`] and
/// [`DicomWriter::commit`].
pub fn write_file(
    path: impl AsRef<Path>,
    object: &FileDicomObject<InMemDicomObject>,
    opts: &WriteOptions,
) -> Result<()> {
    let mut w = DicomWriter::create(path.as_ref(), object.meta(), opts)?;
    w.write_elements(object.iter())?;
    w.commit()
}

/// Encodes a whole in-memory file into bytes (zero preamble, `DICM`, file
/// meta, data set), as [`write_file`] would write it.
///
/// # Errors
///
/// [`Error::UnsupportedTransferSyntax`]; [`Error::Encode`].
pub fn to_bytes(object: &FileDicomObject<InMemDicomObject>) -> Result<Vec<u8>> {
    let info = ts::lookup(&object.meta().transfer_syntax)?;
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    let mut meta = object.meta().clone();
    meta.update_information_group_length();
    meta.write(&mut out).map_err(|e| Error::Encode {
        source: Box::new(e),
    })?;
    let ts = ts::element_ts(&info)?;
    if info.deflated {
        let mut enc = ChunkedDeflate::new(out);
        object
            .write_dataset_with_ts(&mut enc, ts)
            .map_err(|e| Error::Encode {
                source: Box::new(e),
            })?;
        return enc.finish().map_err(stream_err("deflating"));
    }
    object
        .write_dataset_with_ts(&mut out, ts)
        .map_err(|e| Error::Encode {
            source: Box::new(e),
        })?;
    Ok(out)
}
