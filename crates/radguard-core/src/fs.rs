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
//! # Leftovers of interrupted runs
//!
//! Every temporary file is `.radguard-*.part` ([`is_temp_name`]): folder
//! walks skip such names. On Linux each temporary file also holds an
//! exclusive advisory lock (`flock`) for as long as its [`AtomicFile`]
//! lives, which the kernel releases when the process dies, however it
//! dies. A temporary file whose lock is free therefore belongs to a run
//! that died: [`remove_stale_temp_files`] overwrites such files with zeros
//! and removes them, and [`AtomicFile::create`] does so, once per process,
//! in every folder it writes to. A process that catches `SIGINT` or
//! `SIGTERM` calls [`abandon_pending`] to remove its own temporary files
//! before exiting.
//!
//! # Security
//!
//! - The temporary file is created with the final mode (default `0600`)
//!   from the start, so its content is never readable by others, even for
//!   a moment.
//! - A leftover temporary file may hold plaintext (an interrupted
//!   decryption): it is overwritten before it is unlinked.
//! - [`AtomicOptions::keep_metadata`] gives a replacement the owner,
//!   group, permission bits, ACLs, extended attributes and times of the
//!   file it replaces, and refuses to replace a file with other hard links
//!   (replacing one name of several would split them).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::sync::Mutex;
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
    keep_metadata: bool,
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
            keep_metadata: false,
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

    /// When an existing file is replaced (see
    /// [`AtomicOptions::overwrite`]), gives the replacement that file's
    /// owner, group, permission bits, access and modification times, and
    /// (Linux) its extended attributes, POSIX ACLs included, before it is
    /// moved into place; refuses to replace a file that has other hard
    /// links or is not a regular file. Without an existing file this
    /// changes nothing.
    ///
    /// # Security
    ///
    /// Keeping the owner of a file owned by someone else needs the
    /// privilege to change owners (root); without it the commit fails and
    /// the file is left as it was. The replacement is a new inode: its
    /// change time (`ctime`) and inode number differ.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::os::unix::fs::PermissionsExt;
    /// use radguard_core::fs::{AtomicOptions, write_atomic};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let p = dir.path().join("image.dcm");
    /// std::fs::write(&p, b"old")?;
    /// std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640))?;
    /// write_atomic(&p, b"new", &AtomicOptions::new().overwrite(true).keep_metadata(true))?;
    /// assert_eq!(std::fs::metadata(&p)?.permissions().mode() & 0o777, 0o640);
    ///
    /// std::fs::hard_link(&p, dir.path().join("other-name"))?;
    /// assert!(write_atomic(&p, b"x", &AtomicOptions::new().overwrite(true).keep_metadata(true)).is_err());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn keep_metadata(mut self, yes: bool) -> Self {
        self.keep_metadata = yes;
        self
    }

    /// `true` if an existing file may be replaced.
    #[must_use]
    pub const fn overwrites(&self) -> bool {
        self.overwrite
    }

    /// `true` if a replaced file's metadata is kept.
    #[must_use]
    pub const fn keeps_metadata(&self) -> bool {
        self.keep_metadata
    }
}

/// A file being written atomically (see the [module docs](self)).
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    temp: TempPath,
    path: PathBuf,
    overwrite: bool,
    keep_metadata: bool,
    /// Removes the temporary file from the process's pending set on drop.
    _pending: Pending,
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The temporary files this process has pending, and whether
/// [`abandon_pending`] has been called.
struct PendingSet {
    abandoned: bool,
    paths: BTreeSet<PathBuf>,
}

static PENDING: Mutex<PendingSet> = Mutex::new(PendingSet {
    abandoned: false,
    paths: BTreeSet::new(),
});

/// Folders this process has already swept of stale temporary files.
static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn pending() -> std::sync::MutexGuard<'static, PendingSet> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A temporary file's entry in the process's pending set.
#[derive(Debug)]
struct Pending(PathBuf);

impl Drop for Pending {
    fn drop(&mut self) {
        pending().paths.remove(&self.0);
    }
}

/// Removes every temporary file this process has pending (files being
/// written, not yet committed) and makes every later
/// [`AtomicFile::create`] fail with [`io::ErrorKind::Interrupted`].
/// Returns how many files were removed.
///
/// Call it from a signal handler thread (`SIGINT`, `SIGTERM`) right before
/// exiting, so that an interrupted run leaves no partial output behind —
/// above all no partly decrypted plaintext. Files already committed stay.
///
/// # Examples
///
/// ```
/// use radguard_core::fs::{AtomicFile, AtomicOptions, abandon_pending};
///
/// let dir = tempfile::tempdir()?;
/// let f = AtomicFile::create(&dir.path().join("out"), &AtomicOptions::new())?;
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
/// # let _ = f;
/// # if false {
/// assert_eq!(abandon_pending(), 1); // then exit the process
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn abandon_pending() -> usize {
    let mut set = pending();
    set.abandoned = true;
    let mut n = 0;
    for p in &set.paths {
        if std::fs::remove_file(p).is_ok() {
            n += 1;
        }
    }
    set.paths.clear();
    // The guard is dropped here; the set stays abandoned for good.
    n
}

impl AtomicFile {
    /// Creates the temporary file next to `path` (the folder must exist).
    /// The first time this process writes into a folder, temporary files
    /// that runs which died left there are removed first (see
    /// [`remove_stale_temp_files`]).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] if `path` exists (even as a broken
    /// symbolic link) and overwriting is off; with
    /// [`AtomicOptions::keep_metadata`], an error if the existing file is
    /// not a regular file or has other hard links;
    /// [`io::ErrorKind::Interrupted`] after [`abandon_pending`]; errors
    /// creating the temporary file.
    pub fn create(path: &Path, opts: &AtomicOptions) -> io::Result<Self> {
        if !opts.overwrite && path.symlink_metadata().is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the target file exists",
            ));
        }
        if opts.overwrite && opts.keep_metadata {
            check_replaceable(path)?;
        }
        let dir = parent_dir(path);
        sweep_once(&dir);
        let mut b = tempfile::Builder::new();
        b.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            b.permissions(std::fs::Permissions::from_mode(opts.mode));
        }
        // A sweeper in another process may lock and remove a new file in
        // the instant before it is locked here: then try another name.
        for _ in 0..8 {
            // Held across creation so that `abandon_pending` cannot miss a
            // file created concurrently.
            let mut set = pending();
            if set.abandoned {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "the process is exiting after an interrupt",
                ));
            }
            let (file, temp) = b.tempfile_in(&dir)?.into_parts();
            if !lock_own_temp(&file, &temp) {
                drop(set);
                drop(file);
                // Do not remove it: the sweeper that holds it does.
                let _ = temp.keep();
                continue;
            }
            set.paths.insert(temp.to_path_buf());
            let registered = Pending(temp.to_path_buf());
            drop(set);
            return Ok(Self {
                file,
                temp,
                path: path.to_path_buf(),
                overwrite: opts.overwrite,
                keep_metadata: opts.overwrite && opts.keep_metadata,
                _pending: registered,
            });
        }
        Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            "cannot create a temporary file that stays locked",
        ))
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
    /// overwriting is off; with [`AtomicOptions::keep_metadata`], errors
    /// copying the replaced file's metadata (nothing is replaced then);
    /// other I/O errors. On error the temporary file is removed and nothing
    /// is left under the final name.
    pub fn commit(self) -> io::Result<()> {
        self.before_sync()?;
        self.file.sync_all()?;
        let dir = parent_dir(&self.path);
        self.rename()?;
        sync_dir(&dir);
        Ok(())
    }

    /// What must happen before the bytes are made durable: copying the
    /// metadata of the file being replaced.
    fn before_sync(&self) -> io::Result<()> {
        if self.keep_metadata {
            copy_metadata(&self.path, &self.file)?;
        }
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
            ..
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
    // Metadata first (it changes the inodes the sync makes durable).
    let files: Vec<(AtomicFile, io::Result<()>)> = files
        .into_iter()
        .map(|f| {
            let r = f.before_sync();
            (f, r)
        })
        .collect();
    let synced_by_fs = sync_file_systems(files.iter().map(|(f, _)| f));
    let mut dirs = BTreeSet::new();
    let out = files
        .into_iter()
        .map(|(f, prepared)| {
            let path = f.path.clone();
            if let Err(e) = prepared {
                return (path, Err(e));
            }
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
fn sync_file_systems<'a>(files: impl Iterator<Item = &'a AtomicFile>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let mut devices = BTreeSet::new();
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
fn sync_file_systems<'a>(_files: impl Iterator<Item = &'a AtomicFile>) -> bool {
    false
}

/// `fsync`s a folder so a rename in it is durable. Not every platform or
/// file system supports this; failure is not an error.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn refused(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

/// Refuses to replace, keeping its metadata, anything but a regular file
/// with one link.
fn check_replaceable(path: &Path) -> io::Result<()> {
    match path.symlink_metadata() {
        Ok(m) => replaceable(&m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn replaceable(m: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if !m.file_type().is_file() {
        return Err(refused(
            "the file to replace is not a regular file (a symbolic link is never replaced)"
                .to_string(),
        ));
    }
    if m.nlink() > 1 {
        return Err(refused(std::format!(
            "the file has {} other hard link(s): replacing this name would split them (the other names would keep the old content)",
            m.nlink() - 1
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn replaceable(m: &std::fs::Metadata) -> io::Result<()> {
    if !m.file_type().is_file() {
        return Err(refused(
            "the file to replace is not a regular file".to_string(),
        ));
    }
    Ok(())
}

/// Gives `to` the owner, group, extended attributes, permission bits and
/// times of the regular file at `from` (which must have one link).
#[cfg(unix)]
fn copy_metadata(from: &Path, to: &File) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let src = match open_nofollow(from, false) {
        Ok(f) => f,
        // Nothing to replace any more: nothing to keep.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let m = src.metadata()?;
    replaceable(&m)?;
    let mine = to.metadata()?;
    if mine.uid() != m.uid() || mine.gid() != m.gid() {
        std::os::unix::fs::fchown(to, Some(m.uid()), Some(m.gid())).map_err(|e| {
            io::Error::new(
                e.kind(),
                std::format!(
                    "cannot give the replacement the owner {}:{} of the file it replaces: {e}",
                    m.uid(),
                    m.gid()
                ),
            )
        })?;
    }
    #[cfg(target_os = "linux")]
    copy_xattrs(&src, to)?;
    to.set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777))?;
    let times = std::fs::FileTimes::new()
        .set_accessed(m.accessed()?)
        .set_modified(m.modified()?);
    to.set_times(times)
}

#[cfg(not(unix))]
fn copy_metadata(from: &Path, to: &File) -> io::Result<()> {
    let m = match std::fs::symlink_metadata(from) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    replaceable(&m)?;
    to.set_permissions(m.permissions())?;
    let times = std::fs::FileTimes::new()
        .set_accessed(m.accessed()?)
        .set_modified(m.modified()?);
    to.set_times(times)
}

/// Opens `path` (read-only, or read-write) without following a final
/// symbolic link and without blocking on a FIFO.
#[cfg(target_os = "linux")]
fn open_nofollow(path: &Path, write: bool) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let access = if write { OFlags::RDWR } else { OFlags::RDONLY };
    let fd = rustix::fs::open(
        path,
        access | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn open_nofollow(path: &Path, write: bool) -> io::Result<File> {
    if path.symlink_metadata()?.file_type().is_symlink() {
        return Err(refused("is a symbolic link".to_string()));
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
}

/// The extended attribute names of `fd` (empty where unsupported).
#[cfg(target_os = "linux")]
fn xattr_names(fd: &File) -> io::Result<Vec<Vec<u8>>> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let want = match rustix::fs::flistxattr_query(fd) {
            Ok(n) => n,
            Err(rustix::io::Errno::OPNOTSUPP) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        buf.clear();
        buf.reserve(want.max(1));
        match rustix::fs::flistxattr(fd, rustix::buffer::spare_capacity(&mut buf)) {
            Ok(_) => break,
            // The list grew meanwhile: ask again.
            Err(rustix::io::Errno::RANGE) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(buf
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

#[cfg(target_os = "linux")]
fn xattr_value(fd: &File, name: &[u8]) -> io::Result<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let name = OsStr::from_bytes(name);
    loop {
        let want = rustix::fs::fgetxattr_query(fd, name)?;
        let mut v: Vec<u8> = Vec::with_capacity(want);
        match rustix::fs::fgetxattr(fd, name, rustix::buffer::spare_capacity(&mut v)) {
            Ok(_) => return Ok(v),
            Err(rustix::io::Errno::RANGE) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Makes the extended attributes of `to` (POSIX ACLs are
/// `system.posix_acl_*` attributes) those of `from`.
#[cfg(target_os = "linux")]
fn copy_xattrs(from: &File, to: &File) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let wanted = xattr_names(from)?;
    let named = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
    // Attributes the new file got on its own (a folder's default ACL, ...).
    for n in xattr_names(to)? {
        if !wanted.contains(&n) {
            rustix::fs::fremovexattr(to, OsStr::from_bytes(&n)).map_err(|e| {
                io::Error::new(
                    io::Error::from(e).kind(),
                    std::format!(
                        "cannot remove the extended attribute {} the replacement inherited: {e}",
                        named(&n)
                    ),
                )
            })?;
        }
    }
    for n in &wanted {
        let v = xattr_value(from, n)?;
        rustix::fs::fsetxattr(
            to,
            OsStr::from_bytes(n),
            &v,
            rustix::fs::XattrFlags::empty(),
        )
        .map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                std::format!(
                    "cannot give the replacement the extended attribute {}: {e}",
                    named(n)
                ),
            )
        })?;
    }
    Ok(())
}

/// Locks a temporary file this process just created; `false` if another
/// process holds it (a sweeper about to remove it) or it was replaced.
#[cfg(target_os = "linux")]
fn lock_own_temp(file: &File, temp: &TempPath) -> bool {
    use rustix::fs::FlockOperation;
    match rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => same_file(file, temp),
        // No locks on this file system (some network file systems): the
        // file is unprotected, and sweepers leave unlockable files alone.
        Err(rustix::io::Errno::NOLCK | rustix::io::Errno::OPNOTSUPP) => true,
        Err(_) => false,
    }
}

#[cfg(not(target_os = "linux"))]
fn lock_own_temp(_file: &File, _temp: &TempPath) -> bool {
    true
}

/// `true` if `path` still names the open `file`.
#[cfg(target_os = "linux")]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), path.symlink_metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Takes an exclusive advisory lock (`flock`) on `file`, waiting for it if
/// `wait`, else returning `Ok(false)` at once when another open file
/// description holds it. The lock is released when every descriptor of
/// that open file is closed — also when the process dies, however it dies
/// — so a crash never leaves a stale lock behind.
///
/// # Errors
///
/// The operating system's error; [`io::ErrorKind::Unsupported`] where
/// advisory locks are not available (not Unix).
///
/// # Examples
///
/// ```
/// use radguard_core::fs::lock_exclusive;
///
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("keyring");
/// std::fs::write(&p, b"")?;
/// let a = std::fs::File::open(&p)?;
/// let b = std::fs::File::open(&p)?;
/// # #[cfg(unix)] {
/// assert!(lock_exclusive(&a, false)?);
/// assert!(!lock_exclusive(&b, false)?); // held through `a`
/// drop(a);
/// assert!(lock_exclusive(&b, false)?);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(unix)]
pub fn lock_exclusive(file: &File, wait: bool) -> io::Result<bool> {
    use rustix::fs::FlockOperation;
    let op = if wait {
        FlockOperation::LockExclusive
    } else {
        FlockOperation::NonBlockingLockExclusive
    };
    loop {
        match rustix::fs::flock(file, op) {
            Ok(()) => return Ok(true),
            Err(rustix::io::Errno::WOULDBLOCK) if !wait => return Ok(false),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// See the Unix version: advisory locks are not available here.
///
/// # Errors
///
/// Always [`io::ErrorKind::Unsupported`].
#[cfg(not(unix))]
pub fn lock_exclusive(_file: &File, _wait: bool) -> io::Result<bool> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "advisory file locks are not available on this platform",
    ))
}

/// Why a file that holds secrets (a keyring, a key file) must not be
/// used, or `None` if it may: it must be a regular file, readable and
/// writable by its owner only (no group or other permission bits), owned
/// by the user running this process (Linux), and have exactly one link
/// (another name of the same file could be exposed, backed up or kept
/// after this one is erased).
///
/// # Examples
///
/// ```
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt;
/// use radguard_core::fs::secret_file_problem;
///
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("key");
/// std::fs::write(&p, b"secret")?;
/// std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644))?;
/// assert!(secret_file_problem(&std::fs::symlink_metadata(&p)?).is_some());
/// std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
/// assert_eq!(secret_file_problem(&std::fs::symlink_metadata(&p)?), None);
/// std::fs::hard_link(&p, dir.path().join("copy"))?;
/// assert!(secret_file_problem(&std::fs::symlink_metadata(&p)?).unwrap().contains("hard link"));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn secret_file_problem(meta: &std::fs::Metadata) -> Option<&'static str> {
    if !meta.file_type().is_file() {
        return Some("is not a regular file");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.permissions().mode() & 0o077 != 0 {
            return Some("can be read or written by other users; run `chmod 600` on it");
        }
        #[cfg(target_os = "linux")]
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Some(
                "is owned by another user: it must be owned by the user who runs radguard (check who put it there, then `chown` it)",
            );
        }
        if meta.nlink() > 1 {
            return Some(
                "has other hard links: another name of the same file could expose it, be backed up, or keep it after this one is erased; keep exactly one",
            );
        }
    }
    None
}

/// Sweeps `dir` of stale temporary files, once per process.
fn sweep_once(dir: &Path) {
    let first = SWEPT
        .lock()
        .map(|mut s| s.insert(dir.to_path_buf()))
        .unwrap_or(false);
    if first {
        let _ = remove_stale_temp_files(dir);
    }
}

/// Removes the temporary files (`.radguard-*.part`) in `dir` that belong to
/// runs that died: on Linux, those whose advisory lock is free. Each is
/// overwritten with zeros and synced before it is unlinked, since it may
/// hold plaintext or key material. Returns the files removed. Files held
/// by live processes, and every file where locks are unsupported (other
/// platforms, some network file systems), are left alone.
///
/// # Errors
///
/// Errors listing `dir`. Files that cannot be removed are skipped.
///
/// # Examples
///
/// ```
/// use radguard_core::fs::remove_stale_temp_files;
///
/// let dir = tempfile::tempdir()?;
/// // What a run killed with SIGKILL leaves: an unlocked temporary file.
/// std::fs::write(dir.path().join(".radguard-Xy12ab.part"), b"partial plaintext")?;
/// let removed = remove_stale_temp_files(dir.path())?;
/// # #[cfg(target_os = "linux")]
/// assert_eq!(removed.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn remove_stale_temp_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        if !is_temp_name(&e.file_name()) {
            continue;
        }
        let p = e.path();
        if remove_if_stale(&p) {
            removed.push(p);
        }
    }
    Ok(removed)
}

/// Erases and unlinks one temporary file if no live process holds it.
#[cfg(target_os = "linux")]
fn remove_if_stale(path: &Path) -> bool {
    use rustix::fs::FlockOperation;
    use std::os::unix::fs::{FileExt, MetadataExt};
    let Ok(f) = open_nofollow(path, true) else {
        return false;
    };
    if rustix::fs::flock(&f, FlockOperation::NonBlockingLockExclusive).is_err() {
        return false;
    }
    let Ok(m) = f.metadata() else { return false };
    if !m.file_type().is_file() || !same_file(&f, path) {
        return false;
    }
    if m.nlink() == 1 {
        // Overwrite what it holds before the blocks are freed.
        let zeros = std::vec![0u8; 1 << 20];
        let mut at = 0u64;
        while at < m.len() {
            let n = usize::try_from((m.len() - at).min(zeros.len() as u64)).unwrap_or(0);
            if n == 0 || f.write_all_at(&zeros[..n], at).is_err() {
                break;
            }
            at += n as u64;
        }
        let _ = f.sync_data();
    }
    // Unlinked while still locked, so no one can take it up meanwhile.
    std::fs::remove_file(path).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn remove_if_stale(_path: &Path) -> bool {
    false
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

    #[cfg(target_os = "linux")]
    #[test]
    fn keep_metadata_copies_mode_times_and_xattrs() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("img.dcm");
        std::fs::write(&p, b"old content").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let past = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::new(1_600_000_000, 123_456_789);
        let f = File::options().write(true).open(&p).unwrap();
        f.set_times(
            std::fs::FileTimes::new()
                .set_modified(past)
                .set_accessed(past),
        )
        .unwrap();
        let xattr = rustix::fs::fsetxattr(
            &f,
            "user.radguard-test",
            b"v1",
            rustix::fs::XattrFlags::empty(),
        );
        drop(f);
        let before = std::fs::metadata(&p).unwrap();
        let opts = AtomicOptions::new().overwrite(true).keep_metadata(true);
        write_atomic(&p, b"new content", &opts).unwrap();
        let after = std::fs::metadata(&p).unwrap();
        assert_ne!(after.ino(), before.ino(), "a new inode replaced the file");
        assert_eq!(std::fs::read(&p).unwrap(), b"new content");
        assert_eq!(after.mode(), before.mode());
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        assert_eq!(after.modified().unwrap(), past);
        assert_eq!(after.accessed().unwrap(), past);
        if xattr.is_ok() {
            let f = File::open(&p).unwrap();
            assert_eq!(xattr_value(&f, b"user.radguard-test").unwrap(), b"v1");
        }
        // As root: another owner is kept too.
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&p, Some(4321), Some(8765)).unwrap();
            write_atomic(&p, b"third", &opts).unwrap();
            let m = std::fs::metadata(&p).unwrap();
            assert_eq!((m.uid(), m.gid()), (4321, 8765));
            assert_eq!(m.mode() & 0o7777, 0o640, "chown must not cost the mode");
        }
        // Without keep_metadata the replacement is the writer's, mode 0600.
        write_atomic(&p, b"plain", &AtomicOptions::new().overwrite(true)).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn keep_metadata_refuses_hard_links_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"old").unwrap();
        std::fs::hard_link(&p, dir.path().join("b")).unwrap();
        let opts = AtomicOptions::new().overwrite(true).keep_metadata(true);
        let e = write_atomic(&p, b"new", &opts).unwrap_err();
        assert!(e.to_string().contains("hard link"), "{e}");
        assert_eq!(std::fs::read(dir.path().join("b")).unwrap(), b"old");
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        // A link appearing between create and commit is caught too.
        let q = dir.path().join("c");
        std::fs::write(&q, b"old").unwrap();
        let mut f = AtomicFile::create(&q, &opts).unwrap();
        f.write_all(b"new").unwrap();
        std::fs::hard_link(&q, dir.path().join("d")).unwrap();
        assert!(f.commit().is_err());
        assert_eq!(std::fs::read(&q).unwrap(), b"old");
        std::os::unix::fs::symlink(&q, dir.path().join("link")).unwrap();
        assert!(write_atomic(&dir.path().join("link"), b"x", &opts).is_err());
        // Nothing left behind.
        assert!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .all(|e| !is_temp_name(&e.unwrap().file_name()))
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stale_temp_files_are_removed_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A live one, held by this process.
        let mut live = AtomicFile::create(&dir.path().join("out"), &AtomicOptions::new()).unwrap();
        live.write_all(b"in progress").unwrap();
        // What a killed run leaves: no lock.
        let dead = dir.path().join(".radguard-dead01.part");
        std::fs::write(&dead, b"partial plaintext").unwrap();
        // Not ours: never touched.
        std::fs::write(dir.path().join("image.part"), b"x").unwrap();
        let removed = remove_stale_temp_files(dir.path()).unwrap();
        assert_eq!(removed, std::vec![dead.clone()]);
        assert!(!dead.exists());
        assert!(dir.path().join("image.part").exists());
        live.commit().unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("out")).unwrap(),
            b"in progress"
        );
        // The first write into a folder sweeps it.
        let other = tempfile::tempdir().unwrap();
        let dead = other.path().join(".radguard-dead02.part");
        std::fs::write(&dead, b"x").unwrap();
        write_atomic(&other.path().join("f"), b"y", &AtomicOptions::new()).unwrap();
        assert!(!dead.exists());
    }
}
