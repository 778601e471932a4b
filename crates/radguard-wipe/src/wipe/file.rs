//! One regular file: its safety rules, the bytes a pass writes, and the
//! wipe itself (overwrite, truncate, rename, unlink).

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::names::{open_parent, scramble_name};
use super::{PlanItem, Run, Wiper};
use crate::engine::{self, End, Observer, Outcome};
use crate::error::Error;
use crate::fdmedia::{FILE_ALIGN, FdMedia};
use crate::probe::OpenFiles;
use crate::report::IoMode;

impl Wiper {
    pub(super) fn plan_file_entry(
        &self,
        item: &mut PlanItem,
        path: &Path,
        meta: &std::fs::Metadata,
        open: &OpenFiles,
    ) {
        item.files.push(path.to_path_buf());
        file_rules(item, path, meta, open, self.options.force);
    }
}

/// `FS_JOURNAL_DATA_FL`: the file's data goes through the journal.
const JOURNAL_DATA_FL: u32 = 0x0000_4000;
/// `EXT4_INLINE_DATA_FL`: the file's data is stored inside its inode.
const INLINE_DATA_FL: u32 = 0x1000_0000;

/// Examines a regular file for planning: the bytes one pass will write
/// (its allocated extents, rounded to whole blocks, as [`FdMedia::file`]
/// will list them) and its storage flags, counted into `item`.
pub(super) fn examine_file(item: &mut PlanItem, path: &Path, len: u64) {
    use std::os::unix::fs::OpenOptionsExt;
    let nofollow = (OFlags::NOFOLLOW | OFlags::NONBLOCK).bits();
    let f = File::options()
        .read(true)
        .custom_flags(i32::try_from(nofollow).unwrap_or(0))
        .open(path)
        .ok();
    item.pass_bytes += f
        .as_ref()
        .and_then(|f| crate::fdmedia::data_regions(f, len, FILE_ALIGN as u64).ok())
        .map_or(len.div_ceil(FILE_ALIGN as u64) * FILE_ALIGN as u64, |r| {
            r.iter().map(|x| x.end - x.start).sum()
        });
    if let Some(flags) = f.and_then(|f| rustix::fs::ioctl_getflags(&f).ok()) {
        let bits = flags.bits();
        if bits & JOURNAL_DATA_FL != 0 {
            item.journaled_files += 1;
        }
        if bits & INLINE_DATA_FL != 0 {
            item.inline_files += 1;
        }
    }
}

/// The reasons storage flags counted by [`examine_file`] cost assurance.
pub(super) fn flag_blockers(item: &mut PlanItem) {
    if item.journaled_files > 0 {
        item.blockers.push(format!(
            "{} file(s) have data journaling set (`chattr +j`): their data was also written to the journal, where copies survive the overwrite",
            item.journaled_files
        ));
    }
    if item.inline_files > 0 {
        item.blockers.push(format!(
            "{} file(s) are stored inside their inodes (ext4 inline_data): the overwrite rewrites the inode, whose earlier versions are kept in the journal as metadata",
            item.inline_files
        ));
    }
}

/// Safety rules for one regular file.
pub(super) fn file_rules(
    item: &mut PlanItem,
    path: &Path,
    meta: &std::fs::Metadata,
    open: &OpenFiles,
    force: bool,
) {
    if meta.nlink() > 1 {
        item.overridable(
            force,
            format!(
                "{} has {} other hard links: its data stays reachable under those names (forcing overwrites it for all of them and leaves them empty)",
                path.display(),
                meta.nlink() - 1
            ),
            false,
        );
    }
    if open.contains(&(meta.dev(), meta.ino())) {
        item.overridable(
            force,
            format!("{} is open in another process", path.display()),
            true,
        );
    }
}

/// Opens `name` in `dir` as a regular file for wiping, without following
/// symbolic links: `O_DIRECT` first, buffered if the filesystem refuses it.
fn open_file_at(dir: impl AsFd, name: &OsStr) -> io::Result<(File, bool)> {
    let base =
        OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let fd: OwnedFd = match rustix::fs::openat(&dir, name, base | OFlags::DIRECT, Mode::empty()) {
        Ok(fd) => return Ok((File::from(fd), true)),
        Err(rustix::io::Errno::INVAL) => rustix::fs::openat(&dir, name, base, Mode::empty())?,
        Err(e) => return Err(e.into()),
    };
    Ok((File::from(fd), false))
}

impl Wiper {
    /// Wipes one open regular file in `dir`; on success truncates,
    /// renames, unlinks and syncs the folder. Errors name the file `label`
    /// (inside a folder, its number in the walk: file names inside an
    /// export may identify patients).
    pub(super) fn wipe_file_at(
        &self,
        dir: &OwnedFd,
        (name, label): (&OsStr, &Path),
        (expect, mount): (Option<(u64, u64)>, Option<u64>),
        index: usize,
        observer: &mut dyn Observer,
        post: &mut Vec<String>,
    ) -> Result<(Outcome, bool), Error> {
        let disp = label.to_path_buf();
        let (file, direct) = open_file_at(dir, name).map_err(|e| Error::io(&disp, e))?;
        let meta = file.metadata().map_err(|e| Error::io(&disp, e))?;
        if !meta.file_type().is_file() {
            return Err(Error::Changed(disp));
        }
        if let Some(id) = expect
            && id != (meta.dev(), meta.ino())
        {
            return Err(Error::Changed(disp));
        }
        // The file opened must be on the target's mount: a bind mount of a
        // file from elsewhere is never written.
        if let (Some(want), Some(got)) = (mount, crate::probe::mount_id_at(&file, OsStr::new("")))
            && want != got
        {
            return Err(Error::refused(
                &disp,
                "is a mount point (a bind mount of a file from elsewhere); not written",
            ));
        }
        let mut media = FdMedia::file(file, meta.len(), direct).map_err(|e| Error::io(&disp, e))?;
        let passes = self.options.method.passes();
        let outcome = engine::run(&mut media, &passes, self.options.verify, index, observer);
        let direct = media.is_direct();
        if outcome.end != End::Completed {
            return Ok((outcome, direct));
        }
        let file = media.into_file();
        let step = |e: io::Error| Error::io(&disp, e);
        file.set_len(0).map_err(step)?;
        file.sync_all().map_err(step)?;
        drop(file);
        let last = scramble_name(dir, name, self.options.renames).map_err(step)?;
        rustix::fs::unlinkat(dir, &last, AtFlags::empty()).map_err(|e| step(e.into()))?;
        rustix::fs::fsync(dir).map_err(|e| step(e.into()))?;
        post.push(format!(
            "truncated to 0 bytes, renamed {} times to random names, unlinked, folder synced",
            self.options.renames
        ));
        Ok((outcome, direct))
    }

    pub(super) fn run_file_target(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
        open: &OpenFiles,
    ) -> Result<Run, Error> {
        let (dir, name) = open_parent(&item.path)?;
        let meta = rustix::fs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| Error::io(&item.path, e.into()))?;
        if FileType::from_raw_mode(meta.st_mode) != FileType::RegularFile {
            return Err(Error::Changed(item.path.clone()));
        }
        if !self.options.force && open.contains(&item.identity) {
            return Err(Error::refused(
                &item.path,
                "the file is now open in another process",
            ));
        }
        let mut post = Vec::new();
        let (outcome, direct) = self.wipe_file_at(
            &dir,
            (&name, &item.path),
            (
                Some(item.identity),
                crate::probe::mount_id_at(&dir, OsStr::new("")),
            ),
            index,
            observer,
            &mut post,
        )?;
        let mut run = Run::new(outcome);
        run.post = post;
        run.io_mode = IoMode::direct_if(direct);
        run.files = 1;
        Ok(run)
    }
}
