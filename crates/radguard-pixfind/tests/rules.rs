//! The rule format, the bundled rules and the matcher.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::type_complexity)]

use std::path::PathBuf;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use radguard_dicom::tags;
use radguard_pixfind::rules::{BUNDLED_TOML, Condition, MAX_CONDITION_DEPTH};
use radguard_pixfind::{Rect, RuleAction, RuleError, RuleSet};
use sha2::{Digest, Sha256};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(tag: Tag, vr: VR, v: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

fn image(columns: u16, rows: u16, extra: Vec<DataElement<InMemDicomObject>>) -> InMemDicomObject {
    let mut ds = InMemDicomObject::from_element_iter(extra);
    ds.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(rows),
    ));
    ds.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(columns),
    ));
    ds
}

// ---------------------------------------------------------------- bundled

#[test]
fn the_upstream_file_is_the_one_named() {
    let upstream = std::fs::read(crate_dir().join("rules/upstream/deid.dicom")).unwrap();
    let hex: String = Sha256::digest(&upstream)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex,
        "5cbb875d5db37d5f61d04ecb8afdf2dc87ef49c0219b86d915a2036ff589aacd"
    );
    assert!(BUNDLED_TOML.contains(&hex));
    let license = std::fs::read_to_string(crate_dir().join("rules/upstream/LICENSE")).unwrap();
    assert!(license.starts_with("Copyright (c) 2016-2022 Vanessa Sochat"));
}

#[test]
fn every_bundled_rule_parses() {
    let set = RuleSet::bundled();
    assert_eq!(set.len(), 118, "deid.dicom has 118 LABEL blocks");
    for (i, r) in set.rules().iter().enumerate() {
        assert_eq!(r.id(), format!("deid:{}", i + 1));
        assert!(r.note().is_some_and(|n| n.starts_with("deid.dicom line ")));
    }
    let count = |a| set.rules().iter().filter(|r| r.action() == a).count();
    assert_eq!(count(RuleAction::DeclaredClean), 2, "the whitelist");
    assert_eq!(count(RuleAction::Blank), 105);
    assert_eq!(
        count(RuleAction::Flag),
        11,
        "graylist without coordinates (4) + blacklist (7)"
    );
    // The bundled text is the parsed set's canonical print, modulo
    // comments and order of keys: printing and reading again is the same.
    let again = RuleSet::parse(&set.to_toml(), radguard_pixfind::rules::BUNDLED_ORIGIN).unwrap();
    for (a, b) in set.rules().iter().zip(again.rules()) {
        assert_eq!(
            (a.id(), a.condition(), a.rects()),
            (b.id(), b.condition(), b.rects())
        );
    }
}

#[test]
fn the_converter_reproduces_the_committed_file() {
    let out = std::process::Command::new("python3")
        .arg(crate_dir().join("rules/convert_deid.py"))
        .arg(crate_dir().join("rules/upstream/deid.dicom"))
        .output();
    let Ok(out) = out else {
        println!("note: python3 not found; converter reproducibility not checked");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == BUNDLED_TOML.as_bytes(),
        "rules/deid-0.4.13.toml is not what rules/convert_deid.py writes: regenerate it"
    );
}

/// The coordinates of every LABEL block, read from the upstream file
/// independently of the Python converter: `ctpcoordinates x,y,w,h` and
/// `coordinates x0,y0,x1,y1`.
fn upstream_rects() -> Vec<(String, Vec<Rect>)> {
    let text = std::fs::read_to_string(crate_dir().join("rules/upstream/deid.dicom")).unwrap();
    let mut out: Vec<(String, Vec<Rect>)> = Vec::new();
    let mut in_filter = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('%') {
            in_filter = line.starts_with("%filter");
            continue;
        }
        if !in_filter {
            continue;
        }
        if let Some(rest) = line.strip_prefix("LABEL") {
            out.push((
                rest.split('#').next().unwrap().trim().to_owned(),
                Vec::new(),
            ));
            continue;
        }
        let (ctp, nums) = if let Some(n) = line.strip_prefix("ctpcoordinates") {
            (true, n)
        } else if let Some(n) = line.strip_prefix("coordinates") {
            (false, n)
        } else {
            continue;
        };
        let v: Vec<u32> = nums.split(',').map(|s| s.trim().parse().unwrap()).collect();
        let rect = if ctp {
            Rect::new(v[0], v[1], v[2], v[3])
        } else {
            Rect::from_corners(v[0], v[1], v[2], v[3])
        };
        out.last_mut().unwrap().1.push(rect);
    }
    out
}

#[test]
fn every_rectangle_matches_an_independent_reading_of_the_source() {
    let expected = upstream_rects();
    let set = RuleSet::bundled();
    assert_eq!(expected.len(), set.len());
    for ((label, rects), rule) in expected.iter().zip(set.rules()) {
        assert!(
            label.starts_with(rule.label()),
            "{label:?} vs {:?}",
            rule.label()
        );
        assert_eq!(rule.rects(), rects.as_slice(), "rule {} {label}", rule.id());
    }
}

#[test]
fn hand_checked_conversions() {
    let set = RuleSet::bundled();
    let rule = |id: &str| set.rules().iter().find(|r| r.id() == id).unwrap();
    // `coordinates 0,0,512,121` are deid's corners: 512 wide, 121 high.
    assert_eq!(rule("deid:4").label(), "LightSpeed Dose Report");
    assert_eq!(
        rule("deid:4").rects(),
        [Rect {
            x: 0,
            y: 0,
            width: 512,
            height: 121
        }]
    );
    // `coordinates 450,0,672, 85` (sic, with a space): x 450..672, y 0..85.
    assert_eq!(
        rule("deid:9").rects(),
        [Rect {
            x: 450,
            y: 0,
            width: 222,
            height: 85
        }]
    );
    // `ctpcoordinates 350,0,162,30` / `390,80,122,15`: CTP's x, y, width, height.
    assert_eq!(rule("deid:17").label(), "Volume Rendering - MRCP");
    assert_eq!(
        rule("deid:17").rects(),
        [
            Rect {
                x: 350,
                y: 0,
                width: 162,
                height: 30
            },
            Rect {
                x: 390,
                y: 80,
                width: 122,
                height: 15
            }
        ]
    );
    assert_eq!(rule("deid:45").label(), "ATL HDI 5000");
    assert_eq!(
        rule("deid:45").rects(),
        [
            Rect {
                x: 40,
                y: 0,
                width: 200,
                height: 40
            },
            Rect {
                x: 240,
                y: 0,
                width: 190,
                height: 16
            }
        ]
    );
    assert_eq!(rule("deid:48").label(), "Siemens Antares");
    assert_eq!(
        rule("deid:48").rects(),
        [
            Rect {
                x: 0,
                y: 0,
                width: 1024,
                height: 60
            },
            Rect {
                x: 200,
                y: 60,
                width: 20,
                height: 20
            },
            Rect {
                x: 800,
                y: 65,
                width: 104,
                height: 14
            },
        ]
    );
    assert_eq!(rule("deid:64").label(), "Canon CR/DR");
    assert_eq!(
        rule("deid:64").rects()[1],
        Rect {
            x: 0,
            y: 2512,
            width: 2208,
            height: 80
        }
    );
    // The TOSHIBA rule whose coordinates sit between two conditions keeps
    // both conditions.
    assert_eq!(rule("deid:57").label(), "TOSHIBA");
    let Condition::All(conds) = rule("deid:57").condition() else {
        panic!()
    };
    assert_eq!(conds.len(), 4);
}

#[test]
fn documented_deviations_from_deids_interpreter() {
    let set = RuleSet::bundled();
    let noted: Vec<&str> = set
        .rules()
        .iter()
        .filter(|r| r.note().is_some_and(|n| n.contains(". deid ")))
        .map(|r| r.id())
        .collect();
    // equals 600|768; Manfacturer x2; Manufacture; DERIVED+SECONDARY+...; leading ||.
    assert_eq!(
        noted,
        [
            "deid:42", "deid:69", "deid:70", "deid:71", "deid:110", "deid:118"
        ]
    );
    let epiq = set.rules().iter().find(|r| r.id() == "deid:42").unwrap();
    let ds = image(800, 768, vec![text(tags::MANUFACTURER, VR::LO, "EPIQ")]);
    assert_eq!(
        set.matches(&ds, None)
            .unwrap()
            .iter()
            .filter(|m| m.rule() == epiq)
            .count(),
        1
    );
}

// ---------------------------------------------------------------- strict parsing

fn err(toml: &str) -> (usize, String) {
    match RuleSet::parse(toml, "t.toml") {
        Ok(_) => panic!("parsed:\n{toml}"),
        Err(RuleError::Syntax { line, message, .. } | RuleError::Invalid { line, message, .. }) => {
            (line, message)
        }
        Err(e) => panic!("{e}"),
    }
}

const HEAD: &str = "format = 1\n[[rule]]\nlabel = \"x\"\n";

#[test]
fn strict_errors_name_the_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("format = 1\nbogus = 2\n", 2, "unknown field"),
        (
            "[[rule]]\nlabel = \"x\"\naction = \"flag\"\nwhen = { attr = \"Rows\", present = true }\n",
            1,
            "missing field `format`",
        ),
        ("format = 2\n", 1, "format 2 is not supported"),
        (
            &format!(
                "{HEAD}action = \"blank\"\nwhen = {{ attr = \"Modality\", equals = \"US\" }}\n"
            ),
            2,
            "needs `rects`",
        ),
        (
            &format!(
                "{HEAD}action = \"flag\"\nwhen = {{ attr = \"Modality\", equals = \"US\" }}\nrects = [{{x=0,y=0,width=1,height=1}}]\n"
            ),
            6,
            "takes no `rects`",
        ),
        (
            &format!(
                "{HEAD}action = \"erase\"\nwhen = {{ attr = \"Modality\", equals = \"US\" }}\n"
            ),
            4,
            "unknown action",
        ),
        (
            &format!(
                "{HEAD}action = \"flag\"\nwhen = {{ attr = \"Manfacturer\", equals = \"US\" }}\n"
            ),
            5,
            "unknown attribute keyword",
        ),
        (
            &format!(
                "{HEAD}action = \"flag\"\nwhen = {{ attr = \"Modality\", equals = \"US\", contains = \"U\" }}\n"
            ),
            5,
            "one test per condition",
        ),
        (
            &format!("{HEAD}action = \"flag\"\nwhen = {{ attr = \"Modality\" }}\n"),
            5,
            "needs one test",
        ),
        (
            &format!("{HEAD}action = \"flag\"\nwhen = {{ equals = \"US\" }}\n"),
            5,
            "needs `attr`",
        ),
        (
            &format!("{HEAD}action = \"flag\"\nwhen = {{ }}\n"),
            5,
            "empty condition",
        ),
        (
            &format!("{HEAD}action = \"flag\"\nwhen.any = []\n"),
            5,
            "at least one condition",
        ),
        (
            &format!(
                "{HEAD}action = \"flag\"\nwhen = {{ attr = \"Modality\", missing = false }}\n"
            ),
            5,
            "not allowed",
        ),
        (
            &format!("{HEAD}action = \"flag\"\nwhen = {{ attr = \"Modality\", equals = [] }}\n"),
            5,
            "at least one text",
        ),
        (
            &format!("{HEAD}action = \"flag\"\nwhen = {{ attr = \"Modality\", equals = \" \" }}\n"),
            5,
            "must not be blank",
        ),
        (
            &format!(
                "{HEAD}action = \"flag\"\nwhen = {{ attr = \"Modality\", matches = \"U.\" }}\n"
            ),
            5,
            "unknown field",
        ),
        (
            &format!(
                "{HEAD}action = \"blank\"\nwhen = {{ attr = \"Rows\", present = true }}\n\nrects = [{{x=0,y=0,width=0,height=1}}]\n"
            ),
            7,
            "empty rectangle",
        ),
        (
            &format!(
                "{HEAD}action = \"blank\"\nwhen = {{ attr = \"Rows\", present = true }}\nrects = [{{x=0,y=0,w=1,height=1}}]\n"
            ),
            6,
            "unknown field",
        ),
        (
            &format!(
                "{HEAD}action = \"blank\"\nwhen = {{ attr = \"Rows\", present = true }}\nrects = [{{x=-1,y=0,width=1,height=1}}]\n"
            ),
            6,
            "",
        ),
        (&format!("{HEAD}label = \"y\"\n"), 4, "duplicate"),
        (
            "format = 1\n[[rule]]\nid = \"a\"\nlabel = \"x\"\naction = \"flag\"\nwhen = { attr = \"Rows\", present = true }\n[[rule]]\nid = \"a\"\nlabel = \"y\"\naction = \"flag\"\nwhen = { attr = \"Rows\", present = true }\n",
            7,
            "used twice",
        ),
    ];
    for (toml, line, needle) in cases {
        let (l, m) = err(toml);
        assert_eq!(l, *line, "{m}\n---\n{toml}");
        assert!(m.contains(needle), "{m:?} lacks {needle:?}\n---\n{toml}");
    }
}

#[test]
fn nesting_is_bounded() {
    let mut cond = "{ attr = \"Rows\", present = true }".to_owned();
    for _ in 0..MAX_CONDITION_DEPTH {
        cond = format!("{{ not = {cond} }}");
    }
    let (_, m) = err(&format!("{HEAD}action = \"flag\"\nwhen = {cond}\n"));
    assert!(m.contains("nest deeper"), "{m}");
}

#[test]
fn user_rules_extend_the_bundled_ones_with_unique_ids() {
    let mut set = RuleSet::bundled().clone();
    let user = RuleSet::parse(
        "format = 1\n[[rule]]\nlabel = \"ours\"\naction = \"flag\"\nwhen = { attr = \"Modality\", equals = \"XC\" }\n",
        "site.toml",
    )
    .unwrap();
    assert_eq!(user.rules()[0].id(), "site.toml:2");
    set.extend(user.clone()).unwrap();
    assert_eq!(set.len(), 119);
    assert!(matches!(
        set.extend(user),
        Err(RuleError::DuplicateId { .. })
    ));
    assert_eq!(set.len(), 119);
}

#[test]
fn rule_files_are_read_from_disk() {
    let dir = std::env::temp_dir().join(format!("pixfind-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("r.toml");
    std::fs::write(&p, "format = 1\n[[rule]]\nlabel = \"x\"\naction = \"flag\"\nwhen = { attr = \"Rows\", present = true }\n").unwrap();
    let set = RuleSet::from_file(&p).unwrap();
    assert_eq!(set.rules()[0].origin(), p.display().to_string());
    assert!(matches!(
        RuleSet::from_file(&dir.join("none.toml")),
        Err(RuleError::Read { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

// ---------------------------------------------------------------- matching

fn one(cond: &str) -> RuleSet {
    RuleSet::parse(
        &format!("format = 1\n[[rule]]\nlabel = \"r\"\naction = \"blank\"\nwhen = {cond}\nrects = [{{ x = 10, y = 20, width = 1000, height = 30 }}]\n"),
        "t",
    )
    .unwrap()
}

fn hits(cond: &str, ds: &InMemDicomObject) -> bool {
    !one(cond).matches(ds, None).unwrap().is_empty()
}

#[test]
fn conditions() {
    let ds = image(
        640,
        480,
        vec![
            text(tags::MODALITY, VR::CS, "US"),
            text(tags::MANUFACTURER, VR::LO, "Philips Medical Systems "),
            DataElement::new(
                tags::IMAGE_TYPE,
                VR::CS,
                PrimitiveValue::Strs(
                    ["DERIVED", "SECONDARY", "SCREEN SAVE"]
                        .map(String::from)
                        .into_iter()
                        .collect(),
                ),
            ),
            text(tags::WINDOW_WIDTH, VR::DS, "1.0"),
            text(tags::SERIES_DESCRIPTION, VR::LO, ""),
        ],
    );
    let cases = [
        (r#"{ attr = "Modality", equals = "us" }"#, true),
        (r#"{ attr = "Modality", equals = "U" }"#, false),
        (
            r#"{ attr = "Manufacturer", equals = "PHILIPS MEDICAL SYSTEMS" }"#,
            true,
        ),
        (r#"{ attr = "Manufacturer", contains = "medical" }"#, true),
        (
            r#"{ attr = "Manufacturer", contains = ["GE", "SIEMENS"] }"#,
            false,
        ),
        (r#"{ attr = "Manufacturer", startswith = "phil" }"#, true),
        (r#"{ attr = "Manufacturer", endswith = "systems" }"#, true),
        (r#"{ attr = "Manufacturer", contains = "Phil.*" }"#, false), // no patterns
        (r#"{ attr = "ImageType", equals = "SECONDARY" }"#, true),    // value by value
        (r#"{ attr = "ImageType", contains = "SCREEN SAVE" }"#, true),
        (
            r#"{ attr = "ImageType", contains = "SECONDARY\\SCREEN" }"#,
            false,
        ),
        (r#"{ attr = "Rows", equals = 480 }"#, true),
        (r#"{ attr = "Rows", equals = ["600", "480"] }"#, true),
        (r#"{ attr = "Columns", equals = "640.0" }"#, true), // numerically
        (r#"{ attr = "WindowWidth", equals = 1 }"#, true),
        (r#"{ attr = "PatientName", missing = true }"#, true),
        (r#"{ attr = "Modality", missing = true }"#, false),
        (r#"{ attr = "SeriesDescription", present = true }"#, true),
        (r#"{ attr = "SeriesDescription", empty = true }"#, true),
        (r#"{ attr = "Modality", empty = true }"#, false),
        (r#"{ attr = "PatientName", empty = true }"#, false),
        (r#"{ not = { attr = "Modality", equals = "CT" } }"#, true),
        (
            r#"{ all = [{ attr = "Modality", equals = "US" }, { attr = "Rows", equals = 600 }] }"#,
            false,
        ),
        (
            r#"{ any = [{ attr = "Modality", equals = "CT" }, { attr = "Rows", equals = 480 }] }"#,
            true,
        ),
        (
            r#"{ any = [{ attr = "Modality", equals = "CT" }, { not = { attr = "Rows", present = true } }] }"#,
            false,
        ),
    ];
    for (cond, want) in cases {
        assert_eq!(hits(cond, &ds), want, "{cond}");
    }
}

#[test]
fn rectangles_are_clipped_and_keep_only_is_complemented() {
    let ds = image(640, 480, vec![text(tags::MODALITY, VR::CS, "US")]);
    let set = one(r#"{ attr = "Modality", equals = "US" }"#);
    let m = set.matches(&ds, None).unwrap();
    assert_eq!(m[0].rects(), [Rect::new(10, 20, 630, 30)]);

    let set = RuleSet::parse(
        "format = 1\n[[rule]]\nlabel = \"k\"\naction = \"keep-only\"\nwhen = { attr = \"Modality\", equals = \"US\" }\nrects = [{ x = 100, y = 60, width = 400, height = 300 }, { x = 9000, y = 0, width = 5, height = 5 }]\n",
        "k",
    )
    .unwrap();
    let m = &set.matches(&ds, None).unwrap()[0];
    assert_eq!(m.kept(), [Rect::new(100, 60, 400, 300)]);
    assert_eq!(m.clipped_away(), 1);
    let blanked: u64 = m.rects().iter().map(Rect::area).sum();
    assert_eq!(blanked, 640 * 480 - 400 * 300);
    for r in m.rects() {
        assert!(r.intersect(&Rect::new(100, 60, 400, 300)).is_empty());
    }
}

#[test]
fn no_image_size_is_an_error() {
    let ds = InMemDicomObject::from_element_iter([text(tags::MODALITY, VR::CS, "US")]);
    assert!(
        one(r#"{ attr = "Modality", equals = "US" }"#)
            .matches(&ds, None)
            .is_err()
    );
}

#[test]
fn file_meta_and_repeating_groups() {
    let set = one(r#"{ attr = "ImplementationVersionName", contains = "MINDRAY" }"#);
    let ds = image(1260, 910, vec![]);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax("1.2.840.10008.1.2.1")
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.6.1")
        .media_storage_sop_instance_uid("2.25.1")
        .implementation_class_uid("2.25.2")
        .implementation_version_name("MINDRAY_1.0")
        .build()
        .unwrap();
    assert_eq!(set.matches(&ds, Some(&meta)).unwrap().len(), 1);
    assert_eq!(
        set.matches(&ds, None).unwrap().len(),
        0,
        "without meta it is absent"
    );

    let set = one(r#"{ attr = "OverlayDescription", contains = "MedCom" }"#);
    let ds = image(
        512,
        512,
        vec![text(
            Tag(0x6002, 0x0022),
            VR::LO,
            "Siemens MedCom Object Graphics",
        )],
    );
    assert_eq!(
        set.matches(&ds, None).unwrap().len(),
        1,
        "overlay group 6002"
    );
}

#[test]
fn sequences_are_not_searched() {
    let item = InMemDicomObject::from_element_iter([text(
        tags::CODE_MEANING,
        VR::LO,
        "IEC Body Dosimetry Phantom",
    )]);
    let ds = image(
        512,
        512,
        vec![DataElement::new(
            tags::CONCEPT_NAME_CODE_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(vec![item]),
        )],
    );
    assert!(!hits(
        r#"{ attr = "CodeMeaning", contains = "Phantom" }"#,
        &ds
    ));
    assert!(hits(
        r#"{ attr = "ConceptNameCodeSequence", present = true }"#,
        &ds
    ));
}

#[test]
fn explanations_name_conditions_and_hide_patient_values() {
    let set = RuleSet::parse(
        "format = 1\n[[rule]]\nid = \"r1\"\nlabel = \"banner\"\nsource = \"us\"\naction = \"blank\"\nwhen.all = [{ attr = \"Modality\", equals = \"US\" }, { attr = \"PatientName\", contains = \"DOE\" }, { attr = \"Rows\", equals = 480 }]\nrects = [{ x = 0, y = 0, width = 640, height = 40 }]\n[[rule]]\nid = \"r2\"\nlabel = \"near\"\naction = \"flag\"\nwhen.all = [{ attr = \"Modality\", equals = \"US\" }, { attr = \"Rows\", equals = 600 }]\n",
        "site.toml",
    )
    .unwrap();
    let ds = image(
        640,
        480,
        vec![
            text(tags::MODALITY, VR::CS, "US"),
            text(tags::PATIENT_NAME, VR::PN, "DOE^JANE"),
        ],
    );
    let e = set.explain(&ds, None).unwrap();
    assert_eq!(e.matches().count(), 1);
    let shown = e.to_string();
    assert!(
        shown.contains("MATCH \"banner\" (source: us) [id r1, site.toml:2, action blank]"),
        "{shown}"
    );
    assert!(
        shown.contains("yes  { attr = \"Modality\", equals = \"US\" }    [value: US]"),
        "{shown}"
    );
    assert!(
        shown.contains("-> blank x=0 y=0 width=640 height=40"),
        "{shown}"
    );
    assert!(shown.contains("NEAR \"near\""), "{shown}");
    assert!(
        shown.contains("no   { attr = \"Rows\", equals = \"600\" }    [value: 480]"),
        "{shown}"
    );
    assert!(
        !shown.contains("JANE"),
        "patient values are never shown:\n{shown}"
    );
    assert!(shown.contains("(value not shown)"));
}

// ---------------------------------------------------------------- corpus

#[test]
fn corpus_ultrasound_headers_against_the_bundled_rules() {
    let Some(dir) = radguard_testkit::corpus_dir() else {
        println!("note: ../shared/corpus not present; corpus matching skipped");
        return;
    };
    // file, expected (rule id, rectangles), from deid's own rules read by hand.
    let cases: &[(&str, &[(&str, &[Rect])])] = &[
        // Philips CX50, 800 x 600: "CX50" ctpcoordinates 0,0,800,59.
        (
            "files/pypi-pydicom-data-1.0.0/OBXXXX1A.dcm",
            &[("deid:41", &[Rect::new(0, 0, 800, 59)])],
        ),
        // Philips ClearVue 650, 600 rows: "Philips Affiniti" 0,0,1150,22 clipped to 800.
        (
            "files/gh-orthanc-tests/Implicit-vr-us-palette.dcm",
            &[("deid:36", &[Rect::new(0, 0, 800, 22)])],
        ),
        // Philips EPIQ 5G, 1024 x 768, Burned In Annotation YES: "EPIQ 7G"
        // 0,0,1024,49 and the CTP "Burned In Annotation" flag.
        (
            "files/pypi-deid-data-0.0.20/ultrasounds/GREYSCALE_IMAGE.dcm",
            &[("deid:39", &[Rect::new(0, 0, 1024, 49)]), ("deid:118", &[])],
        ),
        // Siemens S2000, 1024 x 768: "SIEMMENS" 0,0,1024,60.
        (
            "files/pypi-deid-data-0.0.20/ultrasounds/RGB_IMAGE.dcm",
            &[("deid:22", &[Rect::new(0, 0, 1024, 60)])],
        ),
        // ESAOTE 6100 with 555 rows: the ESAOTE 6100 rule wants 608 rows.
        (
            "files/gh-dcm4che/dcm4che-test-data/src/main/resources/YBR_422.dcm",
            &[("deid:2", &[])],
        ),
    ];
    for (rel, want) in cases {
        let path = dir.join(rel);
        if !path.exists() {
            println!("note: {rel} absent; skipped");
            continue;
        }
        let file = radguard_dicom::open(&path).unwrap();
        let obj = file.object();
        let got: Vec<(String, Vec<Rect>)> = RuleSet::bundled()
            .matches(obj, Some(obj.meta()))
            .unwrap()
            .iter()
            .map(|m| (m.rule().id().to_owned(), m.rects().to_vec()))
            .collect();
        let want: Vec<(String, Vec<Rect>)> = want
            .iter()
            .map(|(i, r)| ((*i).to_owned(), r.to_vec()))
            .collect();
        assert_eq!(got, want, "{rel}");
    }
}
