//! `radguard risk`: the three subcommands end to end, exit codes, formats,
//! atomic no-clobber output and determinism for a given --as-of.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/risk")
        .join(name)
}

fn rg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .output()
        .expect("run radguard")
}

fn score_args(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "risk".into(),
        "score".into(),
        data("reference-scenarios.yaml").display().to_string(),
        "--kev".into(),
        data("kev-sample.json").display().to_string(),
        "--epss".into(),
        data("epss-sample.csv").display().to_string(),
        "--as-of".into(),
        "2026-01-15".into(),
    ];
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

fn run(args: &[String]) -> Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    rg(&a)
}

#[test]
fn score_table_lists_worst_first() {
    let o = run(&score_args(&[]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("10 devices: Critical 3, High 2, Medium 2, Low 3"),
        "{out}"
    );
    let first = out.lines().find(|l| l.starts_with("S0")).expect("rows");
    assert!(first.contains(" 90 Critical"), "{first}");
}

#[test]
fn score_json_is_deterministic_and_machine_readable() {
    let a = run(&score_args(&["--format", "json"]));
    let b = run(&score_args(&["--format", "json"]));
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("json");
    assert_eq!(v["as_of"], "2026-01-15");
    assert_eq!(v["devices"].as_array().map(Vec::len), Some(10));
    assert_eq!(v["devices"][0]["model_version"], "mirs-0.2");
    // The global --json flag gives the same document.
    let mut args = vec!["--json".to_owned()];
    args.extend(score_args(&[]));
    let c = run(&args);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&c.stdout).expect("json"),
        v
    );
}

#[test]
fn score_csv_and_html_to_files_never_clobber() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("r.csv");
    let path = csv.to_str().expect("utf8");
    let o = run(&score_args(&["--format", "csv", "-o", path]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.starts_with("device_id,class,manufacturer,model,os,site,owner,score,tier"));
    assert_eq!(text.lines().count(), 11);
    // Existing output: refused without --overwrite (exit 2), file untouched.
    let o = run(&score_args(&["--format", "csv", "-o", path]));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--overwrite"));
    assert_eq!(std::fs::read_to_string(&csv).expect("csv"), text);
    // An HTML report writes its full CSV next to it (r.html + r.csv): the
    // CSV exists, so nothing is written without --overwrite.
    let html_path = dir.path().join("r.html");
    let hp = html_path.to_str().expect("utf8");
    let o = run(&score_args(&["--format", "html", "-o", hp]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !html_path.exists(),
        "nothing written when one file is refused"
    );
    let o = run(&score_args(&["--format", "html", "-o", hp, "--overwrite"]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&html_path).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Content-Security-Policy"));
    assert!(
        html.contains("<a href='r.csv' download>"),
        "the page links its CSV"
    );
    assert_eq!(std::fs::read_to_string(&csv).expect("csv"), text);
    // An HTML report cannot be named .csv: its CSV would take its place.
    let o = run(&score_args(&[
        "--format",
        "html",
        "-o",
        path,
        "--overwrite",
    ]));
    assert_eq!(o.status.code(), Some(2));
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 2);
}

#[test]
fn fail_on_gates_on_tier() {
    let o = run(&score_args(&["--fail-on", "critical"]));
    assert_eq!(o.status.code(), Some(1));
    let o = run(&score_args(&["--fail-on", "high"]));
    assert_eq!(o.status.code(), Some(1));
    // The CSV sample without KEV data has no Critical device.
    let csv = data("sample-inventory.csv").display().to_string();
    let o = rg(&[
        "risk",
        "score",
        &csv,
        "--as-of",
        "2026-01-15",
        "--no-kev",
        "--no-epss",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("5 devices"));
}

#[test]
fn explain_one_device() {
    let inv = data("reference-scenarios.yaml").display().to_string();
    let kev = data("kev-sample.json").display().to_string();
    let o = rg(&[
        "risk",
        "explain",
        &inv,
        "S07-CT-INPATIENT",
        "--kev",
        &kev,
        "--no-epss",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("COMPROMISE_INDICATOR_EXTERNAL"), "{out}");
    assert!(out.contains("203.0.113.77"));
    let o = rg(&[
        "--json",
        "risk",
        "explain",
        &inv,
        "S01-CT-ED",
        "--kev",
        &kev,
        "--no-epss",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["tier"], "Critical");
    assert_eq!(v["deciding"]["rule"], "KEV_REACHABLE_BROAD_HIGH_IMPACT");
    let o = rg(&["risk", "explain", &inv, "NO-SUCH-DEVICE"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no device \"NO-SUCH-DEVICE\""));
}

#[test]
fn cvss_scores_and_rejects() {
    let o = rg(&[
        "risk",
        "cvss",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("7.5 High"));
    let o = rg(&[
        "--json",
        "risk",
        "cvss",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["score"], 9.3);
    assert_eq!(v["severity"], "Critical");
    assert_eq!(v["macro_vector"], "000200");
    let o = rg(&["risk", "cvss", "CVSS:3.1/AV:N/AC:L"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("mandatory metric PR is missing"));
}

#[test]
fn bad_inputs_are_setup_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("inv.json");
    std::fs::write(&bad, r#"{"devices":[{"id":"a","zone":"flat"}]}"#).expect("write");
    let p = bad.to_str().expect("utf8");
    let o = rg(&["risk", "score", p, "--as-of", "2026-01-15"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown field `zone`"));
    let o = rg(&["risk", "score", p, "--as-of", "15/01/2026"]);
    assert_eq!(o.status.code(), Some(2));
}
