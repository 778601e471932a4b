//! Rectangles in pixel coordinates, and which rectangles go to which frame.
//!
//! Coordinates are **pixels of the stored image**: column `x` from the left
//! (0 = first column), row `y` from the top (0 = first row), as DICOM lays
//! out Pixel Data. A [`Rect`] is **half-open**: it covers the columns
//! `x..x + width` and the rows `y..y + height`, so `Rect::new(0, 0, 4, 2)`
//! covers 8 pixels, the last one at column 3, row 1, and a rectangle of
//! zero width or height covers nothing. This is the convention of pydicom/deid's
//! `coordinates` (`x0,y0,x1,y1` with `x1`, `y1` excluded, converted with
//! [`Rect::from_corners`]) and of image crates; PixelMed's and CTP's
//! rectangles are given the same way.
//!
//! # Examples
//!
//! ```
//! use radguard_pixels::geometry::{Rect, RegionPlan};
//!
//! // A banner over the top 40 rows of every frame, and a box on frame 3 only.
//! let mut plan = RegionPlan::new();
//! plan.add_all_frames(Rect::new(0, 0, u32::MAX, 40));
//! plan.add_frame(3, Rect::from_corners(100, 200, 180, 230));
//!
//! let banner = Rect::new(0, 0, u32::MAX, 40).clip(640, 480);
//! assert_eq!(banner, Rect::new(0, 0, 640, 40));
//! assert!(banner.contains(639, 39) && !banner.contains(0, 40));
//! assert_eq!(plan.rects_for(3).count(), 2);
//! assert_eq!(plan.rects_for(4).count(), 1);
//! ```

use std::collections::BTreeMap;

/// An axis-aligned rectangle of pixels: columns `x..x + width`, rows
/// `y..y + height` (the right and bottom edges are excluded).
///
/// Any values are allowed; [`Rect::clip`] cuts a rectangle to an image, and
/// the arithmetic saturates instead of overflowing (a rectangle reaching
/// past `u32::MAX` ends there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rect {
    /// First column covered (0 = leftmost).
    pub x: u32,
    /// First row covered (0 = top).
    pub y: u32,
    /// Number of columns covered.
    pub width: u32,
    /// Number of rows covered.
    pub height: u32,
}

impl Rect {
    /// The rectangle of `width` × `height` pixels whose top-left pixel is
    /// at column `x`, row `y`.
    #[must_use]
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// The rectangle from corner `(x0, y0)` (included) to corner
    /// `(x1, y1)` (excluded), in either order: pydicom/deid's
    /// `coordinates` convention. Equal coordinates give an empty rectangle.
    ///
    /// ```
    /// use radguard_pixels::geometry::Rect;
    /// assert_eq!(Rect::from_corners(10, 5, 30, 25), Rect::new(10, 5, 20, 20));
    /// assert_eq!(Rect::from_corners(30, 25, 10, 5), Rect::new(10, 5, 20, 20));
    /// ```
    #[must_use]
    pub fn from_corners(x0: u32, y0: u32, x1: u32, y1: u32) -> Self {
        Self::new(x0.min(x1), y0.min(y1), x0.abs_diff(x1), y0.abs_diff(y1))
    }

    /// The column just right of the rectangle (`x + width`, saturating).
    #[must_use]
    pub const fn right(&self) -> u32 {
        self.x.saturating_add(self.width)
    }

    /// The row just below the rectangle (`y + height`, saturating).
    #[must_use]
    pub const fn bottom(&self) -> u32 {
        self.y.saturating_add(self.height)
    }

    /// `true` if the rectangle covers no pixel.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// Number of pixels covered.
    #[must_use]
    pub const fn area(&self) -> u64 {
        (self.right() - self.x) as u64 * (self.bottom() - self.y) as u64
    }

    /// `true` if the pixel at column `x`, row `y` is inside.
    #[must_use]
    pub const fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }

    /// The part of the rectangle inside an image of `columns` × `rows`
    /// pixels. The result may be empty (then it is `Rect::default()`-like
    /// with zero width or height, at a position inside or at the edge of
    /// the image).
    ///
    /// ```
    /// use radguard_pixels::geometry::Rect;
    /// assert_eq!(Rect::new(600, 470, 100, 100).clip(640, 480), Rect::new(600, 470, 40, 10));
    /// assert!(Rect::new(700, 0, 10, 10).clip(640, 480).is_empty());
    /// ```
    #[must_use]
    pub fn clip(&self, columns: u32, rows: u32) -> Self {
        self.intersect(&Self::new(0, 0, columns, rows))
    }

    /// The pixels both rectangles cover (empty if they do not overlap).
    #[must_use]
    pub fn intersect(&self, other: &Self) -> Self {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let right = self.right().min(other.right());
        let bottom = self.bottom().min(other.bottom());
        Self::new(
            x.min(right),
            y.min(bottom),
            right.saturating_sub(x),
            bottom.saturating_sub(y),
        )
    }

    /// The rectangle grown by `margin` pixels on every side (saturating at
    /// 0 and `u32::MAX`; [`Rect::clip`] it to an image).
    ///
    /// ```
    /// use radguard_pixels::geometry::Rect;
    /// assert_eq!(Rect::new(2, 10, 5, 5).grow(4), Rect::new(0, 6, 11, 13));
    /// assert_eq!(Rect::new(2, 10, 5, 5).grow(4).clip(8, 100), Rect::new(0, 6, 8, 13));
    /// ```
    #[must_use]
    pub const fn grow(&self, margin: u32) -> Self {
        let x = self.x.saturating_sub(margin);
        let y = self.y.saturating_sub(margin);
        Self::new(
            x,
            y,
            self.right().saturating_add(margin) - x,
            self.bottom().saturating_add(margin) - y,
        )
    }

    /// Rectangles that together cover every pixel of a `columns` × `rows`
    /// image that none of `keep` covers, without overlapping each other.
    /// This turns "keep only these regions" (the data regions of an
    /// ultrasound image) into rectangles to blank.
    ///
    /// ```
    /// use radguard_pixels::geometry::Rect;
    /// let keep = [Rect::new(10, 10, 20, 20)];
    /// let blank = Rect::complement(&keep, 40, 40);
    /// let covered: u64 = blank.iter().map(Rect::area).sum();
    /// assert_eq!(covered, 40 * 40 - 20 * 20);
    /// assert!(blank.iter().all(|r| !r.contains(15, 15)));
    /// ```
    #[must_use]
    pub fn complement(keep: &[Self], columns: u32, rows: u32) -> Vec<Self> {
        let keep: Vec<Self> = keep
            .iter()
            .map(|r| r.clip(columns, rows))
            .filter(|r| !r.is_empty())
            .collect();
        // Cut the image into bands at every kept rectangle's top and bottom,
        // then each band into runs at their left and right edges.
        let mut ys: Vec<u32> = keep.iter().flat_map(|r| [r.y, r.bottom()]).collect();
        ys.extend([0, rows]);
        ys.sort_unstable();
        ys.dedup();
        let mut out: Vec<Self> = Vec::new();
        for band in ys.windows(2) {
            let (top, bottom) = (band[0], band[1]);
            let mut spans: Vec<(u32, u32)> = keep
                .iter()
                .filter(|r| r.y <= top && r.bottom() >= bottom)
                .map(|r| (r.x, r.right()))
                .collect();
            spans.sort_unstable();
            let mut at = 0u32;
            let mut free = Vec::new();
            for (l, r) in spans {
                if l > at {
                    free.push((at, l));
                }
                at = at.max(r);
            }
            if at < columns {
                free.push((at, columns));
            }
            for (l, r) in free {
                let rect = Self::new(l, top, r - l, bottom - top);
                // Merge with the rectangle just above when it has the same columns.
                match out
                    .iter_mut()
                    .find(|o| o.x == rect.x && o.width == rect.width && o.bottom() == top)
                {
                    Some(o) => o.height += rect.height,
                    None => out.push(rect),
                }
            }
        }
        out
    }
}

impl std::fmt::Display for Rect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "x={} y={} width={} height={}",
            self.x, self.y, self.width, self.height
        )
    }
}

/// Which rectangles to blank in which frames: rectangles for every frame,
/// plus rectangles for single frames (0-based frame numbers).
///
/// Rectangles are kept as given; they are clipped to the image when
/// applied, so a rule may say "the top 40 rows" as
/// `Rect::new(0, 0, u32::MAX, 40)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RegionPlan {
    all_frames: Vec<Rect>,
    per_frame: BTreeMap<u32, Vec<Rect>>,
}

impl RegionPlan {
    /// A plan that blanks nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A plan that blanks `rects` in every frame.
    #[must_use]
    pub fn all_frames(rects: impl IntoIterator<Item = Rect>) -> Self {
        let mut plan = Self::new();
        plan.all_frames.extend(rects);
        plan
    }

    /// Blanks `rect` in every frame. Empty rectangles are ignored.
    pub fn add_all_frames(&mut self, rect: Rect) -> &mut Self {
        if !rect.is_empty() {
            self.all_frames.push(rect);
        }
        self
    }

    /// Blanks `rect` in frame `frame` (0-based) only. Empty rectangles are
    /// ignored.
    pub fn add_frame(&mut self, frame: u32, rect: Rect) -> &mut Self {
        if !rect.is_empty() {
            self.per_frame.entry(frame).or_default().push(rect);
        }
        self
    }

    /// Adds every rectangle of `other` to this plan.
    pub fn extend(&mut self, other: &Self) -> &mut Self {
        self.all_frames.extend_from_slice(&other.all_frames);
        for (k, rects) in &other.per_frame {
            self.per_frame
                .entry(*k)
                .or_default()
                .extend_from_slice(rects);
        }
        self
    }

    /// The rectangles for every frame.
    #[must_use]
    pub fn all_frames_rects(&self) -> &[Rect] {
        &self.all_frames
    }

    /// The rectangles for single frames, by 0-based frame number.
    #[must_use]
    pub fn per_frame_rects(&self) -> &BTreeMap<u32, Vec<Rect>> {
        &self.per_frame
    }

    /// The rectangles that apply to frame `frame` (0-based), unclipped:
    /// those for every frame, then those for this frame.
    pub fn rects_for(&self, frame: u32) -> impl Iterator<Item = &Rect> + '_ {
        self.all_frames
            .iter()
            .chain(self.per_frame.get(&frame).into_iter().flatten())
    }

    /// The rectangles that apply to frame `frame` of a `columns` × `rows`
    /// image, clipped to it, empty ones left out.
    #[must_use]
    pub fn clipped_for(&self, frame: u32, columns: u32, rows: u32) -> Vec<Rect> {
        self.rects_for(frame)
            .map(|r| r.clip(columns, rows))
            .filter(|r| !r.is_empty())
            .collect()
    }

    /// `true` if frame `frame` of a `columns` × `rows` image has a pixel to
    /// blank.
    #[must_use]
    pub fn touches(&self, frame: u32, columns: u32, rows: u32) -> bool {
        self.rects_for(frame)
            .any(|r| !r.clip(columns, rows).is_empty())
    }

    /// `true` if the plan has no rectangle at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.all_frames.is_empty() && self.per_frame.values().all(Vec::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_and_contains() {
        let r = Rect::new(5, 5, 10, 10);
        assert!(r.contains(5, 5) && r.contains(14, 14));
        assert!(!r.contains(15, 5) && !r.contains(5, 15) && !r.contains(4, 5));
        assert_eq!(r.clip(8, 100), Rect::new(5, 5, 3, 10));
        assert!(r.clip(5, 100).is_empty());
        assert!(Rect::new(u32::MAX - 1, 0, 10, 1).right() == u32::MAX);
        assert_eq!(Rect::new(0, 0, u32::MAX, u32::MAX).clip(3, 2).area(), 6);
        assert!(Rect::new(3, 3, 0, 9).is_empty());
    }

    #[test]
    fn complement_covers_exactly_the_rest() {
        let keep = [
            Rect::new(2, 1, 3, 4),
            Rect::new(4, 3, 4, 4),
            Rect::new(50, 50, 5, 5),
        ];
        let (cols, rows) = (10u32, 9u32);
        let blank = Rect::complement(&keep, cols, rows);
        for y in 0..rows {
            for x in 0..cols {
                let kept = keep.iter().any(|r| r.contains(x, y));
                let n = blank.iter().filter(|r| r.contains(x, y)).count();
                assert_eq!(n, usize::from(!kept), "pixel {x},{y}");
            }
        }
        assert_eq!(Rect::complement(&[], 4, 4), vec![Rect::new(0, 0, 4, 4)]);
        assert!(Rect::complement(&[Rect::new(0, 0, 9, 9)], 4, 4).is_empty());
    }

    #[test]
    fn plan() {
        let mut p = RegionPlan::new();
        assert!(p.is_empty());
        p.add_frame(2, Rect::new(0, 0, 0, 5));
        assert!(p.is_empty());
        p.add_frame(2, Rect::new(0, 0, 1, 5));
        assert!(p.touches(2, 10, 10) && !p.touches(1, 10, 10));
        assert!(!p.touches(2, 0, 10));
        p.add_all_frames(Rect::new(100, 100, 5, 5));
        assert!(!p.touches(1, 10, 10));
        assert_eq!(p.clipped_for(2, 10, 10), vec![Rect::new(0, 0, 1, 5)]);
    }
}

#[cfg(test)]
mod complement_tests {
    use super::*;
    use proptest::prelude::*;

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
            let blank = Rect::complement(&keep, c, r);
            for b in &blank {
                prop_assert!(!b.is_empty());
                prop_assert!(b.right() <= c && b.bottom() <= r);
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
