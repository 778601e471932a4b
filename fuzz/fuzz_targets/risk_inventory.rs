//! The CSV and YAML inventory parsers on arbitrary text (first byte: even
//! CSV, odd YAML), with the size and time limits of CI
//! (`-max_len=262144 -timeout=5`): no record is lost, deep YAML is rejected
//! before parsing, every field of an accepted inventory is within its
//! bound, and its reports are deterministic and safe on a terminal. The
//! properties live in `radguard_risk::fuzzing::inventory`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| radguard_risk::fuzzing::inventory(data));
