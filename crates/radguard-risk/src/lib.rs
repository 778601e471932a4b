//! Explainable, deterministic risk scoring for medical imaging devices.
//!
//! `radguard-risk` scores each device of an inventory from 0 to 100 with
//! **MIRS** (Medical Imaging Risk Score), a published model built on
//! official data — CVSS v3.1/v4.0, the CISA KEV catalog, FIRST EPSS, the
//! CERT/CC SSVC decision tables, OS end-of-life dates, MDS2 answers and
//! CycloneDX VEX — and explains every point: factors with reasons and
//! evidence, the floors that fired, the SSVC decision beside the score, the
//! data gaps, the provenance of every data set, and a ranked remediation
//! plan whose steps are re-scored with the model.
//!
//! | piece | what |
//! |---|---|
//! | [`cvss`] | strict CVSS v3.0/v3.1/v4.0 parsing, canonical printing, scoring (FIRST conformance-tested; the `radguard-cvss` crate, re-exported) |
//! | [`KevCatalog`], [`EpssSnapshot`] | offline threat data (KEV JSON/CSV, EPSS CSV) with provenance |
//! | [`OsLifecycle`] | bundled OS end-of-life table, overridable |
//! | [`ssvc`] | SSVC deployer, supplier, Human Impact and CISA BOD 26-04 tables |
//! | [`Inventory`] | strict JSON/YAML/CSV inventories (unknown fields are errors) |
//! | [`Scorer`] | the model: [`Assessment`] per device, [`FleetReport`] per inventory (all in memory), [`Fleet`] (one [`DeviceRow`] per device, explanations computed as they are written) |
//! | [`report`] | text table, CSV, JSON, JSON Lines, explanation text, one self-contained HTML page; streamed for 100,000-device fleets |
//! | [`limits`] | the documented bounds on every input |
//! | [`Weights`] | every constant, as data a site can override |
//!
//! # Examples
//!
//! ```
//! use radguard_risk::{Date, Deciding, FloorRule, Inventory, KevCatalog, Scorer, ThreatContext, Tier};
//!
//! let inventory = Inventory::from_yaml(r#"
//! devices:
//!   - id: CT-ED-01
//!     class: ct
//!     os: { product: Windows 7, version: SP1, esu_enrolled: no }
//!     findings:
//!       - { id: CVE-2019-0708, cvss_v3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", component: os }
//!     exposure: { zone: clinical_vlan_no_acl, remote_access: vendor_always_on, internet_reachable: no }
//!     clinical: { safety_impact: critical, mission_impact: mef failure }
//! "#)?;
//! let kev = KevCatalog::from_json(r#"{"catalogVersion":"2025.08.25","dateReleased":"2025-08-25T00:00:00Z",
//!   "vulnerabilities":[{"cveID":"CVE-2019-0708","vendorProject":"Microsoft","product":"Remote Desktop Services",
//!   "vulnerabilityName":"BlueKeep","dateAdded":"2021-11-03","knownRansomwareCampaignUse":"Known"}]}"#)?;
//! let scorer = Scorer::new(Date::parse("2026-01-15")?)
//!     .with_threat(ThreatContext::new().with_kev(kev).without_epss());
//! // Fails closed: missing KEV or EPSS data is an error unless waived.
//! scorer.check()?;
//! let report = scorer.assess_inventory(&inventory);
//! let ct = &report.devices[0];
//! assert_eq!(ct.tier, Tier::Critical);
//! assert_eq!(ct.deciding, Deciding::Floor { rule: FloorRule::KevReachableBroadHighImpact });
//! // One KEV finding: patching it lifts the floor, so it ranks first.
//! assert_eq!(ct.plan[0].action.code(), "patch");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The model (MIRS 0.2)
//!
//! `score = round(max(L · M, floors))`, with likelihood `L = V + X + H + G`
//! (at most 100) and impact multiplier `M`:
//!
//! - **V** (0–40) known-vulnerability pressure: for the worst counted
//!   finding `40 · (CVSS/10) · w · r`, where `w` is 1.0 for active
//!   exploitation (KEV, v4 `E:A`), 0.6 for a public exploit, else 0.3, and
//!   at least `0.3 + 0.7 · EPSS`; `r` is 1.0 for a network attack vector on
//!   a networked device, 0.2 on a standalone one, 0.5 for local/physical;
//!   plus 0.5 per other High/Critical finding (at most 5). VEX
//!   `not_affected`, `false_positive` and `resolved` findings do not count.
//!   Known default credentials are the pseudo-finding `CFG-DEFAULT-CREDS`
//!   (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H`).
//! - **X** (0–30) exposure: the larger of the zone and remote-access
//!   points, plus wireless and legacy services.
//! - **H** (0–20) hygiene: OS status on `as_of`, unknown credential state,
//!   missing malware protection, PHI without encryption.
//! - **G** (0–10) governance: unknown owner or patch responsibility,
//!   manufacturer support ended, past the disposal date, unverified wipe.
//! - **M**: SSVC Human Impact (Safety × Mission, the official table) → 0.7,
//!   0.8, 0.9, 1.0; at least 0.8 with PHI of 500+ patients, 0.9 for archives.
//! - **Floors**: compromise indicator (traffic to a peer outside the
//!   allowlist: 90 external, 65 internal), reachable KEV finding (90
//!   internet, 85 broad exposure with high impact, 75 broad, 65 otherwise),
//!   internet exposure with PHI or default credentials (80), default
//!   credentials (45), very high impact on an unsupported OS (65).
//! - **Tiers**: Critical ≥ 85, High ≥ 65, Medium ≥ 40, Low.
//!
//! Every constant is in [`Weights`]. The score is a priority, not a
//! probability.
//!
//! # Unknown values
//!
//! An unknown value is listed as a data gap and scored at the midpoint
//! between its best and worst known value (unknown zone 15 of 0–30, unknown
//! OS 6 of 0–12, unknown wireless half the wireless points, ...): never as
//! the best case. Breach floors fire on unknown PHI.
//!
//! # Departures from the MIRS 0.1 proposal
//!
//! - Unknown values are scored at the midpoint instead of being read as
//!   "no" or "yes" by accident (the prototype read a missing owner as known).
//! - Unexpected flows are derived from CIDR allowlists and observed flows;
//!   an unexpected *internal* peer gets its own floor (65).
//! - The OS-upgrade action removes only findings marked `component: os`
//!   (the prototype removed every `CVE-20*`).
//! - ESU enrolment unknown inside an open ESU window scores 8 (between ESU
//!   and unsupported); a DMZ zone scores 25.
//! - SSVC is computed for the supplier tree and CISA BOD 26-04 as well.
//! - Rounding is half away from zero (the prototype used Python's banker's
//!   rounding), which moves a few plan steps by one point.
//! - A CVSS v3 vector scores its most specific score (environmental, else
//!   temporal, else base), as FIRST's calculators show it.
//! - Plans: a known-exploited vulnerability reachable on an
//!   internet-exposed device is investigated first (CISA BOD 26-04 asks
//!   for forensic investigation), then patched or taken off the internet,
//!   before anything else; an unknown value is verified ("verify ... and
//!   replace if found"), never "replaced"; no network encryption step (and
//!   no in-transit points) for a device without a network path; a patch
//!   step never claims a fix exists when none is recorded.
//!
//! # Security
//!
//! The scoring core is pure: no clock, no network, no file system. Parsers
//! take `&str` or `Read` and reject unknown fields; every input is bounded
//! (bytes, YAML depth, devices, findings, text and list fields: see
//! [`limits`]); malformed input is an error naming its place, never a
//! panic and never a silently dropped record (fuzzed by `risk_parse` and
//! `risk_inventory`). Missing or doubtful threat data is an error unless
//! waived ([`ThreatContext::check`]). Terminal text shows control and
//! bidirectional characters as escapes; CSV cells cannot start a formula;
//! the HTML report escapes every inventory value, runs no script, and its
//! Content-Security-Policy allows only its own stylesheet and no network
//! access.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// CVSS v3.0/v3.1/v4.0 vectors: the [`radguard_cvss`] crate.
pub use radguard_cvss as cvss;

mod assess;
mod csvcheck;
mod date;
mod fleet;
#[doc(hidden)]
pub mod fuzzing;
mod inventory;
mod lifecycle;
pub mod limits;
pub mod mds2;
mod model;
mod plan;
pub mod report;
pub mod sbom;
pub mod ssvc;
mod threat;
mod weights;

pub use assess::{
    Assessment, Components, Deciding, DeviceRow, Factor, FindingView, FloorHit, Provenance, Scorer,
    SsvcView, V3Scores,
};
pub use date::{Date, DateError};
pub use fleet::{Fleet, FleetReport, GroupSummary, Summary};
pub use inventory::{
    CSV_COLUMNS, Clinical, Component, Controls, DataProfile, Device, DeviceClass, Exposure,
    Finding, Flow, Governance, Inventory, InventoryError, InventoryFormat, MAX_DEVICES,
    MAX_FINDINGS_PER_DEVICE, MAX_TEXT, MDS2_SECTIONS, Mds2Answer, OsInfo, PatchResponsibility,
    RemoteAccess, Software, Tri, VexState, Zone, normalize_mds2_id,
};
pub use lifecycle::{
    BUNDLED_SOURCE as OS_LIFECYCLE_SOURCE, LifecycleError, OsLifecycle, OsRelease, OsStatus,
};
pub use model::{DEFAULT_CREDS_ID, FloorRule, Tier};
pub use plan::{Action, Effort, PlannedAction, Unknown};
pub use threat::{
    EpssScore, EpssSnapshot, KevCatalog, KevEntry, STALE_AFTER_DAYS, ThreatContext, ThreatDataError,
};
pub use weights::{MODEL_VERSION, Weights, WeightsError};

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
