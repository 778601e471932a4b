//! Certificates of cryptographic erase: the same signed record as an
//! overwrite, for a destroyed key.
//!
//! radguard-wipe does not destroy keys (that is the key custodian's job,
//! e.g. `radguard-crypt`'s keyring or an HSM); it records what the
//! custodian reports in the one certificate format auditors see for every
//! sanitization (NIST SP 800-88 Rev. 2 and IEEE 2883-2022: cryptographic
//! erase is a Purge technique when every copy of the key, wrapping keys
//! included, is sanitized).

use serde::{Deserialize, Serialize};

use crate::cert::rfc3339_now;
use crate::engine::PassRecord;
use crate::method::{Method, Verify};
use crate::report::{
    Assurance, AssuranceLevel, IoMode, MediaInfo, Status, TargetInfo, TargetKind, TargetReport,
    Technique, VerificationOutcome,
};

/// Where the destroyed key was kept, which decides whether its
/// destruction can be assured.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum KeyStore {
    /// A key file on an ordinary file system, rewritten without the key by
    /// writing a new file and renaming it over the old one: earlier
    /// versions may stay in freed blocks, snapshots and backups.
    FileReplaced,
    /// A key file whose key material was overwritten in place and synced,
    /// on a file system that overwrites in place (no copy-on-write, no
    /// data journaling), with no other copy left beside it.
    FileOverwrittenInPlace,
    /// A hardware security module or key management service that destroys
    /// the key object itself (PKCS#11 `C_DestroyObject`, KMS key deletion).
    Hardware,
}

/// What a cryptographic erase destroyed and made unreadable, as the key
/// custodian reports it. Part of a [`TargetReport`] (its `crypto_erase`
/// field) in a signed [`crate::Certificate`].
///
/// # Examples
///
/// ```
/// use radguard_wipe::{CryptoErase, KeyStore, Operator, Certificate, SigningKey, AssuranceLevel};
///
/// let erase = CryptoErase::new("k1-0123456789abcdef", "radguard keyring /srv/keys/ring", KeyStore::FileReplaced)
///     .instances(12)
///     .segments(48)
///     .encrypted_bytes(6_291_456);
/// let started = Certificate::now();
/// // After destroying the key, the custodian checked that none of the 12
/// // instances can still be decrypted.
/// let report = erase.into_report(started.clone(), true, Some(12));
/// assert_eq!(report.assurance.level, AssuranceLevel::NotAssured); // old keyring copies may remain
/// let key = SigningKey::from_secret(&radguard_core::SecretKey::from_bytes([9; 32]));
/// let cert = Certificate::new(vec![report], Operator::named("alice"), "host", started, Certificate::now(), &key.public_key())?;
/// let signed = cert.sign(&key)?;
/// assert!(signed.to_json().contains("cryptographic_erase"));
/// # Ok::<(), radguard_wipe::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CryptoErase {
    /// The id of the destroyed key (never key material).
    pub key_id: String,
    /// Where the key was kept, as the operator named it.
    pub key_store: String,
    /// Encrypted instances (files) under the key found in the archives the
    /// operator named.
    pub instances: u64,
    /// Their encrypted segments.
    pub segments: u64,
    /// Their encrypted bytes.
    pub encrypted_bytes: u64,
    /// Files in those archives that could not be read to count them.
    pub unreadable_files: u64,
    #[serde(skip)]
    store: Option<KeyStore>,
    #[serde(skip)]
    store_reasons: Vec<String>,
}

impl CryptoErase {
    /// A record for the destroyed key `key_id`, kept in `key_store` (a
    /// description such as the keyring path) of kind `store`.
    #[must_use]
    pub fn new(key_id: impl Into<String>, key_store: impl Into<String>, store: KeyStore) -> Self {
        Self {
            key_id: key_id.into(),
            key_store: key_store.into(),
            instances: 0,
            segments: 0,
            encrypted_bytes: 0,
            unreadable_files: 0,
            store: Some(store),
            store_reasons: Vec::new(),
        }
    }

    /// Adds a reason why the key store cannot assure that the key is gone
    /// (the file system copies on write, the storage is flash, a copy of
    /// the key was found beside it, ...): the result is then "not assured",
    /// with this reason, whatever the store kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_wipe::{AssuranceLevel, Certificate, CryptoErase, KeyStore};
    ///
    /// let r = CryptoErase::new("k1-a", "keyring /srv/ring", KeyStore::FileOverwrittenInPlace)
    ///     .not_assured("the keyring lives on btrfs, which copies on write")
    ///     .into_report(Certificate::now(), true, Some(0));
    /// assert_eq!(r.assurance.level, AssuranceLevel::NotAssured);
    /// assert!(r.assurance.reasons.iter().any(|x| x.contains("btrfs")));
    /// ```
    #[must_use]
    pub fn not_assured(mut self, reason: impl Into<String>) -> Self {
        self.store_reasons.push(reason.into());
        self
    }

    /// Sets the number of encrypted instances under the key.
    #[must_use]
    pub fn instances(mut self, n: u64) -> Self {
        self.instances = n;
        self
    }

    /// Sets the number of encrypted segments under the key.
    #[must_use]
    pub fn segments(mut self, n: u64) -> Self {
        self.segments = n;
        self
    }

    /// Sets the number of encrypted bytes under the key.
    #[must_use]
    pub fn encrypted_bytes(mut self, n: u64) -> Self {
        self.encrypted_bytes = n;
        self
    }

    /// Sets the number of files that could not be read to count them.
    #[must_use]
    pub fn unreadable_files(mut self, n: u64) -> Self {
        self.unreadable_files = n;
        self
    }

    /// The certificate item for this erase, which started at `started`
    /// (RFC 3339, [`crate::Certificate::now`]). `key_gone` says whether
    /// the custodian checked afterwards that the key is gone (for a key
    /// file: re-read, the key absent); `still_decryptable_checked` is
    /// `Some(n)` when `n` instances were checked to be no longer
    /// decryptable (verification), `None` when no instance was checked.
    #[must_use]
    pub fn into_report(
        self,
        started: String,
        key_gone: bool,
        no_longer_decryptable: Option<u64>,
    ) -> TargetReport {
        let verification = match no_longer_decryptable {
            _ if !key_gone => VerificationOutcome::Failed,
            Some(n) if n == self.instances => VerificationOutcome::Passed,
            Some(_) => VerificationOutcome::Failed,
            None => VerificationOutcome::NotPerformed,
        };
        let status = if key_gone {
            Status::Completed
        } else {
            Status::Failed
        };
        let assurance = self.assurance(key_gone, verification);
        let method = Method::CryptographicErase;
        TargetReport {
            target: TargetInfo {
                kind: TargetKind::CryptographicKey,
                path: format!("key {} in {}", self.key_id, self.key_store),
                files: self.instances,
                folders: 0,
                bytes: self.encrypted_bytes,
            },
            media: MediaInfo::default(),
            method_description: method.description(),
            technique: Technique::of(&method),
            method,
            verification_mode: if no_longer_decryptable.is_some() {
                Verify::All
            } else {
                Verify::None
            },
            verification_result: verification,
            io_mode: IoMode::NotApplicable,
            passes: Vec::<PassRecord>::new(),
            status,
            error: (!key_gone).then(|| "the key is still in the key store".to_owned()),
            bytes_written: 0,
            bytes_planned: 0,
            post_actions: Vec::new(),
            assurance,
            started,
            finished: rfc3339_now(),
            crypto_erase: Some(self),
        }
    }

    fn assurance(&self, key_gone: bool, verification: VerificationOutcome) -> Assurance {
        let mut reasons = Vec::new();
        let mut recommendations = Vec::new();
        if !key_gone {
            reasons.push("the key is still in the key store".to_owned());
        }
        if verification != VerificationOutcome::Passed {
            reasons.push(
                "no check that the encrypted instances can no longer be decrypted passed"
                    .to_owned(),
            );
            recommendations.push(
                "name the archives holding the encrypted instances so they are checked".to_owned(),
            );
        }
        match self.store {
            Some(KeyStore::FileReplaced) | None => {
                reasons.push(
                    "the key file was rewritten by writing a new file and renaming it over the old one: earlier versions holding the key may remain in freed blocks of the file system, in snapshots and in backups".to_owned(),
                );
                recommendations.push(
                    "sanitize the free space of the key file's file system (radguard wipe --free-space) and destroy every backup and snapshot of the key file".to_owned(),
                );
                recommendations.push(
                    "keep key-encryption keys in a hardware security module, where destroying the key object is final".to_owned(),
                );
            }
            Some(KeyStore::FileOverwrittenInPlace) => {
                recommendations.push(
                    "backups and snapshots of the key file taken before the erase still hold the key: destroy them too".to_owned(),
                );
            }
            Some(KeyStore::Hardware) => {}
        }
        if self.unreadable_files > 0 {
            reasons.push(format!(
                "{} file(s) in the archives could not be read to count them",
                self.unreadable_files
            ));
        }
        reasons.extend(self.store_reasons.iter().cloned());
        let assured = key_gone
            && verification == VerificationOutcome::Passed
            && self.unreadable_files == 0
            && self.store_reasons.is_empty()
            && matches!(
                self.store,
                Some(KeyStore::FileOverwrittenInPlace | KeyStore::Hardware)
            );
        Assurance {
            level: if assured {
                AssuranceLevel::PurgeCryptographicErase
            } else {
                AssuranceLevel::NotAssured
            },
            reasons,
            recommendations,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn purge_only_when_everything_holds() {
        let e = || CryptoErase::new("k1-a", "hsm slot 0", KeyStore::Hardware).instances(3);
        let r = e().into_report(rfc3339_now(), true, Some(3));
        assert_eq!(r.assurance.level, AssuranceLevel::PurgeCryptographicErase);
        assert_eq!(r.status, Status::Completed);
        assert_eq!(r.verification_result, VerificationOutcome::Passed);
        // One instance still decrypts: failed verification, not assured.
        let r = e().into_report(rfc3339_now(), true, Some(2));
        assert_eq!(r.verification_result, VerificationOutcome::Failed);
        assert_eq!(r.assurance.level, AssuranceLevel::NotAssured);
        // The key still there.
        let r = e().into_report(rfc3339_now(), false, Some(3));
        assert_eq!(r.status, Status::Failed);
        assert!(!r.succeeded());
        // A replaced key file can never be assured.
        let r = CryptoErase::new("k1-a", "ring", KeyStore::FileReplaced)
            .instances(1)
            .into_report(rfc3339_now(), true, Some(1));
        assert_eq!(r.assurance.level, AssuranceLevel::NotAssured);
        assert!(
            r.assurance
                .reasons
                .iter()
                .any(|x| x.contains("freed blocks"))
        );
    }

    #[test]
    fn serializes_and_reads_back() {
        let r = CryptoErase::new("k1-a", "ring", KeyStore::FileReplaced)
            .instances(2)
            .segments(5)
            .encrypted_bytes(100)
            .into_report(rfc3339_now(), true, Some(2));
        let json = serde_json::to_string(&r).unwrap();
        let back: TargetReport = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back.crypto_erase.unwrap().segments, 5);
        assert_eq!(back.method, Method::CryptographicErase);
        assert_eq!(back.target.kind, TargetKind::CryptographicKey);
    }
}
