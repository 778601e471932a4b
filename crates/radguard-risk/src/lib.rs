//! radguard-risk (work in progress)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod assess;
pub mod cvss;
mod date;
mod fleet;
mod inventory;
mod inventory_csv;
mod lifecycle;
pub mod mds2;
mod model;
mod plan;
pub mod report;
pub mod sbom;
pub mod ssvc;
mod threat;
mod weights;

pub use assess::{
    Assessment, Components, Deciding, Factor, FindingView, FloorHit, Provenance, Scorer, SsvcView,
};
pub use date::{Date, DateError};
pub use fleet::{FleetReport, GroupSummary, Summary};
pub use inventory::{
    CSV_COLUMNS, Clinical, Component, Controls, DataProfile, Device, DeviceClass, Exposure,
    Finding, Flow, Governance, Inventory, InventoryError, InventoryFormat, MAX_DEVICES,
    MAX_FINDINGS_PER_DEVICE, MAX_TEXT, MDS2_SECTIONS, Mds2Answer, OsInfo, PatchResponsibility,
    RemoteAccess, Software, Tri, VexState, Zone, normalize_mds2_id,
};
pub use lifecycle::{
    BUNDLED_SOURCE as OS_LIFECYCLE_SOURCE, LifecycleError, OsLifecycle, OsRelease, OsStatus,
};
pub use model::{DEFAULT_CREDS_ID, FloorRule, Tier};
pub use plan::{Action, Effort, PlannedAction};
pub use threat::{EpssScore, EpssSnapshot, KevCatalog, KevEntry, ThreatContext, ThreatDataError};
pub use weights::{MODEL_VERSION, Weights, WeightsError};
