//! `radguard inspect`: a PHI-free structural summary of DICOM files.

use std::path::PathBuf;

use radguard_core::{AuditRecord, Operation, Status};
use radguard_dicom::{Finding, Summary};
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg, now_ms};
use crate::output::{Output, chain};
use crate::progress::{Progress, Unit};

/// Arguments of `radguard inspect`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// DICOM files to inspect.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    audit: AuditArg,
}

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(crate) fn run(args: &Args, out: Output) -> anyhow::Result<Outcome> {
    let audit = Audit::open(&args.audit)?;
    let started = now_ms();
    let progress = Progress::new(out, args.files.len() as u64, Unit::Files, "inspect");
    let results: Vec<(String, Result<Summary, radguard_dicom::Error>)> = args
        .files
        .iter()
        .map(|f| {
            let r = radguard_dicom::ReadOptions::new()
                .allow_truncated(true)
                .summarize(f);
            progress.inc(1);
            (f.display().to_string(), r)
        })
        .collect();
    progress.finish();
    let mut failed = 0usize;
    let mut reports = Vec::new();
    for (file, r) in &results {
        match r {
            Ok(s) => {
                if !out.is_json() {
                    print_human(out, file, s);
                }
                reports.push(Report {
                    file: file.clone(),
                    summary: Some(s),
                    error: None,
                });
            }
            Err(e) => {
                failed += 1;
                if !out.is_json() {
                    out.line(format_args!("{file}\n  error: {}", chain(e)));
                }
                reports.push(Report {
                    file: file.clone(),
                    summary: None,
                    error: Some(chain(e)),
                });
            }
        }
    }
    let records: Vec<AuditRecord> = results
        .iter()
        .map(|(file, r)| {
            let rec = match r {
                Ok(_) => AuditRecord::new(Operation::Inspect, Status::Done),
                Err(e) => {
                    AuditRecord::new(Operation::Inspect, Status::Failed).with_reason(e.reason())
                }
            };
            rec.with_input(file).with_times(started, now_ms())
        })
        .collect();
    audit.record_all(&records)?;
    audit.finish()?;
    out.json(&reports)?;
    Ok(if failed == 0 {
        Outcome::AllDone
    } else {
        Outcome::SomeFailed
    })
}

fn print_human(out: Output, file: &str, s: &Summary) {
    out.line(file);
    let ts = &s.transfer_syntax;
    out.line(format_args!(
        "  transfer syntax   {} ({})",
        ts.uid,
        ts.name.unwrap_or("unknown")
    ));
    match &s.sop_class {
        Some(c) => out.line(format_args!(
            "  SOP class         {} ({})",
            c.uid,
            c.name.unwrap_or("unknown")
        )),
        None => out.line("  SOP class         absent"),
    }
    if let Some(m) = &s.modality {
        out.line(format_args!("  modality          {m}"));
    }
    out.line(format_args!(
        "  elements          {} (max sequence depth {})",
        s.element_count, s.max_depth
    ));
    match &s.pixel_data {
        Some(p) => {
            let kind = if p.encapsulated {
                format!("encapsulated, {} fragments", p.fragments.unwrap_or(0))
            } else {
                "native".to_owned()
            };
            let frames = p
                .frames
                .map(|f| format!(", {f} frames"))
                .unwrap_or_default();
            out.line(format_args!(
                "  pixel data        {} bytes {} {} ({kind}{frames})",
                p.bytes, p.tag, p.vr
            ));
        }
        None => out.line("  pixel data        none"),
    }
    if let Some(b) = &s.burned_in_annotation {
        out.line(format_args!("  burned-in annot.  {b}"));
    }
    out.line(format_args!(
        "  preamble          {}",
        match s.preamble {
            radguard_dicom::Preamble::Absent => "absent",
            radguard_dicom::Preamble::Zeros => "128 zero bytes",
            radguard_dicom::Preamble::NonZero => "NON-EMPTY (128 bytes with content)",
            _ => "unknown",
        }
    ));
    out.line(format_args!(
        "  file meta         {}",
        if s.has_file_meta { "present" } else { "absent" }
    ));
    let lengths: Vec<&Finding> = s
        .findings
        .iter()
        .filter(|f| f.kind.is_length_finding())
        .collect();
    if lengths.is_empty() {
        out.line("  malformed lengths none");
    } else {
        out.line(format_args!("  malformed lengths {}", lengths.len()));
        for f in lengths {
            out.line(format_args!("    - {f}"));
        }
    }
    let others: Vec<&Finding> = s
        .findings
        .iter()
        .filter(|f| !f.kind.is_length_finding())
        .collect();
    if !others.is_empty() {
        out.line(format_args!("  other findings    {}", others.len()));
        for f in others {
            out.line(format_args!("    - {f}"));
        }
    }
}
