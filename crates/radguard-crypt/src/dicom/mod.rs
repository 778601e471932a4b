//! Encrypting and decrypting the pixel data of DICOM files, and every
//! other place in them where an image or identifying bulk data can hide.
//!
//! The protected elements are replaced by a private block that holds the
//! envelope and the ciphertext; every other element stays as it was, so
//! the file is still a DICOM file that archives index by its header. The
//! layout is specified in [`crate::format`].
//!
//! # What is protected (format v2)
//!
//! Everywhere in the data set, nested sequences included:
//!
//! - Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) and Double
//!   Float Pixel Data (7FE0,0009), at the top level and nested (icon
//!   images of the Icon Image Sequence (0088,0200), images in private
//!   sequences);
//! - Overlay Data (60xx,3000), Curve Data (50xx,3000) and Audio Sample
//!   Data (50xx,200C) of the retired curve groups;
//! - Encapsulated Document (0042,0011), Waveform Data (5400,1010) and
//!   Spectroscopy Data (5600,0020);
//! - every private data element (odd group, element number 1000 or more)
//!   with VR OB, OW, OF, OD, OL, OV or UN whose value has at least
//!   [`EncryptOptions::private_threshold`] bytes (default 16: every value
//!   that holds a 16-byte run). A private sequence that arrives as UN (in
//!   Implicit VR, or written as UN) is such a value: it is encrypted whole,
//!   images nested in it included;
//! - a public sequence that arrived as UN and could not be read as one.
//!
//! Each is encrypted in the same stream as the pixel data, under the same
//! data key, and put back bit for bit by [`decrypt_file`]. A value that
//! cannot be taken out and restored exactly is refused
//! ([`Error::Unprotectable`], naming it) rather than left readable.
//! Private values of other VRs (text) are not bulk data and stay readable.
//!
//! # What is bound (format v2)
//!
//! The attributes that interpret the pixels, wherever they occur, and the
//! instance's identity are stored in the envelope and compared with the
//! file on decryption: a change is refused, naming the attribute
//! ([`Error::HeaderChanged`]). The Patient ID is kept as a keyed digest: a
//! changed patient is reported ([`EncryptionInfo::patient_changed`]) and,
//! with [`DecryptOptions::strict`], refused. [`crate::format`] §5.3 lists
//! every bound attribute.
//!
//! | function | what it does |
//! |---|---|
//! | [`encrypt_file`] | pixel data → ciphertext, under a fresh data key wrapped by a [`KeyProvider`] |
//! | [`decrypt_file`] | the reverse; nothing is written unless every segment authenticates |
//! | [`rewrap_file`] | rotation: re-wraps the data key under another key-encryption key, ciphertext copied unchanged |
//! | [`encryption_info`] | reads an encrypted file's envelope without any key (key id, layout) |
//! | [`EncryptedFile`] | random access: decrypt one frame without reading the others |

mod bound;
mod descriptor;
mod policy;

use std::io::{self, Write};
use std::path::Path;

use radguard_core::{AttrPath, AttrTag, KeyId, SecretKey};
use radguard_dicom::dicom::core::header::Header;
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::tags::{self, NUMBER_OF_FRAMES, SOP_INSTANCE_UID, is_pixel_data, to_attr};
use radguard_dicom::text::{trim_value, trim_value_bytes};
use radguard_dicom::{DicomFile, DicomWriter, PixelLayout, ReadOptions, SplitFile, WriteOptions};

pub use self::policy::DEFAULT_PRIVATE_THRESHOLD;

use self::descriptor::{Descriptor, ExtraDescriptor, Kind, PixelDescriptor, allowed_vr};
use crate::cipher::{SegmentCipher, compact};
use crate::envelope::{Envelope, VERSION_2};
use crate::error::{Error, Result};
use crate::exec::{Executor, Sequential};
use crate::layout::Layout;
use crate::provider::KeyProvider;
use crate::stream::{Batching, DEFAULT_BATCH, PositionedIo, open_range, seal_range, seal_range_at};

/// The private group of the radguard-crypt block.
pub const PRIVATE_GROUP: u16 = 0x7FE1;
/// The private creator element reserving block `0x52` of group 7FE1.
pub const CREATOR_TAG: Tag = Tag(PRIVATE_GROUP, 0x0052);
/// The private creator value.
pub const PRIVATE_CREATOR: &str = "RADGUARD CRYPT";
/// The element holding the envelope (OB).
pub const ENVELOPE_TAG: Tag = Tag(PRIVATE_GROUP, 0x5201);
/// The element holding the ciphertext of every segment, in order (OB).
pub const CIPHERTEXT_TAG: Tag = Tag(PRIVATE_GROUP, 0x5202);
const CONTEXT_LABEL: &[u8] = b"radguard-crypt dicom v1\0";
/// The context of format v2 (every bound value is in the envelope).
const CONTEXT_V2: &[u8] = b"radguard-crypt dicom v2\0";
/// Largest ciphertext element (one DICOM value, even length).
const MAX_VALUE: u64 = 0xFFFF_FFFE;

fn in_block(tag: Tag) -> bool {
    tag.0 == PRIVATE_GROUP && tag.1 >> 8 == 0x52
}

/// Options for [`encrypt_file`].
///
/// # Examples
///
/// ```
/// use radguard_crypt::{Layout, Threads};
/// use radguard_crypt::dicom::EncryptOptions;
///
/// let threads = Threads::available();
/// let opts = EncryptOptions::new()
///     .segment_size(Layout::DEFAULT_SEGMENT_SIZE)
///     .executor(&threads);
/// # let _ = opts;
/// ```
#[derive(Clone, Copy)]
pub struct EncryptOptions<'a> {
    kek: Option<&'a KeyId>,
    segment_size: u32,
    private_threshold: u32,
    run: RunOptions<'a>,
}

/// Options for [`decrypt_file`] and [`rewrap_file`].
#[derive(Clone, Copy, Default)]
pub struct DecryptOptions<'a> {
    strict: bool,
    run: RunOptions<'a>,
}

#[derive(Clone, Copy)]
struct RunOptions<'a> {
    exec: &'a dyn Executor,
    io_threads: usize,
    batch_bytes: usize,
    progress: Option<&'a (dyn Fn(u64) + Sync)>,
    write: WriteOptions,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        Self {
            exec: &Sequential,
            io_threads: 1,
            batch_bytes: DEFAULT_BATCH,
            progress: None,
            write: WriteOptions::new(),
        }
    }
}

impl RunOptions<'_> {
    fn batching(&self) -> Batching<'_> {
        Batching {
            exec: self.exec,
            batch_bytes: self.batch_bytes,
            progress: self.progress,
        }
    }
}

impl core::fmt::Debug for EncryptOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EncryptOptions")
            .field("kek", &self.kek)
            .field("segment_size", &self.segment_size)
            .field("private_threshold", &self.private_threshold)
            .field("batch_bytes", &self.run.batch_bytes)
            .field("write", &self.run.write)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for DecryptOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DecryptOptions")
            .field("strict", &self.strict)
            .field("batch_bytes", &self.run.batch_bytes)
            .field("write", &self.run.write)
            .finish_non_exhaustive()
    }
}

impl Default for EncryptOptions<'_> {
    fn default() -> Self {
        Self {
            kek: None,
            segment_size: Layout::DEFAULT_SEGMENT_SIZE,
            private_threshold: DEFAULT_PRIVATE_THRESHOLD,
            run: RunOptions::default(),
        }
    }
}

macro_rules! run_setters {
    () => {
        /// Spreads segments over `exec` (default: [`Sequential`]).
        #[must_use]
        pub fn executor(mut self, exec: &'a dyn Executor) -> Self {
            self.run.exec = exec;
            self
        }

        /// Threads that read, and threads that write, each batch while
        /// encrypting (default 1; the CLI uses `--jobs`; decryption ignores
        /// it): on memory-backed storage copying bytes in and out of the
        /// page cache costs as much CPU as the cipher.
        #[must_use]
        pub fn io_threads(mut self, n: usize) -> Self {
            self.run.io_threads = n.max(1);
            self
        }

        /// Bytes of ciphertext held in memory per batch (default 8 MiB, at
        /// least one segment). Peak memory is about four batches (encrypting
        /// reads, seals and writes batches at the same time) plus the header.
        #[must_use]
        pub fn batch_bytes(mut self, bytes: usize) -> Self {
            self.run.batch_bytes = bytes;
            self
        }

        /// Calls `f` with the number of plaintext bytes done after each batch.
        #[must_use]
        pub fn progress(mut self, f: &'a (dyn Fn(u64) + Sync)) -> Self {
            self.run.progress = Some(f);
            self
        }

        /// Allows replacing an existing output file (default: refuse).
        #[must_use]
        pub fn overwrite(mut self, yes: bool) -> Self {
            self.run.write = self.run.write.overwrite(yes);
            self
        }

        /// When an existing output file is replaced (in-place rotation),
        /// gives the new file its owner, group, mode, times, ACLs and
        /// extended attributes, and refuses to replace a file with other
        /// hard links (see [`radguard_dicom::WriteOptions::keep_metadata`]).
        #[must_use]
        pub fn keep_metadata(mut self, yes: bool) -> Self {
            self.run.write = self.run.write.keep_metadata(yes);
            self
        }
    };
}

impl<'a> EncryptOptions<'a> {
    /// Default options: the provider's primary key, 256 KiB segments,
    /// sequential, 8 MiB batches, never overwrite.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps the data key under `kek` instead of the provider's primary key.
    #[must_use]
    pub fn kek(mut self, kek: &'a KeyId) -> Self {
        self.kek = Some(kek);
        self
    }

    /// Plaintext bytes per segment within a frame (default
    /// [`Layout::DEFAULT_SEGMENT_SIZE`], 256 KiB).
    #[must_use]
    pub fn segment_size(mut self, bytes: u32) -> Self {
        self.segment_size = bytes;
        self
    }

    /// Private OB, OW, OF, OD, OL, OV and UN values of at least this many
    /// bytes are protected (default [`DEFAULT_PRIVATE_THRESHOLD`], 16; 0
    /// counts as 1: every non-empty value).
    ///
    /// # Security
    ///
    /// Above 16, private values shorter than the threshold stay readable,
    /// and a 16-byte run of such a value can appear in the output.
    #[must_use]
    pub fn private_threshold(mut self, bytes: u32) -> Self {
        self.private_threshold = bytes;
        self
    }

    run_setters!();
}

impl<'a> DecryptOptions<'a> {
    /// Default options: sequential, 8 MiB batches, never overwrite, a
    /// changed Patient ID reported but not refused.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses ([`Error::PatientChanged`]) a format v2 file whose Patient
    /// ID differs from the one at encryption, instead of only reporting it
    /// in [`EncryptionInfo::patient_changed`].
    #[must_use]
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    run_setters!();
}

/// What an encrypted file holds, as read from its envelope (no key needed
/// for [`encryption_info`]; authenticated once decrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncryptionInfo {
    /// The key-encryption key the data key is wrapped under.
    pub key_id: KeyId,
    /// The format version (1 or 2).
    pub version: u8,
    /// The top-level pixel data element (Pixel Data, Float or Double Float
    /// Pixel Data), if the file had one.
    pub pixel_tag: Option<AttrTag>,
    /// Every protected element, top-level pixel data first.
    pub protected: Vec<AttrPath>,
    /// `true` for encapsulated (compressed) pixel data.
    pub encapsulated: bool,
    /// Number of Frames at encryption (1 if absent; 0 without top-level
    /// pixel data).
    pub frames: u32,
    /// Units (frames or fragments) in the segment table.
    pub units: usize,
    /// Segments.
    pub segments: u64,
    /// Bytes encrypted (pixel data fragments only, for encapsulated data;
    /// other protected elements included).
    pub plaintext_bytes: u64,
    /// Format v2, after decryption: the Patient ID differs from the one at
    /// encryption (the keyed digest in the envelope does not match). Always
    /// `false` from [`encryption_info`] and [`encrypt_file`].
    pub patient_changed: bool,
}

/// What [`rewrap_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rewrap {
    /// The data key was re-wrapped from `from` to `to`.
    Rewrapped {
        /// The previous key-encryption key.
        from: KeyId,
        /// The new one.
        to: KeyId,
    },
    /// The data key was already wrapped under the requested key; nothing was
    /// written.
    Unchanged,
}

fn info_of(env: &Envelope, desc: &Descriptor) -> EncryptionInfo {
    let pixel = desc.pixel.as_ref();
    let mut protected: Vec<AttrPath> = pixel
        .map(|p| AttrPath::root().child(to_attr(p.tag)))
        .into_iter()
        .collect();
    protected.extend(desc.extras.iter().map(|e| e.path.clone()));
    EncryptionInfo {
        key_id: env.kek_id().clone(),
        version: desc.version,
        pixel_tag: pixel.map(|p| to_attr(p.tag)),
        protected,
        encapsulated: pixel.is_some_and(|p| matches!(p.kind, Kind::Encapsulated { .. })),
        frames: pixel.map_or(0, |p| p.frames),
        units: env.layout().unit_count(),
        segments: env.layout().segment_count(),
        plaintext_bytes: env.layout().plaintext_len(),
        patient_changed: false,
    }
}

/// The context bound to every segment but not stored in the envelope: the
/// SOP Instance UID and transfer syntax read from the file itself.
fn context_of(file: &DicomFile) -> Vec<u8> {
    let sop = sop_instance_uid(file.dataset());
    let ts = trim_value(&file.meta().transfer_syntax).to_owned();
    context_bytes(&sop, ts.as_bytes())
}

/// The SOP Instance UID's value bytes without leading or trailing spaces
/// and NULs (raw bytes: the element may be read as UN).
fn sop_instance_uid(ds: &InMemDicomObject) -> Vec<u8> {
    ds.get(SOP_INSTANCE_UID)
        .and_then(|e| e.to_bytes().ok())
        .map(|b| trim_value_bytes(&b).to_vec())
        .unwrap_or_default()
}

/// The context of format §5.3 for a SOP Instance UID and a transfer syntax
/// (exposed for known-answer tests and other implementations' checks).
#[doc(hidden)]
#[must_use]
pub fn context_bytes(sop_instance_uid: &[u8], transfer_syntax: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(CONTEXT_LABEL.len() + 8 + 128);
    v.extend_from_slice(CONTEXT_LABEL);
    for s in [sop_instance_uid, transfer_syntax] {
        // Values come from one DICOM element (< 4 GiB).
        v.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
        v.extend_from_slice(s);
    }
    v
}

/// How native pixel data is cut into units: one per frame when the Image
/// Pixel attributes describe whole-byte frames that fit the value, else one
/// unit. Returns the unit lengths and the number of frame units.
fn native_units(ds: &InMemDicomObject, len: u32, frames: u32) -> (Vec<u64>, u32) {
    let us = |t: Tag| ds.get(t).and_then(|e| e.to_int::<u64>().ok());
    let whole = (vec![u64::from(len)], 0);
    let (Some(rows), Some(cols), Some(bits)) =
        (us(tags::ROWS), us(tags::COLUMNS), us(tags::BITS_ALLOCATED))
    else {
        return whole;
    };
    let spp = us(tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    let Some(frame_bits) = rows
        .checked_mul(cols)
        .and_then(|v| v.checked_mul(spp))
        .and_then(|v| v.checked_mul(bits))
    else {
        return whole;
    };
    if frame_bits == 0 || frame_bits % 8 != 0 || frames == 0 {
        return whole;
    }
    let frame_len = frame_bits / 8;
    let Some(total) = frame_len.checked_mul(u64::from(frames)) else {
        return whole;
    };
    if total > u64::from(len) || frames as usize > Layout::MAX_UNITS - 1 {
        return whole;
    }
    let mut units = vec![frame_len; frames as usize];
    if u64::from(len) > total {
        units.push(u64::from(len) - total);
    }
    (units, frames)
}

/// The Patient ID digest (known-answer tests).
#[cfg(test)]
pub(crate) fn patient_digest_for_kat(key: &[u8; 32], ds: &InMemDicomObject) -> [u8; 32] {
    bound::patient_digest(key, ds)
}

fn frames_of(ds: &InMemDicomObject) -> u32 {
    ds.get(NUMBER_OF_FRAMES)
        .and_then(|e| e.to_int::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

/// Runs `f` inside a radguard-dicom streaming callback, keeping our own
/// error instead of the generic I/O error the callback must return.
fn with_failure<T>(failure: &mut Option<Error>, r: Result<T>) -> io::Result<T> {
    r.map_err(|e| {
        *failure = Some(e);
        io::Error::other("radguard-crypt stopped the stream")
    })
}

fn finish<T>(failure: Option<Error>, r: radguard_dicom::Result<T>) -> Result<T> {
    match failure {
        Some(e) => Err(e),
        None => r.map_err(Error::from),
    }
}

fn io_write(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).map_err(|source| Error::Io {
        op: "writing the output",
        source,
    })
}

/// Encrypts the pixel data of the DICOM file `input` into `output`, with
/// every other protected element (see the [module documentation](self)).
///
/// The top-level Pixel Data (7FE0,0010) — or Float / Double Float Pixel
/// Data — and the protected elements found in the header are removed and
/// replaced by the private block of [`crate::format`] (format v2): a fresh
/// random data key is wrapped by `provider` (under its primary key or
/// [`EncryptOptions::kek`]); native pixel data is cut into one unit per
/// frame, encapsulated pixel data into one unit per fragment, each other
/// protected element is one unit (one per fragment if encapsulated), and
/// units are cut into segments. The bound attributes and the Patient ID
/// digest go into the envelope. Every other element is kept. The pixel
/// data is streamed: memory stays around [`EncryptOptions::batch_bytes`]
/// plus the header, whatever the file size.
///
/// The output is written atomically ([`DicomWriter`]): on any error no file
/// appears at `output`.
///
/// # Errors
///
/// [`Error::NoPixelData`] when nothing is to be protected;
/// [`Error::AlreadyEncrypted`]; [`Error::Unprotectable`] naming an element
/// the policy covers but that cannot be restored exactly;
/// [`Error::Unsupported`] for files that cannot be encrypted safely as
/// they are (no SOP Instance UID to bind to; a foreign private creator in
/// slot (7FE1,0052); more than 4 GiB of ciphertext);
/// [`Error::Dicom`] for unreadable input or write failures; the provider's
/// errors.
///
/// # Examples
///
/// ```no_run
/// use radguard_crypt::{LocalKeyring, Threads};
/// use radguard_crypt::dicom::{encrypt_file, decrypt_file, EncryptOptions, DecryptOptions};
///
/// let ring = LocalKeyring::open("keyring")?;
/// let threads = Threads::available();
/// encrypt_file("ct.dcm", "ct.enc.dcm", &ring, &EncryptOptions::new().executor(&threads))?;
/// decrypt_file("ct.enc.dcm", "ct.dec.dcm", &ring, &DecryptOptions::new())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encrypt_file(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    provider: &dyn KeyProvider,
    opts: &EncryptOptions<'_>,
) -> Result<EncryptionInfo> {
    let split = ReadOptions::new().open_split(input.as_ref())?;
    let ds = split.header().dataset();
    if ds
        .get(CREATOR_TAG)
        .is_some_and(|e| is_our_creator(e.value()))
    {
        return Err(Error::AlreadyEncrypted);
    }
    if ds.get(CREATOR_TAG).is_some() || ds.iter().any(|e| in_block(e.tag())) {
        return Err(Error::Unsupported {
            what: "private block (7FE1,0052) is used by another creator",
        });
    }
    let px = split.pixel_data().cloned();
    if px.as_ref().is_some_and(|p| !allowed_vr(p.vr())) {
        return Err(Error::Unsupported {
            what: "pixel data with a VR other than OB, OW, OF, OD or UN",
        });
    }
    let extras = policy::find(ds, opts.private_threshold)?;
    if px.is_none() && extras.is_empty() {
        return Err(Error::NoPixelData);
    }
    if sop_instance_uid(ds).is_empty() {
        return Err(Error::Unsupported {
            what: "no SOP Instance UID to bind the ciphertext to",
        });
    }
    let (pixel, mut unit_lens) = match &px {
        None => (None, Vec::new()),
        Some(px) => {
            let (units, desc) = pixel_units(ds, px)?;
            (Some(desc), units)
        }
    };
    let pixel_units = unit_lens.len();
    for x in &extras {
        unit_lens.extend(x.units.iter().map(|u| u.len() as u64));
    }
    let layout = Layout::new(opts.segment_size, unit_lens)?;
    let ct_len = layout.ciphertext_len();
    if ct_len + ct_len % 2 > MAX_VALUE {
        return Err(Error::Unsupported {
            what: "more than 4 GiB of ciphertext (the format limit for one instance)",
        });
    }
    let ts = trim_value(&split.header().meta().transfer_syntax).to_owned();
    let data_key = SecretKey::generate().map_err(|_| Error::Random)?;
    let mut salt = [0u8; 32];
    crate::kdf::random(&mut salt)?;
    let desc = Descriptor {
        version: 2,
        pixel,
        pixel_units,
        extras: extras
            .iter()
            .map(|x| ExtraDescriptor {
                path: x.path.clone(),
                vr: x.vr,
                value_type: x.value_type,
                units: u32::try_from(x.units.len()).unwrap_or(u32::MAX),
                offset_table: x.offset_table.clone(),
            })
            .collect(),
        bound: bound::collect(ds, &ts),
        patient_digest: bound::patient_digest(&crate::kdf::patient_key(&data_key, &salt), ds),
    };
    let (mut envelope, cipher) = Envelope::create_with(
        provider,
        opts.kek,
        layout,
        &desc.encode_v2(),
        CONTEXT_V2,
        &data_key,
        salt,
    )?;
    drop(data_key);
    envelope.version = VERSION_2;
    let info = info_of(&envelope, &desc);

    let mut header = ds.clone();
    for x in &extras {
        policy::remove_at(&mut header, &x.path);
    }
    header.put(DataElement::new(
        CREATOR_TAG,
        VR::LO,
        PrimitiveValue::from(PRIVATE_CREATOR),
    ));
    header.put(DataElement::new(
        ENVELOPE_TAG,
        VR::OB,
        PrimitiveValue::U8(envelope.to_bytes().into()),
    ));
    // The extra units, in stream order.
    let extra_units: Vec<&[u8]> = extras
        .iter()
        .flat_map(|x| x.units.iter().map(Vec::as_slice))
        .collect();
    let meta = split.header().meta().clone();
    let mut w = DicomWriter::create(output.as_ref(), &meta, &opts.run.write)?;
    w.write_elements(header.iter().filter(|e| e.tag() < CIPHERTEXT_TAG))?;
    let encapsulated = px.as_ref().is_some_and(|p| p.is_encapsulated());
    let batching = opts.run.batching();
    let mut failure = None;
    let ct_len = u32::try_from(ct_len).map_err(|_| Error::Unsupported {
        what: "more than 4 GiB of ciphertext (the format limit for one instance)",
    })?;
    let split = split.pixel_reader();
    let read = |seg: &crate::layout::Segment, buf: &mut [u8]| -> Result<()> {
        if seg.unit >= pixel_units {
            let unit = extra_units
                .get(seg.unit - pixel_units)
                .ok_or(Error::InvalidInput {
                    what: "unit out of range",
                })?;
            let from = usize::try_from(seg.offset_in_unit).unwrap_or(usize::MAX);
            let src = unit
                .get(from..from + buf.len())
                .ok_or(Error::InvalidInput {
                    what: "unit out of range",
                })?;
            buf.copy_from_slice(src);
            return Ok(());
        }
        if encapsulated {
            split.read_fragment_at(seg.unit, seg.offset_in_unit, buf)
        } else {
            split.read_native_at(seg.plaintext_offset, buf)
        }
        .map_err(Error::from)
    };
    let segments = 0..cipher.layout().segment_count();
    let r = if w.supports_positional() {
        w.write_native_pixel_at(CIPHERTEXT_TAG, VR::OB, ct_len, |value| {
            let write_at = |at: u64, bytes: &[u8]| -> Result<()> {
                value.write_at(at, bytes).map_err(|source| Error::Io {
                    op: "writing the output",
                    source,
                })
            };
            let io = PositionedIo {
                read: &read,
                write_at: &write_at,
                threads: opts.run.io_threads,
            };
            with_failure(
                &mut failure,
                seal_range_at(&cipher, segments, &batching, &io),
            )
        })
    } else {
        w.write_native_pixel_with(CIPHERTEXT_TAG, VR::OB, ct_len, |out| {
            let r = seal_range(
                &cipher,
                segments,
                &batching,
                &mut |s, b| read(s, b),
                &mut |ct| io_write(out, ct),
            );
            with_failure(&mut failure, r)
        })
    };
    finish(failure, r)?;
    w.write_elements(header.iter().filter(|e| e.tag() > CIPHERTEXT_TAG))?;
    w.commit()?;
    Ok(info)
}

/// The units of the top-level pixel data and its descriptor.
fn pixel_units(
    ds: &InMemDicomObject,
    px: &radguard_dicom::PixelData,
) -> Result<(Vec<u64>, PixelDescriptor)> {
    let frames = frames_of(ds);
    let (units, kind) = match px.layout() {
        PixelLayout::Native { len } => {
            let (units, frame_units) = native_units(ds, *len, frames);
            (
                units,
                Kind::Native {
                    value_len: *len,
                    frame_units,
                },
            )
        }
        PixelLayout::Encapsulated {
            offset_table,
            fragment_lens,
        } => {
            if fragment_lens.is_empty() {
                return Err(Error::Unsupported {
                    what: "encapsulated pixel data without fragments",
                });
            }
            (
                fragment_lens.iter().map(|l| u64::from(*l)).collect(),
                Kind::Encapsulated {
                    offset_table: offset_table.clone(),
                },
            )
        }
        _ => {
            return Err(Error::Unsupported {
                what: "unknown pixel data layout",
            });
        }
    };
    Ok((
        units,
        PixelDescriptor {
            tag: px.tag(),
            vr: px.vr(),
            frames,
            kind,
        },
    ))
}

fn is_our_creator(v: &radguard_dicom::dicom::core::value::Value<InMemDicomObject>) -> bool {
    v.to_bytes()
        .ok()
        .is_some_and(|b| trim_value_bytes(&b) == PRIVATE_CREATOR.as_bytes())
}

/// An encrypted file opened without keys: header, parsed envelope and
/// descriptor, the ciphertext left on disk.
struct Opened {
    split: SplitFile,
    envelope: Envelope,
    desc: Descriptor,
}

/// A file whose envelope opened and whose bound attributes match.
struct Verified {
    cipher: SegmentCipher,
    patient_changed: bool,
}

impl Opened {
    /// Unwraps the data key and checks the key commitment; for format v2,
    /// also verifies segment 0 (which authenticates the descriptor), then
    /// compares the bound attributes with the file and checks the Patient
    /// ID digest.
    fn verify(&mut self, provider: &dyn KeyProvider, strict: bool) -> Result<Verified> {
        if self.desc.version == 1 {
            let cipher = self
                .envelope
                .open(provider, &context_of(self.split.header()))?;
            return Ok(Verified {
                cipher,
                patient_changed: false,
            });
        }
        let (cipher, patient_key) = self.envelope.open_with_patient_key(provider, CONTEXT_V2)?;
        let first = cipher.layout().segment(0);
        let mut buf = vec![0u8; first.ciphertext_len()];
        self.split.read_native_at(0, &mut buf)?;
        cipher.open_segment(0, &mut buf)?;
        drop(buf);
        // The descriptor is authentic from here on.
        let header = self.split.header();
        let ts = trim_value(&header.meta().transfer_syntax).to_owned();
        bound::compare(&self.desc.bound, &bound::collect(header.dataset(), &ts))?;
        let digest = bound::patient_digest(&patient_key, header.dataset());
        let patient_changed = !crate::kdf::ct_eq(&digest, &self.desc.patient_digest);
        if patient_changed && strict {
            return Err(Error::PatientChanged);
        }
        Ok(Verified {
            cipher,
            patient_changed,
        })
    }

    /// Decrypts the protected elements held in memory and puts them back
    /// into `header` at their paths.
    fn restore_extras(
        &mut self,
        cipher: &SegmentCipher,
        header: &mut InMemDicomObject,
        exec: &dyn Executor,
    ) -> Result<()> {
        let layout = cipher.layout();
        let mut unit = self.desc.pixel_units;
        for x in &self.desc.extras {
            let n = x.units as usize;
            let mut units = Vec::with_capacity(n);
            for u in unit..unit + n {
                let r = layout.unit_ciphertext_range(u);
                let len = usize::try_from(r.end - r.start).map_err(|_| Error::Decrypt)?;
                let mut buf = vec![0u8; len];
                self.split.read_native_at(r.start, &mut buf)?;
                let first = layout.unit_segments(u).start;
                cipher.open_segments(first, &mut buf, exec)?;
                units.push(compact(&mut buf, layout, first));
            }
            unit += n;
            let element =
                policy::rebuild(&x.path, x.vr, x.value_type, units, x.offset_table.clone())?;
            policy::insert_at(header, &x.path, element)?;
        }
        Ok(())
    }
}

fn open_encrypted(path: &Path) -> Result<Opened> {
    let mut split = ReadOptions::new()
        .split_tag(CIPHERTEXT_TAG)
        .open_split(path)?;
    let ds = split.header().dataset();
    let ours = ds
        .get(CREATOR_TAG)
        .is_some_and(|e| is_our_creator(e.value()));
    let block_present = ds.iter().any(|e| in_block(e.tag()))
        || split
            .pixel_data()
            .is_some_and(|p| p.tag() == CIPHERTEXT_TAG);
    if !ours {
        return Err(if block_present {
            Error::Decrypt
        } else {
            Error::NotEncrypted
        });
    }
    // Exactly the envelope in the block (the ciphertext was split off),
    // and no pixel data left in the clear.
    if ds
        .iter()
        .any(|e| in_block(e.tag()) && e.tag() != ENVELOPE_TAG)
        || ds.iter().any(|e| is_pixel_data(e.tag()))
    {
        return Err(Error::Decrypt);
    }
    let env_elem = ds.get(ENVELOPE_TAG).ok_or(Error::Decrypt)?;
    if !matches!(env_elem.vr(), VR::OB | VR::UN) {
        return Err(Error::Decrypt);
    }
    let bytes = env_elem.to_bytes().map_err(|_| Error::Decrypt)?;
    let (envelope, used) = Envelope::parse_prefix(&bytes)?;
    let rest = &bytes[used..];
    if !(rest.is_empty() || (rest == [0] && used % 2 == 1)) {
        return Err(Error::Decrypt);
    }
    let desc = Descriptor::parse(envelope.version(), envelope.metadata(), envelope.layout())?;
    let px = split.pixel_data().ok_or(Error::Decrypt)?;
    let PixelLayout::Native { len } = px.layout() else {
        return Err(Error::Decrypt);
    };
    let len = u64::from(*len);
    let ct_len = envelope.layout().ciphertext_len();
    if px.tag() != CIPHERTEXT_TAG || !matches!(px.vr(), VR::OB | VR::UN) {
        return Err(Error::Decrypt);
    }
    if len != ct_len {
        // The only extra byte allowed is the zero that pads an odd length.
        if !(ct_len % 2 == 1 && len == ct_len + 1) {
            return Err(Error::Decrypt);
        }
        let mut pad = [0u8; 1];
        split.read_native_at(ct_len, &mut pad)?;
        if pad != [0] {
            return Err(Error::Decrypt);
        }
    }
    Ok(Opened {
        split,
        envelope,
        desc,
    })
}

/// Reads an encrypted file's envelope without any key: which key it is
/// under and how it is laid out. `Ok(None)` for a file that is not
/// encrypted by radguard-crypt.
///
/// # Errors
///
/// [`Error::Decrypt`] for a malformed or tampered block (the parts that
/// can be checked without a key); [`Error::Dicom`] for unreadable files.
///
/// # Security
///
/// The envelope is not authenticated until decryption; use this for key
/// management (which files does a key protect?), not for trust decisions.
pub fn encryption_info(path: impl AsRef<Path>) -> Result<Option<EncryptionInfo>> {
    match open_encrypted(path.as_ref()) {
        Ok(o) => Ok(Some(info_of(&o.envelope, &o.desc))),
        Err(Error::NotEncrypted) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Decrypts the file `input` encrypted by [`encrypt_file`] into `output`,
/// restoring the original pixel data element and every other protected
/// element bit for bit and removing the private block.
///
/// Format v2: before anything is written, the first segment is verified
/// (which authenticates the envelope's descriptor) and the bound
/// attributes are compared with the file. Then the segments are verified
/// batch by batch before their plaintext is written to the output's
/// temporary file; only when every segment has verified is the file moved
/// to `output`. On any failure the temporary file is removed and nothing
/// appears at `output`. Format v1 files decrypt as before.
///
/// # Errors
///
/// [`Error::Decrypt`] (opaque) for a wrong key, any modified, truncated,
/// reordered or moved byte of the envelope or the ciphertext (and, for
/// format v1, a changed SOP Instance UID or transfer syntax);
/// [`Error::HeaderChanged`] naming a bound attribute that changed
/// (format v2); [`Error::PatientChanged`] with
/// [`DecryptOptions::strict`]; [`Error::NotEncrypted`];
/// [`Error::UnknownKey`], [`Error::KeyDestroyed`] and other provider
/// errors; [`Error::Dicom`] for unreadable input or write failures.
pub fn decrypt_file(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    provider: &dyn KeyProvider,
    opts: &DecryptOptions<'_>,
) -> Result<EncryptionInfo> {
    let mut opened = open_encrypted(input.as_ref())?;
    let Verified {
        cipher,
        patient_changed,
    } = opened.verify(provider, opts.strict)?;
    let mut info = info_of(&opened.envelope, &opened.desc);
    info.patient_changed = patient_changed;
    let mut header = opened.split.header().dataset().clone();
    header.remove_element(CREATOR_TAG);
    header.remove_element(ENVELOPE_TAG);
    opened.restore_extras(&cipher, &mut header, opts.run.exec)?;
    let Opened {
        mut split, desc, ..
    } = opened;
    let meta = split.header().meta().clone();
    let mut w = DicomWriter::create(output.as_ref(), &meta, &opts.run.write)?;
    let Some(pixel) = &desc.pixel else {
        w.write_elements(header.iter())?;
        w.commit()?;
        return Ok(info);
    };
    w.write_elements(header.iter().filter(|e| e.tag() < pixel.tag))?;
    let batching = opts.run.batching();
    let layout = cipher.layout().clone();
    let mut read_ct =
        |off: u64, buf: &mut [u8]| split.read_native_at(off, buf).map_err(Error::from);
    match &pixel.kind {
        Kind::Native { value_len, .. } => {
            let mut failure = None;
            let segments = 0..layout.unit_segments(desc.pixel_units.saturating_sub(1)).end;
            let r = w.write_native_pixel_with(pixel.tag, pixel.vr, *value_len, |out| {
                let r = open_range(&cipher, segments, &batching, &mut read_ct, &mut |pt| {
                    io_write(out, pt)
                });
                with_failure(&mut failure, r)
            });
            finish(failure, r)?;
        }
        Kind::Encapsulated { offset_table } => {
            w.begin_encapsulated(offset_table)?;
            for (u, len) in layout.unit_lens()[..desc.pixel_units].iter().enumerate() {
                let mut failure = None;
                // Fragment lengths were checked to fit in u32 when parsing.
                let len = u32::try_from(*len).map_err(|_| Error::Decrypt)?;
                let r = w.write_fragment_with(len, |out| {
                    let r = open_range(
                        &cipher,
                        layout.unit_segments(u),
                        &batching,
                        &mut read_ct,
                        &mut |pt| io_write(out, pt),
                    );
                    with_failure(&mut failure, r)
                });
                finish(failure, r)?;
            }
            w.end_encapsulated()?;
        }
    }
    w.write_elements(header.iter().filter(|e| e.tag() > pixel.tag))?;
    w.commit()?;
    Ok(info)
}

/// Re-wraps an encrypted file's data key under `new_kek` (the provider's
/// primary key if `None`) and writes the result to `output` (which may be
/// `input`, with [`DecryptOptions::overwrite`]): rotation of the
/// key-encryption key without re-encrypting, or even reading, the pixel
/// ciphertext, which is copied byte for byte. A file already under
/// `new_kek` is left alone ([`Rewrap::Unchanged`], nothing written).
///
/// # Errors
///
/// [`Error::Decrypt`] if the current wrapped key does not unwrap to the
/// committed data key; the provider's errors for either key;
/// [`Error::NotEncrypted`]; [`Error::Dicom`].
pub fn rewrap_file(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    provider: &dyn KeyProvider,
    new_kek: Option<&KeyId>,
    opts: &DecryptOptions<'_>,
) -> Result<Rewrap> {
    let new_kek = match new_kek {
        Some(k) => k.clone(),
        None => provider.primary_key_id()?,
    };
    let Opened {
        mut split,
        envelope,
        ..
    } = open_encrypted(input.as_ref())?;
    if *envelope.kek_id() == new_kek {
        return Ok(Rewrap::Unchanged);
    }
    let rewrapped = envelope.rewrap(provider, &new_kek)?;
    let mut header = split.header().dataset().clone();
    header.put(DataElement::new(
        ENVELOPE_TAG,
        VR::OB,
        PrimitiveValue::U8(rewrapped.to_bytes().into()),
    ));
    let meta = split.header().meta().clone();
    let mut w = DicomWriter::create(output.as_ref(), &meta, &opts.run.write)?;
    w.write_elements(header.iter().filter(|e| e.tag() < CIPHERTEXT_TAG))?;
    split.copy_pixel_data(&mut w)?;
    w.write_elements(header.iter().filter(|e| e.tag() > CIPHERTEXT_TAG))?;
    w.commit()?;
    Ok(Rewrap::Rewrapped {
        from: envelope.kek_id().clone(),
        to: new_kek,
    })
}

/// An encrypted file opened for random access: frames are read and
/// decrypted one at a time, touching only their own segments.
///
/// # Examples
///
/// ```no_run
/// use radguard_crypt::LocalKeyring;
/// use radguard_crypt::dicom::EncryptedFile;
///
/// let ring = LocalKeyring::open("keyring")?;
/// let mut file = EncryptedFile::open("cine.enc.dcm", &ring)?;
/// let frame_500 = file.read_frame(500)?; // reads ~one frame of ciphertext
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// Reading one frame authenticates that frame's segments (and their
/// position, instance and transfer syntax), not the rest of the file.
pub struct EncryptedFile {
    opened: Opened,
    cipher: SegmentCipher,
    patient_changed: bool,
}

impl core::fmt::Debug for EncryptedFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EncryptedFile")
            .field("envelope", &self.opened.envelope)
            .finish_non_exhaustive()
    }
}

impl EncryptedFile {
    /// Opens `path`, reading its header and envelope and unwrapping its
    /// data key through `provider`; for format v2, also verifying the first
    /// segment and comparing the bound attributes with the header (a
    /// changed Patient ID is reported by [`EncryptedFile::info`], not
    /// refused).
    ///
    /// # Errors
    ///
    /// As [`decrypt_file`] (a tampered segment is only detected when read).
    pub fn open(path: impl AsRef<Path>, provider: &dyn KeyProvider) -> Result<Self> {
        let mut opened = open_encrypted(path.as_ref())?;
        let Verified {
            cipher,
            patient_changed,
        } = opened.verify(provider, false)?;
        Ok(Self {
            opened,
            cipher,
            patient_changed,
        })
    }

    /// The readable header (every element but the private block's
    /// ciphertext).
    #[must_use]
    pub fn header(&self) -> &DicomFile {
        self.opened.split.header()
    }

    /// What the file holds.
    #[must_use]
    pub fn info(&self) -> EncryptionInfo {
        let mut info = info_of(&self.opened.envelope, &self.opened.desc);
        info.patient_changed = self.patient_changed;
        info
    }

    /// Reads and decrypts unit `unit` (a frame of native pixel data, a
    /// fragment of encapsulated pixel data, then the other protected
    /// elements).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if there is no such unit; [`Error::Decrypt`]
    /// if any of its segments does not authenticate; I/O errors.
    pub fn read_unit(&mut self, unit: usize) -> Result<Vec<u8>> {
        let layout = self.cipher.layout();
        if unit >= layout.unit_count() {
            return Err(Error::InvalidInput {
                what: "unit index out of range",
            });
        }
        let range = layout.unit_ciphertext_range(unit);
        let len = usize::try_from(range.end - range.start).map_err(|_| Error::InvalidInput {
            what: "unit too large for memory",
        })?;
        let mut buf = vec![0u8; len];
        self.opened.split.read_native_at(range.start, &mut buf)?;
        let first = layout.unit_segments(unit).start;
        self.cipher.open_segments(first, &mut buf, &Sequential)?;
        Ok(compact(&mut buf, layout, first))
    }

    /// Reads and decrypts frame `index` (0-based): the frame's bytes for
    /// native pixel data, the frame's fragments concatenated for
    /// encapsulated pixel data.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if there is no such frame;
    /// [`Error::Unsupported`] if frames cannot be located (native frames
    /// that are not whole bytes, encapsulated data with several fragments
    /// per frame and no offset table); as [`EncryptedFile::read_unit`].
    pub fn read_frame(&mut self, index: u32) -> Result<Vec<u8>> {
        let Some(desc) = &self.opened.desc.pixel else {
            return Err(Error::InvalidInput {
                what: "no top-level pixel data",
            });
        };
        if index >= desc.frames {
            return Err(Error::InvalidInput {
                what: "frame index out of range",
            });
        }
        let units = self.opened.desc.pixel_units;
        let i = index as usize;
        let range: std::ops::Range<usize> = match &desc.kind {
            Kind::Native { frame_units, .. } => {
                if *frame_units > 0 {
                    i..i + 1
                } else if desc.frames == 1 {
                    0..1
                } else {
                    return Err(Error::Unsupported {
                        what: "native frames that are not whole bytes cannot be read one by one",
                    });
                }
            }
            Kind::Encapsulated { offset_table } => {
                if desc.frames == 1 {
                    0..units
                } else if units == desc.frames as usize {
                    i..i + 1
                } else if offset_table.len() == desc.frames as usize {
                    fragments_of_frame(&self.cipher.layout().unit_lens()[..units], offset_table, i)?
                } else {
                    return Err(Error::Unsupported {
                        what: "cannot locate frames: several fragments per frame and no offset table",
                    });
                }
            }
        };
        let mut out = Vec::new();
        for u in range {
            out.extend_from_slice(&self.read_unit(u)?);
        }
        Ok(out)
    }
}

/// The fragments of frame `i` by the basic offset table: frame `k` starts
/// at the fragment item whose offset from the first fragment item is
/// `offset_table[k]` (items are 8 bytes of header + the even-padded value).
fn fragments_of_frame(
    fragment_lens: &[u64],
    offset_table: &[u32],
    i: usize,
) -> Result<std::ops::Range<usize>> {
    let mut starts = Vec::with_capacity(fragment_lens.len());
    let mut off = 0u64;
    for len in fragment_lens {
        starts.push(off);
        off += 8 + len + len % 2;
    }
    let find = |target: u64| starts.iter().position(|s| *s == target);
    let bad = Error::Unsupported {
        what: "the basic offset table does not point at fragment boundaries",
    };
    let first = find(u64::from(offset_table[i])).ok_or(bad)?;
    let end = match offset_table.get(i + 1) {
        Some(next) => find(u64::from(*next)).ok_or(Error::Unsupported {
            what: "the basic offset table does not point at fragment boundaries",
        })?,
        None => starts.len(),
    };
    if end <= first {
        return Err(Error::Unsupported {
            what: "the basic offset table is not increasing",
        });
    }
    Ok(first..end)
}
