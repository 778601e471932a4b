//! Public API properties: thread safety, and error messages that say what
//! and where without repeating their source.

use std::error::Error as _;

use radguard_risk::{
    Assessment, Date, FleetReport, Inventory, InventoryError, KevCatalog, OsLifecycle, Scorer,
    ThreatContext, ThreatDataError, Weights,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn main_types_are_send_and_sync() {
    assert_send_sync::<Scorer>();
    assert_send_sync::<Inventory>();
    assert_send_sync::<Assessment>();
    assert_send_sync::<FleetReport>();
    assert_send_sync::<ThreatContext>();
    assert_send_sync::<KevCatalog>();
    assert_send_sync::<OsLifecycle>();
    assert_send_sync::<Weights>();
    assert_send_sync::<InventoryError>();
    assert_send_sync::<ThreatDataError>();
    assert_send_sync::<radguard_risk::cvss::Cvss>();
    let _ = Scorer::new(Date::from_ymd(2026, 1, 15).expect("date"));
}

/// No message in the chain contains the next one.
fn assert_said_once(err: &(dyn std::error::Error + 'static)) {
    let mut cur = err;
    while let Some(next) = cur.source() {
        let (outer, inner) = (cur.to_string(), next.to_string());
        assert!(!outer.contains(&inner), "{outer:?} repeats {inner:?}");
        cur = next;
    }
}

#[test]
fn errors_do_not_repeat_their_source() {
    let csv = Inventory::from_csv("id,class\na,ct\nb,mr,extra\n".as_bytes()).expect_err("csv");
    assert!(matches!(csv, InventoryError::Csv { line: 3, .. }), "{csv}");
    assert!(csv.source().is_some());
    assert_said_once(&csv);

    let json = Inventory::from_json(r#"{"devices":[{"id":"a","bogus":1}]}"#).expect_err("json");
    assert!(json.to_string().contains("unknown field `bogus`"), "{json}");
    assert_said_once(&json);

    let kev = KevCatalog::from_json("{").expect_err("kev");
    assert_said_once(&kev);
    let w = Weights::from_json(r#"{"nope":1}"#).expect_err("weights");
    assert_said_once(&w);
}
