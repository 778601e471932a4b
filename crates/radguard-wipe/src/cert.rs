//! Certificates of sanitization, signed with Ed25519: the record NIST SP
//! 800-88 Rev. 2 (September 2025) asks a sanitization program to keep, with
//! the fields of the Rev. 1 Appendix G sample certificate (Rev. 1 was
//! withdrawn by Rev. 2) and the technique names of IEEE 2883-2022.
//!
//! The file is one JSON object with two members: `certificate` (the
//! record) and `signature` (hex Ed25519 signature). The signed message is
//! the domain string `radguard-wipe-certificate/1` and a zero byte,
//! followed by the record serialized in its canonical form (the field order
//! of [`Certificate`], no whitespace). Verification re-serializes the
//! parsed record, so any change to any field's value — or an unknown
//! field, which parsing rejects — breaks the signature.

use core::fmt::{self, Write as _};

use ed25519_dalek::{Signature, Signer as _};
use radguard_core::{KeyId, SecretKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::report::{AssuranceLevel, Status, TargetReport};

/// The format tag of this certificate version.
pub const FORMAT: &str = "radguard-wipe-certificate/1";

/// What the certificate's fields and levels follow (its `standard` field).
pub const STANDARD: &str = "NIST SP 800-88 Rev. 2 (September 2025) sanitization record; techniques and levels per IEEE 2883-2022 (Clear, Purge; never Purge for an overwrite); fields of the NIST SP 800-88 Rev. 1 Appendix G sample certificate; verification (technique completed, read back) recorded apart from validation (outcome effective), per Rev. 2";

/// Largest certificate file accepted, in bytes.
pub const MAX_CERTIFICATE_LEN: usize = 16 << 20;

/// The current time as RFC 3339 UTC, whole seconds.
pub(crate) fn rfc3339_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != N * 2 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in s.as_bytes().chunks_exact(2).enumerate() {
        let v = |c: u8| if c <= b'9' { c - b'0' } else { c - b'a' + 10 };
        out[i] = (v(pair[0]) << 4) | v(pair[1]);
    }
    Some(out)
}

/// An Ed25519 signing key for certificates.
///
/// # Examples
///
/// ```
/// use radguard_core::SecretKey;
/// use radguard_wipe::SigningKey;
///
/// let key = SigningKey::from_secret(&SecretKey::from_bytes([9; 32]));
/// let public = key.public_key();
/// assert!(public.key_id().as_str().starts_with("ed25519:"));
/// assert_eq!(public.to_hex().len(), 64);
/// ```
///
/// # Security
///
/// The key is zeroized on drop and never printed.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The Ed25519 key whose 32-byte seed is `secret`.
    #[must_use]
    pub fn from_secret(secret: &SecretKey) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(
            secret.expose_secret(),
        ))
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
}

/// An Ed25519 public key that verifies certificates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl PublicKey {
    /// Parses 64 lowercase or uppercase hexadecimal characters (surrounding
    /// whitespace ignored).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if the text is not 32 bytes of hex or not a
    /// valid Ed25519 point.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let bytes = unhex::<32>(&s.trim().to_ascii_lowercase()).ok_or(Error::InvalidKey(
            "a public key is 64 hexadecimal characters",
        ))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| Error::InvalidKey("not a valid Ed25519 public key"))
    }

    /// Lowercase hex of the 32 key bytes.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex(self.0.as_bytes())
    }

    /// The key's name: `ed25519:` and the first 16 bytes of its SHA-256, in
    /// hex.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        let d = Sha256::digest(self.0.as_bytes());
        let id = format!("ed25519:{}", hex(&d[..16]));
        KeyId::new(&id).unwrap_or_else(|_| unreachable!("hex and ':' are valid key id characters"))
    }
}

/// The tool that made the certificate.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Tool {
    /// Tool name.
    pub name: String,
    /// Tool version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Self {
            name: "radguard-wipe".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// The person performing the sanitization (Appendix G).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Operator {
    /// Name.
    pub name: String,
    /// Title / position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Phone or other contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

impl Operator {
    /// An operator with only a name.
    #[must_use]
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets the optional fields.
    #[must_use]
    pub fn with_details(
        mut self,
        title: Option<String>,
        organization: Option<String>,
        location: Option<String>,
        contact: Option<String>,
    ) -> Self {
        self.title = title;
        self.organization = organization;
        self.location = location;
        self.contact = contact;
        self
    }
}

/// How the whole run ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Every target completed and passed the verification asked for.
    Completed,
    /// At least one target failed (I/O error, verification mismatch).
    Failed,
    /// Interrupted: at least one target stopped early or never started.
    Incomplete,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Completed => "completed",
            Self::Failed => "FAILED",
            Self::Incomplete => "INCOMPLETE (interrupted)",
        })
    }
}

/// The signature algorithm a certificate names.
///
/// Any name parses, so that a certificate from another version can be
/// shown and refused by name ([`SignedCertificate::verify`] accepts only
/// [`SignatureAlgorithm::Ed25519`]).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// Ed25519 (RFC 8032), named `ed25519`.
    Ed25519,
    /// Any other name, as written.
    Unknown(String),
}

impl SignatureAlgorithm {
    /// The name, as in certificates.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::Unknown(name) => name,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SignatureAlgorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SignatureAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(if name == Self::Ed25519.as_str() {
            Self::Ed25519
        } else {
            Self::Unknown(name)
        })
    }
}

/// The signer as named inside the signed record.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SignerInfo {
    /// The signature algorithm.
    pub algorithm: SignatureAlgorithm,
    /// Hex of the 32-byte public key.
    pub public_key: String,
    /// The key's id ([`PublicKey::key_id`]).
    pub key_id: String,
}

/// A certificate of sanitization, one item per target: the record NIST SP
/// 800-88 Rev. 2 asks for (what was sanitized, how, verified how, by whom,
/// when), in the fields of the Rev. 1 Appendix G sample certificate, with
/// IEEE 2883-2022 technique names.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Certificate {
    /// [`FORMAT`].
    pub format: String,
    /// A random 128-bit id, hex.
    pub certificate_id: String,
    /// The guidance the fields and levels follow.
    pub standard: String,
    /// Tool and version.
    pub tool: Tool,
    /// Who ran it.
    pub operator: Operator,
    /// Host name of the machine it ran on.
    pub host: String,
    /// Start, RFC 3339 UTC.
    pub started: String,
    /// End, RFC 3339 UTC.
    pub finished: String,
    /// How the run ended.
    pub outcome: Outcome,
    /// The lowest level any target reached.
    pub assurance_level: AssuranceLevel,
    /// One record per target.
    pub items: Vec<TargetReport>,
    /// The key that signed this record.
    pub signer: SignerInfo,
}

/// The signed file: the record and its signature.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    certificate: Certificate,
    signature: String,
}

fn message(c: &Certificate) -> Result<Vec<u8>, Error> {
    let mut m = Vec::with_capacity(4096);
    m.extend_from_slice(FORMAT.as_bytes());
    m.push(0);
    serde_json::to_writer(&mut m, c).map_err(|e| Error::CertificateFormat(e.to_string()))?;
    Ok(m)
}

impl Certificate {
    /// Builds the record for these reports; `started` and `finished` are
    /// RFC 3339 times (use [`Certificate::now`]).
    ///
    /// # Errors
    ///
    /// [`Error::Random`] if no random certificate id can be drawn.
    pub fn new(
        items: Vec<TargetReport>,
        operator: Operator,
        host: impl Into<String>,
        started: String,
        finished: String,
        signer: &PublicKey,
    ) -> Result<Self, Error> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|_| Error::Random)?;
        let outcome = if items
            .iter()
            .any(|i| matches!(i.status, Status::Interrupted | Status::NotStarted))
        {
            Outcome::Incomplete
        } else if items.is_empty() || items.iter().any(|i| !i.succeeded()) {
            Outcome::Failed
        } else {
            Outcome::Completed
        };
        // The lowest level any item reached: Purge above Clear above not
        // assured.
        let rank = |l: AssuranceLevel| match l {
            AssuranceLevel::PurgeCryptographicErase => 2,
            AssuranceLevel::ClearLogical => 1,
            _ => 0,
        };
        let assurance_level = if !items.is_empty() && outcome == Outcome::Completed {
            items
                .iter()
                .map(|i| i.assurance.level)
                .min_by_key(|l| rank(*l))
                .unwrap_or(AssuranceLevel::NotAssured)
        } else {
            AssuranceLevel::NotAssured
        };
        Ok(Self {
            format: FORMAT.to_owned(),
            certificate_id: hex(&id),
            standard: STANDARD.to_owned(),
            tool: Tool::default(),
            operator,
            host: host.into(),
            started,
            finished,
            outcome,
            assurance_level,
            items,
            signer: SignerInfo {
                algorithm: SignatureAlgorithm::Ed25519,
                public_key: signer.to_hex(),
                key_id: signer.key_id().to_string(),
            },
        })
    }

    /// The current time in the certificate's format.
    #[must_use]
    pub fn now() -> String {
        rfc3339_now()
    }

    /// Signs the record with `key`, which must be the signer it names.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if `key` is not the key named in `signer`.
    pub fn sign(self, key: &SigningKey) -> Result<SignedCertificate, Error> {
        if self.signer.public_key != key.public_key().to_hex() {
            return Err(Error::InvalidKey(
                "the signing key is not the key the certificate names",
            ));
        }
        let sig = key.0.sign(&message(&self)?);
        Ok(SignedCertificate {
            envelope: Envelope {
                certificate: self,
                signature: hex(&sig.to_bytes()),
            },
        })
    }

    /// A multi-line rendering for people. Every field is shown through
    /// [`radguard_core::printable`]: control characters, terminal escape
    /// sequences and bidirectional controls in a field (a forged or damaged
    /// certificate) appear as visible escapes and cannot erase, overwrite
    /// or reorder lines.
    #[must_use]
    pub fn render_text(&self) -> String {
        use radguard_core::printable as p;
        let mut s = String::new();
        let _ = writeln!(s, "Certificate of Sanitization ({})", p(&self.format));
        let _ = writeln!(s, "  id              {}", p(&self.certificate_id));
        let _ = writeln!(s, "  outcome         {}", self.outcome);
        let _ = writeln!(s, "  assurance       {}", self.assurance_level);
        let _ = writeln!(
            s,
            "  tool            {} {}",
            p(&self.tool.name),
            p(&self.tool.version)
        );
        let op = &self.operator;
        let _ = write!(s, "  operator        {}", p(&op.name));
        for x in [&op.title, &op.organization, &op.location, &op.contact]
            .into_iter()
            .flatten()
        {
            let _ = write!(s, ", {}", p(x));
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "  host            {}", p(&self.host));
        let _ = writeln!(
            s,
            "  time            {} .. {}",
            p(&self.started),
            p(&self.finished)
        );
        let _ = writeln!(
            s,
            "  signed by       {} ({})",
            p(&self.signer.key_id),
            p(self.signer.algorithm.as_str())
        );
        for (i, it) in self.items.iter().enumerate() {
            let _ = writeln!(
                s,
                "  item {}: {} {}",
                i + 1,
                it.target.kind,
                p(&it.target.path)
            );
            let m = &it.media;
            if let Some(t) = &m.media_type {
                let _ = writeln!(s, "    media         {}", p(t));
            }
            let ident: Vec<String> = [&m.manufacturer, &m.model, &m.serial]
                .into_iter()
                .flatten()
                .map(|x| p(x).into_owned())
                .collect();
            if !ident.is_empty() {
                let _ = writeln!(s, "    make/model/sn {}", ident.join(" / "));
            }
            if let Some(d) = &m.device {
                let _ = writeln!(s, "    device        {}", p(d));
            }
            if let Some(fs) = &m.filesystem {
                let _ = writeln!(
                    s,
                    "    filesystem    {} on {} ({})",
                    p(fs),
                    p(m.mount_point.as_deref().unwrap_or("?")),
                    p(m.mount_options.as_deref().unwrap_or(""))
                );
            }
            if let Some(sd) = &m.secure_discard {
                let _ = writeln!(s, "    secure discard {}", p(sd));
            }
            let _ = writeln!(
                s,
                "    content       {} bytes, {} files, {} folders",
                it.target.bytes, it.target.files, it.target.folders
            );
            let _ = writeln!(
                s,
                "    method        {} ({})",
                p(&it.method_description),
                it.technique
            );
            let _ = writeln!(
                s,
                "    verification  {} -> {}",
                it.verification_mode, it.verification_result
            );
            let _ = writeln!(
                s,
                "    written       {} of {} bytes ({} I/O), {} pass(es)",
                it.bytes_written,
                it.bytes_planned,
                it.io_mode,
                it.passes.len()
            );
            if let Some(c) = &it.crypto_erase {
                let _ = writeln!(
                    s,
                    "    key           {} ({})",
                    p(&c.key_id),
                    p(&c.key_store)
                );
                let _ = writeln!(
                    s,
                    "    made unreadable {} instance(s), {} segment(s), {} bytes; {} file(s) unreadable to count",
                    c.instances, c.segments, c.encrypted_bytes, c.unreadable_files
                );
            }
            let _ = writeln!(s, "    status        {}", it.status);
            if let Some(e) = &it.error {
                let _ = writeln!(s, "    error         {}", p(e));
            }
            for x in &it.post_actions {
                let _ = writeln!(s, "    after         {}", p(x));
            }
            let _ = writeln!(s, "    assurance     {}", it.assurance.level);
            for r in &it.assurance.reasons {
                let _ = writeln!(s, "      - {}", p(r));
            }
            for r in &it.assurance.recommendations {
                let _ = writeln!(s, "      > {}", p(r));
            }
        }
        s
    }
}

/// A signed certificate, as written to and read from a file.
///
/// # Examples
///
/// ```
/// use radguard_core::SecretKey;
/// use radguard_wipe::{Certificate, Operator, SignedCertificate, SigningKey};
///
/// let key = SigningKey::from_secret(&SecretKey::from_bytes([1; 32]));
/// let now = Certificate::now();
/// let cert = Certificate::new(vec![], Operator::named("tech"), "host", now.clone(), now,
///     &key.public_key())?;
/// let json = cert.sign(&key)?.to_json();
///
/// let parsed = SignedCertificate::from_json(json.as_bytes())?;
/// let record = parsed.verify(Some(&key.public_key()))?;
/// assert_eq!(record.operator.name, "tech");
///
/// let forged = json.replace("\"tech\"", "\"boss\"");
/// let parsed = SignedCertificate::from_json(forged.as_bytes())?;
/// assert!(parsed.verify(None).is_err());
/// # Ok::<(), radguard_wipe::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedCertificate {
    envelope: Envelope,
}

impl SignedCertificate {
    /// Parses a certificate file. This checks the shape only: call
    /// [`SignedCertificate::verify`] before trusting anything in it.
    ///
    /// # Errors
    ///
    /// [`Error::CertificateFormat`] for input that is too large, not JSON,
    /// or not a certificate (unknown or missing fields included).
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_CERTIFICATE_LEN {
            return Err(Error::CertificateFormat(format!(
                "larger than {MAX_CERTIFICATE_LEN} bytes"
            )));
        }
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|e| Error::CertificateFormat(e.to_string()))?;
        Ok(Self { envelope })
    }

    /// The pretty-printed JSON file content.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.envelope)
            .unwrap_or_else(|_| unreachable!("certificates hold only strings, numbers and enums"));
        s.push('\n');
        s
    }

    /// The record, unverified (for showing a certificate that fails to
    /// verify; say so when you do).
    #[must_use]
    pub fn unverified(&self) -> &Certificate {
        &self.envelope.certificate
    }

    /// Checks the signature against the key the certificate names and, if
    /// `trusted` is given, that this is that key.
    ///
    /// Without `trusted`, a valid signature proves only that the record was
    /// not changed since *someone* signed it; pin the expected public key to
    /// know who.
    ///
    /// # Errors
    ///
    /// [`Error::CertificateInvalid`] for a wrong format tag, algorithm, key,
    /// key id or signature, or a signer other than `trusted`.
    pub fn verify(&self, trusted: Option<&PublicKey>) -> Result<&Certificate, Error> {
        let c = &self.envelope.certificate;
        if c.format != FORMAT {
            return Err(Error::CertificateInvalid("unknown certificate format"));
        }
        if c.signer.algorithm != SignatureAlgorithm::Ed25519 {
            return Err(Error::CertificateInvalid("unsupported signature algorithm"));
        }
        let key = PublicKey::from_hex(&c.signer.public_key)
            .map_err(|_| Error::CertificateInvalid("malformed signer public key"))?;
        if key.to_hex() != c.signer.public_key {
            return Err(Error::CertificateInvalid(
                "signer public key not in canonical form",
            ));
        }
        if key.key_id().as_str() != c.signer.key_id {
            return Err(Error::CertificateInvalid(
                "signer key id does not match its public key",
            ));
        }
        if let Some(t) = trusted
            && *t != key
        {
            return Err(Error::CertificateInvalid(
                "signed by a different key than the trusted public key",
            ));
        }
        let sig = unhex::<64>(&self.envelope.signature)
            .ok_or(Error::CertificateInvalid("malformed signature"))?;
        let sig = Signature::from_bytes(&sig);
        let msg = message(c).map_err(|_| Error::CertificateInvalid("unserializable record"))?;
        key.0
            .verify_strict(&msg, &sig)
            .map_err(|_| Error::CertificateInvalid("signature does not match the record"))?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_seconds() {
        let t = rfc3339_now();
        assert!(t.ends_with('Z'), "{t}");
        assert_eq!(t.len(), 20, "{t}");
    }

    #[test]
    fn public_key_hex_round_trip_and_rejects_junk() {
        let k = SigningKey::from_secret(&SecretKey::from_bytes([5; 32])).public_key();
        assert_eq!(PublicKey::from_hex(&k.to_hex()).unwrap(), k);
        assert_eq!(PublicKey::from_hex(&k.to_hex().to_uppercase()).unwrap(), k);
        assert!(PublicKey::from_hex("00").is_err());
        assert!(PublicKey::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 §7.1 TEST 1: secret key and public key.
        let sk = unhex::<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap();
        let k = SigningKey::from_secret(&SecretKey::from_bytes(sk));
        assert_eq!(
            k.public_key().to_hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
    }

    #[test]
    fn wrong_key_cannot_sign() {
        let a = SigningKey::from_secret(&SecretKey::from_bytes([1; 32]));
        let b = SigningKey::from_secret(&SecretKey::from_bytes([2; 32]));
        let now = rfc3339_now();
        let c = Certificate::new(
            vec![],
            Operator::named("x"),
            "h",
            now.clone(),
            now,
            &a.public_key(),
        )
        .unwrap();
        assert!(c.sign(&b).is_err());
    }
}
