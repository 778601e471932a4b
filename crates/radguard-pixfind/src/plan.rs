//! The three sources together: what to blank in an image, and why.

use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTable;

use crate::Rect;
use crate::detect::{DetectError, Gray8, TextDetector};
use crate::rules::{MatchError, RuleAction, RuleSet};
use crate::ultrasound::{UsRegionError, UsRegions, ultrasound_regions};

/// Where a rectangle to blank comes from (for the audit; never any
/// recognised text).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Provenance {
    /// A pixel rule.
    Rule {
        /// The rule's id.
        id: String,
        /// The rule's label.
        label: String,
    },
    /// Outside the Sequence of Ultrasound Regions' data regions.
    UltrasoundRegions,
    /// Text detection on this frame.
    Detection {
        /// The engine's confidence, when it gives one.
        confidence: Option<f32>,
    },
}

/// A rectangle to blank and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Blanking {
    /// The rectangle, inside the image.
    pub rect: Rect,
    /// Why.
    pub provenance: Provenance,
}

/// What the header says about an image's burned-in text: the rectangles
/// rules and ultrasound regions blank on every frame, and what they leave
/// open.
#[derive(Clone, Debug, PartialEq)]
pub struct HeaderPlan {
    columns: u32,
    rows: u32,
    blank: Vec<Blanking>,
    flagged_by: Vec<String>,
    declared_clean_by: Vec<String>,
    ultrasound: Option<Result<UsRegions, UsRegionError>>,
}

impl HeaderPlan {
    /// The image size (columns, rows).
    #[must_use]
    pub const fn image_size(&self) -> (u32, u32) {
        (self.columns, self.rows)
    }
    /// The rectangles to blank on every frame, from rules and ultrasound
    /// regions, with their provenance.
    #[must_use]
    pub fn blank(&self) -> &[Blanking] {
        &self.blank
    }
    /// Ids of the matching `flag` rules: text is expected where no rule
    /// says.
    #[must_use]
    pub fn flagged_by(&self) -> &[String] {
        &self.flagged_by
    }
    /// Ids of the matching `declared-clean` rules (information only).
    #[must_use]
    pub fn declared_clean_by(&self) -> &[String] {
        &self.declared_clean_by
    }
    /// The ultrasound regions: `None` without a Sequence of Ultrasound
    /// Regions, an error if it is there but cannot be trusted.
    #[must_use]
    pub const fn ultrasound(&self) -> Option<&Result<UsRegions, UsRegionError>> {
        self.ultrasound.as_ref()
    }

    /// Why the header alone cannot assure the image (empty if it can): a
    /// `blank`/`keep-only` rule or usable ultrasound regions must apply, no
    /// `flag` rule may match, and ultrasound regions present must be
    /// usable. Text detection and its re-check are still recommended:
    /// rules know where a device puts text, not where a person typed it.
    #[must_use]
    pub fn gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        if let Some(Err(e)) = &self.ultrasound {
            gaps.push(format!("ultrasound regions unusable: {e}"));
        }
        if !self.flagged_by.is_empty() {
            gaps.push(format!(
                "rule(s) {} expect text at unknown places",
                self.flagged_by.join(", ")
            ));
        }
        if self.blank.is_empty() && !matches!(self.ultrasound, Some(Ok(_))) {
            gaps.push("no pixel rule and no ultrasound regions cover this image".to_owned());
        }
        gaps
    }
}

/// The header's plan: matching rules and ultrasound regions.
///
/// # Errors
///
/// [`MatchError::NoImageSize`] if Rows or Columns is absent or zero.
pub fn plan_header(
    ds: &InMemDicomObject,
    meta: Option<&FileMetaTable>,
    rules: &RuleSet,
) -> Result<HeaderPlan, MatchError> {
    let (columns, rows) = crate::rules::image_size(ds)?;
    let mut blank = Vec::new();
    let mut flagged_by = Vec::new();
    let mut declared_clean_by = Vec::new();
    for m in rules.matches(ds, meta)? {
        let rule = m.rule();
        match rule.action() {
            RuleAction::Flag => flagged_by.push(rule.id().to_owned()),
            RuleAction::DeclaredClean => declared_clean_by.push(rule.id().to_owned()),
            RuleAction::Blank | RuleAction::KeepOnly => {}
        }
        blank.extend(m.rects().iter().map(|&rect| Blanking {
            rect,
            provenance: Provenance::Rule {
                id: rule.id().to_owned(),
                label: rule.label().to_owned(),
            },
        }));
    }
    let ultrasound = ultrasound_regions(ds).transpose();
    if let Some(Ok(us)) = &ultrasound {
        blank.extend(us.blank().iter().map(|&rect| Blanking {
            rect,
            provenance: Provenance::UltrasoundRegions,
        }));
    }
    Ok(HeaderPlan {
        columns,
        rows,
        blank,
        flagged_by,
        declared_clean_by,
        ultrasound,
    })
}

/// The header's rectangles plus what `detector` finds in one frame.
///
/// # Errors
///
/// [`DetectError::BadFrame`] if the frame is not the header's size,
/// otherwise as [`TextDetector::detect`].
pub fn frame_blanking(
    plan: &HeaderPlan,
    detector: &mut TextDetector,
    frame: Gray8<'_>,
) -> Result<Vec<Blanking>, DetectError> {
    if (frame.columns(), frame.rows()) != plan.image_size() {
        return Err(DetectError::BadFrame {
            columns: plan.columns,
            rows: plan.rows,
            len: frame.data().len(),
        });
    }
    let mut out = plan.blank.clone();
    out.extend(detector.detect(frame)?.into_iter().map(|b| Blanking {
        rect: b.rect,
        provenance: Provenance::Detection {
            confidence: b.confidence,
        },
    }));
    Ok(out)
}
