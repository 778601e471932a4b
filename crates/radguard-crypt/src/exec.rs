//! Spreading independent segments over threads.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs independent tasks, possibly in parallel.
///
/// Segments are independent (each has its own nonce), so a large pixel
/// data value encrypts on all cores. The library does not pick a thread
/// pool for you: [`Sequential`] runs tasks on the calling thread,
/// [`Threads`] on scoped standard-library threads, and an application with
/// its own pool (rayon, tokio's blocking pool) implements this trait in a
/// few lines so files and segments share one pool:
///
/// ```
/// use radguard_crypt::Executor;
///
/// struct Rayonish; // e.g. `(0..n).into_par_iter().for_each(|i| f(i))`
/// impl Executor for Rayonish {
///     fn run(&self, tasks: usize, f: &(dyn Fn(usize) + Sync)) {
///         (0..tasks).for_each(f);
///     }
/// }
/// ```
pub trait Executor: Sync {
    /// Calls `f(i)` exactly once for every `i` in `0..tasks`, in any order
    /// and on any threads, and returns when every call has returned.
    fn run(&self, tasks: usize, f: &(dyn Fn(usize) + Sync));
}

/// Runs tasks one after the other on the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Executor for Sequential {
    fn run(&self, tasks: usize, f: &(dyn Fn(usize) + Sync)) {
        (0..tasks).for_each(f);
    }
}

/// Runs tasks on up to `n` scoped threads (the calling thread included).
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use radguard_crypt::{Executor, Threads};
///
/// let sum = AtomicUsize::new(0);
/// Threads::available().run(100, &|i| { sum.fetch_add(i, Ordering::Relaxed); });
/// assert_eq!(sum.into_inner(), 4950);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Threads(NonZeroUsize);

impl Threads {
    /// Up to `n` threads.
    #[must_use]
    pub fn new(n: NonZeroUsize) -> Self {
        Self(n)
    }

    /// As many threads as the machine offers
    /// ([`std::thread::available_parallelism`], 1 if unknown).
    #[must_use]
    pub fn available() -> Self {
        Self(std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }
}

impl Executor for Threads {
    fn run(&self, tasks: usize, f: &(dyn Fn(usize) + Sync)) {
        let threads = self.0.get().min(tasks);
        if threads <= 1 {
            return Sequential.run(tasks, f);
        }
        let next = AtomicUsize::new(0);
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tasks {
                    break;
                }
                f(i);
            }
        };
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }
}
