//! De-identify arbitrary bytes. Property: no panic; whatever is written
//! re-parses and holds no input value of an attribute the profile removes
//! or replaces (X, Z, D, U), and no private attribute.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::{Corpus, fuzz_target};
use radguard_core::SecretKey;
use radguard_deid::{DeidKey, Deidentifier, Profile};

static DEID: LazyLock<Deidentifier> = LazyLock::new(|| {
    let profile = Profile::builder().allow_burned_in(true).build().expect("profile");
    Deidentifier::new(profile, DeidKey::new(&SecretKey::from_bytes([3; 32])))
});

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(input) = radguard_dicom::from_bytes(data) else {
        return Corpus::Reject;
    };
    let Ok((out, _)) = DEID.deidentify_bytes(data) else {
        return Corpus::Keep;
    };
    let output = radguard_dicom::from_bytes(&out).expect("radguard's output must re-parse");
    if let Err(problem) = radguard_deid::fuzzing::check(input.dataset(), output.dataset(), DEID.profile()) {
        panic!("{problem}");
    }
    Corpus::Keep
});
