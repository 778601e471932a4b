//! CVSS v4.0: MacroVector lookup and interpolation, as in
//! `FIRSTdotorg/cvss-v4-calculator @c5b0d409` (`cvss_score.js`), with the
//! epsilon rounding of Red Hat's upstream `cvss40.js` (see the crate docs).

use core::fmt;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::CvssError;
use crate::metrics::{AttackVector, ExploitMaturity};
use crate::parse::{MetricDef, parse_components, write_components};

const fn m(name: &'static str, values: &'static [&'static str], mandatory: bool) -> MetricDef {
    MetricDef::new(name, values, mandatory)
}

const N_METRICS: usize = 32;

/// Metric definitions in the mandatory order of `metrics.js`
/// (`expectedMetricOrder`). Optional metrics have `X` at index 0.
static DEFS: [MetricDef; N_METRICS] = [
    // Base
    m("AV", &["N", "A", "L", "P"], true),
    m("AC", &["L", "H"], true),
    m("AT", &["N", "P"], true),
    m("PR", &["N", "L", "H"], true),
    m("UI", &["N", "P", "A"], true),
    m("VC", &["H", "L", "N"], true),
    m("VI", &["H", "L", "N"], true),
    m("VA", &["H", "L", "N"], true),
    m("SC", &["H", "L", "N"], true),
    m("SI", &["H", "L", "N"], true),
    m("SA", &["H", "L", "N"], true),
    // Threat
    m("E", &["X", "A", "P", "U"], false),
    // Environmental
    m("CR", &["X", "H", "M", "L"], false),
    m("IR", &["X", "H", "M", "L"], false),
    m("AR", &["X", "H", "M", "L"], false),
    m("MAV", &["X", "N", "A", "L", "P"], false),
    m("MAC", &["X", "L", "H"], false),
    m("MAT", &["X", "N", "P"], false),
    m("MPR", &["X", "N", "L", "H"], false),
    m("MUI", &["X", "N", "P", "A"], false),
    m("MVC", &["X", "H", "L", "N"], false),
    m("MVI", &["X", "H", "L", "N"], false),
    m("MVA", &["X", "H", "L", "N"], false),
    m("MSC", &["X", "H", "L", "N"], false),
    m("MSI", &["X", "S", "H", "L", "N"], false),
    m("MSA", &["X", "S", "H", "L", "N"], false),
    // Supplemental (never change the score)
    m("S", &["X", "N", "P"], false),
    m("AU", &["X", "N", "Y"], false),
    m("R", &["X", "A", "U", "I"], false),
    m("V", &["X", "D", "C"], false),
    m("RE", &["X", "L", "M", "H"], false),
    m("U", &["X", "Clear", "Green", "Amber", "Red"], false),
];

fn idx(name: &str) -> usize {
    DEFS.iter().position(|d| d.name == name).unwrap_or(0)
}

/// A CVSS v4.0 vector (base, threat, environmental and supplemental groups).
///
/// # Examples
///
/// ```
/// use radguard_cvss::Cvss;
///
/// // CVE-2022-41741 (nginx mp4 module), FIRST CVSS v4.0 examples document.
/// let v = Cvss::parse("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")?;
/// assert_eq!(v.score(), 7.3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvssV4 {
    v: [u8; N_METRICS],
}

struct Tables {
    lookup: HashMap<[u8; 6], f64>,
    /// max_composed["eqN"][level] (eq3 is keyed by eq3*2+eq6).
    eq1: Vec<Vec<String>>,
    eq2: Vec<Vec<String>>,
    eq3eq6: HashMap<(u8, u8), Vec<String>>,
    eq4: Vec<Vec<String>>,
    eq5: Vec<Vec<String>>,
}

static LOOKUP_CSV: &str = include_str!("../data/cvss4/cvss4_macrovector_lookup.csv");
static MAX_COMPOSED_JSON: &str = include_str!("../data/cvss4/cvss4_max_composed.json");

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        // The embedded data is checked by the unit tests below; a malformed
        // row can only come from editing the crate's own files.
        let mut lookup = HashMap::new();
        for line in LOOKUP_CSV.lines().skip(1) {
            let Some((mv, score)) = line.split_once(',') else {
                continue;
            };
            let digits: Vec<u8> = mv.bytes().map(|b| b.wrapping_sub(b'0')).collect();
            if let (Ok(d), Ok(s)) = (<[u8; 6]>::try_from(digits), score.trim().parse::<f64>()) {
                lookup.insert(d, s);
            }
        }
        let json: serde_json::Value =
            serde_json::from_str(MAX_COMPOSED_JSON).unwrap_or(serde_json::Value::Null);
        let list = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let levels = |key: &str, n: usize| -> Vec<Vec<String>> {
            (0..n).map(|l| list(&json[key][l.to_string()])).collect()
        };
        let mut eq3eq6 = HashMap::new();
        for e3 in 0..3u8 {
            for e6 in 0..2u8 {
                let l = list(&json["eq3"][e3.to_string()][e6.to_string()]);
                if !l.is_empty() {
                    eq3eq6.insert((e3, e6), l);
                }
            }
        }
        Tables {
            lookup,
            eq1: levels("eq1", 3),
            eq2: levels("eq2", 2),
            eq3eq6,
            eq4: levels("eq4", 3),
            eq5: levels("eq5", 3),
        }
    })
}

/// Reads `METRIC:VALUE` out of a max-composed fragment like `AV:N/PR:N/UI:N/`.
fn extract<'a>(metric: &str, vector: &'a str) -> Option<&'a str> {
    vector.split('/').find_map(|c| {
        let (n, v) = c.split_once(':')?;
        (n == metric).then_some(v)
    })
}

fn level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") => 0.1,
        ("VC" | "VI" | "VA", "N") => 0.2,
        ("SC", "H") => 0.1,
        ("SC", "L") => 0.2,
        ("SC", "N") => 0.3,
        ("SI" | "SA", "S") => 0.0,
        ("SI" | "SA", "H") => 0.1,
        ("SI" | "SA", "L") => 0.2,
        ("SI" | "SA", "N") => 0.3,
        ("CR" | "IR" | "AR", "H") => 0.0,
        ("CR" | "IR" | "AR", "M") => 0.1,
        ("CR" | "IR" | "AR", "L") => 0.2,
        _ => 0.0,
    }
}

impl CvssV4 {
    pub(crate) fn parse_body(body: &str, lenient: bool) -> Result<Self, CvssError> {
        let v = parse_components(body, &DEFS, "4.0", !lenient)?;
        Ok(Self { v })
    }

    fn val(&self, name: &str) -> &'static str {
        let i = idx(name);
        DEFS[i].values[usize::from(self.v[i])]
    }

    /// The effective value of a metric (`m()` in `cvss_score.js`): `E:X` is
    /// `A`, `CR/IR/AR:X` are `H`, a modified metric that is not `X`
    /// replaces its base metric.
    #[must_use]
    pub fn effective(&self, name: &str) -> &'static str {
        match name {
            "E" => match self.val("E") {
                "X" => "A",
                v => v,
            },
            "CR" | "IR" | "AR" => match self.val(name) {
                "X" => "H",
                v => v,
            },
            _ => {
                let modified = match name {
                    "AV" => "MAV",
                    "AC" => "MAC",
                    "AT" => "MAT",
                    "PR" => "MPR",
                    "UI" => "MUI",
                    "VC" => "MVC",
                    "VI" => "MVI",
                    "VA" => "MVA",
                    "SC" => "MSC",
                    "SI" => "MSI",
                    "SA" => "MSA",
                    _ => return self.val(name),
                };
                match self.val(modified) {
                    "X" => self.val(name),
                    v => v,
                }
            }
        }
    }

    /// The six EQ levels (the MacroVector), per `cvss_score.js macroVector()`.
    #[must_use]
    pub fn macro_vector(&self) -> [u8; 6] {
        let e = |n: &str| self.effective(n);
        let eq1 = if e("AV") == "N" && e("PR") == "N" && e("UI") == "N" {
            0
        } else if (e("AV") == "N" || e("PR") == "N" || e("UI") == "N") && e("AV") != "P" {
            1
        } else {
            2
        };
        let eq2 = u8::from(!(e("AC") == "L" && e("AT") == "N"));
        let eq3 = if e("VC") == "H" && e("VI") == "H" {
            0
        } else if e("VC") == "H" || e("VI") == "H" || e("VA") == "H" {
            1
        } else {
            2
        };
        let eq4 = if e("SI") == "S" || e("SA") == "S" {
            0
        } else if e("SC") == "H" || e("SI") == "H" || e("SA") == "H" {
            1
        } else {
            2
        };
        let eq5 = match e("E") {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let eq6 = u8::from(
            !((e("CR") == "H" && e("VC") == "H")
                || (e("IR") == "H" && e("VI") == "H")
                || (e("AR") == "H" && e("VA") == "H")),
        );
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }

    /// The CVSS-B/BT/BE/BTE score (whichever groups are present).
    #[must_use]
    pub fn score(&self) -> f64 {
        let e = |n: &str| self.effective(n);
        if ["VC", "VI", "VA", "SC", "SI", "SA"]
            .iter()
            .all(|n| e(n) == "N")
        {
            return 0.0;
        }
        let t = tables();
        let mv = self.macro_vector();
        let [eq1, eq2, eq3, eq4, eq5, eq6] = mv;
        let Some(&value) = t.lookup.get(&mv) else {
            return 0.0;
        };
        let score_of = |d: [u8; 6]| t.lookup.get(&d).copied();
        let next1 = score_of([eq1 + 1, eq2, eq3, eq4, eq5, eq6]);
        let next2 = score_of([eq1, eq2 + 1, eq3, eq4, eq5, eq6]);
        let next36 = match (eq3, eq6) {
            (0, 0) => {
                let left = score_of([eq1, eq2, eq3, eq4, eq5, eq6 + 1]);
                let right = score_of([eq1, eq2, eq3 + 1, eq4, eq5, eq6]);
                match (left, right) {
                    (Some(l), Some(r)) => Some(l.max(r)),
                    _ => None,
                }
            }
            (1, 1) | (0, 1) => score_of([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
            (1, 0) => score_of([eq1, eq2, eq3, eq4, eq5, eq6 + 1]),
            _ => score_of([eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1]),
        };
        let next4 = score_of([eq1, eq2, eq3, eq4 + 1, eq5, eq6]);
        let next5 = score_of([eq1, eq2, eq3, eq4, eq5 + 1, eq6]);

        // The highest-severity vectors of this MacroVector.
        let empty = Vec::new();
        let pick = |v: &'_ Vec<Vec<String>>, l: u8| v.get(usize::from(l)).unwrap_or(&empty).clone();
        let eq1m = pick(&t.eq1, eq1);
        let eq2m = pick(&t.eq2, eq2);
        let eq36m = t.eq3eq6.get(&(eq3, eq6)).cloned().unwrap_or_default();
        let eq4m = pick(&t.eq4, eq4);
        let eq5m = pick(&t.eq5, eq5);
        const DIST: [&str; 13] = [
            "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR",
        ];
        let mut distances: Option<[f64; 14]> = None;
        'outer: for a in &eq1m {
            for b in &eq2m {
                for c in &eq36m {
                    for d in &eq4m {
                        for f in &eq5m {
                            let max = format!("{a}{b}{c}{d}{f}");
                            let mut ds = [0.0; 14];
                            for (k, name) in DIST.iter().chain(core::iter::once(&"AR")).enumerate()
                            {
                                let mv = extract(name, &max).unwrap_or("");
                                ds[k] = level(name, e(name)) - level(name, mv);
                            }
                            if ds.iter().all(|d| *d >= 0.0) {
                                distances = Some(ds);
                                break 'outer;
                            }
                        }
                    }
                }
            }
        }
        let ds = distances.unwrap_or([0.0; 14]);
        let cur1 = ds[0] + ds[1] + ds[2];
        let cur2 = ds[3] + ds[4];
        let cur36 = ds[5] + ds[6] + ds[7] + ds[11] + ds[12] + ds[13];
        let cur4 = ds[8] + ds[9] + ds[10];

        let step = 0.1;
        let max1 = [1.0, 4.0, 5.0][usize::from(eq1)] * step;
        let max2 = [1.0, 2.0][usize::from(eq2)] * step;
        let max36 = match (eq3, eq6) {
            (0, 0) => 7.0,
            (0, _) => 6.0,
            (1, _) => 8.0,
            _ => 10.0,
        } * step;
        let max4 = [6.0, 5.0, 4.0][usize::from(eq4)] * step;

        let mut n = 0u32;
        let mut sum = 0.0;
        for (next, cur, max) in [
            (next1, cur1, max1),
            (next2, cur2, max2),
            (next36, cur36, max36),
            (next4, cur4, max4),
        ] {
            if let Some(nx) = next {
                n += 1;
                sum += (value - nx) * (cur / max);
            }
        }
        if next5.is_some() {
            // EQ5 has no intra-MacroVector distance: it counts, with 0.
            n += 1;
        }
        let mean = if n == 0 { 0.0 } else { sum / f64::from(n) };
        round_v4(value - mean)
    }

    pub(crate) fn attack_vector(&self) -> AttackVector {
        match self.effective("AV") {
            "N" => AttackVector::Network,
            "A" => AttackVector::Adjacent,
            "L" => AttackVector::Local,
            _ => AttackVector::Physical,
        }
    }

    pub(crate) fn exploit_maturity(&self) -> ExploitMaturity {
        match self.val("E") {
            "A" => ExploitMaturity::Attacked,
            "P" => ExploitMaturity::PublicPoc,
            "U" => ExploitMaturity::Unreported,
            _ => ExploitMaturity::NotDefined,
        }
    }

    pub(crate) fn automatable(&self) -> bool {
        match self.val("AU") {
            "Y" => true,
            "N" => false,
            _ => {
                let e = |n: &str| self.effective(n);
                e("AV") == "N"
                    && e("AC") == "L"
                    && e("AT") == "N"
                    && e("PR") == "N"
                    && e("UI") == "N"
            }
        }
    }

    pub(crate) fn total_technical_impact(&self) -> bool {
        self.effective("VC") == "H" && self.effective("VI") == "H"
    }
}

/// Round half up to one decimal after adding 10⁻⁶, clamped to 0..=10.
fn round_v4(x: f64) -> f64 {
    let x = x.clamp(0.0, 10.0);
    ((x + 1e-6) * 10.0).round() / 10.0
}

impl fmt::Display for CvssV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_components(f, "CVSS:4.0/", &DEFS, &self.v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_are_complete() {
        let t = tables();
        // 3 x 2 x 5 (eq3eq6 pairs) x 3 x 3 MacroVectors (spec §2.3).
        assert_eq!(t.lookup.len(), 270);
        assert_eq!(t.eq1.iter().map(Vec::len).sum::<usize>(), 6);
        assert_eq!(t.eq3eq6.len(), 5);
        assert!(t.eq4.iter().chain(&t.eq5).all(|l| l.len() == 1));
        assert_eq!(t.lookup.get(&[0, 0, 0, 0, 0, 0]), Some(&10.0));
    }

    #[test]
    fn rounding_lifts_float_ties() {
        assert_eq!(round_v4(8.6 - 7.15), 1.5);
        assert_eq!(round_v4(8.549_995), 8.5);
        assert_eq!(round_v4(-1.0), 0.0);
        assert_eq!(round_v4(11.0), 10.0);
    }
}
