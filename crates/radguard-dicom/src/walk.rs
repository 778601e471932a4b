//! Path-aware recursive walks over data sets.

use dicom_core::Tag;
use dicom_core::header::Header;
use dicom_object::InMemDicomObject;
use dicom_object::mem::InMemElement;
use radguard_core::AttrPath;

use crate::tags::to_attr as attr;
use crate::text::trim_padding;

/// Visits every element of `obj`, nested ones included, depth first in tag
/// order, with its path.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, VR, value::{DataSetSequence, Value}};
/// use dicom_core::header::Length;
/// use dicom_object::InMemDicomObject;
///
/// let item = InMemDicomObject::from_element_iter([
///     DataElement::new(dicom_core::Tag(0x0008, 0x1155), VR::UI, "1.2.3"),
/// ]);
/// let obj = InMemDicomObject::from_element_iter([DataElement::new(
///     dicom_core::Tag(0x0008, 0x1140),
///     VR::SQ,
///     Value::Sequence(DataSetSequence::new(vec![item], Length::UNDEFINED)),
/// )]);
/// let mut seen = Vec::new();
/// radguard_dicom::walk(&obj, &mut |path, _elem| seen.push(path.to_string()));
/// assert_eq!(seen, ["(0008,1140)", "(0008,1140)[0].(0008,1155)"]);
/// ```
pub fn walk(obj: &InMemDicomObject, f: &mut dyn FnMut(&AttrPath, &InMemElement)) {
    walk_at(obj, &AttrPath::root(), f);
}

fn walk_at(obj: &InMemDicomObject, base: &AttrPath, f: &mut dyn FnMut(&AttrPath, &InMemElement)) {
    for e in obj.iter() {
        let here = base.child(attr(e.tag()));
        f(&here, e);
        if let Some(items) = e.items() {
            for (i, item) in items.iter().enumerate() {
                let idx = u32::try_from(i).unwrap_or(u32::MAX);
                walk_at(item, &here.item(idx), f);
            }
        }
    }
}

/// Visits `obj` and every sequence item in it, depth first, giving mutable
/// access to each data set with its path (`(0008,1115)[2]` for the third
/// item of the Referenced Series Sequence; the empty path for `obj`).
///
/// A data set is visited before the items nested in it, and the nested
/// items visited are those still present after the visit: a visitor that
/// removes a sequence is not called for its items. This is the order
/// de-identification needs (act on the sequence, then recurse). To pass
/// state down into items, or descend into some sequences only, use
/// [`visit_datasets_with`].
///
/// # Errors
///
/// The first error returned by `f`; the walk stops there.
pub fn visit_datasets_mut<E>(
    obj: &mut InMemDicomObject,
    f: &mut dyn FnMut(&AttrPath, &mut InMemDicomObject) -> Result<(), E>,
) -> Result<(), E> {
    visit_datasets_with(obj, &(), &mut |path, ds, ()| {
        f(path, ds)?;
        Ok(Descend::Every(()))
    })
}

/// What [`visit_datasets_with`] does after visiting a data set: which of
/// its sequences to descend into, and the state their items are visited
/// with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Descend<S> {
    /// Every sequence the data set still holds, each item with this state.
    Every(S),
    /// Only these sequences (in this order), each with its own state.
    /// Tags that are absent or not sequences are ignored.
    Only(Vec<(Tag, S)>),
}

/// Visits `obj` and, depth first, the items of the sequences the visitor
/// chooses, carrying state down: `f` gets each data set with its path and
/// the state of the sequence it belongs to (`state` for `obj`), and returns
/// where to go next ([`Descend`]).
///
/// # Examples
///
/// Count the nesting depth of every data set, and skip one sequence:
///
/// ```
/// use dicom_core::{DataElement, VR, value::{DataSetSequence, Value}};
/// use dicom_core::header::Length;
/// use dicom_object::InMemDicomObject;
/// use radguard_dicom::{Descend, tags, visit_datasets_with};
///
/// let seq = |tag, items| DataElement::new(tag, VR::SQ, Value::Sequence(DataSetSequence::new(items, Length::UNDEFINED)));
/// let leaf = InMemDicomObject::from_element_iter([DataElement::new(tags::CODE_VALUE, VR::SH, "1")]);
/// let item = InMemDicomObject::from_element_iter([seq(tags::CONCEPT_NAME_CODE_SEQUENCE, vec![leaf.clone()])]);
/// let mut obj = InMemDicomObject::from_element_iter([
///     seq(tags::CONTENT_SEQUENCE, vec![item]),
///     seq(tags::OTHER_PATIENT_I_DS_SEQUENCE, vec![leaf]),
/// ]);
/// let mut seen = Vec::new();
/// visit_datasets_with(&mut obj, &0u32, &mut |path, _ds, depth: &u32| {
///     seen.push((path.to_string(), *depth));
///     Ok::<_, std::convert::Infallible>(if path.is_root() {
///         Descend::Only(vec![(tags::CONTENT_SEQUENCE, depth + 1)])
///     } else {
///         Descend::Every(depth + 1)
///     })
/// })?;
/// assert_eq!(seen, [
///     ("".to_owned(), 0),
///     ("(0040,A730)[0]".to_owned(), 1),
///     ("(0040,A730)[0].(0040,A043)[0]".to_owned(), 2),
/// ]);
/// # Ok::<(), std::convert::Infallible>(())
/// ```
///
/// # Errors
///
/// The first error returned by `f`; the walk stops there.
#[allow(clippy::type_complexity)]
pub fn visit_datasets_with<S, E>(
    obj: &mut InMemDicomObject,
    state: &S,
    f: &mut dyn FnMut(&AttrPath, &mut InMemDicomObject, &S) -> Result<Descend<S>, E>,
) -> Result<(), E> {
    visit_with_at(obj, &AttrPath::root(), state, f)
}

/// The visitor of [`visit_datasets_with`].
type StateVisitor<'f, S, E> =
    dyn FnMut(&AttrPath, &mut InMemDicomObject, &S) -> Result<Descend<S>, E> + 'f;

fn visit_with_at<S, E>(
    obj: &mut InMemDicomObject,
    path: &AttrPath,
    state: &S,
    f: &mut StateVisitor<'_, S, E>,
) -> Result<(), E> {
    match f(path, obj, state)? {
        Descend::Every(s) => {
            let seqs: Vec<Tag> = obj
                .iter()
                .filter(|e| e.items().is_some())
                .map(|e| e.tag())
                .collect();
            for tag in seqs {
                descend_into(obj, tag, path, &s, f)?;
            }
        }
        Descend::Only(list) => {
            for (tag, s) in list {
                descend_into(obj, tag, path, &s, f)?;
            }
        }
    }
    Ok(())
}

fn descend_into<S, E>(
    obj: &mut InMemDicomObject,
    tag: Tag,
    path: &AttrPath,
    state: &S,
    f: &mut StateVisitor<'_, S, E>,
) -> Result<(), E> {
    let seq_path = path.child(attr(tag));
    let mut result = Ok(());
    obj.update_value(tag, |v| {
        if let Some(items) = v.items_mut() {
            for (i, item) in items.iter_mut().enumerate() {
                if result.is_err() {
                    return;
                }
                let idx = u32::try_from(i).unwrap_or(u32::MAX);
                result = visit_with_at(item, &seq_path.item(idx), state, f);
            }
        }
    });
    result
}

/// `true` if two data sets hold the same content: the same tags, VRs and
/// values, recursively, ignoring what writing a file is allowed to change:
/// declared lengths (dicom-rs never considers two undefined lengths equal),
/// the trailing space or NUL that pads text to even length, and the zero
/// byte that pads odd-length binary values.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, VR};
/// use dicom_object::InMemDicomObject;
///
/// let a = InMemDicomObject::from_element_iter([DataElement::new(dicom_core::Tag(0x0010, 0x0010), VR::PN, "ABC")]);
/// let b = InMemDicomObject::from_element_iter([DataElement::new(dicom_core::Tag(0x0010, 0x0010), VR::PN, "ABC ")]);
/// let c = InMemDicomObject::from_element_iter([DataElement::new(dicom_core::Tag(0x0010, 0x0010), VR::PN, "ABD")]);
/// assert!(radguard_dicom::same_content(&a, &b));
/// assert!(!radguard_dicom::same_content(&a, &c));
/// ```
#[must_use]
pub fn same_content(a: &InMemDicomObject, b: &InMemDicomObject) -> bool {
    first_difference(a, b).is_none()
}

/// The path of the first element where two data sets differ in content
/// (see [`same_content`]), or `None` if they do not.
#[must_use]
pub fn first_difference(a: &InMemDicomObject, b: &InMemDicomObject) -> Option<AttrPath> {
    diff_at(a, b, &AttrPath::root())
}

fn diff_at(a: &InMemDicomObject, b: &InMemDicomObject, base: &AttrPath) -> Option<AttrPath> {
    use dicom_core::value::Value;
    let mut ia = a.iter();
    let mut ib = b.iter();
    loop {
        let (ea, eb) = match (ia.next(), ib.next()) {
            (None, None) => return None,
            (Some(e), None) | (None, Some(e)) => return Some(base.child(attr(e.tag()))),
            (Some(x), Some(y)) => (x, y),
        };
        let here = base.child(attr(ea.tag()));
        if ea.tag() != eb.tag() {
            return Some(base.child(attr(ea.tag().min(eb.tag()))));
        }
        let same = match (ea.value(), eb.value()) {
            (Value::Primitive(x), Value::Primitive(y)) => {
                ea.vr() == eb.vr() && same_primitive(x, y)
            }
            (Value::Sequence(x), Value::Sequence(y)) => {
                if x.items().len() != y.items().len() {
                    return Some(here);
                }
                for (i, (p, q)) in x.items().iter().zip(y.items()).enumerate() {
                    let idx = u32::try_from(i).unwrap_or(u32::MAX);
                    if let Some(d) = diff_at(p, q, &here.item(idx)) {
                        return Some(d);
                    }
                }
                true
            }
            (Value::PixelSequence(x), Value::PixelSequence(y)) => {
                x.offset_table() == y.offset_table()
                    && x.fragments().len() == y.fragments().len()
                    && x.fragments()
                        .iter()
                        .zip(y.fragments())
                        .all(|(p, q)| same_bytes(p, q))
            }
            _ => false,
        };
        if !same {
            return Some(here);
        }
    }
}

fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long
        || (long.len() == short.len() + 1 && long.ends_with(&[0]) && long.starts_with(short))
}

fn same_primitive(a: &dicom_core::PrimitiveValue, b: &dicom_core::PrimitiveValue) -> bool {
    use dicom_core::PrimitiveValue as P;
    if a == b {
        return true;
    }
    let trim = |s: &str| trim_padding(s).to_owned();
    match (a, b) {
        (P::Empty, other) | (other, P::Empty) => match other {
            P::Str(s) => trim(s).is_empty(),
            P::Strs(v) => v.iter().all(|s| trim(s).is_empty()),
            P::U8(v) => v.iter().all(|b| *b == 0) && v.len() <= 1,
            _ => other.multiplicity() == 0,
        },
        (P::Str(_) | P::Strs(_), P::Str(_) | P::Strs(_)) => {
            let x: Vec<String> = a.to_multi_str().iter().map(|s| trim(s)).collect();
            let y: Vec<String> = b.to_multi_str().iter().map(|s| trim(s)).collect();
            x == y
        }
        (P::U8(x), P::U8(y)) => same_bytes(x, y),
        // NaN is not equal to itself: compare floats bit for bit.
        (P::F32(x), P::F32(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| p.to_bits() == q.to_bits())
        }
        (P::F64(x), P::F64(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| p.to_bits() == q.to_bits())
        }
        _ => false,
    }
}
