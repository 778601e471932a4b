//! The rule tables come from the standard: row counts always, and when the
//! normative DocBook is available, its hash and a cell-by-cell comparison.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::PathBuf;

use sha2::{Digest, Sha256};

const SOURCE_SHA256: &str = "77d60b856faf4223ab40a398c53130fc0ee9490d0d811ee3536e6d25c02ac717";

#[test]
fn row_counts_match_the_2026c_edition() {
    let (rows, patterns, safe, cid) = radguard_deid::table_sizes();
    assert_eq!(rows, 652, "Table E.1-1 concrete rows");
    assert_eq!(patterns, 4, "Table E.1-1 pattern rows");
    assert_eq!(safe, 479, "Table E.3.10-1 rows");
    assert_eq!(cid, 13, "CID 7050 codes");
    assert_eq!(radguard_deid::EDITION, "2026c");
    let readme = std::fs::read_to_string(data("README.md")).unwrap();
    assert!(
        readme.contains(SOURCE_SHA256),
        "data/README.md must name the source hash"
    );
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn part15() -> Option<PathBuf> {
    let p = std::env::var_os("RADGUARD_PART15_XML")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            radguard_testkit::workspace_root().join("../shared/data/part15-2026c.xml")
        });
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("part15-2026c.xml not found: skipping the comparison with the DocBook");
        None
    }
}

fn norm(s: &str) -> String {
    s.replace('\u{200b}', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rows of a DocBook table: cell texts, header row excluded.
fn table_rows(doc: &roxmltree::Document<'_>, id: &str) -> Vec<Vec<String>> {
    let table = doc
        .descendants()
        .find(|n| n.attribute(("http://www.w3.org/XML/1998/namespace", "id")) == Some(id))
        .unwrap_or_else(|| panic!("table {id} not found"));
    let tbody = table
        .descendants()
        .find(|n| n.has_tag_name("tbody"))
        .expect("tbody");
    tbody
        .children()
        .filter(|n| n.has_tag_name("tr"))
        .map(|tr| {
            tr.children()
                .filter(|c| c.has_tag_name("td"))
                .map(|td| {
                    norm(
                        &td.descendants()
                            .filter(|d| d.is_text())
                            .filter_map(|d| d.text())
                            .collect::<String>(),
                    )
                })
                .collect()
        })
        .collect()
}

fn csv_rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let mut rows = Vec::new();
    // The data files are simple CSV: quoted fields never contain quotes.
    for line in text.lines().skip(1) {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        rows.push(fields);
    }
    rows
}

#[test]
fn tables_equal_the_normative_docbook() {
    let Some(path) = part15() else { return };
    let bytes = std::fs::read(&path).unwrap();
    let hash: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hash,
        SOURCE_SHA256,
        "{} is not the pinned 2026c DocBook",
        path.display()
    );
    let text = String::from_utf8(bytes).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();

    // Table E.1-1: name, tag, retd, in std comp iod, basic, 10 options.
    let xml = table_rows(&doc, "table_E.1-1");
    let csv = csv_rows("ps3.15-table-e1-1.csv");
    assert_eq!(xml.len(), 656);
    assert_eq!(csv.len(), xml.len());
    for (x, c) in xml.iter().zip(&csv) {
        assert_eq!(x.len(), 15, "{x:?}");
        // csv: tag, keyword, name, retired, in_std, basic, options...
        assert_eq!(c[0], x[1], "tag");
        assert_eq!(c[2], x[0], "name of {}", c[0]);
        assert_eq!(&c[3..16], &x[2..15], "cells of {}", c[0]);
    }

    // Table E.3.10-1: tag, creator, VR, VM, meaning.
    let xml = table_rows(&doc, "table_E.3.10-1");
    let csv = csv_rows("ps3.15-safe-private.csv");
    assert_eq!(xml.len(), 479);
    assert_eq!(csv.len(), xml.len());
    for (x, c) in xml.iter().zip(&csv) {
        assert_eq!(c[0], x[1], "creator");
        assert_eq!(c[1], x[0], "tag");
        assert_eq!(c[2], x[2], "VR");
    }
}
