//! The envelope: the stream header with the wrapped data key.

use radguard_core::{KeyId, SecretKey};

use crate::cipher::SegmentCipher;
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::kdf;
use crate::layout::Layout;
use crate::provider::KeyProvider;

/// Most bytes of application metadata in an envelope (16 MiB).
pub const MAX_METADATA: usize = 1 << 24;
/// Most bytes of a wrapped data key.
pub const MAX_WRAPPED: usize = 4096;

/// The header of an encrypted stream (format version 1, see
/// [`crate::format`]): which key-encryption key wraps the data key, the
/// wrapped data key, the salt and key commitment, the unit/segment layout
/// and authenticated application metadata.
///
/// Everything needed to decrypt except the key-encryption key is in the
/// envelope. Only the key id and the wrapped key change when the stream is
/// re-wrapped under another key-encryption key ([`Envelope::rewrap`]); the
/// rest (the *bound header*) is authenticated by every segment.
///
/// # Examples
///
/// Encrypting two units and decrypting the second one alone:
///
/// ```
/// use radguard_core::SecretKey;
/// use radguard_crypt::{Envelope, Layout, Sequential, StaticKey};
///
/// let kek = StaticKey::new("kek-1".parse()?, SecretKey::from_bytes([7; 32]));
/// let units: [&[u8]; 2] = [b"first frame", b"second frame"];
/// let (envelope, ciphertext) =
///     radguard_crypt::encrypt_units(&kek, None, &units, 4096, b"meta", b"instance 1.2.3")?;
///
/// // The envelope travels with the ciphertext (bytes below).
/// let bytes = envelope.to_bytes();
/// let envelope = Envelope::parse(&bytes)?;
/// let cipher = envelope.open(&kek, b"instance 1.2.3")?;
/// let range = envelope.layout().unit_ciphertext_range(1);
/// let ct = &ciphertext[range.start as usize..range.end as usize];
/// assert_eq!(cipher.open_unit(1, ct, &Sequential)?, b"second frame");
/// // Another context (another instance) does not decrypt.
/// assert!(envelope.open(&kek, b"instance 9.9.9")?.open_unit(1, ct, &Sequential).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The envelope version: 1, or 2 for DICOM files of format v2.
    pub(crate) version: u8,
    kek_id: KeyId,
    wrapped_key: Vec<u8>,
    salt: [u8; 32],
    commitment: [u8; 32],
    layout: Layout,
    metadata: Vec<u8>,
    /// The bound header bytes exactly as encoded.
    bound: Vec<u8>,
}

impl core::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Envelope")
            .field("kek_id", &self.kek_id)
            .field("units", &self.layout.unit_count())
            .field("segments", &self.layout.segment_count())
            .field("segment_size", &self.layout.segment_size())
            .finish_non_exhaustive()
    }
}

/// `magic ‖ version ‖ suite`.
pub(crate) const MAGIC: &[u8; 7] = b"RGCRYPT";
pub(crate) const VERSION: u8 = 1;
/// The envelope version of DICOM files of format v2 (same layout).
pub(crate) const VERSION_2: u8 = 2;
pub(crate) const SUITE_AES256GCM_HKDF_SHA256: u8 = 1;

fn encode_bound(
    salt: &[u8; 32],
    commitment: &[u8; 32],
    layout: &Layout,
    metadata: &[u8],
) -> Vec<u8> {
    let mut b = Vec::with_capacity(32 + 32 + 8 + 8 * layout.unit_count() + 4 + metadata.len());
    b.extend_from_slice(salt);
    b.extend_from_slice(commitment);
    b.extend_from_slice(&layout.segment_size().to_be_bytes());
    // unit_count <= 2^24 and metadata <= 2^24 are checked by the callers.
    b.extend_from_slice(
        &u32::try_from(layout.unit_count())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    for len in layout.unit_lens() {
        b.extend_from_slice(&len.to_be_bytes());
    }
    b.extend_from_slice(
        &u32::try_from(metadata.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    b.extend_from_slice(metadata);
    b
}

/// A big-endian reader over a byte string: every read past the end is the
/// opaque [`Error::Decrypt`] (what it parses is unauthenticated input).
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Error::Decrypt)?;
        let s = self.bytes.get(self.pos..end).ok_or(Error::Decrypt)?;
        self.pos = end;
        Ok(s)
    }
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(a))
    }
    pub(crate) fn arr32(&mut self) -> Result<[u8; 32]> {
        let mut a = [0u8; 32];
        a.copy_from_slice(self.take(32)?);
        Ok(a)
    }
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
    /// Fails unless every byte was read.
    #[cfg_attr(not(feature = "dicom"), allow(dead_code))]
    pub(crate) fn end(&self) -> Result<()> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(Error::Decrypt)
        }
    }
}

impl Envelope {
    /// Starts a new stream: generates a fresh random data key and salt,
    /// wraps the data key under `kek` (the provider's primary key if
    /// `None`), and returns the envelope and the cipher for its segments.
    ///
    /// `metadata` is stored in the envelope and authenticated; `context` is
    /// authenticated but **not** stored: the decryptor must supply the same
    /// bytes (for DICOM, the SOP Instance UID and transfer syntax read from
    /// the file's header), which is what makes ciphertext moved to another
    /// instance fail.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if `metadata` is over [`MAX_METADATA`] bytes
    /// or the provider returns a wrapped key over [`MAX_WRAPPED`] bytes;
    /// [`Error::Random`]; the provider's errors.
    pub fn create(
        provider: &dyn KeyProvider,
        kek: Option<&KeyId>,
        layout: Layout,
        metadata: &[u8],
        context: &[u8],
    ) -> Result<(Self, SegmentCipher)> {
        let data_key = SecretKey::generate().map_err(|_| Error::Random)?;
        let mut salt = [0u8; 32];
        kdf::random(&mut salt)?;
        Self::create_with(provider, kek, layout, metadata, context, &data_key, salt)
    }

    /// [`Envelope::create`] with a caller-chosen data key and salt: for
    /// known-answer tests, and for the DICOM module, which derives the
    /// Patient ID digest key from the data key before the metadata exists.
    /// Never reuse a data key and salt pair.
    pub(crate) fn create_with(
        provider: &dyn KeyProvider,
        kek: Option<&KeyId>,
        layout: Layout,
        metadata: &[u8],
        context: &[u8],
        data_key: &SecretKey,
        salt: [u8; 32],
    ) -> Result<(Self, SegmentCipher)> {
        if metadata.len() > MAX_METADATA {
            return Err(Error::InvalidInput {
                what: "metadata longer than 16 MiB",
            });
        }
        let kek_id = match kek {
            Some(k) => k.clone(),
            None => provider.primary_key_id()?,
        };
        let keys = kdf::derive(data_key, &salt);
        let wrapped_key = provider.wrap_key(
            &kek_id,
            data_key,
            &kdf::wrap_context(&salt, &keys.commitment),
        )?;
        if wrapped_key.is_empty() || wrapped_key.len() > MAX_WRAPPED {
            return Err(Error::InvalidInput {
                what: "the key provider returned a wrapped key of 0 or over 4096 bytes",
            });
        }
        let bound = encode_bound(&salt, &keys.commitment, &layout, metadata);
        let binding = kdf::binding(&bound, context);
        let cipher = SegmentCipher::new(&keys, binding, layout.clone())?;
        let envelope = Self {
            version: VERSION,
            kek_id,
            wrapped_key,
            salt,
            commitment: keys.commitment,
            layout,
            metadata: metadata.to_vec(),
            bound,
        };
        Ok((envelope, cipher))
    }

    /// Unwraps the data key through `provider`, checks the key commitment
    /// and returns the cipher for this stream's segments, bound to
    /// `context` (the same bytes given to [`Envelope::create`]).
    ///
    /// A wrong `context` is not detected here but by every segment.
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] if the wrapped key does not authenticate or the
    /// unwrapped key does not match the commitment; the provider's
    /// [`Error::UnknownKey`], [`Error::KeyDestroyed`], [`Error::Provider`].
    pub fn open(&self, provider: &dyn KeyProvider, context: &[u8]) -> Result<SegmentCipher> {
        Ok(self.open_with_patient_key(provider, context)?.0)
    }

    /// [`Envelope::open`], also returning the key of format v2's Patient
    /// ID digest.
    pub(crate) fn open_with_patient_key(
        &self,
        provider: &dyn KeyProvider,
        context: &[u8],
    ) -> Result<(SegmentCipher, zeroize::Zeroizing<[u8; 32]>)> {
        let data_key = self.unwrap_checked(provider)?;
        let keys = kdf::derive(&data_key, &self.salt);
        let binding = kdf::binding(&self.bound, context);
        let patient = kdf::patient_key(&data_key, &self.salt);
        Ok((
            SegmentCipher::new(&keys, binding, self.layout.clone())?,
            patient,
        ))
    }

    /// The envelope version: 1, or 2 for DICOM files of format v2 (see
    /// [`crate::format`] §6).
    #[must_use]
    pub fn version(&self) -> u8 {
        self.version
    }

    fn unwrap_checked(&self, provider: &dyn KeyProvider) -> Result<SecretKey> {
        let data_key = provider.unwrap_key(
            &self.kek_id,
            &self.wrapped_key,
            &kdf::wrap_context(&self.salt, &self.commitment),
        )?;
        // Key commitment: only the data key that made this stream matches.
        let keys = kdf::derive(&data_key, &self.salt);
        if !kdf::ct_eq(&keys.commitment, &self.commitment) {
            return Err(Error::Decrypt);
        }
        Ok(data_key)
    }

    /// Re-wraps the data key under the key-encryption key `new_kek`: the
    /// returned envelope differs only in key id and wrapped key, so the
    /// ciphertext stays valid as it is (rotation without re-encryption).
    ///
    /// # Errors
    ///
    /// As [`Envelope::open`] for the current key, then the provider's
    /// errors for `new_kek`.
    pub fn rewrap(&self, provider: &dyn KeyProvider, new_kek: &KeyId) -> Result<Self> {
        let data_key = self.unwrap_checked(provider)?;
        let wrapped_key = provider.wrap_key(
            new_kek,
            &data_key,
            &kdf::wrap_context(&self.salt, &self.commitment),
        )?;
        if wrapped_key.is_empty() || wrapped_key.len() > MAX_WRAPPED {
            return Err(Error::InvalidInput {
                what: "the key provider returned a wrapped key of 0 or over 4096 bytes",
            });
        }
        Ok(Self {
            kek_id: new_kek.clone(),
            wrapped_key,
            ..self.clone()
        })
    }

    /// The key-encryption key the data key is wrapped under.
    #[must_use]
    pub fn kek_id(&self) -> &KeyId {
        &self.kek_id
    }

    /// The wrapped data key (opaque, provider-defined bytes).
    #[must_use]
    pub fn wrapped_key(&self) -> &[u8] {
        &self.wrapped_key
    }

    /// The unit and segment layout.
    #[must_use]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The authenticated application metadata.
    ///
    /// # Security
    ///
    /// Metadata read from [`Envelope::parse`] is not authenticated until a
    /// segment has been opened with this envelope's cipher.
    #[must_use]
    pub fn metadata(&self) -> &[u8] {
        &self.metadata
    }

    /// The key commitment (public; derived from the data key).
    #[must_use]
    pub fn commitment(&self) -> &[u8; 32] {
        &self.commitment
    }

    /// Encodes the envelope.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let id = self.kek_id.as_str().as_bytes();
        let mut out = Vec::with_capacity(12 + id.len() + self.wrapped_key.len() + self.bound.len());
        out.extend_from_slice(MAGIC);
        out.push(self.version);
        out.push(SUITE_AES256GCM_HKDF_SHA256);
        // KeyId <= 64 bytes, wrapped <= 4096 bytes (checked on creation).
        out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(id);
        out.extend_from_slice(
            &u16::try_from(self.wrapped_key.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.wrapped_key);
        out.extend_from_slice(&self.bound);
        out
    }

    /// Parses an envelope that must fill `bytes` exactly.
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] for anything but a well-formed version 1 or 2 envelope
    /// (a malformed envelope is treated like a tampered one).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let (env, used) = Self::parse_prefix(bytes)?;
        if used != bytes.len() {
            return Err(Error::Decrypt);
        }
        Ok(env)
    }

    /// Parses an envelope at the start of `bytes` and returns it with the
    /// number of bytes it used.
    ///
    /// # Errors
    ///
    /// As [`Envelope::parse`].
    pub fn parse_prefix(bytes: &[u8]) -> Result<(Self, usize)> {
        let mut r = Reader::new(bytes);
        if r.take(7)? != MAGIC {
            return Err(Error::Decrypt);
        }
        let version = r.u8()?;
        if !matches!(version, VERSION | VERSION_2) || r.u8()? != SUITE_AES256GCM_HKDF_SHA256 {
            return Err(Error::Decrypt);
        }
        let id_len = usize::from(r.u8()?);
        let id = core::str::from_utf8(r.take(id_len)?).map_err(|_| Error::Decrypt)?;
        let kek_id = KeyId::new(id).map_err(|_| Error::Decrypt)?;
        let wrapped_len = usize::from(r.u16()?);
        if wrapped_len == 0 || wrapped_len > MAX_WRAPPED {
            return Err(Error::Decrypt);
        }
        let wrapped_key = r.take(wrapped_len)?.to_vec();
        let bound_start = r.pos;
        let salt = r.arr32()?;
        let commitment = r.arr32()?;
        let segment_size = r.u32()?;
        let units = usize::try_from(r.u32()?).map_err(|_| Error::Decrypt)?;
        if units == 0 || units > Layout::MAX_UNITS || units > r.remaining() / 8 {
            return Err(Error::Decrypt);
        }
        let mut unit_lens = Vec::with_capacity(units);
        for _ in 0..units {
            unit_lens.push(r.u64()?);
        }
        let meta_len = usize::try_from(r.u32()?).map_err(|_| Error::Decrypt)?;
        if meta_len > MAX_METADATA {
            return Err(Error::Decrypt);
        }
        let metadata = r.take(meta_len)?.to_vec();
        let layout = Layout::new(segment_size, unit_lens).map_err(|_| Error::Decrypt)?;
        let bound = bytes[bound_start..r.pos].to_vec();
        Ok((
            Self {
                version,
                kek_id,
                wrapped_key,
                salt,
                commitment,
                layout,
                metadata,
                bound,
            },
            r.pos,
        ))
    }
}

/// Encrypts whole units held in memory under a fresh data key wrapped by
/// `provider` (under `kek`, or its primary key), cutting them into
/// segments of `segment_size` bytes. Returns the envelope and the
/// ciphertext (all segments, in order).
///
/// # Errors
///
/// As [`Layout::new`] and [`Envelope::create`].
pub fn encrypt_units(
    provider: &dyn KeyProvider,
    kek: Option<&KeyId>,
    units: &[&[u8]],
    segment_size: u32,
    metadata: &[u8],
    context: &[u8],
) -> Result<(Envelope, Vec<u8>)> {
    let layout = Layout::new(segment_size, units.iter().map(|u| u.len() as u64).collect())?;
    let ct_len = usize::try_from(layout.ciphertext_len()).map_err(|_| Error::InvalidInput {
        what: "ciphertext too large for memory",
    })?;
    let (envelope, cipher) = Envelope::create(provider, kek, layout, metadata, context)?;
    let layout = envelope.layout();
    let mut out = vec![0u8; ct_len];
    for (u, data) in units.iter().enumerate() {
        for index in layout.unit_segments(u) {
            let seg = layout.segment(index);
            let start = usize::try_from(seg.ciphertext_offset).unwrap_or(usize::MAX);
            let from = usize::try_from(seg.offset_in_unit).unwrap_or(usize::MAX);
            out[start..start + seg.plaintext_len]
                .copy_from_slice(&data[from..from + seg.plaintext_len]);
        }
    }
    cipher.seal_segments(0, &mut out, &crate::exec::Sequential)?;
    Ok((envelope, out))
}

/// Decrypts a whole stream held in memory and returns its units.
///
/// # Errors
///
/// [`Error::Decrypt`] if anything fails to authenticate or the ciphertext
/// has the wrong length; the errors of [`Envelope::open`].
pub fn decrypt_units(
    provider: &dyn KeyProvider,
    envelope: &Envelope,
    ciphertext: &[u8],
    context: &[u8],
    exec: &dyn Executor,
) -> Result<Vec<Vec<u8>>> {
    let layout = envelope.layout();
    if ciphertext.len() as u64 != layout.ciphertext_len() {
        return Err(Error::Decrypt);
    }
    let cipher = envelope.open(provider, context)?;
    let mut buf = ciphertext.to_vec();
    cipher.open_segments(0, &mut buf, exec)?;
    let mut units = Vec::with_capacity(layout.unit_count());
    for u in 0..layout.unit_count() {
        let r = layout.unit_ciphertext_range(u);
        // In range: the total length was checked above.
        let start = usize::try_from(r.start).map_err(|_| Error::Decrypt)?;
        let end = usize::try_from(r.end).map_err(|_| Error::Decrypt)?;
        let mut part = buf[start..end].to_vec();
        let first = layout.unit_segments(u).start;
        units.push(crate::cipher::compact(&mut part, layout, first));
    }
    Ok(units)
}
