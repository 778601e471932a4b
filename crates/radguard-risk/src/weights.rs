//! The model's constants, as data a site can review and override.
//!
//! [`Weights::default`] is the shipped calibration (also bundled as
//! `data/mirs-weights.json`, which a test keeps identical). A site overrides
//! any subset with [`Weights::from_json`]: fields it leaves out keep the
//! shipped value, and an unknown field is an error.

use serde::{Deserialize, Serialize};

/// The model version this crate implements.
pub const MODEL_VERSION: &str = "mirs-0.2";

/// All weights of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Weights {
    /// A label for this set of weights (`"mirs-0.2 default"` when shipped).
    pub label: String,
    /// V: known-vulnerability pressure.
    pub vulnerability: VulnerabilityWeights,
    /// X: network exposure.
    pub exposure: ExposureWeights,
    /// H: hygiene and controls.
    pub hygiene: HygieneWeights,
    /// G: governance and lifecycle.
    pub governance: GovernanceWeights,
    /// M: the impact multiplier.
    pub impact: ImpactWeights,
    /// Floors.
    pub floors: FloorWeights,
    /// Tier thresholds.
    pub tiers: TierWeights,
    /// Remediation planning.
    pub plan: PlanWeights,
}

/// V: `points = max_points · (score/10) · w · r` for the worst finding,
/// plus a bonus for each other High or Critical finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct VulnerabilityWeights {
    pub max_points: f64,
    /// w for active exploitation (KEV, or v4 `E:A`).
    pub exploit_active: f64,
    /// w for a public proof of concept (`E:P/F/H`).
    pub exploit_poc: f64,
    /// w otherwise.
    pub exploit_none: f64,
    /// w is at least `epss_base + epss_slope · EPSS`.
    pub epss_base: f64,
    pub epss_slope: f64,
    /// r: AV:N/A on a networked device.
    pub reach_network: f64,
    /// r: AV:N/A on a standalone device.
    pub reach_standalone: f64,
    /// r: AV:L/P.
    pub reach_local: f64,
    /// Bonus per other finding with CVSS ≥ 7.
    pub bonus_per_high: f64,
    pub bonus_cap: f64,
    /// CVSS score assumed for a finding without a vector (midpoint).
    pub unknown_score: f64,
}

impl Default for VulnerabilityWeights {
    fn default() -> Self {
        Self {
            max_points: 40.0,
            exploit_active: 1.0,
            exploit_poc: 0.6,
            exploit_none: 0.3,
            epss_base: 0.3,
            epss_slope: 0.7,
            reach_network: 1.0,
            reach_standalone: 0.2,
            reach_local: 0.5,
            bonus_per_high: 0.5,
            bonus_cap: 5.0,
            unknown_score: 5.0,
        }
    }
}

/// X: the larger of zone and remote-access points, plus wireless and legacy
/// services, capped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ExposureWeights {
    pub zone_internet: f64,
    pub zone_dmz: f64,
    pub zone_flat: f64,
    pub zone_clinical_vlan_no_acl: f64,
    pub zone_segmented_allowlist: f64,
    pub zone_isolated: f64,
    pub zone_standalone: f64,
    pub zone_unknown: f64,
    pub remote_none: f64,
    pub remote_on_demand_mfa: f64,
    pub remote_always_on: f64,
    pub remote_rdp_vnc_exposed: f64,
    pub remote_unknown: f64,
    pub wireless: f64,
    pub legacy_services: f64,
    pub cap: f64,
}

impl Default for ExposureWeights {
    fn default() -> Self {
        Self {
            zone_internet: 30.0,
            zone_dmz: 25.0,
            zone_flat: 20.0,
            zone_clinical_vlan_no_acl: 12.0,
            zone_segmented_allowlist: 5.0,
            zone_isolated: 0.0,
            zone_standalone: 0.0,
            zone_unknown: 15.0,
            remote_none: 0.0,
            remote_on_demand_mfa: 6.0,
            remote_always_on: 22.0,
            remote_rdp_vnc_exposed: 26.0,
            remote_unknown: 13.0,
            wireless: 5.0,
            legacy_services: 3.0,
            cap: 30.0,
        }
    }
}

/// H: OS status, credentials, malware protection, PHI encryption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct HygieneWeights {
    pub os_unsupported: f64,
    pub os_esu_unknown: f64,
    pub os_esu: f64,
    pub os_extended_only: f64,
    pub os_unknown: f64,
    pub credentials_unknown: f64,
    pub no_malware_protection: f64,
    pub phi_unencrypted_in_transit: f64,
    pub phi_unencrypted_at_rest: f64,
    pub cap: f64,
}

impl Default for HygieneWeights {
    fn default() -> Self {
        Self {
            os_unsupported: 12.0,
            os_esu_unknown: 8.0,
            os_esu: 4.0,
            os_extended_only: 1.0,
            os_unknown: 6.0,
            credentials_unknown: 3.0,
            no_malware_protection: 2.0,
            phi_unencrypted_in_transit: 2.0,
            phi_unencrypted_at_rest: 1.0,
            cap: 20.0,
        }
    }
}

/// G: ownership and lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct GovernanceWeights {
    pub owner_unknown: f64,
    pub patch_responsibility_unknown: f64,
    pub vendor_support_ended: f64,
    pub past_planned_disposal: f64,
    pub decommissioning_unverified_wipe: f64,
    pub cap: f64,
}

impl Default for GovernanceWeights {
    fn default() -> Self {
        Self {
            owner_unknown: 3.0,
            patch_responsibility_unknown: 3.0,
            vendor_support_ended: 2.0,
            past_planned_disposal: 2.0,
            decommissioning_unverified_wipe: 4.0,
            cap: 10.0,
        }
    }
}

/// M: from SSVC Human Impact, raised for large PHI stores and archives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ImpactWeights {
    pub low: f64,
    pub medium: f64,
    pub high: f64,
    pub very_high: f64,
    /// Used when safety or mission impact is unknown.
    pub unknown: f64,
    /// The HIPAA breach-notification scale (MITRE rubric XCPM).
    pub phi_patients_threshold: u64,
    pub phi_large_min: f64,
    pub archive_min: f64,
}

impl Default for ImpactWeights {
    fn default() -> Self {
        Self {
            low: 0.70,
            medium: 0.80,
            high: 0.90,
            very_high: 1.0,
            unknown: 0.90,
            phi_patients_threshold: 500,
            phi_large_min: 0.80,
            archive_min: 0.90,
        }
    }
}

/// Floors: minimum scores for conditions that must never be averaged away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct FloorWeights {
    pub compromise_external: f64,
    pub compromise_internal: f64,
    pub kev_internet: f64,
    pub kev_broad_high_impact: f64,
    pub kev_broad: f64,
    pub kev_reachable: f64,
    /// X at or above which exposure counts as broad.
    pub kev_broad_exposure: f64,
    pub internet_phi_or_default_credentials: f64,
    pub default_credentials: f64,
    pub very_high_impact_unsupported_os: f64,
    pub very_high_impact_min_exposure: f64,
}

impl Default for FloorWeights {
    fn default() -> Self {
        Self {
            compromise_external: 90.0,
            compromise_internal: 65.0,
            kev_internet: 90.0,
            kev_broad_high_impact: 85.0,
            kev_broad: 75.0,
            kev_reachable: 65.0,
            kev_broad_exposure: 18.0,
            internet_phi_or_default_credentials: 80.0,
            default_credentials: 45.0,
            very_high_impact_unsupported_os: 65.0,
            very_high_impact_min_exposure: 12.0,
        }
    }
}

/// Tier thresholds (score at or above).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TierWeights {
    pub critical: u8,
    pub high: u8,
    pub medium: u8,
}

impl Default for TierWeights {
    fn default() -> Self {
        Self {
            critical: 85,
            high: 65,
            medium: 40,
        }
    }
}

/// Greedy remediation planning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct PlanWeights {
    pub effort_small: f64,
    pub effort_medium: f64,
    pub effort_large: f64,
    pub max_steps: usize,
    /// Stop when the best action lowers neither the score nor the raw
    /// (floor-free) score by more than this per unit of effort.
    pub min_raw_gain_per_effort: f64,
}

impl Default for PlanWeights {
    fn default() -> Self {
        Self {
            effort_small: 1.0,
            effort_medium: 2.0,
            effort_large: 4.0,
            max_steps: 8,
            min_raw_gain_per_effort: 0.5,
        }
    }
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            label: format!("{MODEL_VERSION} default"),
            vulnerability: VulnerabilityWeights::default(),
            exposure: ExposureWeights::default(),
            hygiene: HygieneWeights::default(),
            governance: GovernanceWeights::default(),
            impact: ImpactWeights::default(),
            floors: FloorWeights::default(),
            tiers: TierWeights::default(),
            plan: PlanWeights::default(),
        }
    }
}

/// A weights file that could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WeightsError {
    /// Syntax error or unknown field (the parser's message, with line and
    /// column, is part of this message rather than a source).
    #[error("weights JSON: {0}")]
    Json(serde_json::Error),
    /// A value outside its allowed range.
    #[error("weights: {0}")]
    Invalid(String),
}

impl Weights {
    /// Reads a (partial) weights document: absent fields keep the shipped
    /// values.
    ///
    /// # Errors
    ///
    /// [`WeightsError`] for a syntax error, an unknown field, a negative or
    /// non-finite number, a multiplier outside 0–1, tier thresholds out of
    /// order, or `max_steps` above 32.
    pub fn from_json(text: &str) -> Result<Self, WeightsError> {
        let w: Self = serde_json::from_str(text).map_err(WeightsError::Json)?;
        w.check()?;
        Ok(w)
    }

    /// The shipped weights as pretty JSON (the content of
    /// `data/mirs-weights.json`).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), WeightsError> {
        let v = serde_json::to_value(self).map_err(WeightsError::Json)?;
        fn walk(path: &str, v: &serde_json::Value) -> Result<(), WeightsError> {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, x) in m {
                        walk(&format!("{path}.{k}"), x)?;
                    }
                    Ok(())
                }
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(f) if f.is_finite() && f >= 0.0 => Ok(()),
                    _ => Err(WeightsError::Invalid(format!(
                        "{path} must be a number ≥ 0"
                    ))),
                },
                _ => Ok(()),
            }
        }
        walk("weights", &v)?;
        let i = &self.impact;
        for (name, m) in [
            ("low", i.low),
            ("medium", i.medium),
            ("high", i.high),
            ("very_high", i.very_high),
            ("unknown", i.unknown),
            ("phi_large_min", i.phi_large_min),
            ("archive_min", i.archive_min),
        ] {
            if m > 1.0 {
                return Err(WeightsError::Invalid(format!(
                    "impact.{name} must be between 0 and 1"
                )));
            }
        }
        let t = &self.tiers;
        if !(t.medium < t.high && t.high < t.critical && t.critical <= 100) {
            return Err(WeightsError::Invalid(
                "tiers must satisfy medium < high < critical ≤ 100".to_owned(),
            ));
        }
        if self.plan.max_steps > 32 {
            return Err(WeightsError::Invalid(
                "plan.max_steps must be at most 32".to_owned(),
            ));
        }
        for e in [
            self.plan.effort_small,
            self.plan.effort_medium,
            self.plan.effort_large,
        ] {
            if e <= 0.0 {
                return Err(WeightsError::Invalid(
                    "plan efforts must be above 0".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_file_is_the_default() {
        if std::env::var_os("RADGUARD_BLESS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mirs-weights.json");
            std::fs::write(path, Weights::default().to_json() + "\n").expect("bless");
            return;
        }
        let file = include_str!("../data/mirs-weights.json");
        assert_eq!(
            Weights::from_json(file).expect("parses"),
            Weights::default()
        );
        assert_eq!(file.trim_end(), Weights::default().to_json());
    }

    #[test]
    fn partial_overrides_and_checks() {
        let w = Weights::from_json(r#"{"floors":{"default_credentials":50}}"#).expect("partial");
        assert_eq!(w.floors.default_credentials, 50.0);
        assert_eq!(w.exposure, ExposureWeights::default());
        assert!(Weights::from_json(r#"{"floors":{"defualt":1}}"#).is_err());
        assert!(Weights::from_json(r#"{"impact":{"low":1.5}}"#).is_err());
        assert!(Weights::from_json(r#"{"tiers":{"high":90}}"#).is_err());
        assert!(Weights::from_json(r#"{"vulnerability":{"max_points":-1}}"#).is_err());
    }
}
