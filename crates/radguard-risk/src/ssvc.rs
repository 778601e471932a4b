//! CERT/CC SSVC decision tables, embedded as data from `CERTCC/SSVC data/`
//! at commit `e3b00a25` (MIT (SEI)-style licence, `data/ssvc/LICENSE-SSVC-data.txt`):
//! the deployer tree (patch application priority), the supplier tree (patch
//! development priority), Human Impact, Utility, Public Safety Impact, and
//! CISA's BOD 26-04 remediation timelines.
//!
//! The tables are the authority: where the prose definitions of Human
//! Impact disagree with `human_impact_1_0_0.csv` (see the risk-model notes
//! §6.1), the table wins.

use core::fmt;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Where the SSVC tables come from.
pub const SOURCE: &str = "CERTCC/SSVC data/csv @e3b00a25615845960cec9caa1388064739f17728";

macro_rules! labelled_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }
        impl $name {
            /// All values, from the least to the most severe.
            pub const ALL: &'static [Self] = &[$(Self::$v),+];
            /// The label used in the SSVC tables.
            #[must_use]
            pub fn label(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            fn from_label(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
            #[allow(dead_code)] // not every table is keyed by every enum
            fn ord(self) -> usize {
                Self::ALL.iter().position(|x| *x == self).unwrap_or(0)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

labelled_enum!(
    /// SSVC Exploitation v1.1.0.
    Exploitation {
        /// No evidence of active exploitation and no public PoC.
        None = "none",
        /// A public proof of concept or well-known method.
        PublicPoc = "public poc",
        /// Credible reports of exploitation in the wild (e.g. in KEV).
        Active = "active",
    }
);

labelled_enum!(
    /// SSVC System Exposure v1.0.1.
    SystemExposure {
        /// Local service or highly controlled network.
        Small = "small",
        /// Networked with access restrictions.
        Controlled = "controlled",
        /// Internet or another widely accessible network.
        Open = "open",
    }
);

labelled_enum!(
    /// SSVC Human Impact v2.0.2 (Safety × Mission, from the official table).
    HumanImpact {
        /// Low.
        Low = "low",
        /// Medium.
        Medium = "medium",
        /// High.
        High = "high",
        /// Very high.
        VeryHigh = "very high",
    }
);

labelled_enum!(
    /// SSVC Safety Impact v2.0.1 (IEC 61508 based).
    SafetyImpact {
        /// Negligible.
        Negligible = "negligible",
        /// Marginal.
        Marginal = "marginal",
        /// Critical.
        Critical = "critical",
        /// Catastrophic.
        Catastrophic = "catastrophic",
    }
);

labelled_enum!(
    /// SSVC Mission Impact v2.0.0.
    MissionImpact {
        /// Degraded.
        Degraded = "degraded",
        /// Mission essential function support crippled.
        MefSupportCrippled = "mef support crippled",
        /// Mission essential function failure.
        MefFailure = "mef failure",
        /// Mission failure.
        MissionFailure = "mission failure",
    }
);

labelled_enum!(
    /// SSVC deployer and supplier outcome (patch priority).
    Decision {
        /// Do not act at present.
        Defer = "defer",
        /// Act during regular maintenance.
        Scheduled = "scheduled",
        /// Act faster than usual, at the next opportunity.
        OutOfCycle = "out-of-cycle",
        /// Act immediately, with all resources.
        Immediate = "immediate",
    }
);

labelled_enum!(
    /// SSVC Utility v1.0.1 (supplier tree).
    Utility {
        /// Laborious.
        Laborious = "laborious",
        /// Efficient.
        Efficient = "efficient",
        /// Super effective.
        SuperEffective = "super effective",
    }
);

labelled_enum!(
    /// SSVC Public Safety Impact v2.0.1 (supplier tree).
    PublicSafetyImpact {
        /// Minimal.
        Minimal = "minimal",
        /// Significant.
        Significant = "significant",
    }
);

labelled_enum!(
    /// CISA BOD 26-04 remediation timeline.
    Bod2604 {
        /// Fix on system upgrade.
        FixOnUpgrade = "fix on system upgrade",
        /// 60 days.
        Days60 = "60 days",
        /// 14 days.
        Days14 = "14 days",
        /// 3 days.
        Days3 = "3 days",
        /// 3 days and a forensic investigation.
        Days3Forensic = "3 days & forensic investigation",
    }
);

static DEPLOYER_CSV: &str =
    include_str!("../data/ssvc/deployer_patch_application_priority_1_0_0.csv");
static SUPPLIER_CSV: &str =
    include_str!("../data/ssvc/supplier_patch_development_priority_1_0_0.csv");
static HUMAN_IMPACT_CSV: &str = include_str!("../data/ssvc/human_impact_1_0_0.csv");
static UTILITY_CSV: &str = include_str!("../data/ssvc/utility_1_0_0.csv");
static PUBLIC_SAFETY_CSV: &str = include_str!("../data/ssvc/public_safety_impact_1_0_0.csv");
static BOD_CSV: &str = include_str!("../data/ssvc/cisa_bod_26_04_1_0_0.csv");

/// Rows of an SSVC CSV without the `row` column. Quoted header cells may
/// contain commas; data cells never do.
fn rows(csv: &str) -> impl Iterator<Item = Vec<&str>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').skip(1).map(str::trim).collect())
}

struct Tables {
    deployer: HashMap<(usize, usize, bool, usize), Decision>,
    supplier: HashMap<(usize, usize, bool, usize), Decision>,
    human: HashMap<(usize, usize), HumanImpact>,
    utility: HashMap<(bool, bool), Utility>,
    public_safety: HashMap<usize, PublicSafetyImpact>,
    bod: HashMap<(bool, bool, bool, bool), Bod2604>,
}

fn yes(s: &str) -> bool {
    s == "yes"
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        // The embedded CSVs are checked for completeness by the tests; a
        // row that does not parse is skipped (and a test fails).
        let mut t = Tables {
            deployer: HashMap::new(),
            supplier: HashMap::new(),
            human: HashMap::new(),
            utility: HashMap::new(),
            public_safety: HashMap::new(),
            bod: HashMap::new(),
        };
        for r in rows(DEPLOYER_CSV) {
            if let [e, x, a, h, d] = r[..]
                && let (Some(e), Some(x), Some(h), Some(d)) = (
                    Exploitation::from_label(e),
                    SystemExposure::from_label(x),
                    HumanImpact::from_label(h),
                    Decision::from_label(d),
                )
            {
                t.deployer.insert((e.ord(), x.ord(), yes(a), h.ord()), d);
            }
        }
        for r in rows(SUPPLIER_CSV) {
            if let [e, u, ti, ps, d] = r[..]
                && let (Some(e), Some(u), Some(ps), Some(d)) = (
                    Exploitation::from_label(e),
                    Utility::from_label(u),
                    PublicSafetyImpact::from_label(ps),
                    Decision::from_label(d),
                )
            {
                t.supplier
                    .insert((e.ord(), u.ord(), ti == "total", ps.ord()), d);
            }
        }
        for r in rows(HUMAN_IMPACT_CSV) {
            if let [s, m, h] = r[..]
                && let (Some(s), Some(m), Some(h)) = (
                    SafetyImpact::from_label(s),
                    MissionImpact::from_label(m),
                    HumanImpact::from_label(h),
                )
            {
                t.human.insert((s.ord(), m.ord()), h);
            }
        }
        for r in rows(UTILITY_CSV) {
            if let [a, v, u] = r[..]
                && let Some(u) = Utility::from_label(u)
            {
                t.utility.insert((yes(a), v == "concentrated"), u);
            }
        }
        for r in rows(PUBLIC_SAFETY_CSV) {
            if let [s, p] = r[..]
                && let (Some(s), Some(p)) = (
                    SafetyImpact::from_label(s),
                    PublicSafetyImpact::from_label(p),
                )
            {
                t.public_safety.insert(s.ord(), p);
            }
        }
        for r in rows(BOD_CSV) {
            if let [k, x, a, ti, o] = r[..]
                && let Some(o) = Bod2604::from_label(o)
            {
                t.bod.insert((yes(k), yes(x), yes(a), ti == "total"), o);
            }
        }
        t
    })
}

/// Human Impact from Safety and Mission Impact (`human_impact_1_0_0.csv`).
///
/// # Examples
///
/// ```
/// use radguard_risk::ssvc::{human_impact, HumanImpact, MissionImpact, SafetyImpact};
///
/// assert_eq!(human_impact(SafetyImpact::Critical, MissionImpact::MefFailure), HumanImpact::High);
/// // The table, not the prose: marginal x degraded is low.
/// assert_eq!(human_impact(SafetyImpact::Marginal, MissionImpact::Degraded), HumanImpact::Low);
/// ```
#[must_use]
pub fn human_impact(safety: SafetyImpact, mission: MissionImpact) -> HumanImpact {
    tables()
        .human
        .get(&(safety.ord(), mission.ord()))
        .copied()
        .unwrap_or(HumanImpact::VeryHigh)
}

/// The deployer decision (patch application priority).
#[must_use]
pub fn deployer_decision(
    exploitation: Exploitation,
    exposure: SystemExposure,
    automatable: bool,
    human: HumanImpact,
) -> Decision {
    tables()
        .deployer
        .get(&(exploitation.ord(), exposure.ord(), automatable, human.ord()))
        .copied()
        .unwrap_or(Decision::Immediate)
}

/// The supplier decision (patch development priority) for a vendor
/// triaging its own product.
#[must_use]
pub fn supplier_decision(
    exploitation: Exploitation,
    utility: Utility,
    total_technical_impact: bool,
    public_safety: PublicSafetyImpact,
) -> Decision {
    tables()
        .supplier
        .get(&(
            exploitation.ord(),
            utility.ord(),
            total_technical_impact,
            public_safety.ord(),
        ))
        .copied()
        .unwrap_or(Decision::Immediate)
}

/// Utility from Automatable and Value Density (concentrated = `true`).
#[must_use]
pub fn utility(automatable: bool, concentrated_value: bool) -> Utility {
    tables()
        .utility
        .get(&(automatable, concentrated_value))
        .copied()
        .unwrap_or(Utility::SuperEffective)
}

/// Public Safety Impact from Safety Impact.
#[must_use]
pub fn public_safety_impact(safety: SafetyImpact) -> PublicSafetyImpact {
    tables()
        .public_safety
        .get(&safety.ord())
        .copied()
        .unwrap_or(PublicSafetyImpact::Significant)
}

/// The CISA BOD 26-04 remediation timeline.
#[must_use]
pub fn bod_26_04(
    in_kev: bool,
    publicly_exposed: bool,
    automatable: bool,
    total_technical_impact: bool,
) -> Bod2604 {
    tables()
        .bod
        .get(&(
            in_kev,
            publicly_exposed,
            automatable,
            total_technical_impact,
        ))
        .copied()
        .unwrap_or(Bod2604::Days3Forensic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_complete() {
        let t = tables();
        assert_eq!(t.deployer.len(), 72);
        assert_eq!(t.supplier.len(), 36);
        assert_eq!(t.human.len(), 16);
        assert_eq!(t.utility.len(), 4);
        assert_eq!(t.public_safety.len(), 4);
        assert_eq!(t.bod.len(), 16);
    }

    #[test]
    fn immediate_only_in_three_deployer_rows() {
        let mut immediate = Vec::new();
        for e in Exploitation::ALL {
            for x in SystemExposure::ALL {
                for a in [false, true] {
                    for h in HumanImpact::ALL {
                        if deployer_decision(*e, *x, a, *h) == Decision::Immediate {
                            immediate.push((*e, *x, a, *h));
                        }
                    }
                }
            }
        }
        assert_eq!(
            immediate,
            vec![
                (
                    Exploitation::Active,
                    SystemExposure::Open,
                    false,
                    HumanImpact::VeryHigh
                ),
                (
                    Exploitation::Active,
                    SystemExposure::Open,
                    true,
                    HumanImpact::High
                ),
                (
                    Exploitation::Active,
                    SystemExposure::Open,
                    true,
                    HumanImpact::VeryHigh
                ),
            ]
        );
    }

    #[test]
    fn bod_kev_exposed_total_is_forensic() {
        assert_eq!(bod_26_04(true, true, false, true), Bod2604::Days3Forensic);
        assert_eq!(bod_26_04(false, false, false, false), Bod2604::FixOnUpgrade);
    }
}
