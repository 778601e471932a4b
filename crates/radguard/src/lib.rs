//! radguard: security libraries for medical imaging.
//!
//! This facade re-exports the radguard crates, each behind a cargo feature,
//! so that one dependency line gives access to any of them. Vendors who need
//! only one capability can depend on its crate directly: the crates do not
//! depend on this facade, and each stays usable alone (a wipe-only build
//! pulls in no DICOM code).
//!
//! | module | crate | feature | what it does |
//! |---|---|---|---|
//! | [`core`] | `radguard-core` | always | keys, key ids, PHI-free audit records, redaction |
//! | `dicom` | `radguard-dicom` | `dicom` (default) | safe DICOM file I/O for untrusted input |
//! | `deid` | `radguard-deid` | `deid` | DICOM de-identification per PS3.15 Annex E (2026c) |
//! | `pixels` | `radguard-pixels` | `pixels` | burned-in text removal: decode, blank rectangles, re-encode losslessly, frame by frame |
//! | `crypt` | `radguard-crypt` | `crypt` (default) | at-rest encryption of pixel data: envelope keys, rotation, crypto-erase (its DICOM part with `dicom` too) |
//! | `cvss` | `radguard-cvss` | `cvss` (or `risk`) | strict CVSS v3.0/v3.1/v4.0 parsing and scoring |
//! | `risk` | `radguard-risk` | `risk` | explainable risk scoring of imaging devices (MIRS) |
//! | `wipe` | `radguard-wipe` | `wipe` | NIST SP 800-88 sanitization with signed certificates |
//!
//! # Examples
//!
//! ```
//! use radguard::core::{KeyId, SecretKey};
//!
//! let id = KeyId::fingerprint(&SecretKey::from_bytes([1; 32]));
//! assert!(id.as_str().starts_with("k1-"));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use radguard_core as core;

#[cfg(feature = "dicom")]
#[cfg_attr(docsrs, doc(cfg(feature = "dicom")))]
pub use radguard_dicom as dicom;

#[cfg(feature = "deid")]
#[cfg_attr(docsrs, doc(cfg(feature = "deid")))]
pub use radguard_deid as deid;

#[cfg(feature = "pixels")]
#[cfg_attr(docsrs, doc(cfg(feature = "pixels")))]
pub use radguard_pixels as pixels;

#[cfg(feature = "crypt")]
#[cfg_attr(docsrs, doc(cfg(feature = "crypt")))]
pub use radguard_crypt as crypt;

#[cfg(feature = "cvss")]
#[cfg_attr(docsrs, doc(cfg(feature = "cvss")))]
pub use radguard_cvss as cvss;

#[cfg(feature = "risk")]
#[cfg_attr(docsrs, doc(cfg(feature = "risk")))]
pub use radguard_risk as risk;
#[cfg(feature = "wipe")]
#[cfg_attr(docsrs, doc(cfg(feature = "wipe")))]
pub use radguard_wipe as wipe;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
