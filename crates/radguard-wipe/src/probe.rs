//! What the operating system says about a target: filesystem type and
//! mount options, block device identity from sysfs, whether something is
//! mounted, holds `/`, or is open in another process.

use std::collections::HashSet;
use std::fs;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::report::MediaInfo;

/// A filesystem's type, as far as sanitization cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FsInfo {
    /// The type name (`ext4`, `btrfs`, ...).
    pub(crate) name: String,
    /// The mount point holding the path, if found.
    pub(crate) mount_point: Option<String>,
    /// Mount source (device) as listed in mountinfo.
    pub(crate) source: Option<String>,
    /// Per-superblock options (`data=journal`, ...).
    pub(crate) super_options: String,
    /// The options that decide how data is written: the per-superblock
    /// options, plus `data=journal` when ext4 journals data by a superblock
    /// default the mount table does not show.
    pub(crate) effective_options: String,
    /// Device number (major, minor) of the filesystem.
    pub(crate) dev: (u32, u32),
    /// For ext4: whether the `inline_data` feature is on (small files kept
    /// inside their inodes), when the superblock could be read.
    pub(crate) inline_data: Option<bool>,
    /// For ext4: the sysfs name of its device (`loop0`, `sda1`), which
    /// names `/proc/fs/ext4/<name>` and `/sys/fs/ext4/<name>`.
    pub(crate) ext4_name: Option<String>,
}

/// statfs magic numbers (linux/magic.h) of the filesystems we classify.
const MAGICS: &[(i128, &str)] = &[
    (0xEF53, "ext4"),
    (0x9123_683E, "btrfs"),
    (0x5846_5342, "xfs"),
    (0x0102_1994, "tmpfs"),
    (0x8584_58f6, "ramfs"),
    (0x794C_7630, "overlay"),
    (0x2FC1_2FC1, "zfs"),
    (0x6969, "nfs"),
    (0xFF53_4D42, "cifs"),
    (0xFE53_4D42, "smb2"),
    (0x6573_5546, "fuse"),
    (0xF2F5_2010, "f2fs"),
    (0x3434, "nilfs2"),
    (0x4d44, "vfat"),
    (0x2011_BAB0, "exfat"),
    (0x5346_544e, "ntfs"),
    (0xca45_1a4e, "bcachefs"),
    (0x7371_7368, "squashfs"),
    (0xf15f, "ecryptfs"),
    (0x0102_1997, "9p"),
];

/// Splits `st_dev` into (major, minor) like glibc's `gnu_dev_major/minor`.
pub(crate) fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff);
    (
        u32::try_from(major).unwrap_or(u32::MAX),
        u32::try_from(minor).unwrap_or(u32::MAX),
    )
}

/// One line of /proc/self/mountinfo.
#[derive(Clone, Debug)]
pub(crate) struct Mount {
    pub(crate) dev: (u32, u32),
    pub(crate) mount_point: String,
    pub(crate) fstype: String,
    pub(crate) source: String,
    pub(crate) super_options: String,
}

/// Decodes the octal escapes (`\040` for space) mountinfo uses.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn parse_mountinfo(text: &str) -> Vec<Mount> {
    let mut v = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let l: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        if l.len() < 5 || r.len() < 3 {
            continue;
        }
        let Some((ma, mi)) = l[2].split_once(':') else {
            continue;
        };
        let (Ok(ma), Ok(mi)) = (ma.parse(), mi.parse()) else {
            continue;
        };
        v.push(Mount {
            dev: (ma, mi),
            mount_point: unescape(l[4]),
            fstype: r[0].to_owned(),
            source: unescape(r[1]),
            super_options: r[2].to_owned(),
        });
    }
    v
}

pub(crate) fn mounts() -> Vec<Mount> {
    fs::read_to_string("/proc/self/mountinfo")
        .map(|t| parse_mountinfo(&t))
        .unwrap_or_default()
}

/// The filesystem holding the open file `fd` found at `path`.
pub(crate) fn fs_info(fd: impl AsFd, path: &Path) -> FsInfo {
    let magic = rustix::fs::fstatfs(&fd).map(|s| i128::from(s.f_type)).ok();
    let dev = rustix::fs::fstat(&fd)
        .map(|s| split_dev(s.st_dev))
        .unwrap_or((0, 0));
    let canon = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let all = mounts();
    // The mount whose point is the longest prefix of the path, preferring
    // those of the same device.
    let best = all
        .iter()
        .filter(|m| canon.starts_with(&m.mount_point))
        .max_by_key(|m| (m.dev == dev, m.mount_point.len()));
    let by_magic = magic.and_then(|m| MAGICS.iter().find(|(k, _)| *k == m).map(|(_, n)| *n));
    let name = match (by_magic, best) {
        (Some(n), _) => n.to_owned(),
        (None, Some(m)) => m.fstype.clone(),
        (None, None) => match magic {
            Some(m) => format!("unknown (statfs type {m:#x})"),
            None => "unknown".to_owned(),
        },
    };
    let super_options = best.map(|m| m.super_options.clone()).unwrap_or_default();
    let mut info = FsInfo {
        effective_options: super_options.clone(),
        name,
        mount_point: best.map(|m| m.mount_point.clone()),
        source: best.map(|m| m.source.clone()),
        super_options,
        dev,
        inline_data: None,
        ext4_name: None,
    };
    if matches!(info.name.as_str(), "ext4" | "ext3" | "ext2") {
        ext4_facts(&mut info);
    }
    info
}

/// What the ext4 driver and the superblock say beyond the mount table:
/// data journaling set as a superblock default (`tune2fs -o journal_data`)
/// shows in `/proc/fs/ext4/<dev>/options` only; `inline_data` is a
/// superblock feature.
fn ext4_facts(info: &mut FsInfo) {
    let Some(name) =
        sysfs_dir(info.dev).and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
    else {
        return;
    };
    let proc_options = read_trim(format!("/proc/fs/ext4/{name}/options"));
    let sb = info
        .source
        .as_deref()
        .and_then(|s| read_ext4_superblock(s, info.dev));
    let journal = match (&proc_options, &sb) {
        (Some(o), _) => o.lines().any(|l| l.trim() == "data=journal"),
        (None, Some(sb)) => sb.default_data_journal,
        (None, None) => false,
    };
    if journal
        && !info
            .effective_options
            .split(',')
            .any(|o| o == "data=journal")
    {
        info.effective_options.push_str(",data=journal");
    }
    info.inline_data = sb.map(|s| s.inline_data);
    info.ext4_name = Some(name);
}

/// The parts of an ext4 superblock that matter here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ext4Superblock {
    /// `s_default_mount_opts` has `EXT4_DEFM_JMODE_DATA`.
    pub(crate) default_data_journal: bool,
    /// `s_feature_incompat` has `EXT4_FEATURE_INCOMPAT_INLINE_DATA`.
    pub(crate) inline_data: bool,
}

/// Decodes the superblock, found 1024 bytes into the device.
pub(crate) fn parse_ext4_superblock(dev_start: &[u8]) -> Option<Ext4Superblock> {
    let sb = dev_start.get(1024..2048)?;
    let u16_at = |o: usize| u16::from_le_bytes([sb[o], sb[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([sb[o], sb[o + 1], sb[o + 2], sb[o + 3]]);
    if u16_at(0x38) != 0xEF53 {
        return None;
    }
    Some(Ext4Superblock {
        default_data_journal: u32_at(0x100) & 0x0060 == 0x0020,
        inline_data: u32_at(0x60) & 0x8000 != 0,
    })
}

/// Reads the ext4 superblock of the mounted device `source` (which must
/// be the block device numbered `dev`); needs read access to the device.
fn read_ext4_superblock(source: &str, dev: (u32, u32)) -> Option<Ext4Superblock> {
    use std::io::Read;
    let meta = fs::metadata(source).ok()?;
    if !meta.file_type().is_block_device() || split_dev(meta.rdev()) != dev {
        return None;
    }
    let mut buf = vec![0u8; 2048];
    fs::File::open(source).ok()?.read_exact(&mut buf).ok()?;
    parse_ext4_superblock(&buf)
}

/// The ext4 reserved-cluster pool (`/sys/fs/ext4/<dev>/reserved_clusters`):
/// clusters the file system keeps back from every writer, root included,
/// for its own allocations.
pub(crate) fn ext4_reserved_clusters_path(ext4_name: &str) -> PathBuf {
    PathBuf::from(format!("/sys/fs/ext4/{ext4_name}/reserved_clusters"))
}

/// Reads a number from a sysfs or procfs file.
pub(crate) fn read_number(p: &Path) -> Option<u64> {
    read_u64(p)
}

/// The mount id of what `name` names in `dir` (`dir` itself when `name`
/// is empty), not following a final symbolic link; `None` where `statx`
/// cannot tell (kernels before 5.8).
pub(crate) fn mount_id_at(dir: impl AsFd, name: &std::ffi::OsStr) -> Option<u64> {
    use rustix::fs::{AtFlags, StatxFlags};
    let flags = if name.is_empty() {
        AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW
    } else {
        AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT
    };
    let st = rustix::fs::statx(dir, name, flags, StatxFlags::MNT_ID).ok()?;
    (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id)
}

/// The mount id of `path` (not following a final symbolic link).
pub(crate) fn mount_id_of(path: &Path) -> Option<u64> {
    mount_id_at(rustix::fs::CWD, path.as_os_str())
}

/// Mount points strictly inside the folder `dir` (bind mounts included),
/// from `/proc/self/mountinfo`.
pub(crate) fn mounts_below(dir: &Path) -> Vec<String> {
    let Ok(canon) = fs::canonicalize(dir) else {
        return Vec::new();
    };
    mounts()
        .into_iter()
        .filter(|m| {
            let p = Path::new(&m.mount_point);
            p != canon && p.starts_with(&canon)
        })
        .map(|m| m.mount_point)
        .collect()
}

/// `true` when the folder `dir` is itself a mount point.
pub(crate) fn is_mount_point(dir: &Path) -> bool {
    let Ok(canon) = fs::canonicalize(dir) else {
        return false;
    };
    let here = mount_id_of(&canon);
    let parent = canon.parent().and_then(mount_id_of);
    match (here, parent) {
        (Some(a), Some(b)) => a != b,
        _ => mounts().iter().any(|m| Path::new(&m.mount_point) == canon),
    }
}

/// The sysfs directory of a block device number, if any.
pub(crate) fn sysfs_dir(dev: (u32, u32)) -> Option<PathBuf> {
    fs::canonicalize(format!("/sys/dev/block/{}:{}", dev.0, dev.1)).ok()
}

fn read_trim(p: impl AsRef<Path>) -> Option<String> {
    fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn read_u64(p: impl AsRef<Path>) -> Option<u64> {
    read_trim(p).and_then(|s| s.parse().ok())
}

/// The whole-disk sysfs directory for a (possibly partition) device dir.
pub(crate) fn whole_disk(dir: &Path) -> PathBuf {
    if dir.join("partition").exists() {
        dir.parent()
            .map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
    } else {
        dir.to_path_buf()
    }
}

/// Device numbers of a disk and all its partitions.
pub(crate) fn disk_and_partitions(disk: &Path) -> Vec<(u32, u32)> {
    let mut v = Vec::new();
    if let Some(d) = read_trim(disk.join("dev")).and_then(|s| parse_dev(&s)) {
        v.push(d);
    }
    if let Ok(rd) = fs::read_dir(disk) {
        for e in rd.flatten() {
            let p = e.path();
            if p.join("partition").exists()
                && let Some(d) = read_trim(p.join("dev")).and_then(|s| parse_dev(&s))
            {
                v.push(d);
            }
        }
    }
    v
}

fn parse_dev(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Whole disks (sysfs dirs) underneath a device, following device-mapper
/// and md `slaves` links, the device itself included.
pub(crate) fn underlying_disks(dev: (u32, u32)) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk_below(dev, |d, below| {
        let disk = whole_disk(d);
        below.extend(slaves(d));
        below.extend(slaves(&disk));
        out.push(disk);
    });
    out
}

/// The sysfs directories a device's `slaves` links point to.
fn slaves(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir.join("slaves")).map_or_else(
        |_| Vec::new(),
        |rd| {
            rd.flatten()
                .filter_map(|e| fs::canonicalize(e.path()).ok())
                .collect()
        },
    )
}

/// Calls `visit` once for the sysfs directory of `dev` and once for every
/// directory it names in its second argument, transitively.
fn walk_below(dev: (u32, u32), mut visit: impl FnMut(&Path, &mut Vec<PathBuf>)) {
    let mut todo: Vec<PathBuf> = sysfs_dir(dev).into_iter().collect();
    let mut seen = HashSet::new();
    while let Some(d) = todo.pop() {
        if seen.insert(d.clone()) {
            visit(&d, &mut todo);
        }
    }
}

/// Fills media identity and properties from sysfs for the block device
/// `dev` (a disk or a partition).
pub(crate) fn block_info(dev: (u32, u32), info: &mut MediaInfo) {
    let Some(dir) = sysfs_dir(dev) else {
        return;
    };
    let disk = whole_disk(&dir);
    let name = disk
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    info.device = Some(format!(
        "/dev/{} ({}:{})",
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dev.0,
        dev.1
    ));
    info.manufacturer = read_trim(disk.join("device/vendor"));
    info.model = read_trim(disk.join("device/model"));
    info.serial = read_trim(disk.join("device/serial"))
        .or_else(|| read_trim(disk.join("serial")))
        .or_else(|| read_trim(disk.join("device/wwid")))
        .or_else(|| read_trim(disk.join("wwid")));
    info.rotational = read_u64(disk.join("queue/rotational")).map(|v| v == 1);
    info.removable = read_u64(disk.join("removable")).map(|v| v == 1);
    info.backing_file = read_trim(disk.join("loop/backing_file"));
    let virtual_dev = name.starts_with("loop")
        || name.starts_with("vd")
        || name.starts_with("xvd")
        || name.starts_with("zram")
        || name.starts_with("nbd")
        || name.starts_with("dm-")
        || name.starts_with("md")
        || info.manufacturer.as_deref() == Some("0x1af4");
    info.virtual_device = Some(virtual_dev);
    let discard = read_u64(disk.join("queue/discard_max_bytes")).unwrap_or(0);
    let zeroes = read_u64(disk.join("queue/write_zeroes_max_bytes")).unwrap_or(0);
    info.discard_supported = Some(discard > 0);
    info.write_zeroes_offload = Some(zeroes > 0);
    info.media_type = Some(media_type(&name, info));
}

fn media_type(name: &str, info: &MediaInfo) -> String {
    if name.starts_with("loop") {
        return "loop device (virtual, backed by a file)".to_owned();
    }
    if name.starts_with("zram") {
        return "compressed RAM disk (zram)".to_owned();
    }
    let base = match (info.rotational, name.starts_with("nvme")) {
        (_, true) => "flash (NVMe solid state)",
        (Some(true), _) => "magnetic (rotational)",
        (Some(false), _) => "flash or virtual (non-rotational)",
        (None, _) => "unknown",
    };
    let mut s = base.to_owned();
    if info.virtual_device == Some(true) {
        s.push_str(", virtual disk");
    }
    if info.removable == Some(true) {
        s.push_str(", removable");
    }
    s
}

/// The device numbers a wipe of `dev` writes: the device and, for a whole
/// disk, its partitions.
pub(crate) fn device_set(dev: (u32, u32)) -> HashSet<(u32, u32)> {
    let mut devs: HashSet<(u32, u32)> = HashSet::new();
    devs.insert(dev);
    if let Some(dir) = sysfs_dir(dev)
        && !dir.join("partition").exists()
    {
        devs.extend(disk_and_partitions(&dir));
    }
    devs
}

/// What uses the block device `dev` (its partitions too, for a disk):
/// mounts, swap, and anything stacked on it — device-mapper, md RAID and
/// bcache holders, recursively, and loop devices whose backing file is
/// one of these devices, with whatever is stacked on or mounted from them.
/// Empty when nothing does.
pub(crate) fn mounted_uses(dev: (u32, u32)) -> Vec<String> {
    let devs = device_set(dev);
    let all = mounts();
    let mut uses: Vec<String> = all
        .iter()
        .filter(|m| devs.contains(&m.dev))
        .map(|m| format!("mounted on {}", m.mount_point))
        .collect();
    if let Ok(swaps) = fs::read_to_string("/proc/swaps") {
        for line in swaps.lines().skip(1) {
            if let Some(p) = line.split_whitespace().next()
                && let Ok(meta) = fs::metadata(p)
                && meta.file_type().is_block_device()
                && devs.contains(&split_dev(meta.rdev()))
            {
                uses.push(format!("used as swap ({p})"));
            }
        }
    }
    // Everything stacked on top, transitively.
    let mut todo: Vec<((u32, u32), String)> = devs.iter().map(|d| (*d, String::new())).collect();
    let mut seen: HashSet<(u32, u32)> = devs;
    let loops = loop_backings();
    while let Some((d, chain)) = todo.pop() {
        let mut upper: Vec<((u32, u32), String)> = Vec::new();
        if let Some(dir) = sysfs_dir(d)
            && let Ok(rd) = fs::read_dir(dir.join("holders"))
        {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(n) = read_trim(e.path().join("dev")).and_then(|s| parse_dev(&s)) {
                    upper.push((n, format!("/dev/{name} (held)")));
                }
            }
        }
        for l in loops.iter().filter(|l| l.backing == d) {
            upper.push((l.dev, format!("loop device /dev/{} (backed by it)", l.name)));
        }
        for (u, what) in upper {
            let chain = if chain.is_empty() {
                what
            } else {
                format!("{what} on {chain}")
            };
            uses.push(format!("stacked: {chain}"));
            for m in all.iter().filter(|m| m.dev == u) {
                uses.push(format!("{chain} is mounted on {}", m.mount_point));
            }
            if seen.insert(u) {
                todo.push((u, chain));
            }
        }
    }
    uses
}

/// A loop device whose backing file is a block device.
struct LoopOnDevice {
    /// The loop device.
    dev: (u32, u32),
    /// Its name (`loop3`).
    name: String,
    /// The block device it is backed by.
    backing: (u32, u32),
}

/// Every loop device whose backing file is a block device.
fn loop_backings() -> Vec<LoopOnDevice> {
    let mut v = Vec::new();
    let Ok(rd) = fs::read_dir("/sys/block") else {
        return v;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("loop") {
            continue;
        }
        let Some(backing) = read_trim(e.path().join("loop/backing_file")) else {
            continue;
        };
        let Some(me) = read_trim(e.path().join("dev")).and_then(|s| parse_dev(&s)) else {
            continue;
        };
        if let Ok(m) = fs::metadata(backing.trim_end_matches(" (deleted)"))
            && m.file_type().is_block_device()
        {
            v.push(LoopOnDevice {
                dev: me,
                name,
                backing: split_dev(m.rdev()),
            });
        }
    }
    v
}

/// Why the storage under `dev` may keep copies no overwrite reaches, as far
/// as sysfs shows it: LVM snapshots of a logical volume (the origin gets a
/// `<name>-real` device while snapshots exist) and thin provisioning.
pub(crate) fn snapshot_reasons(dev: (u32, u32)) -> Vec<String> {
    let names: Vec<String> = underlying_dm_names(dev);
    snapshot_reasons_in(Path::new("/sys/block"), &names)
}

fn underlying_dm_names(dev: (u32, u32)) -> Vec<String> {
    let mut out = Vec::new();
    walk_below(dev, |d, below| {
        if let Some(n) = read_trim(d.join("dm/name")) {
            out.push(n);
        }
        below.extend(slaves(d));
    });
    out
}

fn snapshot_reasons_in(sys_block: &Path, dm_names: &[String]) -> Vec<String> {
    let mut all = Vec::new();
    if let Ok(rd) = fs::read_dir(sys_block) {
        for e in rd.flatten() {
            if let Some(n) = read_trim(e.path().join("dm/name")) {
                let uuid = read_trim(e.path().join("dm/uuid")).unwrap_or_default();
                all.push((n, uuid));
            }
        }
    }
    let mut reasons = Vec::new();
    for name in dm_names {
        if all.iter().any(|(n, _)| *n == format!("{name}-real")) {
            reasons.push(format!(
                "the logical volume {name} has LVM snapshots: their copy-on-write areas keep the old content of every block overwritten since each snapshot was taken"
            ));
        }
        if name.ends_with("-tpool") || name.ends_with("_tdata") || name.ends_with("-tpool_tdata") {
            reasons.push(format!(
                "{name} is thin-provisioned storage: blocks may be shared with snapshots or remapped"
            ));
        }
    }
    reasons
}

/// `true` when `dev` shares a whole disk with the filesystem holding `/`.
pub(crate) fn holds_root(dev: (u32, u32)) -> bool {
    let Ok(root) = fs::metadata("/") else {
        return false;
    };
    let mut root_disks = underlying_disks(split_dev(root.dev()));
    // `/` on overlay, btrfs subvolumes and the like has an anonymous device
    // number: also take the block device the mount table names for `/`.
    for m in mounts().iter().filter(|m| m.mount_point == "/") {
        if let Ok(meta) = fs::metadata(&m.source)
            && meta.file_type().is_block_device()
        {
            root_disks.extend(underlying_disks(split_dev(meta.rdev())));
        }
    }
    let Some(dir) = sysfs_dir(dev) else {
        return false;
    };
    let target = whole_disk(&dir);
    root_disks.contains(&target)
}

/// What other processes have open, from `/proc/*/fd`.
#[derive(Debug, Default, Clone)]
pub(crate) struct OpenFiles {
    /// (dev, ino) of every file.
    inodes: HashSet<(u64, u64)>,
    /// The device numbers of every block device open, under whatever
    /// node (`st_rdev`): a holder that opened the device through another
    /// node (a container's `/dev`, a `mknod` copy) is still seen.
    devices: HashSet<(u32, u32)>,
}

impl OpenFiles {
    /// `true` if the file (dev, ino) is open elsewhere.
    pub(crate) fn contains(&self, id: &(u64, u64)) -> bool {
        self.inodes.contains(id)
    }

    /// `true` if any of these block devices is open elsewhere.
    pub(crate) fn holds_any(&self, devs: &HashSet<(u32, u32)>) -> bool {
        devs.iter().any(|d| self.devices.contains(d))
    }
}

/// Every file that some other process has open, from `/proc/*/fd`.
/// Processes we cannot inspect are skipped (as root: none).
pub(crate) fn open_files() -> OpenFiles {
    let me = std::process::id().to_string();
    let mut set = OpenFiles::default();
    let Ok(procs) = fs::read_dir("/proc") else {
        return set;
    };
    for p in procs.flatten() {
        let name = p.file_name();
        let name = name.to_string_lossy();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == me {
            continue;
        }
        let Ok(fds) = fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(m) = fs::metadata(fd.path()) {
                set.inodes.insert((m.dev(), m.ino()));
                if m.file_type().is_block_device() {
                    set.devices.insert(split_dev(m.rdev()));
                }
            }
        }
    }
    set
}

/// Whether any swap is active (tmpfs pages may have been swapped out).
pub(crate) fn swap_active() -> bool {
    fs::read_to_string("/proc/swaps").is_ok_and(|s| s.lines().count() > 1)
}

/// The login name of the current user, for the operator field.
#[must_use]
pub fn current_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return v;
        }
    }
    let uid = rustix::process::geteuid().as_raw();
    if let Ok(pw) = fs::read_to_string("/etc/passwd") {
        for line in pw.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() > 2 && f[2] == uid.to_string() {
                return f[0].to_owned();
            }
        }
    }
    format!("uid {uid}")
}

/// The host name.
#[must_use]
pub fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// `true` when running as root (reserved blocks reachable, all processes
/// visible).
pub(crate) fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mountinfo_with_escapes() {
        let t = "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext4 /dev/vdb rw,data=journal\n\
                 37 35 0:40 / /b rw shared:2 - btrfs /dev/loop1 rw,space_cache=v2\n";
        let m = parse_mountinfo(t);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].dev, (98, 0));
        assert_eq!(m[0].mount_point, "/mnt/with space");
        assert_eq!(m[0].fstype, "ext4");
        assert!(m[0].super_options.contains("data=journal"));
        assert_eq!(m[1].fstype, "btrfs");
        assert_eq!(m[1].source, "/dev/loop1");
    }

    #[test]
    fn finds_lvm_snapshots_in_a_fake_sysfs() {
        let dir = tempfile::tempdir().unwrap();
        for (dev, name) in [
            ("dm-0", "vg-lv"),
            ("dm-1", "vg-lv-real"),
            ("dm-2", "vg-other"),
        ] {
            let d = dir.path().join(dev).join("dm");
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("name"), format!("{name}\n")).unwrap();
        }
        let r = snapshot_reasons_in(dir.path(), &["vg-lv".to_owned()]);
        assert_eq!(r.len(), 1);
        assert!(r[0].contains("LVM snapshots"));
        assert!(snapshot_reasons_in(dir.path(), &["vg-other".to_owned()]).is_empty());
        assert!(snapshot_reasons_in(dir.path(), &[]).is_empty());
    }

    #[test]
    fn reads_ext4_superblock_flags() {
        let mut dev = vec![0u8; 2048];
        dev[1024 + 0x38..1024 + 0x3a].copy_from_slice(&0xEF53u16.to_le_bytes());
        let sb = parse_ext4_superblock(&dev).unwrap();
        assert!(!sb.default_data_journal && !sb.inline_data);
        // tune2fs -o journal_data; mkfs.ext4 -O inline_data
        dev[1024 + 0x100..1024 + 0x104].copy_from_slice(&0x0020u32.to_le_bytes());
        dev[1024 + 0x60..1024 + 0x64].copy_from_slice(&0x8000u32.to_le_bytes());
        let sb = parse_ext4_superblock(&dev).unwrap();
        assert!(sb.default_data_journal && sb.inline_data);
        // data=writeback (0x0060) is not journal_data.
        dev[1024 + 0x100..1024 + 0x104].copy_from_slice(&0x0060u32.to_le_bytes());
        assert!(!parse_ext4_superblock(&dev).unwrap().default_data_journal);
        dev[1024 + 0x38] = 0;
        assert!(parse_ext4_superblock(&dev).is_none());
    }

    #[test]
    fn splits_device_numbers() {
        // makedev(259, 65537) per glibc's encoding.
        let (major, minor) = (259u64, 65537u64);
        let dev: u64 =
            ((major & 0xfff) << 8) | ((major >> 12) << 44) | (minor & 0xff) | ((minor >> 8) << 20);
        assert_eq!(split_dev(dev), (259, 65537));
        assert_eq!(split_dev((8 << 8) | 1), (8, 1));
    }
}
