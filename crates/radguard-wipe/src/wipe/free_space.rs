//! The free space of a mounted filesystem: claimed with fill files,
//! overwritten, verified and released.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;

use rustix::fs::{AtFlags, Mode, OFlags};

use super::names::{list_names, open_dir_at, open_dir_path, random_name};
use super::plan::fs_of;
use super::{PlanItem, Run, Wiper};
use crate::engine::{self, End, Observer, Outcome};
use crate::error::Error;
use crate::fdmedia::{FILE_ALIGN, FdMedia};
use crate::media::{Concat, Media};
use crate::probe;
use crate::report::IoMode;
use crate::report::TargetKind;

impl Wiper {
    pub(super) fn plan_free_space(&self, item: &mut PlanItem) {
        item.kind = Some(TargetKind::FreeSpace);
        item.refuse_block_only(&self.options.method);
        let path = item.path.clone();
        fs_of(item, &path);
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
                        "{} bytes are reserved for root and cannot be filled by this user",
                        (s.f_bfree - s.f_bavail).saturating_mul(s.f_frsize)
                    ));
                }
            }
            Err(e) => item.refusals.push(format!("cannot read free space: {e}")),
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
        let work_name = OsString::from(format!(
            ".radguard-wipe-{}",
            random_name(12)
                .map_err(|e| Error::io(path, e))?
                .to_string_lossy()
        ));
        rustix::fs::mkdirat(&dir, &work_name, Mode::from_raw_mode(0o700))
            .map_err(|e| Error::io(path, e.into()))?;
        let work = open_dir_at(&dir, &work_name).map_err(|e| Error::io(path, e))?;
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
        let mut run;
        let claimed = files.len() as u64;
        if let Some(end) = stop {
            run = Run::new(Outcome {
                passes: Vec::new(),
                end,
            });
            run.files = files.len() as u64;
        } else {
            let mut media = Concat::new(files);
            let passes = self.options.method.passes();
            let outcome = engine::run(&mut media, &passes, self.options.verify, index, observer);
            run = Run::new(outcome);
            run.io_mode = IoMode::direct_if(media_direct(&media));
            run.files = media.into_parts().len() as u64;
        }
        run.pass_bytes = Some(filled);
        run.files = claimed;
        if let Some(s) = after {
            let left = if probe::is_root() {
                s.f_bfree
            } else {
                s.f_bavail
            };
            let left = left.saturating_mul(s.f_frsize);
            if left > 0 {
                run.blockers.push(format!(
                    "{left} bytes of free space could not be filled (held back by the filesystem)"
                ));
            }
        }
        run.notes.push(format!(
            "{filled} bytes of free space were claimed by writing zeros into fill files, then overwritten by the method's passes"
        ));
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
        match cleanup {
            Ok(()) => run
                .post
                .push("fill files unlinked, space released, folder synced".to_owned()),
            Err(e) => {
                run.error = Some(format!("could not remove the fill files: {e}"));
                if run.outcome.end == End::Completed {
                    run.outcome.end = End::Failed {
                        error: format!(
                            "could not remove the fill files in {}: {e}",
                            path.join(&work_name).display()
                        ),
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
    Fill::Full(files)
}
