//! `radguard encrypt`, `decrypt`, `keys rotate` and `keys destroy` with the
//! key-encryption keys in a PKCS#11 token: SoftHSM2, initialized here in a
//! temporary folder (`SOFTHSM2_CONF`, `softhsm2-util --init-token`).
//! Skipped with a note where softhsm2 is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PIN: &str = "4321";

struct Hsm {
    dir: tempfile::TempDir,
    conf: PathBuf,
    module: PathBuf,
    pin_file: PathBuf,
}

impl Hsm {
    fn new() -> Option<Self> {
        let module = radguard_testkit::softhsm::module()?;
        let dir = tempfile::tempdir().unwrap();
        let conf = radguard_testkit::softhsm::init_tokens(dir.path(), &["pacs"], PIN);
        let pin_file = dir.path().join("pin");
        fs::write(&pin_file, format!("{PIN}\n")).unwrap();
        fs::set_permissions(&pin_file, fs::Permissions::from_mode(0o600)).unwrap();
        Some(Self {
            dir,
            conf,
            module,
            pin_file,
        })
    }

    /// Runs radguard with the token arguments after `args`' subcommand words.
    fn run(&self, sub: &[&str], rest: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_radguard"));
        cmd.args(sub)
            .args([
                "--pkcs11-module",
                self.module.to_str().unwrap(),
                "--pkcs11-token",
                "pacs",
            ])
            .args(rest)
            .env("SOFTHSM2_CONF", &self.conf)
            .env("RADGUARD_PKCS11_PIN_FILE", &self.pin_file)
            .env_remove("RADGUARD_KEYRING")
            .current_dir(self.dir.path());
        cmd.output().unwrap()
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn encrypt_rotate_destroy_with_a_token() {
    let Some(hsm) = Hsm::new() else {
        eprintln!(
            "note: softhsm2 not installed, PKCS#11 CLI test skipped (apt-get install softhsm2)"
        );
        return;
    };
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/pydicom/MR_small.dcm");
    let input = hsm.path("in");
    fs::create_dir(&input).unwrap();
    for name in ["a.dcm", "b.dcm"] {
        fs::copy(&sample, input.join(name)).unwrap();
    }
    // A key in the token (rotate creates one and re-wraps nothing).
    let o = hsm.run(&["keys", "rotate"], &["--id", "kek-1"]);
    assert!(o.status.success(), "{}", text(&o));
    // Encrypting needs the key label.
    let enc = hsm.path("enc");
    let o = hsm.run(&["encrypt"], &["-o", s(&enc), s(&input)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--key-label"));
    // An unknown label is refused before anything is written.
    let o = hsm.run(
        &["encrypt"],
        &["--key-label", "nope", "-o", s(&enc), s(&input)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!enc.exists());
    let o = hsm.run(
        &["--json", "encrypt"],
        &["--key-label", "kek-1", "-o", s(&enc), s(&input)],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(PIN));
    // Wrong PIN: exit 2, nothing decrypted.
    let bad = hsm.path("bad-pin");
    fs::write(&bad, "0000").unwrap();
    fs::set_permissions(&bad, fs::Permissions::from_mode(0o600)).unwrap();
    let dec = hsm.path("dec");
    let o = hsm.run(
        &["decrypt"],
        &["--pkcs11-pin-file", s(&bad), "-o", s(&dec), s(&enc)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("wrong PIN"), "{}", text(&o));
    assert!(!dec.exists());
    // Decrypt.
    let o = hsm.run(&["decrypt"], &["-o", s(&dec), s(&enc)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        fs::read(dec.join("a.dcm")).unwrap().len(),
        fs::read(dec.join("b.dcm")).unwrap().len()
    );
    // Rotate: a new token key, one file re-wrapped under it.
    let o = hsm.run(
        &["--json", "keys", "rotate"],
        &["--id", "kek-2", s(&enc.join("a.dcm"))],
    );
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["rewrapped"], 1);
    // Destroy kek-1: b.dcm (still under it) is crypto-erased, a.dcm is not.
    let cert = hsm.path("cert.json");
    let o = hsm.run(
        &["--json", "keys", "destroy"],
        &["--id", "kek-1", "--yes", "--cert", s(&cert), s(&enc)],
    );
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["affected_instances"], 1);
    assert!(fs::read_to_string(&cert).unwrap().contains("PKCS#11 token"));
    let dec2 = hsm.path("dec2");
    let o = hsm.run(&["decrypt"], &["-o", s(&dec2), s(&enc)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(dec2.join("a.dcm").exists());
    assert!(!dec2.join("b.dcm").exists());
    assert!(text(&o).contains("destroyed"), "{}", text(&o));
    // Destroying it again is refused.
    let o = hsm.run(&["keys", "destroy"], &["--id", "kek-1", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
