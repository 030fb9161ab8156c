//! The metric data model shared by the parsers, the store and the renderers.
//!
//! A parser returns `Family<'a>` values that borrow names, label values and HELP text from the
//! request buffer wherever no escape had to be undone (`Cow::Borrowed`); the store turns them into
//! `Family<'static>` with [`Family::into_owned`] once a push is accepted. One type for both keeps
//! the parsers allocation-light without a second, owned copy of every definition.
//!
//! Nothing here validates: parsers and the store decide what is acceptable.

use std::borrow::Cow;

/// The type of a metric family, as the text format's `# TYPE` line and protobuf name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricType {
    Counter,
    Gauge,
    Summary,
    Untyped,
    Histogram,
    GaugeHistogram,
}

impl MetricType {
    /// The name used in error messages and the JSON API (`COUNTER`, `GAUGE_HISTOGRAM`, …).
    pub fn upper_name(self) -> &'static str {
        match self {
            MetricType::Counter => "COUNTER",
            MetricType::Gauge => "GAUGE",
            MetricType::Summary => "SUMMARY",
            MetricType::Untyped => "UNTYPED",
            MetricType::Histogram => "HISTOGRAM",
            MetricType::GaugeHistogram => "GAUGE_HISTOGRAM",
        }
    }

    /// The word written after `# TYPE name ` in text format 0.0.4, which knows no gauge
    /// histogram: upstream writes those as `histogram`.
    pub fn text_name(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
            MetricType::Histogram | MetricType::GaugeHistogram => "histogram",
        }
    }

    /// The `MetricType` enum number of client_model's `metrics.proto`.
    pub fn protobuf_number(self) -> u8 {
        match self {
            MetricType::Counter => 0,
            MetricType::Gauge => 1,
            MetricType::Summary => 2,
            MetricType::Untyped => 3,
            MetricType::Histogram => 4,
            MetricType::GaugeHistogram => 5,
        }
    }

    pub fn from_protobuf_number(n: u64) -> Option<MetricType> {
        Some(match n {
            0 => MetricType::Counter,
            1 => MetricType::Gauge,
            2 => MetricType::Summary,
            3 => MetricType::Untyped,
            4 => MetricType::Histogram,
            5 => MetricType::GaugeHistogram,
            _ => return None,
        })
    }

    /// True for the two types whose series are histograms (`_bucket`, `_sum`, `_count`).
    pub fn is_histogram(self) -> bool {
        matches!(self, MetricType::Histogram | MetricType::GaugeHistogram)
    }
}

/// One metric family: a name, optional HELP, a type and its series.
#[derive(Clone, Debug, PartialEq)]
pub struct Family<'a> {
    pub name: Cow<'a, str>,
    /// `None` when no HELP was given; `Some("")` is possible (protobuf) and renders as
    /// `# HELP name ` with nothing after the space.
    pub help: Option<Cow<'a, str>>,
    pub mtype: MetricType,
    /// The `unit` of a family pushed as protobuf, served back in protobuf; text has none.
    pub unit: Option<Cow<'a, str>>,
    pub metrics: Vec<Metric<'a>>,
}

/// One series of a family.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric<'a> {
    /// Label pairs without `le` (histograms) and `quantile` (summaries), which live in the value.
    /// Parsers keep input order; the store sorts them by name.
    pub labels: Vec<Label<'a>>,
    pub value: Value,
    /// A pushed timestamp in milliseconds. Pushes carrying one are rejected by the store (§6.4),
    /// so a stored metric always has `None`.
    pub timestamp_ms: Option<i64>,
    /// For a series pushed as protobuf: its value field (key, length and message) exactly as
    /// pushed, re-emitted by the protobuf exposition. It keeps what `value` does not model —
    /// exemplars, created timestamps, native-histogram buckets — without a field for each.
    pub pb_value: Option<Box<[u8]>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label<'a> {
    pub name: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

/// The value of one series; which variant is allowed depends on the family's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Counter, gauge and untyped series.
    Simple(f64),
    Summary(Summary),
    /// Histogram and gauge-histogram series.
    Histogram(Histogram),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub sum: f64,
    /// In input order.
    pub quantiles: Vec<Quantile>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantile {
    pub quantile: f64,
    pub value: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    pub count: Count,
    pub sum: f64,
    /// Classic buckets with cumulative counts, in input order (not re-sorted, as upstream).
    pub buckets: Vec<Bucket>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub count: Count,
}

/// A histogram count: an integer, or (since upstream 1.11.2, for text values that are not exact
/// non-negative integers, and for float histograms in protobuf) a float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Count {
    Int(u64),
    Float(f64),
}

impl Default for Count {
    fn default() -> Self {
        Count::Int(0)
    }
}

impl Count {
    pub fn as_f64(self) -> f64 {
        match self {
            Count::Int(n) => n as f64,
            Count::Float(f) => f,
        }
    }
}

impl Family<'_> {
    /// True if any series carries a pushed timestamp (a push with one is rejected, §6.4).
    pub fn has_timestamps(&self) -> bool {
        self.metrics.iter().any(|m| m.timestamp_ms.is_some())
    }

    /// Copies every borrowed string so the family can outlive the request buffer.
    pub fn into_owned(self) -> Family<'static> {
        Family {
            name: Cow::Owned(self.name.into_owned()),
            help: self.help.map(|h| Cow::Owned(h.into_owned())),
            mtype: self.mtype,
            unit: self.unit.map(|u| Cow::Owned(u.into_owned())),
            metrics: self.metrics.into_iter().map(Metric::into_owned).collect(),
        }
    }
}

impl<'s> Family<'s> {
    /// A copy that borrows every string from this one, with each metric or label name passed
    /// through `name` (`true` for a label name).
    pub fn borrowed_with<'b>(&'b self, name: impl Fn(&'b str, bool) -> Cow<'b, str>) -> Family<'b> {
        let borrow = |s: &'b Cow<'s, str>| Cow::Borrowed(&**s);
        Family {
            name: name(&self.name, false),
            help: self.help.as_ref().map(borrow),
            mtype: self.mtype,
            unit: self.unit.as_ref().map(borrow),
            metrics: self
                .metrics
                .iter()
                .map(|m| Metric {
                    labels: m
                        .labels
                        .iter()
                        .map(|l| Label {
                            name: name(&l.name, true),
                            value: borrow(&l.value),
                        })
                        .collect(),
                    value: m.value.clone(),
                    timestamp_ms: m.timestamp_ms,
                    pb_value: m.pb_value.clone(),
                })
                .collect(),
        }
    }
}

impl Metric<'_> {
    pub fn into_owned(self) -> Metric<'static> {
        Metric {
            labels: self.labels.into_iter().map(Label::into_owned).collect(),
            value: self.value,
            timestamp_ms: self.timestamp_ms,
            pb_value: self.pb_value,
        }
    }
}

impl Label<'_> {
    pub fn into_owned(self) -> Label<'static> {
        Label {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}
