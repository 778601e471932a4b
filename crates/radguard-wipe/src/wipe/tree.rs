//! A folder tree: planned without following links or crossing mounts,
//! wiped through folder descriptors.

use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType};

use super::file::{examine_file, file_rules};
use super::names::{list_names, open_dir_at, open_parent, scramble_name};
use super::{PlanItem, Run, Wiper};
use crate::engine::{End, Observer, Outcome, PassRecord, VerifyResult};
use crate::error::{Error, chain_text};
use crate::probe::{self, OpenFiles};
use crate::report::IoMode;

/// Plans a folder tree without following links or crossing mounts:
/// `root` is the folder's device and mount id (a bind mount of a folder
/// or file from the same file system has the same device, another mount
/// id).
pub(super) fn walk_plan(
    dir: &Path,
    root: (u64, Option<u64>),
    item: &mut PlanItem,
    open: &OpenFiles,
    force: bool,
) {
    let (root_dev, root_mnt) = root;
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            item.refusals
                .push(format!("cannot list {}: {e}", dir.display()));
            return;
        }
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let p = e.path();
        let meta = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(err) => {
                item.refusals
                    .push(format!("cannot read {}: {err}", p.display()));
                continue;
            }
        };
        let ft = meta.file_type();
        let mnt = if ft.is_symlink() {
            None
        } else {
            probe::mount_id_of(&p)
        };
        if ft.is_symlink() {
            item.symlinks += 1;
        } else if meta.dev() != root_dev || matches!((mnt, root_mnt), (Some(a), Some(b)) if a != b)
        {
            item.refusals.push(format!(
                "{} is a mount point (another file system, or a bind mount of data from elsewhere); it is not crossed: unmount it first",
                p.display()
            ));
        } else if ft.is_dir() {
            item.folders += 1;
            walk_plan(&p, root, item, open, force);
        } else if ft.is_file() {
            item.bytes += meta.len();
            examine_file(item, &p, meta.len());
            item.files.push(p.clone());
            file_rules(item, &p, &meta, open, force);
        } else {
            item.refusals.push(format!(
                "{} is not a regular file, folder or symbolic link",
                p.display()
            ));
        }
    }
}

impl Wiper {
    pub(super) fn run_folder(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
        open: &OpenFiles,
    ) -> Result<Run, Error> {
        let (pdir, name) = open_parent(&item.path)?;
        let root = open_dir_at(&pdir, &name).map_err(|e| Error::io(&item.path, e))?;
        let st = rustix::fs::fstat(&root).map_err(|e| Error::io(&item.path, e.into()))?;
        if (st.st_dev, st.st_ino) != item.identity {
            return Err(Error::Changed(item.path.clone()));
        }
        let root_mnt = probe::mount_id_at(&root, OsStr::new(""));
        if item.mount_id.is_some() && root_mnt != item.mount_id {
            return Err(Error::Changed(item.path.clone()));
        }
        let mut walk = Walk {
            wiper: self,
            root_dev: st.st_dev,
            root_mnt,
            index,
            observer,
            open,
            acc: FolderAcc::default(),
        };
        let stop = walk.tree(&root);
        let mut acc = walk.acc;
        let mut outcome = Outcome {
            passes: acc.passes,
            end: End::Completed,
        };
        if stop {
            outcome.end = End::Interrupted;
        } else if let Some(e) = acc.first_error.clone() {
            outcome.end = End::Failed {
                error: format!(
                    "{} of {} entries failed; first: {e}",
                    acc.failed,
                    acc.files + acc.failed
                ),
                offset: None,
            };
        } else if acc.verify_failed {
            outcome.end = End::VerifyFailed {
                offset: acc.mismatch.unwrap_or(0),
            };
        }
        let mut run = Run::new(outcome);
        if !stop && acc.first_error.is_none() && !acc.verify_failed {
            drop(root);
            if item.keep_root {
                run.post.push(format!(
                    "{} files truncated, renamed {} times and unlinked; {} symbolic links unlinked (not followed); {} folders renamed and removed; the target folder is a mount point and was kept, empty",
                    acc.files, self.options.renames, acc.symlinks, acc.folders
                ));
            } else {
                let parent = item
                    .path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let left = |e: io::Error, under: &OsStr| {
                    Error::io(
                        parent.join(under),
                        io::Error::new(
                            e.kind(),
                            format!(
                                "the wiped, empty folder could not be removed and was left behind as {}: {e}",
                                parent.join(under).display()
                            ),
                        ),
                    )
                };
                let last = scramble_name(&pdir, &name, self.options.renames)
                    .map_err(|e| left(e, &name))?;
                rustix::fs::unlinkat(&pdir, &last, AtFlags::REMOVEDIR)
                    .map_err(|e| left(e.into(), &last))?;
                rustix::fs::fsync(&pdir).map_err(|e| Error::io(&item.path, e.into()))?;
                acc.folders += 1;
                run.post.push(format!(
                    "{} files truncated, renamed {} times and unlinked; {} symbolic links unlinked (not followed); {} folders renamed and removed; every folder synced",
                    acc.files, self.options.renames, acc.symlinks, acc.folders
                ));
            }
        } else {
            run.post.push(format!(
                "{} files wiped and removed before stopping; the rest of the folder was left in place",
                acc.files
            ));
        }
        run.io_mode = IoMode::direct_if(!acc.buffered);
        run.files = acc.files;
        run.folders = acc.folders;
        Ok(run)
    }
}

/// Wiping the inside of one folder tree (entries named by number only).
struct Walk<'a> {
    wiper: &'a Wiper,
    /// The device of the folder: mounts below it are not crossed.
    root_dev: u64,
    /// Its mount id: bind mounts below it are not crossed either.
    root_mnt: Option<u64>,
    /// The target's index in the plan, for progress.
    index: usize,
    observer: &'a mut dyn Observer,
    open: &'a OpenFiles,
    acc: FolderAcc,
}

impl Walk<'_> {
    /// Wipes everything inside `dir`; returns `true` when interrupted.
    fn tree(&mut self, dir: &OwnedFd) -> bool {
        let mut names = match list_names(dir) {
            Ok(names) => names,
            Err(err) => {
                self.acc.fail(format!("cannot list a folder: {err}"));
                return false;
            }
        };
        names.sort();
        for name in names {
            // Certificates name entries by number, never by their names
            // (file names inside an export may identify patients).
            self.acc.seen += 1;
            let label = format!("entry #{} of the folder walk", self.acc.seen);
            if self.entry(dir, &name, &label) {
                return true;
            }
        }
        false
    }

    /// Removes, recurses into or wipes one entry; returns `true` when
    /// interrupted.
    fn entry(&mut self, dir: &OwnedFd, name: &OsStr, label: &str) -> bool {
        let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(s) => s,
            Err(err) => {
                self.acc.fail(format!("cannot read {}: {err}", label));
                return false;
            }
        };
        let ft = FileType::from_raw_mode(st.st_mode);
        if ft == FileType::Symlink {
            self.link(dir, name, label);
            return false;
        }
        if st.st_dev != self.root_dev || !self.same_mount(probe::mount_id_at(dir, name)) {
            self.acc
                .fail(format!("{} is a mount point; not crossed", label));
            return false;
        }
        if ft == FileType::Directory {
            return self.subfolder(dir, name, label);
        }
        if ft != FileType::RegularFile {
            self.acc.fail(format!("{} is not a regular file", label));
            return false;
        }
        if !self.wiper.options.force
            && (st.st_nlink > 1 || self.open.contains(&(st.st_dev, st.st_ino)))
        {
            self.acc.fail(format!(
                "{} now has other hard links or is open elsewhere",
                label
            ));
            return false;
        }
        self.file(dir, name, (st.st_dev, st.st_ino), label)
    }

    /// `true` unless `mnt` is known and differs from the folder's.
    fn same_mount(&self, mnt: Option<u64>) -> bool {
        match (mnt, self.root_mnt) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// Unlinks a symbolic link (after one random rename), never following it.
    fn link(&mut self, dir: &OwnedFd, name: &OsStr, label: &str) {
        let r = scramble_name(dir, name, 1).and_then(|last| {
            rustix::fs::unlinkat(dir, &last, AtFlags::empty()).map_err(io::Error::from)
        });
        match r {
            Ok(()) => self.acc.symlinks += 1,
            Err(err) => self
                .acc
                .fail(format!("cannot remove link {}: {err}", label)),
        }
    }

    /// Wipes a subfolder's tree, then renames and removes it if nothing
    /// failed so far; returns `true` when interrupted.
    fn subfolder(&mut self, dir: &OwnedFd, name: &OsStr, label: &str) -> bool {
        let sub = match open_dir_at(dir, name) {
            Ok(s) => s,
            Err(err) => {
                self.acc.fail(format!("cannot open {}: {err}", label));
                return false;
            }
        };
        // What was opened, not what the name led to a moment before.
        if !self.same_mount(probe::mount_id_at(&sub, OsStr::new(""))) {
            self.acc
                .fail(format!("{} is a mount point; not crossed", label));
            return false;
        }
        if self.tree(&sub) {
            return true;
        }
        drop(sub);
        if self.acc.first_error.is_none() && !self.acc.verify_failed {
            let r = scramble_name(dir, name, self.wiper.options.renames).and_then(|last| {
                rustix::fs::unlinkat(dir, &last, AtFlags::REMOVEDIR).map_err(io::Error::from)
            });
            match r {
                Ok(()) => self.acc.folders += 1,
                Err(err) => self.acc.fail(format!("cannot remove {}: {err}", label)),
            }
        }
        false
    }

    /// Wipes one regular file (it must still be `identity`) and adds its
    /// passes to the folder's; returns `true` when interrupted.
    fn file(&mut self, dir: &OwnedFd, name: &OsStr, identity: (u64, u64), label: &str) -> bool {
        let mut post = Vec::new();
        let acc = &mut self.acc;
        match self.wiper.wipe_file_at(
            dir,
            (name, Path::new(label)),
            (Some(identity), self.root_mnt),
            self.index,
            &mut *self.observer,
            &mut post,
        ) {
            Ok((out, direct)) => {
                acc.buffered |= !direct;
                acc.merge(&out.passes);
                match out.end {
                    End::Completed => acc.files += 1,
                    End::Interrupted => return true,
                    End::Failed { error, .. } => acc.fail(format!("{}: {error}", label)),
                    End::VerifyFailed { offset } => {
                        acc.verify_failed = true;
                        acc.failed += 1;
                        acc.mismatch.get_or_insert(offset);
                        if acc.first_error.is_none() {
                            acc.first_error =
                                Some(format!("{}: verification failed at byte {offset}", label));
                        }
                    }
                }
            }
            Err(e) => acc.fail(format!("{}: {}", label, chain_text(&e))),
        }
        false
    }
}

#[derive(Default)]
struct FolderAcc {
    passes: Vec<PassRecord>,
    seen: u64,
    files: u64,
    folders: u64,
    symlinks: u64,
    failed: u64,
    first_error: Option<String>,
    verify_failed: bool,
    mismatch: Option<u64>,
    buffered: bool,
}

impl FolderAcc {
    fn fail(&mut self, msg: String) {
        self.failed += 1;
        if self.first_error.is_none() {
            self.first_error = Some(msg);
        }
    }

    /// Adds one file's passes to the folder's totals.
    fn merge(&mut self, passes: &[PassRecord]) {
        for p in passes {
            let i = usize::try_from(p.number.saturating_sub(1)).unwrap_or(0);
            if self.passes.len() <= i {
                let mut fresh = p.clone();
                fresh.bytes_written = 0;
                fresh.bytes_planned = 0;
                fresh.completed = true;
                fresh.verification = p.verification.clone().map(|mut v| {
                    v.bytes_read = 0;
                    v.samples = v.samples.map(|_| 0);
                    v.result = VerifyResult::Passed;
                    v.first_mismatch_offset = None;
                    v
                });
                self.passes.push(fresh);
            }
            let acc = &mut self.passes[i];
            acc.bytes_written += p.bytes_written;
            acc.bytes_planned += p.bytes_planned;
            acc.completed &= p.completed;
            match (&mut acc.verification, &p.verification) {
                (Some(a), Some(v)) => {
                    a.bytes_read += v.bytes_read;
                    a.samples = match (a.samples, v.samples) {
                        (Some(x), Some(y)) => Some(x + y),
                        (x, y) => x.or(y),
                    };
                    if v.cache_bypass != crate::CacheBypass::Direct {
                        a.cache_bypass = v.cache_bypass;
                    }
                    if v.result != VerifyResult::Passed {
                        a.result = v.result;
                        if a.first_mismatch_offset.is_none() {
                            a.first_mismatch_offset = v.first_mismatch_offset;
                        }
                    }
                }
                (None, Some(v)) => acc.verification = Some(v.clone()),
                _ => {}
            }
        }
    }
}
