//! Documented bounds on every input, so that a hostile or broken file is
//! an error instead of gigabytes of memory, minutes of parsing or 200 MB of
//! text echoed into every report.
//!
//! | input | bound |
//! |---|---|
//! | inventory (JSON, YAML, CSV), after decompression | [`MAX_INVENTORY_BYTES`] |
//! | YAML nesting (collections inside collections) | [`MAX_YAML_DEPTH`] levels, checked before the YAML parser runs |
//! | devices per inventory | [`MAX_DEVICES`](crate::MAX_DEVICES) |
//! | findings per device | [`MAX_FINDINGS_PER_DEVICE`](crate::MAX_FINDINGS_PER_DEVICE) |
//! | any text field (ids, names, OS, owner, VEX justification, ...) | [`MAX_TEXT`](crate::MAX_TEXT) bytes; finding ids 128 bytes |
//! | list fields (legacy services, peers, flows, software, MDS2 answers) | [`MAX_LIST`] items |
//! | KEV catalog (JSON or CSV), after decompression | [`MAX_KEV_BYTES`] |
//! | EPSS snapshot, after decompression | [`MAX_EPSS_BYTES`] |
//! | site weights (JSON) | [`MAX_WEIGHTS_BYTES`] |
//! | OS lifecycle table (CSV) | [`MAX_OS_LIFECYCLE_BYTES`] |
//!
//! The readers of this crate that take a [`Read`] enforce the byte bounds
//! themselves; [`read_to_string`] does the same for callers that
//! decompress or read files on their own.

use std::io::{self, Read};

/// Largest inventory, in bytes (after decompression): 512 MiB, about 2.5
/// times a 100,000-device inventory with 10 findings per device in JSON.
pub const MAX_INVENTORY_BYTES: u64 = 512 << 20;
/// Deepest nesting of YAML collections: 64 levels. A CycloneDX SBOM inside a
/// device needs about a dozen; each level more costs the YAML parser time
/// that grows with the square of the depth.
pub const MAX_YAML_DEPTH: usize = 64;
/// Most items in one list field of a device (legacy services, expected
/// peers, observed flows, installed software, MDS2 answers).
pub const MAX_LIST: usize = 10_000;
/// Largest KEV catalog, in bytes (after decompression): 32 MiB, about 20
/// times CISA's catalog of 2025.
pub const MAX_KEV_BYTES: u64 = 32 << 20;
/// Largest EPSS snapshot, in bytes (after decompression): 64 MiB, about 6
/// times FIRST's daily file of 2025 (300,000 rows).
pub const MAX_EPSS_BYTES: u64 = 64 << 20;
/// Largest weights file, in bytes: 1 MiB.
pub const MAX_WEIGHTS_BYTES: u64 = 1 << 20;
/// Largest OS lifecycle table, in bytes: 4 MiB.
pub const MAX_OS_LIFECYCLE_BYTES: u64 = 4 << 20;

/// Reads at most `limit` bytes of UTF-8 text from `reader`.
///
/// Wrap a decompressor (`flate2::read::GzDecoder`) in it to bound the
/// *decompressed* size: a 3 MB gzip bomb stops at `limit` instead of
/// expanding to gigabytes.
///
/// # Errors
///
/// An [`io::Error`] of kind [`io::ErrorKind::FileTooLarge`] when the input
/// has more than `limit` bytes, of kind [`io::ErrorKind::InvalidData`] when
/// it is not UTF-8, or the reader's own error.
///
/// # Examples
///
/// ```
/// use radguard_risk::limits;
///
/// assert_eq!(limits::read_to_string("abc".as_bytes(), 3)?, "abc");
/// let err = limits::read_to_string("abcd".as_bytes(), 3).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_to_string<R: Read>(reader: R, limit: u64) -> io::Result<String> {
    let mut text = String::new();
    let n = reader
        .take(limit.saturating_add(1))
        .read_to_string(&mut text)?;
    if u64::try_from(n).unwrap_or(u64::MAX) > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("more than {limit} bytes"),
        ));
    }
    Ok(text)
}

/// The deepest nesting of collections in YAML `text`, counted without
/// parsing it: flow collections (`[`, `{`) outside quotes and comments, and
/// block collections by indentation (each deeper indentation, and each `- `
/// of a sequence entry, is one level). Block scalars (`|`, `>`) count their
/// indentation too, so the figure is an upper bound; linear time.
pub(crate) fn yaml_depth(text: &str) -> usize {
    let mut max = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut i = 0;
        if flow == 0 {
            let indent = bytes.iter().take_while(|b| **b == b' ').count();
            let rest = &bytes[indent..];
            if rest.is_empty() || rest[0] == b'#' {
                continue;
            }
            while indents.last().is_some_and(|&top| top > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
            // `- - - x`: each dash of a compact nested sequence is a level.
            let mut dashes = 0;
            i = indent;
            while bytes.get(i) == Some(&b'-') && matches!(bytes.get(i + 1), Some(b' ') | None) {
                dashes += 1;
                i += 2;
                while bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
            }
            max = max.max(indents.len() + dashes);
        }
        let base = indents.len();
        let mut quote: Option<u8> = None;
        while let Some(&b) = bytes.get(i) {
            match quote {
                Some(b'"') if b == b'\\' => i += 1,
                Some(q) => {
                    if b == q {
                        quote = None;
                    }
                }
                // A quoted scalar starts a token; a quote inside a plain
                // scalar (`O'Brien`) is text.
                None => match b {
                    b'"' | b'\''
                        if i == 0
                            || matches!(bytes[i - 1], b' ' | b'\t' | b'[' | b'{' | b',' | b':') =>
                    {
                        quote = Some(b);
                    }
                    b'#' if i == 0 || bytes[i - 1] == b' ' => break,
                    b'[' | b'{' => {
                        flow += 1;
                        max = max.max(base + flow);
                    }
                    b']' | b'}' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
            i += 1;
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_depth_counts_flow_and_block_nesting() {
        assert_eq!(yaml_depth("a: 1\n"), 1);
        assert_eq!(yaml_depth("devices:\n  - id: x\n    os: {product: a}\n"), 4);
        assert_eq!(yaml_depth(&"[".repeat(100)), 101);
        assert_eq!(yaml_depth("a: '[[[['\nb: \"{{{\" # [[[[\n"), 1);
        // A quote inside a plain scalar does not hide what follows.
        assert_eq!(yaml_depth("a: [O'Brien, [[x]]]\n"), 4);
        let mut deep = String::new();
        for i in 0..80 {
            deep.push_str(&" ".repeat(i));
            deep.push_str("k:\n");
        }
        assert_eq!(yaml_depth(&deep), 80);
        assert_eq!(yaml_depth("- - - - x\n"), 5);
    }

    #[test]
    fn read_to_string_stops_at_the_limit() {
        assert_eq!(read_to_string("".as_bytes(), 0).expect("empty"), "");
        let e = read_to_string(&b"\xff"[..], 4).expect_err("not utf-8");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
