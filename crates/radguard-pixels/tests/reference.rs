//! Decoders checked against independent references: lossless encodings of
//! an image must decode to the same values as its native original
//! (pydicom's test pairs, made by other toolkits).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use radguard_pixels::{FrameBuf, for_each_frame};

fn frames(path: &Path) -> Vec<FrameBuf> {
    let mut split = radguard_dicom::open_split(path).unwrap();
    let mut out = Vec::new();
    for_each_frame(&mut split, &mut |_, f| {
        out.push(f.clone().to_planar(false));
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

fn same_values(a: &Path, b: &Path) {
    let (fa, fb) = (frames(a), frames(b));
    assert_eq!(fa.len(), fb.len(), "{}", a.display());
    for (x, y) in fa.iter().zip(&fb) {
        let d = x.desc();
        assert_eq!(
            (d.columns(), d.rows()),
            (y.desc().columns(), y.desc().rows())
        );
        assert_eq!(d.photometric(), y.desc().photometric(), "{}", a.display());
        for row in 0..d.rows() {
            for col in 0..d.columns() {
                for s in 0..d.samples_per_pixel() {
                    assert_eq!(
                        x.sample(col, row, s),
                        y.sample(col, row, s),
                        "{} vs {} at ({col},{row}) sample {s}",
                        a.display(),
                        b.display()
                    );
                }
            }
        }
    }
}

#[test]
fn native_encodings_and_rle_agree() {
    let s = radguard_testkit::sample;
    let reference = s("pydicom/MR_small.dcm");
    for other in [
        "pydicom/MR_small_RLE.dcm",
        "pydicom/MR_small_bigendian.dcm",
        "pydicom/MR_small_implicit.dcm",
    ] {
        same_values(&s(other), &reference);
    }
}

#[cfg(feature = "jpegls")]
#[test]
fn jpeg_ls_lossless_agrees() {
    let s = radguard_testkit::sample;
    same_values(
        &s("pydicom-data/emri_small_jpeg_ls_lossless.dcm"),
        &s("pydicom-data/emri_small.dcm"),
    );
}

/// Pairs in the shared corpus, when present: (encoded, native).
#[test]
fn corpus_pairs_agree() {
    let Some(dir) = radguard_testkit::corpus_dir() else {
        return;
    };
    let f = |rel: &str| -> PathBuf { dir.join("files").join(rel) };
    let d = "pypi-pydicom-data-1.0.0";
    let t = "pypi-pydicom-3.0.2/test_files";
    let mut pairs = vec![
        (
            f(&format!("{d}/emri_small_RLE.dcm")),
            f(&format!("{d}/emri_small.dcm")),
        ),
        (
            f(&format!("{d}/emri_small_big_endian.dcm")),
            f(&format!("{d}/emri_small.dcm")),
        ),
        (
            f(&format!("{t}/SC_rgb_rle_16bit_2frame.dcm")),
            f(&format!("{d}/SC_rgb_16bit_2frame.dcm")),
        ),
        (
            f(&format!("{t}/SC_rgb_rle.dcm")),
            f(&format!("{d}/SC_rgb_expb.dcm")),
        ),
        (
            f(&format!("{t}/MR_small_expb.dcm")),
            f(&format!("{t}/MR_small.dcm")),
        ),
    ];
    if cfg!(feature = "j2k") {
        // GDCM's JPEG 2000 (reversible) encoding of the same image.
        pairs.push((
            f(&format!("{t}/SC_rgb_gdcm_KY.dcm")),
            f(&format!("{d}/SC_rgb_gdcm2k_uncompressed.dcm")),
        ));
    }
    if cfg!(feature = "jpegls") {
        pairs.push((
            f(&format!("{d}/emri_small_jpeg_ls_lossless.dcm")),
            f(&format!("{d}/emri_small.dcm")),
        ));
    }
    for (a, b) in pairs {
        if a.is_file() && b.is_file() {
            same_values(&a, &b);
        } else {
            eprintln!("skipping missing pair {}", a.display());
        }
    }
}
