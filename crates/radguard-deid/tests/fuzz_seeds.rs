//! Every seed of the `deid_bytes` fuzz target (the crafted hostile files
//! among them) passes the target's property in an ordinary test run: the
//! output re-parses and the leak oracle finds nothing.
#![allow(clippy::unwrap_used)]

use radguard_core::SecretKey;
use radguard_deid::{DeidKey, Deidentifier, Profile};

#[test]
fn every_deid_bytes_seed_passes_the_oracle() {
    let dir = radguard_testkit::workspace_root().join("fuzz/seeds/deid_bytes");
    let profile = Profile::builder().allow_burned_in(true).build().unwrap();
    let deid = Deidentifier::new(profile, DeidKey::new(&SecretKey::from_bytes([3; 32])));
    let mut checked = 0;
    let mut crafted = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let Ok(input) = radguard_dicom::from_bytes(&data) else {
            continue;
        };
        let Ok((out, _)) = deid.deidentify_bytes(&data) else {
            continue;
        };
        let output = radguard_dicom::from_bytes(&out)
            .unwrap_or_else(|e| panic!("{}: output does not re-parse: {e}", path.display()));
        let leaks =
            radguard_deid::fuzzing::leaks(input.dataset(), output.dataset(), deid.profile(), 4);
        assert!(leaks.is_empty(), "{}: {leaks:?}", path.display());
        checked += 1;
        if path.to_string_lossy().contains("crafted") {
            crafted += 1;
        }
    }
    assert!(checked >= 10, "{checked} seeds checked");
    assert!(crafted >= 4, "{crafted} crafted seeds checked");
}
