//! Repeating a measurement for a bounded time, and reporting it.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long each measurement repeats (the first run always completes).
pub fn budget() -> Duration {
    if crate::quick() {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(2)
    }
}

/// Runs `f` until the budget is spent (at least once, at most `runs_max` times); returns the
/// median time of one run.
pub fn median_run<T>(runs_max: usize, mut f: impl FnMut() -> T) -> Duration {
    let started = Instant::now();
    let mut times = Vec::new();
    while times.is_empty() || (started.elapsed() < budget() && times.len() < runs_max) {
        let t = Instant::now();
        black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

pub fn mb_per_s(bytes: usize, run: Duration) -> f64 {
    bytes as f64 / run.as_secs_f64() / 1e6
}

pub fn per_s(items: usize, run: Duration) -> f64 {
    items as f64 / run.as_secs_f64()
}
