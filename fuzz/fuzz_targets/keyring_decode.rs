//! Decode arbitrary bytes as a keyring file (format 2 slots, or format 1
//! text). Properties: no panic; whatever decodes, written as a format-2
//! file, decodes to the same keys, statuses, primary and format-1 marks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radguard_crypt::LocalKeyring;

fuzz_target!(|data: &[u8]| {
    LocalKeyring::fuzz_decode(data);
});
