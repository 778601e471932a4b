//! The segmented AEAD: one AES-256-GCM call per segment, STREAM nonces.
//!
//! AES-256-GCM here is `ring`'s (stitched AES-NI/VAES and carry-less
//! multiplication assembly, one pass over the data), about twice the speed
//! per core of RustCrypto's two-pass `aes-gcm`, which the envelope's local
//! key wrap keeps using. Same algorithm: the known-answer vectors pin both.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::kdf::StreamKeys;
use crate::layout::{Layout, TAG_LEN};

/// Encrypts and decrypts the segments of one stream.
///
/// Obtained from [`Envelope::create`](crate::Envelope::create) (encrypting)
/// or [`Envelope::open`](crate::Envelope::open) (decrypting, after the key
/// commitment was checked). Segment `i` is sealed with AES-256-GCM under
/// the stream's payload key, nonce `prefix(7) ‖ BE32(i) ‖ last-flag(1)`
/// and associated data = the 32-byte binding of the stream header and the
/// caller's context (see [`crate::format`]). The methods take `&self`, so
/// segments can be processed on many threads at once.
///
/// # Security
///
/// [`open_segment`](Self::open_segment) releases no plaintext of a segment
/// whose tag does not verify (`ring` zeroes it); the batch methods zero
/// their whole buffer if any segment fails, so no plaintext of a failed
/// batch survives in it. `ring` does not zeroize its expanded key schedule
/// when the cipher is dropped (the payload key bytes themselves are in a
/// zeroizing buffer and dropped right after the key schedule is built).
pub struct SegmentCipher {
    aead: LessSafeKey,
    nonce_prefix: [u8; 7],
    binding: [u8; 32],
    layout: Layout,
}

impl core::fmt::Debug for SegmentCipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SegmentCipher")
            .field("segments", &self.layout.segment_count())
            .finish_non_exhaustive()
    }
}

impl SegmentCipher {
    pub(crate) fn new(keys: &StreamKeys, binding: [u8; 32], layout: Layout) -> Result<Self> {
        // A 32-byte key always makes an AES-256-GCM key.
        let key = UnboundKey::new(&AES_256_GCM, keys.payload.as_slice()).map_err(|_| {
            Error::InvalidInput {
                what: "AES-256-GCM key of the wrong length",
            }
        })?;
        Ok(Self {
            aead: LessSafeKey::new(key),
            nonce_prefix: keys.nonce_prefix,
            binding,
            layout,
        })
    }

    /// The layout of the stream.
    #[must_use]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn nonce(&self, index: u64) -> Result<Nonce> {
        let count = self.layout.segment_count();
        if index >= count {
            return Err(Error::InvalidInput {
                what: "segment index past the end of the stream",
            });
        }
        let counter = u32::try_from(index).map_err(|_| Error::InvalidInput {
            what: "segment index above 2^32 - 2",
        })?;
        let mut n = [0u8; 12];
        n[..7].copy_from_slice(&self.nonce_prefix);
        n[7..11].copy_from_slice(&counter.to_be_bytes());
        n[11] = u8::from(index + 1 == count);
        Ok(Nonce::assume_unique_for_key(n))
    }

    fn check_len(&self, index: u64, len: usize) -> Result<usize> {
        let seg = self.layout.segment(index);
        if len != seg.ciphertext_len() {
            return Err(Error::InvalidInput {
                what: "buffer length differs from the segment's ciphertext length",
            });
        }
        Ok(seg.plaintext_len)
    }

    /// Encrypts segment `index` in place: `buf` holds the segment's
    /// plaintext followed by 16 spare bytes, and receives
    /// `ciphertext ‖ tag`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if `index` is past the end of the stream or
    /// `buf` is not exactly the segment's plaintext length + 16.
    pub fn seal_segment(&self, index: u64, buf: &mut [u8]) -> Result<()> {
        let nonce = self.nonce(index)?;
        let pt_len = self.check_len(index, buf.len())?;
        let (pt, tag_out) = buf.split_at_mut(pt_len);
        let tag = self
            .aead
            .seal_in_place_separate_tag(nonce, Aad::from(&self.binding), pt)
            .map_err(|_| Error::InvalidInput {
                what: "segment too long for AES-GCM",
            })?;
        tag_out.copy_from_slice(tag.as_ref());
        Ok(())
    }

    /// Verifies and decrypts segment `index` in place: `buf` holds
    /// `ciphertext ‖ tag`; on success its first `len - 16` bytes are the
    /// plaintext.
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] if the segment does not authenticate (modified,
    /// truncated, from another position or another stream) — the first
    /// `len - 16` bytes of `buf` are then zeroed; [`Error::InvalidInput`]
    /// for a bad index or length.
    pub fn open_segment(&self, index: u64, buf: &mut [u8]) -> Result<()> {
        let nonce = self.nonce(index)?;
        let pt_len = self
            .check_len(index, buf.len())
            .map_err(|_| Error::Decrypt)?;
        let (ct, tag) = buf.split_at_mut(pt_len);
        let tag = Tag::try_from(&tag[..]).map_err(|_| Error::Decrypt)?;
        self.aead
            .open_in_place_separate_tag(nonce, Aad::from(&self.binding), tag, ct, 0..)
            .map(|_| ())
            .map_err(|_| Error::Decrypt)
    }

    /// Splits `buf` into the ciphertext-sized slots of the consecutive
    /// segments starting at `first`.
    fn slots<'b>(&self, first: u64, buf: &'b mut [u8]) -> Result<Vec<Mutex<&'b mut [u8]>>> {
        let mut slots = Vec::new();
        let mut rest = buf;
        let mut index = first;
        while !rest.is_empty() {
            if index >= self.layout.segment_count() {
                return Err(Error::InvalidInput {
                    what: "buffer runs past the end of the stream",
                });
            }
            let len = self.layout.segment(index).ciphertext_len();
            if len > rest.len() {
                return Err(Error::InvalidInput {
                    what: "buffer ends inside a segment",
                });
            }
            let (head, tail) = rest.split_at_mut(len);
            slots.push(Mutex::new(head));
            rest = tail;
            index += 1;
        }
        Ok(slots)
    }

    /// Encrypts the consecutive segments `first, first + 1, ...` laid out
    /// in `buf` as in the ciphertext (each segment's plaintext followed by
    /// 16 spare bytes), spreading them over `exec`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if `buf` does not hold whole segments of this
    /// stream starting at `first`.
    pub fn seal_segments(&self, first: u64, buf: &mut [u8], exec: &dyn Executor) -> Result<()> {
        let slots = self.slots(first, buf)?;
        let failed = AtomicBool::new(false);
        exec.run(slots.len(), &|j| {
            let ok = slots[j]
                .lock()
                .ok()
                .is_some_and(|mut s| self.seal_segment(first + j as u64, &mut s).is_ok());
            if !ok {
                failed.store(true, Ordering::Relaxed);
            }
        });
        if failed.into_inner() {
            return Err(Error::InvalidInput {
                what: "a segment could not be sealed",
            });
        }
        Ok(())
    }

    /// Verifies and decrypts, in place, the consecutive segments laid out in
    /// `buf` as in the ciphertext, starting at segment `first`, spreading
    /// them over `exec`. On success each segment's slot starts with its
    /// plaintext (its last 16 bytes are the tag).
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] if any segment fails to authenticate, or `buf`
    /// does not hold whole segments starting at `first`. The whole of `buf`
    /// is then zeroed.
    pub fn open_segments(&self, first: u64, buf: &mut [u8], exec: &dyn Executor) -> Result<()> {
        let failed = {
            let Ok(slots) = self.slots(first, buf) else {
                buf.zeroize();
                return Err(Error::Decrypt);
            };
            let failed = AtomicBool::new(false);
            exec.run(slots.len(), &|j| {
                if failed.load(Ordering::Relaxed) {
                    return;
                }
                let ok = slots[j]
                    .lock()
                    .ok()
                    .is_some_and(|mut s| self.open_segment(first + j as u64, &mut s).is_ok());
                if !ok {
                    failed.store(true, Ordering::Relaxed);
                }
            });
            failed.into_inner()
        };
        if failed {
            buf.zeroize();
            return Err(Error::Decrypt);
        }
        Ok(())
    }

    /// Verifies and decrypts a whole unit, given its ciphertext (the range
    /// [`Layout::unit_ciphertext_range`] of the stream's ciphertext).
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] if any of its segments fails to authenticate or
    /// `ciphertext` has the wrong length; [`Error::InvalidInput`] if `unit`
    /// is out of range.
    pub fn open_unit(
        &self,
        unit: usize,
        ciphertext: &[u8],
        exec: &dyn Executor,
    ) -> Result<Vec<u8>> {
        if unit >= self.layout.unit_count() {
            return Err(Error::InvalidInput {
                what: "unit index out of range",
            });
        }
        let range = self.layout.unit_ciphertext_range(unit);
        if (ciphertext.len() as u64) != range.end - range.start {
            return Err(Error::Decrypt);
        }
        let mut buf = ciphertext.to_vec();
        let first = self.layout.unit_segments(unit).start;
        self.open_segments(first, &mut buf, exec)?;
        Ok(compact(&mut buf, &self.layout, first))
    }
}

/// Removes the tags from a decrypted batch in place and returns the
/// plaintext.
pub(crate) fn compact(buf: &mut Vec<u8>, layout: &Layout, first: u64) -> Vec<u8> {
    let mut read = 0usize;
    let mut write = 0usize;
    let mut index = first;
    while read < buf.len() {
        let pt = layout.segment(index).plaintext_len;
        buf.copy_within(read..read + pt, write);
        write += pt;
        read += pt + TAG_LEN;
        index += 1;
    }
    buf.truncate(write);
    std::mem::take(buf)
}
