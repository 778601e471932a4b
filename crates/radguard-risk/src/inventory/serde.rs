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
///
/// A visitor rather than an untagged enum: an untagged enum buffers the
/// value and formats an error message for every variant it rejects, which
/// made these few fields a seventh of the parsing time of a large inventory.
fn yes_no_or_word<'de, D: Deserializer<'de>, T>(
    d: D,
    yes: T,
    no: T,
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
) -> Result<T, D::Error> {
    struct V<T> {
        yes: T,
        no: T,
        parse: fn(&str) -> Option<T>,
        expected: &'static str,
    }
    impl<T> serde::de::Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            // serde prefixes this with "expected".
            f.write_str(
                self.expected
                    .strip_prefix("expected ")
                    .unwrap_or("yes, no or unknown"),
            )
        }
        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<T, E> {
            Ok(if b { self.yes } else { self.no })
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
            (self.parse)(s)
                .ok_or_else(|| E::custom(format!("{}, found {:?}", self.expected, clip(s, 32))))
        }
    }
    d.deserialize_any(V {
        yes,
        no,
        parse,
        expected,
    })
}

/// Parsed vectors by their text, per thread: an inventory repeats the same
/// few hundred vectors across its findings, and parsing each once saves a
/// tenth of the time of reading a large one. Bounded; cleared when full.
fn parse_cvss_cached(s: &str) -> Result<Cvss, crate::cvss::CvssError> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static CACHE: RefCell<HashMap<Box<str>, Cvss>> = RefCell::new(HashMap::new());
    }
    if let Some(v) = CACHE.with(|c| c.borrow().get(s).cloned()) {
        return Ok(v);
    }
    let v = Cvss::parse(s)?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 4_096 {
            c.clear();
        }
        c.insert(Box::from(s), v.clone());
    });
    Ok(v)
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
    /// An optional vector, parsed from the text without copying it.
    struct Opt;
    /// The vector itself.
    struct Text;
    impl<'de> serde::de::Visitor<'de> for Opt {
        type Value = Option<Cvss>;
        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a CVSS vector string")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_str(Text).map(Some)
        }
    }
    impl serde::de::Visitor<'_> for Text {
        type Value = Cvss;
        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a CVSS vector string")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Cvss, E> {
            parse_cvss_cached(s).map_err(E::custom)
        }
    }
    d.deserialize_option(Opt)
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
