//! Grouping-key parsing: the URL part of every push.

use crate::timing::{median_run, per_s};
use pushgateway::grouping::GroupingKey;
use std::hint::black_box;

const KEYS_PER_RUN: usize = 10_000;

pub fn run() {
    let cases: [(&str, &[u8], bool, &[u8]); 3] = [
        ("job only", b"nightly-backup", false, b""),
        (
            "job + 3 labels",
            b"nightly-backup",
            false,
            b"/instance/db-17.example.org:9100/zone/eu-west-1/shard/42",
        ),
        (
            "base64 job + base64 label",
            b"bmlnaHRseS9iYWNrdXA",
            true,
            b"/path@base64/L3Zhci9saWIvZGF0YQ==/instance/db-17",
        ),
    ];
    for (name, job, job_base64, labels) in cases {
        let run = median_run(1000, || {
            for _ in 0..KEYS_PER_RUN {
                let key = GroupingKey::parse(black_box(job), job_base64, black_box(labels), false);
                black_box(key.expect("valid"));
            }
        });
        println!(
            "grouping/{name}: {:.0} ns per key, {:.1} M keys/s",
            run.as_secs_f64() * 1e9 / KEYS_PER_RUN as f64,
            per_s(KEYS_PER_RUN, run) / 1e6
        );
    }
}
