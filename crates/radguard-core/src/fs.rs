//! Atomic file writing, the one way every radguard crate and the CLI put a
//! file on disk (feature `fs`, needs `std`).
//!
//! A file is written to a temporary file in the target folder, named
//! [`TEMP_PREFIX`]`*`[`TEMP_SUFFIX`] (`.radguard-XXXXXX.part`), made
//! durable (`fsync`), moved to its final name (refusing to replace an
//! existing file unless asked) and the folder is `fsync`ed, so that
//! nothing half-written ever appears under the final name. Dropping an
//! [`AtomicFile`] before [`AtomicFile::commit`] removes the temporary file.
//!
//! # Examples
//!
//! ```
//! use std::io::Write;
//! use radguard_core::fs::{AtomicFile, AtomicOptions, write_atomic};
//!
//! let dir = tempfile::tempdir()?;
//! let report = dir.path().join("report.json");
//! write_atomic(&report, b"{}", &AtomicOptions::new())?;
//! // Never replaced unless asked.
//! let again = write_atomic(&report, b"[]", &AtomicOptions::new());
//! assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
//!
//! // Streaming: nothing under the final name until commit.
//! let big = dir.path().join("big.bin");
//! let mut f = AtomicFile::create(&big, &AtomicOptions::new().mode(0o640))?;
//! f.write_all(&[0u8; 4096])?;
//! assert!(!big.exists());
//! f.commit()?;
//! assert_eq!(std::fs::read(&big)?.len(), 4096);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - The temporary file is created with the final mode (default `0600`)
//!   from the start, so its content is never readable by others, even for
//!   a moment.
//! - A process killed between creation and commit leaves a
//!   `.radguard-*.part` file beside the target; [`is_temp_name`] recognises
//!   such names so that folder walks can skip them.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::vec::Vec;

use tempfile::TempPath;

/// The prefix of every temporary file radguard creates.
pub const TEMP_PREFIX: &str = ".radguard-";
/// The suffix of every temporary file radguard creates.
pub const TEMP_SUFFIX: &str = ".part";

/// `true` if `name` (a file name, not a path) has the shape of a radguard
/// temporary file: `.radguard-*.part`.
///
/// # Examples
///
/// ```
/// use radguard_core::fs::is_temp_name;
/// assert!(is_temp_name(".radguard-a1B2c3.part".as_ref()));
/// assert!(!is_temp_name("image.dcm".as_ref()));
/// ```
#[must_use]
pub fn is_temp_name(name: &OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX))
}

/// How an [`AtomicFile`] is created and committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomicOptions {
    overwrite: bool,
    mode: u32,
}

impl Default for AtomicOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl AtomicOptions {
    /// Never replace an existing file; mode `0600`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            overwrite: false,
            mode: 0o600,
        }
    }

    /// Allows replacing an existing file at the target path.
    #[must_use]
    pub const fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }

    /// The permission bits of the new file (Unix; ignored elsewhere).
    #[must_use]
    pub const fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// `true` if an existing file may be replaced.
    #[must_use]
    pub const fn overwrites(&self) -> bool {
        self.overwrite
    }
}

/// A file being written atomically (see the [module docs](self)).
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    temp: TempPath,
    path: PathBuf,
    overwrite: bool,
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl AtomicFile {
    /// Creates the temporary file next to `path` (the folder must exist).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] if `path` exists (even as a broken
    /// symbolic link) and overwriting is off; errors creating the temporary
    /// file.
    pub fn create(path: &Path, opts: &AtomicOptions) -> io::Result<Self> {
        if !opts.overwrite && path.symlink_metadata().is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the target file exists",
            ));
        }
        let dir = parent_dir(path);
        let mut b = tempfile::Builder::new();
        b.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            b.permissions(std::fs::Permissions::from_mode(opts.mode));
        }
        let (file, temp) = b.tempfile_in(&dir)?.into_parts();
        Ok(Self {
            file,
            temp,
            path: path.to_path_buf(),
            overwrite: opts.overwrite,
        })
    }

    /// The final path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open temporary file (for `io::copy` from another file, which the
    /// kernel can then do itself).
    pub fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// The open temporary file.
    #[must_use]
    pub fn file(&self) -> &File {
        &self.file
    }

    /// `fsync`s the file, moves it to its final name and `fsync`s the folder.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] if the target appeared meanwhile and
    /// overwriting is off; other I/O errors. On error the temporary file is
    /// removed and nothing is left under the final name.
    pub fn commit(self) -> io::Result<()> {
        self.file.sync_all()?;
        let dir = parent_dir(&self.path);
        self.rename()?;
        sync_dir(&dir);
        Ok(())
    }

    /// Moves the file into place without syncing it (the caller has made
    /// its bytes durable another way, see [`commit_all`]).
    fn rename(self) -> io::Result<()> {
        let Self {
            file,
            temp,
            path,
            overwrite,
        } = self;
        drop(file);
        if overwrite {
            temp.persist(&path).map_err(|e| e.error)
        } else {
            temp.persist_noclobber(&path).map_err(|e| e.error)
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.file.write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` to `path` atomically (see the [module docs](self)).
///
/// # Errors
///
/// As [`AtomicFile::create`] and [`AtomicFile::commit`].
pub fn write_atomic(path: &Path, bytes: &[u8], opts: &AtomicOptions) -> io::Result<()> {
    let mut f = AtomicFile::create(path, opts)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Commits many files at once: one sync of each file system involved
/// (`syncfs` on Linux; one `fsync` per file elsewhere), then the renames,
/// then one `fsync` per folder. Returns each final path with its result,
/// in the order of `files` (two files may have the same final path: at
/// most one of them gets it).
///
/// # Security
///
/// Same guarantee as [`AtomicFile::commit`]: a file appears under its final
/// name only after its bytes are on stable storage.
#[must_use]
pub fn commit_all(files: Vec<AtomicFile>) -> Vec<(PathBuf, io::Result<()>)> {
    let synced_by_fs = sync_file_systems(&files);
    let mut dirs = std::collections::BTreeSet::new();
    let out = files
        .into_iter()
        .map(|f| {
            let path = f.path.clone();
            if !synced_by_fs && let Err(e) = f.file.sync_all() {
                return (path, Err(e));
            }
            let r = f.rename();
            if r.is_ok() {
                dirs.insert(parent_dir(&path));
            }
            (path, r)
        })
        .collect();
    for d in dirs {
        sync_dir(&d);
    }
    out
}

/// Syncs the file system of every file, once per file system. Returns
/// `false` if that is not possible here (then each file is synced).
#[cfg(target_os = "linux")]
fn sync_file_systems(files: &[AtomicFile]) -> bool {
    use std::os::unix::fs::MetadataExt;
    let mut devices = std::collections::BTreeSet::new();
    for f in files {
        let Ok(meta) = f.file.metadata() else {
            return false;
        };
        if devices.insert(meta.dev()) && rustix::fs::syncfs(&f.file).is_err() {
            return false;
        }
    }
    true
}

#[cfg(not(target_os = "linux"))]
fn sync_file_systems(_files: &[AtomicFile]) -> bool {
    false
}

/// `fsync`s a folder so a rename in it is durable. Not every platform or
/// file system supports this; failure is not an error.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::format;

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x");
        {
            let mut f = AtomicFile::create(&target, &AtomicOptions::new()).unwrap();
            f.write_all(b"secret").unwrap();
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names.len(), 1);
            assert!(is_temp_name(&names[0]), "{names:?}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_set_from_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("cert.json");
        let f = AtomicFile::create(&target, &AtomicOptions::new().mode(0o644)).unwrap();
        let mode = f.file().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        f.commit().unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        // Default: owner only.
        let other = dir.path().join("key");
        write_atomic(&other, b"k", &AtomicOptions::new()).unwrap();
        let mode = std::fs::metadata(&other).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn overwrite_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r");
        write_atomic(&target, b"1", &AtomicOptions::new()).unwrap();
        let e = write_atomic(&target, b"2", &AtomicOptions::new()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"1");
        write_atomic(&target, b"3", &AtomicOptions::new().overwrite(true)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"3");
    }

    #[test]
    fn target_appearing_before_commit_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r");
        let mut f = AtomicFile::create(&target, &AtomicOptions::new()).unwrap();
        f.write_all(b"new").unwrap();
        std::fs::write(&target, b"someone else's").unwrap();
        let e = f.commit().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"someone else's");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn commit_all_renames_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for i in 0..5u8 {
            let mut f =
                AtomicFile::create(&dir.path().join(format!("f{i}")), &AtomicOptions::new())
                    .unwrap();
            f.write_all(&[i]).unwrap();
            files.push(f);
        }
        // One of them collides with an existing file.
        std::fs::write(dir.path().join("f3"), b"x").unwrap();
        let results = commit_all(files);
        assert_eq!(results.len(), 5);
        for (p, r) in results {
            if p.ends_with("f3") {
                assert!(r.is_err());
                assert_eq!(std::fs::read(&p).unwrap(), b"x");
            } else {
                r.unwrap();
                assert_eq!(std::fs::read(&p).unwrap().len(), 1);
            }
        }
        // Two files aimed at one name: results in input order, the first
        // gets it.
        let mut twins = Vec::new();
        for b in [b'a', b'b'] {
            let mut f =
                AtomicFile::create(&dir.path().join("twin"), &AtomicOptions::new()).unwrap();
            f.write_all(&[b]).unwrap();
            twins.push(f);
        }
        let r = commit_all(twins);
        assert!(r[0].1.is_ok() && r[1].1.is_err());
        assert_eq!(std::fs::read(dir.path().join("twin")).unwrap(), b"a");
        // No temporary file is left behind.
        assert!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .all(|e| !is_temp_name(&e.unwrap().file_name()))
        );
    }
}
