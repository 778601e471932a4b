//! Random-access byte sources for the parser: a slice, or a file read
//! through a fixed window so that walking a large file costs little memory.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Bytes the parser can read at any offset.
pub(crate) trait Source {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Exactly `len` bytes at `off`. The caller has checked
    /// `off + len <= self.len()`.
    fn read(&mut self, off: u64, len: usize) -> Result<Cow<'_, [u8]>>;
}

/// A source over bytes in memory.
#[derive(Debug)]
pub(crate) struct SliceSource<'a>(pub(crate) &'a [u8]);

impl Source for SliceSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read(&mut self, off: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let start =
            usize::try_from(off).map_err(|_| Error::malformed(off, None, "offset out of range"))?;
        let end = start
            .checked_add(len)
            .filter(|e| *e <= self.0.len())
            .ok_or_else(|| Error::malformed(off, None, "read past the end of the data"))?;
        Ok(Cow::Borrowed(&self.0[start..end]))
    }
}

/// Window size for [`FileSource`]: element headers and small values are
/// served from one buffered read.
const WINDOW: usize = 256 * 1024;

/// A source over a file, read through a window.
#[derive(Debug)]
pub(crate) struct FileSource {
    file: File,
    path: PathBuf,
    size: u64,
    buf: Vec<u8>,
    buf_off: u64,
}

impl FileSource {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("cannot stat", path, e))?;
        if !meta.is_file() {
            return Err(Error::io(
                "cannot read",
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        Ok(Self {
            file,
            path: path.to_path_buf(),
            size: meta.len(),
            buf: Vec::new(),
            buf_off: 0,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn into_file(self) -> File {
        self.file
    }

    /// Replaces `out` with exactly `n` bytes at `off` (reading into spare
    /// capacity: no zero-filling first).
    fn read_into(&mut self, off: u64, n: u64, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        let got = self
            .file
            .seek(SeekFrom::Start(off))
            .and_then(|_| (&self.file).take(n).read_to_end(out))
            .map_err(|e| Error::io("cannot read", &self.path, e))?;
        if got as u64 != n {
            return Err(Error::io(
                "cannot read",
                &self.path,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "file shrank while being read",
                ),
            ));
        }
        Ok(())
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.size
    }

    fn read(&mut self, off: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let end = off
            .checked_add(len as u64)
            .filter(|e| *e <= self.size)
            .ok_or_else(|| Error::malformed(off, None, "read past the end of the file"))?;
        let buf_end = self.buf_off + self.buf.len() as u64;
        if off >= self.buf_off && end <= buf_end {
            // Both bounds are inside the window, so the casts cannot truncate.
            let s = usize::try_from(off - self.buf_off).unwrap_or(0);
            return Ok(Cow::Borrowed(&self.buf[s..s + len]));
        }
        if len <= WINDOW {
            let n = (self.size - off).min(WINDOW as u64);
            let mut buf = std::mem::take(&mut self.buf);
            self.read_into(off, n, &mut buf)?;
            self.buf = buf;
            self.buf_off = off;
            return Ok(Cow::Borrowed(&self.buf[..len]));
        }
        let mut v = Vec::new();
        self.read_into(off, len as u64, &mut v)?;
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn file_source_windows_and_large_reads() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data: Vec<u8> = (0..(WINDOW * 3))
            .map(|i| u8::try_from(i % 251).unwrap())
            .collect();
        f.write_all(&data).unwrap();
        let mut s = FileSource::open(f.path()).unwrap();
        assert_eq!(s.len(), data.len() as u64);
        for (off, len) in [
            (0usize, 10usize),
            (5, 100),
            (WINDOW - 4, 8),
            (WINDOW * 2 + 7, 1000),
            (1, WINDOW * 2),
        ] {
            let got = s.read(off as u64, len).unwrap();
            assert_eq!(&got[..], &data[off..off + len], "off {off} len {len}");
        }
        assert!(s.read(data.len() as u64 - 2, 3).is_err());
    }
}
