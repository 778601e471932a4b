//! The de-identifier: profile + key + hooks, applied to objects, files and
//! streams.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use dicom_core::header::Header;
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileDicomObject, FileMetaTable, InMemDicomObject};
use radguard_core::{KeyedDigest, Redacted};
use radguard_dicom::tags::PATIENT_ID;
use radguard_dicom::text::{trim_value, value_text as text};
use radguard_dicom::{DicomWriter, PendingFile, ReadOptions, WriteOptions};

use crate::engine::{Engine, Patient};
use crate::error::Error;
use crate::hook::Hook;
use crate::keys::DeidKey;
use crate::pixels::{PixelCleaning, PixelJob, PlanError};
use crate::profile::{DeidOption, Profile};
use crate::report::{Report, audit_done};
use crate::table::{self, Action};
use crate::values::{Offset, Scrubber};

/// Media Storage Directory Storage (DICOMDIR).
const DICOMDIR_SOP_CLASS: &str = "1.2.840.10008.1.3.10";

/// SOP classes whose images usually carry burned-in annotation when they do
/// not say otherwise: ultrasound, secondary capture, visible light
/// photography and video, X-ray angiography and fluoroscopy, and
/// encapsulated documents.
const BURNED_IN_PRONE: &[&str] = &[
    "1.2.840.10008.5.1.4.1.1.6.1",      // US Image
    "1.2.840.10008.5.1.4.1.1.3.1",      // US Multi-frame Image
    "1.2.840.10008.5.1.4.1.1.6.2",      // Enhanced US Volume
    "1.2.840.10008.5.1.4.1.1.6",        // US Image (retired)
    "1.2.840.10008.5.1.4.1.1.3",        // US Multi-frame (retired)
    "1.2.840.10008.5.1.4.1.1.7",        // Secondary Capture
    "1.2.840.10008.5.1.4.1.1.7.1",      // Multi-frame Single Bit SC
    "1.2.840.10008.5.1.4.1.1.7.2",      // Multi-frame Grayscale Byte SC
    "1.2.840.10008.5.1.4.1.1.7.3",      // Multi-frame Grayscale Word SC
    "1.2.840.10008.5.1.4.1.1.7.4",      // Multi-frame True Color SC
    "1.2.840.10008.5.1.4.1.1.77.1.1",   // VL Endoscopic
    "1.2.840.10008.5.1.4.1.1.77.1.1.1", // Video Endoscopic
    "1.2.840.10008.5.1.4.1.1.77.1.2",   // VL Microscopic
    "1.2.840.10008.5.1.4.1.1.77.1.2.1", // Video Microscopic
    "1.2.840.10008.5.1.4.1.1.77.1.4",   // VL Photographic
    "1.2.840.10008.5.1.4.1.1.77.1.4.1", // Video Photographic
    "1.2.840.10008.5.1.4.1.1.77.1.5.1", // Ophthalmic Photography 8 Bit
    "1.2.840.10008.5.1.4.1.1.77.1.5.2", // Ophthalmic Photography 16 Bit
    "1.2.840.10008.5.1.4.1.1.12.1",     // X-Ray Angiographic
    "1.2.840.10008.5.1.4.1.1.12.1.1",   // Enhanced XA
    "1.2.840.10008.5.1.4.1.1.12.2",     // X-Ray Radiofluoroscopic
    "1.2.840.10008.5.1.4.1.1.12.2.1",   // Enhanced XRF
    "1.2.840.10008.5.1.4.1.1.104.1",    // Encapsulated PDF
    "1.2.840.10008.5.1.4.1.1.104.2",    // Encapsulated CDA
    "1.2.840.10008.5.1.4.1.1.104.3",    // Encapsulated STL
    "1.2.840.10008.5.1.4.1.1.104.4",    // Encapsulated OBJ
    "1.2.840.10008.5.1.4.1.1.104.5",    // Encapsulated MTL
];

/// An explicit mapping from original Patient ID to pseudonym, overriding
/// the keyed pseudonym.
///
/// # Examples
///
/// ```
/// let map = radguard_deid::PseudonymMap::from_csv("original_patient_id,pseudonym\nA123,STUDY-001\n".as_bytes())?;
/// assert_eq!(map.get("A123"), Some("STUDY-001"));
/// // Never printed, even in debug output.
/// assert!(!format!("{map:?}").contains("A123"));
/// # Ok::<(), radguard_deid::Error>(())
/// ```
///
/// # Security
///
/// The map holds original Patient IDs: its `Debug` output shows neither
/// them nor the pseudonyms (`PseudonymMap { map: <redacted> }`).
#[derive(Debug, Clone, Default)]
pub struct PseudonymMap {
    map: Redacted<HashMap<String, String>>,
}

impl PseudonymMap {
    /// Reads `original,pseudonym` lines (an optional header line naming a
    /// `pseudonym` column is skipped).
    ///
    /// # Errors
    ///
    /// [`Error::Mapping`] for a malformed line, an empty or invalid
    /// pseudonym (1 to 64 characters from `A-Z a-z 0-9 space . _ - ^`), an
    /// original listed twice, or a pseudonym given to two originals (which
    /// would merge two patients). Messages never include the values.
    pub fn from_csv(reader: impl Read) -> Result<Self, Error> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut map = HashMap::new();
        let mut seen_pseudo = std::collections::HashSet::new();
        for (i, rec) in r.records().enumerate() {
            let line = i + 1;
            let rec = rec.map_err(|_| Error::Mapping {
                line,
                what: "not valid CSV",
            })?;
            if rec.len() != 2 {
                return Err(Error::Mapping {
                    line,
                    what: "expected two columns: original patient id, pseudonym",
                });
            }
            let (orig, pseudo) = (rec[0].trim(), rec[1].trim());
            if line == 1 && pseudo.eq_ignore_ascii_case("pseudonym") {
                continue;
            }
            let ok = !pseudo.is_empty()
                && pseudo.len() <= 64
                && pseudo
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b" ._-^".contains(&b));
            if orig.is_empty() || !ok {
                return Err(Error::Mapping {
                    line,
                    what: "empty original or invalid pseudonym",
                });
            }
            if !seen_pseudo.insert(pseudo.to_owned()) {
                return Err(Error::Mapping {
                    line,
                    what: "pseudonym already used for another patient",
                });
            }
            if map.insert(orig.to_owned(), pseudo.to_owned()).is_some() {
                return Err(Error::Mapping {
                    line,
                    what: "original patient id listed twice",
                });
            }
        }
        Ok(Self {
            map: Redacted::new(map),
        })
    }

    /// The pseudonym for an original Patient ID.
    #[must_use]
    pub fn get(&self, original: &str) -> Option<&str> {
        self.map.expose().get(original).map(String::as_str)
    }

    /// Number of mappings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.expose().len()
    }

    /// `true` if empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.expose().is_empty()
    }
}

/// The trimmed text of `tag`, or the file meta's `fallback` UID when the
/// data set lacks it.
fn text_or_meta(ds: &InMemDicomObject, tag: Tag, fallback: &str) -> String {
    let t = text(ds, tag);
    if t.is_empty() {
        trim_value(fallback).to_owned()
    } else {
        t
    }
}

/// The key that identifies a patient for pseudonyms and date offsets:
/// `id:<Issuer of Patient ID>\<Patient ID>` when there is a Patient ID, else
/// `name:<Patient's Name>|<Birth Date>`, else `study:<Study Instance UID>`,
/// else `instance:<SOP Instance UID>`.
#[must_use]
pub fn patient_key(ds: &InMemDicomObject) -> String {
    let pid = text(ds, PATIENT_ID);
    if !pid.is_empty() {
        return format!("id:{}\\{pid}", text(ds, tags::ISSUER_OF_PATIENT_ID));
    }
    let name = text(ds, tags::PATIENT_NAME);
    if !name.is_empty() {
        return format!("name:{name}|{}", text(ds, tags::PATIENT_BIRTH_DATE));
    }
    let study = text(ds, tags::STUDY_INSTANCE_UID);
    if !study.is_empty() {
        return format!("study:{study}");
    }
    format!("instance:{}", text(ds, tags::SOP_INSTANCE_UID))
}

/// De-identifies DICOM objects, files and streams under a [`Profile`] with a
/// [`DeidKey`].
///
/// A `Deidentifier` is immutable and `Send + Sync`: share one across
/// threads. The same key gives the same output for the same input on any
/// machine, in any order and any split of a batch.
///
/// # Examples
///
/// ```
/// use radguard_core::SecretKey;
/// use radguard_deid::{DeidKey, DeidOption, Deidentifier, Profile};
///
/// let profile = Profile::builder().option(DeidOption::RetainLongModifiedDates).build()?;
/// let deid = Deidentifier::new(profile, DeidKey::new(&SecretKey::from_bytes([7; 32])));
/// # use dicom_core::{DataElement, VR};
/// # use radguard_dicom::tags;
/// # let obj = dicom_object::InMemDicomObject::from_element_iter([
/// #     DataElement::new(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
/// #     DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4"),
/// #     DataElement::new(tags::STUDY_DATE, VR::DA, "20240131"),
/// #     DataElement::new(tags::PATIENT_ID, VR::LO, "MRN0042"),
/// # ]).with_meta(dicom_object::meta::FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))?;
/// let input: Vec<u8> = radguard_dicom::to_bytes(&obj)?; // an MR image file
/// let (output, report) = deid.deidentify_bytes(&input)?;
/// let out = radguard_dicom::from_bytes(&output)?;
/// assert_eq!(out.dataset().get(dicom_dictionary_std::tags::PATIENT_IDENTITY_REMOVED).unwrap().to_str()?, "YES");
/// assert!(report.counts.uids_replaced > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// - Fails closed: unreadable or truncated files, DICOMDIRs and (by
///   default) files that may carry burned-in annotation are errors, never
///   passed through. Inputs are only ever read.
/// - UIDs, pseudonyms, date offsets and the audit digest are keyed
///   (HMAC-SHA-256 under HKDF subkeys, see [`DeidKey`]); without the key,
///   outputs cannot be linked to inputs or to each other across keys.
/// - Pixel data is copied unchanged (its metadata stripped) unless the
///   profile selects [`DeidOption::CleanPixelData`]: then files that may
///   carry burned-in text are cleaned by [`PixelCleaning`] (blanked and
///   re-checked) or refused.
#[derive(Clone)]
pub struct Deidentifier {
    profile: Profile,
    pixels: Option<Arc<PixelCleaning>>,
    key: Arc<DeidKey>,
    pseudonyms: Option<Arc<PseudonymMap>>,
    hooks: Vec<Arc<dyn Hook>>,
    read: ReadOptions,
    mapping: bool,
}

impl std::fmt::Debug for Deidentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deidentifier")
            .field("profile", &self.profile)
            .field("key", &self.key)
            .field("hooks", &self.hooks.len())
            .finish_non_exhaustive()
    }
}

impl Deidentifier {
    /// A de-identifier for `profile` with `key`.
    #[must_use]
    pub fn new(profile: Profile, key: DeidKey) -> Self {
        let pixels = profile
            .has(DeidOption::CleanPixelData)
            .then(|| Arc::new(PixelCleaning::new()));
        Self {
            profile,
            pixels,
            key: Arc::new(key),
            pseudonyms: None,
            hooks: Vec::new(),
            read: ReadOptions::new(),
            mapping: false,
        }
    }

    /// Uses explicit pseudonyms for the Patient IDs the map lists.
    #[must_use]
    pub fn with_pseudonyms(mut self, map: PseudonymMap) -> Self {
        self.pseudonyms = Some(Arc::new(map));
        self
    }

    /// Sets how pixel data is cleaned under
    /// [`DeidOption::CleanPixelData`] (rules, text detection). Without it
    /// [`PixelCleaning::new`] is used; without the option it has no
    /// effect.
    #[must_use]
    pub fn with_pixel_cleaning(mut self, cleaning: PixelCleaning) -> Self {
        if self.profile.has(DeidOption::CleanPixelData) {
            self.pixels = Some(Arc::new(cleaning));
        }
        self
    }

    /// Adds a site-specific [`Hook`].
    #[must_use]
    pub fn with_hook(mut self, hook: impl Hook + 'static) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Collects, for each file, the original → replacement pairs of its
    /// UIDs and Patient ID into [`Report::mapping`] (for the data
    /// custodian's re-identification table). Off by default.
    ///
    /// # Security
    ///
    /// The mapping holds original identifiers: keep it where the key is
    /// kept, never beside the de-identified data.
    #[must_use]
    pub fn with_mapping(mut self, yes: bool) -> Self {
        self.mapping = yes;
        self
    }

    /// Sets how input files are read (limits).
    #[must_use]
    pub fn with_read_options(mut self, read: ReadOptions) -> Self {
        self.read = read;
        self
    }

    /// The profile.
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The key (for its id).
    #[must_use]
    pub fn key(&self) -> &DeidKey {
        &self.key
    }

    /// De-identifies an object in memory, file meta included.
    ///
    /// # Errors
    ///
    /// [`Error::Dicomdir`], [`Error::BurnedInAnnotation`],
    /// [`Error::NoInstanceUid`]; the object is left untouched on error.
    pub fn deidentify_object(
        &self,
        obj: &mut FileDicomObject<InMemDicomObject>,
    ) -> Result<Report, Error> {
        let meta = obj.meta().clone();
        let mut ds: InMemDicomObject = (**obj).clone();
        let pixels = self.pixel_status_in_memory(&ds, &meta)?;
        let (new_meta, mut report) = self.process(&mut ds, &meta, &pixels)?;
        let mut out = ds.with_exact_meta(new_meta);
        let pixels = radguard_dicom::pixel_meta::clean_object(&mut out)?;
        report.add_pixel_cleaning(&pixels);
        *obj = out;
        Ok(report)
    }

    /// De-identifies an encoded file held in memory.
    ///
    /// # Errors
    ///
    /// As [`Deidentifier::deidentify_object`], plus read and write errors.
    pub fn deidentify_bytes(&self, input: &[u8]) -> Result<(Vec<u8>, Report), Error> {
        let file = self.read.from_bytes(input)?;
        refuse_truncated(file.info())?;
        let (mut obj, _) = file.into_parts();
        let report = self.deidentify_object(&mut obj)?;
        Ok((radguard_dicom::to_bytes(&obj)?, report))
    }

    /// De-identifies a file read from `input` into `output` (read whole,
    /// then written).
    ///
    /// # Errors
    ///
    /// As [`Deidentifier::deidentify_bytes`], plus I/O errors.
    pub fn deidentify_stream(
        &self,
        mut input: impl Read,
        mut output: impl Write,
    ) -> Result<Report, Error> {
        let mut buf = Vec::new();
        input.read_to_end(&mut buf)?;
        let (out, report) = self.deidentify_bytes(&buf)?;
        output.write_all(&out)?;
        Ok(report)
    }

    /// De-identifies the file at `input` into `output`, atomically: the
    /// header is read into memory and the pixel data streamed, so memory
    /// does not grow with the pixel data.
    ///
    /// # Errors
    ///
    /// As [`Deidentifier::deidentify_object`], plus read and write errors
    /// ([`radguard_dicom::Error::Exists`] if `output` exists and `opts`
    /// does not allow overwriting). Nothing is left at `output` on error.
    pub fn deidentify_file(
        &self,
        input: &Path,
        output: &Path,
        opts: &WriteOptions,
    ) -> Result<Report, Error> {
        let (pending, report) = self.deidentify_file_pending(input, output, opts)?;
        pending.commit()?;
        Ok(report)
    }

    /// Like [`Deidentifier::deidentify_file`], but returns the output as a
    /// [`PendingFile`] for [`radguard_dicom::commit_all`] (one file system
    /// sync for a whole batch).
    ///
    /// # Errors
    ///
    /// As [`Deidentifier::deidentify_file`].
    pub fn deidentify_file_pending(
        &self,
        input: &Path,
        output: &Path,
        opts: &WriteOptions,
    ) -> Result<(PendingFile, Report), Error> {
        self.deidentify_file_named(input, &mut |_| output.to_path_buf(), opts)
    }

    /// Like [`Deidentifier::deidentify_file_pending`], with the output path
    /// chosen after de-identification from the output's own identifiers
    /// (for example [`OutputIdentity::relative_path`](crate::OutputIdentity::relative_path) under an output
    /// folder), so that no input name reaches an output name. The folder
    /// of the path must exist.
    ///
    /// # Examples
    ///
    /// ```
    /// # use dicom_core::{DataElement, VR};
    /// # use radguard_dicom::tags;
    /// use radguard_core::SecretKey;
    /// use radguard_deid::{DeidKey, Deidentifier, Profile};
    /// use radguard_dicom::WriteOptions;
    ///
    /// # let dir = tempfile::tempdir()?;
    /// # let input = dir.path().join("DOE^JOHN.dcm");
    /// # let obj = dicom_object::InMemDicomObject::from_element_iter([
    /// #     DataElement::new(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
    /// #     DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4"),
    /// #     DataElement::new(tags::PATIENT_ID, VR::LO, "MRN0042"),
    /// # ]).with_meta(dicom_object::meta::FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))?;
    /// # radguard_dicom::write_file(&input, &obj, &WriteOptions::new())?;
    /// let deid = Deidentifier::new(Profile::basic(), DeidKey::new(&SecretKey::from_bytes([1; 32])));
    /// let out = dir.path().join("out");
    /// let (pending, report) = deid.deidentify_file_named(&input, &mut |id| {
    ///     let p = out.join(id.relative_path());
    ///     std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    ///     p
    /// }, &WriteOptions::new())?;
    /// pending.commit()?;
    /// assert!(report.identity.sop_instance_uid.starts_with("2.25."));
    /// assert!(!pending_name_has(&out, "DOE"));
    /// # fn pending_name_has(d: &std::path::Path, s: &str) -> bool {
    /// #     walk(d).iter().any(|p| p.to_string_lossy().contains(s))
    /// # }
    /// # fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    /// #     let mut v = Vec::new();
    /// #     for e in std::fs::read_dir(d).unwrap() { let p = e.unwrap().path(); if p.is_dir() { v.extend(walk(&p)); } v.push(p); }
    /// #     v
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Deidentifier::deidentify_file`].
    pub fn deidentify_file_named(
        &self,
        input: &Path,
        name: &mut dyn FnMut(&crate::OutputIdentity) -> std::path::PathBuf,
        opts: &WriteOptions,
    ) -> Result<(PendingFile, Report), Error> {
        let mut split = self.read.open_split(input)?;
        refuse_truncated(split.header().info())?;
        let meta = split.header().meta().clone();
        // Burned-in text: none expected, cleaned (decided now, from the
        // header as read and every frame), or retained by request.
        let pixels = self.pixel_status_of_file(&mut split)?;
        // How the pixel data will be written, read before the header
        // changes; fails closed on what cannot be checked (video, unknown
        // transfer syntaxes, native data without consistent Image Pixel
        // attributes, frames that must be blanked and cannot be decoded).
        let regions = match &pixels {
            PixelStatus::Cleaned(job) => job.regions.clone(),
            _ => radguard_pixels::geometry::RegionPlan::new(),
        };
        let pixel_plan = radguard_pixels::CleanPlan::new(
            &mut split,
            &regions,
            &radguard_pixels::CleanOptions::new(),
        )
        .map_err(|e| pixel_error(e, &pixels))?;
        let pixel_tag = split.pixel_data().map(radguard_dicom::PixelData::tag);
        let (mut new_meta, mut report) = {
            let ds: &mut InMemDicomObject = split.header_mut().object_mut();
            self.process(ds, &meta, &pixels)?
        };
        // Take the processed header out (copying the pixel data needs
        // `split` mutably; the header is not needed there).
        let mut header = std::mem::replace(
            &mut **split.header_mut().object_mut(),
            InMemDicomObject::new_empty(),
        );
        // Transfer syntax, photometric interpretation, lossy marks, stale
        // offset tables: what the pixel data written needs.
        pixel_plan.apply(&mut header, &mut new_meta);
        let output = name(&report.identity);
        let mut w = DicomWriter::create(&output, &new_meta, opts)?;
        w.write_elements(
            header
                .iter()
                .filter(|e| pixel_tag.is_none_or(|t| e.tag() < t)),
        )?;
        let written = pixel_plan
            .write_pixels(&mut split, &mut w)
            .map_err(|e| pixel_error(e, &pixels))?;
        report.add_pixel_cleaning(&written.metadata);
        report.add_pixels_blanked(&written);
        w.write_elements(
            header
                .iter()
                .filter(|e| pixel_tag.is_some_and(|t| e.tag() > t)),
        )?;
        Ok((w.finish()?, report))
    }

    /// What happens to a file's burned-in text, decided from its header and
    /// (when it is cleaned) every frame, before anything is written.
    fn pixel_status_of_file(
        &self,
        split: &mut radguard_dicom::SplitFile,
    ) -> Result<PixelStatus, Error> {
        let Some(reason) = burned_in_risk(split.header().dataset(), split.header().meta()) else {
            return Ok(PixelStatus::NotExpected);
        };
        let Some(cleaning) = &self.pixels else {
            return self.uncleaned(reason);
        };
        match cleaning.plan(split) {
            Ok(job) => Ok(PixelStatus::Cleaned(job)),
            Err(PlanError::NotAssured(why)) => self.not_cleaned(why.0),
            Err(PlanError::Pixels(e)) => match e {
                radguard_pixels::Error::Dicom(e) => Err(Error::Dicom(e)),
                e => self.not_cleaned(e.to_string()),
            },
            Err(PlanError::Engine) => {
                self.not_cleaned("the text detection engine failed on a frame".to_owned())
            }
        }
    }

    /// As [`Self::pixel_status_of_file`] for an object in memory, whose
    /// pixels are not cleaned here.
    fn pixel_status_in_memory(
        &self,
        ds: &InMemDicomObject,
        meta: &FileMetaTable,
    ) -> Result<PixelStatus, Error> {
        let Some(reason) = burned_in_risk(ds, meta) else {
            return Ok(PixelStatus::NotExpected);
        };
        if self.pixels.is_some() {
            return self.not_cleaned(
                "pixel data is cleaned only in files (Deidentifier::deidentify_file and its variants)"
                    .to_owned(),
            );
        }
        self.uncleaned(reason)
    }

    /// A file that may carry burned-in text, not cleaned: refused, or let
    /// through as asked.
    fn uncleaned(&self, reason: &'static str) -> Result<PixelStatus, Error> {
        if self.profile.allow_burned_in {
            Ok(PixelStatus::Retained)
        } else {
            Err(Error::BurnedInAnnotation { reason })
        }
    }

    /// A file whose pixels could not be assured clean: refused, or let
    /// through uncleaned as asked.
    fn not_cleaned(&self, reason: String) -> Result<PixelStatus, Error> {
        if self.profile.allow_burned_in {
            Ok(PixelStatus::Retained)
        } else {
            Err(Error::PixelsNotCleaned { reason })
        }
    }

    /// The whole header procedure on a data set: checks, keyed context,
    /// the walk, markers, new file meta.
    fn process(
        &self,
        ds: &mut InMemDicomObject,
        meta: &FileMetaTable,
        pixels: &PixelStatus,
    ) -> Result<(FileMetaTable, Report), Error> {
        if trim_value(&meta.media_storage_sop_class_uid) == DICOMDIR_SOP_CLASS
            || text(ds, tags::SOP_CLASS_UID) == DICOMDIR_SOP_CLASS
            || ds.get(tags::DIRECTORY_RECORD_SEQUENCE).is_some()
        {
            return Err(Error::Dicomdir);
        }
        let retained = matches!(pixels, PixelStatus::Retained);
        let original_uid = text_or_meta(
            ds,
            tags::SOP_INSTANCE_UID,
            &meta.media_storage_sop_instance_uid,
        );
        if original_uid.is_empty() {
            return Err(Error::NoInstanceUid);
        }
        let pkey = patient_key(ds);
        let pid = text(ds, PATIENT_ID);
        let pseudonym = self
            .pseudonyms
            .as_ref()
            .and_then(|m| m.get(&pid))
            .map_or_else(|| self.key.pseudonym(&pkey), str::to_owned);
        let (days, secs) = self.key.date_offset(&pkey);
        let patient = Patient {
            pseudonym,
            offset: Offset { days, secs },
        };
        let study = text(ds, tags::STUDY_INSTANCE_UID);
        let study_digest: Option<KeyedDigest> =
            (!study.is_empty()).then(|| self.key.digest("StudyInstanceUID", &study));
        // Every kept text value is scrubbed of the patient's own
        // identifiers, whatever the options.
        let (scrubber, identity_scrubber) = scrubbers_for(ds, &self.profile);
        let charset = radguard_dicom::text::charset_of(ds);
        let mut engine = Engine {
            profile: &self.profile,
            charset: &charset,
            read: &self.read,
            key: &self.key,
            patient: &patient,
            scrubber: &scrubber,
            identity_scrubber: &identity_scrubber,
            hooks: &self.hooks,
            counts: crate::report::Counts::default(),
            uid_pairs: self.mapping.then(Vec::new),
        };
        engine.run(ds)?;
        let counts = engine.counts;
        let mut uid_pairs = engine.uid_pairs;
        // The SOP Instance UID is present in the output: replaced (U) or kept (Retain UIDs).
        let new_uid = if self.profile.has(DeidOption::RetainUids) {
            original_uid.clone()
        } else {
            self.key.uid(&original_uid)
        };
        if let Some(pairs) = &mut uid_pairs
            && new_uid != original_uid
        {
            pairs.push((original_uid, new_uid.clone()));
        }
        ds.put(DataElement::new(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from(new_uid.clone()),
        ));
        self.put_markers(ds, pixels);
        let sop_class = text_or_meta(ds, tags::SOP_CLASS_UID, &meta.media_storage_sop_class_uid);
        let mut new_meta = FileMetaTable {
            information_group_length: 0,
            information_version: [0, 1],
            media_storage_sop_class_uid: sop_class,
            media_storage_sop_instance_uid: new_uid,
            transfer_syntax: meta.transfer_syntax.clone(),
            implementation_class_uid: radguard_dicom::IMPLEMENTATION_CLASS_UID.to_owned(),
            implementation_version_name: Some(
                radguard_dicom::IMPLEMENTATION_VERSION_NAME.to_owned(),
            ),
            source_application_entity_title: None,
            sending_application_entity_title: None,
            receiving_application_entity_title: None,
            private_information_creator_uid: None,
            private_information: None,
        };
        new_meta.update_information_group_length();
        let options = self.profile.options();
        let audit = audit_done(&counts, &options, &self.key, study_digest, retained);
        let identity = crate::OutputIdentity {
            patient_id: text(ds, PATIENT_ID),
            study_instance_uid: text(ds, tags::STUDY_INSTANCE_UID),
            series_instance_uid: text(ds, tags::SERIES_INSTANCE_UID),
            sop_instance_uid: new_meta.media_storage_sop_instance_uid.clone(),
        };
        let mapping = uid_pairs.map(|mut uids| {
            uids.sort();
            uids.dedup();
            let patient_ids = if pid.is_empty() {
                Vec::new()
            } else {
                vec![(pid.clone(), identity.patient_id.clone())]
            };
            Redacted::new(crate::Mapping { uids, patient_ids })
        });
        Ok((
            new_meta,
            Report {
                counts,
                study_digest,
                burned_in_retained: retained,
                pixels: match pixels {
                    PixelStatus::Cleaned(job) => Some(job.summary.clone()),
                    _ => None,
                },
                audit,
                identity,
                mapping,
            },
        ))
    }

    /// (0012,0062), (0012,0063), (0012,0064) and (0028,0303).
    fn put_markers(&self, ds: &mut InMemDicomObject, pixels: &PixelStatus) {
        let burned_in = matches!(pixels, PixelStatus::Retained);
        // Clean Pixel Data is claimed only where it held: not for pixels
        // let through uncleaned.
        let options: Vec<DeidOption> = self
            .profile
            .options()
            .into_iter()
            .filter(|o| *o != DeidOption::CleanPixelData || !burned_in)
            .collect();
        ds.put(DataElement::new(
            tags::PATIENT_IDENTITY_REMOVED,
            VR::CS,
            PrimitiveValue::from(if burned_in { "NO" } else { "YES" }),
        ));
        if matches!(pixels, PixelStatus::Cleaned(_)) {
            // Every frame covered and re-checked without text.
            ds.put(DataElement::new(
                tags::BURNED_IN_ANNOTATION,
                VR::CS,
                PrimitiveValue::from("NO"),
            ));
        }
        let mut method: Vec<String> = vec![
            format!("radguard {}", env!("CARGO_PKG_VERSION")),
            format!(
                "PS3.15 {} Basic Application Confidentiality Profile",
                table::EDITION
            ),
        ];
        method.extend(options.iter().map(|o| o.meaning().to_owned()));
        if burned_in {
            method.push("Burned in annotation not removed".to_owned());
        }
        ds.put(DataElement::new(
            tags::DEIDENTIFICATION_METHOD,
            VR::LO,
            PrimitiveValue::Strs(method.into_iter().collect()),
        ));
        let code_item = |value: &str, meaning: &str| {
            InMemDicomObject::from_element_iter([
                DataElement::new(tags::CODE_VALUE, VR::SH, PrimitiveValue::from(value)),
                DataElement::new(
                    tags::CODING_SCHEME_DESIGNATOR,
                    VR::SH,
                    PrimitiveValue::from("DCM"),
                ),
                DataElement::new(tags::CODE_MEANING, VR::LO, PrimitiveValue::from(meaning)),
            ])
        };
        let mut items = vec![code_item(
            "113100",
            "Basic Application Confidentiality Profile",
        )];
        items.extend(options.iter().map(|o| code_item(o.code(), o.meaning())));
        ds.put(DataElement::new(
            tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE,
            VR::SQ,
            Value::Sequence(DataSetSequence::new(items, Length::UNDEFINED)),
        ));
        ds.put(DataElement::new(
            tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED,
            VR::CS,
            PrimitiveValue::from(self.profile.temporal_marker()),
        ));
    }
}

/// What becomes of a file's burned-in text.
#[derive(Debug)]
enum PixelStatus {
    /// The header says there is none (or the SOP class rarely has any).
    NotExpected,
    /// Cleaned as planned (Clean Pixel Data).
    Cleaned(PixelJob),
    /// May be there, let through uncleaned as asked.
    Retained,
}

/// A pixel-layer error as the de-identifier reports it: reading errors as
/// they are; for a file being cleaned, anything else is a refusal naming
/// what is missing (a decoder, an encoder...).
fn pixel_error(e: radguard_pixels::Error, pixels: &PixelStatus) -> Error {
    match e {
        radguard_pixels::Error::Dicom(e) => Error::Dicom(e),
        e if matches!(pixels, PixelStatus::Cleaned(_)) => Error::PixelsNotCleaned {
            reason: e.to_string(),
        },
        e => Error::Pixels(e),
    }
}

fn refuse_truncated(info: &radguard_dicom::FileInfo) -> Result<(), Error> {
    // A file cut short anywhere is refused: what followed the cut is lost,
    // and a sequence left open at the end of the file was cut too.
    if let Some(f) = info.findings.iter().find(|f| {
        matches!(
            f.kind,
            radguard_dicom::FindingKind::TruncatedAtEof
                | radguard_dicom::FindingKind::MissingDelimiter
        )
    }) {
        return Err(Error::Truncated {
            offset: f.offset,
            tag: f.tag,
        });
    }
    Ok(())
}

/// Why a file may carry burned-in annotation, if it may.
fn burned_in_risk(ds: &InMemDicomObject, meta: &FileMetaTable) -> Option<&'static str> {
    match text(ds, tags::BURNED_IN_ANNOTATION)
        .to_ascii_uppercase()
        .as_str()
    {
        "YES" => return Some("Burned In Annotation (0028,0301) is YES"),
        "NO" => return None,
        _ => {}
    }
    let class = {
        let c = text(ds, tags::SOP_CLASS_UID);
        if c.is_empty() {
            trim_value(&meta.media_storage_sop_class_uid).to_owned()
        } else {
            c
        }
    };
    BURNED_IN_PRONE.contains(&class.as_str()).then_some(
        "Burned In Annotation (0028,0301) is absent on a SOP class that usually carries it",
    )
}

/// Attributes whose values are identifiers (matched as IDs: substrings,
/// with or without separators). Retired ones still occur in old files.
#[allow(deprecated)]
const ID_ATTRIBUTES: &[Tag] = &[
    PATIENT_ID,
    tags::OTHER_PATIENT_I_DS,
    tags::ACCESSION_NUMBER,
    tags::STUDY_ID,
    tags::ADMISSION_ID,
    tags::MEDICAL_RECORD_LOCATOR,
    tags::REQUESTED_PROCEDURE_ID,
    tags::SCHEDULED_PROCEDURE_STEP_ID,
    tags::PERFORMED_PROCEDURE_STEP_ID,
    tags::PLACER_ORDER_NUMBER_IMAGING_SERVICE_REQUEST,
    tags::FILLER_ORDER_NUMBER_IMAGING_SERVICE_REQUEST,
    tags::DEVICE_SERIAL_NUMBER,
    tags::PATIENT_TELEPHONE_NUMBERS,
];

/// The same-file scrubbers: the values that identify the patient or site
/// in this file (those of every attribute the profile removes or replaces,
/// X, Z, D, U and composites, and every person name), sorted by kind:
/// names, identifiers (matched with or without separators), dates, other
/// terms. UIDs are left to the generic UID shape. The second scrubber holds
/// only the patient's identity (names, IDs, dates), for code strings and
/// AE titles.
fn scrubbers_for(ds: &InMemDicomObject, profile: &Profile) -> (Scrubber, Scrubber) {
    let (mut names, mut ids, mut dates, mut terms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    radguard_dicom::walk(ds, &mut |_, e| {
        // The dictionary's VR: a Patient ID that arrived as UN is still an ID.
        let vr = radguard_dicom::tags::dictionary_vr(e.tag()).unwrap_or(e.vr());
        if !matches!(
            vr,
            VR::PN | VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC | VR::DA | VR::DT | VR::AE
        ) {
            return;
        }
        let rule = profile.rule(radguard_dicom::tags::to_attr(e.tag()));
        let removes = rule.single().is_none_or(Action::removes_value) && rule != crate::Rule::XZU;
        if !(removes || vr == VR::PN) {
            return;
        }
        for v in radguard_dicom::text::strings(e) {
            let v = trim_value(&v);
            if v.is_empty() {
                continue;
            }
            match vr {
                VR::PN => names.push(v.to_owned()),
                VR::DA | VR::DT => dates.push(v.to_owned()),
                _ if ID_ATTRIBUTES.contains(&e.tag()) => ids.push(v.to_owned()),
                _ => terms.push(v.to_owned()),
            }
        }
    });
    let identity = Scrubber::builder()
        .names(names.iter().cloned())
        .ids(ids.iter().cloned())
        .dates(dates.iter().cloned())
        .build();
    let full = Scrubber::builder()
        .names(names)
        .ids(ids)
        .dates(dates)
        .terms(terms)
        .build();
    (full, identity)
}
