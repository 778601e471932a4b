//! Text detection and the re-check, with Tesseract (feature `ocr`). The
//! tests print a note and pass when the feature, the language data or the
//! frame generator (python3 with Pillow and numpy) is missing.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::type_complexity)]

use std::path::{Path, PathBuf};

use radguard_pixfind::detect::{
    DetectError, DetectorOptions, Gray8, Recheck, TextBox, TextDetector, is_available,
};

fn detector() -> Option<TextDetector> {
    match TextDetector::new(DetectorOptions::default()) {
        Ok(d) => Some(d),
        Err(DetectError::NotAvailable) => {
            assert!(!is_available());
            println!("note: built without the `ocr` feature; OCR tests skipped");
            None
        }
        Err(e) => {
            println!("note: {e} (install tesseract-ocr); OCR tests skipped");
            None
        }
    }
}

struct Frame {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    strings: usize,
}

fn frames() -> Option<Vec<Frame>> {
    let dir = std::env::temp_dir().join(format!("pixfind-ocr-{}", std::process::id()));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/make_frames.py");
    let ok = std::process::Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .arg("3")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("note: python3 with Pillow and numpy not available; synthetic frames skipped");
        return None;
    }
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).ok()?).ok()?;
    let read = |p: &Path| std::fs::read(p).unwrap();
    let out = truth
        .as_array()?
        .iter()
        .map(|t| {
            let f = t["file"].as_str().unwrap();
            Frame {
                pixels: read(&dir.join(format!("{f}.gray"))),
                labels: read(&dir.join(format!("{f}.lab"))),
                strings: usize::try_from(t["strings"].as_u64().unwrap()).unwrap(),
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    Some(out)
}

/// Drawn strings whose every ink pixel lies in some box.
fn covered(frame: &Frame, boxes: &[TextBox]) -> usize {
    let mut missed = vec![false; frame.strings + 1];
    for (i, &l) in frame.labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let (x, y) = (
            u32::try_from(i % 640).unwrap(),
            u32::try_from(i / 640).unwrap(),
        );
        if !boxes.iter().any(|b| b.rect.contains(x, y)) {
            missed[usize::from(l)] = true;
        }
    }
    (1..=frame.strings).filter(|&s| !missed[s]).count()
}

#[test]
fn blank_frames_have_no_text() {
    let Some(mut d) = detector() else { return };
    for v in [0u8, 128, 255] {
        let f = vec![v; 320 * 240];
        let g = Gray8::new(&f, 320, 240).unwrap();
        assert!(d.detect(g).unwrap().is_empty(), "uniform {v}");
        assert_eq!(d.recheck(g).unwrap(), Recheck::Clean, "uniform {v}");
    }
}

#[test]
fn synthetic_burned_in_text_is_found_and_rechecked() {
    let Some(mut d) = detector() else { return };
    let Some(frames) = frames() else { return };
    let (mut found, mut total, mut recheck_hits, mut refused_after) = (0, 0, 0, 0);
    let (mut missed_frames, mut refused_missed) = (0, 0);
    let mut area = 0u64;
    for f in &frames {
        let g = Gray8::new(&f.pixels, 640, 480).unwrap();
        let boxes = d.detect(g).unwrap();
        for b in &boxes {
            assert!(b.rect.right() <= 640 && b.rect.bottom() <= 480);
            assert!(b.confidence.is_none());
        }
        area += boxes.iter().map(|b| b.rect.area()).sum::<u64>();
        let here = covered(f, &boxes);
        let missed_here = here < f.strings;
        missed_frames += usize::from(missed_here);
        found += here;
        total += f.strings;
        // The re-check sees text in the uncleaned frame...
        if !d.recheck(g).unwrap().is_clean() {
            recheck_hits += 1;
        }
        // ... and after blanking what detection found, counts what is left.
        let mut cleaned = f.pixels.clone();
        for b in &boxes {
            for y in b.rect.y..b.rect.bottom() {
                let row = (y * 640) as usize;
                cleaned[row + b.rect.x as usize..row + b.rect.right() as usize].fill(0);
            }
        }
        if let Recheck::TextFound(left) =
            d.recheck(Gray8::new(&cleaned, 640, 480).unwrap()).unwrap()
        {
            refused_after += 1;
            refused_missed += usize::from(missed_here);
            assert!(left.iter().all(|b| b.confidence.is_some_and(|c| c >= 60.0)));
        }
    }
    let recall = found as f64 / total as f64;
    println!(
        "detection: {found}/{total} drawn strings fully covered (recall {recall:.3}), boxes cover {:.1}% of the frame; \
         re-check flags {recheck_hits}/{} uncleaned frames and {refused_after} cleaned ones \
         ({refused_missed} of the {missed_frames} cleaned frames where a drawn string was missed)",
        area as f64 / (frames.len() as f64 * 640.0 * 480.0) * 100.0,
        frames.len()
    );
    assert!(recall >= 0.85, "recall {recall:.3} below 0.85");
    assert!(
        recheck_hits * 10 >= frames.len() * 9,
        "the re-check must see text in uncleaned frames"
    );
}
