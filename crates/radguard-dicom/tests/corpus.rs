//! The shared corpus (`../shared/corpus`, or `$RADGUARD_CORPUS`): skipped
//! with a note when absent.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use radguard_dicom::{
    Error, ReadOptions, first_difference, from_bytes, open, open_split, to_bytes,
};

#[test]
fn every_parseable_corpus_file_opens_and_every_malformed_one_fails() {
    let Some(files) = radguard_testkit::corpus() else {
        return;
    };
    assert!(files.len() > 300, "{}", files.len());
    let lenient = ReadOptions::new().allow_truncated(true);
    let mut problems = Vec::new();
    let mut truncated = 0;
    for f in &files {
        let name = f.path.display().to_string();
        let strict = open(&f.path);
        let loose = lenient.open(&f.path);
        if f.parseable() {
            let file = match loose {
                Ok(file) => file,
                Err(e) => {
                    problems.push(format!("{name}: parseable but failed: {e}"));
                    continue;
                }
            };
            // Strict reading fails only on truncated files, and names the element.
            match strict {
                Ok(_) => {}
                Err(Error::Truncated { .. }) if file.info().is_truncated() => truncated += 1,
                Err(e) => problems.push(format!("{name}: strict read failed differently: {e}")),
            }
            if let Err(e) = lenient.summarize(&f.path) {
                problems.push(format!("{name}: summarize failed: {e}"));
            }
            if !file.info().is_truncated() {
                if let Err(e) = open_split(&f.path) {
                    problems.push(format!("{name}: split failed: {e}"));
                }
                // Round trip keeps the content.
                match to_bytes(file.object()).and_then(|b| from_bytes(&b)) {
                    Ok(back) => {
                        if let Some(p) = first_difference(file.dataset(), back.dataset()) {
                            problems.push(format!("{name}: round trip changed {p}"));
                        }
                    }
                    Err(e) => problems.push(format!("{name}: round trip failed: {e}")),
                }
            }
        } else {
            if loose.is_ok() || strict.is_ok() {
                problems.push(format!("{name}: listed as malformed but opened"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "{} corpus files checked, {truncated} truncated ones read only in diagnostic mode",
        files.len()
    );
}
