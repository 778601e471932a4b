//! Generates the rule tables from the standard's data in `data/`: Table
//! E.1-1 and E.3.10-1 of DICOM PS3.15 2026c and CID 7050. An edition update
//! is a data change (see `data/README.md`).

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("out dir"));
    for f in [
        "ps3.15-table-e1-1.csv",
        "ps3.15-safe-private.csv",
        "cid7050.csv",
    ] {
        println!("cargo:rerun-if-changed=data/{f}");
    }
    let mut code = String::new();
    table_e1_1(&dir, &mut code);
    safe_private(&dir, &mut code);
    cid7050(&dir, &mut code);
    std::fs::write(out.join("tables.rs"), code).expect("write tables.rs");
}

fn reader(path: PathBuf) -> csv::Reader<std::fs::File> {
    csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rule(s: &str) -> &'static str {
    match s {
        "X" => "Rule::X",
        "Z" => "Rule::Z",
        "D" => "Rule::D",
        "K" => "Rule::K",
        "C" => "Rule::C",
        "U" => "Rule::U",
        "Z/D" => "Rule::ZD",
        "X/Z" => "Rule::XZ",
        "X/D" => "Rule::XD",
        "X/Z/D" => "Rule::XZD",
        "X/Z/U*" => "Rule::XZU",
        other => panic!("unknown action {other:?} in Table E.1-1"),
    }
}

fn opt(s: &str) -> &'static str {
    match s {
        "" => "None",
        "K" => "Some(OptAction::K)",
        "C" => "Some(OptAction::C)",
        other => panic!("unknown option action {other:?} in Table E.1-1"),
    }
}

fn table_e1_1(dir: &std::path::Path, code: &mut String) {
    let mut rows = Vec::new();
    let mut patterns = Vec::new();
    let mut r = reader(dir.join("data/ps3.15-table-e1-1.csv"));
    let opt_cols = [
        "rtn_safe_priv",
        "rtn_uids",
        "rtn_dev_id",
        "rtn_inst_id",
        "rtn_pat_chars",
        "rtn_long_full_dates",
        "rtn_long_modif_dates",
        "clean_desc",
        "clean_struct_cont",
        "clean_graph",
    ];
    let headers = r.headers().expect("headers").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (c_tag, c_kw, c_name, c_retd, c_basic) = (
        col("tag"),
        col("keyword"),
        col("name"),
        col("retired"),
        col("basic_profile"),
    );
    let c_opts: Vec<usize> = opt_cols.iter().map(|c| col(c)).collect();
    for rec in r.records() {
        let rec = rec.expect("record");
        let tag = &rec[c_tag];
        let opts: Vec<&str> = c_opts.iter().map(|i| opt(&rec[*i])).collect();
        let entry = format!(
            "rule: {}, retired: {}, options: [{}]",
            rule(&rec[c_basic]),
            &rec[c_retd] == "Y",
            opts.join(", ")
        );
        let name = rec[c_name].replace('\\', "\\\\").replace('"', "\\\"");
        if let Some(hex) = parse_tag(tag) {
            rows.push((
                hex,
                format!(
                    "Row {{ tag: 0x{hex:08X}, keyword: {:?}, name: \"{name}\", {entry} }}",
                    &rec[c_kw]
                ),
            ));
        } else {
            let kind = match tag {
                "(50xx,xxxx)" => "Pattern::CurveData",
                "(60xx,3000)" => "Pattern::OverlayData",
                "(60xx,4000)" => "Pattern::OverlayComments",
                t if t.starts_with("(gggg,eeee)") => "Pattern::Private",
                other => panic!("unknown pattern row {other}"),
            };
            patterns.push(format!(
                "PatternRow {{ pattern: {kind}, name: \"{name}\", {entry} }}"
            ));
        }
    }
    rows.sort_by_key(|(t, _)| *t);
    for w in rows.windows(2) {
        assert!(
            w[0].0 != w[1].0,
            "duplicate tag {:08X} in Table E.1-1",
            w[0].0
        );
    }
    let _ = writeln!(code, "/// Table E.1-1 concrete rows, sorted by tag.");
    let _ = writeln!(code, "pub(crate) static ROWS: &[Row] = &[");
    for (_, r) in &rows {
        let _ = writeln!(code, "    {r},");
    }
    let _ = writeln!(code, "];");
    let _ = writeln!(code, "/// Table E.1-1 pattern rows.");
    let _ = writeln!(code, "pub(crate) static PATTERN_ROWS: &[PatternRow] = &[");
    for p in &patterns {
        let _ = writeln!(code, "    {p},");
    }
    let _ = writeln!(code, "];");
}

fn parse_tag(s: &str) -> Option<u32> {
    let s = s.strip_prefix('(')?.strip_suffix(')')?;
    let (g, e) = s.split_once(',')?;
    let g = u16::from_str_radix(g, 16).ok()?;
    let e = u16::from_str_radix(e, 16).ok()?;
    Some((u32::from(g) << 16) | u32::from(e))
}

fn safe_private(dir: &std::path::Path, code: &mut String) {
    let mut r = reader(dir.join("data/ps3.15-safe-private.csv"));
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.expect("record");
        let creator = &rec[0];
        let tag = &rec[1];
        // "(gggg,xxEE)"
        let inner = tag.trim_start_matches('(').trim_end_matches(')');
        let (g, e) = inner.split_once(',').expect("tag");
        let group = u16::from_str_radix(g, 16).expect("group");
        assert!(
            e.len() == 4 && e[..2].eq_ignore_ascii_case("xx"),
            "safe private tag {tag}"
        );
        let elem = u8::from_str_radix(&e[2..], 16).expect("element");
        rows.push((creator.to_owned(), group, elem, rec[2].to_owned()));
    }
    rows.sort();
    let _ = writeln!(
        code,
        "/// Table E.3.10-1, sorted by (creator, group, element)."
    );
    let _ = writeln!(code, "pub(crate) static SAFE_PRIVATE: &[SafePrivate] = &[");
    for (c, g, e, vr) in &rows {
        let _ = writeln!(
            code,
            "    SafePrivate {{ creator: {c:?}, group: 0x{g:04X}, element: 0x{e:02X}, vr: {vr:?} }},"
        );
    }
    let _ = writeln!(code, "];");
}

fn cid7050(dir: &std::path::Path, code: &mut String) {
    let mut r = reader(dir.join("data/cid7050.csv"));
    let _ = writeln!(
        code,
        "/// CID 7050 codes: (code value, code meaning, Table E.1-1 column or \"\")."
    );
    let _ = writeln!(
        code,
        "pub(crate) static CID7050: &[(&str, &str, &str)] = &["
    );
    for rec in r.records() {
        let rec = rec.expect("record");
        assert_eq!(&rec[0], "DCM");
        let _ = writeln!(code, "    ({:?}, {:?}, {:?}),", &rec[1], &rec[2], &rec[5]);
    }
    let _ = writeln!(code, "];");
}
