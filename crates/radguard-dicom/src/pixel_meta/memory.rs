//! The same cleaning for pixel data held in memory.

use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, VR};
use dicom_object::{FileDicomObject, InMemDicomObject};

use super::Error as StreamError;
use super::native::clear_unused_bits;
use super::split::{
    Fragments, PixelCleanReport, STALE_AFTER_STRIPPING, basic_offset_table, plan_for, strip_frames,
};
use crate::error::{Error, Result};
use crate::tags::PIXEL_DATA_TAGS;

struct MemFragments<'a>(&'a [Vec<u8>]);

impl Fragments for MemFragments<'_> {
    fn append(&mut self, i: usize, buf: &mut Vec<u8>) -> Result<()> {
        buf.extend_from_slice(self.0.get(i).map(Vec::as_slice).unwrap_or_default());
        Ok(())
    }

    fn head(&mut self, i: usize) -> Option<[u8; 2]> {
        self.0.get(i)?.get(..2)?.try_into().ok()
    }
}

/// Cleans the pixel data of a file held in memory, as
/// [`SplitFile::copy_pixel_data_clean`](crate::SplitFile::copy_pixel_data_clean)
/// does while streaming: encapsulated frames are stripped and stored one
/// fragment per frame (with a new Basic Offset Table when there was one,
/// and the attributes of [`STALE_AFTER_STRIPPING`] removed); native
/// samples lose the bits outside their stored bits and the bytes after the
/// last frame are zeroed. A file without pixel data is left alone.
///
/// # Errors
///
/// As [`SplitFile::pixel_plan`](crate::SplitFile::pixel_plan) and
/// [`SplitFile::copy_pixel_data_clean`](crate::SplitFile::copy_pixel_data_clean).
/// The object is unchanged on error.
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, PrimitiveValue, VR};
/// use dicom_object::{InMemDicomObject, meta::FileMetaTableBuilder};
/// use radguard_dicom::{pixel_meta::clean_object, tags};
///
/// let us = |v: u16| PrimitiveValue::from(v);
/// let mut file = InMemDicomObject::from_element_iter([
///     DataElement::new(tags::ROWS, VR::US, us(1)),
///     DataElement::new(tags::COLUMNS, VR::US, us(2)),
///     DataElement::new(tags::BITS_ALLOCATED, VR::US, us(16)),
///     DataElement::new(tags::BITS_STORED, VR::US, us(12)),
///     DataElement::new(tags::HIGH_BIT, VR::US, us(11)),
///     DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16([0x8123, 0x0456].into())),
/// ])
/// .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))?;
/// let report = clean_object(&mut file)?;
/// assert_eq!(report.samples_changed, 1);
/// let px = file.get(tags::PIXEL_DATA).unwrap().value().to_multi_int::<u16>()?;
/// assert_eq!(px, [0x0123, 0x0456]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clean_object(file: &mut FileDicomObject<InMemDicomObject>) -> Result<PixelCleanReport> {
    let Some(tag) = PIXEL_DATA_TAGS.into_iter().find(|t| file.get(*t).is_some()) else {
        return Ok(PixelCleanReport::default());
    };
    let Some(element) = file.get(tag) else {
        return Ok(PixelCleanReport::default());
    };
    let encapsulated = matches!(element.value(), Value::PixelSequence(_));
    // In memory, dicom-rs holds samples in the host's byte order.
    let host_big_endian = cfg!(target_endian = "big");
    let ts = file.meta().transfer_syntax.clone();
    let plan = plan_for(&ts, file, Some((tag, encapsulated)), host_big_endian)?;
    let (report, value) = match element.value() {
        Value::PixelSequence(seq) => {
            let fragments = seq.fragments();
            let lens: Vec<u32> = fragments
                .iter()
                .map(|f| u32::try_from(f.len()).unwrap_or(u32::MAX))
                .collect();
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(fragments.len());
            let report = strip_frames(
                &plan,
                seq.offset_table(),
                &lens,
                &mut MemFragments(fragments),
                &mut |frame| {
                    let mut f = frame.to_vec();
                    if f.len() % 2 == 1 {
                        f.push(0);
                    }
                    out.push(f);
                    Ok(())
                },
            )?;
            let table = if seq.offset_table().is_empty() {
                Vec::new()
            } else {
                basic_offset_table(&report)?
            };
            let value: Value<InMemDicomObject, Vec<u8>> =
                Value::from(PixelFragmentSequence::new(table, out));
            (report, value)
        }
        Value::Primitive(p) => {
            let Some(desc) = plan.native() else {
                return Ok(PixelCleanReport::default());
            };
            let mut bytes = p.to_bytes().into_owned();
            let need = desc.pixel_len().unwrap_or(u64::MAX);
            let need = usize::try_from(need).unwrap_or(usize::MAX);
            let Some((pixels, tail)) = bytes.split_at_mut_checked(need) else {
                return Err(Error::PixelMetadata {
                    frame: None,
                    source: StreamError::Description {
                        what: "the pixel data is shorter than its Image Pixel attributes say",
                    },
                });
            };
            let report = PixelCleanReport {
                samples_changed: clear_unused_bits(pixels, desc).samples_changed,
                trailing_bytes: tail.len() as u64,
                trailing_nonzero: tail.iter().filter(|b| **b != 0).count() as u64,
                ..PixelCleanReport::default()
            };
            tail.fill(0);
            if !report.changed() {
                return Ok(report);
            }
            (report, Value::Primitive(same_kind(p, bytes)))
        }
        Value::Sequence(_) => {
            return Err(Error::WriterState {
                what: "pixel data is a sequence",
            });
        }
    };
    let vr = if encapsulated { VR::OB } else { element.vr() };
    file.put(DataElement::new(tag, vr, value));
    if encapsulated {
        for t in STALE_AFTER_STRIPPING {
            file.remove_element(t);
        }
    }
    Ok(report)
}

/// `bytes` (host byte order) as a value of the same kind as `like`.
fn same_kind(like: &PrimitiveValue, bytes: Vec<u8>) -> PrimitiveValue {
    fn chunks<const N: usize, T>(b: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
        b.as_chunks::<N>().0.iter().map(|c| f(*c)).collect()
    }
    match like {
        PrimitiveValue::U16(_) => PrimitiveValue::U16(chunks(&bytes, u16::from_ne_bytes).into()),
        PrimitiveValue::I16(_) => PrimitiveValue::I16(chunks(&bytes, i16::from_ne_bytes).into()),
        PrimitiveValue::U32(_) => PrimitiveValue::U32(chunks(&bytes, u32::from_ne_bytes).into()),
        PrimitiveValue::I32(_) => PrimitiveValue::I32(chunks(&bytes, i32::from_ne_bytes).into()),
        PrimitiveValue::F32(_) => PrimitiveValue::F32(chunks(&bytes, f32::from_ne_bytes).into()),
        PrimitiveValue::F64(_) => PrimitiveValue::F64(chunks(&bytes, f64::from_ne_bytes).into()),
        _ => PrimitiveValue::U8(bytes.into()),
    }
}
