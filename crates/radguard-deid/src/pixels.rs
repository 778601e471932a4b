//! The Clean Pixel Data Option (PS3.15 E.3.1): where burned-in text is in a
//! file's pixels, blanked and re-checked before the file is written.
//!
//! [`PixelCleaning`] puts radguard-pixfind (device rules, ultrasound
//! regions, text detection with its re-check) in front of radguard-pixels
//! (decode, blank, lossless re-encode). [`crate::Deidentifier`] uses it for
//! files that may carry burned-in text when the profile selects
//! [`crate::DeidOption::CleanPixelData`]; [`PixelCleaning::explain`] shows a
//! site administrator what it would do to a file.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use radguard_core::{AuditRegion, RegionSource, RuleId};
use radguard_dicom::SplitFile;
use radguard_pixels::geometry::{Rect, RegionPlan};
use radguard_pixfind::detect::{DetectError, DetectorOptions, Gray8, Recheck, TextDetector};
use radguard_pixfind::{HeaderPlan, Provenance, RuleSet, plan_header};

/// At most this many rectangles are listed per file in the report and the
/// audit (a cine may have boxes on every frame); the rest are counted.
pub const MAX_LISTED_RECTS: usize = 64;

/// How files that may carry burned-in text are cleaned: the pixel rules
/// (pydicom/deid's bundled rules, plus any a site adds), the ultrasound
/// regions, and text detection with a re-check of every cleaned frame.
///
/// A file is cleaned, and its Burned In Annotation set to NO, only when
/// every frame was covered (by a rule, the ultrasound regions or text
/// detection) and the re-check then found no text in any frame. Anything
/// else refuses the file with a reason naming what is missing
/// ([`crate::Error::PixelsNotCleaned`]).
///
/// Text detection needs radguard-deid's `ocr` feature (Tesseract) and its
/// language data at run time; without it nothing can be re-checked, so
/// every file that needs cleaning is refused, saying so.
///
/// # Examples
///
/// ```
/// use radguard_deid::{DeidOption, PixelCleaning, Profile};
///
/// let site = radguard_pixfind::RuleSet::parse(r#"
/// format = 1
/// [[rule]]
/// label = "Acme 3000 banner"
/// action = "blank"
/// when.all = [{ attr = "ManufacturerModelName", equals = "ACME 3000" }]
/// rects = [{ x = 0, y = 0, width = 640, height = 40 }]
/// "#, "site.toml")?;
/// let cleaning = PixelCleaning::new().add_rules(site)?;
/// assert!(cleaning.rules().len() > 118);
/// let profile = Profile::builder().option(DeidOption::CleanPixelData).build()?;
/// # let _ = profile;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// Rules say where a device puts text, not that there is no other text, and
/// text detection can miss text (small, faint, stylised, non-Latin). The
/// re-check lowers the risk of a leak; it does not remove it. No recognised
/// text is kept, reported or logged.
#[derive(Clone)]
pub struct PixelCleaning {
    rules: Arc<RuleSet>,
    detection: Option<DetectorOptions>,
    /// Started detectors, reused across files (starting one loads the
    /// language data).
    pool: Arc<Mutex<Vec<TextDetector>>>,
}

impl fmt::Debug for PixelCleaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PixelCleaning")
            .field("rules", &self.rules.len())
            .field("detection", &self.detection.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for PixelCleaning {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a file's pixels could not be assured clean (PHI-free).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotAssured(pub(crate) String);

/// What cleaning one file's pixels does, decided before it is written.
#[derive(Debug, Clone, Default)]
pub(crate) struct PixelJob {
    /// The rectangles, for every frame and per frame.
    pub(crate) regions: RegionPlan,
    /// What the report and audit list.
    pub(crate) summary: PixelSummary,
}

/// What cleaning a file's pixels blanked, and the re-check's verdict.
/// Rectangles and where they come from; never any recognised text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PixelSummary {
    /// Frames in the file.
    pub frames: u32,
    /// Frames the re-check read after cleaning, and found no text in.
    pub frames_rechecked: u32,
    /// Rectangles blanked (on every frame, or on one), with their source,
    /// at most [`MAX_LISTED_RECTS`].
    pub rects: Vec<BlankedRect>,
    /// Rectangles blanked beyond those listed.
    pub rects_not_listed: usize,
    /// Boxes text detection found, over all frames.
    pub detected_boxes: u64,
}

/// One rectangle blanked by [`PixelCleaning`]: the audit's
/// [`AuditRegion`] (which frame, where, and which rule, the ultrasound
/// regions or text detection decided it).
pub type BlankedRect = AuditRegion;

/// How many times a frame is re-checked: the words a re-check reads
/// are blanked and the frame checked again; text still read in the last
/// round refuses the file.
const RECHECK_ROUNDS: u32 = 3;

fn blanked(frame: Option<u32>, r: Rect, source: RegionSource) -> BlankedRect {
    AuditRegion::new(frame, r.x, r.y, r.width, r.height, source)
}

fn source_of(p: &Provenance) -> RegionSource {
    match p {
        Provenance::Rule { id, .. } => RegionSource::Rule(RuleId::sanitized(id)),
        Provenance::UltrasoundRegions => RegionSource::UltrasoundRegions,
        _ => RegionSource::TextDetection,
    }
}

impl PixelSummary {
    fn list(&mut self, r: BlankedRect) {
        if self.rects.len() < MAX_LISTED_RECTS {
            self.rects.push(r);
        } else {
            self.rects_not_listed += 1;
        }
    }
}

impl PixelCleaning {
    /// pydicom/deid's bundled rules, the ultrasound regions, and text
    /// detection with its default settings (when this build has it).
    #[must_use]
    pub fn new() -> Self {
        Self {
            rules: Arc::new(RuleSet::bundled().clone()),
            detection: Some(DetectorOptions::default()),
            pool: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Replaces the rules (for example by a site's own set only).
    #[must_use]
    pub fn with_rules(mut self, rules: RuleSet) -> Self {
        self.rules = Arc::new(rules);
        self
    }

    /// Adds a site's rules to those already there.
    ///
    /// # Errors
    ///
    /// [`crate::Error::PixelRules`] if a rule id is already taken.
    pub fn add_rules(mut self, rules: RuleSet) -> Result<Self, crate::Error> {
        let mut all = (*self.rules).clone();
        all.extend(rules)?;
        self.rules = Arc::new(all);
        Ok(self)
    }

    /// Sets text detection's options, or turns detection off with `None`
    /// (then every file that needs cleaning is refused: nothing can
    /// re-check it).
    #[must_use]
    pub fn with_detection(mut self, options: Option<DetectorOptions>) -> Self {
        self.detection = options;
        self.pool = Arc::new(Mutex::new(Vec::new()));
        self
    }

    /// The rules in use.
    #[must_use]
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// `Ok` if text detection can run (the `ocr` feature is built in,
    /// detection is on and the engine starts with its language data).
    ///
    /// # Errors
    ///
    /// Why it cannot, as a PHI-free sentence.
    pub fn detection_status(&self) -> Result<(), String> {
        let d = self.detector()?;
        self.give_back(d);
        Ok(())
    }

    fn detector(&self) -> Result<TextDetector, String> {
        let Some(options) = &self.detection else {
            return Err("text detection is turned off".to_owned());
        };
        if let Some(d) = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
        {
            return Ok(d);
        }
        TextDetector::new(options.clone()).map_err(|e| match e {
            DetectError::NotAvailable => {
                "text detection is not built in (radguard-deid's `ocr` feature)".to_owned()
            }
            e => e.to_string(),
        })
    }

    fn give_back(&self, d: TextDetector) {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(d);
    }

    /// Decides how a file's pixels are cleaned: the header's rectangles,
    /// then every frame decoded, text detected, the frame blanked (on a
    /// copy) and re-checked. `split` is read, not changed; call it before
    /// the header is de-identified (rules read Manufacturer, Model...).
    pub(crate) fn plan(&self, split: &mut SplitFile) -> Result<PixelJob, PlanError> {
        let ds = split.header().dataset();
        let header = plan_header(ds, Some(split.header().meta()), &self.rules)
            .map_err(|e| PlanError::NotAssured(NotAssured(e.to_string())))?;
        let mut detector = self.detector().map_err(|why| {
            let gaps = header.gaps();
            let mut s = format!("the cleaned pixels cannot be re-checked: {why}");
            if !gaps.is_empty() {
                s.push_str(&format!("; also {}", gaps.join("; ")));
            }
            PlanError::NotAssured(NotAssured(s))
        })?;
        let r = self.frames(split, &header, &mut detector);
        // A detector that failed mid-frame is dropped, not reused.
        if !matches!(r, Err(PlanError::Engine)) {
            self.give_back(detector);
        }
        r
    }

    fn frames(
        &self,
        split: &mut SplitFile,
        header: &HeaderPlan,
        detector: &mut TextDetector,
    ) -> Result<PixelJob, PlanError> {
        let (columns, rows) = header.image_size();
        let mut job = PixelJob {
            regions: RegionPlan::all_frames(header.blank().iter().map(|b| b.rect)),
            summary: PixelSummary::default(),
        };
        for b in header.blank() {
            job.summary
                .list(blanked(None, b.rect, source_of(&b.provenance)));
        }
        let mut stop: Option<PlanError> = None;
        let walked = radguard_pixels::for_each_frame(split, &mut |k, frame| {
            let mut step = || -> Result<(), PlanError> {
                let d = frame.desc();
                if (d.columns(), d.rows()) != (columns, rows) {
                    return Err(PlanError::NotAssured(NotAssured(format!(
                        "frame {k} is {}x{}, the header says {columns}x{rows}",
                        d.columns(),
                        d.rows()
                    ))));
                }
                let gray = frame.to_gray8(None);
                let g = Gray8::new(&gray, columns, rows).map_err(|_| PlanError::Engine)?;
                let found = detector.detect(g).map_err(|_| PlanError::Engine)?;
                job.summary.detected_boxes += found.len() as u64;
                for b in &found {
                    job.regions.add_frame(k, b.rect);
                    job.summary
                        .list(blanked(Some(k), b.rect, RegionSource::TextDetection));
                }
                // The frame as it will be written, re-checked; words the
                // re-check still reads are blanked too and the frame
                // re-checked again, up to RECHECK_ROUNDS times.
                let mut round = 0;
                loop {
                    round += 1;
                    let rects = job.regions.clipped_for(k, columns, rows);
                    let verdict = if rects.is_empty() {
                        detector.recheck(g)
                    } else {
                        let mut cleaned = frame.clone();
                        cleaned.blank(&rects).map_err(PlanError::Pixels)?;
                        let gray = cleaned.to_gray8(None);
                        let g = Gray8::new(&gray, columns, rows).map_err(|_| PlanError::Engine)?;
                        detector.recheck(g)
                    }
                    .map_err(|_| PlanError::Engine)?;
                    let Recheck::TextFound(boxes) = verdict else {
                        break;
                    };
                    if round == RECHECK_ROUNDS {
                        return Err(PlanError::NotAssured(NotAssured(format!(
                            "text remains in frame {k} after cleaning ({} word(s) recognised by the re-check, {RECHECK_ROUNDS} rounds)",
                            boxes.len()
                        ))));
                    }
                    job.summary.detected_boxes += boxes.len() as u64;
                    for b in &boxes {
                        job.regions.add_frame(k, b.rect);
                        job.summary
                            .list(blanked(Some(k), b.rect, RegionSource::TextDetection));
                    }
                }
                job.summary.frames_rechecked += 1;
                Ok(())
            };
            step().map_err(|e| {
                stop = Some(e);
                radguard_pixels::Error::Description {
                    what: "stopped by the pixel check",
                }
            })
        });
        if let Some(e) = stop {
            return Err(e);
        }
        walked.map_err(PlanError::Pixels)?;
        job.summary.frames = job.summary.frames_rechecked;
        Ok(job)
    }

    /// What cleaning would do to the file at `path`, for people writing
    /// pixel rules: the rules that match and why, the ultrasound regions,
    /// the rectangles each source blanks, and (when detection is
    /// available) the boxes it finds and the re-check's verdict, frame by
    /// frame. Nothing is written. Shows device and image attributes only,
    /// never recognised text.
    ///
    /// # Errors
    ///
    /// Reading the file; [`crate::Error::PixelsNotCleaned`] if it has no
    /// usable image size.
    pub fn explain(&self, path: &Path) -> Result<PixelExplanation, crate::Error> {
        let mut split = radguard_dicom::open_split(path)?;
        let ds = split.header().dataset();
        let meta = split.header().meta();
        let rules = self
            .rules
            .explain(ds, Some(meta))
            .map(|e| e.to_string())
            .map_err(|e| crate::Error::PixelsNotCleaned {
                reason: e.to_string(),
            })?;
        let header = plan_header(ds, Some(meta), &self.rules).map_err(|e| {
            crate::Error::PixelsNotCleaned {
                reason: e.to_string(),
            }
        })?;
        let mut out = PixelExplanation {
            rules,
            header_gaps: header.gaps(),
            detection: self.detection_status(),
            outcome: String::new(),
            summary: PixelSummary::default(),
        };
        out.outcome = match self.plan(&mut split) {
            Ok(job) => {
                out.summary = job.summary;
                "would be cleaned: every frame covered and re-checked without text".to_owned()
            }
            Err(PlanError::NotAssured(NotAssured(why))) => format!("would be refused: {why}"),
            Err(PlanError::Pixels(e)) => format!("would be refused: {e}"),
            Err(PlanError::Engine) => {
                "would be refused: the text detection engine failed".to_owned()
            }
        };
        if out.summary.rects.is_empty() {
            for b in header.blank() {
                out.summary
                    .list(blanked(None, b.rect, source_of(&b.provenance)));
            }
        }
        Ok(out)
    }
}

/// Why planning failed.
#[derive(Debug)]
pub(crate) enum PlanError {
    /// The file cannot be assured clean (a refusal).
    NotAssured(NotAssured),
    /// A frame could not be decoded or blanked.
    Pixels(radguard_pixels::Error),
    /// The text detection engine failed.
    Engine,
}

/// What [`PixelCleaning::explain`] found. `Display` prints it for a
/// terminal.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PixelExplanation {
    /// The rule matcher's explanation: each rule, matched or not, and
    /// which header condition decided.
    pub rules: String,
    /// What the header's rules and ultrasound regions leave uncovered.
    pub header_gaps: Vec<String>,
    /// Whether text detection can run, or why not.
    pub detection: Result<(), String>,
    /// What cleaning would do: clean or refuse, and why.
    pub outcome: String,
    /// The rectangles that would be blanked.
    pub summary: PixelSummary,
}

impl fmt::Display for PixelExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.rules.trim_end())?;
        for g in &self.header_gaps {
            writeln!(f, "header alone: {g}")?;
        }
        match &self.detection {
            Ok(()) => writeln!(f, "text detection: available")?,
            Err(why) => writeln!(f, "text detection: unavailable ({why})")?,
        }
        for r in &self.summary.rects {
            writeln!(f, "blank {r}")?;
        }
        if self.summary.rects_not_listed > 0 {
            writeln!(f, "... and {} more", self.summary.rects_not_listed)?;
        }
        if self.summary.frames_rechecked > 0 {
            writeln!(
                f,
                "re-check: {} frame(s) without text after cleaning",
                self.summary.frames_rechecked
            )?;
        }
        write!(f, "{}", self.outcome)
    }
}
