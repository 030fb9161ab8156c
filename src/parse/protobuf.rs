//! Delimited protobuf push bodies (spec §5.3): a sequence of `io.prometheus.client.MetricFamily`
//! messages, each preceded by its length as a varint — what the Go client pushes by default.
//!
//! Grammar (client_model `metrics.proto`, proto2; unknown fields are skipped):
//! `MetricFamily{1 name, 2 help, 3 type, 4 metric*, 5 unit}`, `Metric{1 label*, 2 gauge, 3 counter,
//! 4 summary, 5 untyped, 7 histogram, 6 timestamp_ms}`, `LabelPair{1 name, 2 value}`,
//! `Gauge|Counter|Untyped{1 value}`, `Summary{1 sample_count, 2 sample_sum, 3 quantile*}`,
//! `Quantile{1 quantile, 2 value}`, `Histogram{1 sample_count, 4 sample_count_float,
//! 2 sample_sum, 3 bucket*}`, `Bucket{1 cumulative_count, 4 cumulative_count_float,
//! 2 upper_bound}`. The value field of each series is also kept as pushed (`Metric::pb_value`),
//! so exemplars, created timestamps and native-histogram fields come back out unchanged.
//!
//! Names are validated as the text parser does (spec §17 R6: upstream would store `foo-bar`).
//! What upstream rejects only in its consistency check — a value field that does not match the
//! family's type, a label value that is not UTF-8 — is returned as `problems`, so the store can
//! reject the push with the failure bookkeeping upstream does. Strings borrow from the body.

pub(crate) mod wire;

use super::names::NameScheme;
use crate::go_quote::quote;
use crate::model::{
    Bucket, Count, Family, Histogram, Label, Metric, MetricType, Quantile, Summary, Value,
};
use crate::store::describe::collected_metric;
use std::borrow::Cow;
use wire::{Reader, WireError, FIXED64, LEN, VARINT};

pub use wire::{put_bytes, put_double, put_key, put_varint};

/// A body that cannot be decoded (→ 400, nothing stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<WireError> for DecodeError {
    fn from(e: WireError) -> DecodeError {
        DecodeError(match e {
            WireError::UnexpectedEof => "unexpected EOF".to_string(),
            WireError::Invalid => "proto: cannot parse invalid wire-format data".to_string(),
        })
    }
}

/// The decoded families, and the consistency problems upstream would report for them.
#[derive(Debug, Default)]
pub struct Decoded<'a> {
    pub families: Vec<Family<'a>>,
    pub problems: Vec<String>,
}

pub fn parse(body: &[u8], names: NameScheme) -> Result<Decoded<'_>, DecodeError> {
    let mut decoded = Decoded::default();
    let mut input = Reader::new(body);
    while !input.is_empty() {
        let message = input.bytes()?;
        let family = family(message, names, &mut decoded.problems)?;
        // A later family of the same name replaces the earlier one (spec §5.3).
        match decoded.families.iter_mut().find(|f| f.name == family.name) {
            Some(earlier) => *earlier = family,
            None => decoded.families.push(family),
        }
    }
    Ok(decoded)
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|_| DecodeError(format!("invalid {what} {}", quote(bytes))))
}

fn family<'a>(
    message: &'a [u8],
    names: NameScheme,
    problems: &mut Vec<String>,
) -> Result<Family<'a>, DecodeError> {
    let mut r = Reader::new(message);
    let (mut name, mut help, mut mtype, mut metrics) =
        (&b""[..], None, MetricType::Counter, Vec::new());
    let mut unit = None;
    while !r.is_empty() {
        match r.key()? {
            (1, LEN) => name = r.bytes()?,
            (2, LEN) => help = Some(r.bytes()?),
            (3, VARINT) => {
                let n = r.varint()?;
                mtype = MetricType::from_protobuf_number(n)
                    .ok_or_else(|| DecodeError(format!("unknown metric type {n}")))?;
            }
            (4, LEN) => metrics.push(r.bytes()?),
            (5, LEN) => unit = Some(Cow::Borrowed(utf8(r.bytes()?, "unit")?)),
            (_, wire_type) => r.skip(wire_type)?,
        }
    }
    let name = utf8(name, "metric name")?;
    if !names.allows_metric_name(name) {
        return Err(DecodeError(format!(
            "invalid metric name {}",
            quote(name.as_bytes())
        )));
    }
    let help = match help {
        Some(h) => Some(Cow::Borrowed(std::str::from_utf8(h).map_err(|_| {
            DecodeError(format!(
                "HELP text for metric name {} is not valid UTF-8",
                quote(name.as_bytes())
            ))
        })?)),
        None => None,
    };
    let metrics = metrics
        .into_iter()
        .map(|m| metric(m, name, mtype, names, problems))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Family {
        name: Cow::Borrowed(name),
        help,
        mtype,
        unit,
        metrics,
    })
}

/// The value fields a `Metric` may carry, by field number, as (field, message) pairs.
const GAUGE: u32 = 2;
const COUNTER: u32 = 3;
const SUMMARY: u32 = 4;
const UNTYPED: u32 = 5;
const HISTOGRAM: u32 = 7;

fn value_field(t: MetricType) -> u32 {
    match t {
        MetricType::Counter => COUNTER,
        MetricType::Gauge => GAUGE,
        MetricType::Summary => SUMMARY,
        MetricType::Untyped => UNTYPED,
        MetricType::Histogram | MetricType::GaugeHistogram => HISTOGRAM,
    }
}

fn metric<'a>(
    message: &'a [u8],
    name: &str,
    mtype: MetricType,
    names: NameScheme,
    problems: &mut Vec<String>,
) -> Result<Metric<'a>, DecodeError> {
    let mut r = Reader::new(message);
    let mut labels = Vec::new();
    let mut bad_values: Vec<(&str, &[u8])> = Vec::new();
    let mut values: Vec<(u32, &'a [u8])> = Vec::new();
    let mut timestamp_ms = None;
    while !r.is_empty() {
        match r.key()? {
            (1, LEN) => {
                let (label_name, label_value) = label_pair(r.bytes()?)?;
                let label_name = utf8(label_name, "label name")?;
                if !names.allows_label_name(label_name) {
                    return Err(DecodeError(format!(
                        "invalid label name {}",
                        quote(label_name.as_bytes())
                    )));
                }
                let value = std::str::from_utf8(label_value).unwrap_or_else(|_| {
                    bad_values.push((label_name, label_value));
                    ""
                });
                labels.push(Label {
                    name: Cow::Borrowed(label_name),
                    value: Cow::Borrowed(value),
                });
            }
            (6, VARINT) => timestamp_ms = Some(r.varint()? as i64),
            (field @ (GAUGE | COUNTER | SUMMARY | UNTYPED | HISTOGRAM), LEN) => {
                let bytes = r.bytes()?;
                // proto2 merges repeated occurrences of a message field; the last one wins for
                // every scalar we read, which is what matters here.
                values.retain(|(f, _)| *f != field);
                values.push((field, bytes));
            }
            (_, wire_type) => r.skip(wire_type)?,
        }
    }
    let wanted = value_field(mtype);
    let (field, bytes) = match values.iter().find(|(f, _)| *f == wanted).or(values.first()) {
        Some(&(f, b)) => (f, b),
        None => (0, &b""[..]),
    };
    let value = decode_value(field, bytes)?;
    let mut metric = Metric {
        labels,
        value,
        timestamp_ms,
        pb_value: None,
    };
    if field != wanted {
        let shown_as = match field {
            GAUGE => MetricType::Gauge,
            COUNTER => MetricType::Counter,
            SUMMARY => MetricType::Summary,
            HISTOGRAM => MetricType::Histogram,
            _ => MetricType::Untyped,
        };
        problems.push(format!(
            "{} is not a {}",
            collected_metric(name, shown_as, &metric),
            mtype.upper_name()
        ));
    }
    for (label_name, raw) in bad_values {
        problems.push(format!(
            "{} has a label named {} whose value is not utf8: {}",
            collected_metric(name, mtype, &metric),
            quote(label_name.as_bytes()),
            quote(raw)
        ));
    }
    if field == wanted {
        let mut encoded = Vec::with_capacity(bytes.len() + 6);
        put_bytes(&mut encoded, field, bytes);
        metric.pb_value = Some(encoded.into_boxed_slice());
    }
    Ok(metric)
}

fn label_pair(message: &[u8]) -> Result<(&[u8], &[u8]), DecodeError> {
    let mut r = Reader::new(message);
    let (mut name, mut value) = (&b""[..], &b""[..]);
    while !r.is_empty() {
        match r.key()? {
            (1, LEN) => name = r.bytes()?,
            (2, LEN) => value = r.bytes()?,
            (_, wire_type) => r.skip(wire_type)?,
        }
    }
    Ok((name, value))
}

fn decode_value(field: u32, message: &[u8]) -> Result<Value, DecodeError> {
    let mut r = Reader::new(message);
    Ok(match field {
        SUMMARY => {
            let mut s = Summary::default();
            while !r.is_empty() {
                match r.key()? {
                    (1, VARINT) => s.count = r.varint()?,
                    (2, FIXED64) => s.sum = r.double()?,
                    (3, LEN) => s.quantiles.push(quantile(r.bytes()?)?),
                    (_, wire_type) => r.skip(wire_type)?,
                }
            }
            Value::Summary(s)
        }
        HISTOGRAM => {
            let mut h = Histogram::default();
            while !r.is_empty() {
                match r.key()? {
                    (1, VARINT) => h.count = float_or_int(h.count, Count::Int(r.varint()?)),
                    (4, FIXED64) => h.count = Count::Float(r.double()?),
                    (2, FIXED64) => h.sum = r.double()?,
                    (3, LEN) => h.buckets.push(bucket(r.bytes()?)?),
                    (_, wire_type) => r.skip(wire_type)?,
                }
            }
            Value::Histogram(h)
        }
        _ => {
            let mut v = 0.0;
            while !r.is_empty() {
                match r.key()? {
                    (1, FIXED64) => v = r.double()?,
                    (_, wire_type) => r.skip(wire_type)?,
                }
            }
            Value::Simple(v)
        }
    })
}

/// A float count, once set, wins over the integer one (client_golang reads the float first).
fn float_or_int(current: Count, int: Count) -> Count {
    match current {
        Count::Float(f) if f != 0.0 => current,
        _ => int,
    }
}

fn quantile(message: &[u8]) -> Result<Quantile, DecodeError> {
    let mut r = Reader::new(message);
    let mut q = Quantile {
        quantile: 0.0,
        value: 0.0,
    };
    while !r.is_empty() {
        match r.key()? {
            (1, FIXED64) => q.quantile = r.double()?,
            (2, FIXED64) => q.value = r.double()?,
            (_, wire_type) => r.skip(wire_type)?,
        }
    }
    Ok(q)
}

fn bucket(message: &[u8]) -> Result<Bucket, DecodeError> {
    let mut r = Reader::new(message);
    let mut b = Bucket {
        upper_bound: 0.0,
        count: Count::Int(0),
    };
    while !r.is_empty() {
        match r.key()? {
            (1, VARINT) => b.count = float_or_int(b.count, Count::Int(r.varint()?)),
            (4, FIXED64) => b.count = Count::Float(r.double()?),
            (2, FIXED64) => b.upper_bound = r.double()?,
            (_, wire_type) => r.skip(wire_type)?,
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests;
