//! What a vector says, as types: severity, attack vector, exploit maturity.

use core::fmt;

/// Qualitative severity rating (CVSS v3.1 §5, v4.0 §6): None 0.0, Low
/// 0.1–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
