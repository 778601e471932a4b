//! Clean the pixel data of arbitrary bytes as a DICOM file with arbitrary
//! rectangles (radguard-pixels). Properties: no panic; bounded memory
//! (run with `-rss_limit_mb=512`); when cleaning succeeds the output
//! re-parses and every blanked frame decodes to the blank value inside its
//! rectangles; when it fails nothing is left at the output path.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::path::Path::new("/dev/shm");
        if base.is_dir() {
            tempfile::tempdir_in(base)
        } else {
            tempfile::tempdir()
        }
        .expect("temporary folder")
    })
}

fuzz_target!(|data: &[u8]| radguard_pixels::fuzzing::check(data, dir().path()));
