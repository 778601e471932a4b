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

/// What an action does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
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
            Action::ReplaceRemoteAccess,
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
            Action::Segment,
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
            Action::DisableLegacyServices,
            Effort::S,
            &|k| k.legacy = Tri::No,
            None,
        );
    }
    if k.default_creds != Tri::No {
        a.add(
            Action::ChangeDefaultCredentials,
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
            Action::EnrolEsu,
            Effort::M,
            &|k| k.os_status = OsStatus::Esu,
            None,
        );
    }
    if p.phi > 0.0 && k.enc_transit != Tri::Yes {
        a.add(
            Action::EnableDicomTls,
            Effort::M,
            &|k| k.enc_transit = Tri::Yes,
            None,
        );
    }
    if p.phi > 0.0 && k.enc_rest != Tri::Yes {
        a.add(
            Action::EncryptAtRest,
            Effort::L,
            &|k| k.enc_rest = Tri::Yes,
            None,
        );
    }
    if k.malware != Tri::Yes {
        a.add(
            Action::EnableMalwareProtection,
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
            let fix = match info.map(|f| f.fix_available) {
                Some(Tri::No) => {
                    " (no validated fix recorded: ask the vendor, apply compensating controls meanwhile)"
                }
                _ => "",
            };
            (
                Cow::Owned(format!(
                    "Install the vendor-validated fix for {id}{fix}{vendor_validated}"
                )),
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
                "Upgrade to a supported OS release validated by the manufacturer{vendor_validated}"
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

pub(crate) fn plan(p: &Prepared<'_>, w: &Weights, start: &Breakdown) -> Vec<PlannedAction> {
    let mut out = Vec::new();
    let mut knobs = p.knobs;
    let mut removed = vec![false; p.counted.len()];
    let mut cur = *start;
    let mut cands = Vec::new();
    for rank in 1..=w.plan.max_steps {
        candidates(p, &knobs, &removed, &cur, &mut cands);
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
        if key.0 <= 0.0 && key.1 <= w.plan.min_raw_gain_per_effort {
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
