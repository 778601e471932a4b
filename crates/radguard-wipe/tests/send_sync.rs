//! The main public types can be shared and sent between threads.

use radguard_wipe::{
    Assurance, Certificate, Error, IoMode, MediaInfo, Method, Pattern, PatternStream, PublicKey,
    SignatureAlgorithm, SignedCertificate, SigningKey, Silent, TargetReport, Technique,
    VerificationOutcome, Verify,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn main_types_are_send_and_sync() {
    assert_send_sync::<Error>();
    assert_send_sync::<Method>();
    assert_send_sync::<Verify>();
    assert_send_sync::<Pattern>();
    assert_send_sync::<PatternStream>();
    assert_send_sync::<Silent>();
    assert_send_sync::<TargetReport>();
    assert_send_sync::<MediaInfo>();
    assert_send_sync::<Assurance>();
    assert_send_sync::<VerificationOutcome>();
    assert_send_sync::<Technique>();
    assert_send_sync::<IoMode>();
    assert_send_sync::<SignatureAlgorithm>();
    assert_send_sync::<Certificate>();
    assert_send_sync::<SignedCertificate>();
    assert_send_sync::<SigningKey>();
    assert_send_sync::<PublicKey>();
}

#[cfg(target_os = "linux")]
#[test]
fn wiper_types_are_send_and_sync() {
    use radguard_wipe::{Options, Plan, PlanItem, Target, Wiper};
    assert_send_sync::<Wiper>();
    assert_send_sync::<Options>();
    assert_send_sync::<Plan>();
    assert_send_sync::<PlanItem>();
    assert_send_sync::<Target>();
}
