//! Open arbitrary bytes as DICOM. Property: no panic, no allocation beyond
//! the input's size class, and anything that opens survives a write and a
//! re-read with the same content.
#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(file) = radguard_dicom::from_bytes(data) else {
        return Corpus::Reject;
    };
    // Anything radguard reads, it can write and read back unchanged.
    let Ok(bytes) = radguard_dicom::to_bytes(file.object()) else {
        // Writing may legitimately fail (e.g. a value the declared
        // character set cannot encode); it must not panic.
        return Corpus::Keep;
    };
    let again = radguard_dicom::from_bytes(&bytes).expect("a file radguard wrote must re-open");
    if let Some(path) = radguard_dicom::first_difference(file.dataset(), again.dataset()) {
        panic!("round trip changed content at {path}");
    }
    Corpus::Keep
});
