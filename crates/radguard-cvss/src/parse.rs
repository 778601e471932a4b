//! `METRIC:VALUE/...` bodies, parsed against and written from a table of
//! metric definitions (shared by v3 and v4).

use core::fmt;

use crate::error::CvssError;

/// One metric of a version: name, allowed values (index 0 is `X` for
/// optional metrics), and whether it is mandatory.
pub(crate) struct MetricDef {
    pub(crate) name: &'static str,
    pub(crate) values: &'static [&'static str],
    pub(crate) mandatory: bool,
}

impl MetricDef {
    /// A metric named `name` taking `values`.
    pub(crate) const fn new(
        name: &'static str,
        values: &'static [&'static str],
        mandatory: bool,
    ) -> Self {
        Self {
            name,
            values,
            mandatory,
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(16).collect()
}

/// Parses `METRIC:VALUE/...` against `defs`. Returns value indices per
/// metric (0 for an absent optional metric, which is `X`).
pub(crate) fn parse_components<const N: usize>(
    body: &str,
    defs: &[MetricDef; N],
    version: &'static str,
    ordered: bool,
) -> Result<[u8; N], CvssError> {
    let mut out = [0u8; N];
    let mut seen = [false; N];
    let mut last: Option<usize> = None;
    for (i, comp) in body.split('/').enumerate() {
        if comp.is_empty() {
            return Err(CvssError::EmptyComponent { position: i + 1 });
        }
        let Some((name, value)) = comp.split_once(':') else {
            return Err(CvssError::Malformed {
                component: clip(comp),
            });
        };
        let Some(idx) = defs.iter().position(|d| d.name == name) else {
            return Err(CvssError::UnknownMetric {
                metric: clip(name),
                version,
            });
        };
        let def = &defs[idx];
        if seen[idx] {
            return Err(CvssError::Duplicate { metric: def.name });
        }
        if ordered && let Some(prev) = last.filter(|p| *p > idx) {
            return Err(CvssError::OutOfOrder {
                metric: def.name,
                after: defs[prev].name,
            });
        }
        let Some(v) = def.values.iter().position(|x| *x == value) else {
            return Err(CvssError::InvalidValue {
                metric: def.name,
                value: clip(value),
                allowed: def.values.join(", "),
            });
        };
        seen[idx] = true;
        last = Some(last.map_or(idx, |p| p.max(idx)));
        // Value tables have at most 6 entries.
        out[idx] = u8::try_from(v).unwrap_or(u8::MAX);
    }
    for (i, def) in defs.iter().enumerate() {
        if def.mandatory && !seen[i] {
            return Err(CvssError::MissingMetric { metric: def.name });
        }
    }
    Ok(out)
}

/// Writes `prefix` then every mandatory metric and every optional metric
/// whose value is not `X` (index 0), in definition order.
pub(crate) fn write_components(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    defs: &[MetricDef],
    values: &[u8],
) -> fmt::Result {
    f.write_str(prefix)?;
    let mut first = true;
    for (def, &v) in defs.iter().zip(values) {
        if !def.mandatory && v == 0 {
            continue;
        }
        if !first {
            f.write_str("/")?;
        }
        first = false;
        write!(f, "{}:{}", def.name, def.values[usize::from(v)])?;
    }
    Ok(())
}
