//! Model properties over random devices:
//!
//! 1. adding a KEV finding never lowers the score;
//! 2. a more segmented zone never raises it;
//! 3. fixing a finding never raises it;
//! 4. a VEX `not_affected` finding changes nothing;
//!
//! plus determinism and a JSON round trip of the inventory.

use proptest::prelude::*;
use radguard_risk::cvss::Cvss;
use radguard_risk::ssvc::{MissionImpact, SafetyImpact};
use radguard_risk::{
    Component, Date, Device, EpssSnapshot, Finding, Inventory, KevCatalog, PatchResponsibility,
    RemoteAccess, Scorer, ThreatContext, Tri, VexState, Zone,
};

const KEV: &str = include_str!("../../../tests/data/risk/kev-sample.json");
const EPSS: &str = include_str!("../../../tests/data/risk/epss-sample.csv");
/// CVEs in the KEV sample.
const KEV_IDS: [&str; 8] = [
    "CVE-2020-0796",
    "CVE-2017-0144",
    "CVE-2014-6271",
    "CVE-2021-44228",
    "CVE-2017-0143",
    "CVE-2019-0708",
    "CVE-2021-34527",
    "CVE-2020-1472",
];

fn scorer() -> Scorer {
    Scorer::new(Date::parse("2026-01-15").expect("date")).with_threat(
        ThreatContext::new()
            .with_kev(KevCatalog::from_json(KEV).expect("kev"))
            .with_epss(EpssSnapshot::from_csv(EPSS.as_bytes()).expect("epss")),
    )
}

fn tri() -> impl Strategy<Value = Tri> {
    prop_oneof![Just(Tri::Yes), Just(Tri::No), Just(Tri::Unknown)]
}

fn zone() -> impl Strategy<Value = Zone> {
    prop_oneof![
        Just(Zone::Internet),
        Just(Zone::Dmz),
        Just(Zone::Flat),
        Just(Zone::ClinicalVlanNoAcl),
        Just(Zone::SegmentedAllowlist),
        Just(Zone::Isolated),
        Just(Zone::Standalone),
        Just(Zone::Unknown),
    ]
}

fn remote() -> impl Strategy<Value = RemoteAccess> {
    prop_oneof![
        Just(RemoteAccess::None),
        Just(RemoteAccess::VendorVpnMfaOnDemand),
        Just(RemoteAccess::VendorAlwaysOn),
        Just(RemoteAccess::RdpVncExposed),
        Just(RemoteAccess::Unknown),
    ]
}

const VECTORS: [&str; 8] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:A/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N/E:P",
    "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
    "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U",
];

fn finding() -> impl Strategy<Value = Finding> {
    (
        prop_oneof![
            (0usize..KEV_IDS.len()).prop_map(|i| KEV_IDS[i].to_owned()),
            (0usize..50).prop_map(|i| format!("CVE-2099-{:04}", i + 1000)),
        ],
        proptest::option::of(0usize..VECTORS.len()),
        prop_oneof![
            Just(None),
            Just(Some(VexState::Exploitable)),
            Just(Some(VexState::InTriage)),
            Just(Some(VexState::NotAffected)),
            Just(Some(VexState::Resolved)),
        ],
        prop_oneof![
            Just(Component::Os),
            Just(Component::Application),
            Just(Component::Unknown)
        ],
    )
        .prop_map(|(id, v, vex, component)| {
            let mut f = Finding::new(id).with_component(component);
            if let Some(i) = v {
                f = f.with_cvss(Cvss::parse(VECTORS[i]).expect("vector"));
            }
            f.vex = vex;
            f
        })
}

fn device() -> impl Strategy<Value = Device> {
    (
        (
            zone(),
            remote(),
            tri(),
            tri(),
            proptest::option::of(proptest::bool::ANY),
        ),
        (tri(), tri(), tri(), tri(), tri()),
        (
            proptest::option::of(0usize..4),
            proptest::option::of(0usize..4),
            proptest::option::of(0u64..5000),
            tri(),
        ),
        (
            proptest::bool::ANY,
            prop_oneof![
                Just(PatchResponsibility::Vendor),
                Just(PatchResponsibility::Unknown)
            ],
            proptest::bool::ANY,
            tri(),
            proptest::option::of(0usize..4),
        ),
        proptest::collection::vec(finding(), 0..6),
    )
        .prop_map(|(x, c, d, g, findings)| {
            let mut dev = Device::new("P-1");
            dev.exposure.zone = x.0;
            dev.exposure.remote_access = x.1;
            dev.exposure.internet_reachable = x.2;
            dev.exposure.wireless = x.3;
            dev.exposure.legacy_services = x.4.map(|b| {
                if b {
                    vec!["smb1".to_owned()]
                } else {
                    Vec::new()
                }
            });
            dev.controls.default_credentials = c.0;
            dev.controls.malware_protection = c.1;
            dev.controls.encryption_in_transit = c.2;
            dev.controls.encryption_at_rest = c.3;
            dev.controls.app_allowlisting = c.4;
            dev.clinical.safety_impact = d.0.map(|i| SafetyImpact::ALL[i]);
            dev.clinical.mission_impact = d.1.map(|i| MissionImpact::ALL[i]);
            if let Some(p) = d.2 {
                dev.data.phi_patients = Some(p);
                if p > 0 {
                    dev.data.stores_phi = Tri::Yes;
                }
            } else {
                dev.data.stores_phi = d.3;
            }
            if g.0 {
                dev.governance.owner = Some("Radiology".to_owned());
            }
            dev.governance.patch_responsibility = g.1;
            dev.governance.decommissioning = g.2;
            dev.governance.wipe_verified = g.3;
            dev.os = g.4.map(|i| {
                let (p, v) = [
                    ("Windows 7", "SP1"),
                    ("Windows 10 Enterprise LTSC 2019", "10-1809-e-lts"),
                    ("Windows XP Embedded", "SP3"),
                    ("Plan 9", "4"),
                ][i];
                radguard_risk::OsInfo::new(p, v)
            });
            // Unique finding ids.
            let mut seen = std::collections::HashSet::new();
            dev.findings = findings
                .into_iter()
                .filter(|f| seen.insert(f.id.clone()))
                .collect();
            dev
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn adding_a_kev_finding_never_lowers_the_score(d in device(), k in 0usize..KEV_IDS.len(), v in 0usize..VECTORS.len()) {
        let s = scorer();
        let mut d2 = d;
        d2.findings.retain(|f| f.id != KEV_IDS[k]);
        let without = s.score(&d2);
        d2.findings.push(Finding::new(KEV_IDS[k]).with_cvss(Cvss::parse(VECTORS[v]).expect("v")));
        let with = s.score(&d2);
        prop_assert!(with >= without, "adding {} lowered {} -> {}", KEV_IDS[k], without, with);
    }

    #[test]
    fn a_more_segmented_zone_never_raises_the_score(d in device()) {
        let s = scorer();
        let mut prev: Option<u8> = None;
        for z in Zone::ORDERED {
            let mut d2 = d.clone();
            d2.exposure.zone = z;
            let score = s.score(&d2);
            if let Some(p) = prev {
                prop_assert!(score <= p, "zone {z} raised {p} -> {score}");
            }
            prev = Some(score);
        }
    }

    #[test]
    fn fixing_a_finding_never_raises_the_score(d in device(), pick in any::<prop::sample::Index>(), how in 0u8..2) {
        prop_assume!(!d.findings.is_empty());
        let s = scorer();
        let before = s.score(&d);
        let i = pick.index(d.findings.len());
        let mut d2 = d;
        if how == 0 {
            d2.findings.remove(i);
        } else {
            d2.findings[i].vex = Some(VexState::Resolved);
        }
        prop_assert!(s.score(&d2) <= before);
    }

    #[test]
    fn a_vex_not_affected_finding_changes_nothing(d in device(), k in 0usize..KEV_IDS.len(), v in 0usize..VECTORS.len()) {
        let s = scorer();
        let mut d = d;
        d.findings.retain(|f| f.id != KEV_IDS[k]);
        let a = s.assess(&d);
        let mut d2 = d.clone();
        d2.findings.push(
            Finding::new(KEV_IDS[k])
                .with_cvss(Cvss::parse(VECTORS[v]).expect("v"))
                .with_vex(VexState::NotAffected),
        );
        let b = s.assess(&d2);
        prop_assert_eq!(a.score, b.score);
        prop_assert_eq!(a.tier, b.tier);
        prop_assert_eq!(a.components, b.components);
        prop_assert_eq!(&a.factors, &b.factors);
        prop_assert_eq!(&a.floors, &b.floors);
        prop_assert_eq!(a.ssvc.device, b.ssvc.device);
        prop_assert_eq!(a.plan.len(), b.plan.len());
    }

    #[test]
    fn scoring_is_deterministic_and_plans_only_lower(d in device()) {
        let s = scorer();
        let a = s.assess(&d);
        prop_assert_eq!(&a, &s.assess(&d));
        prop_assert_eq!(a.score, s.score(&d));
        let mut cur = a.score;
        for step in &a.plan {
            prop_assert_eq!(step.before, cur);
            prop_assert!(step.after <= step.before);
            cur = step.after;
        }
    }

    #[test]
    fn inventory_json_round_trips(d in device()) {
        let inv = Inventory::new(vec![d]);
        let again = Inventory::from_json(&inv.to_json()).expect("re-parse");
        prop_assert_eq!(inv, again);
    }
}
