//! CVSS v3.0 / v3.1 (FIRST `cvsscalc31.js`, specification §7 and Appendix A).

use core::fmt;

use crate::error::CvssError;
use crate::metrics::{AttackVector, ExploitMaturity};
use crate::parse::{MetricDef, parse_components, write_components};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Minor {
    V30,
    V31,
}

const fn m(name: &'static str, values: &'static [&'static str], mandatory: bool) -> MetricDef {
    MetricDef::new(name, values, mandatory)
}

// Indices into DEFS.
const AV: usize = 0;
const AC: usize = 1;
const PR: usize = 2;
const UI: usize = 3;
const S: usize = 4;
const C: usize = 5;
const I: usize = 6;
const A: usize = 7;
const E: usize = 8;
const RL: usize = 9;
const RC: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;
const MAV: usize = 14;
const MAC: usize = 15;
const MPR: usize = 16;
const MUI: usize = 17;
const MS: usize = 18;
const MC: usize = 19;
const MI: usize = 20;
const MA: usize = 21;
const N_METRICS: usize = 22;

/// Metric definitions in the order of the v3.1 specification §6. Base
/// metric values start with no `X`; optional metrics have `X` at index 0.
static DEFS: [MetricDef; N_METRICS] = [
    m("AV", &["N", "A", "L", "P"], true),
    m("AC", &["L", "H"], true),
    m("PR", &["N", "L", "H"], true),
    m("UI", &["N", "R"], true),
    m("S", &["U", "C"], true),
    m("C", &["H", "L", "N"], true),
    m("I", &["H", "L", "N"], true),
    m("A", &["H", "L", "N"], true),
    m("E", &["X", "U", "P", "F", "H"], false),
    m("RL", &["X", "O", "T", "W", "U"], false),
    m("RC", &["X", "U", "R", "C"], false),
    m("CR", &["X", "L", "M", "H"], false),
    m("IR", &["X", "L", "M", "H"], false),
    m("AR", &["X", "L", "M", "H"], false),
    m("MAV", &["X", "N", "A", "L", "P"], false),
    m("MAC", &["X", "L", "H"], false),
    m("MPR", &["X", "N", "L", "H"], false),
    m("MUI", &["X", "N", "R"], false),
    m("MS", &["X", "U", "C"], false),
    m("MC", &["X", "H", "L", "N"], false),
    m("MI", &["X", "H", "L", "N"], false),
    m("MA", &["X", "H", "L", "N"], false),
];

/// A CVSS v3.0 or v3.1 vector (base, temporal and environmental groups).
///
/// # Examples
///
/// ```
/// use radguard_cvss::Cvss;
///
/// // CVE-2013-1937 with temporal metrics: base 6.1, temporal 5.5.
/// let Cvss::V3(v) = Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/E:P/RL:O/RC:C")? else {
///     unreachable!()
/// };
/// assert_eq!(v.base_score(), 6.1);
/// assert_eq!(v.temporal_score(), 5.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvssV3 {
    minor: Minor,
    v: [u8; N_METRICS],
}

impl CvssV3 {
    pub(crate) fn parse_body(body: &str, minor: Minor) -> Result<Self, CvssError> {
        let version = match minor {
            Minor::V30 => "3.0",
            Minor::V31 => "3.1",
        };
        let v = parse_components(body, &DEFS, version, false)?;
        Ok(Self { minor, v })
    }

    /// `"3.0"` or `"3.1"`.
    #[must_use]
    pub fn version(&self) -> &'static str {
        match self.minor {
            Minor::V30 => "3.0",
            Minor::V31 => "3.1",
        }
    }

    fn val(&self, i: usize) -> &'static str {
        DEFS[i].values[usize::from(self.v[i])]
    }

    /// The modified value if given (not `X`), else the base value.
    fn eff(&self, modified: usize, base: usize) -> &'static str {
        if self.v[modified] == 0 {
            self.val(base)
        } else {
            self.val(modified)
        }
    }

    fn roundup(&self, x: f64) -> f64 {
        match self.minor {
            Minor::V31 => roundup31(x),
            Minor::V30 => (x * 10.0).ceil() / 10.0,
        }
    }

    /// The base score.
    #[must_use]
    pub fn base_score(&self) -> f64 {
        let changed = self.val(S) == "C";
        let iss =
            1.0 - (1.0 - cia(self.val(C))) * (1.0 - cia(self.val(I))) * (1.0 - cia(self.val(A)));
        let impact = if changed {
            7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
        } else {
            6.42 * iss
        };
        let exploit = 8.22
            * av(self.val(AV))
            * ac(self.val(AC))
            * pr(self.val(PR), changed)
            * ui(self.val(UI));
        if impact <= 0.0 {
            0.0
        } else if changed {
            self.roundup((1.08 * (impact + exploit)).min(10.0))
        } else {
            self.roundup((impact + exploit).min(10.0))
        }
    }

    fn temporal_multiplier(&self) -> f64 {
        let e = match self.val(E) {
            "U" => 0.91,
            "P" => 0.94,
            "F" => 0.97,
            _ => 1.0,
        };
        let rl = match self.val(RL) {
            "O" => 0.95,
            "T" => 0.96,
            "W" => 0.97,
            _ => 1.0,
        };
        let rc = match self.val(RC) {
            "U" => 0.92,
            "R" => 0.96,
            _ => 1.0,
        };
        e * rl * rc
    }

    /// The temporal score (equal to the base score when no temporal metric
    /// is defined).
    #[must_use]
    pub fn temporal_score(&self) -> f64 {
        self.roundup(self.base_score() * self.temporal_multiplier())
    }

    /// `true` when any of CR, IR, AR or a modified base metric is defined.
    #[must_use]
    pub fn has_environmental(&self) -> bool {
        (CR..N_METRICS).any(|i| self.v[i] != 0)
    }

    /// `true` when any temporal metric is defined.
    #[must_use]
    pub fn has_temporal(&self) -> bool {
        (E..CR).any(|i| self.v[i] != 0)
    }

    /// The environmental score (equal to the temporal score when no
    /// environmental metric is defined).
    #[must_use]
    pub fn environmental_score(&self) -> f64 {
        let ms_changed = self.eff(MS, S) == "C";
        let req = |i: usize| match self.val(i) {
            "L" => 0.5,
            "H" => 1.5,
            _ => 1.0,
        };
        let miss = (1.0
            - (1.0 - cia(self.eff(MC, C)) * req(CR))
                * (1.0 - cia(self.eff(MI, I)) * req(IR))
                * (1.0 - cia(self.eff(MA, A)) * req(AR)))
        .min(0.915);
        let mimpact = if ms_changed {
            match self.minor {
                Minor::V31 => 7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13),
                Minor::V30 => 7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15),
            }
        } else {
            6.42 * miss
        };
        let mexploit = 8.22
            * av(self.eff(MAV, AV))
            * ac(self.eff(MAC, AC))
            * pr(self.eff(MPR, PR), ms_changed)
            * ui(self.eff(MUI, UI));
        if mimpact <= 0.0 {
            return 0.0;
        }
        let inner = if ms_changed {
            self.roundup((1.08 * (mimpact + mexploit)).min(10.0))
        } else {
            self.roundup((mimpact + mexploit).min(10.0))
        };
        self.roundup(inner * self.temporal_multiplier())
    }

    /// The most specific score the vector defines, as FIRST's calculators
    /// present it: the environmental score when any environmental metric is
    /// defined, else the temporal score when any temporal metric is
    /// defined, else the base score.
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_cvss::Cvss;
    ///
    /// let base = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    /// let temporal = format!("{base}/E:U/RL:O/RC:U");
    /// let Cvss::V3(v) = Cvss::parse(&temporal)? else { unreachable!() };
    /// assert_eq!((v.base_score(), v.temporal_score(), v.score()), (9.8, 7.8, 7.8));
    /// // A neutral environmental metric does not change it.
    /// assert_eq!(Cvss::parse(&format!("{temporal}/CR:M"))?.score(), 7.8);
    /// # Ok::<(), radguard_cvss::CvssError>(())
    /// ```
    #[must_use]
    pub fn score(&self) -> f64 {
        if self.has_environmental() {
            self.environmental_score()
        } else if self.has_temporal() {
            self.temporal_score()
        } else {
            self.base_score()
        }
    }

    /// Which score [`CvssV3::score`] is: `"environmental"`, `"temporal"` or
    /// `"base"`.
    #[must_use]
    pub fn score_kind(&self) -> &'static str {
        if self.has_environmental() {
            "environmental"
        } else if self.has_temporal() {
            "temporal"
        } else {
            "base"
        }
    }

    pub(crate) fn attack_vector(&self) -> AttackVector {
        match self.eff(MAV, AV) {
            "N" => AttackVector::Network,
            "A" => AttackVector::Adjacent,
            "L" => AttackVector::Local,
            _ => AttackVector::Physical,
        }
    }

    pub(crate) fn exploit_maturity(&self) -> ExploitMaturity {
        match self.val(E) {
            "U" => ExploitMaturity::Unreported,
            "P" | "F" | "H" => ExploitMaturity::PublicPoc,
            _ => ExploitMaturity::NotDefined,
        }
    }

    pub(crate) fn automatable(&self) -> bool {
        self.eff(MAV, AV) == "N"
            && self.eff(MAC, AC) == "L"
            && self.eff(MPR, PR) == "N"
            && self.eff(MUI, UI) == "N"
    }

    pub(crate) fn total_technical_impact(&self) -> bool {
        self.eff(MC, C) == "H" && self.eff(MI, I) == "H"
    }
}

impl fmt::Display for CvssV3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.minor {
            Minor::V30 => "CVSS:3.0/",
            Minor::V31 => "CVSS:3.1/",
        };
        write_components(f, prefix, &DEFS, &self.v)
    }
}

/// `Roundup` of CVSS v3.1 Appendix A (integer arithmetic to avoid
/// floating-point artefacts such as `1 - 0.58 = 0.42000000000000004`).
#[allow(clippy::cast_possible_truncation)] // scores are within 0..=10
fn roundup31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

fn av(v: &str) -> f64 {
    match v {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    }
}

fn ac(v: &str) -> f64 {
    if v == "L" { 0.77 } else { 0.44 }
}

fn pr(v: &str, changed: bool) -> f64 {
    match (v, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    }
}

fn ui(v: &str) -> f64 {
    if v == "N" { 0.85 } else { 0.62 }
}

fn cia(v: &str) -> f64 {
    match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundup_follows_appendix_a() {
        assert_eq!(roundup31(4.02), 4.1);
        assert_eq!(roundup31(4.0), 4.0);
        assert_eq!(roundup31(1.0 - 0.58), 0.5);
        assert_eq!(roundup31(0.0), 0.0);
    }
}
