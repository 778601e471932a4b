//! Ultrasound regions: everything outside the data regions of the
//! Sequence of Ultrasound Regions (0018,6011) is blanked, whatever the
//! device.
//!
//! Each item of the sequence places one region with Region Location Min
//! X0/Y0 and Max X1/Y1 (0018,6018/601A/601C/601E), **inclusive** pixel
//! coordinates (PS3.3 C.8.5.5.1.1): a region from X0 = 0 to X1 = 639 is 640
//! columns wide. A region is kept unless its Region Spatial Format
//! (0018,6012) is 5, "graphics", which is where a device may draw text.
//! The result, [`UsRegions::blank`], is the set of rectangles covering
//! exactly the pixels outside every kept region: that is what the pixel
//! layer blanks.
//!
//! # Security
//!
//! This source blanks what lies *outside* the data regions; it says
//! nothing about text drawn *inside* them (measurement labels, body
//! markers, sometimes a name). Use it with text detection and the
//! re-check. Regions that cannot be trusted are errors
//! ([`UsRegionError`]), never silently skipped: a file whose regions are
//! malformed cannot be assured by this source.

use dicom_core::Tag;
use dicom_core::value::Value;
use dicom_object::InMemDicomObject;
use radguard_dicom::tags;

use crate::Rect;

/// At most this many regions are read; more is an error.
pub const MAX_REGIONS: usize = 256;

/// Region Spatial Format (0018,6012) value for graphics regions, which are
/// not kept.
pub const SPATIAL_FORMAT_GRAPHICS: u16 = 5;

/// One region of the Sequence of Ultrasound Regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsRegion {
    /// The item's index in the sequence (0-based).
    pub item: usize,
    /// The region in pixels (exclusive right and bottom edges), clipped to
    /// the image.
    pub rect: Rect,
    /// Region Spatial Format (0018,6012), if given.
    pub spatial_format: Option<u16>,
    /// Region Data Type (0018,6014), if given.
    pub data_type: Option<u16>,
    /// `true` if the region is kept (not graphics).
    pub kept: bool,
    /// `true` if the region reached past the image and was clipped (real
    /// devices write X1 = Columns, one past the last column).
    pub clipped: bool,
}

/// The data regions of an ultrasound image and the rectangles outside
/// them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsRegions {
    columns: u32,
    rows: u32,
    regions: Vec<UsRegion>,
    blank: Vec<Rect>,
}

impl UsRegions {
    /// Every region read, kept or not.
    #[must_use]
    pub fn regions(&self) -> &[UsRegion] {
        &self.regions
    }
    /// The rectangles of the kept regions.
    pub fn kept(&self) -> impl Iterator<Item = Rect> + '_ {
        self.regions.iter().filter(|r| r.kept).map(|r| r.rect)
    }
    /// The rectangles to blank: pairwise disjoint, covering exactly the
    /// pixels outside every kept region.
    #[must_use]
    pub fn blank(&self) -> &[Rect] {
        &self.blank
    }
    /// The image size (columns, rows).
    #[must_use]
    pub const fn image_size(&self) -> (u32, u32) {
        (self.columns, self.rows)
    }
}

/// Why the ultrasound regions of a file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsRegionError {
    /// Rows or Columns is absent or zero.
    #[error("the data set has no usable Rows and Columns")]
    NoImageSize,
    /// (0018,6011) is not a sequence.
    #[error("Sequence of Ultrasound Regions (0018,6011) is not a sequence")]
    NotASequence,
    /// The sequence has no item.
    #[error("Sequence of Ultrasound Regions (0018,6011) has no region")]
    NoRegion,
    /// More than [`MAX_REGIONS`] items.
    #[error(
        "Sequence of Ultrasound Regions (0018,6011) has {count} regions (at most {MAX_REGIONS} are read)"
    )]
    TooManyRegions {
        /// How many items the sequence has.
        count: usize,
    },
    /// A region lacks one of its four location attributes, or it is not a
    /// non-negative number.
    #[error("ultrasound region {item}: {attribute} is missing or not a non-negative number")]
    BadLocation {
        /// The item (0-based).
        item: usize,
        /// The attribute's keyword.
        attribute: &'static str,
    },
    /// Max X1 < Min X0 or Max Y1 < Min Y0.
    #[error("ultrasound region {item} is inverted (max before min)")]
    Inverted {
        /// The item (0-based).
        item: usize,
    },
    /// The region starts outside the image.
    #[error("ultrasound region {item} starts outside the {columns}x{rows} image")]
    OutsideImage {
        /// The item (0-based).
        item: usize,
        /// Image columns.
        columns: u32,
        /// Image rows.
        rows: u32,
    },
}

fn location(
    item: &InMemDicomObject,
    idx: usize,
    tag: Tag,
    name: &'static str,
) -> Result<u32, UsRegionError> {
    let bad = UsRegionError::BadLocation {
        item: idx,
        attribute: name,
    };
    let v = item
        .get(tag)
        .and_then(|e| e.to_int::<i64>().ok())
        .ok_or(bad.clone())?;
    u32::try_from(v).map_err(|_| bad)
}

fn small(item: &InMemDicomObject, tag: Tag) -> Option<u16> {
    item.get(tag).and_then(|e| e.to_int::<u16>().ok())
}

/// The ultrasound regions of a data set, or `None` if it has no Sequence of
/// Ultrasound Regions (0018,6011).
///
/// # Errors
///
/// A [`UsRegionError`] when the sequence is there but cannot be trusted:
/// no item, too many, a location missing or not a number, a region
/// inverted or starting outside the image, or no image size. A region that
/// only reaches past the right or bottom edge is clipped (devices commonly
/// write X1 = Columns) and marked [`UsRegion::clipped`].
///
/// # Examples
///
/// ```
/// use dicom_core::{DataElement, PrimitiveValue, VR};
/// use dicom_core::value::DataSetSequence;
/// use dicom_object::InMemDicomObject;
/// use radguard_dicom::tags;
/// use radguard_pixfind::{Rect, ultrasound::ultrasound_regions};
///
/// let region = InMemDicomObject::from_element_iter([
///     DataElement::new(tags::REGION_SPATIAL_FORMAT, VR::US, PrimitiveValue::from(1_u16)),
///     DataElement::new(tags::REGION_LOCATION_MIN_X0, VR::UL, PrimitiveValue::from(100_u32)),
///     DataElement::new(tags::REGION_LOCATION_MIN_Y0, VR::UL, PrimitiveValue::from(50_u32)),
///     DataElement::new(tags::REGION_LOCATION_MAX_X1, VR::UL, PrimitiveValue::from(539_u32)),
///     DataElement::new(tags::REGION_LOCATION_MAX_Y1, VR::UL, PrimitiveValue::from(429_u32)),
/// ]);
/// let ds = InMemDicomObject::from_element_iter([
///     DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(480_u16)),
///     DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(640_u16)),
///     DataElement::new(tags::SEQUENCE_OF_ULTRASOUND_REGIONS, VR::SQ, DataSetSequence::from(vec![region])),
/// ]);
/// let us = ultrasound_regions(&ds)?.expect("regions present");
/// assert_eq!(us.kept().collect::<Vec<_>>(), [Rect::new(100, 50, 440, 380)]); // inclusive max
/// let blanked: u64 = us.blank().iter().map(Rect::area).sum();
/// assert_eq!(blanked, 640 * 480 - 440 * 380);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ultrasound_regions(ds: &InMemDicomObject) -> Result<Option<UsRegions>, UsRegionError> {
    let Some(seq) = ds.get(tags::SEQUENCE_OF_ULTRASOUND_REGIONS) else {
        return Ok(None);
    };
    let (columns, rows) = crate::rules::image_size(ds).map_err(|_| UsRegionError::NoImageSize)?;
    let Value::Sequence(seq) = seq.value() else {
        return Err(UsRegionError::NotASequence);
    };
    let items = seq.items();
    if items.is_empty() {
        return Err(UsRegionError::NoRegion);
    }
    if items.len() > MAX_REGIONS {
        return Err(UsRegionError::TooManyRegions { count: items.len() });
    }
    let mut regions = Vec::with_capacity(items.len());
    for (idx, item) in items.iter().enumerate() {
        let x0 = location(
            item,
            idx,
            tags::REGION_LOCATION_MIN_X0,
            "RegionLocationMinX0",
        )?;
        let y0 = location(
            item,
            idx,
            tags::REGION_LOCATION_MIN_Y0,
            "RegionLocationMinY0",
        )?;
        let x1 = location(
            item,
            idx,
            tags::REGION_LOCATION_MAX_X1,
            "RegionLocationMaxX1",
        )?;
        let y1 = location(
            item,
            idx,
            tags::REGION_LOCATION_MAX_Y1,
            "RegionLocationMaxY1",
        )?;
        if x1 < x0 || y1 < y0 {
            return Err(UsRegionError::Inverted { item: idx });
        }
        if x0 >= columns || y0 >= rows {
            return Err(UsRegionError::OutsideImage {
                item: idx,
                columns,
                rows,
            });
        }
        // Inclusive max: the region is x0..=x1.
        let full = Rect::from_corners(x0, y0, x1.saturating_add(1), y1.saturating_add(1));
        let rect =
            crate::geometry::clipped(full, columns, rows).ok_or(UsRegionError::OutsideImage {
                item: idx,
                columns,
                rows,
            })?;
        let spatial_format = small(item, tags::REGION_SPATIAL_FORMAT);
        regions.push(UsRegion {
            item: idx,
            rect,
            spatial_format,
            data_type: small(item, tags::REGION_DATA_TYPE),
            kept: spatial_format != Some(SPATIAL_FORMAT_GRAPHICS),
            clipped: rect != full,
        });
    }
    let kept: Vec<Rect> = regions.iter().filter(|r| r.kept).map(|r| r.rect).collect();
    let blank = Rect::complement(&kept, columns, rows);
    Ok(Some(UsRegions {
        columns,
        rows,
        regions,
        blank,
    }))
}
