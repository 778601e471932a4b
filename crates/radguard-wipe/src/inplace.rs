//! Whether overwriting a file in place reaches the storage that held its
//! bytes: what a cryptographic erase of a key file rests on.

use std::fs::File;
use std::path::Path;

use crate::assurance::{FsClass, classify_fs};
use crate::probe;
use crate::report::MediaInfo;

/// What overwriting a file's bytes in place reaches, as far as this
/// machine can tell: [`in_place_overwrite`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InPlaceOverwrite {
    /// `true` when nothing known keeps the overwritten bytes elsewhere: a
    /// file system that overwrites in place, no data journaling or inline
    /// data for the file, magnetic (rotational) storage, no snapshots, and
    /// below a loop device a backing file for which all of this holds too.
    pub assured: bool,
    /// Why it is not assured (empty when it is).
    pub reasons: Vec<String>,
    /// The file system and device, as found.
    pub media: MediaInfo,
}

/// Examines where the file at `path` lives and says whether an in-place
/// overwrite of its bytes (with `fsync`) removes the old bytes from the
/// storage: the basis for claiming a cryptographic erase of a key kept in
/// that file (NIST SP 800-88 Rev. 2: every copy of the key must be
/// sanitized).
///
/// Not assured, with the reason: copy-on-write, log-structured, network
/// and unknown file systems; ext4 journaling data (mount option, superblock
/// default, or the file's `+j` flag) or keeping it inline in the inode;
/// flash or other non-rotational storage (the flash translation layer
/// keeps old pages); virtual disks (the host's storage below is unknown);
/// LVM snapshots and thin pools; swap behind tmpfs.
///
/// # Examples
///
/// ```no_run
/// let check = radguard_wipe::in_place_overwrite("/srv/keys/keyring".as_ref());
/// if !check.assured {
///     for r in &check.reasons {
///         eprintln!("not assured: {r}");
///     }
/// }
/// ```
#[must_use]
pub fn in_place_overwrite(path: &Path) -> InPlaceOverwrite {
    examine(path, 0)
}

fn examine(path: &Path, depth: u32) -> InPlaceOverwrite {
    let mut out = InPlaceOverwrite {
        assured: false,
        reasons: Vec::new(),
        media: MediaInfo::default(),
    };
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.reasons
                .push(format!("cannot examine {}: {e}", path.display()));
            return out;
        }
    };
    let fs = probe::fs_info(&f, path);
    probe::block_info(fs.dev, &mut out.media);
    out.media.filesystem = Some(fs.name.clone());
    out.media.mount_point.clone_from(&fs.mount_point);
    out.media.mount_options = Some(fs.super_options.clone());
    match classify_fs(&fs.name, &fs.effective_options) {
        FsClass::InPlace => {}
        FsClass::Memory => {
            if probe::swap_active() {
                out.reasons.push(format!(
                    "{} keeps files in memory and swap is active: pages may have been written to swap",
                    fs.name
                ));
            }
            // Nothing below a memory file system.
            out.assured = out.reasons.is_empty();
            return out;
        }
        FsClass::NotInPlace(why) => out.reasons.push(why.to_owned()),
    }
    if let Ok(flags) = rustix::fs::ioctl_getflags(&f) {
        let bits = flags.bits();
        if bits & 0x0000_4000 != 0 {
            out.reasons.push(
                "the file has data journaling set (`chattr +j`): its data also goes to the journal"
                    .to_owned(),
            );
        }
        if bits & 0x1000_0000 != 0 {
            out.reasons.push(
                "the file is stored inside its inode (ext4 inline_data): earlier versions of the inode are kept in the journal"
                    .to_owned(),
            );
        }
    }
    out.reasons.extend(probe::snapshot_reasons(fs.dev));
    if let Some(backing) = out.media.backing_file.clone() {
        // A loop device writes into its backing file at the same offset:
        // what counts is where that file lives.
        let bp = Path::new(backing.trim_end_matches(" (deleted)"));
        if depth < 8 {
            let below = examine(bp, depth + 1);
            for r in below.reasons {
                out.reasons
                    .push(format!("the loop device's backing file {backing}: {r}"));
            }
        } else {
            out.reasons
                .push("loop devices nested too deep to examine".to_owned());
        }
    } else {
        match out.media.rotational {
            Some(true) => {}
            Some(false) => out.reasons.push(
                "the storage is not rotational (flash, or virtual): an SSD's flash translation layer writes new pages and keeps the old ones until it erases them, so an in-place overwrite is not guaranteed to reach the old bytes physically".to_owned(),
            ),
            None => out
                .reasons
                .push("the kind of storage below the file system is unknown".to_owned()),
        }
        if out.media.virtual_device == Some(true) {
            out.reasons.push(
                "the file system is on a virtual disk: whether the host's storage below overwrites in place, and whether it keeps snapshots, is unknown here".to_owned(),
            );
        }
    }
    out.assured = out.reasons.is_empty();
    out
}
