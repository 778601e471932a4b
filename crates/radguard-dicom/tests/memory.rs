//! Memory bounds on hostile input, measured with a counting global
//! allocator. This file is its own test binary so that no other test
//! allocates concurrently; it holds a single test.

use radguard_dicom::{ReadOptions, from_bytes};

#[global_allocator]
static ALLOC: radguard_testkit::Meter = radguard_testkit::meter();

/// Runs `f` with the heap capped at `budget` bytes above the current use:
/// an allocation beyond the cap aborts the process, failing the test.
#[allow(clippy::unwrap_used)]
fn within<T>(budget: usize, f: impl FnOnce() -> T) -> T {
    ALLOC.set_limit(ALLOC.allocated() + budget).unwrap();
    let r = f();
    ALLOC.set_limit(usize::MAX).unwrap();
    r
}

fn forge_lengths(file: &[u8], mut each: impl FnMut(Vec<u8>)) {
    // Overwrite every 4-byte window after the preamble with 0xFFFFFFF0 in
    // turn (every length field of the file gets forged at some point).
    for at in (132..file.len().saturating_sub(4)).step_by(2) {
        let mut b = file.to_vec();
        b[at..at + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        each(b);
    }
}

#[test]
fn hostile_lengths_never_allocate_beyond_a_small_budget() {
    const MIB: usize = 1 << 20;
    let mut checked = 0usize;
    for rel in [
        "pydicom/MR_small.dcm",
        "pydicom/rtplan.dcm",
        "pydicom/test-SR.dcm",
        "pydicom/JPEG2000.dcm",
        "pydicom/UN_sequence.dcm",
    ] {
        let file = std::fs::read(radguard_testkit::sample(rel)).unwrap();
        forge_lengths(&file, |b| {
            // A 10 KB input may cost a few times its size, never gigabytes.
            within(8 * MIB, || {
                let _ = from_bytes(&b);
                let _ = ReadOptions::new().allow_truncated(true).from_bytes(&b);
            });
            checked += 1;
        });
    }
    assert!(checked > 5000, "{checked}");

    // The shared corpus, when present: every file within 64 MiB for the
    // streaming summary (what `radguard inspect` uses) and the header split.
    if let Some(files) = radguard_testkit::corpus() {
        let dir = tempfile::tempdir().unwrap();
        for f in &files {
            within(64 * MIB, || {
                let _ = ReadOptions::new().allow_truncated(true).summarize(&f.path);
                let _ = radguard_dicom::open_split(&f.path);
            });
            // A forged Pixel Data / last-element length on every corpus file.
            let mut bytes = std::fs::read(&f.path).unwrap();
            if bytes.len() > 140 {
                let n = bytes.len();
                bytes[n - 4..].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
                let p = dir.path().join("forged.dcm");
                std::fs::write(&p, &bytes).unwrap();
                within(64 * MIB, || {
                    let _ = ReadOptions::new().allow_truncated(true).summarize(&p);
                    let _ = radguard_dicom::open_split(&p);
                });
            }
        }
    }
    eprintln!(
        "peak heap over the whole test: {} MiB",
        ALLOC.max_allocated() / MIB
    );
}
