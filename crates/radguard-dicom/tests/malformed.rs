//! Hostile and broken inputs: every one is a typed error naming where it
//! broke (or a documented finding), never a panic or a huge allocation.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use common::*;
use radguard_dicom::{Error, FindingKind, Limits, ReadOptions, from_bytes};

#[test]
fn minimal_file_opens() {
    let f = from_bytes(&minimal_file(&[1, 2, 3, 4])).unwrap();
    assert_eq!(f.info().element_count, 4);
    assert!(f.info().findings.is_empty(), "{:?}", f.info().findings);
}

#[test]
fn forged_pixel_length_is_an_error_naming_tag_and_offset() {
    let mut bytes = minimal_file(&[0u8; 64]);
    let hdr = bytes.len() - 64 - 12;
    bytes[hdr + 8..hdr + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    match from_bytes(&bytes) {
        Err(Error::Truncated {
            tag,
            offset,
            declared,
            available,
        }) => {
            assert_eq!(tag.to_string(), "(7FE0,0010)");
            assert_eq!(offset, hdr as u64);
            assert_eq!(declared, 0xFFFF_FFF0);
            assert_eq!(available, 64);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    // Diagnostic mode reads what is there and says so.
    let f = ReadOptions::new()
        .allow_truncated(true)
        .from_bytes(&bytes)
        .unwrap();
    assert!(f.info().is_truncated());
    assert!(f.dataset().get(dicom_core::Tag(0x7FE0, 0x0010)).is_none());
    assert!(f.dataset().get(dicom_core::Tag(0x0010, 0x0010)).is_some());
}

#[test]
fn forged_item_length_inside_a_sequence_is_an_error() {
    let mut bytes = preamble_and_meta("1.2.840.10008.1.2.1");
    let inner = el(0x0008, 0x1155, "UI", b"1.2.3.4");
    // Defined-length sequence holding one item that claims more than the file.
    let mut seq_value = item(0x0100_0000);
    seq_value.extend(&inner);
    bytes.extend(header_with_len(
        0x0008,
        0x1140,
        "SQ",
        u32::try_from(seq_value.len()).unwrap(),
    ));
    bytes.extend(&seq_value);
    bytes.extend(el(0x0010, 0x0010, "PN", b"X^Y "));
    match from_bytes(&bytes) {
        Err(Error::Truncated { tag, declared, .. }) => {
            assert_eq!(tag.to_string(), "(FFFE,E000)");
            assert_eq!(declared, 0x0100_0000);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    // Diagnostic mode reads the item to the end of the file and says so.
    let f = ReadOptions::new()
        .allow_truncated(true)
        .from_bytes(&bytes)
        .unwrap();
    assert!(f.info().is_truncated());
}

#[test]
fn item_overrunning_its_sequence_but_present_is_a_finding() {
    // pydicom reads items past a too-short sequence length when the bytes
    // are there; so does radguard, and it reports it.
    let mut bytes = preamble_and_meta("1.2.840.10008.1.2.1");
    let inner = el(0x0008, 0x1155, "UI", b"1.2.3.4");
    let mut seq_value = item(u32::try_from(inner.len()).unwrap());
    seq_value.extend(&inner);
    bytes.extend(header_with_len(
        0x0008,
        0x1140,
        "SQ",
        u32::try_from(seq_value.len() - 4).unwrap(),
    ));
    bytes.extend(&seq_value);
    bytes.extend(el(0x0010, 0x0010, "PN", b"X^Y "));
    let f = from_bytes(&bytes).unwrap();
    let kinds: Vec<_> = f.info().findings.iter().map(|x| x.kind).collect();
    assert!(
        kinds.contains(&FindingKind::SequenceLengthMismatch),
        "{kinds:?}"
    );
    assert!(f.dataset().get(dicom_core::Tag(0x0010, 0x0010)).is_some());
    let seq = f.dataset().get(dicom_core::Tag(0x0008, 0x1140)).unwrap();
    assert_eq!(seq.items().unwrap().len(), 1);
}

#[test]
fn nesting_is_limited() {
    let deep = nested_file(100);
    match from_bytes(&deep) {
        Err(Error::TooDeep { tag, limit, .. }) => {
            assert_eq!(limit, 64);
            assert_eq!(tag.to_string(), "(0040,A730)");
        }
        other => panic!("expected TooDeep, got {other:?}"),
    }
    let f = ReadOptions::new()
        .limits(Limits::default().max_depth(128))
        .from_bytes(&deep)
        .unwrap();
    assert_eq!(f.info().max_depth, 100);
    let ok = from_bytes(&nested_file(64)).unwrap();
    assert_eq!(ok.info().max_depth, 64);
}

#[test]
fn element_count_and_memory_are_limited() {
    let bytes = minimal_file(&[0u8; 4096]);
    let err = ReadOptions::new()
        .limits(Limits::default().max_elements(3))
        .from_bytes(&bytes)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "element count",
                ..
            }
        ),
        "{err:?}"
    );
    let err = ReadOptions::new()
        .limits(Limits::default().max_in_memory(1000))
        .from_bytes(&bytes)
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

#[test]
fn deflate_bomb_is_limited() {
    use std::io::Write;
    let mut ds = Vec::new();
    ds.extend(el(0x0008, 0x0018, "UI", b"2.25.123"));
    ds.extend(header_with_len(0x0009, 0x1010, "OB", 8 << 20));
    ds.extend(vec![0u8; 8 << 20]);
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&ds).unwrap();
    let deflated = enc.finish().unwrap();
    assert!(deflated.len() < 64 * 1024, "{}", deflated.len());
    let mut bytes = preamble_and_meta("1.2.840.10008.1.2.1.99");
    bytes.extend(&deflated);
    let err = ReadOptions::new()
        .limits(Limits::default().max_inflated(1 << 20))
        .from_bytes(&bytes)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "inflated data set",
                ..
            }
        ),
        "{err:?}"
    );
    // Within the limit the same file reads, and says its offsets are inflated ones.
    let f = from_bytes(&bytes).unwrap();
    assert!(f.info().offsets_in_inflated);
    assert_eq!(f.info().element_count, 2);
}

#[test]
fn garbage_is_not_dicom() {
    for bytes in [
        Vec::new(),
        b"not dicom at all".to_vec(),
        vec![0u8; 4096],
        vec![0xFFu8; 4096],
        b"root:x:0:0:root:/root:/bin/bash\n".repeat(20),
    ] {
        match from_bytes(&bytes) {
            Err(Error::NotDicom { .. }) => {}
            other => panic!("expected NotDicom for {} bytes, got {other:?}", bytes.len()),
        }
    }
}

#[test]
fn unknown_transfer_syntax_is_refused() {
    let mut bytes = preamble_and_meta("1.2.3.4.5.6.7");
    bytes.extend(el(0x0008, 0x0018, "UI", b"2.25.123"));
    match from_bytes(&bytes) {
        Err(Error::UnsupportedTransferSyntax { uid, .. }) => assert_eq!(uid, "1.2.3.4.5.6.7"),
        other => panic!("expected UnsupportedTransferSyntax, got {other:?}"),
    }
}

#[test]
fn bare_data_set_without_meta_is_inferred_and_reported() {
    let mut bytes = Vec::new();
    bytes.extend(el(0x0008, 0x0016, "UI", b"1.2.840.10008.5.1.4.1.1.7\0"));
    bytes.extend(el(0x0008, 0x0018, "UI", b"2.25.77"));
    bytes.extend(el(0x0010, 0x0010, "PN", b"DOE^JOHN"));
    let f = from_bytes(&bytes).unwrap();
    assert!(!f.info().has_file_meta);
    let kinds: Vec<_> = f.info().findings.iter().map(|x| x.kind).collect();
    assert!(kinds.contains(&FindingKind::NoFileMeta));
    assert!(kinds.contains(&FindingKind::TransferSyntaxInferred));
    assert_eq!(f.meta().transfer_syntax, "1.2.840.10008.1.2.1");
    assert_eq!(f.meta().media_storage_sop_instance_uid, "2.25.77");
}

#[test]
fn stray_delimiters_and_odd_lengths_are_findings() {
    let mut bytes = preamble_and_meta("1.2.840.10008.1.2.1");
    bytes.extend(el(0x0008, 0x0018, "UI", b"2.25.1"));
    bytes.extend(ITEM_DELIM);
    bytes.extend(el(0x0010, 0x0010, "PN", b"ODD"));
    let f = from_bytes(&bytes).unwrap();
    let kinds: Vec<_> = f.info().findings.iter().map(|x| x.kind).collect();
    assert!(kinds.contains(&FindingKind::StrayDelimiter), "{kinds:?}");
    assert!(kinds.contains(&FindingKind::OddLength), "{kinds:?}");
}

#[test]
fn every_prefix_of_a_file_is_an_error_or_a_reported_truncation() {
    let full = std::fs::read(radguard_testkit::sample("pydicom/rtplan.dcm")).unwrap();
    for n in (0..full.len()).step_by(7) {
        let prefix = &full[..n];
        match from_bytes(prefix) {
            Ok(f) => {
                // Only a prefix that ends exactly at an element boundary reads strictly.
                assert!(!f.info().is_truncated());
            }
            Err(e) => {
                let _ = e.to_string();
                if let Ok(f) = ReadOptions::new().allow_truncated(true).from_bytes(prefix) {
                    assert!(
                        f.info().is_truncated()
                            || f.info()
                                .findings
                                .iter()
                                .any(|x| x.kind == FindingKind::MissingDelimiter
                                    || x.kind == FindingKind::TrailingBytes)
                    );
                }
            }
        }
    }
}
