//! Deciding, honestly, what level an overwrite reached.
//!
//! The rules follow NIST SP 800-88 Rev. 2 (September 2025: a sanitization
//! program whose records separate verification from validation) and IEEE
//! 2883-2022, which Rev. 2 defers to for techniques: Clear by overwrite
//! needs every user-addressable location overwritten *and verified*; an
//! overwrite never reaches Purge on flash. And the measurements behind
//! GNU shred's caveats: overwriting a file in place only works where the
//! file system writes in place.

use crate::method::{Method, Verify};
use crate::report::{
    Assurance, AssuranceLevel, MediaInfo, Status, TargetKind, VerificationOutcome,
};

/// How a filesystem treats an in-place overwrite of file data.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FsClass {
    /// Data blocks are overwritten where they are.
    InPlace,
    /// Memory-backed (tmpfs/ramfs).
    Memory,
    /// The overwrite cannot reach the old data, for the given reason.
    NotInPlace(&'static str),
}

pub(crate) fn classify_fs(name: &str, super_options: &str) -> FsClass {
    match name {
        "ext2" | "ext3" | "ext4" => {
            if super_options.split(',').any(|o| o == "data=journal") {
                FsClass::NotInPlace(
                    "ext4 journals file data (data=journal, as a mount option or as the superblock default set by `tune2fs -o journal_data`): copies of the data are in the journal, where the overwrite does not reach",
                )
            } else {
                FsClass::InPlace
            }
        }
        "xfs" | "vfat" | "exfat" | "msdos" | "ntfs" | "ntfs3" => FsClass::InPlace,
        "tmpfs" | "ramfs" => FsClass::Memory,
        "btrfs" => FsClass::NotInPlace(
            "btrfs is copy-on-write: the overwrite went to new blocks and the old blocks keep the data until reused; snapshots may hold more copies",
        ),
        "zfs" | "bcachefs" => FsClass::NotInPlace(
            "copy-on-write filesystem: the overwrite went to new blocks; old blocks and snapshots keep the data",
        ),
        "f2fs" | "nilfs2" => FsClass::NotInPlace(
            "log-structured filesystem: every write goes to a new place; the old data stays until cleaned",
        ),
        "overlay" => FsClass::NotInPlace(
            "overlay filesystem: the file may also exist in a lower layer (an image) that this overwrite cannot reach",
        ),
        "nfs" | "nfs4" | "cifs" | "smb2" | "smb3" | "9p" | "fuse" | "ceph" => FsClass::NotInPlace(
            "network or user-space filesystem: where and how the data is stored is outside this machine's control",
        ),
        "ecryptfs" => FsClass::NotInPlace(
            "stacked encrypting filesystem: the ciphertext lives in a lower filesystem whose behaviour is unknown here",
        ),
        _ => FsClass::NotInPlace(
            "unknown filesystem type: whether it overwrites data in place cannot be established",
        ),
    }
}

/// A safety rule that forcing overrode, and whether it costs assurance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Forced {
    pub(crate) what: String,
    pub(crate) degrades: bool,
}

/// What renaming before unlinking does not reach.
pub(crate) const NAMES_CAVEAT: &str = "file names: each file was renamed to random names before it was unlinked, which rewrites its directory entry in place, but the original names may remain in directory blocks freed when folders shrank or were removed, and in the file system journal (which holds copies of changed directory blocks until it wraps)";

pub(crate) const REC_CRYPTO_ERASE: &str = "keep such data encrypted at rest and destroy every copy of the key (crypto-erase, e.g. radguard-crypt key destruction): the only file-level route to Purge-grade assurance";
pub(crate) const REC_DEVICE_SANITIZE: &str = "for Purge, use the device's own sanitize command (nvme sanitize / nvme format --ses, hdparm --sanitize-*, sg_sanitize) or its cryptographic erase, then verify";
const REC_WHOLE_DEVICE: &str = "or sanitize the whole device holding the filesystem (radguard wipe on the unmounted block device)";

/// Facts gathered about a target.
pub(crate) struct Facts<'a> {
    pub(crate) kind: TargetKind,
    pub(crate) fs: Option<(&'a str, &'a str)>,
    pub(crate) media: &'a MediaInfo,
    pub(crate) method: &'a Method,
    pub(crate) verify: Verify,
    pub(crate) forced: &'a [Forced],
    /// Extra reasons that cost assurance (free space not filled, ...).
    pub(crate) blockers: &'a [String],
    /// Extra caveats that do not.
    pub(crate) notes: &'a [String],
    /// The loop device's backing filesystem (name, options), if any.
    pub(crate) backing_fs: Option<(&'a str, &'a str)>,
}

impl<'a> Facts<'a> {
    /// The facts of a target with nothing forced and no extra blockers or
    /// caveats.
    pub(crate) fn new(
        kind: TargetKind,
        fs: Option<(&'a str, &'a str)>,
        media: &'a MediaInfo,
        method: &'a Method,
        verify: Verify,
    ) -> Self {
        Self {
            kind,
            fs,
            media,
            method,
            verify,
            forced: &[],
            blockers: &[],
            notes: &[],
            backing_fs: None,
        }
    }
}

/// The level reached. `outcome` is `None` for a prediction (dry run).
pub(crate) fn assess(f: &Facts<'_>, outcome: Option<(Status, VerificationOutcome)>) -> Assurance {
    let mut not: Vec<String> = Vec::new();
    let mut caveats: Vec<String> = Vec::new();
    let mut recs: Vec<String> = Vec::new();
    let mut in_memory = false;

    if let Some((status, verification)) = outcome {
        if status != Status::Completed {
            not.push(format!("the wipe did not complete ({status})"));
        } else if f.verify != Verify::None && verification != VerificationOutcome::Passed {
            not.push(format!("verification {verification}"));
        }
    }
    if f.verify == Verify::None {
        not.push(
            "not verified: NIST SP 800-88 requires verification of every Clear (verify the last pass, all passes or a sample)"
                .to_owned(),
        );
    }
    for x in f.forced {
        if x.degrades {
            not.push(format!("forced: {}", x.what));
        } else {
            caveats.push(format!("forced: {}", x.what));
        }
    }
    not.extend(f.blockers.iter().cloned());
    caveats.extend(f.notes.iter().cloned());

    match f.kind {
        TargetKind::File | TargetKind::Folder | TargetKind::FreeSpace => {
            let (name, opts) = f.fs.unwrap_or(("unknown", ""));
            match classify_fs(name, opts) {
                FsClass::InPlace => {
                    if f.kind == TargetKind::FreeSpace {
                        caveats.push("a free-space wipe overwrites free data blocks only: directory entries (file names), inode tables, the journal and the slack after each file's end are not covered".to_owned());
                    } else {
                        caveats.push("file-level overwrite reaches the file's current blocks only: earlier copies (applications that saved by writing a new file and renaming it, editor backups, snapshots or backups of the volume) are not covered".to_owned());
                        caveats.push(NAMES_CAVEAT.to_owned());
                    }
                }
                FsClass::Memory => {
                    in_memory = true;
                    if swap_active() {
                        not.push(format!("{name} keeps files in memory and swap is active: pages may have been swapped out to disk, where the overwrite cannot reach"));
                    } else {
                        caveats.push(format!("{name} keeps files in memory; no swap is active"));
                    }
                }
                FsClass::NotInPlace(why) => not.push(why.to_owned()),
            }
            device_caveats(f.media, &mut caveats);
            if !not.is_empty() {
                recs.push(REC_CRYPTO_ERASE.to_owned());
                recs.push(REC_WHOLE_DEVICE.to_owned());
            }
        }
        TargetKind::BlockDevice | TargetKind::Media => {
            if *f.method == Method::Discard {
                caveats.push("discard (TRIM/UNMAP) leaves the old data in cells the device no longer maps; only the logical view was verified to read zeros".to_owned());
            }
            if let Some((name, opts)) = f.backing_fs
                && let FsClass::NotInPlace(why) = classify_fs(name, opts)
            {
                not.push(format!(
                    "the loop device's backing file lives on {name}: {why}"
                ));
            }
            device_caveats(f.media, &mut caveats);
        }
        TargetKind::CryptographicKey => {
            // Keys are assessed by `CryptoErase`, never as media.
            not.push("a key is not media that an overwrite can sanitize".to_owned());
        }
    }
    if f.method.is_legacy() {
        caveats.push("multi-pass schemes are obsolete (NIST SP 800-88 Rev. 1 §2.4; IEEE 2883-2022 defines Clear by one overwrite): one verified pass is Clear, more passes add no assurance and wear flash".to_owned());
    }
    if !in_memory {
        recs.push(REC_DEVICE_SANITIZE.to_owned());
    }
    if not.is_empty() {
        Assurance {
            level: AssuranceLevel::ClearLogical,
            reasons: caveats,
            recommendations: recs,
        }
    } else {
        not.extend(caveats);
        Assurance {
            level: AssuranceLevel::NotAssured,
            reasons: not,
            recommendations: recs,
        }
    }
}

fn swap_active() -> bool {
    #[cfg(target_os = "linux")]
    {
        crate::probe::swap_active()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

fn device_caveats(m: &MediaInfo, caveats: &mut Vec<String>) {
    if m.rotational == Some(false) {
        caveats.push("non-rotational (flash or virtual) storage remaps writes: retired, remapped and over-provisioned cells are beyond the ordinary read/write interface (Clear, never Purge)".to_owned());
    }
    if m.virtual_device == Some(true) {
        caveats.push("virtual device: the storage below it (host files, snapshots, thin provisioning) may keep copies".to_owned());
    }
    if m.removable == Some(true) {
        caveats.push("removable flash media: overwriting is not Purge on flash (IEEE 2883-2022); NIST SP 800-88 recommended destroying USB flash media when Purge is needed".to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file on ext4 mounted with `options`, cleared and verified.
    fn ext4_file(options: &str) -> Assurance {
        let m = MediaInfo::default();
        let f = Facts::new(
            TargetKind::File,
            Some(("ext4", options)),
            &m,
            &Method::Clear,
            Verify::Last,
        );
        assess(&f, Some((Status::Completed, VerificationOutcome::Passed)))
    }

    #[test]
    fn ext4_default_is_clear_and_data_journal_is_not() {
        let a = ext4_file("rw");
        assert_eq!(a.level, AssuranceLevel::ClearLogical);
        let a = ext4_file("rw,data=journal");
        assert_eq!(a.level, AssuranceLevel::NotAssured);
        assert!(a.reasons[0].contains("journal"));
        // File names: the caveat is there on a Clear.
        assert!(
            ext4_file("rw")
                .reasons
                .iter()
                .any(|r| r.contains("file names"))
        );
    }

    #[test]
    fn cow_and_unknown_filesystems_are_not_assured() {
        let m = MediaInfo::default();
        for fs in ["btrfs", "zfs", "overlay", "f2fs", "nfs", "whatever"] {
            let a = assess(
                &Facts::new(
                    TargetKind::Folder,
                    Some((fs, "")),
                    &m,
                    &Method::Clear,
                    Verify::All,
                ),
                Some((Status::Completed, VerificationOutcome::Passed)),
            );
            assert_eq!(a.level, AssuranceLevel::NotAssured, "{fs}");
            assert!(a.recommendations.iter().any(|r| r.contains("crypto-erase")));
        }
    }

    /// A block device cleared and verified as `verify` says.
    fn device(m: &MediaInfo, verify: Verify) -> Facts<'_> {
        Facts::new(TargetKind::BlockDevice, None, m, &Method::Clear, verify)
    }

    /// The level of a run that completed and passed verification.
    fn level_if_passed(f: &Facts<'_>) -> AssuranceLevel {
        assess(f, Some((Status::Completed, VerificationOutcome::Passed))).level
    }

    #[test]
    fn unverified_failed_or_interrupted_is_not_assured() {
        let m = MediaInfo::default();
        let f = device(&m, Verify::None);
        assert_eq!(
            assess(
                &f,
                Some((Status::Completed, VerificationOutcome::NotPerformed))
            )
            .level,
            AssuranceLevel::NotAssured
        );
        let f = device(&m, Verify::Last);
        assert_eq!(
            assess(&f, Some((Status::Completed, VerificationOutcome::Failed))).level,
            AssuranceLevel::NotAssured
        );
        assert_eq!(
            assess(
                &f,
                Some((Status::Interrupted, VerificationOutcome::Incomplete))
            )
            .level,
            AssuranceLevel::NotAssured
        );
        assert_eq!(level_if_passed(&f), AssuranceLevel::ClearLogical);
    }

    #[test]
    fn loop_on_btrfs_backing_is_not_assured() {
        let m = MediaInfo::default();
        let mut f = device(&m, Verify::Last);
        f.backing_fs = Some(("btrfs", ""));
        assert_eq!(level_if_passed(&f), AssuranceLevel::NotAssured);
    }

    #[test]
    fn degrading_force_costs_assurance() {
        let m = MediaInfo::default();
        let forced = [Forced {
            what: "device was mounted".to_owned(),
            degrades: true,
        }];
        let mut f = device(&m, Verify::Last);
        f.forced = &forced;
        assert_eq!(level_if_passed(&f), AssuranceLevel::NotAssured);
    }
}
