//! The server's own metrics (spec §8.8): `pushgateway_build_info`, the `pushgateway_http_*`
//! families and `process_*`, and ours with `--push.group-ttl`, `pushgateway_groups_expired_total`.
//! No `go_*` families (spec §17 R10). They are gathered fresh for every scrape and merged with
//! the pushed families by the store.

use crate::model::{Family, Label, Metric, MetricType, Quantile, Summary, Value};
use crate::store::OwnFamily;
use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

const BUILD_INFO: &str = "pushgateway_build_info";
const REQUESTS: &str = "pushgateway_http_requests_total";
const PUSH_DURATION: &str = "pushgateway_http_push_duration_seconds";
const PUSH_SIZE: &str = "pushgateway_http_push_size_bytes";
const GROUPS_EXPIRED: &str = "pushgateway_groups_expired_total";

/// The own families the store checks pushes against: without expiry, exactly upstream's, so
/// that a pushed family named like ours is treated as it was before the flag existed.
pub fn own_families(expiry: bool) -> &'static [OwnFamily] {
    let upstream = OWN_FAMILIES.len() - 1;
    if expiry {
        OWN_FAMILIES
    } else {
        &OWN_FAMILIES[..upstream]
    }
}

/// Every own family with its type and HELP, upstream's as upstream defines them (sorted by
/// name), then ours, which exists only with `--push.group-ttl` (see [`own_families`]).
pub static OWN_FAMILIES: &[OwnFamily] = &[
    OwnFamily { name: "process_cpu_seconds_total", mtype: MetricType::Counter, help: "Total user and system CPU time spent in seconds." },
    OwnFamily { name: "process_max_fds", mtype: MetricType::Gauge, help: "Maximum number of open file descriptors." },
    OwnFamily { name: "process_network_receive_bytes_total", mtype: MetricType::Counter, help: "Number of bytes received by the process over the network." },
    OwnFamily { name: "process_network_transmit_bytes_total", mtype: MetricType::Counter, help: "Number of bytes sent by the process over the network." },
    OwnFamily { name: "process_open_fds", mtype: MetricType::Gauge, help: "Number of open file descriptors." },
    OwnFamily { name: "process_resident_memory_bytes", mtype: MetricType::Gauge, help: "Resident memory size in bytes." },
    OwnFamily { name: "process_start_time_seconds", mtype: MetricType::Gauge, help: "Start time of the process since unix epoch in seconds." },
    OwnFamily { name: "process_virtual_memory_bytes", mtype: MetricType::Gauge, help: "Virtual memory size in bytes." },
    OwnFamily { name: "process_virtual_memory_max_bytes", mtype: MetricType::Gauge, help: "Maximum amount of virtual memory available in bytes." },
    OwnFamily {
        name: BUILD_INFO,
        mtype: MetricType::Gauge,
        help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which pushgateway was built, and the goos and goarch for the build.",
    },
    OwnFamily { name: PUSH_DURATION, mtype: MetricType::Summary, help: "HTTP request duration for pushes to the Pushgateway." },
    OwnFamily { name: PUSH_SIZE, mtype: MetricType::Summary, help: "HTTP request size for pushes to the Pushgateway." },
    OwnFamily { name: REQUESTS, mtype: MetricType::Counter, help: "Total HTTP requests processed by the Pushgateway, excluding scrapes." },
    OwnFamily { name: GROUPS_EXPIRED, mtype: MetricType::Counter, help: "Total groups deleted because their last successful push was older than --push.group-ttl." },
];

/// client_golang's default summary objectives for the push summaries: 0.1, 0.5 and 0.9.
const OBJECTIVES: [f64; 3] = [0.1, 0.5, 0.9];
/// Observations older than this leave the quantiles, as client_golang's default MaxAge.
const SUMMARY_MAX_AGE: Duration = Duration::from_secs(600);
/// Most recent observations kept per summary series for its quantiles.
const SUMMARY_WINDOW_MAX: usize = 1024;

/// A summary over a bounded window of recent observations: quantiles are exact over the last
/// `SUMMARY_WINDOW_MAX` observations of the last `SUMMARY_MAX_AGE` (upstream's streaming
/// estimate has error bounds instead; both are approximations of the same thing).
#[derive(Debug, Default)]
struct WindowSummary {
    count: u64,
    sum: f64,
    recent: VecDeque<(Instant, f64)>,
}

impl WindowSummary {
    fn observe(&mut self, value: f64, now: Instant) {
        self.count += 1;
        self.sum += value;
        if self.recent.len() == SUMMARY_WINDOW_MAX {
            self.recent.pop_front();
        }
        self.recent.push_back((now, value));
    }

    fn snapshot(&mut self, now: Instant) -> Summary {
        while self
            .recent
            .front()
            .is_some_and(|&(t, _)| now.duration_since(t) > SUMMARY_MAX_AGE)
        {
            self.recent.pop_front();
        }
        let mut values: Vec<f64> = self.recent.iter().map(|&(_, v)| v).collect();
        values.sort_by(f64::total_cmp);
        let quantiles = OBJECTIVES
            .iter()
            .map(|&q| {
                let value = if values.is_empty() {
                    f64::NAN
                } else {
                    let rank = (q * values.len() as f64).ceil() as usize;
                    values[rank.clamp(1, values.len()) - 1]
                };
                Quantile { quantile: q, value }
            })
            .collect();
        Summary {
            count: self.count,
            sum: self.sum,
            quantiles,
        }
    }
}

/// Live counters of the HTTP handlers.
#[derive(Debug, Default)]
pub struct OwnMetrics {
    /// (code, handler, method) → requests.
    requests: BTreeMap<(u16, &'static str, &'static str), u64>,
    /// method → summary, for `put` and `post`.
    push_duration: BTreeMap<&'static str, WindowSummary>,
    push_size: BTreeMap<&'static str, WindowSummary>,
    /// Groups expired, counted only with `--push.group-ttl` (else the family is left out).
    groups_expired: Option<u64>,
}

/// Values from outside this module that go into the own families.
pub struct Gathered<'a> {
    pub build_labels: &'a [(&'static str, String)],
    pub process: &'a crate::process::ProcessStats,
}

impl OwnMetrics {
    /// `expiry`: `--push.group-ttl` is on, so `pushgateway_groups_expired_total` is exposed.
    pub fn new(expiry: bool) -> OwnMetrics {
        OwnMetrics {
            groups_expired: expiry.then_some(0),
            ..OwnMetrics::default()
        }
    }

    pub fn count_expired(&mut self, groups: usize) {
        if let Some(total) = &mut self.groups_expired {
            *total += groups as u64;
        }
    }

    pub fn count_request(&mut self, code: u16, handler: &'static str, method: &'static str) {
        *self.requests.entry((code, handler, method)).or_default() += 1;
    }

    pub fn observe_push(&mut self, method: &'static str, seconds: f64, size_bytes: f64) {
        let now = Instant::now();
        self.push_duration
            .entry(method)
            .or_default()
            .observe(seconds, now);
        self.push_size
            .entry(method)
            .or_default()
            .observe(size_bytes, now);
    }

    /// Every own family with its current values.
    pub fn gather(&mut self, g: &Gathered<'_>) -> Vec<Family<'static>> {
        let now = Instant::now();
        let mut families = Vec::with_capacity(OWN_FAMILIES.len());
        let build_labels = g
            .build_labels
            .iter()
            .map(|(n, v)| label(n, v.clone()))
            .collect();
        families.push(family(
            BUILD_INFO,
            vec![metric(build_labels, Value::Simple(1.0))],
        ));
        let requests = self
            .requests
            .iter()
            .map(|(&(code, handler, method), &n)| {
                let labels = vec![
                    label("code", code.to_string()),
                    label("handler", handler.to_string()),
                    label("method", method.to_string()),
                ];
                metric(labels, Value::Simple(n as f64))
            })
            .collect();
        families.push(family(REQUESTS, requests));
        if let Some(total) = self.groups_expired {
            let series = vec![metric(Vec::new(), Value::Simple(total as f64))];
            families.push(family(GROUPS_EXPIRED, series));
        }
        for (name, summaries) in [
            (PUSH_DURATION, &mut self.push_duration),
            (PUSH_SIZE, &mut self.push_size),
        ] {
            let series = summaries
                .iter_mut()
                .map(|(method, s)| {
                    metric(
                        vec![label("method", method.to_string())],
                        Value::Summary(s.snapshot(now)),
                    )
                })
                .collect();
            families.push(family(name, series));
        }
        let p = g.process;
        let process = [
            ("process_cpu_seconds_total", Some(p.cpu_seconds_total)),
            ("process_max_fds", Some(p.max_fds)),
            (
                "process_network_receive_bytes_total",
                p.network_receive_bytes_total,
            ),
            (
                "process_network_transmit_bytes_total",
                p.network_transmit_bytes_total,
            ),
            ("process_open_fds", Some(p.open_fds)),
            (
                "process_resident_memory_bytes",
                Some(p.resident_memory_bytes),
            ),
            ("process_start_time_seconds", Some(p.start_time_seconds)),
            ("process_virtual_memory_bytes", Some(p.virtual_memory_bytes)),
            (
                "process_virtual_memory_max_bytes",
                Some(p.virtual_memory_max_bytes),
            ),
        ];
        for (name, value) in process {
            let series = value
                .map(|v| metric(Vec::new(), Value::Simple(v)))
                .into_iter()
                .collect();
            families.push(family(name, series));
        }
        families
    }
}

fn family(name: &'static str, metrics: Vec<Metric<'static>>) -> Family<'static> {
    let own = OWN_FAMILIES
        .iter()
        .find(|o| o.name == name)
        .expect("own family is declared");
    Family {
        name: Cow::Borrowed(name),
        help: Some(Cow::Borrowed(own.help)),
        mtype: own.mtype,
        unit: None,
        metrics,
    }
}

fn metric(labels: Vec<Label<'static>>, value: Value) -> Metric<'static> {
    Metric {
        labels,
        value,
        timestamp_ms: None,
        pb_value: None,
    }
}

fn label(name: &'static str, value: String) -> Label<'static> {
    Label {
        name: Cow::Borrowed(name),
        value: Cow::Owned(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_quantiles_cover_the_recent_window() {
        let mut s = WindowSummary::default();
        let now = Instant::now();
        for v in 1..=100 {
            s.observe(v as f64, now);
        }
        let snap = s.snapshot(now);
        assert_eq!(snap.count, 100);
        assert_eq!(snap.sum, 5050.0);
        let qs: Vec<f64> = snap.quantiles.iter().map(|q| q.value).collect();
        assert_eq!(qs, vec![10.0, 50.0, 90.0]);
    }

    #[test]
    fn empty_summary_reports_nan_quantiles() {
        let snap = WindowSummary::default().snapshot(Instant::now());
        assert!(snap.quantiles.iter().all(|q| q.value.is_nan()));
        assert_eq!(snap.count, 0);
    }

    #[test]
    fn own_families_are_sorted_and_unique() {
        let names: Vec<&str> = own_families(false).iter().map(|o| o.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(!names.contains(&GROUPS_EXPIRED));
        let with_expiry: Vec<&str> = own_families(true).iter().map(|o| o.name).collect();
        assert_eq!(with_expiry[..names.len()], names[..]);
        assert_eq!(with_expiry[names.len()..], [GROUPS_EXPIRED]);
    }

    #[test]
    fn groups_expired_is_gathered_only_with_expiry() {
        let process = crate::process::ProcessStats::default();
        let gathered = Gathered {
            build_labels: &[],
            process: &process,
        };
        let names = |own: &mut OwnMetrics| -> Vec<String> {
            own.gather(&gathered)
                .into_iter()
                .map(|f| f.name.into_owned())
                .collect()
        };
        let mut off = OwnMetrics::new(false);
        off.count_expired(3);
        assert!(!names(&mut off).iter().any(|n| n == GROUPS_EXPIRED));

        let mut on = OwnMetrics::new(true);
        let expired = |own: &mut OwnMetrics| {
            let families = own.gather(&gathered);
            let family = families.iter().find(|f| f.name == GROUPS_EXPIRED);
            match family.map(|f| &f.metrics[..]) {
                Some([m]) if m.labels.is_empty() => m.value.clone(),
                other => panic!("one unlabelled series expected, got {other:?}"),
            }
        };
        assert!(matches!(expired(&mut on), Value::Simple(v) if v == 0.0));
        on.count_expired(2);
        on.count_expired(1);
        assert!(matches!(expired(&mut on), Value::Simple(v) if v == 3.0));
    }
}
