//! Why a vector string was rejected.

use crate::vector::MAX_VECTOR_LEN;

/// Why a vector string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CvssError {
    /// The string does not start with `CVSS:`.
    #[error("not a CVSS vector: it must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/")]
    MissingPrefix,
    /// `CVSS:x` with a version this crate does not score.
    #[error("unsupported CVSS version {version:?} (supported: 3.0, 3.1, 4.0)")]
    UnsupportedVersion {
        /// The version text (at most 8 characters).
        version: String,
    },
    /// Longer than [`MAX_VECTOR_LEN`].
    #[error("vector is {len} bytes long (at most {MAX_VECTOR_LEN})")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// `//`, a trailing `/` or nothing after the prefix.
    #[error("empty metric at position {position} (a doubled or trailing '/')")]
    EmptyComponent {
        /// 1-based index of the component after the prefix.
        position: usize,
    },
    /// A component without `:`.
    #[error("malformed component {component:?}: expected METRIC:VALUE")]
    Malformed {
        /// The component (at most 16 characters).
        component: String,
    },
    /// A metric name the version does not define.
    #[error("unknown metric {metric:?} for CVSS {version}")]
    UnknownMetric {
        /// The metric (at most 16 characters).
        metric: String,
        /// `"3.0"`, `"3.1"` or `"4.0"`.
        version: &'static str,
    },
    /// A value the metric does not allow.
    #[error("invalid value {value:?} for metric {metric} (allowed: {allowed})")]
    InvalidValue {
        /// The metric.
        metric: &'static str,
        /// The value (at most 16 characters).
        value: String,
        /// The allowed values, comma-separated.
        allowed: String,
    },
    /// A metric given twice.
    #[error("metric {metric} is given more than once")]
    Duplicate {
        /// The metric.
        metric: &'static str,
    },
    /// A mandatory (base) metric is missing.
    #[error("mandatory metric {metric} is missing")]
    MissingMetric {
        /// The metric.
        metric: &'static str,
    },
    /// v4.0: a metric after one that must follow it.
    #[error("metric {metric} is out of order: CVSS 4.0 requires it before {after}")]
    OutOfOrder {
        /// The misplaced metric.
        metric: &'static str,
        /// The metric it was found after.
        after: &'static str,
    },
}
