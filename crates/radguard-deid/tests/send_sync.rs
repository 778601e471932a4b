//! The main public types can be shared across threads (as rustls asserts
//! for its own): one `Deidentifier` serves every worker.

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn main_types_are_send_and_sync() {
    use radguard_deid::*;
    assert_send_sync::<Deidentifier>();
    assert_send_sync::<Profile>();
    assert_send_sync::<DeidKey>();
    assert_send_sync::<PseudonymMap>();
    assert_send_sync::<Report>();
    assert_send_sync::<Error>();
    assert_send_sync::<Explanation>();
}
