//! The scrape: merging every group's ready fragments into one exposition (`Store::scrape_as`),
//! and writing the result out (copied into one buffer, as a socket takes it), for stores of
//! 10k, 100k and 1M series in groups of 100 that all carry the same family.

use crate::body;
use crate::timing::{mb_per_s, median_run};
use pushgateway::clock::Timestamp;
use pushgateway::grouping::GroupingKey;
use pushgateway::parse::text;
use pushgateway::store::{Format, Store};
use std::time::Instant;

pub const SERIES_PER_GROUP: usize = 100;

/// A checked store of `groups` groups of [`SERIES_PER_GROUP`] series.
pub fn store(groups: usize) -> Store {
    let mut store = Store::new(true, &[]);
    for g in 0..groups {
        let body = body::group(g, SERIES_PER_GROUP);
        let families = text::parse(&body, text::TextOptions::default()).expect("valid");
        store
            .push(&key(g), families, true, Timestamp::now())
            .expect("accepted");
    }
    store
}

pub fn key(group: usize) -> GroupingKey {
    GroupingKey::from_pairs(vec![
        ("job".into(), "bench".into()),
        ("g".into(), group.to_string()),
    ])
}

/// The whole exposition in one buffer.
pub fn scrape_bytes(store: &mut Store, format: Format) -> Vec<u8> {
    let scrape = store
        .scrape_as(&[], format)
        .expect("a checked store scrapes");
    let mut out = Vec::new();
    for c in &scrape.chunks {
        out.extend_from_slice(&c.buf[c.start..c.end]);
    }
    out
}

pub fn run() {
    let sizes: &[usize] = if crate::quick() {
        &[100, 1000]
    } else {
        &[100, 1000, 10_000]
    };
    for &groups in sizes {
        let series = groups * SERIES_PER_GROUP;
        let started = Instant::now();
        let mut store = store(groups);
        let built = started.elapsed();
        println!(
            "exposition/build {series} series: {:.0} ms ({:.1} M series/s parsed and stored)",
            built.as_secs_f64() * 1e3,
            series as f64 / built.as_secs_f64() / 1e6
        );
        for format in [Format::Text, Format::Protobuf] {
            let bytes = scrape_bytes(&mut store, format).len();
            let merge = median_run(100, || store.scrape_as(&[], format).map(|s| s.chunks.len()));
            let write = median_run(100, || scrape_bytes(&mut store, format).len());
            println!(
                "exposition/{format:?} {series} series ({:.1} MB): merge {:.2} ms, merge + write {:.2} ms ({:.0} MB/s)",
                bytes as f64 / 1e6,
                merge.as_secs_f64() * 1e3,
                write.as_secs_f64() * 1e3,
                mb_per_s(bytes, write),
            );
        }
    }
}
