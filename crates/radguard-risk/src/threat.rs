//! Threat data read from offline files, with provenance: the CISA Known
//! Exploited Vulnerabilities catalog (JSON or CSV) and FIRST EPSS scores
//! (CSV with its `#model_version` header).
//!
//! Nothing here fetches anything: callers pass the text or a reader of the
//! files they downloaded, and the catalog version and score date travel
//! with every score computed from them.

use foldhash::HashMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// A compact key for a well-formed CVE id (`CVE-YYYY-N...`, number below
/// 2^40): lookups then hash and compare one integer instead of a string.
fn cve_key(id: &str) -> Option<u64> {
    let rest = id.strip_prefix("CVE-")?;
    let (y, n) = rest.split_once('-')?;
    if y.len() != 4 || n.len() < 4 || n.len() > 12 || n.starts_with('+') || y.starts_with('+') {
        return None;
    }
    let year: u64 = y.parse().ok()?;
    let num: u64 = n.parse().ok()?;
    // Leading zeros matter for identity ("CVE-2020-0001" vs "CVE-2020-00001").
    let digits = u64::try_from(n.len()).ok()?;
    (num < (1 << 36)).then_some((year << 40) | (digits << 36) | num)
}

/// A map from CVE ids to values, keyed compactly when the id is well formed.
/// Hashing is foldhash's (fast, randomly seeded per process): lookups of
/// every finding of a fleet in a 300,000-row EPSS snapshot are on the hot
/// path of scoring.
#[derive(Debug, Clone)]
struct CveMap<V> {
    by_key: HashMap<u64, V>,
    other: HashMap<Box<str>, V>,
}

impl<V> CveMap<V> {
    fn with_capacity(n: usize) -> Self {
        Self {
            by_key: HashMap::with_capacity_and_hasher(n, foldhash::fast::RandomState::default()),
            other: HashMap::default(),
        }
    }
    fn insert(&mut self, id: &str, v: V) {
        match cve_key(id) {
            Some(k) => {
                self.by_key.insert(k, v);
            }
            None => {
                self.other.insert(Box::from(id), v);
            }
        }
    }
    fn get(&self, id: &str) -> Option<&V> {
        match cve_key(id) {
            Some(k) => self.by_key.get(&k),
            None => self.other.get(id),
        }
    }
    fn len(&self) -> usize {
        self.by_key.len() + self.other.len()
    }
}

impl<V> Default for CveMap<V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

/// Why a KEV or EPSS file was rejected.
///
/// The message says what is wrong and where; a CSV reader or I/O error is
/// the [`source`](std::error::Error::source), not repeated in the message.
/// The KEV JSON parser's own message (field, line, column) is the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThreatDataError {
    /// The KEV JSON does not match the catalog schema.
    #[error("KEV catalog JSON: {0}")]
    KevJson(serde_json::Error),
    /// A CSV record could not be read.
    #[error("{file} CSV, line {line}: the record cannot be read")]
    Csv {
        /// `"KEV"` or `"EPSS"`.
        file: &'static str,
        /// 1-based line number.
        line: u64,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
    /// A field holds a value the format does not allow.
    #[error("{file}, line {line}: {problem}")]
    Invalid {
        /// `"KEV"` or `"EPSS"`.
        file: &'static str,
        /// 1-based line number (0 when not applicable).
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// A data set the caller must supply (or waive) is missing.
    #[error("no {file} data supplied: without it {consequence}")]
    Missing {
        /// `"KEV"` or `"EPSS"`.
        file: &'static str,
        /// What scoring without it would silently assume.
        consequence: &'static str,
    },
    /// The data is dated after the evaluation date: it could not have been
    /// known then.
    #[error("{file} data dated {dated} is later than the evaluation date {as_of}")]
    FromTheFuture {
        /// `"KEV"` or `"EPSS"`.
        file: &'static str,
        /// The data's date.
        dated: Date,
        /// The evaluation date.
        as_of: Date,
    },
    /// The evaluation date is not plausible for vulnerability data (before
    /// the CVE program began in 1999, or after 2200).
    #[error("evaluation date {as_of} is not plausible (expected 1999 to 2200)")]
    ImplausibleDate {
        /// The evaluation date.
        as_of: Date,
    },
    /// The input is larger than its documented bound (see [`crate::limits`]).
    #[error("the {file} data is larger than {limit} bytes")]
    TooLarge {
        /// `"KEV"` or `"EPSS"`.
        file: &'static str,
        /// The bound, in bytes.
        limit: u64,
    },
    /// Reading the input failed.
    #[error("cannot read the {file} data")]
    Io {
        /// `"KEV"` or `"EPSS"`.
        file: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// One entry of the KEV catalog (the fields the model uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KevEntry {
    /// The CVE identifier.
    pub cve_id: String,
    /// Vendor or project.
    pub vendor_project: String,
    /// Product.
    pub product: String,
    /// CISA's name for the vulnerability.
    pub vulnerability_name: String,
    /// When CISA added it to the catalog.
    pub date_added: Date,
    /// The remediation due date for US federal agencies.
    pub due_date: Option<Date>,
    /// `knownRansomwareCampaignUse` is `Known`.
    pub known_ransomware: bool,
}

/// The CISA Known Exploited Vulnerabilities catalog.
///
/// # Examples
///
/// ```
/// use radguard_risk::{Date, KevCatalog};
///
/// let json = r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities",
///   "catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19.9796Z","count":1,
///   "vulnerabilities":[{"cveID":"CVE-2017-0144","vendorProject":"Microsoft","product":"SMBv1",
///   "vulnerabilityName":"Microsoft SMBv1 Remote Code Execution Vulnerability",
///   "dateAdded":"2022-02-10","shortDescription":"...","requiredAction":"Apply updates.",
///   "dueDate":"2022-08-10","knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-20"]}]}"#;
/// let kev = KevCatalog::from_json(json)?;
/// assert_eq!(kev.version(), "2025.08.25");
/// let as_of = Date::parse("2026-01-15")?;
/// assert!(kev.listed("CVE-2017-0144", as_of).is_some());
/// // Not yet in the catalog on an earlier evaluation date.
/// assert!(kev.listed("CVE-2017-0144", Date::parse("2021-01-01")?).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct KevCatalog {
    version: String,
    released: Option<Date>,
    entries: CveMap<KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevJson {
    #[allow(dead_code)]
    title: Option<String>,
    catalog_version: String,
    date_released: String,
    #[allow(dead_code)]
    count: Option<u64>,
    vulnerabilities: Vec<KevJsonEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevJsonEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    vulnerability_name: String,
    date_added: String,
    due_date: Option<String>,
    known_ransomware_campaign_use: Option<String>,
}

fn check_cve_id(id: &str, file: &'static str, line: u64) -> Result<(), ThreatDataError> {
    let ok = id
        .strip_prefix("CVE-")
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(y, n)| {
            y.len() == 4
                && y.bytes().all(|b| b.is_ascii_digit())
                && n.len() >= 4
                && n.len() <= 19
                && n.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(ThreatDataError::Invalid {
            file,
            line,
            problem: format!(
                "{:?} is not a CVE identifier",
                id.chars().take(32).collect::<String>()
            ),
        })
    }
}

fn ransomware(v: Option<&str>, line: u64) -> Result<bool, ThreatDataError> {
    match v.unwrap_or("Unknown") {
        "Known" => Ok(true),
        "Unknown" | "" => Ok(false),
        other => Err(ThreatDataError::Invalid {
            file: "KEV",
            line,
            problem: format!(
                "knownRansomwareCampaignUse {:?} is neither Known nor Unknown",
                other.chars().take(32).collect::<String>()
            ),
        }),
    }
}

fn kev_date(s: &str, line: u64) -> Result<Date, ThreatDataError> {
    Date::parse(s).map_err(|e| ThreatDataError::Invalid {
        file: "KEV",
        line,
        problem: e.to_string(),
    })
}

impl KevCatalog {
    /// Reads the catalog JSON (`known_exploited_vulnerabilities.json`).
    ///
    /// # Errors
    ///
    /// [`ThreatDataError`] when the JSON does not follow the catalog
    /// schema (required fields, `YYYY-MM-DD` dates, CVE identifiers), lists
    /// no vulnerability, lists a CVE twice, has a `count` that does not
    /// match its entries (a truncated or edited file), or is larger than
    /// [`MAX_KEV_BYTES`](crate::limits::MAX_KEV_BYTES).
    pub fn from_json(text: &str) -> Result<Self, ThreatDataError> {
        if text.len() as u64 > crate::limits::MAX_KEV_BYTES {
            return Err(ThreatDataError::TooLarge {
                file: "KEV",
                limit: crate::limits::MAX_KEV_BYTES,
            });
        }
        let raw: KevJson = serde_json::from_str(text).map_err(ThreatDataError::KevJson)?;
        let bad = |problem: String| ThreatDataError::Invalid {
            file: "KEV",
            line: 0,
            problem,
        };
        let released = Date::parse_timestamp(&raw.date_released)
            .map_err(|e| bad(format!("dateReleased: {e}")))?;
        if raw.vulnerabilities.is_empty() {
            return Err(bad("the catalog lists no vulnerability".to_owned()));
        }
        if let Some(count) = raw.count
            && count != raw.vulnerabilities.len() as u64
        {
            return Err(bad(format!(
                "count says {count} entries but the catalog lists {} (truncated or edited?)",
                raw.vulnerabilities.len()
            )));
        }
        let mut entries = CveMap::with_capacity(raw.vulnerabilities.len());
        for (i, v) in raw.vulnerabilities.into_iter().enumerate() {
            let n = i as u64 + 1;
            check_cve_id(&v.cve_id, "KEV", n)?;
            if entries.get(&v.cve_id).is_some() {
                return Err(ThreatDataError::Invalid {
                    file: "KEV",
                    line: 0,
                    problem: format!("{} is listed twice (entry {n})", v.cve_id),
                });
            }
            let entry = KevEntry {
                date_added: kev_date(&v.date_added, n)?,
                due_date: match v.due_date.as_deref() {
                    Some(d) if !d.is_empty() => Some(kev_date(d, n)?),
                    _ => None,
                },
                known_ransomware: ransomware(v.known_ransomware_campaign_use.as_deref(), n)?,
                cve_id: v.cve_id,
                vendor_project: v.vendor_project,
                product: v.product,
                vulnerability_name: v.vulnerability_name,
            };
            entries.insert(&entry.cve_id.clone(), entry);
        }
        Ok(Self {
            version: raw.catalog_version,
            released: Some(released),
            entries,
        })
    }

    /// Reads the catalog CSV (`known_exploited_vulnerabilities.csv`). The
    /// CSV carries no catalog version, so the version is derived from the
    /// newest `dateAdded` (`YYYY.MM.DD`, the catalog's own convention) and
    /// marked `(derived)`.
    ///
    /// # Errors
    ///
    /// [`ThreatDataError`] for a missing column, a bad date or CVE id, a CVE
    /// listed twice, a malformed record (an unbalanced quote that would
    /// swallow the records after it), no entry at all, or more than
    /// [`MAX_KEV_BYTES`](crate::limits::MAX_KEV_BYTES).
    pub fn from_csv<R: Read>(reader: R) -> Result<Self, ThreatDataError> {
        let text = read_limited(reader, "KEV", crate::limits::MAX_KEV_BYTES)?;
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|source| ThreatDataError::Csv {
                file: "KEV",
                line: 1,
                source,
            })?
            .clone();
        let col = |name: &str| -> Result<usize, ThreatDataError> {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| ThreatDataError::Invalid {
                    file: "KEV",
                    line: 1,
                    problem: format!("missing column {name}"),
                })
        };
        let (c_id, c_vendor, c_product, c_name, c_added, c_due, c_ransom) = (
            col("cveID")?,
            col("vendorProject")?,
            col("product")?,
            col("vulnerabilityName")?,
            col("dateAdded")?,
            col("dueDate")?,
            col("knownRansomwareCampaignUse")?,
        );
        let mut entries = CveMap::default();
        let mut newest: Option<Date> = None;
        let mut rec = csv::StringRecord::new();
        while crate::csvcheck::next_record(&mut rdr, text.as_bytes(), &mut rec, true).map_err(
            |e| match e {
                crate::csvcheck::RecordError::Csv(source) => ThreatDataError::Csv {
                    file: "KEV",
                    line: source.position().map_or(0, csv::Position::line),
                    source,
                },
                crate::csvcheck::RecordError::Malformed { line, problem } => {
                    ThreatDataError::Invalid {
                        file: "KEV",
                        line,
                        problem,
                    }
                }
            },
        )? {
            let line = rec.position().map_or(0, csv::Position::line);
            let get = |i: usize| rec.get(i).unwrap_or("");
            check_cve_id(get(c_id), "KEV", line)?;
            if entries.get(get(c_id)).is_some() {
                return Err(ThreatDataError::Invalid {
                    file: "KEV",
                    line,
                    problem: format!("{} is listed twice", get(c_id)),
                });
            }
            let date_added = kev_date(get(c_added), line)?;
            newest = Some(newest.map_or(date_added, |d| d.max(date_added)));
            let entry = KevEntry {
                cve_id: get(c_id).to_owned(),
                vendor_project: get(c_vendor).to_owned(),
                product: get(c_product).to_owned(),
                vulnerability_name: get(c_name).to_owned(),
                date_added,
                due_date: match get(c_due) {
                    "" => None,
                    d => Some(kev_date(d, line)?),
                },
                known_ransomware: ransomware(Some(get(c_ransom)), line)?,
            };
            entries.insert(&entry.cve_id.clone(), entry);
        }
        let Some(newest) = newest else {
            return Err(ThreatDataError::Invalid {
                file: "KEV",
                line: 0,
                problem: "the catalog lists no vulnerability".to_owned(),
            });
        };
        let version = format!("{} (derived)", newest.to_string().replace('-', "."));
        let newest = Some(newest);
        Ok(Self {
            version,
            released: newest,
            entries,
        })
    }

    /// The catalog version (`catalogVersion`).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// When the catalog was released (`dateReleased`, or the newest
    /// `dateAdded` for CSV input).
    #[must_use]
    pub fn released(&self) -> Option<Date> {
        self.released
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when the catalog has no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// The entry for `cve` if it was in the catalog on `as_of` (entries
    /// added after `as_of` are ignored, so re-scoring a past date gives the
    /// same answer with a newer catalog).
    #[must_use]
    pub fn listed(&self, cve: &str, as_of: Date) -> Option<&KevEntry> {
        self.entries.get(cve).filter(|e| e.date_added <= as_of)
    }
}

/// One EPSS row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days, 0–1.
    pub epss: f64,
    /// Rank among all scored CVEs, 0–1.
    pub percentile: f64,
}

/// A FIRST EPSS snapshot.
///
/// # Examples
///
/// ```
/// use radguard_risk::EpssSnapshot;
///
/// let csv = "#model_version:v2025.03.14,score_date:2026-01-15T00:00:00+0000\n\
///            cve,epss,percentile\nCVE-2017-0144,0.94000,0.99900\n";
/// let epss = EpssSnapshot::from_csv(csv.as_bytes())?;
/// assert_eq!(epss.model_version(), "v2025.03.14");
/// assert_eq!(epss.score_date().to_string(), "2026-01-15");
/// assert_eq!(epss.get("CVE-2017-0144").map(|s| s.epss), Some(0.94));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct EpssSnapshot {
    model_version: String,
    score_date: Date,
    scores: CveMap<EpssScore>,
}

impl EpssSnapshot {
    /// Reads an EPSS CSV: the `#model_version:...,score_date:...` comment
    /// line, the `cve,epss,percentile` header, then one row per CVE.
    ///
    /// # Errors
    ///
    /// [`ThreatDataError`] when the comment line or header is missing, a
    /// row has a bad CVE id or a value outside 0–1, a CVE is scored twice,
    /// no CVE is scored, or the input is larger than
    /// [`MAX_EPSS_BYTES`](crate::limits::MAX_EPSS_BYTES).
    pub fn from_csv<R: Read>(reader: R) -> Result<Self, ThreatDataError> {
        let text = read_limited(reader, "EPSS", crate::limits::MAX_EPSS_BYTES)?;
        Self::from_csv_str(&text)
    }

    /// [`EpssSnapshot::from_csv`] on text already in memory.
    ///
    /// # Errors
    ///
    /// As [`EpssSnapshot::from_csv`].
    pub fn from_csv_str(text: &str) -> Result<Self, ThreatDataError> {
        if text.len() as u64 > crate::limits::MAX_EPSS_BYTES {
            return Err(ThreatDataError::TooLarge {
                file: "EPSS",
                limit: crate::limits::MAX_EPSS_BYTES,
            });
        }
        let bad = |line: u64, problem: String| ThreatDataError::Invalid {
            file: "EPSS",
            line,
            problem,
        };
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let meta = first.strip_prefix('#').ok_or_else(|| {
            bad(
                1,
                "missing the '#model_version:...,score_date:...' first line".to_owned(),
            )
        })?;
        let mut model_version = None;
        let mut score_date = None;
        for part in meta.split(',') {
            match part.split_once(':') {
                Some(("model_version", v)) => model_version = Some(v.trim().to_owned()),
                Some(("score_date", v)) => {
                    score_date =
                        Some(Date::parse_timestamp(v.trim()).map_err(|e| bad(1, e.to_string()))?);
                }
                _ => {}
            }
        }
        let model_version =
            model_version.ok_or_else(|| bad(1, "no model_version in the first line".to_owned()))?;
        let score_date =
            score_date.ok_or_else(|| bad(1, "no score_date in the first line".to_owned()))?;
        match lines.next().map(str::trim) {
            Some("cve,epss,percentile") => {}
            _ => {
                return Err(bad(
                    2,
                    "expected the header 'cve,epss,percentile'".to_owned(),
                ));
            }
        }
        // Rows are at least 20 bytes; the bound keeps a padded file from
        // reserving memory it never fills.
        let mut scores = CveMap::with_capacity((text.len() / 30).min(1 << 20));
        let mut first_line: CveMap<u64> = CveMap::with_capacity((text.len() / 30).min(1 << 20));
        for (i, row) in lines.enumerate() {
            let line = i as u64 + 3;
            let row = row.trim_end_matches('\r');
            if row.is_empty() {
                continue;
            }
            let mut it = row.split(',');
            let (Some(cve), Some(e), Some(p), None) = (it.next(), it.next(), it.next(), it.next())
            else {
                return Err(bad(
                    line,
                    "expected three fields: cve,epss,percentile".to_owned(),
                ));
            };
            check_cve_id(cve, "EPSS", line).or_else(|e| {
                // Fixture ids like CVE-FIXTURE-0001 are accepted as opaque
                // identifiers; anything else must look like a CVE.
                if cve.starts_with("CVE-") && cve.len() <= 40 && cve.is_ascii() {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            let parse01 = |s: &str, what: &str| -> Result<f64, ThreatDataError> {
                match s.parse::<f64>() {
                    Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
                    _ => Err(bad(
                        line,
                        format!(
                            "{what} {:?} is not a number between 0 and 1",
                            s.chars().take(24).collect::<String>()
                        ),
                    )),
                }
            };
            let score = EpssScore {
                epss: parse01(e, "epss")?,
                percentile: parse01(p, "percentile")?,
            };
            if let Some(first) = first_line.get(cve) {
                return Err(bad(
                    line,
                    format!("{cve} is scored twice (first on line {first})"),
                ));
            }
            first_line.insert(cve, line);
            scores.insert(cve, score);
        }
        if scores.len() == 0 {
            return Err(bad(2, "the snapshot scores no CVE".to_owned()));
        }
        Ok(Self {
            model_version,
            score_date,
            scores,
        })
    }

    /// The model version, e.g. `v2025.03.14`.
    #[must_use]
    pub fn model_version(&self) -> &str {
        &self.model_version
    }

    /// The score date.
    #[must_use]
    pub fn score_date(&self) -> Date {
        self.score_date
    }

    /// Number of scored CVEs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// `true` when no CVE is scored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scores.len() == 0
    }

    /// The score of `cve`.
    #[must_use]
    pub fn get(&self, cve: &str) -> Option<EpssScore> {
        self.scores.get(cve).copied()
    }
}

/// The threat data a scoring run uses.
///
/// Scoring without the KEV catalog reads every finding as "not known to be
/// exploited", and without EPSS as "no exploitation forecast": a Windows 7
/// CT with BlueKeep and EternalBlue drops from Critical to Medium. So
/// [`ThreatContext::check`] (which the CLI runs before scoring) fails
/// closed: a missing part is an error unless the caller waived it with
/// [`ThreatContext::without_kev`] / [`ThreatContext::without_epss`], and
/// every device then lists the missing data set in its input gaps.
///
/// # Examples
///
/// ```
/// use radguard_risk::{Date, ThreatContext, ThreatDataError};
///
/// let as_of = Date::parse("2026-01-15")?;
/// assert!(matches!(ThreatContext::new().check(as_of), Err(ThreatDataError::Missing { file: "KEV", .. })));
/// let waived = ThreatContext::new().without_kev().without_epss();
/// assert!(waived.check(as_of)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ThreatContext {
    /// The KEV catalog.
    pub kev: Option<KevCatalog>,
    /// The EPSS snapshot.
    pub epss: Option<EpssSnapshot>,
    /// Scoring without a KEV catalog was chosen deliberately.
    pub kev_waived: bool,
    /// Scoring without an EPSS snapshot was chosen deliberately.
    pub epss_waived: bool,
}

/// Threat data older than this many days before the evaluation date is
/// reported as stale.
pub const STALE_AFTER_DAYS: i64 = 30;

impl ThreatContext {
    /// A context with both parts absent.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// With a KEV catalog.
    #[must_use]
    pub fn with_kev(mut self, kev: KevCatalog) -> Self {
        self.kev = Some(kev);
        self
    }

    /// With an EPSS snapshot.
    #[must_use]
    pub fn with_epss(mut self, epss: EpssSnapshot) -> Self {
        self.epss = Some(epss);
        self
    }

    /// Scores without a KEV catalog, deliberately: [`ThreatContext::check`]
    /// accepts its absence and every assessment says it was waived.
    #[must_use]
    pub fn without_kev(mut self) -> Self {
        self.kev = None;
        self.kev_waived = true;
        self
    }

    /// Scores without an EPSS snapshot, deliberately (as
    /// [`ThreatContext::without_kev`]).
    #[must_use]
    pub fn without_epss(mut self) -> Self {
        self.epss = None;
        self.epss_waived = true;
        self
    }

    /// Checks that the data can be trusted for scoring on `as_of`, as a
    /// careful analyst would before reading the result.
    ///
    /// Returns the warnings a report should show: data more than
    /// [`STALE_AFTER_DAYS`] days older than `as_of`, a KEV catalog released
    /// after `as_of` (its later entries are ignored, but entries it dropped
    /// are not restored).
    ///
    /// # Errors
    ///
    /// - [`ThreatDataError::Missing`]: KEV or EPSS absent and not waived;
    /// - [`ThreatDataError::FromTheFuture`]: EPSS scores dated after
    ///   `as_of` (a forecast made later than the evaluation date);
    /// - [`ThreatDataError::ImplausibleDate`]: `as_of` before 1999 or after
    ///   2200.
    pub fn check(&self, as_of: Date) -> Result<Vec<String>, ThreatDataError> {
        if as_of.year() < 1999 || as_of.year() > 2200 {
            return Err(ThreatDataError::ImplausibleDate { as_of });
        }
        if self.kev.is_none() && !self.kev_waived {
            return Err(ThreatDataError::Missing {
                file: "KEV",
                consequence: "every finding would be scored as not known to be exploited",
            });
        }
        if self.epss.is_none() && !self.epss_waived {
            return Err(ThreatDataError::Missing {
                file: "EPSS",
                consequence: "every finding would be scored without an exploitation forecast",
            });
        }
        let mut warnings = Vec::new();
        if let Some(e) = &self.epss {
            if e.score_date() > as_of {
                return Err(ThreatDataError::FromTheFuture {
                    file: "EPSS",
                    dated: e.score_date(),
                    as_of,
                });
            }
            let age = as_of.days_since(e.score_date());
            if age > STALE_AFTER_DAYS {
                warnings.push(format!(
                    "EPSS scores dated {} are {age} days older than the evaluation date {as_of}",
                    e.score_date()
                ));
            }
        }
        if let Some(released) = self.kev.as_ref().and_then(KevCatalog::released) {
            let age = as_of.days_since(released);
            if age > STALE_AFTER_DAYS {
                warnings.push(format!(
                    "KEV catalog released {released} is {age} days older than the evaluation date {as_of}"
                ));
            } else if age < 0 {
                warnings.push(format!(
                    "KEV catalog released {released} is later than the evaluation date {as_of}: entries added after {as_of} are ignored, entries removed since are not restored"
                ));
            }
        }
        Ok(warnings)
    }
}

/// Reads at most `limit` bytes of text for `file`.
fn read_limited<R: Read>(
    reader: R,
    file: &'static str,
    limit: u64,
) -> Result<String, ThreatDataError> {
    crate::limits::read_to_string(reader, limit).map_err(|source| {
        if source.kind() == std::io::ErrorKind::FileTooLarge {
            ThreatDataError::TooLarge { file, limit }
        } else {
            ThreatDataError::Io { file, source }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epss_rejects_bad_rows() {
        let head = "#model_version:v1,score_date:2026-01-15T00:00:00Z\ncve,epss,percentile\n";
        assert!(EpssSnapshot::from_csv_str(&format!("{head}CVE-2020-0001,1.5,0.1\n")).is_err());
        assert!(EpssSnapshot::from_csv_str(&format!("{head}CVE-2020-0001,0.5\n")).is_err());
        assert!(EpssSnapshot::from_csv_str(&format!("{head}bogus,0.5,0.1\n")).is_err());
        assert!(EpssSnapshot::from_csv_str("cve,epss,percentile\n").is_err());
        let ok =
            EpssSnapshot::from_csv_str(&format!("{head}CVE-2020-0001,0.5,0.1\r\n")).expect("ok");
        assert_eq!(ok.len(), 1);
    }

    #[test]
    fn kev_csv_derives_a_version() {
        let csv = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\n\
                   CVE-2019-0708,Microsoft,RDS,BlueKeep,2021-11-03,d,a,2022-05-03,Known,,\"CWE-416, CWE-20\"\n";
        let kev = KevCatalog::from_csv(csv.as_bytes()).expect("csv");
        assert_eq!(kev.version(), "2021.11.03 (derived)");
        let e = kev
            .listed("CVE-2019-0708", Date::parse("2022-01-01").expect("date"))
            .expect("listed");
        assert!(e.known_ransomware);
        let bad = csv.replace("Known", "Maybe");
        assert!(KevCatalog::from_csv(bad.as_bytes()).is_err());
    }
}
