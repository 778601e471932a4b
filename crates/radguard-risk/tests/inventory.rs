//! Inventory parsing: JSON, YAML and CSV agree; unknown fields and columns
//! are errors naming them; unknown values are data gaps; MDS2 answers fill
//! unknown controls; CycloneDX VEX applies.

use radguard_risk::{
    Date, Inventory, InventoryFormat, Mds2Answer, RemoteAccess, Scorer, Tier, Tri, VexState, Zone,
};

const SCENARIOS: &str = include_str!("../../../tests/data/risk/reference-scenarios.yaml");
const SAMPLE_CSV: &str = include_str!("../../../tests/data/risk/sample-inventory.csv");

fn as_of() -> Date {
    Date::parse("2026-01-15").expect("date")
}

#[test]
fn yaml_and_json_are_the_same_schema() {
    let yaml = Inventory::from_yaml(SCENARIOS).expect("yaml");
    let json = Inventory::from_json(&yaml.to_json()).expect("json");
    assert_eq!(yaml, json);
    assert_eq!(yaml.devices.len(), 10);
    assert_eq!(yaml.as_of, Some(as_of()));
}

#[test]
fn csv_inventory_parses_with_lists_and_findings() {
    let inv = Inventory::from_csv(SAMPLE_CSV.as_bytes()).expect("csv");
    assert_eq!(inv.devices.len(), 5);
    let ct = &inv.devices[0];
    assert_eq!(ct.exposure.zone, Zone::ClinicalVlanNoAcl);
    assert_eq!(ct.exposure.remote_access, RemoteAccess::VendorAlwaysOn);
    assert_eq!(
        ct.exposure.legacy_services.as_deref(),
        Some(&["smb1".to_owned()][..])
    );
    assert_eq!(ct.findings[0].id, "CVE-2019-0708");
    assert!(ct.findings[0].cvss_v3.is_some());
    let mr = &inv.devices[1];
    assert_eq!(mr.exposure.observed_flows.as_ref().map(Vec::len), Some(2));
    // An all-empty row is a device with everything unknown.
    let ws = &inv.devices[3];
    assert_eq!(ws.exposure.zone, Zone::Unknown);
    assert!(ws.os.is_none());
    let a = Scorer::new(as_of()).assess(ws);
    assert!(
        a.data_gaps
            .iter()
            .any(|g| g.starts_with("exposure.zone unknown"))
    );
    assert!(a.data_gaps.iter().any(|g| g.starts_with("os unknown")));
    assert!(
        a.data_gaps
            .iter()
            .any(|g| g.starts_with("governance.owner unknown"))
    );
    // Unknown is never the best case: a device with nothing known scores
    // above the same device with everything known to be good.
    let mut good = ws.clone();
    good.exposure.zone = Zone::SegmentedAllowlist;
    good.exposure.remote_access = RemoteAccess::None;
    good.exposure.wireless = Tri::No;
    good.exposure.legacy_services = Some(Vec::new());
    good.controls.default_credentials = Tri::No;
    good.controls.malware_protection = Tri::Yes;
    good.data.stores_phi = Tri::No;
    good.governance.owner = Some("IT".to_owned());
    good.governance.patch_responsibility = radguard_risk::PatchResponsibility::Hdo;
    good.os = Some(radguard_risk::OsInfo::new(
        "Windows 11 IoT Enterprise LTSC 2024",
        "11-24h2-iot-lts",
    ));
    let sc = Scorer::new(as_of());
    assert!(
        sc.score(ws) > sc.score(&good) + 10,
        "{} vs {}",
        sc.score(ws),
        sc.score(&good)
    );
}

#[test]
fn unknown_fields_are_errors_that_name_the_field() {
    let cases = [
        (
            r#"{"devices":[{"id":"a","controls":{"defualt_credentials":"yes"}}]}"#,
            "defualt_credentials",
        ),
        (r#"{"devices":[{"id":"a","colour":"red"}]}"#, "colour"),
        (r#"{"devices":[{"id":"a"}],"extra":1}"#, "extra"),
        (
            r#"{"devices":[{"id":"a","exposure":{"zone":"flat","vlan":3}}]}"#,
            "vlan",
        ),
        (
            r#"{"devices":[{"id":"a","findings":[{"id":"CVE-1","score":9}]}]}"#,
            "score",
        ),
        (
            r#"{"devices":[{"id":"a","sbom":{"bomFormat":"CycloneDX","specVersion":"1.6","bogus":1}}]}"#,
            "bogus",
        ),
    ];
    for (text, field) in cases {
        let err = Inventory::from_json(text).expect_err(text).to_string();
        assert!(err.contains(field), "{text}: {err}");
    }
    let err = Inventory::from_csv("id,colour\na,red\n".as_bytes())
        .expect_err("csv")
        .to_string();
    assert!(err.contains("unknown column \"colour\""), "{err}");
}

#[test]
fn bad_values_are_errors() {
    let cases = [
        (
            r#"{"devices":[{"id":"a","exposure":{"zone":"moon"}}]}"#,
            "moon",
        ),
        (
            r#"{"devices":[{"id":"a","controls":{"default_credentials":"maybe"}}]}"#,
            "maybe",
        ),
        (
            r#"{"devices":[{"id":"a","findings":[{"id":"X","cvss_v3":"CVSS:3.1/AV:N"}]}]}"#,
            "mandatory metric AC is missing",
        ),
        (
            r#"{"devices":[{"id":"a","findings":[{"id":"X","cvss_v3":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]}]}"#,
            "use cvss_v4",
        ),
        (
            r#"{"devices":[{"id":"a","exposure":{"expected_peers":["10.0.0.0/33"]}}]}"#,
            "not an IP address or CIDR",
        ),
        (
            r#"{"devices":[{"id":"a","governance":{"planned_disposal":"2025-13-01"}}]}"#,
            "invalid date",
        ),
        (
            r#"{"devices":[{"id":"a"},{"id":"a"}]}"#,
            "duplicate device id",
        ),
        (r#"{"devices":[{"id":" "}]}"#, "not blank"),
        (
            r#"{"devices":[{"id":"a","mds2":{"XYZ-1":"yes"}}]}"#,
            "not an MDS2",
        ),
        (
            r#"{"devices":[{"id":"a","mds2":{"PAUT-5":"perhaps"}}]}"#,
            "MDS2 answer",
        ),
        (
            r#"{"devices":[{"id":"a","findings":[{"id":"X"},{"id":"X"}]}]}"#,
            "listed twice",
        ),
        (
            r#"{"devices":[{"id":"a","sbom":{"bomFormat":"SPDX","specVersion":"1"}}]}"#,
            "CycloneDX",
        ),
    ];
    for (text, needle) in cases {
        let err = Inventory::from_json(text).expect_err(text).to_string();
        assert!(err.contains(needle), "{text}: {err}");
    }
    let err = Inventory::from_csv("id,findings\na,CVE-1 cvss_v3=CVSS:3.1/AV:X\n".as_bytes())
        .expect_err("csv")
        .to_string();
    assert!(err.contains("CSV line 2, column findings"), "{err}");
    assert_eq!(
        InventoryFormat::from_extension("x.YML"),
        Some(InventoryFormat::Yaml)
    );
    assert_eq!(InventoryFormat::from_extension("x.txt"), None);
}

#[test]
fn mds2_answers_fill_unknown_values_only() {
    let inv = Inventory::from_yaml(
        r#"
devices:
  - id: A
    mds2: { PAUT-5: "no", shad-8: "yes", RMOT-1: "yes", RMOT-1.1: "no", CSUP-2.2: "yes", CSUP-2.4: "no" }
  - id: B
    controls: { default_credentials: no }
    exposure: { remote_access: none }
    mds2: { PAUT-5: "no", RMOT-1: "yes", RMOT-1.1: "no" }
"#,
    )
    .expect("yaml");
    assert_eq!(inv.devices[0].mds2.get("SAHD-8"), Some(&Mds2Answer::Yes));
    let s = Scorer::new(as_of());
    let a = s.assess(&inv.devices[0]);
    // PAUT-5 = no: hard-coded credentials, the default-credentials floor.
    assert!(
        a.floors
            .iter()
            .any(|f| f.rule == radguard_risk::FloorRule::DefaultCredentials)
    );
    assert!(
        a.factors
            .iter()
            .any(|f| f.code == "remote_access" && f.points == 22.0),
        "{:?}",
        a.factors
    );
    assert_eq!(
        a.patch_responsibility,
        radguard_risk::PatchResponsibility::Vendor
    );
    assert!(a.impact.contains("MDS2 PAUT-5 = no"));
    assert!(
        a.plan.iter().any(|p| p.title.contains("CSUP-2.4"))
            || a.plan.iter().all(|p| p.action.code() != "upgrade_os")
    );
    // The inventory's own values win over the MDS2.
    let b = s.assess(&inv.devices[1]);
    assert!(b.floors.is_empty(), "{:?}", b.floors);
}

#[test]
fn sbom_vex_merges_into_findings() {
    let inv = Inventory::from_yaml(SCENARIOS).expect("yaml");
    let s09 = inv
        .devices
        .iter()
        .find(|d| d.id.starts_with("S09"))
        .expect("S09");
    let log4j = s09
        .findings
        .iter()
        .find(|f| f.id == "CVE-2021-44228")
        .expect("merged");
    assert_eq!(log4j.vex, Some(VexState::NotAffected));
    assert_eq!(
        log4j.vex_justification.as_deref(),
        Some("code_not_reachable")
    );
    assert!(log4j.cvss_v3.is_some());
}

#[test]
fn csv_sample_scores_as_expected() {
    let inv = Inventory::from_csv(SAMPLE_CSV.as_bytes()).expect("csv");
    let kev = radguard_risk::KevCatalog::from_json(include_str!(
        "../../../tests/data/risk/kev-sample.json"
    ))
    .expect("kev");
    let s = Scorer::new(as_of()).with_threat(radguard_risk::ThreatContext::new().with_kev(kev));
    let r = s.assess_inventory(&inv);
    let tier = |id: &str| r.devices.iter().find(|d| d.device_id == id).expect(id).tier;
    assert_eq!(tier("CT-ED-01"), Tier::Critical);
    assert_eq!(tier("MR-OLD-03"), Tier::High);
    assert_eq!(tier("US-W3-07"), Tier::Medium);
    // The allowlisted flows are not indicators.
    assert!(r.devices.iter().all(|d| {
        d.floors
            .iter()
            .all(|f| !f.rule.code().starts_with("COMPROMISE"))
    }));
}
