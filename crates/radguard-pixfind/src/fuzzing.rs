//! Entry points for the fuzz targets (`fuzz/`). Not part of the stable API.

use dicom_object::InMemDicomObject;

use crate::rules::RuleSet;
use crate::ultrasound::ultrasound_regions;

/// Parses `data` as a rule file. Whatever parses prints back
/// ([`RuleSet::to_toml`]) to text that parses to the same rules, and every
/// error names a line inside the text.
///
/// # Panics
///
/// When a property fails (that is the fuzzer's finding).
pub fn rules_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RuleSet::parse(text, "fuzz") {
        Ok(set) => {
            let again = RuleSet::parse(&set.to_toml(), "fuzz")
                .unwrap_or_else(|e| panic!("printed rules do not parse: {e}\n{}", set.to_toml()));
            assert_eq!(set.len(), again.len());
            for (a, b) in set.rules().iter().zip(again.rules()) {
                assert_eq!(
                    (
                        a.id(),
                        a.label(),
                        a.source(),
                        a.note(),
                        a.action(),
                        a.condition(),
                        a.rects()
                    ),
                    (
                        b.id(),
                        b.label(),
                        b.source(),
                        b.note(),
                        b.action(),
                        b.condition(),
                        b.rects()
                    )
                );
            }
        }
        Err(crate::RuleError::Syntax { line, .. } | crate::RuleError::Invalid { line, .. }) => {
            assert!(
                line >= 1 && line <= text.lines().count().max(1) + 1,
                "line {line}"
            );
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// Reads `data` as a DICOM file and computes its ultrasound regions and
/// the bundled rules' matches. When the regions are usable, every pixel of
/// a sample grid is either inside a kept region or inside exactly one
/// blanking rectangle, never both.
///
/// # Panics
///
/// When a property fails.
pub fn regions_and_rules(data: &[u8]) {
    let Ok(file) = radguard_dicom::from_bytes(data) else {
        return;
    };
    let obj = file.object();
    let ds: &InMemDicomObject = obj;
    let _ = RuleSet::bundled().matches(ds, Some(obj.meta()));
    let Ok(Some(us)) = ultrasound_regions(ds) else {
        return;
    };
    let (c, r) = us.image_size();
    let kept: Vec<_> = us.kept().collect();
    assert_eq!(us.blank(), crate::Rect::complement(&kept, c, r).as_slice());
    let step_x = (c / 64).max(1);
    let step_y = (r / 64).max(1);
    for y in (0..r).step_by(step_y as usize) {
        for x in (0..c).step_by(step_x as usize) {
            let k = kept.iter().any(|q| q.contains(x, y));
            let n = us.blank().iter().filter(|q| q.contains(x, y)).count();
            assert_eq!(n, usize::from(!k), "pixel ({x}, {y})");
        }
    }
}
