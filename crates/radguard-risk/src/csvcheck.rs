//! The checks every CSV record passes, so that a malformed row is an error
//! naming its line instead of silently swallowing the rows after it.
//!
//! The `csv` crate reads a quoted field that is never closed up to the end
//! of the input: with an unterminated quote in the last column of the first
//! row, every later row becomes part of that one cell, and the file reads
//! as one record.

/// Checks the raw bytes of `rec` (from its start to `next`, the reader's
/// position after it) in `input`:
///
/// - the double quotes are balanced (RFC 4180 quotes come in pairs: around
///   a field, and doubled inside it), so no quoted field runs on;
/// - with `multiline` false, no field holds a line break; with it true, no
///   field holds a line break followed by what looks like another record
///   of a CVE catalog (`CVE-`).
fn whole_record(
    input: &[u8],
    rec: &csv::StringRecord,
    next: &csv::Position,
    multiline: bool,
) -> Result<(), String> {
    let start = rec.position().map_or(0, csv::Position::byte);
    let raw = usize::try_from(start)
        .ok()
        .zip(usize::try_from(next.byte()).ok())
        .and_then(|(s, e)| input.get(s..e.max(s)))
        .unwrap_or_default();
    if raw.iter().filter(|b| **b == b'"').count() % 2 == 1 {
        return Err(
            "unbalanced double quote: a quoted field is not closed (it would swallow the rows after it) or a quote stands inside an unquoted field"
                .to_owned(),
        );
    }
    for (i, field) in rec.iter().enumerate() {
        let broken = if multiline {
            field.contains("\nCVE-") || field.contains("\rCVE-")
        } else {
            field.contains(['\n', '\r'])
        };
        if broken {
            return Err(format!(
                "field {} spans several lines (a quote left open swallows the rows after it)",
                i + 1
            ));
        }
    }
    Ok(())
}

/// Why the next record could not be read.
pub(crate) enum RecordError {
    /// The `csv` reader's error.
    Csv(csv::Error),
    /// A record that [`whole_record`] rejects, at this 1-based line.
    Malformed {
        /// Line of the record.
        line: u64,
        /// What is wrong.
        problem: String,
    },
}

/// Reads the next record of `input` into `rec` and checks it with
/// [`whole_record`]; `false` at the end.
pub(crate) fn next_record(
    rdr: &mut csv::Reader<&[u8]>,
    input: &[u8],
    rec: &mut csv::StringRecord,
    multiline: bool,
) -> Result<bool, RecordError> {
    if !rdr.read_record(rec).map_err(RecordError::Csv)? {
        return Ok(false);
    }
    whole_record(input, rec, rdr.position(), multiline).map_err(|problem| {
        RecordError::Malformed {
            line: rec.position().map_or(0, csv::Position::line),
            problem,
        }
    })?;
    Ok(true)
}
