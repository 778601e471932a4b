//! The part of a CycloneDX (1.4–1.6) BOM the model reads: vulnerabilities
//! with their ratings (CVSS vectors) and VEX analysis, and the component
//! types they affect.
//!
//! Fields that CycloneDX defines but the model does not use are accepted
//! and kept as JSON values; a field CycloneDX does not define at these
//! levels is an error, as for the rest of the inventory.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cvss::Cvss;
use crate::inventory::{Component, Finding, Tri, VexState};

/// A CycloneDX BOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Bom {
    /// JSON schema reference.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// Must be `CycloneDX`.
    pub bom_format: String,
    /// `1.4`, `1.5` or `1.6`.
    pub spec_version: String,
    /// `urn:uuid:...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<Value>,
    /// BOM version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Value>,
    /// Metadata (the device itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Components (OS, libraries, firmware).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Value>,
    /// Services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Value>,
    /// External references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_references: Option<Value>,
    /// Dependency graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Value>,
    /// Compositions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compositions: Option<Value>,
    /// Properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    /// Vulnerabilities with VEX analysis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
    /// Formulation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formulation: Option<Value>,
    /// Declarations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declarations: Option<Value>,
    /// Definitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definitions: Option<Value>,
    /// Signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Value>,
}

/// A CycloneDX vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
#[allow(missing_docs)] // CycloneDX field names
pub struct Vulnerability {
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<Value>,
    /// The identifier (CVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Value>,
    /// Ratings, with CVSS vectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workaround: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_of_concept: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisories: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Value>,
    /// The VEX analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
    /// Affected components (`ref` to a component `bom-ref`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affects: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
}

/// A CycloneDX rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[allow(missing_docs)] // CycloneDX field names
pub struct Rating {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Value>,
    /// `CVSSv31`, `CVSSv3`, `CVSSv4`, ... (others are ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<Value>,
}

/// A CycloneDX VEX analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
#[allow(missing_docs)] // CycloneDX field names
pub struct Analysis {
    /// The VEX state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<VexState>,
    /// The justification (e.g. `code_not_reachable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_issued: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<Value>,
}

impl Bom {
    /// The vulnerabilities as findings. A vector in a rating whose method is
    /// `CVSSv3`, `CVSSv31` or `CVSSv4` is parsed strictly (the `CVSS:x/`
    /// prefix is added when the BOM leaves it out).
    ///
    /// # Errors
    ///
    /// A message naming the vulnerability when the BOM is not CycloneDX, a
    /// vulnerability has no id, or a vector does not parse.
    pub fn findings(&self) -> Result<Vec<Finding>, String> {
        if self.bom_format != "CycloneDX" {
            return Err(format!(
                "sbom: bomFormat must be CycloneDX, found {:?}",
                self.bom_format.chars().take(32).collect::<String>()
            ));
        }
        let mut out = Vec::with_capacity(self.vulnerabilities.len());
        for (i, v) in self.vulnerabilities.iter().enumerate() {
            let id =
                v.id.clone()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| format!("sbom: vulnerabilities[{i}] has no id"))?;
            let mut f = Finding::new(id.clone());
            for r in &v.ratings {
                let prefix = match r.method.as_deref() {
                    Some("CVSSv31") => "CVSS:3.1/",
                    Some("CVSSv3") => "CVSS:3.0/",
                    Some("CVSSv4") => "CVSS:4.0/",
                    _ => continue,
                };
                let Some(vector) = r.vector.as_deref() else {
                    continue;
                };
                let full = if vector.starts_with("CVSS:") {
                    vector.to_owned()
                } else {
                    format!("{prefix}{vector}")
                };
                let c = Cvss::parse(&full).map_err(|e| format!("sbom: {id}: {e}"))?;
                f = f.with_cvss(c);
            }
            if let Some(a) = &v.analysis {
                f.vex = a.state;
                f.vex_justification.clone_from(&a.justification);
            }
            f.component = self.component_of(v);
            f.fix_available = Tri::Unknown;
            out.push(f);
        }
        Ok(out)
    }

    fn component_of(&self, v: &Vulnerability) -> Component {
        let refs: Vec<&str> = v
            .affects
            .as_ref()
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.get("ref")?.as_str()).collect())
            .unwrap_or_default();
        let Some(components) = self.components.as_ref().and_then(Value::as_array) else {
            return Component::Application;
        };
        let os = components.iter().any(|c| {
            c.get("type").and_then(Value::as_str) == Some("operating-system")
                && c.get("bom-ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| refs.contains(&r))
        });
        let fw = components.iter().any(|c| {
            c.get("type").and_then(Value::as_str) == Some("firmware")
                && c.get("bom-ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| refs.contains(&r))
        });
        if os {
            Component::Os
        } else if fw {
            Component::Firmware
        } else {
            Component::Application
        }
    }
}

/// Merges SBOM findings into the inventory's own: a finding with the same
/// id keeps its own values and takes from the SBOM only what it leaves
/// unknown (vectors, VEX state, component); other SBOM findings are added.
/// Idempotent.
pub(crate) fn merge(findings: &mut Vec<Finding>, from_sbom: Vec<Finding>) {
    for s in from_sbom {
        if let Some(f) = findings.iter_mut().find(|f| f.id == s.id) {
            if f.cvss_v3.is_none() {
                f.cvss_v3 = s.cvss_v3;
            }
            if f.cvss_v4.is_none() {
                f.cvss_v4 = s.cvss_v4;
            }
            if f.vex.is_none() {
                f.vex = s.vex;
                if f.vex_justification.is_none() {
                    f.vex_justification = s.vex_justification;
                }
            }
            if f.component == Component::Unknown {
                f.component = s.component;
            }
        } else {
            findings.push(s);
        }
    }
}
