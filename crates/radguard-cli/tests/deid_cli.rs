//! `radguard deid` end to end: separate processes, exit codes, audit log,
//! no PHI in what the tool prints or writes besides the outputs.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn radguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .output()
        .unwrap()
}

fn samples() -> PathBuf {
    radguard_testkit::samples_dir()
}

/// Relative path -> bytes of every file under `dir`.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walk(dir) {
        out.insert(
            e.strip_prefix(dir).unwrap().to_path_buf(),
            std::fs::read(&e).unwrap(),
        );
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn key_file(dir: &Path, byte: u8) -> PathBuf {
    let p = dir.join(format!("key{byte}"));
    std::fs::write(&p, hex(&[byte; 32])).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn same_key_same_output_in_any_order_and_any_split() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), 1);
    let data = samples();
    // One process for the whole folder, all cores.
    let a = dir.path().join("a");
    let o = radguard(&[
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&a),
        "--key-file",
        s(&key),
        "--allow-burned-in",
        s(&data),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "DICOMDIR is refused: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // One process per file, in reverse order, single-threaded, into a folder
    // that mirrors the first run's layout.
    let b = dir.path().join("b");
    let inputs: Vec<PathBuf> = radguard_testkit::samples().into_iter().rev().collect();
    for f in &inputs {
        let rel = f.strip_prefix(&data).unwrap();
        let out = b.join(rel.parent().unwrap());
        let _ = radguard(&[
            "deid",
            "--layout",
            "mirror",
            "-j",
            "1",
            "-o",
            s(&out),
            "--key-file",
            s(&key),
            "--allow-burned-in",
            s(f),
        ]);
    }
    let (ta, tb) = (tree(&a), tree(&b));
    assert!(ta.len() >= 25, "{}", ta.len());
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(v == &tb[k], "{} differs between runs", k.display());
    }
    // Another key: every output differs.
    let key2 = key_file(dir.path(), 2);
    let c = dir.path().join("c");
    let _ = radguard(&[
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&c),
        "--key-file",
        s(&key2),
        "--allow-burned-in",
        s(&data),
    ]);
    let tc = tree(&c);
    for (k, v) in &ta {
        assert!(v != &tc[k], "{} identical under two keys", k.display());
    }
}

#[test]
fn exit_codes_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), 3);
    let ok = radguard(&[
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&dir.path().join("o1")),
        "--key-file",
        s(&key),
        s(&radguard_testkit::sample("pydicom/MR_small.dcm")),
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // Burned-in annotation: refused, exit 1, no output, reason given.
    let out = dir.path().join("o2");
    let r = radguard(&[
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&out),
        "--key-file",
        s(&key),
        s(&radguard_testkit::sample("dicognito/burned_in_yes.dcm")),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("Burned In Annotation"));
    assert!(walk(&out).is_empty());
    // Usage errors: exit 2.
    assert_eq!(
        radguard(&["deid", "--option", "retain-everything", "-o", "x", "y"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(radguard(&["deid", "y"]).status.code(), Some(2));
    assert_eq!(
        radguard(&[
            "deid",
            "--layout",
            "mirror",
            "-o",
            "x",
            "--option",
            "retain-long-full-dates",
            "--option",
            "retain-long-modified-dates",
            "y"
        ])
        .status
        .code(),
        Some(2)
    );
    // A key file others can read is a setup error.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = radguard(&[
            "deid",
            "--layout",
            "mirror",
            "-o",
            s(&dir.path().join("o3")),
            "--key-file",
            s(&key),
            s(&radguard_testkit::sample("pydicom/MR_small.dcm")),
        ]);
        assert_eq!(r.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&r.stderr).contains("chmod 600"));
    }
}

#[test]
fn inputs_untouched_outputs_never_clobbered_no_phi_printed() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), 4);
    let src = radguard_testkit::sample("dicognito/p01_s01_s01_i01.dcm");
    let before = std::fs::read(&src).unwrap();
    let original = radguard_dicom::open(&src).unwrap();
    let name = original
        .dataset()
        .get(dicom_dictionary_std::tags::PATIENT_NAME)
        .unwrap()
        .to_str()
        .unwrap()
        .into_owned();
    let pid = original
        .dataset()
        .get(dicom_dictionary_std::tags::PATIENT_ID)
        .unwrap()
        .to_str()
        .unwrap()
        .into_owned();
    let out = dir.path().join("out");
    let audit = dir.path().join("audit.jsonl");
    let r = radguard(&[
        "--json",
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&out),
        "--key-file",
        s(&key),
        "--audit",
        s(&audit),
        s(&src),
    ]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(std::fs::read(&src).unwrap(), before, "input modified");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    let log = std::fs::read_to_string(&audit).unwrap();
    for secret in [name.trim(), pid.trim()] {
        assert!(!printed.contains(secret), "{secret} printed");
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
    // The JSON summary and the audit record agree.
    let summary: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(summary["done"], 1);
    let rec: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(rec["status"], "done");
    assert_eq!(rec["key_id"], summary["key_id"]);
    assert!(rec["counts"]["X"].as_u64().unwrap() > 0);
    assert_eq!(
        rec["digests"]["study_instance_uid"].as_str().unwrap().len(),
        64
    );
    // A second run does not overwrite the output.
    let first = std::fs::read(out.join("p01_s01_s01_i01.dcm")).unwrap();
    let key2 = key_file(dir.path(), 5);
    let r = radguard(&[
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&out),
        "--key-file",
        s(&key2),
        s(&src),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(
        std::fs::read(out.join("p01_s01_s01_i01.dcm")).unwrap(),
        first
    );
    // ... unless asked.
    let r = radguard(&[
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&out),
        "--key-file",
        s(&key2),
        "--overwrite",
        s(&src),
    ]);
    assert_eq!(r.status.code(), Some(0));
    assert_ne!(
        std::fs::read(out.join("p01_s01_s01_i01.dcm")).unwrap(),
        first
    );
}

#[test]
fn no_key_means_a_random_key_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let src = radguard_testkit::sample("pydicom/MR_small.dcm");
    let run = |o: &str| {
        let r = Command::new(env!("CARGO_BIN_EXE_radguard"))
            .args([
                "deid",
                "--layout",
                "mirror",
                "-o",
                s(&dir.path().join(o)),
                s(&src),
            ])
            .env_remove("RADGUARD_DEID_KEY_FILE")
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&r.stderr).contains("random per-run key"));
        std::fs::read(dir.path().join(o).join("MR_small.dcm")).unwrap()
    };
    assert_ne!(
        run("x"),
        run("y"),
        "two runs without a key must not be linkable"
    );
}

#[test]
fn explain_names_the_rule() {
    let r = radguard(&[
        "deid",
        "--explain",
        "(0008,0020)",
        "--option",
        "retain-long-modified-dates",
    ]);
    assert_eq!(r.status.code(), Some(0));
    let t = String::from_utf8_lossy(&r.stdout);
    assert!(
        t.contains("Study Date") && t.contains("Basic Profile: Z") && t.contains("effective: C"),
        "{t}"
    );
    let r = radguard(&["--json", "deid", "--explain", "0010,0020"]);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["basic"], "Z/D");
}
