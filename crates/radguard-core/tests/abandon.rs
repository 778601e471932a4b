//! `abandon_pending` removes every temporary file the process has pending
//! and refuses new ones (its own test binary: it changes process state).
#![cfg(feature = "fs")]
#![allow(clippy::unwrap_used)]

use std::io::Write;

use radguard_core::fs::{AtomicFile, AtomicOptions, abandon_pending, is_temp_name};

#[test]
fn abandon_removes_pending_files_and_keeps_committed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done.dcm");
    let mut f = AtomicFile::create(&done, &AtomicOptions::new()).unwrap();
    f.write_all(b"complete").unwrap();
    f.commit().unwrap();
    let mut partial = Vec::new();
    for i in 0..3 {
        let mut f =
            AtomicFile::create(&dir.path().join(format!("p{i}")), &AtomicOptions::new()).unwrap();
        f.write_all(b"partial plaintext").unwrap();
        partial.push(f);
    }
    let temps = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| is_temp_name(&e.as_ref().unwrap().file_name()))
            .count()
    };
    assert_eq!(temps(), 3);
    assert_eq!(abandon_pending(), 3);
    assert_eq!(temps(), 0);
    assert_eq!(std::fs::read(&done).unwrap(), b"complete");
    // A worker still holding one cannot commit it, and no new one starts.
    let f = partial.pop().unwrap();
    assert!(f.commit().is_err());
    assert!(!dir.path().join("p2").exists());
    let e = AtomicFile::create(&dir.path().join("late"), &AtomicOptions::new()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::Interrupted);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
