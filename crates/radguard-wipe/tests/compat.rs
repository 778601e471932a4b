//! Certificates written by earlier versions keep verifying.
//!
//! `data/certificate-v1.json` was produced by radguard-wipe 0.1.0 before
//! the report fields became enums: sixteen items covering every method,
//! verification mode and result, technique, I/O mode and status (media
//! wipes through a fault-injecting test double, files and a folder on ext4
//! and tmpfs, an interrupted run). `certificate-v1.txt` is its
//! `render_text()`, `certificate-v1.pub` the signer's public key (the
//! test key with seed bytes `0x42`).

use std::collections::BTreeSet;

use radguard_core::SecretKey;
use radguard_wipe::{
    IoMode, Method, PublicKey, SignatureAlgorithm, SignedCertificate, SigningKey, Status,
    Technique, VerificationOutcome, VerifyScope,
};

const JSON: &str = include_str!("data/certificate-v1.json");
const TEXT: &str = include_str!("data/certificate-v1.txt");
const PUBLIC: &str = include_str!("data/certificate-v1.pub");

fn parsed() -> SignedCertificate {
    SignedCertificate::from_json(JSON.as_bytes()).expect("the old certificate parses")
}

#[test]
fn an_old_certificate_verifies_against_its_pinned_key() {
    let public = PublicKey::from_hex(PUBLIC).expect("public key");
    let c = parsed();
    let record = c
        .verify(Some(&public))
        .expect("the old certificate verifies");
    assert_eq!(record.items.len(), 16);
}

#[test]
fn an_old_certificate_re_serializes_byte_for_byte() {
    assert_eq!(parsed().to_json(), JSON);
}

#[test]
fn re_signing_an_old_record_gives_the_same_file() {
    // Ed25519 signatures are deterministic: the same key over the same
    // canonical record gives the same signature, so this checks that the
    // signed message (the compact serialization) is unchanged too.
    let key = SigningKey::from_secret(&SecretKey::from_bytes([0x42; 32]));
    assert_eq!(key.public_key().to_hex(), PUBLIC.trim());
    let record = parsed().unverified().clone();
    let signed = record.sign(&key).expect("sign");
    assert_eq!(signed.to_json(), JSON);
}

#[test]
fn an_old_certificate_renders_the_same_text() {
    assert_eq!(parsed().unverified().render_text(), TEXT);
}

#[test]
fn the_old_text_fields_read_as_enums() {
    let c = parsed();
    let record = c.unverified();
    assert_eq!(record.signer.algorithm, SignatureAlgorithm::Ed25519);
    let methods: Vec<String> = record.items.iter().map(|i| i.method.to_string()).collect();
    for m in [
        "clear",
        "random",
        "dod3",
        "dod7",
        "pattern:a5",
        "pattern:0102",
        "zeroout",
        "discard",
    ] {
        assert!(methods.iter().any(|x| x == m), "{m}");
    }
    assert_eq!(
        record.items[4].method,
        "pattern:a5".parse::<Method>().expect("method")
    );
    let results: BTreeSet<&str> = record
        .items
        .iter()
        .map(|i| i.verification_result.as_str())
        .collect();
    assert_eq!(
        results,
        BTreeSet::from(["failed", "incomplete", "not_performed", "passed"])
    );
    for (i, expected) in [
        (0, VerificationOutcome::Passed),
        (3, VerificationOutcome::NotPerformed),
        (8, VerificationOutcome::Failed),
        (10, VerificationOutcome::Incomplete),
    ] {
        assert_eq!(record.items[i].verification_result, expected, "item {i}");
    }
    let techniques: BTreeSet<&str> = record.items.iter().map(|i| i.technique.as_str()).collect();
    assert_eq!(techniques.len(), 3);
    assert_eq!(record.items[6].technique, Technique::BlockZeroout);
    assert_eq!(record.items[7].technique, Technique::BlockDiscard);
    assert_eq!(record.items[0].io_mode, IoMode::CallerDefined);
    assert_eq!(record.items[11].io_mode, IoMode::Direct);
    assert_eq!(
        record.items[0].passes[0]
            .verification
            .as_ref()
            .map(|v| v.scope),
        Some(VerifyScope::Sampled)
    );
    assert_eq!(
        record.items[1].passes[0]
            .verification
            .as_ref()
            .map(|v| v.scope),
        Some(VerifyScope::Full)
    );
    assert_eq!(record.items[15].status, Status::NotStarted);
}

#[test]
fn enum_names_are_their_serialized_form() {
    fn check<T: serde::Serialize + std::fmt::Display>(values: &[T]) {
        for v in values {
            assert_eq!(serde_json::to_string(v).expect("json"), format!("\"{v}\""));
        }
    }
    check(&[
        VerificationOutcome::Passed,
        VerificationOutcome::Failed,
        VerificationOutcome::Incomplete,
        VerificationOutcome::NotPerformed,
    ]);
    check(&[
        Technique::Overwrite,
        Technique::BlockZeroout,
        Technique::BlockDiscard,
    ]);
    check(&[IoMode::Direct, IoMode::Buffered, IoMode::CallerDefined]);
    check(&[VerifyScope::Full, VerifyScope::Sampled]);
    check(&[
        SignatureAlgorithm::Ed25519,
        SignatureAlgorithm::Unknown("rsa".into()),
    ]);
    assert!(serde_json::from_str::<IoMode>("\"caller_defined\"").is_err());
    assert!(serde_json::from_str::<VerificationOutcome>("{\"passed\":null}").is_err());
}

#[test]
fn an_unknown_algorithm_parses_and_is_refused_by_verification() {
    let doc = JSON.replace("\"algorithm\": \"ed25519\"", "\"algorithm\": \"rsa\"");
    assert_ne!(doc, JSON);
    let c = SignedCertificate::from_json(doc.as_bytes()).expect("parses");
    assert_eq!(
        c.unverified().signer.algorithm,
        SignatureAlgorithm::Unknown("rsa".into())
    );
    assert_eq!(c.to_json(), doc);
    let err = c.verify(None).expect_err("refused");
    assert!(
        err.to_string().contains("unsupported signature algorithm"),
        "{err}"
    );
}
