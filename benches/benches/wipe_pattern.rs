//! Pattern generation speed of radguard-wipe, one core, against `memset`
//! (filling the same buffer with one byte) as the baseline.
//!
//! Target: the keyed random stream (ChaCha8) at >= 2 GB/s, so that it is
//! never the bottleneck of a wipe (disks here write about 1 GB/s).
//!
//! `cargo bench -p radguard-benches --bench wipe_pattern`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use radguard_wipe::{Pattern, PatternStream};

const LEN: usize = 4 << 20; // one wipe chunk

fn bench(c: &mut Criterion) {
    let mut buf = vec![0u8; LEN];
    let mut g = c.benchmark_group("pattern_4MiB");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(30);
    g.bench_function("memset_baseline", |b| {
        b.iter(|| {
            buf.fill(black_box(0x5a));
            black_box(&buf);
        });
    });
    let random = PatternStream::with_seed(&Pattern::Random, [7; 32], 1);
    let mut off = 0u64;
    g.bench_function("random_chacha8", |b| {
        b.iter(|| {
            random.fill(off, &mut buf);
            off += LEN as u64;
            black_box(&buf);
        });
    });
    let custom = PatternStream::with_seed(
        &Pattern::repeat(vec![0x55, 0xaa, 0x92, 0x49, 0x24]).expect("pattern"),
        [0; 32],
        1,
    );
    g.bench_function("custom_5_byte_pattern", |b| {
        b.iter(|| {
            custom.fill(12_345, &mut buf);
            black_box(&buf);
        });
    });
    g.bench_function("verify_random", |b| {
        random.fill(0, &mut buf);
        b.iter(|| black_box(random.first_mismatch(0, &buf)));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
