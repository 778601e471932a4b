//! Where the burned-in text is in a DICOM image, from three sources:
//!
//! - **Pixel rules by device** ([`rules`], [`RuleSet`]): header conditions
//!   (Modality, Manufacturer, Manufacturer Model Name, Rows, Columns, Image
//!   Type, ...) with the rectangles a device burns text into. The 118
//!   filters of pydicom/deid are bundled ([`RuleSet::bundled`]); sites add
//!   their own files ([`RuleSet::from_file`]), and [`RuleSet::explain`]
//!   shows which rule matched which condition.
//! - **Ultrasound regions** ([`ultrasound`]): everything outside the data
//!   regions of the Sequence of Ultrasound Regions, on any device.
//! - **Text detection** ([`detect`], feature `ocr`): Tesseract's layout
//!   analysis on a filtered frame finds text no rule covers; a re-check on
//!   the cleaned frame tells whether any text is left.
//!
//! [`plan_header`] puts the first two together for a header, and
//! [`frame_blanking`] adds detection for one frame; each rectangle carries
//! its [`Provenance`] for the audit. The crate finds rectangles; the pixel
//! layer blanks them.
//!
//! # Examples
//!
//! ```
//! use dicom_core::{DataElement, PrimitiveValue, VR};
//! use dicom_object::InMemDicomObject;
//! use radguard_dicom::tags;
//! use radguard_pixfind::{Rect, RuleSet, plan_header};
//!
//! // A Siemens S2000 ultrasound image, 1024 × 768.
//! let ds = InMemDicomObject::from_element_iter([
//!     DataElement::new(tags::MODALITY, VR::CS, "US"),
//!     DataElement::new(tags::MANUFACTURER, VR::LO, "SIEMENS"),
//!     DataElement::new(tags::MANUFACTURER_MODEL_NAME, VR::LO, "S2000"),
//!     DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(768_u16)),
//!     DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(1024_u16)),
//!     DataElement::new(tags::IMAGE_TYPE, VR::CS, PrimitiveValue::Strs(
//!         ["ORIGINAL", "PRIMARY"].map(String::from).into_iter().collect(),
//!     )),
//! ]);
//! let plan = plan_header(&ds, None, RuleSet::bundled())?;
//! // pydicom/deid's rule "SIEMMENS" (from CTP): ctpcoordinates 0,0,1024,60.
//! assert_eq!(plan.blank()[0].rect, Rect::new(0, 0, 1024, 60));
//! assert!(plan.gaps().is_empty());
//!
//! // Without Image Type, deid's blacklist rule "Stanford Blacklist Missing
//! // ImageType" flags the image: text may be anywhere.
//! let mut ds = ds;
//! ds.remove_element(tags::IMAGE_TYPE);
//! assert_eq!(plan_header(&ds, None, RuleSet::bundled())?.flagged_by(), ["deid:115"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `ocr`: text detection with the system Tesseract library (Debian
//!   `libtesseract-dev libleptonica-dev libclang-dev` to build,
//!   `tesseract-ocr` to run). Off by default: without it
//!   [`detect::TextDetector::new`] returns
//!   [`detect::DetectError::NotAvailable`].
//!
//! # Security
//!
//! - Rule files are untrusted input: parsed strictly (unknown keys,
//!   keywords and actions are errors naming the line), conditions nest at
//!   most 16 deep, files are read up to 16 MiB.
//! - A rule says where a device puts text, not that there is no other
//!   text: combine rules with detection and its re-check wherever the
//!   `ocr` feature is available, and refuse what cannot be assured
//!   ([`HeaderPlan::gaps`]).
//! - No recognised text is kept, returned or logged, and explanations show
//!   only device and image attributes' values.

// One audited `unsafe` call, in `detect::engine::quiet_leptonica` (feature
// `ocr`): Leptonica's message level. Everything else is safe code.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod detect;
pub mod geometry;
mod plan;
pub mod rules;
pub mod ultrasound;

pub use geometry::Rect;
pub use plan::{Blanking, HeaderPlan, Provenance, frame_blanking, plan_header};
pub use rules::{Rule, RuleAction, RuleError, RuleSet};

#[doc(hidden)]
pub mod fuzzing;
