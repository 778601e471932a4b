//! The PKCS#11 key provider against a real token: SoftHSM2, initialized by
//! the test in a temporary folder (`SOFTHSM2_CONF`, `softhsm2-util
//! --init-token`). Encrypt, rotate (re-wrap under a new token key),
//! destroy (crypto-erase), wrong PIN, missing key, token removed
//! mid-batch; the KEK is checked non-extractable with cryptoki directly.
//!
//! SoftHSM2 reads its configuration once per process, so the scenarios run
//! in a child process of this test binary (`softhsm_scenarios`, ignored when
//! run directly). Skipped with a note where softhsm2 is not installed
//! (`apt-get install softhsm2`; `.ci/steps.d/45-pkcs11.sh` does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use radguard_crypt::dicom::{
    CIPHERTEXT_TAG, DecryptOptions, ENVELOPE_TAG, EncryptOptions, Rewrap, decrypt_file,
    encrypt_file, encryption_info, rewrap_file,
};
use radguard_crypt::pkcs11::{PKCS11_WRAPPED_LEN, Pkcs11Provider};
use radguard_crypt::{Envelope, Error, KeyProvider};

use common::{EXPLICIT_LE, make_native, pixels, value_of};

const PIN: &str = "1234";

#[test]
fn softhsm2() {
    let Some(module) = radguard_testkit::softhsm::module() else {
        eprintln!("note: softhsm2 not installed, PKCS#11 tests skipped (apt-get install softhsm2)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let conf =
        radguard_testkit::softhsm::init_tokens(dir.path(), &["archive", "other", "doomed"], PIN);
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "softhsm_scenarios", "--nocapture"])
        .env("SOFTHSM2_CONF", &conf)
        .env("RADGUARD_TEST_MODULE", &module)
        .env("RADGUARD_TEST_DIR", dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "scenarios failed:\n{text}"
    );
}

fn open(module: &Path, token: &str) -> Pkcs11Provider {
    Pkcs11Provider::open(module, token, PIN.as_bytes()).unwrap()
}

#[test]
#[ignore = "run by `softhsm2` in a child process with SOFTHSM2_CONF set"]
fn softhsm_scenarios() {
    let (Some(module), Some(dir)) = (
        std::env::var_os("RADGUARD_TEST_MODULE").map(PathBuf::from),
        std::env::var_os("RADGUARD_TEST_DIR").map(PathBuf::from),
    ) else {
        panic!("run through the `softhsm2` test");
    };
    let work = dir.join("work");
    fs::create_dir_all(&work).unwrap();

    // Wrong PIN, unknown token.
    let e = Pkcs11Provider::open(&module, "archive", b"0000").unwrap_err();
    assert!(matches!(e, Error::Provider { .. }), "{e:?}");
    assert!(radguard_testkit_chain(&e).contains("wrong PIN"), "{e}");
    let e = Pkcs11Provider::open(&module, "no-such-token", PIN.as_bytes()).unwrap_err();
    assert!(radguard_testkit_chain(&e).contains("no-such-token"), "{e}");

    // A KEK generated in the token is non-extractable and sensitive.
    let mut hsm = open(&module, "archive");
    let k1 = "kek-2026".parse().unwrap();
    hsm.generate_key(&k1).unwrap();
    assert!(hsm.generate_key(&k1).is_err(), "duplicate label");
    check_non_extractable(&module, "archive", "kek-2026");
    hsm.set_primary(k1);
    let k1 = hsm.primary_key_id().unwrap();

    // Encrypt: the envelope holds a token-wrapped data key.
    let mut files = Vec::new();
    for i in 0..3u64 {
        let plain = work.join(format!("p{i}.dcm"));
        make_native(
            &plain,
            &format!("2.25.{}", 700 + i),
            EXPLICIT_LE,
            8,
            8,
            2,
            16,
            i,
        );
        let enc = work.join(format!("e{i}.dcm"));
        encrypt_file(&plain, &enc, &hsm, &EncryptOptions::new()).unwrap();
        let env = Envelope::parse_prefix(&value_of(&enc, ENVELOPE_TAG))
            .unwrap()
            .0;
        assert_eq!(env.wrapped_key().len(), PKCS11_WRAPPED_LEN);
        assert_eq!(env.kek_id(), &k1);
        files.push((plain, enc));
    }
    for (plain, enc) in &files {
        let d = work.join("d.dcm");
        decrypt_file(enc, &d, &hsm, &DecryptOptions::new()).unwrap();
        assert_eq!(pixels(&d), pixels(plain));
        fs::remove_file(&d).unwrap();
    }
    // Another process-level session (a second provider) decrypts too.
    let again = open(&module, "archive");
    decrypt_file(
        &files[0].1,
        work.join("d.dcm"),
        &again,
        &DecryptOptions::new(),
    )
    .unwrap();
    fs::remove_file(work.join("d.dcm")).unwrap();

    // Missing key: a token without it.
    let other = open(&module, "other");
    let r = decrypt_file(
        &files[0].1,
        work.join("d.dcm"),
        &other,
        &DecryptOptions::new(),
    );
    assert!(matches!(r, Err(Error::UnknownKey { .. })), "{r:?}");
    assert!(!work.join("d.dcm").exists());

    // Rotate: a new token key; re-wrap two of three, ciphertext untouched.
    let k2: radguard_core::KeyId = "kek-2027".parse().unwrap();
    hsm.generate_key(&k2).unwrap();
    hsm.set_primary(k2.clone());
    for (_, enc) in &files[..2] {
        let ct = value_of(enc, CIPHERTEXT_TAG);
        let r = rewrap_file(enc, enc, &hsm, None, &DecryptOptions::new().overwrite(true)).unwrap();
        assert!(matches!(r, Rewrap::Rewrapped { .. }));
        assert_eq!(value_of(enc, CIPHERTEXT_TAG), ct);
        assert_eq!(encryption_info(enc).unwrap().unwrap().key_id, k2);
    }

    // Destroy the old key: crypto-erase of what is still under it.
    hsm.destroy_key(&k1).unwrap();
    assert_eq!(
        hsm.key_status(&k1).unwrap(),
        Some(radguard_crypt::KeyStatus::Destroyed)
    );
    for (i, (plain, enc)) in files.iter().enumerate() {
        let d = work.join(format!("d{i}.dcm"));
        let r = decrypt_file(enc, &d, &hsm, &DecryptOptions::new());
        if i < 2 {
            r.unwrap();
            assert_eq!(pixels(&d), pixels(plain));
        } else {
            assert!(matches!(r, Err(Error::KeyDestroyed { .. })), "{r:?}");
            assert!(!d.exists());
        }
    }
    // A fresh provider (no cached handle) agrees.
    let fresh = open(&module, "archive");
    let r = decrypt_file(
        &files[2].1,
        work.join("x.dcm"),
        &fresh,
        &DecryptOptions::new(),
    );
    assert!(matches!(r, Err(Error::KeyDestroyed { .. })), "{r:?}");

    // Token removed mid-batch: the token's files disappear after the
    // second of five instances; those already done decrypt, the rest fail
    // with a provider error and leave nothing behind.
    let mut doomed = open(&module, "doomed");
    let kd: radguard_core::KeyId = "kek-doomed".parse().unwrap();
    doomed.generate_key(&kd).unwrap();
    doomed.set_primary(kd);
    let batch = work.join("batch");
    fs::create_dir_all(&batch).unwrap();
    let mut results = Vec::new();
    for i in 0..5u64 {
        if i == 2 {
            remove_token(&dir, "doomed");
        }
        let plain = work.join(format!("b{i}.dcm"));
        make_native(
            &plain,
            &format!("2.25.{}", 800 + i),
            EXPLICIT_LE,
            8,
            8,
            1,
            16,
            50 + i,
        );
        let enc = batch.join(format!("e{i}.dcm"));
        results.push((
            enc.clone(),
            encrypt_file(&plain, &enc, &doomed, &EncryptOptions::new()),
        ));
    }
    for (i, (enc, r)) in results.iter().enumerate() {
        if i < 2 {
            assert!(r.is_ok(), "{i}: {r:?}");
            assert!(enc.exists());
        } else {
            assert!(
                matches!(r, Err(Error::Provider { .. } | Error::UnknownKey { .. })),
                "{i}: {r:?}"
            );
            assert!(!enc.exists(), "{i}: output left behind");
        }
    }
    // Only the two complete files are in the folder (no temporary files).
    assert_eq!(common::files_in(&batch).len(), 2);
    eprintln!("softhsm2 scenarios done");
}

/// Deletes a token's folder under the SoftHSM2 token directory (what
/// pulling the token out looks like to the module).
fn remove_token(dir: &Path, label: &str) {
    let tokens = dir.join("tokens");
    for e in fs::read_dir(&tokens).unwrap().flatten() {
        let conf = e.path().join("token.object");
        if let Ok(bytes) = fs::read(&conf)
            && bytes.windows(label.len()).any(|w| w == label.as_bytes())
        {
            fs::remove_dir_all(e.path()).unwrap();
            return;
        }
    }
    panic!("token {label} not found under {}", tokens.display());
}

fn radguard_testkit_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Independently of radguard: the token object is sensitive and not
/// extractable, and its value cannot be read.
fn check_non_extractable(module: &Path, token: &str, label: &str) {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::object::{Attribute, AttributeType};
    use cryptoki::session::UserType;
    let ctx = Pkcs11::new(module).unwrap();
    let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = ctx
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label().trim_end() == token)
        .unwrap();
    let s = ctx.open_ro_session(slot).unwrap();
    let _ = s.login(UserType::User, Some(&PIN.into()));
    let h = s
        .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
        .unwrap();
    assert_eq!(h.len(), 1);
    let attrs = s
        .get_attributes(
            h[0],
            &[AttributeType::Extractable, AttributeType::Sensitive],
        )
        .unwrap();
    assert!(attrs.contains(&Attribute::Extractable(false)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Sensitive(true)), "{attrs:?}");
    let v = s.get_attributes(h[0], &[AttributeType::Value]).unwrap();
    assert!(
        !v.iter().any(|a| matches!(a, Attribute::Value(_))),
        "the KEK's value was readable"
    );
}
