//! Parser throughput on realistic bodies: the text format with and without escapes, and
//! delimited protobuf as a client library sends it.

use crate::body;
use crate::exposition::scrape_bytes;
use crate::timing::{mb_per_s, median_run};
use pushgateway::grouping::GroupingKey;
use pushgateway::parse::names::NameScheme;
use pushgateway::parse::{protobuf, text};
use pushgateway::store::{Format, Store};

fn body_bytes() -> usize {
    if crate::quick() {
        1 << 20
    } else {
        10 << 20
    }
}

pub fn run() {
    for (name, escapes) in [("plain", false), ("with escapes", true)] {
        let body = body::realistic(body_bytes(), escapes);
        let families = text::parse(&body, text::TextOptions::default()).expect("valid");
        let series: usize = families.iter().map(|f| f.metrics.len()).sum();
        let run = median_run(1000, || {
            text::parse(&body, text::TextOptions::default()).map(|f| f.len())
        });
        println!(
            "parse/text {name}: {:.1} MB, {series} series: {:.0} MB/s, {:.1} M series/s",
            body.len() as f64 / 1e6,
            mb_per_s(body.len(), run),
            series as f64 / run.as_secs_f64() / 1e6,
        );
    }
}

/// The realistic body, pushed into a store and scraped back as protobuf: the delimited
/// `MetricFamily` messages a client library would push.
pub fn run_protobuf() {
    let text_body = body::realistic(body_bytes(), false);
    let families = text::parse(&text_body, text::TextOptions::default()).expect("valid");
    let mut store = Store::new(true, &[]);
    let key = GroupingKey::from_pairs(vec![("job".into(), "bench".into())]);
    store
        .push(&key, families, true, pushgateway::clock::Timestamp::now())
        .expect("accepted");
    let body = scrape_bytes(&mut store, Format::Protobuf);
    let names = NameScheme { utf8: false };
    let decoded = protobuf::parse(&body, names).expect("our own protobuf decodes");
    let series: usize = decoded.families.iter().map(|f| f.metrics.len()).sum();
    let run = median_run(1000, || {
        protobuf::parse(&body, names).map(|d| d.families.len())
    });
    println!(
        "protobuf/decode: {:.1} MB, {} families, {series} series: {:.0} MB/s, {:.1} M series/s",
        body.len() as f64 / 1e6,
        decoded.families.len(),
        mb_per_s(body.len(), run),
        series as f64 / run.as_secs_f64() / 1e6,
    );
}
