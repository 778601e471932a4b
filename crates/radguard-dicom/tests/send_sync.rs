//! The main public types can be shared across threads (as rustls asserts
//! for its own).

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn main_types_are_send_and_sync() {
    use radguard_dicom::*;
    assert_send_sync::<DicomFile>();
    assert_send_sync::<SplitFile>();
    assert_send_sync::<DicomWriter>();
    assert_send_sync::<PendingFile>();
    assert_send_sync::<ReadOptions>();
    assert_send_sync::<WriteOptions>();
    assert_send_sync::<Limits>();
    assert_send_sync::<Summary>();
    assert_send_sync::<FileInfo>();
    assert_send_sync::<Error>();
    assert_send_sync::<Descend<u32>>();
    assert_send_sync::<pixel_meta::PixelPlan>();
    assert_send_sync::<pixel_meta::PixelCleanReport>();
    assert_send_sync::<pixel_meta::Stripped<'static>>();
    assert_send_sync::<pixel_meta::NativeDesc>();
    assert_send_sync::<pixel_meta::Error>();
}
