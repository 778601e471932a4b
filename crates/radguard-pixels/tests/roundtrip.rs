//! Round trip on real files: blank a rectangle, re-encode, re-open,
//! decode. Inside the rectangle every sample is the blank value, outside
//! every sample is the decoded input's, a lossless input stays lossless, a
//! lossy one keeps Lossy Image Compression "01", and the output re-reads
//! with radguard-dicom. Runs on `tests/data` and, when present, the shared
//! corpus (`../shared/corpus` or `$RADGUARD_CORPUS`).
#![allow(
    clippy::unwrap_used,
    clippy::unwrap_in_result,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use radguard_dicom::WriteOptions;
use radguard_dicom::tags;
use radguard_pixels::geometry::{Rect, RegionPlan};
use radguard_pixels::{
    CleanOptions, Error, Fallback, FrameBuf, Lossiness, Photometric, clean_file, for_each_frame,
    support,
};

/// Transfer syntaxes the crate must round-trip when the corpus holds them
/// (issue item 1), with the feature they need.
const REQUIRED: &[(&str, Option<&str>)] = &[
    ("1.2.840.10008.1.2", None),
    ("1.2.840.10008.1.2.1", None),
    ("1.2.840.10008.1.2.2", None),
    ("1.2.840.10008.1.2.5", None),
    ("1.2.840.10008.1.2.4.50", Some("jpeg")),
    ("1.2.840.10008.1.2.4.51", Some("jpeg")),
    ("1.2.840.10008.1.2.4.57", Some("jpeg")),
    ("1.2.840.10008.1.2.4.70", Some("jpeg")),
    ("1.2.840.10008.1.2.4.80", Some("jpegls")),
    ("1.2.840.10008.1.2.4.81", Some("jpegls")),
    ("1.2.840.10008.1.2.4.90", Some("j2k")),
    ("1.2.840.10008.1.2.4.91", Some("j2k")),
];

fn enabled(feature: Option<&str>) -> bool {
    match feature {
        None => true,
        Some("jpeg") => cfg!(feature = "jpeg"),
        Some("jpegls") => cfg!(feature = "jpegls"),
        Some("j2k") => cfg!(feature = "j2k"),
        Some(_) => false,
    }
}

fn decode_all(path: &Path) -> Result<(Vec<FrameBuf>, String), Error> {
    let mut split = radguard_dicom::open_split(path)?;
    let ts = radguard_dicom::text::trim_value(&split.header().meta().transfer_syntax).to_owned();
    let mut frames = Vec::new();
    for_each_frame(&mut split, &mut |_, f| {
        frames.push(f.clone().to_planar(false));
        Ok(())
    })?;
    Ok((frames, ts))
}

/// The rectangles of the test: a box on the first frame and, for
/// multi-frame files, another on the last (frames between are copied).
fn regions(cols: u32, rows: u32, frames: usize) -> RegionPlan {
    let mut plan = RegionPlan::new();
    plan.add_frame(0, Rect::new(cols / 4, rows / 5, cols / 3 + 1, rows / 3 + 1));
    if frames > 1 {
        plan.add_frame(
            frames as u32 - 1,
            Rect::new(0, rows / 2, cols / 2 + 1, rows),
        );
    }
    plan
}

fn widened(r: Rect, p: Photometric, cols: u32, rows: u32) -> Rect {
    let r = r.clip(cols, rows);
    if p == Photometric::YbrFull422 && !r.is_empty() {
        let (l, right) = (r.x & !1, (r.right() + 1) & !1);
        Rect::new(l, r.y, right - l, r.height).clip(cols, rows)
    } else {
        r
    }
}

/// One file: `Ok(Some(ts))` if round-tripped, `Ok(None)` if skipped
/// (not an image), `Err` with the reason otherwise.
fn round_trip(path: &Path, dir: &Path, fallback: Fallback) -> Result<Option<String>, String> {
    let (before, ts) = match decode_all(path) {
        Ok(x) => x,
        Err(e) => return Err(format!("decode input: {e}")),
    };
    let Some(first) = before.first() else {
        return Ok(None);
    };
    let (cols, rows) = (first.desc().columns(), first.desc().rows());
    let plan = regions(cols, rows, before.len());
    let out = dir.join("out.dcm");
    let report = clean_file(
        path,
        &out,
        &plan,
        &CleanOptions::new().fallback(fallback),
        &WriteOptions::new().overwrite(true),
    )
    .map_err(|e| format!("clean: {e}"))?;
    assert_eq!(
        report.frames,
        before.len() as u64,
        "{}: frames written",
        path.display()
    );
    assert!(report.frames_blanked >= 1, "{}", path.display());
    radguard_dicom::open(&out).map_err(|e| format!("re-open: {e}"))?;
    let (after, out_ts) = decode_all(&out).map_err(|e| format!("decode output: {e}"))?;
    assert_eq!(after.len(), before.len(), "{}", path.display());
    // Lossless stays lossless; lossy keeps its mark.
    let in_s = support(&ts).unwrap();
    let out_s = support(&out_ts).unwrap();
    assert_ne!(
        out_s.lossiness,
        Lossiness::Lossy,
        "{}: lossy output",
        path.display()
    );
    if out_ts != ts {
        assert!(
            !in_s.encode || in_s.lossiness != Lossiness::Lossless,
            "{}: changed {ts} although it has an encoder",
            path.display()
        );
    }
    if report.lossy_input {
        let hdr = radguard_dicom::open_split(&out).unwrap();
        let v =
            radguard_dicom::text::value_text(hdr.header().dataset(), tags::LOSSY_IMAGE_COMPRESSION);
        assert_eq!(v.trim(), "01", "{}: lossy mark", path.display());
    }
    for (k, (b, a)) in before.iter().zip(&after).enumerate() {
        let (bd, ad) = (b.desc(), a.desc());
        assert_eq!(
            bd.photometric(),
            ad.photometric(),
            "{}: photometric",
            path.display()
        );
        assert_eq!((bd.columns(), bd.rows()), (ad.columns(), ad.rows()));
        let rects: Vec<Rect> = plan
            .rects_for(k as u32)
            .map(|r| widened(*r, ad.photometric(), cols, rows))
            .collect();
        let blank = ad.blank_value().unwrap();
        for y in 0..rows {
            for x in 0..cols {
                let inside = rects.iter().any(|r| r.contains(x, y));
                for s in 0..ad.samples_per_pixel() {
                    let got = a.sample(x, y, s);
                    let want = if inside {
                        blank[usize::from(s)]
                    } else {
                        b.sample(x, y, s)
                    };
                    if got != want {
                        return Err(format!(
                            "frame {k} pixel ({x},{y}) sample {s}: {got} != {want} ({} {ts} -> {out_ts})",
                            if inside { "inside" } else { "outside" }
                        ));
                    }
                }
            }
        }
    }
    Ok(Some(ts))
}

/// Inputs: `tests/data` and the corpus, small enough for a debug build.
fn inputs() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = radguard_testkit::samples();
    if let Some(corpus) = radguard_testkit::corpus() {
        out.extend(
            corpus
                .into_iter()
                .filter(|f| f.parseable() && !f.is_dicomdir() && f.size < 24 << 20)
                .filter(|f| support(&f.transfer_syntax_uid).is_some())
                .map(|f| f.path),
        );
    }
    out
}

/// Known-broken inputs: the failure is the file's, and the reason must
/// be what it says.
const BROKEN: &[(&str, &str)] = &[
    // Frame 13 of 140 is 240 × 55 pixels in a 240 × 240 image (pydicom
    // fails on it too).
    ("gh-fo-dicom/multiframe.dcm", "image size differs"),
    // pydicom's parser test: the codestream's SIZ holds a sequence
    // delimiter where the image size should be.
    (
        "JPEG2000-embedded-sequence-delimiter.dcm",
        "image size differs",
    ),
];

#[test]
fn round_trip_every_transfer_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let mut ok: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in inputs() {
        let name = path.display().to_string();
        match round_trip(&path, dir.path(), Fallback::Rle) {
            Ok(Some(ts)) => *ok.entry(ts).or_default() += 1,
            Ok(None) => {}
            Err(e) if e.contains("no pixel data") || e.contains("has no pixel data") => {}
            Err(e) if is_refusal(&e) => refused.entry(e).or_default().push(name),
            Err(e) => {
                if !BROKEN
                    .iter()
                    .any(|(n, why)| name.ends_with(n) && e.contains(why))
                {
                    failures.push(format!("{name}: {e}"));
                }
            }
        }
    }
    eprintln!("round-tripped per transfer syntax: {ok:#?}");
    for (why, files) in &refused {
        eprintln!("refused ({} files): {why}", files.len());
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if radguard_testkit::corpus_dir().is_some() {
        for (uid, feature) in REQUIRED {
            if enabled(*feature) {
                assert!(
                    ok.get(*uid).copied().unwrap_or(0) > 0,
                    "no file of {uid} round-tripped"
                );
            }
        }
    }
}

/// Refusals that name what is missing (fail closed), not bugs.
fn is_refusal(e: &str) -> bool {
    e.contains("decoder in this build")
        // radguard-dicom refuses malformed files (forged lengths, no transfer syntax).
        || e.contains("decode input: (")
        || e.contains("metadata cannot be removed")
        // Rows × Columns that the pixel data cannot hold.
        || e.contains("frame buffer holds")
        || e.contains("cannot be decoded: video")
        || e.contains("image pixel description")
        || e.contains("not a transfer syntax radguard decodes")
}
