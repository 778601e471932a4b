//! Rendering a scored fleet: a text table, CSV, JSON, JSON Lines, a
//! per-device text explanation, and one self-contained HTML page.
//!
//! Each format has two forms: a function of a [`FleetReport`] returning a
//! `String` (every assessment already in memory: convenient for small
//! inventories), and a `write_*` function of a [`Fleet`] streaming to an
//! [`io::Write`] in constant memory (each device's explanation is computed
//! as it is written), for inventories of 100,000 devices. Both give the
//! same bytes for the same inventory.
//!
//! All renderers are pure functions of their input (no clock), so a report
//! for a given `as_of` is byte-for-byte reproducible.
//!
//! # Security
//!
//! - Text meant for a terminal ([`table`], [`explain_text`]) shows every
//!   control, bidirectional-override and zero-width character of inventory
//!   values as a visible escape (`\u{1b}`, `\u{202e}`), so a device name
//!   cannot rewrite the screen or reorder what follows
//!   ([`radguard_core::printable`]).
//! - CSV cells that a spreadsheet would read as a formula (starting with
//!   `=`, `+`, `-`, `@`, a tab or a carriage return) are prefixed with `'`.
//! - The HTML page escapes every inventory value (after making it
//!   printable), runs no script at all, and carries a Content-Security-
//!   Policy that allows only its own stylesheet (by hash) and forbids any
//!   network access: the page loads nothing and sends nothing.

use core::fmt::Write as _;
use std::borrow::{Borrow, Cow};
use std::io::{self, Write};

use radguard_core::printable;

use crate::assess::{Assessment, Deciding, DeviceRow, Provenance};
use crate::date::Date;
use crate::fleet::{Fleet, FleetReport, GroupSummary, Summary};
use crate::model::Tier;

fn deciding_text(d: &Deciding) -> String {
    match d {
        Deciding::Floor { rule } => format!("floor {}", rule.code()),
        Deciding::Factor { group, code } => format!("factor {group}:{code}"),
    }
}

/// What every report starts with.
struct Head<'a> {
    model_version: &'static str,
    as_of: Date,
    provenance: &'a Provenance,
    summary: &'a Summary,
}

impl<'a> Head<'a> {
    fn of_report(r: &'a FleetReport) -> Self {
        Self {
            model_version: r.model_version,
            as_of: r.as_of,
            provenance: &r.provenance,
            summary: &r.summary,
        }
    }

    fn of_fleet(f: &'a Fleet<'_>) -> Self {
        Self {
            model_version: f.model_version,
            as_of: f.as_of,
            provenance: &f.provenance,
            summary: &f.summary,
        }
    }
}

/// Writes into a `String` (infallible) and returns it.
fn to_string(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and every renderer writes UTF-8.
    let _ = write(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn or_dash(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

/// A fixed-width text table, worst device first.
#[must_use]
pub fn table(r: &FleetReport) -> String {
    let rows = r.rows();
    to_string(|w| table_into(w, &Head::of_report(r), &rows))
}

/// [`table`] of a [`Fleet`], streamed.
///
/// # Errors
///
/// The writer's error.
pub fn write_table<W: Write + ?Sized>(mut w: &mut W, fleet: &Fleet<'_>) -> io::Result<()> {
    table_into(&mut w, &Head::of_fleet(fleet), &fleet.rows)
}

fn table_into(w: &mut dyn Write, h: &Head<'_>, rows: &[DeviceRow]) -> io::Result<()> {
    writeln!(
        w,
        "MIRS {} as of {} | KEV {} | EPSS {}",
        h.model_version, h.as_of, h.provenance.kev, h.provenance.epss
    )?;
    let tiers: Vec<String> = h
        .summary
        .by_tier
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    writeln!(
        w,
        "{} devices: {}; {} with gaps in their own data",
        h.summary.devices,
        tiers.join(", "),
        h.summary.devices_with_gaps
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "{:<24} {:<12} {:<18} {:<16} {:<24} {:>5} {:<8} {:<13} {:<40} FIRST ACTION",
        "DEVICE", "CLASS", "MANUFACTURER", "MODEL", "OS", "SCORE", "TIER", "SSVC", "DECIDED BY"
    )?;
    for a in rows {
        let first = a.first_action.as_ref().map_or_else(
            || "-".to_owned(),
            |p| format!("{} ({}→{})", p.action.code(), p.before, p.after),
        );
        writeln!(
            w,
            "{:<24} {:<12} {:<18} {:<16} {:<24} {:>5} {:<8} {:<13} {:<40} {}",
            truncate(&a.device_id, 24),
            a.class.label(),
            truncate(or_dash(a.manufacturer.as_deref()), 18),
            truncate(or_dash(a.model.as_deref()), 16),
            truncate(or_dash(a.os.as_deref()), 24),
            a.score,
            a.tier.label(),
            a.ssvc.label(),
            truncate(&deciding_text(&a.deciding), 40),
            first
        )?;
    }
    Ok(())
}

/// `s` made printable, cut to `n` characters.
fn truncate(s: &str, n: usize) -> String {
    let s = printable(s);
    if s.chars().count() <= n {
        s.into_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The full explanation of one device, as text.
#[must_use]
pub fn explain_text(a: &Assessment) -> String {
    let p = |s: &str| printable(s).into_owned();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({}), as of {}",
        p(&a.device_id),
        a.class.label(),
        a.as_of
    );
    let _ = writeln!(
        s,
        "manufacturer {}, model {}, OS {}",
        p(or_dash(a.manufacturer.as_deref())),
        p(or_dash(a.model.as_deref())),
        p(or_dash(a.os.as_deref()))
    );
    let _ = writeln!(
        s,
        "score {} / 100 -> {} ({}); decided by {}",
        a.score,
        a.tier,
        a.sla,
        deciding_text(&a.deciding)
    );
    let c = &a.components;
    let _ = writeln!(
        s,
        "likelihood {:.1} = V {:.1} + X {:.1} + H {:.1} + G {:.1}; impact x{:.2} ({}); raw {:.1}",
        c.likelihood,
        c.v,
        c.x,
        c.h,
        c.g,
        c.impact_multiplier,
        p(&a.impact),
        c.raw
    );
    let _ = writeln!(s, "\nfactors:");
    for f in &a.factors {
        let _ = writeln!(
            s,
            "  {} {:>5.1}  {}: {}",
            f.group,
            f.points,
            f.code,
            p(&f.reason)
        );
        for e in &f.evidence {
            let _ = writeln!(s, "           - {}", p(e));
        }
    }
    if a.floors.is_empty() {
        let _ = writeln!(s, "\nfloors: none");
    } else {
        let _ = writeln!(s, "\nfloors:");
        for f in &a.floors {
            let _ = writeln!(s, "  {:>3}  {}: {}", f.value, f.rule.code(), p(&f.reason));
            for e in &f.evidence {
                let _ = writeln!(s, "        - {}", p(e));
            }
        }
    }
    let _ = writeln!(
        s,
        "\nSSVC (deployer): {} — {}; Human Impact {}",
        a.ssvc.device, a.ssvc.reason, a.ssvc.human_impact
    );
    if let Some(b) = a.ssvc.bod_26_04 {
        let _ = writeln!(s, "CISA BOD 26-04: {b}");
    }
    if let Some(d) = &a.ssvc.disagreement {
        let _ = writeln!(s, "note: {}", p(d));
    }
    if !a.findings.is_empty() {
        let _ = writeln!(s, "\nfindings:");
        for f in &a.findings {
            let _ = writeln!(
                s,
                "  {:<18} CVSS {:>4.1} {:<8} {}{}{} SSVC {} / supplier {}{}",
                p(&f.id),
                f.cvss,
                f.severity.as_str(),
                f.kev_added
                    .as_ref()
                    .map_or(String::new(), |d| format!("KEV {d} ")),
                f.epss.map_or(String::new(), |e| format!("EPSS {e:.3} ")),
                f.vex.map_or(String::new(), |v| format!("VEX {v} ")),
                f.ssvc_deployer,
                f.ssvc_supplier,
                if f.counted { "" } else { " (not counted)" }
            );
            if let Some(v3) = &f.cvss_v3_scores {
                let _ = writeln!(
                    s,
                    "  {:<18} {} score used; base {:.1}, temporal {:.1}, environmental {:.1}",
                    "", v3.used, v3.base, v3.temporal, v3.environmental
                );
            }
        }
    }
    if a.plan.is_empty() {
        let _ = writeln!(s, "\nplan: nothing that lowers the score");
    } else {
        let _ = writeln!(s, "\nplan:");
        for step in &a.plan {
            let _ = writeln!(
                s,
                "  {}. {:>3} -> {:>3} ({}) [{:?}] {} — owner: {}; removes: {}",
                step.rank,
                step.before,
                step.after,
                step.tier_after,
                step.effort,
                p(&step.title),
                p(&step.owner),
                p(&step.reason)
            );
        }
    }
    if !a.data_gaps.is_empty() {
        let _ = writeln!(s, "\ndata gaps ({}):", a.data_gaps.len());
        for g in &a.data_gaps {
            let _ = writeln!(s, "  - {}", p(g));
        }
    }
    if !a.input_gaps.is_empty() {
        let _ = writeln!(s, "\nmissing inputs ({}):", a.input_gaps.len());
        for g in &a.input_gaps {
            let _ = writeln!(s, "  - {}", p(g));
        }
    }
    let pr = &a.provenance;
    let _ = writeln!(
        s,
        "\nprovenance: model {}, weights {}, KEV {}, EPSS {}, OS lifecycle {}, SSVC {}",
        pr.model_version,
        p(&pr.weights),
        pr.kev,
        pr.epss,
        p(&pr.os_lifecycle),
        pr.ssvc
    );
    s
}

/// A CSV cell: spreadsheet formulas neutralised, then quoted per RFC 4180.
fn csv_field(s: &str) -> Cow<'_, str> {
    // A cell starting with one of these is a formula to Excel, LibreOffice
    // and Google Sheets (a leading tab or carriage return is skipped before
    // the `=`), so it gets a leading apostrophe.
    let s: Cow<'_, str> = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        s
    }
}

const CSV_HEADER: &str = "device_id,class,manufacturer,model,os,site,owner,score,tier,decided_by,v,x,h,g,likelihood,impact_multiplier,floors,ssvc,bod_26_04,first_action,first_action_after,data_gaps,findings,as_of,model_version\n";

/// One CSV row per device, worst first.
#[must_use]
pub fn csv(r: &FleetReport) -> String {
    let rows = r.rows();
    to_string(|w| csv_into(w, &Head::of_report(r), &rows))
}

/// [`csv()`] of a [`Fleet`], streamed.
///
/// # Errors
///
/// The writer's error.
pub fn write_csv<W: Write + ?Sized>(mut w: &mut W, fleet: &Fleet<'_>) -> io::Result<()> {
    csv_into(&mut w, &Head::of_fleet(fleet), &fleet.rows)
}

fn csv_into(w: &mut dyn Write, h: &Head<'_>, rows: &[DeviceRow]) -> io::Result<()> {
    w.write_all(CSV_HEADER.as_bytes())?;
    let opt = |s: &Option<String>| csv_field(s.as_deref().unwrap_or("")).into_owned();
    for a in rows {
        let floors: Vec<String> = a
            .floors
            .iter()
            .map(|(rule, v)| format!("{}={v}", rule.code()))
            .collect();
        let c = &a.components;
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{:.1},{:.1},{:.1},{:.1},{:.1},{:.2},{},{},{},{},{},{},{},{},{}",
            csv_field(&a.device_id),
            a.class.label(),
            opt(&a.manufacturer),
            opt(&a.model),
            opt(&a.os),
            opt(&a.site),
            opt(&a.owner),
            a.score,
            a.tier.label(),
            csv_field(&deciding_text(&a.deciding)),
            c.v,
            c.x,
            c.h,
            c.g,
            c.likelihood,
            c.impact_multiplier,
            csv_field(&floors.join(" ")),
            a.ssvc.label(),
            a.bod_26_04
                .map_or(Cow::Borrowed(""), |b| csv_field(b.label())),
            a.first_action.as_ref().map_or("", |p| p.action.code()),
            a.first_action
                .as_ref()
                .map_or(String::new(), |p| p.after.to_string()),
            a.data_gaps,
            a.findings,
            h.as_of,
            h.model_version,
        )?;
    }
    Ok(())
}

/// The report as pretty JSON.
#[must_use]
pub fn json(r: &FleetReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}

/// [`json`] of a [`Fleet`], streamed: the same document, each device
/// assessed as it is written, in constant memory.
///
/// # Errors
///
/// The writer's error.
pub fn write_json<W: Write + ?Sized>(w: &mut W, fleet: &Fleet<'_>) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, fleet).map_err(io::Error::from)?;
    Ok(())
}

/// JSON Lines: one device's full assessment per line, worst first, each
/// computed as it is written (constant memory).
///
/// # Errors
///
/// The writer's error.
pub fn write_jsonl<W: Write + ?Sized>(w: &mut W, fleet: &Fleet<'_>) -> io::Result<()> {
    for a in fleet.assessments() {
        serde_json::to_writer(&mut *w, &a).map_err(io::Error::from)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Escapes text for HTML element content and quoted attribute values.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Inventory text for the page: printable (control and bidirectional
/// characters shown as escapes), then HTML-escaped.
fn esc(s: &str) -> String {
    escape_html(&printable(s))
}

fn tier_class(t: Tier) -> &'static str {
    match t {
        Tier::Critical => "critical",
        Tier::High => "high",
        Tier::Medium => "medium",
        Tier::Low => "low",
    }
}

fn tier_color(t: Tier) -> &'static str {
    match t {
        Tier::Critical => "#b3261e",
        Tier::High => "#e8710a",
        Tier::Medium => "#f2c200",
        Tier::Low => "#2e7d32",
    }
}

/// The page's only stylesheet. The Content-Security-Policy allows exactly
/// this text by its SHA-256 ([`CSS_SHA256`]): change both together (a
/// unit test checks them).
const CSS: &str = r"
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:15px;margin:14px 0 6px}
.meta{color:#555;font-size:12px}
.top{display:flex;gap:32px;align-items:flex-start;flex-wrap:wrap}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px}
.wide{flex:1;min-width:320px}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #e4e4e4;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.tier{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.tier.critical{background:#b3261e}.tier.high{background:#e8710a}.tier.medium{background:#f2c200;color:#222}.tier.low{background:#2e7d32}
details{background:#fff;border:1px solid #ddd;border-radius:8px;margin:8px 0;padding:6px 12px}
summary{cursor:pointer;font-weight:600}
ul{margin:4px 0 4px 18px;padding:0} li{margin:2px 0}
.small{font-size:12px;color:#555}
";

/// `base64(sha256(CSS))`, the stylesheet's hash in the page's policy.
const CSS_SHA256: &str = "zzu6sp1DAIWaDZw1PpnSRU+lq+f+cYYMYDhJgxCSZP4=";

/// How much of a fleet the HTML page shows.
///
/// The page is a summary plus the worst devices: at 100,000 devices a page
/// listing them all is hundreds of megabytes that no browser opens. The
/// full list belongs in the CSV report, which the page links to.
///
/// # Examples
///
/// ```
/// use radguard_risk::report::HtmlOptions;
///
/// let opts = HtmlOptions::new().rows(500).details(50).csv_link("fleet.csv");
/// assert_eq!(opts.shown_rows(), 500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HtmlOptions {
    rows: usize,
    details: usize,
    groups: usize,
    csv_href: Option<String>,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl HtmlOptions {
    /// The worst 1,000 devices in the table, the worst 100 explained, 25
    /// sites and owners in the summaries, no CSV link.
    #[must_use]
    pub fn new() -> Self {
        Self {
            rows: 1_000,
            details: 100,
            groups: 25,
            csv_href: None,
        }
    }

    /// How many devices (worst first) the device table lists.
    #[must_use]
    pub fn rows(mut self, n: usize) -> Self {
        self.rows = n;
        self
    }

    /// How many devices (worst first) get their full explanation and plan.
    #[must_use]
    pub fn details(mut self, n: usize) -> Self {
        self.details = n;
        self
    }

    /// How many sites and owners the summaries list (the worst first).
    #[must_use]
    pub fn groups(mut self, n: usize) -> Self {
        self.groups = n;
        self
    }

    /// Links the page to the full CSV report at `href` (a relative URL,
    /// such as the CSV file's name next to the page).
    #[must_use]
    pub fn csv_link(mut self, href: impl Into<String>) -> Self {
        self.csv_href = Some(href.into());
        self
    }

    /// How many devices the device table lists.
    #[must_use]
    pub fn shown_rows(&self) -> usize {
        self.rows
    }
}

fn group_table(
    w: &mut dyn Write,
    title: &str,
    groups: &[GroupSummary],
    limit: usize,
) -> io::Result<()> {
    write!(
        w,
        "<h3>{title}</h3><table><thead><tr><th>{title}</th><th>devices</th><th>critical</th><th>high</th><th>medium</th><th>low</th><th>max</th><th>mean</th></tr></thead><tbody>"
    )?;
    for g in groups.iter().take(limit) {
        write!(
            w,
            "<tr><td>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{:.1}</td></tr>",
            esc(&g.name),
            g.devices,
            g.critical,
            g.high,
            g.medium,
            g.low,
            g.max_score,
            g.mean_score
        )?;
    }
    w.write_all(b"</tbody></table>")?;
    if groups.len() > limit {
        write!(
            w,
            "<p class=small>and {} more (worst first above; every device is in the CSV report)</p>",
            groups.len() - limit
        )?;
    }
    Ok(())
}

fn chart(w: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let max = summary
        .by_tier
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let width = 420;
    let bar_h = 28;
    let h = bar_h * 4 + 20;
    write!(
        w,
        "<svg id=tier-chart role=img aria-label='Devices by tier' width={width} height={h} viewBox='0 0 {width} {h}' xmlns='http://www.w3.org/2000/svg'>"
    )?;
    for (i, (tier, n)) in summary.by_tier.iter().enumerate() {
        let y = 10 + i * bar_h;
        let len = 300 * n / max;
        write!(
            w,
            "<text x=0 y={} font-size=13>{}</text><rect x=80 y={} width={} height={} fill='{}'><title>{}: {}</title></rect><text x={} y={} font-size=13>{}</text>",
            y + 18,
            tier.label(),
            y + 4,
            len.max(1),
            bar_h - 8,
            tier_color(*tier),
            tier.label(),
            n,
            86 + len,
            y + 18,
            n
        )?;
    }
    w.write_all(b"</svg>")
}

fn device_details(w: &mut dyn Write, a: &Assessment) -> io::Result<()> {
    write!(
        w,
        "<details id='d-{}'><summary>{} — {} <span class='tier {}'>{}</span> {}</summary>",
        esc(&a.device_id),
        esc(&a.device_id),
        a.score,
        tier_class(a.tier),
        a.tier.label(),
        escape_html(&deciding_text(&a.deciding))
    )?;
    write!(
        w,
        "<p>{} {} · {} · OS {}</p>",
        esc(or_dash(a.manufacturer.as_deref())),
        esc(or_dash(a.model.as_deref())),
        a.class.label(),
        esc(or_dash(a.os.as_deref()))
    )?;
    let c = &a.components;
    write!(
        w,
        "<p>Likelihood {:.1} = V {:.1} + X {:.1} + H {:.1} + G {:.1}; impact ×{:.2} ({}); before floors {:.1}. {}.</p>",
        c.likelihood,
        c.v,
        c.x,
        c.h,
        c.g,
        c.impact_multiplier,
        esc(&a.impact),
        c.raw,
        escape_html(a.sla)
    )?;
    w.write_all(b"<h3>Factors</h3><ul>")?;
    for f in &a.factors {
        write!(
            w,
            "<li><b>{} {:.1}</b> {}: {}",
            f.group,
            f.points,
            escape_html(f.code),
            esc(&f.reason)
        )?;
        if !f.evidence.is_empty() {
            w.write_all(b"<ul>")?;
            for e in &f.evidence {
                write!(w, "<li class=small>{}</li>", esc(e))?;
            }
            w.write_all(b"</ul>")?;
        }
        w.write_all(b"</li>")?;
    }
    w.write_all(b"</ul><h3>Floors</h3>")?;
    if a.floors.is_empty() {
        w.write_all(b"<p class=small>none</p>")?;
    } else {
        w.write_all(b"<ul>")?;
        for f in &a.floors {
            write!(
                w,
                "<li><b>{}</b> {}: {}",
                f.value,
                f.rule.code(),
                esc(&f.reason)
            )?;
            for e in &f.evidence {
                write!(w, "<div class=small>{}</div>", esc(e))?;
            }
            w.write_all(b"</li>")?;
        }
        w.write_all(b"</ul>")?;
    }
    write!(
        w,
        "<h3>SSVC</h3><p>Deployer decision <b>{}</b> ({}); Human Impact {}{}.{}</p>",
        a.ssvc.device,
        escape_html(&a.ssvc.reason),
        a.ssvc.human_impact,
        a.ssvc
            .bod_26_04
            .map_or(String::new(), |b| format!("; CISA BOD 26-04: {b}")),
        a.ssvc
            .disagreement
            .as_ref()
            .map_or(String::new(), |d| format!(" {}", esc(d)))
    )?;
    if !a.findings.is_empty() {
        w.write_all(b"<table><thead><tr><th>finding</th><th>CVSS</th><th>base / temporal / environmental</th><th>KEV</th><th>EPSS</th><th>VEX</th><th>SSVC</th><th>counted</th></tr></thead><tbody>")?;
        for f in &a.findings {
            write!(
                w,
                "<tr><td>{}</td><td class=num>{:.1}</td><td>{}</td><td>{}</td><td class=num>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.id),
                f.cvss,
                f.cvss_v3_scores.map_or(String::new(), |v| format!(
                    "{:.1} / {:.1} / {:.1} ({})",
                    v.base, v.temporal, v.environmental, v.used
                )),
                f.kev_added.map_or(String::new(), |d| d.to_string()),
                f.epss.map_or(String::new(), |e| format!("{e:.3}")),
                f.vex.unwrap_or(""),
                f.ssvc_deployer,
                if f.counted { "yes" } else { "no" }
            )?;
        }
        w.write_all(b"</tbody></table>")?;
    }
    w.write_all(b"<h3>Plan</h3>")?;
    if a.plan.is_empty() {
        w.write_all(b"<p class=small>nothing that lowers the score</p>")?;
    } else {
        w.write_all(b"<ol>")?;
        for p in &a.plan {
            write!(
                w,
                "<li>{} → {} (<span class='tier {}'>{}</span>) [{:?}] {} <span class=small>owner: {}; removes: {}</span></li>",
                p.before,
                p.after,
                tier_class(p.tier_after),
                p.tier_after.label(),
                p.effort,
                esc(&p.title),
                esc(&p.owner),
                esc(&p.reason)
            )?;
        }
        w.write_all(b"</ol>")?;
    }
    for (title, gaps) in [
        ("Data gaps", &a.data_gaps),
        ("Missing inputs", &a.input_gaps),
    ] {
        if !gaps.is_empty() {
            write!(w, "<h3>{title}</h3><ul>")?;
            for g in gaps {
                write!(w, "<li class=small>{}</li>", esc(g))?;
            }
            w.write_all(b"</ul>")?;
        }
    }
    w.write_all(b"</details>")
}

/// One self-contained HTML page of a report whose assessments are all in
/// memory, with [`HtmlOptions::new`]: the fleet chart by tier, summaries
/// by class, site and owner, the worst devices and their explanations. No
/// script, no external resources.
#[must_use]
pub fn html(r: &FleetReport) -> String {
    let rows = r.rows();
    let opts = HtmlOptions::new();
    to_string(|w| {
        html_into(
            w,
            &Head::of_report(r),
            &rows,
            r.devices.iter().take(opts.details),
            &opts,
        )
    })
}

/// The HTML page of a [`Fleet`], streamed: only the devices the page shows
/// in detail ([`HtmlOptions::details`]) are explained again.
///
/// # Errors
///
/// The writer's error.
pub fn write_html<W: Write + ?Sized>(
    mut w: &mut W,
    fleet: &Fleet<'_>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    html_into(
        &mut w,
        &Head::of_fleet(fleet),
        &fleet.rows,
        fleet.assessments().take(opts.details),
        opts,
    )
}

fn html_into<A: Borrow<Assessment>>(
    w: &mut dyn Write,
    h: &Head<'_>,
    rows: &[DeviceRow],
    details: impl Iterator<Item = A>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    let pr = h.provenance;
    w.write_all(b"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>")?;
    write!(
        w,
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'sha256-{CSS_SHA256}'; img-src data:; base-uri 'none'; form-action 'none'\">"
    )?;
    w.write_all(b"<meta name=viewport content='width=device-width,initial-scale=1'>")?;
    write!(
        w,
        "<title>radguard risk report — {}</title><style>{CSS}</style></head><body>",
        h.as_of
    )?;
    write!(
        w,
        "<h1>Imaging device risk (MIRS {})</h1><div class=meta>as of {} · KEV {} · EPSS {} · OS lifecycle {} · SSVC {} · weights {}</div>",
        h.model_version,
        h.as_of,
        esc(&pr.kev),
        esc(&pr.epss),
        esc(&pr.os_lifecycle),
        esc(pr.ssvc),
        esc(&pr.weights)
    )?;
    w.write_all(b"<div class=top><div class=card><h2>Fleet by tier</h2>")?;
    chart(w, h.summary)?;
    write!(
        w,
        "<p class=small>{} devices; {} with gaps in their own data (unknown values, each scored at its midpoint). Scores are 0–100 priorities, not probabilities.</p></div>",
        h.summary.devices, h.summary.devices_with_gaps
    )?;
    w.write_all(b"<div class='card wide'>")?;
    group_table(w, "class", &h.summary.by_class, usize::MAX)?;
    group_table(w, "site", &h.summary.by_site, opts.groups)?;
    group_table(w, "owner", &h.summary.by_owner, opts.groups)?;
    w.write_all(b"</div></div>")?;
    let shown = rows.len().min(opts.rows);
    let n_details = rows.len().min(opts.details);
    let csv = opts.csv_href.as_deref().map_or_else(
        || "Every device is in the CSV report.".to_owned(),
        |href| {
            format!(
                "Every device is in the CSV report: <a href='{}' download>{}</a>.",
                esc(href),
                esc(href)
            )
        },
    );
    if shown < rows.len() {
        write!(
            w,
            "<h2>Devices</h2><p class=small>The {shown} highest-scoring of {} devices, worst first. {csv}</p>",
            rows.len()
        )?;
    } else {
        write!(
            w,
            "<h2>Devices</h2><p class=small>All {} devices, worst first. {csv}</p>",
            rows.len()
        )?;
    }
    w.write_all(b"<table id=devices><thead><tr><th>device</th><th>class</th><th>manufacturer</th><th>model</th><th>OS</th><th>site</th><th>score</th><th>tier</th><th>SSVC</th><th>decided by</th><th>first action</th><th>data gaps</th></tr></thead><tbody>")?;
    for (i, a) in rows.iter().take(shown).enumerate() {
        let first = a.first_action.as_ref().map_or_else(
            || "-".to_owned(),
            |p| format!("{} ({} → {})", p.title, p.before, p.after),
        );
        let id = esc(&a.device_id);
        let device = if i < n_details {
            format!("<a href='#d-{id}'>{id}</a>")
        } else {
            id
        };
        write!(
            w,
            "<tr><td>{device}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=num>{}</td><td><span class='tier {}'>{}</span></td><td>{}</td><td>{}</td><td>{}</td><td class=num>{}</td></tr>",
            a.class.label(),
            esc(a.manufacturer.as_deref().unwrap_or("")),
            esc(a.model.as_deref().unwrap_or("")),
            esc(a.os.as_deref().unwrap_or("")),
            esc(a.site.as_deref().unwrap_or("")),
            a.score,
            tier_class(a.tier),
            a.tier.label(),
            a.ssvc,
            escape_html(&deciding_text(&a.deciding)),
            esc(&first),
            a.data_gaps
        )?;
    }
    w.write_all(b"</tbody></table>")?;
    if n_details < rows.len() {
        write!(
            w,
            "<h2>Explanations and plans</h2><p class=small>The {n_details} highest-scoring devices.</p>"
        )?;
    } else {
        w.write_all(b"<h2>Explanations and plans</h2>")?;
    }
    for a in details {
        device_details(w, a.borrow())?;
    }
    w.write_all(b"</body></html>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_csv_injection() {
        assert_eq!(
            escape_html("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
        );
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(
                csv_field(formula).trim_start_matches('"').starts_with('\''),
                "{formula:?}"
            );
        }
    }

    #[test]
    fn the_policy_hashes_the_stylesheet() {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(CSS.as_bytes());
        assert_eq!(base64(&digest), CSS_SHA256);
    }

    fn base64(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
