//! Throughput of the text format parser on a realistic ~10 MB push, with and without escapes.
//!
//! A plain `harness = false` binary (`cargo bench --bench text_parse`): it builds the bodies,
//! parses each repeatedly for about three seconds and prints MB/s. Bounded well under ten
//! seconds in total so it can run on a small shared CI machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use pushgateway::parse::text::{parse, TextOptions};

const BODY_BYTES: usize = 10 << 20;
const TIME_PER_BODY: Duration = Duration::from_secs(3);

fn main() {
    for (name, escapes) in [("plain", false), ("with escapes", true)] {
        let body = body(escapes);
        let families = parse(&body, TextOptions::default()).expect("the bench body is valid");
        let series: usize = families.iter().map(|f| f.metrics.len()).sum();
        let (runs, elapsed) = time(&body);
        let mb_per_s = (body.len() * runs) as f64 / elapsed.as_secs_f64() / 1e6;
        println!(
            "text_parse/{name}: {:.1} MB, {} families, {series} series: {mb_per_s:.0} MB/s ({runs} runs)",
            body.len() as f64 / 1e6,
            families.len(),
        );
    }
}

fn time(body: &[u8]) -> (usize, Duration) {
    let start = Instant::now();
    let mut runs = 0;
    while runs == 0 || start.elapsed() < TIME_PER_BODY {
        black_box(
            parse(black_box(body), TextOptions::default())
                .map(|f| f.len())
                .ok(),
        );
        runs += 1;
    }
    (runs, start.elapsed())
}

/// What a batch job or a bridge typically pushes: many counters and gauges with a handful of
/// labels, classic histograms and summaries, HELP and TYPE for every family.
fn body(escapes: bool) -> Vec<u8> {
    let mut out = String::with_capacity(BODY_BYTES + 4096);
    let (quote, slash, newline) = if escapes {
        ("\\\"", "\\\\", "\\n")
    } else {
        ("'", "/", " ")
    };
    let mut family = 0;
    while out.len() < BODY_BYTES {
        family += 1;
        let help = format!("Help for family {family}:{newline}a {quote}quoted{quote} text.");
        match family % 4 {
            0 | 1 => {
                let (kind, suffix) = if family % 4 == 0 {
                    ("counter", "_total")
                } else {
                    ("gauge", "")
                };
                let name = format!("app_requests_{family}{suffix}");
                out += &format!("# HELP {name} {help}\n# TYPE {name} {kind}\n");
                for i in 0..40 {
                    out += &format!(
                        "{name}{{method=\"GET\",code=\"{}\",handler=\"{slash}api{slash}v1{slash}q{i}\",\
                         instance=\"host-{}:9100\"}} {}.{}\n",
                        200 + i % 5,
                        i % 7,
                        i * 1_234_567,
                        i % 10,
                    );
                }
            }
            2 => {
                let name = format!("job_duration_seconds_{family}");
                out += &format!("# HELP {name} {help}\n# TYPE {name} histogram\n");
                for i in 0..4 {
                    let labels = format!("stage=\"{quote}s{i}{quote}\",queue=\"q{}\"", i % 2);
                    let mut cumulative = 0;
                    for le in [
                        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
                        "10", "+Inf",
                    ] {
                        cumulative += 3 + i;
                        out += &format!("{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}\n");
                    }
                    out += &format!(
                        "{name}_sum{{{labels}}} 1234.5678\n{name}_count{{{labels}}} {cumulative}\n"
                    );
                }
            }
            _ => {
                let name = format!("rpc_latency_seconds_{family}");
                out += &format!("# HELP {name} {help}\n# TYPE {name} summary\n");
                for i in 0..6 {
                    let labels = format!("service=\"svc{i}{newline}\"");
                    for q in ["0.5", "0.9", "0.99"] {
                        out += &format!("{name}{{{labels},quantile=\"{q}\"}} 0.0{i}25\n");
                    }
                    out += &format!("{name}_sum{{{labels}}} 8.5e-3\n{name}_count{{{labels}}} 17\n");
                }
            }
        }
    }
    out.into_bytes()
}
