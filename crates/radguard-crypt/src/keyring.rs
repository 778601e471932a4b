//! A local keyring file of key-encryption keys.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use radguard_core::fs::{AtomicOptions, lock_exclusive, secret_file_problem, write_atomic};
use radguard_core::{KeyId, SecretKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::provider::{KeyProvider, unwrap_data_key, wrap_data_key};

const HEADER_V1: &str = "radguard-keyring 1";
const HEADER_V2: &str = "radguard-keyring 2";
const COMMENT: &str = "# radguard keyring: key-encryption keys. SECRET: keep mode 0600, keep out of\n\
                       # general backups; destroying a key here destroys every image encrypted under it.\n";
const SLOT_MAGIC: &[u8; 16] = b"RADGUARD-KEYRING";
const SLOT_VERSION: u32 = 2;
/// Bytes before the payload: magic, version, reserved, generation,
/// capacity, payload length, checksum.
const SLOT_HEADER: usize = 80;
const PAGE: u64 = 4096;
/// Largest payload (about 8,000 keys).
const MAX_PAYLOAD: usize = 1 << 20;
/// Largest slot capacity, and so file (two slots).
const MAX_CAPACITY: u64 = 2 << 20;
const MAX_FILE: u64 = 2 * MAX_CAPACITY;
/// Largest file beside the keyring searched for copies of a destroyed key.
const MAX_SEARCHED_FILE: u64 = 16 << 20;
/// Bytes searched beside the keyring at most.
const MAX_SEARCHED_TOTAL: u64 = 256 << 20;

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

/// What [`LocalKeyring::destroy_and_erase`] found after destroying a key:
/// where its material still is, as far as this machine can see, and what
/// limits the erasure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Erasure {
    /// Files that still hold the key's material (in hexadecimal or raw):
    /// the keyring itself if its rewrite did not reach it, copies beside
    /// it (backups, editor files, leftovers of other tools). Empty when
    /// none was found.
    pub copies: Vec<PathBuf>,
    /// Files beside the keyring that could not be searched (too large,
    /// unreadable), with the number of bytes left unsearched.
    pub unsearched: Vec<PathBuf>,
    /// Reasons the erasure cannot be assured whatever the storage does,
    /// such as earlier versions saved by replacing the file.
    pub caveats: Vec<String>,
}

impl Erasure {
    /// `true` when no copy of the material was found and nothing was left
    /// unsearched.
    #[must_use]
    pub fn no_copy_found(&self) -> bool {
        self.copies.is_empty() && self.unsearched.is_empty()
    }
}

struct Entry {
    id: KeyId,
    created: u64,
    key: Option<SecretKey>,
    destroyed: Option<u64>,
    /// The key was in the keyring while it was saved in format 1.
    format1: bool,
}

/// Where the file stands on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Disk {
    /// Slot capacity; `None` for a format-1 file.
    capacity: Option<u64>,
    /// The newest generation found.
    generation: u64,
    /// The offset of the slot holding it.
    newest_at: u64,
    /// The file's length.
    len: u64,
    /// Slots differ, or bytes trail them: a save died.
    stale: bool,
    /// Bytes at the start of each slot that may be non-zero (header and
    /// payload); the rest of each slot is zeros (when not stale).
    used: u64,
}

/// Key-encryption keys in a local file, implementing [`KeyProvider`].
///
/// # On-disk format (version 2)
///
///
/// The keyring is one file holding two copies ("slots") of the same
/// keyring, each in a fixed place, both rewritten *in place* by every save:
///
/// ```text
/// offset 0         slot 0   (capacity C bytes)
/// offset C         slot 1   (capacity C bytes)      file length 2 C
///
/// slot: "RADGUARD-KEYRING" (16 bytes) | version u32 = 2 | 0 u32
///       | generation u64 | capacity C u64 | payload length u64
///       | SHA-256 of the 48 bytes before it and the payload (32 bytes)
///       | payload | zero bytes up to C            (integers little-endian)
/// ```
///
/// C is a multiple of 4096 (at least 4096). The payload is text, one key per
/// line, keys in hexadecimal:
///
/// ```text
/// radguard-keyring 2
/// primary k1-5f0c...
/// key k1-5f0c... created=1764000000 material=<64 hex digits>
/// key k1-77d2... created=1762000000 material=<64 hex digits> format1=1
/// destroyed k1-9a1e... created=1763000000 destroyed=1764100000
/// ```
///
/// (`format1=1` marks keys that were in the keyring while it was in
/// format 1: see [`Erasure::caveats`].)
///
/// A save writes the whole new keyring, zero-padded to C, over the slot
/// that does not hold the newest generation, makes it durable
/// (`fdatasync`), then does the same over the other slot. A save killed at
/// any moment therefore leaves one intact slot (checksum) holding the old
/// or the new keyring, and a load takes the intact slot with the highest
/// generation. When the keyring outgrows C, the new slot 1 is written
/// after the end of the file (capacity C' ≥ 2 C) and made durable first,
/// then slot 0, now C' long, overwrites both old slots. A load that finds
/// slots of different generations (a save that died) completes that save
/// when it can take the lock.
///
/// Format 1 (a text file saved by writing a new file and renaming it over
/// the old one) is read, and converted in place by the first save.
///
/// # Security
///
/// - The file must be a regular file readable and writable by its owner
///   only (mode `0600` on Unix), owned by the user running the process
///   and with exactly one link; anything else is refused with the reason.
///   New keyrings are created with mode `0600`.
/// - **Saves overwrite the file in place** (two slots, see the format):
///   no temporary file, no backup and no earlier version is ever written
///   beside it, so on a file system that overwrites in place (ext4 in its
///   default `data=ordered` mode, XFS; not btrfs, ZFS or other
///   copy-on-write file systems, not ext4 with data journaling) and on
///   storage that does (magnetic disks; not SSDs, whose flash translation
///   layer may keep old pages), a destroyed key's material is gone from
///   the device once [`LocalKeyring::save`] returns. Each save is
///   crash-atomic: killed at any moment, the keyring loads with either the
///   old or the new keys.
/// - Changes ([`LocalKeyring::create`], [`LocalKeyring::open_for_update`])
///   hold an exclusive advisory lock (`flock`) on the keyring file until
///   the keyring is dropped, so two processes never update it at once. The
///   kernel releases the lock when the holder dies: a crash never leaves a
///   stale lock. Read-only opens take no lock.
/// - Every load removes (overwriting them first) the temporary files
///   `.radguard-*.part` that runs which died left in the keyring's folder.
/// - Key material is parsed from zeroizing buffers into [`SecretKey`]s and
///   never printed; `Debug` shows key ids only.
/// - **Crypto-erase with a local file is only as good as the destruction of
///   every copy of the file**: backups, snapshots, copies made by hand,
///   earlier versions on copy-on-write or journaling file systems and on
///   flash. [`LocalKeyring::destroy_and_erase`] searches the keyring's
///   folder for copies; keep the keyring on storage you can sanitize, out
///   of general backups; for Purge-grade crypto-erase on flash use a
///   [`KeyProvider`] backed by an HSM or KMS that destroys key versions
///   itself.
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
    /// The keyring file, open for writing and locked (updates only).
    lock: Option<File>,
    /// Where the file stands on disk (changed by `save(&self)`).
    disk: std::sync::Mutex<Disk>,
    /// Test hook: bytes the next writes may still put on disk before they
    /// "die" (a kill in the middle of a save).
    #[cfg(test)]
    write_budget: std::sync::Mutex<Option<u64>>,
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
            .field("locked", &self.lock.is_some())
            .finish_non_exhaustive()
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn bad(path: &Path, what: &'static str) -> Error {
    Error::Keyring {
        path: path.to_path_buf(),
        what,
    }
}

fn io_err(path: &Path, op: &'static str, source: io::Error) -> Error {
    Error::KeyringIo {
        op,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn same_inode(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
    true
}

/// Opens the keyring file without following a symbolic link (the opened
/// file must be the one `lstat` saw) and checks it may hold secrets.
fn open_checked(path: &Path, write: bool) -> Result<File> {
    let seen = fs::symlink_metadata(path).map_err(|e| io_err(path, "cannot read", e))?;
    if let Some(what) = secret_file_problem(&seen) {
        return Err(bad(path, what));
    }
    let file = fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
        .map_err(|e| io_err(path, "cannot open", e))?;
    let meta = file
        .metadata()
        .map_err(|e| io_err(path, "cannot read", e))?;
    if !same_inode(&seen, &meta) {
        return Err(bad(path, "changed while it was being opened"));
    }
    if let Some(what) = secret_file_problem(&meta) {
        return Err(bad(path, what));
    }
    if meta.len() > MAX_FILE {
        return Err(bad(path, "is larger than 4 MiB"));
    }
    Ok(file)
}

/// The whole file, in a zeroizing buffer sized so it never reallocates
/// (a reallocation would leave an unzeroized copy of key material).
fn read_all(file: &File, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let len = file
        .metadata()
        .map_err(|e| io_err(path, "cannot read", e))?
        .len();
    if len > MAX_FILE {
        return Err(bad(path, "is larger than 4 MiB"));
    }
    let mut raw = Zeroizing::new(Vec::with_capacity(
        usize::try_from(len).unwrap_or(0).saturating_add(1),
    ));
    let mut f = file;
    io::Seek::seek(&mut f, io::SeekFrom::Start(0)).map_err(|e| io_err(path, "cannot read", e))?;
    // At most `len` bytes: the buffer never grows.
    f.take(len)
        .read_to_end(&mut raw)
        .map_err(|e| io_err(path, "cannot read", e))?;
    Ok(raw)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_le_bytes)
}

/// An intact slot: its generation, capacity and payload.
struct Slot<'a> {
    generation: u64,
    capacity: u64,
    payload: &'a [u8],
}

/// The slot at `offset` of `raw`, if one is there, intact.
fn slot_at(raw: &[u8], offset: u64) -> Option<Slot<'_>> {
    let start = usize::try_from(offset).ok()?;
    let head = raw.get(start..start.checked_add(SLOT_HEADER)?)?;
    if &head[..16] != SLOT_MAGIC || head[16..20] != SLOT_VERSION.to_le_bytes() {
        return None;
    }
    let generation = le_u64(head, 24);
    let capacity = le_u64(head, 32);
    let len = usize::try_from(le_u64(head, 40)).ok()?;
    let fits = capacity.is_multiple_of(PAGE)
        && (PAGE..=MAX_CAPACITY).contains(&capacity)
        && (offset == 0 || offset == capacity)
        && len <= MAX_PAYLOAD
        && SLOT_HEADER + len <= usize::try_from(capacity).ok()?;
    if !fits {
        return None;
    }
    let payload = raw.get(start + SLOT_HEADER..start + SLOT_HEADER + len)?;
    let mut h = Sha256::new();
    h.update(&head[..48]);
    h.update(payload);
    let sum: [u8; 32] = h.finalize().into();
    // Not secret: a plain comparison is fine.
    (sum[..] == head[48..80]).then_some(Slot {
        generation,
        capacity,
        payload,
    })
}

/// A keyring as decoded from the file.
struct Decoded {
    entries: Vec<Entry>,
    primary: Option<KeyId>,
    disk: Disk,
}

/// Why a file could not be decoded.
enum Undecodable {
    /// No intact slot, and not format 1 either: damaged, or caught in the
    /// middle of a save (read again).
    NoIntactCopy,
    /// A definite error.
    Err(Error),
}

fn decode(raw: &[u8], path: &Path) -> core::result::Result<Decoded, Undecodable> {
    let len = raw.len() as u64;
    let first = slot_at(raw, 0);
    let mut offsets = vec![0u64];
    if let Some(s) = &first {
        offsets.push(s.capacity);
    }
    if (len / 2).is_multiple_of(PAGE) && !offsets.contains(&(len / 2)) {
        offsets.push(len / 2);
    }
    let slots: Vec<(u64, Slot<'_>)> = offsets
        .iter()
        .filter_map(|&o| slot_at(raw, o).map(|s| (o, s)))
        .collect();
    let newest = slots.iter().max_by_key(|(o, s)| (s.generation, *o));
    let Some((at, slot)) = newest else {
        // Format 1 is text, without zero bytes; a conversion that died may
        // have left part of a new slot after it.
        let text = &raw[..raw.iter().position(|b| *b == 0).unwrap_or(raw.len())];
        let is_v1 = std::str::from_utf8(text).is_ok_and(|t| {
            t.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                == Some(HEADER_V1)
        });
        if !is_v1 {
            if raw.starts_with(SLOT_MAGIC) || raw.is_empty() {
                return Err(Undecodable::NoIntactCopy);
            }
            return Err(Undecodable::Err(bad(
                path,
                "is not a radguard keyring (no `radguard-keyring` header)",
            )));
        }
        let (mut entries, primary) = parse_text(text, HEADER_V1, path).map_err(Undecodable::Err)?;
        // Everything until now was saved by replacing the file.
        for e in &mut entries {
            e.format1 = true;
        }
        return Ok(Decoded {
            entries,
            primary,
            disk: Disk {
                capacity: None,
                generation: 0,
                newest_at: 0,
                len,
                stale: text.len() as u64 != len,
                used: len,
            },
        });
    };
    let (entries, primary) = parse_text(slot.payload, HEADER_V2, path).map_err(Undecodable::Err)?;
    let cap = slot.capacity;
    let both_current = [0, cap].iter().all(|o| {
        slots
            .iter()
            .any(|(p, s)| p == o && s.generation == slot.generation && s.capacity == cap)
    });
    Ok(Decoded {
        entries,
        primary,
        disk: Disk {
            capacity: Some(cap),
            generation: slot.generation,
            newest_at: *at,
            len,
            stale: !both_current || len != 2 * cap,
            used: (SLOT_HEADER + slot.payload.len()) as u64,
        },
    })
}

/// Parses the text of a keyring (format 1 file, or format 2 payload).
fn parse_text(raw: &[u8], header: &str, path: &Path) -> Result<(Vec<Entry>, Option<KeyId>)> {
    let bad = |what| bad(path, what);
    let text = std::str::from_utf8(raw).map_err(|_| bad("is not UTF-8 text"))?;
    let mut lines = text.lines().filter(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    if lines.next().map(str::trim) != Some(header) {
        return Err(bad("does not start with a `radguard-keyring` header"));
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
        let mut format1 = false;
        for field in parts {
            let (name, value) = field
                .split_once('=')
                .ok_or_else(|| bad("has a field that is not name=value"))?;
            match name {
                "created" => created = value.parse::<u64>().ok(),
                "destroyed" => destroyed = value.parse::<u64>().ok(),
                "format1" if header == HEADER_V2 && value == "1" => format1 = true,
                "material" => {
                    key =
                        Some(SecretKey::from_hex(value).map_err(|_| {
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
                    format1,
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
    Ok((entries, primary))
}

/// Reads and decodes the keyring at `path` through `file`, reading again
/// a few times if a save by another process is caught half-way (no lock
/// is held by readers).
fn read_decoded(file: &File, path: &Path) -> Result<Decoded> {
    for attempt in 0..40 {
        let raw = read_all(file, path)?;
        match decode(&raw, path) {
            Ok(d) => return Ok(d),
            Err(Undecodable::Err(e)) => return Err(e),
            Err(Undecodable::NoIntactCopy) if attempt < 39 => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(Undecodable::NoIntactCopy) => {}
        }
    }
    Err(bad(
        path,
        "holds no intact copy of a keyring (damaged, or not a radguard keyring)",
    ))
}

/// The folder holding `path`.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Removes what runs that died left beside the keyring: their temporary
/// files (overwritten first), and the empty lock file of format-1 tools
/// (only when holding the lock).
fn clean_folder(path: &Path, locked: bool) {
    let _ = radguard_core::fs::remove_stale_temp_files(&folder_of(path));
    if locked {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let old = PathBuf::from(name);
        if fs::symlink_metadata(&old).is_ok_and(|m| m.is_file() && m.len() == 0) {
            let _ = fs::remove_file(old);
        }
    }
}

/// The payload text of a keyring.
fn payload_text(entries: &[Entry], primary: Option<&KeyId>) -> Zeroizing<String> {
    // Large enough never to reallocate (a reallocation would leave an
    // unzeroized copy of key material behind).
    let mut text = Zeroizing::new(String::with_capacity(512 + 256 * entries.len()));
    text.push_str(COMMENT);
    text.push_str(HEADER_V2);
    text.push('\n');
    if let Some(p) = primary {
        text.push_str("primary ");
        text.push_str(p.as_str());
        text.push('\n');
    }
    for e in entries {
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
        if e.format1 {
            text.push_str(" format1=1");
        }
        text.push('\n');
    }
    text
}

/// `true` if `hay` contains `needle`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

impl LocalKeyring {
    /// Creates a new, empty keyring file (mode `0600`) and holds its lock.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] if the file already exists or is locked;
    /// [`Error::KeyringIo`].
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.symlink_metadata().is_ok() {
            return Err(bad(path, "already exists"));
        }
        // An empty keyring holds no key material: it may be written the
        // usual way (temporary file, rename), which also means a creation
        // that dies leaves no half-made keyring behind.
        let cap = PAGE;
        let text = payload_text(&[], None);
        let image = Self::image(text.as_bytes(), cap, 1, Some(path))?;
        let mut both = Zeroizing::new(Vec::with_capacity(image.len() * 2));
        both.extend_from_slice(&image);
        both.extend_from_slice(&image);
        write_atomic(path, &both, &AtomicOptions::new()).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                bad(path, "already exists")
            } else {
                io_err(path, "cannot create", e)
            }
        })?;
        Self::open_locked(path, false, &mut || {})
    }

    /// Opens a keyring read-only (for encrypting and decrypting). Takes no
    /// lock; if the last save died half-way, the save is completed when no
    /// other process holds the lock.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] if the file is not a regular file, is accessible
    /// to other users, is owned by another user, has other hard links, is
    /// too large or malformed; [`Error::KeyringIo`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = open_checked(path, false)?;
        let d = read_decoded(&file, path)?;
        drop(file);
        if d.disk.stale {
            // Complete the save that died, if no one is changing the
            // keyring right now; a reader never waits for that.
            if let Ok(Some(mut ring)) = Self::try_open_locked(path) {
                ring.lock = None;
                return Ok(ring);
            }
        }
        clean_folder(path, false);
        Ok(Self {
            path: path.to_path_buf(),
            entries: d.entries,
            primary: d.primary,
            lock: None,
            disk: std::sync::Mutex::new(d.disk),
            #[cfg(test)]
            write_budget: std::sync::Mutex::new(None),
        })
    }

    /// Opens a keyring for changes, holding its lock until dropped; call
    /// [`LocalKeyring::save`] to write the changes.
    ///
    /// # Errors
    ///
    /// As [`LocalKeyring::open`]; [`Error::Keyring`] if another process
    /// holds the lock.
    pub fn open_for_update(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        match Self::try_open_locked(path)? {
            Some(r) => Ok(r),
            None => Err(bad(
                path,
                "is being changed by another process (its lock is released when that process ends)",
            )),
        }
    }

    /// Like [`LocalKeyring::open_for_update`], but waits for another
    /// process holding the lock to finish, calling `on_wait` once before
    /// waiting (to tell the user).
    ///
    /// # Errors
    ///
    /// As [`LocalKeyring::open`].
    pub fn open_for_update_waiting(
        path: impl AsRef<Path>,
        on_wait: &mut dyn FnMut(),
    ) -> Result<Self> {
        Self::open_locked(path.as_ref(), true, on_wait)
    }

    /// The keyring locked, or `None` if another process holds the lock.
    fn try_open_locked(path: &Path) -> Result<Option<Self>> {
        let mut busy = false;
        match Self::open_locked_inner(path, false, &mut || busy = true) {
            Ok(r) => Ok(Some(r)),
            Err(_) if busy => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open_locked(path: &Path, wait: bool, on_wait: &mut dyn FnMut()) -> Result<Self> {
        let mut busy = false;
        let r = Self::open_locked_inner(path, wait, &mut || {
            busy = true;
            on_wait();
        });
        match r {
            Err(_) if busy && !wait => Err(bad(
                path,
                "is being changed by another process (its lock is released when that process ends)",
            )),
            r => r,
        }
    }

    /// Opens `path` for writing and locks it: `on_busy` is called when
    /// another process holds the lock (then, unless `wait`, this fails).
    fn open_locked_inner(path: &Path, wait: bool, on_busy: &mut dyn FnMut()) -> Result<Self> {
        let mut told = false;
        let file = loop {
            let file = open_checked(path, true)?;
            let got = lock_exclusive(&file, false).map_err(|e| io_err(path, "cannot lock", e))?;
            if !got {
                if !told {
                    told = true;
                    on_busy();
                }
                if !wait {
                    return Err(bad(path, "is locked"));
                }
                lock_exclusive(&file, true).map_err(|e| io_err(path, "cannot lock", e))?;
            }
            // The name must still lead to the file locked (a writer of an
            // older version may have replaced it meanwhile).
            let now = fs::symlink_metadata(path).map_err(|e| io_err(path, "cannot read", e))?;
            let locked = file
                .metadata()
                .map_err(|e| io_err(path, "cannot read", e))?;
            if same_inode(&now, &locked) {
                break file;
            }
        };
        let d = read_decoded(&file, path)?;
        let ring = Self {
            path: path.to_path_buf(),
            entries: d.entries,
            primary: d.primary,
            lock: Some(file),
            disk: std::sync::Mutex::new(d.disk),
            #[cfg(test)]
            write_budget: std::sync::Mutex::new(None),
        };
        if ring.disk().stale {
            // A save died half-way: finish it, so that no slot keeps an
            // older keyring (with keys destroyed since).
            ring.write()?;
        }
        clean_folder(path, true);
        Ok(ring)
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

    fn disk(&self) -> Disk {
        *self
            .disk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn writable(&self) -> Result<&File> {
        self.lock.as_ref().ok_or(Error::KeyManagement {
            what: "the keyring was opened read-only",
        })
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
            format1: false,
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
    /// key, the keyring has no primary key afterwards. The change is in
    /// memory until [`LocalKeyring::save`]; see also
    /// [`LocalKeyring::destroy_and_erase`].
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

    /// Destroys key `id`, saves the keyring (overwriting both slots in
    /// place), then checks where the key's material still is: the keyring
    /// file itself is re-read, and every regular file in its folder is
    /// searched for the material in hexadecimal (either case) or raw form.
    /// Temporary files of runs that died are removed first.
    ///
    /// The result says what was found; the key is destroyed in the keyring
    /// whatever it says. Whether the storage overwrote the old blocks in
    /// place (file system, device) is beyond what the keyring can see.
    ///
    /// # Errors
    ///
    /// As [`LocalKeyring::destroy_key`] and [`LocalKeyring::save`].
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_crypt::LocalKeyring;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("keyring");
    /// let mut ring = LocalKeyring::create(&path)?;
    /// let k = ring.generate_key(None)?;
    /// ring.save()?;
    /// let erasure = ring.destroy_and_erase(&k)?;
    /// assert!(erasure.no_copy_found() && erasure.caveats.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn destroy_and_erase(&mut self, id: &KeyId) -> Result<Erasure> {
        self.writable()?;
        let key = self.live(id)?;
        let hex = key.to_hex();
        let upper = Zeroizing::new(hex.to_ascii_uppercase());
        let raw = Zeroizing::new(*key.expose_secret());
        let format1 = self.entries.iter().any(|e| &e.id == id && e.format1);
        self.destroy_key(id)?;
        self.save()?;
        let needles: [&[u8]; 3] = [hex.as_bytes(), upper.as_bytes(), &raw[..]];
        let mut erasure = Erasure::default();
        // The keyring as it is on disk now.
        let file = self.writable()?;
        let now = read_all(file, &self.path)?;
        if needles.iter().any(|n| contains(&now, n)) {
            erasure.copies.push(self.path.clone());
        }
        drop(now);
        // Everything beside it.
        let dir = folder_of(&self.path);
        let _ = radguard_core::fs::remove_stale_temp_files(&dir);
        let mine = file
            .metadata()
            .map_err(|e| io_err(&self.path, "cannot read", e))?;
        let mut budget = MAX_SEARCHED_TOTAL;
        let listing =
            fs::read_dir(&dir).map_err(|e| io_err(&dir, "cannot list the folder of", e))?;
        for e in listing.flatten() {
            let p = e.path();
            let Ok(m) = fs::symlink_metadata(&p) else {
                continue;
            };
            if !m.is_file() || same_inode(&m, &mine) {
                continue;
            }
            if m.len() > MAX_SEARCHED_FILE || m.len() > budget {
                erasure.unsearched.push(p);
                continue;
            }
            budget -= m.len();
            match fs::read(&p).map(Zeroizing::new) {
                Ok(bytes) if needles.iter().any(|n| contains(&bytes, n)) => {
                    erasure.copies.push(p);
                }
                Ok(_) => {}
                Err(_) => erasure.unsearched.push(p),
            }
        }
        if format1 {
            erasure.caveats.push(
                "the key existed while the keyring was saved in format 1, by writing a new file and renaming it over the old one: earlier versions holding the key may remain in freed blocks of the file system until overwritten (sanitize its free space)"
                    .to_owned(),
            );
        }
        Ok(erasure)
    }

    fn live(&self, id: &KeyId) -> Result<&SecretKey> {
        match self.entries.iter().find(|e| &e.id == id) {
            None => Err(Error::UnknownKey { key_id: id.clone() }),
            Some(Entry { key: None, .. }) => Err(Error::KeyDestroyed { key_id: id.clone() }),
            Some(Entry { key: Some(k), .. }) => Ok(k),
        }
    }

    /// Writes the keyring to its file, overwriting both slots in place
    /// (see the format in the [type documentation](LocalKeyring));
    /// crash-atomic.
    ///
    /// # Errors
    ///
    /// [`Error::KeyManagement`] if read-only; [`Error::Keyring`] if the
    /// keyring outgrew the largest size (about 8,000 keys);
    /// [`Error::KeyringIo`].
    pub fn save(&self) -> Result<()> {
        self.writable()?;
        self.write()
    }

    /// One slot's bytes: header, `payload`, zeros up to `capacity`.
    fn image(
        payload: &[u8],
        capacity: u64,
        generation: u64,
        path: Option<&Path>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let cap = usize::try_from(capacity).unwrap_or(usize::MAX);
        if payload.len() > MAX_PAYLOAD || SLOT_HEADER + payload.len() > cap {
            return Err(bad(
                path.unwrap_or(Path::new("keyring")),
                "would outgrow the largest keyring (about 8,000 keys)",
            ));
        }
        let mut b = Zeroizing::new(vec![0u8; cap]);
        b[..16].copy_from_slice(SLOT_MAGIC);
        b[16..20].copy_from_slice(&SLOT_VERSION.to_le_bytes());
        b[24..32].copy_from_slice(&generation.to_le_bytes());
        b[32..40].copy_from_slice(&capacity.to_le_bytes());
        b[40..48].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        let mut h = Sha256::new();
        h.update(&b[..48]);
        h.update(payload);
        let sum: [u8; 32] = h.finalize().into();
        b[48..80].copy_from_slice(&sum);
        b[SLOT_HEADER..SLOT_HEADER + payload.len()].copy_from_slice(payload);
        Ok(b)
    }

    /// Writes both slots (see the format on `LocalKeyring` for the order).
    fn write(&self) -> Result<()> {
        let path = self.path.clone();
        let io = |op, e| io_err(&path, op, e);
        let text = payload_text(&self.entries, self.primary.as_ref());
        let payload = text.as_bytes();
        let need = (SLOT_HEADER + payload.len()) as u64;
        let old = self.disk();
        let generation = old.generation + 1;
        let (cap, order): (u64, [u64; 2]) = match old.capacity {
            // Fits: first the slot that does not hold the newest keyring.
            Some(c) if need <= c => (c, if old.newest_at == 0 { [c, 0] } else { [0, c] }),
            // Grows (or converts a format-1 file): the new slot 1 goes
            // after everything that is there now, and slot 0, as long,
            // then overwrites all of the old content.
            _ => {
                let mut c = need.div_ceil(PAGE).next_power_of_two() * PAGE;
                c = c.max(PAGE).max(old.len.div_ceil(PAGE) * PAGE);
                if let Some(oc) = old.capacity {
                    c = c.max(2 * oc);
                }
                if c > MAX_CAPACITY {
                    return Err(bad(
                        &path,
                        "would outgrow the largest keyring (about 8,000 keys)",
                    ));
                }
                (c, [c, 0])
            }
        };
        let image = Self::image(payload, cap, generation, Some(&path))?;
        drop(text);
        // In the steady state each slot is zeros past its payload: only
        // what the old or the new keyring covers needs writing (whole
        // pages). Otherwise (growth, conversion, a save that died) every
        // byte of both slots is written.
        let len = if old.capacity == Some(cap) && !old.stale {
            need.max(old.used)
                .div_ceil(PAGE)
                .saturating_mul(PAGE)
                .min(cap)
        } else {
            cap
        };
        let image = &image[..usize::try_from(len).unwrap_or(image.len()).min(image.len())];
        for (i, at) in order.into_iter().enumerate() {
            self.put(at, image).map_err(|e| io("cannot write", e))?;
            let file = self.writable()?;
            // The first slot must be durable before the second is touched;
            // a grown file's new length too.
            let synced = if i == 0 && Some(cap) != old.capacity {
                file.sync_all()
            } else {
                file.sync_data()
            };
            synced.map_err(|e| io("cannot sync", e))?;
        }
        // Bytes past the two slots (a save that died while growing the
        // file) are overwritten, then cut off.
        if old.len > 2 * cap {
            let zeros = vec![0u8; usize::try_from(old.len - 2 * cap).unwrap_or(0)];
            self.put(2 * cap, &zeros)
                .map_err(|e| io("cannot write", e))?;
            let file = self.writable()?;
            file.sync_data().map_err(|e| io("cannot sync", e))?;
            file.set_len(2 * cap)
                .and_then(|()| file.sync_all())
                .map_err(|e| io("cannot truncate", e))?;
        }
        *self
            .disk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Disk {
            capacity: Some(cap),
            generation,
            newest_at: order[1],
            len: 2 * cap,
            stale: false,
            used: need,
        };
        Ok(())
    }

    /// Writes `bytes` at `offset` of the keyring file.
    fn put(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        #[cfg(test)]
        if let Some(budget) = self
            .write_budget
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_mut()
        {
            // Test hook: the process "dies" after `budget` more bytes.
            let n = usize::try_from(*budget)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            *budget -= n as u64;
            write_at(self.writable_io()?, offset, &bytes[..n])?;
            if n < bytes.len() {
                return Err(io::Error::other("killed (test)"));
            }
            return Ok(());
        }
        write_at(self.writable_io()?, offset, bytes)
    }

    fn writable_io(&self) -> io::Result<&File> {
        self.lock
            .as_ref()
            .ok_or_else(|| io::Error::other("the keyring was opened read-only"))
    }
}

#[cfg(unix)]
fn write_at(file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, offset)
}

#[cfg(not(unix))]
fn write_at(file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(bytes)
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

impl LocalKeyring {
    /// Fuzzing entry point: decodes `data` as a keyring file; when it
    /// decodes, writes it as a format-2 file and checks that decoding that
    /// gives the same keys.
    ///
    /// # Panics
    ///
    /// When the property does not hold (that is the point).
    #[doc(hidden)]
    pub fn fuzz_decode(data: &[u8]) {
        let path = Path::new("fuzz");
        let Ok(d) = decode(data, path) else {
            return;
        };
        let text = payload_text(&d.entries, d.primary.as_ref());
        let need = (SLOT_HEADER + text.len()) as u64;
        let cap = (need.div_ceil(PAGE).next_power_of_two() * PAGE).min(MAX_CAPACITY);
        let Ok(slot) = Self::image(text.as_bytes(), cap, 7, None) else {
            return;
        };
        let mut file = slot.to_vec();
        file.extend_from_slice(&slot);
        let Ok(again) = decode(&file, path) else {
            panic!("a re-encoded keyring does not decode");
        };
        assert_eq!(again.disk.generation, 7);
        assert!(!again.disk.stale);
        let ids = |e: &[Entry]| {
            e.iter()
                .map(|x| (x.id.clone(), x.created, x.destroyed, x.key.is_some()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&again.entries), ids(&d.entries));
        assert_eq!(again.primary, d.primary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn bytes_contain(path: &Path, needle: &str) -> bool {
        contains(&fs::read(path).unwrap(), needle.as_bytes())
    }

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
        let err = LocalKeyring::open_for_update(&path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("another process"), "{err}");
        let dk = SecretKey::from_bytes([5; 32]);
        let wrapped = ring.wrap_key(&a, &dk, b"c").unwrap();
        let a_hex = ring.live(&a).unwrap().to_hex();
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
        // The destroyed key's material is gone from the file; the live one
        // is in both slots.
        let raw = fs::read(&path).unwrap();
        assert!(!contains(&raw, a_hex.as_bytes()));
        assert_eq!(
            String::from_utf8_lossy(&raw).matches("material=").count(),
            2
        );
        assert!(bytes_contain(&path, &format!("destroyed {a}")));
        // Read-only keyrings cannot change.
        let mut ro = LocalKeyring::open(&path).unwrap();
        assert!(ro.generate_key(None).is_err());
        assert!(ro.save().is_err());
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

    #[cfg(unix)]
    #[test]
    fn refuses_other_links_and_other_owners() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&path).unwrap();
        ring.generate_key(None).unwrap();
        ring.save().unwrap();
        drop(ring);
        let link = dir.path().join("second-name");
        fs::hard_link(&path, &link).unwrap();
        for p in [&path, &link] {
            let err = LocalKeyring::open(p).unwrap_err().to_string();
            assert!(err.contains("hard links"), "{err}");
            assert!(LocalKeyring::open_for_update(p).is_err());
        }
        fs::remove_file(&link).unwrap();
        LocalKeyring::open(&path).unwrap();
        // A symbolic link to it is not a keyring either.
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(LocalKeyring::open(&link).is_err());
        #[cfg(target_os = "linux")]
        if std::env::var_os("USER").is_some_and(|u| u == "root")
            || fs::metadata("/proc/self").is_ok_and(|m| {
                use std::os::unix::fs::MetadataExt;
                m.uid() == 0
            })
        {
            std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
            let err = LocalKeyring::open(&path).unwrap_err().to_string();
            assert!(err.contains("owned by another user"), "{err}");
        }
    }

    #[test]
    fn rejects_malformed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let key = "ab".repeat(32);
        let cases = [
            "not a keyring\n".to_owned(),
            format!("{HEADER_V1}\nkey a created=1 material={}\n", &key[..62]),
            format!(
                "{HEADER_V1}\nkey a created=1 material={key}\nkey a created=1 material={key}\n"
            ),
            format!("{HEADER_V1}\nprimary b\nkey a created=1 material={key}\n"),
            format!("{HEADER_V1}\nkey a material={key}\n"),
            format!("{HEADER_V1}\nkey a created=1 material={key} colour=blue\n"),
            format!("{HEADER_V1}\nkey a/b created=1 material={key}\n"),
        ];
        for (i, text) in cases.iter().enumerate() {
            let _ = fs::remove_file(&path);
            write_private(&path, text.as_bytes());
            assert!(LocalKeyring::open(&path).is_err(), "case {i}");
        }
        fs::remove_file(&path).unwrap();
        write_private(
            &path,
            format!("{HEADER_V1}\nprimary a\nkey a created=1 material={key}\n").as_bytes(),
        );
        assert!(LocalKeyring::open(&path).is_ok());
    }

    #[test]
    fn format_1_is_converted_in_place_and_its_history_is_a_caveat() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let old = "cd".repeat(32);
        write_private(
            &path,
            format!("{HEADER_V1}\nprimary a\nkey a created=1 material={old}\n").as_bytes(),
        );
        let ino = inode(&path);
        let mut ring = LocalKeyring::open_for_update(&path).unwrap();
        let b = ring.generate_key(None).unwrap();
        ring.save().unwrap();
        assert_eq!(inode(&path), ino, "converted in place, not replaced");
        assert!(fs::read(&path).unwrap().starts_with(SLOT_MAGIC));
        // A key from the format-1 days carries the caveat; a new one not.
        let e = ring.destroy_and_erase(&KeyId::new("a").unwrap()).unwrap();
        assert!(e.copies.is_empty(), "{e:?}");
        assert_eq!(e.caveats.len(), 1);
        assert!(!bytes_contain(&path, &old));
        assert!(!bytes_contain(&path, HEADER_V1));
        let e = ring.destroy_and_erase(&b).unwrap();
        assert!(e.caveats.is_empty(), "{e:?}");
        drop(ring);
        let ring = LocalKeyring::open(&path).unwrap();
        assert!(ring.keys().iter().all(|k| k.status == KeyStatus::Destroyed));
    }

    #[test]
    fn destroy_and_erase_finds_copies_beside_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&path).unwrap();
        let k = ring.generate_key(None).unwrap();
        ring.save().unwrap();
        let hex = ring.live(&k).unwrap().to_hex();
        fs::copy(&path, dir.path().join("ring.bak")).unwrap();
        fs::write(dir.path().join("notes.txt"), hex.to_ascii_uppercase()).unwrap();
        // A dead run's temporary copy: removed, not merely reported.
        let temp = dir.path().join(".radguard-dead00.part");
        fs::write(&temp, hex.as_bytes()).unwrap();
        let e = ring.destroy_and_erase(&k).unwrap();
        let mut names: Vec<_> = e
            .copies
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["notes.txt", "ring.bak"]);
        assert!(!e.no_copy_found());
        #[cfg(target_os = "linux")]
        assert!(!temp.exists());
    }

    #[test]
    fn waiting_updater_gets_the_lock_when_the_holder_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&path).unwrap();
        ring.generate_key(None).unwrap();
        ring.save().unwrap();
        let p2 = path.clone();
        let t = std::thread::spawn(move || {
            let mut waited = false;
            let mut r = LocalKeyring::open_for_update_waiting(&p2, &mut || waited = true).unwrap();
            r.generate_key(None).unwrap();
            r.save().unwrap();
            waited
        });
        std::thread::sleep(Duration::from_millis(200));
        ring.generate_key(None).unwrap();
        ring.save().unwrap();
        drop(ring);
        assert!(t.join().unwrap(), "the second updater had to wait");
        // Both changes are there: the updates did not overlap.
        assert_eq!(LocalKeyring::open(&path).unwrap().keys().len(), 3);
    }

    /// The keys of a keyring file: (id, live).
    fn key_state(path: &Path) -> Vec<(String, bool)> {
        LocalKeyring::open(path)
            .unwrap()
            .keys()
            .iter()
            .map(|k| (k.id.to_string(), k.status != KeyStatus::Destroyed))
            .collect()
    }

    /// Kills a save after every `step` bytes, from a keyring holding
    /// `before` keys to one where the first is destroyed and `added` are
    /// new: the keyring always loads as before or after, the next updater
    /// completes the save, and the destroyed key's material is then gone.
    fn kill_saves(start: &[u8], added: usize, step: u64) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        write_private(&path, start);
        let before = key_state(&path);
        let first = KeyId::new(&before[0].0).unwrap();
        let material = LocalKeyring::open(&path)
            .unwrap()
            .live(&first)
            .unwrap()
            .to_hex();
        let mut kills = 0;
        let mut budget = 0u64;
        loop {
            fs::remove_file(&path).unwrap();
            write_private(&path, start);
            let mut ring = LocalKeyring::open_for_update(&path).unwrap();
            ring.destroy_key(&first).unwrap();
            for _ in 0..added {
                ring.generate_key(None).unwrap();
            }
            *ring.write_budget.lock().unwrap() = Some(budget);
            let done = ring.save().is_ok();
            let mine = key_state_of(&ring);
            drop(ring);
            let now = key_state(&path);
            assert!(now == before || now == mine, "budget {budget}: {now:?}");
            if done {
                assert_eq!(now, mine);
                break;
            }
            kills += 1;
            // The next updater completes or rolls back the dead save.
            drop(LocalKeyring::open_for_update(&path).unwrap());
            let repaired = key_state(&path);
            assert_eq!(repaired, now, "budget {budget}");
            let raw = fs::read(&path).unwrap();
            if raw.starts_with(SLOT_MAGIC) {
                assert_eq!(raw.len() as u64 % (2 * PAGE), 0, "budget {budget}");
            }
            if now != before {
                assert!(!contains(&raw, material.as_bytes()), "budget {budget}");
            }
            budget += step;
        }
        assert!(!bytes_contain(&path, &material));
        kills
    }

    fn key_state_of(ring: &LocalKeyring) -> Vec<(String, bool)> {
        ring.keys()
            .iter()
            .map(|k| (k.id.to_string(), k.status != KeyStatus::Destroyed))
            .collect()
    }

    #[test]
    fn a_save_killed_anywhere_leaves_the_old_or_the_new_keyring() {
        // Same capacity.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&path).unwrap();
        for _ in 0..3 {
            ring.generate_key(None).unwrap();
        }
        ring.save().unwrap();
        drop(ring);
        let start = fs::read(&path).unwrap();
        assert!(kill_saves(&start, 1, 61) > 100);
        // Growing past the capacity (4 KiB holds about 30 keys).
        assert!(kill_saves(&start, 60, 509) > 30);
        // Converting format 1.
        let v1 = format!(
            "{HEADER_V1}\nprimary a\nkey a created=1 material={}\nkey b created=2 material={}\n",
            "11".repeat(32),
            "22".repeat(32)
        );
        assert!(kill_saves(v1.as_bytes(), 1, 61) > 100);
    }

    #[test]
    fn fuzz_seeds_hold_the_property() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/keyring_decode");
        let Ok(rd) = fs::read_dir(&seeds) else {
            return; // the fuzz folder is not shipped with the crate
        };
        let mut n = 0;
        for e in rd.flatten() {
            let bytes = fs::read(e.path()).unwrap();
            assert!(decode(&bytes, Path::new("seed")).is_ok(), "{:?}", e.path());
            LocalKeyring::fuzz_decode(&bytes);
            n += 1;
        }
        assert!(n >= 3);
    }

    #[test]
    fn fuzz_entry_point_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring");
        let mut ring = LocalKeyring::create(&path).unwrap();
        ring.generate_key(None).unwrap();
        ring.save().unwrap();
        LocalKeyring::fuzz_decode(&fs::read(&path).unwrap());
        LocalKeyring::fuzz_decode(b"radguard-keyring 1\n");
        LocalKeyring::fuzz_decode(b"");
    }

    #[cfg(unix)]
    fn inode(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(p).unwrap().ino()
    }

    #[cfg(not(unix))]
    fn inode(_p: &Path) -> u64 {
        0
    }

    fn write_private(path: &Path, bytes: &[u8]) {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        opts.open(path).unwrap().write_all(bytes).unwrap();
    }
}
