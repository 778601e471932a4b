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
