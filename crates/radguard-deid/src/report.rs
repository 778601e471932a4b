//! What de-identifying one file did.

use radguard_core::{AuditRecord, KeyedDigest, Label, Operation, Status};

/// Counts of what was done to one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Counts {
    /// Attributes whose action was X.
    pub x: u64,
    /// Z.
    pub z: u64,
    /// D.
    pub d: u64,
    /// K.
    pub k: u64,
    /// C.
    pub c: u64,
    /// U.
    pub u: u64,
    /// UID values replaced.
    pub uids_replaced: u64,
    /// Values replaced by the patient pseudonym.
    pub pseudonymized: u64,
    /// Date/time attributes shifted.
    pub dates_shifted: u64,
    /// Date/time values that could not be parsed for shifting and were emptied.
    pub unshiftable_emptied: u64,
    /// Text values cleaned.
    pub text_cleaned: u64,
    /// Private attributes (and creators) removed.
    pub private_removed: u64,
    /// Private attributes kept (Retain Safe Private, or a hook).
    pub private_kept: u64,
    /// Curve and overlay attributes removed.
    pub curves_overlays_removed: u64,
    /// Group 0004 attributes removed.
    pub group_0004_removed: u64,
    /// Actions overridden by hooks.
    pub hook_overrides: u64,
    /// Standard sequences stored as opaque UN bytes that could not be
    /// parsed, removed because their content cannot be checked.
    pub opaque_sequences_removed: u64,
    /// Elements of groups 0000 (command) and 0002 (file meta) found in the
    /// data set, at any depth, removed.
    pub misplaced_groups_removed: u64,
    /// Elements of the odd groups PS3.5 forbids (0001-0007, FFFF) removed.
    pub forbidden_groups_removed: u64,
    /// Attributes whose value does not have the structure the dictionary
    /// gives them (a sequence attribute holding a value, or a value
    /// attribute holding a sequence), removed.
    pub structure_mismatch_removed: u64,
    /// Public attributes the PS3.6 dictionary does not define, removed.
    pub unknown_public_removed: u64,
    /// Kept values that did not fit their VR's syntax, replaced by dummies.
    pub nonconforming_replaced: u64,
    /// Kept UID attributes holding UIDs the standard does not define (so
    /// possibly references to a patient's instances), replaced as U.
    pub uids_outside_table: u64,
    /// URL attributes embedding a UID or an identifier, removed.
    pub urls_removed: u64,
    /// Kept text values from which the same-file scrubber removed the
    /// patient's own identifiers.
    pub kept_text_scrubbed: u64,
    /// Safe private sequences that arrived as bytes and were parsed.
    pub private_sequences_parsed: u64,
    /// Safe-listed private attributes whose VR or value shape did not match
    /// Table E.3.10-1, removed.
    pub private_vr_mismatch_removed: u64,
    /// Private attributes kept or acted on because the data set declared
    /// them safe (only with `trust_declared_private`).
    pub declared_private_honoured: u64,
    /// Segments and boxes removed from inside compressed pixel data
    /// (JPEG COM and APPn, JPEG 2000 COM, JP2 and JPEG XL boxes).
    pub pixel_metadata_removed: u64,
    /// Native samples whose bits outside Bits Stored (embedded overlays)
    /// were cleared.
    pub pixel_samples_cleared: u64,
    /// Non-zero bytes after the last frame of native pixel data, cleared.
    pub pixel_trailing_bytes_cleared: u64,
    /// Frames in which Clean Pixel Data blanked pixels.
    pub pixel_frames_blanked: u64,
    /// Pixels blanked by Clean Pixel Data, over all frames.
    pub pixels_blanked: u64,
}

impl Counts {
    pub(crate) fn labelled(&self) -> [(Label, u64); 31] {
        [
            (Label::new("X"), self.x),
            (Label::new("Z"), self.z),
            (Label::new("D"), self.d),
            (Label::new("K"), self.k),
            (Label::new("C"), self.c),
            (Label::new("U"), self.u),
            (Label::new("uids_replaced"), self.uids_replaced),
            (Label::new("pseudonymized"), self.pseudonymized),
            (Label::new("dates_shifted"), self.dates_shifted),
            (Label::new("unshiftable_emptied"), self.unshiftable_emptied),
            (Label::new("text_cleaned"), self.text_cleaned),
            (Label::new("private_removed"), self.private_removed),
            (Label::new("private_kept"), self.private_kept),
            (
                Label::new("curves_overlays_removed"),
                self.curves_overlays_removed,
            ),
            (Label::new("group_0004_removed"), self.group_0004_removed),
            (Label::new("hook_overrides"), self.hook_overrides),
            (
                Label::new("opaque_sequences_removed"),
                self.opaque_sequences_removed,
            ),
            (
                Label::new("misplaced_groups_removed"),
                self.misplaced_groups_removed,
            ),
            (
                Label::new("forbidden_groups_removed"),
                self.forbidden_groups_removed,
            ),
            (
                Label::new("structure_mismatch_removed"),
                self.structure_mismatch_removed,
            ),
            (
                Label::new("unknown_public_removed"),
                self.unknown_public_removed,
            ),
            (
                Label::new("nonconforming_replaced"),
                self.nonconforming_replaced,
            ),
            (Label::new("uids_outside_table"), self.uids_outside_table),
            (Label::new("urls_removed"), self.urls_removed),
            (Label::new("kept_text_scrubbed"), self.kept_text_scrubbed),
            (
                Label::new("private_sequences_parsed"),
                self.private_sequences_parsed,
            ),
            (
                Label::new("private_vr_mismatch_removed"),
                self.private_vr_mismatch_removed,
            ),
            (
                Label::new("declared_private_honoured"),
                self.declared_private_honoured,
            ),
            (
                Label::new("pixel_metadata_removed"),
                self.pixel_metadata_removed,
            ),
            (
                Label::new("pixel_samples_cleared"),
                self.pixel_samples_cleared,
            ),
            (
                Label::new("pixel_trailing_bytes_cleared"),
                self.pixel_trailing_bytes_cleared,
            ),
        ]
    }
}

/// The result of de-identifying one object or file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// What was done.
    pub counts: Counts,
    /// Keyed digest of the original Study Instance UID (linkable by the key
    /// holder only), if the file had one.
    pub study_digest: Option<KeyedDigest>,
    /// `true` if the file may show identifying text in its pixels and was
    /// let through by [`crate::ProfileBuilder::allow_burned_in`].
    pub burned_in_retained: bool,
    /// What Clean Pixel Data blanked and re-checked, for a file it
    /// cleaned.
    pub pixels: Option<crate::PixelSummary>,
    /// The PHI-free audit record.
    pub audit: AuditRecord,
    /// What the output is, by its de-identified identifiers (for naming
    /// output files without input names).
    pub identity: OutputIdentity,
    /// Original → replacement pairs, when asked for with
    /// [`crate::Deidentifier::with_mapping`]. Holds original identifiers:
    /// never printed (`Debug` shows `<redacted>`), for the data custodian
    /// only.
    pub mapping: Option<radguard_core::Redacted<Mapping>>,
}

impl Report {
    /// Adds what cleaning the pixel data did to the counts and the audit
    /// record.
    pub(crate) fn add_pixel_cleaning(&mut self, p: &radguard_dicom::pixel_meta::PixelCleanReport) {
        let r = &p.removed;
        let c = &mut self.counts;
        c.pixel_metadata_removed += r.comments + r.app_segments + r.trimmed_segments + r.boxes;
        c.pixel_samples_cleared += p.samples_changed;
        c.pixel_trailing_bytes_cleared += p.trailing_nonzero;
        for (label, n) in [
            ("pixel_metadata_removed", c.pixel_metadata_removed),
            ("pixel_samples_cleared", c.pixel_samples_cleared),
            (
                "pixel_trailing_bytes_cleared",
                c.pixel_trailing_bytes_cleared,
            ),
        ] {
            if n > 0 && self.audit.count(Label::new(label)).is_none() {
                self.audit.add_count(Label::new(label), n);
            }
        }
    }
}

impl Report {
    /// Adds what blanking the pixels did to the counts and the audit
    /// record.
    pub(crate) fn add_pixels_blanked(&mut self, p: &radguard_pixels::PixelReport) {
        self.counts.pixel_frames_blanked += p.frames_blanked;
        self.counts.pixels_blanked += p.pixels_blanked;
        for (label, n) in [
            ("pixel_frames_blanked", p.frames_blanked),
            ("pixels_blanked", p.pixels_blanked),
            ("pixel_frames_reencoded", p.frames_reencoded),
        ] {
            if n > 0 {
                self.audit.add_count(Label::new(label), n);
            }
        }
        if let Some(summary) = &self.pixels {
            self.audit.add_count(
                Label::new("pixel_frames_rechecked"),
                u64::from(summary.frames_rechecked),
            );
            for r in &summary.rects {
                self.audit.add_region(r.clone());
            }
            if summary.rects_not_listed > 0 {
                self.audit.add_count(
                    Label::new("pixel_rects_not_listed"),
                    summary.rects_not_listed as u64,
                );
            }
        }
    }
}

/// The de-identified identity of an output: the values the output itself
/// holds, so naming files after them reveals nothing the file does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct OutputIdentity {
    /// The output's Patient ID (the pseudonym; empty if none).
    pub patient_id: String,
    /// The output's Study Instance UID (empty if none).
    pub study_instance_uid: String,
    /// The output's Series Instance UID (empty if none).
    pub series_instance_uid: String,
    /// The output's SOP Instance UID.
    pub sop_instance_uid: String,
}

impl OutputIdentity {
    /// The relative path radguard names this output by default:
    /// `<Patient ID>/<Study Instance UID>/<Series Instance UID>/<SOP Instance UID>.dcm`,
    /// each part made safe for a file name (characters other than
    /// `A-Z a-z 0-9 . _ -` become `_`; empty or dot-only parts become
    /// `_unknown` or get a `_` prefix), so the same key gives the same
    /// names on any machine and in any split of a batch.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut id = radguard_deid::OutputIdentity::default();
    /// id.patient_id = "RG0123ABCD".into();
    /// id.study_instance_uid = "2.25.1".into();
    /// id.series_instance_uid = "2.25.2".into();
    /// id.sop_instance_uid = "2.25.3".into();
    /// assert_eq!(id.relative_path(), std::path::Path::new("RG0123ABCD/2.25.1/2.25.2/2.25.3.dcm"));
    /// id.patient_id = "../etc".into();
    /// assert!(id.relative_path().starts_with("_.._etc"));
    /// ```
    #[must_use]
    pub fn relative_path(&self) -> std::path::PathBuf {
        let part = |s: &str| {
            let clean: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if clean.is_empty() {
                "_unknown".to_owned()
            } else if clean.starts_with('.') {
                format!("_{clean}")
            } else {
                clean
            }
        };
        let mut p = std::path::PathBuf::from(part(&self.patient_id));
        p.push(part(&self.study_instance_uid));
        p.push(part(&self.series_instance_uid));
        p.push(format!("{}.dcm", part(&self.sop_instance_uid)));
        p
    }
}

/// Original → replacement pairs of one de-identified file (see
/// [`Report::mapping`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mapping {
    /// Every UID replaced: (original, replacement), each pair once.
    pub uids: Vec<(String, String)>,
    /// The Patient ID: (original, pseudonym), when the file had one.
    pub patient_ids: Vec<(String, String)>,
}

pub(crate) fn audit_done(
    counts: &Counts,
    options: &[crate::DeidOption],
    key: &crate::DeidKey,
    digest: Option<KeyedDigest>,
    burned_in: bool,
) -> AuditRecord {
    let mut rec = AuditRecord::new(Operation::Deidentify, Status::Done)
        .with_key_id(key.id().clone())
        .with_label(Label::new("PS3.15-2026c"))
        .with_label(Label::new("basic-profile"));
    for o in options {
        rec = rec.with_label(o.label());
    }
    if burned_in {
        rec = rec.with_label(Label::new("burned-in-annotation-retained"));
    }
    for (l, n) in counts.labelled() {
        if n > 0 {
            rec.add_count(l, n);
        }
    }
    if let Some(d) = digest {
        rec = rec.with_digest(Label::new("study_instance_uid"), d);
    }
    rec
}
