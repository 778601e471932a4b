//! Pixel-data encryption and inspection as the Python package offers them:
//! keyrings from files, results as JSON documents.

use std::path::Path;

use radguard_core::KeyId;
use radguard_crypt::dicom::{
    DecryptOptions, EncryptOptions, EncryptionInfo, decrypt_file, encrypt_file, encryption_info,
};
use radguard_crypt::{KeyStatus, Layout, LocalKeyring};
use serde_json::{Value, json};

use crate::{Failure, FailureKind};

/// Opens a keyring file (mode 0600, as `radguard keys new` creates it).
///
/// # Errors
///
/// [`FailureKind::KeyFile`] or [`FailureKind::Io`].
pub fn open_keyring(path: &Path) -> Result<LocalKeyring, Failure> {
    Ok(LocalKeyring::open(path)?)
}

/// The keys of a keyring: id, status, whether primary; never key material.
#[must_use]
pub fn keys_json(ring: &LocalKeyring) -> Value {
    Value::Array(
        ring.keys()
            .iter()
            .map(|k| {
                json!({
                    "id": k.id.as_str(),
                    "status": match k.status {
                        KeyStatus::Primary => "primary",
                        KeyStatus::Destroyed => "destroyed",
                        _ => "active",
                    },
                })
            })
            .collect(),
    )
}

/// What an encrypted file holds, as a JSON document.
#[must_use]
pub fn info_json(info: &EncryptionInfo) -> Value {
    json!({
        "key_id": info.key_id.as_str(),
        "version": info.version,
        "pixel_tag": info.pixel_tag.map(|t| t.to_string()),
        "protected": info.protected.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "encapsulated": info.encapsulated,
        "frames": info.frames,
        "units": info.units,
        "segments": info.segments,
        "plaintext_bytes": info.plaintext_bytes,
        "patient_changed": info.patient_changed,
    })
}

/// Encrypts the pixel data of `input` into `output` (the data key wrapped
/// under `key_id`, else the keyring's primary key).
///
/// # Errors
///
/// The library's errors as [`Failure`]s; [`FailureKind::InvalidInput`] for
/// a malformed key id or segment size.
pub fn encrypt(
    input: &Path,
    output: &Path,
    ring: &LocalKeyring,
    key_id: Option<&str>,
    segment_size: Option<u32>,
    overwrite: bool,
) -> Result<Value, Failure> {
    let kek = key_id
        .map(|k| {
            k.parse::<KeyId>()
                .map_err(|e| Failure::invalid("bad_key_id", &e))
        })
        .transpose()?;
    let size = segment_size.unwrap_or(Layout::DEFAULT_SEGMENT_SIZE);
    if !(Layout::MIN_SEGMENT_SIZE..=Layout::MAX_SEGMENT_SIZE).contains(&size) {
        return Err(Failure::new(
            FailureKind::InvalidInput,
            "invalid_parameter",
            format!(
                "segment_size must be between {} and {} bytes",
                Layout::MIN_SEGMENT_SIZE,
                Layout::MAX_SEGMENT_SIZE
            ),
        ));
    }
    let mut opts = EncryptOptions::new()
        .segment_size(size)
        .overwrite(overwrite);
    if let Some(k) = &kek {
        opts = opts.kek(k);
    }
    Ok(info_json(&encrypt_file(input, output, ring, &opts)?))
}

/// Decrypts `input` (written by [`encrypt`] or `radguard encrypt`) into
/// `output`.
///
/// # Errors
///
/// [`FailureKind::Decryption`] for a wrong key or modified data; other
/// library errors as [`Failure`]s.
pub fn decrypt(
    input: &Path,
    output: &Path,
    ring: &LocalKeyring,
    overwrite: bool,
) -> Result<Value, Failure> {
    let opts = DecryptOptions::new().overwrite(overwrite);
    Ok(info_json(&decrypt_file(input, output, ring, &opts)?))
}

/// The encryption header of a file, or `None` if it is not encrypted.
///
/// # Errors
///
/// Read errors as [`Failure`]s.
pub fn info(path: &Path) -> Result<Option<Value>, Failure> {
    Ok(encryption_info(path)?.as_ref().map(info_json))
}

/// A PHI-free structural summary of a file (what `radguard inspect
/// --json` prints for it).
///
/// # Errors
///
/// Read errors as [`Failure`]s.
pub fn inspect(path: &Path) -> Result<Value, Failure> {
    let s = radguard_dicom::ReadOptions::new()
        .allow_truncated(true)
        .summarize(path)?;
    serde_json::to_value(&s)
        .map_err(|e| Failure::new(FailureKind::Io, "encode_error", e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_wrong_key_and_inspect() {
        let dir = tempfile::tempdir().unwrap();
        let ring_path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&ring_path).unwrap();
        let kek = ring.generate_key(None).unwrap();
        ring.save().unwrap();
        let ring = open_keyring(&ring_path).unwrap();
        assert_eq!(keys_json(&ring)[0]["id"], kek.as_str());
        assert_eq!(keys_json(&ring)[0]["status"], "primary");
        let plain = radguard_testkit::sample("pydicom/MR_small.dcm");
        let (enc, dec) = (dir.path().join("e.dcm"), dir.path().join("d.dcm"));
        let i = encrypt(&plain, &enc, &ring, None, None, false).unwrap();
        assert_eq!(i["key_id"], kek.as_str());
        assert_eq!(info(&enc).unwrap().unwrap(), i);
        assert!(info(&plain).unwrap().is_none());
        decrypt(&enc, &dec, &ring, false).unwrap();
        // The same structure (radguard writes a zero preamble).
        let (mut a, mut b) = (inspect(&dec).unwrap(), inspect(&plain).unwrap());
        for v in [&mut a, &mut b] {
            let o = v.as_object_mut().unwrap();
            o.remove("preamble");
            o.remove("preamble_nonzero");
        }
        assert_eq!(a, b);
        // Another keyring: the key is unknown.
        let other_path = dir.path().join("other");
        let mut other = LocalKeyring::create(&other_path).unwrap();
        other.generate_key(None).unwrap();
        other.save().unwrap();
        let e = decrypt(&enc, &dir.path().join("x.dcm"), &other, false).unwrap_err();
        assert_eq!(e.kind, FailureKind::KeyManagement);
        let e = encrypt(&plain, &enc, &ring, None, Some(3), false).unwrap_err();
        assert_eq!(e.kind, FailureKind::InvalidInput);
    }
}
