//! Tampering with any field of a signed certificate is detected.
//!
//! The certificate used here has every optional field filled in (operator
//! details, media identity, a failed item with an error and a mismatch
//! offset), so walking its JSON reaches every field the format has.

mod common;

use common::FaultyMedia;
use radguard_core::SecretKey;
use radguard_wipe::{
    Certificate, MediaInfo, Method, Operator, PublicKey, SignedCertificate, SigningKey, Silent,
    Verify, wipe_media,
};
use serde_json::Value;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_secret(&SecretKey::from_bytes([seed; 32]))
}

fn full_media() -> MediaInfo {
    let mut m = MediaInfo::default();
    m.media_type = Some("magnetic (rotational)".into());
    m.manufacturer = Some("ACME".into());
    m.model = Some("Disk 9000".into());
    m.serial = Some("SN-123".into());
    m.device = Some("/dev/sdz (8:0)".into());
    m.size_bytes = Some(1 << 20);
    m.rotational = Some(true);
    m.removable = Some(false);
    m.virtual_device = Some(false);
    m.backing_file = Some("/img".into());
    m.filesystem = Some("ext4".into());
    m.mount_point = Some("/mnt".into());
    m.mount_options = Some("rw".into());
    m.discard_supported = Some(true);
    m.write_zeroes_offload = Some(false);
    m.secure_discard = Some("not supported".into());
    m
}

fn signed_json() -> (String, PublicKey) {
    let mut ok_dev = FaultyMedia::new(1 << 20, 0x55);
    let ok = wipe_media(
        &mut ok_dev,
        full_media(),
        "disk-a",
        &Method::Clear,
        Verify::Sample,
        &mut Silent,
    );
    let mut bad_dev = FaultyMedia::new(1 << 20, 0x55);
    bad_dev.drop_write_at = Some(777);
    let bad = wipe_media(
        &mut bad_dev,
        full_media(),
        "disk-b",
        &Method::Dod3,
        Verify::All,
        &mut Silent,
    );
    assert!(bad.error.is_some());
    let k = key(7);
    let op = Operator::named("Jo Tech").with_details(
        Some("Technician".into()),
        Some("Radiology".into()),
        Some("Building 4".into()),
        Some("+1 555 0100".into()),
    );
    let cert = Certificate::new(
        vec![ok, bad],
        op,
        "ws-1",
        "2026-11-22T08:00:00Z".into(),
        "2026-11-22T08:05:00Z".into(),
        &k.public_key(),
    )
    .expect("cert");
    (cert.sign(&k).expect("sign").to_json(), k.public_key())
}

fn verifies(v: &Value, trusted: Option<&PublicKey>) -> bool {
    let bytes = serde_json::to_vec(v).expect("json");
    SignedCertificate::from_json(&bytes).is_ok_and(|c| c.verify(trusted).is_ok())
}

/// Every path to an object member.
fn members(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                out.push(path.clone());
                members(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                members(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).expect("key"),
        Value::Array(a) => &mut a[k.parse::<usize>().expect("index")],
        _ => panic!("not a container"),
    })
}

/// A different value of the same JSON type.
fn mutate(v: &Value) -> Vec<Value> {
    match v {
        Value::String(s) => {
            let mut out = vec![Value::String(format!("{s}x")), Value::String(String::new())];
            if let Some(c) = s.chars().next() {
                // Same length, one character changed.
                let other = if c == 'a' { 'b' } else { 'a' };
                out.push(Value::String(format!("{other}{}", &s[c.len_utf8()..])));
            }
            out.retain(|x| x != v);
            out
        }
        Value::Number(n) => {
            let x = n.as_u64().expect("certificates hold unsigned integers");
            vec![Value::from(x + 1), Value::from(x.saturating_sub(1))]
                .into_iter()
                .filter(|y| y != v)
                .collect()
        }
        Value::Bool(b) => vec![Value::Bool(!b)],
        _ => vec![Value::Null],
    }
}

#[test]
fn untouched_certificate_verifies() {
    let (json, public) = signed_json();
    let v: Value = serde_json::from_str(&json).expect("json");
    assert!(verifies(&v, Some(&public)));
    assert!(verifies(&v, None));
}

#[test]
fn changing_any_field_is_detected() {
    let (json, _) = signed_json();
    let original: Value = serde_json::from_str(&json).expect("json");
    let paths = radguard_testkit::json::leaf_paths(&original);
    // The document really has every kind of field in it.
    assert!(paths.len() > 80, "only {} fields", paths.len());
    for must in [
        "serial",
        "first_mismatch_offset",
        "error",
        "contact",
        "secure_discard",
        "signature",
        "key_id",
        "level",
    ] {
        assert!(
            paths.iter().any(|p| p.last().is_some_and(|l| l == must)),
            "field {must} missing from the test certificate"
        );
    }
    let mut checked = 0;
    for path in &paths {
        let leaf = get_mut(&mut original.clone(), path).clone();
        for replacement in mutate(&leaf) {
            let mut t = original.clone();
            *get_mut(&mut t, path) = replacement.clone();
            assert!(
                !verifies(&t, None),
                "changing {} to {replacement} went undetected",
                path.join(".")
            );
            checked += 1;
        }
    }
    assert!(checked > 2 * paths.len() - 10);
}

#[test]
fn removing_or_adding_fields_is_detected() {
    let (json, _) = signed_json();
    let original: Value = serde_json::from_str(&json).expect("json");
    let mut paths = Vec::new();
    members(&original, &mut Vec::new(), &mut paths);
    for path in &paths {
        let mut t = original.clone();
        let (last, parent) = path.split_last().expect("path");
        if let Value::Object(m) = get_mut(&mut t, parent) {
            m.remove(last);
        }
        assert!(
            !verifies(&t, None),
            "removing {} went undetected",
            path.join(".")
        );
        // An extra member next to it.
        let mut t = original.clone();
        if let Value::Object(m) = get_mut(&mut t, parent) {
            m.insert("injected".into(), Value::from("x"));
        }
        assert!(
            !verifies(&t, None),
            "adding next to {} went undetected",
            path.join(".")
        );
    }
}

#[test]
fn removing_or_reordering_items_is_detected() {
    let (json, _) = signed_json();
    let original: Value = serde_json::from_str(&json).expect("json");
    let mut t = original.clone();
    get_mut(&mut t, &["certificate".into(), "items".into()])
        .as_array_mut()
        .expect("items")
        .remove(1);
    assert!(
        !verifies(&t, None),
        "dropping the failed item went undetected"
    );
    let mut t = original;
    get_mut(&mut t, &["certificate".into(), "items".into()])
        .as_array_mut()
        .expect("items")
        .swap(0, 1);
    assert!(!verifies(&t, None));
}

#[test]
fn re_signing_with_another_key_fails_against_the_pinned_key() {
    let (json, public) = signed_json();
    let parsed = SignedCertificate::from_json(json.as_bytes()).expect("parse");
    let record = parsed.verify(Some(&public)).expect("valid").clone();
    // An attacker edits the record and signs it with their own key.
    let mallory = key(9);
    let mut forged: Value = serde_json::to_value(&record).expect("json");
    forged["outcome"] = Value::from("completed");
    forged["signer"]["public_key"] = Value::from(mallory.public_key().to_hex());
    forged["signer"]["key_id"] = Value::from(mallory.public_key().key_id().to_string());
    let forged: Certificate = serde_json::from_value(forged).expect("record");
    let forged_json = forged.sign(&mallory).expect("sign").to_json();
    let p = SignedCertificate::from_json(forged_json.as_bytes()).expect("parse");
    // Self-consistent, so it verifies unpinned...
    assert!(p.verify(None).is_ok());
    // ...but not against the key the hospital trusts.
    assert!(p.verify(Some(&public)).is_err());
}

#[test]
fn garbage_and_truncation_are_rejected_without_panic() {
    let (json, _) = signed_json();
    // Everything short of the closing brace (the file ends with "}\n").
    for cut in (0..json.len() - 2).step_by(97) {
        assert!(
            SignedCertificate::from_json(&json.as_bytes()[..cut])
                .map(|c| c.verify(None).is_err())
                .unwrap_or(true)
        );
    }
    assert!(SignedCertificate::from_json(b"\xff\x00").is_err());
}
