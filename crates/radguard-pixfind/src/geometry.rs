//! Rectangles in pixel coordinates: radguard-pixels' [`Rect`] (half-open:
//! `x`, `y` is the top-left pixel, `width` and `height` count pixels, the
//! right and bottom edges are excluded), shared by the rule matcher, the
//! ultrasound regions, text detection and the pixel layer that blanks them.

pub use radguard_pixels::geometry::Rect;

/// `rect` clipped to a `columns` × `rows` image, or `None` if none of it
/// is inside.
pub(crate) fn clipped(rect: Rect, columns: u32, rows: u32) -> Option<Rect> {
    let r = rect.clip(columns, rows);
    (!r.is_empty()).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_and_clip() {
        assert_eq!(
            Rect::from_corners(450, 0, 672, 85),
            Rect::new(450, 0, 222, 85)
        );
        assert_eq!(
            clipped(Rect::new(10, 10, 5, 5), 12, 100),
            Some(Rect::new(10, 10, 2, 5))
        );
        assert_eq!(clipped(Rect::new(10, 10, 5, 5), 10, 100), None);
        assert_eq!(
            clipped(Rect::new(u32::MAX, 0, u32::MAX, 1), u32::MAX, 1),
            None,
            "saturating edges"
        );
        assert_eq!(
            clipped(Rect::new(2, 3, 4, 5).grow(4), 100, 9),
            Some(Rect::new(0, 0, 10, 9))
        );
    }

    #[test]
    fn complement_of_nothing_is_the_image() {
        assert_eq!(Rect::complement(&[], 7, 3), vec![Rect::new(0, 0, 7, 3)]);
        assert!(Rect::complement(&[Rect::new(0, 0, 100, 100)], 7, 3).is_empty());
        assert!(Rect::complement(&[], 0, 3).is_empty());
    }
}
