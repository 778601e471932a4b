//! A PHI-free summary of a file, for `radguard inspect`.

use dicom_core::Tag;
use dicom_core::dictionary::UidDictionary;
use dicom_dictionary_std::sop_class::StandardSopClassDictionary;

use crate::file::{DicomFile, PixelData};
use crate::info::{Finding, Preamble};
use crate::tags;
use crate::ts;

/// A UID with its registered name, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NamedUid {
    /// The UID (or `<invalid>` if the file held something that is not a UID).
    pub uid: String,
    /// The name registered in PS3.6, if known.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub name: Option<&'static str>,
}

/// Pixel data facts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PixelSummary {
    /// The pixel data tag, e.g. `(7FE0,0010)`.
    pub tag: radguard_core::AttrTag,
    /// Its VR.
    pub vr: &'static str,
    /// `true` if encapsulated (compressed).
    pub encapsulated: bool,
    /// Bytes of pixel data (all fragments for encapsulated data).
    pub bytes: u64,
    /// Number of fragments (encapsulated only).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub fragments: Option<u64>,
    /// Number of Frames, if present.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub frames: Option<u32>,
    /// Rows, if present.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rows: Option<u16>,
    /// Columns, if present.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub columns: Option<u16>,
}

/// What `radguard inspect` shows: structure only, never a value that could
/// identify a patient.
///
/// Only these values are read from the data set: SOP Class UID and transfer
/// syntax (public registry identifiers, shown only if they are well-formed
/// UIDs), Modality and Burned In Annotation (shown only if they are short
/// upper-case code strings), and image geometry numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Summary {
    /// File size in bytes.
    pub file_size: u64,
    /// The preamble.
    pub preamble: Preamble,
    /// `true` if the 128-byte preamble has non-zero content.
    pub preamble_nonzero: bool,
    /// `true` if the file has a file meta group.
    pub has_file_meta: bool,
    /// The transfer syntax.
    pub transfer_syntax: NamedUid,
    /// The SOP class, if present.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub sop_class: Option<NamedUid>,
    /// Modality, if present and a valid code string.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub modality: Option<String>,
    /// Burned In Annotation, if present and a valid code string.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub burned_in_annotation: Option<String>,
    /// Elements, nested ones included (file meta excluded).
    pub element_count: u64,
    /// Deepest sequence nesting.
    pub max_depth: u32,
    /// Pixel data, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub pixel_data: Option<PixelSummary>,
    /// Irregularities found while reading.
    pub findings: Vec<Finding>,
}

fn code_string(file: &DicomFile, tag: Tag) -> Option<String> {
    let v = file.dataset().get(tag)?.value().to_str().ok()?;
    let v = crate::text::trim_value(&v);
    let ok = !v.is_empty()
        && v.len() <= 16
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b' ');
    Some(if ok {
        v.to_owned()
    } else {
        "<invalid>".to_owned()
    })
}

fn uint(file: &DicomFile, tag: Tag) -> Option<u32> {
    let v = file.dataset().get(tag)?.value();
    v.to_int::<u32>().ok()
}

pub(crate) fn summarize(file: &DicomFile, pixel: Option<&PixelData>, size: u64) -> Summary {
    let info = file.info();
    let ts_uid = ts::sanitize_uid(&info.transfer_syntax);
    let sop_class = file
        .dataset()
        .get(tags::SOP_CLASS_UID)
        .and_then(|e| e.value().to_str().ok())
        .map(|s| {
            let uid = ts::sanitize_uid(&s);
            let name = StandardSopClassDictionary.by_uid(&uid).map(|e| e.name);
            NamedUid { uid, name }
        });
    let pixel_data = pixel.map(|p| PixelSummary {
        tag: tags::to_attr(p.tag()),
        vr: p.vr().to_string(),
        encapsulated: p.is_encapsulated(),
        bytes: p.byte_len(),
        fragments: match p.layout() {
            crate::PixelLayout::Encapsulated { fragment_lens, .. } => {
                Some(fragment_lens.len() as u64)
            }
            _ => None,
        },
        frames: uint(file, tags::NUMBER_OF_FRAMES),
        rows: uint(file, tags::ROWS).and_then(|v| u16::try_from(v).ok()),
        columns: uint(file, tags::COLUMNS).and_then(|v| u16::try_from(v).ok()),
    });
    Summary {
        file_size: size,
        preamble: info.preamble,
        preamble_nonzero: info.preamble == Preamble::NonZero,
        has_file_meta: info.has_file_meta,
        transfer_syntax: NamedUid {
            name: ts::name(&ts_uid),
            uid: ts_uid,
        },
        sop_class,
        modality: code_string(file, tags::MODALITY),
        burned_in_annotation: code_string(file, tags::BURNED_IN_ANNOTATION),
        element_count: info.element_count,
        max_depth: info.max_depth,
        pixel_data,
        findings: info.findings.clone(),
    }
}
