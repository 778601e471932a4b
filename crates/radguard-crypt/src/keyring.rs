//! A local keyring file of key-encryption keys.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use radguard_core::fs::{AtomicOptions, write_atomic};
use radguard_core::{KeyId, SecretKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::provider::{KeyProvider, unwrap_data_key, wrap_data_key};

const HEADER: &str = "radguard-keyring 1";
/// Largest keyring file read (about 9,000 keys).
const MAX_FILE: u64 = 1 << 20;

/// The state of a key in a [`LocalKeyring`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyStatus {
    /// New data keys are wrapped under this key.
    Primary,
    /// Usable for unwrapping (and for wrapping when named explicitly).
    Active,
    /// Destroyed: its material is gone and what it wrapped is unrecoverable.
    Destroyed,
}

/// What a keyring says about one key (never its material).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key id.
    pub id: KeyId,
    /// Its status.
    pub status: KeyStatus,
    /// When it was created, in seconds since the Unix epoch.
    pub created_unix: u64,
    /// When it was destroyed, in seconds since the Unix epoch.
    pub destroyed_unix: Option<u64>,
}

struct Entry {
    id: KeyId,
    created: u64,
    key: Option<SecretKey>,
    destroyed: Option<u64>,
}

/// Key-encryption keys in a local file, implementing [`KeyProvider`].
///
/// The file is text, one key per line, keys in hexadecimal:
///
/// ```text
/// radguard-keyring 1
/// primary k1-5f0c...
/// key k1-5f0c... created=1764000000 material=<64 hex digits>
/// destroyed k1-9a1e... created=1763000000 destroyed=1764100000
/// ```
///
/// # Security
///
/// - The file must be a regular file readable and writable by its owner
///   only (mode `0600` on Unix); anything else is refused. New keyrings are
///   created with mode `0600`. Changes are written to a temporary file in
///   the same folder, `fsync`ed and renamed over the old file.
/// - Key material is parsed from a zeroizing buffer into [`SecretKey`]s
///   and never printed; `Debug` shows key ids only.
/// - Changes (`create`, [`LocalKeyring::open_for_update`]) hold a lock file
///   (`<keyring>.lock`) so two processes cannot update the keyring at once;
///   a crash can leave it behind, and the error says to remove it.
/// - **Crypto-erase with a local file is only as good as the destruction of
///   every copy of the file**: backups, snapshots, and the blocks of earlier
///   versions that the file system or an SSD may keep after the rename.
///   Keep the keyring on storage you can sanitize, out of general backups;
///   for Purge-grade crypto-erase use a [`KeyProvider`] backed by an HSM or
///   KMS that destroys key versions itself.
///
/// # Examples
///
/// ```
/// use radguard_crypt::{KeyProvider, LocalKeyring};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("keyring");
/// let mut ring = LocalKeyring::create(&path)?;
/// let first = ring.generate_key(None)?;          // the first key becomes primary
/// ring.save()?;
/// assert_eq!(ring.primary_key_id()?, first);
///
/// let ring = LocalKeyring::open(&path)?;          // read-only, no lock
/// assert_eq!(ring.keys().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LocalKeyring {
    path: PathBuf,
    entries: Vec<Entry>,
    primary: Option<KeyId>,
    lock: Option<LockFile>,
}

impl core::fmt::Debug for LocalKeyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalKeyring")
            .field("path", &self.path)
            .field(
                "keys",
                &self.entries.iter().map(|e| &e.id).collect::<Vec<_>>(),
            )
            .field("primary", &self.primary)
            .finish_non_exhaustive()
    }
}

/// A lock file removed on drop.
struct LockFile(PathBuf);

impl LockFile {
    fn acquire(keyring: &Path) -> Result<Self> {
        let mut name = keyring.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => Ok(Self(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Keyring {
                path: keyring.to_path_buf(),
                what: "is being changed by another process (remove <keyring>.lock if that process is gone)",
            }),
            Err(e) => Err(Error::KeyringIo {
                op: "cannot create the lock file",
                path: keyring.to_path_buf(),
                source: e,
            }),
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::Keyring {
            path: path.to_path_buf(),
            what: "can be read or written by other users; run `chmod 600` on it",
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    Ok(())
}

impl LocalKeyring {
    /// Creates a new, empty keyring file (mode `0600`) and holds its lock.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] if the file already exists or is locked;
    /// [`Error::KeyringIo`].
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let lock = LockFile::acquire(&path)?;
        if path.symlink_metadata().is_ok() {
            return Err(Error::Keyring {
                path,
                what: "already exists",
            });
        }
        let ring = Self {
            path,
            entries: Vec::new(),
            primary: None,
            lock: Some(lock),
        };
        ring.write(false)?;
        Ok(ring)
    }

    /// Opens a keyring read-only (for encrypting and decrypting).
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] if the file is not a regular file, is accessible
    /// to other users, is too large or malformed; [`Error::KeyringIo`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::load(path.as_ref(), None)
    }

    /// Opens a keyring for changes, holding its lock until dropped; call
    /// [`LocalKeyring::save`] to write the changes.
    ///
    /// # Errors
    ///
    /// As [`LocalKeyring::open`]; [`Error::Keyring`] if the keyring is locked.
    pub fn open_for_update(path: impl AsRef<Path>) -> Result<Self> {
        let lock = LockFile::acquire(path.as_ref())?;
        Self::load(path.as_ref(), Some(lock))
    }

    fn load(path: &Path, lock: Option<LockFile>) -> Result<Self> {
        let bad = |what| Error::Keyring {
            path: path.to_path_buf(),
            what,
        };
        let io = |op, source| Error::KeyringIo {
            op,
            path: path.to_path_buf(),
            source,
        };
        let meta = fs::symlink_metadata(path).map_err(|e| io("cannot read", e))?;
        if !meta.file_type().is_file() {
            return Err(bad("is not a regular file"));
        }
        check_private(path, &meta)?;
        if meta.len() > MAX_FILE {
            return Err(bad("is larger than 1 MiB"));
        }
        // Sized up front so that reading never reallocates (and leaves copies).
        let cap = usize::try_from(meta.len()).unwrap_or(0) + 1;
        let mut raw = Zeroizing::new(Vec::with_capacity(cap));
        fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut raw))
            .map_err(|e| io("cannot read", e))?;
        let text = std::str::from_utf8(&raw).map_err(|_| bad("is not UTF-8 text"))?;
        let mut lines = text.lines().filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        });
        if lines.next().map(str::trim) != Some(HEADER) {
            return Err(bad("does not start with `radguard-keyring 1`"));
        }
        let mut entries: Vec<Entry> = Vec::new();
        let mut primary = None;
        for line in lines {
            let mut parts = line.split_whitespace();
            let kind = parts.next().unwrap_or_default();
            let id = parts
                .next()
                .and_then(|s| KeyId::new(s).ok())
                .ok_or_else(|| bad("has a line without a valid key id"))?;
            let mut created = None;
            let mut destroyed = None;
            let mut key = None;
            for field in parts {
                let (name, value) = field
                    .split_once('=')
                    .ok_or_else(|| bad("has a field that is not name=value"))?;
                match name {
                    "created" => created = value.parse::<u64>().ok(),
                    "destroyed" => destroyed = value.parse::<u64>().ok(),
                    "material" => {
                        key = Some(SecretKey::from_hex(value).map_err(|_| {
                            bad("has key material that is not 64 hexadecimal digits")
                        })?);
                    }
                    _ => return Err(bad("has an unknown field")),
                }
            }
            match kind {
                "primary" => {
                    if primary.replace(id).is_some() {
                        return Err(bad("names more than one primary key"));
                    }
                }
                "key" | "destroyed" => {
                    if entries.iter().any(|e| e.id == id) {
                        return Err(bad("lists a key id twice"));
                    }
                    let ok = if kind == "key" {
                        key.is_some() && destroyed.is_none()
                    } else {
                        key.is_none() && destroyed.is_some()
                    };
                    if !ok || created.is_none() {
                        return Err(bad("has an incomplete key line"));
                    }
                    entries.push(Entry {
                        id,
                        created: created.unwrap_or_default(),
                        key,
                        destroyed,
                    });
                }
                _ => return Err(bad("has a line of unknown kind")),
            }
        }
        if let Some(p) = &primary
            && !entries.iter().any(|e| &e.id == p && e.key.is_some())
        {
            return Err(bad("names a primary key it does not hold"));
        }
        Ok(Self {
            path: path.to_path_buf(),
            entries,
            primary,
            lock,
        })
    }

    /// The keyring file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every key, in the order they were added.
    #[must_use]
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.entries
            .iter()
            .map(|e| KeyInfo {
                id: e.id.clone(),
                status: if e.key.is_none() {
                    KeyStatus::Destroyed
                } else if self.primary.as_ref() == Some(&e.id) {
                    KeyStatus::Primary
                } else {
                    KeyStatus::Active
                },
                created_unix: e.created,
                destroyed_unix: e.destroyed,
            })
            .collect()
    }

    fn writable(&self) -> Result<()> {
        if self.lock.is_none() {
            return Err(Error::KeyManagement {
                what: "the keyring was opened read-only",
            });
        }
        Ok(())
    }

    /// Generates a new key-encryption key and adds it. Its id is `id`, or
    /// its fingerprint ([`KeyId::fingerprint`]). The first key of a keyring
    /// becomes primary; later ones are added as active keys (see
    /// [`LocalKeyring::set_primary`]). The change is in memory until
    /// [`LocalKeyring::save`].
    ///
    /// # Errors
    ///
    /// [`Error::KeyManagement`] if the keyring is read-only or the id is
    /// taken (by a live or a destroyed key); [`Error::Random`].
    pub fn generate_key(&mut self, id: Option<KeyId>) -> Result<KeyId> {
        self.writable()?;
        let key = SecretKey::generate().map_err(|_| Error::Random)?;
        let id = id.unwrap_or_else(|| KeyId::fingerprint(&key));
        if self.entries.iter().any(|e| e.id == id) {
            return Err(Error::KeyManagement {
                what: "a key with this id exists (or existed) in the keyring",
            });
        }
        self.entries.push(Entry {
            id: id.clone(),
            created: now_unix(),
            key: Some(key),
            destroyed: None,
        });
        if self.primary.is_none() {
            self.primary = Some(id.clone());
        }
        Ok(id)
    }

    /// Makes `id` the primary key.
    ///
    /// # Errors
    ///
    /// [`Error::KeyManagement`] if read-only; [`Error::UnknownKey`];
    /// [`Error::KeyDestroyed`].
    pub fn set_primary(&mut self, id: &KeyId) -> Result<()> {
        self.writable()?;
        self.live(id)?;
        self.primary = Some(id.clone());
        Ok(())
    }

    /// Destroys key `id`: its material is zeroized and removed, a
    /// tombstone with the time of destruction remains. If it was the primary
    /// key, the keyring has no primary key afterwards.
    ///
    /// # Errors
    ///
    /// [`Error::KeyManagement`] if read-only; [`Error::UnknownKey`];
    /// [`Error::KeyDestroyed`] if it already was.
    ///
    /// # Security
    ///
    /// See the type-level notes on what crypto-erase with a file requires.
    pub fn destroy_key(&mut self, id: &KeyId) -> Result<()> {
        self.writable()?;
        self.live(id)?;
        if let Some(e) = self.entries.iter_mut().find(|e| &e.id == id) {
            // Dropping the SecretKey zeroizes it.
            e.key = None;
            e.destroyed = Some(now_unix());
        }
        if self.primary.as_ref() == Some(id) {
            self.primary = None;
        }
        Ok(())
    }

    fn live(&self, id: &KeyId) -> Result<&SecretKey> {
        match self.entries.iter().find(|e| &e.id == id) {
            None => Err(Error::UnknownKey { key_id: id.clone() }),
            Some(Entry { key: None, .. }) => Err(Error::KeyDestroyed { key_id: id.clone() }),
            Some(Entry { key: Some(k), .. }) => Ok(k),
        }
    }

    /// Writes the keyring atomically (temporary file, `fsync`, rename).
    ///
    /// # Errors
    ///
    /// [`Error::KeyManagement`] if read-only; [`Error::KeyringIo`].
    pub fn save(&self) -> Result<()> {
        self.writable()?;
        self.write(true)
    }

    fn write(&self, replace: bool) -> Result<()> {
        let io = |op, source| Error::KeyringIo {
            op,
            path: self.path.clone(),
            source,
        };
        // Large enough never to reallocate (a reallocation would leave an
        // unzeroized copy of key material behind).
        let mut text = Zeroizing::new(String::with_capacity(512 + 256 * self.entries.len()));
        text.push_str(
            "# radguard keyring: key-encryption keys. SECRET: keep mode 0600, keep out of\n\
             # general backups; destroying a key here destroys every image encrypted under it.\n",
        );
        text.push_str(HEADER);
        text.push('\n');
        if let Some(p) = &self.primary {
            text.push_str("primary ");
            text.push_str(p.as_str());
            text.push('\n');
        }
        for e in &self.entries {
            match &e.key {
                Some(k) => {
                    text.push_str("key ");
                    text.push_str(e.id.as_str());
                    text.push_str(&format!(" created={} material=", e.created));
                    text.push_str(&k.to_hex());
                }
                None => {
                    text.push_str("destroyed ");
                    text.push_str(e.id.as_str());
                    text.push_str(&format!(
                        " created={} destroyed={}",
                        e.created,
                        e.destroyed.unwrap_or_default()
                    ));
                }
            }
            text.push('\n');
        }
        // Mode 0600 from the start; temporary file, fsync, rename.
        let opts = AtomicOptions::new().overwrite(replace);
        write_atomic(&self.path, text.as_bytes(), &opts).map_err(|e| {
            io(
                if replace {
                    "cannot replace"
                } else {
                    "cannot create"
                },
                e,
            )
        })
    }
}

impl KeyProvider for LocalKeyring {
    fn primary_key_id(&self) -> Result<KeyId> {
        self.primary.clone().ok_or(Error::NoPrimaryKey)
    }

    fn wrap_key(&self, kek: &KeyId, data_key: &SecretKey, context: &[u8]) -> Result<Vec<u8>> {
        wrap_data_key(self.live(kek)?, kek, data_key, context)
    }

    fn unwrap_key(&self, kek: &KeyId, wrapped: &[u8], context: &[u8]) -> Result<SecretKey> {
        unwrap_data_key(self.live(kek)?, kek, wrapped, context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&path).unwrap();
        assert!(matches!(ring.primary_key_id(), Err(Error::NoPrimaryKey)));
        let a = ring.generate_key(None).unwrap();
        let b = ring
            .generate_key(Some(KeyId::new("site-b").unwrap()))
            .unwrap();
        assert_eq!(ring.primary_key_id().unwrap(), a);
        ring.save().unwrap();
        drop(ring);

        // A second updater is refused while the first holds the lock.
        let mut ring = LocalKeyring::open_for_update(&path).unwrap();
        assert!(LocalKeyring::open_for_update(&path).is_err());
        let dk = SecretKey::from_bytes([5; 32]);
        let wrapped = ring.wrap_key(&a, &dk, b"c").unwrap();
        ring.set_primary(&b).unwrap();
        ring.destroy_key(&a).unwrap();
        ring.save().unwrap();
        drop(ring);

        let ring = LocalKeyring::open(&path).unwrap();
        assert_eq!(ring.primary_key_id().unwrap(), b);
        let keys = ring.keys();
        assert_eq!(keys[0].status, KeyStatus::Destroyed);
        assert_eq!(keys[1].status, KeyStatus::Primary);
        assert!(matches!(
            ring.unwrap_key(&a, &wrapped, b"c"),
            Err(Error::KeyDestroyed { .. })
        ));
        // The destroyed key's material is gone from the file.
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("material=").count(), 1);
        assert!(text.contains(&format!("destroyed {a}")));
        // Read-only keyrings cannot change.
        let mut ro = LocalKeyring::open(&path).unwrap();
        assert!(ro.generate_key(None).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_files_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&path).unwrap();
        ring.generate_key(None).unwrap();
        ring.save().unwrap();
        drop(ring);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = LocalKeyring::open(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn rejects_malformed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let key = "ab".repeat(32);
        let cases = [
            "not a keyring\n".to_owned(),
            format!("{HEADER}\nkey a created=1 material={}\n", &key[..62]),
            format!("{HEADER}\nkey a created=1 material={key}\nkey a created=1 material={key}\n"),
            format!("{HEADER}\nprimary b\nkey a created=1 material={key}\n"),
            format!("{HEADER}\nkey a material={key}\n"),
            format!("{HEADER}\nkey a created=1 material={key} colour=blue\n"),
            format!("{HEADER}\nkey a/b created=1 material={key}\n"),
        ];
        for (i, text) in cases.iter().enumerate() {
            let _ = fs::remove_file(&path);
            write_private(&path, text);
            assert!(LocalKeyring::open(&path).is_err(), "case {i}");
        }
        fs::remove_file(&path).unwrap();
        write_private(
            &path,
            &format!("{HEADER}\nprimary a\nkey a created=1 material={key}\n"),
        );
        assert!(LocalKeyring::open(&path).is_ok());
    }

    fn write_private(path: &Path, text: &str) {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        opts.open(path).unwrap().write_all(text.as_bytes()).unwrap();
    }
}
