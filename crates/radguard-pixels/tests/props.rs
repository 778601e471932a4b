//! Properties of blanking and of the lossless codecs, on random frames and
//! rectangles: inside the rectangles every sample is the blank value,
//! outside every byte is as it was, for every photometric interpretation
//! and bit depth; RLE (and JPEG-LS) round trips are exact.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use proptest::prelude::*;
use radguard_pixels::geometry::Rect;
use radguard_pixels::{
    FrameBuf, FrameDesc, Palette, Photometric, RLE_LOSSLESS, decode_frame, encode_frame,
};

/// The layouts under test: (photometric, bits allocated, stored, high bit, signed, planar).
const LAYOUTS: &[(Photometric, u16, u16, u16, bool, bool)] = &[
    (Photometric::Monochrome2, 8, 8, 7, false, false),
    (Photometric::Monochrome1, 8, 8, 7, false, false),
    (Photometric::Monochrome2, 8, 6, 5, true, false),
    (Photometric::Monochrome2, 16, 16, 15, false, false),
    (Photometric::Monochrome2, 16, 16, 15, true, false),
    (Photometric::Monochrome2, 16, 12, 11, false, false),
    (Photometric::Monochrome2, 16, 12, 11, true, false),
    (Photometric::Monochrome1, 16, 12, 11, true, false),
    (Photometric::Monochrome1, 16, 10, 13, false, false),
    (Photometric::Monochrome2, 32, 32, 31, true, false),
    (Photometric::Monochrome2, 32, 20, 19, false, false),
    (Photometric::Rgb, 8, 8, 7, false, false),
    (Photometric::Rgb, 8, 8, 7, false, true),
    (Photometric::Rgb, 16, 16, 15, false, false),
    (Photometric::Rgb, 16, 12, 11, false, true),
    (Photometric::YbrFull, 8, 8, 7, false, false),
    (Photometric::YbrFull, 8, 8, 7, false, true),
    (Photometric::YbrFull422, 8, 8, 7, false, false),
    (Photometric::YbrPartial422, 8, 8, 7, false, false),
    (Photometric::PaletteColor, 8, 8, 7, false, false),
    (Photometric::PaletteColor, 16, 16, 15, false, false),
];

fn palette(entries: usize, seed: &[u8]) -> Palette {
    let at = |i: usize, k: usize| u16::from(seed[(i * 3 + k) % seed.len()]) * 257;
    let red = (0..entries).map(|i| at(i, 0)).collect();
    let green = (0..entries).map(|i| at(i, 1)).collect();
    let blue = (0..entries).map(|i| at(i, 2)).collect();
    Palette::new(3, 16, red, green, blue).unwrap()
}

prop_compose! {
    fn frame()(layout in 0..LAYOUTS.len(), rows in 1u32..20, half_cols in 1u32..12, odd in any::<bool>())
        (layout in Just(layout), rows in Just(rows), half_cols in Just(half_cols), odd in Just(odd),
         seed in proptest::collection::vec(any::<u8>(), 1..64),
         data in proptest::collection::vec(any::<u8>(), 20 * 24 * 3 * 4))
        -> FrameBuf
    {
        let (p, ba, bs, hb, signed, planar) = LAYOUTS[layout];
        let cols = if p == Photometric::YbrFull422 || !odd { half_cols * 2 } else { half_cols * 2 - 1 };
        let mut desc = FrameDesc::new(rows, cols, p).bits(ba, bs, hb).signed(signed).planar(planar);
        if p == Photometric::PaletteColor {
            desc = desc.palette(palette(if ba == 8 { 200 } else { 300 }, &seed));
        }
        let len = desc.frame_len() as usize;
        FrameBuf::new(desc, data[..len].to_vec()).unwrap()
    }
}

fn rects() -> impl Strategy<Value = Vec<Rect>> {
    proptest::collection::vec(
        (0u32..30, 0u32..30, 0u32..30, 0u32..30).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h)),
        0..4,
    )
}

/// The pixels a rectangle really covers (YBR_FULL_422 pairs widened).
fn covered(r: &Rect, d: &FrameDesc, x: u32, y: u32) -> bool {
    let r = r.clip(d.columns(), d.rows());
    if r.is_empty() {
        return false;
    }
    if d.photometric() == Photometric::YbrFull422 {
        let (l, right) = (r.x & !1, (r.right() + 1) & !1);
        return x >= l && x < right && y >= r.y && y < r.bottom();
    }
    r.contains(x, y)
}

/// The darkest palette value, by brute force.
fn darkest(d: &FrameDesc) -> i64 {
    let (min, max) = d.value_range();
    let p = d.palette_ref().unwrap();
    (min..=max)
        .min_by_key(|v| {
            let (r, g, b) = p.colour(*v);
            (
                299 * u64::from(r) + 587 * u64::from(g) + 114 * u64::from(b),
                *v,
            )
        })
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn blank_inside_identical_outside(frame in frame(), rects in rects()) {
        let before = frame.clone();
        let mut after = frame;
        let d = after.desc().clone();
        let report = after.blank(&rects).unwrap();
        let blank = d.blank_value().unwrap();
        // The blank values are the documented ones.
        let (min, max) = d.value_range();
        let mid = 1i64 << (d.bits_stored() - 1);
        let expected: Vec<i64> = match d.photometric() {
            Photometric::Monochrome2 => vec![min],
            Photometric::Monochrome1 => vec![max],
            Photometric::Rgb => vec![0, 0, 0],
            Photometric::YbrFull | Photometric::YbrFull422 => vec![0, mid, mid],
            Photometric::YbrPartial422 => vec![16, mid, mid],
            Photometric::PaletteColor => vec![darkest(&d)],
            _ => unreachable!(),
        };
        prop_assert_eq!(&blank, &expected);
        let bps = d.bytes_per_sample();
        let mut inside_pixels = 0u64;
        for y in 0..d.rows() {
            for x in 0..d.columns() {
                let inside = rects.iter().any(|r| covered(r, &d, x, y));
                inside_pixels += u64::from(inside);
                for s in 0..d.samples_per_pixel() {
                    if inside {
                        prop_assert_eq!(after.sample(x, y, s), blank[usize::from(s)], "({},{}) s{}", x, y, s);
                    } else {
                        let at = before.sample_offset(x, y, s).unwrap();
                        prop_assert_eq!(&after.data()[at..at + bps], &before.data()[at..at + bps], "({},{}) s{}", x, y, s);
                    }
                }
            }
        }
        // Each blanked pixel counted once, overlaps included.
        prop_assert_eq!(report.pixels, inside_pixels);
    }

    #[test]
    fn rle_round_trip_is_exact(frame in frame()) {
        prop_assume!(frame.desc().photometric() != Photometric::YbrFull422);
        let enc = encode_frame(RLE_LOSSLESS, &frame, 0).unwrap();
        let back = decode_frame(RLE_LOSSLESS, frame.desc(), 0, &enc).unwrap();
        let planar = frame.desc().is_planar();
        let back = back.to_planar(planar);
        prop_assert_eq!(back.data(), frame.data());
    }

    #[test]
    fn to_planar_round_trips(frame in frame()) {
        let planar = frame.desc().is_planar();
        let back = frame.clone().to_planar(!planar).to_planar(planar);
        prop_assert_eq!(back.data(), frame.data());
    }

    #[test]
    fn gray_rendering_has_one_byte_per_pixel(frame in frame(), window in proptest::option::of((-5000f64..5000.0, 0f64..9000.0))) {
        let g = frame.to_gray8(window);
        prop_assert_eq!(g.len() as u64, frame.desc().pixels());
    }
}

#[cfg(feature = "jpegls")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn jpeg_ls_lossless_round_trip_keeps_values(frame in frame()) {
        let d = frame.desc().clone();
        prop_assume!(d.bits_allocated() <= 16 && d.bits_stored() >= 2 && d.high_bit() + 1 == d.bits_stored());
        prop_assume!(d.photometric() != Photometric::YbrFull422);
        let enc = encode_frame(radguard_pixels::JPEG_LS_LOSSLESS, &frame, 0).unwrap();
        let back = decode_frame(radguard_pixels::JPEG_LS_LOSSLESS, &d, 0, &enc).unwrap();
        for y in 0..d.rows() {
            for x in 0..d.columns() {
                for s in 0..d.samples_per_pixel() {
                    prop_assert_eq!(back.sample(x, y, s), frame.sample(x, y, s));
                }
            }
        }
    }
}

#[test]
fn gray_rendering_follows_the_photometric() {
    // MONOCHROME1 renders inverted: its largest value (black) becomes 0.
    let d = FrameDesc::new(1, 2, Photometric::Monochrome1).bits(16, 12, 11);
    let f = FrameBuf::new(d, vec![0x00, 0x00, 0xFF, 0x0F]).unwrap();
    assert_eq!(f.to_gray8(None), vec![255, 0]);
    // A window clips.
    let d = FrameDesc::new(1, 3, Photometric::Monochrome2)
        .bits(16, 16, 15)
        .signed(true)
        .rescale(1.0, -1024.0);
    let px: Vec<u8> = [0i16, 1064, 3000]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let f = FrameBuf::new(d, px).unwrap();
    assert_eq!(f.to_gray8(Some((40.0, 400.0))), vec![0, 128, 255]);
    // RGB to luma.
    let f = FrameBuf::new(
        FrameDesc::new(1, 2, Photometric::Rgb),
        vec![255, 255, 255, 255, 0, 0],
    )
    .unwrap();
    assert_eq!(f.to_gray8(None), vec![255, 76]);
}
