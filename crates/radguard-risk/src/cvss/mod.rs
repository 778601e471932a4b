//! CVSS v3.0, v3.1 and v4.0 vectors: strict parsing, canonical printing and
//! scoring.
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
//! use radguard_risk::cvss::{Cvss, Severity};
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

mod v3;
mod v4;

use core::fmt;

pub use v3::CvssV3;
pub use v4::CvssV4;

/// The longest vector string accepted (the longest valid v4.0 vector is
/// about 250 bytes); longer input is rejected before it is split.
pub const MAX_VECTOR_LEN: usize = 512;

/// A parsed CVSS vector of any supported version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cvss {
    /// CVSS v3.0 or v3.1.
    V3(CvssV3),
    /// CVSS v4.0.
    V4(CvssV4),
}

impl Cvss {
    /// Parses a vector strictly (see the module documentation).
    ///
    /// # Errors
    ///
    /// A [`CvssError`] naming the first problem found.
    pub fn parse(s: &str) -> Result<Self, CvssError> {
        Self::parse_with(s, false)
    }

    /// Like [`Cvss::parse`], but accepts v4.0 metrics in any order (they are
    /// put in the specification's order, which `Display` prints).
    ///
    /// # Errors
    ///
    /// A [`CvssError`] naming the first problem found.
    pub fn parse_lenient(s: &str) -> Result<Self, CvssError> {
        Self::parse_with(s, true)
    }

    fn parse_with(s: &str, lenient: bool) -> Result<Self, CvssError> {
        if s.len() > MAX_VECTOR_LEN {
            return Err(CvssError::TooLong { len: s.len() });
        }
        if let Some(rest) = s.strip_prefix("CVSS:3.1/") {
            CvssV3::parse_body(rest, v3::Minor::V31).map(Self::V3)
        } else if let Some(rest) = s.strip_prefix("CVSS:3.0/") {
            CvssV3::parse_body(rest, v3::Minor::V30).map(Self::V3)
        } else if let Some(rest) = s.strip_prefix("CVSS:4.0/") {
            CvssV4::parse_body(rest, lenient).map(Self::V4)
        } else if let Some(rest) = s.strip_prefix("CVSS:") {
            let version: String = rest.chars().take_while(|c| *c != '/').take(8).collect();
            Err(CvssError::UnsupportedVersion { version })
        } else {
            Err(CvssError::MissingPrefix)
        }
    }

    /// The score this crate uses for the vector: for v4.0 the CVSS-B/BT/BE/BTE
    /// score (all groups present are used); for v3.x the environmental score
    /// when any environmental metric is defined, else the base score
    /// (temporal metrics are reported but exploitation enters the risk model
    /// separately, through KEV, EPSS and the `E` metric).
    #[must_use]
    pub fn score(&self) -> f64 {
        match self {
            Self::V3(v) => v.model_score(),
            Self::V4(v) => v.score(),
        }
    }

    /// The qualitative severity of [`Cvss::score`].
    #[must_use]
    pub fn severity(&self) -> Severity {
        Severity::from_score(self.score())
    }

    /// The attack vector in effect (the modified value when one is given).
    #[must_use]
    pub fn attack_vector(&self) -> AttackVector {
        match self {
            Self::V3(v) => v.attack_vector(),
            Self::V4(v) => v.attack_vector(),
        }
    }

    /// Exploit maturity as stated in the vector (v3 `E`, v4 `E`).
    #[must_use]
    pub fn exploit_maturity(&self) -> ExploitMaturity {
        match self {
            Self::V3(v) => v.exploit_maturity(),
            Self::V4(v) => v.exploit_maturity(),
        }
    }

    /// `true` when an attacker can automate exploitation: v4 `AU:Y`, or
    /// network attack vector, low complexity, no privileges and no user
    /// interaction (the SSVC "Automatable" heuristic).
    #[must_use]
    pub fn automatable(&self) -> bool {
        match self {
            Self::V3(v) => v.automatable(),
            Self::V4(v) => v.automatable(),
        }
    }

    /// `true` when the vector says an attacker gains total control over the
    /// vulnerable system's confidentiality and integrity (SSVC "Technical
    /// Impact: total").
    #[must_use]
    pub fn total_technical_impact(&self) -> bool {
        match self {
            Self::V3(v) => v.total_technical_impact(),
            Self::V4(v) => v.total_technical_impact(),
        }
    }

    /// The version string, `"3.0"`, `"3.1"` or `"4.0"`.
    #[must_use]
    pub fn version(&self) -> &'static str {
        match self {
            Self::V3(v) => v.version(),
            Self::V4(_) => "4.0",
        }
    }
}

impl fmt::Display for Cvss {
    /// The canonical vector string: the prefix, every base metric, then each
    /// defined optional metric, in the specification's order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V3(v) => v.fmt(f),
            Self::V4(v) => v.fmt(f),
        }
    }
}

impl core::str::FromStr for Cvss {
    type Err = CvssError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Qualitative severity rating (CVSS v3.1 §5, v4.0 §6): None 0.0, Low
/// 0.1–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Severity {
    /// 0.0
    None,
    /// 0.1–3.9
    Low,
    /// 4.0–6.9
    Medium,
    /// 7.0–8.9
    High,
    /// 9.0–10.0
    Critical,
}

impl Severity {
    /// The rating of a score (rounded to one decimal first).
    #[must_use]
    pub fn from_score(score: f64) -> Self {
        let tenths = (score * 10.0).round();
        if tenths <= 0.0 {
            Self::None
        } else if tenths < 40.0 {
            Self::Low
        } else if tenths < 70.0 {
            Self::Medium
        } else if tenths < 90.0 {
            Self::High
        } else {
            Self::Critical
        }
    }

    /// The name as FIRST prints it: `"None"`, `"Low"`, ...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Attack vector (`AV`, or `MAV` when given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttackVector {
    /// `N`: remotely exploitable over routed networks.
    Network,
    /// `A`: adjacent network (same segment, Bluetooth, ...).
    Adjacent,
    /// `L`: local access or user action on the device.
    Local,
    /// `P`: physical access.
    Physical,
}

impl AttackVector {
    /// `true` for network and adjacent: reachable over a network path.
    #[must_use]
    pub fn is_remote(self) -> bool {
        matches!(self, Self::Network | Self::Adjacent)
    }

    /// The one-letter code, `N`, `A`, `L` or `P`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Network => "N",
            Self::Adjacent => "A",
            Self::Local => "L",
            Self::Physical => "P",
        }
    }
}

/// Exploit code maturity as stated in the vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExploitMaturity {
    /// Not stated (`E:X` or absent).
    NotDefined,
    /// v3 `E:U`, v4 `E:U`: no known exploit.
    Unreported,
    /// v3 `E:P`/`E:F`/`E:H` (proof of concept, functional or high), v4 `E:P`.
    PublicPoc,
    /// v4 `E:A`: attacks reported.
    Attacked,
}

/// Why a vector string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CvssError {
    /// The string does not start with `CVSS:`.
    #[error("not a CVSS vector: it must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/")]
    MissingPrefix,
    /// `CVSS:x` with a version this crate does not score.
    #[error("unsupported CVSS version {version:?} (supported: 3.0, 3.1, 4.0)")]
    UnsupportedVersion {
        /// The version text (at most 8 characters).
        version: String,
    },
    /// Longer than [`MAX_VECTOR_LEN`].
    #[error("vector is {len} bytes long (at most {MAX_VECTOR_LEN})")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// `//`, a trailing `/` or nothing after the prefix.
    #[error("empty metric at position {position} (a doubled or trailing '/')")]
    EmptyComponent {
        /// 1-based index of the component after the prefix.
        position: usize,
    },
    /// A component without `:`.
    #[error("malformed component {component:?}: expected METRIC:VALUE")]
    Malformed {
        /// The component (at most 16 characters).
        component: String,
    },
    /// A metric name the version does not define.
    #[error("unknown metric {metric:?} for CVSS {version}")]
    UnknownMetric {
        /// The metric (at most 16 characters).
        metric: String,
        /// `"3.0"`, `"3.1"` or `"4.0"`.
        version: &'static str,
    },
    /// A value the metric does not allow.
    #[error("invalid value {value:?} for metric {metric} (allowed: {allowed})")]
    InvalidValue {
        /// The metric.
        metric: &'static str,
        /// The value (at most 16 characters).
        value: String,
        /// The allowed values, comma-separated.
        allowed: String,
    },
    /// A metric given twice.
    #[error("metric {metric} is given more than once")]
    Duplicate {
        /// The metric.
        metric: &'static str,
    },
    /// A mandatory (base) metric is missing.
    #[error("mandatory metric {metric} is missing")]
    MissingMetric {
        /// The metric.
        metric: &'static str,
    },
    /// v4.0: a metric after one that must follow it.
    #[error("metric {metric} is out of order: CVSS 4.0 requires it before {after}")]
    OutOfOrder {
        /// The misplaced metric.
        metric: &'static str,
        /// The metric it was found after.
        after: &'static str,
    },
}

/// One metric of a version: name, allowed values (index 0 is `X` for
/// optional metrics), and whether it is mandatory.
pub(crate) struct MetricDef {
    pub(crate) name: &'static str,
    pub(crate) values: &'static [&'static str],
    pub(crate) mandatory: bool,
}

fn clip(s: &str) -> String {
    s.chars().take(16).collect()
}

/// Parses `METRIC:VALUE/...` against `defs`. Returns value indices per
/// metric (0 for an absent optional metric, which is `X`).
pub(crate) fn parse_components<const N: usize>(
    body: &str,
    defs: &[MetricDef; N],
    version: &'static str,
    ordered: bool,
) -> Result<[u8; N], CvssError> {
    let mut out = [0u8; N];
    let mut seen = [false; N];
    let mut last: Option<usize> = None;
    for (i, comp) in body.split('/').enumerate() {
        if comp.is_empty() {
            return Err(CvssError::EmptyComponent { position: i + 1 });
        }
        let Some((name, value)) = comp.split_once(':') else {
            return Err(CvssError::Malformed {
                component: clip(comp),
            });
        };
        let Some(idx) = defs.iter().position(|d| d.name == name) else {
            return Err(CvssError::UnknownMetric {
                metric: clip(name),
                version,
            });
        };
        let def = &defs[idx];
        if seen[idx] {
            return Err(CvssError::Duplicate { metric: def.name });
        }
        if ordered && let Some(prev) = last.filter(|p| *p > idx) {
            return Err(CvssError::OutOfOrder {
                metric: def.name,
                after: defs[prev].name,
            });
        }
        let Some(v) = def.values.iter().position(|x| *x == value) else {
            return Err(CvssError::InvalidValue {
                metric: def.name,
                value: clip(value),
                allowed: def.values.join(", "),
            });
        };
        seen[idx] = true;
        last = Some(last.map_or(idx, |p| p.max(idx)));
        // Value tables have at most 6 entries.
        out[idx] = u8::try_from(v).unwrap_or(u8::MAX);
    }
    for (i, def) in defs.iter().enumerate() {
        if def.mandatory && !seen[i] {
            return Err(CvssError::MissingMetric { metric: def.name });
        }
    }
    Ok(out)
}

/// Writes `prefix` then every mandatory metric and every optional metric
/// whose value is not `X` (index 0), in definition order.
pub(crate) fn write_components(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    defs: &[MetricDef],
    values: &[u8],
) -> fmt::Result {
    f.write_str(prefix)?;
    let mut first = true;
    for (def, &v) in defs.iter().zip(values) {
        if !def.mandatory && v == 0 {
            continue;
        }
        if !first {
            f.write_str("/")?;
        }
        first = false;
        write!(f, "{}:{}", def.name, def.values[usize::from(v)])?;
    }
    Ok(())
}
