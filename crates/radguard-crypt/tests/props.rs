//! Property tests: round trips over random sizes, frame counts, segment
//! sizes, byte orders and pixel data kinds; any single flipped bit fails.
#![allow(
    clippy::unwrap_used,
    clippy::unwrap_in_result,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::num::NonZeroUsize;

use proptest::prelude::*;
use radguard_crypt::dicom::{
    DecryptOptions, EncryptOptions, EncryptedFile, decrypt_file, encrypt_file,
};
use radguard_crypt::{Error, Sequential, Threads, decrypt_units, encrypt_units};

use common::{
    EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, Pixels, make_encapsulated, make_float, make_native,
    pattern, pixels, provider,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn units_round_trip(
        lens in proptest::collection::vec(0usize..3000, 1..6),
        segment in 16u32..600,
        seed in any::<u64>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let units: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, l)| pattern(seed ^ i as u64, *l)).collect();
        let refs: Vec<&[u8]> = units.iter().map(Vec::as_slice).collect();
        let p = provider();
        let (env, ct) = encrypt_units(&p, None, &refs, segment, b"m", b"ctx").unwrap();
        prop_assert_eq!(ct.len() as u64, env.layout().ciphertext_len());
        let threads = Threads::new(NonZeroUsize::new(3).unwrap());
        prop_assert_eq!(&decrypt_units(&p, &env, &ct, b"ctx", &Sequential).unwrap(), &units);
        prop_assert_eq!(&decrypt_units(&p, &env, &ct, b"ctx", &threads).unwrap(), &units);
        // Every unit alone.
        let cipher = env.open(&p, b"ctx").unwrap();
        for (u, data) in units.iter().enumerate() {
            let r = env.layout().unit_ciphertext_range(u);
            let got = cipher.open_unit(u, &ct[r.start as usize..r.end as usize], &Sequential).unwrap();
            prop_assert_eq!(&got, data);
        }
        // One flipped bit anywhere in the ciphertext fails.
        let mut bad = ct;
        let i = flip.index(bad.len());
        bad[i] ^= 1 << (seed % 8);
        prop_assert!(matches!(decrypt_units(&p, &env, &bad, b"ctx", &threads), Err(Error::Decrypt)));
    }
}

fn check_dicom_round_trip(
    plain: &std::path::Path,
    segment: u32,
    jobs: usize,
) -> Result<(), TestCaseError> {
    let dir = plain.parent().unwrap();
    let enc = dir.join("enc.dcm");
    let dec = dir.join("dec.dcm");
    let p = provider();
    let threads = Threads::new(NonZeroUsize::new(jobs).unwrap());
    let info = encrypt_file(
        plain,
        &enc,
        &p,
        &EncryptOptions::new()
            .segment_size(segment)
            .executor(&threads)
            .batch_bytes(1000),
    )
    .unwrap();
    decrypt_file(
        &enc,
        &dec,
        &p,
        &DecryptOptions::new().executor(&threads).batch_bytes(700),
    )
    .unwrap();
    // The headers compare as data sets; pixel data compares as raw bytes
    // (random float bytes include NaNs, which compare unequal as values).
    let strip = |path: &std::path::Path| {
        let mut ds = radguard_dicom::open(path).unwrap().dataset().clone();
        for t in [0x0008, 0x0009, 0x0010] {
            ds.remove_element(radguard_dicom::dicom::core::Tag(0x7FE0, t));
        }
        ds
    };
    prop_assert!(radguard_dicom::same_content(&strip(plain), &strip(&dec)));
    let before = pixels(plain).unwrap();
    prop_assert_eq!(&pixels(&dec).unwrap(), &before);
    // Frames one by one.
    let mut file = EncryptedFile::open(&enc, &p).unwrap();
    for f in 0..info.frames {
        let got = file.read_frame(f).unwrap();
        match &before {
            Pixels::Native(all) => {
                // Whole frames; the value may carry one padding byte more.
                let n = got.len();
                prop_assert!(all.len() - n * info.frames as usize <= 1);
                prop_assert_eq!(&got[..], &all[f as usize * n..(f as usize + 1) * n]);
            }
            Pixels::Encapsulated(_, frags) => prop_assert_eq!(&got, &frags[f as usize]),
        }
    }
    prop_assert!(file.read_frame(info.frames).is_err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn native_dicom_round_trip(
        rows in 1u16..24,
        cols in 1u16..24,
        frames in 1u32..12,
        wide in any::<bool>(),
        ts in prop::sample::select(vec![EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE]),
        segment in 16u32..700,
        jobs in 1usize..4,
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.dcm");
        make_native(&plain, "2.25.7", ts, rows, cols, frames, if wide { 16 } else { 8 }, seed);
        check_dicom_round_trip(&plain, segment, jobs)?;
    }

    #[test]
    fn float_dicom_round_trip(
        rows in 1u16..12,
        cols in 1u16..12,
        frames in 1u32..6,
        double in any::<bool>(),
        ts in prop::sample::select(vec![EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE]),
        segment in 16u32..300,
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.dcm");
        make_float(&plain, "2.25.8", ts, rows, cols, frames, double, seed);
        check_dicom_round_trip(&plain, segment, 2)?;
    }

    #[test]
    fn encapsulated_dicom_round_trip(
        lens in proptest::collection::vec(1usize..900, 1..7),
        segment in 16u32..400,
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.dcm");
        // Fragments of even length, as DICOM stores them.
        let frags: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, l)| pattern(seed ^ i as u64, l + l % 2)).collect();
        make_encapsulated(&plain, "2.25.9", &frags);
        check_dicom_round_trip(&plain, segment, 2)?;
    }
}
