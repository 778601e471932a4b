//! Blanks a box in the first and last frame of every DICOM file given
//! (files or folders), for the independent pydicom checker
//! (`tests/check_pixels.py`, run by `.ci/steps.d/35-pixels.sh`).
//!
//! `cargo run -p radguard-pixels --example blank_files -- OUT_DIR INPUT...`
//!
//! Writes `OUT_DIR/<n>.dcm` (the cleaned file), `OUT_DIR/<n>.in.raw` (the
//! input's frames as radguard decodes them: little endian, pixel by
//! pixel) and one line per file to `OUT_DIR/manifest.tsv`: input, output,
//! raw, photometric of the decoded frames, bits allocated, signed, frames,
//! input and output transfer syntax, lossy input, the rectangles
//! (`frame:x,y,w,h;...`) and the blank value; or the refusal reason.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::io::Write;
use std::path::{Path, PathBuf};

use radguard_dicom::WriteOptions;
use radguard_pixels::geometry::{Rect, RegionPlan};
use radguard_pixels::{CleanOptions, clean_file, for_each_frame};

fn files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        for q in v {
            files(&q, out);
        }
    } else if p.is_file() && std::fs::metadata(p).is_ok_and(|m| m.len() < 24 << 20) {
        out.push(p.to_path_buf());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out_dir, inputs) = args
        .split_first()
        .expect("usage: blank_files OUT_DIR INPUT...");
    let out_dir = Path::new(out_dir);
    std::fs::create_dir_all(out_dir).unwrap();
    let mut list = Vec::new();
    for i in inputs {
        files(Path::new(i), &mut list);
    }
    let mut manifest = std::fs::File::create(out_dir.join("manifest.tsv")).unwrap();
    let (mut ok, mut refused) = (0, 0);
    for (n, input) in list.iter().enumerate() {
        let Ok(mut split) = radguard_dicom::open_split(input) else {
            continue;
        };
        if split.pixel_data().is_none() {
            continue;
        }
        let raw_path = out_dir.join(format!("{n}.in.raw"));
        let mut raw = std::fs::File::create(&raw_path).unwrap();
        let mut layout = None;
        let mut frames = 0u32;
        let decoded = for_each_frame(&mut split, &mut |_, f| {
            let f = f.clone().to_planar(false);
            raw.write_all(f.data()).unwrap();
            let d = f.desc();
            layout = Some((
                d.columns(),
                d.rows(),
                d.photometric(),
                d.bits_allocated(),
                d.is_signed(),
                d.blank_value().ok(),
            ));
            frames += 1;
            Ok(())
        });
        let Some((cols, rows, photometric, bits, signed, blank)) =
            layout.filter(|_| decoded.is_ok())
        else {
            writeln!(
                manifest,
                "{}\t-\t-\trefused: {}",
                input.display(),
                decoded.err().map(|e| e.to_string()).unwrap_or_default()
            )
            .unwrap();
            refused += 1;
            let _ = std::fs::remove_file(&raw_path);
            continue;
        };
        let mut plan = RegionPlan::new();
        let a = Rect::new(cols / 4, rows / 5, cols / 3 + 1, rows / 3 + 1);
        let b = Rect::new(0, rows / 2, cols / 2 + 1, rows);
        plan.add_frame(0, a);
        if frames > 1 {
            plan.add_frame(frames - 1, b);
        }
        let rects = if frames > 1 {
            format!(
                "0:{},{},{},{};{}:{},{},{},{}",
                a.x,
                a.y,
                a.width,
                a.height,
                frames - 1,
                b.x,
                b.y,
                b.width,
                b.height
            )
        } else {
            format!("0:{},{},{},{}", a.x, a.y, a.width, a.height)
        };
        let output = out_dir.join(format!("{n}.dcm"));
        match clean_file(
            input,
            &output,
            &plan,
            &CleanOptions::new(),
            &WriteOptions::new().overwrite(true),
        ) {
            Ok(r) => {
                ok += 1;
                let blank: Vec<String> = blank
                    .unwrap_or_default()
                    .iter()
                    .map(i64::to_string)
                    .collect();
                writeln!(
                    manifest,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    input.display(),
                    output.display(),
                    raw_path.display(),
                    photometric,
                    bits,
                    u8::from(signed),
                    frames,
                    r.input_transfer_syntax,
                    r.output_transfer_syntax,
                    u8::from(r.lossy_input),
                    rects,
                    blank.join(",")
                )
                .unwrap();
            }
            Err(e) => {
                refused += 1;
                writeln!(manifest, "{}\t-\t-\trefused: {e}", input.display()).unwrap();
                let _ = std::fs::remove_file(&raw_path);
            }
        }
    }
    println!("{ok} files cleaned, {refused} refused");
}
