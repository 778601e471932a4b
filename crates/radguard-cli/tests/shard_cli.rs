//! `radguard deid --shard I/N` and `radguard merge`: N separate processes,
//! one per shard, together write exactly the files one run writes (same
//! names, same bytes), and their merged audit files and mapping folders
//! equal the single run's, for N = 1, 2, 3 and 7.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{ok, s};

fn radguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .env_remove("RADGUARD_DEID_KEY_FILE")
        .output()
        .expect("run radguard")
}

/// A tree of distinct instances (each SOP Instance UID once, so that no
/// two inputs aim at one output), a non-DICOM file and a truncated file.
fn input_tree(dir: &Path) -> PathBuf {
    let root = dir.join("in");
    let distinct = [
        "deid-data/ctbrain1.dcm",
        "dicognito/CT_small_deflated.dcm",
        "dicognito/p01_s01_s01_i01.dcm",
        "pydicom/JPEG2000.dcm",
        "pydicom/liver_1frame.dcm",
        "pydicom/chrH31.dcm",
        "pydicom/rtplan.dcm",
        "pydicom/test-SR.dcm",
        "pydicom/examples_ybr_color.dcm",
        "pydicom-data/emri_small.dcm",
    ];
    for rel in distinct {
        let to = root.join("site-a").join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(radguard_testkit::sample(rel), to).unwrap();
    }
    // 40 more instances of one MR series: the sample with its SOP Instance
    // UID's last component changed (same length, so the file stays valid).
    let mr = fs::read(radguard_testkit::sample("pydicom/MR_small.dcm")).unwrap();
    let uid = b"1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457";
    for i in 0..40u32 {
        let new = format!("1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.{}", 6000 + i);
        let bytes = replace_all(&mr, uid, new.as_bytes());
        let to = root.join(format!("site-b/series{}/im{i:03}.dcm", i % 3));
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::write(to, bytes).unwrap();
    }
    fs::write(root.join("site-b/notes.txt"), b"not a DICOM file").unwrap();
    fs::write(root.join("site-a/cut.dcm"), &mr[..mr.len() / 2]).unwrap();
    root
}

fn replace_all(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

/// Every file below `dir`: relative path -> bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, fs::read(e.path()).unwrap())
        })
        .collect()
}

/// The records of an audit file without their times, output paths
/// relative to `outdir`, sorted.
fn records(path: &Path, outdir: &Path) -> Vec<String> {
    let prefix = format!("{}/", outdir.display());
    let mut v: Vec<String> = fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut r: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = r.as_object_mut().unwrap();
            assert!(o.remove("started_unix_ms").is_some());
            assert!(o.remove("finished_unix_ms").is_some());
            if let Some(serde_json::Value::String(p)) = o.get_mut("output") {
                *p = p.strip_prefix(&prefix).unwrap().to_owned();
            }
            r.to_string()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn shards_together_equal_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = input_tree(d);
    let key = d.join("deid.key");
    fs::write(&key, [5u8; 32]).unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    let common = ["deid", "--key-file", s(&key), "--allow-burned-in"];

    // One run (exit 1: the truncated file is refused).
    let single = d.join("single");
    let mut args = common.to_vec();
    let (audit, mapping) = (d.join("single.jsonl"), d.join("map-single"));
    args.extend(["-o", s(&single), "--audit", s(&audit)]);
    args.extend(["--mapping", s(&mapping), "--jobs", "2", s(&input)]);
    assert_eq!(radguard(&args).status.code(), Some(1));
    let expected = tree(&single);
    assert_eq!(expected.len(), 50, "{:?}", expected.keys());
    let expected_records = records(&audit, &single);
    assert_eq!(expected_records.len(), 52);
    let merged_single = d.join("map-single-merged");
    ok(&radguard(&[
        "merge",
        "mapping",
        "-o",
        s(&merged_single),
        s(&mapping),
    ]));
    let expected_mapping = tree(&merged_single);

    for n in [1usize, 2, 3, 7] {
        // N separate processes at once, one shard each, into one folder.
        let out = d.join(format!("out-{n}"));
        let children: Vec<_> = (0..n)
            .map(|i| {
                let shard = format!("{i}/{n}");
                let a = d.join(format!("audit-{n}-{i}.jsonl"));
                let m = d.join(format!("map-{n}-{i}"));
                Command::new(env!("CARGO_BIN_EXE_radguard"))
                    .args(common)
                    .args(["-o", s(&out), "--shard", &shard, "--jobs", "1"])
                    .args(["--audit", s(&a), "--mapping", s(&m), s(&input)])
                    .env_remove("RADGUARD_DEID_KEY_FILE")
                    .output()
                    .unwrap()
            })
            .collect();
        // Only the shard holding the truncated file reports a failure.
        let failed = children.iter().filter(|o| !o.status.success()).count();
        assert_eq!(failed, 1, "N={n}");
        let got = tree(&out);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "N={n}"
        );
        assert!(got == expected, "N={n}: output bytes differ");

        let parts: Vec<PathBuf> = (0..n)
            .map(|i| d.join(format!("audit-{n}-{i}.jsonl")))
            .collect();
        let merged = d.join(format!("audit-{n}.jsonl"));
        let mut args = vec!["merge", "audit", "-o", s(&merged)];
        args.extend(parts.iter().map(|p| s(p)));
        ok(&radguard(&args));
        assert!(
            records(&merged, &out) == expected_records,
            "N={n}: audit differs"
        );

        let maps: Vec<PathBuf> = (0..n).map(|i| d.join(format!("map-{n}-{i}"))).collect();
        let merged = d.join(format!("map-{n}"));
        let mut args = vec!["merge", "mapping", "-o", s(&merged)];
        args.extend(maps.iter().map(|p| s(p)));
        ok(&radguard(&args));
        let mut got = tree(&merged);
        // paths.csv names the outputs under this run's folder.
        let paths = got.get_mut("paths.csv").unwrap();
        let text = String::from_utf8(std::mem::take(paths)).unwrap();
        let from = format!(",{}/", out.display());
        let to = format!(",{}/", single.display());
        *paths = text.replace(&from, &to).into_bytes();
        assert!(got == expected_mapping, "N={n}: mapping differs");
    }
}

#[test]
fn merge_refuses_what_would_lose_or_confuse_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Not an audit file.
    fs::write(d.join("x.jsonl"), "{\"hello\": 1}\n").unwrap();
    let o = radguard(&[
        "merge",
        "audit",
        "-o",
        s(&d.join("m.jsonl")),
        s(&d.join("x.jsonl")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 1: not a radguard audit record"));
    // Two replacements for one original: parts made with different keys.
    for (p, new) in [("a", "2.25.1"), ("b", "2.25.2")] {
        fs::create_dir_all(d.join(p)).unwrap();
        fs::write(
            d.join(p).join("uid_mapping.csv"),
            format!("id_old,id_new\n1.2.3,{new}\n"),
        )
        .unwrap();
    }
    let o = radguard(&[
        "merge",
        "mapping",
        "-o",
        s(&d.join("m")),
        s(&d.join("a")),
        s(&d.join("b")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("different keys"));
    // Existing output: never replaced unless asked.
    fs::write(d.join("exists.jsonl"), "").unwrap();
    let rec = "{\"operation\":\"deidentify\",\"status\":\"done\"}\n";
    fs::write(d.join("p.jsonl"), rec).unwrap();
    let o = radguard(&[
        "merge",
        "audit",
        "-o",
        s(&d.join("exists.jsonl")),
        s(&d.join("p.jsonl")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    ok(&radguard(&[
        "merge",
        "audit",
        "--overwrite",
        "-o",
        s(&d.join("exists.jsonl")),
        s(&d.join("p.jsonl")),
    ]));
    assert_eq!(fs::read_to_string(d.join("exists.jsonl")).unwrap(), rec);
    // Bad shard specifications are usage errors.
    for bad in ["3/3", "0/0", "a/b"] {
        let o = radguard(&["deid", "-o", s(&d.join("o")), "--shard", bad, s(d)]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}
