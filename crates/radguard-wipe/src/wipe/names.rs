//! Folder descriptors and names: opening folders without following
//! links, splitting a path into folder and name, random renames.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};

use crate::error::Error;

pub(super) fn open_dir_path(p: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        p,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

pub(super) fn open_dir_at(dir: impl AsFd, name: &OsStr) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens the folder holding `path` (without following a link) and returns
/// it with the final name of `path`.
pub(super) fn open_parent(path: &Path) -> Result<(OwnedFd, OsString), Error> {
    let (parent, name) = split_parent(path).map_err(|e| Error::io(path, e))?;
    let dir = open_dir_path(&parent).map_err(|e| Error::io(&parent, e))?;
    Ok((dir, name))
}

/// The names in the folder `dir`, without `.` and `..`, in the order the
/// filesystem lists them.
pub(super) fn list_names(dir: impl AsFd) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    let mut d = rustix::fs::Dir::read_from(dir)?;
    while let Some(e) = d.read() {
        let e = e?;
        let n = e.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(OsStr::from_bytes(n).to_os_string());
        }
    }
    Ok(names)
}

fn split_parent(path: &Path) -> io::Result<(PathBuf, OsString)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no final name"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_os_string()))
}

/// A random name of `len` characters from `a-z0-9`.
pub(super) fn random_name(len: usize) -> io::Result<OsString> {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = vec![0u8; len.clamp(1, 255)];
    getrandom::fill(&mut raw).map_err(|_| io::Error::other("no randomness"))?;
    let s: Vec<u8> = raw
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()])
        .collect();
    Ok(OsStr::from_bytes(&s).to_os_string())
}

/// Renames `name` in `dir` to random names `n` times (never replacing an
/// existing entry), syncing the folder after each, and returns the final
/// name. An error says which (random) name the entry was left under.
pub(super) fn scramble_name(dir: impl AsFd, name: &OsStr, n: u32) -> io::Result<OsString> {
    let mut current = name.to_os_string();
    scramble(&dir, &mut current, n).map_err(|e| {
        if current.as_os_str() == name {
            e
        } else {
            io::Error::new(
                e.kind(),
                format!(
                    "{e} (the entry was left under the random name {})",
                    current.to_string_lossy()
                ),
            )
        }
    })?;
    Ok(current)
}

fn scramble(dir: impl AsFd, current: &mut OsString, n: u32) -> io::Result<()> {
    let len = current.len().clamp(8, 255);
    for _ in 0..n {
        let mut tries = 0;
        loop {
            let next = random_name(len)?;
            match rustix::fs::renameat_with(&dir, &*current, &dir, &next, RenameFlags::NOREPLACE) {
                Ok(()) => {
                    *current = next;
                    break;
                }
                Err(rustix::io::Errno::EXIST) if tries < 8 => tries += 1,
                Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
                    // No RENAME_NOREPLACE here: check, then plain rename.
                    if rustix::fs::statat(&dir, &next, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                        tries += 1;
                        continue;
                    }
                    rustix::fs::renameat(&dir, &*current, &dir, &next)?;
                    *current = next;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        rustix::fs::fsync(&dir)?;
    }
    Ok(())
}
