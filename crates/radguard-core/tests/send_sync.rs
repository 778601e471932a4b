//! The main public types can be shared across threads (as rustls asserts
//! for its own).

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn main_types_are_send_and_sync() {
    assert_send_sync::<radguard_core::SecretKey>();
    assert_send_sync::<radguard_core::KeyId>();
    assert_send_sync::<radguard_core::AuditRecord>();
    assert_send_sync::<radguard_core::VecSink>();
    assert_send_sync::<radguard_core::Redacted<String>>();
    assert_send_sync::<radguard_core::AttrPath>();
    assert_send_sync::<radguard_core::KeyError>();
    #[cfg(feature = "fs")]
    assert_send_sync::<radguard_core::fs::AtomicFile>();
}
