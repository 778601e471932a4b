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
use radguard_dicom::text::{self, private_creators, strings, trim_value};
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
}

pub(crate) struct Engine<'a> {
    pub(crate) profile: &'a Profile,
    pub(crate) key: &'a DeidKey,
    pub(crate) patient: &'a Patient,
    pub(crate) scrubber: &'a Scrubber,
    pub(crate) hooks: &'a [Arc<dyn Hook>],
    pub(crate) counts: Counts,
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
fn is_code_attribute(tag: Tag) -> bool {
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

fn is_dictionary_sequence(tag: Tag) -> bool {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .is_some_and(|e| e.vr().relaxed() == VR::SQ)
}

/// The VR to act on: for a standard attribute stored as UN (unknown VR),
/// the dictionary's VR, so that a UID in UN is still replaced as a UID.
fn effective_vr(tag: Tag, vr: VR) -> VR {
    if vr != VR::UN || tag.0 % 2 == 1 {
        return vr;
    }
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .map(|e| e.vr().relaxed())
        .filter(|v| *v != VR::SQ)
        .unwrap_or(vr)
}

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
            for h in self.hooks {
                let ctx = HookContext {
                    path: &here,
                    tag: at,
                    vr: vr.to_string(),
                    private_creator: creator.map(String::as_str),
                    action: planned,
                };
                if let Some(a) = h.action(&ctx) {
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
        if tag.0 == 0x0004 {
            // PS3.15 E.1.1: group 0004 is removed from non-DICOMDIR instances.
            self.counts.group_0004_removed += 1;
            return (Op::Remove, Action::X);
        }
        if at.is_private() {
            return self.decide_private(tag, is_seq, creator, declared);
        }
        if elem.vr() == VR::UN && is_dictionary_sequence(tag) {
            // A sequence radguard-dicom could not parse out of its UN
            // encoding: its content cannot be de-identified, so it goes.
            self.counts.opaque_sequences_removed += 1;
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
        if is_code_attribute(tag) || mode == Mode::Normal {
            return Rule::K;
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
        is_seq: bool,
        creator: Option<&str>,
        declared: &Declared,
    ) -> (Op, Action) {
        let remove = || (Op::Remove, Action::X);
        if !self.profile.has(DeidOption::RetainSafePrivate) {
            self.counts.private_removed += 1;
            return remove();
        }
        let Some(creator) = creator else {
            // No creator: the block cannot be identified, so not be judged safe.
            self.counts.private_removed += 1;
            return remove();
        };
        let el = u8::try_from(tag.1 & 0xFF).unwrap_or(0);
        let safe = table::is_safe_private(creator, tag.0, el)
            || declared.safe_blocks.contains(&(tag.0, creator.to_owned()))
            || declared
                .safe_elements
                .contains(&(tag.0, creator.to_owned(), el));
        if safe {
            return if is_seq {
                (Op::Recurse(Mode::Normal), Action::K)
            } else {
                (Op::Keep, Action::K)
            };
        }
        match declared.actions.get(&(tag.0, creator.to_owned(), el)) {
            Some(Action::Z) if is_seq => (Op::EmptySequence, Action::Z),
            Some(Action::Z) => (Op::Empty, Action::Z),
            Some(Action::D) if is_seq => (Op::Recurse(Mode::Dummy), Action::D),
            Some(Action::D) => (Op::Dummy, Action::D),
            Some(Action::U) => (Op::Uid, Action::U),
            _ => {
                self.counts.private_removed += 1;
                remove()
            }
        }
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
                let vm = obj.get(tag).map_or(1, |e| match e.value() {
                    // Bytes standing for text (UN): count the text values.
                    Value::Primitive(PrimitiveValue::U8(_)) if vr != VR::OB && vr != VR::UN => {
                        strings(e).len()
                    }
                    v => v.multiplicity() as usize,
                });
                put(obj, values::dummy(vr, vm));
            }
            Op::Uid => {
                let Some(e) = obj.get(tag) else { return };
                let uids: Vec<String> = strings(e)
                    .iter()
                    .map(|u| trim_value(u).to_owned())
                    .filter(|u| !u.is_empty())
                    .map(|u| self.key.uid(&u))
                    .collect();
                self.counts.uids_replaced += uids.len() as u64;
                if uids.is_empty() {
                    put(obj, PrimitiveValue::Empty);
                } else {
                    put(obj, PrimitiveValue::Strs(uids.into_iter().collect()));
                }
            }
            Op::Clean => self.clean(obj, tag, vr, shifted),
        }
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
            let parts: Vec<String> = strings(e).iter().map(|s| s.trim().to_owned()).collect();
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
        if values::is_text_vr(vr) || matches!(vr, VR::AE | VR::CS | VR::UR) {
            let original = strings(e);
            let cleaned: Vec<String> = original.iter().map(|s| self.scrubber.clean(s)).collect();
            let changed = cleaned != original;
            if changed {
                self.counts.text_cleaned += 1;
                let v = match vr {
                    // CS and AE have tight character sets: a cleaned value is a dummy.
                    VR::CS | VR::AE | VR::UR => values::dummy(vr, cleaned.len()),
                    VR::LT | VR::ST | VR::UT => PrimitiveValue::from(cleaned.join("\\")),
                    _ => PrimitiveValue::Strs(cleaned.into_iter().collect()),
                };
                obj.put(DataElement::new(tag, vr, v));
            }
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
