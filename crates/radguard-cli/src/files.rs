//! Writing the CLI's own small output files (reports, certificates, keys)
//! the way every radguard output is written: never half-written under the
//! final name.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file with `mode` in the
/// same folder, fsync, then a rename onto `path` (which fails with
/// [`std::io::ErrorKind::AlreadyExists`] if `path` exists, unless
/// `overwrite`), then a folder fsync. The temporary file is removed on
/// error.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    overwrite: bool,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".radguard-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if overwrite {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    fs::File::open(&dir)?.sync_all()
}
