//! Rectangles in pixel coordinates.
//!
//! [`Rect`] has the same fields and meaning as `radguard_pixels::geometry::Rect`
//! (the pixel layer): `x`, `y` is the top-left pixel, `width` and `height`
//! count pixels, and the right and bottom edges are exclusive. A rectangle
//! of zero width or height covers nothing.

use core::fmt;

/// A rectangle of pixels: columns `x..x + width`, rows `y..y + height`.
///
/// # Examples
///
/// ```
/// use radguard_pixfind::Rect;
///
/// let banner = Rect { x: 0, y: 0, width: 1024, height: 60 };
/// // Clipped to an 800 × 600 image.
/// assert_eq!(banner.clip(800, 600), Some(Rect { x: 0, y: 0, width: 800, height: 60 }));
/// assert!(banner.contains(1023, 59) && !banner.contains(0, 60));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rect {
    /// Column of the left edge (0 = first column).
    pub x: u32,
    /// Row of the top edge (0 = first row).
    pub y: u32,
    /// Number of columns covered.
    pub width: u32,
    /// Number of rows covered.
    pub height: u32,
}

impl Rect {
    /// A rectangle from its top-left corner and size.
    #[must_use]
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// A rectangle from its corners: `x0, y0` inclusive, `x1, y1`
    /// exclusive (pydicom/deid's `coordinates`). Inverted corners give an
    /// empty rectangle.
    #[must_use]
    pub const fn from_corners(x0: u32, y0: u32, x1: u32, y1: u32) -> Self {
        Self {
            x: x0,
            y: y0,
            width: x1.saturating_sub(x0),
            height: y1.saturating_sub(y0),
        }
    }

    /// The whole image, `columns` × `rows`.
    #[must_use]
    pub const fn image(columns: u32, rows: u32) -> Self {
        Self::new(0, 0, columns, rows)
    }

    /// The exclusive right edge, `x + width` (saturating).
    #[must_use]
    pub const fn right(&self) -> u64 {
        self.x as u64 + self.width as u64
    }

    /// The exclusive bottom edge, `y + height` (saturating).
    #[must_use]
    pub const fn bottom(&self) -> u64 {
        self.y as u64 + self.height as u64
    }

    /// `true` if the rectangle covers no pixel.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// The number of pixels covered.
    #[must_use]
    pub const fn area(&self) -> u64 {
        self.width as u64 * self.height as u64
    }

    /// `true` if pixel (`x`, `y`) lies inside.
    #[must_use]
    pub const fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && (x as u64) < self.right() && y >= self.y && (y as u64) < self.bottom()
    }

    /// The pixels both rectangles cover, or `None` if they do not overlap.
    #[must_use]
    pub fn intersect(&self, other: &Self) -> Option<Self> {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = self.right().min(other.right());
        let y1 = self.bottom().min(other.bottom());
        if u64::from(x0) >= x1 || u64::from(y0) >= y1 {
            return None;
        }
        // x1 ≤ both rights, and x1 > x0, so the width fits in u32.
        let width = u32::try_from(x1 - u64::from(x0)).ok()?;
        let height = u32::try_from(y1 - u64::from(y0)).ok()?;
        Some(Self::new(x0, y0, width, height))
    }

    /// The part inside a `columns` × `rows` image, or `None` if nothing is.
    #[must_use]
    pub fn clip(&self, columns: u32, rows: u32) -> Option<Self> {
        self.intersect(&Self::image(columns, rows))
    }

    /// The rectangle grown by `margin` pixels on every side, then clipped
    /// to a `columns` × `rows` image.
    #[must_use]
    pub fn grow_clipped(&self, margin: u32, columns: u32, rows: u32) -> Option<Self> {
        let x0 = self.x.saturating_sub(margin);
        let y0 = self.y.saturating_sub(margin);
        let x1 = self
            .right()
            .saturating_add(u64::from(margin))
            .min(u64::from(columns));
        let y1 = self
            .bottom()
            .saturating_add(u64::from(margin))
            .min(u64::from(rows));
        let width = u32::try_from(x1.saturating_sub(u64::from(x0))).ok()?;
        let height = u32::try_from(y1.saturating_sub(u64::from(y0))).ok()?;
        let r = Self::new(x0, y0, width, height);
        (!r.is_empty()).then_some(r)
    }
}

impl fmt::Display for Rect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "x={} y={} width={} height={}",
            self.x, self.y, self.width, self.height
        )
    }
}

/// The rectangles that cover exactly the pixels of a `columns` × `rows`
/// image that no rectangle of `keep` covers: pairwise disjoint, none
/// overlapping `keep`. This is how a "keep only these regions" rule becomes
/// rectangles to blank.
///
/// The result is built from vertical strips between the edges of `keep`,
/// merged where neighbouring strips blank the same rows; it has
/// O(n²) rectangles at most for n rectangles kept.
///
/// # Examples
///
/// ```
/// use radguard_pixfind::{Rect, geometry::complement};
///
/// let blank = complement(100, 50, &[Rect::new(10, 10, 80, 30)]);
/// let blanked: u64 = blank.iter().map(Rect::area).sum();
/// assert_eq!(blanked, 100 * 50 - 80 * 30);
/// assert!(blank.iter().all(|r| r.intersect(&Rect::new(10, 10, 80, 30)).is_none()));
/// ```
#[must_use]
pub fn complement(columns: u32, rows: u32, keep: &[Rect]) -> Vec<Rect> {
    let keep: Vec<Rect> = keep.iter().filter_map(|r| r.clip(columns, rows)).collect();
    if columns == 0 || rows == 0 {
        return Vec::new();
    }
    // Vertical strip edges.
    let mut xs: Vec<u32> = Vec::with_capacity(keep.len() * 2 + 2);
    xs.push(0);
    xs.push(columns);
    for r in &keep {
        xs.push(r.x);
        // Clipped, so x + width ≤ columns fits in u32.
        xs.push(u32::try_from(r.right()).unwrap_or(columns));
    }
    xs.sort_unstable();
    xs.dedup();

    // Rows to blank within each strip, as [y0, y1) intervals.
    let mut out: Vec<Rect> = Vec::new();
    // Rectangles of the previous strip still open for merging (same rows).
    let mut open: Vec<(u32, u32, usize)> = Vec::new();
    for w in xs.windows(2) {
        let (x0, x1) = (w[0], w[1]);
        let mut covered: Vec<(u32, u32)> = keep
            .iter()
            .filter(|r| r.x <= x0 && r.right() >= u64::from(x1))
            .map(|r| (r.y, u32::try_from(r.bottom()).unwrap_or(rows)))
            .collect();
        covered.sort_unstable();
        let mut gaps: Vec<(u32, u32)> = Vec::new();
        let mut y = 0u32;
        for (a, b) in covered {
            if a > y {
                gaps.push((y, a));
            }
            y = y.max(b);
        }
        if y < rows {
            gaps.push((y, rows));
        }
        let mut next_open = Vec::with_capacity(gaps.len());
        for (a, b) in gaps {
            if let Some(&(_, _, idx)) = open.iter().find(|(oa, ob, _)| *oa == a && *ob == b) {
                if let Some(r) = out.get_mut(idx) {
                    r.width += x1 - x0;
                }
                next_open.push((a, b, idx));
            } else {
                out.push(Rect::new(x0, a, x1 - x0, b - a));
                next_open.push((a, b, out.len() - 1));
            }
        }
        open = next_open;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn corners_and_clip() {
        assert_eq!(
            Rect::from_corners(450, 0, 672, 85),
            Rect::new(450, 0, 222, 85)
        );
        assert!(Rect::from_corners(5, 5, 4, 9).is_empty());
        assert_eq!(
            Rect::new(10, 10, 5, 5).clip(12, 100),
            Some(Rect::new(10, 10, 2, 5))
        );
        assert_eq!(Rect::new(10, 10, 5, 5).clip(10, 100), None);
        assert_eq!(
            Rect::new(u32::MAX, 0, u32::MAX, 1).clip(u32::MAX, 1),
            None,
            "saturating edges"
        );
        assert_eq!(
            Rect::new(2, 3, 4, 5).grow_clipped(4, 100, 9),
            Some(Rect::new(0, 0, 10, 9))
        );
    }

    #[test]
    fn complement_of_nothing_is_the_image() {
        assert_eq!(complement(7, 3, &[]), vec![Rect::new(0, 0, 7, 3)]);
        assert!(complement(7, 3, &[Rect::new(0, 0, 100, 100)]).is_empty());
        assert!(complement(0, 3, &[]).is_empty());
    }

    fn arb_rect(c: u32, r: u32) -> impl Strategy<Value = Rect> {
        (0..c + 4, 0..r + 4, 0..c + 4, 0..r + 4).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h))
    }

    proptest! {
        /// Every pixel is either kept or blanked by exactly one rectangle,
        /// never both, never neither.
        #[test]
        fn complement_partitions_the_image(
            (c, r, keep) in (1u32..40, 1u32..40).prop_flat_map(|(c, r)| {
                (Just(c), Just(r), proptest::collection::vec(arb_rect(c, r), 0..7))
            })
        ) {
            let blank = complement(c, r, &keep);
            for b in &blank {
                prop_assert!(!b.is_empty());
                prop_assert!(b.right() <= u64::from(c) && b.bottom() <= u64::from(r));
            }
            for y in 0..r {
                for x in 0..c {
                    let kept = keep.iter().any(|k| k.contains(x, y));
                    let n = blank.iter().filter(|b| b.contains(x, y)).count();
                    prop_assert_eq!(n, usize::from(!kept), "pixel ({}, {})", x, y);
                }
            }
        }
    }
}
