//! Metadata inside the pixel stream, on the real JPEG, JPEG-LS and JPEG
//! 2000 samples: metadata inserted into each frame is removed, everything
//! else is kept byte for byte, and independent decoders (jpeg-decoder,
//! hayro-jpeg2000) give the same pixels before and after.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use radguard_dicom::pixel_meta::{strip_fragment, strip_j2k, strip_jpeg};
use radguard_dicom::{open, tags, text::value_text};

const NAME: &[u8] = b"DOE^JOHN";
const MRN: &[u8] = b"MRN998877";

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn leaks(data: &[u8]) -> bool {
    contains(data, NAME) || contains(data, MRN) || contains(data, b"Wound")
}

/// The transfer syntax and frames of a sample's encapsulated pixel data.
fn frames(rel: &str) -> (String, Vec<Vec<u8>>) {
    let f = open(radguard_testkit::sample(rel)).unwrap();
    let ts = radguard_dicom::text::trim_value(&f.meta().transfer_syntax).to_owned();
    let pd = f.dataset().get(tags::PIXEL_DATA).unwrap();
    let frags = pd.value().fragments().unwrap();
    let nf: usize = value_text(f.dataset(), tags::NUMBER_OF_FRAMES)
        .parse()
        .unwrap_or(1);
    let frames = if frags.len() == nf {
        frags.to_vec()
    } else {
        assert_eq!(nf, 1, "{rel}: cannot group fragments");
        vec![frags.concat()]
    };
    (ts, frames)
}

/// `data` without a final 0x00 padding byte.
fn unpadded(data: &[u8]) -> &[u8] {
    data.strip_suffix(&[0]).unwrap_or(data)
}

fn segment(code: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, code];
    s.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    s.extend(payload);
    s
}

/// Where the first SOS starts, and the end of an APP0 JFIF right after
/// SOI (or 2 if there is none).
fn jpeg_layout(clean: &[u8]) -> (usize, usize) {
    let mut pos = 2;
    let mut jfif_end = 2;
    loop {
        assert_eq!(clean[pos], 0xFF);
        let code = clean[pos + 1];
        if code == 0xDA {
            return (pos, jfif_end);
        }
        let len = usize::from(u16::from_be_bytes([clean[pos + 2], clean[pos + 3]]));
        if pos == 2 && code == 0xE0 && clean[pos + 4..].starts_with(b"JFIF\0") {
            jfif_end = pos + 2 + len;
        }
        pos += 2 + len;
    }
}

/// A JPEG frame with metadata added: an APP0 JFIF header with a thumbnail
/// (replacing the frame's own, if it has one), APP1 Exif, APP13 IPTC, a
/// COM before the scan and bytes after EOI.
fn dirty_jpeg(clean: &[u8]) -> Vec<u8> {
    let clean = unpadded(clean);
    let (sos, jfif_end) = jpeg_layout(clean);
    let mut out = vec![0xFF, 0xD8];
    if jfif_end > 2 {
        // The same JFIF header with a 3 × 1 thumbnail of "DOE^JOHN\0".
        let mut p = clean[6..6 + 12].to_vec();
        p.extend([3, 1]);
        p.extend(b"DOE^JOHN\0");
        out.extend(segment(0xE0, &p));
    }
    out.extend(segment(0xE1, b"Exif\0\0II*\0Wound, DOE^JOHN, MRN998877"));
    out.extend(segment(0xED, b"Photoshop 3.0\08BIM DOE^JOHN"));
    out.extend(&clean[jfif_end..sos]);
    out.extend(segment(0xFE, b"DOE^JOHN MRN998877"));
    out.extend(&clean[sos..]);
    out.extend(MRN);
    out
}

#[test]
fn jpeg_frames_lose_their_metadata_and_decode_identically() {
    let mut checked = 0;
    for rel in ["deid-data/ctbrain1.dcm", "pydicom/examples_ybr_color.dcm"] {
        let (ts, frames) = frames(rel);
        for (k, clean) in frames.iter().enumerate() {
            let dirty = dirty_jpeg(clean);
            assert!(leaks(&dirty));
            let stripped = strip_fragment(&ts, &dirty).unwrap();
            let reference = strip_jpeg(unpadded(clean)).unwrap();
            assert_eq!(stripped.data(), reference.data(), "{rel} frame {k}");
            assert!(!leaks(stripped.data()), "{rel} frame {k}");
            let r = stripped.removed();
            assert!(r.comments >= 1 && r.app_segments >= 2, "{rel} {r:?}");
            assert_eq!(r.trailing_bytes, MRN.len() as u64);
            // Stripping is idempotent.
            assert!(strip_jpeg(stripped.data()).unwrap().is_unchanged());
            // An independent decoder sees the same pixels.
            let before = jpeg_decoder::Decoder::new(&dirty[..]).decode();
            let after = jpeg_decoder::Decoder::new(stripped.data()).decode();
            let original = jpeg_decoder::Decoder::new(&clean[..]).decode();
            match (before, after, original) {
                (Ok(b), Ok(a), Ok(o)) => {
                    assert_eq!(a, b, "{rel} frame {k}: pixels changed");
                    assert_eq!(a, o, "{rel} frame {k}: pixels differ from the original");
                    checked += 1;
                }
                (b, a, o) => panic!(
                    "{rel} frame {k}: decoding failed: {:?} {:?} {:?}",
                    b.err(),
                    a.err(),
                    o.err()
                ),
            }
        }
    }
    assert!(checked >= 31, "{checked} frames decoded");
}

#[test]
fn jpeg_ls_frames_lose_their_metadata_and_keep_every_other_byte() {
    let (ts, frames) = frames("pydicom-data/emri_small_jpeg_ls_lossless.dcm");
    assert_eq!(ts, "1.2.840.10008.1.2.4.80");
    assert_eq!(frames.len(), 10);
    for (k, clean) in frames.iter().enumerate() {
        let dirty = dirty_jpeg(clean);
        let stripped = strip_fragment(&ts, &dirty).unwrap();
        assert!(!leaks(stripped.data()));
        // Everything but the metadata is kept byte for byte: the result
        // is the frame itself (which has no metadata).
        assert!(
            strip_jpeg(unpadded(clean)).unwrap().is_unchanged(),
            "frame {k}"
        );
        assert_eq!(stripped.data(), unpadded(clean), "frame {k}");
    }
}

/// Byte offsets in a JPEG 2000 codestream: end of SIZ, start of each SOT.
fn j2k_layout(cs: &[u8]) -> (usize, Vec<usize>) {
    let be16 = |at: usize| usize::from(u16::from_be_bytes([cs[at], cs[at + 1]]));
    let siz_end = 4 + be16(4);
    let mut pos = siz_end;
    while be16(pos) != 0xFF90 {
        assert_ne!(be16(pos), 0xFF55, "TLM not expected in the samples");
        pos += 2 + be16(pos + 2);
    }
    let mut sots = Vec::new();
    while be16(pos) == 0xFF90 {
        sots.push(pos);
        let psot = u32::from_be_bytes(cs[pos + 6..pos + 10].try_into().unwrap()) as usize;
        assert_ne!(psot, 0);
        pos += psot;
    }
    assert_eq!(be16(pos), 0xFFD9);
    (siz_end, sots)
}

/// A codestream with COM segments in the main header and in every
/// tile-part header (Psot adjusted), and bytes after EOC.
fn dirty_j2k(clean: &[u8]) -> Vec<u8> {
    let clean = unpadded(clean);
    let (siz_end, sots) = j2k_layout(clean);
    let mut com = vec![0x00, 0x01];
    com.extend(b"DOE^JOHN MRN998877");
    let com = segment(0x64, &com);
    let mut out = clean[..siz_end].to_vec();
    out.extend(&com);
    let mut pos = siz_end;
    for sot in sots {
        out.extend(&clean[pos..sot]);
        let psot = u32::from_be_bytes(clean[sot + 6..sot + 10].try_into().unwrap());
        let mut header = clean[sot..sot + 12].to_vec();
        header[6..10].copy_from_slice(&(psot + u32::try_from(com.len()).unwrap()).to_be_bytes());
        out.extend(header);
        out.extend(&com);
        pos = sot + 12;
    }
    out.extend(&clean[pos..]);
    out.extend(MRN);
    out
}

fn decode_j2k(cs: &[u8]) -> Vec<Vec<f32>> {
    use hayro_jpeg2000::{DecodeSettings, DecoderContext, Image};
    let settings = DecodeSettings {
        resolve_palette_indices: false,
        ..DecodeSettings::default()
    };
    let image = Image::new(cs, &settings).unwrap();
    let mut ctx = DecoderContext::default();
    let decoded = image.decode(&mut ctx).unwrap();
    decoded
        .components()
        .iter()
        .map(|c| c.samples().to_vec())
        .collect()
}

#[test]
fn j2k_frames_lose_their_comments_and_decode_identically() {
    for rel in ["pydicom/JPEG2000.dcm", "dicognito/burned_in_yes.dcm"] {
        let (ts, frames) = frames(rel);
        for clean in &frames {
            let dirty = dirty_j2k(clean);
            assert!(leaks(&dirty));
            let stripped = strip_fragment(&ts, &dirty).unwrap();
            let reference = strip_j2k(unpadded(clean)).unwrap();
            assert_eq!(stripped.data(), reference.data(), "{rel}");
            assert!(!leaks(stripped.data()));
            let tile_parts = j2k_layout(unpadded(clean)).1.len() as u64;
            assert_eq!(
                stripped.removed().comments,
                1 + tile_parts + reference.removed().comments
            );
            assert!(strip_j2k(stripped.data()).unwrap().is_unchanged());
            // Psot values are consistent again: the layout walk succeeds.
            j2k_layout(stripped.data());
            let original = decode_j2k(clean);
            assert_eq!(decode_j2k(&dirty), original, "{rel}");
            assert_eq!(decode_j2k(stripped.data()), original, "{rel}");
        }
    }
}

type Strip =
    fn(&[u8]) -> radguard_dicom::pixel_meta::Result<radguard_dicom::pixel_meta::Stripped<'_>>;

#[test]
fn truncated_real_streams_are_errors() {
    let (_, jpeg) = frames("deid-data/ctbrain1.dcm");
    let (_, j2k) = frames("pydicom/JPEG2000.dcm");
    let (_, jls) = frames("pydicom-data/emri_small_jpeg_ls_lossless.dcm");
    for (f, strip) in [
        (&jpeg[0], strip_jpeg as Strip),
        (&j2k[0], strip_j2k),
        (&jls[0], strip_jpeg),
    ] {
        let f = unpadded(f);
        // Every prefix that cuts the stream before its end marker fails.
        let end = f.len() - 1;
        for n in (0..end).step_by(13).chain(end.saturating_sub(64)..end) {
            assert!(strip(&f[..n]).is_err(), "prefix of {n} bytes accepted");
        }
        assert!(strip(f).is_ok());
    }
}

/// Every encapsulated file of the shared corpus (skipped when absent):
/// `copy_pixel_data_clean` either succeeds, with the first frame decoding
/// to the same pixels before and after, or refuses the file with a pixel
/// metadata error (listed).
#[test]
fn corpus_encapsulated_files_copy_clean_or_are_refused() {
    use radguard_dicom::pixel_meta::STALE_AFTER_STRIPPING;
    use radguard_dicom::{DicomWriter, Error, WriteOptions, open_split};
    let Some(files) = radguard_testkit::corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut ok, mut decoded, mut changed) = (0, 0, 0);
    let mut removed = radguard_dicom::pixel_meta::Removed::default();
    let mut refused = Vec::new();
    for f in files.iter().filter(|f| f.parseable() && !f.is_dicomdir()) {
        let Ok(mut split) = open_split(&f.path) else {
            continue;
        };
        if !split
            .pixel_data()
            .is_some_and(radguard_dicom::PixelData::is_encapsulated)
        {
            continue;
        }
        let name = f.path.display().to_string();
        let out = dir.path().join("out.dcm");
        let result = split.pixel_plan().and_then(|plan| {
            let mut header = split.header().dataset().clone();
            for t in STALE_AFTER_STRIPPING {
                header.remove_element(t);
            }
            let mut w = DicomWriter::create(
                &out,
                split.header().meta(),
                &WriteOptions::new().overwrite(true),
            )?;
            w.write_elements(header.iter().filter(|e| e.header().tag < tags::PIXEL_DATA))?;
            let report = split.copy_pixel_data_clean(&mut w, &plan)?;
            w.write_elements(header.iter().filter(|e| e.header().tag > tags::PIXEL_DATA))?;
            w.commit()?;
            Ok(report)
        });
        match result {
            Ok(report) => {
                ok += 1;
                changed += u32::from(report.frames_changed > 0);
                removed.add(&report.removed);
            }
            Err(e @ Error::PixelMetadata { .. }) => {
                let cause = std::error::Error::source(&e).map(ToString::to_string);
                refused.push(format!("{name}: {e}: {}", cause.unwrap_or_default()));
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        }
        // The first frame decodes to the same pixels.
        let input = open(&f.path).unwrap();
        let output = open(&out).unwrap();
        let frags = |o: &radguard_dicom::DicomFile| {
            o.dataset()
                .get(tags::PIXEL_DATA)
                .unwrap()
                .value()
                .fragments()
                .unwrap()
                .to_vec()
        };
        let (a, b) = (frags(&input), frags(&output));
        let first_in = if b.len() == 1 {
            a.concat()
        } else if a.len() == b.len() {
            a[0].clone()
        } else {
            continue;
        };
        let first_out = &b[0];
        std::fs::remove_file(&out).unwrap();
        if f.size > 4 << 20 {
            continue;
        }
        let ts = f.transfer_syntax_uid.as_str();
        if [
            "1.2.840.10008.1.2.4.50",
            "1.2.840.10008.1.2.4.51",
            "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70",
        ]
        .contains(&ts)
        {
            let x = jpeg_decoder::Decoder::new(&first_in[..]).decode();
            let y = jpeg_decoder::Decoder::new(&first_out[..]).decode();
            if let (Ok(x), Ok(y)) = (x, y) {
                assert!(x == y, "{name}: decoded pixels differ");
                decoded += 1;
            }
        } else if ts.starts_with("1.2.840.10008.1.2.4.9")
            || ts.starts_with("1.2.840.10008.1.2.4.20")
        {
            let dec = |d: &[u8]| {
                use hayro_jpeg2000::{DecodeSettings, DecoderContext, Image};
                let image = Image::new(d, &DecodeSettings::default()).ok()?;
                // Some corpus files declare absurd sizes: do not allocate them.
                if u64::from(image.width()) * u64::from(image.height()) > 1 << 24 {
                    return None;
                }
                let mut ctx = DecoderContext::default();
                let decoded = image.decode(&mut ctx).ok()?;
                Some(
                    decoded
                        .components()
                        .iter()
                        .map(|c| c.samples().to_vec())
                        .collect::<Vec<_>>(),
                )
            };
            if let (Some(x), Some(y)) = (dec(&first_in), dec(first_out)) {
                assert!(x == y, "{name}: decoded pixels differ");
                decoded += 1;
            }
        }
    }
    eprintln!(
        "corpus: {ok} encapsulated files copied clean, {changed} of them changed \
         ({removed:?}), {decoded} first frames decoded identically; {} refused:",
        refused.len()
    );
    for r in &refused {
        eprintln!("  {r}");
    }
    assert!(ok > 50, "{ok}");
}

/// Writes the seeds of the `pixel_meta` fuzz target (`fuzz/seeds/pixel_meta`):
/// `RADGUARD_WRITE_FUZZ_SEEDS=1 cargo test -p radguard-dicom --test pixel_meta -- --ignored`.
#[test]
#[ignore = "writes fuzz seeds"]
fn write_fuzz_seeds() {
    if std::env::var_os("RADGUARD_WRITE_FUZZ_SEEDS").is_none() {
        return;
    }
    let dir = radguard_testkit::workspace_root().join("fuzz/seeds/pixel_meta");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = |name: &str, selector: u8, data: &[u8]| {
        let mut s = vec![selector];
        s.extend(data);
        std::fs::write(dir.join(name), s).unwrap();
    };
    seed(
        "jpeg-baseline",
        0,
        &dirty_jpeg(&frames("deid-data/ctbrain1.dcm").1[0]),
    );
    let jls = frames("pydicom-data/emri_small_jpeg_ls_lossless.dcm").1;
    seed("jpeg-ls", 0, &dirty_jpeg(&jls[0]));
    seed("j2k", 1, &dirty_j2k(&frames("pydicom/JPEG2000.dcm").1[0]));
    let bx = |kind: &[u8; 4], content: &[u8]| {
        let mut b = u32::try_from(content.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        b.extend(kind);
        b.extend(content);
        b
    };
    let mut jxl = b"\0\0\0\x0CJXL \x0D\x0A\x87\x0A".to_vec();
    jxl.extend(bx(b"ftyp", b"jxl \0\0\0\0jxl "));
    jxl.extend(bx(b"Exif", b"\0\0\0\0II*\0DOE^JOHN"));
    jxl.extend(bx(b"jxlc", &[0xFF, 0x0A, 0xFA, 0x7F, 0x01]));
    jxl.extend(bx(b"xml ", b"<x>MRN998877</x>"));
    seed("jxl-container", 2, &jxl);
    // 16 bits allocated, 12 stored, High Bit 11, signed, little endian.
    let mut native = vec![1, 12, 11, 1];
    native.extend([0x34, 0x81, 0xFF, 0x7F, 0x00, 0xF8, 0x12, 0x00]);
    seed("native-16-12", 3, &native);
}

/// The committed seeds of the `pixel_meta` fuzz target hold its properties.
#[test]
fn fuzz_seeds_hold_the_properties() {
    let dir = radguard_testkit::workspace_root().join("fuzz/seeds/pixel_meta");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        radguard_dicom::pixel_meta::fuzzing::check(&data);
        // Not rejected as malformed: each seed is a valid input.
        let (sel, rest) = data.split_first().unwrap();
        match sel % 4 {
            0 => assert!(!strip_jpeg(rest).unwrap().is_unchanged()),
            1 => assert!(!strip_j2k(rest).unwrap().is_unchanged()),
            2 => assert!(
                !radguard_dicom::pixel_meta::strip_jxl(rest)
                    .unwrap()
                    .is_unchanged()
            ),
            _ => {}
        }
        n += 1;
    }
    assert!(n >= 5);
}

/// Every native file of the shared corpus (skipped when absent): the
/// pixel data cleans in memory with every sample value kept, or the file
/// is refused with a pixel metadata error (listed).
#[test]
fn corpus_native_files_clean_or_are_refused() {
    use radguard_dicom::Error;
    use radguard_dicom::pixel_meta::clean_object;
    let Some(files) = radguard_testkit::corpus() else {
        return;
    };
    let (mut ok, mut changed, mut trailing) = (0, 0, 0);
    let mut refused = Vec::new();
    for f in files.iter().filter(|f| f.parseable() && !f.is_dicomdir()) {
        let Ok(file) = open(&f.path) else {
            continue;
        };
        let Some(px) = file.dataset().get(tags::PIXEL_DATA) else {
            continue;
        };
        if px.value().fragments().is_some() {
            continue;
        }
        let before = px.value().to_bytes().unwrap().into_owned();
        let mut obj = file.into_parts().0;
        match clean_object(&mut obj) {
            Ok(report) => {
                ok += 1;
                changed += u32::from(report.samples_changed > 0);
                trailing += u32::from(report.trailing_nonzero > 0);
                let after = obj
                    .get(tags::PIXEL_DATA)
                    .unwrap()
                    .value()
                    .to_bytes()
                    .unwrap()
                    .into_owned();
                assert_eq!(before.len(), after.len());
                let plan_desc = radguard_dicom::open_split(&f.path)
                    .unwrap()
                    .pixel_plan()
                    .unwrap();
                let desc = plan_desc.native().unwrap();
                // In memory, samples are in host (little endian) order.
                let host = radguard_dicom::pixel_meta::NativeDesc::from_dataset(
                    &obj,
                    tags::PIXEL_DATA,
                    false,
                )
                .unwrap();
                assert_eq!(host.pixel_len(), desc.pixel_len());
                let n = usize::try_from(host.pixel_len().unwrap()).unwrap();
                assert!(
                    host.values(&before[..n]).eq(host.values(&after[..n])),
                    "{}: a sample value changed",
                    f.path.display()
                );
            }
            Err(e @ Error::PixelMetadata { .. }) => {
                let cause = std::error::Error::source(&e).map(ToString::to_string);
                refused.push(format!(
                    "{}: {}",
                    f.path.display(),
                    cause.unwrap_or_default()
                ));
            }
            Err(e) => panic!("{}: {e}", f.path.display()),
        }
    }
    eprintln!(
        "corpus: {ok} native files cleaned ({changed} had bits outside the stored bits, \
         {trailing} non-zero bytes after the last frame); {} refused:",
        refused.len()
    );
    for r in &refused {
        eprintln!("  {r}");
    }
    assert!(ok > 100, "{ok}");
}
