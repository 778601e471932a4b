//! `radguard risk` on the inputs of issue 15, end to end: it fails closed on
//! missing or doubtful threat data, never loses a record, bounds what it
//! reads (a gzip bomb included), escapes what reaches the terminal, and
//! writes reports that scale (streamed JSON and JSON Lines, an HTML page
//! with its full CSV next to it).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/risk")
        .join(name)
        .display()
        .to_string()
}

fn rg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .output()
        .expect("run radguard")
}

/// `radguard risk score INVENTORY` on 2026-01-15 without threat data
/// (waived).
fn score_waived(inventory: &str) -> Output {
    rg(&[
        "risk",
        "score",
        inventory,
        "--as-of",
        "2026-01-15",
        "--no-kev",
        "--no-epss",
    ])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// Without --kev the Windows 7 CT with BlueKeep and EternalBlue dropped
/// from Critical 85 to Medium 54 with exit code 0 and no warning.
#[test]
fn missing_threat_data_is_an_error_unless_waived() {
    let inv = data("reference-scenarios.yaml");
    let o = rg(&["risk", "score", &inv, "--as-of", "2026-01-15"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("no KEV data supplied") && e.contains("--no-kev"),
        "{e}"
    );
    let kev = data("kev-sample.json");
    let o = rg(&[
        "risk",
        "score",
        &inv,
        "--as-of",
        "2026-01-15",
        "--kev",
        &kev,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no EPSS data supplied"),
        "{}",
        stderr(&o)
    );

    let o = rg(&[
        "--json",
        "risk",
        "score",
        &inv,
        "--as-of",
        "2026-01-15",
        "--no-kev",
        "--no-epss",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: scoring without a KEV catalog (--no-kev)"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let devices = v["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 10);
    for d in devices {
        let gaps = d["input_gaps"].to_string();
        assert!(gaps.contains("KEV catalog not used (waived)"), "{gaps}");
        assert!(gaps.contains("EPSS snapshot not used (waived)"), "{gaps}");
    }
    // A waiver and the file at once is a usage error.
    let o = rg(&["risk", "score", &inv, "--kev", &kev, "--no-kev"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn doubtful_threat_data_and_dates_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = data("reference-scenarios.yaml");
    let kev = data("kev-sample.json");
    let epss = std::fs::read_to_string(data("epss-sample.csv")).expect("epss");
    // The reference scenarios with the sample KEV and this EPSS file.
    let with_epss = |epss: &str| {
        rg(&[
            "risk",
            "score",
            &inv,
            "--as-of",
            "2026-01-15",
            "--kev",
            &kev,
            "--epss",
            epss,
        ])
    };
    let later = write(
        dir.path(),
        "later.csv",
        &epss.replace("2026-01-15T", "2026-02-20T"),
    );
    let o = with_epss(later.to_str().expect("utf8"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("EPSS data dated 2026-02-20 is later than the evaluation date 2026-01-15"),
        "{}",
        stderr(&o)
    );
    let dup = write(
        dir.path(),
        "dup.csv",
        &format!("{epss}CVE-2017-0144,0.5,0.5\n"),
    );
    let o = with_epss(dup.to_str().expect("utf8"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("scored twice"), "{}", stderr(&o));
    for date in ["0001-01-01", "2999-01-01"] {
        let o = rg(&[
            "risk",
            "score",
            &inv,
            "--as-of",
            date,
            "--no-kev",
            "--no-epss",
        ]);
        assert_eq!(o.status.code(), Some(2), "{date}");
    }
    let o = rg(&[
        "risk",
        "score",
        &inv,
        "--as-of",
        "2999-01-01",
        "--no-kev",
        "--no-epss",
    ]);
    assert!(stderr(&o).contains("is in the future"), "{}", stderr(&o));
}

/// A 3 MB gzip EPSS file drove memory to 3.2 GB.
#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bomb = dir.path().join("epss.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(b"#model_version:v1,score_date:2026-01-15T00:00:00Z\ncve,epss,percentile\n")
        .expect("write");
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..80 {
        gz.write_all(&zeros).expect("write");
    }
    gz.finish().expect("finish");
    assert!(std::fs::metadata(&bomb).expect("meta").len() < 1 << 20);
    let o = rg(&[
        "risk",
        "score",
        &data("reference-scenarios.yaml"),
        "--as-of",
        "2026-01-15",
        "--no-kev",
        "--epss",
        bomb.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is larger than 64 MiB once decompressed"),
        "{}",
        stderr(&o)
    );
}

/// An unterminated quote in the last column swallowed the rest of the
/// file: 3 devices in, 1 scored, exit code 0.
#[test]
fn a_malformed_csv_inventory_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = write(
        dir.path(),
        "inv.csv",
        "id,class,owner\nCT-1,ct,\"Radiology\nMR-2,mr,Imaging\nUS-3,us,Wards\n",
    );
    let o = score_waived(inv.to_str().expect("utf8"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("CSV line 2"), "{}", stderr(&o));
    let dup = write(dir.path(), "dup.csv", "id,class\nCT-1,ct\nct-1 ,mr\n");
    let o = score_waived(dup.to_str().expect("utf8"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("duplicate device id"), "{}", stderr(&o));
}

/// Control characters in device names reached the terminal raw.
#[test]
fn terminal_output_carries_no_control_or_bidi_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = write(
        dir.path(),
        "inv.json",
        r#"{"devices":[{"id":"CT-\u202efdp.exe","manufacturer":"Evil\u001b[2J\u001b]0;pwned\u0007","model":"M\rX","os":{"product":"Windows 7","version":"SP1"}}]}"#,
    );
    let p = inv.to_str().expect("utf8");
    for args in [
        vec![
            "risk",
            "score",
            p,
            "--as-of",
            "2026-01-15",
            "--no-kev",
            "--no-epss",
        ],
        vec![
            "risk",
            "explain",
            p,
            "CT-\u{202e}fdp.exe",
            "--as-of",
            "2026-01-15",
            "--no-kev",
            "--no-epss",
        ],
        vec![
            "risk",
            "explain",
            p,
            "NO-\u{1b}[2J",
            "--as-of",
            "2026-01-15",
            "--no-kev",
            "--no-epss",
        ],
    ] {
        let o = rg(&args);
        for text in [
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        ] {
            for c in text.chars() {
                assert!(
                    c == '\n' || !radguard_core::is_unsafe_char(c),
                    "{c:?} reached the terminal: {text}"
                );
            }
        }
    }
}

/// The streamed JSON is the same document as `--json`; JSON Lines has one
/// full assessment per device.
#[test]
fn json_is_streamed_and_json_lines_has_one_device_per_line() {
    let common = [
        "risk",
        "score",
        &data("reference-scenarios.yaml"),
        "--kev",
        &data("kev-sample.json"),
        "--epss",
        &data("epss-sample.csv"),
        "--as-of",
        "2026-01-15",
    ]
    .map(str::to_owned);
    let run = |extra: &[&str], global_json: bool| {
        let mut args: Vec<&str> = Vec::new();
        if global_json {
            args.push("--json");
        }
        args.extend(common.iter().map(String::as_str));
        args.extend(extra);
        rg(&args)
    };
    let a = run(&["--format", "json"], false);
    assert!(a.status.success(), "{}", stderr(&a));
    let b = run(&[], true);
    let va: serde_json::Value = serde_json::from_slice(&a.stdout).expect("json");
    let vb: serde_json::Value = serde_json::from_slice(&b.stdout).expect("json");
    assert_eq!(va, vb);
    let l = run(&["--format", "jsonl"], false);
    assert!(l.status.success(), "{}", stderr(&l));
    let text = String::from_utf8(l.stdout).expect("utf8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|x| serde_json::from_str(x).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0], va["devices"][0]);
    assert_eq!(lines[0]["manufacturer"], serde_json::Value::Null);
    assert_eq!(lines[2]["manufacturer"], "Example Imaging");
}

/// A large fleet: the HTML page lists the worst devices and links the full
/// CSV, which has every device.
#[test]
fn a_large_fleet_gets_a_bounded_page_and_a_full_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut json = String::from(r#"{"devices":["#);
    for i in 0..2_500 {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            r#"{{"id":"D{i:05}","manufacturer":"Maker {m}","model":"Model {m}","os":{{"product":"Windows 7","version":"SP1"}},"exposure":{{"zone":"{z}"}},"findings":[{{"id":"CVE-2019-0708","cvss_v3":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]}}"#,
            m = i % 7,
            z = ["flat", "internet", "segmented_allowlist", "standalone"][i % 4]
        ));
    }
    json.push_str("]}");
    let inv = write(dir.path(), "fleet.json", &json);
    let html = dir.path().join("fleet.html");
    let o = rg(&[
        "risk",
        "score",
        inv.to_str().expect("utf8"),
        "--kev",
        &data("kev-sample.json"),
        "--no-epss",
        "--as-of",
        "2026-01-15",
        "--format",
        "html",
        "--html-rows",
        "500",
        "--html-details",
        "20",
        "-o",
        html.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("The 500 highest-scoring of 2500 devices"));
    assert_eq!(page.matches("<details id=").count(), 20);
    assert!(page.contains("<a href='fleet.csv' download>"));
    assert!(page.contains("Maker 0") && page.contains("Windows 7 SP1"));
    let csv = std::fs::read_to_string(dir.path().join("fleet.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 2_501);
}

/// The explanation shows the base, temporal and environmental scores.
#[test]
fn explain_shows_all_three_cvss_v3_scores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = write(
        dir.path(),
        "inv.yaml",
        "devices:\n  - id: WS-1\n    findings:\n      - { id: CVE-2024-0001, cvss_v3: \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U\" }\n",
    );
    let o = rg(&[
        "risk",
        "explain",
        inv.to_str().expect("utf8"),
        "WS-1",
        "--as-of",
        "2026-01-15",
        "--no-kev",
        "--no-epss",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("CVSS  7.8"), "{out}");
    assert!(
        out.contains("temporal score used; base 9.8, temporal 7.8, environmental 7.8"),
        "{out}"
    );
    let o = rg(&[
        "risk",
        "cvss",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("7.8 High"));
}
