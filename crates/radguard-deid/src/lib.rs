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
//! use dicom_core::{DataElement, VR};
//! use dicom_object::{InMemDicomObject, meta::FileMetaTableBuilder};
//! use radguard_core::SecretKey;
//! use radguard_deid::{DeidKey, Deidentifier, Profile};
//! use radguard_dicom::{WriteOptions, tags};
//!
//! // A small CT header, written to a file as a modality would.
//! let dir = tempfile::tempdir()?;
//! let input = dir.path().join("in.dcm");
//! let obj = InMemDicomObject::from_element_iter([
//!     DataElement::new(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
//!     DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, "1.2.826.0.1.3680043.2.1125.1.1"),
//!     DataElement::new(tags::STUDY_DATE, VR::DA, "20240131"),
//!     DataElement::new(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
//!     DataElement::new(tags::PATIENT_ID, VR::LO, "MRN0042"),
//!     DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.826.0.1.3680043.2.1125.1.2"),
//! ]);
//! let file = obj.with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))?;
//! radguard_dicom::write_file(&input, &file, &WriteOptions::new())?;
//!
//! // De-identify it under the Basic Profile with a keyed pseudonym.
//! let out = dir.path().join("anon.dcm");
//! let key = DeidKey::new(&SecretKey::from_bytes([42; 32]));
//! let deid = Deidentifier::new(Profile::basic(), key);
//! let report = deid.deidentify_file(&input, &out, &WriteOptions::new())?;
//! assert!(report.counts.uids_replaced > 0);
//!
//! let anon = radguard_dicom::open(&out)?;
//! let text = |t| radguard_dicom::text::value_text(anon.dataset(), t);
//! assert!(text(tags::PATIENT_NAME).starts_with("RG")); // the keyed pseudonym
//! assert_eq!(text(tags::PATIENT_ID), text(tags::PATIENT_NAME));
//! assert_eq!(text(tags::PATIENT_IDENTITY_REMOVED), "YES");
//! assert!(text(tags::SOP_INSTANCE_UID).starts_with("2.25."));
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
//! - Burned-in text: with [`DeidOption::CleanPixelData`] files that may
//!   carry it are cleaned in [`Deidentifier::deidentify_file`] (device
//!   rules, ultrasound regions, text detection with the `ocr` feature) and
//!   every frame is re-checked by OCR; what cannot be assured clean is
//!   refused with [`Error::PixelsNotCleaned`]. See [`PixelCleaning`].
//! - Limits: radguard does not detect faces in volumes, text detection
//!   lowers the risk of burned-in text without removing it, and it cleans free text (C) by removing the identifying values
//!   found in the same file (names in any script, IDs, the patient's dates
//!   in common written forms) and anything shaped like a date, an e-mail
//!   address, a phone, social security or record number, a long number or
//!   a UID; that is best effort, not proof.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod deid;
mod engine;
mod error;
mod hook;
mod keys;
mod layout;
mod pixels;
mod profile;
mod report;
mod scrub;
mod table;
mod values;

pub use deid::{Deidentifier, PseudonymMap, patient_key};
pub use error::Error;
pub use hook::{Hook, HookAction, HookContext};
pub use keys::DeidKey;
pub use pixels::{BlankedRect, MAX_LISTED_RECTS, PixelCleaning, PixelExplanation, PixelSummary};
pub use profile::{DeidOption, Explanation, Profile, ProfileBuilder, RuleSource, UnknownOption};
pub use report::{Counts, Mapping, OutputIdentity, Report};
pub use table::{Action, EDITION, Rule};

#[doc(hidden)]
pub use table::table_sizes;

/// The leak oracle shared by the fuzz targets and the tests, and the free
/// text scrubber for the benches and property tests. Not part of the stable
/// API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::scrub::{Cleaned, REMOVED, Scrubber, ScrubberBuilder};
    use std::collections::{BTreeMap, BTreeSet};

    use dicom_core::Tag;
    use dicom_core::header::Header;
    use dicom_object::InMemDicomObject;
    use radguard_dicom::tags::to_attr;
    use radguard_dicom::text::{strings, trim_value};

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

    /// (tag -> original values of at least `min_len` characters) of the
    /// attributes the profile removes or replaces, anywhere in the input.
    fn originals(
        obj: &InMemDicomObject,
        profile: &Profile,
        min_len: usize,
        out: &mut BTreeMap<Tag, BTreeSet<String>>,
    ) {
        radguard_dicom::walk(obj, &mut |_, e| {
            let t = e.tag();
            if e.items().is_some() {
                return;
            }
            let at = to_attr(t);
            let rule = profile.rule(at);
            // Private values count as originals unless the profile keeps
            // safe private attributes (then the name and ID checks judge
            // what they hold).
            let private = at.is_private() && !profile.has(crate::DeidOption::RetainSafePrivate);
            if t.0 == 0x7FE0 || !(private || rule.single().is_none_or(Action::removes_value)) {
                return;
            }
            for v in strings(e) {
                let v = trim_value(&v);
                if v.len() >= min_len && !dummy_texts().contains(v) {
                    out.entry(t).or_default().insert(v.to_owned());
                }
            }
        });
    }

    /// The patient's own name components and ID in `input` (top level),
    /// lower-cased: each component of Patient's Name (split at `^` and `=`,
    /// as PN is structured) and the Patient ID, of 4 characters or more.
    /// Tokens are what the scrubber matches: a whole component, a whole ID
    /// (an ID "PANCREAS_0001" is not found in a Body Part "PANCREAS").
    fn identity_tokens(input: &InMemDicomObject) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut add = |t: &str| {
            let t = trim_value(t).to_lowercase();
            if t.chars().count() >= 4 && !dummy_texts().contains(&t.to_uppercase()) {
                out.insert(t);
            }
        };
        if let Some(e) = input.get(radguard_dicom::tags::PATIENT_NAME) {
            for v in strings(e) {
                v.split(['^', '=']).for_each(&mut add);
            }
        }
        if let Some(e) = input.get(radguard_dicom::tags::PATIENT_ID) {
            strings(e).iter().for_each(|v| add(v));
        }
        out
    }

    /// `true` if `text` holds `token` as the scrubber would find it: tokens
    /// of letters and digits in scripts with word separators (Latin,
    /// Cyrillic, Greek, ...) as whole words (the name "Anne" is not in
    /// "Annexe"), tokens in scripts without them (CJK, kana, Hangul, Thai)
    /// anywhere; a token of digits only never inside a longer run of
    /// digits (a number inside a measurement or a UID is not an ID).
    fn contains_token(text: &str, token: &str) -> bool {
        let spaced = |c: char| c.is_alphanumeric() && (c.is_ascii() || !is_unspaced_script(c));
        if token.chars().any(is_unspaced_script) {
            return text.contains(token);
        }
        text.match_indices(token).any(|(i, m)| {
            let before = text[..i].chars().next_back();
            let after = text[i + m.len()..].chars().next();
            !before.is_some_and(spaced) && !after.is_some_and(spaced)
        })
    }

    /// Scripts written without spaces between words.
    fn is_unspaced_script(c: char) -> bool {
        matches!(c as u32,
            0x0E00..=0x0E7F // Thai
            | 0x3040..=0x30FF // kana
            | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F // CJK
            | 0xAC00..=0xD7AF | 0x1100..=0x11FF // Hangul
        )
    }

    /// Every violation in `output`, the de-identification of `input` under
    /// `profile`. Each is described by path and tag, never by value:
    ///
    /// - a private attribute kept (unless the profile retains safe private
    ///   attributes), or any element of an odd group PS3.5 forbids;
    /// - an element of group 0000 or 0002 in the data set, at any depth;
    /// - a sequence attribute (per the dictionary) holding a value;
    /// - a value (of at least `min_len` characters) of an attribute the
    ///   profile removes or replaces in `input`, found in the same attribute
    ///   anywhere in `output`;
    /// - a token of 4 characters or more of the patient's own name or ID
    ///   found inside any value in `output`.
    #[must_use]
    pub fn leaks(
        input: &InMemDicomObject,
        output: &InMemDicomObject,
        profile: &Profile,
        min_len: usize,
    ) -> Vec<String> {
        let mut orig = BTreeMap::new();
        originals(input, profile, min_len, &mut orig);
        let tokens = identity_tokens(input);
        let retain_private = profile.has(crate::DeidOption::RetainSafePrivate);
        let mut problems = Vec::new();
        radguard_dicom::walk(output, &mut |path, e| {
            let t = e.tag();
            let at = to_attr(t);
            if radguard_dicom::tags::is_forbidden_group(t.0) {
                problems.push(format!("element of forbidden group {path} kept"));
            } else if at.is_private() && !retain_private {
                problems.push(format!("private attribute {path} kept"));
            } else if t.0 == 0x0000 || t.0 == 0x0002 {
                problems.push(format!("group {:04X} element {path} in the data set", t.0));
            } else if radguard_dicom::tags::is_sequence_attribute(t) && e.items().is_none() {
                problems.push(format!("sequence attribute {path} holds a value"));
            } else if let Some(vals) = orig.get(&t)
                && strings(e).iter().any(|v| vals.contains(trim_value(v)))
            {
                problems.push(format!("original value of {path} survived"));
            } else if t.0 != 0x7FE0
                && e.vr() != dicom_core::VR::UI
                && !crate::engine::is_code_attribute(t)
                && !tokens.is_empty()
            {
                // Dummy values (ANONYMIZED, ...) are radguard's own.
                let kept: Vec<String> = strings(e)
                    .into_iter()
                    .filter(|v| !dummy_texts().contains(trim_value(v)))
                    .collect();
                let text = kept.join("\\").to_lowercase();
                if tokens.iter().any(|tok| contains_token(&text, tok)) {
                    problems.push(format!("the patient's name or ID inside {path}"));
                }
            }
        });
        problems
    }

    /// The fuzz targets' check: the first of [`leaks`] for values of 4
    /// characters or more (shorter values collide with chance).
    ///
    /// # Errors
    ///
    /// A description of the first violation (path and tag, never the value).
    pub fn check(
        input: &InMemDicomObject,
        output: &InMemDicomObject,
        profile: &Profile,
    ) -> Result<(), String> {
        leaks(input, output, profile, 4)
            .into_iter()
            .next()
            .map_or(Ok(()), Err)
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
