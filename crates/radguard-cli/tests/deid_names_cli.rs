//! `radguard deid` and names: outputs never carry input names, the audit
//! holds keyed digests of input paths, mapping tables for the custodian,
//! batches that would do nothing are usage errors, a full disk stops the
//! batch, truncated files and files without file meta are not "done".
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::s;

fn radguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .env_remove("RADGUARD_DEID_KEY_FILE")
        .output()
        .expect("run radguard")
}

fn key_file(dir: &Path) -> PathBuf {
    let k = dir.join("deid.key");
    fs::write(&k, [9u8; 32]).unwrap();
    fs::set_permissions(&k, fs::Permissions::from_mode(0o600)).unwrap();
    k
}

/// Every path below `dir`, relative, as text.
fn names(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect()
}

/// A PACS-style export named after the patient.
fn export(dir: &Path) -> PathBuf {
    let root = dir.join("in");
    let series = root.join("DOE^JOHN_19600102/MRN998877");
    fs::create_dir_all(&series).unwrap();
    fs::copy(
        radguard_testkit::sample("pydicom/MR_small.dcm"),
        series.join("CT_Smith.dcm"),
    )
    .unwrap();
    fs::copy(
        radguard_testkit::sample("dicognito/p01_s01_s01_i01.dcm"),
        series.join("CT_Smith_2.dcm"),
    )
    .unwrap();
    root
}

const SECRETS: [&str; 5] = ["DOE", "JOHN", "19600102", "MRN998877", "Smith"];

#[test]
fn outputs_and_audit_carry_no_input_names() {
    let dir = tempfile::tempdir().unwrap();
    let input = export(dir.path());
    let key = key_file(dir.path());
    let out = dir.path().join("out");
    let audit = dir.path().join("audit.jsonl");
    let o = radguard(&[
        "deid",
        "-o",
        s(&out),
        "--key-file",
        s(&key),
        "--audit",
        s(&audit),
        s(&input),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let made = names(&out);
    let files: Vec<&String> = made.iter().filter(|n| n.ends_with(".dcm")).collect();
    assert_eq!(files.len(), 2, "{made:?}");
    for n in &made {
        for secret in SECRETS {
            assert!(!n.contains(secret), "{secret} in output name {n}");
        }
    }
    // <Patient ID>/<Study UID>/<Series UID>/<SOP UID>.dcm
    for f in &files {
        let parts: Vec<&str> = f.split('/').collect();
        assert_eq!(parts.len(), 4, "{f}");
        assert!(parts[0].starts_with("RG"), "{f}");
        assert!(parts[1..].iter().all(|p| p.starts_with("2.25.")), "{f}");
    }
    let log = fs::read_to_string(&audit).unwrap();
    for secret in SECRETS {
        assert!(!log.contains(secret), "{secret} in the audit");
    }
    let rec: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(rec["digests"]["input_path"].as_str().unwrap().len(), 64);
    assert!(rec.get("input").is_none());
    // Split runs agree: one file at a time into another folder gives the
    // same names and bytes.
    let out2 = dir.path().join("out2");
    for f in walkdir::WalkDir::new(&input)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
    {
        let o = radguard(&[
            "deid",
            "-j",
            "1",
            "-o",
            s(&out2),
            "--key-file",
            s(&key),
            s(f.path()),
        ]);
        assert_eq!(o.status.code(), Some(0));
    }
    assert_eq!(names(&out), names(&out2));
    for f in &files {
        assert_eq!(
            fs::read(out.join(f)).unwrap(),
            fs::read(out2.join(f)).unwrap()
        );
    }
    // The plain input path only when asked for.
    let audit2 = dir.path().join("audit2.jsonl");
    let _ = radguard(&[
        "deid",
        "-o",
        s(&dir.path().join("out3")),
        "--key-file",
        s(&key),
        "--audit",
        s(&audit2),
        "--audit-input-paths",
        s(&input),
    ]);
    assert!(fs::read_to_string(&audit2).unwrap().contains("MRN998877"));
    // The mirror layout warns.
    let o = radguard(&[
        "deid",
        "--layout",
        "mirror",
        "-o",
        s(&dir.path().join("mirror")),
        "--key-file",
        s(&key),
        s(&input),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--layout mirror"));
}

#[test]
fn mapping_tables_for_the_custodian() {
    let dir = tempfile::tempdir().unwrap();
    let input = export(dir.path());
    let key = key_file(dir.path());
    let out = dir.path().join("out");
    let map = dir.path().join("map");
    let run = || {
        radguard(&[
            "deid",
            "-o",
            s(&out),
            "--key-file",
            s(&key),
            "--overwrite",
            "--mapping",
            s(&map),
            s(&input),
        ])
    };
    assert_eq!(run().status.code(), Some(0));
    let uids = fs::read_to_string(map.join("uid_mapping.csv")).unwrap();
    let pids = fs::read_to_string(map.join("patid_mapping.csv")).unwrap();
    let paths = fs::read_to_string(map.join("paths.csv")).unwrap();
    assert!(uids.starts_with("id_old,id_new\n"));
    assert!(pids.starts_with("id_old,id_new\n"));
    assert!(paths.starts_with("input,output\n"));
    // Every output's SOP Instance UID is in the UID table, mapped from the
    // input's.
    let original = radguard_dicom::open(radguard_testkit::sample("pydicom/MR_small.dcm")).unwrap();
    let old = radguard_dicom::text::value_text(
        original.dataset(),
        radguard_dicom::tags::SOP_INSTANCE_UID,
    );
    let row = uids
        .lines()
        .find(|l| l.starts_with(&format!("{old},")))
        .expect("the SOP Instance UID is mapped");
    let new = row.split(',').nth(1).unwrap();
    assert!(new.starts_with("2.25."));
    assert!(
        names(&out)
            .iter()
            .any(|n| n.ends_with(&format!("{new}.dcm")))
    );
    // Both samples belong to one patient: one row.
    assert_eq!(pids.lines().count(), 2, "{pids}");
    assert_eq!(paths.lines().count(), 3, "{paths}");
    for f in ["uid_mapping.csv", "patid_mapping.csv", "paths.csv"] {
        let mode = fs::metadata(map.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    // A second run appends the same rows (keyed values) under one header.
    assert_eq!(run().status.code(), Some(0));
    let uids2 = fs::read_to_string(map.join("uid_mapping.csv")).unwrap();
    assert_eq!(uids2.matches("id_old,id_new").count(), 1);
    let body = &uids[uids.find('\n').unwrap() + 1..];
    assert_eq!(uids2, format!("{uids}{body}"));
    // Never inside the output folder.
    let o = radguard(&[
        "deid",
        "-o",
        s(&out),
        "--key-file",
        s(&key),
        "--mapping",
        s(&out.join("tables")),
        s(&input),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("mapping folder"));
}

#[test]
fn batches_that_would_do_nothing_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = export(dir.path());
    let key = key_file(dir.path());
    // The output folder is the input folder.
    let o = radguard(&["deid", "-o", s(&input), "--key-file", s(&key), s(&input)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is the input folder"));
    // The output folder lies inside the input and holds files the walk
    // would skip (here: the series folder itself).
    let inner = input.join("DOE^JOHN_19600102/MRN998877");
    let o = radguard(&["deid", "-o", s(&inner), "--key-file", s(&key), s(&input)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already holds files"));
    // An empty (new) output folder inside the input is fine: it is not
    // walked.
    let fresh = input.join("deidentified");
    let o = radguard(&["deid", "-o", s(&fresh), "--key-file", s(&key), s(&input)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        names(&fresh).iter().filter(|n| n.ends_with(".dcm")).count(),
        2
    );
}

#[test]
fn truncated_files_and_files_without_meta_are_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let bytes = fs::read(radguard_testkit::sample("pydicom/MR_small.dcm")).unwrap();
    let name_at = bytes
        .windows(6)
        .position(|w| w == [0x10, 0x00, 0x10, 0x00, b'P', b'N'])
        .unwrap();
    let input = dir.path().join("in");
    fs::create_dir_all(&input).unwrap();
    // Cut inside an element header: refused (exit 1), nothing written.
    fs::write(input.join("cut.dcm"), &bytes[..name_at + 3]).unwrap();
    let out = dir.path().join("out");
    let o = radguard(&["deid", "-o", s(&out), "--key-file", s(&key), s(&input)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cut short"));
    assert!(!names(&out).iter().any(|n| n.ends_with(".dcm")));
    // Preamble and DICM but no file meta: read, not "not DICOM".
    let gl = u32::from_le_bytes(bytes[140..144].try_into().unwrap()) as usize;
    let mut no_meta = bytes[..132].to_vec();
    no_meta.extend_from_slice(&bytes[144 + gl..]);
    fs::remove_file(input.join("cut.dcm")).unwrap();
    fs::write(input.join("nometa.dcm"), &no_meta).unwrap();
    let o = radguard(&["deid", "-o", s(&out), "--key-file", s(&key), s(&input)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        names(&out).iter().filter(|n| n.ends_with(".dcm")).count(),
        1
    );
}

/// A full file system: the first "no space left" stops the batch with a
/// message and a non-zero exit, and leaves no partial file. Needs root (a
/// small tmpfs); skipped elsewhere.
#[test]
fn a_full_disk_stops_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|st| st.success());
    if !mounted {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let key = key_file(dir.path());
    let input = dir.path().join("in");
    fs::create_dir_all(&input).unwrap();
    // Twenty distinct instances of about 40 KiB: more than 256 KiB.
    let sample = radguard_testkit::sample("pydicom/MR_small.dcm");
    let original = radguard_dicom::open(&sample).unwrap();
    for i in 0..20u32 {
        let mut f = original.clone().into_parts().0;
        f.put(radguard_dicom::dicom::core::DataElement::new(
            radguard_dicom::tags::SOP_INSTANCE_UID,
            radguard_dicom::dicom::core::VR::UI,
            format!("1.2.826.0.1.3680043.99.{i}"),
        ));
        f.update_meta(|m| m.media_storage_sop_instance_uid = format!("1.2.826.0.1.3680043.99.{i}"));
        let mut big = f.clone();
        big.put(radguard_dicom::dicom::core::DataElement::new(
            radguard_dicom::tags::PIXEL_DATA,
            radguard_dicom::dicom::core::VR::OB,
            radguard_dicom::dicom::core::PrimitiveValue::from(vec![7u8; 40_000]),
        ));
        radguard_dicom::write_file(
            input.join(format!("{i}.dcm")),
            &big,
            &radguard_dicom::WriteOptions::new(),
        )
        .unwrap();
    }
    let out = mnt.join("out");
    let o = radguard(&[
        "deid",
        "-j",
        "1",
        "-o",
        s(&out),
        "--key-file",
        s(&key),
        s(&input),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let leftovers: Vec<String> = names(&mnt)
        .into_iter()
        .filter(|n| n.contains(".radguard-"))
        .collect();
    let written = names(&out).iter().filter(|n| n.ends_with(".dcm")).count();
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no space left"), "{stderr}");
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
    assert!(written < 20, "{written}");
}
