//! The text format parser (`parse::text`), on every input once with legacy names and once
//! with UTF-8 names (`--push.enable-utf8-names`). Input: a push body, as is.
//!
//! Checked for every body that parses:
//! - the families are what the model promises: a name the scheme allows, at least one series,
//!   values of the family's type, no `quantile` label left on a summary series nor `le` on a
//!   histogram series, no label name twice;
//! - they survive a round trip: written back as the exposition writes them (`# HELP` and
//!   `# TYPE` lines, the series through the store's fragment renderer) and parsed again, they
//!   are the same families, up to what text 0.0.4 exposition writes canonically or not at all:
//!   timestamps (never written: the store refuses them), a histogram's `+Inf` bucket (written
//!   from its count when missing), gauge histograms (written as `histogram`), the sign of a
//!   zero (written `0`, as upstream's writer does).
//!
//! The round trip is asserted where the text is unambiguous: every name legacy (the fragments
//! write names as they are), and no family's sample names (`x`, `x_sum`, `x_count`,
//! `x_bucket`) also another's. Text resolves those by order of appearance, so the exposition of
//! such a push would not say the same; the store refuses such pushes anyway (spec §6.5). And
//! every integer count at most 2^53: counts are written as floats (see `exact_counts`).

use pushgateway::model::{Bucket, Count, Family, MetricType, Value};
use pushgateway::parse::names::{is_legacy_label_name, is_legacy_metric_name, NameScheme};
use pushgateway::parse::text::{self, TextOptions};
use pushgateway::store::fragment::{write_escaped_help, Fragment};
use std::collections::HashMap;

pub fn run(data: &[u8]) {
    for utf8_names in [false, true] {
        let opts = TextOptions { utf8_names };
        let Ok(families) = text::parse(data, opts) else {
            continue;
        };
        for family in &families {
            check_model(family, NameScheme { utf8: utf8_names });
        }
        if !round_trips(&families) {
            continue;
        }
        let exposition = render(&families);
        let again = match text::parse(&exposition, opts) {
            Ok(again) => again,
            Err(e) => panic!("{e} in\n{}", String::from_utf8_lossy(&exposition)),
        };
        // Debug output compares NaN equal to NaN, which `PartialEq` on f64 does not.
        assert_eq!(
            format!("{:#?}", canonical(families)),
            format!("{:#?}", canonical(again)),
            "exposition:\n{}",
            String::from_utf8_lossy(&exposition)
        );
    }
}

fn check_model(family: &Family<'_>, names: NameScheme) {
    assert!(names.allows_metric_name(&family.name), "{:?}", family.name);
    assert!(!family.metrics.is_empty(), "{} has no series", family.name);
    for metric in &family.metrics {
        let typed = match (&metric.value, family.mtype) {
            (Value::Simple(_), MetricType::Counter | MetricType::Gauge | MetricType::Untyped) => {
                true
            }
            (Value::Summary(_), MetricType::Summary) => true,
            (Value::Histogram(_), t) => t.is_histogram(),
            _ => false,
        };
        assert!(typed, "{:?} in a {:?} family", metric.value, family.mtype);
        let special = match family.mtype {
            MetricType::Summary => Some("quantile"),
            t if t.is_histogram() => Some("le"),
            _ => None,
        };
        for (i, label) in metric.labels.iter().enumerate() {
            assert!(names.allows_label_name(&label.name), "{:?}", label.name);
            assert!(
                Some(&*label.name) != special,
                "{} kept {}",
                family.name,
                label.name
            );
            assert!(
                metric.labels[..i].iter().all(|l| l.name != label.name),
                "{} twice",
                label.name
            );
        }
    }
}

/// Whether the exposition of `families` must parse back to them (see the module doc).
fn round_trips(families: &[Family<'_>]) -> bool {
    let mut owners: HashMap<String, usize> = HashMap::new();
    for (i, family) in families.iter().enumerate() {
        let legacy = is_legacy_metric_name(family.name.as_bytes())
            && family.metrics.iter().all(|m| {
                m.labels
                    .iter()
                    .all(|l| is_legacy_label_name(l.name.as_bytes()))
            });
        if !legacy || !exact_counts(family) {
            return false;
        }
        let suffixes: &[&str] = match family.mtype {
            MetricType::Counter | MetricType::Gauge | MetricType::Untyped => &[""],
            MetricType::Summary => &["", "_sum", "_count"],
            MetricType::Histogram | MetricType::GaugeHistogram => {
                &["", "_bucket", "_sum", "_count"]
            }
        };
        for suffix in suffixes {
            let owner = *owners
                .entry(format!("{}{suffix}", family.name))
                .or_insert(i);
            if owner != i {
                return false;
            }
        }
    }
    true
}

/// Whether every integer count reads back as itself: the exposition writes counts as floats,
/// as upstream's writer does, and those hold integers exactly only up to 2^53. A bigger one
/// (a negative `_count` wraps to a huge one, as Go converts it) reads back as another count.
fn exact_counts(family: &Family<'_>) -> bool {
    const EXACT_MAX: u64 = 1 << f64::MANTISSA_DIGITS;
    let exact = |count: &Count| !matches!(count, Count::Int(n) if *n > EXACT_MAX);
    family.metrics.iter().all(|m| match &m.value {
        Value::Simple(_) => true,
        Value::Summary(s) => s.count <= EXACT_MAX,
        Value::Histogram(h) => exact(&h.count) && h.buckets.iter().all(|b| exact(&b.count)),
    })
}

/// The exposition of `families`, in their order, as the scrape writes one family.
fn render(families: &[Family<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for family in families {
        if let Some(help) = &family.help {
            out.extend_from_slice(format!("# HELP {} ", family.name).as_bytes());
            write_escaped_help(&mut out, help);
            out.push(b'\n');
        }
        let mtype = family.mtype.text_name();
        out.extend_from_slice(format!("# TYPE {} {mtype}\n", family.name).as_bytes());
        out.extend_from_slice(&Fragment::render(family).text);
    }
    out
}

/// What the exposition of `families` can say about them (see the module doc).
fn canonical(families: Vec<Family<'_>>) -> Vec<Family<'_>> {
    let mut families = families;
    for family in &mut families {
        if family.mtype == MetricType::GaugeHistogram {
            family.mtype = MetricType::Histogram;
        }
        for metric in &mut family.metrics {
            metric.timestamp_ms = None;
            match &mut metric.value {
                Value::Simple(v) => unsign_zero(v),
                Value::Summary(s) => {
                    unsign_zero(&mut s.sum);
                    for q in &mut s.quantiles {
                        unsign_zero(&mut q.quantile);
                        unsign_zero(&mut q.value);
                    }
                }
                Value::Histogram(h) => {
                    unsign_zero(&mut h.sum);
                    unsign_count(&mut h.count);
                    for b in &mut h.buckets {
                        unsign_zero(&mut b.upper_bound);
                        unsign_count(&mut b.count);
                    }
                    if !h.buckets.iter().any(|b| b.upper_bound == f64::INFINITY) {
                        h.buckets.push(Bucket {
                            upper_bound: f64::INFINITY,
                            count: h.count,
                        });
                    }
                }
            }
        }
    }
    families
}

fn unsign_zero(v: &mut f64) {
    if *v == 0.0 {
        *v = 0.0;
    }
}

fn unsign_count(count: &mut Count) {
    if let Count::Float(v) = count {
        unsign_zero(v);
    }
}
