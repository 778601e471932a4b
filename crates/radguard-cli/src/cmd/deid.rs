//! `radguard deid`: DICOM de-identification per PS3.15 Annex E.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use radguard_core::{AttrTag, AuditRecord, Label, Operation, Status};
use radguard_deid::{
    DeidKey, DeidOption, Deidentifier, PixelCleaning, Profile, PseudonymMap, Report,
};
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
retain-long-modified-dates, clean-descriptors, clean-structured-content, clean-graphics, \
clean-pixel-data.\n\n\
Clean Pixel Data (--option clean-pixel-data): files that may show text in their pixels (Burned In Annotation \
YES, or absent on ultrasound, secondary capture, XA...) are cleaned instead of refused: the rectangles of \
matching pixel rules (pydicom/deid's bundled rules, plus --pixel-rules files), everything outside the \
ultrasound data regions and the text that detection finds are blanked, and every frame is re-checked; a \
file is written (Burned In Annotation NO) only if no text is left, and refused with the reason otherwise. \
Lossless inputs stay lossless; lossy ones are stored losslessly, never compressed lossily again. \
--explain-pixels FILE shows what would be blanked and why.\n\n\
Output names: by default OUTDIR/<Patient ID>/<Study Instance UID>/<Series Instance UID>/<SOP Instance UID>.dcm, \
all taken from the de-identified output (pseudonym and replaced UIDs), so no input file or folder name \
(which PACS exports and CD importers often take from the patient's name) reaches the output; the same key \
gives the same names on any machine and in any split of a batch. --layout mirror keeps each input's \
relative path instead. A DICOMDIR is never copied.\n\n\
Audit (--audit FILE): one PHI-free JSON record per input: status, reason code, key id, counts of what was done, \
a keyed digest of the Study Instance UID and of the input path (the plain input path only with \
--audit-input-paths), the output path.\n\n\
Mapping (--mapping DIR): uid_mapping.csv and patid_mapping.csv (id_old,id_new) and paths.csv \
(input,output), appended (mode 0600), for the data custodian: they hold original identifiers, keep them \
with the key, never with the output.\n\n\
The key file holds 64 hex characters or 32 raw bytes and must be readable by its owner only \
(create one with: head -c 32 /dev/urandom > deid.key && chmod 600 deid.key). \
Without a key, a random per-run key is used."
)]
pub(crate) struct Args {
    /// Output folder (created if missing); see "Output names" below.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "OUTDIR",
        required_unless_present_any = ["explain", "explain_pixels"]
    )]
    out: Option<PathBuf>,

    /// How outputs are named: pseudonymous (from the de-identified
    /// identifiers, the default) or mirror (each input's path relative to
    /// its input folder; input names may identify patients).
    #[arg(long, value_enum, default_value = "pseudonymous")]
    layout: Layout,

    /// A PS3.15 option to apply on top of the Basic Profile (repeatable).
    #[arg(long = "option", value_name = "NAME")]
    options: Vec<DeidOption>,

    /// File holding the de-identification key (or set RADGUARD_DEID_KEY_FILE).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,

    #[command(flatten)]
    audit: AuditArg,

    /// Record input paths in the audit as given, instead of a keyed digest
    /// (input names may identify patients).
    #[arg(long)]
    audit_input_paths: bool,

    /// Append the original → replacement tables (UIDs, Patient IDs, paths)
    /// to CSV files in this folder, which must not lie inside the output
    /// folder.
    #[arg(long, value_name = "DIR")]
    mapping: Option<PathBuf>,

    /// CSV of "original patient id,pseudonym" overriding the keyed pseudonyms.
    #[arg(long, value_name = "CSV")]
    pseudonyms: Option<PathBuf>,

    /// De-identify the header of files that may show identifying text in their pixels
    /// (they are marked Patient Identity Removed = NO).
    #[arg(long)]
    allow_burned_in: bool,

    /// Keep (cleaned) the free text of this LT/ST/UT/UC attribute that Table
    /// E.1-1 does not list, instead of replacing it (repeatable, e.g. 0028,3003).
    #[arg(long, value_name = "TAG")]
    keep_text: Vec<AttrTag>,

    /// With retain-safe-private, also trust what files declare about their
    /// own private blocks in (0008,0300).
    #[arg(long)]
    trust_declared_private: bool,

    /// Replace existing output files.
    #[arg(long)]
    overwrite: bool,

    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,

    /// Process only shard I of N (0 <= I < N): a partition of the inputs
    /// by a hash of their relative paths, the same on every machine, so N
    /// runs with I = 0..N-1 together do exactly what one run does (merge
    /// their audit files and mapping folders with `radguard merge`).
    #[arg(long, value_name = "I/N")]
    shard: Option<crate::shard::Shard>,

    /// Print the effective rule for an attribute (e.g. 0010,0010) under the chosen options, and exit.
    #[arg(long, value_name = "TAG")]
    explain: Option<AttrTag>,

    /// A pixel rule file (TOML, see radguard-pixfind) whose rules are added to the bundled ones for
    /// clean-pixel-data (repeatable).
    #[arg(long, value_name = "FILE")]
    pixel_rules: Vec<PathBuf>,

    /// Print which rule, ultrasound region or text detection would blank which rectangles of a
    /// file's pixels, and whether it would be cleaned or refused, and exit (writes nothing).
    #[arg(long, value_name = "FILE")]
    explain_pixels: Option<PathBuf>,

    /// DICOM files or folders.
    #[arg(
        value_name = "INPUT",
        required_unless_present_any = ["explain", "explain_pixels"]
    )]
    inputs: Vec<PathBuf>,
}

/// How outputs are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Layout {
    /// `<Patient ID>/<Study UID>/<Series UID>/<SOP Instance UID>.dcm` from
    /// the de-identified output.
    Pseudonymous,
    /// The input's path relative to its input folder.
    Mirror,
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
    layout: &'static str,
    done: usize,
    refused: usize,
    skipped: usize,
    failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    seconds: f64,
    files: Vec<FileResult>,
}

pub(crate) fn run(args: &Args, out: Output) -> anyhow::Result<Outcome> {
    let mut builder = Profile::builder()
        .options(args.options.iter().copied())
        .allow_burned_in(args.allow_burned_in)
        .trust_declared_private(args.trust_declared_private);
    for t in &args.keep_text {
        builder = builder.keep_free_text(*t);
    }
    let profile = builder.build()?;
    if let Some(tag) = args.explain {
        return explain(&profile, tag, out);
    }
    let cleaning = pixel_cleaning(&args.pixel_rules)?;
    if let Some(file) = &args.explain_pixels {
        return explain_pixels(&cleaning, file, out);
    }
    if !args.pixel_rules.is_empty() && !profile.has(DeidOption::CleanPixelData) {
        bail!("--pixel-rules applies to --option clean-pixel-data, which is not selected");
    }
    if profile.has(DeidOption::CleanPixelData)
        && let Err(why) = cleaning.detection_status()
    {
        out.warn(format_args!(
            "{why}: cleaned pixels cannot be re-checked, so every file that may show text in its pixels will be refused"
        ));
    }
    let Some(outdir) = args.out.as_deref() else {
        bail!("an output folder is required (-o OUTDIR)");
    };
    check_folders(&args.inputs, outdir, args.mapping.as_deref())?;
    let deid = deidentifier(args, profile, out)?.with_pixel_cleaning(cleaning);
    std::fs::create_dir_all(outdir)
        .with_context(|| format!("cannot create {}", outdir.display()))?;
    if args.layout == Layout::Mirror {
        out.warn(
            "--layout mirror: output names repeat the input folder and file names, which often carry patient names",
        );
    }
    let mut batch = Batch {
        deid: &deid,
        args,
        outdir,
        write: WriteOptions::new().overwrite(args.overwrite),
        audit: Audit::open(&args.audit)?,
        mapping: args
            .mapping
            .as_deref()
            .map(MappingFiles::open)
            .transpose()?,
        results: Vec::new(),
        stopped: None,
    };
    let mut plan = inputs::plan(&args.inputs, outdir)?;
    if let Some(shard) = &args.shard {
        shard.retain(&mut plan.jobs, outdir);
    }
    batch
        .results
        .extend(plan.problems.iter().map(|(p, e)| FileResult {
            input: p.display().to_string(),
            output: None,
            status: Status::Failed,
            reason: Some(format!("{e:#}")),
        }));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let started = Instant::now();
    let progress = Progress::new(out, plan.jobs.len() as u64, Unit::Files, "deid");
    // Batches: workers write temporary files, then one file system sync
    // makes the whole batch durable before the files get their names.
    for chunk in plan.jobs.chunks(256) {
        batch.chunk(&pool, chunk, &progress)?;
        if batch.stopped.is_some() {
            break;
        }
    }
    progress.finish();
    let Batch {
        audit,
        results,
        stopped,
        ..
    } = batch;
    audit.finish()?;
    report(&deid, args, outdir, out, results, stopped, started)
}

fn explain(profile: &Profile, tag: AttrTag, out: Output) -> anyhow::Result<Outcome> {
    let e = profile.explain(tag);
    out.line(&e);
    out.json(&serde_json::json!({
        "tag": tag.to_string(),
        "name": e.name,
        "basic": e.basic.map(|r| r.to_string()),
        "options": e.option_actions.iter().map(|(o, a)| (o.name(), a.to_string())).collect::<Vec<_>>(),
        "effective": e.effective.to_string(),
    }))?;
    Ok(Outcome::AllDone)
}

/// The bundled pixel rules plus the files given.
fn pixel_cleaning(files: &[PathBuf]) -> anyhow::Result<PixelCleaning> {
    let mut cleaning = PixelCleaning::new();
    for f in files {
        let rules = radguard_pixfind::RuleSet::from_file(f)
            .with_context(|| format!("pixel rules {}", f.display()))?;
        cleaning = cleaning
            .add_rules(rules)
            .with_context(|| format!("pixel rules {}", f.display()))?;
    }
    Ok(cleaning)
}

fn explain_pixels(cleaning: &PixelCleaning, file: &Path, out: Output) -> anyhow::Result<Outcome> {
    let e = cleaning
        .explain(file)
        .with_context(|| format!("cannot explain {}", file.display()))?;
    out.line(&e);
    out.json(&serde_json::json!({
        "rules": e.rules,
        "header_gaps": e.header_gaps,
        "detection": e.detection.as_ref().err(),
        "blank": e.summary.rects,
        "not_listed": e.summary.rects_not_listed,
        "frames_rechecked": e.summary.frames_rechecked,
        "outcome": e.outcome,
    }))?;
    Ok(Outcome::AllDone)
}

fn deidentifier(args: &Args, profile: Profile, out: Output) -> anyhow::Result<Deidentifier> {
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
    let mut deid = Deidentifier::new(profile, key).with_mapping(args.mapping.is_some());
    if let Some(p) = &args.pseudonyms {
        let f = File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
        deid = deid.with_pseudonyms(PseudonymMap::from_csv(f)?);
    }
    Ok(deid)
}

/// `path` made absolute and free of `..` (for folders that may not exist
/// yet: the nearest existing ancestor is canonicalized).
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let base = match parent {
        Some(p) => resolved(p)?,
        None => std::env::current_dir().ok()?,
    };
    Some(base.join(path.file_name()?))
}

/// Usage errors that would make a batch do nothing, or skip originals,
/// while reporting success: an output folder that is an input folder, or
/// that lies inside one and already holds files the walk would skip; a
/// mapping folder inside the output folder.
fn check_folders(inputs: &[PathBuf], outdir: &Path, mapping: Option<&Path>) -> anyhow::Result<()> {
    inputs::refuse_output_in_inputs(inputs, outdir)?;
    let out_abs = resolved(outdir);
    for input in inputs.iter().filter(|i| i.is_dir()) {
        let (Some(o), Some(i)) = (&out_abs, resolved(input)) else {
            continue;
        };
        let holds_files = walkdir::WalkDir::new(outdir)
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| e.file_type().is_file());
        if o.starts_with(&i) && holds_files {
            bail!(
                "the output folder {} lies inside the input folder {} and already holds files, which this run would skip: choose an output folder outside the inputs",
                outdir.display(),
                input.display()
            );
        }
    }
    if let (Some(m), Some(o)) = (mapping.and_then(resolved), &out_abs)
        && m.starts_with(o)
    {
        bail!(
            "the mapping folder {} lies inside the output folder {}: mapping tables hold original identifiers and must be kept apart from the de-identified data",
            m.display(),
            o.display()
        );
    }
    Ok(())
}

/// A job, what became of it, and when it started.
type JobOutcome<'a> = (
    &'a Job,
    Result<(PendingFile, Report), radguard_deid::Error>,
    u64,
);

/// The state of a run across its batches.
struct Batch<'a> {
    deid: &'a Deidentifier,
    args: &'a Args,
    outdir: &'a Path,
    write: WriteOptions,
    audit: Audit,
    mapping: Option<MappingFiles>,
    results: Vec<FileResult>,
    /// Why the run stopped early (a full disk).
    stopped: Option<String>,
}

impl Batch<'_> {
    /// De-identifies one batch of jobs and commits it.
    fn chunk(
        &mut self,
        pool: &rayon::ThreadPool,
        chunk: &[Job],
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let outcomes: Vec<JobOutcome<'_>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|job| {
                    let t0 = now_ms();
                    let r = self.prepare(job);
                    progress.inc(1);
                    (job, r, t0)
                })
                .collect()
        });
        let mut pending = Vec::new();
        // The result index of each pending file.
        let mut pending_at = Vec::new();
        // (result index, audit record, report for the mapping)
        let mut done: Vec<(usize, AuditRecord, Option<Report>)> = Vec::new();
        for (job, r, t0) in outcomes {
            let input = job.input.display().to_string();
            match r {
                Ok((p, rep)) => {
                    let output = p.path().display().to_string();
                    let rec = self
                        .name_paths(rep.audit.clone(), &input, &output)
                        .with_times(t0, now_ms());
                    done.push((self.results.len(), rec, Some(rep)));
                    pending_at.push(self.results.len());
                    self.results.push(FileResult {
                        input,
                        output: Some(output),
                        status: Status::Done,
                        reason: None,
                    });
                    pending.push(p);
                }
                Err(e) => {
                    if is_disk_full(&e) && self.stopped.is_none() {
                        self.stopped = Some(chain(&e));
                    }
                    let status = if e.is_refusal() {
                        Status::Refused
                    } else if e.is_not_dicom() {
                        Status::Skipped
                    } else {
                        Status::Failed
                    };
                    let rec = AuditRecord::new(Operation::Deidentify, status)
                        .with_reason(e.reason())
                        .with_key_id(self.deid.key().id().clone());
                    let rec = self.name_paths(rec, &input, "").with_times(t0, now_ms());
                    done.push((self.results.len(), rec, None));
                    self.results.push(FileResult {
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
        // Commit, and demote files whose commit failed (results come back
        // in the order of `pending`; two inputs may have aimed at one
        // output, e.g. two copies of one SOP instance).
        let committed = radguard_dicom::commit_all(pending);
        for ((_, r), i) in committed.into_iter().zip(pending_at) {
            let Err(e) = r else { continue };
            if is_disk_full(&e) && self.stopped.is_none() {
                self.stopped = Some(chain(&e));
            }
            self.results[i].status = Status::Failed;
            self.results[i].reason = Some(match &e {
                radguard_dicom::Error::Exists { .. } => format!(
                    "{}; another input has the same identity (SOP Instance UID) or the output exists",
                    chain(&e)
                ),
                _ => chain(&e),
            });
            self.results[i].output = None;
            if let Some((_, rec, rep)) = done.iter_mut().find(|(j, _, _)| *j == i) {
                rec.set_status(Status::Failed);
                *rep = None;
            }
        }
        self.audit.record_all(done.iter().map(|(_, rec, _)| rec))?;
        if let Some(m) = &self.mapping {
            m.append(done.iter().filter_map(|(i, _, rep)| {
                let r = &self.results[*i];
                Some((r.input.as_str(), r.output.as_deref()?, rep.as_ref()?))
            }))?;
        }
        Ok(())
    }

    fn prepare(&self, job: &Job) -> Result<(PendingFile, Report), radguard_deid::Error> {
        match self.args.layout {
            Layout::Mirror => {
                if let Some(parent) = job.output.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                if same_file(&job.input, &job.output) {
                    return Err(radguard_deid::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "the output is the input file; refusing to overwrite it",
                    )));
                }
                self.deid
                    .deidentify_file_pending(&job.input, &job.output, &self.write)
            }
            Layout::Pseudonymous => {
                let mut made = Ok(());
                let r = self.deid.deidentify_file_named(
                    &job.input,
                    &mut |id| {
                        let p = self.outdir.join(id.relative_path());
                        if let Some(parent) = p.parent() {
                            made = std::fs::create_dir_all(parent);
                        }
                        p
                    },
                    &self.write,
                );
                made?;
                r
            }
        }
    }

    /// Puts the input and output paths into an audit record: the input as
    /// a keyed digest unless plain paths were asked for, and the output
    /// likewise under the mirror layout (where it repeats input names).
    fn name_paths(&self, rec: AuditRecord, input: &str, output: &str) -> AuditRecord {
        let key = self.deid.key();
        let plain = self.args.audit_input_paths;
        let mut rec = if plain {
            rec.with_input(input)
        } else {
            rec.with_digest(Label::new("input_path"), key.digest("input_path", input))
        };
        if !output.is_empty() {
            rec = if plain || self.args.layout == Layout::Pseudonymous {
                rec.with_output(output)
            } else {
                rec.with_digest(Label::new("output_path"), key.digest("output_path", output))
            };
        }
        rec
    }
}

/// `true` if the error comes from a full file system (ENOSPC, or a quota).
fn is_disk_full(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The summary: counts, skipped and failed inputs, the outcome.
fn report(
    deid: &Deidentifier,
    args: &Args,
    outdir: &Path,
    out: Output,
    results: Vec<FileResult>,
    stopped: Option<String>,
    started: Instant,
) -> anyhow::Result<Outcome> {
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let (done, refused, skipped) = (
        count(Status::Done),
        count(Status::Refused),
        count(Status::Skipped),
    );
    let failed = results.len() - done - refused - skipped;
    let secs = started.elapsed().as_secs_f64();
    for r in results.iter().filter(|r| r.status != Status::Done) {
        out.warn(format_args!(
            "{}: {}",
            r.input,
            r.reason.as_deref().unwrap_or("failed")
        ));
    }
    if let Some(why) = &stopped {
        out.warn(format_args!(
            "stopped: no space left for the outputs ({why}); the files not listed above were not processed"
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
    let ok = refused + failed == 0 && stopped.is_none();
    out.json(&Summary {
        key_id: deid.key().id().as_str(),
        ephemeral_key: deid.key().is_ephemeral(),
        edition: radguard_deid::EDITION,
        options: deid.profile().options().iter().map(|o| o.name()).collect(),
        layout: match args.layout {
            Layout::Pseudonymous => "pseudonymous",
            Layout::Mirror => "mirror",
        },
        done,
        refused,
        skipped,
        failed,
        stopped,
        seconds: secs,
        files: results,
    })?;
    Ok(if ok {
        Outcome::AllDone
    } else {
        Outcome::SomeFailed
    })
}

/// The mapping tables, appended under an advisory lock so that
/// concurrent or sharded runs can share them (keyed values make their rows
/// identical).
struct MappingFiles {
    uids: File,
    patient_ids: File,
    paths: File,
}

impl MappingFiles {
    fn open(dir: &Path) -> anyhow::Result<Self> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create the mapping folder {}", dir.display()))?;
        let open = |name: &str, header: &[u8]| -> anyhow::Result<File> {
            let path = dir.join(name);
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            {
                let _lock = Lock::exclusive(&f)?;
                if f.metadata()?.len() == 0 {
                    (&f).write_all(header)?;
                }
            }
            Ok(f)
        };
        Ok(Self {
            uids: open("uid_mapping.csv", b"id_old,id_new\n")?,
            patient_ids: open("patid_mapping.csv", b"id_old,id_new\n")?,
            paths: open("paths.csv", b"input,output\n")?,
        })
    }

    /// Appends the rows of these (input, output, report) results, one
    /// write per file and table.
    fn append<'r>(
        &self,
        rows: impl Iterator<Item = (&'r str, &'r str, &'r Report)>,
    ) -> anyhow::Result<()> {
        use std::collections::BTreeSet;
        // Each row once per batch (a patient's ID and a study's UIDs recur
        // in every file of the study).
        let mut uid_rows = BTreeSet::new();
        let mut pid_rows = BTreeSet::new();
        let mut paths = csv::Writer::from_writer(Vec::new());
        for (input, output, rep) in rows {
            paths.write_record([input, output])?;
            if let Some(m) = &rep.mapping {
                uid_rows.extend(m.expose().uids.iter().cloned());
                pid_rows.extend(m.expose().patient_ids.iter().cloned());
            }
        }
        let mut uids = csv::Writer::from_writer(Vec::new());
        for (a, b) in &uid_rows {
            uids.write_record([a, b])?;
        }
        let mut pids = csv::Writer::from_writer(Vec::new());
        for (a, b) in &pid_rows {
            pids.write_record([a, b])?;
        }
        for (file, w) in [
            (&self.uids, uids),
            (&self.patient_ids, pids),
            (&self.paths, paths),
        ] {
            let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            if bytes.is_empty() {
                continue;
            }
            let _lock = Lock::exclusive(file)?;
            (&*file)
                .write_all(&bytes)
                .and_then(|()| file.sync_data())
                .context("cannot write the mapping tables")?;
        }
        Ok(())
    }
}

/// An advisory exclusive lock on an open file, released on drop (and by
/// the kernel if the process dies).
struct Lock<'a>(&'a File);

impl<'a> Lock<'a> {
    fn exclusive(f: &'a File) -> anyhow::Result<Self> {
        rustix::fs::flock(f, rustix::fs::FlockOperation::LockExclusive)
            .context("cannot lock the mapping tables")?;
        Ok(Self(f))
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(self.0, rustix::fs::FlockOperation::Unlock);
    }
}

/// The command-line way out of a burned-in refusal.
fn burned_in_hint(e: &radguard_deid::Error) -> &'static str {
    if matches!(e, radguard_deid::Error::BurnedInAnnotation { .. }) {
        " (--option clean-pixel-data cleans the pixels; --allow-burned-in de-identifies the header only)"
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
