//! Signed certificates of sanitization, the one kind of evidence for every
//! sanitization radguard performs: `radguard wipe` (overwrite) and
//! `radguard keys destroy` (cryptographic erase) both write one, and
//! `radguard cert verify|show` reads either.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use radguard_core::SecretKey;
use radguard_core::fs::{AtomicOptions, write_atomic};
use radguard_wipe::{Certificate, Operator, SigningKey, TargetReport};

use crate::output::Output;
use crate::secrets::{parse_key, read_secret_file, secret_path};

/// Environment variable naming the certificate signing key file.
pub(crate) const SIGN_KEY_ENV: &str = "RADGUARD_WIPE_SIGN_KEY";

/// Where the certificate goes, who signs it, and who is named in it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CertArgs {
    /// Where to write the signed certificate (never overwritten). Default:
    /// <kind>-certificate-TIME.json (TIME in UTC) in the current folder.
    #[arg(long = "cert", value_name = "FILE")]
    pub(crate) path: Option<PathBuf>,

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

/// A certificate ready to be written: everything that can fail before the
/// destructive step has been checked (key, path, folder).
#[derive(Debug)]
pub(crate) struct PendingCertificate {
    pub(crate) path: PathBuf,
    key: SigningKey,
    started: String,
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

    /// Loads (or creates) the signing key and checks the certificate path,
    /// before anything is destroyed.
    pub(crate) fn prepare(&self, kind: &str, out: Output) -> anyhow::Result<PendingCertificate> {
        let key = load_or_create_key(self.sign_key.as_deref(), out)?;
        let started = Certificate::now();
        let path = match &self.path {
            Some(p) => p.clone(),
            None => PathBuf::from(format!("{kind}-{}.json", started.replace([':', '-'], ""))),
        };
        if fs::symlink_metadata(&path).is_ok() {
            bail!(
                "certificate file {} already exists; choose another --cert",
                path.display()
            );
        }
        check_writable_dir(&path)?;
        Ok(PendingCertificate { path, key, started })
    }
}

impl PendingCertificate {
    /// When the operation started (RFC 3339).
    pub(crate) fn started(&self) -> &str {
        &self.started
    }

    /// Builds, signs and writes the certificate for `items`.
    pub(crate) fn write(
        self,
        items: Vec<TargetReport>,
        args: &CertArgs,
    ) -> anyhow::Result<Certificate> {
        let cert = Certificate::new(
            items,
            args.operator(),
            radguard_wipe::host_name(),
            self.started,
            Certificate::now(),
            &self.key.public_key(),
        )?;
        let signed = cert.clone().sign(&self.key)?;
        write_atomic(
            &self.path,
            signed.to_json().as_bytes(),
            &AtomicOptions::new().mode(0o644),
        )
        .with_context(|| format!("cannot write certificate {}", self.path.display()))?;
        Ok(cert)
    }
}

/// The certificate signing key: `--sign-key`, `$RADGUARD_WIPE_SIGN_KEY`, or
/// the per-user key, created on first use.
pub(crate) fn load_or_create_key(arg: Option<&Path>, out: Output) -> anyhow::Result<SigningKey> {
    if let Some(p) = secret_path(arg, SIGN_KEY_ENV) {
        let bytes = read_secret_file(&p)?;
        let secret =
            parse_key(&bytes).with_context(|| format!("cannot use signing key {}", p.display()))?;
        return Ok(SigningKey::from_secret(&secret));
    }
    let path = default_key_path()?;
    if fs::symlink_metadata(&path).is_ok() {
        let bytes = read_secret_file(&path)?;
        let secret = parse_key(&bytes)
            .with_context(|| format!("cannot use signing key {}", path.display()))?;
        return Ok(SigningKey::from_secret(&secret));
    }
    let dir = path.parent().context("key path has no folder")?;
    create_private_dir(dir)?;
    let secret = SecretKey::generate()?;
    // Sized up front so that adding the newline does not reallocate (and
    // leave a copy of the key in freed memory).
    let mut hex = zeroize::Zeroizing::new(String::with_capacity(2 * SecretKey::LEN + 1));
    hex.push_str(&secret.to_hex());
    hex.push('\n');
    match write_atomic(&path, hex.as_bytes(), &AtomicOptions::new()) {
        Ok(()) => {}
        // Another radguard created it first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let bytes = read_secret_file(&path)?;
            return Ok(SigningKey::from_secret(&parse_key(&bytes)?));
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot create signing key {}", path.display()));
        }
    }
    let key = SigningKey::from_secret(&secret);
    let pub_path = path.with_extension("pub");
    let _ = fs::remove_file(&pub_path);
    write_atomic(
        &pub_path,
        format!("{}\n", key.public_key()).as_bytes(),
        &AtomicOptions::new().mode(0o644),
    )
    .with_context(|| format!("cannot write {}", pub_path.display()))?;
    out.warn(format_args!(
        "created a certificate signing key in {} (public key in {}); keep it private and back it up",
        path.display(),
        pub_path.display()
    ));
    Ok(key)
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

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

fn check_writable_dir(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!("the certificate folder {} does not exist", dir.display());
    }
    Ok(())
}
