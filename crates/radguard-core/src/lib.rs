//! Shared vocabulary for the radguard crates.
//!
//! `radguard-core` holds the few types every radguard crate agrees on and
//! nothing else: no DICOM parsing, no cipher, and no I/O except the one
//! atomic file writer every crate shares ([`fs`], behind the `fs`
//! feature). Without that feature it builds with `#![no_std]` + `alloc`.
//!
//! | type | what it is for |
//! |---|---|
//! | [`SecretKey`] | 256-bit key material: zeroized on drop, never printed, never cloned |
//! | [`KeyId`] | the public name of a key, safe to log and to store next to data |
//! | [`AuditRecord`] | one PHI-free, key-free record of what an operation did |
//! | [`Redacted`] | a wrapper for values that may hold PHI: prints `<redacted>` |
//! | [`AttrTag`], [`AttrPath`] | DICOM attribute tags and nested paths as plain numbers |
//! | [`printable`] | text from untrusted sources made safe to show on a terminal |
//!
//! # Examples
//!
//! ```
//! use radguard_core::{AuditRecord, KeyId, Operation, Redacted, SecretKey, Status};
//!
//! let key = SecretKey::from_bytes([7u8; 32]);
//! // The key never shows up in debug output.
//! assert_eq!(format!("{key:?}"), "SecretKey { .. }");
//!
//! // A key id is derived from the key, so every machine holding the key
//! // names it the same way without sharing any state.
//! let id = KeyId::fingerprint(&key);
//! assert_eq!(id, KeyId::fingerprint(&SecretKey::from_bytes([7u8; 32])));
//!
//! let name = Redacted::new(String::from("DOE^JANE"));
//! assert_eq!(format!("{name}"), "<redacted>");
//!
//! let record = AuditRecord::new(Operation::Deidentify, Status::Done).with_key_id(id);
//! assert_eq!(record.status(), Status::Done);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! The types here are designed so that the safe thing is the easy thing:
//! [`SecretKey`] has no `Clone`, `Display` or serde implementation and its
//! `Debug` prints nothing of the key; [`AuditRecord`] can only hold numbers,
//! compile-time labels, key ids, digests and operator-chosen paths, so no
//! value read from a DICOM file can end up in an audit log by accident.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "fs")]
extern crate std;

mod audit;
#[cfg(feature = "fs")]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub mod fs;
mod key;
mod path;
mod printable;
mod redact;
#[cfg(feature = "fs")]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub mod secret_file;

pub use audit::{
    AuditPath, AuditRecord, AuditRegion, AuditSink, KeyedDigest, Label, Operation, Reason,
    RegionSource, RuleId, Status, VecSink,
};
pub use key::{KeyError, KeyId, SecretKey};
pub use path::{AttrPath, AttrTag, ParseTagError, PathStep};
pub use printable::{is_unsafe_char, printable};
pub use redact::Redacted;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
