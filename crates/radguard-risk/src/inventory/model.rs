//! The inventory's data model: devices and what is known about them.

use core::fmt;
use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::serde::{de_cvss, de_mds2, de_nets, ser_cvss, ser_nets};
use crate::cvss::Cvss;
use crate::date::Date;
use crate::sbom::Bom;
use crate::ssvc::{MissionImpact, SafetyImpact};

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

    pub(super) fn parse(s: &str) -> Option<Self> {
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
            pub(super) fn parse(s: &str) -> Option<Self> {
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

    pub(super) fn parse(s: &str) -> Option<Self> {
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
    pub(super) fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Self::Yes,
            "no" | "n" | "false" => Self::No,
            "n/a" | "na" | "not_applicable" => Self::NotApplicable,
            "unknown" | "" | "not answered" | "not_answered" => Self::Unknown,
            _ => return None,
        })
    }
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
    pub sbom: Option<Box<Bom>>,
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
}
