//! Per-frame cost of text detection and the re-check, against full
//! Tesseract recognition of the same frames in the same run (what
//! OCR-driven redaction does), and the cost of matching the bundled rules.
//!
//! ```sh
//! python3 tests/fixtures/make_frames.py /tmp/frames 5
//! OMP_THREAD_LIMIT=1 taskset -c 0 cargo run --release -p radguard-pixfind --features ocr \
//!     --example ocr_bench -- /tmp/frames [corpus-file.dcm]
//! ```
//! (`benches/pixfind_ocr.sh` does all of this.)

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::cast_precision_loss)]

use std::ffi::CString;
use std::path::PathBuf;
use std::time::Instant;

use radguard_pixfind::RuleSet;
use radguard_pixfind::detect::{DetectorOptions, Gray8, TextDetector};
use tesseract_plumbing::TessBaseApi;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("frames folder"));
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let frames: Vec<Vec<u8>> = truth
        .as_array()
        .unwrap()
        .iter()
        .map(|t| std::fs::read(dir.join(format!("{}.gray", t["file"].as_str().unwrap()))).unwrap())
        .collect();
    let n = frames.len() as f64;
    let mut d = TextDetector::new(DetectorOptions::default()).unwrap();

    let t = Instant::now();
    let mut boxes = 0;
    for f in &frames {
        boxes += d.detect(Gray8::new(f, 640, 480).unwrap()).unwrap().len();
    }
    let detect_ms = t.elapsed().as_secs_f64() * 1000.0 / n;

    let t = Instant::now();
    for f in &frames {
        let _ = d.recheck(Gray8::new(f, 640, 480).unwrap()).unwrap();
    }
    let recheck_ms = t.elapsed().as_secs_f64() * 1000.0 / n;

    // Baseline: full recognition of the raw frame, automatic page
    // segmentation (Tesseract's default, as pytesseract/Presidio run it).
    let mut api = TessBaseApi::create();
    api.init_2(None, Some(&CString::new("eng").unwrap()))
        .unwrap();
    api.set_variable(
        &CString::new("debug_file").unwrap(),
        &CString::new("/dev/null").unwrap(),
    )
    .unwrap();
    let t = Instant::now();
    for f in &frames {
        api.set_image(f, 640, 480, 1, 640).unwrap();
        api.set_source_resolution(70);
        api.recognize().unwrap();
        drop(api.get_tsv_text(0).unwrap());
    }
    let full_ms = t.elapsed().as_secs_f64() * 1000.0 / n;

    println!("frames: {} of 640x480", frames.len());
    println!(
        "detect (top-hat + layout analysis): {detect_ms:.1} ms/frame ({:.1} boxes/frame)",
        boxes as f64 / n
    );
    println!("recheck (top-hat + recognition):    {recheck_ms:.1} ms/frame");
    println!("baseline full recognition (PSM 3):  {full_ms:.1} ms/frame");
    println!(
        "detect is {:.1}x faster than the baseline",
        full_ms / detect_ms
    );

    if let Some(file) = args.next() {
        let file = radguard_dicom::open(&file).unwrap();
        let obj = file.object();
        let rules = RuleSet::bundled();
        let iters = 20_000;
        let t = Instant::now();
        let mut hits = 0;
        for _ in 0..iters {
            hits += rules.matches(obj, Some(obj.meta())).unwrap().len();
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(iters);
        println!(
            "bundled rules (118) matched against one header: {us:.1} us ({} matches)",
            hits / usize::try_from(iters).unwrap_or(1)
        );
    }
}
