//! The overwrite engine: runs the passes of a method over any [`Media`],
//! verifies, reports progress and stops cleanly when asked.

use std::ops::{ControlFlow, Range};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::media::{AlignedBuf, CacheBypass, Media};
use crate::method::{PassKind, Verify};
use crate::pattern::{Pattern, PatternStream};
use crate::report::{Status, VerifyScope};

/// Size of one write or read: 4 MiB, like `dd bs=4M`.
pub(crate) const CHUNK: usize = 4 << 20;

/// Largest range handed to one `BLKZEROOUT`/`BLKDISCARD` call, so that
/// progress is reported and an interrupt is honoured at least every 1 GiB.
const DEVICE_OP_CHUNK: u64 = 1 << 30;

/// What the engine is doing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Phase {
    /// Writing a pass.
    Write,
    /// Reading a pass back.
    Verify,
}

/// One progress report, sent after every chunk.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Progress {
    /// Index of the target in the plan.
    pub target: usize,
    /// Writing or verifying.
    pub phase: Phase,
    /// Pass number, from 1.
    pub pass: u32,
    /// Number of passes of the method.
    pub passes: u32,
    /// Bytes processed since the previous report.
    pub delta: u64,
    /// Bytes processed in this phase of this pass.
    pub done: u64,
    /// Bytes this phase of this pass will process.
    pub total: u64,
}

/// Receives progress and decides whether to go on.
///
/// Return [`ControlFlow::Break`] to stop: the engine finishes the chunk in
/// flight, syncs, and reports the target as interrupted with how far it
/// got. Closures `FnMut(&Progress) -> ControlFlow<()>` implement it.
///
/// # Examples
///
/// ```
/// use std::ops::ControlFlow;
/// use radguard_wipe::{Observer, Progress};
///
/// let mut bytes = 0u64;
/// let mut obs = |p: &Progress| {
///     bytes += p.delta;
///     ControlFlow::Continue(())
/// };
/// fn takes(_: &mut dyn Observer) {}
/// takes(&mut obs);
/// ```
pub trait Observer {
    /// Called after every chunk written or read.
    fn progress(&mut self, event: &Progress) -> ControlFlow<()>;
}

impl<F: FnMut(&Progress) -> ControlFlow<()>> Observer for F {
    fn progress(&mut self, event: &Progress) -> ControlFlow<()> {
        self(event)
    }
}

/// An observer that never stops and ignores progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {
    fn progress(&mut self, _: &Progress) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// How a verification read-back ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerifyResult {
    /// Every byte read matched.
    Passed,
    /// A byte differed, or a read failed.
    Failed,
    /// Stopped before the end (interrupt).
    Incomplete,
}

/// The read-back of one pass.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VerificationRecord {
    /// The whole pass or samples of it.
    pub scope: VerifyScope,
    /// Bytes read back and compared.
    pub bytes_read: u64,
    /// Number of sampled ranges (sampled scope only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u64>,
    /// How the page cache was avoided.
    pub cache_bypass: CacheBypass,
    /// The outcome.
    pub result: VerifyResult,
    /// Offset of the first byte that did not match, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_mismatch_offset: Option<u64>,
}

/// One pass as it happened.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PassRecord {
    /// Pass number, from 1.
    pub number: u32,
    /// What the pass wrote.
    pub pattern: String,
    /// Bytes written (or zeroed/discarded by the device).
    pub bytes_written: u64,
    /// Bytes the pass had to write.
    pub bytes_planned: u64,
    /// The pass reached its end and was synced.
    pub completed: bool,
    /// Its read-back, if one was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationRecord>,
}

/// How the engine ended.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum End {
    Completed,
    Interrupted,
    Failed { error: String, offset: Option<u64> },
    VerifyFailed { offset: u64 },
}

impl End {
    /// The report status of a target whose run ended so.
    pub(crate) fn status(&self) -> Status {
        match self {
            Self::Completed => Status::Completed,
            Self::Interrupted => Status::Interrupted,
            Self::Failed { .. } | Self::VerifyFailed { .. } => Status::Failed,
        }
    }

    /// The report's error text: the failure, else `extra`.
    pub(crate) fn error(&self, extra: Option<String>) -> Option<String> {
        match self {
            Self::Completed | Self::Interrupted => extra,
            Self::Failed { error, .. } => Some(error.clone()),
            Self::VerifyFailed { offset } => Some(format!(
                "verification failed: the data read back at byte {offset} differs from what was written"
            )),
        }
    }
}

/// What the engine did.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) passes: Vec<PassRecord>,
    pub(crate) end: End,
}

impl Outcome {
    pub(crate) fn bytes_written(&self) -> u64 {
        self.passes.iter().map(|p| p.bytes_written).sum()
    }
}

/// Bytes the engine will write and read for `media` (for progress bars).
pub(crate) fn work_bytes(size: u64, passes: &[PassKind], verify: Verify) -> u64 {
    let n = passes.len() as u64;
    let read = match verify {
        Verify::None => 0,
        Verify::Last => size,
        Verify::All => size * n,
        Verify::Sample => size / 10 + 1,
    };
    size * n + read
}

/// Runs every pass of `passes` over `media`.
pub(crate) fn run(
    media: &mut dyn Media,
    passes: &[PassKind],
    verify: Verify,
    target: usize,
    observer: &mut dyn Observer,
) -> Outcome {
    let regions = media.regions();
    let planned: u64 = regions.iter().map(|r| r.end - r.start).sum();
    let align = media.alignment().max(1);
    let n = u32::try_from(passes.len()).unwrap_or(u32::MAX);
    let mut out = Outcome {
        passes: Vec::new(),
        end: End::Completed,
    };
    for (i, kind) in passes.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let last = i + 1 == passes.len();
        let mut rec = PassRecord {
            number,
            pattern: kind.label(),
            bytes_written: 0,
            bytes_planned: planned,
            completed: false,
            verification: None,
        };
        let stream = match kind {
            PassKind::Write(p) => match PatternStream::new(p, number) {
                Ok(s) => Some(s),
                Err(e) => {
                    out.passes.push(rec);
                    out.end = End::Failed {
                        error: e.to_string(),
                        offset: None,
                    };
                    return out;
                }
            },
            PassKind::ZeroOut | PassKind::Discard => None,
        };
        let mut ctx = Ctx {
            target,
            pass: number,
            passes: n,
            observer: &mut *observer,
        };
        let written = match &stream {
            Some(s) => write_pass(media, &regions, align, s, &mut rec, &mut ctx),
            None => device_pass(media, &regions, kind, &mut rec, &mut ctx),
        };
        if let Err(end) = written {
            // Make what was written durable before reporting.
            let _ = media.sync();
            out.passes.push(rec);
            out.end = end;
            return out;
        }
        if let Err(e) = media.sync() {
            out.passes.push(rec);
            out.end = End::Failed {
                error: format!("sync failed: {e}"),
                offset: None,
            };
            return out;
        }
        rec.completed = true;
        let do_verify = match verify {
            Verify::None => false,
            Verify::Last | Verify::Sample => last,
            Verify::All => true,
        };
        if do_verify {
            let expected = kind.expected();
            // For device passes the expected content is zeros.
            let expect_stream = match &stream {
                Some(s) => s,
                None => &PatternStream::with_seed(&expected, [0; 32], number),
            };
            let sampled = verify == Verify::Sample;
            let result = verify_pass(
                media,
                &regions,
                align,
                expect_stream,
                sampled,
                &mut rec,
                &mut ctx,
            );
            if let Err(end) = result {
                out.passes.push(rec);
                out.end = end;
                return out;
            }
        }
        out.passes.push(rec);
    }
    out
}

/// Records a pass that was already written and synced (the zeros that
/// claimed a file system's free space are the Clear pass itself) and runs
/// its verification as [`run`] would.
pub(crate) fn run_written(
    media: &mut dyn Media,
    kind: &PassKind,
    bytes_written: u64,
    verify: Verify,
    target: usize,
    observer: &mut dyn Observer,
) -> Outcome {
    let regions = media.regions();
    let planned: u64 = regions.iter().map(|r| r.end - r.start).sum();
    let align = media.alignment().max(1);
    let mut rec = PassRecord {
        number: 1,
        pattern: kind.label(),
        bytes_written,
        bytes_planned: planned,
        completed: true,
        verification: None,
    };
    let mut out = Outcome {
        passes: Vec::new(),
        end: End::Completed,
    };
    if verify != Verify::None {
        let stream = match PatternStream::new(&kind.expected(), 1) {
            Ok(s) => s,
            Err(e) => {
                out.passes.push(rec);
                out.end = End::Failed {
                    error: e.to_string(),
                    offset: None,
                };
                return out;
            }
        };
        let mut ctx = Ctx {
            target,
            pass: 1,
            passes: 1,
            observer,
        };
        let sampled = verify == Verify::Sample;
        if let Err(end) = verify_pass(media, &regions, align, &stream, sampled, &mut rec, &mut ctx)
        {
            out.end = end;
        }
    }
    out.passes.push(rec);
    out
}

struct Ctx<'a> {
    target: usize,
    pass: u32,
    passes: u32,
    observer: &'a mut dyn Observer,
}

impl Ctx<'_> {
    fn report(&mut self, phase: Phase, delta: u64, done: u64, total: u64) -> ControlFlow<()> {
        self.observer.progress(&Progress {
            target: self.target,
            phase,
            pass: self.pass,
            passes: self.passes,
            delta,
            done,
            total,
        })
    }
}

/// The chunks of a pass, in write order.
fn chunks(regions: &[Range<u64>]) -> impl Iterator<Item = (u64, usize)> + '_ {
    regions.iter().flat_map(|r| {
        let mut off = r.start;
        core::iter::from_fn(move || {
            if off >= r.end {
                return None;
            }
            let n = usize::try_from((r.end - off).min(CHUNK as u64)).unwrap_or(CHUNK);
            let at = off;
            off += n as u64;
            Some((at, n))
        })
    })
}

fn write_pass(
    media: &mut dyn Media,
    regions: &[Range<u64>],
    align: usize,
    stream: &PatternStream,
    rec: &mut PassRecord,
    ctx: &mut Ctx<'_>,
) -> Result<(), End> {
    let total = rec.bytes_planned;
    let mut write = |off: u64, chunk: &[u8], rec: &mut PassRecord| -> Result<(), End> {
        if let Err(e) = media.write_at(off, chunk) {
            return Err(End::Failed {
                error: format!("write failed at byte {off}: {e}"),
                offset: Some(off),
            });
        }
        rec.bytes_written += chunk.len() as u64;
        if ctx
            .report(Phase::Write, chunk.len() as u64, rec.bytes_written, total)
            .is_break()
        {
            return Err(End::Interrupted);
        }
        Ok(())
    };
    if let Some(b) = stream.constant() {
        let mut buf = AlignedBuf::new(CHUNK, align);
        buf.as_mut_slice().fill(b);
        for (off, n) in chunks(regions) {
            write(off, &buf.as_mut_slice()[..n], rec)?;
        }
        return Ok(());
    }
    // Generated patterns: a second thread fills the next chunk while this
    // one writes the current one, so generation overlaps the I/O.
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(u64, usize, AlignedBuf)>(1);
        let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<AlignedBuf>(2);
        for _ in 0..2 {
            let _ = free_tx.send(AlignedBuf::new(CHUNK, align));
        }
        scope.spawn(move || {
            for (off, n) in chunks(regions) {
                let Ok(mut buf) = free_rx.recv() else {
                    return;
                };
                stream.fill(off, &mut buf.as_mut_slice()[..n]);
                if full_tx.send((off, n, buf)).is_err() {
                    return;
                }
            }
        });
        let mut result = Ok(());
        for (off, n, mut buf) in full_rx.iter() {
            result = write(off, &buf.as_mut_slice()[..n], rec);
            if result.is_err() {
                break;
            }
            let _ = free_tx.send(buf);
        }
        // Dropping both channel ends stops the generator if we broke off.
        drop(free_tx);
        drop(full_rx);
        result
    })
}

fn device_pass(
    media: &mut dyn Media,
    regions: &[Range<u64>],
    kind: &PassKind,
    rec: &mut PassRecord,
    ctx: &mut Ctx<'_>,
) -> Result<(), End> {
    let total = rec.bytes_planned;
    for r in regions {
        let mut off = r.start;
        while off < r.end {
            let end = (off + DEVICE_OP_CHUNK).min(r.end);
            let res = match kind {
                PassKind::ZeroOut => media.zero_out(off..end),
                _ => media.discard(off..end),
            };
            if let Err(e) = res {
                return Err(End::Failed {
                    error: format!("{} failed at byte {off}: {e}", kind.label()),
                    offset: Some(off),
                });
            }
            rec.bytes_written += end - off;
            let delta = end - off;
            off = end;
            if ctx
                .report(Phase::Write, delta, rec.bytes_written, total)
                .is_break()
            {
                return Err(End::Interrupted);
            }
        }
    }
    Ok(())
}

fn verify_pass(
    media: &mut dyn Media,
    regions: &[Range<u64>],
    align: usize,
    stream: &PatternStream,
    sampled: bool,
    rec: &mut PassRecord,
    ctx: &mut Ctx<'_>,
) -> Result<(), End> {
    let bypass = match media.prepare_read_back() {
        Ok(b) => b,
        Err(e) => {
            return Err(End::Failed {
                error: format!("cannot prepare read-back: {e}"),
                offset: None,
            });
        }
    };
    let ranges: Vec<Range<u64>> = if sampled {
        match sample_ranges(regions, align) {
            Ok(r) => r,
            Err(e) => {
                return Err(End::Failed {
                    error: e.to_string(),
                    offset: None,
                });
            }
        }
    } else {
        regions.to_vec()
    };
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let mut v = VerificationRecord {
        scope: if sampled {
            VerifyScope::Sampled
        } else {
            VerifyScope::Full
        },
        bytes_read: 0,
        samples: sampled.then_some(ranges.len() as u64),
        cache_bypass: bypass,
        result: VerifyResult::Incomplete,
        first_mismatch_offset: None,
    };
    let mut buf = AlignedBuf::new(CHUNK, align);
    for r in &ranges {
        let mut off = r.start;
        while off < r.end {
            let n = usize::try_from((r.end - off).min(CHUNK as u64)).unwrap_or(CHUNK);
            let chunk = &mut buf.as_mut_slice()[..n];
            if let Err(e) = media.read_at(off, chunk) {
                v.result = VerifyResult::Failed;
                rec.verification = Some(v);
                return Err(End::Failed {
                    error: format!("read-back failed at byte {off}: {e}"),
                    offset: Some(off),
                });
            }
            if let Some(p) = stream.first_mismatch(off, chunk) {
                let at = off + p as u64;
                v.result = VerifyResult::Failed;
                v.first_mismatch_offset = Some(at);
                v.bytes_read += p as u64;
                rec.verification = Some(v);
                return Err(End::VerifyFailed { offset: at });
            }
            off += n as u64;
            v.bytes_read += n as u64;
            if ctx
                .report(Phase::Verify, n as u64, v.bytes_read, total)
                .is_break()
            {
                rec.verification = Some(v);
                return Err(End::Interrupted);
            }
        }
    }
    v.result = VerifyResult::Passed;
    rec.verification = Some(v);
    Ok(())
}

/// Number of subsections NIST SP 800-88 Rev. 1 §4.7 asks for.
const SUBSECTIONS: u64 = 1000;

/// Pseudorandom sample ranges over `regions`: the first and the last
/// aligned block, and in each of up to 1,000 equal subsections two
/// non-overlapping samples (one per half) of 5 % of the subsection each.
/// Media too small for that is read in full.
pub(crate) fn sample_ranges(
    regions: &[Range<u64>],
    align: usize,
) -> Result<Vec<Range<u64>>, Error> {
    let align = align.max(512) as u64;
    let total: u64 = regions.iter().map(|r| r.end - r.start).sum();
    // Each sample is at least one aligned block and 5 % of a subsection, so
    // a subsection needs at least 20 blocks.
    let subsections = (total / (20 * align)).min(SUBSECTIONS);
    if subsections < 2 {
        return Ok(regions.to_vec());
    }
    let sub_len = total / subsections;
    let sample_len = (sub_len / 20).max(align) / align * align;
    let half = sub_len / 2;
    let rng = PatternStream::new(&Pattern::Random, u32::MAX)?;
    let mut draws = vec![0u8; usize::try_from(subsections * 16).unwrap_or(0)];
    rng.fill(0, &mut draws);
    let mut logical = Vec::with_capacity(usize::try_from(subsections * 2 + 2).unwrap_or(0));
    logical.push(0..align.min(total));
    for s in 0..subsections {
        let base = s * sub_len;
        let i = usize::try_from(s * 16).unwrap_or(0);
        for (k, bytes) in draws[i..i + 16].chunks_exact(8).enumerate() {
            let r = u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
            let room = half.saturating_sub(sample_len) / align + 1;
            let start = base + k as u64 * half + (r % room) * align;
            let start = start / align * align;
            logical.push(start..(start + sample_len).min(total));
        }
    }
    let last = total.saturating_sub(align) / align * align;
    logical.push(last..total);
    logical.sort_by_key(|r| r.start);
    // Merge overlaps, then map logical offsets onto the regions.
    let mut merged: Vec<Range<u64>> = Vec::new();
    for r in logical {
        match merged.last_mut() {
            Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
            _ => merged.push(r),
        }
    }
    Ok(map_logical(regions, &merged))
}

/// Maps ranges of the concatenated region space onto real offsets.
fn map_logical(regions: &[Range<u64>], logical: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut base = 0u64;
    for reg in regions {
        let len = reg.end - reg.start;
        for l in logical {
            let s = l.start.max(base);
            let e = l.end.min(base + len);
            if s < e {
                out.push(reg.start + (s - base)..reg.start + (e - base));
            }
        }
        base += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_ends_and_about_ten_percent() {
        let size = 1u64 << 30;
        let r = sample_ranges(&[0..size], 4096).unwrap();
        let covered: u64 = r.iter().map(|x| x.end - x.start).sum();
        assert_eq!(r.first().unwrap().start, 0);
        assert_eq!(r.last().unwrap().end, size);
        assert!(covered >= size / 10 - size / 100, "{covered}");
        assert!(covered <= size / 10 + size / 50, "{covered}");
        // Sorted, disjoint, aligned.
        for w in r.windows(2) {
            assert!(w[0].end <= w[1].start);
        }
        assert!(r.iter().all(|x| x.start % 4096 == 0));
        assert!(r.len() >= 1000);
    }

    #[test]
    fn small_media_is_read_in_full() {
        let r = sample_ranges(&[0..8192], 4096).unwrap();
        assert_eq!(r, vec![0..8192]);
    }

    #[test]
    fn logical_ranges_map_onto_regions() {
        let regions = [0..100, 1000..1100];
        let m = map_logical(&regions, &[50..150]);
        assert_eq!(m, vec![50..100, 1000..1050]);
    }
}
