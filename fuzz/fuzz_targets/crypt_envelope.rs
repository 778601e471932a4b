//! Parse arbitrary bytes as a radguard-crypt envelope. Properties: no
//! panic, no allocation beyond the input's size class; whatever parses
//! re-encodes to exactly the bytes it was parsed from.
#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};
use radguard_crypt::Envelope;

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok((env, used)) = Envelope::parse_prefix(data) else {
        return Corpus::Reject;
    };
    assert_eq!(env.to_bytes(), &data[..used], "re-encoding differs");
    assert_eq!(Envelope::parse(&data[..used]).ok().as_ref(), Some(&env));
    let layout = env.layout();
    // The layout's arithmetic holds for any parsed table.
    let mut segs = 0u64;
    for u in 0..layout.unit_count() {
        let r = layout.unit_segments(u);
        assert_eq!(r.start, segs);
        segs = r.end;
    }
    assert_eq!(segs, layout.segment_count());
    Corpus::Keep
});
