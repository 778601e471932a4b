//! Device inventories in JSON, YAML or CSV.
//!
//! The schema is strict: an unknown field (or CSV column) is an error, so a
//! typo such as `defualt_credentials` can never silently leave a control
//! "unknown". Values that are not known are written `unknown` (or left
//! out), and the model counts each one as a data gap and scores it at the
//! midpoint between its best and worst known value, never as the best.
//!
//! By concern: `model` (the types), `serde` (the text forms of values in
//! JSON and YAML), `validate` (checks every parsed inventory passes, size
//! limits, MDS2 ids) and `csv` (the CSV columns and how a row reads).
//!
//! # Examples
//!
//! ```
//! use radguard_risk::{Inventory, Tri, Zone};
//!
//! let yaml = r#"
//! devices:
//!   - id: CT-ED-01
//!     class: ct
//!     os: { product: Windows 7, version: SP1, esu_enrolled: no }
//!     findings:
//!       - id: CVE-2019-0708
//!         cvss_v3: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
//!         component: os
//!     exposure: { zone: clinical_vlan_no_acl, remote_access: vendor_always_on }
//!     controls: { default_credentials: unknown }
//! "#;
//! let inv = Inventory::from_yaml(yaml)?;
//! assert_eq!(inv.devices[0].exposure.zone, Zone::ClinicalVlanNoAcl);
//! assert_eq!(inv.devices[0].controls.default_credentials, Tri::Unknown);
//!
//! // A misspelt field is an error, not an unknown value.
//! assert!(Inventory::from_yaml("devices: [{id: X, controls: {defualt_credentials: yes}}]").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod csv;
mod model;
mod serde;
mod validate;

use std::io::Read;

pub use self::csv::CSV_COLUMNS;
pub use model::{
    Clinical, Component, Controls, DataProfile, Device, DeviceClass, Exposure, Finding, Flow,
    Governance, Inventory, Mds2Answer, OsInfo, PatchResponsibility, RemoteAccess, Software, Tri,
    VexState, Zone,
};
pub use validate::{
    MAX_DEVICES, MAX_FINDINGS_PER_DEVICE, MAX_TEXT, MDS2_SECTIONS, normalize_mds2_id,
};

/// Why an inventory was rejected.
///
/// The message says what is wrong and where. For a JSON or YAML document
/// the parser's own message (the field, value, line and column) is that
/// message: it is part of `Display` and kept in the variant, and is not
/// repeated as a [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// JSON syntax or schema error (with line and column).
    #[error("inventory JSON: {0}")]
    Json(serde_json::Error),
    /// YAML syntax or schema error (with line and column).
    #[error("inventory YAML: {0}")]
    Yaml(serde_norway::Error),
    /// A CSV record could not be read (the reader's error is the source).
    #[error("inventory CSV, line {line}: the record cannot be read")]
    Csv {
        /// 1-based line number.
        line: u64,
        /// The underlying error.
        #[source]
        source: ::csv::Error,
    },
    /// The input is larger than
    /// [`MAX_INVENTORY_BYTES`](crate::limits::MAX_INVENTORY_BYTES).
    #[error("inventory larger than {limit} bytes")]
    TooLarge {
        /// The bound, in bytes.
        limit: u64,
    },
    /// YAML collections nest deeper than
    /// [`MAX_YAML_DEPTH`](crate::limits::MAX_YAML_DEPTH) (checked before
    /// the YAML parser, whose time grows with the square of the depth).
    #[error("inventory YAML nests {depth} levels deep (at most {limit})")]
    TooDeep {
        /// The depth found (an upper bound).
        depth: usize,
        /// The bound.
        limit: usize,
    },
    /// A value is present but not acceptable.
    #[error("inventory, {location}: {problem}")]
    Invalid {
        /// Where: `device "X", field` or `CSV line N, column C`.
        location: String,
        /// What is wrong.
        problem: String,
    },
}

fn check_size(text: &str) -> Result<(), InventoryError> {
    let limit = crate::limits::MAX_INVENTORY_BYTES;
    if text.len() as u64 > limit {
        return Err(InventoryError::TooLarge { limit });
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Inventory file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InventoryFormat {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// CSV, one device per row.
    Csv,
}

impl InventoryFormat {
    /// The format for a file name's extension (`.json`, `.yaml`/`.yml`,
    /// `.csv`), case-insensitive.
    #[must_use]
    pub fn from_extension(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

impl Inventory {
    /// Parses text in `format`.
    ///
    /// # Errors
    ///
    /// [`InventoryError`] naming the field, line or device at fault.
    pub fn parse(text: &str, format: InventoryFormat) -> Result<Self, InventoryError> {
        match format {
            InventoryFormat::Json => Self::from_json(text),
            InventoryFormat::Yaml => Self::from_yaml(text),
            InventoryFormat::Csv => Self::from_csv(text.as_bytes()),
        }
    }

    /// Parses a JSON inventory (`{"devices": [...]}`).
    ///
    /// # Errors
    ///
    /// [`InventoryError`] for a syntax error, an unknown field, a value the
    /// field does not allow, a malformed CVSS vector, date or address, a
    /// duplicate device id (ids differing only by case or surrounding
    /// spaces are duplicates), a text or list field over its bound (see
    /// [`crate::limits`]), or input larger than
    /// [`MAX_INVENTORY_BYTES`](crate::limits::MAX_INVENTORY_BYTES).
    pub fn from_json(text: &str) -> Result<Self, InventoryError> {
        check_size(text)?;
        let inv: Self = serde_json::from_str(text).map_err(InventoryError::Json)?;
        inv.validated()
    }

    /// Parses a YAML inventory (same schema as JSON).
    ///
    /// # Errors
    ///
    /// As [`Inventory::from_json`], and [`InventoryError::TooDeep`] when
    /// collections nest deeper than
    /// [`MAX_YAML_DEPTH`](crate::limits::MAX_YAML_DEPTH).
    pub fn from_yaml(text: &str) -> Result<Self, InventoryError> {
        check_size(text)?;
        let depth = crate::limits::yaml_depth(text);
        if depth > crate::limits::MAX_YAML_DEPTH {
            return Err(InventoryError::TooDeep {
                depth,
                limit: crate::limits::MAX_YAML_DEPTH,
            });
        }
        let inv: Self = serde_norway::from_str(text).map_err(InventoryError::Yaml)?;
        inv.validated()
    }

    /// Parses a CSV inventory: one device per row, columns as documented in
    /// [`CSV_COLUMNS`]; only `id` is required. Lists inside a cell are
    /// separated by `;`. A finding is `ID` followed by space-separated
    /// `key=value` pairs (`cvss_v3=`, `cvss_v4=`, `vex=`, `fix_available=`,
    /// `component=`), e.g.
    /// `CVE-2019-0708 cvss_v3=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H component=os`.
    ///
    /// # Errors
    ///
    /// [`InventoryError`] for an unknown column (naming it), a bad value
    /// (naming line and column), a malformed record (naming its line: an
    /// unbalanced quote, a row with too many or too few cells, a value
    /// spanning lines — never a record silently swallowed), a duplicate
    /// device id, or as [`Inventory::from_json`].
    pub fn from_csv<R: Read>(reader: R) -> Result<Self, InventoryError> {
        csv::parse(reader)?.validated()
    }

    /// Serialises to JSON (the same schema [`Inventory::from_json`] reads).
    #[must_use]
    pub fn to_json(&self) -> String {
        // Every field type serialises infallibly to JSON.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
