//! Grouping the fragments of encapsulated pixel data into frames.

use std::ops::Range;

use super::{Error, Result};

/// How the fragments of encapsulated pixel data make up its frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grouping {
    /// Frame `k` is fragments `ranges[k]`.
    Ranges(Vec<Range<usize>>),
    /// No table says where frames start: a frame ends with the fragment
    /// where its stream ends.
    ByStreamEnd,
}

/// Groups `fragment_lens` into `frames` frames: by the Extended Offset
/// Table if there is one, else by the Basic Offset Table if it is not
/// empty, else one frame per fragment when there are as many fragments as
/// frames, else all fragments when there is one frame; otherwise the
/// streams must be read ([`Grouping::ByStreamEnd`]).
pub(crate) fn group(
    fragment_lens: &[u32],
    basic: &[u32],
    extended: Option<&[u64]>,
    frames: u32,
) -> Result<Grouping> {
    let n = fragment_lens.len();
    let frames = usize::try_from(frames).unwrap_or(usize::MAX);
    if n == 0 {
        return Err(Error::Frames {
            what: "no fragments",
        });
    }
    if frames == 0 {
        return Err(Error::Frames {
            what: "Number of Frames is 0",
        });
    }
    if let Some(table) = extended.filter(|t| !t.is_empty()) {
        return by_table(fragment_lens, table, frames).map(Grouping::Ranges);
    }
    if !basic.is_empty() {
        let table: Vec<u64> = basic.iter().map(|o| u64::from(*o)).collect();
        return by_table(fragment_lens, &table, frames).map(Grouping::Ranges);
    }
    if n == frames {
        return Ok(Grouping::Ranges((0..n).map(|i| i..i + 1).collect()));
    }
    if frames == 1 {
        return Ok(Grouping::Ranges(std::iter::once(0..n).collect()));
    }
    if n < frames {
        return Err(Error::Frames {
            what: "fewer fragments than frames",
        });
    }
    Ok(Grouping::ByStreamEnd)
}

/// Frames from an offset table: each offset is where a frame's first
/// fragment item starts, counted from the first fragment item.
fn by_table(fragment_lens: &[u32], table: &[u64], frames: usize) -> Result<Vec<Range<usize>>> {
    let bad = |what| Err(Error::Frames { what });
    if table.len() != frames {
        return bad("the offset table does not have one entry per frame");
    }
    if table.first() != Some(&0) {
        return bad("the offset table does not start at 0");
    }
    let mut starts = Vec::with_capacity(fragment_lens.len());
    let mut at = 0u64;
    for len in fragment_lens {
        starts.push(at);
        at += 8 + u64::from(*len);
    }
    let mut first = Vec::with_capacity(table.len());
    for (k, off) in table.iter().enumerate() {
        let Ok(i) = starts.binary_search(off) else {
            return bad("an offset table entry is not where a fragment starts");
        };
        if k > 0 && first.last().is_some_and(|p| *p >= i) {
            return bad("the offset table is not increasing");
        }
        first.push(i);
    }
    let mut ranges = Vec::with_capacity(first.len());
    for (k, start) in first.iter().enumerate() {
        let end = first.get(k + 1).copied().unwrap_or(fragment_lens.len());
        ranges.push(*start..end);
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groupings() {
        let lens = [10, 20, 30, 40];
        assert_eq!(
            group(&lens, &[], None, 4).unwrap(),
            Grouping::Ranges(vec![0..1, 1..2, 2..3, 3..4])
        );
        assert_eq!(
            group(&lens, &[], None, 1).unwrap(),
            Grouping::Ranges(std::iter::once(0..4).collect())
        );
        assert_eq!(group(&lens, &[], None, 2).unwrap(), Grouping::ByStreamEnd);
        // Offsets count item headers: 0, 18, 46, 84.
        assert_eq!(
            group(&lens, &[0, 46], None, 2).unwrap(),
            Grouping::Ranges(vec![0..2, 2..4])
        );
        assert_eq!(
            group(&lens, &[0, 18, 46, 84], Some(&[0, 84]), 2).unwrap(),
            Grouping::Ranges(vec![0..3, 3..4])
        );
        for bad in [&[0u32, 45][..], &[0, 46, 18], &[18, 46], &[0, 46, 46]] {
            let frames = u32::try_from(bad.len()).unwrap();
            assert!(group(&lens, bad, None, frames).is_err(), "{bad:?}");
        }
        assert!(group(&lens, &[0, 46], None, 3).is_err());
        assert!(group(&lens, &[], None, 5).is_err());
        assert!(group(&[], &[], None, 1).is_err());
    }
}
