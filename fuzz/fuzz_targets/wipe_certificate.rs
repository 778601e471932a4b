//! Parse and verify arbitrary bytes as a wipe certificate. Properties: no
//! panic; a certificate that verifies re-serializes to one that verifies
//! with the same record; and any record that parses, once signed, verifies
//! (signing and canonical serialization agree on every parseable input).
#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};
use radguard_core::SecretKey;
use radguard_wipe::{SignatureAlgorithm, SignedCertificate, SigningKey};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(parsed) = SignedCertificate::from_json(data) else {
        return Corpus::Reject;
    };
    if let Ok(record) = parsed.verify(None) {
        let again = SignedCertificate::from_json(parsed.to_json().as_bytes())
            .expect("a verified certificate re-parses");
        let record2 = again.verify(None).expect("a verified certificate re-verifies");
        assert_eq!(record, record2);
    }
    // Re-sign the (unverified) record with a fixed key: it must verify,
    // pinned to that key, and keep its content.
    let key = SigningKey::from_secret(&SecretKey::from_bytes([0x5a; 32]));
    let public = key.public_key();
    let mut record = parsed.unverified().clone();
    record.signer.public_key = public.to_hex();
    record.signer.key_id = public.key_id().to_string();
    record.signer.algorithm = SignatureAlgorithm::Ed25519;
    record.format = radguard_wipe::FORMAT.to_owned();
    let signed = record.clone().sign(&key).expect("the named key signs");
    let reparsed = SignedCertificate::from_json(signed.to_json().as_bytes()).expect("re-parses");
    let verified = reparsed.verify(Some(&public)).expect("a freshly signed record verifies");
    assert_eq!(verified, &record);
    Corpus::Keep
});
