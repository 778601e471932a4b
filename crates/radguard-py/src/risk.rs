//! Strict CVSS scoring and device risk scoring (MIRS) as the Python package
//! offers them: text in, JSON documents out (the CLI's `--json` output).

use radguard_risk::cvss::Cvss;
use radguard_risk::{
    Date, EpssSnapshot, Inventory, InventoryFormat, KevCatalog, Scorer, ThreatContext, Weights,
    report,
};
use serde_json::{Value, json};

use crate::{Failure, FailureKind};

/// Scores a CVSS v3.0/v3.1/v4.0 vector (strict: metrics in the
/// specification's order, each once; `lenient` accepts v4.0 metrics in
/// any order). The document is what `radguard risk cvss --json` prints.
///
/// # Errors
///
/// [`FailureKind::InvalidInput`] for a malformed vector.
pub fn cvss(vector: &str, lenient: bool) -> Result<Value, Failure> {
    let v = if lenient {
        Cvss::parse_lenient(vector.trim())
    } else {
        Cvss::parse(vector.trim())
    }
    .map_err(|e| {
        Failure::new(
            FailureKind::InvalidInput,
            "invalid_cvss",
            format!("invalid CVSS vector: {}", crate::chain(&e)),
        )
    })?;
    let mut doc = json!({
        "vector": v.to_string(),
        "version": v.version(),
        "score": v.score(),
        "severity": v.severity().as_str(),
    });
    match &v {
        Cvss::V3(x) => {
            doc["base_score"] = json!(x.base_score());
            doc["temporal_score"] = json!(x.temporal_score());
            doc["environmental_score"] = json!(x.environmental_score());
        }
        Cvss::V4(x) => {
            doc["macro_vector"] = json!(
                x.macro_vector()
                    .iter()
                    .map(u8::to_string)
                    .collect::<String>()
            );
        }
        _ => {}
    }
    Ok(doc)
}

/// The inputs of a scoring run, as text.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct ScoreInputs<'a> {
    /// The inventory.
    pub inventory: &'a str,
    /// Its format: `json`, `yaml` or `csv`.
    pub format: &'a str,
    /// The evaluation date (YYYY-MM-DD); default: the inventory's `as_of`.
    pub as_of: Option<&'a str>,
    /// A CISA KEV catalog, JSON.
    pub kev_json: Option<&'a str>,
    /// A CISA KEV catalog, CSV.
    pub kev_csv: Option<&'a str>,
    /// FIRST EPSS scores (CSV).
    pub epss_csv: Option<&'a str>,
    /// Site weights (JSON, partial allowed).
    pub weights_json: Option<&'a str>,
}

impl<'a> ScoreInputs<'a> {
    /// An inventory in `format`, nothing else.
    #[must_use]
    pub fn new(inventory: &'a str, format: &'a str) -> Self {
        Self {
            inventory,
            format,
            ..Self::default()
        }
    }
}

fn invalid(reason: &str, what: &str, e: &(dyn std::error::Error + 'static)) -> Failure {
    Failure::new(
        FailureKind::InvalidInput,
        reason,
        format!("invalid {what}: {}", crate::chain(e)),
    )
}

/// Scores every device of an inventory; the document is the CLI's
/// `radguard risk score --format json` report.
///
/// # Errors
///
/// [`FailureKind::InvalidInput`] naming the input at fault (an inventory
/// without `as_of` needs `as_of`, so that the result is reproducible).
pub fn score_inventory(i: &ScoreInputs<'_>) -> Result<Value, Failure> {
    let format = InventoryFormat::from_extension(&format!("x.{}", i.format)).ok_or_else(|| {
        Failure::new(
            FailureKind::InvalidInput,
            "invalid_parameter",
            format!("unknown inventory format {:?}: json, yaml or csv", i.format),
        )
    })?;
    let inv = Inventory::parse(i.inventory, format)
        .map_err(|e| invalid("invalid_inventory", "inventory", &e))?;
    let as_of = match (i.as_of, inv.as_of) {
        (Some(s), _) => Date::parse(s).map_err(|e| invalid("invalid_parameter", "as_of", &e))?,
        (None, Some(d)) => d,
        (None, None) => {
            return Err(Failure::new(
                FailureKind::InvalidInput,
                "invalid_parameter",
                "the inventory has no as_of date: pass as_of=\"YYYY-MM-DD\"",
            ));
        }
    };
    let mut threat = ThreatContext::new();
    if let Some(t) = i.kev_json {
        threat = threat.with_kev(
            KevCatalog::from_json(t).map_err(|e| invalid("invalid_kev", "KEV catalog", &e))?,
        );
    }
    if let Some(t) = i.kev_csv {
        threat = threat.with_kev(
            KevCatalog::from_csv(t.as_bytes())
                .map_err(|e| invalid("invalid_kev", "KEV catalog", &e))?,
        );
    }
    if let Some(t) = i.epss_csv {
        threat = threat.with_epss(
            EpssSnapshot::from_csv_str(t).map_err(|e| invalid("invalid_epss", "EPSS file", &e))?,
        );
    }
    let mut s = Scorer::new(as_of).with_threat(threat);
    if let Some(t) = i.weights_json {
        s = s.with_weights(
            Weights::from_json(t).map_err(|e| invalid("invalid_weights", "weights", &e))?,
        );
    }
    let text = report::json(&s.assess_inventory(&inv));
    serde_json::from_str(&text)
        .map_err(|e| Failure::new(FailureKind::Io, "encode_error", e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cvss_strict_and_scores() {
        let d = cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", false).unwrap();
        assert_eq!(d["score"], 9.8);
        assert_eq!(d["severity"], "Critical");
        let e = cvss("CVSS:3.1/AV:N/AC:L/PR:N", false).unwrap_err();
        assert_eq!(e.kind, FailureKind::InvalidInput);
        assert!(
            e.message.starts_with("invalid CVSS vector: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn scores_an_inventory() {
        let inv = "devices:\n  - id: CT-1\n    class: ct\n    findings:\n      - { id: CVE-2019-0708, cvss_v3: \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\" }\n";
        let mut i = ScoreInputs::new(inv, "yaml");
        assert!(score_inventory(&i).unwrap_err().message.contains("as_of"));
        i.as_of = Some("2026-01-15");
        let r = score_inventory(&i).unwrap();
        assert_eq!(r["devices"][0]["device_id"], "CT-1");
        i.format = "xml";
        assert_eq!(
            score_inventory(&i).unwrap_err().kind,
            FailureKind::InvalidInput
        );
    }
}
