//! Memory stays bounded: encrypting and decrypting a 64 MiB, 1,000-frame
//! instance peaks far below the file size (the heap is metered). The 1 GiB
//! / 128 MiB RSS check of the whole CLI is `benches/crypt_memory.py`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use std::io::Read;

use radguard_crypt::Threads;
use radguard_crypt::dicom::{
    DecryptOptions, EncryptOptions, EncryptedFile, decrypt_file, encrypt_file,
};
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::dicom::object::meta::FileMetaTableBuilder;
use radguard_dicom::{DicomWriter, WriteOptions};

#[global_allocator]
static ALLOC: radguard_testkit::Meter = radguard_testkit::meter();

const ROWS: u16 = 128;
const COLS: u16 = 256;
const FRAMES: u32 = 1000;
const FRAME: usize = ROWS as usize * COLS as usize * 2;

/// Pixel bytes generated on the fly: frame `f` is filled with a pattern of `f`.
struct Gen {
    pos: usize,
    len: usize,
}

fn byte_at(i: usize) -> u8 {
    let f = i / FRAME;
    ((i % 251) ^ (f * 7)) as u8
}

impl Read for Gen {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.len - self.pos);
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = byte_at(self.pos + k);
        }
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn large_instance_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("big.dcm");
    let len = FRAME * FRAMES as usize;
    {
        let meta = FileMetaTableBuilder::new()
            .transfer_syntax("1.2.840.10008.1.2.1")
            .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7.2")
            .media_storage_sop_instance_uid("2.25.4242")
            .build()
            .unwrap();
        let header = InMemDicomObject::from_element_iter([
            DataElement::new(Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7.2"),
            DataElement::new(Tag(0x0008, 0x0018), VR::UI, "2.25.4242"),
            DataElement::new(Tag(0x0028, 0x0002), VR::US, PrimitiveValue::from(1u16)),
            DataElement::new(Tag(0x0028, 0x0008), VR::IS, FRAMES.to_string()),
            DataElement::new(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(ROWS)),
            DataElement::new(Tag(0x0028, 0x0011), VR::US, PrimitiveValue::from(COLS)),
            DataElement::new(Tag(0x0028, 0x0100), VR::US, PrimitiveValue::from(16u16)),
        ]);
        let mut w = DicomWriter::create(&plain, &meta, &WriteOptions::new()).unwrap();
        w.write_elements(header.iter()).unwrap();
        let mut source = Gen { pos: 0, len };
        w.write_native_pixel(Tag(0x7FE0, 0x0010), VR::OW, len as u32, &mut source)
            .unwrap();
        w.commit().unwrap();
    }
    let base = ALLOC.max_allocated();
    assert!(base < 8 << 20, "generation used {base} bytes");

    let p = common::provider();
    let threads = Threads::available();
    let enc = dir.path().join("enc.dcm");
    let dec = dir.path().join("dec.dcm");
    let batch = 2 << 20;
    encrypt_file(
        &plain,
        &enc,
        &p,
        &EncryptOptions::new().executor(&threads).batch_bytes(batch),
    )
    .unwrap();
    let after_encrypt = ALLOC.max_allocated();
    decrypt_file(
        &enc,
        &dec,
        &p,
        &DecryptOptions::new().executor(&threads).batch_bytes(batch),
    )
    .unwrap();
    let after_decrypt = ALLOC.max_allocated();
    eprintln!(
        "peak heap: {} KiB after encrypting, {} KiB after decrypting a {} MiB instance",
        after_encrypt >> 10,
        after_decrypt >> 10,
        len >> 20
    );
    // Encryption pipelines up to five batches, decryption holds one; plus
    // the header and buffers: well under half the file either way.
    assert!(after_encrypt < 5 * batch + (4 << 20), "{after_encrypt}");
    assert!(after_decrypt < 5 * batch + (4 << 20), "{after_decrypt}");
    assert!(after_encrypt < len / 2, "{after_encrypt}");

    // The decrypted pixel data is the original, read back in chunks.
    let mut split = radguard_dicom::open_split(&dec).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    for off in (0..len).step_by(buf.len()) {
        let n = buf.len().min(len - off);
        split.read_native_at(off as u64, &mut buf[..n]).unwrap();
        assert!(
            buf[..n]
                .iter()
                .enumerate()
                .all(|(k, b)| *b == byte_at(off + k))
        );
    }

    // Random access: frame 500 alone.
    let mut file = EncryptedFile::open(&enc, &p).unwrap();
    let frame = file.read_frame(500).unwrap();
    assert_eq!(frame.len(), FRAME);
    assert!(
        frame
            .iter()
            .enumerate()
            .all(|(k, b)| *b == byte_at(500 * FRAME + k))
    );
}
