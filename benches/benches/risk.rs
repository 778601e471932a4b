//! radguard-risk throughput, each against a baseline measured in the same run.
//!
//! - `fleet`: 100,000 devices with 10 findings each, scored with explanations
//!   and remediation plans on one core (target < 2 s), against serialising the
//!   same inventory to JSON with serde_json; and the summary rows alone
//!   (`Scorer::fleet`, what the table, CSV and HTML summary need).
//!   `benches/risk_scale.py` measures the CLI end to end, files to reports.
//! - `threat_ingest`: a synthetic full-size KEV catalog (1,500 entries, JSON)
//!   and EPSS file (300,000 rows) ingested (target < 1 s), against reading the
//!   same bytes with serde_json::Value and the csv crate.
//!
//! `cargo bench -p radguard-benches --bench risk`

// A benchmark prints its figures; the PRNG narrows on purpose.
#![allow(clippy::print_stdout, clippy::cast_possible_truncation)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use radguard_risk::cvss::Cvss;
use radguard_risk::ssvc::{MissionImpact, SafetyImpact};
use radguard_risk::{
    Component, Date, Device, DeviceClass, EpssSnapshot, Finding, Inventory, KevCatalog, OsInfo,
    RemoteAccess, Scorer, ThreatContext, Tri, Zone,
};

/// A small deterministic PRNG (xorshift64*), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const N_CVES: usize = 300_000;
const N_KEV: usize = 1_500;

fn cve(i: usize) -> String {
    format!("CVE-{}-{:05}", 2000 + i % 26, i)
}

fn kev_json() -> String {
    let mut s = String::from(
        r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.01.14","dateReleased":"2026-01-14T17:00:00.000Z","count":1500,"vulnerabilities":["#,
    );
    for i in 0..N_KEV {
        if i > 0 {
            s.push(',');
        }
        // Every 200th CVE of the EPSS range is in KEV.
        let _ = write!(
            s,
            r#"{{"cveID":"{}","vendorProject":"Vendor {}","product":"Product {}","vulnerabilityName":"Synthetic vulnerability {i}","dateAdded":"2022-0{}-1{}","shortDescription":"A synthetic entry of realistic size for benchmarking the catalog reader; it says nothing true.","requiredAction":"Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.","dueDate":"2022-1{}-1{}","knownRansomwareCampaignUse":"{}","notes":"https://example.invalid/advisory/{i}","cwes":["CWE-{}"]}}"#,
            cve(i * 200),
            i % 97,
            i % 89,
            1 + i % 9,
            i % 10,
            i % 3,
            i % 10,
            if i % 5 == 0 { "Known" } else { "Unknown" },
            20 + i % 900
        );
    }
    s.push_str("]}");
    s
}

fn epss_csv() -> String {
    let mut s = String::from(
        "#model_version:v2025.03.14,score_date:2026-01-15T00:00:00+0000\ncve,epss,percentile\n",
    );
    let mut rng = Rng(0x5eed);
    for i in 0..N_CVES {
        let e = (rng.below(100_000) as f64 / 100_000.0).powi(3);
        let _ = writeln!(s, "{},{e:.5},{:.5}", cve(i), i as f64 / N_CVES as f64);
    }
    s
}

const VECTORS: [&str; 10] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P",
    "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
    "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:L/SI:L/SA:N/E:U",
];

fn fleet(n: usize) -> Inventory {
    let vectors: Vec<Cvss> = VECTORS
        .iter()
        .map(|v| Cvss::parse(v).expect("vector"))
        .collect();
    let mut rng = Rng(42);
    let zones = [
        Zone::Internet,
        Zone::Flat,
        Zone::ClinicalVlanNoAcl,
        Zone::SegmentedAllowlist,
        Zone::Standalone,
        Zone::Unknown,
    ];
    let remotes = [
        RemoteAccess::None,
        RemoteAccess::VendorVpnMfaOnDemand,
        RemoteAccess::VendorAlwaysOn,
        RemoteAccess::Unknown,
    ];
    let tris = [Tri::Yes, Tri::No, Tri::Unknown];
    let oses = [
        ("Windows 7", "SP1"),
        ("Windows 10 Enterprise LTSC 2019", "10-1809-e-lts"),
        ("Windows XP Embedded", "SP3"),
        ("Windows 10 IoT Enterprise LTSC 2021", "10-21h2-iot-lts"),
        ("Red Hat Enterprise Linux", "7"),
    ];
    let classes = [
        DeviceClass::Ct,
        DeviceClass::Mr,
        DeviceClass::Us,
        DeviceClass::XrDr,
        DeviceClass::Workstation,
        DeviceClass::Pacs,
    ];
    let devices = (0..n)
        .map(|i| {
            let mut d = Device::new(format!("DEV-{i:06}"));
            d.class = classes[rng.below(classes.len())];
            d.site = Some(format!("Site {}", rng.below(12)));
            let (p, v) = oses[rng.below(oses.len())];
            d.os = Some(OsInfo::new(p, v));
            d.exposure.zone = zones[rng.below(zones.len())];
            d.exposure.remote_access = remotes[rng.below(remotes.len())];
            d.exposure.wireless = tris[rng.below(3)];
            d.controls.default_credentials = tris[rng.below(3)];
            d.controls.malware_protection = tris[rng.below(3)];
            d.controls.encryption_in_transit = tris[rng.below(3)];
            d.data.stores_phi = tris[rng.below(3)];
            d.clinical.safety_impact = Some(SafetyImpact::ALL[rng.below(4)]);
            d.clinical.mission_impact = Some(MissionImpact::ALL[rng.below(4)]);
            if rng.below(2) == 0 {
                d.governance.owner = Some(format!("Team {}", rng.below(20)));
            }
            for k in 0..10 {
                // One CVE in ten drawn from the KEV range.
                let id = if rng.below(10) == 0 {
                    cve(rng.below(N_KEV) * 200)
                } else {
                    cve(rng.below(N_CVES))
                };
                let mut f = Finding::new(id).with_cvss(vectors[rng.below(vectors.len())].clone());
                if k % 3 == 0 {
                    f = f.with_component(Component::Os);
                }
                if !d.findings.iter().any(|x| x.id == f.id) {
                    d.findings.push(f);
                }
            }
            d
        })
        .collect();
    Inventory::new(devices)
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn bench(c: &mut Criterion) {
    // Threat data.
    let kev_text = kev_json();
    let epss_text = epss_csv();
    let ingest = || {
        let kev = KevCatalog::from_json(black_box(&kev_text)).expect("kev");
        let epss = EpssSnapshot::from_csv_str(black_box(&epss_text)).expect("epss");
        (kev, epss)
    };
    let baseline_ingest = || {
        let v: serde_json::Value = serde_json::from_str(black_box(&kev_text)).expect("json");
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(black_box(epss_text.as_bytes()));
        let rows = rdr.records().filter_map(Result::ok).count();
        (v, rows)
    };
    let ((kev, epss), t_ingest) = time(ingest);
    let (_, t_base_ingest) = time(baseline_ingest);
    assert_eq!((kev.len(), epss.len()), (N_KEV, N_CVES));

    // Fleet.
    let inv = fleet(100_000);
    let scorer = Scorer::new(Date::parse("2026-01-15").expect("date"))
        .with_threat(ThreatContext::new().with_kev(kev).with_epss(epss));
    let (report, t_fleet) = time(|| scorer.assess_inventory(black_box(&inv)));
    let (json, t_base_fleet) = time(|| serde_json::to_string(black_box(&inv)).expect("json"));
    let findings: usize = inv.devices.iter().map(|d| d.findings.len()).sum();
    let steps: usize = report.devices.iter().map(|d| d.plan.len()).sum();
    println!(
        "risk/fleet one-shot: {} devices, {findings} findings, {steps} plan steps scored in {:.3} s (budget 2 s: {:.2}x of budget); \
         baseline serde_json::to_string of the inventory ({} MB) {:.3} s; ratio {:.2}",
        report.devices.len(),
        t_fleet.as_secs_f64(),
        t_fleet.as_secs_f64() / 2.0,
        json.len() / 1_000_000,
        t_base_fleet.as_secs_f64(),
        t_fleet.as_secs_f64() / t_base_fleet.as_secs_f64()
    );
    println!(
        "risk/threat_ingest one-shot: KEV {N_KEV} entries ({} KB) + EPSS {N_CVES} rows ({} MB) in {:.3} s (budget 1 s: {:.2}x of budget); \
         baseline serde_json::Value + csv records {:.3} s; ratio {:.2}",
        kev_text.len() / 1000,
        epss_text.len() / 1_000_000,
        t_ingest.as_secs_f64(),
        t_ingest.as_secs_f64(),
        t_base_ingest.as_secs_f64(),
        t_ingest.as_secs_f64() / t_base_ingest.as_secs_f64()
    );
    let (fleet_rows, t_rows) = time(|| scorer.fleet(black_box(&inv)));
    println!(
        "risk/fleet_rows one-shot: {} summary rows (score, tier, SSVC, first step; what the table, CSV and HTML summary need) in {:.3} s; \
         ratio to full assessments with plans {:.2}",
        fleet_rows.rows.len(),
        t_rows.as_secs_f64(),
        t_rows.as_secs_f64() / t_fleet.as_secs_f64()
    );
    drop(fleet_rows);
    drop(report);

    let mut g = c.benchmark_group("risk_threat_ingest");
    g.sample_size(10);
    g.bench_function("baseline_serde_value_and_csv", |b| b.iter(baseline_ingest));
    g.bench_function("kev_1500_epss_300k", |b| b.iter(ingest));
    g.finish();

    let mut g = c.benchmark_group("risk_fleet_100k_x10");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("baseline_serde_json_to_string", |b| {
        b.iter(|| serde_json::to_string(black_box(&inv)).expect("json"));
    });
    g.bench_function("fleet_rows", |b| {
        b.iter_with_large_drop(|| scorer.fleet(black_box(&inv)));
    });
    g.bench_function("assess_inventory_with_plans", |b| {
        // Dropping 100,000 assessments is not scoring: keep it out of the timing.
        b.iter_with_large_drop(|| scorer.assess_inventory(black_box(&inv)));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
