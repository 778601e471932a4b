//! Secrets come from files (or an environment variable naming a file), never
//! from the command line, where `ps` and shell history would show them.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

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
/// its owner can read ([`radguard_core::secret_file`]).
pub(crate) fn read_secret_file(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    Ok(radguard_core::secret_file::read_secret_file(path)?)
}

/// Parses a 256-bit key from a key file: 64 hexadecimal characters
/// (surrounding whitespace ignored) or exactly 32 raw bytes.
pub(crate) fn parse_key(bytes: &[u8]) -> anyhow::Result<radguard_core::SecretKey> {
    radguard_core::secret_file::parse_key(bytes).ok_or_else(|| {
        anyhow::anyhow!("a key file holds 64 hexadecimal characters or exactly 32 raw bytes")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn refuses_group_readable_file_and_parses_keys() {
        use std::fs;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        fs::write(&p, "00".repeat(31) + "ff\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        let err = read_secret_file(&p).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        let k = parse_key(&read_secret_file(&p).unwrap()).unwrap();
        assert_eq!(k.expose_secret()[31], 0xff);
        assert!(parse_key(b"too short").is_err());
    }
}
