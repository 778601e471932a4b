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
    /// Device number (major, minor) of the filesystem.
    pub(crate) dev: (u32, u32),
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
    FsInfo {
        name,
        mount_point: best.map(|m| m.mount_point.clone()),
        source: best.map(|m| m.source.clone()),
        super_options: best.map(|m| m.super_options.clone()).unwrap_or_default(),
        dev,
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

/// `true` when the block device `dev`, its disk or any of its partitions
/// is mounted or used as swap; the matching mount points are returned.
pub(crate) fn mounted_uses(dev: (u32, u32)) -> Vec<String> {
    let Some(dir) = sysfs_dir(dev) else {
        return Vec::new();
    };
    let mut devs: HashSet<(u32, u32)> = HashSet::new();
    devs.insert(dev);
    // A partition: check itself (already in). A disk: all its partitions.
    if !dir.join("partition").exists() {
        devs.extend(disk_and_partitions(&dir));
    }
    let mut uses: Vec<String> = mounts()
        .into_iter()
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
    // Holders: device-mapper, md RAID, bcache stacked on top.
    let mut dirs = vec![dir.clone()];
    if !dir.join("partition").exists()
        && let Ok(rd) = fs::read_dir(&dir)
    {
        dirs.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("partition").exists()),
        );
    }
    for d in dirs {
        if let Ok(rd) = fs::read_dir(d.join("holders")) {
            for e in rd.flatten() {
                uses.push(format!("held by /dev/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    uses
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

/// (dev, ino) of every file that some other process has open, from
/// `/proc/*/fd`. Processes we cannot inspect are skipped (as root: none).
pub(crate) fn open_files() -> HashSet<(u64, u64)> {
    let me = std::process::id().to_string();
    let mut set = HashSet::new();
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
                set.insert((m.dev(), m.ino()));
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
    fn splits_device_numbers() {
        // makedev(259, 65537) per glibc's encoding.
        let (major, minor) = (259u64, 65537u64);
        let dev: u64 =
            ((major & 0xfff) << 8) | ((major >> 12) << 44) | (minor & 0xff) | ((minor >> 8) << 20);
        assert_eq!(split_dev(dev), (259, 65537));
        assert_eq!(split_dev((8 << 8) | 1), (8, 1));
    }
}
