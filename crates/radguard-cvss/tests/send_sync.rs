//! The public types can be shared and sent between threads.

use radguard_cvss::{AttackVector, Cvss, CvssError, CvssV3, CvssV4, ExploitMaturity, Severity};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<Cvss>();
    assert_send_sync::<CvssV3>();
    assert_send_sync::<CvssV4>();
    assert_send_sync::<CvssError>();
    assert_send_sync::<Severity>();
    assert_send_sync::<AttackVector>();
    assert_send_sync::<ExploitMaturity>();
}
