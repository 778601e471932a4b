//! The free space of a mounted filesystem: claimed with fill files,
//! overwritten, verified and released.
//!
//! A run records itself while it runs: inside its fill folder
//! (`.radguard-wipe-*/record.json`, beside `owner.lock`, which it holds
//! locked) and, when the options name a state folder, there too. The next
//! plan or run on the same file system finds the fill of a run that died
//! (its lock is free), removes it, puts back the ext4 reserved-cluster
//! pool that run had lowered, and says so.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags};
use serde::{Deserialize, Serialize};

use super::names::{list_names, open_dir_at, open_dir_path, random_name};
use super::plan::fs_of;
use super::{PlanItem, Run, Wiper};
use crate::engine::{self, End, Observer, Outcome};
use crate::error::Error;
use crate::fdmedia::{FILE_ALIGN, FdMedia};
use crate::media::{Concat, Media};
use crate::method::PassKind;
use crate::pattern::Pattern;
use crate::probe;
use crate::report::IoMode;
use crate::report::TargetKind;

/// The prefix of fill folders.
const FILL_PREFIX: &str = ".radguard-wipe-";
/// The lock file a running wipe holds inside its fill folder.
const OWNER: &str = "owner.lock";
/// The record inside the fill folder.
const RECORD: &str = "record.json";

/// What a running free-space wipe changed, so that a later run can undo it
/// if this one dies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FillRecord {
    /// The fill folder, absolute.
    fill_folder: PathBuf,
    /// The file system's device, `major:minor`.
    fs_dev: String,
    /// The ext4 reserved-cluster pool lowered for the fill, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reserve: Option<ReserveRecord>,
    /// The process, for people reading the record.
    pid: u32,
    /// When it started (RFC 3339).
    started: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ReserveRecord {
    /// `/sys/fs/ext4/<dev>/reserved_clusters`.
    sysfs: PathBuf,
    /// Its value before the fill.
    original: u64,
}

fn dev_text(dev: (u32, u32)) -> String {
    format!("{}:{}", dev.0, dev.1)
}

/// The ext4 reserved-cluster pool, lowered to zero for the fill; put back
/// when dropped (error and interrupt paths included).
struct LoweredReserve {
    record: ReserveRecord,
    restored: Option<Result<(), String>>,
}

impl LoweredReserve {
    fn lower(record: ReserveRecord) -> io::Result<Self> {
        std::fs::write(&record.sysfs, "0")?;
        Ok(Self {
            record,
            restored: None,
        })
    }

    fn restore(&mut self) -> Result<(), String> {
        if self.restored.is_none() {
            self.restored = Some(
                std::fs::write(&self.record.sysfs, self.record.original.to_string())
                    .map_err(|e| e.to_string()),
            );
        }
        self.restored.clone().unwrap_or(Ok(()))
    }
}

impl Drop for LoweredReserve {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}

/// A fill folder's record, written and locked for the run.
struct Recorded {
    _owner: File,
    state_file: Option<(PathBuf, File)>,
}

impl Recorded {
    /// Removes the record from the state folder (the fill folder's copy
    /// goes with the folder).
    fn forget(self) {
        if let Some((p, f)) = self.state_file {
            let _ = std::fs::remove_file(p);
            drop(f);
        }
    }
}

fn write_record(dir: impl std::os::fd::AsFd, name: &OsStr, rec: &FillRecord) -> io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDWR | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o600),
    )?;
    rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive)?;
    let f = File::from(fd);
    let json = serde_json::to_vec_pretty(rec).map_err(io::Error::other)?;
    std::os::unix::fs::FileExt::write_all_at(&f, &json, 0)?;
    f.sync_all()?;
    Ok(f)
}

/// Records the run in the fill folder and the state folder.
fn record_run(work: &OwnedFd, state_dir: Option<&Path>, rec: &FillRecord) -> io::Result<Recorded> {
    let owner = rustix::fs::openat(
        work,
        OWNER,
        OFlags::RDWR | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o600),
    )?;
    rustix::fs::flock(&owner, FlockOperation::NonBlockingLockExclusive)?;
    drop(write_record(work, OsStr::new(RECORD), rec)?);
    let state_file = match state_dir {
        Some(d) => {
            std::os::unix::fs::DirBuilderExt::mode(
                std::fs::DirBuilder::new().recursive(true),
                0o700,
            )
            .create(d)?;
            let name = format!("free-space-{}.json", random_name(12)?.to_string_lossy());
            let dir = open_dir_path(d)?;
            let f = write_record(&dir, OsStr::new(&name), rec)?;
            Some((d.join(name), f))
        }
        None => None,
    };
    Ok(Recorded {
        _owner: File::from(owner),
        state_file,
    })
}

/// `true` if `path` can be locked now: no live process holds it.
fn unlocked(path: &Path) -> bool {
    match std::fs::OpenOptions::new().read(true).open(path) {
        Ok(f) => rustix::fs::flock(&f, FlockOperation::NonBlockingLockExclusive).is_ok(),
        // No lock file: a fill folder from before records existed.
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}

/// Removes a dead run's fill folder and puts back what it changed;
/// returns what was done, for the report.
fn undo_dead_fill(folder: &Path, rec: Option<&FillRecord>) -> Option<String> {
    let mut bytes = 0u64;
    let mut files = 0u64;
    let names = std::fs::read_dir(folder).ok()?;
    for e in names.flatten() {
        let p = e.path();
        if let Ok(m) = std::fs::symlink_metadata(&p)
            && m.is_file()
        {
            bytes += m.len();
            files += 1;
        }
        let _ = std::fs::remove_file(&p);
    }
    let removed = std::fs::remove_dir(folder).is_ok();
    let mut what = format!(
        "the fill folder {} of a free-space wipe that died ({files} files, {bytes} bytes) was {}",
        folder.display(),
        if removed {
            "removed and its space released"
        } else {
            "emptied but could not be removed"
        }
    );
    if let Some(r) = rec.and_then(|r| r.reserve.as_ref()) {
        let now = probe::read_number(&r.sysfs);
        match now {
            Some(n) if n < r.original => {
                match std::fs::write(&r.sysfs, r.original.to_string()) {
                    Ok(()) => what.push_str(&format!(
                        "; the ext4 reserved-cluster pool it had lowered ({}) was restored from {n} to {}",
                        r.sysfs.display(),
                        r.original
                    )),
                    Err(e) => what.push_str(&format!(
                        "; the ext4 reserved-cluster pool it had lowered ({}) could NOT be restored to {}: {e}",
                        r.sysfs.display(),
                        r.original
                    )),
                }
            }
            _ => what.push_str("; the ext4 reserved-cluster pool was already back"),
        }
    }
    Some(what)
}

fn read_record(p: &Path) -> Option<FillRecord> {
    std::fs::read(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// Finds, removes and reports the fills of dead runs on the file system
/// `fs_dev`: recorded in `state_dir`, or sitting in `folder`.
pub(super) fn recover_dead_fills(
    state_dir: Option<&Path>,
    folder: &Path,
    fs_dev: (u32, u32),
) -> Vec<String> {
    let mut done = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    if let Some(dir) = state_dir
        && let Ok(rd) = std::fs::read_dir(dir)
    {
        for e in rd.flatten() {
            let p = e.path();
            let is_record = p
                .file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|n| n.starts_with("free-space-") && n.ends_with(".json"));
            if !is_record || !unlocked(&p) {
                continue;
            }
            let Some(rec) = read_record(&p) else {
                continue;
            };
            if rec.fs_dev != dev_text(fs_dev) {
                // Another file system: its own next run deals with it,
                // unless nothing is left to deal with.
                if !rec.fill_folder.exists() {
                    let _ = std::fs::remove_file(&p);
                }
                continue;
            }
            if unlocked(&rec.fill_folder.join(OWNER))
                && let Some(what) = undo_dead_fill(&rec.fill_folder, Some(&rec))
            {
                done.push(what);
            }
            seen.push(rec.fill_folder.clone());
            let _ = std::fs::remove_file(&p);
        }
    }
    if let Ok(rd) = std::fs::read_dir(folder) {
        for e in rd.flatten() {
            let p = e.path();
            let is_fill = e
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(FILL_PREFIX))
                && std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir());
            if !is_fill || seen.contains(&p) || !unlocked(&p.join(OWNER)) {
                continue;
            }
            let rec = read_record(&p.join(RECORD));
            if let Some(what) = undo_dead_fill(&p, rec.as_ref()) {
                done.push(what);
            }
        }
    }
    done
}

impl Wiper {
    pub(super) fn plan_free_space(&self, item: &mut PlanItem) {
        item.kind = Some(TargetKind::FreeSpace);
        item.refuse_block_only(&self.options.method);
        let path = item.path.clone();
        fs_of(item, &path);
        // A run that died left its fill behind: remove it first (it is
        // radguard's own, not data), so the free space is measured right.
        if let Some(fs) = &item.fs {
            for what in recover_dead_fills(self.options.state_dir.as_deref(), &path, fs.dev) {
                item.warnings.push(what.clone());
                item.notes.push(what);
            }
        }
        match rustix::fs::statvfs(&path) {
            Ok(s) => {
                let free = if probe::is_root() {
                    s.f_bfree
                } else {
                    s.f_bavail
                };
                item.bytes = free.saturating_mul(s.f_frsize);
                item.pass_bytes = item.bytes / FILE_ALIGN as u64 * FILE_ALIGN as u64;
                if !probe::is_root() && s.f_bfree > s.f_bavail {
                    item.blockers.push(format!(
                        "{} bytes are reserved for root and cannot be filled by this user: that unfilled part is where small deleted files most likely sit (run as root)",
                        (s.f_bfree - s.f_bavail).saturating_mul(s.f_frsize)
                    ));
                }
            }
            Err(e) => item.refusals.push(format!("cannot read free space: {e}")),
        }
        if let Some(fs) = &item.fs
            && fs.inline_data == Some(true)
        {
            item.blockers.push(
                "ext4 inline_data is on: small files are kept inside their inodes, not in data blocks, so a deleted small file's content may remain in the inode table, which a free-space fill does not reach".to_owned(),
            );
        }
        if let Some(fs) = &item.fs
            && fs.ext4_name.is_some()
            && !probe::is_root()
        {
            item.blockers.push(
                "the ext4 reserved-cluster pool (up to 2 % of the file system, at most 4096 clusters) cannot be lowered by this user, so it cannot be filled: that unfilled part is where small deleted files most likely sit (run as root)".to_owned(),
            );
        }
        item.warnings.push(
            "the filesystem will be full while the free space is filled; programs writing to it may fail meanwhile"
                .to_owned(),
        );
    }

    pub(super) fn run_free_space(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
    ) -> Result<Run, Error> {
        let path = &item.path;
        let dir = open_dir_path(path).map_err(|e| Error::io(path, e))?;
        let st = rustix::fs::fstat(&dir).map_err(|e| Error::io(path, e.into()))?;
        if (st.st_dev, st.st_ino) != item.identity {
            return Err(Error::Changed(path.clone()));
        }
        let fs_dev = probe::split_dev(st.st_dev);
        let work_name = OsString::from(format!(
            "{FILL_PREFIX}{}",
            random_name(12)
                .map_err(|e| Error::io(path, e))?
                .to_string_lossy()
        ));
        rustix::fs::mkdirat(&dir, &work_name, Mode::from_raw_mode(0o700))
            .map_err(|e| Error::io(path, e.into()))?;
        let work = open_dir_at(&dir, &work_name).map_err(|e| Error::io(path, e))?;
        let fill_folder = std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.clone())
            .join(&work_name);
        // The ext4 reserved-cluster pool: kept back from every writer, root
        // included; it is where small deleted files' blocks end up. As root
        // it can be lowered for the fill.
        let reserve_record = item
            .fs
            .as_ref()
            .and_then(|f| f.ext4_name.as_deref())
            .filter(|_| probe::is_root())
            .map(probe::ext4_reserved_clusters_path)
            .and_then(|sysfs| {
                probe::read_number(&sysfs).map(|original| ReserveRecord { sysfs, original })
            });
        let mut record = FillRecord {
            fill_folder: fill_folder.clone(),
            fs_dev: dev_text(fs_dev),
            reserve: reserve_record.filter(|r| r.original > 0),
            pid: std::process::id(),
            started: crate::cert::rfc3339_now(),
        };
        let recorded = match record_run(&work, self.options.state_dir.as_deref(), &record) {
            Ok(r) => Some(r),
            Err(e) => {
                // Without a record the reserve is not touched: a crash
                // would leave it lowered with nothing to tell.
                record.reserve = None;
                let _ = e;
                None
            }
        };
        let mut notes = Vec::new();
        let mut blockers = Vec::new();
        let mut reserve = None;
        if let Some(r) = record.reserve {
            let cluster = rustix::fs::fstatvfs(&dir).map_or(4096, |v| v.f_frsize);
            let bytes = r.original.saturating_mul(cluster);
            match LoweredReserve::lower(r.clone()) {
                Ok(l) => {
                    notes.push(format!(
                        "the ext4 reserved-cluster pool ({} clusters, about {bytes} bytes, {}) was lowered to 0 for the fill, so that it was filled too",
                        r.original,
                        r.sysfs.display()
                    ));
                    reserve = Some(l);
                }
                Err(e) => blockers.push(format!(
                    "the ext4 reserved-cluster pool ({} clusters, about {bytes} bytes) could not be lowered ({e}), so it could not be filled: that unfilled part is where small deleted files most likely sit",
                    r.original
                )),
            }
        } else if let Some(fs) = &item.fs
            && fs.ext4_name.is_some()
            && probe::is_root()
            && recorded.is_none()
        {
            blockers.push("the run could not be recorded, so the ext4 reserved-cluster pool was not lowered and could not be filled: that unfilled part is where small deleted files most likely sit".to_owned());
        }
        let fill = fill_free_space(&work, observer, index);
        let after = rustix::fs::statvfs(path).ok();
        let (files, stop) = match fill {
            Fill::Full(f) => (f, None),
            Fill::Interrupted(f) => (f, Some(End::Interrupted)),
            Fill::Failed(f, e) => (
                f,
                Some(End::Failed {
                    error: format!("claiming the free space failed: {e}"),
                    offset: None,
                }),
            ),
        };
        let filled: u64 = files.iter().map(Media::size).sum();
        let mut fill_was_the_pass = false;
        let mut run;
        let claimed = files.len() as u64;
        if let Some(end) = stop {
            run = Run::new(Outcome {
                passes: Vec::new(),
                end,
            });
        } else {
            let mut media = Concat::new(files);
            let passes = self.options.method.passes();
            let zeros = PassKind::Write(Pattern::Byte(0));
            let outcome = if passes == [zeros.clone()] {
                // The fill wrote zeros over every free block and synced
                // them: that is the method's one pass. Only verify.
                fill_was_the_pass = true;
                engine::run_written(
                    &mut media,
                    &zeros,
                    filled,
                    self.options.verify,
                    index,
                    observer,
                )
            } else {
                engine::run(&mut media, &passes, self.options.verify, index, observer)
            };
            run = Run::new(outcome);
            run.io_mode = IoMode::direct_if(media_direct(&media));
            drop(media.into_parts());
        }
        run.pass_bytes = Some(filled);
        run.files = claimed;
        run.notes.extend(notes);
        run.blockers.extend(blockers);
        if let Some(s) = after {
            let left = if probe::is_root() {
                s.f_bfree
            } else {
                s.f_bavail
            };
            let left = left.saturating_mul(s.f_frsize);
            if left > 0 {
                run.blockers.push(format!(
                    "{left} bytes of free space could not be filled (held back by the file system): that unfilled part is where small deleted files most likely sit"
                ));
            }
        }
        run.notes.push(if fill_was_the_pass {
            format!(
                "{filled} bytes of free space were claimed by writing zeros into fill files in {} (direct I/O, synced): that write is the method's one pass of zeros",
                fill_folder.display()
            )
        } else {
            format!(
                "{filled} bytes of free space were claimed by writing zeros into fill files in {}, then overwritten by the method's passes",
                fill_folder.display()
            )
        });
        // Release: unlink the fill files and the work folder, sync.
        let cleanup = (|| -> io::Result<()> {
            for n in list_names(&work)? {
                rustix::fs::unlinkat(&work, &n, AtFlags::empty())?;
            }
            rustix::fs::fsync(&work)?;
            drop(work);
            rustix::fs::unlinkat(&dir, &work_name, AtFlags::REMOVEDIR)?;
            rustix::fs::fsync(&dir)?;
            Ok(())
        })();
        if let Some(r) = reserve.as_mut() {
            match r.restore() {
                Ok(()) => run.post.push(format!(
                    "the ext4 reserved-cluster pool was restored to {} clusters",
                    r.record.original
                )),
                Err(e) => {
                    let msg = format!(
                        "the ext4 reserved-cluster pool could NOT be restored to {} clusters ({e}): write that number to {} by hand",
                        r.record.original,
                        r.record.sysfs.display()
                    );
                    run.error = Some(msg.clone());
                    if run.outcome.end == End::Completed {
                        run.outcome.end = End::Failed {
                            error: msg,
                            offset: None,
                        };
                    }
                }
            }
        }
        match cleanup {
            Ok(()) => {
                run.post
                    .push("fill files unlinked, space released, folder synced".to_owned());
                if let Some(r) = recorded {
                    r.forget();
                }
            }
            Err(e) => {
                let msg = format!(
                    "could not remove the fill files in {} ({e}); the next free-space wipe or dry run of this file system removes them",
                    fill_folder.display()
                );
                run.error = Some(msg.clone());
                if run.outcome.end == End::Completed {
                    run.outcome.end = End::Failed {
                        error: msg,
                        offset: None,
                    };
                }
            }
        }
        Ok(run)
    }
}

fn media_direct(m: &Concat<FdMedia>) -> bool {
    m.alignment() > 1
}

/// Size of each fill file: 1 GiB keeps every file far below any
/// filesystem's maximum file size.
const FILL_FILE: u64 = 1 << 30;

/// How claiming the free space ended.
enum Fill {
    /// The filesystem is full.
    Full(Vec<FdMedia>),
    /// The observer asked to stop.
    Interrupted(Vec<FdMedia>),
    /// An error other than "no space".
    Failed(Vec<FdMedia>, io::Error),
}

fn no_space(e: &io::Error) -> bool {
    // ENOSPC, EDQUOT, EFBIG
    matches!(e.raw_os_error(), Some(28 | 122 | 27))
}

/// Claims the free space by writing zeros into fill files until the
/// filesystem is full. Writing (rather than `fallocate`) makes sure every
/// claimed block is one this process wrote and will overwrite again: a
/// failed `fallocate` may keep blocks allocated past the file's end.
fn fill_free_space(work: &OwnedFd, observer: &mut dyn Observer, index: usize) -> Fill {
    use std::os::unix::fs::FileExt;
    let mut files = Vec::new();
    let align = FILE_ALIGN as u64;
    let mut buf = crate::media::AlignedBuf::new(engine::CHUNK, FILE_ALIGN);
    buf.as_mut_slice().fill(0);
    let mut total = 0u64;
    for i in 0u32.. {
        let name = OsString::from(format!("fill-{i:06}"));
        let flags =
            OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let mode = Mode::from_raw_mode(0o600);
        let opened = match rustix::fs::openat(work, &name, flags | OFlags::DIRECT, mode) {
            Ok(fd) => Ok((fd, true)),
            Err(rustix::io::Errno::INVAL) => {
                rustix::fs::openat(work, &name, flags, mode).map(|fd| (fd, false))
            }
            Err(e) => Err(e),
        };
        let (fd, direct) = match opened {
            Ok(x) => x,
            // No room even for a new inode: full.
            Err(rustix::io::Errno::NOSPC | rustix::io::Errno::DQUOT) => break,
            Err(e) => return Fill::Failed(files, e.into()),
        };
        let file = File::from(fd);
        let mut at = 0u64;
        let mut chunk = engine::CHUNK as u64;
        let mut full = false;
        while at < FILL_FILE {
            let n = usize::try_from(chunk.min(FILL_FILE - at)).unwrap_or(engine::CHUNK);
            match file.write_at(&buf.as_mut_slice()[..n], at) {
                Ok(0) => {
                    full = true;
                    break;
                }
                Ok(w) => {
                    // Keep whole blocks only: a partial direct write is
                    // rounded down and the rest retried in smaller pieces.
                    let w = w as u64 / align * align;
                    if w == 0 {
                        full = true;
                        break;
                    }
                    at += w;
                    total += w;
                    let flow = observer.progress(&engine::Progress {
                        target: index,
                        phase: engine::Phase::Write,
                        pass: 0,
                        passes: 0,
                        delta: w,
                        done: total,
                        total: 0,
                    });
                    if flow.is_break() {
                        let _ = file.set_len(at);
                        if let Ok(m) = FdMedia::dense_file(file, at, direct) {
                            files.push(m);
                        }
                        return Fill::Interrupted(files);
                    }
                }
                Err(e) if no_space(&e) => {
                    if chunk > align {
                        chunk = (chunk / 2).max(align) / align * align;
                    } else {
                        full = true;
                        break;
                    }
                }
                Err(e) => return Fill::Failed(files, e),
            }
        }
        if let Err(e) = file.set_len(at).and_then(|()| file.sync_data()) {
            if !no_space(&e) {
                return Fill::Failed(files, e);
            }
            full = true;
        }
        if at == 0 {
            drop(file);
            let _ = rustix::fs::unlinkat(work, &name, AtFlags::empty());
            break;
        }
        match FdMedia::dense_file(file, at, direct) {
            Ok(m) => files.push(m),
            Err(e) => return Fill::Failed(files, e),
        }
        if full {
            break;
        }
    }
    // Direct writes come in whole 4 KiB pieces; what is left below that
    // (a few blocks of a 1 KiB-block file system) is filled block by block
    // through the page cache.
    if let Err(e) = fill_tail(work, &mut files) {
        return Fill::Failed(files, e);
    }
    Fill::Full(files)
}

/// Fills the last free blocks, one file system block at a time, buffered.
fn fill_tail(work: &OwnedFd, files: &mut Vec<FdMedia>) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let block = rustix::fs::fstatvfs(work).map_or(512, |s| s.f_bsize.clamp(512, 65536));
    let fd = match rustix::fs::openat(
        work,
        "fill-tail",
        OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o600),
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOSPC | rustix::io::Errno::DQUOT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let file = File::from(fd);
    let zeros = vec![0u8; usize::try_from(block).unwrap_or(512)];
    let mut at = 0u64;
    loop {
        match file.write_at(&zeros, at) {
            Ok(n) if n == zeros.len() => at += n as u64,
            Ok(_) => break,
            Err(e) if no_space(&e) => break,
            Err(e) => return Err(e),
        }
    }
    match file.set_len(at).and_then(|()| file.sync_all()) {
        Ok(()) => {}
        Err(e) if no_space(&e) => {}
        Err(e) => return Err(e),
    }
    if at > 0 {
        files.push(FdMedia::dense_file(file, at, false)?);
    } else {
        drop(file);
        let _ = rustix::fs::unlinkat(work, "fill-tail", AtFlags::empty());
    }
    Ok(())
}
