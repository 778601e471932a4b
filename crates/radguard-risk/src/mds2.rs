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
    if d.mds2.is_empty() {
        return Fill::default();
    }
    let mut a = Answers {
        answers: &d.mds2,
        evidence: Vec::new(),
    };
    let mut f = Fill::default();
    fill_controls(d, &mut a, &mut f);
    fill_data_and_exposure(d, &mut a, &mut f);
    fill_support(d, &mut a, &mut f);
    f.evidence = a.evidence;
    f
}

/// A device's MDS2 answers, and the evidence for what they filled.
struct Answers<'a> {
    answers: &'a BTreeMap<String, Mds2Answer>,
    evidence: Vec<String>,
}

impl Answers<'_> {
    fn get(&self, q: &str) -> Option<Mds2Answer> {
        self.answers.get(q).copied()
    }

    fn note(&mut self, q: &str, ans: &str, what: &str) {
        self.evidence.push(format!("MDS2 {q} = {ans}: {what}"));
    }

    /// `true` (noting `what`) when `q` is answered `answer`.
    fn answered(&mut self, q: &str, answer: Mds2Answer, what: &str) -> bool {
        let hit = self.get(q) == Some(answer);
        if hit {
            let ans = if answer == Mds2Answer::Yes {
                "yes"
            } else {
                "no"
            };
            self.note(q, ans, what);
        }
        hit
    }

    /// A question that fills both ways: yes (noting `yes`) or no (noting
    /// `no`).
    fn yes_or_no(&mut self, q: &str, yes: &str, no: &str) -> Option<Tri> {
        if self.answered(q, Mds2Answer::Yes, yes) {
            Some(Tri::Yes)
        } else if self.answered(q, Mds2Answer::No, no) {
            Some(Tri::No)
        } else {
            None
        }
    }
}

/// Controls the inventory leaves unknown.
fn fill_controls(d: &Device, a: &mut Answers<'_>, f: &mut Fill) {
    let c = &d.controls;
    if c.default_credentials == Tri::Unknown
        && a.answered(
            "PAUT-5",
            Mds2Answer::No,
            "not all passwords can be changed (hard-coded credentials)",
        )
    {
        f.default_credentials = Some(Tri::Yes);
    }
    if c.unique_accounts == Tri::Unknown {
        f.unique_accounts = a.yes_or_no(
            "PAUT-1",
            "unique accounts for all users and roles",
            "shared accounts",
        );
    }
    if c.malware_protection == Tri::Unknown
        && a.answered("MLDP-2", Mds2Answer::No, "anti-malware not supported")
    {
        f.malware_protection = Some(Tri::No);
    }
    if c.app_allowlisting == Tri::Unknown {
        f.app_allowlisting = a.yes_or_no(
            "MLDP-4",
            "application allowlisting employed",
            "no application allowlisting",
        );
    }
    if c.encryption_at_rest == Tri::Unknown
        && a.answered("STCF-1", Mds2Answer::No, "cannot encrypt data at rest")
    {
        f.encryption_at_rest = Some(Tri::No);
    }
    if c.encryption_in_transit == Tri::Unknown {
        f.encryption_in_transit = a.yes_or_no(
            "TXCF-2",
            "PHI encrypted before transmission",
            "PHI sent unencrypted",
        );
    }
    if c.audit_logging == Tri::Unknown
        && a.answered("AUDT-1", Mds2Answer::No, "no audit logs beyond the OS")
    {
        f.audit_logging = Some(Tri::No);
    }
}

/// PHI, wireless and remote access, where the inventory leaves them
/// unknown.
fn fill_data_and_exposure(d: &Device, a: &mut Answers<'_>, f: &mut Fill) {
    if d.data.stores_phi == Tri::Unknown {
        match a.get("MPII-2.2") {
            Some(Mds2Answer::Yes) => {
                a.note("MPII-2.2", "yes", "stores PHI persistently");
                f.stores_phi = Some(Tri::Yes);
            }
            Some(Mds2Answer::No) if a.get("MPII-1") == Some(Mds2Answer::No) => {
                a.note("MPII-1/2.2", "no", "does not handle or store PHI");
                f.stores_phi = Some(Tri::No);
            }
            _ => {}
        }
    }
    if d.exposure.wireless == Tri::Unknown
        && a.answered("MPII-3.6", Mds2Answer::Yes, "PHI sent over wireless")
    {
        f.wireless = Some(Tri::Yes);
    }
    if d.exposure.remote_access == RemoteAccess::Unknown {
        match (a.get("RMOT-1"), a.get("RMOT-1.1")) {
            (Some(Mds2Answer::No), _) => {
                a.note("RMOT-1", "no", "no remote service connections");
                f.remote_access = Some(RemoteAccess::None);
            }
            (Some(Mds2Answer::Yes), Some(Mds2Answer::Yes))
                if a.get("PAUT-8") == Some(Mds2Answer::Yes) =>
            {
                a.note(
                    "RMOT-1.1/PAUT-8",
                    "yes",
                    "owner-initiated remote service with MFA",
                );
                f.remote_access = Some(RemoteAccess::VendorVpnMfaOnDemand);
            }
            (Some(Mds2Answer::Yes), Some(Mds2Answer::No)) => {
                a.note(
                    "RMOT-1.1",
                    "no",
                    "remote service not initiated by the owner (always on)",
                );
                f.remote_access = Some(RemoteAccess::VendorAlwaysOn);
            }
            _ => {}
        }
    }
}

/// Who patches, patch validation, SBOM.
fn fill_support(d: &Device, a: &mut Answers<'_>, f: &mut Fill) {
    if d.governance.patch_responsibility == PatchResponsibility::Unknown
        && a.answered(
            "CSUP-2.2",
            Mds2Answer::Yes,
            "vendor or vendor-authorised service installs OS patches",
        )
    {
        f.patch_responsibility = Some(PatchResponsibility::Vendor);
    }
    f.patches_need_vendor_validation = a.answered(
        "CSUP-2.4",
        Mds2Answer::No,
        "third-party (OS) patches need manufacturer approval",
    );
    f.no_sbom = a.answered(
        "SBOM-1",
        Mds2Answer::No,
        "no SBOM: vulnerability data may be incomplete",
    );
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
