//! [`Media`] over an open file descriptor: a regular file (sparse-aware) or
//! a block device, with `O_DIRECT` where the filesystem allows it.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;

use rustix::fs::{Advice, SeekFrom};

use crate::media::{CacheBypass, Media};

/// Alignment used for direct I/O on files (covers 512 and 4096-byte
/// sectors and the page size).
pub(crate) const FILE_ALIGN: usize = 4096;

/// An open file or block device.
pub(crate) struct FdMedia {
    file: File,
    size: u64,
    align: usize,
    direct: bool,
    regions: Vec<Range<u64>>,
    block: bool,
}

impl FdMedia {
    /// A block device opened with `O_DIRECT`.
    pub(crate) fn block(file: File, size: u64, logical_block: usize) -> Self {
        Self {
            file,
            size,
            align: logical_block.max(512),
            direct: true,
            regions: vec![0..size],
            block: true,
        }
    }

    /// A regular file of `size` bytes; `direct` when opened with
    /// `O_DIRECT`. Only the allocated extents are listed as regions, each
    /// widened to the alignment (the tail of the last block is part of the
    /// file's allocation anyway).
    pub(crate) fn file(file: File, size: u64, direct: bool) -> io::Result<Self> {
        let align = if direct { FILE_ALIGN } else { 1 };
        let regions = data_regions(&file, size, FILE_ALIGN as u64)?;
        Ok(Self {
            file,
            size,
            align,
            direct,
            regions,
            block: false,
        })
    }

    /// A fill file whose whole length is overwritten (its blocks are
    /// allocated but unwritten, which `SEEK_DATA` would report as holes).
    pub(crate) fn dense_file(file: File, size: u64, direct: bool) -> io::Result<Self> {
        Ok(Self {
            file,
            size,
            align: if direct { FILE_ALIGN } else { 1 },
            direct,
            regions: vec![0..size],
            block: false,
        })
    }

    pub(crate) fn is_direct(&self) -> bool {
        self.direct
    }

    pub(crate) fn into_file(self) -> File {
        self.file
    }
}

/// Allocated extents of a file from `SEEK_DATA`/`SEEK_HOLE`, rounded out
/// to `align` and merged. Filesystems without hole support report one
/// extent covering the file.
pub(crate) fn data_regions(file: &File, size: u64, align: u64) -> io::Result<Vec<Range<u64>>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    let mut pos = 0u64;
    while pos < size {
        let start = match rustix::fs::seek(file, SeekFrom::Data(pos)) {
            Ok(s) => s,
            // ENXIO: no data at or after pos.
            Err(rustix::io::Errno::NXIO) => break,
            Err(e) => return Err(e.into()),
        };
        if start >= size {
            break;
        }
        let end = match rustix::fs::seek(file, SeekFrom::Hole(start)) {
            Ok(e) => e.min(size),
            Err(e) => return Err(e.into()),
        };
        let s = start / align * align;
        let e = end.div_ceil(align) * align;
        match out.last_mut() {
            Some(last) if s <= last.end => last.end = last.end.max(e),
            _ => out.push(s..e),
        }
        pos = end.max(start + 1);
    }
    Ok(out)
}

impl Media for FdMedia {
    fn size(&self) -> u64 {
        self.size
    }
    fn alignment(&self) -> usize {
        self.align
    }
    fn regions(&self) -> Vec<Range<u64>> {
        self.regions.clone()
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        self.file.write_all_at(buf, offset)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }
    fn sync(&mut self) -> io::Result<()> {
        if self.block {
            // fsync on a block device flushes the device's volatile cache.
            self.file.sync_all()
        } else {
            self.file.sync_data()
        }
    }
    fn prepare_read_back(&mut self) -> io::Result<CacheBypass> {
        if self.direct {
            return Ok(CacheBypass::Direct);
        }
        self.file.sync_data()?;
        rustix::fs::fadvise(&self.file, 0, None, Advice::DontNeed)?;
        Ok(CacheBypass::Dropped)
    }
    fn zero_out(&mut self, range: Range<u64>) -> io::Result<()> {
        if !self.block {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        crate::sys::blk_zeroout(&self.file, &range)
    }
    fn discard(&mut self, range: Range<u64>) -> io::Result<()> {
        if !self.block {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        crate::sys::blk_discard(&self.file, &range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_file_regions_skip_holes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sparse");
        let f = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&p)
            .unwrap();
        f.write_all_at(&[1u8; 10], 0).unwrap();
        f.write_all_at(&[2u8; 10], 10 << 20).unwrap();
        f.set_len(20 << 20).unwrap();
        let r = data_regions(&f, 20 << 20, 4096).unwrap();
        // Filesystems that track holes give two extents; others one.
        assert!(!r.is_empty());
        assert_eq!(r[0].start, 0);
        assert!(r.iter().any(|x| x.contains(&(10 << 20))));
        if r.len() > 1 {
            let covered: u64 = r.iter().map(|x| x.end - x.start).sum();
            assert!(covered < 20 << 20);
        }
    }
}
