//! The free-text scrubber's memory is bounded by its terms, not by their
//! number times a per-term automaton, and its time is linear: a scrubber of
//! 10,000 distinct person names, cleaning 10,000 texts, stays far below
//! 32 MiB of heap (the old one-regex-per-term cleaner took about 1 MB per
//! value), and a full budget of terms stays below 32 MiB too.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::time::{Duration, Instant};

use radguard_deid::fuzzing::Scrubber;
use radguard_testkit::Rng;

#[global_allocator]
static ALLOC: radguard_testkit::Meter = radguard_testkit::meter();

fn names(n: usize, seed: u64) -> Vec<String> {
    let mut r = Rng(seed);
    (0..n)
        .map(|_| format!("{}^{}", r.word(8), r.word(8)))
        .collect()
}

/// Texts like a header's descriptions, one in ten naming someone.
fn texts(n: usize, names: &[String]) -> Vec<String> {
    let mut r = Rng(99);
    (0..n)
        .map(|i| {
            let mut t = format!(
                "MR KNEE {} T2 FS SAG {}mm frame {i} 20240102",
                r.word(6).to_uppercase(),
                i % 7
            );
            if i % 10 == 0 {
                let pn = &names[r.below(names.len())];
                let (family, given) = pn.split_once('^').unwrap();
                t.push_str(&format!(" ref {given} {family}"));
            }
            t
        })
        .collect()
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

#[test]
fn memory_is_bounded_and_time_linear() {
    let many = names(10_000, 7);
    let inputs = texts(10_000, &many);
    let base = ALLOC.allocated();

    // 10,000 distinct names, 10,000 texts.
    let scrubber = Scrubber::builder().names(many.iter().cloned()).build();
    assert!(scrubber.is_complete());
    let mut removed = 0;
    let clean_many = time(|| {
        for t in &inputs {
            let c = scrubber.clean_checked(t);
            assert!(c.confident);
            removed += usize::from(c.text.contains("[removed] [removed]"));
        }
    });
    assert_eq!(
        removed,
        inputs.len() / 10,
        "every name in the texts is found"
    );
    let peak = ALLOC.max_allocated() - base;
    eprintln!(
        "10,000 names: peak heap {} KiB over the inputs; 10,000 texts cleaned in {clean_many:?}",
        peak >> 10
    );
    assert!(peak < 32 << 20, "peak heap {peak} bytes");
    drop(scrubber);

    // A full budget of the shortest terms: still bounded.
    let ids: Vec<String> = (0..400_000).map(|i| format!("{i:07}")).collect();
    let before = ALLOC.allocated();
    let full = Scrubber::builder().ids(ids.iter().cloned()).build();
    assert!(!full.is_complete());
    let _ = full.clean("x 0012345 y");
    let peak_full = ALLOC.max_allocated().saturating_sub(before);
    eprintln!("full budget: peak heap {} KiB", peak_full >> 10);
    assert!(peak_full < 32 << 20, "peak heap {peak_full} bytes");
    drop((full, ids));

    // Cleaning time does not grow with the number of terms (the old
    // cleaner ran one regex per term over every text)...
    let few = names(1_000, 8);
    let scrubber_few = Scrubber::builder().names(few).build();
    let clean_few = time(|| {
        for t in &inputs {
            let _ = scrubber_few.clean(t);
        }
    });
    eprintln!("1,000 names: 10,000 texts cleaned in {clean_few:?}");
    assert!(
        clean_many.as_secs_f64() < 4.0 * clean_few.as_secs_f64(),
        "{clean_many:?} with 10x the terms vs {clean_few:?}"
    );
    // ...and grows linearly with the text.
    let short: String = inputs[..500].join(" ");
    let long: String = inputs[..4_000].join(" ");
    let ts = time(|| drop(scrubber_few.clean(&short)));
    let tl = time(|| drop(scrubber_few.clean(&long)));
    eprintln!("text x8: {ts:?} -> {tl:?}");
    assert!(
        tl.as_secs_f64() < 24.0 * ts.as_secs_f64(),
        "{ts:?} -> {tl:?} for 8x the text"
    );
    // Building is linear in the number of values.
    let t1 = time(|| drop(Scrubber::builder().names(names(1_000, 9)).build()));
    let t10 = time(|| drop(Scrubber::builder().names(names(10_000, 9)).build()));
    eprintln!("build: 1,000 names {t1:?}, 10,000 names {t10:?}");
    assert!(
        t10.as_secs_f64() < 30.0 * t1.as_secs_f64(),
        "{t1:?} -> {t10:?}"
    );
}
