//! Checks a parsed inventory must pass: sizes, unique ids, consistent
//! values; and MDS2 question ids.

use std::collections::HashSet;

use super::model::{Inventory, Tri};
use super::{InventoryError, clip};
use crate::cvss::Cvss;

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
