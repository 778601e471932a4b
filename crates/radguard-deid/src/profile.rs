//! Profiles: the Basic Profile plus any of its options, and the rule they
//! give each attribute.

use std::fmt;
use std::str::FromStr;

use radguard_core::{AttrTag, Label};

use crate::table::{self, Action, OptAction, Pattern, Rule};

/// The options of PS3.15 Annex E: the ten that change Table E.1-1 actions,
/// and Clean Pixel Data, which works on the pixels.
///
/// (Clean Recognizable Visual Features is not offered: radguard cannot
/// remove faces from reconstructed volumes.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum DeidOption {
    /// E.3.10 Retain Safe Private Option (DCM 113111): `retain-safe-private`.
    RetainSafePrivate,
    /// E.3.9 Retain UIDs Option (DCM 113110): `retain-uids`.
    RetainUids,
    /// E.3.8 Retain Device Identity Option (DCM 113109): `retain-device-identity`.
    RetainDeviceIdentity,
    /// E.3.11 Retain Institution Identity Option (DCM 113112): `retain-institution-identity`.
    RetainInstitutionIdentity,
    /// E.3.7 Retain Patient Characteristics Option (DCM 113108): `retain-patient-characteristics`.
    RetainPatientCharacteristics,
    /// E.3.6 Retain Longitudinal Temporal Information Full Dates Option (DCM 113106): `retain-long-full-dates`.
    RetainLongFullDates,
    /// E.3.6 Retain Longitudinal Temporal Information Modified Dates Option (DCM 113107): `retain-long-modified-dates`.
    RetainLongModifiedDates,
    /// E.3.5 Clean Descriptors Option (DCM 113105): `clean-descriptors`.
    CleanDescriptors,
    /// E.3.4 Clean Structured Content Option (DCM 113104): `clean-structured-content`.
    CleanStructuredContent,
    /// E.3.3 Clean Graphics Option (DCM 113103): `clean-graphics`.
    CleanGraphics,
    /// E.3.1 Clean Pixel Data Option (DCM 113101): `clean-pixel-data`.
    ///
    /// Files that may carry burned-in text are cleaned (the text blanked in
    /// their pixels, where device rules, ultrasound regions or text
    /// detection place it) instead of refused. It has no column in
    /// Table E.1-1: it changes no attribute's action.
    CleanPixelData,
}

impl DeidOption {
    /// All options: the ten of Table E.1-1 in column order, then Clean
    /// Pixel Data.
    pub const ALL: [Self; 11] = [
        Self::RetainSafePrivate,
        Self::RetainUids,
        Self::RetainDeviceIdentity,
        Self::RetainInstitutionIdentity,
        Self::RetainPatientCharacteristics,
        Self::RetainLongFullDates,
        Self::RetainLongModifiedDates,
        Self::CleanDescriptors,
        Self::CleanStructuredContent,
        Self::CleanGraphics,
        Self::CleanPixelData,
    ];

    /// The option's column in Table E.1-1 (`None` for Clean Pixel Data,
    /// which has none).
    pub(crate) fn column(self) -> Option<usize> {
        match self {
            Self::CleanPixelData => None,
            _ => Self::ALL.iter().position(|o| *o == self),
        }
    }

    /// The option's position in [`Self::ALL`].
    fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }

    /// The command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::RetainSafePrivate => "retain-safe-private",
            Self::RetainUids => "retain-uids",
            Self::RetainDeviceIdentity => "retain-device-identity",
            Self::RetainInstitutionIdentity => "retain-institution-identity",
            Self::RetainPatientCharacteristics => "retain-patient-characteristics",
            Self::RetainLongFullDates => "retain-long-full-dates",
            Self::RetainLongModifiedDates => "retain-long-modified-dates",
            Self::CleanDescriptors => "clean-descriptors",
            Self::CleanStructuredContent => "clean-structured-content",
            Self::CleanGraphics => "clean-graphics",
            Self::CleanPixelData => "clean-pixel-data",
        }
    }

    /// The CID 7050 code value (DCM).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::RetainSafePrivate => "113111",
            Self::RetainUids => "113110",
            Self::RetainDeviceIdentity => "113109",
            Self::RetainInstitutionIdentity => "113112",
            Self::RetainPatientCharacteristics => "113108",
            Self::RetainLongFullDates => "113106",
            Self::RetainLongModifiedDates => "113107",
            Self::CleanDescriptors => "113105",
            Self::CleanStructuredContent => "113104",
            Self::CleanGraphics => "113103",
            Self::CleanPixelData => "113101",
        }
    }

    /// The CID 7050 code meaning.
    #[must_use]
    pub fn meaning(self) -> &'static str {
        table::CID7050
            .iter()
            .find(|(v, _, _)| *v == self.code())
            .map_or("", |(_, m, _)| m)
    }

    pub(crate) fn label(self) -> Label {
        Label::new(self.name())
    }
}

impl fmt::Display for DeidOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error parsing an option name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown de-identification option {0:?}; known: retain-safe-private, retain-uids, retain-device-identity, retain-institution-identity, retain-patient-characteristics, retain-long-full-dates, retain-long-modified-dates, clean-descriptors, clean-structured-content, clean-graphics, clean-pixel-data"
)]
pub struct UnknownOption(pub String);

impl FromStr for DeidOption {
    type Err = UnknownOption;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|o| o.name() == s)
            .ok_or_else(|| UnknownOption(s.to_owned()))
    }
}

/// Where an attribute's effective rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleSource {
    /// The Basic Profile column of a concrete row of Table E.1-1.
    Basic,
    /// A selected option's column.
    Option(DeidOption),
    /// A pattern row (curves, overlays, private attributes).
    Pattern,
    /// Not listed in Table E.1-1: kept (except radguard's extension for
    /// person names, see [`Explanation`]).
    NotListed,
    /// radguard's extension: a person name (VR PN) not listed in Table
    /// E.1-1 is treated as Z.
    Extension,
}

/// The rule a profile gives one attribute, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// The attribute.
    pub tag: AttrTag,
    /// Its name in Table E.1-1, if listed there.
    pub name: Option<&'static str>,
    /// The Basic Profile cell.
    pub basic: Option<Rule>,
    /// The option cells that apply (selected options with a K or C).
    pub option_actions: Vec<(DeidOption, Action)>,
    /// The effective rule.
    pub effective: Rule,
    /// Where it comes from.
    pub source: RuleSource,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.tag,
            self.name.unwrap_or("(not listed in Table E.1-1)")
        )?;
        if let Some(b) = self.basic {
            write!(f, "\n  Basic Profile: {b}")?;
        }
        for (o, a) in &self.option_actions {
            write!(f, "\n  option {o}: {a}")?;
        }
        write!(
            f,
            "\n  effective: {} ({})",
            self.effective,
            describe(self.effective)
        )?;
        match self.source {
            RuleSource::Basic => write!(f, " from the Basic Profile"),
            RuleSource::Option(o) => write!(f, " from option {o}"),
            RuleSource::Pattern => write!(f, " from a pattern row"),
            RuleSource::NotListed => write!(f, "; not listed, so kept"),
            RuleSource::Extension => write!(f, "; radguard extension: person names are emptied"),
        }
    }
}

fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::X => "remove",
        Rule::Z => "empty, or a pseudonym for Patient's Name and ID",
        Rule::D => "dummy value; on a sequence: keep the items, dummy their identifying values",
        Rule::K => "keep; on a sequence: keep and process its items",
        Rule::C => "clean: shift dates, scrub text; on a sequence: clean its items",
        Rule::U => "replace each UID with a keyed 2.25 UID",
        Rule::ZD => "dummy value if present and not empty, else empty",
        Rule::XZ => "empty if present",
        Rule::XD => "dummy value if present",
        Rule::XZD => "dummy value if present and not empty, else empty",
        Rule::XZU => "keep the sequence and replace the UIDs it contains",
    }
}

/// A de-identification profile: the Basic Application Level
/// Confidentiality Profile with a set of options.
///
/// # Examples
///
/// ```
/// use radguard_core::AttrTag;
/// use radguard_deid::{DeidOption, Profile, Rule};
///
/// let basic = Profile::basic();
/// assert_eq!(basic.explain(AttrTag::new(0x0008, 0x0020)).effective, Rule::Z); // Study Date
///
/// let p = Profile::builder().option(DeidOption::RetainLongModifiedDates).build()?;
/// assert_eq!(p.explain(AttrTag::new(0x0008, 0x0020)).effective, Rule::C); // shifted
/// # Ok::<(), radguard_deid::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    options: [bool; 11],
    pub(crate) allow_burned_in: bool,
    pub(crate) trust_declared_private: bool,
    pub(crate) keep_free_text: Vec<AttrTag>,
}

impl Profile {
    /// The Basic Profile without options.
    #[must_use]
    pub fn basic() -> Self {
        Self {
            options: [false; 11],
            allow_burned_in: false,
            trust_declared_private: false,
            keep_free_text: Vec::new(),
        }
    }

    /// `true` if unlisted free text of `tag` is kept (cleaned), see
    /// [`ProfileBuilder::keep_free_text`].
    #[must_use]
    pub fn keeps_free_text(&self, tag: AttrTag) -> bool {
        self.keep_free_text.contains(&tag)
    }

    /// `true` if data sets' own declarations of safe private blocks are
    /// honoured, see [`ProfileBuilder::trust_declared_private`].
    #[must_use]
    pub fn trusts_declared_private(&self) -> bool {
        self.trust_declared_private
    }

    /// A builder starting from the Basic Profile.
    #[must_use]
    pub fn builder() -> ProfileBuilder {
        ProfileBuilder {
            profile: Self::basic(),
        }
    }

    /// `true` if the option is selected.
    #[must_use]
    pub fn has(&self, option: DeidOption) -> bool {
        self.options[option.index()]
    }

    /// The selected options in table column order.
    #[must_use]
    pub fn options(&self) -> Vec<DeidOption> {
        DeidOption::ALL
            .into_iter()
            .filter(|o| self.has(*o))
            .collect()
    }

    /// The rule for `tag` and where it comes from.
    ///
    /// When several selected options give a tag different actions, the one
    /// that retains least wins (C before K): asking to retain one kind of
    /// information never weakens what another option protects.
    #[must_use]
    pub fn explain(&self, tag: AttrTag) -> Explanation {
        let (name, basic, options) = if let Some(r) = table::row(tag) {
            (Some(r.name), Some(r.rule), r.options)
        } else if let Some(p) = table::pattern_row(tag) {
            (Some(p.name), Some(p.rule), p.options)
        } else {
            (None, None, [None; 10])
        };
        let option_actions: Vec<(DeidOption, Action)> = DeidOption::ALL
            .into_iter()
            .filter(|o| self.has(*o))
            .filter_map(|o| {
                let column = o.column()?;
                options[column].map(|a: OptAction| (o, a.action()))
            })
            .collect();
        let chosen = option_actions
            .iter()
            .min_by_key(|(_, a)| a.retention())
            .copied();
        let (effective, source) = match (chosen, basic) {
            (Some((o, a)), _) => (action_rule(a), RuleSource::Option(o)),
            (None, Some(b)) => {
                let src = if table::row(tag).is_some() {
                    RuleSource::Basic
                } else {
                    RuleSource::Pattern
                };
                (b, src)
            }
            (None, None) => (Rule::K, RuleSource::NotListed),
        };
        Explanation {
            tag,
            name,
            basic,
            option_actions,
            effective,
            source,
        }
    }

    /// The effective rule for a tag (see [`Profile::explain`]).
    #[must_use]
    pub fn rule(&self, tag: AttrTag) -> Rule {
        self.explain(tag).effective
    }

    /// The pattern covering `tag`, if any.
    pub(crate) fn pattern(tag: AttrTag) -> Option<Pattern> {
        if table::row(tag).is_some() {
            return None;
        }
        table::pattern_row(tag).map(|p| p.pattern)
    }

    /// Value for (0028,0303) Longitudinal Temporal Information Modified.
    pub(crate) fn temporal_marker(&self) -> &'static str {
        if self.has(DeidOption::RetainLongFullDates) {
            "UNMODIFIED"
        } else if self.has(DeidOption::RetainLongModifiedDates) {
            "MODIFIED"
        } else {
            "REMOVED"
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::basic()
    }
}

fn action_rule(a: Action) -> Rule {
    match a {
        Action::X => Rule::X,
        Action::Z => Rule::Z,
        Action::D => Rule::D,
        Action::K => Rule::K,
        Action::C => Rule::C,
        Action::U => Rule::U,
    }
}

/// Builds a [`Profile`].
#[derive(Debug, Clone)]
pub struct ProfileBuilder {
    profile: Profile,
}

impl ProfileBuilder {
    /// Selects an option.
    #[must_use]
    pub fn option(mut self, option: DeidOption) -> Self {
        self.profile.options[option.index()] = true;
        self
    }

    /// Selects several options.
    #[must_use]
    pub fn options(mut self, options: impl IntoIterator<Item = DeidOption>) -> Self {
        for o in options {
            self = self.option(o);
        }
        self
    }

    /// Lets files with (possibly) burned-in annotation through with only
    /// their header de-identified. Off by default.
    ///
    /// # Security
    ///
    /// radguard does not clean pixel data. A file that may show identifying
    /// text in its pixels stays identifying; such outputs are marked Patient
    /// Identity Removed = NO and recorded in the audit.
    #[must_use]
    pub fn allow_burned_in(mut self, yes: bool) -> Self {
        self.profile.allow_burned_in = yes;
        self
    }

    /// With Retain Safe Private, also honours what a data set declares about
    /// its own private blocks in the Private Data Element Characteristics
    /// Sequence (0008,0300): blocks and elements it calls safe, and the
    /// actions it asks for. Off by default: only Table E.3.10-1 decides.
    ///
    /// # Security
    ///
    /// The declaration comes from the file being de-identified: a hostile or
    /// careless sender can call anything safe. Turn this on only for
    /// sources you trust; the audit counts the elements kept on its word.
    #[must_use]
    pub fn trust_declared_private(mut self, yes: bool) -> Self {
        self.profile.trust_declared_private = yes;
        self
    }

    /// Keeps (cleaned, not replaced) the free text of a public LT, ST, UT or
    /// UC attribute that Table E.1-1 does not list. By default such text is
    /// replaced by a dummy value, because free text outside the table can
    /// hold anything (reports, comments, names).
    ///
    /// # Examples
    ///
    /// ```
    /// use radguard_core::AttrTag;
    /// use radguard_deid::Profile;
    ///
    /// let lut_explanation = AttrTag::new(0x0028, 0x3003);
    /// let p = Profile::builder().keep_free_text(lut_explanation).build()?;
    /// assert!(p.keeps_free_text(lut_explanation));
    /// # Ok::<(), radguard_deid::Error>(())
    /// ```
    #[must_use]
    pub fn keep_free_text(mut self, tag: AttrTag) -> Self {
        if !self.profile.keep_free_text.contains(&tag) {
            self.profile.keep_free_text.push(tag);
        }
        self
    }

    /// Finishes the profile.
    ///
    /// # Errors
    ///
    /// [`crate::Error::ConflictingOptions`] if both longitudinal temporal
    /// options are selected (they are alternatives).
    pub fn build(self) -> Result<Profile, crate::Error> {
        let p = self.profile;
        if p.has(DeidOption::RetainLongFullDates) && p.has(DeidOption::RetainLongModifiedDates) {
            return Err(crate::Error::ConflictingOptions {
                a: DeidOption::RetainLongFullDates,
                b: DeidOption::RetainLongModifiedDates,
            });
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_round_trip() {
        for o in DeidOption::ALL {
            assert_eq!(o.name().parse::<DeidOption>().unwrap(), o);
            assert!(!o.meaning().is_empty(), "{o}");
        }
        assert!("retain-everything".parse::<DeidOption>().is_err());
    }

    #[test]
    fn options_override_and_least_retention_wins() {
        let t = AttrTag::new(0x0018, 0x1000); // Device Serial Number: X/Z/D, dev id K
        assert_eq!(Profile::basic().rule(t), Rule::XZD);
        let p = Profile::builder()
            .option(DeidOption::RetainDeviceIdentity)
            .build()
            .unwrap();
        assert_eq!(p.rule(t), Rule::K);
        // Date of Last Calibration: dev id K and modified dates C -> C wins.
        let t = AttrTag::new(0x0018, 0x1200);
        let p = Profile::builder()
            .options([
                DeidOption::RetainDeviceIdentity,
                DeidOption::RetainLongModifiedDates,
            ])
            .build()
            .unwrap();
        let e = p.explain(t);
        assert_eq!(e.option_actions.len(), 2, "{e}");
        assert_eq!(e.effective, Rule::C);
        assert_eq!(
            e.source,
            RuleSource::Option(DeidOption::RetainLongModifiedDates)
        );
    }

    #[test]
    fn date_options_conflict() {
        assert!(
            Profile::builder()
                .options([
                    DeidOption::RetainLongFullDates,
                    DeidOption::RetainLongModifiedDates
                ])
                .build()
                .is_err()
        );
    }

    #[test]
    fn unlisted_and_private() {
        let e = Profile::basic().explain(AttrTag::new(0x0028, 0x0010));
        assert_eq!(e.effective, Rule::K);
        assert_eq!(e.source, RuleSource::NotListed);
        let e = Profile::basic().explain(AttrTag::new(0x0029, 0x1010));
        assert_eq!(e.effective, Rule::X);
        let p = Profile::builder()
            .option(DeidOption::RetainSafePrivate)
            .build()
            .unwrap();
        assert_eq!(p.rule(AttrTag::new(0x0029, 0x1010)), Rule::C);
    }
}
