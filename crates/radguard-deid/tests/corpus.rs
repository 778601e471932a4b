//! De-identifies the bundled samples and, when present, every file of the
//! shared corpus, then re-reads each output with dicom-rs's own reader
//! (independent of radguard's parser) and checks it.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use radguard_core::SecretKey;
use radguard_deid::{DeidKey, Deidentifier, Profile};
use radguard_dicom::WriteOptions;

fn check_output(input: &Path, output: &Path, problems: &mut Vec<String>) {
    let name = input.display();
    // The input as radguard read it (dicom-rs cannot read some inputs).
    let original = radguard_dicom::open(input).unwrap();
    let profile = Profile::basic();
    // The output as dicom-rs reads it.
    let out = match dicom_object::open_file(output) {
        Ok(o) => o,
        Err(e) => {
            problems.push(format!("{name}: dicom-rs cannot read the output: {e}"));
            return;
        }
    };
    // The one leak oracle (shared with the fuzz target), here also for
    // values as short as 2 characters.
    let leaks = radguard_deid::fuzzing::leaks(original.dataset(), &out, &profile, 2);
    problems.extend(leaks.into_iter().map(|l| format!("{name}: {l}")));
    let text = |t: Tag| {
        out.get(t)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    if text(tags::PATIENT_IDENTITY_REMOVED) != "YES" {
        problems.push(format!("{name}: Patient Identity Removed is not YES"));
    }
    if !text(tags::DEIDENTIFICATION_METHOD).starts_with("radguard") {
        problems.push(format!("{name}: De-identification Method missing"));
    }
    let codes: Vec<String> = out
        .get(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE)
        .and_then(|e| e.items())
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    i.get(tags::CODE_VALUE)
                        .and_then(|c| c.to_str().ok())
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    if codes != ["113100"] {
        problems.push(format!("{name}: method codes {codes:?}"));
    }
    if text(tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED) != "REMOVED" {
        problems.push(format!("{name}: (0028,0303) not REMOVED"));
    }
    let meta = out.meta();
    if meta.media_storage_sop_instance_uid() != text(tags::SOP_INSTANCE_UID) {
        problems.push(format!(
            "{name}: file meta SOP Instance UID differs from the data set"
        ));
    }
    if meta.implementation_class_uid() != radguard_dicom::IMPLEMENTATION_CLASS_UID
        || meta.source_application_entity_title.is_some()
    {
        problems.push(format!("{name}: file meta not rebuilt"));
    }
    let bytes = std::fs::read(output).unwrap();
    if bytes[..128].iter().any(|b| *b != 0) {
        problems.push(format!("{name}: preamble not zeroed"));
    }
    // Pixel data: what the input's pixel data is once the metadata inside
    // it is removed and unused bits are cleared (pixel values unchanged,
    // checked by decoding in radguard-dicom's tests), and nothing else.
    let mut expected = radguard_dicom::open(input).unwrap().into_parts().0;
    radguard_dicom::pixel_meta::clean_object(&mut expected).unwrap();
    let got = radguard_dicom::open(output).unwrap().into_parts().0;
    for t in radguard_dicom::tags::PIXEL_DATA_TAGS {
        let one = |o: &dicom_object::FileDicomObject<dicom_object::InMemDicomObject>| {
            dicom_object::InMemDicomObject::from_element_iter(o.get(t).cloned())
        };
        if let Some(p) = radguard_dicom::first_difference(&one(&expected), &one(&got)) {
            problems.push(format!(
                "{name}: pixel data {p} differs from the cleaned input"
            ));
        }
    }
}

fn run_all(files: &[PathBuf], allow_burned_in: bool) -> (usize, usize, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::builder()
        .allow_burned_in(allow_burned_in)
        .build()
        .unwrap();
    let deid = Deidentifier::new(profile, DeidKey::new(&SecretKey::from_bytes([11; 32])));
    let (mut done, mut refused) = (0, 0);
    let mut problems = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let out = dir.path().join(format!("{i}.dcm"));
        match deid.deidentify_file(f, &out, &WriteOptions::new()) {
            Ok(report) => {
                done += 1;
                if report.burned_in_retained {
                    continue; // marked NO: checked elsewhere
                }
                check_output(f, &out, &mut problems);
            }
            Err(e) => {
                refused += 1;
                // A clear message, and nothing written.
                assert!(!e.to_string().is_empty());
                assert!(!out.exists(), "{}: output left after failure", f.display());
            }
        }
    }
    (done, refused, problems)
}

fn dicom_files(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    paths
        .into_iter()
        .filter(|p| radguard_dicom::summarize(p).is_ok())
        .collect()
}

#[test]
fn bundled_samples_deidentify_and_verify() {
    let files = dicom_files(radguard_testkit::samples());
    let (done, refused, problems) = run_all(&files, false);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(done >= 15, "{done} done, {refused} refused");
    let (done_all, _, problems) = run_all(&files, true);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(done_all > done);
}

#[test]
fn shared_corpus_deidentifies_and_verifies() {
    let Some(corpus) = radguard_testkit::corpus() else {
        return;
    };
    let files: Vec<PathBuf> = corpus.iter().map(|f| f.path.clone()).collect();
    let (done, refused, problems) = run_all(&files, false);
    eprintln!("corpus: {done} de-identified, {refused} refused or failed with a message");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(done > 200);
}
