//! MDS2 (ANSI/NEMA HN 1-2019) answers filling inventory values that are
//! unknown. The mapping follows `data/mds2/mds2_hn1_2019_risk_questions.csv`.
//!
//! An MDS2 is the manufacturer's statement about what the *product* can
//! do; it does not say how a given unit is configured. So a capability
//! "No" fills a control as absent (the unit cannot have it), while a
//! capability "Yes" fills nothing: it stays unknown until the inventory
//! says it is configured. Design facts (e.g. PAUT-5 "all passwords can be
//! changed: No", which means hard-coded credentials) fill both ways.

use std::collections::BTreeMap;

use crate::inventory::{Device, Mds2Answer, PatchResponsibility, RemoteAccess, Tri};

static QUESTIONS_CSV: &str = include_str!("../data/mds2/mds2_hn1_2019_risk_questions.csv");

/// The text of a risk-relevant HN 1-2019 question, if this crate knows it.
#[must_use]
pub fn question_text(id: &str) -> Option<&'static str> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(QUESTIONS_CSV.as_bytes());
    // The embedded CSV is fixed; a bad record is skipped.
    for rec in rdr.records().flatten() {
        if rec.get(0) == Some(id) {
            let text = rec.get(2)?;
            // Locate the slice inside the static string to return 'static.
            let start = QUESTIONS_CSV.find(text)?;
            return QUESTIONS_CSV.get(start..start + text.len());
        }
    }
    None
}

/// Values the MDS2 answers fill in, with the evidence for each.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fill {
    pub(crate) default_credentials: Option<Tri>,
    pub(crate) unique_accounts: Option<Tri>,
    pub(crate) malware_protection: Option<Tri>,
    pub(crate) app_allowlisting: Option<Tri>,
    pub(crate) encryption_in_transit: Option<Tri>,
    pub(crate) encryption_at_rest: Option<Tri>,
    pub(crate) audit_logging: Option<Tri>,
    pub(crate) stores_phi: Option<Tri>,
    pub(crate) wireless: Option<Tri>,
    pub(crate) remote_access: Option<RemoteAccess>,
    pub(crate) patch_responsibility: Option<PatchResponsibility>,
    /// CSUP-2.4 = No: OS patches need the manufacturer's validation.
    pub(crate) patches_need_vendor_validation: bool,
    /// SBOM-1 = No.
    pub(crate) no_sbom: bool,
    pub(crate) evidence: Vec<String>,
}

pub(crate) fn fill(d: &Device) -> Fill {
    let a: &BTreeMap<String, Mds2Answer> = &d.mds2;
    let mut f = Fill::default();
    if a.is_empty() {
        return f;
    }
    let get = |q: &str| a.get(q).copied();
    let mut note = |q: &str, ans: &str, what: &str| {
        f.evidence.push(format!("MDS2 {q} = {ans}: {what}"));
    };
    let c = &d.controls;
    if c.default_credentials == Tri::Unknown && get("PAUT-5") == Some(Mds2Answer::No) {
        note(
            "PAUT-5",
            "no",
            "not all passwords can be changed (hard-coded credentials)",
        );
        f.default_credentials = Some(Tri::Yes);
    }
    if c.unique_accounts == Tri::Unknown {
        match get("PAUT-1") {
            Some(Mds2Answer::Yes) => {
                note("PAUT-1", "yes", "unique accounts for all users and roles");
                f.unique_accounts = Some(Tri::Yes);
            }
            Some(Mds2Answer::No) => {
                note("PAUT-1", "no", "shared accounts");
                f.unique_accounts = Some(Tri::No);
            }
            _ => {}
        }
    }
    if c.malware_protection == Tri::Unknown && get("MLDP-2") == Some(Mds2Answer::No) {
        note("MLDP-2", "no", "anti-malware not supported");
        f.malware_protection = Some(Tri::No);
    }
    if c.app_allowlisting == Tri::Unknown {
        match get("MLDP-4") {
            Some(Mds2Answer::Yes) => {
                note("MLDP-4", "yes", "application allowlisting employed");
                f.app_allowlisting = Some(Tri::Yes);
            }
            Some(Mds2Answer::No) => {
                note("MLDP-4", "no", "no application allowlisting");
                f.app_allowlisting = Some(Tri::No);
            }
            _ => {}
        }
    }
    if c.encryption_at_rest == Tri::Unknown && get("STCF-1") == Some(Mds2Answer::No) {
        note("STCF-1", "no", "cannot encrypt data at rest");
        f.encryption_at_rest = Some(Tri::No);
    }
    if c.encryption_in_transit == Tri::Unknown {
        match get("TXCF-2") {
            Some(Mds2Answer::Yes) => {
                note("TXCF-2", "yes", "PHI encrypted before transmission");
                f.encryption_in_transit = Some(Tri::Yes);
            }
            Some(Mds2Answer::No) => {
                note("TXCF-2", "no", "PHI sent unencrypted");
                f.encryption_in_transit = Some(Tri::No);
            }
            _ => {}
        }
    }
    if c.audit_logging == Tri::Unknown && get("AUDT-1") == Some(Mds2Answer::No) {
        note("AUDT-1", "no", "no audit logs beyond the OS");
        f.audit_logging = Some(Tri::No);
    }
    if d.data.stores_phi == Tri::Unknown {
        match get("MPII-2.2") {
            Some(Mds2Answer::Yes) => {
                note("MPII-2.2", "yes", "stores PHI persistently");
                f.stores_phi = Some(Tri::Yes);
            }
            Some(Mds2Answer::No) if get("MPII-1") == Some(Mds2Answer::No) => {
                note("MPII-1/2.2", "no", "does not handle or store PHI");
                f.stores_phi = Some(Tri::No);
            }
            _ => {}
        }
    }
    if d.exposure.wireless == Tri::Unknown && get("MPII-3.6") == Some(Mds2Answer::Yes) {
        note("MPII-3.6", "yes", "PHI sent over wireless");
        f.wireless = Some(Tri::Yes);
    }
    if d.exposure.remote_access == RemoteAccess::Unknown {
        match (get("RMOT-1"), get("RMOT-1.1")) {
            (Some(Mds2Answer::No), _) => {
                note("RMOT-1", "no", "no remote service connections");
                f.remote_access = Some(RemoteAccess::None);
            }
            (Some(Mds2Answer::Yes), Some(Mds2Answer::Yes))
                if get("PAUT-8") == Some(Mds2Answer::Yes) =>
            {
                note(
                    "RMOT-1.1/PAUT-8",
                    "yes",
                    "owner-initiated remote service with MFA",
                );
                f.remote_access = Some(RemoteAccess::VendorVpnMfaOnDemand);
            }
            (Some(Mds2Answer::Yes), Some(Mds2Answer::No)) => {
                note(
                    "RMOT-1.1",
                    "no",
                    "remote service not initiated by the owner (always on)",
                );
                f.remote_access = Some(RemoteAccess::VendorAlwaysOn);
            }
            _ => {}
        }
    }
    if d.governance.patch_responsibility == PatchResponsibility::Unknown
        && get("CSUP-2.2") == Some(Mds2Answer::Yes)
    {
        note(
            "CSUP-2.2",
            "yes",
            "vendor or vendor-authorised service installs OS patches",
        );
        f.patch_responsibility = Some(PatchResponsibility::Vendor);
    }
    if get("CSUP-2.4") == Some(Mds2Answer::No) {
        note(
            "CSUP-2.4",
            "no",
            "third-party (OS) patches need manufacturer approval",
        );
        f.patches_need_vendor_validation = true;
    }
    if get("SBOM-1") == Some(Mds2Answer::No) {
        note(
            "SBOM-1",
            "no",
            "no SBOM: vulnerability data may be incomplete",
        );
        f.no_sbom = true;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_texts_come_from_the_embedded_table() {
        assert_eq!(
            question_text("PAUT-5"),
            Some("Can all passwords be changed?")
        );
        assert!(question_text("ZZZZ-1").is_none());
    }
}
