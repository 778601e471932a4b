//! What a wipe did to one target: the record that goes into the
//! certificate.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::{PassRecord, VerifyResult};
use crate::method::{Method, Verify};

/// Gives a report enum whose every variant has one fixed name its text
/// forms: `as_str`, `Display`, comparison with `str`, and serde as that
/// name (so the certificate JSON holds the same text as when these fields
/// were strings, and only those names parse).
macro_rules! named_enum {
    ($t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// Every name, in declaration order.
            const NAMES: &'static [&'static str] = &[$($s),+];

            /// The name, as in certificates.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$v => $s),+
                }
            }

            fn from_name(s: &str) -> Option<Self> {
                match s {
                    $($s => Some(Self::$v),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::from_name(&s)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&s, Self::NAMES))
            }
        }
    };
}

/// The overall verification outcome of a target, from its passes'
/// read-backs.
///
/// # Examples
///
/// ```
/// use radguard_wipe::VerificationOutcome;
///
/// assert_eq!(VerificationOutcome::NotPerformed.as_str(), "not_performed");
/// assert_eq!(VerificationOutcome::Passed, "passed");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum VerificationOutcome {
    /// Every read-back asked for matched (`passed`).
    Passed,
    /// A read-back found a difference or could not read (`failed`).
    Failed,
    /// A read-back did not reach its end, or none was made although one
    /// was asked for (`incomplete`).
    Incomplete,
    /// No read-back was asked for ([`Verify::None`]; `not_performed`).
    NotPerformed,
}

named_enum!(VerificationOutcome {
    Passed => "passed",
    Failed => "failed",
    Incomplete => "incomplete",
    NotPerformed => "not_performed",
});

/// The sanitization technique, in NIST SP 800-88 Appendix G terms.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Technique {
    /// Ordinary writes of the method's patterns (`overwrite`).
    Overwrite,
    /// The kernel's `BLKZEROOUT` (`block_zeroout`).
    BlockZeroout,
    /// The kernel's `BLKDISCARD` (`block_discard`).
    BlockDiscard,
    /// Destruction of the key the data is encrypted with
    /// (`cryptographic_erase`).
    CryptographicErase,
}

named_enum!(Technique {
    Overwrite => "overwrite",
    BlockZeroout => "block_zeroout",
    BlockDiscard => "block_discard",
    CryptographicErase => "cryptographic_erase",
});

impl Technique {
    /// The technique `method` uses.
    #[must_use]
    pub fn of(method: &Method) -> Self {
        match method {
            Method::ZeroOut => Self::BlockZeroout,
            Method::Discard => Self::BlockDiscard,
            Method::CryptographicErase => Self::CryptographicErase,
            _ => Self::Overwrite,
        }
    }
}

/// How the data was written and read back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum IoMode {
    /// `O_DIRECT`, past the page cache (`direct`).
    Direct,
    /// Through the page cache, synced and dropped before reading back
    /// (`buffered`).
    Buffered,
    /// A caller-supplied [`Media`](crate::Media) decides
    /// (`caller-defined`).
    CallerDefined,
    /// No media I/O: a cryptographic erase destroys a key
    /// (`not_applicable`).
    NotApplicable,
}

named_enum!(IoMode {
    Direct => "direct",
    Buffered => "buffered",
    CallerDefined => "caller-defined",
    NotApplicable => "not_applicable",
});

impl IoMode {
    /// [`IoMode::Direct`] when `direct`, else [`IoMode::Buffered`].
    #[must_use]
    pub fn direct_if(direct: bool) -> Self {
        if direct { Self::Direct } else { Self::Buffered }
    }
}

/// What a verification read back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum VerifyScope {
    /// Every byte of the pass (`full`).
    Full,
    /// Pseudorandom samples ([`Verify::Sample`]; `sampled`).
    Sampled,
}

named_enum!(VerifyScope {
    Full => "full",
    Sampled => "sampled",
});

/// The kind of a target.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TargetKind {
    /// A regular file.
    File,
    /// A folder tree.
    Folder,
    /// A Linux block device (disk, partition, loop device).
    BlockDevice,
    /// The free space of a mounted filesystem.
    FreeSpace,
    /// A caller-supplied [`Media`](crate::Media).
    Media,
    /// An encryption key, destroyed by a cryptographic erase.
    CryptographicKey,
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::File => "file",
            Self::Folder => "folder",
            Self::BlockDevice => "block device",
            Self::FreeSpace => "free space",
            Self::Media => "media",
            Self::CryptographicKey => "cryptographic key",
        })
    }
}

/// How a target's wipe ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Every pass was written, synced and verified as asked, and the
    /// clean-up (truncate, rename, unlink) finished.
    Completed,
    /// An error stopped the wipe; see the error field.
    Failed,
    /// Stopped on request (interrupt) before the end.
    Interrupted,
    /// Not started, because an earlier target was interrupted.
    NotStarted,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted (incomplete)",
            Self::NotStarted => "not started",
        })
    }
}

/// The NIST SP 800-88 outcome reached.
///
/// There is deliberately no `Purge`: an overwrite through the ordinary read
/// and write interface reaches at most Clear (800-88 Rev. 1 §2.5, Appendix
/// A). Purge needs the device's own sanitize command or cryptographic
/// erase.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssuranceLevel {
    /// Clear at the logical level: every user-addressable location of the
    /// target was overwritten and verified.
    ClearLogical,
    /// The overwrite may not have reached the data; see the reasons.
    NotAssured,
    /// Purge by cryptographic erase: the key was destroyed where no copy of
    /// it can remain (see the reasons for the conditions).
    PurgeCryptographicErase,
}

impl fmt::Display for AssuranceLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClearLogical => "Clear (logical)",
            Self::NotAssured => "not assured",
            Self::PurgeCryptographicErase => "Purge (cryptographic erase)",
        })
    }
}

/// The level reached, why, and what to do where overwrite cannot reach.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Assurance {
    /// The level.
    pub level: AssuranceLevel,
    /// Why the level is not higher (for `NotAssured`), or limits that
    /// remain (for `ClearLogical`).
    pub reasons: Vec<String>,
    /// What would reach further.
    pub recommendations: Vec<String>,
}

/// The target as recorded: what was asked and how big it was.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TargetInfo {
    /// Kind of target.
    pub kind: TargetKind,
    /// The path as the operator gave it. For folders, the names of the
    /// files inside are not recorded (they may themselves identify
    /// patients); only their number.
    pub path: String,
    /// Regular files wiped (1 for a file, 0 for devices).
    pub files: u64,
    /// Folders removed.
    pub folders: u64,
    /// Data bytes of the target (file sizes, device size, free space).
    pub bytes: u64,
}

/// Identity and properties of the media (NIST SP 800-88 Rev. 1 Appendix G
/// "media information"), from sysfs and the mount table where available.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MediaInfo {
    /// Media type (magnetic, flash, virtual, loop, file on a filesystem, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Manufacturer / vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Serial number (or WWID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Device name and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Size of the device in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Rotational (magnetic) device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotational: Option<bool>,
    /// Removable device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removable: Option<bool>,
    /// A virtual device (loop, virtio, device-mapper, ...): the storage
    /// below may keep copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_device: Option<bool>,
    /// The backing file of a loop device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backing_file: Option<String>,
    /// Filesystem type of a file, folder, free-space target (or of a loop
    /// device's backing file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<String>,
    /// Mount point of that filesystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_point: Option<String>,
    /// Its per-superblock mount options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_options: Option<String>,
    /// The device supports discard (TRIM/UNMAP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discard_supported: Option<bool>,
    /// The device offloads zeroing (WRITE ZEROES / WRITE SAME).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_zeroes_offload: Option<bool>,
    /// `BLKSECDISCARD` (secure discard) support as probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_discard: Option<String>,
}

/// Everything the certificate says about one target.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TargetReport {
    /// What was wiped.
    pub target: TargetInfo,
    /// The media it lives on.
    pub media: MediaInfo,
    /// The method (named `clear`, `dod3`, `pattern:HEX`, ... in the
    /// certificate).
    pub method: Method,
    /// Method description, with the NIST category.
    pub method_description: String,
    /// Technique, in Appendix G terms.
    pub technique: Technique,
    /// Verification asked for.
    pub verification_mode: Verify,
    /// Overall verification outcome.
    pub verification_result: VerificationOutcome,
    /// Direct (`O_DIRECT`) or buffered I/O.
    pub io_mode: IoMode,
    /// Every pass, as it happened.
    pub passes: Vec<PassRecord>,
    /// How it ended.
    pub status: Status,
    /// The error that stopped it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Bytes written over all passes.
    pub bytes_written: u64,
    /// Bytes all passes were to write (progress of an interrupted wipe is
    /// `bytes_written / bytes_planned`).
    pub bytes_planned: u64,
    /// What happened after the passes (truncate, renames, unlink, fsync).
    pub post_actions: Vec<String>,
    /// The level reached and why.
    pub assurance: Assurance,
    /// Start time, RFC 3339 UTC.
    pub started: String,
    /// End time, RFC 3339 UTC.
    pub finished: String,
    /// For a cryptographic erase: the key, and what it made unreadable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crypto_erase: Option<crate::CryptoErase>,
}

impl TargetReport {
    /// `true` when the wipe completed and was verified, whatever the level.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.status == Status::Completed
            && (self.verification_mode == Verify::None
                || self.verification_result == VerificationOutcome::Passed)
    }
}

/// The overall verification outcome from the pass records.
pub(crate) fn overall_verification(mode: Verify, passes: &[PassRecord]) -> VerificationOutcome {
    if mode == Verify::None {
        return VerificationOutcome::NotPerformed;
    }
    let results: Vec<VerifyResult> = passes
        .iter()
        .filter_map(|p| p.verification.as_ref().map(|v| v.result))
        .collect();
    if results.contains(&VerifyResult::Failed) {
        VerificationOutcome::Failed
    } else if results.contains(&VerifyResult::Incomplete) || results.is_empty() {
        VerificationOutcome::Incomplete
    } else {
        VerificationOutcome::Passed
    }
}
