//! The `radguard` Python package, built with PyO3 and maturin.
//!
//! This crate has two layers:
//!
//! - a pure-Rust core (always built, tested by `cargo test` with no Python
//!   installed): it turns the radguard libraries' calls and errors into
//!   the plain values the Python API hands out ([`Failure`] for errors,
//!   JSON documents for reports), so that the Python package and the CLI
//!   give the same bytes, the same reason codes and the same messages;
//! - the extension module `radguard._native` (feature `python`, turned on
//!   by maturin): thin PyO3 wrappers that release the GIL while they work.
//!
//! The Python API itself (classes, exceptions, the Dask recipe) and its
//! tests live in `python/` and `tests/`; see the README.
//!
//! # Examples
//!
//! ```
//! use radguard_core::SecretKey;
//! use radguard_deid::{DeidKey, Deidentifier};
//!
//! let profile = radguard_py::deid::profile(&["retain-uids".into()], false, false, &[])?;
//! let deid = Deidentifier::new(profile, DeidKey::new(&SecretKey::from_bytes([1; 32])));
//! // Not a DICOM file: the error the Python package raises as NotDicomError.
//! let err = radguard_py::deid::deidentify_bytes(&deid, b"hello").unwrap_err();
//! assert_eq!(err.kind, radguard_py::FailureKind::NotDicom);
//! assert_eq!(err.reason, "not_dicom");
//! # Ok::<(), radguard_py::Failure>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod crypt;
pub mod deid;
mod failure;
pub mod risk;

pub use failure::{Failure, FailureKind, chain};

#[cfg(feature = "python")]
mod python;
