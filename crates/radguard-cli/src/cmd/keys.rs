//! `radguard keys`: manage the key-encryption keys of a keyring file.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use radguard_core::{AuditRecord, KeyId, Label, Operation, Reason, Status};
use radguard_crypt::dicom::{
    DecryptOptions, EncryptedFile, EncryptionInfo, Rewrap, encryption_info, rewrap_file,
};
use radguard_crypt::pkcs11::Pkcs11Provider;
use radguard_crypt::{KeyInfo, KeyProvider, KeyStatus, LocalKeyring};
use radguard_wipe::{CryptoErase, KeyStore};
use rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg, now_ms};
use crate::cmd::crypt::{JobsArg, KeySourceArg, KeyringArg, Keys};
use crate::evidence::CertArgs;
use crate::inputs;
use crate::output::{self, Output, chain, esc};
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

/// Opens the keyring for changes, holding its lock for the whole command;
/// waits (saying so) while another process holds it.
fn lock_keyring(path: &Path, out: Output) -> anyhow::Result<LocalKeyring> {
    Ok(LocalKeyring::open_for_update_waiting(path, &mut || {
        out.warn(format_args!(
            "keyring {} is being changed by another radguard process; waiting for it to finish",
            output::path(path)
        ));
    })?)
}

fn new(path: &Path, id: Option<KeyId>, primary: bool, out: Output) -> anyhow::Result<Outcome> {
    let (mut ring, created) = if path.symlink_metadata().is_ok() {
        (lock_keyring(path, out)?, false)
    } else {
        match LocalKeyring::create(path) {
            Ok(r) => (r, true),
            // Another process created it meanwhile: use it.
            Err(radguard_crypt::Error::Keyring { .. }) if path.symlink_metadata().is_ok() => {
                (lock_keyring(path, out)?, false)
            }
            Err(e) => return Err(e.into()),
        }
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
            output::path(path)
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

fn list(path: &Path, out: Output) -> anyhow::Result<Outcome> {
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

/// A file an archive walk reached.
#[derive(Debug, Clone)]
struct Found {
    /// The file itself (for one reached through a symbolic link, where the
    /// link leads).
    file: PathBuf,
    /// The symbolic link it was reached through, if any.
    via: Option<PathBuf>,
    /// Other hard links of the file.
    other_links: u64,
}

/// What a walk of the archives found.
#[derive(Debug, Default)]
struct Walked {
    files: Vec<Found>,
    /// Entries that could not be followed or read (dangling links, loops,
    /// unreadable folders).
    unreachable: Vec<Failure>,
    /// Temporary files of runs that died, removed.
    swept: usize,
}

/// Every regular file under `paths`, each once (by device and inode):
/// symbolic links are followed (and named), radguard's temporary files
/// skipped, and those that runs which died left removed.
fn files_under(paths: &[PathBuf]) -> anyhow::Result<Walked> {
    use std::os::unix::fs::MetadataExt;
    let mut w = Walked::default();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            bail!("cannot read {}", output::path(p));
        }
        let walk = walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| !inputs::is_temp(e));
        for e in walk {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    let at = err.path().map_or_else(|| p.clone(), Path::to_path_buf);
                    w.unreachable.push(Failure {
                        file: at.display().to_string(),
                        reason: "unreachable",
                        error: err.to_string(),
                    });
                    continue;
                }
            };
            if e.file_type().is_dir() {
                w.swept += inputs::sweep(e.path());
                continue;
            }
            if !e.file_type().is_file() {
                continue;
            }
            let Ok(meta) = e.metadata() else {
                w.unreachable.push(Failure {
                    file: e.path().display().to_string(),
                    reason: "unreachable",
                    error: "cannot read its metadata".to_owned(),
                });
                continue;
            };
            if !seen.insert((meta.dev(), meta.ino())) {
                continue;
            }
            let real = std::fs::canonicalize(e.path()).unwrap_or_else(|_| e.path().to_path_buf());
            let abs = std::path::absolute(e.path()).unwrap_or_else(|_| e.path().to_path_buf());
            let via = (e.path_is_symlink() || real != abs).then(|| e.path().to_path_buf());
            w.files.push(Found {
                file: if via.is_some() {
                    real
                } else {
                    e.path().to_path_buf()
                },
                via,
                other_links: meta.nlink().saturating_sub(1),
            });
        }
    }
    Ok(w)
}

#[derive(Serialize)]
struct RotateReport {
    new_key_id: String,
    rewrapped: usize,
    already_current: usize,
    not_encrypted: usize,
    /// Files reached through symbolic links (re-wrapped where they are).
    via_symlinks: Vec<Linked>,
    /// Leftovers of runs that died, removed.
    temporary_files_removed: usize,
    failed: Vec<Failure>,
}

#[derive(Serialize)]
struct Linked {
    link: String,
    file: String,
}

#[derive(Debug, Serialize)]
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

fn hard_link_failure(f: &Found) -> Failure {
    Failure {
        file: f.file.display().to_string(),
        reason: "hard_links",
        error: format!(
            "has {} other hard link(s): not re-wrapped, since replacing one name would split them (the others would keep the old key); give each file one name",
            f.other_links
        ),
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
    // The key source is held for the whole rotation: a keyring file is
    // locked (two rotations never overlap).
    let mut held = hold(keys, out)?;
    let walked = files_under(paths)?;
    // Durable before any file is re-wrapped under it.
    let new_id = held.new_primary_key(id, keys, out)?;
    out.line(format_args!("created key {new_id} (primary)"));
    let pool = jobs.pool()?;
    let progress = Progress::new(out, walked.files.len() as u64, Unit::Files, "re-wrap");
    // Owner, group, mode, times, ACLs and xattrs of each file are kept;
    // files with other hard links are refused (never split).
    let opts = DecryptOptions::new().overwrite(true).keep_metadata(true);
    let ring = held.provider();
    // Ok(Some(true)) re-wrapped, Ok(Some(false)) already current, Ok(None)
    // not encrypted.
    type Done = Result<Option<bool>, Failure>;
    let results: Vec<(&Found, Done)> = pool.install(|| {
        walked
            .files
            .par_iter()
            .map(|f| {
                let r = match encryption_info(&f.file) {
                    Ok(None) | Err(radguard_crypt::Error::Dicom(_)) => Ok(None),
                    Ok(Some(_)) if f.other_links > 0 => Err(hard_link_failure(f)),
                    Ok(Some(_)) => rewrap_file(&f.file, &f.file, ring, Some(&new_id), &opts)
                        .map(|r| Some(matches!(r, Rewrap::Rewrapped { .. })))
                        .map_err(|e| failure(&f.file, &e)),
                    Err(e) => Err(failure(&f.file, &e)),
                };
                progress.inc(1);
                (f, r)
            })
            .collect()
    });
    progress.finish();
    let mut report = RotateReport {
        new_key_id: new_id.to_string(),
        rewrapped: 0,
        already_current: 0,
        not_encrypted: 0,
        via_symlinks: Vec::new(),
        temporary_files_removed: walked.swept,
        failed: walked.unreachable,
    };
    for f in &report.failed {
        out.line(format_args!(
            "failed    {}: {}",
            esc(&f.file),
            esc(&f.error)
        ));
    }
    let mut records = Vec::with_capacity(results.len());
    for (f, r) in results {
        let name = f.file.display().to_string();
        let rec = AuditRecord::new(Operation::Rewrap, Status::Done)
            .with_input(&name)
            .with_key_id(new_id.clone())
            .with_times(started, now_ms());
        if let (Some(link), Ok(Some(_))) = (&f.via, &r) {
            out.line(format_args!(
                "via link  {} -> {}",
                output::path(link),
                output::path(&f.file)
            ));
            report.via_symlinks.push(Linked {
                link: link.display().to_string(),
                file: name.clone(),
            });
        }
        records.push(match r {
            Ok(Some(true)) => {
                report.rewrapped += 1;
                rec.with_output(&name)
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
                out.line(format_args!(
                    "failed    {}: {}",
                    esc(&e.file),
                    esc(&e.error)
                ));
                let mut rec = rec.with_reason(Reason::code(e.reason));
                rec.set_status(Status::Failed);
                report.failed.push(e);
                rec
            }
        });
    }
    audit.record_all(&records)?;
    audit.finish()?;
    if report.temporary_files_removed > 0 {
        out.line(format_args!(
            "removed {} temporary file(s) left by interrupted runs",
            report.temporary_files_removed
        ));
    }
    if !paths.is_empty() {
        out.line(format_args!(
            "re-wrapped {} instance(s) under {new_id} ({} reached through symbolic links); {} already under it, {} file(s) not encrypted, {} failed",
            report.rewrapped,
            report.via_symlinks.len(),
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
    /// Destroyed and no copy of the key found: the erasure is claimed.
    erased: bool,
    /// Encrypted instances under the key found under the paths given.
    affected_instances: Option<usize>,
    /// Of those, the ones reached through symbolic links.
    via_symlinks: Vec<Linked>,
    /// Files still holding the key's material.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    copies_of_the_key: Vec<String>,
    unreadable: Vec<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assurance_level: Option<radguard_wipe::AssuranceLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_saved: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_certificate: Option<serde_json::Value>,
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
    // The key source is held for the whole destruction (count, destroy,
    // verify): a keyring file is locked.
    let mut held = hold(keys, out)?;
    match held.status(id)? {
        None => bail!("key {id} is not in {}", held.name()),
        Some(KeyStatus::Destroyed) => {
            bail!("key {id} was already destroyed")
        }
        Some(_) => {}
    }
    let was_primary = held.provider().primary_key_id().ok().as_ref() == Some(id);
    let found = if paths.is_empty() {
        Instances::default()
    } else {
        instances_under(id, paths, jobs, out)?
    };
    let affected = (!paths.is_empty()).then_some(found.under_key.len());
    let via_symlinks: Vec<Linked> = found
        .under_key
        .iter()
        .filter_map(|(f, _)| {
            f.via.as_ref().map(|l| Linked {
                link: l.display().to_string(),
                file: f.file.display().to_string(),
            })
        })
        .collect();
    for l in &via_symlinks {
        out.line(format_args!(
            "via link  {} -> {}",
            esc(&l.link),
            esc(&l.file)
        ));
    }
    let what = match affected {
        Some(n) => format!(
            "{n} encrypted instance(s) under the given path(s) ({} reached through symbolic links)",
            via_symlinks.len()
        ),
        None => {
            "every instance encrypted under it (no archive path given to count them)".to_owned()
        }
    };
    let mut report = DestroyReport {
        key_id: id.to_string(),
        destroyed: false,
        erased: false,
        affected_instances: affected,
        via_symlinks,
        copies_of_the_key: Vec::new(),
        unreadable: found.unreadable,
        assurance_level: None,
        certificate_file: None,
        certificate_saved: None,
        signed_certificate: None,
    };
    if !yes {
        out.line(format_args!(
            "would destroy key {id}: {what} would become unrecoverable"
        ));
        out.json(&report)?;
        return Err(anyhow!(
            "not destroyed: crypto-erase cannot be undone; re-run with --yes"
        ));
    }
    // The certificate's key is loaded and its file opened before the key
    // goes.
    let pending = cert.prepare("crypto-erase-certificate", out)?;
    let mut erase;
    let key_gone;
    let mut copies: Vec<PathBuf> = Vec::new();
    let checked;
    let store_name;
    match &mut held {
        Held::Local { path, ring } => {
            let erasure = ring.destroy_and_erase(id)?;
            report.destroyed = true;
            // Whether the in-place overwrite reached the storage.
            let storage = radguard_wipe::in_place_overwrite(path);
            store_name = path.display().to_string();
            erase = CryptoErase::new(
                id.as_str(),
                format!(
                    "radguard keyring {} (format 2, overwritten in place)",
                    pending.recorded(&store_name)
                ),
                KeyStore::FileOverwrittenInPlace,
            );
            for c in &erasure.copies {
                erase = erase.not_assured(format!(
                    "a copy of the key remains in {}",
                    pending.recorded(&c.display().to_string())
                ));
            }
            for u in &erasure.unsearched {
                erase = erase.not_assured(format!(
                    "{} beside the keyring could not be searched for copies of the key",
                    pending.recorded(&u.display().to_string())
                ));
            }
            for c in &erasure.caveats {
                erase = erase.not_assured(c.clone());
            }
            for r in &storage.reasons {
                erase = erase.not_assured(format!("the keyring's storage: {r}"));
            }
            // Verification: the keyring as on disk holds no material for
            // the key, and no instance found under it opens any more.
            let on_disk = LocalKeyring::open(path.as_path())?;
            key_gone = on_disk
                .keys()
                .iter()
                .any(|k| &k.id == id && k.status == KeyStatus::Destroyed)
                && !erasure.copies.iter().any(|c| c == path.as_path());
            checked = destroyed_instances(&found.under_key, &on_disk);
            copies = erasure.copies;
        }
        Held::Token(p) => {
            p.destroy_key(id)?;
            report.destroyed = true;
            store_name = format!("PKCS#11 token {:?}", p.token_label());
            erase = CryptoErase::new(id.as_str(), store_name.clone(), KeyStore::Hardware);
            // Verification: the token marks the key destroyed, and no
            // instance found under it opens any more.
            key_gone = p.key_status(id)? == Some(KeyStatus::Destroyed);
            checked = destroyed_instances(&found.under_key, p.as_ref());
        }
    }
    for c in &copies {
        report.copies_of_the_key.push(c.display().to_string());
    }
    let erase = erase
        .instances(found.under_key.len() as u64)
        .segments(found.under_key.iter().map(|(_, i)| i.segments).sum())
        .encrypted_bytes(found.under_key.iter().map(|(_, i)| i.plaintext_bytes).sum())
        .unreadable_files(report.unreadable.len() as u64);
    let item = erase.into_report(pending.started().to_owned(), key_gone, Some(checked));
    let mut names = vec![store_name];
    names.extend(paths.iter().map(|p| p.display().to_string()));
    let cert_path = pending.path.clone();
    let written = pending.write(vec![item], &names, cert, out)?;
    let is_token = matches!(held, Held::Token(_));
    drop(held);
    let level = written.cert.assurance_level;
    report.assurance_level = Some(level);
    report.erased = copies.is_empty() && key_gone;
    report.certificate_file = Some(cert_path.display().to_string());
    report.certificate_saved = Some(written.saved);
    if !written.saved {
        report.signed_certificate = serde_json::from_str(&written.signed_json).ok();
    }
    let mut rec = AuditRecord::new(Operation::DestroyKey, Status::Done)
        .with_input(
            &written
                .cert
                .items
                .first()
                .map_or_else(String::new, |i| i.target.path.clone()),
        )
        .with_key_id(id.clone())
        .with_times(started, now_ms());
    if let Some(n) = affected {
        rec = rec
            .with_count(Label::new("affected_instances"), n as u64)
            .with_count(
                Label::new("unreadable_files"),
                report.unreadable.len() as u64,
            );
    }
    if !report.erased {
        rec.set_status(Status::Failed);
        rec = rec.with_reason(Reason::code("key_copy_remains"));
    }
    audit.record(&rec)?;
    audit.finish()?;
    if report.erased {
        out.line(format_args!(
            "destroyed key {id}: {what} are now unrecoverable"
        ));
    } else {
        out.line(format_args!(
            "key {id} was destroyed in the keyring, but it is NOT erased: a copy of it remains in {}; remove every copy (then sanitize the free space of its file system) — the certificate says so",
            copies
                .iter()
                .map(|c| output::path(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let item = written.cert.items.first();
    out.line(format_args!(
        "certificate: {} (crypto-erase, {}; verification {})",
        if written.saved {
            output::path(&cert_path)
        } else {
            "NOT SAVED (printed above; save it)".to_owned()
        },
        level,
        item.map_or("not performed".to_owned(), |i| i
            .verification_result
            .to_string())
    ));
    if level != radguard_wipe::AssuranceLevel::PurgeCryptographicErase
        && let Some(i) = item
    {
        for r in &i.assurance.reasons {
            out.warn(format_args!("not assured: {r}"));
        }
    }
    if was_primary {
        out.warn("the keyring has no primary key now; create one with `radguard keys new`");
    }
    if !is_token {
        out.warn(
            "backups and snapshots of the keyring taken before now still hold the key; destroy them too",
        );
    }
    out.json(&report)?;
    Ok(
        if report.erased
            && written.saved
            && written.cert.outcome == radguard_wipe::Outcome::Completed
        {
            Outcome::AllDone
        } else {
            Outcome::SomeFailed
        },
    )
}

/// The encrypted instances under a key found in the archives.
#[derive(Default)]
struct Instances {
    under_key: Vec<(Found, EncryptionInfo)>,
    /// Files that could not be read to tell (counted against assurance).
    unreadable: Vec<Failure>,
}

/// The encrypted instances under key `id` found under `paths` (each once,
/// symbolic links followed), and the files that could not be read to tell.
fn instances_under(
    id: &KeyId,
    paths: &[PathBuf],
    jobs: &JobsArg,
    out: Output,
) -> anyhow::Result<Instances> {
    let walked = files_under(paths)?;
    let pool = jobs.pool()?;
    let progress = Progress::new(out, walked.files.len() as u64, Unit::Files, "scan");
    type Seen = Result<Option<EncryptionInfo>, radguard_crypt::Error>;
    let results: Vec<(Found, Seen)> = pool.install(|| {
        walked
            .files
            .into_par_iter()
            .map(|f| {
                let r = match encryption_info(&f.file) {
                    Ok(Some(info)) if &info.key_id == id => Ok(Some(info)),
                    Ok(_) | Err(radguard_crypt::Error::Dicom(_)) => Ok(None),
                    Err(e) => Err(e),
                };
                progress.inc(1);
                (f, r)
            })
            .collect()
    });
    progress.finish();
    let mut found = Instances {
        under_key: Vec::new(),
        unreadable: walked.unreachable,
    };
    for u in &found.unreadable {
        out.warn(format_args!("{}: {}", esc(&u.file), esc(&u.error)));
    }
    for (f, r) in results {
        match r {
            Ok(Some(info)) => found.under_key.push((f, info)),
            Ok(None) => {}
            Err(e) => {
                out.warn(format_args!(
                    "{}: {}",
                    output::path(&f.file),
                    esc(chain(&e))
                ));
                found.unreadable.push(failure(&f.file, &e));
            }
        }
    }
    Ok(found)
}

/// How many of the instances found under a key no longer open (the key
/// provider reports the key destroyed).
fn destroyed_instances(under_key: &[(Found, EncryptionInfo)], keys: &dyn KeyProvider) -> u64 {
    under_key
        .iter()
        .filter(|(f, _)| {
            matches!(
                EncryptedFile::open(&f.file, keys),
                Err(radguard_crypt::Error::KeyDestroyed { .. })
            )
        })
        .count() as u64
}

/// The key source held for a whole key operation: a keyring file locked
/// (two operations never overlap), or a logged-in PKCS#11 token.
enum Held {
    /// A keyring file, locked for update.
    Local {
        /// The keyring file.
        path: PathBuf,
        /// Its keys, writable.
        ring: LocalKeyring,
    },
    /// A PKCS#11 token.
    Token(Box<Pkcs11Provider>),
}

/// Opens the key source for a key operation (a keyring locked, waiting
/// for another radguard process that holds it).
fn hold(keys: &KeySourceArg, out: Output) -> anyhow::Result<Held> {
    Ok(match keys.open()? {
        Keys::Local { path, .. } => {
            let ring = lock_keyring(&path, out)?;
            Held::Local { path, ring }
        }
        Keys::Pkcs11(p) => Held::Token(p),
    })
}

impl Held {
    fn provider(&self) -> &dyn KeyProvider {
        match self {
            Self::Local { ring, .. } => ring,
            Self::Token(p) => p.as_ref(),
        }
    }

    fn status(&self, id: &KeyId) -> anyhow::Result<Option<KeyStatus>> {
        Ok(match self {
            Self::Local { ring, .. } => ring.keys().iter().find(|k| &k.id == id).map(|k| k.status),
            Self::Token(p) => p.key_status(id)?,
        })
    }

    fn name(&self) -> String {
        match self {
            Self::Local { path, .. } => format!("keyring {}", output::path(path)),
            Self::Token(p) => format!("PKCS#11 token {}", esc(p.token_label())),
        }
    }

    /// Creates a new primary key, durable before it is returned: saved in
    /// the keyring file, or generated in the token (which is then opened
    /// again, so that the new key is its primary).
    fn new_primary_key(
        &mut self,
        id: Option<KeyId>,
        keys: &KeySourceArg,
        out: Output,
    ) -> anyhow::Result<KeyId> {
        match self {
            Self::Local { ring, .. } => {
                let new_id = ring.generate_key(id)?;
                ring.set_primary(&new_id)?;
                ring.save()?;
                Ok(new_id)
            }
            Self::Token(_) => {
                let new_id = keys.new_primary_key(id)?;
                *self = hold(keys, out)?;
                Ok(new_id)
            }
        }
    }
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
