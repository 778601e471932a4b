//! `radguard cert`: verify and show certificates of sanitization.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use radguard_wipe::{MAX_CERTIFICATE_LEN, PublicKey, SignedCertificate, SigningKey};
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;
use crate::secrets::{parse_key, read_secret_file, secret_path};

/// Subcommands of `radguard cert`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Check a certificate's signature (exit 0 valid, 1 invalid).
    Verify(FileArgs),
    /// Render a certificate for people, with its verification status.
    Show(FileArgs),
    /// Print the public key that verifies this machine's certificates.
    PublicKey(KeyArgs),
}

/// A certificate file and the key to trust.
#[derive(Debug, clap::Args)]
pub(crate) struct FileArgs {
    /// The certificate (JSON) written by `radguard wipe`.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// File holding the expected signer's public key (64 hex characters).
    /// Without it, a valid signature proves integrity but not who signed.
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
}

/// Which signing key to describe.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyArgs {
    /// Signing key file (default: $RADGUARD_WIPE_SIGN_KEY, else the
    /// per-user key `radguard wipe` creates).
    #[arg(long, value_name = "FILE")]
    sign_key: Option<PathBuf>,
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    file: String,
    valid: bool,
    signer_pinned: bool,
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
    }
}

fn read_limited(path: &Path) -> anyhow::Result<Vec<u8>> {
    let f = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX_CERTIFICATE_LEN as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(buf)
}

fn trusted_key(path: Option<&Path>) -> anyhow::Result<Option<PublicKey>> {
    let Some(p) = path else {
        return Ok(None);
    };
    let text = fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    Ok(Some(
        PublicKey::from_hex(&text).with_context(|| format!("in {}", p.display()))?,
    ))
}

fn verify(a: &FileArgs, out: Output, show: bool) -> anyhow::Result<Outcome> {
    let trusted = trusted_key(a.public_key.as_deref())?;
    let bytes = read_limited(&a.file)?;
    let file = a.file.display().to_string();
    let parsed = match SignedCertificate::from_json(&bytes) {
        Ok(p) => p,
        Err(e) => {
            if out.is_json() {
                out.json(&VerifyJson {
                    file,
                    valid: false,
                    signer_pinned: trusted.is_some(),
                    error: Some(e.to_string()),
                    key_id: None,
                    outcome: None,
                    assurance_level: None,
                })?;
            } else {
                out.line(format_args!("{file}: INVALID: {e}"));
            }
            return Ok(Outcome::SomeFailed);
        }
    };
    let verdict = parsed.verify(trusted.as_ref());
    let record = parsed.unverified();
    if out.is_json() {
        if show && verdict.is_ok() {
            return out.json(record).map(|()| Outcome::AllDone);
        }
        out.json(&VerifyJson {
            file,
            valid: verdict.is_ok(),
            signer_pinned: trusted.is_some(),
            error: verdict.as_ref().err().map(ToString::to_string),
            key_id: Some(record.signer.key_id.as_str()),
            outcome: Some(record.outcome),
            assurance_level: Some(record.assurance_level),
        })?;
    } else {
        match &verdict {
            Ok(_) if trusted.is_some() => out.line(format_args!(
                "{file}: valid signature by the trusted key {}",
                record.signer.key_id
            )),
            Ok(_) => out.line(format_args!(
                "{file}: valid signature by {} (signer not pinned: pass --public-key to check who signed)",
                record.signer.key_id
            )),
            Err(e) => out.line(format_args!("{file}: INVALID: {e}")),
        }
        if show {
            if verdict.is_err() {
                out.line("The record below FAILED verification; do not rely on it.");
            }
            out.line(record.render_text());
        } else if verdict.is_ok() {
            out.line(format_args!(
                "outcome: {}, assurance: {}, {} item(s)",
                record.outcome,
                record.assurance_level,
                record.items.len()
            ));
        }
    }
    Ok(if verdict.is_ok() {
        Outcome::AllDone
    } else {
        Outcome::SomeFailed
    })
}

fn public_key(a: &KeyArgs, out: Output) -> anyhow::Result<Outcome> {
    let path = match secret_path(a.sign_key.as_deref(), crate::evidence::SIGN_KEY_ENV) {
        Some(p) => p,
        None => crate::evidence::default_key_path()?,
    };
    if fs::symlink_metadata(&path).is_err() {
        bail!(
            "no signing key at {} (radguard wipe creates one on first use)",
            path.display()
        );
    }
    let bytes = read_secret_file(&path)?;
    let key = SigningKey::from_secret(&parse_key(&bytes)?);
    let public = key.public_key();
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
