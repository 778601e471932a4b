//! `radguard encrypt` and `radguard decrypt`: pixel data encryption at rest
//! with keys from a keyring file or a PKCS#11 token (HSM); and the key
//! source arguments every key-using command shares.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use radguard_core::{AuditRecord, KeyId, Label, Operation, Reason, Status};
use radguard_crypt::dicom::{
    DecryptOptions, EncryptOptions, EncryptionInfo, decrypt_file, encrypt_file,
};
use radguard_crypt::pkcs11::Pkcs11Provider;
use radguard_crypt::{Executor, KeyProvider, KeyStatus, Layout, LocalKeyring};
use rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg, now_ms};
use crate::inputs::{self, Job};
use crate::output::{self, Output};
use crate::progress::{Progress, Unit};

/// Environment variable naming the keyring file when `--keyring` is absent.
pub(crate) const KEYRING_ENV: &str = "RADGUARD_KEYRING";
/// Environment variable naming the PKCS#11 PIN file when
/// `--pkcs11-pin-file` is absent.
pub(crate) const PIN_ENV: &str = "RADGUARD_PKCS11_PIN_FILE";

/// Arguments shared by every command that reads a keyring.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyringArg {
    /// The keyring file of key-encryption keys (mode 0600). Default: the
    /// file named by $RADGUARD_KEYRING.
    #[arg(long, value_name = "FILE")]
    pub(crate) keyring: Option<PathBuf>,
}

impl KeyringArg {
    pub(crate) fn path(&self) -> anyhow::Result<PathBuf> {
        crate::secrets::secret_path(self.keyring.as_deref(), KEYRING_ENV).ok_or_else(|| {
            anyhow!("no keyring: give --keyring FILE or set {KEYRING_ENV} (create one with `radguard keys new`)")
        })
    }
}

/// Where the key-encryption keys are: a keyring file, or a PKCS#11 token.
#[derive(Debug, clap::Args)]
pub(crate) struct KeySourceArg {
    #[command(flatten)]
    keyring: KeyringArg,
    /// Keys in a PKCS#11 token (HSM) instead of a keyring file: the
    /// token's PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
    #[arg(
        long,
        value_name = "PATH",
        requires = "pkcs11_token",
        conflicts_with = "keyring"
    )]
    pkcs11_module: Option<PathBuf>,
    /// The label of the PKCS#11 token.
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    pkcs11_token: Option<String>,
    /// The file holding the token's user PIN (mode 0600). Default: the
    /// file named by $RADGUARD_PKCS11_PIN_FILE.
    #[arg(long, value_name = "FILE", requires = "pkcs11_module")]
    pkcs11_pin_file: Option<PathBuf>,
}

/// An opened key source.
pub(crate) enum Keys {
    /// A keyring file, read-only.
    Local {
        /// The keyring file.
        path: PathBuf,
        /// Its keys.
        ring: LocalKeyring,
    },
    /// A PKCS#11 token.
    Pkcs11(Box<Pkcs11Provider>),
}

impl KeySourceArg {
    /// Opens the key source (a keyring read-only; a token logged in).
    pub(crate) fn open(&self) -> anyhow::Result<Keys> {
        match (&self.pkcs11_module, &self.pkcs11_token) {
            (Some(module), Some(token)) => {
                let pin_path =
                    crate::secrets::secret_path(self.pkcs11_pin_file.as_deref(), PIN_ENV)
                        .ok_or_else(|| {
                            anyhow!("no PIN: give --pkcs11-pin-file FILE or set {PIN_ENV}")
                        })?;
                let pin = crate::secrets::read_secret_file(&pin_path)?;
                let p = Pkcs11Provider::open(module, token, &pin).with_context(|| {
                    format!("cannot use PKCS#11 token {token:?} of {}", module.display())
                })?;
                Ok(Keys::Pkcs11(Box::new(p)))
            }
            _ => {
                let path = self.keyring.path()?;
                let ring = LocalKeyring::open(&path)?;
                Ok(Keys::Local { path, ring })
            }
        }
    }

    /// `true` for a PKCS#11 token.
    pub(crate) fn is_pkcs11(&self) -> bool {
        self.pkcs11_module.is_some()
    }

    /// Creates a new key-encryption key and makes it the primary key:
    /// in the keyring file (locked while changed), or in the token. A
    /// token key needs an id (its label); without one it is
    /// `kek-<seconds since 1970>`.
    pub(crate) fn new_primary_key(&self, id: Option<KeyId>) -> anyhow::Result<KeyId> {
        match self.open()? {
            Keys::Local { path, .. } => {
                let mut ring = LocalKeyring::open_for_update(&path)?;
                let new_id = ring.generate_key(id)?;
                ring.set_primary(&new_id)?;
                ring.save()?;
                Ok(new_id)
            }
            Keys::Pkcs11(p) => {
                let id = match id {
                    Some(id) => id,
                    None => {
                        let secs = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs());
                        format!("kek-{secs}").parse()?
                    }
                };
                p.generate_key(&id)?;
                Ok(id)
            }
        }
    }
}

impl Keys {
    /// The key provider.
    pub(crate) fn provider(&self) -> &dyn KeyProvider {
        match self {
            Self::Local { ring, .. } => ring,
            Self::Pkcs11(p) => p.as_ref(),
        }
    }

    /// The status of key `id`, `None` if the source does not know it.
    pub(crate) fn status(&self, id: &KeyId) -> anyhow::Result<Option<KeyStatus>> {
        Ok(match self {
            Self::Local { ring, .. } => ring.keys().iter().find(|k| &k.id == id).map(|k| k.status),
            Self::Pkcs11(p) => p.key_status(id)?,
        })
    }

    /// Where the keys are, for messages.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::Local { path, .. } => format!("keyring {}", path.display()),
            Self::Pkcs11(p) => format!("PKCS#11 token {:?}", p.token_label()),
        }
    }
}

/// Arguments of `radguard encrypt`.
#[derive(Debug, clap::Args)]
pub(crate) struct EncryptArgs {
    #[command(flatten)]
    keys: KeySourceArg,
    /// Output folder; inputs are mirrored under it (never overwritten).
    #[arg(short = 'o', long = "output", value_name = "OUTDIR")]
    outdir: PathBuf,
    /// Wrap data keys under this key instead of the keyring's primary key;
    /// with a PKCS#11 token, the label of the token key (required).
    #[arg(long, value_name = "ID", visible_alias = "key-label")]
    key_id: Option<KeyId>,
    /// Private OB/OW/OF/OD/OL/OV/UN values of at least this many bytes
    /// are encrypted too (default 16: any value that can hold a 16-byte
    /// run; higher values leave shorter private values readable).
    #[arg(long, value_name = "BYTES", default_value_t = radguard_crypt::dicom::DEFAULT_PRIVATE_THRESHOLD)]
    private_threshold: u32,
    /// Plaintext bytes per segment within a frame.
    #[arg(long, value_name = "BYTES", default_value_t = Layout::DEFAULT_SEGMENT_SIZE)]
    segment_size: u32,
    #[command(flatten)]
    jobs: JobsArg,
    #[command(flatten)]
    audit: AuditArg,
    /// DICOM files or folders to encrypt.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// Arguments of `radguard decrypt`.
#[derive(Debug, clap::Args)]
pub(crate) struct DecryptArgs {
    #[command(flatten)]
    keys: KeySourceArg,
    /// Refuse files whose Patient ID changed since encryption (a
    /// relabelled or transplanted instance) instead of only reporting them.
    #[arg(long)]
    strict: bool,
    /// Output folder; inputs are mirrored under it (never overwritten).
    #[arg(short = 'o', long = "output", value_name = "OUTDIR")]
    outdir: PathBuf,
    #[command(flatten)]
    jobs: JobsArg,
    #[command(flatten)]
    audit: AuditArg,
    /// Encrypted files or folders to decrypt.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// `--jobs N`.
#[derive(Debug, clap::Args)]
pub(crate) struct JobsArg {
    /// Threads to use, across files and across the segments of one large
    /// file. Default: all cores.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<NonZeroUsize>,
}

impl JobsArg {
    /// A thread pool of the requested size.
    pub(crate) fn pool(&self) -> anyhow::Result<rayon::ThreadPool> {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = self.jobs {
            b = b.num_threads(n.get());
        }
        b.build().context("cannot start worker threads")
    }
}

/// Spreads segments over the current rayon pool, sharing it with the
/// per-file parallelism.
pub(crate) struct RayonExecutor;

impl Executor for RayonExecutor {
    fn run(&self, tasks: usize, f: &(dyn Fn(usize) + Sync)) {
        (0..tasks).into_par_iter().for_each(f);
    }
}

/// What happened to one file, as reported.
#[derive(Serialize)]
struct Report {
    records: Vec<AuditRecord>,
    done: usize,
    failed: usize,
}

fn record(
    op: Operation,
    job: &Job,
    started: u64,
    result: &Result<EncryptionInfo, anyhow::Error>,
) -> AuditRecord {
    let base = |status| {
        AuditRecord::new(op, status)
            .with_input(&job.input.display().to_string())
            .with_times(started, now_ms())
    };
    match result {
        Ok(info) => {
            let rec = base(Status::Done)
                .with_output(&job.output.display().to_string())
                .with_key_id(info.key_id.clone())
                .with_count(Label::new("frames"), u64::from(info.frames))
                .with_count(Label::new("units"), info.units as u64)
                .with_count(Label::new("segments"), info.segments)
                .with_count(Label::new("pixel_bytes"), info.plaintext_bytes)
                .with_count(
                    Label::new("protected_elements"),
                    info.protected.len() as u64,
                );
            if info.patient_changed {
                rec.with_count(Label::new("patient_changed"), 1)
                    .with_reason(Reason::code("patient_changed"))
            } else {
                rec
            }
        }
        Err(e) => {
            let reason = e
                .downcast_ref::<radguard_crypt::Error>()
                .map_or(Reason::code("failed"), radguard_crypt::Error::reason);
            let status = match e.downcast_ref::<radguard_crypt::Error>() {
                Some(radguard_crypt::Error::NoPixelData) => Status::Skipped,
                Some(
                    radguard_crypt::Error::Unsupported { .. }
                    | radguard_crypt::Error::Unprotectable { .. },
                ) => Status::Refused,
                _ => Status::Failed,
            };
            base(status).with_reason(reason)
        }
    }
}

fn total_bytes(jobs: &[Job]) -> u64 {
    jobs.iter()
        .map(|j| std::fs::metadata(&j.input).map_or(0, |m| m.len()))
        .sum()
}

/// The per-file work: input, output and a progress callback.
type Work<'a> = dyn Fn(&Job, &(dyn Fn(u64) + Sync)) -> anyhow::Result<EncryptionInfo> + Sync + 'a;

/// What `encrypt` and `decrypt` run on.
struct Run<'a> {
    op: Operation,
    verb: &'static str,
    inputs: &'a [PathBuf],
    outdir: &'a Path,
    jobs: &'a JobsArg,
    audit: &'a AuditArg,
}

/// Runs `work` on every planned job in parallel, reports and audits.
fn run_jobs(run: &Run<'_>, out: Output, work: &Work<'_>) -> anyhow::Result<Outcome> {
    let Run {
        op,
        verb,
        inputs,
        outdir,
        jobs,
        audit,
    } = *run;
    let audit = Audit::open(audit)?;
    let plan = inputs::plan(inputs, outdir)?;
    let pool = jobs.pool()?;
    let progress = Progress::new(out, total_bytes(&plan.jobs), Unit::Bytes, verb);
    let tick = |n: u64| progress.inc(n);
    let results: Vec<(AuditRecord, String)> = pool.install(|| {
        plan.jobs
            .par_iter()
            .map(|job| {
                let started = now_ms();
                let r = job
                    .output
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .with_context(|| {
                        format!("cannot create the folder of {}", job.output.display())
                    })
                    .and_then(|()| work(job, &tick));
                let rec = record(op, job, started, &r);
                let line = match &r {
                    Ok(info) => format!(
                        "{verb:<9} {} -> {} (key {}, {} frame{}, {} protected element{}){}",
                        output::path(&job.input),
                        output::path(&job.output),
                        info.key_id,
                        info.frames,
                        if info.frames == 1 { "" } else { "s" },
                        info.protected.len(),
                        if info.protected.len() == 1 { "" } else { "s" },
                        if info.patient_changed {
                            "; WARNING: the Patient ID changed since encryption"
                        } else {
                            ""
                        }
                    ),
                    Err(e) => format!(
                        "failed    {}: {}",
                        output::path(&job.input),
                        output::esc(format_args!("{e:#}"))
                    ),
                };
                (rec, line)
            })
            .collect()
    });
    progress.finish();
    let mut records = Vec::new();
    let mut failed = 0usize;
    for (rec, line) in results {
        if rec.status() != Status::Done {
            failed += 1;
        }
        if rec.status() == Status::Done
            && rec
                .reason()
                .is_some_and(|r| r.code.as_str() == "patient_changed")
        {
            out.warn(format_args!(
                "{}: the Patient ID differs from the one at encryption (relabelled, or pixels transplanted from another patient?); --strict refuses such files",
                rec.input().map_or("", |p| p.as_str())
            ));
        }
        out.line(line);
        records.push(rec);
    }
    for (path, e) in &plan.problems {
        failed += 1;
        out.line(format_args!(
            "failed    {}: {}",
            output::path(path),
            output::esc(format_args!("{e:#}"))
        ));
        records.push(
            AuditRecord::new(op, Status::Failed)
                .with_input(&path.display().to_string())
                .with_reason(Reason::code("bad_input")),
        );
    }
    audit.record_all(&records)?;
    audit.finish()?;
    let done = records.len() - failed;
    out.line(format_args!("{done} {verb}, {failed} failed"));
    out.json(&Report {
        records,
        done,
        failed,
    })?;
    Ok(if failed == 0 {
        Outcome::AllDone
    } else {
        Outcome::SomeFailed
    })
}

/// `radguard encrypt`.
pub(crate) fn encrypt(args: &EncryptArgs, out: Output) -> anyhow::Result<Outcome> {
    let keys = args.keys.open()?;
    // Fail early (exit 2) when no key can be used at all.
    let kek = match &args.key_id {
        Some(k) => {
            let live = keys.status(k)?.is_some_and(|s| s != KeyStatus::Destroyed);
            if !live {
                return Err(anyhow!("key {k} is not a live key of {}", keys.name()));
            }
            k.clone()
        }
        None if args.keys.is_pkcs11() => {
            return Err(anyhow!(
                "give --key-label LABEL: the token key to wrap data keys under"
            ));
        }
        None => keys.provider().primary_key_id()?,
    };
    if !(Layout::MIN_SEGMENT_SIZE..=Layout::MAX_SEGMENT_SIZE).contains(&args.segment_size) {
        return Err(anyhow!(
            "--segment-size must be between 16 and 16777216 bytes"
        ));
    }
    let exec = RayonExecutor;
    let run = Run {
        op: Operation::Encrypt,
        verb: "encrypted",
        inputs: &args.inputs,
        outdir: &args.outdir,
        jobs: &args.jobs,
        audit: &args.audit,
    };
    let provider = keys.provider();
    run_jobs(&run, out, &|job, tick| {
        let opts = EncryptOptions::new()
            .kek(&kek)
            .segment_size(args.segment_size)
            .private_threshold(args.private_threshold)
            .executor(&exec)
            // Half as many readers (and writers) as cipher threads: on two
            // cores one of each overlaps best with the cipher (measured with
            // benches/crypt_e2e.py); more only add contention there.
            .io_threads((rayon::current_num_threads() / 2).max(1))
            .progress(tick);
        Ok(encrypt_file(&job.input, &job.output, provider, &opts)?)
    })
}

/// `radguard decrypt`.
pub(crate) fn decrypt(args: &DecryptArgs, out: Output) -> anyhow::Result<Outcome> {
    let keys = args.keys.open()?;
    let exec = RayonExecutor;
    let run = Run {
        op: Operation::Decrypt,
        verb: "decrypted",
        inputs: &args.inputs,
        outdir: &args.outdir,
        jobs: &args.jobs,
        audit: &args.audit,
    };
    let provider = keys.provider();
    run_jobs(&run, out, &|job, tick| {
        let opts = DecryptOptions::new()
            .strict(args.strict)
            .executor(&exec)
            .progress(tick);
        Ok(decrypt_file(&job.input, &job.output, provider, &opts)?)
    })
}
