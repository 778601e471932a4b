//! Audit records that carry no PHI and no key material by construction.
//!
//! Every text in an [`AuditRecord`] is one of:
//!
//! - a [`Label`]: a `&'static str` fixed at compile time, so it cannot come
//!   from a file being processed;
//! - a [`KeyId`]: validated to `A-Z a-z 0-9 . _ : -`, derived from a key by a
//!   one-way function or chosen by an operator;
//! - a [`KeyedDigest`]: a keyed one-way digest, linkable only by the key holder;
//! - an [`AuditPath`]: a file path chosen by the operator (radguard never
//!   names output files after DICOM content).
//!
//! Numbers ([`AttrTag`]s, offsets, counts, times) complete the picture.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::key::{KeyId, push_hex};
use crate::path::AttrTag;

/// The operation an audit record describes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Operation {
    /// A read-only inspection.
    Inspect,
    /// DICOM de-identification.
    Deidentify,
    /// Encryption of pixel data.
    Encrypt,
    /// Decryption of pixel data.
    Decrypt,
    /// Re-wrapping data keys under a new key-encryption key.
    Rewrap,
    /// Destruction of a key (crypto-erase).
    DestroyKey,
    /// Sanitization of media.
    Wipe,
    /// Risk scoring of devices.
    RiskScore,
}

/// How an operation ended for one input.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Status {
    /// The operation completed and wrote its output.
    Done,
    /// The operation failed; no output was written.
    Failed,
    /// The input was refused by policy (for example burned-in annotation);
    /// no output was written.
    Refused,
    /// The input was not processed (for example, not a DICOM file).
    Skipped,
}

/// A compile-time label: a reason code, an action name, an option name.
///
/// Only `&'static str` can become a label, so text read at run time (from a
/// DICOM file, say) cannot.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(&'static str);

impl Label {
    /// Wraps a compile-time string.
    #[must_use]
    pub const fn new(s: &'static str) -> Self {
        Self(s)
    }

    /// The label text.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// A rectangle of pixels that was blanked (burned-in text removal): where,
/// in which frame, and what decided it. Never pixel values, never any text
/// read from the image.
///
/// # Examples
///
/// ```
/// use radguard_core::{AuditRegion, RegionSource, RuleId};
///
/// let r = AuditRegion::new(None, 0, 0, 640, 40, RegionSource::Rule(RuleId::new("deid:9").unwrap()));
/// assert_eq!(r.to_string(), "all frames: x=0 y=0 width=640 height=40 (rule deid:9)");
/// assert!(RuleId::new("DOE, JOHN").is_none()); // only [A-Za-z0-9:._-], 1 to 64
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct AuditRegion {
    /// The frame (0-based), or `None` for every frame.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub frame: Option<u32>,
    /// First column.
    pub x: u32,
    /// First row.
    pub y: u32,
    /// Columns covered.
    pub width: u32,
    /// Rows covered.
    pub height: u32,
    /// What decided it.
    pub source: RegionSource,
}

impl AuditRegion {
    /// A rectangle `x, y, width, height` in `frame` (or every frame).
    #[must_use]
    pub const fn new(
        frame: Option<u32>,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        source: RegionSource,
    ) -> Self {
        Self {
            frame,
            x,
            y,
            width,
            height,
            source,
        }
    }
}

impl fmt::Display for AuditRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.frame {
            Some(k) => write!(f, "frame {k}: ")?,
            None => f.write_str("all frames: ")?,
        }
        write!(
            f,
            "x={} y={} width={} height={} ({})",
            self.x, self.y, self.width, self.height, self.source
        )
    }
}

/// What decided that a rectangle of pixels is blanked.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum RegionSource {
    /// A pixel rule (by device), by its id.
    Rule(RuleId),
    /// Outside the data regions of the Sequence of Ultrasound Regions.
    UltrasoundRegions,
    /// Text detection on the frame.
    TextDetection,
}

impl fmt::Display for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rule(id) => write!(f, "rule {id}"),
            Self::UltrasoundRegions => f.write_str("ultrasound-regions"),
            Self::TextDetection => f.write_str("text-detection"),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for RegionSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A pixel rule's id as the audit may hold it: 1 to 64 characters of
/// `A-Z a-z 0-9 : . _ -`, so that no free text rides into audit logs.
#[derive(Clone, PartialEq, Eq, Debug, Hash)]
pub struct RuleId(String);

impl RuleId {
    /// `id`, if it has the allowed shape.
    #[must_use]
    pub fn new(id: &str) -> Option<Self> {
        let ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'_' | b'-'));
        ok.then(|| Self(String::from(id)))
    }

    /// `id` made to fit: other characters become `_`, cut at 64 (an empty
    /// id becomes `_`).
    ///
    /// ```
    /// assert_eq!(radguard_core::RuleId::sanitized("site rule 3").as_str(), "site_rule_3");
    /// ```
    #[must_use]
    pub fn sanitized(id: &str) -> Self {
        let mut s: String = id
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if s.is_empty() {
            s.push('_');
        }
        Self(s)
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an operation failed or was refused: a code, and optionally the
/// attribute and byte offset involved. Never a value.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Reason {
    /// A stable, machine-readable reason code such as `"burned_in_annotation"`.
    pub code: Label,
    /// The attribute involved, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tag: Option<AttrTag>,
    /// The byte offset in the input, if known.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub offset: Option<u64>,
}

impl Reason {
    /// A reason with only a code.
    #[must_use]
    pub const fn code(code: &'static str) -> Self {
        Self {
            code: Label::new(code),
            tag: None,
            offset: None,
        }
    }

    /// Adds the attribute involved.
    #[must_use]
    pub const fn at_tag(mut self, tag: AttrTag) -> Self {
        self.tag = Some(tag);
        self
    }

    /// Adds the byte offset involved.
    #[must_use]
    pub const fn at_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

/// A file path chosen by the operator, recorded as given.
///
/// # Security
///
/// radguard never derives file names from DICOM content; a path is only as
/// sensitive as the name the operator gave the file.
#[derive(Clone, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct AuditPath(String);

impl AuditPath {
    /// Records a path.
    #[must_use]
    pub fn new(path: &str) -> Self {
        Self(String::from(path))
    }

    /// The path as recorded.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A keyed one-way digest (for example HMAC-SHA-256 of a Study Instance UID
/// under the de-identification key): equal inputs give equal digests for the
/// key holder, and nothing links them for anyone else.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyedDigest([u8; 32]);

impl KeyedDigest {
    /// Wraps a 32-byte keyed digest computed by the caller.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hexadecimal.
    #[must_use]
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            push_hex(&mut s, b);
        }
        s
    }
}

impl fmt::Debug for KeyedDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyedDigest({})", self.to_hex())
    }
}

impl fmt::Display for KeyedDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for KeyedDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// One record of what an operation did to one input.
///
/// Built with [`AuditRecord::new`] and the `with_*` methods. No field can
/// hold PHI or key bytes: texts are compile-time [`Label`]s, validated
/// [`KeyId`]s, [`KeyedDigest`]s or operator-chosen [`AuditPath`]s, and the
/// rest are numbers.
///
/// # Examples
///
/// ```
/// use radguard_core::{AuditRecord, Label, Operation, Reason, Status, AttrTag};
///
/// let rec = AuditRecord::new(Operation::Deidentify, Status::Refused)
///     .with_input("in/img1.dcm")
///     .with_reason(Reason::code("burned_in_annotation").at_tag(AttrTag::new(0x0028, 0x0301)))
///     .with_count(Label::new("X"), 12)
///     .with_label(Label::new("retain-uids"));
/// assert_eq!(rec.count(Label::new("X")), Some(12));
/// assert_eq!(rec.reason().map(|r| r.code.as_str()), Some("burned_in_annotation"));
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AuditRecord {
    operation: Operation,
    status: Status,
    tool: Label,
    tool_version: Label,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    reason: Option<Reason>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    input: Option<AuditPath>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    output: Option<AuditPath>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    key_id: Option<KeyId>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    labels: Vec<Label>,
    #[cfg_attr(
        feature = "serde",
        serde(skip_serializing_if = "Vec::is_empty", serialize_with = "ser_pairs")
    )]
    counts: Vec<(Label, u64)>,
    #[cfg_attr(
        feature = "serde",
        serde(skip_serializing_if = "Vec::is_empty", serialize_with = "ser_pairs")
    )]
    digests: Vec<(Label, KeyedDigest)>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    regions: Vec<AuditRegion>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    started_unix_ms: Option<u64>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    finished_unix_ms: Option<u64>,
}

#[cfg(feature = "serde")]
fn ser_pairs<S: serde::Serializer, V: serde::Serialize>(
    pairs: &[(Label, V)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        m.serialize_entry(k.as_str(), v)?;
    }
    m.end()
}

impl AuditRecord {
    /// A new record for `operation` ending in `status`, attributed to this
    /// version of radguard.
    #[must_use]
    pub fn new(operation: Operation, status: Status) -> Self {
        Self {
            operation,
            status,
            tool: Label::new("radguard"),
            tool_version: Label::new(env!("CARGO_PKG_VERSION")),
            reason: None,
            input: None,
            output: None,
            key_id: None,
            labels: Vec::new(),
            counts: Vec::new(),
            digests: Vec::new(),
            regions: Vec::new(),
            started_unix_ms: None,
            finished_unix_ms: None,
        }
    }

    /// Sets the reason for a failure or refusal.
    #[must_use]
    pub fn with_reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets the input path.
    #[must_use]
    pub fn with_input(mut self, path: &str) -> Self {
        self.input = Some(AuditPath::new(path));
        self
    }

    /// Sets the output path.
    #[must_use]
    pub fn with_output(mut self, path: &str) -> Self {
        self.output = Some(AuditPath::new(path));
        self
    }

    /// Sets the key id used.
    #[must_use]
    pub fn with_key_id(mut self, id: KeyId) -> Self {
        self.key_id = Some(id);
        self
    }

    /// Adds a label (an option name, a profile name, an edition).
    #[must_use]
    pub fn with_label(mut self, label: Label) -> Self {
        self.labels.push(label);
        self
    }

    /// Adds to a named count (counts with the same label are summed).
    #[must_use]
    pub fn with_count(mut self, label: Label, n: u64) -> Self {
        self.add_count(label, n);
        self
    }

    /// Adds to a named count in place.
    pub fn add_count(&mut self, label: Label, n: u64) {
        if let Some((_, c)) = self.counts.iter_mut().find(|(l, _)| *l == label) {
            *c = c.saturating_add(n);
        } else {
            self.counts.push((label, n));
        }
    }

    /// Adds a named keyed digest.
    #[must_use]
    pub fn with_digest(mut self, label: Label, digest: KeyedDigest) -> Self {
        self.digests.push((label, digest));
        self
    }

    /// Sets start and end times in milliseconds since the Unix epoch.
    #[must_use]
    pub fn with_times(mut self, started_unix_ms: u64, finished_unix_ms: u64) -> Self {
        self.started_unix_ms = Some(started_unix_ms);
        self.finished_unix_ms = Some(finished_unix_ms);
        self
    }

    /// Changes the status (for example from `Done` to `Failed` when writing
    /// the output failed after processing).
    pub fn set_status(&mut self, status: Status) {
        self.status = status;
    }

    /// The operation.
    #[must_use]
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The status.
    #[must_use]
    pub fn status(&self) -> Status {
        self.status
    }

    /// The reason, if any.
    #[must_use]
    pub fn reason(&self) -> Option<&Reason> {
        self.reason.as_ref()
    }

    /// The input path, if recorded.
    #[must_use]
    pub fn input(&self) -> Option<&AuditPath> {
        self.input.as_ref()
    }

    /// The output path, if recorded.
    #[must_use]
    pub fn output(&self) -> Option<&AuditPath> {
        self.output.as_ref()
    }

    /// The key id, if recorded.
    #[must_use]
    pub fn key_id(&self) -> Option<&KeyId> {
        self.key_id.as_ref()
    }

    /// The labels.
    #[must_use]
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// A named count.
    #[must_use]
    pub fn count(&self, label: Label) -> Option<u64> {
        self.counts
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, c)| *c)
    }

    /// Records a rectangle of pixels that was blanked.
    pub fn add_region(&mut self, region: AuditRegion) {
        self.regions.push(region);
    }

    /// The rectangles of pixels blanked, in the order added.
    #[must_use]
    pub fn regions(&self) -> &[AuditRegion] {
        &self.regions
    }

    /// All counts, in the order first added.
    #[must_use]
    pub fn counts(&self) -> &[(Label, u64)] {
        &self.counts
    }

    /// All keyed digests.
    #[must_use]
    pub fn digests(&self) -> &[(Label, KeyedDigest)] {
        &self.digests
    }
}

/// Somewhere audit records go: a JSON Lines file, a SIEM, a test vector.
pub trait AuditSink {
    /// The sink's error type.
    type Error;

    /// Stores one record.
    ///
    /// # Errors
    ///
    /// Whatever the sink's storage reports; callers treat a failed audit
    /// write as a failed operation.
    fn record(&mut self, record: &AuditRecord) -> Result<(), Self::Error>;
}

/// An [`AuditSink`] that keeps records in memory (for tests and for callers
/// that forward records themselves).
#[derive(Debug, Default, Clone)]
pub struct VecSink {
    /// The records received, in order.
    pub records: Vec<AuditRecord>,
}

impl AuditSink for VecSink {
    type Error = core::convert::Infallible;
    fn record(&mut self, record: &AuditRecord) -> Result<(), Self::Error> {
        self.records.push(record.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accumulate() {
        let mut r = AuditRecord::new(Operation::Deidentify, Status::Done)
            .with_count(Label::new("X"), 2)
            .with_count(Label::new("Z"), 1);
        r.add_count(Label::new("X"), 3);
        assert_eq!(r.count(Label::new("X")), Some(5));
        assert_eq!(r.count(Label::new("Z")), Some(1));
        assert_eq!(r.count(Label::new("D")), None);
    }

    #[test]
    fn digest_hex() {
        let mut b = [0u8; 32];
        b[0] = 0xAB;
        b[31] = 0x01;
        let d = KeyedDigest::from_bytes(b);
        let hex = d.to_hex();
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("ab00"));
        assert!(hex.ends_with("01"));
    }

    #[test]
    fn vec_sink_keeps_order() {
        let mut sink = VecSink::default();
        let a = AuditRecord::new(Operation::Encrypt, Status::Done);
        let b = AuditRecord::new(Operation::Encrypt, Status::Failed);
        sink.record(&a).unwrap();
        sink.record(&b).unwrap();
        assert_eq!(sink.records, alloc::vec![a, b]);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_to_flat_json() {
        let rec = AuditRecord::new(Operation::Deidentify, Status::Refused)
            .with_reason(Reason::code("burned_in_annotation").at_tag(AttrTag::new(0x28, 0x301)))
            .with_count(Label::new("X"), 3)
            .with_digest(Label::new("study"), KeyedDigest::from_bytes([1; 32]));
        let v: serde_json::Value = serde_json::to_value(&rec).unwrap();
        assert_eq!(v["operation"], "deidentify");
        assert_eq!(v["status"], "refused");
        assert_eq!(v["reason"]["code"], "burned_in_annotation");
        assert_eq!(v["reason"]["tag"], "(0028,0301)");
        assert_eq!(v["counts"]["X"], 3);
        assert_eq!(v["digests"]["study"].as_str().unwrap().len(), 64);
        assert!(v.get("key_id").is_none());
    }
}
