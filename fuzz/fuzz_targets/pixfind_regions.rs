#![no_main]
//! Arbitrary DICOM bytes: bundled rules matched, ultrasound regions and
//! their complement partition the image.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| radguard_pixfind::fuzzing::regions_and_rules(data));
