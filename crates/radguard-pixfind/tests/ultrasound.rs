//! The Sequence of Ultrasound Regions and its complement.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::type_complexity)]

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;
use proptest::prelude::*;
use radguard_dicom::tags;
use radguard_pixfind::ultrasound::{UsRegionError, ultrasound_regions};
use radguard_pixfind::{Provenance, Rect, RuleSet, plan_header};

fn region(x0: u32, y0: u32, x1: u32, y1: u32, format: u16) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(
            tags::REGION_SPATIAL_FORMAT,
            VR::US,
            PrimitiveValue::from(format),
        ),
        DataElement::new(tags::REGION_DATA_TYPE, VR::US, PrimitiveValue::from(1_u16)),
        DataElement::new(
            tags::REGION_LOCATION_MIN_X0,
            VR::UL,
            PrimitiveValue::from(x0),
        ),
        DataElement::new(
            tags::REGION_LOCATION_MIN_Y0,
            VR::UL,
            PrimitiveValue::from(y0),
        ),
        DataElement::new(
            tags::REGION_LOCATION_MAX_X1,
            VR::UL,
            PrimitiveValue::from(x1),
        ),
        DataElement::new(
            tags::REGION_LOCATION_MAX_Y1,
            VR::UL,
            PrimitiveValue::from(y1),
        ),
    ])
}

fn image(columns: u16, rows: u16, regions: Vec<InMemDicomObject>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("US")),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(rows)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(columns)),
        DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            DataSetSequence::from(regions),
        ),
    ])
}

#[test]
fn absent_sequence_is_none() {
    let ds = InMemDicomObject::from_element_iter([DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(4_u16),
    )]);
    assert_eq!(ultrasound_regions(&ds), Ok(None));
}

#[test]
fn inclusive_bounds_two_regions_and_graphics() {
    let ds = image(
        640,
        480,
        vec![
            region(0, 40, 319, 439, 1),
            region(320, 40, 639, 439, 1),
            region(10, 450, 200, 470, 5),
        ],
    );
    let us = ultrasound_regions(&ds).unwrap().unwrap();
    assert_eq!(
        us.kept().collect::<Vec<_>>(),
        [Rect::new(0, 40, 320, 400), Rect::new(320, 40, 320, 400)]
    );
    assert!(!us.regions()[2].kept, "graphics regions are blanked");
    // Two bands: rows 0..40 and 440..480, whole width (strips merged).
    let mut blank = us.blank().to_vec();
    blank.sort();
    assert_eq!(
        blank,
        [Rect::new(0, 0, 640, 40), Rect::new(0, 440, 640, 40)]
    );
}

#[test]
fn overhang_is_clipped_and_marked() {
    // Devices write Max X1 = Columns (one past the last column).
    let ds = image(800, 600, vec![region(120, 60, 800, 518, 1)]);
    let us = ultrasound_regions(&ds).unwrap().unwrap();
    assert_eq!(us.regions()[0].rect, Rect::new(120, 60, 680, 459));
    assert!(us.regions()[0].clipped);
}

#[test]
fn malformed_regions_are_errors() {
    let e = |regions| ultrasound_regions(&image(640, 480, regions)).unwrap_err();
    assert_eq!(
        e(vec![region(100, 10, 99, 20, 1)]),
        UsRegionError::Inverted { item: 0 }
    );
    assert_eq!(
        e(vec![region(0, 0, 10, 10, 1), region(0, 20, 5, 10, 1)]),
        UsRegionError::Inverted { item: 1 }
    );
    assert_eq!(
        e(vec![region(640, 0, 700, 10, 1)]),
        UsRegionError::OutsideImage {
            item: 0,
            columns: 640,
            rows: 480
        }
    );
    assert_eq!(e(vec![]), UsRegionError::NoRegion);
    let mut missing = region(0, 0, 10, 10, 1);
    missing.remove_element(tags::REGION_LOCATION_MAX_Y1);
    assert_eq!(
        e(vec![missing]),
        UsRegionError::BadLocation {
            item: 0,
            attribute: "RegionLocationMaxY1"
        }
    );
    let mut text = region(0, 0, 10, 10, 1);
    text.put(DataElement::new(
        tags::REGION_LOCATION_MIN_X0,
        VR::UL,
        PrimitiveValue::from("ten"),
    ));
    assert!(matches!(e(vec![text]), UsRegionError::BadLocation { .. }));
    let many = (0..300).map(|_| region(0, 0, 1, 1, 1)).collect();
    assert_eq!(e(many), UsRegionError::TooManyRegions { count: 300 });
    let mut no_size = image(640, 480, vec![region(0, 0, 1, 1, 1)]);
    no_size.remove_element(tags::ROWS);
    assert_eq!(
        ultrasound_regions(&no_size),
        Err(UsRegionError::NoImageSize)
    );
    let not_seq = InMemDicomObject::from_element_iter([
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(4_u16)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(4_u16)),
        DataElement::new(
            Tag(0x0018, 0x6011),
            VR::UN,
            PrimitiveValue::from(vec![1u8, 2]),
        ),
    ]);
    assert_eq!(
        ultrasound_regions(&not_seq),
        Err(UsRegionError::NotASequence)
    );
}

#[test]
fn unusable_regions_are_a_gap_in_the_plan() {
    let ds = image(640, 480, vec![region(100, 10, 99, 20, 1)]);
    let plan = plan_header(&ds, None, &RuleSet::new()).unwrap();
    assert!(plan.blank().is_empty());
    let gaps = plan.gaps();
    assert!(
        gaps.iter()
            .any(|g| g.contains("ultrasound regions unusable: ultrasound region 0 is inverted")),
        "{gaps:?}"
    );

    let ds = image(640, 480, vec![region(100, 50, 539, 429, 1)]);
    let plan = plan_header(&ds, None, &RuleSet::new()).unwrap();
    assert!(plan.gaps().is_empty());
    assert!(
        plan.blank()
            .iter()
            .all(|b| b.provenance == Provenance::UltrasoundRegions)
    );
}

proptest! {
    /// Every pixel is either in a kept data region or covered by exactly
    /// one blanking rectangle, never both.
    #[test]
    fn complement_property(
        (c, r, regs) in (1u16..48, 1u16..48).prop_flat_map(|(c, r)| {
            let reg = (0..u32::from(c), 0..u32::from(r), 0u32..50, 0u32..50, prop_oneof![Just(1u16), Just(5u16)])
                .prop_map(|(x0, y0, w, h, f)| (x0, y0, x0 + w, y0 + h, f));
            (Just(c), Just(r), proptest::collection::vec(reg, 1..6))
        })
    ) {
        let ds = image(c, r, regs.iter().map(|&(a, b, x, y, f)| region(a, b, x, y, f)).collect());
        let us = ultrasound_regions(&ds).unwrap().unwrap();
        let kept: Vec<Rect> = us.kept().collect();
        for y in 0..u32::from(r) {
            for x in 0..u32::from(c) {
                let in_region = regs.iter().any(|&(a, b, x1, y1, f)| f != 5 && x >= a && x <= x1 && y >= b && y <= y1);
                prop_assert_eq!(in_region, kept.iter().any(|k| k.contains(x, y)));
                let n = us.blank().iter().filter(|q| q.contains(x, y)).count();
                prop_assert_eq!(n, usize::from(!in_region), "pixel ({}, {})", x, y);
            }
        }
    }
}

#[test]
fn corpus_ultrasound_regions() {
    let Some(dir) = radguard_testkit::corpus_dir() else {
        println!("note: ../shared/corpus not present; corpus regions skipped");
        return;
    };
    let cases: &[(&str, &[Rect])] = &[
        // CX50: (120,60)-(800,518) clipped at 800 columns; (176,522)-(743,576).
        (
            "files/pypi-pydicom-data-1.0.0/OBXXXX1A.dcm",
            &[Rect::new(120, 60, 680, 459), Rect::new(176, 522, 568, 55)],
        ),
        // ALOKA: two side-by-side regions and a gray bar inside the first.
        (
            "files/pypi-pydicom-data-1.0.0/gdcm-US-ALOKA-16.dcm",
            &[
                Rect::new(32, 24, 304, 392),
                Rect::new(336, 24, 304, 392),
                Rect::new(32, 40, 32, 64),
            ],
        ),
        // MINDRAY: Max Y1 = Rows (910), one past the last row.
        (
            "files/gh-orthanc-tests/2023-04-21-RLEPlanarConfigurationYBR_FULL.dcm",
            &[Rect::new(0, 120, 1101, 790)],
        ),
    ];
    for (rel, want) in cases {
        let path = dir.join(rel);
        if !path.exists() {
            continue;
        }
        let file = radguard_dicom::open(&path).unwrap();
        let us = ultrasound_regions(file.object()).unwrap().unwrap();
        assert_eq!(us.kept().collect::<Vec<_>>(), *want, "{rel}");
        let (c, r) = us.image_size();
        let blanked: u64 = us.blank().iter().map(Rect::area).sum();
        let kept_area = (0..r)
            .map(|y| {
                (0..c)
                    .filter(|&x| want.iter().any(|k| k.contains(x, y)))
                    .count() as u64
            })
            .sum::<u64>();
        assert_eq!(blanked + kept_area, u64::from(c) * u64::from(r), "{rel}");
    }
}
