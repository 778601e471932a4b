//! The fleet view: every device assessed, worst first, with summaries by
//! tier, class, site and owner.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::assess::{Assessment, DeviceRow, Provenance, Scorer};
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
    /// Devices with at least one gap in their own data: a non-empty
    /// [`Assessment::data_gaps`] (missing inputs such as threat data or MDS2
    /// answers are [`Assessment::input_gaps`] and not counted).
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

/// Counts of one group, as they accumulate.
#[derive(Default)]
struct Acc {
    devices: usize,
    by_tier: [usize; 4],
    max: u8,
    sum: u64,
}

fn tier_slot(t: Tier) -> usize {
    match t {
        Tier::Critical => 0,
        Tier::High => 1,
        Tier::Medium => 2,
        Tier::Low => 3,
    }
}

/// Groups rows by `key`, worst group first (most critical, then high, then
/// highest score), ties by name.
fn group<'r, F: Fn(&'r DeviceRow) -> &'r str>(rows: &'r [DeviceRow], key: F) -> Vec<GroupSummary> {
    let mut m: BTreeMap<&str, Acc> = BTreeMap::new();
    for r in rows {
        let acc = m.entry(key(r)).or_default();
        acc.devices += 1;
        acc.by_tier[tier_slot(r.tier)] += 1;
        acc.max = acc.max.max(r.score);
        acc.sum += u64::from(r.score);
    }
    let mut out: Vec<GroupSummary> = m
        .into_iter()
        .map(|(name, a)| {
            #[allow(clippy::cast_precision_loss)]
            let mean = (a.sum as f64 / a.devices as f64 * 10.0).round() / 10.0;
            GroupSummary {
                devices: a.devices,
                critical: a.by_tier[0],
                high: a.by_tier[1],
                medium: a.by_tier[2],
                low: a.by_tier[3],
                max_score: a.max,
                mean_score: mean,
                name: name.to_owned(),
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

/// The summary of rows already sorted worst first.
pub(crate) fn summarise(rows: &[DeviceRow]) -> Summary {
    let mut by_tier = [0usize; 4];
    for r in rows {
        by_tier[tier_slot(r.tier)] += 1;
    }
    Summary {
        devices: rows.len(),
        by_tier: Tier::WORST_FIRST
            .iter()
            .map(|t| (*t, by_tier[tier_slot(*t)]))
            .collect(),
        by_class: group(rows, |r| r.class.label()),
        by_site: group(rows, |r| r.site.as_deref().unwrap_or("unknown")),
        by_owner: group(rows, |r| r.owner.as_deref().unwrap_or("unknown")),
        devices_with_gaps: rows.iter().filter(|r| r.data_gaps > 0).count(),
    }
}

/// A scored fleet that holds one summary row per device, not every
/// explanation: reports of 100,000 devices are rendered from it in
/// constant memory, each device's full [`Assessment`] computed again when
/// it is written ([`Fleet::assessments`]).
///
/// It serialises (lazily) to the same JSON as [`FleetReport`].
///
/// # Examples
///
/// ```
/// use radguard_risk::{Date, Inventory, Scorer};
///
/// let inv = Inventory::from_json(r#"{"devices":[{"id":"a"},{"id":"b","controls":{"default_credentials":"yes"}}]}"#)?;
/// let scorer = Scorer::new(Date::parse("2026-01-15")?);
/// let fleet = scorer.fleet(&inv);
/// assert_eq!(fleet.rows[0].device_id, "b");
/// assert_eq!(fleet.summary.devices, 2);
/// // The full explanations, worst first, one at a time.
/// let first = fleet.assessments().next().expect("two devices");
/// assert_eq!(first.device_id, "b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Fleet<'a> {
    scorer: &'a Scorer,
    inventory: &'a Inventory,
    /// Model version.
    pub model_version: &'static str,
    /// Evaluation date.
    pub as_of: Date,
    /// Data sources.
    pub provenance: Provenance,
    /// Summary.
    pub summary: Summary,
    /// One row per device, worst first (score descending, then id).
    pub rows: Vec<DeviceRow>,
    /// The inventory position of each row's device.
    order: Vec<usize>,
}

impl Fleet<'_> {
    /// Every device's full assessment, worst first, computed one at a time.
    pub fn assessments(&self) -> impl Iterator<Item = Assessment> + '_ {
        let mut cache = VectorCache::default();
        let site = self.inventory.site.as_deref();
        self.order.iter().filter_map(move |&i| {
            let d = self.inventory.devices.get(i)?;
            Some(
                self.scorer
                    .assess_cached(d, site, &mut cache, &self.provenance),
            )
        })
    }
}

impl Serialize for Fleet<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;

        /// The devices, assessed as they are written.
        struct Devices<'f, 'a>(&'f Fleet<'a>);
        impl Serialize for Devices<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.assessments())
            }
        }
        let mut st = s.serialize_struct("FleetReport", 5)?;
        st.serialize_field("model_version", self.model_version)?;
        st.serialize_field("as_of", &self.as_of)?;
        st.serialize_field("provenance", &self.provenance)?;
        st.serialize_field("summary", &self.summary)?;
        st.serialize_field("devices", &Devices(self))?;
        st.end()
    }
}

impl FleetReport {
    /// The summary row of every device, worst first.
    #[must_use]
    pub fn rows(&self) -> Vec<DeviceRow> {
        self.devices.iter().map(DeviceRow::of).collect()
    }
}

/// `items` worst first (score descending, ties by device id), and the
/// original position of each. The sort orders indices, then moves each
/// (large) item once instead of at every merge step.
fn worst_first<T>(items: Vec<T>, key: impl Fn(&T) -> (u8, &str)) -> (Vec<T>, Vec<usize>) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (key(&items[i]), key(&items[j]));
        b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1))
    });
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let sorted = order.iter().filter_map(|&i| slots[i].take()).collect();
    (sorted, order)
}

impl Scorer {
    /// Scores every device of `inventory` for its summary row, worst first,
    /// keeping the rows only (see [`Fleet`]).
    #[must_use]
    pub fn fleet<'a>(&'a self, inventory: &'a Inventory) -> Fleet<'a> {
        let mut cache = VectorCache::default();
        let site = inventory.site.as_deref();
        let rows: Vec<DeviceRow> = inventory
            .devices
            .iter()
            .map(|d| self.row_cached(d, site, &mut cache))
            .collect();
        let (rows, order) = worst_first(rows, |r| (r.score, &r.device_id));
        Fleet {
            scorer: self,
            inventory,
            model_version: MODEL_VERSION,
            as_of: self.as_of(),
            provenance: self.provenance(),
            summary: summarise(&rows),
            rows,
            order,
        }
    }

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
        let (devices, _) = worst_first(devices, |a| (a.score, &a.device_id));
        let rows: Vec<DeviceRow> = devices.iter().map(DeviceRow::of).collect();
        let summary = summarise(&rows);
        FleetReport {
            model_version: MODEL_VERSION,
            as_of: self.as_of(),
            provenance: self.provenance(),
            summary,
            devices,
        }
    }
}
