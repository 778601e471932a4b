//! Strip metadata from arbitrary bytes as a JPEG / JPEG-LS, JPEG 2000 or
//! JPEG XL frame (first byte selects), or clear the unused bits of
//! arbitrary native samples. Properties: no panic; the output is never
//! longer than the input; stripping the output again changes nothing; a
//! stripped JPEG still starts with SOI and ends with EOI, a stripped JPEG
//! 2000 codestream with SOC and EOC; cleared samples keep their values.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| radguard_dicom::pixel_meta::fuzzing::check(data));
