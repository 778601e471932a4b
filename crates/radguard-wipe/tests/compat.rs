//! Certificates written by earlier versions keep verifying.
//!
//! `data/certificate-v1.json` was produced by radguard-wipe 0.1.0 before
//! the report fields became enums: sixteen items covering every method,
//! verification mode and result, technique, I/O mode and status (media
//! wipes through a fault-injecting test double, files and a folder on ext4
//! and tmpfs, an interrupted run). `certificate-v1.txt` is its
//! `render_text()`, `certificate-v1.pub` the signer's public key (the
//! test key with seed bytes `0x42`).

use radguard_core::SecretKey;
use radguard_wipe::{PublicKey, SignedCertificate, SigningKey};

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
