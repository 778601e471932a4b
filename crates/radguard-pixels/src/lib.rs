//! Burned-in text removal for DICOM pixel data (PS3.15 E.3.1, the Clean
//! Pixel Data Option): decode, blank rectangles, re-encode, in bounded
//! memory, never losing quality silently.
//!
//! This crate is the pixel layer of radguard's pixel cleaning. Finding
//! *where* the text is (device rules, ultrasound regions, OCR) happens
//! elsewhere and produces [`geometry::Rect`]s in a [`geometry::RegionPlan`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod geometry;
