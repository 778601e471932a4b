//! Progress bars that appear only for work that takes over a second, only on
//! a terminal, and never in JSON mode.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::Output;

/// What a bar counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unit {
    /// Whole files.
    Files,
    /// Bytes, shown with throughput and ETA.
    Bytes,
}

/// A progress bar shared across worker threads.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    bar: ProgressBar,
    start: Instant,
    allowed: bool,
    shown: Arc<AtomicBool>,
}

const DELAY: Duration = Duration::from_secs(1);

impl Progress {
    pub(crate) fn new(out: Output, len: u64, unit: Unit, message: &'static str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        let template = match unit {
            Unit::Files => {
                "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} files ({per_sec}, eta {eta})"
            }
            Unit::Bytes => {
                "{msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})"
            }
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_message(message);
        Self {
            bar,
            start: Instant::now(),
            allowed: out.progress_allowed(),
            shown: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Records `n` more units of work done.
    pub(crate) fn inc(&self, n: u64) {
        self.bar.inc(n);
        if self.allowed
            && !self.shown.load(Ordering::Relaxed)
            && self.start.elapsed() >= DELAY
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
