//! Operating-system lifecycle: the bundled end-of-life table
//! (`data/os-eol.csv`, from endoflife.date and Microsoft lifecycle data) and
//! the status of an OS on a given date.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;

use crate::date::Date;
use crate::inventory::Tri;

static BUNDLED_CSV: &str = include_str!("../data/os-eol.csv");

/// Where the bundled table comes from (printed in every score's provenance).
pub const BUNDLED_SOURCE: &str = "radguard-risk data/os-eol.csv (endoflife-date/endoflife.date @a70eca337; Microsoft lifecycle data)";

/// Why an OS lifecycle CSV was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// A CSV record could not be read.
    #[error("OS lifecycle CSV, line {line}: the record cannot be read")]
    Csv {
        /// 1-based line number.
        line: u64,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
    /// A field is missing or malformed.
    #[error("OS lifecycle CSV, line {line}: {problem}")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        problem: String,
    },
}

/// Support dates of one OS release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OsRelease {
    /// Product name, e.g. `Windows 7`.
    pub product: String,
    /// Version key, e.g. `SP1`.
    pub version: String,
    /// End of mainstream support.
    pub end_of_mainstream: Option<Date>,
    /// End of extended support (security updates without payment).
    pub end_of_extended: Option<Date>,
    /// End of paid extended security updates (ESU, ESM, ELS).
    pub end_of_paid_esu: Option<Date>,
}

/// The support status of an OS on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OsStatus {
    /// In mainstream support.
    Supported,
    /// Past mainstream, still in extended (security) support.
    ExtendedOnly,
    /// Past extended support, covered by paid ESU the device is enrolled in.
    Esu,
    /// Past extended support, ESU enrolment unknown while an ESU window is open.
    EsuUnknown,
    /// Past extended support and not covered.
    Unsupported,
    /// Not in the table, or the table has no dates for it.
    Unknown,
}

impl OsStatus {
    /// A short human label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Supported => "supported",
            Self::ExtendedOnly => "extended support only",
            Self::Esu => "paid extended security updates",
            Self::EsuUnknown => "past extended support, ESU enrolment unknown",
            Self::Unsupported => "unsupported",
            Self::Unknown => "unknown",
        }
    }
}

/// An OS end-of-life table: the bundled one, a site's own, or both merged.
///
/// # Examples
///
/// ```
/// use radguard_risk::{Date, OsLifecycle, OsStatus, Tri};
///
/// let table = OsLifecycle::bundled();
/// let as_of = Date::parse("2026-01-15")?;
/// let (status, _) = table.status("Windows 7", "SP1", Tri::No, as_of);
/// assert_eq!(status, OsStatus::Unsupported);
/// let (status, _) = table.status("windows 10 enterprise ltsc 2019", "10-1809-e-lts", Tri::No, as_of);
/// assert_eq!(status, OsStatus::ExtendedOnly);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OsLifecycle {
    source: String,
    rows: HashMap<(String, String), OsRelease>,
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl OsLifecycle {
    /// The table bundled with the crate.
    #[must_use]
    pub fn bundled() -> Self {
        // The bundled CSV is checked by this crate's tests; parsing it
        // cannot fail at run time unless the crate's own files were edited.
        Self::from_csv(BUNDLED_CSV.as_bytes(), BUNDLED_SOURCE).unwrap_or_else(|_| Self {
            source: BUNDLED_SOURCE.to_owned(),
            rows: HashMap::new(),
        })
    }

    /// Reads a table with the columns `product, version, end_of_mainstream,
    /// end_of_extended, end_of_paid_esu` (others, such as `notes` and
    /// `source`, are ignored); dates are `YYYY-MM-DD` or empty.
    ///
    /// # Errors
    ///
    /// [`LifecycleError`] for a missing column or a malformed date.
    pub fn from_csv<R: Read>(reader: R, source: &str) -> Result<Self, LifecycleError> {
        let mut rdr = csv::ReaderBuilder::new().from_reader(reader);
        let headers = rdr
            .headers()
            .map_err(|source| LifecycleError::Csv { line: 1, source })?
            .clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| LifecycleError::Invalid {
                    line: 1,
                    problem: format!("missing column {name}"),
                })
        };
        let (cp, cv, cm, ce, cu) = (
            col("product")?,
            col("version")?,
            col("end_of_mainstream")?,
            col("end_of_extended")?,
            col("end_of_paid_esu")?,
        );
        let mut rows = HashMap::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|source| LifecycleError::Csv {
                line: source.position().map_or(0, csv::Position::line),
                source,
            })?;
            let line = rec.position().map_or(0, csv::Position::line);
            let date = |i: usize| -> Result<Option<Date>, LifecycleError> {
                match rec.get(i).unwrap_or("").trim() {
                    "" => Ok(None),
                    s => Date::parse(s)
                        .map(Some)
                        .map_err(|e| LifecycleError::Invalid {
                            line,
                            problem: e.to_string(),
                        }),
                }
            };
            let product = rec.get(cp).unwrap_or("").trim().to_owned();
            let version = rec.get(cv).unwrap_or("").trim().to_owned();
            if product.is_empty() {
                return Err(LifecycleError::Invalid {
                    line,
                    problem: "empty product".to_owned(),
                });
            }
            let release = OsRelease {
                end_of_mainstream: date(cm)?,
                end_of_extended: date(ce)?,
                end_of_paid_esu: date(cu)?,
                product,
                version,
            };
            rows.insert((norm(&release.product), norm(&release.version)), release);
        }
        Ok(Self {
            source: source.to_owned(),
            rows,
        })
    }

    /// This table with `other`'s rows added, replacing rows with the same
    /// product and version (a site's corrections win).
    #[must_use]
    pub fn merged(mut self, other: Self) -> Self {
        self.source = format!("{} + {}", self.source, other.source);
        self.rows.extend(other.rows);
        self
    }

    /// Where the table comes from.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of releases in the table.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// `true` when the table is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Looks up a release (case and whitespace do not matter).
    #[must_use]
    pub fn get(&self, product: &str, version: &str) -> Option<&OsRelease> {
        self.rows.get(&(norm(product), norm(version)))
    }

    /// The status on `as_of` and the release it was decided from.
    #[must_use]
    pub fn status(
        &self,
        product: &str,
        version: &str,
        esu_enrolled: Tri,
        as_of: Date,
    ) -> (OsStatus, Option<&OsRelease>) {
        let Some(r) = self.get(product, version) else {
            return (OsStatus::Unknown, None);
        };
        let status = match (r.end_of_mainstream, r.end_of_extended) {
            (_, Some(ext)) if as_of > ext => match r.end_of_paid_esu {
                Some(esu) if as_of <= esu => match esu_enrolled {
                    Tri::Yes => OsStatus::Esu,
                    Tri::No => OsStatus::Unsupported,
                    Tri::Unknown => OsStatus::EsuUnknown,
                },
                _ => OsStatus::Unsupported,
            },
            (Some(main), Some(_)) if as_of > main => OsStatus::ExtendedOnly,
            (Some(main), None) if as_of > main => OsStatus::ExtendedOnly,
            (_, Some(_)) | (Some(_), None) => OsStatus::Supported,
            (None, None) => OsStatus::Unknown,
        };
        (status, Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_parses_completely() {
        let t = OsLifecycle::bundled();
        // One row per line of the CSV (89 releases).
        assert_eq!(t.len(), BUNDLED_CSV.lines().count() - 1);
        assert!(t.len() >= 89);
    }

    #[test]
    fn esu_window() {
        let t = OsLifecycle::bundled();
        let d = |s| Date::parse(s).expect("date");
        let st = |esu, as_of| t.status("Windows 7", "SP1", esu, d(as_of)).0;
        assert_eq!(st(Tri::Yes, "2021-06-01"), OsStatus::Esu);
        assert_eq!(st(Tri::Unknown, "2021-06-01"), OsStatus::EsuUnknown);
        assert_eq!(st(Tri::Yes, "2023-06-01"), OsStatus::Unsupported);
        assert_eq!(st(Tri::No, "2014-06-01"), OsStatus::Supported);
        assert_eq!(st(Tri::No, "2016-06-01"), OsStatus::ExtendedOnly);
        assert_eq!(
            t.status("Plan 9", "4", Tri::No, d("2020-01-01")).0,
            OsStatus::Unknown
        );
    }
}
