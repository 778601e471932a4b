//! Entry point for the `pixel_clean` fuzz target. **Not** part of the
//! stable API.

use std::path::Path;

use radguard_dicom::PixelLayout;

use crate::clean::{CleanOptions, Fallback, clean_file};
use crate::codec;
use crate::frame::FrameBuf;
use crate::geometry::{Rect, RegionPlan};
use crate::source::Input;

/// Largest frame and largest pixel data the harness lets through, so that
/// a run stays within libFuzzer's `-rss_limit_mb=512` (the library's own
/// limit is [`MAX_FRAME_LEN`](crate::MAX_FRAME_LEN) per frame).
const MAX_FRAME: u64 = 8 << 20;
const MAX_TOTAL: u64 = 48 << 20;

/// Cleans `data` (after a few bytes that choose the rectangles and the
/// fallback) as a DICOM file written in `dir`, and panics if a property
/// does not hold: no panic anywhere; when cleaning succeeds the output
/// re-parses with radguard-dicom, and every frame that had a rectangle
/// decodes to the blank value inside it; when it fails nothing is left at
/// the output path.
///
/// Layout of `data`: byte 0 = number of rectangles (low 2 bits), fallback
/// (bit 2), all frames or frame 0 only (bit 3); then 4 bytes per rectangle
/// (x, y, width, height, each × 4 pixels); then the file.
///
/// # Panics
///
/// When a property does not hold (that is the point).
pub fn check(data: &[u8], dir: &Path) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(head & 3);
    let Some((spec, file)) = rest.split_at_checked(4 * n) else {
        return;
    };
    let mut regions = RegionPlan::new();
    for r in spec.chunks_exact(4) {
        let rect = Rect::new(
            u32::from(r[0]) * 4,
            u32::from(r[1]) * 4,
            u32::from(r[2]) * 4,
            u32::from(r[3]) * 4,
        );
        if head & 8 == 0 {
            regions.add_all_frames(rect);
        } else {
            regions.add_frame(0, rect);
        }
    }
    let fallback = if head & 4 == 0 {
        Fallback::Rle
    } else {
        Fallback::Native
    };
    let input = dir.join("input.dcm");
    let output = dir.join("output.dcm");
    let _ = std::fs::remove_file(&output);
    if std::fs::write(&input, file).is_err() {
        return;
    }
    // Keep within the harness's memory: look before cleaning.
    let Ok(split) = radguard_dicom::open_split(&input) else {
        return;
    };
    if let Ok(Some(i)) = Input::of(&split)
        && (i.desc.frame_len() > MAX_FRAME
            || i.desc.frame_len().saturating_mul(u64::from(i.frames)) > MAX_TOTAL)
    {
        return;
    }
    drop(split);
    let opts = CleanOptions::new().fallback(fallback);
    let write = radguard_dicom::WriteOptions::new().overwrite(true);
    match clean_file(&input, &output, &regions, &opts, &write) {
        Err(_) => assert!(!output.exists(), "a failed clean left its output"),
        Ok(report) => {
            radguard_dicom::open(&output).expect("the cleaned output re-parses");
            if report.frames_blanked > 0 {
                check_blank(&output, &regions);
            }
        }
    }
}

/// Every frame with a rectangle decodes to the blank value inside it.
fn check_blank(output: &Path, regions: &RegionPlan) {
    let mut split = radguard_dicom::open_split(output).expect("output opens split");
    let input = Input::of(&split)
        .expect("output's pixel data is described")
        .expect("output has pixel data");
    let check = |k: u32, frame: &FrameBuf| {
        let d = frame.desc();
        let blank = d.blank_value().expect("output has a blank value");
        for r in regions.clipped_for(k, d.columns(), d.rows()) {
            for y in r.y..r.bottom() {
                for x in r.x..r.right() {
                    for s in 0..d.samples_per_pixel() {
                        assert_eq!(
                            frame.sample(x, y, s),
                            blank[usize::from(s)],
                            "frame {k} ({x},{y}) not blank"
                        );
                    }
                }
            }
        }
    };
    if matches!(
        split.pixel_data().map(radguard_dicom::PixelData::layout),
        Some(PixelLayout::Native { .. })
    ) {
        let mut buf = Vec::new();
        for k in 0..input.frames {
            input
                .read_native(&mut split, k, &mut buf)
                .expect("native frame reads");
            let frame =
                FrameBuf::new(input.desc.clone(), std::mem::take(&mut buf)).expect("native frame");
            check(k, &frame);
        }
        return;
    }
    let mut k = 0u32;
    let (cols, rows) = (input.desc.columns(), input.desc.rows());
    split
        .for_each_clean_frame(&input.plan, &mut |data| {
            // Frames without a rectangle were copied as they came and may
            // hold whatever the input held.
            if regions.touches(k, cols, rows) {
                let frame = codec::decode_frame(&input.ts, &input.desc, k, data)
                    .expect("a blanked frame decodes");
                check(k, &frame);
            }
            k += 1;
            Ok(())
        })
        .expect("output frames group");
}
