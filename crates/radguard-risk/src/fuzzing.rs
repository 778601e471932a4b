//! Property checks for fuzz targets (`fuzz/fuzz_targets/risk_inventory.rs`).
//! Not part of the stable interface.

use crate::inventory::{Device, Inventory, InventoryError, MAX_TEXT};
use crate::limits::{MAX_LIST, MAX_YAML_DEPTH, yaml_depth};
use crate::{Date, Scorer, report};

/// Parses `data` as a CSV (first byte even) or YAML (odd) inventory and
/// checks what must hold for any input:
///
/// - YAML nested deeper than [`MAX_YAML_DEPTH`] is rejected before parsing;
/// - no record is lost: a CSV without quotes yields exactly one device per
///   non-blank line after the header, and every device id is in the input;
/// - every text and list field of an accepted inventory is within its
///   bound, and ids are unique after trimming and case folding;
/// - an accepted inventory round-trips through JSON, scores
///   deterministically, and its table has no control or bidirectional
///   character, its CSV one row per device.
///
/// # Panics
///
/// When a property fails (that is the point).
pub fn inventory(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = core::str::from_utf8(rest) else {
        return;
    };
    let parsed = if selector % 2 == 0 {
        Inventory::from_csv(text.as_bytes())
    } else {
        let r = Inventory::from_yaml(text);
        if yaml_depth(text) > MAX_YAML_DEPTH {
            assert!(
                matches!(r, Err(InventoryError::TooDeep { .. })),
                "deep YAML must be rejected before parsing"
            );
        }
        r
    };
    let Ok(inv) = parsed else {
        return;
    };
    if selector % 2 == 0 && !text.contains('"') {
        // Without quotes a record is a line: `\r`, `\n` and `\r\n` end
        // one, empty lines are skipped, the first is the header.
        let records = text
            .split(['\n', '\r'])
            .filter(|l| !l.is_empty())
            .count()
            .saturating_sub(1);
        assert_eq!(inv.devices.len(), records, "a CSV record was lost");
    }
    let mut keys = std::collections::HashSet::new();
    for d in &inv.devices {
        assert!(text.contains(d.id.trim()), "device id not from the input");
        assert!(
            keys.insert(d.id.trim().to_lowercase()),
            "duplicate id accepted"
        );
        check_bounds(d);
    }
    let again = Inventory::from_json(&inv.to_json()).expect("JSON of a parsed inventory parses");
    assert_eq!(again, inv);
    if inv.devices.len() <= 32 {
        let Some(as_of) = Date::from_ymd(2026, 1, 15) else {
            return;
        };
        let s = Scorer::new(as_of);
        let r = s.assess_inventory(&inv);
        assert_eq!(r, s.assess_inventory(&again));
        let table = report::table(&r);
        assert!(
            table
                .chars()
                .all(|c| c == '\n' || !radguard_core::is_unsafe_char(c)),
            "unsafe character in the table"
        );
        let csv = report::csv(&r);
        let rows = csv::Reader::from_reader(csv.as_bytes()).records().count();
        assert_eq!(rows, inv.devices.len(), "CSV report rows");
    }
}

fn check_bounds(d: &Device) {
    let texts = [
        Some(d.id.as_str()),
        d.site.as_deref(),
        d.manufacturer.as_deref(),
        d.model.as_deref(),
        d.serial.as_deref(),
        d.software_version.as_deref(),
        d.governance.owner.as_deref(),
        d.os.as_ref().map(|o| o.product.as_str()),
        d.os.as_ref().map(|o| o.version.as_str()),
    ];
    assert!(texts.iter().flatten().all(|t| t.len() <= MAX_TEXT));
    let e = &d.exposure;
    assert!(
        e.legacy_services
            .as_ref()
            .is_none_or(|v| v.len() <= MAX_LIST && v.iter().all(|t| t.len() <= MAX_TEXT))
    );
    assert!(
        e.expected_peers
            .as_ref()
            .is_none_or(|v| v.len() <= MAX_LIST)
    );
    assert!(
        e.observed_flows
            .as_ref()
            .is_none_or(|v| v.len() <= MAX_LIST)
    );
    assert!(d.findings.len() <= crate::MAX_FINDINGS_PER_DEVICE);
    assert!(d.findings.iter().all(|f| {
        f.id.len() <= 128
            && f.vex_justification
                .as_ref()
                .is_none_or(|t| t.len() <= MAX_TEXT)
    }));
}
