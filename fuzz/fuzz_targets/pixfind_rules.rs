#![no_main]
//! Pixel rule files: strict parse, print, parse again to the same rules.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| radguard_pixfind::fuzzing::rules_parse(data));
