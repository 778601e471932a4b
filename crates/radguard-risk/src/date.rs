//! Calendar dates (`YYYY-MM-DD`), the only notion of time in the model.

use core::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date without time zone, written `YYYY-MM-DD`.
///
/// Every time-dependent rule of the model (OS support windows, KEV entries
/// added later, planned disposal, vendor support end) compares against an
/// explicit `as_of` date, never the clock: the same inputs and the same
/// `as_of` give the same score.
///
/// # Examples
///
/// ```
/// use radguard_risk::Date;
///
/// let d = Date::parse("2026-01-15")?;
/// assert_eq!(d.to_string(), "2026-01-15");
/// assert!(Date::parse("2026-02-30").is_err());
/// assert!(Date::parse("15/01/2026").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

/// A string that is not a valid `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {text:?}: expected YYYY-MM-DD")]
pub struct DateError {
    /// The rejected text (at most 32 characters).
    pub text: String,
}

impl Date {
    /// Parses `YYYY-MM-DD` exactly (ten characters, a real calendar day).
    ///
    /// # Errors
    ///
    /// [`DateError`] for anything else.
    pub fn parse(s: &str) -> Result<Self, DateError> {
        let err = || DateError {
            text: s.chars().take(32).collect(),
        };
        let b = s.as_bytes();
        if b.len() != 10
            || b[4] != b'-'
            || b[7] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        {
            return Err(err());
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| err())
    }

    /// Parses the date at the start of an ISO 8601 timestamp
    /// (`2025-09-03T12:55:00Z`, `2026-01-15T00:00:00+0000`, or a bare date).
    ///
    /// # Errors
    ///
    /// [`DateError`] when the first ten characters are not a date.
    pub fn parse_timestamp(s: &str) -> Result<Self, DateError> {
        let head = s.get(..10).unwrap_or(s);
        let rest = s.get(10..).unwrap_or("");
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return Err(DateError {
                text: s.chars().take(32).collect(),
            });
        }
        Self::parse(head)
    }

    /// A date from year, month and day, if it exists.
    #[must_use]
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Self)
    }

    /// The date `days` after 1970-01-01 (for callers that read a clock;
    /// this crate never does).
    #[must_use]
    pub fn from_unix_days(days: i64) -> Option<Self> {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
        epoch
            .checked_add_signed(chrono::TimeDelta::try_days(days)?)
            .map(Self)
    }

    /// Days from `earlier` to `self` (negative when `self` is earlier).
    #[must_use]
    pub fn days_since(self, earlier: Self) -> i64 {
        (self.0 - earlier.0).num_days()
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.0.year()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl core::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
