//! CSV inventories: one device per row, in the columns of [`CSV_COLUMNS`].

use std::io::Read;
use std::net::IpAddr;

use super::InventoryError;
use super::model::{Device, Finding, Flow, Inventory, OsInfo, Tri};
use crate::csvcheck::{RecordError, next_record};
use crate::cvss::Cvss;
use crate::date::Date;

fn bad(line: u64, column: &str, problem: impl Into<String>) -> InventoryError {
    InventoryError::Invalid {
        location: format!("CSV line {line}, column {column}"),
        problem: problem.into(),
    }
}

fn list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';').map(str::trim).filter(|s| !s.is_empty())
}

fn opt_text(cell: &str) -> Option<String> {
    let t = cell.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn parse_finding(spec: &str) -> Result<Finding, String> {
    let mut parts = spec.split_whitespace();
    let id = parts.next().ok_or("empty finding")?;
    let mut f = Finding::new(id);
    for kv in parts {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("finding {id}: expected key=value, found {kv:?}"))?;
        match k {
            "cvss_v3" | "cvss_v4" => {
                let c = Cvss::parse(v).map_err(|e| format!("finding {id}: {e}"))?;
                if (k == "cvss_v4") != matches!(c, Cvss::V4(_)) {
                    return Err(format!(
                        "finding {id}: {k} holds a CVSS {} vector",
                        c.version()
                    ));
                }
                f = f.with_cvss(c);
            }
            "vex" => f.vex = Some(cell::vex(v)?),
            "fix_available" => f.fix_available = cell::tri(v)?,
            "component" => f.component = cell::component(v)?,
            "vex_justification" => f.vex_justification = Some(v.to_owned()),
            other => {
                return Err(format!(
                    "finding {id}: unknown key {:?} (cvss_v3, cvss_v4, vex, vex_justification, fix_available, component)",
                    other.chars().take(32).collect::<String>()
                ));
            }
        }
    }
    Ok(f)
}

pub(crate) fn parse<R: Read>(reader: R) -> Result<Inventory, InventoryError> {
    let limit = crate::limits::MAX_INVENTORY_BYTES;
    let text = crate::limits::read_to_string(reader, limit).map_err(|e| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            InventoryError::TooLarge { limit }
        } else {
            InventoryError::Invalid {
                location: "CSV".to_owned(),
                problem: format!("cannot be read: {e}"),
            }
        }
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|source| InventoryError::Csv { line: 1, source })?;
    let cols = columns(headers)?;
    let mut devices = Vec::new();
    let mut rec = csv::StringRecord::new();
    while next_record(&mut rdr, text.as_bytes(), &mut rec, false).map_err(|e| match e {
        RecordError::Csv(source) => InventoryError::Csv {
            line: source.position().map_or(0, csv::Position::line),
            source,
        },
        RecordError::Malformed { line, problem } => InventoryError::Invalid {
            location: format!("CSV line {line}"),
            problem,
        },
    })? {
        if devices.len() >= super::MAX_DEVICES {
            return Err(InventoryError::Invalid {
                location: "devices".to_owned(),
                problem: format!("more than {} devices", super::MAX_DEVICES),
            });
        }
        devices.push(device(&cols, &rec)?);
    }
    Ok(Inventory::new(devices))
}

/// The known column of each header, in order; the `id` column is required.
fn columns(headers: &csv::StringRecord) -> Result<Vec<&'static str>, InventoryError> {
    let header_error = |problem: String| InventoryError::Invalid {
        location: "CSV header".to_owned(),
        problem,
    };
    let mut cols: Vec<&'static str> = Vec::with_capacity(headers.len());
    for h in headers {
        let Some(c) = CSV_COLUMNS.iter().find(|c| **c == h) else {
            return Err(header_error(format!(
                "unknown column {:?} (known columns: {})",
                h.chars().take(64).collect::<String>(),
                CSV_COLUMNS.join(", ")
            )));
        };
        if cols.contains(c) {
            return Err(header_error(format!("column {c} appears twice")));
        }
        cols.push(c);
    }
    if !cols.contains(&"id") {
        return Err(header_error("the id column is required".to_owned()));
    }
    Ok(cols)
}

/// The OS cells of a row: both or neither.
#[derive(Default)]
struct OsCells {
    product: Option<String>,
    version: Option<String>,
    esu: Tri,
}

/// The device of one record, its cells in the order of `cols`.
fn device(cols: &[&'static str], rec: &csv::StringRecord) -> Result<Device, InventoryError> {
    let line = rec.position().map_or(0, csv::Position::line);
    let mut d = Device::new(String::new());
    let mut os = OsCells::default();
    for (col, cell) in cols.iter().zip(rec.iter()) {
        set_cell(&mut d, &mut os, col, cell).map_err(|m| bad(line, col, m))?;
    }
    match (os.product, os.version) {
        (Some(product), Some(version)) => {
            d.os = Some(OsInfo {
                product,
                version,
                esu_enrolled: os.esu,
            });
        }
        (None, None) => {}
        _ => {
            return Err(bad(
                line,
                "os_product/os_version",
                "give both os_product and os_version, or neither",
            ));
        }
    }
    Ok(d)
}

/// Reads one cell of column `col` into `d` (or `os`).
fn set_cell(d: &mut Device, os: &mut OsCells, col: &str, cell: &str) -> Result<(), String> {
    let date = |s: &str| -> Result<Option<Date>, String> {
        match s.trim() {
            "" => Ok(None),
            t => Date::parse(t).map(Some).map_err(|x| x.to_string()),
        }
    };
    match col {
        "id" => d.id = cell.trim().to_owned(),
        "class" => d.class = cell::class(cell)?,
        "site" => d.site = opt_text(cell),
        "manufacturer" => d.manufacturer = opt_text(cell),
        "model" => d.model = opt_text(cell),
        "serial" => d.serial = opt_text(cell),
        "software_version" => d.software_version = opt_text(cell),
        "os_product" => os.product = opt_text(cell),
        "os_version" => os.version = opt_text(cell),
        "os_esu_enrolled" => os.esu = cell::tri(cell)?,
        "findings" => {
            for spec in list(cell) {
                d.findings.push(parse_finding(spec)?);
            }
        }
        "zone" => d.exposure.zone = cell::zone(cell)?,
        "internet_reachable" => d.exposure.internet_reachable = cell::tri(cell)?,
        "remote_access" => d.exposure.remote_access = cell::remote(cell)?,
        "wireless" => d.exposure.wireless = cell::tri(cell)?,
        "legacy_services" => {
            d.exposure.legacy_services = match cell.trim() {
                "" | "unknown" => None,
                "none" => Some(Vec::new()),
                c => Some(list(c).map(str::to_owned).collect()),
            }
        }
        "expected_peers" => {
            d.exposure.expected_peers = match cell.trim() {
                "" | "unknown" => None,
                c => Some(list(c).map(cell::net).collect::<Result<_, _>>()?),
            }
        }
        "observed_peers" => d.exposure.observed_flows = observed_peers(cell)?,
        "default_credentials" => d.controls.default_credentials = cell::tri(cell)?,
        "unique_accounts" => d.controls.unique_accounts = cell::tri(cell)?,
        "malware_protection" => d.controls.malware_protection = cell::tri(cell)?,
        "app_allowlisting" => d.controls.app_allowlisting = cell::tri(cell)?,
        "encryption_in_transit" => d.controls.encryption_in_transit = cell::tri(cell)?,
        "encryption_at_rest" => d.controls.encryption_at_rest = cell::tri(cell)?,
        "audit_logging" => d.controls.audit_logging = cell::tri(cell)?,
        "mfa_remote" => d.controls.mfa_remote = cell::tri(cell)?,
        "stores_phi" => d.data.stores_phi = cell::tri(cell)?,
        "phi_patients" => {
            d.data.phi_patients = match cell.trim() {
                "" | "unknown" => None,
                c => Some(c.parse().map_err(|_| {
                    format!(
                        "{:?} is not a whole number",
                        c.chars().take(32).collect::<String>()
                    )
                })?),
            }
        }
        "phi_archive" => d.data.phi_archive = cell::tri(cell)?,
        "safety_impact" => d.clinical.safety_impact = cell::safety(cell)?,
        "mission_impact" => d.clinical.mission_impact = cell::mission(cell)?,
        "owner" => d.governance.owner = opt_text(cell),
        "patch_responsibility" => d.governance.patch_responsibility = cell::patch(cell)?,
        "vendor_support_end" => d.governance.vendor_support_end = date(cell)?,
        "depreciation_end" => d.governance.depreciation_end = date(cell)?,
        "planned_disposal" => d.governance.planned_disposal = date(cell)?,
        "decommissioning" => d.governance.decommissioning = cell::tri(cell)?.is_yes(),
        "wipe_verified" => d.governance.wipe_verified = cell::tri(cell)?,
        _ => {}
    }
    Ok(())
}

/// `observed_peers`: addresses separated by `;`, `none`, or unknown.
fn observed_peers(cell: &str) -> Result<Option<Vec<Flow>>, String> {
    Ok(match cell.trim() {
        "" | "unknown" => None,
        "none" => Some(Vec::new()),
        c => Some(
            list(c)
                .map(|s| {
                    s.parse::<IpAddr>()
                        .map(|peer| Flow {
                            peer,
                            port: None,
                            protocol: None,
                            country: None,
                            first_seen: None,
                            last_seen: None,
                            sessions: None,
                            bytes: None,
                        })
                        .map_err(|_| {
                            format!(
                                "{:?} is not an IP address",
                                s.chars().take(64).collect::<String>()
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        ),
    })
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

/// Parsers for one CSV cell.
mod cell {
    use ipnet::IpNet;

    use crate::inventory::clip;
    use crate::inventory::model::{
        Component, DeviceClass, PatchResponsibility, RemoteAccess, Tri, VexState, Zone,
    };
    use crate::inventory::serde::parse_net;
    use crate::ssvc::{MissionImpact, SafetyImpact};

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
