//! `--audit FILE` on every command that reads or changes protected data:
//! each writes PHI-free JSON Lines records in one schema.
//!
//! Every test runs the command on a copy of a sample whose Patient's Name
//! and Patient ID are read from the file itself, then checks that the
//! audit file holds the expected records and neither value.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ok, s};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use radguard_dicom::tags;
use radguard_dicom::text::value_text;

fn radguard(cfg: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .env("XDG_CONFIG_HOME", cfg)
        .env_remove("RADGUARD_KEYRING")
        .env_remove("RADGUARD_DEID_KEY_FILE")
        .env_remove("RADGUARD_WIPE_SIGN_KEY")
        .output()
        .expect("run radguard")
}

/// The sample used everywhere: MR_small (Patient's Name "CompressedSamples^MR1").
const SAMPLE: &str = "pydicom/MR_small.dcm";

/// The sample's identifying values, read from the file (not hard-coded).
fn identity() -> Vec<String> {
    let f = radguard_dicom::open(radguard_testkit::sample(SAMPLE)).unwrap();
    let mut v: Vec<String> = [tags::PATIENT_NAME, tags::PATIENT_ID]
        .into_iter()
        .map(|t| value_text(f.dataset(), t))
        .filter(|v| v.len() >= 3)
        .collect();
    // Each name component too.
    let name = value_text(f.dataset(), tags::PATIENT_NAME);
    v.extend(name.split('^').filter(|c| c.len() >= 3).map(str::to_owned));
    assert!(!v.is_empty(), "the sample must carry a name or ID");
    v
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn p(&self, s: &str) -> PathBuf {
        self.dir.path().join(s)
    }
    fn cfg(&self) -> PathBuf {
        self.p("config")
    }
    /// A folder holding a copy of the sample.
    fn input(&self) -> PathBuf {
        let d = self.p("in");
        fs::create_dir_all(&d).unwrap();
        fs::copy(radguard_testkit::sample(SAMPLE), d.join("img.dcm")).unwrap();
        d
    }
    fn run(&self, args: &[&str]) -> Output {
        radguard(&self.cfg(), args)
    }
}

/// Parses the audit file, checks every record's schema and that no
/// identifying value of the sample is in it; returns the records.
fn records(audit: &Path) -> Vec<serde_json::Value> {
    let text = fs::read_to_string(audit).unwrap();
    for v in identity() {
        assert!(
            !text.to_lowercase().contains(&v.to_lowercase()),
            "audit holds an identifying value of the sample"
        );
    }
    let recs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!recs.is_empty());
    for r in &recs {
        assert_eq!(r["tool"], "radguard");
        assert!(r["operation"].is_string() && r["status"].is_string(), "{r}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(audit).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the audit file is private");
    }
    recs
}

fn ops(recs: &[serde_json::Value]) -> Vec<(String, String)> {
    recs.iter()
        .map(|r| {
            (
                r["operation"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn inspect_and_deid_audit() {
    let e = Env::new();
    let input = e.input();
    let audit = e.p("audit.jsonl");
    ok(&e.run(&["inspect", "--audit", s(&audit), s(&input.join("img.dcm"))]));
    let key = e.p("deid.key");
    fs::write(&key, [7u8; 32]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    }
    ok(&e.run(&[
        "deid",
        "-o",
        s(&e.p("out")),
        "--key-file",
        s(&key),
        "--audit",
        s(&audit),
        s(&input),
    ]));
    let recs = records(&audit);
    assert_eq!(
        ops(&recs),
        [
            ("inspect".to_owned(), "done".to_owned()),
            ("deidentify".to_owned(), "done".to_owned())
        ]
    );
    // The deid record says what was done, by counts.
    assert!(recs[1]["counts"]["X"].as_u64().unwrap() > 0);
    assert!(recs[1]["key_id"].as_str().unwrap().starts_with("k1-"));
}

#[test]
fn encrypt_decrypt_rotate_destroy_audit() {
    let e = Env::new();
    let input = e.input();
    let audit = e.p("audit.jsonl");
    let ring = e.p("ring");
    ok(&e.run(&["keys", "new", "--keyring", s(&ring)]));
    let enc = e.p("enc");
    ok(&e.run(&[
        "encrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&enc),
        "--audit",
        s(&audit),
        s(&input),
    ]));
    ok(&e.run(&[
        "decrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&e.p("dec")),
        "--audit",
        s(&audit),
        s(&enc),
    ]));
    ok(&e.run(&[
        "keys",
        "rotate",
        "--keyring",
        s(&ring),
        "--audit",
        s(&audit),
        s(&enc),
    ]));
    let recs = records(&audit);
    let old_key = recs[0]["key_id"].as_str().unwrap().to_owned();
    let new_key = recs[2]["key_id"].as_str().unwrap().to_owned();
    assert_ne!(old_key, new_key);
    ok(&e.run(&[
        "keys",
        "destroy",
        "--keyring",
        s(&ring),
        "--id",
        &old_key,
        "--yes",
        "--cert",
        s(&e.p("erase.json")),
        "--audit",
        s(&audit),
        s(&input),
    ]));
    let recs = records(&audit);
    assert_eq!(
        ops(&recs),
        [
            ("encrypt".to_owned(), "done".to_owned()),
            ("decrypt".to_owned(), "done".to_owned()),
            ("rewrap".to_owned(), "done".to_owned()),
            ("destroy_key".to_owned(), "done".to_owned()),
        ]
    );
    assert!(recs[0]["counts"]["pixel_bytes"].as_u64().unwrap() > 0);
    assert_eq!(recs[3]["key_id"], old_key.as_str());
}

#[test]
fn wipe_audit() {
    let e = Env::new();
    let input = e.input();
    let audit = e.p("audit.jsonl");
    ok(&e.run(&[
        "wipe",
        "--cert",
        s(&e.p("cert.json")),
        "--audit",
        s(&audit),
        s(&input.join("img.dcm")),
    ]));
    assert!(!input.join("img.dcm").exists());
    let recs = records(&audit);
    assert_eq!(ops(&recs), [("wipe".to_owned(), "done".to_owned())]);
    let size = fs::metadata(radguard_testkit::sample(SAMPLE))
        .unwrap()
        .len();
    assert_eq!(recs[0]["counts"]["bytes"].as_u64(), Some(size));
}

#[test]
fn risk_score_audit() {
    let e = Env::new();
    let audit = e.p("audit.jsonl");
    let data = radguard_testkit::workspace_root().join("tests/data/risk");
    let o = e.run(&[
        "risk",
        "score",
        s(&data.join("sample-inventory.csv")),
        "--kev",
        s(&data.join("kev-sample.json")),
        "--epss",
        s(&data.join("epss-sample.csv")),
        "--as-of",
        "2026-01-15",
        "--audit",
        s(&audit),
    ]);
    ok(&o);
    let recs = records(&audit);
    assert_eq!(ops(&recs), [("risk_score".to_owned(), "done".to_owned())]);
    let devices = recs[0]["counts"]["devices"].as_u64().unwrap();
    let tiers: u64 = ["tier_critical", "tier_high", "tier_medium", "tier_low"]
        .iter()
        .map(|t| recs[0]["counts"][t].as_u64().unwrap())
        .sum();
    assert!(devices > 0);
    assert_eq!(devices, tiers);
    // Counts only: no device id or address from the inventory.
    let text = fs::read_to_string(&audit).unwrap();
    let inventory = fs::read_to_string(data.join("sample-inventory.csv")).unwrap();
    let first_id = inventory
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .unwrap();
    assert!(first_id.len() >= 3);
    assert!(!text.contains(first_id), "device id in the audit");
}
