//! Signed certificates of sanitization, the one kind of evidence for every
//! sanitization radguard performs: `radguard wipe` (overwrite) and
//! `radguard keys destroy` (cryptographic erase) both write one, and
//! `radguard cert verify|show` reads either.
//!
//! The certificate file is opened (as a temporary file in its folder)
//! before anything is destroyed, written mode `0600`, and if it still
//! cannot be saved the signed record goes to stdout and the command exits 1:
//! a sanitization never ends without its record.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hmac::{Hmac, KeyInit, Mac};
use radguard_core::SecretKey;
use radguard_core::fs::{AtomicFile, AtomicOptions, write_atomic};
use radguard_wipe::{Certificate, Operator, SigningKey, TargetReport};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::output::{self, Output};
use crate::secrets::{parse_key, read_secret_file, secret_path};

/// Environment variable naming the certificate signing key file.
pub(crate) const SIGN_KEY_ENV: &str = "RADGUARD_WIPE_SIGN_KEY";

/// How a certificate names its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum CertPaths {
    /// As given on the command line.
    #[default]
    Plain,
    /// As keyed digests (`hmac-sha256:...` under a key derived from the
    /// signing key): a folder named after a patient is not written into
    /// the certificate; `radguard cert path-digest PATH` recomputes the
    /// digest of a path for the key holder.
    Digest,
}

/// Where the certificate goes, who signs it, and who is named in it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CertArgs {
    /// Where to write the signed certificate (mode 0600, never
    /// overwritten). Default: <kind>-certificate-TIME.json (TIME in UTC) in
    /// the current folder.
    #[arg(long = "cert", value_name = "FILE")]
    pub(crate) path: Option<PathBuf>,

    /// How targets are recorded in the certificate: plain (as given) or
    /// digest (keyed digests; `radguard cert path-digest` recomputes them).
    #[arg(long = "cert-paths", value_enum, default_value_t = CertPaths::Plain)]
    pub(crate) cert_paths: CertPaths,

    /// Ed25519 signing key file (64 hex characters or 32 raw bytes, mode
    /// 0600). Default: $RADGUARD_WIPE_SIGN_KEY, else a key created once in
    /// the user's configuration folder.
    #[arg(long, value_name = "FILE")]
    pub(crate) sign_key: Option<PathBuf>,

    /// Operator name for the certificate (default: the login name).
    #[arg(long, value_name = "NAME")]
    operator: Option<String>,

    /// Operator title or position.
    #[arg(long, value_name = "TITLE")]
    title: Option<String>,

    /// Organization.
    #[arg(long, value_name = "ORG")]
    organization: Option<String>,

    /// Location.
    #[arg(long, value_name = "PLACE")]
    location: Option<String>,

    /// Phone or other contact.
    #[arg(long, value_name = "CONTACT")]
    contact: Option<String>,
}

/// The certificate signing key and the key path digests are made with.
pub(crate) struct Signer {
    pub(crate) key: SigningKey,
    path_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

type HmacSha256 = Hmac<Sha256>;

impl Signer {
    fn from_secret(secret: &SecretKey) -> Self {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"radguard-certificate-path-digest/1");
        Self {
            key: SigningKey::from_secret(secret),
            path_key: Zeroizing::new(mac.finalize().into_bytes().into()),
        }
    }

    /// The keyed digest of a path as certificates record it.
    pub(crate) fn path_digest(&self, path: &str) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.path_key[..])
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(path.as_bytes());
        let d = mac.finalize().into_bytes();
        let mut s = String::from("hmac-sha256:");
        for b in d {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// A certificate ready to be written: everything that can fail before the
/// destructive step has been checked and the file is already open.
pub(crate) struct PendingCertificate {
    pub(crate) path: PathBuf,
    signer: Signer,
    started: String,
    file: AtomicFile,
    paths: CertPaths,
}

impl std::fmt::Debug for PendingCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCertificate")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A certificate as written (or not).
#[derive(Debug)]
pub(crate) struct Written {
    /// The record.
    pub(crate) cert: Certificate,
    /// The signed file's content.
    pub(crate) signed_json: String,
    /// `false` when it could not be saved (it was printed instead).
    pub(crate) saved: bool,
}

impl CertArgs {
    fn operator(&self) -> Operator {
        Operator::named(
            self.operator
                .clone()
                .unwrap_or_else(radguard_wipe::current_user),
        )
        .with_details(
            self.title.clone(),
            self.organization.clone(),
            self.location.clone(),
            self.contact.clone(),
        )
    }

    /// Loads (or creates) the signing key and opens the certificate file
    /// (a temporary file in its folder, mode 0600), before anything is
    /// destroyed.
    pub(crate) fn prepare(&self, kind: &str, out: Output) -> anyhow::Result<PendingCertificate> {
        let signer = load_or_create_signer(self.sign_key.as_deref(), out)?;
        let started = Certificate::now();
        let path = match &self.path {
            Some(p) => p.clone(),
            None => PathBuf::from(format!("{kind}-{}.json", started.replace([':', '-'], ""))),
        };
        if fs::symlink_metadata(&path).is_ok() {
            bail!(
                "certificate file {} already exists; choose another --cert",
                output::path(&path)
            );
        }
        check_writable_dir(&path)?;
        let file = AtomicFile::create(&path, &AtomicOptions::new().mode(0o600))
            .with_context(|| format!("cannot create certificate {}", output::path(&path)))?;
        Ok(PendingCertificate {
            path,
            signer,
            started,
            file,
            paths: self.cert_paths,
        })
    }
}

impl PendingCertificate {
    /// When the operation started (RFC 3339).
    pub(crate) fn started(&self) -> &str {
        &self.started
    }

    /// `path` as the certificate will record it.
    pub(crate) fn recorded(&self, path: &str) -> String {
        match self.paths {
            CertPaths::Plain => path.to_owned(),
            CertPaths::Digest => self.signer.path_digest(path),
        }
    }

    /// Builds, signs and writes the certificate for `items`. `names` are
    /// the paths the operator gave (targets, keyring): with `--cert-paths
    /// digest` every occurrence of one in the record becomes its digest.
    /// If the file cannot be saved, says so and prints the signed record on
    /// stdout (in human mode; JSON callers embed `signed_json`).
    pub(crate) fn write(
        self,
        mut items: Vec<TargetReport>,
        names: &[String],
        args: &CertArgs,
        out: Output,
    ) -> anyhow::Result<Written> {
        if self.paths == CertPaths::Digest {
            items = digest_paths(items, names, &self.signer)?;
        }
        let Self {
            path,
            signer,
            started,
            mut file,
            ..
        } = self;
        let cert = Certificate::new(
            items,
            args.operator(),
            radguard_wipe::host_name(),
            started,
            Certificate::now(),
            &signer.key.public_key(),
        )?;
        let signed_json = cert.clone().sign(&signer.key)?.to_json();
        let saved = file
            .write_all(signed_json.as_bytes())
            .and_then(|()| file.commit());
        if let Err(e) = &saved {
            out.error(&anyhow::anyhow!(
                "the certificate could not be written to {}: {e}; the signed certificate follows on standard output: save it",
                output::path(&path)
            ));
            if !out.is_json() {
                out.document(&signed_json);
            }
        }
        Ok(Written {
            cert,
            signed_json,
            saved: saved.is_ok(),
        })
    }
}

/// Replaces every occurrence of `names` (and each item's target path) in
/// the items' text by its keyed digest.
fn digest_paths(
    items: Vec<TargetReport>,
    names: &[String],
    signer: &Signer,
) -> anyhow::Result<Vec<TargetReport>> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let mut subst: Vec<(String, String)> = Vec::new();
        let mut add = |p: &str| {
            if !p.is_empty() && !subst.iter().any(|(a, _)| a == p) {
                subst.push((p.to_owned(), signer.path_digest(p)));
            }
        };
        add(&item.target.path);
        for n in names {
            add(n);
            if let Ok(c) = Path::new(n).canonicalize() {
                add(&c.display().to_string());
            }
        }
        // Longest first, so that a path is replaced before its prefixes.
        subst.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
        let mut v = serde_json::to_value(&item)?;
        replace_strings(&mut v, &subst);
        out.push(serde_json::from_value(v)?);
    }
    Ok(out)
}

fn replace_strings(v: &mut serde_json::Value, subst: &[(String, String)]) {
    match v {
        serde_json::Value::String(s) => {
            for (from, to) in subst {
                if s.contains(from.as_str()) {
                    *s = s.replace(from.as_str(), to);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| replace_strings(x, subst)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| replace_strings(x, subst)),
        _ => {}
    }
}

/// The certificate signing key: `--sign-key`, `$RADGUARD_WIPE_SIGN_KEY`, or
/// the per-user key, created on first use.
pub(crate) fn load_or_create_signer(arg: Option<&Path>, out: Output) -> anyhow::Result<Signer> {
    if let Some(p) = secret_path(arg, SIGN_KEY_ENV) {
        let bytes = read_secret_file(&p)?;
        let secret = parse_key(&bytes)
            .with_context(|| format!("cannot use signing key {}", output::path(&p)))?;
        return Ok(Signer::from_secret(&secret));
    }
    let path = default_key_path()?;
    if fs::symlink_metadata(&path).is_ok() {
        let bytes = read_secret_file(&path)?;
        let secret = parse_key(&bytes)
            .with_context(|| format!("cannot use signing key {}", output::path(&path)))?;
        return Ok(Signer::from_secret(&secret));
    }
    let dir = path.parent().context("key path has no folder")?;
    create_private_dir(dir)?;
    let secret = SecretKey::generate()?;
    // Sized up front so that adding the newline does not reallocate (and
    // leave a copy of the key in freed memory).
    let mut hex = Zeroizing::new(String::with_capacity(2 * SecretKey::LEN + 1));
    hex.push_str(&secret.to_hex());
    hex.push('\n');
    match write_atomic(&path, hex.as_bytes(), &AtomicOptions::new()) {
        Ok(()) => {}
        // Another radguard created it first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let bytes = read_secret_file(&path)?;
            return Ok(Signer::from_secret(&parse_key(&bytes)?));
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot create signing key {}", output::path(&path)));
        }
    }
    let signer = Signer::from_secret(&secret);
    let pub_path = path.with_extension("pub");
    let _ = fs::remove_file(&pub_path);
    write_atomic(
        &pub_path,
        format!("{}\n", signer.key.public_key()).as_bytes(),
        &AtomicOptions::new().mode(0o644),
    )
    .with_context(|| format!("cannot write {}", output::path(&pub_path)))?;
    out.warn(format_args!(
        "created a certificate signing key in {} (public key in {}); keep it private and back it up",
        output::path(&path),
        output::path(&pub_path)
    ));
    Ok(signer)
}

/// This machine's own signing key, if there is one: `--sign-key`,
/// `$RADGUARD_WIPE_SIGN_KEY`, or the per-user key (never created here).
pub(crate) fn own_signer(arg: Option<&Path>) -> anyhow::Result<Option<Signer>> {
    let path = match secret_path(arg, SIGN_KEY_ENV) {
        Some(p) => p,
        None => match default_key_path() {
            Ok(p) if fs::symlink_metadata(&p).is_ok() => p,
            _ => return Ok(None),
        },
    };
    let bytes = read_secret_file(&path)?;
    let secret = parse_key(&bytes)
        .with_context(|| format!("cannot use signing key {}", output::path(&path)))?;
    Ok(Some(Signer::from_secret(&secret)))
}

/// `$XDG_CONFIG_HOME/radguard/wipe-signing.key`, else
/// `$HOME/.config/radguard/wipe-signing.key`.
pub(crate) fn default_key_path() -> anyhow::Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty() && Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
        .context("no configuration folder: set HOME or XDG_CONFIG_HOME, or pass --sign-key")?;
    Ok(base.join("radguard").join("wipe-signing.key"))
}

/// `$XDG_STATE_HOME/radguard`, else `$HOME/.local/state/radguard`: where
/// free-space wipes record their fill folders while they run.
pub(crate) fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty() && Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })
        .map(|b| b.join("radguard"))
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", output::path(dir)))
}

fn check_writable_dir(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "the certificate folder {} does not exist",
            output::path(dir)
        );
    }
    Ok(())
}
