//! Keyed, reproducible derivations: UIDs, pseudonyms, date offsets, digests.
//!
//! Everything is derived from one 256-bit secret, so any number of machines
//! holding it de-identify consistently with no shared state, and nobody
//! without it can link outputs to inputs (unkeyed hashes of UIDs and IDs
//! are open to dictionary attacks; PS3.15 E.1.1 warns against them).
//!
//! The construction is documented on [`DeidKey`].

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use radguard_core::{KeyId, KeyedDigest, SecretKey};
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// The derived keys of one de-identification secret.
///
/// Everything radguard-deid derives comes from one 256-bit secret, so any
/// number of machines holding it de-identify consistently with no shared
/// state, and nobody without it can link outputs to inputs.
///
/// # Construction (version 1)
///
/// Subkeys: `K_label = HKDF-SHA-256(IKM = secret, salt = "radguard deid v1",
/// info = label)`, 32 bytes, for the labels `uid`, `pseudonym`, `date` and
/// `digest`. Then, with `HMAC = HMAC-SHA-256`:
///
/// | output | definition |
/// |---|---|
/// | replacement UID | `"2.25." + decimal(big-endian u128 of the first 16 bytes of HMAC(K_uid, uid))`, where `uid` has its leading and trailing NUL/space padding removed; at most 44 characters, no leading zeros |
/// | pseudonym | `"RG" + upper-case hex of the first 10 bytes of HMAC(K_pseudonym, patient)` (22 characters) |
/// | date offset | `b = HMAC(K_date, patient)`; days = `-(365 + (u32 of b[0..4] mod 3288))` (about 1 to 10 years back), seconds = `u32 of b[4..8] mod 86400` |
/// | digest | `HMAC(K_digest, label + "\0" + value)` |
///
/// `patient` is the patient key of [`crate::patient_key`]: the Issuer of
/// Patient ID and Patient ID, else the name and birth date, else the Study
/// Instance UID, else the SOP Instance UID.
///
/// # Examples
///
/// ```
/// use radguard_core::SecretKey;
/// use radguard_deid::DeidKey;
///
/// let k = DeidKey::new(&SecretKey::from_bytes([0; 32]));
/// // The known answers of the construction above (also checked against an
/// // independent Python implementation in the crate's tests).
/// assert_eq!(k.uid("1.2.3"), "2.25.212502939581056216892970406576733964713");
/// assert_eq!(k.pseudonym("PID\\ISSUER"), "RG2EDE880839CF382FCDB5");
/// assert_eq!(k.date_offset("PID\\ISSUER"), (-3277, 51327));
/// ```
///
/// # Security
///
/// Subkeys are zeroized on drop (they are [`SecretKey`]s); `Debug` shows
/// only the key id.
pub struct DeidKey {
    uid: SecretKey,
    pseudonym: SecretKey,
    date: SecretKey,
    digest: SecretKey,
    id: KeyId,
    ephemeral: bool,
}

impl std::fmt::Debug for DeidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeidKey")
            .field("id", &self.id)
            .field("ephemeral", &self.ephemeral)
            .finish_non_exhaustive()
    }
}

fn subkey(hk: &Hkdf<Sha256>, label: &str) -> SecretKey {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA-256's 8160-byte maximum.
    hk.expand(label.as_bytes(), &mut okm[..])
        .unwrap_or_else(|_| unreachable!("32-byte HKDF output is always valid"));
    SecretKey::from_bytes(*okm)
}

fn hmac(key: &SecretKey, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key.expose_secret())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl DeidKey {
    /// Derives the subkeys from a secret.
    #[must_use]
    pub fn new(secret: &SecretKey) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"radguard deid v1"), secret.expose_secret());
        Self {
            uid: subkey(&hk, "uid"),
            pseudonym: subkey(&hk, "pseudonym"),
            date: subkey(&hk, "date"),
            digest: subkey(&hk, "digest"),
            id: KeyId::fingerprint(secret),
            ephemeral: false,
        }
    }

    /// A fresh random secret for one run: outputs of different runs cannot
    /// be linked, and nothing can be re-derived later.
    ///
    /// # Errors
    ///
    /// [`radguard_core::KeyError::Random`] if the operating system has no randomness.
    pub fn random() -> Result<Self, radguard_core::KeyError> {
        let secret = SecretKey::generate()?;
        let mut k = Self::new(&secret);
        k.ephemeral = true;
        Ok(k)
    }

    /// The key id (a one-way fingerprint of the secret).
    #[must_use]
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// `true` for a random per-run key ([`DeidKey::random`]).
    #[must_use]
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    /// The replacement for a UID.
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_core::SecretKey;
    /// use radguard_deid::DeidKey;
    ///
    /// let k = DeidKey::new(&SecretKey::from_bytes([0; 32]));
    /// let u = k.uid("1.2.840.10008.1.2.3\0");
    /// assert!(u.starts_with("2.25.") && u.len() <= 64);
    /// assert_eq!(u, k.uid("1.2.840.10008.1.2.3"));
    /// ```
    #[must_use]
    pub fn uid(&self, original: &str) -> String {
        let original = radguard_dicom::text::trim_value(original);
        let mac = hmac(&self.uid, &[original.as_bytes()]);
        let mut first = [0u8; 16];
        first.copy_from_slice(&mac[..16]);
        format!("2.25.{}", u128::from_be_bytes(first))
    }

    /// The pseudonym for a patient key.
    #[must_use]
    pub fn pseudonym(&self, patient: &str) -> String {
        let mac = hmac(&self.pseudonym, &[patient.as_bytes()]);
        let mut s = String::from("RG");
        for b in &mac[..10] {
            s.push_str(&format!("{b:02X}"));
        }
        s
    }

    /// The date/time offset for a patient key: `(days, seconds)`, days
    /// between -3652 and -365, seconds in `0..86400`.
    #[must_use]
    pub fn date_offset(&self, patient: &str) -> (i64, i64) {
        let b = hmac(&self.date, &[patient.as_bytes()]);
        let d = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let s = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        (-(365 + i64::from(d % 3288)), i64::from(s % 86_400))
    }

    /// A keyed digest of a value, linkable only by the key holder.
    #[must_use]
    pub fn digest(&self, label: &str, value: &str) -> KeyedDigest {
        KeyedDigest::from_bytes(hmac(
            &self.digest,
            &[label.as_bytes(), &[0], value.as_bytes()],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_valid_stable_and_keyed() {
        let a = DeidKey::new(&SecretKey::from_bytes([1; 32]));
        let b = DeidKey::new(&SecretKey::from_bytes([2; 32]));
        let u = a.uid("1.2.3.4");
        assert_eq!(u, a.uid("1.2.3.4 "));
        assert_ne!(u, b.uid("1.2.3.4"));
        assert_ne!(u, a.uid("1.2.3.5"));
        assert!(u.len() <= 64);
        for part in u.split('.') {
            assert!(
                !part.is_empty() && (part == "0" || !part.starts_with('0')),
                "{u}"
            );
            assert!(part.bytes().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn known_answer() {
        // Independently computed with Python (hmac, hashlib; HKDF per RFC 5869).
        let k = DeidKey::new(&SecretKey::from_bytes([0; 32]));
        assert_eq!(k.uid("1.2.3"), KAT_UID);
        assert_eq!(k.pseudonym("PID\\ISSUER"), KAT_PSEUDONYM);
        assert_eq!(k.date_offset("PID\\ISSUER"), KAT_OFFSET);
    }

    const KAT_UID: &str = "2.25.212502939581056216892970406576733964713";
    const KAT_PSEUDONYM: &str = "RG2EDE880839CF382FCDB5";
    const KAT_OFFSET: (i64, i64) = (-3277, 51327);

    #[test]
    fn offsets_in_range() {
        let k = DeidKey::new(&SecretKey::from_bytes([9; 32]));
        for i in 0..1000 {
            let (d, s) = k.date_offset(&format!("p{i}"));
            assert!((-3652..=-365).contains(&d), "{d}");
            assert!((0..86_400).contains(&s), "{s}");
        }
    }

    #[test]
    fn debug_hides_keys() {
        let k = DeidKey::new(&SecretKey::from_bytes([3; 32]));
        let s = format!("{k:?}");
        assert!(s.contains("k1-") && !s.contains("SecretKey {"), "{s}");
    }
}
