//! `radguard risk`: explainable risk scoring of imaging devices (MIRS).
//!
//! - `radguard risk score INVENTORY (--kev F | --no-kev) (--epss F | --no-epss)
//!   [--as-of DATE] [--format table|json|jsonl|csv|html] [-o F]`
//! - `radguard risk cvss VECTOR` (score and severity; `--json` for machine output)
//! - `radguard risk explain INVENTORY DEVICE_ID`
//!
//! Fails closed: scoring without KEV or EPSS data is an error unless waived
//! with `--no-kev` / `--no-epss`; every input is read with a size limit
//! (after decompression). Reports are streamed: a 100,000-device fleet
//! keeps one summary row per device in memory, and each device's
//! explanation is computed as it is written.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use radguard_core::printable;
use radguard_risk::cvss::Cvss;
use radguard_risk::report::{self, HtmlOptions};
use radguard_risk::{
    Date, EpssSnapshot, Fleet, Inventory, InventoryFormat, KevCatalog, OsLifecycle, Scorer,
    ThreatContext, ThreatDataError, Tier, Weights, limits,
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
    /// A text table, worst device first.
    Table,
    /// One JSON document (streamed).
    Json,
    /// JSON Lines: one device's full assessment per line.
    Jsonl,
    /// One CSV row per device.
    Csv,
    /// One self-contained HTML page (the worst devices; with -o, the full
    /// CSV is written next to it and linked).
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
    /// CISA KEV catalog (`.json` or `.csv`, optionally `.gz`). Required
    /// unless --no-kev.
    #[arg(long, value_name = "FILE")]
    kev: Option<PathBuf>,
    /// Score without a KEV catalog, deliberately: every finding is then
    /// read as not known to be exploited, and every device says so.
    #[arg(long, conflicts_with = "kev")]
    no_kev: bool,
    /// FIRST EPSS scores (`.csv` with the `#model_version` line, optionally
    /// `.gz`). Required unless --no-epss.
    #[arg(long, value_name = "FILE")]
    epss: Option<PathBuf>,
    /// Score without EPSS scores, deliberately (every device says so).
    #[arg(long, conflicts_with = "epss")]
    no_epss: bool,
    /// Evaluation date (YYYY-MM-DD, not in the future). Default: the
    /// inventory's `as_of`, else today (UTC).
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
    /// Inventory file (`.json`, `.yaml`/`.yml` or `.csv`, optionally `.gz`).
    inventory: PathBuf,
    #[command(flatten)]
    common: Common,
    /// Output format (the global `--json` implies json).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the report to this file (atomically) instead of stdout. With
    /// --format html, the full CSV report is written next to it (same name,
    /// `.csv`) and linked from the page.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the output file(s) if they exist.
    #[arg(long)]
    overwrite: bool,
    /// HTML: how many devices (worst first) the device table lists.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    html_rows: usize,
    /// HTML: how many devices (worst first) are explained in full.
    #[arg(long, value_name = "N", default_value_t = 100)]
    html_details: usize,
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

/// Reads a file as text, decompressing `.gz`, with at most `limit` bytes
/// (after decompression: a small gzip bomb stops there). Returns the text
/// and the file name without `.gz`.
fn read_text(path: &Path, what: &str, limit: u64) -> anyhow::Result<(String, String)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the {what} file {}", path.display()))?;
    let (reader, name, gz): (Box<dyn Read>, String, bool) = match name.strip_suffix(".gz") {
        Some(stem) => (
            Box::new(flate2::read::GzDecoder::new(io::BufReader::new(file))),
            stem.to_owned(),
            true,
        ),
        None => (Box::new(io::BufReader::new(file)), name, false),
    };
    match limits::read_to_string(reader, limit) {
        Ok(text) => Ok((text, name)),
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => Err(anyhow!(
            "the {what} file {} is larger than {} MiB{}",
            path.display(),
            limit >> 20,
            if gz { " once decompressed" } else { "" }
        )),
        Err(e) => Err(e).with_context(|| {
            format!(
                "cannot {} the {what} file {}",
                if gz { "decompress" } else { "read" },
                path.display()
            )
        }),
    }
}

fn load_inventory(path: &Path) -> anyhow::Result<Inventory> {
    let (text, name) = read_text(path, "inventory", limits::MAX_INVENTORY_BYTES)?;
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

/// The evaluation date: `--as-of`, else the inventory's, else today; never
/// in the future.
fn as_of(common: &Common, inv: &Inventory, out: Output) -> anyhow::Result<Date> {
    let today = today_utc().ok_or_else(|| anyhow!("the system clock is before 1970"))?;
    let (date, given) = match (&common.as_of, inv.as_of) {
        (Some(s), _) => (Date::parse(s).context("--as-of")?, "--as-of"),
        (None, Some(d)) => (d, "the inventory's as_of"),
        (None, None) => {
            out.warn(format_args!(
                "no --as-of given and none in the inventory: using today ({today}); pass --as-of for reproducible output"
            ));
            (today, "today")
        }
    };
    // A day of slack for time zones.
    if date.days_since(today) > 1 {
        bail!(
            "{given} {date} is in the future (today is {today}): a score cannot use data not yet published"
        );
    }
    Ok(date)
}

fn threat(common: &Common) -> anyhow::Result<ThreatContext> {
    let mut threat = ThreatContext::new();
    if let Some(p) = &common.kev {
        let (text, name) = read_text(p, "KEV", limits::MAX_KEV_BYTES)?;
        let kev = if name.to_ascii_lowercase().ends_with(".csv") {
            KevCatalog::from_csv(text.as_bytes())
        } else {
            KevCatalog::from_json(&text)
        }
        .with_context(|| format!("invalid KEV catalog {}", p.display()))?;
        threat = threat.with_kev(kev);
    } else if common.no_kev {
        threat = threat.without_kev();
    }
    if let Some(p) = &common.epss {
        let (text, _) = read_text(p, "EPSS", limits::MAX_EPSS_BYTES)?;
        let epss = EpssSnapshot::from_csv_str(&text)
            .with_context(|| format!("invalid EPSS file {}", p.display()))?;
        threat = threat.with_epss(epss);
    } else if common.no_epss {
        threat = threat.without_epss();
    }
    Ok(threat)
}

/// The scorer, its threat data checked: missing data not waived, EPSS from
/// after the evaluation date and implausible dates are errors; stale data
/// is a warning.
fn scorer(common: &Common, inv: &Inventory, out: Output) -> anyhow::Result<Scorer> {
    let as_of = as_of(common, inv, out)?;
    let mut s = Scorer::new(as_of).with_threat(threat(common)?);
    match s.check() {
        Ok(warnings) => {
            for w in warnings {
                out.warn(printable(&w));
            }
        }
        Err(e @ ThreatDataError::Missing { file, .. }) => {
            let flag = file.to_ascii_lowercase();
            bail!(
                "{e}; pass --{flag} FILE, or --no-{flag} to score without it (every device will say so)"
            );
        }
        Err(e) => {
            return Err(e).context("the threat data cannot be used for this evaluation date");
        }
    }
    if common.no_kev {
        out.warn("scoring without a KEV catalog (--no-kev): known exploitation is not checked");
    }
    if common.no_epss {
        out.warn("scoring without EPSS scores (--no-epss): no exploitation forecast");
    }
    if let Some(p) = &common.weights {
        let (text, _) = read_text(p, "weights", limits::MAX_WEIGHTS_BYTES)?;
        s = s.with_weights(
            Weights::from_json(&text)
                .with_context(|| format!("invalid weights {}", p.display()))?,
        );
    }
    if let Some(p) = &common.os_eol {
        let (text, name) = read_text(p, "OS lifecycle", limits::MAX_OS_LIFECYCLE_BYTES)?;
        let site = OsLifecycle::from_csv(text.as_bytes(), &name)
            .with_context(|| format!("invalid OS lifecycle table {}", p.display()))?;
        s = s.with_os_lifecycle(OsLifecycle::bundled().merged(site));
    }
    Ok(s)
}

/// Renders `fleet` in `format` to `w`.
fn render(
    w: &mut dyn Write,
    format: Format,
    fleet: &Fleet<'_>,
    html: &HtmlOptions,
) -> io::Result<()> {
    match format {
        Format::Table => report::write_table(w, fleet),
        Format::Json => {
            report::write_json(w, fleet)?;
            w.write_all(b"\n")
        }
        Format::Jsonl => report::write_jsonl(w, fleet),
        Format::Csv => report::write_csv(w, fleet),
        Format::Html => report::write_html(w, fleet, html),
    }
}

/// A report written straight into the formatter that prints it, in chunks,
/// instead of built as one string: `out.line(Streamed { .. })` streams it
/// to stdout. The final newline is left to `out.line`.
struct Streamed<'f, 'a> {
    format: Format,
    fleet: &'f Fleet<'a>,
    html: &'f HtmlOptions,
}

impl fmt::Display for Streamed<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = FmtWriter {
            f: RefCell::new(f),
            buf: Vec::with_capacity(1 << 16),
        };
        render(&mut w, self.format, self.fleet, self.html).map_err(|_| fmt::Error)?;
        w.drain(true).map_err(|_| fmt::Error)
    }
}

/// An [`io::Write`] over a [`fmt::Formatter`], passing on whole UTF-8
/// characters in chunks of about 64 KiB.
struct FmtWriter<'a, 'b> {
    f: RefCell<&'a mut fmt::Formatter<'b>>,
    buf: Vec<u8>,
}

impl FmtWriter<'_, '_> {
    /// Passes on the buffered complete characters, keeping a trailing
    /// newline back (the very last one belongs to `out.line`), and drops
    /// that newline at the `end`.
    fn drain(&mut self, end: bool) -> io::Result<()> {
        let valid = match std::str::from_utf8(&self.buf) {
            Ok(s) => s.len(),
            Err(e) => e.valid_up_to(),
        };
        let upto = if self.buf[..valid].ends_with(b"\n") {
            valid - 1
        } else {
            valid
        };
        let text = std::str::from_utf8(&self.buf[..upto]).map_err(io::Error::other)?;
        self.f
            .borrow_mut()
            .write_str(text)
            .map_err(io::Error::other)?;
        if end {
            self.buf.clear();
        } else {
            self.buf.drain(..upto);
        }
        Ok(())
    }
}

impl Write for FmtWriter<'_, '_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 1 << 16 {
            self.drain(false)?;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Creates the atomic output file at `path`, refusing to replace one
/// unless `overwrite`.
fn create_output(path: &Path, overwrite: bool) -> anyhow::Result<radguard_core::fs::AtomicFile> {
    if !overwrite && path.exists() {
        bail!("{} exists; pass --overwrite to replace it", path.display());
    }
    let opts = radguard_core::fs::AtomicOptions::new().overwrite(overwrite);
    radguard_core::fs::AtomicFile::create(path, &opts)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Streams the report of `fleet` to `path` (and, for HTML, the full CSV
/// next to it), atomically: neither name appears unless both files were
/// written completely. Returns the paths written.
fn write_files(
    a: &ScoreArgs,
    path: &Path,
    format: Format,
    fleet: &Fleet<'_>,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut html = HtmlOptions::new().rows(a.html_rows).details(a.html_details);
    let mut files = vec![(path.to_path_buf(), format)];
    if format == Format::Html {
        let csv = path.with_extension("csv");
        if csv == path {
            bail!(
                "{}: an HTML report needs a name that does not end in .csv (its full CSV is written next to it)",
                path.display()
            );
        }
        let name = csv
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        html = html.csv_link(name);
        files.push((csv, Format::Csv));
    }
    // Every refusal before anything is written.
    let mut open = Vec::new();
    for (p, f) in &files {
        open.push((create_output(p, a.overwrite)?, *f, p));
    }
    let mut written = Vec::new();
    for (file, f, p) in open {
        let mut w = BufWriter::with_capacity(1 << 16, file);
        render(&mut w, f, fleet, &html)
            .and_then(|()| w.flush())
            .with_context(|| format!("cannot write {}", p.display()))?;
        let file = w
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
            .with_context(|| format!("cannot write {}", p.display()))?;
        written.push(file);
    }
    for (p, r) in radguard_core::fs::commit_all(written) {
        r.with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

fn score(a: &ScoreArgs, out: Output) -> anyhow::Result<Outcome> {
    let audit = Audit::open(&a.audit)?;
    let started = now_ms();
    let inv = load_inventory(&a.inventory)?;
    let s = scorer(&a.common, &inv, out)?;
    let fleet = s.fleet(&inv);
    let format = if out.is_json() {
        Format::Json
    } else {
        a.format
    };
    match &a.output {
        Some(path) => {
            let written = write_files(a, path, format, &fleet)?;
            out.line(format_args!(
                "wrote {} ({} devices, {}) to {}",
                match format {
                    Format::Table => "table",
                    Format::Json => "JSON",
                    Format::Jsonl => "JSON Lines",
                    Format::Csv => "CSV",
                    Format::Html => "HTML report and its full CSV",
                },
                fleet.summary.devices,
                fleet
                    .summary
                    .by_tier
                    .iter()
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                written
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
            if out.is_json() {
                out.json(&serde_json::json!({ "output": path.display().to_string(), "devices": fleet.summary.devices }))?;
            }
        }
        None if out.is_json() => out.json(&fleet)?,
        None => out.line(Streamed {
            format,
            fleet: &fleet,
            html: &HtmlOptions::new().rows(a.html_rows).details(a.html_details),
        }),
    }
    audit.record(&score_record(a, &inv, &fleet, started))?;
    audit.finish()?;
    let threshold = a.fail_on.map(|f| match f {
        FailOn::Critical => Tier::Critical,
        FailOn::High => Tier::High,
        FailOn::Medium => Tier::Medium,
    });
    Ok(match threshold {
        Some(t) if fleet.rows.iter().any(|d| d.tier >= t) => Outcome::SomeFailed,
        _ => Outcome::AllDone,
    })
}

/// The audit record of a scoring run: counts only (devices, findings, one
/// count per tier), never device names or addresses.
fn score_record(
    a: &ScoreArgs,
    inv: &Inventory,
    fleet: &Fleet<'_>,
    started: u64,
) -> radguard_core::AuditRecord {
    use radguard_core::{AuditRecord, Label, Operation, Status};
    let mut rec = AuditRecord::new(Operation::RiskScore, Status::Done)
        .with_input(&a.inventory.display().to_string())
        .with_count(Label::new("devices"), fleet.rows.len() as u64)
        .with_count(
            Label::new("findings"),
            inv.devices.iter().map(|d| d.findings.len() as u64).sum(),
        );
    for tier in [Tier::Critical, Tier::High, Tier::Medium, Tier::Low] {
        let n = fleet.rows.iter().filter(|d| d.tier == tier).count() as u64;
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
                "no device \"{}\" in {} ({} devices)",
                printable(&a.device_id),
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
