//! DICOM de-identification per DICOM PS3.15 Annex E, edition 2026c.
//!
//! `radguard-deid` applies the Basic Application Level Confidentiality
//! Profile and any of its ten options, driven by the standard's own Table
//! E.1-1 (all 652 attributes and 4 pattern rows, every option column) and
//! Table E.3.10-1 (479 safe private attributes), generated at build time
//! from the data in `data/`. UIDs, pseudonyms and date offsets are derived
//! from one secret with keyed functions, so any number of machines
//! de-identify consistently with no shared state, and nobody without the
//! key can link outputs back to inputs.
//!
//! # What it does to a file
//!
//! - Every attribute, in every sequence at any depth, gets its effective
//!   action ([`Profile::explain`] says which and why): X removes, Z empties
//!   (Patient's Name and ID get the patient pseudonym), D puts a dummy
//!   value valid for the VR and multiplicity, K keeps, C cleans (dates
//!   shifted per patient, text scrubbed), U replaces each UID with
//!   `2.25.<decimal of 128 keyed bits>`. On a sequence the action comes
//!   first, then the items that remain are processed.
//! - Composite actions (Z/D, X/Z, X/D, X/Z/D, X/Z/U*) keep the attribute
//!   present with no identifying content (Z if it was empty, else D; X/Z/U*
//!   keeps the sequence and replaces the UIDs in it), so no attribute an
//!   IOD may require disappears. D on a sequence keeps its items and
//!   replaces their identifying text and dates with dummies while keeping
//!   coded concepts, so structured reports stay valid for their templates.
//! - Private attributes are removed, or with Retain Safe Private kept when
//!   Table E.3.10-1 lists them (by private creator and element) or the data
//!   set flags them safe (PS3.15 E.3.10); group 0004 is removed; curves and
//!   overlays are removed.
//! - Markers: (0012,0062) YES, (0012,0063) naming radguard, the edition and
//!   the options, (0012,0064) with the CID 7050 codes, (0028,0303).
//! - The file meta group is rebuilt (new SOP Instance UID, radguard's
//!   implementation UID and version, no AE titles) and the preamble zeroed.
//!
//! # Examples
//!
//! ```
//! use radguard_core::SecretKey;
//! use radguard_deid::{DeidKey, Deidentifier, Profile};
//! use radguard_dicom::WriteOptions;
//!
//! let dir = tempfile::tempdir()?;
//! let out = dir.path().join("anon.dcm");
//! let key = DeidKey::new(&SecretKey::from_bytes([42; 32]));
//! let deid = Deidentifier::new(Profile::basic(), key);
//! let report = deid.deidentify_file(
//!     &radguard_testkit::sample("dicognito/p01_s01_s01_i01.dcm"),
//!     &out,
//!     &WriteOptions::new(),
//! )?;
//! assert!(report.counts.x > 0);
//! let anon = radguard_dicom::open(&out)?;
//! let name = anon.dataset().get(dicom_dictionary_std::tags::PATIENT_NAME).unwrap().to_str()?;
//! assert!(name.starts_with("RG")); // the keyed pseudonym
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - Fails closed: unreadable or truncated files, DICOMDIRs, and files
//!   that may carry burned-in annotation (unless explicitly allowed) are
//!   errors, never passed through; inputs are only read; outputs are
//!   written atomically.
//! - Keyed derivations follow PS3.15 E.1.1's warning against unkeyed
//!   hashes; the construction is documented in [`DeidKey`] so other
//!   implementations can reproduce it.
//! - Limits: radguard does not clean pixel data, does not detect faces in
//!   volumes, and cleans free text (C) by removing the identifying values
//!   found in the same file and anything shaped like a date, an e-mail
//!   address, a long number or a UID; that is best effort, not proof.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod deid;
mod engine;
mod error;
mod hook;
mod keys;
mod profile;
mod report;
mod table;
mod values;

pub use deid::{Deidentifier, PseudonymMap, patient_key};
pub use error::Error;
pub use hook::{Hook, HookAction, HookContext};
pub use keys::DeidKey;
pub use profile::{DeidOption, Explanation, Profile, ProfileBuilder, RuleSource, UnknownOption};
pub use report::{Counts, Report};
pub use table::{Action, EDITION, Rule};

#[doc(hidden)]
pub use table::table_sizes;

/// Helpers for the fuzz targets. Not part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    use std::collections::{BTreeMap, BTreeSet};

    use dicom_core::Tag;
    use dicom_object::InMemDicomObject;
    use radguard_core::AttrTag;

    use crate::{Action, Profile};

    /// Every text the engine writes as a dummy value (D), whatever the VR:
    /// an original that equals one of them is not identifying, and an
    /// output that holds it has not kept the original.
    fn dummy_texts() -> &'static BTreeSet<String> {
        static TEXTS: std::sync::LazyLock<BTreeSet<String>> = std::sync::LazyLock::new(|| {
            use dicom_core::VR;
            [
                VR::AE,
                VR::AS,
                VR::CS,
                VR::DA,
                VR::DT,
                VR::TM,
                VR::DS,
                VR::IS,
                VR::UR,
                VR::UI,
                VR::LO,
                VR::LT,
                VR::PN,
                VR::SH,
                VR::ST,
                VR::UC,
                VR::UT,
            ]
            .into_iter()
            .map(|vr| crate::values::dummy(vr, 1).to_str().into_owned())
            .collect()
        });
        &TEXTS
    }

    fn originals(
        obj: &InMemDicomObject,
        profile: &Profile,
        out: &mut BTreeMap<Tag, BTreeSet<String>>,
    ) {
        for e in obj.iter() {
            let t = e.header().tag;
            if let Some(items) = e.items() {
                for it in items {
                    originals(it, profile, out);
                }
                continue;
            }
            let at = AttrTag::new(t.0, t.1);
            let rule = profile.rule(at);
            if t.0 == 0x7FE0
                || !(at.is_private() || rule.single().is_none_or(Action::removes_value))
            {
                continue;
            }
            for v in crate::engine::strings(e) {
                let v = v.trim().to_owned();
                if v.len() >= 4 && !dummy_texts().contains(&v) {
                    out.entry(t).or_default().insert(v);
                }
            }
        }
    }

    /// Checks that no value of an attribute the profile removes or
    /// replaces in `input` appears in the same attribute anywhere in
    /// `output`, and that no private attribute remains. Returns the first
    /// violation.
    ///
    /// # Errors
    ///
    /// A description of the first violation (path and tag, never the value).
    pub fn check(
        input: &InMemDicomObject,
        output: &InMemDicomObject,
        profile: &Profile,
    ) -> Result<(), String> {
        let mut orig = BTreeMap::new();
        originals(input, profile, &mut orig);
        let mut problem = None;
        radguard_dicom::walk(output, &mut |path, e| {
            if problem.is_some() {
                return;
            }
            let t = e.header().tag;
            if t.0 % 2 == 1 && t.0 > 8 {
                problem = Some(format!("private attribute {path} kept"));
            } else if let Some(vals) = orig.get(&t)
                && crate::engine::strings(e)
                    .iter()
                    .any(|v| vals.contains(v.trim()))
            {
                problem = Some(format!("original value of {path} survived"));
            }
        });
        problem.map_or(Ok(()), Err)
    }
}
