//! `radguard keys`: manage the key-encryption keys of a keyring file.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use radguard_core::{AuditRecord, KeyId, Label, Operation, Reason, Status};
use radguard_crypt::dicom::{
    DecryptOptions, EncryptedFile, EncryptionInfo, Rewrap, encryption_info, rewrap_file,
};
use radguard_crypt::{KeyInfo, KeyProvider, KeyStatus, LocalKeyring};
use radguard_wipe::{Certificate, CryptoErase};
use rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg, now_ms};
use crate::cmd::crypt::{JobsArg, KeySourceArg, KeyringArg};
use crate::evidence::CertArgs;
use crate::output::{Output, chain};
use crate::progress::{Progress, Unit};

/// Arguments of `radguard keys`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Create a key-encryption key (and the keyring file, if needed). The
    /// first key of a keyring becomes its primary key.
    New {
        #[command(flatten)]
        keyring: KeyringArg,
        /// The key id (default: derived from the key, `k1-...`).
        #[arg(long, value_name = "ID")]
        id: Option<KeyId>,
        /// Make the new key the primary key even if there is one.
        #[arg(long)]
        primary: bool,
    },
    /// List the keys of a keyring (ids and status, never key material).
    List {
        #[command(flatten)]
        keyring: KeyringArg,
    },
    /// Create a new primary key and re-wrap, in place, the data keys of the
    /// encrypted files under PATH (pixel ciphertext is not touched). Older
    /// keys stay for decryption until destroyed.
    Rotate {
        #[command(flatten)]
        keyring: KeySourceArg,
        /// The new key's id (default: derived from the key).
        #[arg(long, value_name = "ID")]
        id: Option<KeyId>,
        #[command(flatten)]
        jobs: JobsArg,
        #[command(flatten)]
        audit: AuditArg,
        /// Encrypted files or folders (archives) to re-wrap.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Destroy a key (crypto-erase): every instance encrypted under it
    /// becomes unrecoverable. Counts the instances affected under PATH.
    Destroy {
        #[command(flatten)]
        keyring: KeySourceArg,
        /// The key to destroy.
        #[arg(long, value_name = "ID")]
        id: KeyId,
        /// Really destroy it (without this, only report what would happen).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        jobs: JobsArg,
        #[command(flatten)]
        audit: AuditArg,
        /// The signed certificate of sanitization (NIST SP 800-88
        /// cryptographic erase), in the format `radguard cert` reads.
        #[command(flatten)]
        cert: CertArgs,
        /// Encrypted files or folders (archives) to count affected instances in.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

pub(crate) fn run(args: &Args, out: Output) -> anyhow::Result<Outcome> {
    match &args.command {
        KeysCommand::New {
            keyring,
            id,
            primary,
        } => new(&keyring.path()?, id.clone(), *primary, out),
        KeysCommand::List { keyring } => list(&keyring.path()?, out),
        KeysCommand::Rotate {
            keyring,
            id,
            jobs,
            audit,
            paths,
        } => rotate(keyring, id.clone(), jobs, audit, paths, out),
        KeysCommand::Destroy {
            keyring,
            id,
            yes,
            jobs,
            audit,
            cert,
            paths,
        } => {
            let req = DestroyRequest {
                keyring,
                id,
                yes: *yes,
                jobs,
                audit,
                cert,
                paths,
            };
            destroy(&req, out)
        }
    }
}

#[derive(Serialize)]
struct KeyRow {
    id: String,
    status: &'static str,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    destroyed: Option<String>,
}

fn status_name(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Primary => "primary",
        KeyStatus::Active => "active",
        KeyStatus::Destroyed => "destroyed",
        _ => "unknown",
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic
/// Gregorian calendar, H. Hinnant's `civil_from_days`).
fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn row(k: &KeyInfo) -> KeyRow {
    KeyRow {
        id: k.id.to_string(),
        status: status_name(k.status),
        created: utc(k.created_unix),
        destroyed: k.destroyed_unix.map(utc),
    }
}

fn new(path: &PathBuf, id: Option<KeyId>, primary: bool, out: Output) -> anyhow::Result<Outcome> {
    let (mut ring, created) = if path.exists() {
        (LocalKeyring::open_for_update(path)?, false)
    } else {
        (LocalKeyring::create(path)?, true)
    };
    let id = ring.generate_key(id)?;
    if primary {
        ring.set_primary(&id)?;
    }
    ring.save()?;
    let is_primary = ring.primary_key_id().ok().as_ref() == Some(&id);
    if created {
        out.line(format_args!(
            "created keyring {} (mode 0600)",
            path.display()
        ));
    }
    out.line(format_args!(
        "created key {id}{}",
        if is_primary { " (primary)" } else { "" }
    ));
    #[derive(Serialize)]
    struct New {
        keyring: String,
        created_keyring: bool,
        key_id: String,
        primary: bool,
    }
    out.json(&New {
        keyring: path.display().to_string(),
        created_keyring: created,
        key_id: id.to_string(),
        primary: is_primary,
    })?;
    Ok(Outcome::AllDone)
}

fn list(path: &PathBuf, out: Output) -> anyhow::Result<Outcome> {
    let ring = LocalKeyring::open(path)?;
    let rows: Vec<KeyRow> = ring.keys().iter().map(row).collect();
    if rows.is_empty() {
        out.line("no keys (create one with `radguard keys new`)");
    } else {
        out.line(format_args!(
            "{:<36} {:<9} {:<20} {}",
            "ID", "STATUS", "CREATED", "DESTROYED"
        ));
        for r in &rows {
            out.line(format_args!(
                "{:<36} {:<9} {:<20} {}",
                r.id,
                r.status,
                r.created,
                r.destroyed.as_deref().unwrap_or("")
            ));
        }
    }
    out.json(&rows)?;
    Ok(Outcome::AllDone)
}

/// Every regular file under `paths` (symbolic links are not followed).
fn files_under(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        let meta =
            std::fs::symlink_metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        if meta.is_file() {
            files.push(p.clone());
        } else if meta.is_dir() {
            for e in walkdir::WalkDir::new(p)
                .follow_links(false)
                .sort_by_file_name()
            {
                let e = e.with_context(|| format!("cannot walk {}", p.display()))?;
                if e.file_type().is_file() {
                    files.push(e.into_path());
                }
            }
        } else {
            bail!("{} is not a regular file or folder", p.display());
        }
    }
    Ok(files)
}

#[derive(Serialize)]
struct RotateReport {
    new_key_id: String,
    rewrapped: usize,
    already_current: usize,
    not_encrypted: usize,
    failed: Vec<Failure>,
}

#[derive(Serialize)]
struct Failure {
    file: String,
    reason: &'static str,
    error: String,
}

fn failure(file: &Path, e: &radguard_crypt::Error) -> Failure {
    Failure {
        file: file.display().to_string(),
        reason: e.reason().code.as_str(),
        error: chain(e),
    }
}

fn rotate(
    keys: &KeySourceArg,
    id: Option<KeyId>,
    jobs: &JobsArg,
    audit: &AuditArg,
    paths: &[PathBuf],
    out: Output,
) -> anyhow::Result<Outcome> {
    let audit = Audit::open(audit)?;
    let started = now_ms();
    let files = files_under(paths)?;
    let new_id = keys.new_primary_key(id)?;
    out.line(format_args!("created key {new_id} (primary)"));
    let opened = keys.open()?;
    let ring = opened.provider();
    let pool = jobs.pool()?;
    let progress = Progress::new(out, files.len() as u64, Unit::Files, "re-wrap");
    let opts = DecryptOptions::new().overwrite(true);
    // Ok(Some(true)) re-wrapped, Ok(Some(false)) already current, Ok(None) not encrypted.
    let results: Vec<(PathBuf, Result<Option<bool>, radguard_crypt::Error>)> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let r = match encryption_info(f) {
                    Ok(None) | Err(radguard_crypt::Error::Dicom(_)) => Ok(None),
                    Ok(Some(_)) => rewrap_file(f, f, ring, Some(&new_id), &opts)
                        .map(|r| Some(matches!(r, Rewrap::Rewrapped { .. }))),
                    Err(e) => Err(e),
                };
                progress.inc(1);
                (f.clone(), r)
            })
            .collect()
    });
    progress.finish();
    let mut report = RotateReport {
        new_key_id: new_id.to_string(),
        rewrapped: 0,
        already_current: 0,
        not_encrypted: 0,
        failed: Vec::new(),
    };
    let mut records = Vec::with_capacity(results.len());
    for (f, r) in &results {
        let rec = AuditRecord::new(Operation::Rewrap, Status::Done)
            .with_input(&f.display().to_string())
            .with_key_id(new_id.clone())
            .with_times(started, now_ms());
        records.push(match r {
            Ok(Some(true)) => {
                report.rewrapped += 1;
                rec.with_output(&f.display().to_string())
            }
            Ok(Some(false)) => {
                report.already_current += 1;
                skipped(rec, "already_under_the_new_key")
            }
            Ok(None) => {
                report.not_encrypted += 1;
                skipped(rec, "not_encrypted")
            }
            Err(e) => {
                out.line(format_args!("failed    {}: {}", f.display(), chain(e)));
                report.failed.push(failure(f, e));
                let mut rec = rec.with_reason(e.reason());
                rec.set_status(Status::Failed);
                rec
            }
        });
    }
    audit.record_all(&records)?;
    audit.finish()?;
    if !paths.is_empty() {
        out.line(format_args!(
            "re-wrapped {} instance(s) under {new_id}; {} already under it, {} file(s) not encrypted, {} failed",
            report.rewrapped,
            report.already_current,
            report.not_encrypted,
            report.failed.len()
        ));
    }
    out.line("older keys stay in the keyring for decryption; destroy them with `radguard keys destroy` once nothing needs them");
    out.json(&report)?;
    Ok(if report.failed.is_empty() {
        Outcome::AllDone
    } else {
        Outcome::SomeFailed
    })
}

#[derive(Serialize)]
struct DestroyReport {
    key_id: String,
    destroyed: bool,
    /// Encrypted instances under the key found under the paths given.
    affected_instances: Option<usize>,
    unreadable: Vec<Failure>,
}

/// What `keys destroy` was asked to do.
struct DestroyRequest<'a> {
    keyring: &'a KeySourceArg,
    id: &'a KeyId,
    yes: bool,
    jobs: &'a JobsArg,
    audit: &'a AuditArg,
    cert: &'a CertArgs,
    paths: &'a [PathBuf],
}

fn skipped(mut rec: AuditRecord, why: &'static str) -> AuditRecord {
    rec.set_status(Status::Skipped);
    rec.with_reason(Reason::code(why))
}

fn destroy(req: &DestroyRequest<'_>, out: Output) -> anyhow::Result<Outcome> {
    let DestroyRequest {
        keyring: keys,
        id,
        yes,
        jobs,
        audit,
        cert,
        paths,
    } = *req;
    let audit = Audit::open(audit)?;
    let started = now_ms();
    // Check the key exists and is live before scanning anything.
    let was_primary = {
        let ring = keys.open()?;
        match ring.status(id)? {
            None => bail!("key {id} is not in {}", ring.name()),
            Some(KeyStatus::Destroyed) => {
                bail!("key {id} was already destroyed")
            }
            Some(_) => {}
        }
        ring.provider().primary_key_id().ok().as_ref() == Some(id)
    };
    let (under_key, unreadable) = if paths.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        instances_under(id, paths, jobs, out)?
    };
    let affected = (!paths.is_empty()).then_some(under_key.len());
    let what = match affected {
        Some(n) => format!("{n} encrypted instance(s) under the given path(s)"),
        None => {
            "every instance encrypted under it (no archive path given to count them)".to_owned()
        }
    };
    if !yes {
        out.line(format_args!(
            "would destroy key {id}: {what} would become unrecoverable"
        ));
        out.json(&DestroyReport {
            key_id: id.to_string(),
            destroyed: false,
            affected_instances: affected,
            unreadable,
        })?;
        return Err(anyhow!(
            "not destroyed: crypto-erase cannot be undone; re-run with --yes"
        ));
    }
    // The certificate's key and path are checked before the key goes.
    let pending = cert.prepare("crypto-erase-certificate", out)?;
    let (store_name, store) = keys.describe()?;
    keys.destroy_key(id)?;
    let certificate = crypto_erase_certificate(
        CryptoErase::new(id.as_str(), store_name, store)
            .instances(under_key.len() as u64)
            .segments(under_key.iter().map(|(_, i)| i.segments).sum())
            .encrypted_bytes(under_key.iter().map(|(_, i)| i.plaintext_bytes).sum())
            .unreadable_files(unreadable.len() as u64),
        keys,
        id,
        &under_key,
        (pending, cert),
    )?;
    let mut rec = AuditRecord::new(Operation::DestroyKey, Status::Done)
        .with_input(&keys.describe()?.0)
        .with_key_id(id.clone())
        .with_times(started, now_ms());
    if let Some(n) = affected {
        rec = rec
            .with_count(Label::new("affected_instances"), n as u64)
            .with_count(Label::new("unreadable_files"), unreadable.len() as u64);
    }
    audit.record(&rec)?;
    audit.finish()?;
    out.line(format_args!(
        "destroyed key {id}: {what} are now unrecoverable"
    ));
    let item = certificate.cert.items.first();
    out.line(format_args!(
        "certificate: {} (crypto-erase, {}; verification {})",
        certificate.path.display(),
        certificate.cert.assurance_level,
        item.map_or("not performed".to_owned(), |i| i
            .verification_result
            .to_string())
    ));
    if was_primary {
        out.warn("the keyring has no primary key now; create one with `radguard keys new`");
    }
    if !keys.is_pkcs11() {
        out.warn(
            "copies of the keyring (backups, snapshots, earlier file versions) still hold the key; destroy them too",
        );
    }
    out.json(&DestroyReport {
        key_id: id.to_string(),
        destroyed: true,
        affected_instances: affected,
        unreadable,
    })?;
    Ok(
        if certificate.cert.outcome == radguard_wipe::Outcome::Completed {
            Outcome::AllDone
        } else {
            Outcome::SomeFailed
        },
    )
}

/// The encrypted instances under key `id` found under `paths`, and the
/// files that could not be read to tell.
#[allow(clippy::type_complexity)]
fn instances_under(
    id: &KeyId,
    paths: &[PathBuf],
    jobs: &JobsArg,
    out: Output,
) -> anyhow::Result<(Vec<(PathBuf, EncryptionInfo)>, Vec<Failure>)> {
    let files = files_under(paths)?;
    let pool = jobs.pool()?;
    let progress = Progress::new(out, files.len() as u64, Unit::Files, "scan");
    type Found = Result<Option<EncryptionInfo>, radguard_crypt::Error>;
    let results: Vec<(PathBuf, Found)> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let r = match encryption_info(f) {
                    Ok(Some(info)) if &info.key_id == id => Ok(Some(info)),
                    Ok(_) | Err(radguard_crypt::Error::Dicom(_)) => Ok(None),
                    Err(e) => Err(e),
                };
                progress.inc(1);
                (f.clone(), r)
            })
            .collect()
    });
    progress.finish();
    let mut under_key = Vec::new();
    let mut unreadable = Vec::new();
    for (f, r) in results {
        match r {
            Ok(Some(info)) => under_key.push((f, info)),
            Ok(None) => {}
            Err(e) => {
                out.warn(format_args!("{}: {}", f.display(), chain(&e)));
                unreadable.push(failure(&f, &e));
            }
        }
    }
    Ok((under_key, unreadable))
}

/// A written certificate and where it is.
struct WrittenCertificate {
    cert: Certificate,
    path: PathBuf,
}

/// Verifies the erase (the keyring re-read holds no material for the key,
/// and no instance found under it opens any more) and writes the signed
/// certificate.
fn crypto_erase_certificate(
    erase: CryptoErase,
    keys: &KeySourceArg,
    id: &KeyId,
    under_key: &[(PathBuf, EncryptionInfo)],
    (pending, args): (crate::evidence::PendingCertificate, &CertArgs),
) -> anyhow::Result<WrittenCertificate> {
    let ring = keys.open()?;
    let key_gone = ring.status(id)? == Some(KeyStatus::Destroyed);
    let checked = under_key
        .iter()
        .filter(|(f, _)| {
            matches!(
                EncryptedFile::open(f, ring.provider()),
                Err(radguard_crypt::Error::KeyDestroyed { .. })
            )
        })
        .count() as u64;
    let started = pending.started().to_owned();
    let path = pending.path.clone();
    let report = erase.into_report(started, key_gone, Some(checked));
    let cert = pending.write(vec![report], args)?;
    Ok(WrittenCertificate { cert, path })
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_764_000_000), "2025-11-24T16:00:00Z");
    }
}
