//! Property tests for the pattern and PRNG streams: reproducible from the
//! seed, addressable at any offset, and verification finds any single
//! flipped byte.

mod common;

use common::FaultyMedia;
use proptest::prelude::*;
use radguard_wipe::{
    MediaInfo, Method, Pattern, PatternStream, Silent, Status, Verify, wipe_media,
};

fn pattern() -> impl Strategy<Value = Pattern> {
    prop_oneof![
        Just(Pattern::Random),
        any::<u8>().prop_map(Pattern::Byte),
        proptest::collection::vec(any::<u8>(), 2..64)
            .prop_filter_map("not constant", |v| Pattern::repeat(v).ok()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn same_seed_same_stream(seed in any::<[u8; 32]>(), pass in any::<u32>(), off in 0u64..(1 << 40), len in 0usize..5000) {
        let a = PatternStream::with_seed(&Pattern::Random, seed, pass);
        let b = PatternStream::with_seed(&Pattern::Random, seed, pass);
        let mut x = vec![0u8; len];
        let mut y = vec![0u8; len];
        a.fill(off, &mut x);
        b.fill(off, &mut y);
        prop_assert_eq!(x, y);
    }

    #[test]
    fn different_seeds_differ(seed in any::<[u8; 32]>(), flip in 0usize..32, pass in any::<u32>()) {
        let mut other = seed;
        other[flip] ^= 1;
        let mut x = vec![0u8; 64];
        let mut y = vec![0u8; 64];
        PatternStream::with_seed(&Pattern::Random, seed, pass).fill(0, &mut x);
        PatternStream::with_seed(&Pattern::Random, other, pass).fill(0, &mut y);
        prop_assert_ne!(x, y);
    }

    #[test]
    fn any_window_matches_the_whole(p in pattern(), seed in any::<[u8; 32]>(), base in 0u64..(1 << 38), start in 0usize..3000, len in 0usize..3000) {
        let s = PatternStream::with_seed(&p, seed, 1);
        let mut whole = vec![0u8; start + len];
        s.fill(base, &mut whole);
        let mut part = vec![0u8; len];
        s.fill(base + start as u64, &mut part);
        prop_assert_eq!(&whole[start..], &part[..]);
        prop_assert_eq!(s.first_mismatch(base, &whole), None);
    }

    #[test]
    fn verification_finds_any_single_flipped_byte(p in pattern(), seed in any::<[u8; 32]>(), base in 0u64..(1 << 36), len in 1usize..200_000, at in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let s = PatternStream::with_seed(&p, seed, 3);
        let mut data = vec![0u8; len];
        s.fill(base, &mut data);
        let i = at.index(len);
        data[i] ^= mask;
        prop_assert_eq!(s.first_mismatch(base, &data), Some(i));
    }

    #[test]
    fn custom_pattern_hex_round_trips(bytes in proptest::collection::vec(any::<u8>(), 1..=512)) {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let p: Pattern = format!("pattern:{hex}").parse().expect("valid");
        let mut out = vec![0u8; bytes.len() * 3];
        PatternStream::with_seed(&p, [0; 32], 0).fill(0, &mut out);
        let expect: Vec<u8> = bytes.iter().copied().cycle().take(out.len()).collect();
        prop_assert_eq!(out, expect);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// End to end through the engine: a device that corrupts one byte of
    /// what was written is caught at exactly that byte.
    #[test]
    fn engine_catches_any_corrupted_byte(kb in 1usize..512, at in any::<prop::sample::Index>(), random in any::<bool>()) {
        let len = kb * 1024;
        let lost = at.index(len) as u64;
        let mut dev = FaultyMedia::new(len, 0x7e);
        dev.drop_write_at = Some(lost);
        let method = if random { Method::ClearRandom } else { Method::Clear };
        let r = wipe_media(&mut dev, MediaInfo::default(), "p", &method, Verify::Last, &mut Silent);
        prop_assert_eq!(r.status, Status::Failed);
        let v = r.passes[0].verification.as_ref().expect("verified");
        prop_assert_eq!(v.first_mismatch_offset, Some(lost));
    }
}
