//! Reading key files: the one place that decides whether a file may hold a
//! secret (feature `fs`, needs `std`).
//!
//! Secrets come from files, never from command lines or environment
//! values, where `ps`, shell history and job logs would show them. A file
//! is accepted only if it is a regular file (not a symbolic link, FIFO or
//! device) that only its owner can read or write (on Unix: no group or
//! other permission bits, as `chmod 600` leaves it).
//!
//! # Examples
//!
//! ```
//! use radguard_core::secret_file::{SecretFileError, read_key_file};
//! # #[cfg(unix)] {
//! use std::os::unix::fs::PermissionsExt;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("deid.key");
//! std::fs::write(&path, "ab".repeat(32))?;
//! std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
//! // Readable by others: refused, and the message says how to fix it.
//! let err = read_key_file(&path).unwrap_err();
//! assert!(matches!(err, SecretFileError::Readable { mode: 0o644, .. }));
//! assert!(err.to_string().contains("chmod 600"));
//!
//! std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
//! let key = read_key_file(&path)?;
//! assert_eq!(key.expose_secret()[0], 0xab);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - Error messages name the file and what is wrong with it, never its
//!   content.
//! - The bytes read are held in [`Zeroizing`] buffers and cleared on drop.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::vec::Vec;

use zeroize::Zeroizing;

use crate::SecretKey;

/// The largest secret file read (a key file is a few dozen bytes; a
/// keyring or signing key file a few kilobytes).
pub const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Why a secret file was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum SecretFileError {
    /// The file could not be read (missing, no permission, ...).
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The path names something other than a regular file.
    NotRegular {
        /// The path.
        path: PathBuf,
    },
    /// Users other than the owner may read or write the file.
    Readable {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is larger than [`MAX_SECRET_FILE`].
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file does not hold a 256-bit key (64 hexadecimal characters or
    /// exactly 32 raw bytes).
    KeyFormat {
        /// The file.
        path: PathBuf,
    },
}

impl core::fmt::Display for SecretFileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Io { path, .. } => write!(f, "cannot read secret file {}", path.display()),
            Self::NotRegular { path } => {
                write!(f, "secret file {} is not a regular file", path.display())
            }
            Self::Readable { path, mode } => write!(
                f,
                "secret file {} can be read by other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ),
            Self::TooLarge { path } => write!(
                f,
                "secret file {} is larger than {MAX_SECRET_FILE} bytes",
                path.display()
            ),
            Self::KeyFormat { path } => write!(
                f,
                "key file {}: a key file holds 64 hexadecimal characters or exactly 32 raw bytes",
                path.display()
            ),
        }
    }
}

impl core::error::Error for SecretFileError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads a secret file after checking that it is a regular file that only
/// its owner can read (see the [module docs](self)).
///
/// # Errors
///
/// Every [`SecretFileError`] but [`SecretFileError::KeyFormat`].
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretFileError> {
    let io = |source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::symlink_metadata(path).map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(SecretFileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(SecretFileError::Readable {
                path: path.to_path_buf(),
                mode: mode & 0o777,
            });
        }
    }
    if meta.len() > MAX_SECRET_FILE {
        return Err(SecretFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0)));
    fs::File::open(path)
        .and_then(|f| f.take(MAX_SECRET_FILE + 1).read_to_end(&mut buf))
        .map_err(io)?;
    if buf.len() as u64 > MAX_SECRET_FILE {
        return Err(SecretFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(buf)
}

/// Parses a 256-bit key from the content of a key file: 64 hexadecimal
/// characters (surrounding whitespace ignored) or exactly 32 raw bytes.
/// `None` if it is neither.
#[must_use]
pub fn parse_key(bytes: &[u8]) -> Option<SecretKey> {
    let text = core::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(key) = text.and_then(|t| SecretKey::from_hex(t).ok()) {
        return Some(key);
    }
    SecretKey::try_from_slice(bytes).ok()
}

/// Reads a key file: [`read_secret_file`], then [`parse_key`].
///
/// # Errors
///
/// As [`read_secret_file`], and [`SecretFileError::KeyFormat`].
pub fn read_key_file(path: &Path) -> Result<SecretKey, SecretFileError> {
    let bytes = read_secret_file(path)?;
    parse_key(&bytes).ok_or_else(|| SecretFileError::KeyFormat {
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::string::ToString;

    #[test]
    fn parses_hex_and_raw() {
        let hex = "00".repeat(31) + "ff\n";
        assert_eq!(parse_key(hex.as_bytes()).unwrap().expose_secret()[31], 0xff);
        assert_eq!(parse_key(&[7u8; 32]).unwrap().expose_secret(), &[7u8; 32]);
        assert!(parse_key(b"too short").is_none());
        assert!(parse_key(&[1u8; 33]).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_shared_links_and_large_files_and_never_shows_content() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        fs::write(&p, "zz-not-a-key").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        let e = read_key_file(&p).unwrap_err();
        assert!(e.to_string().contains("mode 640"), "{e}");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        let e = read_key_file(&p).unwrap_err();
        assert!(matches!(e, SecretFileError::KeyFormat { .. }));
        assert!(!e.to_string().contains("zz-not"), "{e}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert!(matches!(
            read_secret_file(&link).unwrap_err(),
            SecretFileError::NotRegular { .. }
        ));
        let big = dir.path().join("big");
        fs::write(&big, [0u8; 70_000]).unwrap();
        fs::set_permissions(&big, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            read_secret_file(&big).unwrap_err(),
            SecretFileError::TooLarge { .. }
        ));
        assert!(matches!(
            read_secret_file(&dir.path().join("missing")).unwrap_err(),
            SecretFileError::Io { .. }
        ));
    }
}
