//! Media sanitization of files, folders, free space and Linux block
//! devices — NIST SP 800-88 Rev. 2 records, IEEE 2883-2022 techniques —
//! with honest assurance levels and signed certificates.
//!
//! Imaging devices and archives get resold and scrapped with patient images
//! still on them. Overwriting tools exist, but an overwrite silently fails
//! on copy-on-write filesystems, journals, flash and snapshots. This crate
//! overwrites correctly, verifies by reading back past the page cache,
//! **says what level it reached and why** — "Clear (logical)" or "not
//! assured", never Purge for an overwrite — and signs a certificate of
//! sanitization with Ed25519.
//!
//! | piece | what it does |
//! |---|---|
//! | [`Method`] | NIST Clear (zeros, default), Clear with a keyed ChaCha8 stream, legacy DoD 3/7-pass, custom patterns, `BLKZEROOUT`, `BLKDISCARD` |
//! | [`Verify`] | none, last pass, all passes, or NIST-style sampling |
//! | [`Wiper`] | plans (dry run: exactly what would be wiped, what is refused) and runs wipes of [`Target`]s |
//! | [`wipe_media`] | the same engine over any [`Media`] (your device driver, a test double) |
//! | [`Certificate`] / [`SignedCertificate`] | the sanitization record (NIST SP 800-88 Rev. 2; Rev. 1 Appendix G fields), signed and verified |
//! | [`CryptoErase`], [`in_place_overwrite`] | the record of a key's destruction, and whether the key file's storage lets it be assured |
//! | [`Observer`] | progress callback that can stop the wipe cleanly |
//!
//! # Examples
//!
//! Wipe a folder, then sign and check the certificate:
//!
//! ```no_run
//! use radguard_core::SecretKey;
//! use radguard_wipe::{Certificate, Operator, Options, Silent, SigningKey, Target, Wiper};
//!
//! let wiper = Wiper::new(Options::new()); // NIST Clear, verify the last pass
//! let plan = wiper.plan(&[Target::Path("/srv/export/study-42".into())]);
//! assert!(plan.all_allowed());
//! let started = Certificate::now();
//! let reports = wiper.execute(&plan, &mut Silent);
//!
//! let key = SigningKey::from_secret(&SecretKey::generate()?);
//! let cert = Certificate::new(reports, Operator::named("tech"), "ws-12", started,
//!     Certificate::now(), &key.public_key())?;
//! let signed = cert.sign(&key)?;
//! std::fs::write("study-42.wipe.json", signed.to_json())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What each level means
//!
//! NIST SP 800-88 Rev. 2 (September 2025) withdrew Rev. 1: it asks for a
//! sanitization program and its records, separates *verification* (the
//! technique completed as intended: here, the read-back) from *validation*
//! (the outcome is effective enough), and defers to IEEE 2883-2022 for the
//! techniques, except cryptographic erase, which it details itself. The
//! levels and technique names below are IEEE 2883's; the certificate keeps
//! the fields of the Rev. 1 Appendix G sample certificate.
//!
//! - **Clear (logical)**: every user-addressable location of the target was
//!   overwritten and read back (IEEE 2883 Clear by overwrite). For a file this is
//!   the file's current blocks on a filesystem that overwrites in place
//!   (ext4 in its default mode, XFS, FAT); caveats list what it does not
//!   cover (earlier copies, flash remapping, virtual disks below).
//! - **not assured**: the overwrite could not reach the data (btrfs, ZFS
//!   and other copy-on-write or log-structured filesystems, ext4 with
//!   `data=journal`, overlay and network filesystems, swap-backed tmpfs,
//!   LVM snapshots or thin pools visible in sysfs, a loop device whose
//!   backing file lives on such a filesystem),
//!   or the wipe was not verified, failed or was interrupted. The reasons
//!   and recommendations (crypto-erase, the device's sanitize command) are
//!   in the report.
//! - **Purge (cryptographic erase)**: only for a destroyed key
//!   ([`CryptoErase`]) whose every copy is known gone; never for an
//!   overwrite.
//!
//! # Security
//!
//! - Symbolic links are never followed: a link given as a target is
//!   refused; links inside a folder are removed, not followed. Folder walks
//!   use file descriptors (`openat` with `O_NOFOLLOW`) so a path swapped
//!   during the wipe cannot redirect it, and a target that changed since
//!   planning is not written.
//! - A wipe stays in its target: mount points are recognised by mount id
//!   (`statx` `STATX_MNT_ID`, and `/proc/self/mountinfo`), so bind mounts
//!   of folders or files from the same file system are refused, in the
//!   dry run as in the run, and checked again on every descriptor opened.
//!   A target ending in `..` or `.` is refused.
//! - Block devices in use are refused unless forced: mounted, used as swap,
//!   anything stacked on them (device-mapper, md, bcache holders,
//!   recursively, and loop devices backed by them), held open by any
//!   process under any device node (matched by device number), or holding
//!   `/`. Files open in other processes and files with other hard links
//!   are refused too; forcing is recorded and (except for hard links)
//!   costs assurance.
//! - ext4 data journaling (mount option, superblock default, a file's `+j`
//!   flag) and inline data make a wipe "not assured".
//! - A free-space wipe as root lowers the ext4 reserved-cluster pool to
//!   fill it too, and restores it (also on error and interrupt); it records
//!   its fill folder so that the next plan or run removes the fill of a run
//!   that died ([`Options::state_dir`]).
//! - Verification reads use `O_DIRECT`, or sync and drop the cached pages
//!   where the filesystem does not support it; the certificate says which.
//! - Random patterns come from ChaCha8 under a fresh OS-random key per
//!   pass; the key never leaves memory and is zeroized.
//! - `unsafe` code is confined to the `sys` module: three block-device
//!   ioctls (`BLKZEROOUT`, `BLKDISCARD`, `BLKSECDISCARD`).

#![deny(unsafe_code)]
#![deny(missing_docs)]
// Region lists are lists of byte ranges; a list holding one range is meant.
#![allow(clippy::single_range_in_vec_init)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod assurance;
mod cert;
mod crypto_erase;
mod engine;
mod error;
mod media;
mod method;
mod pattern;
mod report;

#[cfg(target_os = "linux")]
mod fdmedia;
#[cfg(target_os = "linux")]
mod inplace;
#[cfg(target_os = "linux")]
mod probe;
#[cfg(target_os = "linux")]
mod sys;
#[cfg(target_os = "linux")]
mod wipe;

pub use cert::{
    Certificate, FORMAT, MAX_CERTIFICATE_LEN, Operator, Outcome, PublicKey, STANDARD,
    SignatureAlgorithm, SignedCertificate, SignerInfo, SigningKey, Tool,
};
pub use crypto_erase::{CryptoErase, KeyStore};
pub use engine::{Observer, PassRecord, Phase, Progress, Silent, VerificationRecord, VerifyResult};
pub use error::Error;
pub use media::{CacheBypass, Media};
pub use method::{Method, PassKind, Verify};
pub use pattern::{MAX_PATTERN_LEN, Pattern, PatternStream};
pub use report::{
    Assurance, AssuranceLevel, IoMode, MediaInfo, Status, TargetInfo, TargetKind, TargetReport,
    Technique, VerificationOutcome, VerifyScope,
};

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use inplace::{InPlaceOverwrite, in_place_overwrite};
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use probe::{current_user, host_name};
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use wipe::{Options, Plan, PlanItem, Target, Wiper};

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Overwrites and verifies any [`Media`] with `method`, and reports it
/// like any other target (kind [`TargetKind::Media`]).
///
/// This is the entry point for storage the crate does not open itself (a
/// vendor's device interface) and for test doubles. `label` names the
/// media in the report; `info` describes it.
///
/// # Examples
///
/// ```
/// use std::io;
/// use radguard_wipe::{AssuranceLevel, CacheBypass, Media, MediaInfo, Method, Silent, Verify, wipe_media};
///
/// struct Ram(Vec<u8>);
/// impl Media for Ram {
///     fn size(&self) -> u64 { self.0.len() as u64 }
///     fn write_at(&mut self, o: u64, b: &[u8]) -> io::Result<()> {
///         self.0[o as usize..o as usize + b.len()].copy_from_slice(b); Ok(())
///     }
///     fn read_at(&mut self, o: u64, b: &mut [u8]) -> io::Result<()> {
///         b.copy_from_slice(&self.0[o as usize..o as usize + b.len()]); Ok(())
///     }
///     fn sync(&mut self) -> io::Result<()> { Ok(()) }
///     fn prepare_read_back(&mut self) -> io::Result<CacheBypass> { Ok(CacheBypass::NotApplicable) }
/// }
///
/// let mut ram = Ram(vec![0x42; 1 << 16]);
/// let r = wipe_media(&mut ram, MediaInfo::default(), "ram", &Method::Clear, Verify::Last, &mut Silent);
/// assert!(r.succeeded());
/// assert_eq!(r.assurance.level, AssuranceLevel::ClearLogical);
/// assert!(ram.0.iter().all(|b| *b == 0));
/// ```
pub fn wipe_media(
    media: &mut dyn Media,
    info: MediaInfo,
    label: &str,
    method: &Method,
    verify: Verify,
    observer: &mut dyn Observer,
) -> TargetReport {
    let started = cert::rfc3339_now();
    let size = media.size();
    let passes = method.passes();
    let out = engine::run(media, &passes, verify, 0, observer);
    let (status, error) = (out.end.status(), out.end.error(None));
    let verification = report::overall_verification(verify, &out.passes);
    let facts = assurance::Facts::new(TargetKind::Media, None, &info, method, verify);
    let assurance = assurance::assess(&facts, Some((status, verification)));
    let planned: u64 = media.regions().iter().map(|r| r.end - r.start).sum();
    TargetReport {
        target: TargetInfo {
            kind: TargetKind::Media,
            path: label.to_owned(),
            files: 0,
            folders: 0,
            bytes: size,
        },
        media: info,
        method: method.clone(),
        method_description: method.description(),
        technique: Technique::of(method),
        verification_mode: verify,
        verification_result: verification,
        io_mode: IoMode::CallerDefined,
        bytes_written: out.bytes_written(),
        bytes_planned: planned * passes.len() as u64,
        passes: out.passes,
        status,
        error,
        post_actions: Vec::new(),
        assurance,
        started,
        finished: cert::rfc3339_now(),
        crypto_erase: None,
    }
}
