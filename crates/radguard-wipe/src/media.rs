//! The storage the wipe engine writes to: the [`Media`] trait, and buffers
//! aligned for direct I/O.

use std::io;
use std::ops::Range;

/// How verification reads avoided the page cache.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CacheBypass {
    /// Reads used `O_DIRECT`: they came from the device.
    Direct,
    /// The data was synced and the cached pages dropped
    /// (`posix_fadvise(DONTNEED)`) before reading; a best effort, since the
    /// kernel may keep pages another process holds.
    Dropped,
    /// The media has no cache to bypass (memory, a test double).
    NotApplicable,
}

/// Something the wipe engine can overwrite and read back: a file, a block
/// device, free space held by fill files, or a test double.
///
/// Offsets are bytes from the start of the media. The engine only issues
/// reads and writes that lie inside one of [`Media::regions`], start and
/// end on multiples of [`Media::alignment`], and use buffers aligned to it.
///
/// # Examples
///
/// A media kept in memory (the crate's tests use doubles like this one to
/// inject faults):
///
/// ```
/// use std::io;
/// use radguard_wipe::{CacheBypass, Media};
///
/// struct Ram(Vec<u8>);
///
/// impl Media for Ram {
///     fn size(&self) -> u64 { self.0.len() as u64 }
///     fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
///         let o = offset as usize;
///         self.0[o..o + buf.len()].copy_from_slice(buf);
///         Ok(())
///     }
///     fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
///         let o = offset as usize;
///         buf.copy_from_slice(&self.0[o..o + buf.len()]);
///         Ok(())
///     }
///     fn sync(&mut self) -> io::Result<()> { Ok(()) }
///     fn prepare_read_back(&mut self) -> io::Result<CacheBypass> {
///         Ok(CacheBypass::NotApplicable)
///     }
/// }
/// ```
pub trait Media {
    /// The size in bytes of the address space.
    fn size(&self) -> u64;

    /// Required alignment of offsets, lengths and buffer addresses (1 when
    /// anything goes; the logical block size or 4096 for direct I/O).
    fn alignment(&self) -> usize {
        1
    }

    /// The ranges that hold data and must be overwritten, sorted and
    /// disjoint. The default is the whole media; a sparse file lists only
    /// its allocated extents (holes hold no data).
    fn regions(&self) -> Vec<Range<u64>> {
        vec![0..self.size()]
    }

    /// Writes all of `buf` at `offset`.
    ///
    /// # Errors
    ///
    /// Any I/O error; the engine records it and stops.
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()>;

    /// Fills all of `buf` from `offset`.
    ///
    /// # Errors
    ///
    /// Any I/O error; the engine records it and stops.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// Makes every write so far durable (`fdatasync`).
    ///
    /// # Errors
    ///
    /// Any I/O error; the engine records it and stops.
    fn sync(&mut self) -> io::Result<()>;

    /// Gets ready to read back what was written, bypassing caches, and says
    /// how.
    ///
    /// # Errors
    ///
    /// Any I/O error; the engine records it and stops.
    fn prepare_read_back(&mut self) -> io::Result<CacheBypass>;

    /// Asks the device to write zeros over `range` (`BLKZEROOUT`).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::Unsupported`] by default; the device's error otherwise.
    fn zero_out(&mut self, range: Range<u64>) -> io::Result<()> {
        let _ = range;
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Asks the device to discard `range` (`BLKDISCARD`).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::Unsupported`] by default; the device's error otherwise.
    fn discard(&mut self, range: Range<u64>) -> io::Result<()> {
        let _ = range;
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

impl<M: Media + ?Sized> Media for &mut M {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn alignment(&self) -> usize {
        (**self).alignment()
    }
    fn regions(&self) -> Vec<Range<u64>> {
        (**self).regions()
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        (**self).write_at(offset, buf)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        (**self).read_at(offset, buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        (**self).sync()
    }
    fn prepare_read_back(&mut self) -> io::Result<CacheBypass> {
        (**self).prepare_read_back()
    }
    fn zero_out(&mut self, range: Range<u64>) -> io::Result<()> {
        (**self).zero_out(range)
    }
    fn discard(&mut self, range: Range<u64>) -> io::Result<()> {
        (**self).discard(range)
    }
}

/// A heap buffer whose start is aligned for direct I/O, built without
/// `unsafe`: it over-allocates and starts the usable slice at the first
/// aligned address.
pub(crate) struct AlignedBuf {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    pub(crate) fn new(len: usize, align: usize) -> Self {
        let align = align.max(1);
        let raw = vec![0u8; len + align];
        let addr = raw.as_ptr() as usize;
        let start = (align - addr % align) % align;
        Self { raw, start, len }
    }

    #[cfg(test)]
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + self.len]
    }
}

/// Several media seen as one address space, one after another (the fill
/// files of a free-space wipe).
pub(crate) struct Concat<M> {
    parts: Vec<(u64, M)>,
    size: u64,
}

impl<M: Media> Concat<M> {
    pub(crate) fn new(parts: Vec<M>) -> Self {
        let mut at = 0u64;
        let parts: Vec<(u64, M)> = parts
            .into_iter()
            .map(|m| {
                let start = at;
                at += m.size();
                (start, m)
            })
            .collect();
        Self { parts, size: at }
    }

    pub(crate) fn into_parts(self) -> Vec<M> {
        self.parts.into_iter().map(|(_, m)| m).collect()
    }

    fn locate(&mut self, offset: u64, len: usize) -> io::Result<(u64, &mut M)> {
        for (start, m) in &mut self.parts {
            if offset >= *start && offset + len as u64 <= *start + m.size() {
                return Ok((offset - *start, m));
            }
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "access spans parts of a concatenated media",
        ))
    }
}

impl<M: Media> Media for Concat<M> {
    fn size(&self) -> u64 {
        self.size
    }
    fn alignment(&self) -> usize {
        self.parts
            .iter()
            .map(|(_, m)| m.alignment())
            .max()
            .unwrap_or(1)
    }
    fn regions(&self) -> Vec<Range<u64>> {
        self.parts
            .iter()
            .flat_map(|(s, m)| m.regions().into_iter().map(move |r| r.start + s..r.end + s))
            .collect()
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let (o, m) = self.locate(offset, buf.len())?;
        m.write_at(o, buf)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let (o, m) = self.locate(offset, buf.len())?;
        m.read_at(o, buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.parts.iter_mut().try_for_each(|(_, m)| m.sync())
    }
    fn prepare_read_back(&mut self) -> io::Result<CacheBypass> {
        let mut how = CacheBypass::Direct;
        for (_, m) in &mut self.parts {
            let h = m.prepare_read_back()?;
            if h != CacheBypass::Direct {
                how = h;
            }
        }
        Ok(how)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buffers_are_aligned() {
        for align in [1usize, 512, 4096] {
            let mut b = AlignedBuf::new(8192, align);
            assert_eq!(b.as_slice().as_ptr() as usize % align, 0);
            assert_eq!(b.as_mut_slice().len(), 8192);
        }
    }
}
