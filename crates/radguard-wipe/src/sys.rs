//! The only `unsafe` code of the crate: three block-device ioctls that
//! neither std nor rustix wrap safely.
//!
//! | ioctl | `linux/fs.h` | argument | what it does |
//! |---|---|---|---|
//! | `BLKDISCARD` | `_IO(0x12, 119)` | `u64[2]` = {start, len} in bytes | TRIM/UNMAP the range |
//! | `BLKSECDISCARD` | `_IO(0x12, 125)` | same | secure discard (eMMC-style) |
//! | `BLKZEROOUT` | `_IO(0x12, 127)` | same | write zeros (WRITE ZEROES/SAME or plain writes) |
//!
//! Each takes a pointer to two `u64` that the kernel only reads. The
//! wrappers below own that array for the duration of the call, pass the
//! opcode the kernel header defines, and return the kernel's error as an
//! [`io::Error`]; there is nothing else the caller could get wrong.
#![allow(unsafe_code)]

use std::io;
use std::ops::Range;
use std::os::fd::AsFd;

use rustix::ioctl::{Setter, ioctl, opcode};

const BLKDISCARD: rustix::ioctl::Opcode = opcode::none(0x12, 119);
const BLKSECDISCARD: rustix::ioctl::Opcode = opcode::none(0x12, 125);
const BLKZEROOUT: rustix::ioctl::Opcode = opcode::none(0x12, 127);

fn range_arg(range: &Range<u64>) -> io::Result<[u64; 2]> {
    let len = range
        .end
        .checked_sub(range.start)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    Ok([range.start, len])
}

/// `BLKZEROOUT` over `range` (bytes, multiples of the logical block size).
pub(crate) fn blk_zeroout(fd: impl AsFd, range: &Range<u64>) -> io::Result<()> {
    let arg = range_arg(range)?;
    // SAFETY: BLKZEROOUT is `_IO(0x12,127)` and reads a `u64[2]` through the
    // pointer `Setter` passes; `arg` lives until `ioctl` returns.
    let r = unsafe { ioctl(fd, Setter::<BLKZEROOUT, [u64; 2]>::new(arg)) };
    r.map_err(io::Error::from)
}

/// `BLKDISCARD` over `range`.
pub(crate) fn blk_discard(fd: impl AsFd, range: &Range<u64>) -> io::Result<()> {
    let arg = range_arg(range)?;
    // SAFETY: BLKDISCARD is `_IO(0x12,119)` and reads a `u64[2]`; see above.
    let r = unsafe { ioctl(fd, Setter::<BLKDISCARD, [u64; 2]>::new(arg)) };
    r.map_err(io::Error::from)
}

/// Probes `BLKSECDISCARD` support with an empty range, which the kernel
/// checks for support before doing anything (it returns `EOPNOTSUPP` for
/// devices without secure erase) and then treats as a no-op.
pub(crate) fn blk_secdiscard_probe(fd: impl AsFd) -> io::Result<()> {
    // SAFETY: BLKSECDISCARD is `_IO(0x12,125)` and reads a `u64[2]`; a zero
    // length erases nothing.
    let r = unsafe { ioctl(fd, Setter::<BLKSECDISCARD, [u64; 2]>::new([0, 0])) };
    r.map_err(io::Error::from)
}
