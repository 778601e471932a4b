//! Serde adapters: the text forms of inventory values (yes/no words, CVSS
//! vectors, addresses, MDS2 answers) in JSON and YAML.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::clip;
use super::model::{Mds2Answer, Tri};
use super::validate::normalize_mds2_id;
use crate::cvss::Cvss;

/// Deserializes a JSON/YAML boolean (`yes`/`no`) or a word that `parse`
/// accepts; anything else is an error starting with `expected`.
fn yes_no_or_word<'de, D: Deserializer<'de>, T>(
    d: D,
    yes: T,
    no: T,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<T, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        B(bool),
        S(String),
    }
    match Raw::deserialize(d)? {
        Raw::B(true) => Ok(yes),
        Raw::B(false) => Ok(no),
        Raw::S(s) => parse(&s)
            .ok_or_else(|| D::Error::custom(format!("{expected}, found {:?}", clip(&s, 32)))),
    }
}

impl Serialize for Tri {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for Tri {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yes_no_or_word(
            d,
            Self::Yes,
            Self::No,
            Self::parse,
            "expected yes, no or unknown",
        )
    }
}

impl<'de> Deserialize<'de> for Mds2Answer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yes_no_or_word(
            d,
            Self::Yes,
            Self::No,
            Self::parse,
            "MDS2 answer must be yes, no, n/a or unknown",
        )
    }
}

pub(super) fn de_cvss<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cvss>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|s| Cvss::parse(&s).map_err(D::Error::custom))
        .transpose()
}

pub(super) fn ser_cvss<S: Serializer>(v: &Option<Cvss>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(c) => s.collect_str(c),
        None => s.serialize_none(),
    }
}

pub(super) fn de_nets<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<IpNet>>, D::Error> {
    let v: Option<Vec<String>> = Option::deserialize(d)?;
    v.map(|v| {
        v.iter()
            .map(|s| parse_net(s).map_err(D::Error::custom))
            .collect()
    })
    .transpose()
}

pub(super) fn ser_nets<S: Serializer>(v: &Option<Vec<IpNet>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_seq(v.iter().map(ToString::to_string)),
        None => s.serialize_none(),
    }
}

pub(super) fn parse_net(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    t.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{:?} is not an IP address or CIDR block", clip(s, 64)))
}

pub(super) fn de_mds2<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Mds2Answer>, D::Error> {
    let raw: BTreeMap<String, Mds2Answer> = BTreeMap::deserialize(d)?;
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let id = normalize_mds2_id(&k).map_err(D::Error::custom)?;
        if out.insert(id.clone(), v).is_some() {
            return Err(D::Error::custom(format!(
                "MDS2 question {id} answered twice"
            )));
        }
    }
    Ok(out)
}
