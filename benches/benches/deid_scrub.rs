//! radguard-deid's free-text scrubber (the C action on text) against the
//! cleaner it replaced (one regex per identifying term, kept below as the
//! baseline), measured in the same run.
//!
//! `cargo bench -p radguard-benches --bench deid_scrub`
//!
//! Workloads:
//!
//! 1. **names**: 10,000 distinct person names (random 8-letter components)
//!    and 10,000 description texts, one in ten naming one of them;
//! 2. **header**: the identifying values and texts of a 1,500-frame Enhanced
//!    MR header as `identifying_values` collects them (patient, physicians,
//!    institution, IDs, dates, two distinct DT values and one UID per frame)
//!    and two descriptive texts per frame.
//!
//! The baseline cannot run them whole: it takes about 1 MB of heap per
//! distinct value (1.4 GB for such a header), and its cleaning time is
//! terms × texts. It runs on a tenth of the header and a hundredth of the
//! names, and the one-shot lines print what it measured and its linear
//! (memory, build) or quadratic (cleaning) extrapolation to the full size.
//! Heap figures come from a metering global allocator (`retained`: what
//! the scrubber holds after building and cleaning; `build peak`: the
//! highest heap while building, measured for the new scrubber only).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use radguard_deid::fuzzing::Scrubber;
use radguard_testkit::Rng;

#[global_allocator]
static ALLOC: radguard_testkit::Meter = radguard_testkit::meter();

/// The cleaner radguard-deid used before `scrub` (`values.rs` at the
/// commit before it), verbatim but for visibility.
mod old {
    use regex::Regex;
    use std::sync::LazyLock;

    static DATE_LIKE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"\b(?:(?:19|20)\d{2}[-./]?(?:0[1-9]|1[0-2])[-./]?(?:0[1-9]|[12]\d|3[01]))\b",
            r"|\b\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})\b",
        ))
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    });

    static LONG_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\d{5,}|\b\d+(?:\.\d+){3,}\b")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    });

    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    });

    pub(crate) struct Scrubber {
        terms: Vec<Regex>,
    }

    const REMOVED: &str = "[removed]";

    impl Scrubber {
        pub(crate) fn new(values: impl IntoIterator<Item = String>) -> Self {
            let mut terms: Vec<String> = Vec::new();
            for v in values {
                for part in v.split(['^', '=', '\\']).chain(std::iter::once(v.as_str())) {
                    let t = part.trim();
                    if t.chars().count() >= 2 && !t.chars().all(|c| c.is_ascii_digit())
                        || t.chars().count() >= 4
                    {
                        terms.push(t.to_owned());
                    }
                }
            }
            terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
            terms.dedup();
            let terms = terms
                .iter()
                .filter_map(|t| {
                    Regex::new(&format!(
                        r"(?i)(^|[^\p{{L}}\p{{N}}]){}($|[^\p{{L}}\p{{N}}])",
                        regex::escape(t)
                    ))
                    .ok()
                })
                .collect();
            Self { terms }
        }

        pub(crate) fn clean(&self, text: &str) -> String {
            let mut s = text.to_owned();
            for t in &self.terms {
                loop {
                    let next = t.replace_all(&s, "${1}[removed]${2}").into_owned();
                    if next == s {
                        break;
                    }
                    s = next;
                }
            }
            s = EMAIL.replace_all(&s, REMOVED).into_owned();
            s = DATE_LIKE.replace_all(&s, REMOVED).into_owned();
            s = LONG_NUMBER.replace_all(&s, REMOVED).into_owned();
            s
        }
    }
}

struct Workload {
    values: Vec<String>,
    texts: Vec<String>,
}

/// `n` distinct names and `texts` descriptions, one in ten naming one.
fn names(n: usize, texts: usize) -> Workload {
    let mut r = Rng(7);
    let values: Vec<String> = (0..n)
        .map(|_| format!("{}^{}", r.word(8), r.word(8)))
        .collect();
    let texts = (0..texts)
        .map(|i| {
            let mut t = format!("MR KNEE {} T2 FS SAG {}mm", r.word(6).to_uppercase(), i % 7);
            if i % 10 == 0 {
                let (f, g) = values[r.below(n)].split_once('^').unwrap();
                let _ = write!(t, " ref {g} {f}");
            }
            t
        })
        .collect();
    Workload { values, texts }
}

/// An Enhanced MR header of `frames` frames, as the engine sees it: the
/// identifying values (X/Z/D/U attributes and every PN) and the texts to
/// clean (Clean Descriptors).
fn header(frames: usize) -> Workload {
    let mut values: Vec<String> = [
        "YAMADA^TAROU=山田^太郎=やまだ^たろう",
        "PID-0012345",
        "19600102",
        "ACC20240102001",
        "20240102",
        "083000",
        "SMITH^JOHN^^DR",
        "MILLER^ANNA",
        "St Mary Hospital",
        "1 Hospital Road^^Springfield^^12345",
        "MR-SCANNER-01",
        "SN-4451290",
        "KNEE_L",
        "1.2.826.0.1.3680043.2.1125.1.2024010201",
        "1.2.826.0.1.3680043.2.1125.1.2024010202",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for f in 0..frames {
        let (s, us) = (f / 10, f * 3701 % 1_000_000);
        values.push(format!("20240102083{:03}.{us:06}", s % 1000));
        values.push(format!("20240102083{:03}.{:06}", s % 1000, us + 1));
        values.push(format!("1.2.826.0.1.3680043.2.1125.1.2024010203.{f}"));
    }
    let mut texts: Vec<String> = [
        "MR KNEE LEFT",
        "T2 TSE SAG FS",
        "Referred by Dr Smith for Yamada Tarou, knee pain since 2023",
        "Performed at St Mary Hospital",
        "山田太郎様 膝MRI",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for f in 0..frames {
        texts.push(format!("T2 TSE SAG slice {} of {frames}", f % 30 + 1));
        texts.push(format!("stack 1 position {f}"));
    }
    Workload { values, texts }
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn mib(b: usize) -> f64 {
    b as f64 / f64::from(1u32 << 20)
}

/// Figures of one scrubber on one workload.
struct Run {
    build: Duration,
    clean: Duration,
    retained: usize,
    peak: usize,
    cleaned: String,
}

/// Builds a scrubber of `w`'s values and cleans its texts with it.
fn run<S>(
    w: &Workload,
    build: impl Fn(Vec<String>) -> S,
    clean: impl Fn(&S, &str) -> String,
) -> Run {
    // Compile the static shape expressions first: a one-time cost.
    let _ = clean(&build(Vec::new()), "x");
    let base = ALLOC.allocated();
    let (s, build) = time(|| build(w.values.clone()));
    let peak = ALLOC.max_allocated().saturating_sub(base);
    let (out, clean) = time(|| w.texts.iter().map(|t| clean(&s, t)).collect::<Vec<_>>());
    let retained = ALLOC
        .allocated()
        .saturating_sub(base)
        .saturating_sub(out.iter().map(String::capacity).sum::<usize>());
    Run {
        build,
        clean,
        retained,
        peak,
        cleaned: out.get(2).cloned().unwrap_or_default(),
    }
}

fn run_new(w: &Workload) -> Run {
    run(
        w,
        |v| {
            let s = Scrubber::new(v);
            assert!(s.is_complete());
            s
        },
        Scrubber::clean,
    )
}

fn run_old(w: &Workload) -> Run {
    // The old cleaner's peak is not measured (it comes after higher ones).
    Run {
        peak: 0,
        ..run(w, old::Scrubber::new, old::Scrubber::clean)
    }
}

fn report(what: &str, new: &Run, old: &Run, scale: f64, clean_scale: f64) {
    let (ob, oc) = (
        old.build.as_secs_f64() * scale,
        old.clean.as_secs_f64() * clean_scale,
    );
    let om = mib(old.retained) * scale;
    println!(
        "deid_scrub/{what} one-shot: new build {:.3} s, clean {:.3} s, heap retained {:.1} MiB, build peak {:.1} MiB | \
         old at 1/{scale:.0} size: build {:.3} s, clean {:.3} s, heap retained {:.1} MiB | \
         old extrapolated: build {ob:.1} s, clean {oc:.1} s, heap {om:.0} MiB | \
         ratio old/new: build {:.0}x, clean {:.0}x, heap {:.0}x",
        new.build.as_secs_f64(),
        new.clean.as_secs_f64(),
        mib(new.retained),
        mib(new.peak),
        old.build.as_secs_f64(),
        old.clean.as_secs_f64(),
        mib(old.retained),
        ob / new.build.as_secs_f64(),
        oc / new.clean.as_secs_f64(),
        om / mib(new.retained),
    );
}

fn bench(c: &mut Criterion) {
    // New first, smallest peak first: the allocator's peak only grows, so a
    // build's peak is measured only while it is the highest so far.
    let hdr = header(1_500);
    let hdr_bytes: usize = hdr.values.iter().chain(&hdr.texts).map(String::len).sum();
    println!(
        "deid_scrub/header: {} identifying values and {} texts, {} KB of text",
        hdr.values.len(),
        hdr.texts.len(),
        hdr_bytes / 1000
    );
    let new_hdr = run_new(&hdr);
    let nm = names(10_000, 10_000);
    let new_nm = run_new(&nm);
    let hdr_small = header(150);
    let old_hdr = run_old(&hdr_small);
    let nm_small = names(100, 10_000);
    let old_nm = run_old(&nm_small);
    println!(
        "deid_scrub/header sample: new {:?} | old {:?}",
        new_hdr.cleaned, old_hdr.cleaned
    );
    // Old cleaning time is terms x texts: the header's texts grow with its
    // frames too (x100); the names workload keeps its 10,000 texts (x100
    // for the terms alone).
    report("header_1500_frames", &new_hdr, &old_hdr, 10.0, 100.0);
    report("names_10000", &new_nm, &old_nm, 100.0, 100.0);

    let mut g = c.benchmark_group("deid_scrub_header_1500_frames");
    g.sample_size(10);
    g.bench_function("new_build_and_clean", |b| {
        b.iter(|| {
            let s = Scrubber::new(black_box(&hdr.values).iter().cloned());
            hdr.texts.iter().map(|t| s.clean(t).len()).sum::<usize>()
        });
    });
    g.bench_function("old_build_and_clean_150_frames", |b| {
        b.iter(|| {
            let s = old::Scrubber::new(black_box(&hdr_small.values).iter().cloned());
            hdr_small
                .texts
                .iter()
                .map(|t| s.clean(t).len())
                .sum::<usize>()
        });
    });
    g.finish();

    let mut g = c.benchmark_group("deid_scrub_names_10000");
    g.sample_size(10);
    let s = Scrubber::builder().names(nm.values.iter().cloned()).build();
    g.bench_function("new_build", |b| {
        b.iter(|| {
            Scrubber::builder()
                .names(black_box(&nm.values).iter().cloned())
                .build()
        });
    });
    g.bench_function("new_clean_10000_texts", |b| {
        b.iter(|| {
            nm.texts
                .iter()
                .map(|t| s.clean(black_box(t)).len())
                .sum::<usize>()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
