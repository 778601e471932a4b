//! The main public types can be shared across threads (as rustls asserts
//! for its own): one keyring and one cipher serve every worker.

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn main_types_are_send_and_sync() {
    use radguard_crypt::*;
    assert_send_sync::<LocalKeyring>();
    assert_send_sync::<StaticKey>();
    assert_send_sync::<SegmentCipher>();
    assert_send_sync::<Envelope>();
    assert_send_sync::<Layout>();
    assert_send_sync::<Threads>();
    assert_send_sync::<Error>();
    assert_send_sync::<Box<dyn KeyProvider>>();
    #[cfg(feature = "dicom")]
    {
        use radguard_crypt::dicom::*;
        assert_send_sync::<EncryptOptions<'static>>();
        assert_send_sync::<DecryptOptions<'static>>();
        assert_send_sync::<EncryptionInfo>();
        assert_send_sync::<EncryptedFile>();
    }
}
