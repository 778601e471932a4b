//! CVSS v3.0, v3.1 and v4.0 vectors: strict parsing, canonical printing and
//! scoring, conformance-tested against FIRST's examples and differentially
//! against the independent `cvss` crate (RustSec).
//!
//! | item | what |
//! |---|---|
//! | [`Cvss`] | a parsed vector of any supported version: [`Cvss::parse`] (strict), [`Cvss::parse_lenient`], `Display` (canonical form), [`Cvss::score`], [`Cvss::severity`] |
//! | [`CvssV3`], [`CvssV4`] | the version-specific vectors: base, temporal and environmental scores (v3), MacroVector (v4) |
//! | [`Severity`], [`AttackVector`], [`ExploitMaturity`] | what a vector says, as types |
//! | [`CvssError`] | why a vector was rejected, naming the problem |
//!
//! The crate has no dependency on the rest of radguard; `radguard-risk`
//! re-exports it as `radguard_risk::cvss`. With the `serde` feature,
//! [`Severity`] is `Serialize`.
//!
//! The arithmetic follows FIRST's reference calculators:
//!
//! - **v3.x**: `cvsscalc31.js` (FIRST, BSD-3-Clause), the equations of the
//!   v3.1 specification §7 and its `Roundup` of Appendix A; v3.0 vectors use
//!   the v3.0 rounding (`ceil(x·10)/10`) and the v3.0 environmental formula.
//! - **v4.0**: the MacroVector lookup and interpolation of
//!   `FIRSTdotorg/cvss-v4-calculator @c5b0d409` (BSD-2-Clause; the data
//!   tables are embedded from `data/cvss4/`).
//!
//! # v4 rounding
//!
//! A v4 score is rounded to one decimal **half up after adding 10⁻⁶**
//! (`round((x + 1e-6) · 10) / 10`), as Red Hat's upstream calculator
//! (`cvss40.js`, PR #67), the Python `cvss` package and the Rust `cvss`
//! crate do. FIRST's mirror still rounds `8.6 − 7.15 = 1.4499999999999993`
//! down; the two disagree only on exact x.x5 ties (522 of the 104,976 base
//! vectors).
//!
//! # Strictness
//!
//! [`Cvss::parse`] rejects, with an error naming the problem: a missing or
//! unknown prefix, an empty component, a component without `:`, an unknown
//! metric, a value the metric does not allow, a metric given twice, a
//! missing mandatory (base) metric, and — for v4.0 only, where the
//! specification fixes the order — a metric out of order. v3.x vectors may
//! list metrics in any order, as the v3.1 specification allows.
//! [`Cvss::parse_lenient`] accepts v4 metrics in any order and
//! canonicalises them; everything else stays strict.
//!
//! # Examples
//!
//! ```
//! use radguard_cvss::{Cvss, Severity};
//!
//! // CVE-2014-0160 (Heartbleed), FIRST CVSS v3.1 examples document.
//! let v = Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")?;
//! assert_eq!(v.score(), 7.5);
//! assert_eq!(v.severity(), Severity::High);
//!
//! // Metrics out of order are an error in v4.0.
//! assert!(Cvss::parse("CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use error::CvssError;
pub use metrics::{AttackVector, ExploitMaturity, Severity};
pub use v3::CvssV3;
pub use v4::CvssV4;
pub use vector::{Cvss, MAX_VECTOR_LEN};

mod error;
mod metrics;
mod parse;
mod v3;
mod v4;
mod vector;

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
