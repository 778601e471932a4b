//! Rendering a [`FleetReport`]: a text table, CSV, JSON, a per-device text
//! explanation, and one self-contained HTML page.
//!
//! All renderers are pure functions of the report (no clock, no I/O), so a
//! report for a given `as_of` is byte-for-byte reproducible.
//!
//! # Security
//!
//! Every value that comes from an inventory (ids, sites, owners, finding
//! ids) is HTML-escaped in [`html`], and the page carries a
//! Content-Security-Policy that forbids any network access: the page loads
//! nothing and sends nothing.

use core::fmt::Write as _;

use crate::assess::{Assessment, Deciding};
use crate::fleet::{FleetReport, GroupSummary};
use crate::model::Tier;

fn deciding_text(d: &Deciding) -> String {
    match d {
        Deciding::Floor { rule } => format!("floor {}", rule.code()),
        Deciding::Factor { group, code } => format!("factor {group}:{code}"),
    }
}

/// A fixed-width text table, worst device first.
#[must_use]
pub fn table(r: &FleetReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "MIRS {} as of {} | KEV {} | EPSS {}",
        r.model_version, r.as_of, r.provenance.kev, r.provenance.epss
    );
    let tiers: Vec<String> = r
        .summary
        .by_tier
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    let _ = writeln!(s, "{} devices: {}", r.summary.devices, tiers.join(", "));
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<24} {:<12} {:>5} {:<8} {:<13} {:<40} FIRST ACTION",
        "DEVICE", "CLASS", "SCORE", "TIER", "SSVC", "DECIDED BY"
    );
    for a in &r.devices {
        let first = a.plan.first().map_or_else(
            || "-".to_owned(),
            |p| format!("{} ({}→{})", p.action.code(), p.before, p.after),
        );
        let _ = writeln!(
            s,
            "{:<24} {:<12} {:>5} {:<8} {:<13} {:<40} {}",
            truncate(&a.device_id, 24),
            a.class.label(),
            a.score,
            a.tier.label(),
            a.ssvc.device.label(),
            truncate(&deciding_text(&a.deciding), 40),
            first
        );
    }
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The full explanation of one device, as text.
#[must_use]
pub fn explain_text(a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({}), as of {}",
        a.device_id,
        a.class.label(),
        a.as_of
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
        c.likelihood, c.v, c.x, c.h, c.g, c.impact_multiplier, a.impact, c.raw
    );
    let _ = writeln!(s, "\nfactors:");
    for f in &a.factors {
        let _ = writeln!(
            s,
            "  {} {:>5.1}  {}: {}",
            f.group, f.points, f.code, f.reason
        );
        for e in &f.evidence {
            let _ = writeln!(s, "           - {e}");
        }
    }
    if a.floors.is_empty() {
        let _ = writeln!(s, "\nfloors: none");
    } else {
        let _ = writeln!(s, "\nfloors:");
        for f in &a.floors {
            let _ = writeln!(s, "  {:>3}  {}: {}", f.value, f.rule.code(), f.reason);
            for e in &f.evidence {
                let _ = writeln!(s, "        - {e}");
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
        let _ = writeln!(s, "note: {d}");
    }
    if !a.findings.is_empty() {
        let _ = writeln!(s, "\nfindings:");
        for f in &a.findings {
            let _ = writeln!(
                s,
                "  {:<18} CVSS {:>4.1} {:<8} {}{}{} SSVC {} / supplier {}{}",
                f.id,
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
        }
    }
    if a.plan.is_empty() {
        let _ = writeln!(s, "\nplan: nothing that lowers the score");
    } else {
        let _ = writeln!(s, "\nplan:");
        for p in &a.plan {
            let _ = writeln!(
                s,
                "  {}. {:>3} -> {:>3} ({}) [{:?}] {} — owner: {}; removes: {}",
                p.rank, p.before, p.after, p.tier_after, p.effort, p.title, p.owner, p.reason
            );
        }
    }
    if !a.data_gaps.is_empty() {
        let _ = writeln!(s, "\ndata gaps ({}):", a.data_gaps.len());
        for g in &a.data_gaps {
            let _ = writeln!(s, "  - {g}");
        }
    }
    let p = &a.provenance;
    let _ = writeln!(
        s,
        "\nprovenance: model {}, weights {}, KEV {}, EPSS {}, OS lifecycle {}, SSVC {}",
        p.model_version, p.weights, p.kev, p.epss, p.os_lifecycle, p.ssvc
    );
    s
}

fn csv_field(s: &str) -> String {
    // Neutralise spreadsheet formulas, then quote per RFC 4180.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV row per device, worst first.
#[must_use]
pub fn csv(r: &FleetReport) -> String {
    let mut s = String::from(
        "device_id,class,site,owner,score,tier,decided_by,v,x,h,g,likelihood,impact_multiplier,floors,ssvc,bod_26_04,first_action,first_action_after,data_gaps,as_of,model_version\n",
    );
    for a in &r.devices {
        let floors: Vec<String> = a
            .floors
            .iter()
            .map(|f| format!("{}={}", f.rule.code(), f.value))
            .collect();
        let row = [
            csv_field(&a.device_id),
            a.class.label().to_owned(),
            csv_field(a.site.as_deref().unwrap_or("")),
            csv_field(a.owner.as_deref().unwrap_or("")),
            a.score.to_string(),
            a.tier.label().to_owned(),
            csv_field(&deciding_text(&a.deciding)),
            format!("{:.1}", a.components.v),
            format!("{:.1}", a.components.x),
            format!("{:.1}", a.components.h),
            format!("{:.1}", a.components.g),
            format!("{:.1}", a.components.likelihood),
            format!("{:.2}", a.components.impact_multiplier),
            csv_field(&floors.join(" ")),
            a.ssvc.device.label().to_owned(),
            a.ssvc
                .bod_26_04
                .map_or(String::new(), |b| csv_field(b.label())),
            a.plan
                .first()
                .map_or(String::new(), |p| p.action.code().to_owned()),
            a.plan
                .first()
                .map_or(String::new(), |p| p.after.to_string()),
            a.data_gaps.len().to_string(),
            a.as_of.to_string(),
            a.model_version.to_owned(),
        ];
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

/// The report as pretty JSON.
#[must_use]
pub fn json(r: &FleetReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
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

const CSS: &str = r"
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:15px;margin:14px 0 6px}
.meta{color:#555;font-size:12px}
.top{display:flex;gap:32px;align-items:flex-start;flex-wrap:wrap}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #e4e4e4;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0;cursor:pointer;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:' ▲'} th.sorted-desc::after{content:' ▼'}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.tier{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.tier.critical{background:#b3261e}.tier.high{background:#e8710a}.tier.medium{background:#f2c200;color:#222}.tier.low{background:#2e7d32}
details{background:#fff;border:1px solid #ddd;border-radius:8px;margin:8px 0;padding:6px 12px}
summary{cursor:pointer;font-weight:600}
ul{margin:4px 0 4px 18px;padding:0} li{margin:2px 0}
.small{font-size:12px;color:#555}
";

const JS: &str = r"
(function(){
  var t=document.getElementById('devices'); if(!t) return;
  var ths=t.tHead.rows[0].cells;
  for (var i=0;i<ths.length;i++){(function(col,th){
    th.addEventListener('click',function(){
      var asc=!th.classList.contains('sorted-asc');
      for (var j=0;j<ths.length;j++){ths[j].classList.remove('sorted-asc','sorted-desc');}
      th.classList.add(asc?'sorted-asc':'sorted-desc');
      var num=th.getAttribute('data-type')==='num';
      var rows=Array.prototype.slice.call(t.tBodies[0].rows);
      rows.sort(function(a,b){
        var x=a.cells[col].getAttribute('data-v')||a.cells[col].textContent;
        var y=b.cells[col].getAttribute('data-v')||b.cells[col].textContent;
        var c=num?(parseFloat(x)-parseFloat(y)):x.localeCompare(y);
        return asc?c:-c;
      });
      rows.forEach(function(r){t.tBodies[0].appendChild(r);});
    });
  })(i,ths[i]);}
})();
";

fn group_table(s: &mut String, title: &str, groups: &[GroupSummary]) {
    let _ = write!(
        s,
        "<h3>{}</h3><table><thead><tr><th>{}</th><th>devices</th><th>critical</th><th>high</th><th>medium</th><th>low</th><th>max</th><th>mean</th></tr></thead><tbody>",
        escape_html(title),
        escape_html(title)
    );
    for g in groups {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{:.1}</td></tr>",
            escape_html(&g.name),
            g.devices,
            g.critical,
            g.high,
            g.medium,
            g.low,
            g.max_score,
            g.mean_score
        );
    }
    s.push_str("</tbody></table>");
}

fn chart(s: &mut String, r: &FleetReport) {
    let max = r
        .summary
        .by_tier
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let w = 420;
    let bar_h = 28;
    let h = bar_h * 4 + 20;
    let _ = write!(
        s,
        "<svg id=tier-chart role=img aria-label='Devices by tier' width={w} height={h} viewBox='0 0 {w} {h}' xmlns='http://www.w3.org/2000/svg'>"
    );
    for (i, (tier, n)) in r.summary.by_tier.iter().enumerate() {
        let y = 10 + i * bar_h;
        let len = 300 * n / max;
        let _ = write!(
            s,
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
        );
    }
    s.push_str("</svg>");
}

fn device_details(s: &mut String, a: &Assessment) {
    let _ = write!(
        s,
        "<details id='d-{}'><summary>{} — {} <span class='tier {}'>{}</span> {}</summary>",
        escape_html(&a.device_id),
        escape_html(&a.device_id),
        a.score,
        tier_class(a.tier),
        a.tier.label(),
        escape_html(&deciding_text(&a.deciding))
    );
    let c = &a.components;
    let _ = write!(
        s,
        "<p>Likelihood {:.1} = V {:.1} + X {:.1} + H {:.1} + G {:.1}; impact ×{:.2} ({}); before floors {:.1}. {}.</p>",
        c.likelihood,
        c.v,
        c.x,
        c.h,
        c.g,
        c.impact_multiplier,
        escape_html(&a.impact),
        c.raw,
        escape_html(a.sla)
    );
    s.push_str("<h3>Factors</h3><ul>");
    for f in &a.factors {
        let _ = write!(
            s,
            "<li><b>{} {:.1}</b> {}: {}",
            f.group,
            f.points,
            escape_html(f.code),
            escape_html(&f.reason)
        );
        if !f.evidence.is_empty() {
            s.push_str("<ul>");
            for e in &f.evidence {
                let _ = write!(s, "<li class=small>{}</li>", escape_html(e));
            }
            s.push_str("</ul>");
        }
        s.push_str("</li>");
    }
    s.push_str("</ul><h3>Floors</h3>");
    if a.floors.is_empty() {
        s.push_str("<p class=small>none</p>");
    } else {
        s.push_str("<ul>");
        for f in &a.floors {
            let _ = write!(
                s,
                "<li><b>{}</b> {}: {}",
                f.value,
                f.rule.code(),
                escape_html(&f.reason)
            );
            for e in &f.evidence {
                let _ = write!(s, "<div class=small>{}</div>", escape_html(e));
            }
            s.push_str("</li>");
        }
        s.push_str("</ul>");
    }
    let _ = write!(
        s,
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
            .map_or(String::new(), |d| format!(" {}", escape_html(d)))
    );
    if !a.findings.is_empty() {
        s.push_str("<table><thead><tr><th>finding</th><th>CVSS</th><th>KEV</th><th>EPSS</th><th>VEX</th><th>SSVC</th><th>counted</th></tr></thead><tbody>");
        for f in &a.findings {
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=num>{:.1}</td><td>{}</td><td class=num>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&f.id),
                f.cvss,
                f.kev_added.map_or(String::new(), |d| d.to_string()),
                f.epss.map_or(String::new(), |e| format!("{e:.3}")),
                f.vex.unwrap_or(""),
                f.ssvc_deployer,
                if f.counted { "yes" } else { "no" }
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("<h3>Plan</h3>");
    if a.plan.is_empty() {
        s.push_str("<p class=small>nothing that lowers the score</p>");
    } else {
        s.push_str("<ol>");
        for p in &a.plan {
            let _ = write!(
                s,
                "<li>{} → {} (<span class='tier {}'>{}</span>) [{:?}] {} <span class=small>owner: {}; removes: {}</span></li>",
                p.before,
                p.after,
                tier_class(p.tier_after),
                p.tier_after.label(),
                p.effort,
                escape_html(&p.title),
                escape_html(&p.owner),
                escape_html(&p.reason)
            );
        }
        s.push_str("</ol>");
    }
    if !a.data_gaps.is_empty() {
        s.push_str("<h3>Data gaps</h3><ul>");
        for g in &a.data_gaps {
            let _ = write!(s, "<li class=small>{}</li>", escape_html(g));
        }
        s.push_str("</ul>");
    }
    s.push_str("</details>");
}

/// One self-contained HTML page: the fleet chart by tier, summaries by
/// class, site and owner, a sortable device table, and every device's
/// explanation and plan. No external resources.
#[must_use]
pub fn html(r: &FleetReport) -> String {
    let mut s = String::with_capacity(4096 + r.devices.len() * 4096);
    s.push_str("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>");
    s.push_str("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
    s.push_str("<meta name=viewport content='width=device-width,initial-scale=1'>");
    let _ = write!(
        s,
        "<title>radguard risk report — {}</title><style>{CSS}</style></head><body>",
        r.as_of
    );
    let _ = write!(
        s,
        "<h1>Imaging device risk (MIRS {})</h1><div class=meta>as of {} · KEV {} · EPSS {} · OS lifecycle {} · SSVC {} · weights {}</div>",
        r.model_version,
        r.as_of,
        escape_html(&r.provenance.kev),
        escape_html(&r.provenance.epss),
        escape_html(&r.provenance.os_lifecycle),
        escape_html(r.provenance.ssvc),
        escape_html(&r.provenance.weights)
    );
    s.push_str("<div class=top><div class=card><h2>Fleet by tier</h2>");
    chart(&mut s, r);
    let _ = write!(
        s,
        "<p class=small>{} devices; {} with data gaps. Scores are 0–100 priorities, not probabilities.</p></div>",
        r.summary.devices, r.summary.devices_with_gaps
    );
    s.push_str("<div class=card style='flex:1;min-width:320px'>");
    group_table(&mut s, "class", &r.summary.by_class);
    group_table(&mut s, "site", &r.summary.by_site);
    group_table(&mut s, "owner", &r.summary.by_owner);
    s.push_str("</div></div>");
    s.push_str("<h2>Devices (click a column to sort)</h2><table id=devices><thead><tr><th>device</th><th>class</th><th>site</th><th data-type=num>score</th><th data-type=num>tier</th><th>SSVC</th><th>decided by</th><th>first action</th></tr></thead><tbody>");
    for a in &r.devices {
        let rank = match a.tier {
            Tier::Critical => 3,
            Tier::High => 2,
            Tier::Medium => 1,
            Tier::Low => 0,
        };
        let first = a.plan.first().map_or_else(
            || "-".to_owned(),
            |p| format!("{} ({} → {})", p.title, p.before, p.after),
        );
        let _ = write!(
            s,
            "<tr><td><a href='#d-{}'>{}</a></td><td>{}</td><td>{}</td><td class=num>{}</td><td data-v={}><span class='tier {}'>{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&a.device_id),
            escape_html(&a.device_id),
            a.class.label(),
            escape_html(a.site.as_deref().unwrap_or("")),
            a.score,
            rank,
            tier_class(a.tier),
            a.tier.label(),
            a.ssvc.device,
            escape_html(&deciding_text(&a.deciding)),
            escape_html(&first)
        );
    }
    s.push_str("</tbody></table><h2>Explanations and plans</h2>");
    for a in &r.devices {
        device_details(&mut s, a);
    }
    let _ = writeln!(s, "<script>{JS}</script></body></html>");
    s
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
    }
}
