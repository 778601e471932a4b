//! Writes a large synthetic multi-frame MR instance for benchmarks: the
//! header of a bundled sample, resized to 512 x 512 x 16-bit frames, with
//! enough frames to reach the requested size, the pixel data streamed (never
//! held in memory).
//!
//! ```text
//! cargo run --release -p radguard-examples --bin make_multiframe -- OUT.dcm 1024   # MiB
//! ```

use anyhow::{Context, bail};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use radguard_dicom::{DicomWriter, WriteOptions};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let out = args
        .next()
        .context("usage: make_multiframe OUT.dcm SIZE_MIB")?;
    let mib: u64 = args
        .next()
        .and_then(|s| s.to_str().map(str::to_owned))
        .context("usage: make_multiframe OUT.dcm SIZE_MIB")?
        .parse()?;
    const FRAME: u64 = 512 * 512 * 2;
    let frames = (mib << 20) / FRAME;
    if frames == 0 || frames > 65_535 {
        bail!("size must give between 1 and 65535 frames of 512 KiB");
    }
    let sample = radguard_testkit_sample();
    let src = radguard_dicom::open_split(&sample)?;
    let mut header = src.header().dataset().clone();
    for (tag, vr, v) in [
        (tags::ROWS, VR::US, PrimitiveValue::from(512_u16)),
        (tags::COLUMNS, VR::US, PrimitiveValue::from(512_u16)),
        (tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16_u16)),
        (tags::BITS_STORED, VR::US, PrimitiveValue::from(16_u16)),
        (tags::HIGH_BIT, VR::US, PrimitiveValue::from(15_u16)),
        (tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1_u16)),
        (
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(frames.to_string()),
        ),
    ] {
        header.put(DataElement::new(tag, vr, v));
    }
    let len = u32::try_from(frames * FRAME).context("pixel data over 4 GiB")?;
    let mut w = DicomWriter::create(
        std::path::Path::new(&out),
        src.header().meta(),
        &WriteOptions::new().overwrite(true),
    )?;
    w.write_elements(header.iter().filter(|e| e.header().tag < tags::PIXEL_DATA))?;
    w.write_native_pixel_with(tags::PIXEL_DATA, VR::OW, len, |sink| {
        // A cheap, non-constant pattern (xorshift), one frame at a time.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut frame = vec![0u8; usize::try_from(FRAME).unwrap_or(0)];
        for _ in 0..frames {
            for chunk in frame.chunks_exact_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                chunk.copy_from_slice(&state.to_le_bytes());
            }
            sink.write_all(&frame)?;
        }
        Ok(())
    })?;
    w.write_elements(header.iter().filter(|e| e.header().tag > tags::PIXEL_DATA))?;
    w.commit()?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "wrote {} frames, {} MiB of pixel data",
            frames,
            (frames * FRAME) >> 20
        );
    }
    Ok(())
}

/// The bundled single-frame MR sample whose header is reused.
fn radguard_testkit_sample() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/dicom3tools/0051.dcm")
}
