//! Streaming drivers: segments go through a bounded buffer in batches, so
//! memory does not grow with the data.

use std::ops::Range;

use crate::cipher::SegmentCipher;
use crate::error::Result;
use crate::exec::Executor;
use crate::layout::Segment;

/// Default bytes of ciphertext processed per batch (16 MiB).
pub(crate) const DEFAULT_BATCH: usize = 16 << 20;

/// How batches are run.
pub(crate) struct Batching<'a> {
    pub(crate) exec: &'a dyn Executor,
    pub(crate) batch_bytes: usize,
    pub(crate) progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

/// The end of the batch starting at segment `i`: as many segments as fit
/// in `batch_bytes` of ciphertext, at least one.
fn batch_end(cipher: &SegmentCipher, i: u64, end: u64, batch_bytes: usize) -> (u64, usize) {
    let layout = cipher.layout();
    let mut j = i;
    let mut bytes = 0usize;
    while j < end {
        let len = layout.segment(j).ciphertext_len();
        if j > i && bytes + len > batch_bytes {
            break;
        }
        bytes += len;
        j += 1;
    }
    (j, bytes)
}

/// Seals the consecutive segments `segs`: `read` fills each segment's
/// plaintext, `write` receives the ciphertext in order.
pub(crate) fn seal_range(
    cipher: &SegmentCipher,
    segs: Range<u64>,
    b: &Batching<'_>,
    read: &mut dyn FnMut(&Segment, &mut [u8]) -> Result<()>,
    write: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let layout = cipher.layout();
    let mut buf = Vec::new();
    let mut i = segs.start;
    while i < segs.end {
        let (j, bytes) = batch_end(cipher, i, segs.end, b.batch_bytes);
        buf.resize(bytes, 0);
        let mut off = 0usize;
        let mut plain = 0u64;
        for k in i..j {
            let s = layout.segment(k);
            read(&s, &mut buf[off..off + s.plaintext_len])?;
            off += s.ciphertext_len();
            plain += s.plaintext_len as u64;
        }
        cipher.seal_segments(i, &mut buf, b.exec)?;
        write(&buf)?;
        if let Some(p) = b.progress {
            p(plain);
        }
        i = j;
    }
    Ok(())
}

/// Verifies and decrypts the consecutive segments `segs`: `read` fills
/// ciphertext at a ciphertext offset, `write` receives each segment's
/// plaintext in order, only after the segment's whole batch verified.
pub(crate) fn open_range(
    cipher: &SegmentCipher,
    segs: Range<u64>,
    b: &Batching<'_>,
    read: &mut dyn FnMut(u64, &mut [u8]) -> Result<()>,
    write: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let layout = cipher.layout();
    let mut buf = Vec::new();
    let mut i = segs.start;
    while i < segs.end {
        let (j, bytes) = batch_end(cipher, i, segs.end, b.batch_bytes);
        buf.resize(bytes, 0);
        read(layout.segment(i).ciphertext_offset, &mut buf)?;
        cipher.open_segments(i, &mut buf, b.exec)?;
        let mut off = 0usize;
        let mut plain = 0u64;
        for k in i..j {
            let s = layout.segment(k);
            write(&buf[off..off + s.plaintext_len])?;
            off += s.ciphertext_len();
            plain += s.plaintext_len as u64;
        }
        if let Some(p) = b.progress {
            p(plain);
        }
        i = j;
    }
    Ok(())
}
