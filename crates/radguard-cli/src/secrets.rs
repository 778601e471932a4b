//! Secrets come from files (or an environment variable naming a file), never
//! from the command line, where `ps` and shell history would show them.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use zeroize::Zeroizing;

/// Largest secret file read (a key file is a few dozen bytes).
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// The secret file to use: the command-line path if given, else the file
/// named by `env_var`, else none.
pub(crate) fn secret_path(arg: Option<&Path>, env_var: &str) -> Option<PathBuf> {
    arg.map(Path::to_path_buf).or_else(|| {
        std::env::var_os(env_var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Reads a secret file after checking that it is a regular file that only
/// its owner can read.
pub(crate) fn read_secret_file(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let meta = fs::symlink_metadata(path)
        .with_context(|| format!("cannot read secret file {}", path.display()))?;
    if !meta.file_type().is_file() {
        bail!("secret file {} is not a regular file", path.display());
    }
    check_private(path, &meta)?;
    if meta.len() > MAX_SECRET_FILE {
        bail!(
            "secret file {} is larger than {MAX_SECRET_FILE} bytes",
            path.display()
        );
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0)));
    fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .with_context(|| format!("cannot read secret file {}", path.display()))?;
    Ok(buf)
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "secret file {} can be read by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> anyhow::Result<()> {
    Ok(())
}

/// Parses a 256-bit key from a key file: 64 hexadecimal characters
/// (surrounding whitespace ignored) or exactly 32 raw bytes.
pub(crate) fn parse_key(bytes: &[u8]) -> anyhow::Result<radguard_core::SecretKey> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(key) = text.and_then(|t| radguard_core::SecretKey::from_hex(t).ok()) {
        return Ok(key);
    }
    if bytes.len() == 32 {
        return Ok(radguard_core::SecretKey::try_from_slice(bytes)?);
    }
    bail!("a key file holds 64 hexadecimal characters or exactly 32 raw bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_and_raw() {
        let hex = "00".repeat(31) + "ff\n";
        let k = parse_key(hex.as_bytes()).unwrap();
        assert_eq!(k.expose_secret()[31], 0xff);
        let k = parse_key(&[7u8; 32]).unwrap();
        assert_eq!(k.expose_secret(), &[7u8; 32]);
        assert!(parse_key(b"too short").is_err());
        assert!(parse_key(&[1u8; 33]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_group_readable_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        fs::write(&p, "00".repeat(32)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        let err = read_secret_file(&p).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(&p).unwrap().len(), 64);
    }
}
