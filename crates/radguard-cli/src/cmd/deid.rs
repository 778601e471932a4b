//! `radguard deid`: DICOM de-identification per PS3.15 Annex E.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use radguard_core::{AttrTag, AuditRecord, Operation, Status};
use radguard_deid::{DeidKey, DeidOption, Deidentifier, Profile, PseudonymMap};
use radguard_dicom::{PendingFile, WriteOptions};
use rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg, now_ms};
use crate::inputs::{self, FileId, Job};
use crate::output::{Output, chain};
use crate::progress::{Progress, Unit};
use crate::secrets;

/// Environment variable naming the de-identification key file.
const KEY_ENV: &str = "RADGUARD_DEID_KEY_FILE";

/// Arguments of `radguard deid`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Options (repeat --option): retain-safe-private, retain-uids, retain-device-identity, \
retain-institution-identity, retain-patient-characteristics, retain-long-full-dates, \
retain-long-modified-dates, clean-descriptors, clean-structured-content, clean-graphics.\n\
The key file holds 64 hex characters or 32 raw bytes and must be readable by its owner only \
(create one with: head -c 32 /dev/urandom > deid.key && chmod 600 deid.key). \
Without a key, a random per-run key is used."
)]
pub(crate) struct Args {
    /// Output folder (created if missing). Each file keeps its path relative to the input folder it came from.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "OUTDIR",
        required_unless_present = "explain"
    )]
    out: Option<PathBuf>,

    /// A PS3.15 option to apply on top of the Basic Profile (repeatable).
    #[arg(long = "option", value_name = "NAME")]
    options: Vec<DeidOption>,

    /// File holding the de-identification key (or set RADGUARD_DEID_KEY_FILE).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,

    #[command(flatten)]
    audit: AuditArg,

    /// CSV of "original patient id,pseudonym" overriding the keyed pseudonyms.
    #[arg(long, value_name = "CSV")]
    pseudonyms: Option<PathBuf>,

    /// De-identify the header of files that may show identifying text in their pixels
    /// (they are marked Patient Identity Removed = NO).
    #[arg(long)]
    allow_burned_in: bool,

    /// Replace existing output files.
    #[arg(long)]
    overwrite: bool,

    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,

    /// Print the effective rule for an attribute (e.g. 0010,0010) under the chosen options, and exit.
    #[arg(long, value_name = "TAG")]
    explain: Option<AttrTag>,

    /// DICOM files or folders.
    #[arg(value_name = "INPUT", required_unless_present = "explain")]
    inputs: Vec<PathBuf>,
}

#[derive(Serialize)]
struct FileResult {
    input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Serialize)]
struct Summary<'a> {
    key_id: &'a str,
    ephemeral_key: bool,
    edition: &'static str,
    options: Vec<&'static str>,
    done: usize,
    refused: usize,
    skipped: usize,
    failed: usize,
    seconds: f64,
    files: Vec<FileResult>,
}

pub(crate) fn run(args: &Args, out: Output) -> anyhow::Result<Outcome> {
    let profile = Profile::builder()
        .options(args.options.iter().copied())
        .allow_burned_in(args.allow_burned_in)
        .build()?;
    if let Some(tag) = args.explain {
        let e = profile.explain(tag);
        out.line(&e);
        out.json(&serde_json::json!({
            "tag": tag.to_string(),
            "name": e.name,
            "basic": e.basic.map(|r| r.to_string()),
            "options": e.option_actions.iter().map(|(o, a)| (o.name(), a.to_string())).collect::<Vec<_>>(),
            "effective": e.effective.to_string(),
        }))?;
        return Ok(Outcome::AllDone);
    }
    let Some(outdir) = args.out.as_deref() else {
        bail!("an output folder is required (-o OUTDIR)");
    };
    let key = match secrets::secret_path(args.key_file.as_deref(), KEY_ENV) {
        Some(p) => DeidKey::new(&secrets::parse_key(&secrets::read_secret_file(&p)?)?),
        None => {
            let k = DeidKey::random().context("cannot draw a random key")?;
            out.warn(format_args!(
                "no key file given: using a random per-run key ({}); outputs of this run cannot be linked to any other run",
                k.id()
            ));
            k
        }
    };
    let mut deid = Deidentifier::new(profile, key);
    if let Some(p) = &args.pseudonyms {
        let f = File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
        deid = deid.with_pseudonyms(PseudonymMap::from_csv(f)?);
    }
    std::fs::create_dir_all(outdir)
        .with_context(|| format!("cannot create {}", outdir.display()))?;
    let audit = Audit::open(&args.audit)?;
    let plan = inputs::plan(&args.inputs, outdir);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let write = WriteOptions::new().overwrite(args.overwrite);
    let started = Instant::now();
    let progress = Progress::new(out, plan.jobs.len() as u64, Unit::Files, "deid");
    let mut results: Vec<FileResult> = plan
        .problems
        .iter()
        .map(|(p, e)| FileResult {
            input: p.display().to_string(),
            output: None,
            status: Status::Failed,
            reason: Some(format!("{e:#}")),
        })
        .collect();
    // Batches: workers write temporary files, then one file system sync
    // makes the whole batch durable before the files get their names.
    for chunk in plan.jobs.chunks(256) {
        let outcomes: Vec<JobOutcome<'_>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|job| {
                    let t0 = now_ms();
                    let r = prepare(&deid, job, &write).map(|(p, rep)| (p, rep.audit));
                    progress.inc(1);
                    (job, r, t0)
                })
                .collect()
        });
        let mut pending = Vec::new();
        let mut records: Vec<(usize, AuditRecord)> = Vec::new();
        for (job, r, t0) in outcomes {
            let input = job.input.display().to_string();
            match r {
                Ok((p, rec)) => {
                    records.push((
                        results.len(),
                        rec.with_input(&input)
                            .with_output(&job.output.display().to_string())
                            .with_times(t0, now_ms()),
                    ));
                    results.push(FileResult {
                        input,
                        output: Some(job.output.display().to_string()),
                        status: Status::Done,
                        reason: None,
                    });
                    pending.push(p);
                }
                Err(e) => {
                    let status = if e.is_refusal() {
                        Status::Refused
                    } else if e.is_not_dicom() {
                        Status::Skipped
                    } else {
                        Status::Failed
                    };
                    let rec = AuditRecord::new(Operation::Deidentify, status)
                        .with_input(&input)
                        .with_reason(e.reason())
                        .with_key_id(deid.key().id().clone())
                        .with_times(t0, now_ms());
                    records.push((results.len(), rec));
                    results.push(FileResult {
                        input,
                        output: None,
                        status,
                        reason: Some(if e.is_refusal() {
                            format!("{}{}", chain(&e), burned_in_hint(&e))
                        } else {
                            chain(&e)
                        }),
                    });
                }
            }
        }
        // Commit, and demote files whose commit failed.
        let committed = radguard_dicom::commit_all(pending);
        for (path, r) in committed {
            if let Err(e) = r
                && let Some(i) = results
                    .iter()
                    .position(|x| x.output.as_deref() == Some(&path.display().to_string()))
            {
                results[i].status = Status::Failed;
                results[i].reason = Some(chain(&e));
                results[i].output = None;
                if let Some((_, rec)) = records.iter_mut().find(|(j, _)| *j == i) {
                    rec.set_status(Status::Failed);
                }
            }
        }
        audit.record_all(records.iter().map(|(_, rec)| rec))?;
    }
    progress.finish();
    audit.finish()?;
    let done = results.iter().filter(|r| r.status == Status::Done).count();
    let refused = results
        .iter()
        .filter(|r| r.status == Status::Refused)
        .count();
    let skipped = results
        .iter()
        .filter(|r| r.status == Status::Skipped)
        .count();
    let failed = results.len() - done - refused - skipped;
    let secs = started.elapsed().as_secs_f64();
    for r in results.iter().filter(|r| r.status != Status::Done) {
        out.warn(format_args!(
            "{}: {}",
            r.input,
            r.reason.as_deref().unwrap_or("failed")
        ));
    }
    out.line(format_args!(
        "de-identified {done} file(s) into {} in {secs:.2}s; refused {refused}, failed {failed}, skipped {skipped} non-DICOM",
        outdir.display()
    ));
    out.line(format_args!(
        "profile: PS3.15 {} Basic{}; key id {}{}",
        radguard_deid::EDITION,
        deid.profile()
            .options()
            .iter()
            .map(|o| format!(" + {o}"))
            .collect::<String>(),
        deid.key().id(),
        if deid.key().is_ephemeral() {
            " (random, this run only)"
        } else {
            ""
        }
    ));
    out.json(&Summary {
        key_id: deid.key().id().as_str(),
        ephemeral_key: deid.key().is_ephemeral(),
        edition: radguard_deid::EDITION,
        options: deid.profile().options().iter().map(|o| o.name()).collect(),
        done,
        refused,
        skipped,
        failed,
        seconds: secs,
        files: results,
    })?;
    Ok(if refused + failed == 0 {
        Outcome::AllDone
    } else {
        Outcome::SomeFailed
    })
}

/// A job, what became of it, and when it started.
type JobOutcome<'a> = (
    &'a Job,
    Result<(PendingFile, AuditRecord), radguard_deid::Error>,
    u64,
);

fn prepare(
    deid: &Deidentifier,
    job: &Job,
    write: &WriteOptions,
) -> Result<(PendingFile, radguard_deid::Report), radguard_deid::Error> {
    if let Some(parent) = job.output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if same_file(&job.input, &job.output) {
        return Err(radguard_deid::Error::Io(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "the output is the input file; refusing to overwrite it",
        )));
    }
    deid.deidentify_file_pending(&job.input, &job.output, write)
}

/// The command-line way out of a burned-in refusal.
fn burned_in_hint(e: &radguard_deid::Error) -> &'static str {
    if matches!(e, radguard_deid::Error::BurnedInAnnotation { .. }) {
        " (--allow-burned-in de-identifies the header only)"
    } else {
        ""
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (FileId::of(b), FileId::of(a)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}
