//! Format v2's bound attributes: what interprets the pixels and which
//! instance they belong to, stored in the descriptor at encryption and
//! compared with the file at decryption; and the keyed digest of the
//! Patient ID.

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use radguard_core::AttrPath;
use radguard_dicom::dicom::core::header::Header;
use radguard_dicom::dicom::core::value::Value;
use radguard_dicom::dicom::core::{PrimitiveValue, Tag, VR};
use radguard_dicom::dicom::object::InMemDicomObject;
use radguard_dicom::dicom::object::mem::InMemElement;
use radguard_dicom::tags::{self, to_attr};
use radguard_dicom::text::trim_value_bytes;
use sha2::Sha256;

use super::descriptor::BoundValue;
use super::policy::describe;
use crate::error::{Error, Result};

/// Attributes needed to read the pixel bytes: bound wherever they occur
/// (top level, functional groups, icon images, LUT sequences).
pub(crate) const PIXEL_ATTRIBUTES: &[Tag] = &[
    tags::SAMPLES_PER_PIXEL,
    tags::PHOTOMETRIC_INTERPRETATION,
    tags::PLANAR_CONFIGURATION,
    tags::NUMBER_OF_FRAMES,
    tags::ROWS,
    tags::COLUMNS,
    tags::BITS_ALLOCATED,
    tags::BITS_STORED,
    tags::HIGH_BIT,
    tags::PIXEL_REPRESENTATION,
    tags::RESCALE_INTERCEPT,
    tags::RESCALE_SLOPE,
    tags::RESCALE_TYPE,
    tags::LUT_DESCRIPTOR,
    tags::MODALITY_LUT_TYPE,
    tags::LUT_DATA,
    tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
];

/// The instance's identity: bound at the top level only.
pub(crate) const IDENTITY_ATTRIBUTES: &[Tag] = &[
    tags::SOP_INSTANCE_UID,
    tags::STUDY_INSTANCE_UID,
    tags::SERIES_INSTANCE_UID,
];

fn textual(vr: Option<VR>) -> bool {
    use VR::{AE, AS, CS, DA, DS, DT, IS, LO, LT, PN, SH, ST, TM, UC, UI, UR, UT};
    matches!(
        vr,
        Some(AE | AS | CS | DA | DS | DT | IS | LO | LT | PN | SH | ST | TM | UC | UI | UR | UT)
    )
}

/// The canonical value of an element (format §5.3): text without
/// surrounding spaces and NULs (also when a text attribute arrived as UN);
/// bytes as they are; numbers as little-endian bytes; a marker for
/// sequences.
pub(crate) fn canonical(e: &InMemElement) -> Vec<u8> {
    match e.value() {
        Value::Primitive(p) => match p {
            // A text attribute that arrived as UN: its bytes are text.
            PrimitiveValue::U8(v) if textual(tags::dictionary_vr(e.tag())) => {
                trim_value_bytes(v).to_vec()
            }
            PrimitiveValue::U8(v) => v.to_vec(),
            PrimitiveValue::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::U32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::U64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            PrimitiveValue::Empty => Vec::new(),
            p => trim_value_bytes(&p.to_bytes()).to_vec(),
        },
        // Never a bound attribute's form; any change to or from it shows.
        Value::Sequence(_) => b"\xFF(sequence)".to_vec(),
        Value::PixelSequence(_) => b"\xFF(fragments)".to_vec(),
    }
}

/// The bound attributes of a data set with transfer syntax `ts`:
/// the transfer syntax, every top-level pixel and identity attribute
/// (absent ones as absent), and every nested pixel attribute. Sorted by
/// path, so the result is canonical.
pub(crate) fn collect(ds: &InMemDicomObject, ts: &str) -> Vec<BoundValue> {
    let mut map: BTreeMap<AttrPath, Option<Vec<u8>>> = BTreeMap::new();
    map.insert(
        AttrPath::root().child(to_attr(tags::TRANSFER_SYNTAX_UID)),
        Some(trim_value_bytes(ts.as_bytes()).to_vec()),
    );
    for t in PIXEL_ATTRIBUTES.iter().chain(IDENTITY_ATTRIBUTES) {
        map.insert(
            AttrPath::root().child(to_attr(*t)),
            ds.get(*t).map(canonical),
        );
    }
    radguard_dicom::walk(ds, &mut |path, e| {
        if path.depth() > 0 && PIXEL_ATTRIBUTES.contains(&e.tag()) {
            map.insert(path.clone(), Some(canonical(e)));
        }
    });
    map.into_iter()
        .map(|(path, value)| BoundValue { path, value })
        .collect()
}

/// Compares the bound attributes stored at encryption with those of the
/// file now.
///
/// # Errors
///
/// [`Error::HeaderChanged`] naming the first attribute (in path order)
/// whose value, presence or absence differs.
pub(crate) fn compare(stored: &[BoundValue], now: &[BoundValue]) -> Result<()> {
    let a: BTreeMap<&AttrPath, &Option<Vec<u8>>> =
        stored.iter().map(|b| (&b.path, &b.value)).collect();
    let b: BTreeMap<&AttrPath, &Option<Vec<u8>>> =
        now.iter().map(|b| (&b.path, &b.value)).collect();
    let changed = a
        .keys()
        .chain(b.keys())
        .filter(|p| a.get(*p) != b.get(*p))
        .min();
    match changed {
        None => Ok(()),
        Some(path) => Err(Error::HeaderChanged {
            attribute: describe(path),
            what: "an attribute bound to the encrypted data was changed since encryption",
        }),
    }
}

/// The keyed digest of the Patient ID (format §5.3):
/// `HMAC-SHA-256(patient key, Patient ID without padding)`.
pub(crate) fn patient_digest(key: &[u8; 32], ds: &InMemDicomObject) -> [u8; 32] {
    let id = ds.get(tags::PATIENT_ID).map(canonical).unwrap_or_default();
    // HMAC takes keys of any length.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(&id);
    mac.finalize().into_bytes().into()
}
