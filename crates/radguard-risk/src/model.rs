//! The numeric core of MIRS: a device is *prepared* once (vectors scored,
//! threat data looked up, MDS2 applied), then *evaluated* as often as the
//! planner needs, without allocating.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::cvss::{Cvss, ExploitMaturity};
use crate::date::Date;
use crate::inventory::{
    Component, Device, Finding, PatchResponsibility, RemoteAccess, Tri, VexState, Zone,
};
use crate::lifecycle::{OsLifecycle, OsStatus};
use crate::ssvc::{self, HumanImpact};
use crate::threat::ThreatContext;
use crate::weights::Weights;

/// The risk tier of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[non_exhaustive]
pub enum Tier {
    /// Below the medium threshold.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Tier {
    /// All tiers, from the worst.
    pub const WORST_FIRST: [Self; 4] = [Self::Critical, Self::High, Self::Medium, Self::Low];

    /// The tier of `score` under `w`'s thresholds.
    #[must_use]
    pub fn of(score: u8, w: &Weights) -> Self {
        if score >= w.tiers.critical {
            Self::Critical
        } else if score >= w.tiers.high {
            Self::High
        } else if score >= w.tiers.medium {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// `Critical`, `High`, `Medium` or `Low`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Critical => "Critical",
            Self::High => "High",
            Self::Medium => "Medium",
            Self::Low => "Low",
        }
    }

    /// The suggested response time, aligned with SSVC outcomes.
    #[must_use]
    pub fn sla(self) -> &'static str {
        match self {
            Self::Critical => "immediate: mitigate within 72 hours",
            Self::High => "out-of-cycle: within 14 days",
            Self::Medium => "scheduled: next maintenance window, 90 days or less",
            Self::Low => "defer: track",
        }
    }
}

impl core::fmt::Display for Tier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.label())
    }
}

/// The floors of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FloorRule {
    /// Traffic to a peer outside the allowlist on the internet.
    CompromiseIndicatorExternal,
    /// Traffic to an internal peer outside the allowlist.
    CompromiseIndicatorInternal,
    /// A reachable KEV finding on an internet-exposed device.
    KevInternet,
    /// A reachable KEV finding, broad exposure, Human Impact high or more.
    KevReachableBroadHighImpact,
    /// A reachable KEV finding, broad exposure.
    KevReachableBroad,
    /// A reachable KEV finding.
    KevReachable,
    /// Internet-exposed and holding PHI or default credentials.
    InternetPhiOrDefaultCredentials,
    /// Default credentials on a reachable device.
    DefaultCredentials,
    /// Very high Human Impact on an unsupported OS with exposure.
    VeryHighImpactUnsupportedOs,
}

pub(crate) const N_FLOORS: usize = 9;

impl FloorRule {
    pub(crate) const ALL: [Self; N_FLOORS] = [
        Self::CompromiseIndicatorExternal,
        Self::CompromiseIndicatorInternal,
        Self::KevInternet,
        Self::KevReachableBroadHighImpact,
        Self::KevReachableBroad,
        Self::KevReachable,
        Self::InternetPhiOrDefaultCredentials,
        Self::DefaultCredentials,
        Self::VeryHighImpactUnsupportedOs,
    ];

    /// The rule's code, e.g. `KEV_REACHABLE_BROAD_HIGH_IMPACT`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::CompromiseIndicatorExternal => "COMPROMISE_INDICATOR_EXTERNAL",
            Self::CompromiseIndicatorInternal => "COMPROMISE_INDICATOR_INTERNAL",
            Self::KevInternet => "KEV_INTERNET",
            Self::KevReachableBroadHighImpact => "KEV_REACHABLE_BROAD_HIGH_IMPACT",
            Self::KevReachableBroad => "KEV_REACHABLE_BROAD",
            Self::KevReachable => "KEV_REACHABLE",
            Self::InternetPhiOrDefaultCredentials => "INTERNET_PHI_OR_DEFAULT_CREDENTIALS",
            Self::DefaultCredentials => "DEFAULT_CREDENTIALS",
            Self::VeryHighImpactUnsupportedOs => "VERY_HIGH_IMPACT_UNSUPPORTED_OS",
        }
    }
}

/// The vector used for the default-credentials pseudo-finding.
pub(crate) const DEFAULT_CREDS_VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H";
/// Its identifier.
pub const DEFAULT_CREDS_ID: &str = "CFG-DEFAULT-CREDS";

/// One counted finding, reduced to numbers.
#[derive(Debug, Clone)]
pub(crate) struct PFinding {
    /// Index into [`Prepared::findings`].
    pub(crate) idx: usize,
    /// `max_points · s/10 · w` (reach applied at evaluation).
    pub(crate) base: f64,
    /// AV:N or AV:A (or unknown vector).
    pub(crate) remote: bool,
    /// CVSS ≥ 7.
    pub(crate) high: bool,
    /// Listed in KEV on `as_of`.
    pub(crate) kev: bool,
    /// Removed by an OS upgrade.
    pub(crate) os: bool,
}

/// What the model knows about one finding (for explanations).
#[derive(Debug, Clone)]
pub(crate) struct FindingInfo<'a> {
    pub(crate) id: &'a str,
    pub(crate) vector: Option<&'a Cvss>,
    /// The canonical vector string (shared within a run).
    pub(crate) vector_text: Option<std::sync::Arc<str>>,
    pub(crate) score: f64,
    pub(crate) kev: Option<(Date, bool)>,
    pub(crate) epss: Option<f64>,
    pub(crate) w: f64,
    pub(crate) exploitation: ssvc::Exploitation,
    pub(crate) vex: Option<VexState>,
    pub(crate) vex_justification: Option<&'a str>,
    pub(crate) counted: bool,
    pub(crate) component: Component,
    pub(crate) fix_available: Tri,
    /// Attack vector network or adjacent (true when no vector is given).
    pub(crate) remote: bool,
    /// SSVC Automatable from the vector.
    pub(crate) automatable: bool,
    /// SSVC Technical Impact total (true when no vector is given).
    pub(crate) total: bool,
}

/// The values actions can change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Knobs {
    pub(crate) zone: Zone,
    pub(crate) remote: RemoteAccess,
    pub(crate) internet_reachable: Tri,
    pub(crate) wireless: Tri,
    pub(crate) legacy: Tri,
    pub(crate) default_creds: Tri,
    pub(crate) malware: Tri,
    pub(crate) enc_transit: Tri,
    pub(crate) enc_rest: Tri,
    pub(crate) os_status: OsStatus,
    pub(crate) os_upgraded: bool,
    pub(crate) owner_known: bool,
    pub(crate) patch_known: bool,
    pub(crate) vendor_support_ended: bool,
    pub(crate) past_disposal: bool,
    pub(crate) decommissioning: bool,
    pub(crate) wipe_verified: Tri,
    pub(crate) compromise_external: bool,
    pub(crate) compromise_internal: bool,
}

/// A device ready to be evaluated.
#[derive(Debug, Clone)]
pub(crate) struct Prepared<'a> {
    pub(crate) device: &'a Device,
    pub(crate) findings: Vec<FindingInfo<'a>>,
    pub(crate) counted: Vec<PFinding>,
    pub(crate) knobs: Knobs,
    pub(crate) phi: f64,
    pub(crate) phi_patients: Option<u64>,
    pub(crate) human_impact: HumanImpact,
    pub(crate) human_impact_known: bool,
    pub(crate) m: f64,
    pub(crate) m_reason: String,
    pub(crate) esu_window_open: bool,
    pub(crate) os_release: Option<String>,
    pub(crate) patch_owner: PatchResponsibility,
    pub(crate) unexpected: Vec<(IpAddr, bool)>,
    pub(crate) mds2: crate::mds2::Fill,
    pub(crate) default_creds_base: f64,
    pub(crate) threat_kev: bool,
    pub(crate) threat_epss: bool,
}

/// The result of one evaluation: every intermediate number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Breakdown {
    pub(crate) v: f64,
    /// Index into `counted`, or `None` for none; `Some(usize::MAX)` for the
    /// default-credentials pseudo-finding.
    pub(crate) v_top: Option<usize>,
    pub(crate) v_top_points: f64,
    pub(crate) v_bonus: f64,
    pub(crate) v_bonus_count: u32,
    pub(crate) x: f64,
    pub(crate) x_zone: f64,
    pub(crate) x_remote: f64,
    pub(crate) x_wireless: f64,
    pub(crate) x_legacy: f64,
    pub(crate) h: f64,
    pub(crate) h_os: f64,
    pub(crate) h_creds: f64,
    pub(crate) h_malware: f64,
    pub(crate) h_transit: f64,
    pub(crate) h_rest: f64,
    pub(crate) g: f64,
    pub(crate) g_owner: f64,
    pub(crate) g_patch: f64,
    pub(crate) g_vendor: f64,
    pub(crate) g_disposal: f64,
    pub(crate) g_wipe: f64,
    pub(crate) l: f64,
    pub(crate) m: f64,
    pub(crate) raw: f64,
    pub(crate) floors: [f64; N_FLOORS],
    pub(crate) score: u8,
    pub(crate) reachable: bool,
    pub(crate) internet: bool,
    pub(crate) os_status: OsStatus,
    pub(crate) kev_net_top: Option<usize>,
}

impl Breakdown {
    /// The highest floor that fired, if it is above the raw score.
    pub(crate) fn deciding_floor(&self) -> Option<FloorRule> {
        let (i, v) = self
            .floors
            .iter()
            .enumerate()
            .fold(
                (None, 0.0),
                |(bi, bv), (i, v)| {
                    if *v > bv { (Some(i), *v) } else { (bi, bv) }
                },
            );
        i.filter(|_| v > self.raw).map(|i| FloorRule::ALL[i])
    }
}

fn is_internal(ip: IpAddr) -> bool {
    const INTERNAL: [&str; 9] = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    ];
    INTERNAL
        .iter()
        .filter_map(|n| n.parse::<IpNet>().ok())
        .any(|n| n.contains(&ip))
}

/// Everything a scoring run shares.
#[derive(Debug, Clone)]
pub(crate) struct Context<'a> {
    pub(crate) weights: &'a Weights,
    pub(crate) threat: &'a ThreatContext,
    pub(crate) os: &'a OsLifecycle,
    pub(crate) as_of: Date,
}

/// OS status, the release it was read from, and whether an ESU window is open.
type OsFacts = (OsStatus, Option<String>, bool);

/// What the model needs from a vector, computed once per distinct vector.
#[derive(Debug, Clone)]
pub(crate) struct VectorFacts {
    score: f64,
    remote: bool,
    maturity: ExploitMaturity,
    automatable: bool,
    total: bool,
    text: std::sync::Arc<str>,
}

/// What a run computes once and reuses across devices: vector scores and
/// OS lifecycle lookups.
#[derive(Debug, Default)]
pub(crate) struct RunCache<'a> {
    vectors: foldhash::HashMap<&'a Cvss, VectorFacts>,
    os: foldhash::HashMap<(&'a str, &'a str, Tri), OsFacts>,
}

/// The cache type used by callers.
pub(crate) type VectorCache<'a> = RunCache<'a>;

pub(crate) fn prepare<'a>(
    ctx: &Context<'_>,
    device: &'a Device,
    cache: &mut RunCache<'a>,
) -> Prepared<'a> {
    let fill = crate::mds2::fill(device);
    let known = Known::of(device, &fill);
    let (os_status, os_release, esu_window_open) = os_facts(ctx, device, cache);
    let unexpected = unexpected_peers(device);
    let impact = Impact::of(ctx.weights, device);
    let (findings, counted) = findings(ctx, device, cache);
    // The pseudo-finding: 9.8, public exploit (E:H) weight, never KEV.
    let vw = &ctx.weights.vulnerability;
    let default_creds_base = vw.max_points * 0.98 * vw.exploit_poc;

    let g = &device.governance;
    let knobs = Knobs {
        zone: device.exposure.zone,
        remote: known.remote,
        internet_reachable: device.exposure.internet_reachable,
        wireless: known.wireless,
        legacy: known.legacy,
        default_creds: known.default_creds,
        malware: known.malware,
        enc_transit: known.enc_transit,
        enc_rest: known.enc_rest,
        os_status,
        os_upgraded: false,
        owner_known: g.owner.as_deref().is_some_and(|o| !o.trim().is_empty()),
        patch_known: known.patch_owner != PatchResponsibility::Unknown,
        vendor_support_ended: g.vendor_support_end.is_some_and(|d| d < ctx.as_of),
        past_disposal: g.planned_disposal.is_some_and(|d| d < ctx.as_of),
        decommissioning: g.decommissioning,
        wipe_verified: g.wipe_verified,
        compromise_external: unexpected.iter().any(|(_, ext)| *ext),
        compromise_internal: unexpected.iter().any(|(_, ext)| !*ext),
    };
    Prepared {
        device,
        findings,
        counted,
        knobs,
        phi: known.stores_phi.weight(),
        phi_patients: device.data.phi_patients,
        human_impact: impact.human,
        human_impact_known: impact.known,
        m: impact.m,
        m_reason: impact.reason,
        esu_window_open,
        os_release,
        patch_owner: known.patch_owner,
        unexpected,
        mds2: fill,
        default_creds_base,
        threat_kev: ctx.threat.kev.is_some(),
        threat_epss: ctx.threat.epss.is_some(),
    }
}

/// The device's own values, with unknown ones taken from its MDS2 answers
/// where they say more.
struct Known {
    default_creds: Tri,
    malware: Tri,
    enc_transit: Tri,
    enc_rest: Tri,
    stores_phi: Tri,
    wireless: Tri,
    remote: RemoteAccess,
    legacy: Tri,
    patch_owner: PatchResponsibility,
}

impl Known {
    fn of(device: &Device, fill: &crate::mds2::Fill) -> Self {
        let c = &device.controls;
        let pick = |own: Tri, filled: Option<Tri>| {
            if own == Tri::Unknown {
                filled.unwrap_or(own)
            } else {
                own
            }
        };
        let malware_p = pick(c.malware_protection, fill.malware_protection);
        let allowlist = pick(c.app_allowlisting, fill.app_allowlisting);
        let mut stores_phi = pick(device.data.stores_phi, fill.stores_phi);
        if device.data.phi_patients.is_some_and(|p| p > 0) {
            stores_phi = Tri::Yes;
        }
        Self {
            default_creds: pick(c.default_credentials, fill.default_credentials),
            malware: match (malware_p, allowlist) {
                (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
                (Tri::No, Tri::No) => Tri::No,
                _ => Tri::Unknown,
            },
            enc_transit: pick(c.encryption_in_transit, fill.encryption_in_transit),
            enc_rest: pick(c.encryption_at_rest, fill.encryption_at_rest),
            stores_phi,
            wireless: pick(device.exposure.wireless, fill.wireless),
            remote: if device.exposure.remote_access == RemoteAccess::Unknown {
                fill.remote_access.unwrap_or(RemoteAccess::Unknown)
            } else {
                device.exposure.remote_access
            },
            legacy: match &device.exposure.legacy_services {
                None => Tri::Unknown,
                Some(v) if v.is_empty() => Tri::No,
                Some(_) => Tri::Yes,
            },
            patch_owner: if device.governance.patch_responsibility == PatchResponsibility::Unknown {
                fill.patch_responsibility
                    .unwrap_or(PatchResponsibility::Unknown)
            } else {
                device.governance.patch_responsibility
            },
        }
    }
}

/// The OS's lifecycle status on `as_of` (looked up once per run).
fn os_facts<'a>(ctx: &Context<'_>, device: &'a Device, cache: &mut RunCache<'a>) -> OsFacts {
    match &device.os {
        None => (OsStatus::Unknown, None, false),
        Some(o) => cache
            .os
            .entry((o.product.as_str(), o.version.as_str(), o.esu_enrolled))
            .or_insert_with(|| {
                let (st, rel) = ctx
                    .os
                    .status(&o.product, &o.version, o.esu_enrolled, ctx.as_of);
                let open = rel
                    .and_then(|r| r.end_of_paid_esu)
                    .is_some_and(|e| ctx.as_of <= e);
                (
                    st,
                    rel.map(|r| format!("{} {}", r.product, r.version)),
                    open,
                )
            })
            .clone(),
    }
}

/// Observed peers outside the allowlist, each once, with `true` for an
/// external one.
fn unexpected_peers(device: &Device) -> Vec<(IpAddr, bool)> {
    let mut unexpected = Vec::new();
    if let (Some(allowed), Some(flows)) = (
        &device.exposure.expected_peers,
        &device.exposure.observed_flows,
    ) {
        for f in flows {
            if !allowed.iter().any(|n| n.contains(&f.peer))
                && !unexpected.iter().any(|(p, _)| *p == f.peer)
            {
                unexpected.push((f.peer, !is_internal(f.peer)));
            }
        }
    }
    unexpected
}

/// SSVC Human Impact and the impact multiplier, with its reason.
struct Impact {
    human: HumanImpact,
    known: bool,
    m: f64,
    reason: String,
}

impl Impact {
    fn of(w: &Weights, device: &Device) -> Self {
        let (human_impact, known) = match (
            device.clinical.safety_impact,
            device.clinical.mission_impact,
        ) {
            (Some(s), Some(m)) => (ssvc::human_impact(s, m), true),
            _ => (HumanImpact::High, false),
        };
        let mut m = if known {
            match human_impact {
                HumanImpact::Low => w.impact.low,
                HumanImpact::Medium => w.impact.medium,
                HumanImpact::High => w.impact.high,
                _ => w.impact.very_high,
            }
        } else {
            w.impact.unknown
        };
        let mut m_reason = if known {
            format!("SSVC Human Impact {human_impact}")
        } else {
            "Human Impact unknown (safety or mission impact not given): treated as high".to_owned()
        };
        let phi_patients = device.data.phi_patients;
        if phi_patients.is_some_and(|p| p >= w.impact.phi_patients_threshold)
            && m < w.impact.phi_large_min
        {
            m = w.impact.phi_large_min;
            m_reason.push_str(&format!(
                "; raised to {m:.2}: PHI of {} patients or more",
                w.impact.phi_patients_threshold
            ));
        }
        let archive = device.data.phi_archive == Tri::Yes || device.class.is_archive();
        if archive && m < w.impact.archive_min {
            m = w.impact.archive_min;
            m_reason.push_str(&format!("; raised to {m:.2}: PHI archive"));
        }
        Self {
            human: human_impact,
            known,
            m,
            reason: m_reason,
        }
    }
}

/// Every finding with its score and threat data, and the counted ones
/// (not excluded by VEX) with their base points.
fn findings<'a>(
    ctx: &Context<'_>,
    device: &'a Device,
    cache: &mut RunCache<'a>,
) -> (Vec<FindingInfo<'a>>, Vec<PFinding>) {
    let vw = &ctx.weights.vulnerability;
    let mut findings = Vec::with_capacity(device.findings.len());
    let mut counted = Vec::with_capacity(device.findings.len());
    for f in &device.findings {
        let info = finding_info(ctx, f, cache);
        if info.counted {
            counted.push(PFinding {
                idx: findings.len(),
                base: vw.max_points * (info.score / 10.0) * info.w,
                remote: info.remote,
                high: info.score >= 7.0,
                kev: info.kev.is_some(),
                os: f.component == Component::Os,
            });
        }
        findings.push(info);
    }
    (findings, counted)
}

/// One finding: its vector's facts (computed once per run), KEV and EPSS,
/// SSVC Exploitation and the exploitation weight.
fn finding_info<'a>(
    ctx: &Context<'_>,
    f: &'a Finding,
    cache: &mut RunCache<'a>,
) -> FindingInfo<'a> {
    let vw = &ctx.weights.vulnerability;
    let vector = f.vector();
    let facts = vector.map(|v| {
        cache
            .vectors
            .entry(v)
            .or_insert_with(|| VectorFacts {
                score: v.score(),
                remote: v.attack_vector().is_remote(),
                maturity: v.exploit_maturity(),
                automatable: v.automatable(),
                total: v.total_technical_impact(),
                text: std::sync::Arc::from(v.to_string()),
            })
            .clone()
    });
    let (score, remote, maturity, automatable, total, vector_text) = match facts {
        Some(f) => (
            f.score,
            f.remote,
            f.maturity,
            f.automatable,
            f.total,
            Some(f.text),
        ),
        None => (
            vw.unknown_score,
            true,
            ExploitMaturity::NotDefined,
            false,
            true,
            None,
        ),
    };
    let kev = ctx
        .threat
        .kev
        .as_ref()
        .and_then(|k| k.listed(&f.id, ctx.as_of))
        .map(|e| (e.date_added, e.known_ransomware));
    let epss = ctx
        .threat
        .epss
        .as_ref()
        .and_then(|e| e.get(&f.id))
        .map(|s| s.epss);
    let (exploitation, mut wt) = if kev.is_some() || maturity == ExploitMaturity::Attacked {
        (ssvc::Exploitation::Active, vw.exploit_active)
    } else if maturity == ExploitMaturity::PublicPoc {
        (ssvc::Exploitation::PublicPoc, vw.exploit_poc)
    } else {
        (ssvc::Exploitation::None, vw.exploit_none)
    };
    wt = wt.max(vw.epss_base + vw.epss_slope * epss.unwrap_or(0.0));
    FindingInfo {
        id: &f.id,
        vector,
        vector_text,
        score,
        kev,
        epss,
        w: wt,
        exploitation,
        vex: f.vex,
        vex_justification: f.vex_justification.as_deref(),
        counted: !f.vex.is_some_and(VexState::excludes),
        component: f.component,
        fix_available: f.fix_available,
        remote,
        automatable,
        total,
    }
}

fn zone_points(w: &Weights, z: Zone) -> f64 {
    let e = &w.exposure;
    match z {
        Zone::Internet => e.zone_internet,
        Zone::Dmz => e.zone_dmz,
        Zone::Flat => e.zone_flat,
        Zone::ClinicalVlanNoAcl => e.zone_clinical_vlan_no_acl,
        Zone::SegmentedAllowlist => e.zone_segmented_allowlist,
        Zone::Isolated => e.zone_isolated,
        Zone::Standalone => e.zone_standalone,
        _ => e.zone_unknown,
    }
}

fn remote_points(w: &Weights, r: RemoteAccess) -> f64 {
    let e = &w.exposure;
    match r {
        RemoteAccess::None => e.remote_none,
        RemoteAccess::VendorVpnMfaOnDemand => e.remote_on_demand_mfa,
        RemoteAccess::VendorAlwaysOn => e.remote_always_on,
        RemoteAccess::RdpVncExposed => e.remote_rdp_vnc_exposed,
        _ => e.remote_unknown,
    }
}

pub(crate) fn os_points(w: &Weights, s: OsStatus) -> f64 {
    let h = &w.hygiene;
    match s {
        OsStatus::Supported => 0.0,
        OsStatus::ExtendedOnly => h.os_extended_only,
        OsStatus::Esu => h.os_esu,
        OsStatus::EsuUnknown => h.os_esu_unknown,
        OsStatus::Unsupported => h.os_unsupported,
        _ => h.os_unknown,
    }
}

/// `true` when the device has a network path (not standalone without
/// remote access).
pub(crate) fn reachable(k: &Knobs) -> bool {
    !(k.zone == Zone::Standalone && k.remote == RemoteAccess::None)
}

/// `true` when the device is exposed to the internet.
pub(crate) fn internet(k: &Knobs) -> bool {
    k.zone == Zone::Internet
        || k.internet_reachable == Tri::Yes
        || k.remote == RemoteAccess::RdpVncExposed
}

/// Evaluates the model. `removed[i]` (by `counted` position) and `extra`
/// mark findings fixed by the plan.
pub(crate) fn evaluate(
    p: &Prepared<'_>,
    w: &Weights,
    k: &Knobs,
    removed: &[bool],
    extra: Option<usize>,
) -> Breakdown {
    let reach = reachable(k);
    let inet = internet(k);
    let xp = exposure_points(w, k);
    let vp = vulnerability_points(p, w, k, removed, extra, reach);
    let os_status = if k.os_upgraded {
        OsStatus::Supported
    } else {
        k.os_status
    };
    let hp = hygiene_points(p, w, k, os_status);
    let gp = governance_points(p, w, k);
    let l = (vp.v + xp.x + hp.h + gp.g).min(100.0);
    let raw = l * p.m;
    let floors = floors(p, w, k, &vp, xp.x, inet, reach, os_status);
    let best = floors.iter().copied().fold(raw, f64::max);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let score = best.round().clamp(0.0, 100.0) as u8;
    Breakdown {
        v: vp.v,
        v_top: vp.top,
        v_top_points: vp.top_points,
        v_bonus: vp.bonus,
        v_bonus_count: vp.others_high,
        x: xp.x,
        x_zone: xp.zone,
        x_remote: xp.remote,
        x_wireless: xp.wireless,
        x_legacy: xp.legacy,
        h: hp.h,
        h_os: hp.os,
        h_creds: hp.creds,
        h_malware: hp.malware,
        h_transit: hp.transit,
        h_rest: hp.rest,
        g: gp.g,
        g_owner: gp.owner,
        g_patch: gp.patch,
        g_vendor: gp.vendor,
        g_disposal: gp.disposal,
        g_wipe: gp.wipe,
        l,
        m: p.m,
        raw,
        floors,
        score,
        reachable: reach,
        internet: inet,
        os_status,
        kev_net_top: vp.kev_net_top,
    }
}

/// X and its parts.
struct ExposurePoints {
    x: f64,
    zone: f64,
    remote: f64,
    wireless: f64,
    legacy: f64,
}

fn exposure_points(w: &Weights, k: &Knobs) -> ExposurePoints {
    let mut zone = zone_points(w, k.zone);
    if k.internet_reachable == Tri::Yes {
        zone = zone.max(w.exposure.zone_internet);
    }
    let remote = remote_points(w, k.remote);
    let wireless = w.exposure.wireless * k.wireless.weight();
    let legacy = w.exposure.legacy_services * k.legacy.weight();
    ExposurePoints {
        x: (zone.max(remote) + wireless + legacy).min(w.exposure.cap),
        zone,
        remote,
        wireless,
        legacy,
    }
}

/// V and its parts: the worst counted finding (or the default-credentials
/// pseudo-finding, `usize::MAX`), the bonus for other High/Critical ones,
/// and the worst network-reachable KEV finding.
struct VulnerabilityPoints {
    v: f64,
    top: Option<usize>,
    top_points: f64,
    bonus: f64,
    others_high: u32,
    kev_net_top: Option<usize>,
}

fn vulnerability_points(
    p: &Prepared<'_>,
    w: &Weights,
    k: &Knobs,
    removed: &[bool],
    extra: Option<usize>,
    reach: bool,
) -> VulnerabilityPoints {
    let vw = &w.vulnerability;
    let mut top: Option<usize> = None;
    let mut top_pts = 0.0f64;
    let mut top_high = false;
    let mut highs = 0u32;
    let mut kev_net_top: Option<usize> = None;
    let mut kev_net_pts = -1.0f64;
    for (i, f) in p.counted.iter().enumerate() {
        if removed.get(i).copied().unwrap_or(false) || extra == Some(i) || (k.os_upgraded && f.os) {
            continue;
        }
        let r = if f.remote {
            if reach {
                vw.reach_network
            } else {
                vw.reach_standalone
            }
        } else {
            vw.reach_local
        };
        let pts = f.base * r;
        if f.high {
            highs += 1;
        }
        if pts > top_pts || top.is_none() {
            top = Some(i);
            top_pts = pts;
            top_high = f.high;
        }
        if f.kev && f.remote && reach && pts > kev_net_pts {
            kev_net_top = Some(i);
            kev_net_pts = pts;
        }
    }
    if k.default_creds == Tri::Yes && reach {
        highs += 1;
        let pts = p.default_creds_base * vw.reach_network;
        if pts > top_pts || top.is_none() {
            top = Some(usize::MAX);
            top_pts = pts;
            top_high = true;
        }
    }
    let others_high = highs.saturating_sub(u32::from(top_high && top.is_some()));
    let bonus = (vw.bonus_per_high * f64::from(others_high)).min(vw.bonus_cap);
    let v = if top.is_some() {
        (top_pts + bonus).min(vw.max_points)
    } else {
        0.0
    };
    VulnerabilityPoints {
        v,
        top,
        top_points: top_pts,
        bonus,
        others_high,
        kev_net_top,
    }
}

/// H and its parts.
struct HygienePoints {
    h: f64,
    os: f64,
    creds: f64,
    malware: f64,
    transit: f64,
    rest: f64,
}

fn hygiene_points(p: &Prepared<'_>, w: &Weights, k: &Knobs, os_status: OsStatus) -> HygienePoints {
    let hw = &w.hygiene;
    let os = os_points(w, os_status);
    let creds = if k.default_creds == Tri::Unknown {
        hw.credentials_unknown
    } else {
        0.0
    };
    let malware = hw.no_malware_protection * (1.0 - k.malware.weight());
    // No network path, nothing in transit: a standalone console sends its
    // images on vendor-approved media, not over the network.
    let transit = if reachable(k) {
        hw.phi_unencrypted_in_transit * p.phi * (1.0 - k.enc_transit.weight())
    } else {
        0.0
    };
    let rest = hw.phi_unencrypted_at_rest * p.phi * (1.0 - k.enc_rest.weight());
    HygienePoints {
        h: (os + creds + malware + transit + rest).min(hw.cap),
        os,
        creds,
        malware,
        transit,
        rest,
    }
}

/// G and its parts.
struct GovernancePoints {
    g: f64,
    owner: f64,
    patch: f64,
    vendor: f64,
    disposal: f64,
    wipe: f64,
}

fn governance_points(p: &Prepared<'_>, w: &Weights, k: &Knobs) -> GovernancePoints {
    let gw = &w.governance;
    let owner = if k.owner_known { 0.0 } else { gw.owner_unknown };
    let patch = if k.patch_known {
        0.0
    } else {
        gw.patch_responsibility_unknown
    };
    let vendor = if k.vendor_support_ended {
        gw.vendor_support_ended
    } else {
        0.0
    };
    let disposal = if k.past_disposal {
        gw.past_planned_disposal
    } else {
        0.0
    };
    let wipe = if (k.decommissioning || k.past_disposal) && k.wipe_verified != Tri::Yes {
        gw.decommissioning_unverified_wipe * p.phi
    } else {
        0.0
    };
    GovernancePoints {
        g: (owner + patch + vendor + disposal + wipe).min(gw.cap),
        owner,
        patch,
        vendor,
        disposal,
        wipe,
    }
}

/// The value of every floor rule (0 where it does not fire), in
/// [`FloorRule::ALL`] order.
fn floors(
    p: &Prepared<'_>,
    w: &Weights,
    k: &Knobs,
    vp: &VulnerabilityPoints,
    x: f64,
    inet: bool,
    reach: bool,
    os_status: OsStatus,
) -> [f64; N_FLOORS] {
    let fw = &w.floors;
    let mut floors = [0.0; N_FLOORS];
    if k.compromise_external {
        floors[0] = fw.compromise_external;
    }
    if k.compromise_internal {
        floors[1] = fw.compromise_internal;
    }
    if vp.kev_net_top.is_some() {
        let hi = matches!(p.human_impact, HumanImpact::High | HumanImpact::VeryHigh);
        if inet {
            floors[2] = fw.kev_internet;
        } else if x >= fw.kev_broad_exposure && hi {
            floors[3] = fw.kev_broad_high_impact;
        } else if x >= fw.kev_broad_exposure {
            floors[4] = fw.kev_broad;
        } else {
            floors[5] = fw.kev_reachable;
        }
    }
    // Breach guard: fires on PHI present or unknown.
    if inet && (p.phi > 0.0 || k.default_creds == Tri::Yes) {
        floors[6] = fw.internet_phi_or_default_credentials;
    }
    if k.default_creds == Tri::Yes && reach {
        floors[7] = fw.default_credentials;
    }
    if p.human_impact_known
        && p.human_impact == HumanImpact::VeryHigh
        && os_status == OsStatus::Unsupported
        && x >= fw.very_high_impact_min_exposure
    {
        floors[8] = fw.very_high_impact_unsupported_os;
    }
    floors
}
