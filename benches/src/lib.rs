//! Shared helpers for the radguard benchmarks (see `benches/README.md`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

/// The bundled sample files used as a benchmark workload: every sample that
/// radguard-dicom opens, sorted.
#[must_use]
pub fn sample_workload() -> Vec<PathBuf> {
    radguard_testkit::samples()
        .into_iter()
        .filter(|p| radguard_dicom::open(p).is_ok())
        .collect()
}
