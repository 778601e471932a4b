//! Open + write throughput of radguard-dicom on the bundled samples, against
//! a plain copy of the same bytes (read file, write file) as the baseline,
//! and a plain copy that also fsyncs (radguard's writes are durable: temp
//! file, fsync, rename). `radguard_open_to_bytes` isolates parsing and
//! encoding from the file system.
//!
//! `cargo bench -p radguard-benches --bench dicom_io`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let files = radguard_benches::sample_workload();
    let bytes: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.dcm");
    let mut g = c.benchmark_group("samples");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(20);
    g.bench_function("plain_copy_baseline", |b| {
        b.iter(|| {
            for p in &files {
                let data = std::fs::read(p).expect("read");
                std::fs::write(&out, black_box(&data)).expect("write");
            }
        });
    });
    g.bench_function("plain_copy_fsync_baseline", |b| {
        b.iter(|| {
            for p in &files {
                let data = std::fs::read(p).expect("read");
                let mut f = std::fs::File::create(&out).expect("create");
                std::io::Write::write_all(&mut f, black_box(&data)).expect("write");
                f.sync_all().expect("sync");
            }
        });
    });
    g.bench_function("radguard_open_to_bytes", |b| {
        b.iter(|| {
            for p in &files {
                let f = radguard_dicom::open(p).expect("open");
                black_box(radguard_dicom::to_bytes(f.object()).expect("encode"));
            }
        });
    });
    g.bench_function("radguard_open_write", |b| {
        b.iter(|| {
            for p in &files {
                let f = radguard_dicom::open(p).expect("open");
                let _ = std::fs::remove_file(&out);
                radguard_dicom::write_file(
                    &out,
                    f.object(),
                    &radguard_dicom::WriteOptions::new().overwrite(true),
                )
                .expect("write");
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
