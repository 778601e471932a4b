//! A file meta group whose only element is a group length shorter than 12
//! bytes (found by fuzzing radguard-crypt's decryptor) is reported, not a
//! subtraction overflow.

#[test]
fn short_meta_group_length_does_not_overflow() {
    let mut bytes = vec![0u8; 128];
    bytes.extend_from_slice(b"DICM");
    // (0002,0000) UL, length 0: an 8-byte element.
    bytes.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 0x00, 0x00]);
    // Then a data set element: (0008,0005) CS "ISO_IR 100".
    bytes.extend_from_slice(&[0x08, 0x00, 0x05, 0x00, b'C', b'S', 10, 0]);
    bytes.extend_from_slice(b"ISO_IR 100");
    // Whatever the outcome, no panic.
    let _ = radguard_dicom::from_bytes(&bytes);
}
