//! Streaming drivers: segments go through a bounded buffer in batches, so
//! memory does not grow with the data.

use std::ops::Range;
use std::sync::mpsc;

use crate::cipher::SegmentCipher;
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::layout::{Segment, TAG_LEN};

/// Default bytes of ciphertext processed per batch (8 MiB; a pipelined
/// encryption holds up to five).
pub(crate) const DEFAULT_BATCH: usize = 8 << 20;

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
///
/// With more than one batch the three stages overlap (see [`pipeline`]).
pub(crate) fn seal_range(
    cipher: &SegmentCipher,
    segs: Range<u64>,
    b: &Batching<'_>,
    read: &mut (dyn FnMut(&Segment, &mut [u8]) -> Result<()> + Send),
    write: &mut (dyn FnMut(&[u8]) -> Result<()> + Send),
) -> Result<()> {
    pipeline(
        cipher,
        &batches(cipher, segs, b.batch_bytes),
        b,
        |batch, buf| fill(cipher, batch, buf, read),
        |_, buf| write(buf),
    )
}

/// The shared callbacks of [`seal_range_at`]: `read` fills a segment's
/// plaintext, `write_at` writes bytes at an offset of the ciphertext; both
/// may run on several threads at once.
pub(crate) struct PositionedIo<'a> {
    pub(crate) read: &'a (dyn Fn(&Segment, &mut [u8]) -> Result<()> + Sync),
    pub(crate) write_at: &'a (dyn Fn(u64, &[u8]) -> Result<()> + Sync),
    /// Threads reading (and, apart, writing) each batch, at least 1.
    pub(crate) threads: usize,
}

/// [`seal_range`] for outputs written at positions: the same three-stage
/// pipeline, but the reading and the writing of each batch are each
/// spread over `io.threads` threads (page-cache copies are CPU work too).
pub(crate) fn seal_range_at(
    cipher: &SegmentCipher,
    segs: Range<u64>,
    b: &Batching<'_>,
    io: &PositionedIo<'_>,
) -> Result<()> {
    let layout = cipher.layout();
    let threads = io.threads.max(1);
    let fill_par = |batch: &Batch, buf: &mut Vec<u8>| -> Result<()> {
        buf.resize(batch.bytes, 0);
        let n = batch.end - batch.first;
        if threads == 1 || n == 1 {
            return fill_range(cipher, batch.first..batch.end, buf, io.read);
        }
        // Contiguous groups of segments, one per thread.
        let per = n.div_ceil(threads as u64);
        let mut parts = Vec::new();
        let mut rest: &mut [u8] = buf;
        let mut k = batch.first;
        while k < batch.end {
            let e = (k + per).min(batch.end);
            let bytes: usize = (k..e).map(|i| layout.segment(i).ciphertext_len()).sum();
            let (head, tail) = rest.split_at_mut(bytes);
            parts.push((k..e, head));
            rest = tail;
            k = e;
        }
        std::thread::scope(|sc| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|(r, part)| sc.spawn(move || fill_range(cipher, r, part, io.read)))
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().unwrap_or(Err(panicked("reading"))))
        })
    };
    let write_par = |batch: &Batch, buf: &[u8]| -> Result<()> {
        let at = layout.segment(batch.first).ciphertext_offset;
        if threads == 1 || buf.len() < 2 * TAG_LEN {
            return (io.write_at)(at, buf);
        }
        let chunk = buf.len().div_ceil(threads);
        std::thread::scope(|sc| {
            let handles: Vec<_> = buf
                .chunks(chunk)
                .enumerate()
                .map(|(i, part)| sc.spawn(move || (io.write_at)(at + (i * chunk) as u64, part)))
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().unwrap_or(Err(panicked("writing"))))
        })
    };
    pipeline(
        cipher,
        &batches(cipher, segs, b.batch_bytes),
        b,
        fill_par,
        write_par,
    )
}

/// Runs `fill`, sealing and `write` over `batches`. With more than one
/// batch the three stages overlap: a scoped thread fills batch `k + 1`
/// while the calling thread seals batch `k` (on `b.exec`) and another
/// scoped thread writes batch `k − 1`. Four batch buffers circulate
/// between the stages. The first error of any stage stops all three.
fn pipeline(
    cipher: &SegmentCipher,
    batches: &[Batch],
    b: &Batching<'_>,
    mut fill: impl FnMut(&Batch, &mut Vec<u8>) -> Result<()> + Send,
    mut write: impl FnMut(&Batch, &[u8]) -> Result<()> + Send,
) -> Result<()> {
    if batches.len() <= 1 {
        let mut buf = Vec::new();
        for batch in batches {
            fill(batch, &mut buf)?;
            cipher.seal_segments(batch.first, &mut buf, b.exec)?;
            write(batch, &buf)?;
            if let Some(p) = b.progress {
                p(batch.plain);
            }
        }
        return Ok(());
    }
    let (to_seal, sealing) = mpsc::sync_channel::<(usize, Vec<u8>)>(1);
    let (to_write, writing) = mpsc::sync_channel::<(usize, Vec<u8>)>(1);
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<()> {
            // A fixed set of buffers circulates: no allocation (and no page
            // faults on fresh memory) after the first few batches.
            let mut allocated = 0;
            for (k, batch) in batches.iter().enumerate() {
                let mut buf = match recycled.try_recv() {
                    Ok(b) => b,
                    Err(_) if allocated < POOL => {
                        allocated += 1;
                        Vec::with_capacity(batch.bytes)
                    }
                    Err(_) => match recycled.recv() {
                        Ok(b) => b,
                        Err(_) => break, // the writer stopped (its error wins)
                    },
                };
                fill(batch, &mut buf)?;
                if to_seal.send((k, buf)).is_err() {
                    break; // the sealing stage stopped (its error wins)
                }
            }
            Ok(())
        });
        let writer = scope.spawn(move || -> Result<()> {
            for (k, buf) in writing {
                write(&batches[k], &buf)?;
                let _ = recycle.send(buf);
            }
            Ok(())
        });
        let mut sealed = Ok(());
        for (k, mut buf) in sealing.iter() {
            let batch = &batches[k];
            if let Err(e) = cipher.seal_segments(batch.first, &mut buf, b.exec) {
                sealed = Err(e);
                break;
            }
            if to_write.send((k, buf)).is_err() {
                break; // the writer stopped (its error wins)
            }
            if let Some(p) = b.progress {
                p(batch.plain);
            }
        }
        drop(sealing);
        drop(to_write);
        let read_result = reader.join().unwrap_or(Err(panicked("reading")));
        let write_result = writer.join().unwrap_or(Err(panicked("writing")));
        read_result.and(sealed).and(write_result)
    })
}

fn panicked(op: &'static str) -> Error {
    Error::Io {
        op,
        source: std::io::Error::other("a worker thread panicked"),
    }
}

/// Lays the plaintext of segments `segs` out in `buf` (each segment
/// followed by room for its tag).
fn fill_range(
    cipher: &SegmentCipher,
    segs: Range<u64>,
    buf: &mut [u8],
    read: &(dyn Fn(&Segment, &mut [u8]) -> Result<()> + Sync),
) -> Result<()> {
    let layout = cipher.layout();
    let mut off = 0usize;
    for k in segs {
        let s = layout.segment(k);
        read(&s, &mut buf[off..off + s.plaintext_len])?;
        off += s.ciphertext_len();
    }
    Ok(())
}

/// Batch buffers of a [`pipeline`]: one being filled, one queued, one
/// being sealed, one being written.
const POOL: usize = 4;

/// A batch: consecutive segments `first..end`, `bytes` of ciphertext,
/// `plain` bytes of plaintext.
struct Batch {
    first: u64,
    end: u64,
    bytes: usize,
    plain: u64,
}

fn batches(cipher: &SegmentCipher, segs: Range<u64>, batch_bytes: usize) -> Vec<Batch> {
    let layout = cipher.layout();
    let mut out = Vec::new();
    let mut i = segs.start;
    while i < segs.end {
        let (j, bytes) = batch_end(cipher, i, segs.end, batch_bytes);
        let plain = (i..j).map(|k| layout.segment(k).plaintext_len as u64).sum();
        out.push(Batch {
            first: i,
            end: j,
            bytes,
            plain,
        });
        i = j;
    }
    out
}

/// Lays a batch's plaintext out in `buf` as in the ciphertext (each
/// segment followed by room for its tag).
fn fill(
    cipher: &SegmentCipher,
    batch: &Batch,
    buf: &mut Vec<u8>,
    read: &mut (dyn FnMut(&Segment, &mut [u8]) -> Result<()> + Send),
) -> Result<()> {
    let layout = cipher.layout();
    buf.resize(batch.bytes, 0);
    let mut off = 0usize;
    for k in batch.first..batch.end {
        let s = layout.segment(k);
        read(&s, &mut buf[off..off + s.plaintext_len])?;
        off += s.ciphertext_len();
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

#[cfg(test)]
#[allow(clippy::cast_possible_truncation, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;
    use crate::exec::Sequential;
    use crate::layout::Layout;
    use crate::provider::StaticKey;
    use radguard_core::{KeyId, SecretKey};

    fn cipher(units: Vec<u64>) -> (Envelope, SegmentCipher) {
        let p = StaticKey::new(KeyId::new("k").unwrap(), SecretKey::from_bytes([1; 32]));
        let layout = Layout::new(16, units).unwrap();
        Envelope::create(&p, None, layout, b"", b"ctx").unwrap()
    }

    fn batching(bytes: usize) -> Batching<'static> {
        Batching {
            exec: &Sequential,
            batch_bytes: bytes,
            progress: None,
        }
    }

    /// The pipelined and the one-batch paths produce the same ciphertext,
    /// in order, and it opens.
    #[test]
    fn pipelined_sealing_is_the_plain_sealing() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (env, c) = cipher(vec![400, 600]);
        let run = |batch: usize| {
            let mut out = Vec::new();
            seal_range(
                &c,
                0..c.layout().segment_count(),
                &batching(batch),
                &mut |s, buf| {
                    let at = s.plaintext_offset as usize;
                    buf.copy_from_slice(&data[at..at + buf.len()]);
                    Ok(())
                },
                &mut |ct| {
                    out.extend_from_slice(ct);
                    Ok(())
                },
            )
            .unwrap();
            out
        };
        let whole = run(1 << 20);
        assert_eq!(run(64), whole);
        assert_eq!(run(1), whole);
        let p = StaticKey::new(KeyId::new("k").unwrap(), SecretKey::from_bytes([1; 32]));
        let units = crate::envelope::decrypt_units(&p, &env, &whole, b"ctx", &Sequential).unwrap();
        assert_eq!(units.concat(), data);
    }

    /// Positional sealing with several reader and writer threads writes
    /// the same ciphertext as the streamed one, and reports a failing write.
    #[test]
    fn positional_sealing_is_the_plain_sealing() {
        use std::sync::Mutex;
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 13 % 251) as u8).collect();
        let (_env, c) = cipher(vec![1234, 3766]);
        let segs = 0..c.layout().segment_count();
        let mut expected = Vec::new();
        let read = |s: &Segment, buf: &mut [u8]| -> Result<()> {
            let at = s.plaintext_offset as usize;
            buf.copy_from_slice(&data[at..at + buf.len()]);
            Ok(())
        };
        seal_range(
            &c,
            segs.clone(),
            &batching(1 << 20),
            &mut |s, b| read(s, b),
            &mut |ct| {
                expected.extend_from_slice(ct);
                Ok(())
            },
        )
        .unwrap();
        for (threads, batch) in [(1, 1 << 20), (2, 1 << 20), (3, 320), (2, 1), (4, 1000)] {
            let out = Mutex::new(vec![0u8; expected.len()]);
            let write_at = |at: u64, bytes: &[u8]| -> Result<()> {
                let at = at as usize;
                out.lock().unwrap()[at..at + bytes.len()].copy_from_slice(bytes);
                Ok(())
            };
            let io = PositionedIo {
                read: &read,
                write_at: &write_at,
                threads,
            };
            seal_range_at(&c, segs.clone(), &batching(batch), &io).unwrap();
            assert_eq!(
                out.into_inner().unwrap(),
                expected,
                "{threads} threads, {batch}"
            );
        }
        let failing = |at: u64, _: &[u8]| -> Result<()> {
            if at > 2000 {
                Err(Error::InvalidInput { what: "disk full" })
            } else {
                Ok(())
            }
        };
        let io = PositionedIo {
            read: &read,
            write_at: &failing,
            threads: 2,
        };
        let r = seal_range_at(&c, segs, &batching(320), &io);
        assert!(matches!(r, Err(Error::InvalidInput { what: "disk full" })));
    }

    /// An error in any stage stops the pipeline and is the one returned.
    #[test]
    fn a_failing_stage_stops_the_pipeline() {
        let (_env, c) = cipher(vec![4000]);
        let segs = 0..c.layout().segment_count();
        let mut written = 0usize;
        let r = seal_range(
            &c,
            segs.clone(),
            &batching(320),
            &mut |s, _| {
                if s.index == 100 {
                    Err(Error::InvalidInput {
                        what: "read failed",
                    })
                } else {
                    Ok(())
                }
            },
            &mut |ct| {
                written += ct.len();
                Ok(())
            },
        );
        assert!(matches!(
            r,
            Err(Error::InvalidInput {
                what: "read failed"
            })
        ));
        // Nothing past the failing batch is written (what was written before
        // is thrown away with the temporary file by the caller).
        assert!(written <= 100 * 32, "{written}");
        let mut writes = 0;
        let r = seal_range(&c, segs, &batching(320), &mut |_, _| Ok(()), &mut |_| {
            writes += 1;
            if writes == 3 {
                Err(Error::InvalidInput { what: "disk full" })
            } else {
                Ok(())
            }
        });
        assert!(matches!(r, Err(Error::InvalidInput { what: "disk full" })));
        assert_eq!(writes, 3);
    }
}
