//! `radguard wipe`: sanitization of files, folders, free space and block
//! devices (IEEE 2883-2022 Clear by overwrite; NIST SP 800-88 Rev. 2
//! record), with a signed certificate.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::bail;
use radguard_wipe::{
    Certificate, Method, Options, Plan, PlanItem, Progress as WipeProgress, Status, Target, Verify,
    Wiper,
};
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg};
use crate::evidence::{CertArgs, state_dir};
use crate::output::{self, Output, esc};
use crate::progress::{Progress, Unit};

/// Arguments of `radguard wipe`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 every target completed and verified as asked (read the \
assurance level: \"not assured\" is reported on stderr too); 1 a target failed, did not verify or \
was interrupted (the certificate says so), or the certificate could not be saved (it is then \
printed on standard output); 2 nothing was wiped (refused target, bad option, unusable key or \
certificate path); 130/143 interrupted twice (SIGINT/SIGTERM; the first one stops cleanly)."
)]
pub(crate) struct Args {
    /// Files, folders or block devices to sanitize (folders with
    /// --free-space). Symbolic links are never followed.
    #[arg(required = true, value_name = "TARGET")]
    targets: Vec<PathBuf>,

    /// clear (1 pass of zeros, NIST Clear), random (1 pass of a keyed
    /// ChaCha8 stream), dod3 / dod7 (legacy, obsolete), pattern:HEX, and
    /// for block devices zeroout (BLKZEROOUT) or discard (BLKDISCARD).
    #[arg(long, default_value = "clear", value_parser = parse_method)]
    method: Method,

    /// Read back: none, last (pass), all (passes), or sample (NIST-style
    /// pseudorandom samples, about 10 %).
    #[arg(long, default_value = "last", value_parser = parse_verify)]
    verify: Verify,

    /// List exactly what would be wiped, and the level it would reach;
    /// write nothing.
    #[arg(long)]
    dry_run: bool,

    /// Override the refusal of mounted or in-use targets, the device
    /// holding `/`, and files with other hard links. Recorded in the
    /// certificate.
    #[arg(long)]
    force: bool,

    /// Treat each TARGET as a folder on a mounted filesystem and sanitize
    /// that filesystem's free space (fill, overwrite, verify, release).
    #[arg(long)]
    free_space: bool,

    #[command(flatten)]
    cert: CertArgs,

    #[command(flatten)]
    audit: AuditArg,
}

fn parse_method(s: &str) -> Result<Method, String> {
    s.parse().map_err(|e: radguard_wipe::Error| e.to_string())
}

fn parse_verify(s: &str) -> Result<Verify, String> {
    s.parse().map_err(|e: radguard_wipe::Error| e.to_string())
}

#[derive(Serialize)]
struct PlanJson<'a> {
    dry_run: bool,
    method: String,
    verify: Verify,
    items: Vec<PlanItemJson<'a>>,
}

#[derive(Serialize)]
struct PlanItemJson<'a> {
    path: String,
    kind: Option<radguard_wipe::TargetKind>,
    bytes: u64,
    files: Vec<String>,
    folders: u64,
    symlinks: u64,
    allowed: bool,
    refusals: Vec<String>,
    warnings: &'a [String],
    expected_assurance: &'a radguard_wipe::Assurance,
}

#[derive(Serialize)]
struct DoneJson<'a> {
    certificate_file: String,
    /// `false` when the certificate could not be saved: it is in
    /// `signed_certificate` instead.
    certificate_saved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_certificate: Option<serde_json::Value>,
    certificate: &'a Certificate,
}

pub(crate) fn run(
    args: &Args,
    out: Output,
    interrupted: &Arc<AtomicBool>,
) -> anyhow::Result<Outcome> {
    let mut options = Options::new()
        .method(args.method.clone())
        .verify(args.verify)
        .force(args.force);
    if let Some(d) = state_dir() {
        options = options.state_dir(d);
    }
    let wiper = Wiper::new(options);
    let targets: Vec<Target> = args
        .targets
        .iter()
        .map(|p| {
            if args.free_space {
                Target::FreeSpace(p.clone())
            } else {
                Target::Path(p.clone())
            }
        })
        .collect();
    let plan = wiper.plan(&targets);
    if args.dry_run {
        print_plan(&plan, args, out, true)?;
        return Ok(if plan.all_allowed() {
            Outcome::AllDone
        } else {
            Outcome::SomeFailed
        });
    }
    if !plan.all_allowed() {
        print_plan(&plan, args, out, false)?;
        bail!("nothing was wiped: some targets are refused (see above)");
    }
    for item in plan.items() {
        for w in &item.warnings {
            out.warn(format_args!("{}: {w}", output::path(&item.path)));
        }
    }
    // Everything that can fail before writing does so now: the key, the
    // certificate file (opened now) and the audit file.
    let audit = Audit::open(&args.audit)?;
    // The certificate must survive the wipe.
    let cert_dir = args
        .cert
        .path
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .canonicalize()?;
    for item in plan.items() {
        if item.kind == Some(radguard_wipe::TargetKind::Folder)
            && let Ok(t) = item.path.canonicalize()
            && cert_dir.starts_with(&t)
        {
            bail!(
                "the certificate would be written inside {}, which is being wiped",
                output::path(&item.path)
            );
        }
    }
    let cert_out = args.cert.prepare("wipe-certificate", out)?;
    let cert_path = cert_out.path.clone();

    let progress = Progress::new(out, plan.work_bytes(), Unit::Bytes, "wipe");
    let flag = Arc::clone(interrupted);
    let mut observer = |p: &WipeProgress| {
        progress.inc(p.delta);
        if flag.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let reports = wiper.execute(&plan, &mut observer);
    progress.finish();

    let names: Vec<String> = args
        .targets
        .iter()
        .map(|t| t.display().to_string())
        .collect();
    let written = cert_out.write(reports, &names, &args.cert, out)?;
    let cert = &written.cert;
    audit.record_all(&audit_records(cert))?;
    audit.finish()?;

    if out.is_json() {
        out.json(&DoneJson {
            certificate_file: cert_path.display().to_string(),
            certificate_saved: written.saved,
            signed_certificate: (!written.saved)
                .then(|| serde_json::from_str(&written.signed_json).ok())
                .flatten(),
            certificate: cert,
        })?;
    } else {
        for it in &cert.items {
            out.line(format_args!(
                "{:<12} {}  [{}; {}]",
                it.status.to_string(),
                esc(&it.target.path),
                it.target.kind,
                it.assurance.level
            ));
            if let Some(e) = &it.error {
                out.line(format_args!("             error: {}", esc(e)));
            }
        }
        out.line(format_args!(
            "outcome: {}, assurance: {}",
            cert.outcome, cert.assurance_level
        ));
        if written.saved {
            out.line(format_args!(
                "certificate: {} (signed by {})",
                output::path(&cert_path),
                esc(&cert.signer.key_id)
            ));
        } else {
            out.line("certificate: NOT SAVED (printed above; save it)");
        }
    }
    let ok = written.saved
        && cert.outcome == radguard_wipe::Outcome::Completed
        && cert.items.iter().all(|i| i.status == Status::Completed);
    for it in &cert.items {
        if it.status == Status::Completed
            && it.assurance.level == radguard_wipe::AssuranceLevel::NotAssured
        {
            out.warn(format_args!(
                "{}: not assured: {}",
                esc(&it.target.path),
                esc(it.assurance.reasons.first().map_or("", String::as_str))
            ));
        }
    }
    if interrupted.load(Ordering::Relaxed) {
        out.warn("interrupted: the certificate records an incomplete wipe");
    }
    Ok(if ok {
        Outcome::AllDone
    } else {
        Outcome::SomeFailed
    })
}

/// One PHI-free audit record per certificate item: the target as the
/// operator named it, the outcome and the byte counts.
fn audit_records(cert: &Certificate) -> Vec<radguard_core::AuditRecord> {
    use radguard_core::{AuditRecord, Label, Operation, Reason, Status as AuditStatus};
    cert.items
        .iter()
        .map(|it| {
            let status = if it.status == Status::Completed {
                AuditStatus::Done
            } else {
                AuditStatus::Failed
            };
            let mut rec = AuditRecord::new(Operation::Wipe, status)
                .with_input(&it.target.path)
                .with_label(Label::new(match it.assurance.level {
                    radguard_wipe::AssuranceLevel::ClearLogical => "clear_logical",
                    _ => "not_assured",
                }))
                .with_count(Label::new("files"), it.target.files)
                .with_count(Label::new("folders"), it.target.folders)
                .with_count(Label::new("bytes"), it.target.bytes)
                .with_count(Label::new("bytes_written"), it.bytes_written);
            rec = match it.status {
                Status::Completed => rec,
                Status::Interrupted => rec.with_reason(Reason::code("interrupted")),
                Status::NotStarted => rec.with_reason(Reason::code("not_started")),
                _ => rec.with_reason(Reason::code("failed")),
            };
            rec
        })
        .collect()
}

/// The item's refusals, with a hint on those `--force` overrides.
fn refusals(item: &PlanItem) -> Vec<String> {
    item.refusals
        .iter()
        .map(|r| {
            if item.force_overrides(r) {
                format!("{r} (use --force to override)")
            } else {
                r.clone()
            }
        })
        .collect()
}

fn print_plan(plan: &Plan, args: &Args, out: Output, dry_run: bool) -> anyhow::Result<()> {
    if out.is_json() {
        let items = plan
            .items()
            .iter()
            .map(|i| PlanItemJson {
                path: i.path.display().to_string(),
                kind: i.kind,
                bytes: i.bytes,
                files: i.files.iter().map(|f| f.display().to_string()).collect(),
                folders: i.folders,
                symlinks: i.symlinks,
                allowed: i.is_allowed(),
                refusals: refusals(i),
                warnings: &i.warnings,
                expected_assurance: &i.expected,
            })
            .collect();
        return out.json(&PlanJson {
            dry_run,
            method: args.method.to_string(),
            verify: args.verify,
            items,
        });
    }
    if dry_run {
        out.line(format_args!(
            "dry run: nothing is written. method {} ({}), verify {}",
            args.method,
            args.method.description(),
            args.verify
        ));
    }
    for i in plan.items() {
        let kind = i.kind.map_or_else(|| "?".to_owned(), |k| k.to_string());
        let verdict = if i.is_allowed() {
            "would wipe"
        } else {
            "REFUSED"
        };
        let contents = match i.kind {
            Some(radguard_wipe::TargetKind::Folder) => format!(
                ", {} files, {} folders, {} symbolic links (removed, not followed)",
                i.files.len(),
                i.folders,
                i.symlinks
            ),
            _ => String::new(),
        };
        out.line(format_args!(
            "{verdict}: {} ({kind}, {} bytes{contents})",
            output::path(&i.path),
            i.bytes
        ));
        for r in refusals(i) {
            out.line(format_args!("  refused: {}", esc(r)));
        }
        for w in &i.warnings {
            out.line(format_args!("  warning: {}", esc(w)));
        }
        if dry_run && i.kind != Some(radguard_wipe::TargetKind::File) {
            for f in &i.files {
                out.line(format_args!("  file: {}", output::path(f)));
            }
        }
        if let Some(t) = &i.media.media_type {
            out.line(format_args!("  media: {}", esc(t)));
        }
        if i.is_allowed() {
            out.line(format_args!("  expected assurance: {}", i.expected.level));
            for r in &i.expected.reasons {
                out.line(format_args!("    - {}", esc(r)));
            }
        }
    }
    Ok(())
}
