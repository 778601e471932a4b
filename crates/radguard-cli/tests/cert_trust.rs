//! Certificates that cannot be used to lie: `cert verify` trusts only
//! `--public-key` or this machine's own signing key (a valid signature by
//! anyone else is "unknown signer", exit 3, unless `--any-signer`);
//! `cert show` prints every field escaped; certificates are written 0600
//! and can record their targets as keyed digests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::ok;
use radguard_core::SecretKey;
use radguard_wipe::{Certificate, Operator, SigningKey};

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
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_radguard"))
            .args(args)
            .env("XDG_CONFIG_HOME", self.p("cfg"))
            .env("XDG_STATE_HOME", self.p("state"))
            .env_remove("RADGUARD_WIPE_SIGN_KEY")
            .output()
            .unwrap()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A certificate signed by a key no one trusts, with `operator` as the
/// operator's name.
fn minted(path: &Path, operator: &str) -> String {
    let key = SigningKey::from_secret(&SecretKey::generate().unwrap());
    let now = Certificate::now();
    let cert = Certificate::new(
        vec![],
        Operator::named(operator).with_details(
            Some("Auditor\u{1b}]8;;http://x\u{7}".to_owned()),
            None,
            None,
            None,
        ),
        "host\u{202e}evil",
        now.clone(),
        now,
        &key.public_key(),
    )
    .unwrap();
    fs::write(path, cert.sign(&key).unwrap().to_json()).unwrap();
    key.public_key().to_hex()
}

#[test]
fn a_certificate_by_a_fresh_key_is_an_unknown_signer() {
    let e = Env::new();
    let cert = e.p("forged.json");
    let public = minted(&cert, "Mallory");
    // This machine has its own key, which did not sign it.
    fs::write(e.p("x.dcm"), b"x").unwrap();
    ok(&e.run(&["wipe", "--cert", s(&e.p("own.json")), s(&e.p("x.dcm"))]));
    for args in [
        vec!["cert", "verify", s(&cert)],
        vec!["cert", "show", s(&cert)],
    ] {
        let o = e.run(&args);
        assert_eq!(o.status.code(), Some(3), "{args:?}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("UNKNOWN SIGNER"), "{text}");
        assert!(
            !text.contains("valid signature by the trusted key"),
            "{text}"
        );
    }
    let o = e.run(&["--json", "cert", "verify", s(&cert)]);
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["signature_valid"], true);
    assert_eq!(v["signer_trusted"], false);
    assert_eq!(v["error"], "unknown signer");
    // Accepted only when asked for, or when its key is given.
    let o = e.run(&["cert", "verify", "--any-signer", s(&cert)]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("NOT trusted"));
    let pubfile = e.p("mallory.pub");
    fs::write(&pubfile, &public).unwrap();
    ok(&e.run(&["cert", "verify", "--public-key", s(&pubfile), s(&cert)]));
    // The machine's own certificate verifies without options; with
    // another trusted key it is an unknown signer.
    let own = ok(&e.run(&["cert", "verify", s(&e.p("own.json"))]));
    assert!(own.contains("this machine's signing key"), "{own}");
    let o = e.run(&[
        "cert",
        "verify",
        "--public-key",
        s(&pubfile),
        s(&e.p("own.json")),
    ]);
    assert_eq!(o.status.code(), Some(3));
    // Tampered: invalid, exit 1, whatever is trusted.
    let text = fs::read_to_string(&cert)
        .unwrap()
        .replace("Mallory", "Alice");
    fs::write(&cert, text).unwrap();
    let o = e.run(&["cert", "verify", "--any-signer", s(&cert)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("INVALID"));
}

#[test]
fn fields_with_escape_sequences_are_shown_escaped() {
    let e = Env::new();
    let cert = e.p("forged.json");
    minted(
        &cert,
        "Eve\u{1b}[1A\u{1b}[2K\rvalid signature by the trusted key\nX\u{9b}31m",
    );
    for args in [
        vec!["cert", "show", s(&cert)],
        vec!["cert", "show", "--any-signer", s(&cert)],
        vec!["cert", "verify", s(&cert)],
    ] {
        let o = e.run(&args);
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        for text in [&out, &err] {
            for bad in ['\u{1b}', '\r', '\u{7}', '\u{202e}', '\u{9b}'] {
                assert!(!text.contains(bad), "{args:?} printed {bad:?}: {text:?}");
            }
        }
        if args[1] == "show" {
            assert!(out.contains("Eve\\u{1b}[1A\\u{1b}[2K\\rvalid"), "{out}");
            assert!(out.contains("\\nX\\u{9b}31m"), "{out}");
            assert!(out.contains("host\\u{202e}evil"), "{out}");
            // No line of the record starts with the forged text.
            assert!(
                !out.lines().any(|l| l.starts_with("valid signature")),
                "{out}"
            );
        }
    }
}

#[test]
fn certificates_are_private_and_can_record_digests_of_paths() {
    let e = Env::new();
    let folder = e.p("DOE^JOHN_19600102");
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("IM0001.dcm"), vec![1u8; 5000]).unwrap();
    let cert = e.p("c.json");
    let o = e.run(&[
        "wipe",
        "--cert",
        s(&cert),
        "--cert-paths",
        "digest",
        s(&folder),
    ]);
    let out = ok(&o);
    assert!(!folder.exists());
    assert_eq!(
        fs::metadata(&cert).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = fs::read_to_string(&cert).unwrap();
    assert!(!text.contains("DOE^JOHN"), "{text}");
    assert!(!out.contains("DOE^JOHN"), "{out}");
    let d = ok(&e.run(&["cert", "path-digest", s(&folder)]));
    let digest = d.split_whitespace().next().unwrap();
    assert!(digest.starts_with("hmac-sha256:"), "{d}");
    assert!(text.contains(digest), "{text}");
    ok(&e.run(&["cert", "verify", s(&cert)]));
    // The file names left in directory blocks and the journal are named
    // among the caveats.
    assert!(text.contains("file names"), "{text}");
    assert!(text.contains("NIST SP 800-88 Rev. 2"), "{text}");
}
