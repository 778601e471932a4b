//! Planning and running wipes of files, folders, block devices and free
//! space on Linux.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags};

use crate::assurance::{Facts, Forced, assess};
use crate::engine::{self, End, Observer, Outcome, PassRecord, VerifyResult};
use crate::error::Error;
use crate::fdmedia::{FILE_ALIGN, FdMedia};
use crate::media::{Concat, Media};
use crate::method::{Method, Verify};
use crate::probe::{self, FsInfo};
use crate::report::{
    Assurance, MediaInfo, Status, TargetInfo, TargetKind, TargetReport, overall_verification,
};

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
    method: Method,
    verify: Verify,
    force: bool,
    renames: u32,
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
    fn path(&self) -> &Path {
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
    /// Why the target is refused; empty when it can be wiped.
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
    identity: (u64, u64),
    fs: Option<FsInfo>,
    forced: Vec<Forced>,
    blockers: Vec<String>,
    notes: Vec<String>,
    backing_fs: Option<(String, String)>,
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
        }
    }

    /// `true` when nothing stops the wipe.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        self.refusals.is_empty()
    }

    /// Records a rule that `force` may override.
    fn overridable(&mut self, force: bool, what: String, degrades: bool) {
        if force {
            self.warnings.push(format!("forced: {what}"));
            self.forced.push(Forced { what, degrades });
        } else {
            self.refusals
                .push(format!("{what} (use --force to override)"));
        }
    }

    fn facts<'a>(&'a self, o: &'a Options) -> Facts<'a> {
        Facts {
            kind: self.kind.unwrap_or(TargetKind::File),
            fs: self
                .fs
                .as_ref()
                .map(|f| (f.name.as_str(), f.super_options.as_str())),
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

/// Plans and runs wipes.
///
/// Planning never writes. Running re-checks every target (it must still be
/// the same file or device, not a symbolic link) before the first write.
///
/// # Examples
///
/// ```no_run
/// use radguard_wipe::{Options, Silent, Target, Wiper};
///
/// let wiper = Wiper::new(Options::new());
/// let plan = wiper.plan(&[Target::Path("old-study/".into())]);
/// for item in plan.items() {
///     assert!(item.is_allowed(), "{:?}", item.refusals);
/// }
/// let reports = wiper.execute(&plan, &mut Silent);
/// assert!(reports.iter().all(|r| r.succeeded()));
/// ```
#[derive(Clone, Debug)]
pub struct Wiper {
    options: Options,
}

/// The plans for every target.
#[derive(Clone, Debug)]
pub struct Plan {
    items: Vec<PlanItem>,
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

fn now() -> String {
    crate::cert::rfc3339_now()
}

impl Wiper {
    /// A wiper with these options.
    #[must_use]
    pub fn new(options: Options) -> Self {
        Self { options }
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Examines every target without writing anything.
    #[must_use]
    pub fn plan(&self, targets: &[Target]) -> Plan {
        let open = probe::open_files();
        let items = targets.iter().map(|t| self.plan_one(t, &open)).collect();
        Plan { items }
    }

    fn plan_one(&self, target: &Target, open: &HashSet<(u64, u64)>) -> PlanItem {
        let path = target.path();
        let mut item = PlanItem::new(path);
        let o = &self.options;
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
                if o.method.block_only() {
                    item.refusals
                        .push(format!("method {} works only on block devices", o.method));
                }
                self.plan_file_entry(&mut item, path, &meta, open);
                item.bytes = meta.len();
                item.pass_bytes = data_bytes(path, meta.len());
                fs_of(&mut item, path);
            }
            Target::Path(_) if ft.is_dir() => {
                item.kind = Some(TargetKind::Folder);
                item.identity = (meta.dev(), meta.ino());
                if o.method.block_only() {
                    item.refusals
                        .push(format!("method {} works only on block devices", o.method));
                }
                let root_dev = meta.dev();
                walk_plan(path, root_dev, &mut item, open, o.force);
                item.folders += 1;
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
        if item.kind == Some(TargetKind::FreeSpace) {
            // Claiming the space writes it once more.
            item.work_bytes += item.pass_bytes;
        }
        item.expected = assess(&item.facts(o), None);
        item
    }

    fn plan_file_entry(
        &self,
        item: &mut PlanItem,
        path: &Path,
        meta: &std::fs::Metadata,
        open: &HashSet<(u64, u64)>,
    ) {
        item.files.push(path.to_path_buf());
        file_rules(item, path, meta, open, self.options.force);
    }

    fn plan_block(
        &self,
        item: &mut PlanItem,
        rdev: u64,
        open: &HashSet<(u64, u64)>,
        node_dev: u64,
        node_ino: u64,
    ) {
        let dev = probe::split_dev(rdev);
        let force = self.options.force;
        probe::block_info(dev, &mut item.media);
        match File::open(&item.path).and_then(|f| {
            rustix::fs::seek(&f, rustix::fs::SeekFrom::End(0)).map_err(io::Error::from)
        }) {
            Ok(size) => {
                item.bytes = size;
                item.pass_bytes = size;
                item.media.size_bytes = Some(size);
            }
            Err(e) => item
                .refusals
                .push(format!("cannot open to read its size: {e}")),
        }
        item.blockers.extend(probe::snapshot_reasons(dev));
        let uses = probe::mounted_uses(dev);
        if !uses.is_empty() {
            item.overridable(
                force,
                format!("the device is in use: {}", uses.join(", ")),
                true,
            );
        }
        if probe::holds_root(dev) {
            item.overridable(
                force,
                "the device is, or is on the disk that holds, the root filesystem `/`".to_owned(),
                true,
            );
        }
        if open.contains(&(node_dev, node_ino)) {
            item.overridable(
                force,
                "another process has the device open".to_owned(),
                true,
            );
        }
        if let Some(b) = item.media.backing_file.clone() {
            // The level a loop device reaches is bounded by where its
            // backing file lives.
            let bp = Path::new(b.trim_end_matches(" (deleted)"));
            if let Ok(f) = File::open(bp) {
                let fs = probe::fs_info(&f, bp);
                item.notes.push(format!(
                    "loop device backed by {b} on {}: earlier copies of that file are not covered",
                    fs.name
                ));
                item.backing_fs = Some((fs.name, fs.super_options));
            }
        }
        if item.media.secure_discard.is_none() {
            item.media.secure_discard = Some("not probed (dry run)".to_owned());
        }
        if self.options.method == Method::Discard && item.media.discard_supported == Some(false) {
            item.refusals
                .push("the device does not support discard".to_owned());
        }
    }

    fn plan_free_space(&self, item: &mut PlanItem) {
        item.kind = Some(TargetKind::FreeSpace);
        if self.options.method.block_only() {
            item.refusals.push(format!(
                "method {} works only on block devices",
                self.options.method
            ));
        }
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

    /// Runs the plan: every allowed item in order; refused items are
    /// skipped and get no report. After an interrupt the remaining items
    /// are reported as [`Status::NotStarted`].
    pub fn execute(&self, plan: &Plan, observer: &mut dyn Observer) -> Vec<TargetReport> {
        let mut reports = Vec::new();
        let mut stopped = false;
        let open = probe::open_files();
        for (index, item) in plan.items.iter().enumerate() {
            if !item.is_allowed() {
                continue;
            }
            if stopped {
                reports.push(self.report(item, None, Status::NotStarted, None, now(), Vec::new()));
                continue;
            }
            let r = self.execute_one(item, index, observer, &open);
            stopped = r.status == Status::Interrupted;
            reports.push(r);
        }
        reports
    }

    fn execute_one(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
        open: &HashSet<(u64, u64)>,
    ) -> TargetReport {
        let started = now();
        let res = match item.kind {
            Some(TargetKind::File) => self.run_file_target(item, index, observer, open),
            Some(TargetKind::Folder) => self.run_folder(item, index, observer, open),
            Some(TargetKind::BlockDevice) => self.run_block(item, index, observer),
            Some(TargetKind::FreeSpace) => self.run_free_space(item, index, observer),
            _ => Err(Error::unsupported(&item.path, "unknown target kind")),
        };
        match res {
            Ok(run) => {
                let mut item = item.clone();
                item.blockers.extend(run.blockers);
                item.notes.extend(run.notes);
                if let Some(m) = run.media {
                    item.media = m;
                }
                if let Some(b) = run.pass_bytes {
                    item.pass_bytes = b;
                    item.bytes = b;
                }
                let status = status_of(&run.outcome.end);
                let error = error_of(&run.outcome.end, run.error);
                let mut rep =
                    self.report(&item, Some(&run.outcome), status, error, started, run.post);
                rep.io_mode = run.io_mode;
                rep.target.files = run.files;
                rep.target.folders = run.folders;
                rep
            }
            Err(e) => self.report(
                item,
                None,
                Status::Failed,
                Some(e.to_string()),
                started,
                Vec::new(),
            ),
        }
    }

    fn report(
        &self,
        item: &PlanItem,
        outcome: Option<&Outcome>,
        status: Status,
        error: Option<String>,
        started: String,
        post: Vec<String>,
    ) -> TargetReport {
        let o = &self.options;
        let passes: Vec<PassRecord> = outcome.map(|x| x.passes.clone()).unwrap_or_default();
        let verification = overall_verification(o.verify, &passes);
        let assurance = assess(&item.facts(o), Some((status, &verification)));
        let planned = item.pass_bytes * o.method.passes().len() as u64;
        TargetReport {
            target: TargetInfo {
                kind: item.kind.unwrap_or(TargetKind::File),
                path: item.path.display().to_string(),
                files: item.files.len() as u64,
                folders: item.folders,
                bytes: item.bytes,
            },
            media: item.media.clone(),
            method: o.method.to_string(),
            method_description: o.method.description(),
            technique: match o.method {
                Method::ZeroOut => "block_zeroout",
                Method::Discard => "block_discard",
                _ => "overwrite",
            }
            .to_owned(),
            verification_mode: o.verify,
            verification_result: verification,
            io_mode: "direct".to_owned(),
            bytes_written: outcome.map_or(0, Outcome::bytes_written),
            bytes_planned: planned,
            passes,
            status,
            error,
            post_actions: post,
            assurance,
            started,
            finished: now(),
        }
    }
}

/// What running one target produced.
struct Run {
    outcome: Outcome,
    post: Vec<String>,
    io_mode: String,
    error: Option<String>,
    files: u64,
    folders: u64,
    blockers: Vec<String>,
    notes: Vec<String>,
    media: Option<MediaInfo>,
    /// Bytes per pass as found while running (free space claimed).
    pass_bytes: Option<u64>,
}

impl Run {
    fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            post: Vec::new(),
            io_mode: "direct".to_owned(),
            error: None,
            files: 0,
            folders: 0,
            blockers: Vec::new(),
            notes: Vec::new(),
            media: None,
            pass_bytes: None,
        }
    }
}

fn status_of(end: &End) -> Status {
    match end {
        End::Completed => Status::Completed,
        End::Interrupted => Status::Interrupted,
        End::Failed { .. } | End::VerifyFailed { .. } => Status::Failed,
    }
}

fn error_of(end: &End, extra: Option<String>) -> Option<String> {
    match end {
        End::Completed | End::Interrupted => extra,
        End::Failed { error, .. } => Some(error.clone()),
        End::VerifyFailed { offset } => Some(format!(
            "verification failed: the data read back at byte {offset} differs from what was written"
        )),
    }
}

/// Bytes one pass will write to a file: its allocated extents, rounded to
/// whole blocks (what [`FdMedia::file`] will list as regions).
fn data_bytes(path: &Path, len: u64) -> u64 {
    use std::os::unix::fs::OpenOptionsExt;
    let nofollow = (OFlags::NOFOLLOW | OFlags::NONBLOCK).bits();
    File::options()
        .read(true)
        .custom_flags(i32::try_from(nofollow).unwrap_or(0))
        .open(path)
        .ok()
        .and_then(|f| crate::fdmedia::data_regions(&f, len, FILE_ALIGN as u64).ok())
        .map_or(len.div_ceil(FILE_ALIGN as u64) * FILE_ALIGN as u64, |r| {
            r.iter().map(|x| x.end - x.start).sum()
        })
}

fn fs_of(item: &mut PlanItem, path: &Path) {
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

/// Safety rules for one regular file.
fn file_rules(
    item: &mut PlanItem,
    path: &Path,
    meta: &std::fs::Metadata,
    open: &HashSet<(u64, u64)>,
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

/// Plans a folder tree without following links or crossing mounts.
fn walk_plan(
    dir: &Path,
    root_dev: u64,
    item: &mut PlanItem,
    open: &HashSet<(u64, u64)>,
    force: bool,
) {
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
        if ft.is_symlink() {
            item.symlinks += 1;
        } else if meta.dev() != root_dev {
            item.refusals.push(format!(
                "{} is on another filesystem (a mount point); it is not crossed",
                p.display()
            ));
        } else if ft.is_dir() {
            item.folders += 1;
            walk_plan(&p, root_dev, item, open, force);
        } else if ft.is_file() {
            item.bytes += meta.len();
            item.pass_bytes += data_bytes(&p, meta.len());
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

fn open_dir_at(dir: impl AsFd, name: &OsStr) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

fn split_parent(path: &Path) -> io::Result<(PathBuf, OsString)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no final name"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_os_string()))
}

/// A random name of `len` characters from `a-z0-9`.
fn random_name(len: usize) -> io::Result<OsString> {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = vec![0u8; len.clamp(1, 255)];
    getrandom::fill(&mut raw).map_err(|_| io::Error::other("no randomness"))?;
    let s: Vec<u8> = raw
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()])
        .collect();
    Ok(OsStr::from_bytes(&s).to_os_string())
}

/// Renames `name` in `dir` to random names `n` times (never replacing an
/// existing entry), syncing the folder after each, and returns the final
/// name.
fn scramble_name(dir: impl AsFd, name: &OsStr, n: u32) -> io::Result<OsString> {
    let mut current = name.to_os_string();
    let len = name.len().clamp(8, 255);
    for _ in 0..n {
        let mut tries = 0;
        loop {
            let next = random_name(len)?;
            match rustix::fs::renameat_with(&dir, &current, &dir, &next, RenameFlags::NOREPLACE) {
                Ok(()) => {
                    current = next;
                    break;
                }
                Err(rustix::io::Errno::EXIST) if tries < 8 => tries += 1,
                Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
                    // No RENAME_NOREPLACE here: check, then plain rename.
                    if rustix::fs::statat(&dir, &next, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                        tries += 1;
                        continue;
                    }
                    rustix::fs::renameat(&dir, &current, &dir, &next)?;
                    current = next;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        rustix::fs::fsync(&dir)?;
    }
    Ok(current)
}

impl Wiper {
    /// Wipes one open regular file in `dir`; on success truncates,
    /// renames, unlinks and syncs the folder.
    fn wipe_file_at(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        expect: Option<(u64, u64)>,
        index: usize,
        observer: &mut dyn Observer,
        post: &mut Vec<String>,
    ) -> Result<(Outcome, bool), Error> {
        let disp = PathBuf::from(name);
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

    fn run_file_target(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
        open: &HashSet<(u64, u64)>,
    ) -> Result<Run, Error> {
        let (parent, name) = split_parent(&item.path).map_err(|e| Error::io(&item.path, e))?;
        let dir = open_dir_path(&parent).map_err(|e| Error::io(&parent, e))?;
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
        let (outcome, direct) =
            self.wipe_file_at(&dir, &name, Some(item.identity), index, observer, &mut post)?;
        let mut run = Run::new(outcome);
        run.post = post;
        run.io_mode = io_mode(direct);
        run.files = 1;
        Ok(run)
    }

    fn run_folder(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
        open: &HashSet<(u64, u64)>,
    ) -> Result<Run, Error> {
        let (parent, name) = split_parent(&item.path).map_err(|e| Error::io(&item.path, e))?;
        let pdir = open_dir_path(&parent).map_err(|e| Error::io(&parent, e))?;
        let root = open_dir_at(&pdir, &name).map_err(|e| Error::io(&item.path, e))?;
        let st = rustix::fs::fstat(&root).map_err(|e| Error::io(&item.path, e.into()))?;
        if (st.st_dev, st.st_ino) != item.identity {
            return Err(Error::Changed(item.path.clone()));
        }
        let mut acc = FolderAcc::default();
        let stop = self.wipe_tree(
            &root, &item.path, st.st_dev, index, observer, open, &mut acc,
        );
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
            let step = |e: io::Error| Error::io(&item.path, e);
            let last = scramble_name(&pdir, &name, self.options.renames).map_err(step)?;
            rustix::fs::unlinkat(&pdir, &last, AtFlags::REMOVEDIR).map_err(|e| step(e.into()))?;
            rustix::fs::fsync(&pdir).map_err(|e| step(e.into()))?;
            acc.folders += 1;
            run.post.push(format!(
                "{} files truncated, renamed {} times and unlinked; {} symbolic links unlinked (not followed); {} folders renamed and removed; every folder synced",
                acc.files, self.options.renames, acc.symlinks, acc.folders
            ));
        } else {
            run.post.push(format!(
                "{} files wiped and removed before stopping; the rest of the folder was left in place",
                acc.files
            ));
        }
        run.io_mode = io_mode(!acc.buffered);
        run.files = acc.files;
        run.folders = acc.folders;
        Ok(run)
    }

    /// Wipes everything inside `dir`; returns `true` when interrupted.
    fn wipe_tree(
        &self,
        dir: &OwnedFd,
        path: &Path,
        root_dev: u64,
        index: usize,
        observer: &mut dyn Observer,
        open: &HashSet<(u64, u64)>,
        acc: &mut FolderAcc,
    ) -> bool {
        let mut names = Vec::new();
        match rustix::fs::Dir::read_from(dir) {
            Ok(mut d) => {
                while let Some(e) = d.read() {
                    match e {
                        Ok(e) => {
                            let n = e.file_name().to_bytes();
                            if n != b"." && n != b".." {
                                names.push(OsStr::from_bytes(n).to_os_string());
                            }
                        }
                        Err(err) => {
                            acc.fail(format!("cannot list a folder: {err}"));
                            return false;
                        }
                    }
                }
            }
            Err(err) => {
                acc.fail(format!("cannot list a folder: {err}"));
                return false;
            }
        }
        names.sort();
        for name in names {
            let p = path.join(&name);
            // Certificates name entries by number, never by their names
            // (file names inside an export may identify patients).
            acc.seen += 1;
            let label = format!("entry #{} of the folder walk", acc.seen);
            let st = match rustix::fs::statat(dir, &name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(s) => s,
                Err(err) => {
                    acc.fail(format!("cannot read {}: {err}", label));
                    continue;
                }
            };
            let ft = FileType::from_raw_mode(st.st_mode);
            let is_dir = ft == FileType::Directory;
            if ft == FileType::Symlink {
                let r = scramble_name(dir, &name, 1).and_then(|last| {
                    rustix::fs::unlinkat(dir, &last, AtFlags::empty()).map_err(io::Error::from)
                });
                match r {
                    Ok(()) => acc.symlinks += 1,
                    Err(err) => acc.fail(format!("cannot remove link {}: {err}", label)),
                }
                continue;
            }
            if st.st_dev != root_dev {
                acc.fail(format!("{} is a mount point; not crossed", label));
                continue;
            }
            if is_dir {
                let sub = match open_dir_at(dir, &name) {
                    Ok(s) => s,
                    Err(err) => {
                        acc.fail(format!("cannot open {}: {err}", label));
                        continue;
                    }
                };
                if self.wipe_tree(&sub, &p, root_dev, index, observer, open, acc) {
                    return true;
                }
                drop(sub);
                if acc.first_error.is_none() && !acc.verify_failed {
                    let r = scramble_name(dir, &name, self.options.renames).and_then(|last| {
                        rustix::fs::unlinkat(dir, &last, AtFlags::REMOVEDIR)
                            .map_err(io::Error::from)
                    });
                    match r {
                        Ok(()) => acc.folders += 1,
                        Err(err) => acc.fail(format!("cannot remove {}: {err}", label)),
                    }
                }
                continue;
            }
            if ft != FileType::RegularFile {
                acc.fail(format!("{} is not a regular file", label));
                continue;
            }
            if !self.options.force && (st.st_nlink > 1 || open.contains(&(st.st_dev, st.st_ino))) {
                acc.fail(format!(
                    "{} now has other hard links or is open elsewhere",
                    label
                ));
                continue;
            }
            let mut post = Vec::new();
            match self.wipe_file_at(
                dir,
                &name,
                Some((st.st_dev, st.st_ino)),
                index,
                observer,
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
                                acc.first_error = Some(format!(
                                    "{}: verification failed at byte {offset}",
                                    label
                                ));
                            }
                        }
                    }
                }
                Err(e) => acc.fail(format!("{}: {e}", label)),
            }
        }
        false
    }

    fn run_block(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
    ) -> Result<Run, Error> {
        let path = &item.path;
        let base = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::DIRECT;
        let fd = match rustix::fs::open(path, base | OFlags::EXCL, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::BUSY) if self.options.force => {
                rustix::fs::open(path, base, Mode::empty())
                    .map_err(|e| Error::io(path, e.into()))?
            }
            Err(rustix::io::Errno::BUSY) => {
                return Err(Error::refused(
                    path,
                    "the device is busy (mounted, or held by the kernel or another program)",
                ));
            }
            Err(e) => return Err(Error::io(path, e.into())),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::io(path, e.into()))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::BlockDevice
            || st.st_rdev != item.identity.0
        {
            return Err(Error::Changed(path.clone()));
        }
        let size = rustix::fs::seek(&fd, rustix::fs::SeekFrom::End(0))
            .map_err(|e| Error::io(path, e.into()))?;
        let lbs = rustix::fs::ioctl_blksszget(&fd).map_or(512, |v| v as usize);
        let file = File::from(fd);
        let mut media_info = item.media.clone();
        media_info.size_bytes = Some(size);
        // Flush first: the probe drops the device's page cache.
        file.sync_all().map_err(|e| Error::io(path, e))?;
        media_info.secure_discard = Some(match crate::sys::blk_secdiscard_probe(&file) {
            Ok(()) => "supported (BLKSECDISCARD accepted)".to_owned(),
            Err(e) if e.raw_os_error() == Some(95) => {
                "not supported (BLKSECDISCARD: operation not supported)".to_owned()
            }
            Err(e) => format!("unknown (BLKSECDISCARD probe: {e})"),
        });
        let mut media = FdMedia::block(file, size, lbs);
        let passes = self.options.method.passes();
        let outcome = engine::run(&mut media, &passes, self.options.verify, index, observer);
        let mut run = Run::new(outcome);
        if run.outcome.end == End::Completed {
            run.post.push("device cache flushed (fsync)".to_owned());
        }
        if size % lbs as u64 != 0 {
            run.notes.push(format!(
                "the last {} bytes do not fill a logical block and were written as a partial block",
                size % lbs as u64
            ));
        }
        run.media = Some(media_info);
        Ok(run)
    }

    fn run_free_space(
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
            run.io_mode = io_mode(media_direct(&media));
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
            let names: Vec<OsString> = {
                let mut v = Vec::new();
                let mut d = rustix::fs::Dir::read_from(&work)?;
                while let Some(e) = d.read() {
                    let e = e?;
                    let n = e.file_name().to_bytes();
                    if n != b"." && n != b".." {
                        v.push(OsStr::from_bytes(n).to_os_string());
                    }
                }
                v
            };
            for n in names {
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

fn io_mode(direct: bool) -> String {
    if direct { "direct" } else { "buffered" }.to_owned()
}

fn open_dir_path(p: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        p,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
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
