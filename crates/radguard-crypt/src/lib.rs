//! At-rest encryption of DICOM pixel data with envelope keys, rotation and
//! crypto-erase.
//!
//! PACS and VNA archives keep images for decades on disks that get
//! replaced, backed up and resold. `radguard-crypt` encrypts the pixel data
//! of each instance — and every other place an image or identifying bulk
//! data hides: icons, overlays, documents, waveforms, private blobs — and
//! leaves the header readable, so the archive can still index and query
//! it; it binds the attributes that interpret the pixels and the instance's
//! identity, and detects any tampering; and it makes key custody
//! manageable:
//!
//! - **Envelope keys.** Every instance gets a fresh random 256-bit data
//!   key, wrapped by a key-encryption key (KEK) that a [`KeyProvider`]
//!   holds: the bundled [`LocalKeyring`] file, a PKCS#11 token (an HSM;
//!   `pkcs11::Pkcs11Provider`, feature `pkcs11`), or your KMS.
//! - **Rotation without re-encryption.** [`dicom::rewrap_file`] re-wraps
//!   the data key under a new KEK; the pixel ciphertext is copied as is.
//! - **Crypto-erase.** Destroying a KEK makes every instance under it
//!   unrecoverable ([`LocalKeyring::destroy_key`]) — the only Purge-grade
//!   erase for SSDs and cloud volumes, provided every copy of the KEK goes.
//! - **Random access.** Pixel data is cut into units (frames, fragments)
//!   and segments sealed separately, so a viewer decrypts frame 500 of a
//!   1,000-frame cine without touching the others ([`dicom::EncryptedFile`]).
//! - **Streaming.** Files are processed in bounded batches: a 1 GiB
//!   instance encrypts and decrypts in well under 128 MiB of memory, its
//!   segments spread over all cores ([`Executor`]).
//!
//! The construction is AES-256-GCM (`ring`'s one-pass assembly for the
//! segments, RustCrypto `aes-gcm` for the local key wrap) in a STREAM-style
//! segmented mode with HKDF-SHA-256 subkeys and a key commitment;
//! [`format`](mod@format) specifies the on-disk format, version 2 (and the
//! version 1 it still reads), byte by byte.
//!
//! # Crate layout
//!
//! | item | feature | what it is |
//! |---|---|---|
//! | [`Envelope`], [`SegmentCipher`], [`Layout`] | always | the format-agnostic segmented AEAD and its header |
//! | [`encrypt_units`], [`decrypt_units`] | always | the same for data held in memory |
//! | [`KeyProvider`], [`LocalKeyring`], [`StaticKey`], [`wrap_data_key`] | always | key-encryption keys |
//! | [`Executor`], [`Sequential`], [`Threads`] | always | parallelism without a thread-pool dependency |
//! | [`dicom`] | `dicom` (default) | encrypt, decrypt, re-wrap and read DICOM files (through `radguard-dicom`) |
//! | `pkcs11::Pkcs11Provider` | `pkcs11` | KEKs in a PKCS#11 token (HSM), through `cryptoki` |
//!
//! Without the `dicom` feature the crate depends on no DICOM code.
//!
//! # Examples
//!
//! Encrypting and decrypting a DICOM file (feature `dicom`):
//!
#![cfg_attr(feature = "dicom", doc = "```")]
#![cfg_attr(not(feature = "dicom"), doc = "```ignore")]
//! use radguard_crypt::LocalKeyring;
//! use radguard_crypt::dicom::{decrypt_file, encrypt_file, encryption_info, DecryptOptions, EncryptOptions};
//! # use radguard_dicom::dicom::{core::{DataElement, PrimitiveValue, Tag, VR}, object::{InMemDicomObject, meta::FileMetaTableBuilder}};
//!
//! let dir = tempfile::tempdir()?;
//! # let obj = InMemDicomObject::from_element_iter([
//! #     DataElement::new(Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
//! #     DataElement::new(Tag(0x0008, 0x0018), VR::UI, "2.25.42"),
//! #     DataElement::new(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(4u16)),
//! #     DataElement::new(Tag(0x0028, 0x0011), VR::US, PrimitiveValue::from(4u16)),
//! #     DataElement::new(Tag(0x0028, 0x0100), VR::US, PrimitiveValue::from(8u16)),
//! #     DataElement::new(Tag(0x7FE0, 0x0010), VR::OB, PrimitiveValue::from(vec![7u8; 16])),
//! # ]).with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))?;
//! # radguard_dicom::write_file(dir.path().join("ct.dcm"), &obj, &Default::default())?;
//! // A keyring with one key-encryption key (the primary).
//! let mut ring = LocalKeyring::create(dir.path().join("keyring"))?;
//! let kek = ring.generate_key(None)?;
//! ring.save()?;
//!
//! let (plain, enc, dec) = (dir.path().join("ct.dcm"), dir.path().join("ct.enc"), dir.path().join("ct.dec"));
//! encrypt_file(&plain, &enc, &ring, &EncryptOptions::new())?;
//!
//! // The header stays readable, the pixel data is gone.
//! let header = radguard_dicom::open(&enc)?;
//! assert!(header.dataset().get(Tag(0x7FE0, 0x0010)).is_none());
//! assert_eq!(encryption_info(&enc)?.unwrap().key_id, kek);
//!
//! decrypt_file(&enc, &dec, &ring, &DecryptOptions::new())?;
//! let restored = radguard_dicom::open(&dec)?;
//! assert!(radguard_dicom::same_content(restored.dataset(), radguard_dicom::open(&plain)?.dataset()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - **Confidentiality and integrity** of the pixel data and the other
//!   protected elements ([`dicom`] lists them): AES-256-GCM under a
//!   per-instance key; every segment is authenticated together with its
//!   position and the stream header, which holds the bound attributes.
//!   Truncating, reordering, swapping frames or moving them between
//!   instances, flipping any bit of the envelope or ciphertext, or using a
//!   wrong key all fail with the one opaque [`Error::Decrypt`]; an edited
//!   bound attribute (Rows, Bits Stored, Rescale Slope, the transfer
//!   syntax, the Study, Series or SOP Instance UID, ...) is refused naming
//!   it ([`Error::HeaderChanged`]); a changed Patient ID is reported, or
//!   refused in strict mode.
//! - **No plaintext on failure.** A segment's plaintext is released only
//!   after its tag verified; files are written to a temporary file that is
//!   only renamed into place once everything verified, and removed
//!   otherwise.
//! - **Key commitment**: a ciphertext decrypts under exactly one data key.
//! - **Not protected**: the rest of the header (it is meant to stay
//!   readable: patient name, IDs and dates remain; combine with
//!   `radguard-deid` if the header must not identify the patient); private
//!   values of text VRs and private binary values under the threshold
//!   (16 bytes by default); the length of each frame, fragment and protected
//!   element (visible in the segment table, as with any AEAD).
//! - Keys are [`SecretKey`](radguard_core::SecretKey)s, zeroized on drop;
//!   derived keys live in zeroizing buffers and `aes-gcm`'s `zeroize`
//!   feature clears the key wrap's round keys. `ring`, which encrypts the
//!   segments, does not clear its AES round keys when a cipher is dropped
//!   (the payload key they expand is cleared). Nothing here prints or logs
//!   key material.
//! - Crypto-erase is as strong as the destruction of every copy of the KEK:
//!   see the notes on [`LocalKeyring`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cipher;
mod envelope;
mod error;
mod exec;
pub mod format;
#[cfg(test)]
mod kat;
mod kdf;
mod keyring;
mod layout;
mod provider;
#[cfg(feature = "dicom")]
mod stream;

#[cfg(feature = "dicom")]
#[cfg_attr(docsrs, doc(cfg(feature = "dicom")))]
pub mod dicom;

#[cfg(feature = "pkcs11")]
#[cfg_attr(docsrs, doc(cfg(feature = "pkcs11")))]
pub mod pkcs11;

pub use cipher::SegmentCipher;
pub use envelope::{Envelope, MAX_METADATA, MAX_WRAPPED, decrypt_units, encrypt_units};
pub use error::{Error, Result};
pub use exec::{Executor, Sequential, Threads};
pub use keyring::{Erasure, KeyInfo, KeyStatus, LocalKeyring};
pub use layout::{Layout, Segment, TAG_LEN};
pub use provider::{KeyProvider, LOCAL_WRAPPED_LEN, StaticKey, unwrap_data_key, wrap_data_key};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
