//! `radguard encrypt` and `radguard decrypt`: pixel data encryption at rest
//! with keys from a keyring file.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use radguard_core::{AuditRecord, KeyId, Label, Operation, Reason, Status};
use radguard_crypt::dicom::{
    DecryptOptions, EncryptOptions, EncryptionInfo, decrypt_file, encrypt_file,
};
use radguard_crypt::{Executor, Layout, LocalKeyring};
use rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg, now_ms};
use crate::inputs::{self, Job};
use crate::output::{self, Output};
use crate::progress::{Progress, Unit};

/// Environment variable naming the keyring file when `--keyring` is absent.
pub(crate) const KEYRING_ENV: &str = "RADGUARD_KEYRING";

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

/// Arguments of `radguard encrypt`.
#[derive(Debug, clap::Args)]
pub(crate) struct EncryptArgs {
    #[command(flatten)]
    keyring: KeyringArg,
    /// Output folder; inputs are mirrored under it (never overwritten).
    #[arg(short = 'o', long = "output", value_name = "OUTDIR")]
    outdir: PathBuf,
    /// Wrap data keys under this key instead of the keyring's primary key.
    #[arg(long, value_name = "ID")]
    key_id: Option<KeyId>,
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
    keyring: KeyringArg,
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
        Ok(info) => base(Status::Done)
            .with_output(&job.output.display().to_string())
            .with_key_id(info.key_id.clone())
            .with_count(Label::new("frames"), u64::from(info.frames))
            .with_count(Label::new("units"), info.units as u64)
            .with_count(Label::new("segments"), info.segments)
            .with_count(Label::new("pixel_bytes"), info.plaintext_bytes),
        Err(e) => {
            let reason = e
                .downcast_ref::<radguard_crypt::Error>()
                .map_or(Reason::code("failed"), radguard_crypt::Error::reason);
            let status = match e.downcast_ref::<radguard_crypt::Error>() {
                Some(radguard_crypt::Error::NoPixelData) => Status::Skipped,
                Some(radguard_crypt::Error::Unsupported { .. }) => Status::Refused,
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
                        "{verb:<9} {} -> {} (key {}, {} frame{})",
                        output::path(&job.input),
                        output::path(&job.output),
                        info.key_id,
                        info.frames,
                        if info.frames == 1 { "" } else { "s" }
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
    let path = args.keyring.path()?;
    let ring = LocalKeyring::open(&path)?;
    // Fail early (exit 2) when no key can be used at all.
    let kek = match &args.key_id {
        Some(k) => {
            let live = ring
                .keys()
                .iter()
                .any(|i| &i.id == k && i.status != radguard_crypt::KeyStatus::Destroyed);
            if !live {
                return Err(anyhow!(
                    "key {k} is not a live key of keyring {}",
                    path.display()
                ));
            }
            k.clone()
        }
        None => radguard_crypt::KeyProvider::primary_key_id(&ring)?,
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
    run_jobs(&run, out, &|job, tick| {
        let opts = EncryptOptions::new()
            .kek(&kek)
            .segment_size(args.segment_size)
            .executor(&exec)
            .progress(tick);
        Ok(encrypt_file(&job.input, &job.output, &ring, &opts)?)
    })
}

/// `radguard decrypt`.
pub(crate) fn decrypt(args: &DecryptArgs, out: Output) -> anyhow::Result<Outcome> {
    let path = args.keyring.path()?;
    let ring = LocalKeyring::open(&path)?;
    let exec = RayonExecutor;
    let run = Run {
        op: Operation::Decrypt,
        verb: "decrypted",
        inputs: &args.inputs,
        outdir: &args.outdir,
        jobs: &args.jobs,
        audit: &args.audit,
    };
    run_jobs(&run, out, &|job, tick| {
        let opts = DecryptOptions::new().executor(&exec).progress(tick);
        Ok(decrypt_file(&job.input, &job.output, &ring, &opts)?)
    })
}
