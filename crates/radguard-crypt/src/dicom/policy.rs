//! What is protected besides the top-level pixel data (format v2): every
//! place an image or identifying bulk data can hide in the header, found by
//! tag and VR anywhere in the data set, taken out for encryption and put
//! back, bit for bit, on decryption.

use radguard_core::{AttrPath, AttrTag, PathStep};
use radguard_dicom::dicom::core::header::Header;
use radguard_dicom::dicom::core::value::{PixelFragmentSequence, Value};
use radguard_dicom::dicom::core::{DataElement, PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::dicom::object::mem::InMemElement;
use radguard_dicom::tags::{self, from_attr, is_pixel_data};

use super::descriptor::ValueType;
use crate::error::{Error, Result};

/// The default size from which a private binary value is protected: every
/// value with a 16-byte run (the size of the check that nothing readable
/// survives).
pub const DEFAULT_PRIVATE_THRESHOLD: u32 = 16;

/// VRs of private values that can carry bulk data.
fn bulk_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN
    )
}

/// Why an element is protected, for the documentation and reports.
pub(crate) fn protected_public(tag: Tag, depth: usize) -> bool {
    let overlay_group = tag.0 & 0xFF00 == 0x6000 && tag.0.is_multiple_of(2);
    let curve_group = tag.0 & 0xFF00 == 0x5000 && tag.0.is_multiple_of(2);
    (is_pixel_data(tag) && depth > 0)
        || (overlay_group && tag.1 == 0x3000)
        || (curve_group && (tag.1 == 0x3000 || tag.1 == 0x200C))
        || tag == tags::ENCAPSULATED_DOCUMENT
        || tag == tags::WAVEFORM_DATA
        || tag == tags::SPECTROSCOPY_DATA
}

fn is_private_data(tag: Tag) -> bool {
    tag.0 % 2 == 1 && tag.1 >= 0x1000
}

/// An element to protect, found in the header.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) path: AttrPath,
    pub(crate) vr: VR,
    pub(crate) value_type: ValueType,
    /// The value's bytes (numbers little endian), or its fragments.
    pub(crate) units: Vec<Vec<u8>>,
    pub(crate) offset_table: Vec<u32>,
}

/// The protected elements of `ds` (the header without its top-level pixel
/// data), in walk order.
///
/// # Errors
///
/// [`Error::Unprotectable`] for a protected element whose value cannot be
/// taken out and put back exactly.
pub(crate) fn find(ds: &InMemDicomObject, private_threshold: u32) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    let mut failure = None;
    radguard_dicom::walk(ds, &mut |path, e| {
        if failure.is_some() {
            return;
        }
        let tag = e.tag();
        let depth = path.depth();
        let public = protected_public(tag, depth) || (depth == 0 && is_pixel_data(tag));
        let private = is_private_data(tag)
            && bulk_vr(e.vr())
            && value_len(e) >= u64::from(private_threshold.max(1));
        // A public sequence that arrived as UN and was not parsed (it may
        // hold an icon image): encrypted whole.
        let unparsed_sequence = e.vr() == VR::UN && tags::dictionary_vr(tag) == Some(VR::SQ);
        if !(public || private || unparsed_sequence) || value_len(e) == 0 {
            return;
        }
        match take_value(e) {
            Some((value_type, units, offset_table)) => found.push(Found {
                path: path.clone(),
                vr: e.vr(),
                value_type,
                units,
                offset_table,
            }),
            None => {
                failure = Some(Error::Unprotectable {
                    path: path.clone(),
                    what: "its value is of a kind that cannot be encrypted and restored exactly",
                });
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(found),
    }
}

fn value_len(e: &InMemElement) -> u64 {
    match e.value() {
        Value::Primitive(p) => match p {
            PrimitiveValue::Empty => 0,
            p => p.to_bytes().len() as u64,
        },
        Value::PixelSequence(s) => s.fragments().iter().map(|f| f.len() as u64 + 1).sum(),
        Value::Sequence(_) => 0,
    }
}

macro_rules! le {
    ($v:expr) => {
        vec![$v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()]
    };
}

/// The bytes to encrypt and how to rebuild the value.
fn take_value(e: &InMemElement) -> Option<(ValueType, Vec<Vec<u8>>, Vec<u32>)> {
    Some(match e.value() {
        Value::Primitive(p) => match p {
            PrimitiveValue::U8(v) => (ValueType::U8, vec![v.to_vec()], Vec::new()),
            PrimitiveValue::U16(v) => (ValueType::U16, le!(v), Vec::new()),
            PrimitiveValue::I16(v) => (ValueType::I16, le!(v), Vec::new()),
            PrimitiveValue::U32(v) => (ValueType::U32, le!(v), Vec::new()),
            PrimitiveValue::I32(v) => (ValueType::I32, le!(v), Vec::new()),
            PrimitiveValue::F32(v) => (ValueType::F32, le!(v), Vec::new()),
            PrimitiveValue::F64(v) => (ValueType::F64, le!(v), Vec::new()),
            PrimitiveValue::U64(v) => (ValueType::U64, le!(v), Vec::new()),
            PrimitiveValue::I64(v) => (ValueType::I64, le!(v), Vec::new()),
            _ => return None,
        },
        Value::PixelSequence(s) => (
            ValueType::Fragments,
            s.fragments().to_vec(),
            s.offset_table().to_vec(),
        ),
        Value::Sequence(_) => return None,
    })
}

fn chunks<const N: usize>(b: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    b.chunks_exact(N).map(|c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        a
    })
}

/// Rebuilds the element at the end of `path` from its decrypted units.
pub(crate) fn rebuild(
    path: &AttrPath,
    vr: VR,
    value_type: ValueType,
    units: Vec<Vec<u8>>,
    offset_table: Vec<u32>,
) -> Result<InMemElement> {
    let tag = path.last().map(from_attr).ok_or(Error::Decrypt)?;
    let one = || units.first().cloned().unwrap_or_default();
    let value: Value<InMemDicomObject> = match value_type {
        ValueType::Fragments => {
            Value::PixelSequence(PixelFragmentSequence::new(offset_table, units))
        }
        ValueType::U8 => PrimitiveValue::U8(one().into()).into(),
        ValueType::U16 => {
            PrimitiveValue::U16(chunks::<2>(&one()).map(u16::from_le_bytes).collect()).into()
        }
        ValueType::I16 => {
            PrimitiveValue::I16(chunks::<2>(&one()).map(i16::from_le_bytes).collect()).into()
        }
        ValueType::U32 => {
            PrimitiveValue::U32(chunks::<4>(&one()).map(u32::from_le_bytes).collect()).into()
        }
        ValueType::I32 => {
            PrimitiveValue::I32(chunks::<4>(&one()).map(i32::from_le_bytes).collect()).into()
        }
        ValueType::F32 => {
            PrimitiveValue::F32(chunks::<4>(&one()).map(f32::from_le_bytes).collect()).into()
        }
        ValueType::F64 => {
            PrimitiveValue::F64(chunks::<8>(&one()).map(f64::from_le_bytes).collect()).into()
        }
        ValueType::U64 => {
            PrimitiveValue::U64(chunks::<8>(&one()).map(u64::from_le_bytes).collect()).into()
        }
        ValueType::I64 => {
            PrimitiveValue::I64(chunks::<8>(&one()).map(i64::from_le_bytes).collect()).into()
        }
    };
    Ok(DataElement::new(tag, vr, value))
}

/// Runs `f` on the data set that holds the last step of `path` (the
/// top-level data set, or a sequence item). `None` if an item on the way
/// is missing.
fn with_parent<R>(
    obj: &mut InMemDicomObject,
    steps: &[PathStep],
    f: &mut dyn FnMut(&mut InMemDicomObject, Tag) -> R,
) -> Option<R> {
    match steps {
        [] => None,
        [last] => Some(f(obj, from_attr(last.tag))),
        [first, rest @ ..] => {
            let index = usize::try_from(first.item?).ok()?;
            let mut out = None;
            obj.update_value(from_attr(first.tag), |v| {
                if let Some(item) = v.items_mut().and_then(|items| items.get_mut(index)) {
                    out = with_parent(item, rest, f);
                }
            });
            out
        }
    }
}

/// Removes the element at `path`.
pub(crate) fn remove_at(obj: &mut InMemDicomObject, path: &AttrPath) -> bool {
    with_parent(obj, path.steps(), &mut |ds, tag| ds.remove_element(tag)).unwrap_or(false)
}

/// Puts `element` back at `path`, which must be free.
///
/// # Errors
///
/// [`Error::HeaderChanged`] if the item that held it is gone or something
/// else now stands in its place.
pub(crate) fn insert_at(
    obj: &mut InMemDicomObject,
    path: &AttrPath,
    element: InMemElement,
) -> Result<()> {
    let mut element = Some(element);
    let placed = with_parent(obj, path.steps(), &mut |ds, tag| {
        if ds.get(tag).is_some() {
            return false;
        }
        element.take().is_some_and(|e| ds.put(e).is_none())
    });
    match placed {
        Some(true) => Ok(()),
        Some(false) => Err(Error::HeaderChanged {
            attribute: describe(path),
            what: "another element stands where a protected element goes back",
        }),
        None => Err(Error::HeaderChanged {
            attribute: describe(path),
            what: "the sequence item that held a protected element is gone",
        }),
    }
}

/// `Rows (0028,0010)`, or the path alone for unnamed attributes.
pub(crate) fn describe(path: &AttrPath) -> String {
    use radguard_dicom::dicom::core::dictionary::{DataDictionary, DataDictionaryEntry};
    let name = path.last().and_then(|t: AttrTag| {
        radguard_dicom::dicom::dictionary_std::StandardDataDictionary
            .by_tag(from_attr(t))
            .map(|e| e.alias())
            .filter(|_| t.group.is_multiple_of(2))
    });
    match name {
        Some(n) => format!("{n} {path}"),
        None => path.to_string(),
    }
}
