//! `radguard keys destroy` issues a signed certificate of sanitization
//! (NIST SP 800-88 cryptographic erase) in the same format as `radguard
//! wipe`: `radguard cert verify` accepts it, and tampering with any field
//! makes verification fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ok, s};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn rg(cfg: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radguard"))
        .args(args)
        .env("XDG_CONFIG_HOME", cfg)
        .env_remove("RADGUARD_KEYRING")
        .env_remove("RADGUARD_WIPE_SIGN_KEY")
        .output()
        .expect("run radguard")
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Setup {
    fn p(&self, s: &str) -> PathBuf {
        self.root.join(s)
    }
}

/// A keyring, two encrypted samples under its first key, that key
/// destroyed with a certificate, and the signing key's public half.
fn destroyed() -> (Setup, PathBuf, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let st = Setup {
        root: dir.path().to_path_buf(),
        _dir: dir,
    };
    let cfg = st.p("cfg");
    let input = st.p("in");
    fs::create_dir_all(&input).unwrap();
    for (name, rel) in [
        ("a.dcm", "pydicom/MR_small.dcm"),
        ("b.dcm", "pydicom/JPEG2000.dcm"),
    ] {
        fs::copy(radguard_testkit::sample(rel), input.join(name)).unwrap();
    }
    let ring = st.p("ring");
    ok(&rg(&cfg, &["keys", "new", "--keyring", s(&ring)]));
    let enc = st.p("enc");
    ok(&rg(
        &cfg,
        &["encrypt", "--keyring", s(&ring), "-o", s(&enc), s(&input)],
    ));
    let list = ok(&rg(
        &cfg,
        &["--json", "keys", "list", "--keyring", s(&ring)],
    ));
    let keys: Value = serde_json::from_str(&list).unwrap();
    let id = keys[0]["id"].as_str().unwrap().to_owned();
    let sign = st.p("sign.key");
    fs::write(&sign, "22".repeat(32)).unwrap();
    fs::set_permissions(&sign, fs::Permissions::from_mode(0o600)).unwrap();
    let cert = st.p("erase.json");
    let text = ok(&rg(
        &cfg,
        &[
            "keys",
            "destroy",
            "--keyring",
            s(&ring),
            "--id",
            &id,
            "--yes",
            "--sign-key",
            s(&sign),
            "--cert",
            s(&cert),
            "--operator",
            "Alice Admin",
            s(&enc),
        ],
    ));
    assert!(text.contains("certificate:"), "{text}");
    // The public half, as `radguard cert verify --public-key` takes it.
    let c: Value = serde_json::from_str(&fs::read_to_string(&cert).unwrap()).unwrap();
    let public = st.p("sign.pub");
    fs::write(
        &public,
        format!(
            "{}\n",
            c["certificate"]["signer"]["public_key"].as_str().unwrap()
        ),
    )
    .unwrap();
    (st, cert, public, id)
}

#[test]
fn destroy_certificate_verifies_and_says_what_was_erased() {
    let (st, cert, public, id) = destroyed();
    let cfg = st.p("cfg");
    let v = ok(&rg(
        &cfg,
        &["cert", "verify", s(&cert), "--public-key", s(&public)],
    ));
    assert!(v.contains("valid"), "{v}");
    let c: Value = serde_json::from_str(&fs::read_to_string(&cert).unwrap()).unwrap();
    let item = &c["certificate"]["items"][0];
    assert_eq!(item["method"], "crypto-erase");
    assert_eq!(item["technique"], "cryptographic_erase");
    assert_eq!(item["target"]["kind"], "cryptographic_key");
    assert_eq!(item["crypto_erase"]["key_id"], id.as_str());
    assert_eq!(item["crypto_erase"]["instances"], 2);
    assert!(item["crypto_erase"]["segments"].as_u64().unwrap() >= 2);
    // Verified: neither instance opens any more.
    assert_eq!(item["verification_result"], "passed");
    assert_eq!(item["status"], "completed");
    // Honest level: the keyring file was replaced by a rename.
    assert_eq!(item["assurance"]["level"], "not_assured");
    assert_eq!(c["certificate"]["operator"]["name"], "Alice Admin");
    let shown = ok(&rg(
        &cfg,
        &["cert", "show", s(&cert), "--public-key", s(&public)],
    ));
    assert!(shown.contains("cryptographic key"), "{shown}");
    assert!(shown.contains("made unreadable 2 instance(s)"), "{shown}");
    // The key material never appears in it.
    assert!(!fs::read_to_string(&cert).unwrap().contains("material="));
}

#[test]
fn tampering_any_field_of_the_destroy_certificate_fails_verification() {
    let (st, cert, public, _) = destroyed();
    let cfg = st.p("cfg");
    let original: Value = serde_json::from_str(&fs::read_to_string(&cert).unwrap()).unwrap();
    let paths: Vec<Vec<String>> = radguard_testkit::json::leaf_paths(&original["certificate"])
        .into_iter()
        .map(|p| [vec!["certificate".to_owned()], p].concat())
        .collect();
    assert!(paths.len() > 30, "{} fields", paths.len());
    let forged = st.p("forged.json");
    for path in &paths {
        let mut v = original.clone();
        let leaf = radguard_testkit::json::at_mut(&mut v, path).unwrap();
        *leaf = match leaf.take() {
            Value::String(x) => Value::String(format!("{x}x")),
            Value::Number(n) => Value::from(n.as_u64().map_or(1, |n| n + 1)),
            Value::Bool(b) => Value::Bool(!b),
            Value::Null => Value::from(0),
            other => other,
        };
        fs::write(&forged, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let o = rg(
            &cfg,
            &["cert", "verify", s(&forged), "--public-key", s(&public)],
        );
        assert_ne!(o.status.code(), Some(0), "tampered {path:?} still verifies");
    }
}
