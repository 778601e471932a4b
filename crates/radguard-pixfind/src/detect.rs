//! Text detection in 8-bit grayscale frames, for text no rule covers, and
//! the re-check of cleaned frames.
//!
//! The engine is [Tesseract] (the system library, through the
//! `tesseract-plumbing` binding), compiled in only with the cargo feature
//! `ocr`. Without it [`TextDetector::new`] returns
//! [`DetectError::NotAvailable`] and a caller must refuse the files that
//! need detection; [`is_available`] says which build this is.
//!
//! # How text is found
//!
//! 1. The frame is filtered so that strokes thinner than 5 pixels stand out
//!    on a white page: a morphological top-hat (the frame minus its
//!    5 × 5 opening for bright text, its closing minus the frame for dark
//!    text), amplified and inverted. This removes the smooth image content
//!    (ultrasound speckle, anatomy) that otherwise hides text from the
//!    engine. [`Polarity`] picks bright text, dark text, both (the
//!    default), or decides from the frame's mean.
//! 2. Tesseract's layout analysis only (page segmentation mode 11, "sparse
//!    text"; no character recognition) returns the text lines' boxes. This
//!    is what makes it fast: about 20–25 ms for a 640 × 480 frame on one
//!    core, against 120–230 ms with recognition.
//! 3. Each box grows by a margin, `max(margin_px, margin_fraction ×
//!    box height)`, 4 px and 25 % by default, and is clipped to the frame.
//!
//! Layout boxes carry no confidence ([`TextBox::confidence`] is `None`);
//! they over-detect on textured images rather than under-detect.
//!
//! # The re-check
//!
//! [`TextDetector::recheck`] runs full recognition (page segmentation mode
//! 11) on the same filtered image of a *cleaned* frame and reports every
//! word recognised with at least `recheck_min_confidence` (60 by default)
//! and at least `recheck_min_chars` letters or digits (2). Any such word
//! means the caller must refuse the file.
//!
//! # Security
//!
//! No recognised text is kept, returned or logged: the re-check reads the
//! engine's per-word table for the box and confidence, counts the letters
//! and digits of each word to decide whether it is text, and drops the
//! engine's string at once; the engine's own results are cleared before
//! the call returns, and its debug output goes to `/dev/null`.
//!
//! Detection lowers the risk of burned-in text; it does not remove it.
//! Text smaller than about 8 pixels, strongly stylised or blended into
//! the image can be missed (see the measured recall in the crate README).
//!
//! [Tesseract]: https://github.com/tesseract-ocr/tesseract

use std::path::PathBuf;

use crate::Rect;

/// `true` if this build has a text detection engine (the `ocr` feature).
#[must_use]
pub const fn is_available() -> bool {
    cfg!(feature = "ocr")
}

/// Frames are at most this many pixels wide or high.
pub const MAX_SIDE: u32 = 16_384;

/// An 8-bit grayscale frame: `rows` lines of `columns` bytes, 0 = black.
/// The pixel layer's `to_gray8` provides it.
#[derive(Clone, Copy, Debug)]
pub struct Gray8<'a> {
    data: &'a [u8],
    columns: u32,
    rows: u32,
}

impl<'a> Gray8<'a> {
    /// A frame over `data`.
    ///
    /// # Errors
    ///
    /// [`DetectError::BadFrame`] if `data` is not exactly `columns × rows`
    /// bytes, or a side is 0 or above [`MAX_SIDE`].
    pub fn new(data: &'a [u8], columns: u32, rows: u32) -> Result<Self, DetectError> {
        let bad = || DetectError::BadFrame {
            columns,
            rows,
            len: data.len(),
        };
        if columns == 0 || rows == 0 || columns > MAX_SIDE || rows > MAX_SIDE {
            return Err(bad());
        }
        let want = usize::try_from(u64::from(columns) * u64::from(rows)).map_err(|_| bad())?;
        if data.len() != want {
            return Err(bad());
        }
        Ok(Self {
            data,
            columns,
            rows,
        })
    }

    /// The pixels, row by row.
    #[must_use]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }
    /// Width in pixels.
    #[must_use]
    pub const fn columns(&self) -> u32 {
        self.columns
    }
    /// Height in pixels.
    #[must_use]
    pub const fn rows(&self) -> u32 {
        self.rows
    }
}

/// A box where text was found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextBox {
    /// The box, margin included, clipped to the frame.
    pub rect: Rect,
    /// The engine's confidence (0–100) for recognised words; `None` for
    /// layout-analysis boxes, which have none.
    pub confidence: Option<f32>,
}

/// Which text the detector looks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Polarity {
    /// Bright text if the frame's mean is below mid-gray, dark text
    /// otherwise: half the time of [`Polarity::Both`], but it misses text
    /// of the other polarity (a white-on-black banner on a bright image).
    Auto,
    /// Text brighter than its surroundings (ultrasound, most modalities).
    Bright,
    /// Text darker than its surroundings (scanned documents, reports).
    Dark,
    /// Both, in two passes (twice the time). The default: a frame can
    /// carry bright and dark text at once.
    #[default]
    Both,
}

/// Settings of a [`TextDetector`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DetectorOptions {
    /// Which text to look for.
    pub polarity: Polarity,
    /// The least margin added around each box, in pixels (default 4).
    pub margin_px: u32,
    /// The margin as a fraction of the box's height, when larger (default
    /// 0.25).
    pub margin_fraction: f32,
    /// The re-check reports words recognised with at least this confidence
    /// (0–100, default 60).
    pub recheck_min_confidence: f32,
    /// ... and at least this many letters or digits (default 2).
    pub recheck_min_chars: usize,
    /// The folder holding `<language>.traineddata`; `None` uses
    /// Tesseract's default (`TESSDATA_PREFIX`, or the system's).
    pub tessdata: Option<PathBuf>,
    /// The Tesseract language (default `eng`, Latin script).
    pub language: String,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        Self {
            polarity: Polarity::Both,
            margin_px: 4,
            margin_fraction: 0.25,
            recheck_min_confidence: 60.0,
            recheck_min_chars: 2,
            tessdata: None,
            language: "eng".to_owned(),
        }
    }
}

/// What the re-check of a cleaned frame found.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Recheck {
    /// No text: the frame may be passed.
    Clean,
    /// Text was recognised in these boxes: the file must be refused.
    TextFound(Vec<TextBox>),
}

impl Recheck {
    /// `true` for [`Recheck::Clean`].
    #[must_use]
    pub const fn is_clean(&self) -> bool {
        matches!(self, Self::Clean)
    }
}

/// Text detection that could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// This build has no text detection engine (the `ocr` feature is off).
    #[error("text detection is not available in this build")]
    NotAvailable,
    /// The engine could not start (its language data is missing, most
    /// often).
    #[error("the text detection engine could not start with language {language:?}")]
    EngineInit {
        /// The language asked for.
        language: String,
    },
    /// The engine failed on a frame.
    #[error("the text detection engine failed on a frame")]
    Engine,
    /// The frame's size and data do not agree.
    #[error("frame of {columns}x{rows} pixels with {len} bytes")]
    BadFrame {
        /// Columns claimed.
        columns: u32,
        /// Rows claimed.
        rows: u32,
        /// Bytes given.
        len: usize,
    },
}

/// A text detector: one engine instance, reused frame after frame. Not
/// shared between threads: make one per thread.
///
/// # Examples
///
/// ```
/// use radguard_pixfind::detect::{DetectError, DetectorOptions, Gray8, TextDetector};
///
/// let frame = vec![0u8; 64 * 48];
/// match TextDetector::new(DetectorOptions::default()) {
///     Ok(mut d) => {
///         let boxes = d.detect(Gray8::new(&frame, 64, 48)?)?;
///         assert!(boxes.is_empty()); // a black frame has no text
///     }
///     // Built without the `ocr` feature, or no language data: the caller
///     // refuses files that need detection.
///     Err(DetectError::NotAvailable | DetectError::EngineInit { .. }) => {}
///     Err(e) => return Err(e.into()),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TextDetector {
    options: DetectorOptions,
    #[cfg(feature = "ocr")]
    engine: engine::Engine,
    #[cfg(not(feature = "ocr"))]
    never: Never,
}

#[cfg(not(feature = "ocr"))]
#[derive(Debug)]
enum Never {}

impl TextDetector {
    /// Starts the engine.
    ///
    /// # Errors
    ///
    /// [`DetectError::NotAvailable`] without the `ocr` feature;
    /// [`DetectError::EngineInit`] if Tesseract cannot load its language
    /// data.
    pub fn new(options: DetectorOptions) -> Result<Self, DetectError> {
        #[cfg(feature = "ocr")]
        {
            let engine = engine::Engine::new(&options)?;
            Ok(Self { options, engine })
        }
        #[cfg(not(feature = "ocr"))]
        {
            let _ = options;
            Err(DetectError::NotAvailable)
        }
    }

    /// The settings.
    #[must_use]
    pub const fn options(&self) -> &DetectorOptions {
        &self.options
    }

    /// The boxes of text in a frame, margins included, clipped to the
    /// frame.
    ///
    /// # Errors
    ///
    /// [`DetectError::Engine`] if the engine fails.
    pub fn detect(&mut self, frame: Gray8<'_>) -> Result<Vec<TextBox>, DetectError> {
        #[cfg(feature = "ocr")]
        {
            let mut out = Vec::new();
            for (factor, scaled) in pyramid(frame) {
                let level = scaled.view();
                for bright in passes(self.options.polarity, level) {
                    let img = prepare(level, bright);
                    let lines = self.engine.layout_lines(&img, level.columns, level.rows)?;
                    out.extend(lines.into_iter().filter_map(|r| {
                        let rect = grow(upscale(r, factor), &self.options, frame)?;
                        Some(TextBox {
                            rect,
                            confidence: None,
                        })
                    }));
                }
            }
            Ok(out)
        }
        #[cfg(not(feature = "ocr"))]
        {
            let _ = frame;
            match self.never {}
        }
    }

    /// Recognition on a cleaned frame: any word found means the file must
    /// be refused.
    ///
    /// # Errors
    ///
    /// [`DetectError::Engine`] if the engine fails (the caller must refuse
    /// the file then too).
    pub fn recheck(&mut self, frame: Gray8<'_>) -> Result<Recheck, DetectError> {
        #[cfg(feature = "ocr")]
        {
            let mut found = Vec::new();
            for (factor, scaled) in pyramid(frame) {
                let level = scaled.view();
                for bright in passes(self.options.polarity, level) {
                    let img = prepare(level, bright);
                    let words = self.engine.words(
                        &img,
                        level.columns,
                        level.rows,
                        self.options.recheck_min_confidence,
                        self.options.recheck_min_chars,
                    )?;
                    found.extend(words.into_iter().filter_map(|(r, conf)| {
                        Some(TextBox {
                            rect: grow(upscale(r, factor), &self.options, frame)?,
                            confidence: Some(conf),
                        })
                    }));
                }
            }
            Ok(if found.is_empty() {
                Recheck::Clean
            } else {
                Recheck::TextFound(found)
            })
        }
        #[cfg(not(feature = "ocr"))]
        {
            let _ = frame;
            match self.never {}
        }
    }
}

/// The polarities to look for: `true` = bright text.
#[cfg_attr(not(feature = "ocr"), allow(dead_code))]
fn passes(p: Polarity, frame: Gray8<'_>) -> Vec<bool> {
    match p {
        Polarity::Bright => vec![true],
        Polarity::Dark => vec![false],
        Polarity::Both => vec![true, false],
        Polarity::Auto => {
            let sum: u64 = frame.data.iter().map(|&v| u64::from(v)).sum();
            let n = frame.data.len().max(1) as u64;
            vec![sum / n < 128]
        }
    }
}

#[cfg_attr(not(feature = "ocr"), allow(dead_code))]
fn grow(r: Rect, o: &DetectorOptions, frame: Gray8<'_>) -> Option<Rect> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let by_height = (r.height as f32 * o.margin_fraction.clamp(0.0, 4.0)).ceil() as u32;
    crate::geometry::clipped(
        r.grow(o.margin_px.max(by_height)),
        frame.columns,
        frame.rows,
    )
}

/// The smallest side a reduced level of the pyramid keeps.
const MIN_LEVEL_SIDE: u32 = 160;

/// A frame, or a reduced copy of it.
#[cfg_attr(not(feature = "ocr"), allow(dead_code))]
enum Level<'a> {
    Full(Gray8<'a>),
    Reduced {
        data: Vec<u8>,
        columns: u32,
        rows: u32,
    },
}

#[cfg_attr(not(feature = "ocr"), allow(dead_code))]
impl Level<'_> {
    fn view(&self) -> Gray8<'_> {
        match self {
            Self::Full(g) => *g,
            Self::Reduced {
                data,
                columns,
                rows,
            } => Gray8 {
                data,
                columns: *columns,
                rows: *rows,
            },
        }
    }
}

/// The frame at full size, then halved (2 × 2 means) and halved again
/// while both sides keep at least [`MIN_LEVEL_SIDE`] pixels, with each
/// level's factor: the top-hat filter lifts strokes thinner than its
/// kernel, so large text (thick strokes) shows up on a reduced level.
#[cfg_attr(not(feature = "ocr"), allow(dead_code))]
fn pyramid(frame: Gray8<'_>) -> Vec<(u32, Level<'_>)> {
    let mut out = vec![(1, Level::Full(frame))];
    let (mut factor, mut cur): (u32, Option<(Vec<u8>, u32, u32)>) = (1, None);
    loop {
        let (src, w, h) = match &cur {
            Some((d, w, h)) => (d.as_slice(), *w, *h),
            None => (frame.data, frame.columns, frame.rows),
        };
        let (nw, nh) = (w / 2, h / 2);
        if nw < MIN_LEVEL_SIDE || nh < MIN_LEVEL_SIDE || factor >= 8 {
            break;
        }
        let (wu, nwu) = (w as usize, nw as usize);
        let mut half = vec![0u8; nwu * nh as usize];
        for (y, row) in half.chunks_exact_mut(nwu).enumerate() {
            let (a, b) = (&src[2 * y * wu..], &src[(2 * y + 1) * wu..]);
            for (x, v) in row.iter_mut().enumerate() {
                let sum = u16::from(a[2 * x])
                    + u16::from(a[2 * x + 1])
                    + u16::from(b[2 * x])
                    + u16::from(b[2 * x + 1]);
                // The mean of four bytes fits a byte.
                *v = u8::try_from(sum / 4).unwrap_or(u8::MAX);
            }
        }
        factor *= 2;
        out.push((
            factor,
            Level::Reduced {
                data: half.clone(),
                columns: nw,
                rows: nh,
            },
        ));
        cur = Some((half, nw, nh));
    }
    out
}

/// A rectangle of a level reduced by `factor`, at full size.
#[cfg_attr(not(feature = "ocr"), allow(dead_code))]
fn upscale(r: Rect, factor: u32) -> Rect {
    Rect::new(
        r.x.saturating_mul(factor),
        r.y.saturating_mul(factor),
        r.width.saturating_mul(factor),
        r.height.saturating_mul(factor),
    )
}

/// The structuring element's side: strokes thinner than this stand out.
const KERNEL: usize = 5;
/// Contrast gain of the filtered image.
const GAIN: u16 = 2;

/// Separable min (`max == false`) or max filter over a `KERNEL`-wide
/// square window, clamped at the edges.
fn filter(src: &[u8], w: usize, h: usize, max: bool) -> Vec<u8> {
    let r = KERNEL / 2;
    let pick = |a: u8, b: u8| if max { a.max(b) } else { a.min(b) };
    let mut tmp = vec![0u8; src.len()];
    for (row_in, row_out) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        for (x, out) in row_out.iter_mut().enumerate() {
            let lo = x.saturating_sub(r);
            let hi = (x + r).min(w - 1);
            *out = row_in[lo..=hi].iter().copied().fold(row_in[x], pick);
        }
    }
    let mut out = vec![0u8; src.len()];
    for y in 0..h {
        let lo = y.saturating_sub(r);
        let hi = (y + r).min(h - 1);
        let row_out = &mut out[y * w..(y + 1) * w];
        row_out.copy_from_slice(&tmp[y * w..(y + 1) * w]);
        for yy in lo..=hi {
            let src_row = &tmp[yy * w..(yy + 1) * w];
            for (o, &v) in row_out.iter_mut().zip(src_row) {
                *o = pick(*o, v);
            }
        }
    }
    out
}

/// The frame as the engine sees it: the top-hat of the chosen polarity,
/// amplified and inverted (text dark on a white page).
#[cfg_attr(not(feature = "ocr"), allow(dead_code))]
fn prepare(frame: Gray8<'_>, bright: bool) -> Vec<u8> {
    let (w, h) = (frame.columns as usize, frame.rows as usize);
    let src = frame.data;
    let background = if bright {
        // Opening: erode then dilate.
        filter(&filter(src, w, h, false), w, h, true)
    } else {
        // Closing: dilate then erode.
        filter(&filter(src, w, h, true), w, h, false)
    };
    src.iter()
        .zip(&background)
        .map(|(&s, &b)| {
            let t = u16::from(if bright {
                s.saturating_sub(b)
            } else {
                b.saturating_sub(s)
            });
            // t * GAIN ≤ 510, clamped to 255.
            255 - u8::try_from((t * GAIN).min(255)).unwrap_or(u8::MAX)
        })
        .collect()
}

#[cfg(feature = "ocr")]
mod engine {
    //! The Tesseract calls.
    use std::ffi::CString;

    use tesseract_plumbing::TessBaseApi;
    use tesseract_plumbing::leptonica_sys;
    use tesseract_plumbing::tesseract_sys::{
        TessPageIteratorLevel_RIL_TEXTLINE, TessPageSegMode_PSM_SPARSE_TEXT,
    };

    use super::{DetectError, DetectorOptions};
    use crate::Rect;

    pub(super) struct Engine {
        api: TessBaseApi,
    }

    impl std::fmt::Debug for Engine {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Engine").finish_non_exhaustive()
        }
    }

    fn cstring(s: &str) -> Option<CString> {
        CString::new(s).ok()
    }

    /// Leptonica, Tesseract's image library, prints its internal
    /// messages ("Error in boxClipToRectangle: ...") on standard error
    /// whatever the caller wants; they carry no text of the image but
    /// drown a command's own output. Silenced once per process, before
    /// the first engine exists.
    #[allow(unsafe_code)]
    fn quiet_leptonica() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let none = i32::try_from(leptonica_sys::L_SEVERITY_NONE).unwrap_or(6);
            // SAFETY: setMsgSeverity stores one integer in Leptonica's
            // global message level and returns the old one; it takes no
            // pointers. `Once` runs it before any engine of this process
            // exists, so no Leptonica call runs concurrently with it.
            unsafe {
                leptonica_sys::setMsgSeverity(none);
            }
        });
    }

    impl Engine {
        pub(super) fn new(o: &DetectorOptions) -> Result<Self, DetectError> {
            quiet_leptonica();
            let init = || DetectError::EngineInit {
                language: o.language.clone(),
            };
            let mut api = TessBaseApi::create();
            let lang = cstring(&o.language).ok_or_else(init)?;
            let path = match &o.tessdata {
                Some(p) => Some(cstring(&p.to_string_lossy()).ok_or_else(init)?),
                None => None,
            };
            api.init_2(path.as_deref(), Some(&lang))
                .map_err(|_| init())?;
            let (k, v) = (
                cstring("debug_file").ok_or_else(init)?,
                cstring("/dev/null").ok_or_else(init)?,
            );
            api.set_variable(&k, &v).map_err(|_| init())?;
            api.set_page_seg_mode(TessPageSegMode_PSM_SPARSE_TEXT);
            Ok(Self { api })
        }

        fn set(&mut self, img: &[u8], w: u32, h: u32) -> Result<(), DetectError> {
            let wi = i32::try_from(w).map_err(|_| DetectError::Engine)?;
            let hi = i32::try_from(h).map_err(|_| DetectError::Engine)?;
            self.api
                .set_image(img, wi, hi, 1, wi)
                .map_err(|_| DetectError::Engine)?;
            self.api.set_source_resolution(70);
            Ok(())
        }

        /// Drops the engine's results (and any recognised text) by giving
        /// it a blank 1 × 1 image.
        fn clear(&mut self) {
            let _ = self.api.set_image(&[255u8], 1, 1, 1, 1);
        }

        /// Text line boxes from layout analysis alone.
        pub(super) fn layout_lines(
            &mut self,
            img: &[u8],
            w: u32,
            h: u32,
        ) -> Result<Vec<Rect>, DetectError> {
            self.set(img, w, h)?;
            // No text at all: Tesseract returns no component array.
            let Ok(boxes) = self
                .api
                .get_component_images_1(TessPageIteratorLevel_RIL_TEXTLINE, 1)
            else {
                self.clear();
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for i in 0..boxes.get_count() {
                let Some(b) = boxes.get_box_copied(i) else {
                    continue;
                };
                let (mut x, mut y, mut bw, mut bh) = (0, 0, 0, 0);
                b.get_geometry(Some(&mut x), Some(&mut y), Some(&mut bw), Some(&mut bh));
                if let (Ok(x), Ok(y), Ok(bw), Ok(bh)) = (
                    u32::try_from(x),
                    u32::try_from(y),
                    u32::try_from(bw),
                    u32::try_from(bh),
                ) && let Some(r) = crate::geometry::clipped(Rect::new(x, y, bw, bh), w, h)
                {
                    out.push(r);
                }
            }
            drop(boxes);
            self.clear();
            Ok(out)
        }

        /// Words recognised with at least `min_conf` and `min_chars`
        /// letters or digits: their boxes and confidences. The engine's
        /// text is read only to count, then dropped.
        pub(super) fn words(
            &mut self,
            img: &[u8],
            w: u32,
            h: u32,
            min_conf: f32,
            min_chars: usize,
        ) -> Result<Vec<(Rect, f32)>, DetectError> {
            self.set(img, w, h)?;
            if self.api.recognize().is_err() {
                self.clear();
                return Err(DetectError::Engine);
            }
            let tsv = self.api.get_tsv_text(0);
            let mut out = Vec::new();
            if let Ok(tsv) = &tsv {
                let bytes = tsv.as_ref().to_bytes();
                for line in bytes.split(|&b| b == b'\n') {
                    if let Some((rect, conf)) = parse_word(line, min_conf, min_chars)
                        && let Some(r) = crate::geometry::clipped(rect, w, h)
                    {
                        out.push((r, conf));
                    }
                }
            }
            drop(tsv);
            self.clear();
            Ok(out)
        }
    }

    /// One TSV line of level 5 (a word): `level page block par line word
    /// left top width height conf text`. Returns its box and confidence if
    /// it is confident text; the text itself is only counted.
    fn parse_word(line: &[u8], min_conf: f32, min_chars: usize) -> Option<(Rect, f32)> {
        let mut f = line.splitn(12, |&b| b == b'\t');
        let mut num =
            || -> Option<i64> { std::str::from_utf8(f.next()?).ok()?.trim().parse().ok() };
        if num()? != 5 {
            return None;
        }
        for _ in 0..5 {
            num()?;
        }
        let (x, y, bw, bh) = (num()?, num()?, num()?, num()?);
        let conf: f32 = std::str::from_utf8(f.next()?).ok()?.trim().parse().ok()?;
        let text = f.next().unwrap_or_default();
        let chars = String::from_utf8_lossy(text)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .count();
        if conf < min_conf || chars < min_chars {
            return None;
        }
        let r = Rect::new(
            u32::try_from(x).ok()?,
            u32::try_from(y).ok()?,
            u32::try_from(bw).ok()?,
            u32::try_from(bh).ok()?,
        );
        Some((r, conf))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn tsv_words() {
            let r = super::parse_word(b"5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t91.5\tDOE", 60.0, 2);
            assert_eq!(r, Some((crate::Rect::new(10, 20, 30, 12), 91.5)));
            assert_eq!(
                super::parse_word(b"5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t41.0\tDOE", 60.0, 2),
                None
            );
            assert_eq!(
                super::parse_word(b"5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t95\t~", 60.0, 2),
                None
            );
            assert_eq!(
                super::parse_word(b"4\t1\t1\t1\t1\t0\t10\t20\t30\t12\t-1\t", 60.0, 2),
                None
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_checked() {
        assert!(Gray8::new(&[0; 12], 4, 3).is_ok());
        assert!(matches!(
            Gray8::new(&[0; 11], 4, 3),
            Err(DetectError::BadFrame { .. })
        ));
        assert!(Gray8::new(&[], 0, 0).is_err());
        assert!(Gray8::new(&[0; 4], MAX_SIDE + 1, 0).is_err());
    }

    #[test]
    fn pyramid_halves_down_to_the_least_side() {
        let f = vec![7u8; 1000 * 700];
        let g = Gray8::new(&f, 1000, 700).unwrap();
        let levels: Vec<(u32, u32, u32)> = pyramid(g)
            .iter()
            .map(|(k, l)| (*k, l.view().columns(), l.view().rows()))
            .collect();
        assert_eq!(levels, [(1, 1000, 700), (2, 500, 350), (4, 250, 175)]);
        assert!(pyramid(g)[2].1.view().data().iter().all(|&v| v == 7));
        // A 2 × 2 block of 0, 100, 200, 255 averages to 138.
        let f = [0u8, 100, 200, 255];
        let small = Gray8::new(&f, 2, 2).unwrap();
        assert_eq!(pyramid(small).len(), 1, "too small to reduce");
        assert_eq!(upscale(Rect::new(3, 4, 5, 6), 4), Rect::new(12, 16, 20, 24));
    }

    #[test]
    fn top_hat_lifts_thin_strokes_only() {
        // A 20 × 20 dark frame with a 1-pixel bright line and a 10 × 10
        // bright block: the line becomes dark (ink) on white, the block's
        // inside stays white (not a stroke).
        let (w, h) = (20usize, 20usize);
        let mut f = vec![10u8; w * h];
        for x in 0..w {
            f[3 * w + x] = 200;
        }
        for y in 8..18 {
            for x in 5..15 {
                f[y * w + x] = 200;
            }
        }
        let g = Gray8::new(&f, 20, 20).unwrap();
        let p = prepare(g, true);
        assert_eq!(p[3 * w + 10], 0, "the thin line is ink");
        assert_eq!(p[12 * w + 10], 255, "the block's inside is page");
        assert_eq!(p[0], 255, "background is page");
        // Dark polarity sees the 4-row dark gap between line and block as
        // a stroke, and nothing in the open background.
        let d = prepare(g, false);
        assert_eq!(d[5 * w + 10], 0);
        assert_eq!(d[15 * w + 18], 255);
    }

    #[test]
    fn margins_grow_with_height() {
        let o = DetectorOptions::default();
        let g = Gray8::new(&[0; 100 * 100], 100, 100).unwrap();
        assert_eq!(
            grow(Rect::new(50, 50, 10, 8), &o, g),
            Some(Rect::new(46, 46, 18, 16))
        );
        assert_eq!(
            grow(Rect::new(50, 50, 10, 40), &o, g),
            Some(Rect::new(40, 40, 30, 60))
        );
        assert_eq!(
            grow(Rect::new(0, 0, 10, 8), &o, g),
            Some(Rect::new(0, 0, 14, 12))
        );
    }

    #[cfg(not(feature = "ocr"))]
    #[test]
    fn without_the_feature_detection_is_not_available() {
        assert!(!is_available());
        assert!(matches!(
            TextDetector::new(DetectorOptions::default()),
            Err(DetectError::NotAvailable)
        ));
    }
}
