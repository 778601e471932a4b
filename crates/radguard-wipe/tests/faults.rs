//! Fault injection with a test-double device that fails writes or reads at
//! chosen offsets, or silently loses a write: the error is reported and no
//! certificate claims success.

mod common;

use common::FaultyMedia;
use radguard_core::SecretKey;
use radguard_wipe::{
    AssuranceLevel, Certificate, MediaInfo, Method, Operator, Outcome, SignedCertificate,
    SigningKey, Silent, Status, TargetReport, Verify, VerifyResult, wipe_media,
};

const MIB: usize = 1 << 20;

fn signed_outcome(reports: Vec<TargetReport>) -> Certificate {
    let key = SigningKey::from_secret(&SecretKey::from_bytes([0x44; 32]));
    let now = Certificate::now();
    let cert = Certificate::new(
        reports,
        Operator::named("fault test"),
        "h",
        now.clone(),
        now,
        &key.public_key(),
    )
    .expect("cert");
    let json = cert.sign(&key).expect("sign").to_json();
    // The failure is recorded in a certificate that itself verifies.
    SignedCertificate::from_json(json.as_bytes())
        .expect("parse")
        .verify(Some(&key.public_key()))
        .expect("verifies")
        .clone()
}

fn assert_no_success_claimed(c: &Certificate) {
    assert_ne!(c.outcome, Outcome::Completed);
    assert_eq!(c.assurance_level, AssuranceLevel::NotAssured);
    for it in &c.items {
        assert!(!it.succeeded());
        assert_ne!(it.status, Status::Completed);
        assert_eq!(it.assurance.level, AssuranceLevel::NotAssured);
    }
}

#[test]
fn write_error_at_chosen_offset_is_reported() {
    for offset in [0u64, 5 * MIB as u64 + 123, 16 * MIB as u64 - 1] {
        let mut dev = FaultyMedia::new(16 * MIB, 0xAB);
        dev.fail_write_at = Some(offset);
        let r = wipe_media(
            &mut dev,
            MediaInfo::default(),
            "faulty",
            &Method::Clear,
            Verify::Last,
            &mut Silent,
        );
        assert_eq!(r.status, Status::Failed);
        let err = r.error.clone().expect("error recorded");
        assert!(err.contains("write failed at byte"), "{err}");
        // The failing chunk is the one that holds the offset.
        let chunk = offset / (4 * MIB as u64) * (4 * MIB as u64);
        assert!(err.contains(&format!("byte {chunk}:")), "{err}");
        assert!(r.bytes_written <= offset);
        assert!(!r.passes[0].completed);
        assert_ne!(r.verification_result, "passed");
        assert_no_success_claimed(&signed_outcome(vec![r]));
    }
}

#[test]
fn read_error_during_verification_is_reported() {
    let mut dev = FaultyMedia::new(12 * MIB, 0xCD);
    dev.fail_read_at = Some(9 * MIB as u64);
    let r = wipe_media(
        &mut dev,
        MediaInfo::default(),
        "faulty",
        &Method::ClearRandom,
        Verify::Last,
        &mut Silent,
    );
    assert_eq!(r.status, Status::Failed);
    assert!(
        r.error
            .as_deref()
            .is_some_and(|e| e.contains("read-back failed")),
        "{:?}",
        r.error
    );
    assert_eq!(r.verification_result, "failed");
    let v = r.passes[0].verification.as_ref().expect("verification");
    assert_eq!(v.result, VerifyResult::Failed);
    // The write itself completed before the read failed.
    assert!(r.passes[0].completed);
    assert_eq!(r.bytes_written, 12 * MIB as u64);
    assert_no_success_claimed(&signed_outcome(vec![r]));
}

#[test]
fn a_lying_device_is_caught_by_verification_at_the_exact_byte() {
    for method in [Method::Clear, Method::ClearRandom, Method::Dod3] {
        let lost = 7 * MIB as u64 + 4097;
        let mut dev = FaultyMedia::new(10 * MIB, 0x00);
        dev.drop_write_at = Some(lost);
        let r = wipe_media(
            &mut dev,
            MediaInfo::default(),
            "liar",
            &method,
            Verify::All,
            &mut Silent,
        );
        assert_eq!(r.status, Status::Failed, "{method}");
        let v = r.passes[0].verification.as_ref().expect("verified");
        assert_eq!(v.result, VerifyResult::Failed);
        assert_eq!(v.first_mismatch_offset, Some(lost), "{method}");
        assert!(
            r.error
                .as_deref()
                .is_some_and(|e| e.contains(&lost.to_string()))
        );
        // The wipe stops at the failed pass: later passes never ran.
        assert_eq!(r.passes.len(), 1, "{method}");
        assert_no_success_claimed(&signed_outcome(vec![r]));
    }
}

#[test]
fn sampled_verification_catches_a_lying_first_block() {
    // Sampling always includes the first and the last block.
    let mut dev = FaultyMedia::new(64 * MIB, 0x11);
    dev.drop_write_at = Some(100);
    let r = wipe_media(
        &mut dev,
        MediaInfo::default(),
        "liar",
        &Method::Clear,
        Verify::Sample,
        &mut Silent,
    );
    assert_eq!(r.status, Status::Failed);
    let v = r.passes[0].verification.as_ref().expect("verified");
    assert_eq!(v.scope, "sampled");
    assert_eq!(v.first_mismatch_offset, Some(100));
}

#[test]
fn unverified_wipe_of_a_lying_device_is_not_assured() {
    let mut dev = FaultyMedia::new(4 * MIB, 0x22);
    dev.drop_write_at = Some(5);
    let r = wipe_media(
        &mut dev,
        MediaInfo::default(),
        "liar",
        &Method::Clear,
        Verify::None,
        &mut Silent,
    );
    // Without read-back the lie goes unnoticed, so the level cannot be
    // Clear: NIST requires verification.
    assert_eq!(r.status, Status::Completed);
    assert_eq!(r.verification_result, "not_performed");
    assert_eq!(r.assurance.level, AssuranceLevel::NotAssured);
    let c = signed_outcome(vec![r]);
    assert_eq!(c.assurance_level, AssuranceLevel::NotAssured);
}

#[test]
fn failure_in_a_later_pass_keeps_the_earlier_passes_on_record() {
    // 8 MiB in 4 MiB chunks: pass 1 is writes 1-2, pass 2 starts at write 3.
    let mut dev = FaultyMedia::new(8 * MIB, 0x33);
    dev.fail_write_number = Some(3);
    let r = wipe_media(
        &mut dev,
        MediaInfo::default(),
        "dev",
        &Method::Dod3,
        Verify::All,
        &mut Silent,
    );
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.passes.len(), 2);
    assert!(r.passes[0].completed);
    assert_eq!(
        r.passes[0].verification.as_ref().map(|v| v.result),
        Some(VerifyResult::Passed)
    );
    assert!(!r.passes[1].completed);
    assert_eq!(r.passes[1].bytes_written, 0);
    assert_eq!(r.bytes_written, 8 * MIB as u64);
    assert_eq!(r.bytes_planned, 3 * 8 * MIB as u64);
    assert!(
        r.error
            .as_deref()
            .is_some_and(|e| e.contains("write failed at byte 0"))
    );
    assert_no_success_claimed(&signed_outcome(vec![r]));
}

#[test]
fn one_failed_item_makes_the_whole_certificate_failed() {
    let mut good = FaultyMedia::new(MIB, 0x01);
    let ok = wipe_media(
        &mut good,
        MediaInfo::default(),
        "good",
        &Method::Clear,
        Verify::Last,
        &mut Silent,
    );
    assert!(ok.succeeded());
    let mut bad = FaultyMedia::new(MIB, 0x01);
    bad.fail_write_at = Some(10);
    let failed = wipe_media(
        &mut bad,
        MediaInfo::default(),
        "bad",
        &Method::Clear,
        Verify::Last,
        &mut Silent,
    );
    let c = signed_outcome(vec![ok, failed]);
    assert_eq!(c.outcome, Outcome::Failed);
    assert_eq!(c.assurance_level, AssuranceLevel::NotAssured);
    assert_eq!(c.items[0].assurance.level, AssuranceLevel::ClearLogical);
}
