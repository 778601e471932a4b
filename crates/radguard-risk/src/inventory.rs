//! Device inventories in JSON, YAML or CSV.
//!
//! The schema is strict: an unknown field (or CSV column) is an error, so a
//! typo such as `defualt_credentials` can never silently leave a control
//! "unknown". Values that are not known are written `unknown` (or left
//! out), and the model counts each one as a data gap and scores it at the
//! midpoint between its best and worst known value, never as the best.
//!
//! # Examples
//!
//! ```
//! use radguard_risk::{Inventory, Tri, Zone};
//!
//! let yaml = r#"
//! devices:
//!   - id: CT-ED-01
//!     class: ct
//!     os: { product: Windows 7, version: SP1, esu_enrolled: no }
//!     findings:
//!       - id: CVE-2019-0708
//!         cvss_v3: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
//!         component: os
//!     exposure: { zone: clinical_vlan_no_acl, remote_access: vendor_always_on }
//!     controls: { default_credentials: unknown }
//! "#;
//! let inv = Inventory::from_yaml(yaml)?;
//! assert_eq!(inv.devices[0].exposure.zone, Zone::ClinicalVlanNoAcl);
//! assert_eq!(inv.devices[0].controls.default_credentials, Tri::Unknown);
//!
//! // A misspelt field is an error, not an unknown value.
//! assert!(Inventory::from_yaml("devices: [{id: X, controls: {defualt_credentials: yes}}]").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cvss::Cvss;
use crate::date::Date;
use crate::sbom::Bom;
use crate::ssvc::{MissionImpact, SafetyImpact};

/// Limits on inventory size, so that a hostile file cannot make scoring
/// quadratic or exhaust memory.
pub const MAX_DEVICES: usize = 1_000_000;
/// At most this many findings per device (after merging the SBOM).
pub const MAX_FINDINGS_PER_DEVICE: usize = 10_000;
/// Longest identifier or free-text field, in bytes.
pub const MAX_TEXT: usize = 1_024;

/// Why an inventory was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// JSON syntax or schema error (with line and column).
    #[error("inventory JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// YAML syntax or schema error (with line and column).
    #[error("inventory YAML: {0}")]
    Yaml(#[source] serde_norway::Error),
    /// A CSV record could not be read.
    #[error("inventory CSV, line {line}: {source}")]
    Csv {
        /// 1-based line number.
        line: u64,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
    /// A value is present but not acceptable.
    #[error("inventory, {location}: {problem}")]
    Invalid {
        /// Where: `device "X", field` or `CSV line N, column C`.
        location: String,
        /// What is wrong.
        problem: String,
    },
}

fn invalid(location: impl Into<String>, problem: impl Into<String>) -> InventoryError {
    InventoryError::Invalid {
        location: location.into(),
        problem: problem.into(),
    }
}

/// Yes, no or unknown. Accepts `yes`/`no`/`unknown` and JSON/YAML booleans;
/// an absent field is `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Tri {
    /// Known to be true.
    Yes,
    /// Known to be false.
    No,
    /// Not known (a data gap).
    #[default]
    Unknown,
}

impl Tri {
    /// The label, `yes`, `no` or `unknown`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "yes" | "true" => Some(Self::Yes),
            "no" | "false" => Some(Self::No),
            "unknown" | "" => Some(Self::Unknown),
            _ => None,
        }
    }

    /// `true` only for [`Tri::Yes`].
    #[must_use]
    pub fn is_yes(self) -> bool {
        self == Self::Yes
    }

    /// The weight of "yes": 1 for yes, 0 for no, ½ for unknown (the midpoint
    /// rule for unknown values).
    #[must_use]
    pub fn weight(self) -> f64 {
        match self {
            Self::Yes => 1.0,
            Self::No => 0.0,
            Self::Unknown => 0.5,
        }
    }
}

impl fmt::Display for Tri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Deserializes a JSON/YAML boolean (`yes`/`no`) or a word that `parse`
/// accepts; anything else is an error starting with `expected`.
fn yes_no_or_word<'de, D: Deserializer<'de>, T>(
    d: D,
    yes: T,
    no: T,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<T, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        B(bool),
        S(String),
    }
    match Raw::deserialize(d)? {
        Raw::B(true) => Ok(yes),
        Raw::B(false) => Ok(no),
        Raw::S(s) => parse(&s)
            .ok_or_else(|| D::Error::custom(format!("{expected}, found {:?}", clip(&s, 32)))),
    }
}

impl Serialize for Tri {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for Tri {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yes_no_or_word(
            d,
            Self::Yes,
            Self::No,
            Self::parse,
            "expected yes, no or unknown",
        )
    }
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

macro_rules! snake_enum {
    ($(#[$m:meta])* $name:ident default $def:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v,)+
            /// Not known (a data gap).
            #[default]
            #[serde(rename = "unknown")]
            $def,
        }
        impl $name {
            /// The label used in inventories.
            #[must_use]
            pub fn label(self) -> &'static str {
                match self { $(Self::$v => $s,)+ Self::$def => "unknown" }
            }
            fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ "unknown" | "" => Some(Self::$def), _ => None }
            }
            /// Every accepted label.
            pub const LABELS: &'static [&'static str] = &[$($s,)+ "unknown"];
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.label()) }
        }
    };
}

snake_enum!(
    /// The kind of device.
    DeviceClass default Unknown {
        /// Computed tomography.
        Ct = "ct",
        /// Magnetic resonance.
        Mr = "mr",
        /// Ultrasound.
        Us = "us",
        /// Digital radiography.
        XrDr = "xr_dr",
        /// Computed radiography.
        XrCr = "xr_cr",
        /// Mammography.
        Mg = "mg",
        /// Nuclear medicine / PET.
        NmPet = "nm_pet",
        /// Fluoroscopy / angiography.
        FluoroAngio = "fluoro_angio",
        /// Picture archiving and communication system.
        Pacs = "pacs",
        /// Vendor-neutral archive.
        Vna = "vna",
        /// Reading or post-processing workstation.
        Workstation = "workstation",
        /// DICOM or HL7 gateway / interface engine.
        Gateway = "gateway",
        /// Radiology information system.
        Ris = "ris",
        /// Anything else.
        Other = "other",
    }
);

impl DeviceClass {
    /// Archives hold many patients' images by design.
    #[must_use]
    pub fn is_archive(self) -> bool {
        matches!(self, Self::Pacs | Self::Vna)
    }
}

snake_enum!(
    /// Where the device sits on the network, from the most exposed to the
    /// most segmented.
    Zone default Unknown {
        /// Directly reachable from the internet.
        Internet = "internet",
        /// In a DMZ.
        Dmz = "dmz",
        /// On a flat network shared with general IT.
        Flat = "flat",
        /// On a clinical VLAN without access-control lists.
        ClinicalVlanNoAcl = "clinical_vlan_no_acl",
        /// On a modality VLAN with an allowlist of peers.
        SegmentedAllowlist = "segmented_allowlist",
        /// On an isolated network without routing to others.
        Isolated = "isolated",
        /// Not networked at all.
        Standalone = "standalone",
    }
);

impl Zone {
    /// Rank from the most exposed (0, internet) to the most segmented (6,
    /// standalone); `None` for unknown.
    #[must_use]
    pub fn segmentation_rank(self) -> Option<u8> {
        match self {
            Self::Internet => Some(0),
            Self::Dmz => Some(1),
            Self::Flat => Some(2),
            Self::ClinicalVlanNoAcl => Some(3),
            Self::SegmentedAllowlist => Some(4),
            Self::Isolated => Some(5),
            Self::Standalone => Some(6),
            Self::Unknown => None,
        }
    }

    /// Every known zone, from the most exposed to the most segmented.
    pub const ORDERED: [Self; 7] = [
        Self::Internet,
        Self::Dmz,
        Self::Flat,
        Self::ClinicalVlanNoAcl,
        Self::SegmentedAllowlist,
        Self::Isolated,
        Self::Standalone,
    ];
}

snake_enum!(
    /// How the vendor (or anyone) reaches the device remotely.
    RemoteAccess default Unknown {
        /// No remote access.
        None = "none",
        /// Vendor VPN with MFA, opened on demand by the hospital.
        VendorVpnMfaOnDemand = "vendor_vpn_mfa_on_demand",
        /// Always-on vendor connection.
        VendorAlwaysOn = "vendor_always_on",
        /// RDP or VNC reachable from outside.
        RdpVncExposed = "rdp_vnc_exposed",
    }
);

snake_enum!(
    /// Who installs patches.
    PatchResponsibility default Unknown {
        /// The manufacturer or its service organisation.
        Vendor = "vendor",
        /// The hospital (healthcare delivery organisation).
        Hdo = "hdo",
        /// Both, by contract.
        Shared = "shared",
    }
);

snake_enum!(
    /// Which part of the device a finding is in.
    Component default Unknown {
        /// The operating system: an OS upgrade removes it.
        Os = "os",
        /// An application or library.
        Application = "application",
        /// Firmware.
        Firmware = "firmware",
    }
);

/// The VEX state of a finding (CycloneDX `analysis.state`, with the
/// OpenVEX/CSAF names accepted as aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VexState {
    /// The product is affected and exploitable (`affected`).
    #[serde(alias = "affected")]
    Exploitable,
    /// Under analysis (`under_investigation`).
    #[serde(alias = "under_investigation")]
    InTriage,
    /// Fixed (`fixed`).
    #[serde(alias = "fixed")]
    Resolved,
    /// Fixed, with pedigree.
    ResolvedWithPedigree,
    /// Not a real finding.
    FalsePositive,
    /// The product is not affected.
    NotAffected,
}

impl VexState {
    /// `true` when the finding does not count (not affected, false
    /// positive, resolved).
    #[must_use]
    pub fn excludes(self) -> bool {
        matches!(
            self,
            Self::NotAffected | Self::FalsePositive | Self::Resolved | Self::ResolvedWithPedigree
        )
    }

    /// The CycloneDX label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Exploitable => "exploitable",
            Self::InTriage => "in_triage",
            Self::Resolved => "resolved",
            Self::ResolvedWithPedigree => "resolved_with_pedigree",
            Self::FalsePositive => "false_positive",
            Self::NotAffected => "not_affected",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exploitable" | "affected" => Self::Exploitable,
            "in_triage" | "under_investigation" => Self::InTriage,
            "resolved" | "fixed" => Self::Resolved,
            "resolved_with_pedigree" => Self::ResolvedWithPedigree,
            "false_positive" => Self::FalsePositive,
            "not_affected" => Self::NotAffected,
            _ => return None,
        })
    }
}

fn de_cvss<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cvss>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|s| Cvss::parse(&s).map_err(D::Error::custom))
        .transpose()
}

fn ser_cvss<S: Serializer>(v: &Option<Cvss>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(c) => s.collect_str(c),
        None => s.serialize_none(),
    }
}

fn de_nets<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<IpNet>>, D::Error> {
    let v: Option<Vec<String>> = Option::deserialize(d)?;
    v.map(|v| {
        v.iter()
            .map(|s| parse_net(s).map_err(D::Error::custom))
            .collect()
    })
    .transpose()
}

fn ser_nets<S: Serializer>(v: &Option<Vec<IpNet>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_seq(v.iter().map(ToString::to_string)),
        None => s.serialize_none(),
    }
}

fn parse_net(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    t.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{:?} is not an IP address or CIDR block", clip(s, 64)))
}

/// The operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OsInfo {
    /// Product, as in the OS lifecycle table (e.g. `Windows 7`).
    pub product: String,
    /// Version key, as in the table (e.g. `SP1`).
    pub version: String,
    /// Enrolled in paid extended security updates.
    #[serde(default)]
    pub esu_enrolled: Tri,
}

impl OsInfo {
    /// An OS with ESU enrolment unknown.
    #[must_use]
    pub fn new(product: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            product: product.into(),
            version: version.into(),
            esu_enrolled: Tri::Unknown,
        }
    }
}

/// One installed software component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Software {
    /// Name.
    pub name: String,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// CPE 2.3 name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
}

/// A known vulnerability (or configuration weakness) of the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Finding {
    /// CVE or other identifier.
    pub id: String,
    /// CVSS v3.0/v3.1 vector.
    #[serde(
        default,
        deserialize_with = "de_cvss",
        serialize_with = "ser_cvss",
        skip_serializing_if = "Option::is_none"
    )]
    pub cvss_v3: Option<Cvss>,
    /// CVSS v4.0 vector (used in preference to v3 when both are given).
    #[serde(
        default,
        deserialize_with = "de_cvss",
        serialize_with = "ser_cvss",
        skip_serializing_if = "Option::is_none"
    )]
    pub cvss_v4: Option<Cvss>,
    /// The vendor's VEX statement, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexState>,
    /// The VEX justification (e.g. `code_not_reachable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex_justification: Option<String>,
    /// A fix validated by the device vendor is available.
    #[serde(default)]
    pub fix_available: Tri,
    /// Which part of the device is affected.
    #[serde(default)]
    pub component: Component,
}

impl Finding {
    /// A finding with an identifier and nothing else known.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            cvss_v3: None,
            cvss_v4: None,
            vex: None,
            vex_justification: None,
            fix_available: Tri::Unknown,
            component: Component::Unknown,
        }
    }

    /// With a vector (v3 or v4, placed in the matching field).
    #[must_use]
    pub fn with_cvss(mut self, cvss: Cvss) -> Self {
        if matches!(cvss, Cvss::V4(_)) {
            self.cvss_v4 = Some(cvss);
        } else {
            self.cvss_v3 = Some(cvss);
        }
        self
    }

    /// With a VEX state.
    #[must_use]
    pub fn with_vex(mut self, vex: VexState) -> Self {
        self.vex = Some(vex);
        self
    }

    /// With the affected component.
    #[must_use]
    pub fn with_component(mut self, component: Component) -> Self {
        self.component = component;
        self
    }

    /// The vector the model uses: v4 if given, else v3.
    #[must_use]
    pub fn vector(&self) -> Option<&Cvss> {
        self.cvss_v4.as_ref().or(self.cvss_v3.as_ref())
    }
}

/// One observed network flow (from NetFlow, an NDR or firewall logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Flow {
    /// The remote address.
    pub peer: IpAddr,
    /// Remote port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Protocol (`tcp`, `udp`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Country of the peer, if known (ISO 3166 code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// First seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Date>,
    /// Last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Date>,
    /// Number of sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<u64>,
    /// Bytes transferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// Network exposure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Exposure {
    /// Network zone.
    #[serde(default)]
    pub zone: Zone,
    /// Reachable from the internet (external scan).
    #[serde(default)]
    pub internet_reachable: Tri,
    /// Remote access.
    #[serde(default)]
    pub remote_access: RemoteAccess,
    /// Has an active wireless interface.
    #[serde(default)]
    pub wireless: Tri,
    /// Legacy or insecure services enabled (`smb1`, `telnet`, `ftp`,
    /// `vnc-noauth`, ...); absent = unknown, empty = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_services: Option<Vec<String>>,
    /// Peers the device is expected to talk to (CIDR blocks or addresses):
    /// PACS, RIS, worklist, the vendor's service hosts. Absent = unknown.
    #[serde(
        default,
        deserialize_with = "de_nets",
        serialize_with = "ser_nets",
        skip_serializing_if = "Option::is_none"
    )]
    pub expected_peers: Option<Vec<IpNet>>,
    /// Flows observed. Absent = no monitoring data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_flows: Option<Vec<Flow>>,
}

/// Security controls (fillable from MDS2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Controls {
    /// Default or hard-coded vendor credentials are in use.
    #[serde(default)]
    pub default_credentials: Tri,
    /// Unique accounts for every user and service role.
    #[serde(default)]
    pub unique_accounts: Tri,
    /// Anti-malware installed and current.
    #[serde(default)]
    pub malware_protection: Tri,
    /// Application allowlisting enforced.
    #[serde(default)]
    pub app_allowlisting: Tri,
    /// PHI encrypted in transit (DICOM TLS, HTTPS).
    #[serde(default)]
    pub encryption_in_transit: Tri,
    /// PHI encrypted at rest.
    #[serde(default)]
    pub encryption_at_rest: Tri,
    /// Audit logging enabled.
    #[serde(default)]
    pub audit_logging: Tri,
    /// MFA on remote access.
    #[serde(default)]
    pub mfa_remote: Tri,
}

/// Protected health information on the device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DataProfile {
    /// Stores PHI (images, worklists, reports) on local media.
    #[serde(default)]
    pub stores_phi: Tri,
    /// How many patients' PHI it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phi_patients: Option<u64>,
    /// It is an archive of PHI (PACS/VNA role).
    #[serde(default)]
    pub phi_archive: Tri,
}

/// Clinical impact, in SSVC terms.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Clinical {
    /// Safety impact of losing or corrupting the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_impact: Option<SafetyImpact>,
    /// Mission impact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mission_impact: Option<MissionImpact>,
    /// Number of equivalent devices that can take over (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redundancy: Option<u8>,
}

/// Ownership and lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Governance {
    /// The accountable owner (team or role). Absent = unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Who installs patches.
    #[serde(default)]
    pub patch_responsibility: PatchResponsibility,
    /// End of the manufacturer's support for the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_support_end: Option<Date>,
    /// End of depreciation (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depreciation_end: Option<Date>,
    /// Planned disposal date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_disposal: Option<Date>,
    /// Being decommissioned (a status the inventory owner sets; absent =
    /// not being decommissioned).
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub decommissioning: bool,
    /// Media sanitisation verified (NIST SP 800-88).
    #[serde(default)]
    pub wipe_verified: Tri,
}

/// An MDS2 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mds2Answer {
    /// Yes.
    Yes,
    /// No.
    No,
    /// Not applicable.
    NotApplicable,
    /// Unknown or not answered.
    Unknown,
}

impl Mds2Answer {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Self::Yes,
            "no" | "n" | "false" => Self::No,
            "n/a" | "na" | "not_applicable" => Self::NotApplicable,
            "unknown" | "" | "not answered" | "not_answered" => Self::Unknown,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Mds2Answer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yes_no_or_word(
            d,
            Self::Yes,
            Self::No,
            Self::parse,
            "MDS2 answer must be yes, no, n/a or unknown",
        )
    }
}

/// The section prefixes of ANSI/NEMA HN 1-2019 (MDS2).
pub const MDS2_SECTIONS: [&str; 23] = [
    "DOC", "MPII", "ALOF", "AUDT", "AUTH", "CSUP", "DIDT", "DTBK", "EMRG", "IGAU", "MLDP", "NAUT",
    "CONN", "PAUT", "PLOK", "RDMP", "SBOM", "SAHD", "SGUD", "STCF", "TXCF", "TXIG", "RMOT",
];

/// Normalises an MDS2 question id: upper case, the known `SHAD` typo for
/// `SAHD`, a known section prefix and a numeric suffix (`PAUT-5`,
/// `CSUP-2.4`).
///
/// # Errors
///
/// A message when the id is not of that form.
pub fn normalize_mds2_id(id: &str) -> Result<String, String> {
    let up = id.trim().to_ascii_uppercase();
    let up = if let Some(rest) = up.strip_prefix("SHAD-") {
        format!("SAHD-{rest}")
    } else {
        up
    };
    let ok = up.split_once('-').is_some_and(|(sec, num)| {
        MDS2_SECTIONS.contains(&sec)
            && !num.is_empty()
            && num.len() <= 12
            && num
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if ok {
        Ok(up)
    } else {
        Err(format!(
            "{:?} is not an MDS2 (HN 1-2019) question id such as PAUT-5 or CSUP-2.4",
            clip(id, 32)
        ))
    }
}

fn de_mds2<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Mds2Answer>, D::Error> {
    let raw: BTreeMap<String, Mds2Answer> = BTreeMap::deserialize(d)?;
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let id = normalize_mds2_id(&k).map_err(D::Error::custom)?;
        if out.insert(id.clone(), v).is_some() {
            return Err(D::Error::custom(format!(
                "MDS2 question {id} answered twice"
            )));
        }
    }
    Ok(out)
}

/// One device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Device {
    /// Unique identifier within the inventory.
    pub id: String,
    /// Kind of device.
    #[serde(default)]
    pub class: DeviceClass,
    /// Site (hospital, campus). Defaults to the inventory's site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Manufacturer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Software version of the device application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// Operating system. Absent = unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// Installed software.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub software: Vec<Software>,
    /// Known vulnerabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Network exposure.
    #[serde(default)]
    pub exposure: Exposure,
    /// Security controls.
    #[serde(default)]
    pub controls: Controls,
    /// PHI held.
    #[serde(default)]
    pub data: DataProfile,
    /// Clinical impact.
    #[serde(default)]
    pub clinical: Clinical,
    /// Ownership and lifecycle.
    #[serde(default)]
    pub governance: Governance,
    /// MDS2 answers by question id; they fill controls and governance
    /// values the inventory leaves unknown.
    #[serde(
        default,
        deserialize_with = "de_mds2",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub mds2: BTreeMap<String, Mds2Answer>,
    /// CycloneDX SBOM with VEX (`vulnerabilities[].analysis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<Bom>,
}

impl Device {
    /// A device with an id and everything else unknown.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            class: DeviceClass::Unknown,
            site: None,
            manufacturer: None,
            model: None,
            serial: None,
            software_version: None,
            os: None,
            software: Vec::new(),
            findings: Vec::new(),
            exposure: Exposure::default(),
            controls: Controls::default(),
            data: DataProfile::default(),
            clinical: Clinical::default(),
            governance: Governance::default(),
            mds2: BTreeMap::new(),
            sbom: None,
        }
    }
}

/// A set of devices to score.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Inventory {
    /// Default site for devices without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Evaluation date recorded with the inventory (a caller's `as_of`
    /// takes precedence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// The devices.
    pub devices: Vec<Device>,
}

/// Inventory file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InventoryFormat {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// CSV, one device per row.
    Csv,
}

impl InventoryFormat {
    /// The format for a file name's extension (`.json`, `.yaml`/`.yml`,
    /// `.csv`), case-insensitive.
    #[must_use]
    pub fn from_extension(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

impl Inventory {
    /// An inventory of `devices`.
    #[must_use]
    pub fn new(devices: Vec<Device>) -> Self {
        Self {
            site: None,
            as_of: None,
            devices,
        }
    }

    /// Parses text in `format`.
    ///
    /// # Errors
    ///
    /// [`InventoryError`] naming the field, line or device at fault.
    pub fn parse(text: &str, format: InventoryFormat) -> Result<Self, InventoryError> {
        match format {
            InventoryFormat::Json => Self::from_json(text),
            InventoryFormat::Yaml => Self::from_yaml(text),
            InventoryFormat::Csv => Self::from_csv(text.as_bytes()),
        }
    }

    /// Parses a JSON inventory (`{"devices": [...]}`).
    ///
    /// # Errors
    ///
    /// [`InventoryError`] for a syntax error, an unknown field, a value the
    /// field does not allow, a malformed CVSS vector, date or address, or a
    /// duplicate device id.
    pub fn from_json(text: &str) -> Result<Self, InventoryError> {
        let inv: Self = serde_json::from_str(text).map_err(InventoryError::Json)?;
        inv.validated()
    }

    /// Parses a YAML inventory (same schema as JSON).
    ///
    /// # Errors
    ///
    /// As [`Inventory::from_json`].
    pub fn from_yaml(text: &str) -> Result<Self, InventoryError> {
        let inv: Self = serde_norway::from_str(text).map_err(InventoryError::Yaml)?;
        inv.validated()
    }

    /// Parses a CSV inventory: one device per row, columns as documented in
    /// [`CSV_COLUMNS`]; only `id` is required. Lists inside a cell are
    /// separated by `;`. A finding is `ID` followed by space-separated
    /// `key=value` pairs (`cvss_v3=`, `cvss_v4=`, `vex=`, `fix_available=`,
    /// `component=`), e.g.
    /// `CVE-2019-0708 cvss_v3=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H component=os`.
    ///
    /// # Errors
    ///
    /// [`InventoryError`] for an unknown column (naming it), a bad value
    /// (naming line and column), or a duplicate device id.
    pub fn from_csv<R: Read>(reader: R) -> Result<Self, InventoryError> {
        crate::inventory_csv::parse(reader)?.validated()
    }

    /// Serialises to JSON (the same schema [`Inventory::from_json`] reads).
    #[must_use]
    pub fn to_json(&self) -> String {
        // Every field type serialises infallibly to JSON.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn validated(mut self) -> Result<Self, InventoryError> {
        for d in &mut self.devices {
            if let Some(b) = &d.sbom {
                let found = b
                    .findings()
                    .map_err(|m| invalid(format!("device {:?}, sbom", clip(&d.id, 64)), m))?;
                crate::sbom::merge(&mut d.findings, found);
            }
        }
        if self.devices.len() > MAX_DEVICES {
            return Err(invalid(
                "devices",
                format!("{} devices (at most {MAX_DEVICES})", self.devices.len()),
            ));
        }
        let mut ids = HashSet::with_capacity(self.devices.len());
        for d in &self.devices {
            let loc = |field: &str| format!("device {:?}, {field}", clip(&d.id, 64));
            if d.id.trim().is_empty() || d.id.len() > MAX_TEXT {
                return Err(invalid(
                    "device id",
                    format!(
                        "id must be 1 to {MAX_TEXT} bytes and not blank, found {:?}",
                        clip(&d.id, 64)
                    ),
                ));
            }
            if !ids.insert(d.id.as_str()) {
                return Err(invalid(loc("id"), "duplicate device id"));
            }
            let texts = [
                d.site.as_deref(),
                d.manufacturer.as_deref(),
                d.model.as_deref(),
                d.serial.as_deref(),
                d.software_version.as_deref(),
                d.governance.owner.as_deref(),
            ];
            if texts.iter().flatten().any(|t| t.len() > MAX_TEXT) {
                return Err(invalid(
                    loc("text"),
                    format!("a field exceeds {MAX_TEXT} bytes"),
                ));
            }
            if d.findings.len() > MAX_FINDINGS_PER_DEVICE {
                return Err(invalid(
                    loc("findings"),
                    format!("more than {MAX_FINDINGS_PER_DEVICE} findings"),
                ));
            }
            let mut fids = HashSet::new();
            for f in &d.findings {
                if f.id.trim().is_empty() || f.id.len() > 128 {
                    return Err(invalid(
                        loc("findings"),
                        "finding id must be 1 to 128 bytes",
                    ));
                }
                if !fids.insert(f.id.as_str()) {
                    return Err(invalid(
                        loc("findings"),
                        format!("finding {:?} is listed twice", clip(&f.id, 64)),
                    ));
                }
                if matches!(f.cvss_v3, Some(Cvss::V4(_))) {
                    return Err(invalid(
                        loc(&format!("finding {}", clip(&f.id, 64))),
                        "cvss_v3 holds a CVSS:4.0 vector (use cvss_v4)",
                    ));
                }
                if matches!(f.cvss_v4, Some(Cvss::V3(_))) {
                    return Err(invalid(
                        loc(&format!("finding {}", clip(&f.id, 64))),
                        "cvss_v4 holds a CVSS:3.x vector (use cvss_v3)",
                    ));
                }
            }
            if let Some(p) = d.data.phi_patients
                && p > 0
                && d.data.stores_phi == Tri::No
            {
                return Err(invalid(
                    loc("data"),
                    "phi_patients is above 0 but stores_phi is no",
                ));
            }
        }
        Ok(self)
    }
}

/// The CSV columns an inventory may have (`id` is required).
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "class",
    "site",
    "manufacturer",
    "model",
    "serial",
    "software_version",
    "os_product",
    "os_version",
    "os_esu_enrolled",
    "findings",
    "zone",
    "internet_reachable",
    "remote_access",
    "wireless",
    "legacy_services",
    "expected_peers",
    "observed_peers",
    "default_credentials",
    "unique_accounts",
    "malware_protection",
    "app_allowlisting",
    "encryption_in_transit",
    "encryption_at_rest",
    "audit_logging",
    "mfa_remote",
    "stores_phi",
    "phi_patients",
    "phi_archive",
    "safety_impact",
    "mission_impact",
    "owner",
    "patch_responsibility",
    "vendor_support_end",
    "depreciation_end",
    "planned_disposal",
    "decommissioning",
    "wipe_verified",
];

pub(crate) mod parse_helpers {
    use super::*;

    pub(crate) fn tri(s: &str) -> Result<Tri, String> {
        Tri::parse(s.trim())
            .ok_or_else(|| format!("expected yes, no or unknown, found {:?}", clip(s, 32)))
    }

    macro_rules! enum_parser {
        ($f:ident, $t:ty) => {
            pub(crate) fn $f(s: &str) -> Result<$t, String> {
                <$t>::parse(s.trim()).ok_or_else(|| {
                    format!(
                        "{:?} is not one of {}",
                        clip(s, 32),
                        <$t>::LABELS.join(", ")
                    )
                })
            }
        };
    }
    enum_parser!(class, DeviceClass);
    enum_parser!(zone, Zone);
    enum_parser!(remote, RemoteAccess);
    enum_parser!(patch, PatchResponsibility);
    enum_parser!(component, Component);

    pub(crate) fn vex(s: &str) -> Result<VexState, String> {
        VexState::parse(s.trim()).ok_or_else(|| format!("{:?} is not a VEX state", clip(s, 32)))
    }

    pub(crate) fn net(s: &str) -> Result<IpNet, String> {
        parse_net(s)
    }

    pub(crate) fn safety(s: &str) -> Result<Option<SafetyImpact>, String> {
        let s = s.trim();
        if s.is_empty() || s == "unknown" {
            return Ok(None);
        }
        SafetyImpact::ALL
            .iter()
            .copied()
            .find(|v| v.label() == s)
            .map(Some)
            .ok_or_else(|| format!("{:?} is not an SSVC safety impact", clip(s, 32)))
    }

    pub(crate) fn mission(s: &str) -> Result<Option<MissionImpact>, String> {
        let s = s.trim();
        if s.is_empty() || s == "unknown" {
            return Ok(None);
        }
        MissionImpact::ALL
            .iter()
            .copied()
            .find(|v| v.label() == s || v.label().replace(' ', "_") == s)
            .map(Some)
            .ok_or_else(|| format!("{:?} is not an SSVC mission impact", clip(s, 32)))
    }
}
