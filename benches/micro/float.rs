//! Float formatting in the exposition form (`write_expo_float`), which every stored value goes
//! through once when its series is rendered at push time.

use crate::timing::median_run;
use pushgateway::float_format::write_expo_float;

const FLOATS: usize = 10_000;

/// A mix of what pushes carry: counts, short decimals, Unix timestamps with full precision, and
/// tiny and huge magnitudes in exponent form.
fn values() -> Vec<f64> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..FLOATS)
        .map(|i| {
            let r = next();
            match i % 5 {
                0 => (r % 100_000) as f64,
                1 => (r % 10_000) as f64 / 10.0 + 0.5,
                2 => 1.7e9 + (r % (1 << 40)) as f64 / (1u64 << 14) as f64,
                3 => (r % 1_000_000 + 1) as f64 / 1e15,
                _ => (r % 1_000_000) as f64 * 1e20,
            }
        })
        .collect()
}

pub fn run() {
    let values = values();
    let mut out = Vec::with_capacity(FLOATS * 24);
    let run = median_run(1000, || {
        out.clear();
        for &v in &values {
            write_expo_float(&mut out, v);
            out.push(b' ');
        }
        out.len()
    });
    println!(
        "float/exposition {FLOATS} mixed values: {:.1} ns/float",
        run.as_secs_f64() * 1e9 / FLOATS as f64
    );
}
