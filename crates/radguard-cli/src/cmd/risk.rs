//! `radguard risk`: explainable risk scoring of imaging devices (MIRS).
//!
//! - `radguard risk score INVENTORY [--kev F] [--epss F] [--as-of DATE]
//!   [--format table|json|csv|html] [-o F]`
//! - `radguard risk cvss VECTOR` (score and severity; `--json` for machine output)
//! - `radguard risk explain INVENTORY DEVICE_ID`

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use radguard_risk::cvss::Cvss;
use radguard_risk::{
    Date, EpssSnapshot, Inventory, InventoryFormat, KevCatalog, OsLifecycle, Scorer, ThreatContext,
    Tier, Weights, report,
};
use serde::Serialize;

use crate::Outcome;
use crate::audit::{Audit, AuditArg, now_ms};
use crate::output::Output;

/// Arguments of `radguard risk`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Score every device of an inventory (JSON, YAML or CSV).
    Score(ScoreArgs),
    /// Score one CVSS v3.0/v3.1/v4.0 vector (strict parsing).
    Cvss(CvssArgs),
    /// Explain one device's score: factors, floors, SSVC, plan, data gaps.
    Explain(ExplainArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
}

/// Inputs shared by `score` and `explain`.
#[derive(Debug, clap::Args)]
struct Common {
    /// CISA KEV catalog (`.json` or `.csv`, optionally `.gz`).
    #[arg(long, value_name = "FILE")]
    kev: Option<PathBuf>,
    /// FIRST EPSS scores (`.csv` with the `#model_version` line, optionally `.gz`).
    #[arg(long, value_name = "FILE")]
    epss: Option<PathBuf>,
    /// Evaluation date (YYYY-MM-DD). Default: the inventory's `as_of`, else today (UTC).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Site weights overriding the shipped ones (JSON, partial allowed).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// OS lifecycle CSV whose rows replace or extend the bundled table.
    #[arg(long, value_name = "FILE")]
    os_eol: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ScoreArgs {
    /// Inventory file (`.json`, `.yaml`/`.yml` or `.csv`).
    inventory: PathBuf,
    #[command(flatten)]
    common: Common,
    /// Output format (the global `--json` implies json).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the report to this file (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    overwrite: bool,
    /// Exit with code 1 when any device is at or above this tier.
    #[arg(long, value_enum, value_name = "TIER")]
    fail_on: Option<FailOn>,
    #[command(flatten)]
    audit: AuditArg,
}

#[derive(Debug, clap::Args)]
struct CvssArgs {
    /// The vector, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.
    vector: String,
    /// Accept CVSS 4.0 metrics in any order (they are printed canonically).
    #[arg(long)]
    lenient: bool,
}

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// Inventory file.
    inventory: PathBuf,
    /// The device id.
    device_id: String,
    #[command(flatten)]
    common: Common,
}

pub(crate) fn run(args: &Args, out: Output) -> anyhow::Result<Outcome> {
    match &args.command {
        Sub::Score(a) => score(a, out),
        Sub::Cvss(a) => cvss(a, out),
        Sub::Explain(a) => explain(a, out),
    }
}

/// Reads a file, decompressing `.gz`. Returns the text and the file name
/// without `.gz`.
fn read_text(path: &Path, what: &str) -> anyhow::Result<(String, String)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the {what} file {}", path.display()))?;
    let mut text = String::new();
    if let Some(stem) = name.strip_suffix(".gz") {
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot decompress the {what} file {}", path.display()))?;
        Ok((text, stem.to_owned()))
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read the {what} file {} as UTF-8", path.display()))?;
        Ok((text, name))
    }
}

fn load_inventory(path: &Path) -> anyhow::Result<Inventory> {
    let (text, name) = read_text(path, "inventory")?;
    let format = InventoryFormat::from_extension(&name).ok_or_else(|| {
        anyhow!(
            "cannot tell the inventory format of {}: use a .json, .yaml, .yml or .csv name",
            path.display()
        )
    })?;
    Inventory::parse(&text, format).with_context(|| format!("invalid inventory {}", path.display()))
}

fn today_utc() -> Option<Date> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Date::from_unix_days(i64::try_from(secs / 86_400).ok()?)
}

fn scorer(common: &Common, inv: &Inventory, out: Output) -> anyhow::Result<Scorer> {
    let as_of = match (&common.as_of, inv.as_of) {
        (Some(s), _) => Date::parse(s).context("--as-of")?,
        (None, Some(d)) => d,
        (None, None) => {
            let d = today_utc().ok_or_else(|| anyhow!("the system clock is before 1970"))?;
            out.warn(format_args!(
                "no --as-of given and none in the inventory: using today ({d}); pass --as-of for reproducible output"
            ));
            d
        }
    };
    let mut threat = ThreatContext::new();
    if let Some(p) = &common.kev {
        let (text, name) = read_text(p, "KEV")?;
        let kev = if name.to_ascii_lowercase().ends_with(".csv") {
            KevCatalog::from_csv(text.as_bytes())
        } else {
            KevCatalog::from_json(&text)
        }
        .with_context(|| format!("invalid KEV catalog {}", p.display()))?;
        threat = threat.with_kev(kev);
    }
    if let Some(p) = &common.epss {
        let (text, _) = read_text(p, "EPSS")?;
        let epss = EpssSnapshot::from_csv_str(&text)
            .with_context(|| format!("invalid EPSS file {}", p.display()))?;
        threat = threat.with_epss(epss);
    }
    let mut s = Scorer::new(as_of).with_threat(threat);
    if let Some(p) = &common.weights {
        let (text, _) = read_text(p, "weights")?;
        s = s.with_weights(
            Weights::from_json(&text)
                .with_context(|| format!("invalid weights {}", p.display()))?,
        );
    }
    if let Some(p) = &common.os_eol {
        let (text, name) = read_text(p, "OS lifecycle")?;
        let site = OsLifecycle::from_csv(text.as_bytes(), &name)
            .with_context(|| format!("invalid OS lifecycle table {}", p.display()))?;
        s = s.with_os_lifecycle(OsLifecycle::bundled().merged(site));
    }
    Ok(s)
}

/// Writes the report atomically (see [`radguard_core::fs`]), refusing
/// to replace an existing file unless `overwrite`.
fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> anyhow::Result<()> {
    if !overwrite && path.exists() {
        bail!("{} exists; pass --overwrite to replace it", path.display());
    }
    let opts = radguard_core::fs::AtomicOptions::new().overwrite(overwrite);
    radguard_core::fs::write_atomic(path, bytes, &opts)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn score(a: &ScoreArgs, out: Output) -> anyhow::Result<Outcome> {
    let audit = Audit::open(&a.audit)?;
    let started = now_ms();
    let inv = load_inventory(&a.inventory)?;
    let s = scorer(&a.common, &inv, out)?;
    let r = s.assess_inventory(&inv);
    let format = if out.is_json() {
        Format::Json
    } else {
        a.format
    };
    let text = match format {
        Format::Table => report::table(&r),
        Format::Json => report::json(&r),
        Format::Csv => report::csv(&r),
        Format::Html => report::html(&r),
    };
    match &a.output {
        Some(path) => {
            write_atomic(path, text.as_bytes(), a.overwrite)?;
            out.line(format_args!(
                "wrote {} ({} devices, {}) to {}",
                match format {
                    Format::Table => "table",
                    Format::Json => "JSON",
                    Format::Csv => "CSV",
                    Format::Html => "HTML report",
                },
                r.summary.devices,
                r.summary
                    .by_tier
                    .iter()
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                path.display()
            ));
            if out.is_json() {
                out.json(&serde_json::json!({ "output": path.display().to_string(), "devices": r.summary.devices }))?;
            }
        }
        None if out.is_json() => out.json(&r)?,
        None => out.line(text.trim_end()),
    }
    audit.record(&score_record(a, &r, started))?;
    audit.finish()?;
    let threshold = a.fail_on.map(|f| match f {
        FailOn::Critical => Tier::Critical,
        FailOn::High => Tier::High,
        FailOn::Medium => Tier::Medium,
    });
    Ok(match threshold {
        Some(t) if r.devices.iter().any(|d| d.tier >= t) => Outcome::SomeFailed,
        _ => Outcome::AllDone,
    })
}

/// The audit record of a scoring run: counts only (devices, findings, one
/// count per tier), never device names or addresses.
fn score_record(
    a: &ScoreArgs,
    r: &radguard_risk::FleetReport,
    started: u64,
) -> radguard_core::AuditRecord {
    use radguard_core::{AuditRecord, Label, Operation, Status};
    let mut rec = AuditRecord::new(Operation::RiskScore, Status::Done)
        .with_input(&a.inventory.display().to_string())
        .with_count(Label::new("devices"), r.devices.len() as u64)
        .with_count(
            Label::new("findings"),
            r.devices.iter().map(|d| d.findings.len() as u64).sum(),
        );
    for tier in [Tier::Critical, Tier::High, Tier::Medium, Tier::Low] {
        let n = r.devices.iter().filter(|d| d.tier == tier).count() as u64;
        let label = match tier {
            Tier::Critical => "tier_critical",
            Tier::High => "tier_high",
            Tier::Medium => "tier_medium",
            _ => "tier_low",
        };
        rec = rec.with_count(Label::new(label), n);
    }
    if let Some(o) = &a.output {
        rec = rec.with_output(&o.display().to_string());
    }
    rec.with_times(started, now_ms())
}

#[derive(Serialize)]
struct CvssReport {
    vector: String,
    version: &'static str,
    score: f64,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temporal_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environmental_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    macro_vector: Option<String>,
}

fn cvss(a: &CvssArgs, out: Output) -> anyhow::Result<Outcome> {
    let v = if a.lenient {
        Cvss::parse_lenient(a.vector.trim())
    } else {
        Cvss::parse(a.vector.trim())
    }
    .context("invalid CVSS vector")?;
    let mut r = CvssReport {
        vector: v.to_string(),
        version: v.version(),
        score: v.score(),
        severity: v.severity().as_str(),
        base_score: None,
        temporal_score: None,
        environmental_score: None,
        macro_vector: None,
    };
    match &v {
        Cvss::V3(x) => {
            r.base_score = Some(x.base_score());
            r.temporal_score = Some(x.temporal_score());
            r.environmental_score = Some(x.environmental_score());
        }
        Cvss::V4(x) => {
            r.macro_vector = Some(x.macro_vector().iter().map(u8::to_string).collect());
        }
        _ => {}
    }
    out.json(&r)?;
    out.line(format_args!("{:.1} {}", r.score, r.severity));
    if let (Some(b), Some(t), Some(e)) = (r.base_score, r.temporal_score, r.environmental_score) {
        out.line(format_args!(
            "base {b:.1}, temporal {t:.1}, environmental {e:.1}"
        ));
    }
    if let Some(m) = &r.macro_vector {
        out.line(format_args!("MacroVector {m}"));
    }
    out.line(format_args!("{}", r.vector));
    Ok(Outcome::AllDone)
}

fn explain(a: &ExplainArgs, out: Output) -> anyhow::Result<Outcome> {
    let inv = load_inventory(&a.inventory)?;
    let device = inv
        .devices
        .iter()
        .find(|d| d.id == a.device_id)
        .ok_or_else(|| {
            anyhow!(
                "no device {:?} in {} ({} devices)",
                a.device_id,
                a.inventory.display(),
                inv.devices.len()
            )
        })?;
    let s = scorer(&a.common, &inv, out)?;
    let mut assessment = s.assess(device);
    if assessment.site.is_none() {
        assessment.site.clone_from(&inv.site);
    }
    out.json(&assessment)?;
    out.line(report::explain_text(&assessment).trim_end());
    Ok(Outcome::AllDone)
}
