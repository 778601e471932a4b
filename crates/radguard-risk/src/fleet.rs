//! The fleet view: every device assessed, worst first, with summaries by
//! tier, class, site and owner.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::assess::{Assessment, Provenance, Scorer};
use crate::date::Date;
use crate::inventory::Inventory;
use crate::model::{Tier, VectorCache};
use crate::weights::MODEL_VERSION;

/// Counts for one group of devices.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct GroupSummary {
    /// Group name (class, site or owner; `unknown` when not recorded).
    pub name: String,
    /// Devices in the group.
    pub devices: usize,
    /// Critical devices.
    pub critical: usize,
    /// High devices.
    pub high: usize,
    /// Medium devices.
    pub medium: usize,
    /// Low devices.
    pub low: usize,
    /// Highest score.
    pub max_score: u8,
    /// Mean score, one decimal.
    pub mean_score: f64,
}

/// Fleet summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Number of devices.
    pub devices: usize,
    /// Devices per tier, Critical first.
    pub by_tier: Vec<(Tier, usize)>,
    /// By device class.
    pub by_class: Vec<GroupSummary>,
    /// By site.
    pub by_site: Vec<GroupSummary>,
    /// By owner.
    pub by_owner: Vec<GroupSummary>,
    /// Devices with at least one gap in their own data (not counting the
    /// absence of MDS2 answers or monitoring data, or the age of threat data).
    pub devices_with_gaps: usize,
}

/// Every device of an inventory, assessed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FleetReport {
    /// Model version.
    pub model_version: &'static str,
    /// Evaluation date.
    pub as_of: Date,
    /// Data sources.
    pub provenance: Provenance,
    /// Summary.
    pub summary: Summary,
    /// Devices, worst first (score descending, then id).
    pub devices: Vec<Assessment>,
}

fn group<F: Fn(&Assessment) -> String>(devices: &[Assessment], key: F) -> Vec<GroupSummary> {
    let mut m: BTreeMap<String, Vec<&Assessment>> = BTreeMap::new();
    for d in devices {
        m.entry(key(d)).or_default().push(d);
    }
    let mut out: Vec<GroupSummary> = m
        .into_iter()
        .map(|(name, ds)| {
            let count = |t: Tier| ds.iter().filter(|d| d.tier == t).count();
            let sum: u64 = ds.iter().map(|d| u64::from(d.score)).sum();
            #[allow(clippy::cast_precision_loss)]
            let mean = (sum as f64 / ds.len() as f64 * 10.0).round() / 10.0;
            GroupSummary {
                devices: ds.len(),
                critical: count(Tier::Critical),
                high: count(Tier::High),
                medium: count(Tier::Medium),
                low: count(Tier::Low),
                max_score: ds.iter().map(|d| d.score).max().unwrap_or(0),
                mean_score: mean,
                name,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.critical, b.high, b.max_score)
            .cmp(&(a.critical, a.high, a.max_score))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

impl Scorer {
    /// Assesses every device of `inventory` (each device's site defaults
    /// to the inventory's), worst first.
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_risk::{Date, Inventory, Scorer};
    ///
    /// let inv = Inventory::from_json(r#"{"devices":[{"id":"a"},{"id":"b","controls":{"default_credentials":"yes"}}]}"#)?;
    /// let report = Scorer::new(Date::parse("2026-01-15")?).assess_inventory(&inv);
    /// assert_eq!(report.devices[0].device_id, "b");
    /// assert_eq!(report.summary.devices, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn assess_inventory(&self, inventory: &Inventory) -> FleetReport {
        let mut cache = VectorCache::default();
        let provenance = self.provenance();
        let devices: Vec<Assessment> = inventory
            .devices
            .iter()
            .map(|d| self.assess_cached(d, inventory.site.as_deref(), &mut cache, &provenance))
            .collect();
        // Worst first, ties by device id. The sort orders indices, then moves
        // each (large) assessment once, instead of moving assessments at
        // every merge step.
        let mut order: Vec<usize> = (0..devices.len()).collect();
        order.sort_by(|&i, &j| {
            let (a, b) = (&devices[i], &devices[j]);
            b.score
                .cmp(&a.score)
                .then_with(|| a.device_id.cmp(&b.device_id))
        });
        let mut slots: Vec<Option<Assessment>> = devices.into_iter().map(Some).collect();
        let devices: Vec<Assessment> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let by_tier = Tier::WORST_FIRST
            .iter()
            .map(|t| (*t, devices.iter().filter(|d| d.tier == *t).count()))
            .collect();
        let summary = Summary {
            devices: devices.len(),
            by_tier,
            by_class: group(&devices, |d| d.class.to_string()),
            by_site: group(&devices, |d| {
                d.site.clone().unwrap_or_else(|| "unknown".to_owned())
            }),
            by_owner: group(&devices, |d| {
                d.owner.clone().unwrap_or_else(|| "unknown".to_owned())
            }),
            devices_with_gaps: devices
                .iter()
                .filter(|d| {
                    d.data_gaps.iter().any(|g| {
                        // Device data only, not the age or absence of threat data.
                        ![
                            "no MDS2",
                            "exposure.observed_flows",
                            "KEV catalog",
                            "EPSS scores",
                            "no KEV",
                            "no EPSS",
                        ]
                        .iter()
                        .any(|p| g.starts_with(p))
                    })
                })
                .count(),
        };
        FleetReport {
            model_version: MODEL_VERSION,
            as_of: self.as_of(),
            provenance: self.provenance(),
            summary,
            devices,
        }
    }
}
