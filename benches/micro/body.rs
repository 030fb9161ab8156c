//! Push bodies the micro benchmarks parse, store and log.

/// What a batch job or a bridge typically pushes: many counters and gauges with a handful of
/// labels, classic histograms and summaries, HELP and TYPE for every family.
pub fn realistic(bytes: usize, escapes: bool) -> Vec<u8> {
    let mut out = String::with_capacity(bytes + 4096);
    let (quote, slash, newline) = if escapes {
        ("\\\"", "\\\\", "\\n")
    } else {
        ("'", "/", " ")
    };
    let mut family = 0;
    while out.len() < bytes {
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

/// One group's body: a gauge family of `series` series, the same family in every group, as
/// many jobs push the same metric names (so scrapes merge them across groups).
pub fn group(group: usize, series: usize) -> Vec<u8> {
    let mut out = String::with_capacity(32 + series * 56);
    out.push_str("# TYPE bench_value gauge\n");
    for s in 0..series {
        out += &format!(
            "bench_value{{series=\"{s}\",shard=\"{}\"}} {}\n",
            group % 7,
            (s * 3 + group) as f64 * 1.5
        );
    }
    out.into_bytes()
}
