//! Cost of a gzipped scrape of a large store, and of gunzipping a large push.
//!
//! A plain `harness = false` binary (`cargo bench --bench gzip_scrape`). It builds a ~16 MB
//! exposition cut into fragment-sized shared chunks, as `Store::scrape` hands them over, then:
//! - compresses it the way a connection does, one `fill` at a time, and reports throughput,
//!   the ratio, and how long one `fill` takes (a connection runs at most 16 per loop turn);
//! - decodes the result as a pushed `Content-Encoding: gzip` body would be.
//!
//! Each measurement repeats for about two seconds; the whole run stays well under ten.

use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use pushgateway::compress::{decoded_body, GzipBody};
use pushgateway::http::{BodySource, Chunk};

const EXPOSITION_BYTES: usize = 16 << 20;
const TIME_PER_MEASUREMENT: Duration = Duration::from_secs(2);

fn main() {
    let (text, chunks) = exposition();
    let mut gz = Vec::new();
    let mut fill_times = Vec::new();
    let (runs, elapsed) = repeat(|| {
        gz.clear();
        let mut body = GzipBody::new(chunks.clone());
        loop {
            // A fresh buffer per piece, as the connection's output queue takes each one.
            let mut piece = Vec::new();
            let start = Instant::now();
            let done = body.fill(&mut piece);
            fill_times.push(start.elapsed());
            gz.extend_from_slice(&piece);
            if done {
                break;
            }
        }
    });
    fill_times.sort();
    let percentile = |p: usize| fill_times[(fill_times.len() - 1) * p / 100];
    println!(
        "gzip_scrape/compress: {:.1} MB in {} chunks → {:.1} MB ({:.1}x): {:.0} MB/s; \
         one fill: median {:?}, p99 {:?}, max {:?} ({runs} runs)",
        text.len() as f64 / 1e6,
        chunks.len(),
        gz.len() as f64 / 1e6,
        text.len() as f64 / gz.len() as f64,
        mb_per_s(text.len(), runs, elapsed),
        percentile(50),
        percentile(99),
        percentile(100),
    );

    let mut scratch = Vec::new();
    let (runs, elapsed) = repeat(|| {
        let decoded = decoded_body(Some(b"gzip"), &gz, &mut scratch, usize::MAX - 1)
            .expect("our gzip decodes");
        assert_eq!(decoded.len(), text.len());
    });
    println!(
        "gzip_scrape/decompress: {:.1} MB → {:.1} MB: {:.0} MB/s of output ({runs} runs)",
        gz.len() as f64 / 1e6,
        text.len() as f64 / 1e6,
        mb_per_s(text.len(), runs, elapsed),
    );
}

fn repeat(mut run: impl FnMut()) -> (usize, Duration) {
    let start = Instant::now();
    let mut runs = 0;
    while runs == 0 || start.elapsed() < TIME_PER_MEASUREMENT {
        run();
        black_box(());
        runs += 1;
    }
    (runs, start.elapsed())
}

fn mb_per_s(bytes: usize, runs: usize, elapsed: Duration) -> f64 {
    (bytes * runs) as f64 / elapsed.as_secs_f64() / 1e6
}

/// Many groups' worth of families (a few series each, with job/instance and a couple of
/// labels), one fragment per family and group, as the store renders them.
fn exposition() -> (Vec<u8>, Vec<Chunk>) {
    let mut text = Vec::with_capacity(EXPOSITION_BYTES + 4096);
    let mut bounds = Vec::new();
    let mut family = 0u64;
    while text.len() < EXPOSITION_BYTES {
        family += 1;
        let start = text.len();
        let name = format!("batch_job_metric_{}_seconds", family % 500);
        text.extend_from_slice(format!("# HELP {name} Time spent in phase {family}.\n").as_bytes());
        text.extend_from_slice(format!("# TYPE {name} gauge\n").as_bytes());
        for series in 0..(family % 7 + 1) {
            let line = format!(
                "{name}{{instance=\"host-{}.example.org:9100\",job=\"backup-{}\",phase=\"p{series}\"}} {}\n",
                family % 97,
                family % 31,
                (family * 7919 + series * 104_729) as f64 / 1000.0,
            );
            text.extend_from_slice(line.as_bytes());
        }
        bounds.push((start, text.len()));
    }
    let shared: Rc<[u8]> = Rc::from(text.as_slice());
    let chunks = bounds
        .into_iter()
        .map(|(start, end)| Chunk {
            buf: shared.clone(),
            start,
            end,
        })
        .collect();
    (text, chunks)
}
