//! CVSS conformance: FIRST specification examples (each vector with its
//! source), strict-parsing rejections, canonical round trips, and a
//! differential check against the independent `cvss` crate (RustSec), whose
//! own tests run Red Hat's reference corpora.

use proptest::prelude::*;
use radguard_cvss::{AttackVector, Cvss, CvssError, Severity};

/// FIRST, "Common Vulnerability Scoring System v3.1: Examples"
/// (<https://www.first.org/cvss/v3.1/examples>): (example, vector, base score).
const FIRST_V31_EXAMPLES: &[(&str, &str, f64)] = &[
    (
        "CVE-2013-0375 MySQL Stored SQL Injection",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
        6.4,
    ),
    (
        "CVE-2014-3566 SSLv3 POODLE",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
        3.1,
    ),
    (
        "CVE-2012-1516 VMware Guest to Host Escape",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
        9.9,
    ),
    (
        "CVE-2009-0783 Apache Tomcat XML Parser",
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L",
        4.2,
    ),
    (
        "CVE-2012-0384 Cisco IOS Arbitrary Command Execution",
        "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
        7.2,
    ),
    (
        "CVE-2015-1098 Apple iWork Denial of Service",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
    ),
    (
        "CVE-2014-0160 OpenSSL Heartbleed",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        7.5,
    ),
    (
        "CVE-2014-6271 GNU Bash Shellshock",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        9.8,
    ),
    (
        "CVE-2008-1447 DNS Kaminsky Bug",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N",
        6.8,
    ),
    (
        "CVE-2014-2005 Sophos Login Screen Bypass",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        6.8,
    ),
    (
        "CVE-2010-0467 Joomla Directory Traversal",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N",
        5.8,
    ),
    (
        "CVE-2012-1342 Cisco Access-Control Bypass",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N",
        5.8,
    ),
    (
        "CVE-2013-6014 Juniper Proxy ARP Denial of Service",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H",
        9.3,
    ),
    (
        "CVE-2011-1265 Microsoft Windows Bluetooth RCE",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        8.8,
    ),
    (
        "CVE-2014-2019 Apple iOS Security Control Bypass",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
        4.6,
    ),
    (
        "CVE-2015-0970 SearchBlox Cross-Site Request Forgery",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        8.8,
    ),
    (
        "CVE-2014-0224 SSL/TLS MITM",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N",
        7.4,
    ),
    (
        "CVE-2012-5376 Google Chrome Sandbox Bypass",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
        9.6,
    ),
    (
        "CVE-2016-0128 Badlock (SAMR/LSAD downgrade)",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N",
        6.8,
    ),
    (
        "CVE-2016-2118 Badlock (SAMR/LSAD downgrade)",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.5,
    ),
    (
        "CVE-2019-7551 Cantemo Portal Stored XSS",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H",
        9.0,
    ),
    (
        "CVE-2017-5942 WordPress Mail Plugin Reflected XSS",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
    ),
    (
        "CVE-2016-5558 Oracle Outside In Technology RCE",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L",
        8.6,
    ),
    (
        "CVE-2016-5729 Lenovo ThinkPwn",
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H",
        8.2,
    ),
    (
        "CVE-2015-2890 Failure to Lock Flash on Resume from sleep",
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:N/I:H/A:H",
        6.0,
    ),
    (
        "CVE-2018-3652 Intel DCI Issue",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        7.6,
    ),
];

/// FIRST, "Common Vulnerability Scoring System v3.0: Examples"
/// (<https://www.first.org/cvss/v3.0/examples>), examples dropped from the 3.1 document.
const FIRST_V30_EXAMPLES: &[(&str, &str, f64)] = &[
    (
        "CVE-2013-1937 phpMyAdmin Reflected XSS",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
    ),
    (
        "CVE-2014-9253 DokuWiki Reflected XSS",
        "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
        5.4,
    ),
    (
        "CVE-2012-0384 Cisco IOS (as scored in 3.0)",
        "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        8.8,
    ),
];

/// FIRST, "Common Vulnerability Scoring System v4.0: Examples"
/// (<https://www.first.org/cvss/v4.0/examples>): (example, vector, score).
/// No vector here is an x.x5 rounding tie.
const FIRST_V40_EXAMPLES: &[(&str, &str, f64)] = &[
    (
        "CVE-2022-41741 nginx mp4 module",
        "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        7.3,
    ),
    (
        "CVE-2020-3549 Cisco Firepower",
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        7.7,
    ),
    (
        "CVE-2020-3549 Cisco Firepower, exploit unreported",
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
        5.2,
    ),
    (
        "CVE-2023-3089 OpenShift FIPS",
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N",
        8.3,
    ),
    (
        "CVE-2023-3089 with environmental metrics",
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L",
        8.1,
    ),
    (
        "CVE-2021-44714 Adobe Reader",
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
        4.6,
    ),
    (
        "CVE-2022-24682 Zimbra calendar XSS",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
        5.1,
    ),
    (
        "CVE-2022-22186 Juniper EX4650",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
        6.9,
    ),
    (
        "CVE-2023-21989 Oracle VirtualBox",
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N",
        5.9,
    ),
    (
        "CVE-2020-3947 VMware Workstation/Fusion",
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        9.4,
    ),
    (
        "CVE-2013-6014 Juniper proxy ARP",
        "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H",
        6.4,
    ),
    (
        "CVE-2014-0160 Heartbleed, attacked",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:A",
        8.7,
    ),
    (
        "CVE-2021-44228 Log4Shell, attacked",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
        9.3,
    ),
    (
        "Physical attack, safety impact (supplemental S:P/V:D)",
        "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:H/SA:N/S:P/V:D",
        8.3,
    ),
    (
        "Network, all impacts high, attacked",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A",
        10.0,
    ),
    (
        "Local, high privileges, recovery irrecoverable",
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I",
        9.3,
    ),
    (
        "Network, low privileges, supplemental S:P/AU:Y/V:C/RE:L",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:P/AU:Y/V:C/RE:L",
        9.4,
    ),
    (
        "Modified safety MSI:S in the environment",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:L/IR:H/AR:L/MAV:L/MAC:H/MAT:N/MPR:N/MUI:N/MVC:N/MVI:H/MVA:L/MSC:N/MSI:S/MSA:L",
        7.0,
    ),
    (
        "Adjacent, safety supplemental S:P",
        "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/S:P",
        8.6,
    ),
    (
        "Adjacent with MSI:S (safety) in the environment",
        "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P",
        9.7,
    ),
];

#[test]
fn first_v31_examples_score_as_published() {
    for (name, vector, expected) in FIRST_V31_EXAMPLES {
        let v = Cvss::parse(vector).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.score(), *expected, "{name}: {vector}");
        assert_eq!(v.version(), "3.1");
    }
}

#[test]
fn first_v30_examples_score_as_published() {
    for (name, vector, expected) in FIRST_V30_EXAMPLES {
        let v = Cvss::parse(vector).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.score(), *expected, "{name}: {vector}");
    }
}

#[test]
fn first_v40_examples_score_as_published() {
    for (name, vector, expected) in FIRST_V40_EXAMPLES {
        let v = Cvss::parse(vector).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.score(), *expected, "{name}: {vector}");
    }
}

#[test]
fn first_v40_example_out_of_order_needs_lenient_mode() {
    // This vector appears in FIRST's v4.0 examples document with the
    // environmental metrics after the modified ones; the official
    // calculator rejects that order, so strict parsing does too.
    let v = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:A/MAC:H/MAT:N/MPR:L/MUI:N/MVC:L/MVI:H/MVA:H/MSC:L/MSI:S/MSA:S/CR:L/IR:H/AR:H/E:P";
    assert!(matches!(
        Cvss::parse(v),
        Err(CvssError::OutOfOrder {
            metric: "CR",
            after: "MSA"
        })
    ));
    let lenient = Cvss::parse_lenient(v).expect("lenient");
    assert_eq!(lenient.score(), 7.4);
    // Canonical form puts E first, then CR/IR/AR, then the modified metrics.
    let canon = lenient.to_string();
    assert!(canon.contains("/SA:H/E:P/CR:L/IR:H/AR:H/MAV:A/"), "{canon}");
    assert_eq!(Cvss::parse(&canon).expect("canonical is strict"), lenient);
}

#[test]
fn temporal_and_environmental_v31() {
    // CVE-2013-1937 with E:P/RL:O/RC:C: 6.1 * 0.94 * 0.95 rounded up = 5.5.
    let Cvss::V3(v) =
        Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/E:P/RL:O/RC:C").expect("parse")
    else {
        panic!("v3");
    };
    assert_eq!(v.base_score(), 6.1);
    assert_eq!(v.temporal_score(), 5.5);
    // The headline is the temporal score, as FIRST's calculator shows it.
    assert_eq!(v.score(), 5.5);
    assert_eq!(v.score_kind(), "temporal");
    // MAV overrides AV in the environmental score and in the model.
    let env = Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:L").expect("parse");
    assert_eq!(env.attack_vector(), AttackVector::Local);
    assert_eq!(env.score(), 8.4);
}

/// Issue 15: temporal metrics were ignored unless an environmental metric
/// was present, so adding the neutral `CR:M` changed the headline.
#[test]
fn v3_headline_is_the_most_specific_score() {
    let base = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let temporal = format!("{base}/E:U/RL:O/RC:U");
    assert_eq!(Cvss::parse(base).expect("base").score(), 9.8);
    let t = Cvss::parse(&temporal).expect("temporal");
    assert_eq!(t.score(), 7.8);
    let e = Cvss::parse(&format!("{temporal}/CR:M")).expect("environmental");
    assert_eq!(e.score(), 7.8);
    let Cvss::V3(e) = e else { panic!("v3") };
    assert_eq!(
        (e.base_score(), e.temporal_score(), e.environmental_score()),
        (9.8, 7.8, 7.8)
    );
    assert_eq!(e.score_kind(), "environmental");
}

#[test]
fn severity_bands() {
    for (score, sev) in [
        (0.0, Severity::None),
        (0.1, Severity::Low),
        (3.9, Severity::Low),
        (4.0, Severity::Medium),
        (6.9, Severity::Medium),
        (7.0, Severity::High),
        (8.9, Severity::High),
        (9.0, Severity::Critical),
        (10.0, Severity::Critical),
    ] {
        assert_eq!(Severity::from_score(score), sev, "{score}");
    }
}

const V31_BASE: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const V40_BASE: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

#[test]
fn strict_parsing_rejects_with_a_named_problem() {
    let cases: &[(&str, &str)] = &[
        (
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "must start with CVSS",
        ),
        ("CVSS:2.0/AV:N", "unsupported CVSS version \"2.0\""),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            "mandatory metric A is missing",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L",
            "metric AV is given more than once",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X",
            "invalid value \"X\" for metric A",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Z",
            "invalid value \"Z\" for metric E",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AT:N",
            "unknown metric \"AT\"",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
            "empty metric at position 9",
        ),
        ("CVSS:3.1/AV:N//AC:L", "empty metric at position 2"),
        ("CVSS:3.1/AVN/AC:L", "malformed component \"AVN\""),
        (
            "CVSS:3.1/av:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "unknown metric \"av\"",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
            "mandatory metric SA is missing",
        ),
        (
            "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "metric AV is out of order",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:H/E:A",
            "metric E is out of order",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
            "invalid value \"S\" for metric SI",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:A",
            "metric E is given more than once",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "invalid value \"R\" for metric UI",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:U",
            "invalid value \"U\" for metric S",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red",
            "invalid value \"red\" for metric U",
        ),
        ("CVSS:4.0/", "empty metric at position 1"),
    ];
    for (vector, needle) in cases {
        let err = Cvss::parse(vector).expect_err(vector).to_string();
        assert!(
            err.contains(needle),
            "{vector}: got {err:?}, want {needle:?}"
        );
    }
    let long = format!("{V31_BASE}{}", "/E:X".repeat(200));
    assert!(matches!(Cvss::parse(&long), Err(CvssError::TooLong { .. })));
}

#[test]
fn v3_allows_any_order_v4_lenient_canonicalises() {
    let shuffled = "CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N";
    let v = Cvss::parse(shuffled).expect("v3 any order");
    assert_eq!(v.to_string(), V31_BASE);
    let v4 = Cvss::parse_lenient("CVSS:4.0/SA:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N")
        .expect("lenient");
    assert_eq!(v4.to_string(), V40_BASE);
    // Lenient mode is lenient about order only.
    assert!(Cvss::parse_lenient("CVSS:4.0/AV:N/AV:N").is_err());
}

/// A v4 metric list with allowed values, used to build random vectors.
const V4_METRICS: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
];

const V3_METRICS: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
    ("E", &["X", "U", "P", "F", "H"]),
    ("RL", &["X", "O", "T", "W", "U"]),
    ("RC", &["X", "U", "R", "C"]),
    ("CR", &["X", "L", "M", "H"]),
    ("IR", &["X", "L", "M", "H"]),
    ("AR", &["X", "L", "M", "H"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "N", "L", "H"]),
    ("MI", &["X", "N", "L", "H"]),
    ("MA", &["X", "N", "L", "H"]),
];

fn build(prefix: &str, metrics: &[(&str, &[&str])], picks: &[usize], base: usize) -> String {
    let mut s = prefix.to_owned();
    for (i, ((name, values), pick)) in metrics.iter().zip(picks).enumerate() {
        let v = values[pick % values.len()];
        if i >= base && v == "X" {
            continue;
        }
        if !s.ends_with('/') {
            s.push('/');
        }
        s.push_str(name);
        s.push(':');
        s.push_str(v);
    }
    s
}

#[test]
fn v4_every_base_vector_matches_the_cvss_crate() {
    // All 104,976 CVSS-B vectors in release builds; every 7th in debug builds.
    let step = if cfg!(debug_assertions) { 7 } else { 1 };
    let sizes: Vec<usize> = V4_METRICS[..11].iter().map(|(_, v)| v.len()).collect();
    let total: usize = sizes.iter().product();
    let mut checked = 0;
    for n in (0..total).step_by(step) {
        let mut rest = n;
        let picks: Vec<usize> = sizes
            .iter()
            .map(|s| {
                let p = rest % s;
                rest /= s;
                p
            })
            .collect();
        let vector = build("CVSS:4.0/", &V4_METRICS[..11], &picks, 11);
        let ours = Cvss::parse(&vector).expect("parse").score();
        let theirs: cvss::v4::Vector = vector.parse().expect("cvss crate parse");
        assert_eq!(ours, theirs.score().value(), "{vector}");
        checked += 1;
    }
    assert!(checked >= total / 7);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn v4_full_vectors_match_the_cvss_crate(picks in proptest::collection::vec(0usize..5, V4_METRICS.len())) {
        let vector = build("CVSS:4.0/", V4_METRICS, &picks, 11);
        let ours = Cvss::parse(&vector).expect("parse");
        let theirs: cvss::v4::Vector = vector.parse().expect("cvss crate parse");
        prop_assert_eq!(ours.score(), theirs.score().value(), "{}", vector);
        // Canonical printing round-trips to the same metrics.
        prop_assert_eq!(Cvss::parse(&ours.to_string()).expect("reparse"), ours);
    }

    #[test]
    fn v31_vectors_match_the_cvss_crate(picks in proptest::collection::vec(0usize..5, V3_METRICS.len()), v30 in any::<bool>()) {
        let prefix = if v30 { "CVSS:3.0/" } else { "CVSS:3.1/" };
        let vector = build(prefix, V3_METRICS, &picks, 8);
        let ours = Cvss::parse(&vector).expect("parse");
        let Cvss::V3(v) = &ours else { panic!("v3") };
        let theirs: cvss::v3::Vector = vector.parse().expect("cvss crate parse");
        prop_assert_eq!(v.base_score(), theirs.base_score().value(), "{}", vector);
        if v.has_environmental() || v.has_temporal() {
            let t = theirs.environmental_score().value();
            prop_assert_eq!(v.environmental_score(), t, "{}", vector);
        }
        // The headline is the most specific score the vector defines.
        let headline = if v.has_environmental() {
            theirs.environmental_score().value()
        } else if v.has_temporal() {
            theirs.temporal_score().value()
        } else {
            theirs.base_score().value()
        };
        prop_assert_eq!(ours.score(), headline, "{}", vector);
        prop_assert_eq!(Cvss::parse(&ours.to_string()).expect("reparse"), ours.clone());
    }
}
