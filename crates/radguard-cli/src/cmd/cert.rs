//! `radguard cert`: verify and show certificates of sanitization.
//!
//! A certificate verifies only when its signature is valid *and* its
//! signer is trusted: the key given with `--public-key`, or else this
//! machine's own signing key. A valid signature by any other key is an
//! "unknown signer" (exit 3): anyone can mint a self-consistent
//! certificate, so the signature alone proves nothing about who made it.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use radguard_wipe::{MAX_CERTIFICATE_LEN, PublicKey, SignedCertificate};
use serde::Serialize;

use crate::Outcome;
use crate::evidence::{load_or_create_signer, own_signer};
use crate::output::{self, Output, esc};

/// Subcommands of `radguard cert`.
#[derive(Debug, clap::Subcommand)]
#[command(
    after_help = "Exit status of verify and show: 0 valid signature by a trusted signer (or by any \
signer with --any-signer); 1 invalid or unreadable certificate; 3 valid signature by an unknown \
signer; 2 usage errors."
)]
pub(crate) enum Command {
    /// Check a certificate's signature and signer (exit 0 valid and
    /// trusted, 1 invalid, 3 unknown signer).
    Verify(FileArgs),
    /// Render a certificate for people, with its verification status.
    Show(FileArgs),
    /// Print the public key that verifies this machine's certificates.
    PublicKey(KeyArgs),
    /// Print the keyed digest of each PATH, as certificates written with
    /// `--cert-paths digest` by this machine's signing key record it.
    PathDigest(DigestArgs),
}

/// A certificate file and the key to trust.
#[derive(Debug, clap::Args)]
pub(crate) struct FileArgs {
    /// The certificate (JSON) written by `radguard wipe` or `radguard keys
    /// destroy`.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// File holding the trusted signer's public key (64 hex characters).
    /// Default: trust this machine's own signing key only.
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,

    /// Accept a valid signature by any key: the record is then known to be
    /// unchanged since someone signed it, not who signed it.
    #[arg(long, conflicts_with = "public_key")]
    any_signer: bool,
}

/// Which signing key to describe.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyArgs {
    /// Signing key file (default: $RADGUARD_WIPE_SIGN_KEY, else the
    /// per-user key `radguard wipe` creates).
    #[arg(long, value_name = "FILE")]
    sign_key: Option<PathBuf>,
}

/// Paths to digest.
#[derive(Debug, clap::Args)]
pub(crate) struct DigestArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// Paths exactly as they were given to the command that wrote the
    /// certificate.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    file: String,
    /// The signature is valid and the signer trusted (or any signer was
    /// accepted).
    valid: bool,
    /// The record is unchanged since its signer signed it.
    signature_valid: bool,
    /// The signer is the trusted key.
    signer_trusted: bool,
    /// Where trust came from: `public_key`, `own_key`, `any_signer`, `none`.
    trust: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<radguard_wipe::Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assurance_level: Option<radguard_wipe::AssuranceLevel>,
}

pub(crate) fn run(cmd: &Command, out: Output) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Verify(a) => verify(a, out, false),
        Command::Show(a) => verify(a, out, true),
        Command::PublicKey(a) => public_key(a, out),
        Command::PathDigest(a) => path_digest(a, out),
    }
}

fn read_limited(path: &Path) -> anyhow::Result<Vec<u8>> {
    let f = fs::File::open(path).with_context(|| format!("cannot open {}", output::path(path)))?;
    let mut buf = Vec::new();
    f.take(MAX_CERTIFICATE_LEN as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", output::path(path)))?;
    Ok(buf)
}

/// The trusted key and where it came from.
fn trusted_key(a: &FileArgs) -> anyhow::Result<(Option<PublicKey>, &'static str)> {
    if let Some(p) = &a.public_key {
        let text =
            fs::read_to_string(p).with_context(|| format!("cannot read {}", output::path(p)))?;
        let key = PublicKey::from_hex(&text).with_context(|| format!("in {}", output::path(p)))?;
        return Ok((Some(key), "public_key"));
    }
    if a.any_signer {
        return Ok((None, "any_signer"));
    }
    match own_signer(None)? {
        Some(s) => Ok((Some(s.key.public_key()), "own_key")),
        None => Ok((None, "none")),
    }
}

/// How a certificate fared.
enum Verdict {
    Invalid(String),
    Trusted,
    AnySigner,
    UnknownSigner,
}

fn verify(a: &FileArgs, out: Output, show: bool) -> anyhow::Result<Outcome> {
    let (trusted, trust) = trusted_key(a)?;
    let bytes = read_limited(&a.file)?;
    let file = a.file.display().to_string();
    let parsed = match SignedCertificate::from_json(&bytes) {
        Ok(p) => p,
        Err(e) => {
            if out.is_json() {
                out.json(&VerifyJson {
                    file,
                    valid: false,
                    signature_valid: false,
                    signer_trusted: false,
                    trust,
                    error: Some(e.to_string()),
                    key_id: None,
                    outcome: None,
                    assurance_level: None,
                })?;
            } else {
                out.line(format_args!("{}: INVALID: {}", esc(&file), esc(&e)));
            }
            return Ok(Outcome::SomeFailed);
        }
    };
    let record = parsed.unverified();
    // Integrity first (against the key the record names), then who.
    let verdict = match parsed.verify(None) {
        Err(e) => Verdict::Invalid(e.to_string()),
        Ok(c) => match &trusted {
            Some(k) if k.to_hex() == c.signer.public_key => Verdict::Trusted,
            _ if a.any_signer => Verdict::AnySigner,
            _ => Verdict::UnknownSigner,
        },
    };
    let key_id = esc(&record.signer.key_id);
    let no_trusted_key = "no trusted key: this machine has no signing key; pass --public-key FILE";
    if out.is_json() {
        let accepted = matches!(verdict, Verdict::Trusted | Verdict::AnySigner);
        if show && accepted {
            out.json(record)?;
        } else {
            out.json(&VerifyJson {
                file,
                valid: accepted,
                signature_valid: !matches!(verdict, Verdict::Invalid(_)),
                signer_trusted: matches!(verdict, Verdict::Trusted),
                trust,
                error: match &verdict {
                    Verdict::Invalid(e) => Some(e.clone()),
                    Verdict::UnknownSigner => Some("unknown signer".to_owned()),
                    _ => None,
                },
                key_id: Some(record.signer.key_id.as_str()),
                outcome: Some(record.outcome),
                assurance_level: Some(record.assurance_level),
            })?;
        }
    } else {
        let file = esc(&file);
        match &verdict {
            Verdict::Trusted => out.line(format_args!(
                "{file}: valid signature by the trusted key {key_id} ({})",
                if trust == "own_key" {
                    "this machine's signing key"
                } else {
                    "the key given with --public-key"
                }
            )),
            Verdict::AnySigner => out.line(format_args!(
                "{file}: valid signature by {key_id}, a key that is NOT trusted (--any-signer): the record is unchanged since that key signed it, but who holds the key is not established"
            )),
            Verdict::UnknownSigner => out.line(format_args!(
                "{file}: UNKNOWN SIGNER: the signature by {key_id} is valid, but that key is not trusted here ({}); pass --public-key FILE to trust a signer, or --any-signer",
                if trusted.is_some() {
                    "it is not the trusted key"
                } else {
                    no_trusted_key
                }
            )),
            Verdict::Invalid(e) => out.line(format_args!("{file}: INVALID: {}", esc(e))),
        }
        if show {
            match verdict {
                Verdict::Invalid(_) => {
                    out.line("The record below FAILED verification; do not rely on it.");
                }
                Verdict::UnknownSigner | Verdict::AnySigner => {
                    out.line("The record below is signed by a key that is not trusted; do not rely on who made it.");
                }
                Verdict::Trusted => {}
            }
            out.line(record.render_text());
        } else if matches!(verdict, Verdict::Trusted | Verdict::AnySigner) {
            out.line(format_args!(
                "outcome: {}, assurance: {}, {} item(s)",
                record.outcome,
                record.assurance_level,
                record.items.len()
            ));
        }
    }
    Ok(match verdict {
        Verdict::Trusted | Verdict::AnySigner => Outcome::AllDone,
        Verdict::UnknownSigner => Outcome::UnknownSigner,
        Verdict::Invalid(_) => Outcome::SomeFailed,
    })
}

fn public_key(a: &KeyArgs, out: Output) -> anyhow::Result<Outcome> {
    let Some(signer) = own_signer(a.sign_key.as_deref())? else {
        bail!(
            "no signing key at {} (radguard wipe creates one on first use)",
            output::path(&crate::evidence::default_key_path()?)
        );
    };
    let public = signer.key.public_key();
    if out.is_json() {
        #[derive(Serialize)]
        struct K {
            public_key: String,
            key_id: String,
        }
        out.json(&K {
            public_key: public.to_hex(),
            key_id: public.key_id().to_string(),
        })?;
    } else {
        out.line(public.to_hex());
    }
    Ok(Outcome::AllDone)
}

fn path_digest(a: &DigestArgs, out: Output) -> anyhow::Result<Outcome> {
    let signer = match own_signer(a.key.sign_key.as_deref())? {
        Some(s) => s,
        None => load_or_create_signer(a.key.sign_key.as_deref(), out)?,
    };
    #[derive(Serialize)]
    struct D {
        path: String,
        digest: String,
    }
    let rows: Vec<D> = a
        .paths
        .iter()
        .map(|p| {
            let path = p.display().to_string();
            D {
                digest: signer.path_digest(&path),
                path,
            }
        })
        .collect();
    for r in &rows {
        out.line(format_args!("{}  {}", r.digest, esc(&r.path)));
    }
    out.json(&rows)?;
    Ok(Outcome::AllDone)
}
