//! Matching rules against a header, and explaining the result.

use std::fmt;

use dicom_core::Tag;
use dicom_core::header::Header as _;
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTable;
use radguard_dicom::{tags, text};

use super::{Attribute, Condition, Rule, RuleAction, RuleSet, Test};
use crate::Rect;

/// A header the rules cannot be matched against.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// Rows (0028,0010) or Columns (0028,0011) is absent, zero or not a
    /// number: the image has no size to place rectangles in.
    #[error("the data set has no usable Rows and Columns")]
    NoImageSize,
}

/// Rows and Columns of the top-level data set.
///
/// # Errors
///
/// [`MatchError::NoImageSize`] if either is absent, zero or unreadable.
pub fn image_size(ds: &InMemDicomObject) -> Result<(u32, u32), MatchError> {
    let read = |tag: Tag| -> Option<u32> {
        let v = ds.get(tag)?.to_int::<u32>().ok()?;
        (v > 0).then_some(v)
    };
    match (read(tags::COLUMNS), read(tags::ROWS)) {
        (Some(c), Some(r)) => Ok((c, r)),
        _ => Err(MatchError::NoImageSize),
    }
}

/// What a header holds for one attribute.
struct Found {
    /// Values, padding trimmed (none for sequences and empty attributes).
    values: Vec<String>,
    /// Present with no value.
    empty: bool,
}

fn lookup(ds: &InMemDicomObject, meta: Option<&FileMetaTable>, attr: &Attribute) -> Option<Found> {
    if attr.tag().0 == 0x0002 {
        let meta = meta?;
        let e = meta.to_element_iter().find(|e| e.tag() == attr.tag())?;
        let values: Vec<String> = e
            .value()
            .to_multi_str()
            .map(|v| v.iter().map(|s| text::trim_value(s).to_owned()).collect())
            .unwrap_or_default();
        let empty = values.iter().all(String::is_empty);
        return Some(Found { values, empty });
    }
    let mut found: Option<Found> = None;
    for tag in attr.tags() {
        let Some(e) = ds.get(tag) else { continue };
        let values: Vec<String> = text::strings(e)
            .iter()
            .map(|s| text::trim_value(s).to_owned())
            .collect();
        let empty = text::is_blank(e.value());
        let f = found.get_or_insert(Found {
            values: Vec::new(),
            empty: true,
        });
        f.values.extend(values);
        f.empty &= empty;
    }
    found
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn test_holds(test: &Test, found: Option<&Found>) -> bool {
    let values = || found.map(|f| f.values.as_slice()).unwrap_or_default();
    let any = |f: &dyn Fn(&str, &str) -> bool, texts: &[String]| {
        values().iter().any(|v| {
            let v = v.to_lowercase();
            texts.iter().any(|t| f(&v, &t.to_lowercase()))
        })
    };
    match test {
        Test::Missing => found.is_none(),
        Test::Present => found.is_some(),
        Test::Empty => found.is_some_and(|f| f.empty),
        Test::Equals(t) => any(
            &|v, t| {
                v.trim() == t.trim()
                    || matches!((number(v), number(t)), (Some(a), Some(b)) if a == b)
            },
            t,
        ),
        Test::Contains(t) => any(&|v, t| v.contains(t), t),
        Test::StartsWith(t) => any(&|v, t| v.starts_with(t), t),
        Test::EndsWith(t) => any(&|v, t| v.ends_with(t), t),
    }
}

/// Attributes whose values [`Explanation`] prints: device and image
/// descriptions that carry no patient information. Others print as
/// "(value not shown)".
pub const SHOWN_ATTRIBUTES: &[Tag] = &[
    tags::MODALITY,
    tags::SOP_CLASS_UID,
    tags::MANUFACTURER,
    tags::MANUFACTURER_MODEL_NAME,
    tags::SOFTWARE_VERSIONS,
    tags::ROWS,
    tags::COLUMNS,
    tags::IMAGE_TYPE,
    tags::BURNED_IN_ANNOTATION,
    tags::PHOTOMETRIC_INTERPRETATION,
    tags::SAMPLES_PER_PIXEL,
    tags::NUMBER_OF_FRAMES,
    tags::BITS_ALLOCATED,
    tags::BITS_STORED,
    tags::WINDOW_WIDTH,
    tags::WINDOW_CENTER,
    tags::CONVERSION_TYPE,
    tags::SECONDARY_CAPTURE_DEVICE_MANUFACTURER,
    tags::SECONDARY_CAPTURE_DEVICE_MANUFACTURER_MODEL_NAME,
    tags::TRANSFER_SYNTAX_UID,
    tags::IMPLEMENTATION_CLASS_UID,
    tags::IMPLEMENTATION_VERSION_NAME,
];

/// How one condition of a rule fared on a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionOutcome {
    text: String,
    holds: bool,
    value: Option<String>,
    children: Vec<Self>,
}

impl ConditionOutcome {
    /// The condition, as written in a rule file.
    #[must_use]
    pub fn condition(&self) -> &str {
        &self.text
    }
    /// `true` if it held.
    #[must_use]
    pub const fn holds(&self) -> bool {
        self.holds
    }
    /// The attribute's value in the header, for the attributes of
    /// [`SHOWN_ATTRIBUTES`] (`None` for combinations and other attributes).
    #[must_use]
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
    /// The outcomes of a combination's conditions.
    #[must_use]
    pub fn children(&self) -> &[Self] {
        &self.children
    }
}

fn evaluate(
    c: &Condition,
    ds: &InMemDicomObject,
    meta: Option<&FileMetaTable>,
    explain: bool,
) -> ConditionOutcome {
    match c {
        Condition::Test { attr, test } => {
            let found = lookup(ds, meta, attr);
            let holds = test_holds(test, found.as_ref());
            let value = if explain {
                Some(match &found {
                    None => "(absent)".to_owned(),
                    Some(_) if !SHOWN_ATTRIBUTES.contains(&attr.tag()) => {
                        "(value not shown)".to_owned()
                    }
                    Some(f) if f.empty => "(empty)".to_owned(),
                    Some(f) => f.values.join("\\"),
                })
            } else {
                None
            };
            ConditionOutcome {
                text: if explain {
                    super::write::condition(c)
                } else {
                    String::new()
                },
                holds,
                value,
                children: Vec::new(),
            }
        }
        Condition::All(v) | Condition::Any(v) => {
            let all = matches!(c, Condition::All(_));
            let mut children = Vec::new();
            let mut holds = all;
            for sub in v {
                let o = evaluate(sub, ds, meta, explain);
                let h = o.holds;
                if explain {
                    children.push(o);
                } else if h != all {
                    // Short-circuit when no explanation is wanted.
                    return ConditionOutcome {
                        text: String::new(),
                        holds: !all,
                        value: None,
                        children,
                    };
                }
                holds = if all { holds && h } else { holds || h };
            }
            ConditionOutcome {
                text: if explain {
                    (if all { "all of" } else { "any of" }).to_owned()
                } else {
                    String::new()
                },
                holds,
                value: None,
                children,
            }
        }
        Condition::Not(inner) => {
            let o = evaluate(inner, ds, meta, explain);
            ConditionOutcome {
                text: if explain {
                    "not".to_owned()
                } else {
                    String::new()
                },
                holds: !o.holds,
                value: None,
                children: if explain { vec![o] } else { Vec::new() },
            }
        }
    }
}

/// A rule that matched a header, with its rectangles placed in the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch<'r> {
    rule: &'r Rule,
    kept: Vec<Rect>,
    blank: Vec<Rect>,
    clipped_away: usize,
}

impl<'r> RuleMatch<'r> {
    fn new(rule: &'r Rule, columns: u32, rows: u32) -> Self {
        let clipped: Vec<Rect> = rule
            .rects
            .iter()
            .filter_map(|r| crate::geometry::clipped(*r, columns, rows))
            .collect();
        let clipped_away = rule.rects.len() - clipped.len();
        let (kept, blank) = match rule.action {
            RuleAction::Blank => (Vec::new(), clipped),
            RuleAction::KeepOnly => {
                let blank = Rect::complement(&clipped, columns, rows);
                (clipped, blank)
            }
            RuleAction::Flag | RuleAction::DeclaredClean => (Vec::new(), Vec::new()),
        };
        Self {
            rule,
            kept,
            blank,
            clipped_away,
        }
    }

    /// The rule.
    #[must_use]
    pub const fn rule(&self) -> &'r Rule {
        self.rule
    }

    /// The rectangles to blank, clipped to the image: a `blank` rule's
    /// rectangles, or the complement of a `keep-only` rule's (empty for
    /// `flag` and `declared-clean`).
    #[must_use]
    pub fn rects(&self) -> &[Rect] {
        &self.blank
    }

    /// A `keep-only` rule's rectangles, clipped to the image.
    #[must_use]
    pub fn kept(&self) -> &[Rect] {
        &self.kept
    }

    /// How many of the rule's rectangles lie wholly outside the image.
    #[must_use]
    pub const fn clipped_away(&self) -> usize {
        self.clipped_away
    }
}

/// How every rule of a set fared on one header ([`RuleSet::explain`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation<'r> {
    columns: u32,
    rows: u32,
    header: Vec<(String, String)>,
    rules: Vec<RuleExplanation<'r>>,
}

/// One rule's outcome in an [`Explanation`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleExplanation<'r> {
    matched: Option<RuleMatch<'r>>,
    rule: &'r Rule,
    outcome: ConditionOutcome,
}

impl<'r> RuleExplanation<'r> {
    /// The rule.
    #[must_use]
    pub const fn rule(&self) -> &'r Rule {
        self.rule
    }
    /// The match, if the rule matched.
    #[must_use]
    pub const fn matched(&self) -> Option<&RuleMatch<'r>> {
        self.matched.as_ref()
    }
    /// The outcome of the rule's condition, condition by condition.
    #[must_use]
    pub const fn outcome(&self) -> &ConditionOutcome {
        &self.outcome
    }
    /// How many of the rule's top-level conditions failed (0 when it
    /// matched). A rule with one failure is a "near miss".
    #[must_use]
    pub fn failed(&self) -> usize {
        if self.outcome.children.is_empty() || !matches!(self.rule.when, Condition::All(_)) {
            usize::from(!self.outcome.holds)
        } else {
            self.outcome.children.iter().filter(|c| !c.holds).count()
        }
    }
}

impl<'r> Explanation<'r> {
    /// Every rule's outcome, in rule order.
    #[must_use]
    pub fn rules(&self) -> &[RuleExplanation<'r>] {
        &self.rules
    }
    /// The matching rules.
    pub fn matches(&self) -> impl Iterator<Item = &RuleMatch<'r>> {
        self.rules.iter().filter_map(|r| r.matched.as_ref())
    }
    /// The image size the rectangles were placed in (columns, rows).
    #[must_use]
    pub const fn image_size(&self) -> (u32, u32) {
        (self.columns, self.rows)
    }
}

fn write_outcome(f: &mut fmt::Formatter<'_>, o: &ConditionOutcome, depth: usize) -> fmt::Result {
    let mark = if o.holds { "yes" } else { "no " };
    write!(
        f,
        "{:indent$}{mark}  {}",
        "",
        o.text,
        indent = 4 + 2 * depth
    )?;
    if let Some(v) = &o.value {
        write!(f, "    [value: {v}]")?;
    }
    writeln!(f)?;
    for c in &o.children {
        write_outcome(f, c, depth + 1)?;
    }
    Ok(())
}

fn write_rule(f: &mut fmt::Formatter<'_>, r: &RuleExplanation<'_>, tag: &str) -> fmt::Result {
    let rule = r.rule;
    write!(f, "{tag} {:?}", rule.label)?;
    if let Some(s) = &rule.source {
        write!(f, " (source: {s})")?;
    }
    writeln!(
        f,
        " [id {}, {}:{}, action {}]",
        rule.id,
        rule.origin,
        rule.line,
        rule.action.as_str()
    )?;
    write_outcome(f, &r.outcome, 0)?;
    if let Some(m) = &r.matched {
        for k in &m.kept {
            writeln!(f, "    -> keep  {k}")?;
        }
        for b in &m.blank {
            writeln!(f, "    -> blank {b}")?;
        }
        if m.clipped_away > 0 {
            writeln!(
                f,
                "    -> {} rectangle(s) lie outside the image",
                m.clipped_away
            )?;
        }
        match rule.action {
            RuleAction::Flag => writeln!(
                f,
                "    -> text expected at places this rule does not know: detection needed"
            )?,
            RuleAction::DeclaredClean => writeln!(
                f,
                "    -> the rule's source calls these images clean (information only)"
            )?,
            RuleAction::Blank | RuleAction::KeepOnly => {}
        }
    }
    Ok(())
}

impl fmt::Display for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "image: {} columns x {} rows", self.columns, self.rows)?;
        for (k, v) in &self.header {
            writeln!(f, "  {k}: {v}")?;
        }
        let matched: Vec<_> = self.rules.iter().filter(|r| r.matched.is_some()).collect();
        writeln!(f, "{} of {} rules match", matched.len(), self.rules.len())?;
        for r in matched {
            write_rule(f, r, "MATCH")?;
        }
        let near: Vec<_> = self
            .rules
            .iter()
            .filter(|r| r.matched.is_none() && r.failed() == 1 && r.outcome.children.len() > 1)
            .collect();
        if !near.is_empty() {
            writeln!(f, "near misses (one condition failed):")?;
            for r in near {
                write_rule(f, r, "NEAR")?;
            }
        }
        Ok(())
    }
}

impl RuleSet {
    /// The rules that match a header, in rule order, with their rectangles
    /// clipped to the image. `meta` serves the conditions on group 0002
    /// (without it they see the attribute as absent).
    ///
    /// # Errors
    ///
    /// [`MatchError::NoImageSize`] if Rows or Columns is absent or zero.
    pub fn matches(
        &self,
        ds: &InMemDicomObject,
        meta: Option<&FileMetaTable>,
    ) -> Result<Vec<RuleMatch<'_>>, MatchError> {
        let (columns, rows) = image_size(ds)?;
        Ok(self
            .rules()
            .iter()
            .filter(|r| evaluate(&r.when, ds, meta, false).holds)
            .map(|r| RuleMatch::new(r, columns, rows))
            .collect())
    }

    /// Every rule's outcome on a header, condition by condition, for
    /// people who write rules. Its `Display` lists the matching rules,
    /// the rectangles they blank, and the near misses (rules of which one
    /// top-level condition failed).
    ///
    /// # Errors
    ///
    /// [`MatchError::NoImageSize`] if Rows or Columns is absent or zero.
    ///
    /// # Security
    ///
    /// Only the values of [`SHOWN_ATTRIBUTES`] (device and image
    /// descriptions) are shown; a condition on any other attribute shows
    /// "(value not shown)", so an explanation does not print patient
    /// data even when a rule tests it.
    pub fn explain(
        &self,
        ds: &InMemDicomObject,
        meta: Option<&FileMetaTable>,
    ) -> Result<Explanation<'_>, MatchError> {
        let (columns, rows) = image_size(ds)?;
        let mut header = Vec::new();
        for tag in [
            tags::MODALITY,
            tags::SOP_CLASS_UID,
            tags::MANUFACTURER,
            tags::MANUFACTURER_MODEL_NAME,
            tags::IMAGE_TYPE,
            tags::BURNED_IN_ANNOTATION,
        ] {
            if let Some(e) = ds.get(tag) {
                let name = crate::rules::write::keyword_of(tag);
                header.push((name, text::value_text(ds, e.tag())));
            }
        }
        let rules = self
            .rules()
            .iter()
            .map(|r| {
                let outcome = evaluate(&r.when, ds, meta, true);
                RuleExplanation {
                    matched: outcome.holds.then(|| RuleMatch::new(r, columns, rows)),
                    rule: r,
                    outcome,
                }
            })
            .collect();
        Ok(Explanation {
            columns,
            rows,
            header,
            rules,
        })
    }
}
