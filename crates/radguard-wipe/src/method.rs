//! Sanitization methods and verification modes.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::pattern::Pattern;

/// How a target is overwritten.
///
/// # Examples
///
/// ```
/// use radguard_wipe::Method;
///
/// let m: Method = "clear".parse()?;
/// assert_eq!(m, Method::Clear);
/// assert_eq!(m.passes().len(), 1);
/// assert_eq!("dod7".parse::<Method>()?.passes().len(), 7);
/// # Ok::<(), radguard_wipe::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[non_exhaustive]
pub enum Method {
    /// NIST SP 800-88 Clear: one pass of zeros, then verification. The
    /// default, and all that modern magnetic media need (800-88 Rev. 1 §2.4).
    #[default]
    Clear,
    /// NIST SP 800-88 Clear with one pass of a keyed pseudorandom stream
    /// (useful where zeros could be compressed or deduplicated below).
    ClearRandom,
    /// DoD 5220.22-M (E) three passes: zeros, ones, random.
    ///
    /// Obsolete: kept for policies that still name it. It does not reach a
    /// higher level than [`Method::Clear`], and on flash it only adds wear.
    Dod3,
    /// DoD 5220.22-M (ECE) seven passes: zeros, ones, random, random, zeros,
    /// ones, random. Obsolete, like [`Method::Dod3`].
    Dod7,
    /// One pass of a custom pattern.
    Pattern(Pattern),
    /// Block devices: ask the kernel to write zeros (`BLKZEROOUT`, which may
    /// use the device's WRITE ZEROES / WRITE SAME command), then verify.
    ZeroOut,
    /// Block devices: discard every block (`BLKDISCARD`, TRIM/UNMAP). What
    /// the device returns afterwards is device-defined, so the result only
    /// counts as Clear when verification reads zeros everywhere it looks.
    Discard,
    /// Cryptographic erase: the key that encrypts the data is destroyed, so
    /// the data, wherever its copies are, can no longer be decrypted (NIST
    /// SP 800-88, a Purge technique). Nothing is overwritten: this method
    /// only names what a key custodian did ([`crate::CryptoErase`]); a
    /// [`crate::Wiper`] refuses it.
    CryptographicErase,
}

/// One pass of a [`Method`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum PassKind {
    /// Write a pattern through ordinary writes.
    Write(Pattern),
    /// `BLKZEROOUT` over the whole device.
    ZeroOut,
    /// `BLKDISCARD` over the whole device.
    Discard,
}

impl PassKind {
    /// The pattern verification expects after this pass.
    #[must_use]
    pub fn expected(&self) -> Pattern {
        match self {
            Self::Write(p) => p.clone(),
            Self::ZeroOut | Self::Discard => Pattern::Byte(0),
        }
    }

    /// A label for reports.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Write(p) => p.label(),
            Self::ZeroOut => "BLKZEROOUT (device writes zeros)".to_owned(),
            Self::Discard => "BLKDISCARD (device discards blocks)".to_owned(),
        }
    }
}

impl Method {
    /// The passes, in order.
    #[must_use]
    pub fn passes(&self) -> Vec<PassKind> {
        use Pattern::{Byte, Random};
        let w = PassKind::Write;
        match self {
            Self::Clear => vec![w(Byte(0))],
            Self::ClearRandom => vec![w(Random)],
            Self::Dod3 => vec![w(Byte(0)), w(Byte(0xff)), w(Random)],
            Self::Dod7 => vec![
                w(Byte(0)),
                w(Byte(0xff)),
                w(Random),
                w(Random),
                w(Byte(0)),
                w(Byte(0xff)),
                w(Random),
            ],
            Self::Pattern(p) => vec![w(p.clone())],
            Self::ZeroOut => vec![PassKind::ZeroOut],
            Self::Discard => vec![PassKind::Discard],
            Self::CryptographicErase => Vec::new(),
        }
    }

    /// `true` for the methods that only block devices support.
    #[must_use]
    pub fn block_only(&self) -> bool {
        matches!(self, Self::ZeroOut | Self::Discard)
    }

    /// `true` for the legacy multi-pass schemes.
    #[must_use]
    pub fn is_legacy(&self) -> bool {
        matches!(self, Self::Dod3 | Self::Dod7)
    }

    /// A one-line description for reports and certificates.
    #[must_use]
    pub fn description(&self) -> String {
        match self {
            Self::Clear => {
                "Clear by overwrite (IEEE 2883-2022; NIST SP 800-88 Rev. 2): 1 pass of zeros"
                    .to_owned()
            }
            Self::ClearRandom => {
                "Clear by overwrite (IEEE 2883-2022; NIST SP 800-88 Rev. 2): 1 pass of a keyed pseudorandom stream (ChaCha8)"
                    .to_owned()
            }
            Self::Dod3 => "DoD 5220.22-M (E) 3 passes: zeros, ones, random (legacy, obsolete)"
                .to_owned(),
            Self::Dod7 => {
                "DoD 5220.22-M (ECE) 7 passes: zeros, ones, random, random, zeros, ones, random (legacy, obsolete)"
                    .to_owned()
            }
            Self::Pattern(p) => format!("1 overwrite pass of custom {p}"),
            Self::ZeroOut => "block device BLKZEROOUT (kernel/device writes zeros)".to_owned(),
            Self::Discard => {
                "block device BLKDISCARD (TRIM/UNMAP; content afterwards is device-defined)"
                    .to_owned()
            }
            Self::CryptographicErase => {
                "cryptographic erase (IEEE 2883-2022; NIST SP 800-88 Rev. 2): the encryption key was destroyed"
                    .to_owned()
            }
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clear => f.write_str("clear"),
            Self::ClearRandom => f.write_str("random"),
            Self::Dod3 => f.write_str("dod3"),
            Self::Dod7 => f.write_str("dod7"),
            Self::Pattern(p) => match p {
                Pattern::Byte(b) => write!(f, "pattern:{b:02x}"),
                other => write!(f, "{other}"),
            },
            Self::ZeroOut => f.write_str("zeroout"),
            Self::Discard => f.write_str("discard"),
            Self::CryptographicErase => f.write_str("crypto-erase"),
        }
    }
}

impl core::str::FromStr for Method {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "clear" => Ok(Self::Clear),
            "random" | "clear-random" => Ok(Self::ClearRandom),
            "dod3" => Ok(Self::Dod3),
            "dod7" => Ok(Self::Dod7),
            "zeroout" => Ok(Self::ZeroOut),
            "discard" => Ok(Self::Discard),
            "crypto-erase" => Ok(Self::CryptographicErase),
            _ if s.starts_with("pattern:") => Ok(Self::Pattern(s.parse()?)),
            _ => Err(Error::UnknownMethod(s.to_owned())),
        }
    }
}

/// In reports and certificates a method is its name (its `Display`).
impl Serialize for Method {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads a method name as [`Method`]'s `Display` writes it, and only
/// that: a certificate re-serializes to exactly the text that was signed.
impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_report_name(&s)
            .filter(|m| m.to_string() == s)
            .ok_or_else(|| serde::de::Error::custom(format_args!("unknown method {s:?}")))
    }
}

impl Method {
    /// The inverse of `Display`, over everything `Display` can write: the
    /// names [`FromStr`](core::str::FromStr) takes, and also the patterns
    /// it would refuse or rewrite (a [`Pattern::Random`] method, a
    /// [`Pattern::Repeat`] built directly with an unusual length or one
    /// repeated byte), which a report may still name.
    fn from_report_name(s: &str) -> Option<Self> {
        if let Some(hex) = s.strip_prefix("pattern:") {
            if !hex.len().is_multiple_of(2)
                || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return None;
            }
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect::<Option<_>>()?;
            return Some(Self::Pattern(match bytes.as_slice() {
                [b] => Pattern::Byte(*b),
                _ => Pattern::Repeat(bytes),
            }));
        }
        if s == Pattern::Random.to_string() {
            return Some(Self::Pattern(Pattern::Random));
        }
        s.parse().ok()
    }
}

/// Which passes are read back and compared.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verify {
    /// No read-back. The result is then never better than "not assured":
    /// NIST SP 800-88 requires verification of every Clear.
    None,
    /// Read back the whole last pass (the default).
    #[default]
    Last,
    /// Read back every pass.
    All,
    /// Read back pseudorandom samples of the last pass, NIST SP 800-88 Rev. 1
    /// §4.7 style: up to 1,000 subsections, two non-overlapping samples of
    /// 5 % each per subsection, plus the first and last blocks (about 10 %
    /// of the media).
    Sample,
}

impl fmt::Display for Verify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Last => "last",
            Self::All => "all",
            Self::Sample => "sample",
        })
    }
}

impl core::str::FromStr for Verify {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "last" => Ok(Self::Last),
            "all" => Ok(Self::All),
            "sample" => Ok(Self::Sample),
            _ => Err(Error::UnknownVerify(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip() {
        for s in [
            "clear",
            "random",
            "dod3",
            "dod7",
            "zeroout",
            "discard",
            "pattern:a5",
            "pattern:0102",
        ] {
            let m: Method = s.parse().unwrap();
            assert_eq!(m.to_string(), s);
        }
        assert!("gutmann".parse::<Method>().is_err());
        assert!("pattern:x".parse::<Method>().is_err());
    }

    #[test]
    fn every_method_name_reads_back_as_written() {
        let mut methods = vec![
            Method::Clear,
            Method::ClearRandom,
            Method::Dod3,
            Method::Dod7,
            Method::ZeroOut,
            Method::Discard,
            Method::Pattern(Pattern::Byte(0)),
            Method::Pattern(Pattern::Byte(0xa5)),
            Method::Pattern(Pattern::Repeat(vec![1, 2])),
            // Not what parsing a name gives, but constructible and named.
            Method::Pattern(Pattern::Random),
            Method::Pattern(Pattern::Repeat(vec![5, 5])),
            Method::Pattern(Pattern::Repeat(vec![7])),
            Method::Pattern(Pattern::Repeat(Vec::new())),
            Method::Pattern(Pattern::Repeat(vec![0xfe; 600])),
        ];
        methods.extend((0..=255).map(|b| Method::Pattern(Pattern::Byte(b))));
        for m in methods {
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{m}\""));
            let back: Method = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
        for bad in [
            "clear-random",
            "pattern:A5",
            "pattern:a",
            "Clear",
            "zeros",
            "",
        ] {
            let json = format!("\"{bad}\"");
            assert!(serde_json::from_str::<Method>(&json).is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_schemes_end_with_random_and_are_marked() {
        for m in [Method::Dod3, Method::Dod7] {
            assert!(m.is_legacy());
            assert!(m.description().contains("obsolete"));
            assert_eq!(m.passes().last(), Some(&PassKind::Write(Pattern::Random)));
        }
        assert!(!Method::Clear.is_legacy());
    }

    #[test]
    fn verify_names() {
        for s in ["none", "last", "all", "sample"] {
            assert_eq!(s.parse::<Verify>().unwrap().to_string(), s);
        }
        assert!("full".parse::<Verify>().is_err());
    }
}
