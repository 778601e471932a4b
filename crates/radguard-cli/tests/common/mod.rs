//! Helpers shared by the CLI's end-to-end tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::Output;

/// Asserts that the command succeeded (printing its output if not) and
/// returns its standard output.
pub(crate) fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A path as a command-line argument.
pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
