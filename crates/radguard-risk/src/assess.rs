//! Turning the numeric breakdown into an explained assessment, with the
//! SSVC decisions beside it, data gaps, provenance and a remediation plan.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::cvss::Severity;
use crate::date::Date;
use crate::inventory::{Device, DeviceClass, PatchResponsibility, RemoteAccess, Tri, Zone};
use crate::lifecycle::{OsLifecycle, OsStatus};
use crate::model::{self, Breakdown, Context, FindingInfo, FloorRule, Prepared, Tier, VectorCache};
use crate::plan::{self, PlannedAction};
use crate::ssvc::{self, Bod2604, Decision, Exploitation, HumanImpact, SystemExposure};
use crate::threat::ThreatContext;
use crate::weights::{MODEL_VERSION, Weights};

/// One contribution to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Factor {
    /// `V` (vulnerabilities), `X` (exposure), `H` (hygiene), `G`
    /// (governance).
    pub group: &'static str,
    /// A stable code, e.g. `os_unsupported`.
    pub code: &'static str,
    /// Points before the group's cap.
    pub points: f64,
    /// Why.
    pub reason: String,
    /// The facts it rests on.
    pub evidence: Vec<String>,
}

/// A floor that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FloorHit {
    /// The rule.
    pub rule: FloorRule,
    /// Its value.
    pub value: u8,
    /// Why it fired.
    pub reason: String,
    /// The facts it rests on.
    pub evidence: Vec<String>,
}

/// What decided the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Deciding {
    /// A floor above the likelihood × impact score.
    Floor {
        /// The rule.
        rule: FloorRule,
    },
    /// Likelihood × impact, led by one factor.
    Factor {
        /// The group of the largest factor.
        group: &'static str,
        /// Its code.
        code: &'static str,
    },
}

/// The score's components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Components {
    /// Known-vulnerability pressure, 0–40.
    pub v: f64,
    /// Exposure, 0–30.
    pub x: f64,
    /// Hygiene and controls, 0–20.
    pub h: f64,
    /// Governance and lifecycle, 0–10.
    pub g: f64,
    /// Likelihood `V + X + H + G`, 0–100.
    pub likelihood: f64,
    /// Impact multiplier.
    pub impact_multiplier: f64,
    /// `likelihood × impact_multiplier`, before floors.
    pub raw: f64,
}

/// A finding as the model saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FindingView {
    /// Identifier.
    pub id: String,
    /// Canonical vector, if given (shared between devices with the same vector).
    pub vector: Option<Arc<str>>,
    /// CVSS score used (the midpoint when no vector is given): the most
    /// specific score the vector defines.
    pub cvss: f64,
    /// For a CVSS v3 vector, its base, temporal and environmental scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_v3_scores: Option<V3Scores>,
    /// Its severity.
    pub severity: Severity,
    /// In KEV on `as_of`: the date added.
    pub kev_added: Option<Date>,
    /// Known ransomware use per KEV.
    pub kev_ransomware: bool,
    /// EPSS probability, if the snapshot scores it.
    pub epss: Option<f64>,
    /// Exploitation weight `w`.
    pub exploitation_weight: f64,
    /// VEX state, if stated.
    pub vex: Option<&'static str>,
    /// VEX justification, if stated.
    pub vex_justification: Option<String>,
    /// The affected component.
    pub component: crate::inventory::Component,
    /// Counted in the score (not excluded by VEX).
    pub counted: bool,
    /// SSVC deployer decision.
    pub ssvc_deployer: Decision,
    /// SSVC supplier decision (for the manufacturer's own triage).
    pub ssvc_supplier: Decision,
    /// CISA BOD 26-04 timeline.
    pub bod_26_04: Bod2604,
    /// SSVC Exploitation.
    pub exploitation: Exploitation,
    /// SSVC System Exposure.
    pub exposure: SystemExposure,
    /// SSVC Automatable.
    pub automatable: bool,
}

/// The three scores of a CVSS v3 vector, as FIRST's calculator shows them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct V3Scores {
    /// Base score.
    pub base: f64,
    /// Temporal score (the base score when no temporal metric is defined).
    pub temporal: f64,
    /// Environmental score (the temporal score when no environmental
    /// metric is defined).
    pub environmental: f64,
    /// Which of them is the headline: `base`, `temporal` or
    /// `environmental` (the most specific the vector defines).
    pub used: &'static str,
}

/// The SSVC lens beside the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SsvcView {
    /// The device decision: the most urgent finding decision, or immediate
    /// (incident response) on a compromise indicator.
    pub device: Decision,
    /// Why.
    pub reason: String,
    /// Human Impact used.
    pub human_impact: HumanImpact,
    /// The most urgent CISA BOD 26-04 timeline among counted findings.
    pub bod_26_04: Option<Bod2604>,
    /// Where SSVC and the tier disagree, which rule made the difference.
    pub disagreement: Option<String>,
}

/// Where the data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Provenance {
    /// Model version.
    pub model_version: &'static str,
    /// Weights label.
    pub weights: Arc<str>,
    /// KEV catalog version, or `none`.
    pub kev: Arc<str>,
    /// EPSS `model_version@score_date`, or `none`.
    pub epss: Arc<str>,
    /// OS lifecycle table source.
    pub os_lifecycle: Arc<str>,
    /// SSVC tables source.
    pub ssvc: &'static str,
    /// CVSS v4 data source.
    pub cvss_v4: &'static str,
}

/// The full, explained assessment of one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Assessment {
    /// Model version.
    pub model_version: &'static str,
    /// Evaluation date.
    pub as_of: Date,
    /// Device id.
    pub device_id: String,
    /// Device class.
    pub class: DeviceClass,
    /// Manufacturer, if recorded.
    pub manufacturer: Option<String>,
    /// Model, if recorded.
    pub model: Option<String>,
    /// Operating system (`product version`), if recorded.
    pub os: Option<String>,
    /// Site (the device's, else the inventory's).
    pub site: Option<String>,
    /// Accountable owner, if known.
    pub owner: Option<String>,
    /// Who patches.
    pub patch_responsibility: PatchResponsibility,
    /// Score 0–100 (not a probability).
    pub score: u8,
    /// Tier.
    pub tier: Tier,
    /// Suggested response time.
    pub sla: &'static str,
    /// What decided the score.
    pub deciding: Deciding,
    /// Components.
    pub components: Components,
    /// Every factor with points, largest first within each group.
    pub factors: Vec<Factor>,
    /// Every floor that fired, highest first.
    pub floors: Vec<FloorHit>,
    /// Impact multiplier explanation.
    pub impact: String,
    /// OS status on `as_of`.
    pub os_status: OsStatus,
    /// Findings, counted and excluded.
    pub findings: Vec<FindingView>,
    /// SSVC beside the score.
    pub ssvc: SsvcView,
    /// Ranked remediation plan.
    pub plan: Vec<PlannedAction>,
    /// Unknown values of the device's own record (each scored at its
    /// midpoint, never as the best case).
    pub data_gaps: Vec<Cow<'static, str>>,
    /// Missing, waived or stale inputs that are not the device's own record:
    /// KEV and EPSS data, MDS2 answers, SBOM, network monitoring.
    pub input_gaps: Vec<Cow<'static, str>>,
    /// Data sources.
    pub provenance: Provenance,
}

/// Scores devices against threat data, an OS lifecycle table and weights,
/// on a fixed evaluation date.
///
/// Pure: no clock, no network, no file system. The same inputs and `as_of`
/// give the same output.
///
/// # Examples
///
/// ```
/// use radguard_risk::{Date, Device, Scorer, Tier, Tri, Zone};
///
/// let mut d = Device::new("US-07");
/// d.exposure.zone = Zone::ClinicalVlanNoAcl;
/// d.controls.default_credentials = Tri::Yes;
/// let a = Scorer::new(Date::parse("2026-01-15")?).assess(&d);
/// assert!(a.score >= 45); // the default-credentials floor
/// assert!(a.tier >= Tier::Medium);
/// assert!(a.plan.iter().any(|s| s.action.code() == "change_default_credentials"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Scorer {
    weights: Weights,
    threat: ThreatContext,
    os: OsLifecycle,
    as_of: Date,
    plan: bool,
}

impl Scorer {
    /// A scorer with the shipped weights, the bundled OS table and no
    /// threat data.
    #[must_use]
    pub fn new(as_of: Date) -> Self {
        Self {
            weights: Weights::default(),
            threat: ThreatContext::default(),
            os: OsLifecycle::bundled(),
            as_of,
            plan: true,
        }
    }

    /// With KEV and EPSS data.
    #[must_use]
    pub fn with_threat(mut self, threat: ThreatContext) -> Self {
        self.threat = threat;
        self
    }

    /// With site weights.
    #[must_use]
    pub fn with_weights(mut self, weights: Weights) -> Self {
        self.weights = weights;
        self
    }

    /// With another OS lifecycle table.
    #[must_use]
    pub fn with_os_lifecycle(mut self, os: OsLifecycle) -> Self {
        self.os = os;
        self
    }

    /// Whether to compute remediation plans (on by default).
    #[must_use]
    pub fn with_plans(mut self, plan: bool) -> Self {
        self.plan = plan;
        self
    }

    /// The evaluation date.
    #[must_use]
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// The weights in use.
    #[must_use]
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The data sources, as printed in every assessment.
    #[must_use]
    pub fn provenance(&self) -> Provenance {
        Provenance {
            model_version: MODEL_VERSION,
            weights: Arc::from(self.weights.label.as_str()),
            kev: Arc::from(self.threat.kev.as_ref().map_or_else(
                || none(self.threat.kev_waived),
                |k| format!("{} ({} entries)", k.version(), k.len()),
            )),
            epss: Arc::from(self.threat.epss.as_ref().map_or_else(
                || none(self.threat.epss_waived),
                |e| {
                    format!(
                        "{}@{} ({} CVEs)",
                        e.model_version(),
                        e.score_date(),
                        e.len()
                    )
                },
            )),
            os_lifecycle: Arc::from(self.os.source()),
            ssvc: ssvc::SOURCE,
            cvss_v4: "FIRSTdotorg/cvss-v4-calculator @c5b0d409 (BSD-2-Clause)",
        }
    }

    /// Checks the threat data for scoring on the evaluation date (see
    /// [`ThreatContext::check`]): call it before scoring, and show the
    /// warnings it returns.
    ///
    /// # Errors
    ///
    /// As [`ThreatContext::check`]: KEV or EPSS missing and not waived,
    /// EPSS dated after the evaluation date, an implausible evaluation date.
    pub fn check(&self) -> Result<Vec<String>, crate::threat::ThreatDataError> {
        self.threat.check(self.as_of)
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            weights: &self.weights,
            threat: &self.threat,
            os: &self.os,
            as_of: self.as_of,
        }
    }

    /// Just the score (no explanation, no plan): the fast path.
    #[must_use]
    pub fn score(&self, device: &Device) -> u8 {
        let mut cache = VectorCache::default();
        let p = model::prepare(&self.ctx(), device, &mut cache);
        model::evaluate(&p, &self.weights, &p.knobs, &[], None).score
    }

    /// The full assessment: score, tier, factors, floors, SSVC, plan, data
    /// gaps and provenance.
    #[must_use]
    pub fn assess(&self, device: &Device) -> Assessment {
        let mut cache = VectorCache::default();
        self.assess_cached(device, None, &mut cache, &self.provenance())
    }

    pub(crate) fn assess_cached<'a>(
        &self,
        device: &'a Device,
        default_site: Option<&str>,
        cache: &mut VectorCache<'a>,
        provenance: &Provenance,
    ) -> Assessment {
        let p = model::prepare(&self.ctx(), device, cache);
        let b = model::evaluate(&p, &self.weights, &p.knobs, &[], None);
        let plan = if self.plan {
            plan::plan(&p, &self.weights, &b)
        } else {
            Vec::new()
        };
        explain(self, &p, &b, plan, default_site, provenance)
    }
}

/// The provenance of an absent data set.
fn none(waived: bool) -> String {
    if waived { "none (waived)" } else { "none" }.to_owned()
}

/// One device as a summary row shows it: score, tier, what decided it, the
/// SSVC decision and the first step of the plan, without the explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DeviceRow {
    /// Device id.
    pub device_id: String,
    /// Device class.
    pub class: DeviceClass,
    /// Manufacturer, if recorded.
    pub manufacturer: Option<String>,
    /// Model, if recorded.
    pub model: Option<String>,
    /// Operating system (`product version`), if recorded.
    pub os: Option<String>,
    /// Site (the device's, else the inventory's).
    pub site: Option<String>,
    /// Accountable owner, if known.
    pub owner: Option<String>,
    /// Score 0–100.
    pub score: u8,
    /// Tier.
    pub tier: Tier,
    /// What decided the score.
    pub deciding: Deciding,
    /// Components.
    pub components: Components,
    /// Every floor that fired and its value, highest first.
    pub floors: Vec<(FloorRule, u8)>,
    /// SSVC deployer decision of the device.
    pub ssvc: Decision,
    /// The most urgent CISA BOD 26-04 timeline among counted findings.
    pub bod_26_04: Option<Bod2604>,
    /// The first step of the plan.
    pub first_action: Option<PlannedAction>,
    /// Number of unknown values in the device's own record
    /// ([`Assessment::data_gaps`]).
    pub data_gaps: usize,
    /// Number of findings.
    pub findings: usize,
}

impl DeviceRow {
    /// The row of an assessment.
    #[must_use]
    pub fn of(a: &Assessment) -> Self {
        Self {
            device_id: a.device_id.clone(),
            class: a.class,
            manufacturer: a.manufacturer.clone(),
            model: a.model.clone(),
            os: a.os.clone(),
            site: a.site.clone(),
            owner: a.owner.clone(),
            score: a.score,
            tier: a.tier,
            deciding: a.deciding.clone(),
            components: a.components,
            floors: a.floors.iter().map(|f| (f.rule, f.value)).collect(),
            ssvc: a.ssvc.device,
            bod_26_04: a.ssvc.bod_26_04,
            first_action: a.plan.first().cloned(),
            data_gaps: a.data_gaps.len(),
            findings: a
                .findings
                .iter()
                .filter(|f| f.id != model::DEFAULT_CREDS_ID)
                .count(),
        }
    }
}

impl Scorer {
    /// The summary row of one device: the same score, tier, deciding rule,
    /// SSVC decision and first step as [`Scorer::assess`], without the
    /// explanation (a fraction of the time and memory).
    pub(crate) fn row_cached<'a>(
        &self,
        device: &'a Device,
        default_site: Option<&str>,
        cache: &mut VectorCache<'a>,
    ) -> DeviceRow {
        let p = model::prepare(&self.ctx(), device, cache);
        let b = model::evaluate(&p, &self.weights, &p.knobs, &[], None);
        let first_action = if self.plan {
            plan::plan_steps(&p, &self.weights, &b, 1).pop()
        } else {
            None
        };
        let mut floors: Vec<(FloorRule, u8)> = b
            .floors
            .iter()
            .zip(FloorRule::ALL)
            .filter(|(v, _)| **v > 0.0)
            .map(|(v, rule)| (rule, floor_value(*v)))
            .collect();
        floors.sort_by_key(|f| core::cmp::Reverse(f.1));
        let (ssvc, bod_26_04) = ssvc_decision(&p, ssvc_of_findings(&p, &b, &self.weights));
        DeviceRow {
            device_id: device.id.clone(),
            class: device.class,
            manufacturer: device.manufacturer.clone(),
            model: device.model.clone(),
            os: device
                .os
                .as_ref()
                .map(|o| format!("{} {}", o.product, o.version)),
            site: device
                .site
                .clone()
                .or_else(|| default_site.map(str::to_owned)),
            owner: device.governance.owner.clone(),
            score: b.score,
            tier: Tier::of(b.score, &self.weights),
            deciding: deciding(&b),
            components: components(&b),
            floors,
            ssvc,
            bod_26_04,
            first_action,
            data_gaps: data_gaps(self, &p, &b).len(),
            findings: device.findings.len(),
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn floor_value(v: f64) -> u8 {
    v.round().clamp(0.0, 100.0) as u8
}

fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn explain(
    s: &Scorer,
    p: &Prepared<'_>,
    b: &Breakdown,
    plan: Vec<PlannedAction>,
    default_site: Option<&str>,
    provenance: &Provenance,
) -> Assessment {
    let w = &s.weights;
    let d = p.device;
    let mut factors = vulnerability_factors(p, b, w);
    factors.extend(exposure_factors(p, b));
    factors.extend(hygiene_factors(p, b));
    factors.extend(governance_factors(p, b));
    let floors = floor_hits(s, p, b);
    let deciding = deciding(b);
    let tier = Tier::of(b.score, w);
    let (findings, ssvc) = findings_and_ssvc(p, b, w, &deciding, &floors, tier);
    Assessment {
        model_version: MODEL_VERSION,
        as_of: s.as_of,
        device_id: d.id.clone(),
        class: d.class,
        manufacturer: d.manufacturer.clone(),
        model: d.model.clone(),
        os: d
            .os
            .as_ref()
            .map(|o| format!("{} {}", o.product, o.version)),
        site: d.site.clone().or_else(|| default_site.map(str::to_owned)),
        owner: d.governance.owner.clone(),
        patch_responsibility: p.patch_owner,
        score: b.score,
        tier,
        sla: tier.sla(),
        deciding,
        components: components(b),
        factors,
        floors,
        impact: impact_text(p),
        os_status: b.os_status,
        findings,
        ssvc,
        plan,
        data_gaps: data_gaps(s, p, b),
        input_gaps: input_gaps(s, p),
        provenance: provenance.clone(),
    }
}

/// A factor, when it has points.
fn factor(
    group: &'static str,
    code: &'static str,
    points: f64,
    reason: String,
    evidence: Vec<String>,
) -> Option<Factor> {
    (points > 0.0).then(|| Factor {
        group,
        code,
        points: r1(points),
        reason,
        evidence,
    })
}

fn components(b: &Breakdown) -> Components {
    Components {
        v: r1(b.v),
        x: r1(b.x),
        h: r1(b.h),
        g: r1(b.g),
        likelihood: r1(b.l),
        impact_multiplier: b.m,
        raw: r1(b.raw),
    }
}

/// V: the worst counted finding (or the default-credentials
/// pseudo-finding) and the other High/Critical findings.
fn vulnerability_factors(p: &Prepared<'_>, b: &Breakdown, w: &Weights) -> Vec<Factor> {
    let top = b.v_top.and_then(|top| {
        if top == usize::MAX {
            factor(
                "V",
                "default_credentials",
                b.v_top_points,
                format!(
                    "default credentials on a reachable device, scored as the pseudo-finding {} ({})",
                    model::DEFAULT_CREDS_ID,
                    model::DEFAULT_CREDS_VECTOR
                ),
                vec!["controls.default_credentials = yes".to_owned()],
            )
        } else {
            worst_finding_factor(p, b, w, top)
        }
    });
    let others = factor(
        "V",
        "other_high_findings",
        b.v_bonus,
        format!("{} other High/Critical findings", b.v_bonus_count),
        Vec::new(),
    );
    [top, others].into_iter().flatten().collect()
}

/// The factor of the worst counted finding, `top` in `p.counted`.
fn worst_finding_factor(
    p: &Prepared<'_>,
    b: &Breakdown,
    w: &Weights,
    top: usize,
) -> Option<Factor> {
    let f = &p.findings[p.counted[top].idx];
    let mut ev = vec![format!(
        "CVSS {:.1} {}",
        f.score,
        f.vector.as_ref().map_or_else(
            || "(no vector: midpoint score)".to_owned(),
            ToString::to_string
        )
    )];
    if let Some((added, ransomware)) = &f.kev {
        ev.push(format!(
            "in CISA KEV (added {added}{})",
            if *ransomware {
                ", known ransomware use"
            } else {
                ""
            }
        ));
    }
    if let Some(e) = f.epss {
        ev.push(format!("EPSS {e:.3}"));
    }
    factor(
        "V",
        "worst_finding",
        b.v_top_points,
        format!(
            "{}: exploitation weight {:.2}, reach {} ({} points of {})",
            f.id,
            f.w,
            if p.counted[top].remote {
                if b.reachable {
                    "network"
                } else {
                    "network, but the device is standalone"
                }
            } else {
                "local/physical"
            },
            r1(b.v_top_points),
            w.vulnerability.max_points
        ),
        ev,
    )
}

/// X: the zone or remote access (whichever is larger), wireless, legacy
/// services.
fn exposure_factors(p: &Prepared<'_>, b: &Breakdown) -> Vec<Factor> {
    let k = &p.knobs;
    let zone_label = if k.internet_reachable == Tri::Yes && k.zone != Zone::Internet {
        format!("{} (reachable from the internet)", k.zone)
    } else {
        k.zone.to_string()
    };
    let reach = if b.x_zone >= b.x_remote {
        factor(
            "X",
            "zone",
            b.x_zone,
            format!("network zone {zone_label}"),
            vec![format!("exposure.zone = {}", k.zone)],
        )
    } else {
        factor(
            "X",
            "remote_access",
            b.x_remote,
            format!(
                "remote access {} (larger than the zone's {})",
                k.remote,
                r1(b.x_zone)
            ),
            vec![format!("exposure.remote_access = {}", k.remote)],
        )
    };
    [
        reach,
        factor(
            "X",
            "wireless",
            b.x_wireless,
            format!("wireless interface: {}", k.wireless),
            Vec::new(),
        ),
        factor(
            "X",
            "legacy_services",
            b.x_legacy,
            match &p.device.exposure.legacy_services {
                Some(v) => format!("legacy services enabled: {}", v.join(", ")),
                None => "legacy services unknown".to_owned(),
            },
            Vec::new(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// H: OS status, credentials, malware protection, PHI encryption.
fn hygiene_factors(p: &Prepared<'_>, b: &Breakdown) -> Vec<Factor> {
    let k = &p.knobs;
    let os = match (&p.device.os, &p.os_release) {
        (Some(o), Some(_)) => format!("{} {}: {}", o.product, o.version, b.os_status.label()),
        (Some(o), None) => format!("{} {}: not in the lifecycle table", o.product, o.version),
        (None, _) => "unknown".to_owned(),
    };
    [
        factor(
            "H",
            "os_status",
            b.h_os,
            format!("operating system {os}"),
            Vec::new(),
        ),
        factor(
            "H",
            "credentials_unknown",
            b.h_creds,
            "whether default credentials are in use is unknown".to_owned(),
            Vec::new(),
        ),
        factor(
            "H",
            "malware_protection",
            b.h_malware,
            format!("malware protection or allowlisting: {}", k.malware),
            Vec::new(),
        ),
        factor(
            "H",
            "phi_unencrypted_in_transit",
            b.h_transit,
            format!(
                "PHI ({}) without encryption in transit ({})",
                tri_phi(p.phi),
                k.enc_transit
            ),
            Vec::new(),
        ),
        factor(
            "H",
            "phi_unencrypted_at_rest",
            b.h_rest,
            format!(
                "PHI ({}) without encryption at rest ({})",
                tri_phi(p.phi),
                k.enc_rest
            ),
            Vec::new(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// G: owner, patch responsibility, manufacturer support, disposal, wipe.
fn governance_factors(p: &Prepared<'_>, b: &Breakdown) -> Vec<Factor> {
    let g = &p.device.governance;
    let date = |d: Option<Date>| d.map_or_else(String::new, |x| x.to_string());
    [
        factor(
            "G",
            "owner_unknown",
            b.g_owner,
            "no accountable owner recorded".to_owned(),
            Vec::new(),
        ),
        factor(
            "G",
            "patch_responsibility_unknown",
            b.g_patch,
            "patch responsibility (vendor or HDO) unknown".to_owned(),
            Vec::new(),
        ),
        factor(
            "G",
            "vendor_support_ended",
            b.g_vendor,
            format!("manufacturer support ended {}", date(g.vendor_support_end)),
            Vec::new(),
        ),
        factor(
            "G",
            "past_planned_disposal",
            b.g_disposal,
            format!(
                "past the planned disposal date {} but still in service",
                date(g.planned_disposal)
            ),
            Vec::new(),
        ),
        factor(
            "G",
            "unverified_wipe",
            b.g_wipe,
            format!(
                "leaving service with PHI and media sanitisation not verified ({})",
                p.knobs.wipe_verified
            ),
            Vec::new(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every floor that fired, highest first.
fn floor_hits(s: &Scorer, p: &Prepared<'_>, b: &Breakdown) -> Vec<FloorHit> {
    let mut floors: Vec<FloorHit> = Vec::new();
    for (i, v) in b.floors.iter().enumerate() {
        if *v <= 0.0 {
            continue;
        }
        let rule = FloorRule::ALL[i];
        let (reason, evidence) = floor_text(p, b, rule, s);
        floors.push(FloorHit {
            rule,
            value: floor_value(*v),
            reason,
            evidence,
        });
    }
    floors.sort_by_key(|f| core::cmp::Reverse(f.value));
    floors
}

/// Every factor's group, code and points (as the factor lists show them),
/// without their explanations: what [`deciding`] needs.
fn factor_points(b: &Breakdown) -> [(&'static str, &'static str, f64); 15] {
    let top = match b.v_top {
        Some(usize::MAX) => ("V", "default_credentials", b.v_top_points),
        Some(_) => ("V", "worst_finding", b.v_top_points),
        None => ("V", "worst_finding", 0.0),
    };
    let reach = if b.x_zone >= b.x_remote {
        ("X", "zone", b.x_zone)
    } else {
        ("X", "remote_access", b.x_remote)
    };
    [
        top,
        ("V", "other_high_findings", b.v_bonus),
        reach,
        ("X", "wireless", b.x_wireless),
        ("X", "legacy_services", b.x_legacy),
        ("H", "os_status", b.h_os),
        ("H", "credentials_unknown", b.h_creds),
        ("H", "malware_protection", b.h_malware),
        ("H", "phi_unencrypted_in_transit", b.h_transit),
        ("H", "phi_unencrypted_at_rest", b.h_rest),
        ("G", "owner_unknown", b.g_owner),
        ("G", "patch_responsibility_unknown", b.g_patch),
        ("G", "vendor_support_ended", b.g_vendor),
        ("G", "past_planned_disposal", b.g_disposal),
        ("G", "unverified_wipe", b.g_wipe),
    ]
}

/// The floor above likelihood × impact, else the largest factor (the last
/// of equals, in the order of the factor lists).
fn deciding(b: &Breakdown) -> Deciding {
    match b.deciding_floor() {
        Some(rule) => Deciding::Floor { rule },
        None => factor_points(b)
            .into_iter()
            .filter(|(_, _, pts)| *pts > 0.0)
            .map(|(g, c, pts)| (g, c, r1(pts)))
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .map_or(
                Deciding::Factor {
                    group: "-",
                    code: "none",
                },
                |(group, code, _)| Deciding::Factor { group, code },
            ),
    }
}

/// What SSVC needs to know about the device, whatever the finding.
struct SsvcDevice {
    /// System Exposure of a network-reachable finding.
    exposure: SystemExposure,
    /// PHI of many patients, or an archive (SSVC Utility: concentrated).
    concentrated: bool,
    public_safety: ssvc::PublicSafetyImpact,
}

fn ssvc_device(p: &Prepared<'_>, b: &Breakdown, w: &Weights) -> SsvcDevice {
    let (d, k) = (p.device, &p.knobs);
    SsvcDevice {
        exposure: if b.internet {
            SystemExposure::Open
        } else if !b.reachable || k.zone == Zone::Isolated && matches!(k.remote, RemoteAccess::None)
        {
            SystemExposure::Small
        } else {
            SystemExposure::Controlled
        },
        concentrated: d.data.phi_archive == Tri::Yes
            || d.class.is_archive()
            || p.phi_patients
                .is_some_and(|n| n >= w.impact.phi_patients_threshold),
        public_safety: d.clinical.safety_impact.map_or(
            ssvc::PublicSafetyImpact::Significant,
            ssvc::public_safety_impact,
        ),
    }
}

/// One finding as the model saw it, with its SSVC decisions.
fn finding_view(
    f: &FindingInfo<'_>,
    p: &Prepared<'_>,
    b: &Breakdown,
    sd: &SsvcDevice,
) -> FindingView {
    let (remote, automatable, total) = (f.remote, f.automatable, f.total);
    let exposure = if remote {
        sd.exposure
    } else {
        SystemExposure::Small
    };
    FindingView {
        id: f.id.to_owned(),
        vector: f.vector_text.clone(),
        cvss: f.score,
        cvss_v3_scores: match f.vector {
            Some(crate::cvss::Cvss::V3(v)) => Some(V3Scores {
                base: v.base_score(),
                temporal: v.temporal_score(),
                environmental: v.environmental_score(),
                used: v.score_kind(),
            }),
            _ => None,
        },
        severity: Severity::from_score(f.score),
        kev_added: f.kev.map(|(a, _)| a),
        kev_ransomware: f.kev.as_ref().is_some_and(|(_, r)| *r),
        epss: f.epss,
        exploitation_weight: r1(f.w * 100.0) / 100.0,
        vex: f.vex.map(crate::inventory::VexState::label),
        vex_justification: f.vex_justification.map(str::to_owned),
        component: f.component,
        counted: f.counted,
        ssvc_deployer: ssvc::deployer_decision(
            f.exploitation,
            exposure,
            automatable,
            p.human_impact,
        ),
        ssvc_supplier: ssvc::supplier_decision(
            f.exploitation,
            ssvc::utility(automatable, sd.concentrated),
            total,
            sd.public_safety,
        ),
        bod_26_04: ssvc::bod_26_04(f.kev.is_some(), b.internet && remote, automatable, total),
        exploitation: f.exploitation,
        exposure,
        automatable,
    }
}

/// Default credentials on a reachable device, as the pseudo-finding the
/// score uses.
fn default_credentials_view(
    p: &Prepared<'_>,
    b: &Breakdown,
    w: &Weights,
    sd: &SsvcDevice,
) -> FindingView {
    FindingView {
        id: model::DEFAULT_CREDS_ID.to_owned(),
        vector: Some(Arc::from(model::DEFAULT_CREDS_VECTOR)),
        cvss: 9.8,
        cvss_v3_scores: None,
        severity: Severity::Critical,
        kev_added: None,
        kev_ransomware: false,
        epss: None,
        exploitation_weight: w.vulnerability.exploit_poc,
        vex: None,
        vex_justification: None,
        component: crate::inventory::Component::Application,
        counted: true,
        ssvc_deployer: ssvc::deployer_decision(
            Exploitation::PublicPoc,
            sd.exposure,
            true,
            p.human_impact,
        ),
        ssvc_supplier: ssvc::supplier_decision(
            Exploitation::PublicPoc,
            ssvc::utility(true, sd.concentrated),
            true,
            sd.public_safety,
        ),
        bod_26_04: ssvc::bod_26_04(false, b.internet, true, true),
        exploitation: Exploitation::PublicPoc,
        exposure: sd.exposure,
        automatable: true,
    }
}

/// Every finding with its SSVC decisions, and the SSVC view of the device.
fn findings_and_ssvc(
    p: &Prepared<'_>,
    b: &Breakdown,
    w: &Weights,
    deciding: &Deciding,
    floors: &[FloorHit],
    tier: Tier,
) -> (Vec<FindingView>, SsvcView) {
    let sd = ssvc_device(p, b, w);
    let mut views: Vec<FindingView> = p
        .findings
        .iter()
        .map(|f| finding_view(f, p, b, &sd))
        .collect();
    if p.knobs.default_creds == Tri::Yes && b.reachable {
        views.push(default_credentials_view(p, b, w, &sd));
    }
    let ssvc = ssvc_view(p, &views, deciding, floors, tier);
    (views, ssvc)
}

/// The device's SSVC decision (the most urgent among counted findings, or
/// immediate on a compromise indicator) and where it disagrees with the
/// tier.
fn ssvc_view(
    p: &Prepared<'_>,
    views: &[FindingView],
    deciding: &Deciding,
    floors: &[FloorHit],
    tier: Tier,
) -> SsvcView {
    let k = &p.knobs;
    let counted = || views.iter().filter(|f| f.counted);
    let (device_decision, bod) = ssvc_decision(
        p,
        views
            .iter()
            .map(|f| (f.counted, f.ssvc_deployer, f.bod_26_04)),
    );
    let reason = if k.compromise_external || k.compromise_internal {
        "compromise indicator: immediate (incident response), whatever the findings".to_owned()
    } else if counted().next().is_some() {
        "most urgent deployer decision among counted findings".to_owned()
    } else {
        "no counted findings".to_owned()
    };
    let ssvc_tier = match device_decision {
        Decision::Immediate => Tier::Critical,
        Decision::OutOfCycle => Tier::High,
        Decision::Scheduled => Tier::Medium,
        _ => Tier::Low,
    };
    let disagreement = (ssvc_tier != tier).then(|| match deciding {
        Deciding::Floor { rule } => format!(
            "SSVC says {device_decision}, the tier is {tier} because of floor {} ({})",
            rule.code(),
            floors.first().map_or(String::new(), |f| f.reason.clone())
        ),
        Deciding::Factor { group, code } => format!(
            "SSVC says {device_decision} from findings alone; the tier {tier} also weighs exposure, hygiene and governance (largest factor {group}:{code})"
        ),
    });
    SsvcView {
        device: device_decision,
        reason,
        human_impact: p.human_impact,
        bod_26_04: bod,
        disagreement,
    }
}

/// The device's SSVC decision (the most urgent among counted findings, or
/// immediate on a compromise indicator) and its most urgent BOD 26-04
/// timeline, from each finding's (counted, deployer decision, timeline).
fn ssvc_decision(
    p: &Prepared<'_>,
    findings: impl Iterator<Item = (bool, Decision, Bod2604)>,
) -> (Decision, Option<Bod2604>) {
    let mut decision = Decision::Defer;
    let mut bod: Option<Bod2604> = None;
    for (counted, d, b) in findings {
        if counted {
            decision = decision.max(d);
            bod = bod.max(Some(b));
        }
    }
    if p.knobs.compromise_external || p.knobs.compromise_internal {
        decision = Decision::Immediate;
    }
    (decision, bod)
}

/// The SSVC decisions of every finding (and of the default-credentials
/// pseudo-finding), without building their views.
fn ssvc_of_findings<'p>(
    p: &'p Prepared<'_>,
    b: &'p Breakdown,
    w: &Weights,
) -> impl Iterator<Item = (bool, Decision, Bod2604)> + 'p {
    let sd = ssvc_device(p, b, w);
    let creds = (p.knobs.default_creds == Tri::Yes && b.reachable).then(|| {
        (
            true,
            ssvc::deployer_decision(Exploitation::PublicPoc, sd.exposure, true, p.human_impact),
            ssvc::bod_26_04(false, b.internet, true, true),
        )
    });
    p.findings
        .iter()
        .map(move |f| {
            let exposure = if f.remote {
                sd.exposure
            } else {
                SystemExposure::Small
            };
            (
                f.counted,
                ssvc::deployer_decision(f.exploitation, exposure, f.automatable, p.human_impact),
                ssvc::bod_26_04(
                    f.kev.is_some(),
                    b.internet && f.remote,
                    f.automatable,
                    f.total,
                ),
            )
        })
        .chain(creds)
}

/// The impact multiplier's reason, with the MDS2 answers it used.
fn impact_text(p: &Prepared<'_>) -> String {
    let mut impact = p.m_reason.clone();
    if !p.mds2.evidence.is_empty() {
        impact.push_str("; MDS2 filled: ");
        impact.push_str(&p.mds2.evidence.join("; "));
    }
    impact
}

/// Unknown values and missing inputs, each with how it was scored.
fn data_gaps(s: &Scorer, p: &Prepared<'_>, b: &Breakdown) -> Vec<Cow<'static, str>> {
    let mut gaps = exposure_gaps(p, &s.weights);
    gaps.extend(os_and_control_gaps(s, p, b));
    gaps.extend(data_impact_and_governance_gaps(p));
    for f in &p.findings {
        if f.vector.is_none() {
            gaps.push(Cow::Owned(format!(
                "finding {}: no CVSS vector, scored {}",
                f.id, s.weights.vulnerability.unknown_score
            )));
        }
    }
    gaps
}

fn exposure_gaps(p: &Prepared<'_>, w: &Weights) -> Vec<Cow<'static, str>> {
    let (d, k) = (p.device, &p.knobs);
    let mut gaps = Vec::new();
    if d.exposure.zone == Zone::Unknown {
        gaps.push(Cow::Owned(format!(
            "exposure.zone unknown: scored {} of 0–{}",
            w.exposure.zone_unknown, w.exposure.zone_internet
        )));
    }
    if k.remote == RemoteAccess::Unknown {
        gaps.push(Cow::Owned(format!(
            "exposure.remote_access unknown: scored {}",
            w.exposure.remote_unknown
        )));
    }
    if d.exposure.internet_reachable == Tri::Unknown {
        gaps.push(Cow::Borrowed(
            "exposure.internet_reachable unknown (no external scan result)",
        ));
    }
    if k.wireless == Tri::Unknown {
        gaps.push(Cow::Borrowed(
            "exposure.wireless unknown: half the wireless points",
        ));
    }
    if k.legacy == Tri::Unknown {
        gaps.push(Cow::Borrowed(
            "exposure.legacy_services unknown: half the legacy-service points",
        ));
    }
    if let (None, Some(_)) = (&d.exposure.expected_peers, &d.exposure.observed_flows) {
        gaps.push(Cow::Borrowed(
            "exposure.expected_peers unknown: observed flows cannot be checked against an allowlist",
        ));
    }
    gaps
}

fn os_and_control_gaps(s: &Scorer, p: &Prepared<'_>, b: &Breakdown) -> Vec<Cow<'static, str>> {
    let (w, k) = (&s.weights, &p.knobs);
    let mut gaps = Vec::new();
    if p.device.os.is_none() {
        gaps.push(Cow::Owned(format!(
            "os unknown: scored {}",
            w.hygiene.os_unknown
        )));
    } else if p.os_release.is_none() {
        gaps.push(Cow::Owned(format!(
            "os not in the lifecycle table ({}): scored {}",
            s.os.source(),
            w.hygiene.os_unknown
        )));
    }
    if b.os_status == OsStatus::EsuUnknown {
        gaps.push(Cow::Borrowed(
            "os.esu_enrolled unknown while an ESU window is open",
        ));
    }
    for (name, t) in [
        ("controls.default_credentials", k.default_creds),
        ("controls.malware_protection/app_allowlisting", k.malware),
        ("controls.encryption_in_transit", k.enc_transit),
        ("controls.encryption_at_rest", k.enc_rest),
    ] {
        // Encryption in transit does not matter without a network path.
        if t == Tri::Unknown && (name != "controls.encryption_in_transit" || model::reachable(k)) {
            gaps.push(Cow::Owned(format!("{name} unknown")));
        }
    }
    gaps
}

fn data_impact_and_governance_gaps(p: &Prepared<'_>) -> Vec<Cow<'static, str>> {
    let k = &p.knobs;
    let mut gaps = Vec::new();
    if p.phi == 0.5 {
        gaps.push(Cow::Borrowed(
            "data.stores_phi unknown: PHI-dependent points halved, breach floors apply",
        ));
    } else if p.phi > 0.0 && p.phi_patients.is_none() {
        gaps.push(Cow::Borrowed("data.phi_patients unknown"));
    }
    if !p.human_impact_known {
        gaps.push(Cow::Borrowed(
            "clinical.safety_impact/mission_impact unknown: Human Impact treated as high",
        ));
    }
    if !k.owner_known {
        gaps.push(Cow::Borrowed("governance.owner unknown"));
    }
    if !k.patch_known {
        gaps.push(Cow::Borrowed("governance.patch_responsibility unknown"));
    }
    gaps
}

/// Missing, waived or stale inputs that are not the device's own record:
/// KEV, EPSS, MDS2, SBOM, network monitoring. Every device lists the
/// missing threat data, with or without findings.
fn input_gaps(s: &Scorer, p: &Prepared<'_>) -> Vec<Cow<'static, str>> {
    let d = p.device;
    let mut gaps = Vec::new();
    if !p.threat_kev {
        gaps.push(Cow::Borrowed(if s.threat.kev_waived {
            "KEV catalog not used (waived): findings are not checked against known exploitation, only CVSS E:A/E:H says so"
        } else {
            "no KEV catalog supplied: findings are not checked against known exploitation, only CVSS E:A/E:H says so"
        }));
    }
    if !p.threat_epss {
        gaps.push(Cow::Borrowed(if s.threat.epss_waived {
            "EPSS snapshot not used (waived): no exploitation forecast"
        } else {
            "no EPSS snapshot supplied: no exploitation forecast"
        }));
    }
    if d.exposure.observed_flows.is_none() {
        gaps.push(Cow::Borrowed(
            "exposure.observed_flows unknown: no network monitoring data",
        ));
    }
    if d.mds2.is_empty() {
        gaps.push(Cow::Borrowed("no MDS2 answers"));
    }
    if p.mds2.no_sbom {
        gaps.push(Cow::Borrowed(
            "no SBOM (MDS2 SBOM-1 = no): findings may be incomplete",
        ));
    }
    if let Some(k) = s
        .threat
        .kev
        .as_ref()
        .and_then(crate::threat::KevCatalog::released)
        && s.as_of.days_since(k) > crate::threat::STALE_AFTER_DAYS
    {
        gaps.push(Cow::Owned(format!(
            "KEV catalog released {k} is {} days older than as_of",
            s.as_of.days_since(k)
        )));
    }
    if let Some(e) = &s.threat.epss
        && s.as_of.days_since(e.score_date()) > crate::threat::STALE_AFTER_DAYS
    {
        gaps.push(Cow::Owned(format!(
            "EPSS scores dated {} are {} days older than as_of",
            e.score_date(),
            s.as_of.days_since(e.score_date())
        )));
    }
    gaps
}

fn tri_phi(phi: f64) -> &'static str {
    if phi >= 1.0 {
        "present"
    } else if phi > 0.0 {
        "unknown"
    } else {
        "none"
    }
}

fn floor_text(
    p: &Prepared<'_>,
    b: &Breakdown,
    rule: FloorRule,
    s: &Scorer,
) -> (String, Vec<String>) {
    let kev_ev = || -> Vec<String> {
        b.kev_net_top
            .map(|i| {
                let f = &p.findings[p.counted[i].idx];
                let kev = s.threat.kev.as_ref().map_or("", |k| k.version());
                vec![format!(
                    "{} in KEV {kev} (added {})",
                    f.id,
                    f.kev.map_or_else(String::new, |(a, _)| a.to_string())
                )]
            })
            .unwrap_or_default()
    };
    let peers = |external: bool| -> Vec<String> {
        p.unexpected
            .iter()
            .filter(|(_, e)| *e == external)
            .map(|(ip, _)| {
                let f = p
                    .device
                    .exposure
                    .observed_flows
                    .iter()
                    .flatten()
                    .find(|f| f.peer == *ip);
                let country = f
                    .and_then(|f| f.country.as_deref())
                    .map_or(String::new(), |c| format!(" ({c})"));
                let last = f
                    .and_then(|f| f.last_seen)
                    .map_or(String::new(), |d| format!(", last seen {d}"));
                format!("flow to {ip}{country} is outside expected_peers{last}")
            })
            .collect()
    };
    match rule {
        FloorRule::CompromiseIndicatorExternal => (
            "traffic to an unexpected external peer: possible compromise; respond as an incident".to_owned(),
            peers(true),
        ),
        FloorRule::CompromiseIndicatorInternal => (
            "traffic to an unexpected internal peer: possible lateral movement or a wrong allowlist".to_owned(),
            peers(false),
        ),
        FloorRule::KevInternet => ("a known-exploited vulnerability reachable on an internet-exposed device".to_owned(), kev_ev()),
        FloorRule::KevReachableBroadHighImpact => (
            format!(
                "a known-exploited vulnerability reachable over the network, broad exposure (X = {:.0}) and Human Impact {}",
                b.x, p.human_impact
            ),
            kev_ev(),
        ),
        FloorRule::KevReachableBroad => (
            format!("a known-exploited vulnerability reachable over the network with broad exposure (X = {:.0})", b.x),
            kev_ev(),
        ),
        FloorRule::KevReachable => (
            "a known-exploited vulnerability reachable over the network from allowed hosts".to_owned(),
            kev_ev(),
        ),
        FloorRule::InternetPhiOrDefaultCredentials => (
            "reachable from the internet while holding PHI (or unknown) or default credentials".to_owned(),
            Vec::new(),
        ),
        FloorRule::DefaultCredentials => (
            "default credentials on a network-reachable device".to_owned(),
            vec![format!("{} = {}", model::DEFAULT_CREDS_ID, model::DEFAULT_CREDS_VECTOR)],
        ),
        FloorRule::VeryHighImpactUnsupportedOs => (
            format!("very high Human Impact on an unsupported OS with exposure X = {:.0}", b.x),
            Vec::new(),
        ),
    }
}
