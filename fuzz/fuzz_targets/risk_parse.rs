//! Inventory and CVSS vector parsing on arbitrary bytes. Properties: no
//! panic; a vector that parses prints canonically to a string that parses
//! to the same metrics and score; an inventory that parses round-trips
//! through JSON unchanged and scores deterministically.
#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};
use radguard_risk::cvss::Cvss;
use radguard_risk::{Date, Inventory, InventoryFormat, Scorer};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Some((&selector, rest)) = data.split_first() else {
        return Corpus::Reject;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return Corpus::Reject;
    };
    match selector % 4 {
        0 => {
            for parse in [Cvss::parse, Cvss::parse_lenient] {
                if let Ok(v) = parse(text) {
                    let canonical = v.to_string();
                    let again = Cvss::parse(&canonical).expect("canonical form must parse strictly");
                    assert_eq!(again, v, "{text:?} -> {canonical:?}");
                    assert_eq!(again.score().to_bits(), v.score().to_bits());
                    assert!((0.0..=10.0).contains(&v.score()));
                }
            }
            Corpus::Keep
        }
        n => {
            let format = [InventoryFormat::Json, InventoryFormat::Yaml, InventoryFormat::Csv]
                [usize::from(n - 1)];
            let Ok(inv) = Inventory::parse(text, format) else {
                return Corpus::Keep;
            };
            let again = Inventory::from_json(&inv.to_json()).expect("JSON of a parsed inventory must parse");
            assert_eq!(again, inv);
            if inv.devices.len() <= 64 {
                let s = Scorer::new(Date::from_ymd(2026, 1, 15).expect("date"));
                let a = s.assess_inventory(&inv);
                assert_eq!(a, s.assess_inventory(&again));
                assert!(a.devices.iter().all(|d| d.score <= 100));
            }
            Corpus::Keep
        }
    }
});
