//! The de-identification walk: every attribute of every data set, sequence
//! action first, then recursion into the items that remain.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use dicom_core::header::Header;
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;
use dicom_object::mem::InMemElement;
use radguard_core::AttrPath;
use radguard_dicom::tags::{self, PATIENT_ID, PATIENT_NAME, to_attr as attr};
use radguard_dicom::text::{self, private_creators, strings, trim_padding, trim_value};
use radguard_dicom::{Descend, visit_datasets_with};

use crate::hook::{Hook, HookAction, HookContext};
use crate::keys::DeidKey;
use crate::profile::{DeidOption, Profile, RuleSource};
use crate::report::Counts;
use crate::table::{self, Action, Pattern, Rule};
use crate::values::{self, Offset, Scrubber};

/// How identifying leaves are treated inside a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The table alone decides.
    Normal,
    /// Inside a sequence whose action is D: unlisted text and dates become
    /// dummies too, coded concepts stay (so SR templates stay valid).
    Dummy,
    /// Inside a sequence whose action is C: unlisted text is cleaned.
    Clean,
}

/// The patient the file belongs to, as far as keyed derivations go.
#[derive(Debug, Clone)]
pub(crate) struct Patient {
    pub(crate) pseudonym: String,
    pub(crate) offset: Offset,
}

#[derive(Debug, Clone)]
enum Op {
    Remove,
    Empty,
    Dummy,
    Keep,
    Clean,
    Uid,
    Pseudonym,
    Replace(String),
    EmptySequence,
    Recurse(Mode),
    /// A kept text value: the same-file scrubber removes the patient's own
    /// identifiers from it (not counted as a C action).
    Scrub,
    /// A kept value of a string VR that arrived as bytes: written back as
    /// text, unchanged.
    AsText,
    /// A safe private sequence that arrived as opaque bytes, parsed: put
    /// the items in and de-identify them.
    ParsedSequence(Vec<InMemDicomObject>),
    /// A safe private attribute that arrived as UN, kept with the VR of
    /// Table E.3.10-1.
    Retype(VR),
}

pub(crate) struct Engine<'a> {
    pub(crate) profile: &'a Profile,
    /// The Specific Character Set of the top-level data set, for text
    /// attributes that arrive as bytes.
    pub(crate) charset: &'a dicom_encoding::text::SpecificCharacterSet,
    pub(crate) read: &'a radguard_dicom::ReadOptions,
    pub(crate) key: &'a DeidKey,
    pub(crate) patient: &'a Patient,
    pub(crate) scrubber: &'a Scrubber,
    /// The scrubber of the patient's identity only (names, IDs, dates),
    /// for code strings and AE titles: terms of other removed attributes
    /// (a Study Description "WHOLE BODY") are not identities, and code
    /// strings hold enumerated values.
    pub(crate) identity_scrubber: &'a Scrubber,
    pub(crate) hooks: &'a [Arc<dyn Hook>],
    pub(crate) counts: Counts,
    /// UID pairs (original, replacement), when a mapping is asked for.
    pub(crate) uid_pairs: Option<Vec<(String, String)>>,
}

/// Attributes Table E.1-1 marks X that an IOD requires when present in
/// the original (Type 1, or Type 2C whose condition the original met):
/// removing them would make the output invalid, so they get a dummy (D) or
/// an empty value (Z) instead. Either way no original value remains.
const REQUIRED_WHEN_PRESENT: &[(Tag, Rule)] = &[
    // Type 1 in the Presentation State Identification Module.
    (tags::PRESENTATION_CREATION_DATE, Rule::D),
    (tags::PRESENTATION_CREATION_TIME, Rule::D),
    // Type 2C in the Patient Module (non-human patients).
    (tags::RESPONSIBLE_PERSON, Rule::Z),
    (tags::RESPONSIBLE_ORGANIZATION, Rule::Z),
];

/// Attributes of coded entries (Code Value, Coding Scheme Designator, Code
/// Meaning, ...), which carry concepts, not identities.
pub(crate) fn is_code_attribute(tag: Tag) -> bool {
    tag.0 == 0x0008 && (0x0100..=0x0122).contains(&tag.1)
}

static KEYWORD_TAGS: LazyLock<HashMap<&'static str, Tag>> = LazyLock::new(|| {
    table::ROWS
        .iter()
        .map(|r| {
            (
                r.keyword,
                Tag((r.tag >> 16) as u16, (r.tag & 0xFFFF) as u16),
            )
        })
        .collect()
});

fn keyword(tag: Tag) -> Option<&'static str> {
    table::row(attr(tag)).map(|r| r.keyword)
}

/// What a data set says about its own private blocks (PS3.15 E.3.10 via
/// the Private Data Element Characteristics Sequence (0008,0300)).
#[derive(Debug, Default)]
struct Declared {
    /// (group, creator) -> all elements safe
    safe_blocks: HashSet<(u16, String)>,
    /// (group, creator, element byte) safe
    safe_elements: HashSet<(u16, String, u8)>,
    /// (group, creator, element byte) -> action
    actions: HashMap<(u16, String, u8), Action>,
}

fn declared_private(obj: &InMemDicomObject) -> Declared {
    let mut d = Declared::default();
    let Some(items) = obj
        .get(tags::PRIVATE_DATA_ELEMENT_CHARACTERISTICS_SEQUENCE)
        .and_then(|e| e.items())
    else {
        return d;
    };
    for item in items {
        let group = item
            .get(tags::PRIVATE_GROUP_REFERENCE)
            .and_then(|e| e.value().to_int::<u16>().ok());
        let creator = item
            .get(tags::PRIVATE_CREATOR_REFERENCE)
            .and_then(|e| e.value().to_str().ok())
            .map(|s| trim_value(&s).to_owned());
        let (Some(group), Some(creator)) = (group, creator) else {
            continue;
        };
        let status = item
            .get(tags::BLOCK_IDENTIFYING_INFORMATION_STATUS)
            .and_then(|e| e.value().to_str().ok())
            .map(|s| trim_value(&s).to_owned());
        match status.as_deref() {
            Some("SAFE") => {
                d.safe_blocks.insert((group, creator.clone()));
            }
            Some("MIXED") => {
                if let Some(v) = item
                    .get(tags::NONIDENTIFYING_PRIVATE_ELEMENTS)
                    .and_then(|e| e.value().to_multi_int::<u16>().ok())
                {
                    for el in v {
                        if let Ok(b) = u8::try_from(el & 0xFF) {
                            d.safe_elements.insert((group, creator.clone(), b));
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(acts) = item
            .get(tags::DEIDENTIFICATION_ACTION_SEQUENCE)
            .and_then(|e| e.items())
        {
            for a in acts {
                let action = a
                    .get(tags::DEIDENTIFICATION_ACTION)
                    .and_then(|e| e.value().to_str().ok())
                    .and_then(|s| match trim_value(&s) {
                        "D" => Some(Action::D),
                        "Z" => Some(Action::Z),
                        "X" => Some(Action::X),
                        "U" => Some(Action::U),
                        _ => None,
                    });
                let elems = a
                    .get(tags::IDENTIFYING_PRIVATE_ELEMENTS)
                    .and_then(|e| e.value().to_multi_int::<u16>().ok());
                if let (Some(action), Some(elems)) = (action, elems) {
                    for el in elems {
                        if let Ok(b) = u8::try_from(el & 0xFF) {
                            d.actions.insert((group, creator.clone(), b), action);
                        }
                    }
                }
            }
        }
    }
    d
}

/// The VR to act on: the standard dictionary's, whatever the file claims
/// (a PN attribute stored as LO is still a person name, a Study
/// Description sent as OB is still text); the stored VR for private
/// attributes and where the dictionary allows several.
fn effective_vr(tag: Tag, stored: VR) -> VR {
    if tag.0 % 2 == 1 {
        return stored;
    }
    if let Some(vr) = tags::dictionary_vr(tag) {
        return vr;
    }
    if stored == VR::UN {
        use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
        return dicom_dictionary_std::StandardDataDictionary
            .by_tag(tag)
            .map(|e| e.vr().relaxed())
            .filter(|v| *v != VR::SQ)
            .unwrap_or(stored);
    }
    stored
}

/// `true` if one value is within its VR's maximum length (PS3.5 Table
/// 6.2-1; per component group for PN).
fn fits_length(vr: VR, v: &str) -> bool {
    let max = match vr {
        VR::AE | VR::CS | VR::SH => 16,
        VR::LO | VR::PN => 64,
        VR::ST => 1024,
        VR::LT => 10240,
        _ => return true,
    };
    if vr == VR::PN {
        v.split('=').all(|g| g.chars().count() <= max)
    } else {
        v.chars().count() <= max
    }
}

/// VRs whose values are character strings.
fn is_string_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::ST
            | VR::TM
            | VR::UC
            | VR::UI
            | VR::UR
            | VR::UT
    )
}

/// VRs of free text and names, which the same-file scrubber cleans when
/// they are kept.
fn is_scrubbed_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE | VR::CS | VR::LO | VR::LT | VR::PN | VR::SH | VR::ST | VR::UC | VR::UT
    )
}

/// String VRs whose syntax [`text::conforms`] checks.
fn is_checked_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE | VR::AS | VR::CS | VR::DA | VR::DS | VR::DT | VR::IS | VR::TM
    )
}

/// `true` for binary VRs that can carry text bytes.
fn is_bytes_vr(vr: VR) -> bool {
    matches!(vr, VR::OB | VR::OW | VR::UN)
}

/// Something shaped like a UID (four or more numeric components), as found
/// in URLs that point at a study or an instance.
static UID_SHAPED: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"[0-9]+(\.[0-9]+){3,}").unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

impl Engine<'_> {
    /// De-identifies a data set and, recursively, the items of the
    /// sequences it keeps.
    pub(crate) fn run(&mut self, obj: &mut InMemDicomObject) -> Result<(), crate::Error> {
        visit_datasets_with(obj, &Mode::Normal, &mut |path, ds, mode| {
            Ok::<_, crate::Error>(Descend::Only(self.dataset(ds, path, *mode)))
        })
    }

    /// De-identifies the attributes of one data set; returns the sequences
    /// to recurse into, with the mode for their items.
    fn dataset(
        &mut self,
        obj: &mut InMemDicomObject,
        path: &AttrPath,
        mode: Mode,
    ) -> Vec<(Tag, Mode)> {
        let creators = private_creators(obj);
        let declared = declared_private(obj);
        let shifted = self.paired_shifts(obj);
        let tags: Vec<Tag> = obj.tags().collect();
        let mut recurse: Vec<(Tag, Mode)> = Vec::new();
        let mut kept_blocks: HashSet<(u16, u8)> = HashSet::new();
        let mut creator_tags = Vec::new();

        for tag in tags {
            let at = attr(tag);
            if at.is_private_creator() {
                creator_tags.push(tag);
                continue;
            }
            let Some(elem) = obj.get(tag) else { continue };
            let vr = effective_vr(tag, elem.vr());
            let here = path.child(at);
            let creator = if at.is_private() {
                u8::try_from(tag.1 >> 8)
                    .ok()
                    .and_then(|b| creators.get(&(tag.0, b)))
            } else {
                None
            };
            let (mut op, planned) =
                self.decide(tag, elem, mode, creator.map(String::as_str), &declared);
            // Site hooks have the last word.
            let mut overridden = false;
            for h in self.hooks {
                let ctx = HookContext {
                    path: &here,
                    tag: at,
                    vr: vr.to_string(),
                    private_creator: creator.map(String::as_str),
                    action: planned,
                };
                if let Some(a) = h.action(&ctx) {
                    overridden = true;
                    self.counts.hook_overrides += 1;
                    op = match a {
                        HookAction::Keep if vr == VR::SQ => Op::Recurse(mode),
                        HookAction::Keep => Op::Keep,
                        HookAction::Remove => Op::Remove,
                        HookAction::Empty if vr == VR::SQ => Op::EmptySequence,
                        HookAction::Empty => Op::Empty,
                        HookAction::Replace(s) => Op::Replace(s),
                    };
                }
            }
            if !overridden && matches!(op, Op::Keep) {
                op = self.refine_keep(elem, vr);
            }
            if at.is_private() && !matches!(op, Op::Remove) {
                if let Ok(b) = u8::try_from(tag.1 >> 8) {
                    kept_blocks.insert((tag.0, b));
                }
                self.counts.private_kept += 1;
            }
            self.apply(obj, tag, vr, op, planned, &shifted, &mut recurse);
        }
        // A private creator stays only if its block kept an element.
        for t in creator_tags {
            let keep = u8::try_from(t.1).is_ok_and(|b| kept_blocks.contains(&(t.0, b)));
            if !keep {
                obj.remove_element(t);
                self.counts.private_removed += 1;
            }
        }
        recurse
    }

    /// The operation for one element, and the action it stands for.
    fn decide(
        &mut self,
        tag: Tag,
        elem: &InMemElement,
        mode: Mode,
        creator: Option<&str>,
        declared: &Declared,
    ) -> (Op, Action) {
        let at = attr(tag);
        let vr = effective_vr(tag, elem.vr());
        let is_seq = vr == VR::SQ;
        // Structure first, as the dictionary says it must be, whatever the
        // file claims.
        if tag.0 == 0x0000 || tag.0 == 0x0002 {
            // Command (0000) and file meta (0002) elements do not belong in
            // a data set, at any depth (PS3.10 §7.1): Error Comment, Move
            // Originator AE Title, Source AE Title, Private Information...
            self.counts.misplaced_groups_removed += 1;
            return (Op::Remove, Action::X);
        }
        if tag.0 == 0x0004 {
            // PS3.15 E.1.1: group 0004 is removed from non-DICOMDIR instances.
            self.counts.group_0004_removed += 1;
            return (Op::Remove, Action::X);
        }
        if tags::is_forbidden_group(tag.0) {
            // Odd groups PS3.5 §7.8.1 does not allow (0001-0007, FFFF): not
            // private attributes, not standard ones; nothing to keep.
            self.counts.forbidden_groups_removed += 1;
            return (Op::Remove, Action::X);
        }
        if at.is_private() {
            return self.decide_private(tag, elem, creator, declared);
        }
        let holds_items = elem.items().is_some();
        if is_seq != holds_items && (is_seq || tags::dictionary_vr(tag).is_some()) {
            // A sequence attribute whose value is not a (parseable)
            // sequence, or a sequence where the dictionary says a value
            // goes: its content cannot be judged, so it goes.
            if elem.vr() == VR::UN {
                self.counts.opaque_sequences_removed += 1;
            } else {
                self.counts.structure_mismatch_removed += 1;
            }
            return (Op::Remove, Action::X);
        }
        if (0x6000..=0x601E).contains(&tag.0) && tag.0.is_multiple_of(2) {
            // Overlays: the bitmap (60xx,3000) is removed (radguard cannot
            // check it for burned-in text, even under Clean Graphics), so the
            // whole overlay group goes with it: an Overlay Plane without its
            // data would make the object invalid.
            self.counts.curves_overlays_removed += 1;
            return (Op::Remove, Action::X);
        }
        if let Some(p) = Profile::pattern(at) {
            return match (p, self.profile.rule(at)) {
                // Overlay comments are text and can be cleaned; curve and
                // overlay bitmaps cannot be checked for burned-in text, so
                // they are removed even under Clean Graphics.
                (Pattern::OverlayComments, Rule::C) => (Op::Clean, Action::C),
                _ => {
                    self.counts.curves_overlays_removed += 1;
                    (Op::Remove, Action::X)
                }
            };
        }
        let explanation = self.profile.explain(at);
        let mut rule = explanation.effective;
        if explanation.source == RuleSource::NotListed && !tags::is_known(tag) {
            // A public attribute the standard does not define: nothing says
            // what it holds.
            self.counts.unknown_public_removed += 1;
            return (Op::Remove, Action::X);
        }
        if explanation.source == RuleSource::NotListed {
            rule = self.unlisted_rule(tag, vr, mode);
        } else if rule == Rule::X
            && let Some(keep) = REQUIRED_WHEN_PRESENT
                .iter()
                .find(|(t, _)| *t == tag)
                .map(|(_, r)| *r)
        {
            rule = keep;
        }
        let empty = text::is_blank(elem.value());
        // Composite actions keep the attribute present (with no identifying
        // content) so the output stays valid for its IOD whatever the
        // attribute's type there.
        let action = match rule {
            Rule::ZD | Rule::XZD => {
                if empty {
                    Action::Z
                } else {
                    Action::D
                }
            }
            Rule::XZ => Action::Z,
            Rule::XD => Action::D,
            // X/Z/U* keeps a sequence and replaces the UIDs inside it; a
            // value where a sequence belongs has no UIDs to replace and is
            // emptied (the attribute stays present, as for X/Z).
            Rule::XZU if is_seq => Action::K,
            Rule::XZU => Action::Z,
            other => other.single().unwrap_or(Action::X),
        };
        let op = if is_seq {
            match action {
                Action::X => Op::Remove,
                // X/Z on a sequence: an empty sequence is invalid where the
                // sequence is Type 3 ("one or more items"), so a non-empty
                // one keeps its items with their identifying values replaced
                // (Z allows "a non-zero length value that may be a dummy").
                Action::Z if rule == Rule::XZ && !empty => Op::Recurse(Mode::Dummy),
                Action::Z => Op::EmptySequence,
                Action::D => Op::Recurse(Mode::Dummy),
                Action::C => Op::Recurse(Mode::Clean),
                _ => Op::Recurse(mode),
            }
        } else {
            match action {
                Action::X => Op::Remove,
                Action::Z if tag == PATIENT_NAME || tag == PATIENT_ID => Op::Pseudonym,
                Action::Z => Op::Empty,
                Action::D if tag == PATIENT_NAME || tag == PATIENT_ID => Op::Pseudonym,
                Action::D | Action::U if vr == VR::UI => Op::Uid,
                Action::D | Action::U => Op::Dummy,
                Action::K => Op::Keep,
                Action::C => Op::Clean,
            }
        };
        (op, action)
    }

    /// Rule for an attribute Table E.1-1 does not list.
    fn unlisted_rule(&self, tag: Tag, vr: VR, mode: Mode) -> Rule {
        if vr == VR::PN {
            // radguard extension: a person name is identifying by nature.
            return Rule::Z;
        }
        if is_code_attribute(tag) {
            return Rule::K;
        }
        if mode == Mode::Normal {
            return if matches!(vr, VR::LT | VR::ST | VR::UT | VR::UC)
                && !self.profile.keeps_free_text(attr(tag))
            {
                // radguard extension: free text outside Table E.1-1
                // (document titles, comments, explanations) can hold
                // anything; a dummy keeps the attribute present for IODs
                // that require it.
                Rule::D
            } else {
                Rule::K
            };
        }
        if values::is_temporal_vr(vr) {
            return if self.profile.has(DeidOption::RetainLongFullDates) {
                Rule::K
            } else if self.profile.has(DeidOption::RetainLongModifiedDates) {
                Rule::C
            } else {
                Rule::D
            };
        }
        if values::is_text_vr(vr) {
            return match mode {
                Mode::Dummy => Rule::D,
                _ => Rule::C,
            };
        }
        Rule::K
    }

    fn decide_private(
        &mut self,
        tag: Tag,
        elem: &InMemElement,
        creator: Option<&str>,
        declared: &Declared,
    ) -> (Op, Action) {
        let remove = |c: &mut u64| {
            *c += 1;
            (Op::Remove, Action::X)
        };
        if !self.profile.has(DeidOption::RetainSafePrivate) {
            return remove(&mut self.counts.private_removed);
        }
        let Some(creator) = creator else {
            // No creator: the block cannot be identified, so not be judged safe.
            return remove(&mut self.counts.private_removed);
        };
        let el = u8::try_from(tag.1 & 0xFF).unwrap_or(0);
        let is_seq = elem.items().is_some();
        if let Some(row) = table::safe_private(creator, tag.0, el) {
            return self.safe_private(tag, elem, row.vr);
        }
        if !self.profile.trusts_declared_private() {
            return remove(&mut self.counts.private_removed);
        }
        let declared_safe = declared.safe_blocks.contains(&(tag.0, creator.to_owned()))
            || declared
                .safe_elements
                .contains(&(tag.0, creator.to_owned(), el));
        let decision = if declared_safe {
            if is_seq {
                (Op::Recurse(Mode::Normal), Action::K)
            } else {
                (Op::Keep, Action::K)
            }
        } else {
            match declared.actions.get(&(tag.0, creator.to_owned(), el)) {
                Some(Action::Z) if is_seq => (Op::EmptySequence, Action::Z),
                Some(Action::Z) => (Op::Empty, Action::Z),
                Some(Action::D) if is_seq => (Op::Recurse(Mode::Dummy), Action::D),
                Some(Action::D) => (Op::Dummy, Action::D),
                Some(Action::U) => (Op::Uid, Action::U),
                _ => return remove(&mut self.counts.private_removed),
            }
        };
        self.counts.declared_private_honoured += 1;
        decision
    }

    /// A private attribute Table E.3.10-1 lists as safe, with the VR(s) the
    /// table gives (`OW/OB`, or empty when the table gives none): kept only
    /// if what arrived has that VR, or arrived as UN with a value of that
    /// shape (a sequence that parses, numbers of the right size, text of
    /// the right syntax).
    fn safe_private(&mut self, tag: Tag, elem: &InMemElement, table_vr: &str) -> (Op, Action) {
        let allowed: Vec<VR> = table_vr
            .split('/')
            .filter_map(|v| <[u8; 2]>::try_from(v.trim().as_bytes()).ok())
            .filter_map(VR::from_binary)
            .collect();
        let stored = elem.vr();
        let is_seq = elem.items().is_some();
        let keep = (Op::Keep, Action::K);
        let mismatch = |c: &mut u64| {
            *c += 1;
            (Op::Remove, Action::X)
        };
        if allowed.is_empty() {
            // The table gives no VR: keep what arrived, judged like any
            // kept value.
            return if is_seq {
                (Op::Recurse(Mode::Normal), Action::K)
            } else {
                keep
            };
        }
        if allowed.contains(&VR::SQ) {
            if is_seq {
                return (Op::Recurse(Mode::Normal), Action::K);
            }
            // A safe sequence that arrived as bytes (Implicit VR, or UN):
            // parse it as PS3.5 §6.2.2 says it is encoded, and judge its
            // items on their own merits; what does not parse goes.
            let parsed = elem
                .value()
                .to_bytes()
                .ok()
                .filter(|_| is_bytes_vr(stored))
                .and_then(|b| self.read.items_from_bytes(tag, &b, 1).ok());
            return match parsed {
                Some(items) => {
                    self.counts.private_sequences_parsed += 1;
                    (Op::ParsedSequence(items), Action::K)
                }
                None => mismatch(&mut self.counts.private_vr_mismatch_removed),
            };
        }
        if is_seq {
            return mismatch(&mut self.counts.private_vr_mismatch_removed);
        }
        if allowed.contains(&stored) {
            return keep;
        }
        if stored == VR::UN
            && let Some(vr) = allowed.first().copied()
            && self.has_shape_of(elem, vr)
        {
            return (Op::Retype(vr), Action::K);
        }
        mismatch(&mut self.counts.private_vr_mismatch_removed)
    }

    /// `true` if the bytes of a UN value could be a value of `vr`.
    fn has_shape_of(&self, elem: &InMemElement, vr: VR) -> bool {
        let Ok(bytes) = elem.value().to_bytes() else {
            return false;
        };
        let n = bytes.len();
        match vr {
            VR::FL | VR::SL | VR::UL | VR::AT | VR::OF | VR::OL => n % 4 == 0,
            VR::FD | VR::SV | VR::UV | VR::OD | VR::OV => n % 8 == 0,
            VR::US | VR::SS | VR::OW => n % 2 == 0,
            VR::OB | VR::UN => true,
            vr if is_string_vr(vr) => {
                let text = text::decode(&bytes, self.charset);
                let max = match vr {
                    VR::SH => 16,
                    VR::LO => 64,
                    VR::ST => 1024,
                    VR::LT => 10240,
                    _ => usize::MAX,
                };
                let controls_ok = |s: &str| {
                    s.chars().all(|c| {
                        !c.is_control()
                            || (matches!(vr, VR::LT | VR::ST | VR::UT)
                                && matches!(c, '\r' | '\n' | '\t' | '\u{c}'))
                    })
                };
                trim_padding(&text)
                    .split('\\')
                    .all(|v| v.chars().count() <= max && controls_ok(v) && text::conforms(vr, v))
            }
            _ => false,
        }
    }

    /// Refines a K decision: a kept value must still fit its VR and carry
    /// no identity (radguard extensions of E.1-1's K, see the crate docs).
    fn refine_keep(&mut self, elem: &InMemElement, vr: VR) -> Op {
        if !is_string_vr(vr) {
            return Op::Keep;
        }
        if is_code_attribute(elem.tag()) {
            // Coded concepts name concepts, not people (PS3.15 keeps them).
            return Op::Keep;
        }
        let values = self.texts(elem, vr);
        let present = || {
            values
                .iter()
                .map(|v| trim_value(v))
                .filter(|v| !v.is_empty())
        };
        match vr {
            // Every UID that is not one the standard defines may point at a
            // patient's instance (PS3.15 E.1.1: all references to other SOP
            // Instances).
            VR::UI
                if !self.profile.has(DeidOption::RetainUids)
                    && present().any(|u| !radguard_dicom::uid::is_well_known(u)) =>
            {
                self.counts.uids_outside_table += 1;
                return Op::Uid;
            }
            VR::UR if present().any(|u| UID_SHAPED.is_match(u) || self.scrubber.clean(u) != u) => {
                self.counts.urls_removed += 1;
                return Op::Remove;
            }
            vr if is_checked_vr(vr) && present().any(|v| !text::conforms(vr, v)) => {
                self.counts.nonconforming_replaced += 1;
                return Op::Dummy;
            }
            vr if is_scrubbed_vr(vr) => return Op::Scrub,
            _ => {}
        }
        if is_bytes_vr(elem.vr()) {
            // Text that arrived as bytes is written back as text.
            Op::AsText
        } else {
            Op::Keep
        }
    }

    /// An element's values as text: bytes (a text attribute that arrived
    /// as OB, OW or UN) are decoded in the data set's character set.
    fn texts(&self, e: &InMemElement, vr: VR) -> Vec<String> {
        if is_string_vr(vr)
            && is_bytes_vr(e.vr())
            && let Ok(b) = e.value().to_bytes()
        {
            let s = text::decode(&b, self.charset);
            return trim_padding(&s).split('\\').map(str::to_owned).collect();
        }
        strings(e)
    }

    #[allow(clippy::too_many_lines)]
    fn apply(
        &mut self,
        obj: &mut InMemDicomObject,
        tag: Tag,
        vr: VR,
        op: Op,
        planned: Action,
        shifted: &HashMap<Tag, PrimitiveValue>,
        recurse: &mut Vec<(Tag, Mode)>,
    ) {
        let c = &mut self.counts;
        match planned {
            Action::X => c.x += 1,
            Action::Z => c.z += 1,
            Action::D => c.d += 1,
            Action::K => c.k += 1,
            Action::C => c.c += 1,
            Action::U => c.u += 1,
        }
        let put = |obj: &mut InMemDicomObject, v: PrimitiveValue| {
            obj.put(DataElement::new(tag, vr, v));
        };
        match op {
            Op::Remove => {
                obj.remove_element(tag);
            }
            Op::Empty => put(obj, PrimitiveValue::Empty),
            Op::EmptySequence => {
                obj.put(DataElement::new(
                    tag,
                    VR::SQ,
                    Value::Sequence(DataSetSequence::new(
                        Vec::<InMemDicomObject>::new(),
                        dicom_core::Length::UNDEFINED,
                    )),
                ));
            }
            Op::Recurse(m) => recurse.push((tag, m)),
            Op::Keep => {}
            Op::Pseudonym => {
                self.counts.pseudonymized += 1;
                put(obj, PrimitiveValue::from(self.patient.pseudonym.clone()));
            }
            Op::Replace(s) => put(obj, PrimitiveValue::from(s)),
            Op::Dummy => {
                let vm = obj.get(tag).map_or(1, |e| {
                    if is_string_vr(vr) {
                        // Bytes standing for text count as text values.
                        self.texts(e, vr).len()
                    } else {
                        e.value().multiplicity() as usize
                    }
                });
                put(obj, values::dummy(vr, vm));
            }
            Op::Uid => self.apply_uid(obj, tag, vr),
            Op::Clean => self.clean(obj, tag, vr, shifted),
            Op::Scrub => {
                if self.scrub_text(obj, tag, vr, true) {
                    self.counts.kept_text_scrubbed += 1;
                }
            }
            Op::AsText => {
                self.scrub_text(obj, tag, vr, false);
            }
            Op::ParsedSequence(items) => {
                obj.put(DataElement::new(
                    tag,
                    VR::SQ,
                    Value::Sequence(DataSetSequence::new(items, dicom_core::Length::UNDEFINED)),
                ));
                recurse.push((tag, Mode::Normal));
            }
            Op::Retype(new_vr) => {
                let Some(e) = obj.get(tag) else { return };
                if is_string_vr(new_vr) {
                    let values = self.texts(e, new_vr);
                    obj.put(DataElement::new(
                        tag,
                        new_vr,
                        PrimitiveValue::Strs(values.into_iter().collect()),
                    ));
                    if matches!(new_vr, VR::UI) {
                        // Judged like any kept UID.
                        if let Some(e) = obj.get(tag)
                            && matches!(self.refine_keep(e, new_vr), Op::Uid)
                        {
                            self.apply_uid(obj, tag, new_vr);
                        }
                    } else if self.scrub_text(obj, tag, new_vr, is_scrubbed_vr(new_vr)) {
                        self.counts.kept_text_scrubbed += 1;
                    }
                } else if let Ok(b) = e.value().to_bytes() {
                    let bytes = b.into_owned();
                    obj.put(DataElement::new(
                        tag,
                        new_vr,
                        PrimitiveValue::U8(bytes.into()),
                    ));
                }
            }
        }
    }

    /// Writes the keyed replacement of every UID of `tag`.
    fn apply_uid(&mut self, obj: &mut InMemDicomObject, tag: Tag, vr: VR) {
        let Some(e) = obj.get(tag) else { return };
        let uids: Vec<String> = self
            .texts(e, vr)
            .iter()
            .map(|u| trim_value(u).to_owned())
            .filter(|u| !u.is_empty())
            .map(|u| {
                let new = self.key.uid(&u);
                if let Some(pairs) = &mut self.uid_pairs {
                    pairs.push((u, new.clone()));
                }
                new
            })
            .collect();
        self.counts.uids_replaced += uids.len() as u64;
        let v = if uids.is_empty() {
            PrimitiveValue::Empty
        } else {
            PrimitiveValue::Strs(uids.into_iter().collect())
        };
        obj.put(DataElement::new(tag, vr, v));
    }

    /// Removes the same-file identifiers from a text value (and writes a
    /// value that arrived as bytes back as text). Returns `true` if the
    /// scrubber changed something.
    fn scrub_text(&mut self, obj: &mut InMemDicomObject, tag: Tag, vr: VR, scrub: bool) -> bool {
        let Some(e) = obj.get(tag) else { return false };
        let as_bytes = is_bytes_vr(e.vr());
        let original = self.texts(e, vr);
        let mut unsure = false;
        let scrubber = if matches!(vr, VR::CS | VR::AE) {
            self.identity_scrubber
        } else {
            self.scrubber
        };
        let cleaned: Vec<String> = if scrub {
            original
                .iter()
                .map(|s| {
                    let c = scrubber.clean_checked(s);
                    unsure |= !c.confident;
                    c.text
                })
                .collect()
        } else {
            original.clone()
        };
        if unsure {
            // What the cleaner cannot judge with confidence is replaced.
            let v = values::dummy(vr, original.len());
            obj.put(DataElement::new(tag, vr, v));
            return true;
        }
        let changed = cleaned != original;
        // A cleaned value may have grown past its VR's maximum length
        // (the replacement marker is longer than a short name): such a
        // value becomes a dummy.
        let cleaned: Vec<String> = cleaned
            .into_iter()
            .map(|v| {
                if fits_length(vr, &v) {
                    v
                } else {
                    values::dummy(vr, 1).to_str().into_owned()
                }
            })
            .collect();
        if changed || as_bytes {
            let dummy = || values::dummy(vr, 1).to_str().into_owned();
            let v = match vr {
                // CS, AE and UR have tight syntaxes: each cleaned value
                // becomes a dummy, the others stay as they were.
                VR::CS | VR::AE | VR::UR if changed => PrimitiveValue::Strs(
                    cleaned
                        .iter()
                        .zip(&original)
                        .map(|(c, o)| if c == o { o.clone() } else { dummy() })
                        .collect(),
                ),
                VR::LT | VR::ST | VR::UT => PrimitiveValue::from(cleaned.join("\\")),
                _ => PrimitiveValue::Strs(cleaned.into_iter().collect()),
            };
            obj.put(DataElement::new(tag, vr, v));
        }
        changed
    }

    fn clean(
        &mut self,
        obj: &mut InMemDicomObject,
        tag: Tag,
        vr: VR,
        shifted: &HashMap<Tag, PrimitiveValue>,
    ) {
        let Some(e) = obj.get(tag) else { return };
        if values::is_temporal_vr(vr) {
            if !self.profile.has(DeidOption::RetainLongModifiedDates) {
                let vm = e.value().multiplicity() as usize;
                obj.put(DataElement::new(tag, vr, values::dummy(vr, vm)));
                return;
            }
            if let Some(v) = shifted.get(&tag) {
                self.counts.dates_shifted += 1;
                obj.put(DataElement::new(tag, vr, v.clone()));
                return;
            }
            let off = self.patient.offset;
            let parts: Vec<String> = self
                .texts(e, vr)
                .iter()
                .map(|s| trim_value(s).to_owned())
                .collect();
            let mut out = Vec::with_capacity(parts.len());
            for p in parts.iter().filter(|p| !p.is_empty()) {
                let s = match vr {
                    VR::DA => values::shift_da(p, off),
                    VR::TM => values::shift_tm(p, off),
                    _ => values::shift_dt(p, off),
                };
                match s {
                    Some(s) => out.push(s),
                    None => {
                        // Not a valid date: it cannot be shifted, and it
                        // cannot be kept either.
                        self.counts.unshiftable_emptied += 1;
                        obj.put(DataElement::new(tag, vr, PrimitiveValue::Empty));
                        return;
                    }
                }
            }
            self.counts.dates_shifted += 1;
            let v = if out.is_empty() {
                PrimitiveValue::Empty
            } else {
                PrimitiveValue::Strs(out.into_iter().collect())
            };
            obj.put(DataElement::new(tag, vr, v));
            return;
        }
        if (values::is_text_vr(vr) || matches!(vr, VR::AE | VR::CS | VR::UR))
            && self.scrub_text(obj, tag, vr, true)
        {
            self.counts.text_cleaned += 1;
        }
        // Numbers and binary values carry no text to clean: kept.
    }

    /// With the Modified Dates option, dates and their times in the same
    /// data set (Study Date with Study Time, ...) are shifted together, so
    /// that a time plus the offset crossing midnight moves the date too.
    fn paired_shifts(&self, obj: &InMemDicomObject) -> HashMap<Tag, PrimitiveValue> {
        let mut out = HashMap::new();
        if !self.profile.has(DeidOption::RetainLongModifiedDates) {
            return out;
        }
        for e in obj.iter().filter(|e| e.vr() == VR::DA) {
            let da_tag = e.tag();
            let Some(kw) = keyword(da_tag) else { continue };
            let Some(stem) = kw.strip_suffix("Date") else {
                continue;
            };
            let Some(&tm_tag) = KEYWORD_TAGS.get(format!("{stem}Time").as_str()) else {
                continue;
            };
            let Some(tm) = obj.get(tm_tag).filter(|t| t.vr() == VR::TM) else {
                continue;
            };
            if self.profile.rule(attr(da_tag)) != Rule::C
                || self.profile.rule(attr(tm_tag)) != Rule::C
            {
                continue;
            }
            let (Ok(da), Ok(t)) = (e.value().to_str(), tm.value().to_str()) else {
                continue;
            };
            if let Some((d, t)) = values::shift_da_tm(&da, &t, self.patient.offset) {
                out.insert(da_tag, PrimitiveValue::from(d));
                out.insert(tm_tag, PrimitiveValue::from(t));
            }
        }
        out
    }
}
