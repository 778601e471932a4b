//! Ranked remediation: greedy by score reduction per unit of effort, each
//! step re-scored with the model (counterfactual), ties broken by the
//! reduction of the floor-free score so that actions hidden behind a floor
//! still rank.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use crate::inventory::{PatchResponsibility, RemoteAccess, Tri, Zone};
use crate::lifecycle::OsStatus;
use crate::model::{self, Breakdown, Knobs, Prepared, Tier};
use crate::weights::Weights;

/// Effort class of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Effort {
    /// Hours, one team.
    S,
    /// Days, or two teams.
    M,
    /// Weeks, a project, vendor involvement.
    L,
}

impl Effort {
    fn cost(self, w: &Weights) -> f64 {
        match self {
            Self::S => w.plan.effort_small,
            Self::M => w.plan.effort_medium,
            Self::L => w.plan.effort_large,
        }
    }
}

/// A value the inventory leaves unknown, which an action verifies first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unknown {
    /// How the device is reached remotely.
    RemoteAccess,
    /// Which legacy services are enabled.
    LegacyServices,
    /// Whether default credentials are in use.
    DefaultCredentials,
    /// Whether PHI is encrypted in transit.
    EncryptionInTransit,
    /// Whether PHI is encrypted at rest.
    EncryptionAtRest,
    /// Whether malware protection or allowlisting is in place.
    MalwareProtection,
    /// Where the device sits on the network.
    NetworkZone,
    /// Whether the device is enrolled in extended security updates.
    EsuEnrolment,
}

/// What an action does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Investigate for compromise before remediating: a known-exploited
    /// vulnerability was reachable from the internet (CISA BOD 26-04:
    /// forensic investigation).
    InvestigateCompromise,
    /// Take the device off the internet until it is patched.
    DisconnectFromInternet,
    /// Find out a value the inventory leaves unknown, and fix it if it is
    /// the bad one (the "after" score assumes it gets fixed).
    Verify(Unknown),
    /// Block, capture and investigate traffic to unexpected peers.
    InvestigatePeer,
    /// Move to a modality VLAN with an allowlist.
    Segment,
    /// Replace always-on or exposed remote access with on-demand MFA.
    ReplaceRemoteAccess,
    /// Disable legacy services.
    DisableLegacyServices,
    /// Install a vendor-validated fix for one finding.
    Patch(String),
    /// Upgrade to a supported, vendor-validated OS.
    UpgradeOs,
    /// Enrol in paid extended security updates.
    EnrolEsu,
    /// Replace default credentials.
    ChangeDefaultCredentials,
    /// Record owner and patch responsibility.
    AssignOwner,
    /// Disconnect and sanitise (NIST SP 800-88) before disposal.
    DisconnectAndSanitize,
    /// Enable DICOM TLS.
    EnableDicomTls,
    /// Enable encryption at rest.
    EncryptAtRest,
    /// Enable vendor-approved malware protection or allowlisting.
    EnableMalwareProtection,
}

impl Action {
    /// A stable code, e.g. `patch`, `segment`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvestigateCompromise => "investigate_compromise",
            Self::DisconnectFromInternet => "disconnect_from_internet",
            Self::Verify(u) => match u {
                Unknown::RemoteAccess => "verify_remote_access",
                Unknown::LegacyServices => "verify_legacy_services",
                Unknown::DefaultCredentials => "verify_default_credentials",
                Unknown::EncryptionInTransit => "verify_encryption_in_transit",
                Unknown::EncryptionAtRest => "verify_encryption_at_rest",
                Unknown::MalwareProtection => "verify_malware_protection",
                Unknown::NetworkZone => "verify_network_zone",
                Unknown::EsuEnrolment => "verify_esu_enrolment",
            },
            Self::InvestigatePeer => "investigate_unexpected_peer",
            Self::Segment => "segment",
            Self::ReplaceRemoteAccess => "replace_remote_access",
            Self::DisableLegacyServices => "disable_legacy_services",
            Self::Patch(_) => "patch",
            Self::UpgradeOs => "upgrade_os",
            Self::EnrolEsu => "enrol_esu",
            Self::ChangeDefaultCredentials => "change_default_credentials",
            Self::AssignOwner => "assign_owner",
            Self::DisconnectAndSanitize => "disconnect_and_sanitize",
            Self::EnableDicomTls => "enable_dicom_tls",
            Self::EncryptAtRest => "encrypt_at_rest",
            Self::EnableMalwareProtection => "enable_malware_protection",
        }
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PlannedAction {
    /// 1 for the first.
    pub rank: usize,
    /// What to do.
    pub action: Action,
    /// The finding it fixes, for patches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// Instruction.
    pub title: Cow<'static, str>,
    /// Effort.
    pub effort: Effort,
    /// Who.
    pub owner: Cow<'static, str>,
    /// Score before.
    pub before: u8,
    /// Score after this step (and the ones above it).
    pub after: u8,
    /// Tier after.
    pub tier_after: Tier,
    /// What it removes.
    pub reason: Cow<'static, str>,
}

struct Candidate {
    action: Action,
    effort: Effort,
    knobs: Knobs,
    extra: Option<usize>,
}

fn owner_for(patch: PatchResponsibility) -> &'static str {
    match patch {
        PatchResponsibility::Vendor => "vendor",
        PatchResponsibility::Hdo => "HDO",
        PatchResponsibility::Shared => "HDO+vendor",
        _ => "unassigned (record patch responsibility)",
    }
}

fn candidates(
    p: &Prepared<'_>,
    k: &Knobs,
    removed: &[bool],
    cur: &Breakdown,
    out: &mut Vec<Candidate>,
) {
    out.clear();
    let mut add = Adder { k, out };
    incident_and_access_candidates(k, &mut add);
    patch_candidates(p, k, removed, cur, &mut add);
    os_and_protection_candidates(p, k, &mut add);
}

/// `Verify(what)` when the value is unknown, else `fix`: an action never
/// claims to replace or disable what may not be there.
fn verify_or(unknown: bool, what: Unknown, fix: Action) -> Action {
    if unknown { Action::Verify(what) } else { fix }
}

/// Adds a candidate when it changes something.
struct Adder<'a> {
    k: &'a Knobs,
    out: &'a mut Vec<Candidate>,
}

impl Adder<'_> {
    fn add(
        &mut self,
        action: Action,
        effort: Effort,
        f: &dyn Fn(&mut Knobs),
        extra: Option<usize>,
    ) {
        let mut knobs = *self.k;
        f(&mut knobs);
        if knobs != *self.k || extra.is_some() {
            self.out.push(Candidate {
                action,
                effort,
                knobs,
                extra,
            });
        }
    }
}

/// Incident response, disposal, remote access, segmentation, legacy
/// services, credentials, ownership.
fn incident_and_access_candidates(k: &Knobs, a: &mut Adder<'_>) {
    if k.compromise_external || k.compromise_internal {
        a.add(
            Action::InvestigatePeer,
            Effort::S,
            &|k| {
                k.compromise_external = false;
                k.compromise_internal = false;
            },
            None,
        );
    }
    if k.decommissioning || k.past_disposal {
        a.add(
            Action::DisconnectAndSanitize,
            Effort::S,
            &|k| {
                k.zone = Zone::Standalone;
                k.remote = RemoteAccess::None;
                k.internet_reachable = Tri::No;
                k.wipe_verified = Tri::Yes;
            },
            None,
        );
    }
    if matches!(
        k.remote,
        RemoteAccess::VendorAlwaysOn | RemoteAccess::RdpVncExposed | RemoteAccess::Unknown
    ) {
        a.add(
            verify_or(
                k.remote == RemoteAccess::Unknown,
                Unknown::RemoteAccess,
                Action::ReplaceRemoteAccess,
            ),
            Effort::S,
            &|k| k.remote = RemoteAccess::VendorVpnMfaOnDemand,
            None,
        );
    }
    if !matches!(
        k.zone,
        Zone::SegmentedAllowlist | Zone::Isolated | Zone::Standalone
    ) {
        a.add(
            verify_or(
                k.zone == Zone::Unknown,
                Unknown::NetworkZone,
                Action::Segment,
            ),
            Effort::M,
            &|k| {
                k.zone = Zone::SegmentedAllowlist;
                k.internet_reachable = Tri::No;
            },
            None,
        );
    }
    if k.legacy != Tri::No {
        a.add(
            verify_or(
                k.legacy == Tri::Unknown,
                Unknown::LegacyServices,
                Action::DisableLegacyServices,
            ),
            Effort::S,
            &|k| k.legacy = Tri::No,
            None,
        );
    }
    if k.default_creds != Tri::No {
        a.add(
            verify_or(
                k.default_creds == Tri::Unknown,
                Unknown::DefaultCredentials,
                Action::ChangeDefaultCredentials,
            ),
            Effort::S,
            &|k| k.default_creds = Tri::No,
            None,
        );
    }
    if !k.owner_known || !k.patch_known {
        a.add(
            Action::AssignOwner,
            Effort::S,
            &|k| {
                k.owner_known = true;
                k.patch_known = true;
            },
            None,
        );
    }
}

/// Patches that can change the score: the worst finding, reachable KEV
/// findings (floors), and one other High/Critical finding (each of those
/// only lowers the bonus, all by the same amount; the first stands for them
/// all and the next is offered at the next step). Patching any other
/// finding changes neither the score nor the floor-free score, so it could
/// never be chosen.
fn patch_candidates(
    p: &Prepared<'_>,
    k: &Knobs,
    removed: &[bool],
    cur: &Breakdown,
    a: &mut Adder<'_>,
) {
    let mut high_offered = false;
    for (i, f) in p.counted.iter().enumerate() {
        if removed[i] || (k.os_upgraded && f.os) {
            continue;
        }
        let relevant = if cur.v_top == Some(i) || (f.kev && f.remote) {
            true
        } else if f.high && !high_offered {
            high_offered = true;
            true
        } else {
            false
        };
        if !relevant {
            continue;
        }
        let info = &p.findings[f.idx];
        let effort = if info.fix_available == Tri::No {
            Effort::L
        } else {
            Effort::M
        };
        // The id is filled in only for the chosen step (no allocation here).
        a.add(Action::Patch(String::new()), effort, &|_| {}, Some(i));
    }
}

/// OS upgrade or ESU, encryption, malware protection.
fn os_and_protection_candidates(p: &Prepared<'_>, k: &Knobs, a: &mut Adder<'_>) {
    if !k.os_upgraded
        && matches!(
            k.os_status,
            OsStatus::Unsupported | OsStatus::EsuUnknown | OsStatus::Esu
        )
    {
        a.add(
            Action::UpgradeOs,
            Effort::L,
            &|k| k.os_upgraded = true,
            None,
        );
    }
    if !k.os_upgraded
        && p.esu_window_open
        && matches!(k.os_status, OsStatus::Unsupported | OsStatus::EsuUnknown)
    {
        a.add(
            verify_or(
                k.os_status == OsStatus::EsuUnknown,
                Unknown::EsuEnrolment,
                Action::EnrolEsu,
            ),
            Effort::M,
            &|k| k.os_status = OsStatus::Esu,
            None,
        );
    }
    // Network encryption only where there is a network path: no TLS for a
    // standalone console.
    if p.phi > 0.0 && k.enc_transit != Tri::Yes && model::reachable(k) {
        a.add(
            verify_or(
                k.enc_transit == Tri::Unknown,
                Unknown::EncryptionInTransit,
                Action::EnableDicomTls,
            ),
            Effort::M,
            &|k| k.enc_transit = Tri::Yes,
            None,
        );
    }
    if p.phi > 0.0 && k.enc_rest != Tri::Yes {
        a.add(
            verify_or(
                k.enc_rest == Tri::Unknown,
                Unknown::EncryptionAtRest,
                Action::EncryptAtRest,
            ),
            Effort::L,
            &|k| k.enc_rest = Tri::Yes,
            None,
        );
    }
    if k.malware != Tri::Yes {
        a.add(
            verify_or(
                k.malware == Tri::Unknown,
                Unknown::MalwareProtection,
                Action::EnableMalwareProtection,
            ),
            Effort::M,
            &|k| k.malware = Tri::Yes,
            None,
        );
    }
}

fn describe(
    p: &Prepared<'_>,
    c: &Candidate,
    before: &Breakdown,
) -> (Cow<'static, str>, Cow<'static, str>, Cow<'static, str>) {
    let patch_owner = owner_for(p.patch_owner);
    let vendor_validated = if p.mds2.patches_need_vendor_validation {
        " (MDS2 CSUP-2.4: OS patches need the manufacturer's validation)"
    } else {
        ""
    };
    match &c.action {
        Action::InvestigateCompromise => (
            Cow::Borrowed(
                "Investigate for compromise before remediating (CISA BOD 26-04 for known-exploited vulnerabilities on internet-exposed assets): preserve logs and a disk image, review accounts, services and outbound connections, engage incident response",
            ),
            Cow::Borrowed("HDO security (incident response) + vendor"),
            Cow::Owned(format!(
                "{} is known to be exploited and reachable from the internet: the device may already be compromised",
                kev_internet_ids(p, before)
            )),
        ),
        Action::DisconnectFromInternet => (
            Cow::Borrowed(
                "Take the device off the internet (remove the firewall/NAT rule or exposed remote access, or disconnect it) until the known-exploited vulnerability is fixed",
            ),
            Cow::Borrowed("HDO network team"),
            Cow::Owned(format!(
                "{} is reachable from the internet",
                kev_internet_ids(p, before)
            )),
        ),
        Action::Verify(what) => verify_text(*what, patch_owner, before),
        Action::InvestigatePeer => (
            Cow::Borrowed(
                "Block the unexpected destination at the firewall, capture traffic, engage incident response and the vendor",
            ),
            Cow::Borrowed("HDO security (incident response) + vendor"),
            Cow::Owned(format!(
                "{} unexpected peer(s) outside the allowlist",
                p.unexpected.len()
            )),
        ),
        Action::Segment => (
            Cow::Borrowed(
                "Move to a modality VLAN with an inbound/outbound allowlist (PACS, RIS, worklist, vendor service hosts only)",
            ),
            Cow::Borrowed("HDO network team"),
            Cow::Owned(format!(
                "network zone contributes {:.0} exposure points",
                before.x_zone
            )),
        ),
        Action::ReplaceRemoteAccess => (
            Cow::Borrowed(
                "Replace always-on or exposed remote access with on-demand, MFA-protected, brokered vendor sessions",
            ),
            Cow::Borrowed("HDO+vendor"),
            Cow::Owned(format!(
                "remote access contributes {:.0} exposure points",
                before.x_remote
            )),
        ),
        Action::DisableLegacyServices => (
            Cow::Borrowed(
                "Disable legacy services (SMBv1, telnet, FTP, unauthenticated VNC) with the vendor's approval",
            ),
            Cow::Borrowed(patch_owner),
            Cow::Owned(format!(
                "legacy services contribute {:.1} exposure points",
                before.x_legacy
            )),
        ),
        Action::Patch(id) => {
            let info = c.extra.map(|i| &p.findings[p.counted[i].idx]);
            let title = match info.map_or(Tri::Unknown, |f| f.fix_available) {
                Tri::Yes => format!("Install the vendor-validated fix for {id}{vendor_validated}"),
                Tri::No => format!(
                    "No validated fix for {id} is known: ask the manufacturer for one and apply compensating controls until it is installed{vendor_validated}"
                ),
                _ => format!(
                    "Ask the manufacturer whether a validated fix for {id} exists and install it; apply compensating controls until then{vendor_validated}"
                ),
            };
            (
                Cow::Owned(title),
                Cow::Borrowed(patch_owner),
                info.map_or(Cow::Borrowed(""), |f| {
                    Cow::Owned(format!(
                        "{id}: CVSS {:.1}{}",
                        f.score,
                        if f.kev.is_some() { ", in KEV" } else { "" }
                    ))
                }),
            )
        }
        Action::UpgradeOs => (
            Cow::Owned(format!(
                "Upgrade to a supported OS release once the manufacturer has validated one for this device (ask for it){vendor_validated}"
            )),
            Cow::Borrowed(patch_owner),
            Cow::Owned(format!(
                "OS status {} (and OS-level findings)",
                before.os_status.label()
            )),
        ),
        Action::EnrolEsu => (
            Cow::Borrowed(
                "Enrol in paid extended security updates, if the manufacturer supports them on this device",
            ),
            Cow::Borrowed(patch_owner),
            Cow::Owned(format!("OS status {}", before.os_status.label())),
        ),
        Action::ChangeDefaultCredentials => (
            Cow::Borrowed(
                "Replace default or vendor service credentials with unique per-device credentials",
            ),
            Cow::Borrowed("HDO biomed + vendor"),
            Cow::Borrowed("default credentials in use or unverified"),
        ),
        Action::AssignOwner => (
            Cow::Borrowed(
                "Record the clinical owner and the patch responsibility (vendor or HDO) in the inventory and contract",
            ),
            Cow::Borrowed("HDO"),
            Cow::Borrowed("owner or patch responsibility unknown"),
        ),
        Action::DisconnectAndSanitize => (
            Cow::Borrowed(
                "Disconnect from the network and sanitise the media (NIST SP 800-88), with a verification record, before disposal",
            ),
            Cow::Borrowed("HDO biomed"),
            Cow::Borrowed("device leaving service with unverified data wipe"),
        ),
        Action::EnableDicomTls => (
            Cow::Borrowed(
                "Enable DICOM TLS (or another encrypted transfer) to PACS and other peers",
            ),
            Cow::Borrowed("HDO+vendor"),
            Cow::Borrowed("PHI sent without encryption in transit"),
        ),
        Action::EncryptAtRest => (
            Cow::Borrowed(
                "Enable encryption at rest, where the manufacturer supports it (MDS2 STCF-1)",
            ),
            Cow::Borrowed(patch_owner),
            Cow::Borrowed("PHI stored without encryption at rest"),
        ),
        Action::EnableMalwareProtection => (
            Cow::Borrowed("Enable vendor-approved anti-malware or application allowlisting"),
            Cow::Borrowed(patch_owner),
            Cow::Borrowed("no malware protection or allowlisting"),
        ),
    }
}

/// The title, owner and reason of a verification.
fn verify_text(
    what: Unknown,
    patch_owner: &'static str,
    before: &Breakdown,
) -> (Cow<'static, str>, Cow<'static, str>, Cow<'static, str>) {
    let (title, owner): (&'static str, &'static str) = match what {
        Unknown::RemoteAccess => (
            "Verify how the device is reached remotely (vendor VPN, always-on connection, RDP/VNC) and record it; replace always-on or exposed access with on-demand, MFA-protected sessions if found",
            "HDO+vendor",
        ),
        Unknown::LegacyServices => (
            "Verify which legacy services are enabled (a port scan or the vendor's port list, MDS2 CONN-2) and record them; disable SMBv1, telnet, FTP or unauthenticated VNC with the vendor's approval if found",
            patch_owner,
        ),
        Unknown::DefaultCredentials => (
            "Verify whether default or vendor service credentials are still in use and record it; replace them with unique per-device credentials if so",
            "HDO biomed + vendor",
        ),
        Unknown::EncryptionInTransit => (
            "Verify whether PHI is encrypted in transit (DICOM TLS, HTTPS) and record it; enable it with the vendor if not",
            "HDO+vendor",
        ),
        Unknown::EncryptionAtRest => (
            "Verify whether PHI is encrypted at rest (MDS2 STCF-1) and record it; enable it where the manufacturer supports it if not",
            patch_owner,
        ),
        Unknown::MalwareProtection => (
            "Verify whether vendor-approved anti-malware or application allowlisting is in place and record it; enable it if not",
            patch_owner,
        ),
        Unknown::NetworkZone => (
            "Verify where the device sits on the network and record it; move it to a modality VLAN with an allowlist if it is not segmented",
            "HDO network team",
        ),
        Unknown::EsuEnrolment => (
            "Verify whether the device is enrolled in extended security updates and record it; enrol it if the manufacturer supports ESU on this device",
            patch_owner,
        ),
    };
    let reason = match what {
        Unknown::RemoteAccess => format!(
            "unknown remote access is scored {:.0} exposure points",
            before.x_remote
        ),
        Unknown::NetworkZone => format!(
            "unknown network zone is scored {:.0} exposure points",
            before.x_zone
        ),
        _ => "an unknown value is scored at its midpoint, never as the best case".to_owned(),
    };
    (
        Cow::Borrowed(title),
        Cow::Borrowed(owner),
        Cow::Owned(reason),
    )
}

/// The ids of the counted KEV findings reachable over the network, as the
/// evidence of a KEV-on-the-internet step.
fn kev_internet_ids(p: &Prepared<'_>, before: &Breakdown) -> String {
    let ids: Vec<&str> = p
        .counted
        .iter()
        .filter(|f| f.kev && f.remote)
        .map(|f| p.findings[f.idx].id)
        .collect();
    match (ids.len(), before.kev_net_top) {
        (0, _) => "a finding".to_owned(),
        (1, _) => ids[0].to_owned(),
        (n, Some(top)) => format!(
            "{} (and {} other KEV finding{})",
            p.findings[p.counted[top].idx].id,
            n - 1,
            if n == 2 { "" } else { "s" }
        ),
        (_, None) => ids.join(", "),
    }
}

/// A known-exploited vulnerability reachable from the internet: CISA's
/// directive asks for forensic investigation, and then a fix or
/// disconnection before anything else.
fn kev_on_internet(b: &Breakdown) -> bool {
    b.internet && b.kev_net_top.is_some()
}

/// The steps that must come first for a KEV finding on an internet-exposed
/// device: investigate (or respond to the compromise indicator, which is
/// an investigation), then the better of patching a reachable KEV finding
/// and taking the device off the internet.
fn forced_candidates(
    p: &Prepared<'_>,
    k: &Knobs,
    removed: &[bool],
    investigated: bool,
    out: &mut Vec<Candidate>,
) {
    out.clear();
    if !investigated {
        if k.compromise_external || k.compromise_internal {
            incident_and_access_candidates(k, &mut Adder { k, out });
            out.retain(|c| c.action == Action::InvestigatePeer);
        } else {
            out.push(Candidate {
                action: Action::InvestigateCompromise,
                effort: Effort::M,
                knobs: *k,
                extra: None,
            });
        }
        return;
    }
    let mut add = Adder { k, out };
    add.add(
        Action::DisconnectFromInternet,
        Effort::S,
        &|k| {
            if matches!(k.zone, Zone::Internet) {
                k.zone = Zone::Dmz;
            }
            k.internet_reachable = Tri::No;
            if k.remote == RemoteAccess::RdpVncExposed {
                k.remote = RemoteAccess::None;
            }
        },
        None,
    );
    for (i, f) in p.counted.iter().enumerate() {
        if removed[i] || !(f.kev && f.remote) || (k.os_upgraded && f.os) {
            continue;
        }
        let effort = if p.findings[f.idx].fix_available == Tri::No {
            Effort::L
        } else {
            Effort::M
        };
        add.add(Action::Patch(String::new()), effort, &|_| {}, Some(i));
    }
}

pub(crate) fn plan(p: &Prepared<'_>, w: &Weights, start: &Breakdown) -> Vec<PlannedAction> {
    plan_steps(p, w, start, w.plan.max_steps)
}

/// The first `steps` steps of the plan.
pub(crate) fn plan_steps(
    p: &Prepared<'_>,
    w: &Weights,
    start: &Breakdown,
    steps: usize,
) -> Vec<PlannedAction> {
    let mut out = Vec::new();
    let mut knobs = p.knobs;
    let mut removed = vec![false; p.counted.len()];
    let mut cur = *start;
    let mut cands = Vec::new();
    // 0: investigate next, 1: patch or disconnect next, 2: done (or not
    // applicable).
    let mut forced = if kev_on_internet(start) { 0 } else { 2 };
    for rank in 1..=steps.min(w.plan.max_steps.max(2)) {
        let forced_step = forced < 2;
        if forced_step {
            forced_candidates(p, &knobs, &removed, forced == 1, &mut cands);
            forced += 1;
        } else {
            candidates(p, &knobs, &removed, &cur, &mut cands);
        }
        let mut best: Option<((f64, f64, f64), usize, Breakdown)> = None;
        for (i, c) in cands.iter().enumerate() {
            let after = model::evaluate(p, w, &c.knobs, &removed, c.extra);
            let cost = c.effort.cost(w);
            let key = (
                (f64::from(cur.score) - f64::from(after.score)) / cost,
                (cur.raw - after.raw) / cost,
                -cost,
            );
            let better = match &best {
                None => true,
                Some((bk, _, _)) => key.partial_cmp(bk).is_some_and(core::cmp::Ordering::is_gt),
            };
            if better {
                best = Some((key, i, after));
            }
        }
        let Some((key, i, after)) = best else { break };
        if !forced_step && key.0 <= 0.0 && key.1 <= w.plan.min_raw_gain_per_effort {
            break;
        }
        let c = &mut cands[i];
        if let (Action::Patch(id), Some(x)) = (&mut c.action, c.extra) {
            *id = p.findings[p.counted[x].idx].id.to_owned();
        }
        let c = &cands[i];
        let (title, owner, reason) = describe(p, c, &cur);
        out.push(PlannedAction {
            rank,
            finding: match &c.action {
                Action::Patch(id) => Some(id.clone()),
                _ => None,
            },
            action: c.action.clone(),
            title,
            effort: c.effort,
            owner,
            before: cur.score,
            after: after.score,
            tier_after: Tier::of(after.score, w),
            reason,
        });
        knobs = c.knobs;
        if let Some(x) = c.extra {
            removed[x] = true;
        }
        cur = after;
    }
    out
}
