//! [`Cvss`]: a vector of any supported version.

use core::fmt;

use crate::error::CvssError;
use crate::metrics::{AttackVector, ExploitMaturity, Severity};
use crate::v3::{self, CvssV3};
use crate::v4::CvssV4;

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
    /// Parses a vector strictly (see [Strictness](crate#strictness)).
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

    /// One score for the vector, the most specific it defines, as FIRST's
    /// calculators present it: for v4.0 the CVSS-B/BT/BE/BTE score (all
    /// groups present are used); for v3.x the environmental score when any
    /// environmental metric is defined, else the temporal score when any
    /// temporal metric is defined, else the base score
    /// ([`CvssV3::score`]).
    #[must_use]
    pub fn score(&self) -> f64 {
        match self {
            Self::V3(v) => v.score(),
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
