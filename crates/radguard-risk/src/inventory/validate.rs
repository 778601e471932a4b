//! Checks a parsed inventory must pass: sizes, unique ids, consistent
//! values; and MDS2 question ids.

use std::collections::{HashMap, HashSet};

use super::model::{Device, Inventory, Tri};
use super::{InventoryError, clip};
use crate::cvss::Cvss;
use crate::limits::MAX_LIST;

/// Limits on inventory size, so that a hostile file cannot make scoring
/// quadratic or exhaust memory.
pub const MAX_DEVICES: usize = 1_000_000;
/// At most this many findings per device (after merging the SBOM).
pub const MAX_FINDINGS_PER_DEVICE: usize = 10_000;
/// Longest identifier or free-text field, in bytes.
pub const MAX_TEXT: usize = 1_024;

fn invalid(location: impl Into<String>, problem: impl Into<String>) -> InventoryError {
    InventoryError::Invalid {
        location: location.into(),
        problem: problem.into(),
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

impl Inventory {
    pub(super) fn validated(mut self) -> Result<Self, InventoryError> {
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
        if self.site.as_deref().is_some_and(|t| t.len() > MAX_TEXT) {
            return Err(invalid("site", format!("longer than {MAX_TEXT} bytes")));
        }
        // Ids are unique after trimming and case folding: "CT-01", "ct-01"
        // and "CT-01 " are one device to a reader, and a report keyed by id
        // must not show two of them.
        let mut ids: HashMap<String, &str> = HashMap::with_capacity(self.devices.len());
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
            if d.id.chars().any(char::is_control) {
                return Err(invalid(loc("id"), "the id holds a control character"));
            }
            if let Some(first) = ids.insert(id_key(&d.id), d.id.as_str()) {
                return Err(invalid(
                    loc("id"),
                    if first == d.id {
                        "duplicate device id".to_owned()
                    } else {
                        format!(
                            "duplicate device id: {:?} differs only by case or surrounding spaces",
                            clip(first, 64)
                        )
                    },
                ));
            }
            check_texts(d).map_err(|(field, problem)| invalid(loc(field), problem))?;
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
                if f.vex_justification
                    .as_deref()
                    .is_some_and(|t| t.len() > MAX_TEXT)
                {
                    return Err(invalid(
                        loc("findings"),
                        format!("a VEX justification is longer than {MAX_TEXT} bytes"),
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

/// The identity of a device id: trimmed and case-folded.
fn id_key(id: &str) -> String {
    id.trim().to_lowercase()
}

/// Every text and list field of a device is within its bound
/// ([`MAX_TEXT`], [`MAX_LIST`]); the error names the field.
fn check_texts(d: &Device) -> Result<(), (&'static str, String)> {
    let long = |field: &'static str| (field, format!("longer than {MAX_TEXT} bytes"));
    let many = |field: &'static str| (field, format!("more than {MAX_LIST} items"));
    let fields: [(&'static str, Option<&str>); 8] = [
        ("site", d.site.as_deref()),
        ("manufacturer", d.manufacturer.as_deref()),
        ("model", d.model.as_deref()),
        ("serial", d.serial.as_deref()),
        ("software_version", d.software_version.as_deref()),
        ("governance.owner", d.governance.owner.as_deref()),
        ("os.product", d.os.as_ref().map(|o| o.product.as_str())),
        ("os.version", d.os.as_ref().map(|o| o.version.as_str())),
    ];
    for (field, text) in fields {
        if text.is_some_and(|t| t.len() > MAX_TEXT) {
            return Err(long(field));
        }
    }
    let e = &d.exposure;
    if let Some(v) = &e.legacy_services {
        if v.len() > MAX_LIST {
            return Err(many("exposure.legacy_services"));
        }
        if v.iter().any(|t| t.len() > MAX_TEXT) {
            return Err(long("exposure.legacy_services"));
        }
    }
    if e.expected_peers
        .as_ref()
        .is_some_and(|v| v.len() > MAX_LIST)
    {
        return Err(many("exposure.expected_peers"));
    }
    if let Some(flows) = &e.observed_flows {
        if flows.len() > MAX_LIST {
            return Err(many("exposure.observed_flows"));
        }
        let texts = flows
            .iter()
            .flat_map(|f| [f.protocol.as_deref(), f.country.as_deref()]);
        if texts.flatten().any(|t| t.len() > MAX_TEXT) {
            return Err(long("exposure.observed_flows"));
        }
    }
    if d.software.len() > MAX_LIST {
        return Err(many("software"));
    }
    let software = d.software.iter().flat_map(|s| {
        [
            Some(s.name.as_str()),
            s.version.as_deref(),
            s.purl.as_deref(),
            s.cpe.as_deref(),
        ]
    });
    if software.flatten().any(|t| t.len() > MAX_TEXT) {
        return Err(long("software"));
    }
    if d.mds2.len() > MAX_LIST {
        return Err(many("mds2"));
    }
    Ok(())
}
