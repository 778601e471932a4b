//! What to wipe and how, and examining a target without writing.

use std::fs::File;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::Wiper;
use super::file::{examine_file, flag_blockers};
use super::tree::walk_plan;
use crate::assurance::{Facts, Forced, assess};
use crate::engine;
use crate::method::{Method, Verify};
use crate::probe::{self, FsInfo, OpenFiles};
use crate::report::{Assurance, MediaInfo, TargetKind};

/// How to wipe.
///
/// # Examples
///
/// ```
/// use radguard_wipe::{Method, Options, Verify};
///
/// let o = Options::new().method(Method::ClearRandom).verify(Verify::All);
/// assert_eq!(o.method_ref(), &Method::ClearRandom);
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    pub(super) method: Method,
    pub(super) verify: Verify,
    pub(super) force: bool,
    pub(super) renames: u32,
    pub(super) state_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl Options {
    /// NIST Clear (zeros), verify the last pass, no force, three renames.
    #[must_use]
    pub fn new() -> Self {
        Self {
            method: Method::Clear,
            verify: Verify::Last,
            force: false,
            renames: 3,
            state_dir: None,
        }
    }

    /// Sets the method.
    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Sets the verification mode.
    #[must_use]
    pub fn verify(mut self, verify: Verify) -> Self {
        self.verify = verify;
        self
    }

    /// Overrides the safety rules that can be overridden (mounted or
    /// in-use targets, the device holding `/`, files with other hard
    /// links). Overridden rules are recorded, and most cost assurance.
    ///
    /// # Security
    ///
    /// Forcing a wipe of a mounted filesystem's device destroys it under
    /// the running system.
    #[must_use]
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// How many times a file is renamed to random names before it is
    /// unlinked (default 3, at most 32).
    #[must_use]
    pub fn renames(mut self, n: u32) -> Self {
        self.renames = n.min(32);
        self
    }

    /// A folder where free-space wipes record their fill folders while
    /// they run (one small JSON file each, locked by the running process),
    /// so that a later run or plan on the same file system finds the fill
    /// of a run that died anywhere on it, removes it, restores what it
    /// changed (the ext4 reserved-cluster pool) and says so. Without one,
    /// only fill folders inside the target folder are found. The folder is
    /// created (mode `0700`) when needed.
    #[must_use]
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// The method.
    #[must_use]
    pub fn method_ref(&self) -> &Method {
        &self.method
    }

    /// The verification mode.
    #[must_use]
    pub fn verify_mode(&self) -> Verify {
        self.verify
    }
}

/// What to wipe.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A file, a folder or a block device, told apart by what the path is
    /// (never following a symbolic link).
    Path(PathBuf),
    /// The free space of the mounted filesystem holding this folder.
    FreeSpace(PathBuf),
}

impl Target {
    pub(super) fn path(&self) -> &Path {
        match self {
            Self::Path(p) | Self::FreeSpace(p) => p,
        }
    }
}

/// The plan for one target: what would be wiped, what stops it, and the
/// level it would reach if all goes well.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PlanItem {
    /// The target as given.
    pub path: PathBuf,
    /// What it is, when that could be established.
    pub kind: Option<TargetKind>,
    /// Data bytes that would be overwritten (per pass).
    pub bytes: u64,
    /// Every regular file that would be wiped (for a folder, all of them).
    pub files: Vec<PathBuf>,
    /// Folders that would be removed.
    pub folders: u64,
    /// Symbolic links that would be removed (never followed).
    pub symlinks: u64,
    /// Why the target is refused; empty when it can be wiped. Those that
    /// forcing would override are told by [`PlanItem::force_overrides`].
    pub refusals: Vec<String>,
    /// Safety rules overridden by `force`, and other warnings.
    pub warnings: Vec<String>,
    /// What is known about the media.
    pub media: MediaInfo,
    /// The level the wipe would reach if it completes and verifies.
    pub expected: Assurance,
    /// Bytes to write and read, for progress bars.
    pub work_bytes: u64,
    /// Bytes one pass writes (allocated extents, rounded to whole blocks).
    pub pass_bytes: u64,
    pub(super) identity: (u64, u64),
    pub(super) fs: Option<FsInfo>,
    pub(super) forced: Vec<Forced>,
    pub(super) blockers: Vec<String>,
    pub(super) notes: Vec<String>,
    pub(super) backing_fs: Option<(String, String)>,
    /// The folder is a mount point: its content is wiped, the folder stays.
    pub(super) keep_root: bool,
    /// Files with data journaling set (`chattr +j`).
    pub(super) journaled_files: u64,
    /// Files stored inside their inodes (ext4 inline data).
    pub(super) inline_files: u64,
    /// Mount id of the folder target, when `statx` tells it.
    pub(super) mount_id: Option<u64>,
    /// The refusals that [`Options::force`] overrides.
    overridable: Vec<String>,
}

impl PlanItem {
    fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            kind: None,
            bytes: 0,
            files: Vec::new(),
            folders: 0,
            symlinks: 0,
            refusals: Vec::new(),
            warnings: Vec::new(),
            media: MediaInfo::default(),
            expected: Assurance {
                level: crate::AssuranceLevel::NotAssured,
                reasons: Vec::new(),
                recommendations: Vec::new(),
            },
            work_bytes: 0,
            pass_bytes: 0,
            identity: (0, 0),
            fs: None,
            forced: Vec::new(),
            blockers: Vec::new(),
            notes: Vec::new(),
            backing_fs: None,
            keep_root: false,
            journaled_files: 0,
            inline_files: 0,
            mount_id: None,
            overridable: Vec::new(),
        }
    }

    /// `true` when nothing stops the wipe.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        self.refusals.is_empty()
    }

    /// `true` when `refusal` (one of [`PlanItem::refusals`]) is a safety
    /// rule that [`Options::force`] would override.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use radguard_wipe::{Options, Target, Wiper};
    ///
    /// let plan = Wiper::new(Options::new()).plan(&[Target::Path("/dev/sdb".into())]);
    /// for r in &plan.items()[0].refusals {
    ///     let hint = if plan.items()[0].force_overrides(r) { " (forcing overrides it)" } else { "" };
    ///     println!("refused: {r}{hint}");
    /// }
    /// ```
    #[must_use]
    pub fn force_overrides(&self, refusal: &str) -> bool {
        self.overridable.iter().any(|r| r == refusal)
    }

    /// Records a rule that `force` may override.
    pub(super) fn overridable(&mut self, force: bool, what: String, degrades: bool) {
        if force {
            self.warnings.push(format!("forced: {what}"));
            self.forced.push(Forced { what, degrades });
        } else {
            self.overridable.push(what.clone());
            self.refusals.push(what);
        }
    }

    /// Refuses a method that works only on block devices (this item is
    /// not one).
    pub(super) fn refuse_block_only(&mut self, method: &Method) {
        if method.block_only() {
            self.refusals
                .push(format!("method {method} works only on block devices"));
        }
    }

    pub(super) fn facts<'a>(&'a self, o: &'a Options) -> Facts<'a> {
        Facts {
            kind: self.kind.unwrap_or(TargetKind::File),
            fs: self
                .fs
                .as_ref()
                .map(|f| (f.name.as_str(), f.effective_options.as_str())),
            media: &self.media,
            method: &o.method,
            verify: o.verify,
            forced: &self.forced,
            blockers: &self.blockers,
            notes: &self.notes,
            backing_fs: self
                .backing_fs
                .as_ref()
                .map(|(a, b)| (a.as_str(), b.as_str())),
        }
    }
}

/// The plans for every target.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(super) items: Vec<PlanItem>,
}

impl Plan {
    /// One item per target, in order.
    #[must_use]
    pub fn items(&self) -> &[PlanItem] {
        &self.items
    }

    /// `true` when every target may be wiped.
    #[must_use]
    pub fn all_allowed(&self) -> bool {
        self.items.iter().all(PlanItem::is_allowed)
    }

    /// Total bytes to write and read, for progress bars.
    #[must_use]
    pub fn work_bytes(&self) -> u64 {
        self.items.iter().map(|i| i.work_bytes).sum()
    }
}

impl Wiper {
    pub(super) fn plan_one(&self, target: &Target, open: &OpenFiles) -> PlanItem {
        let path = target.path();
        let mut item = PlanItem::new(path);
        let o = &self.options;
        if o.method == Method::CryptographicErase {
            item.refusals.push(
                "crypto-erase destroys a key (radguard keys destroy); it overwrites nothing"
                    .to_owned(),
            );
            return item;
        }
        // `dir/..` names the parent of `dir`, and `dir/.` names `dir`
        // under a name a wipe cannot rename or remove: the dry run and the
        // run would not agree on what is wiped.
        if matches!(
            path.components().next_back(),
            Some(std::path::Component::ParentDir | std::path::Component::CurDir) | None
        ) || path.file_name().is_none()
        {
            item.refusals.push(
                "the target ends in `..` or `.` (or is `/`): name the file, folder or device itself"
                    .to_owned(),
            );
            return item;
        }
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                item.refusals.push(format!("cannot read: {e}"));
                return item;
            }
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            item.refusals.push(
                "is a symbolic link, which is never followed; pass the resolved path".to_owned(),
            );
            return item;
        }
        match target {
            Target::FreeSpace(_) => {
                if !ft.is_dir() {
                    item.refusals
                        .push("a free-space target must be a folder on the filesystem".to_owned());
                    return item;
                }
                item.identity = (meta.dev(), meta.ino());
                self.plan_free_space(&mut item);
            }
            Target::Path(_) if ft.is_block_device() => {
                item.kind = Some(TargetKind::BlockDevice);
                item.identity = (meta.rdev(), meta.ino());
                self.plan_block(&mut item, meta.rdev(), open, meta.dev(), meta.ino());
            }
            Target::Path(_) if ft.is_file() => {
                item.kind = Some(TargetKind::File);
                item.identity = (meta.dev(), meta.ino());
                item.refuse_block_only(&o.method);
                self.plan_file_entry(&mut item, path, &meta, open);
                let parent = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                if let (Some(a), Some(b)) = (probe::mount_id_of(path), probe::mount_id_of(parent))
                    && a != b
                {
                    item.refusals.push(
                        "the file is a mount point (a bind mount of a file from elsewhere); unmount it first"
                            .to_owned(),
                    );
                }
                item.bytes = meta.len();
                examine_file(&mut item, path, meta.len());
                fs_of(&mut item, path);
            }
            Target::Path(_) if ft.is_dir() => {
                item.kind = Some(TargetKind::Folder);
                item.identity = (meta.dev(), meta.ino());
                item.refuse_block_only(&o.method);
                item.mount_id = probe::mount_id_of(path);
                // Anything mounted inside (bind mounts of folders or files
                // from elsewhere on the same file system included) is
                // outside the target: the whole wipe is refused.
                for m in probe::mounts_below(path) {
                    item.refusals.push(format!(
                        "{m} is a mount point inside the target (possibly a bind mount of data from elsewhere); unmount it first"
                    ));
                }
                let root = (meta.dev(), item.mount_id);
                walk_plan(path, root, &mut item, open, o.force);
                item.folders += 1;
                if probe::is_mount_point(path) {
                    item.keep_root = true;
                    item.warnings.push(
                        "the folder is a mount point: its content is wiped, the folder itself stays"
                            .to_owned(),
                    );
                }
                fs_of(&mut item, path);
            }
            Target::Path(_) => {
                item.refusals.push(
                    "not a regular file, folder or block device (sockets, pipes and character devices hold no stored data to sanitize)".to_owned(),
                );
                return item;
            }
        }
        if matches!(item.kind, Some(TargetKind::File | TargetKind::Folder)) && !probe::is_root() {
            item.warnings.push(
                "not running as root: files held open by other users' processes cannot be detected"
                    .to_owned(),
            );
        }
        if let Some(fs) = &item.fs
            && fs.super_options.split(',').any(|x| x == "ro")
            && item.kind != Some(TargetKind::BlockDevice)
        {
            item.refusals.push(format!(
                "the filesystem at {} is read-only",
                fs.mount_point.as_deref().unwrap_or("?")
            ));
        }
        flag_blockers(&mut item);
        if let Some(fs) = &item.fs
            && fs.effective_options != fs.super_options
        {
            item.notes.push(format!(
                "the file system's effective options ({}) differ from its mount options",
                fs.effective_options
            ));
        }
        if let Some(fs) = &item.fs {
            item.media.filesystem = Some(fs.name.clone());
            item.media.mount_point.clone_from(&fs.mount_point);
            item.media.mount_options = Some(fs.super_options.clone());
            if item.media.media_type.is_none() {
                item.media.media_type = Some(format!(
                    "{} on a {} filesystem",
                    match item.kind {
                        Some(TargetKind::Folder) => "folder",
                        Some(TargetKind::FreeSpace) => "free space",
                        _ => "file",
                    },
                    fs.name
                ));
            }
        }
        item.work_bytes = engine::work_bytes(item.pass_bytes, &o.method.passes(), o.verify);
        let zeros_only = o.method.passes()
            == [crate::method::PassKind::Write(
                crate::pattern::Pattern::Byte(0),
            )];
        if item.kind == Some(TargetKind::FreeSpace) && !zeros_only {
            // Claiming the space writes it once more (with zeros, that
            // claim is the pass itself).
            item.work_bytes += item.pass_bytes;
        }
        item.expected = assess(&item.facts(o), None);
        item
    }
}

pub(super) fn fs_of(item: &mut PlanItem, path: &Path) {
    let f = File::open(path);
    if let Ok(f) = f {
        let fs = probe::fs_info(&f, path);
        let mut dev_info = MediaInfo::default();
        probe::block_info(fs.dev, &mut dev_info);
        item.media.rotational = dev_info.rotational;
        item.media.virtual_device = dev_info.virtual_device;
        item.media.removable = dev_info.removable;
        item.media.device = dev_info.device;
        item.media.manufacturer = dev_info.manufacturer;
        item.media.model = dev_info.model;
        item.media.serial = dev_info.serial;
        item.blockers.extend(probe::snapshot_reasons(fs.dev));
        item.fs = Some(fs);
    }
}
