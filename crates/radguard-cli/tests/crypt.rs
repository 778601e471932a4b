//! `radguard keys`, `encrypt` and `decrypt` end to end, through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn radguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .env_remove("RADGUARD_KEYRING")
        .output()
        .expect("run radguard")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sample(rel: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    root.join(rel)
}

/// The key material in a keyring file, to check it is never printed.
fn materials(ring: &Path) -> Vec<String> {
    String::from_utf8_lossy(&fs::read(ring).unwrap())
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("material=").map(str::to_owned))
        .collect()
}

fn assert_no_secret(o: &Output, ring: &Path) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    for m in materials(ring) {
        assert!(!text.contains(&m), "key material printed");
    }
}

fn raw_pixels(path: &Path) -> Vec<u8> {
    let mut split = radguard_dicom::open_split(path).unwrap();
    let px = split.pixel_data().unwrap().clone();
    match px.layout() {
        radguard_dicom::PixelLayout::Native { len } => {
            let mut b = vec![0; *len as usize];
            split.read_native_at(0, &mut b).unwrap();
            b
        }
        radguard_dicom::PixelLayout::Encapsulated { fragment_lens, .. } => {
            let mut all = Vec::new();
            for i in 0..fragment_lens.len() {
                let mut b = Vec::new();
                split.read_fragment(i, &mut b).unwrap();
                all.extend(b);
            }
            all
        }
        _ => unreachable!(),
    }
}

/// An input tree: two images at the top, one in a sub-folder.
fn inputs(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    fs::create_dir_all(input.join("series2")).unwrap();
    fs::copy(sample("pydicom/MR_small.dcm"), input.join("mr.dcm")).unwrap();
    fs::copy(sample("pydicom/JPEG2000.dcm"), input.join("j2k.dcm")).unwrap();
    fs::copy(
        sample("pydicom/examples_ybr_color.dcm"),
        input.join("series2/cine.dcm"),
    )
    .unwrap();
    input
}

#[test]
fn keys_encrypt_decrypt_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("keyring");
    let o = radguard(&["keys", "new", "--keyring", s(&ring)]);
    assert!(o.status.success(), "{o:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&ring).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let o = radguard(&["--json", "keys", "list", "--keyring", s(&ring)]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["status"], "primary");
    assert_no_secret(&o, &ring);

    let input = inputs(dir.path());
    let enc = dir.path().join("enc");
    let o = radguard(&[
        "--json",
        "encrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&enc),
        "--jobs",
        "2",
        s(&input),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_no_secret(&o, &ring);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["done"], 3);
    assert_eq!(report["records"][0]["operation"], "encrypt");
    assert!(enc.join("series2/cine.dcm").is_file());
    // Encrypted files have no pixel data, and are not the original.
    for f in ["mr.dcm", "j2k.dcm", "series2/cine.dcm"] {
        let e = radguard_dicom::open_split(enc.join(f)).unwrap();
        assert!(e.pixel_data().is_none(), "{f}");
    }

    let dec = dir.path().join("dec");
    let o = radguard(&[
        "decrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&dec),
        "--jobs",
        "1",
        s(&enc),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["mr.dcm", "j2k.dcm", "series2/cine.dcm"] {
        assert_eq!(raw_pixels(&dec.join(f)), raw_pixels(&input.join(f)), "{f}");
        let a = radguard_dicom::open(input.join(f)).unwrap();
        let b = radguard_dicom::open(dec.join(f)).unwrap();
        assert!(
            radguard_dicom::same_content(a.dataset(), b.dataset()),
            "{f}"
        );
    }
    // Outputs are never overwritten.
    let o = radguard(&["decrypt", "--keyring", s(&ring), "-o", s(&dec), s(&enc)]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_failing_file_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("keyring");
    assert!(
        radguard(&["keys", "new", "--keyring", s(&ring)])
            .status
            .success()
    );
    let input = inputs(dir.path());
    let enc = dir.path().join("enc");
    assert!(
        radguard(&["encrypt", "--keyring", s(&ring), "-o", s(&enc), s(&input)])
            .status
            .success()
    );
    // Flip one byte near the end of the ciphertext of one file.
    let victim = enc.join("series2/cine.dcm");
    let mut bytes = fs::read(&victim).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 0x40;
    fs::write(&victim, bytes).unwrap();
    let dec = dir.path().join("dec");
    let o = radguard(&[
        "--json",
        "decrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&dec),
        s(&enc),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["failed"], 1);
    let failed = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "failed")
        .unwrap();
    assert_eq!(failed["reason"]["code"], "decrypt_failed");
    // The other files were decrypted; the tampered one left nothing at
    // all (no output, no temporary file).
    assert!(dec.join("mr.dcm").is_file());
    assert!(dec.join("j2k.dcm").is_file());
    let left: Vec<_> = fs::read_dir(dec.join("series2")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn rotate_and_destroy_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("keyring");
    assert!(
        radguard(&["keys", "new", "--keyring", s(&ring), "--id", "gen-1"])
            .status
            .success()
    );
    let input = inputs(dir.path());
    let enc = dir.path().join("enc");
    assert!(
        radguard(&["encrypt", "--keyring", s(&ring), "-o", s(&enc), s(&input)])
            .status
            .success()
    );
    // Rotate and re-wrap two of the three files.
    let archive = enc.join("series2");
    let o = radguard(&[
        "--json",
        "keys",
        "rotate",
        "--keyring",
        s(&ring),
        "--id",
        "gen-2",
        s(&archive),
        s(&enc.join("mr.dcm")),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["rewrapped"], 2);
    assert_eq!(r["new_key_id"], "gen-2");

    // Without --yes nothing is destroyed, but the count is reported.
    let o = radguard(&[
        "--json",
        "keys",
        "destroy",
        "--keyring",
        s(&ring),
        "--id",
        "gen-1",
        s(&enc),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["affected_instances"], 1);
    assert_eq!(r["destroyed"], false);
    let o = radguard(&["--json", "keys", "list", "--keyring", s(&ring)]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["status"], "active");

    let sign = dir.path().join("sign.key");
    fs::write(&sign, "33".repeat(32)).unwrap();
    fs::set_permissions(&sign, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cert = dir.path().join("erase.json");
    let o = radguard(&[
        "keys",
        "destroy",
        "--keyring",
        s(&ring),
        "--id",
        "gen-1",
        "--yes",
        "--sign-key",
        s(&sign),
        "--cert",
        s(&cert),
        s(&enc),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 encrypted instance(s)"));
    assert!(!String::from_utf8_lossy(&fs::read(&ring).unwrap()).contains("key gen-1"));

    // The re-wrapped files decrypt, the other is gone for good.
    let dec = dir.path().join("dec");
    let o = radguard(&[
        "--json",
        "decrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&dec),
        s(&enc),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["done"], 2);
    let failed = r["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "failed")
        .unwrap();
    assert_eq!(failed["reason"]["code"], "key_destroyed");
    assert!(!dec.join("j2k.dcm").exists());
}

#[test]
fn keyring_problems_are_setup_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path());
    let out = dir.path().join("out");
    // No keyring at all.
    let o = radguard(&["encrypt", "-o", s(&out), s(&input)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("RADGUARD_KEYRING"));
    // A keyring others can read.
    let ring = dir.path().join("keyring");
    assert!(
        radguard(&["keys", "new", "--keyring", s(&ring)])
            .status
            .success()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&ring, fs::Permissions::from_mode(0o640)).unwrap();
        let o = radguard(&["encrypt", "--keyring", s(&ring), "-o", s(&out), s(&input)]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("chmod 600"));
        assert!(!out.exists());
        fs::set_permissions(&ring, fs::Permissions::from_mode(0o600)).unwrap();
    }
    // The keyring through the environment.
    let o = Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(["encrypt", "-o", s(&out), s(&input)])
        .env("RADGUARD_KEYRING", &ring)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // An unknown key id.
    let o = radguard(&[
        "encrypt",
        "--keyring",
        s(&ring),
        "--key-id",
        "nope",
        "-o",
        s(&dir.path().join("o2")),
        s(&input),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// Rewrites a top-level element of a DICOM file.
fn edit(path: &Path, tag: (u16, u16), vr: &str, value: &str) {
    use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};
    let mut f = radguard_dicom::open(path).unwrap();
    let vr = match vr {
        "LO" => VR::LO,
        "US" => VR::US,
        _ => unreachable!(),
    };
    let value = if vr == VR::US {
        PrimitiveValue::from(value.parse::<u16>().unwrap())
    } else {
        PrimitiveValue::from(value)
    };
    f.object_mut()
        .put(DataElement::new(Tag(tag.0, tag.1), vr, value));
    fs::remove_file(path).unwrap();
    radguard_dicom::write_file(path, f.object(), &Default::default()).unwrap();
}

#[test]
fn relabelled_patients_and_edited_pixel_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("ring");
    assert!(
        radguard(&["keys", "new", "--keyring", s(&ring)])
            .status
            .success()
    );
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::copy(sample("pydicom/MR_small.dcm"), input.join("mr.dcm")).unwrap();
    let enc = dir.path().join("enc");
    let o = radguard(&["encrypt", "--keyring", s(&ring), "-o", s(&enc), s(&input)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f = enc.join("mr.dcm");
    // Another patient's ID: reported (exit 0, a warning), refused with --strict.
    edit(&f, (0x0010, 0x0020), "LO", "SOMEONE-ELSE");
    let dec = dir.path().join("dec");
    let o = radguard(&[
        "--json",
        "decrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&dec),
        s(&f),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Patient ID differs"));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["records"][0]["reason"]["code"], "patient_changed", "{r}");
    let strict = dir.path().join("strict");
    let o = radguard(&[
        "decrypt",
        "--strict",
        "--keyring",
        s(&ring),
        "-o",
        s(&strict),
        s(&f),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!strict.join("mr.dcm").exists());
    // Rows edited: refused, named, nothing written.
    edit(&f, (0x0028, 0x0010), "US", "32");
    let rows = dir.path().join("rows");
    let o = radguard(&["decrypt", "--keyring", s(&ring), "-o", s(&rows), s(&f)]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Rows (0028,0010)"), "{text}");
    assert!(!rows.join("mr.dcm").exists());
}
