//! Pre-encoded protobuf exposition: each series as a ready `MetricFamily.metric` field
//! (key, length, `Metric` message), so a protobuf scrape, like a text one, only writes family
//! headers and copies series bytes (spec §8.7). A series pushed as protobuf re-emits its value
//! field exactly as pushed (`Metric::pb_value`); others are encoded from the model.

use super::fragment::Fragment;
use super::labels::SeriesLabels;
use crate::model::{Count, Family, Metric, MetricType, Value};
use crate::parse::protobuf::{put_bytes, put_double, put_key, put_varint};
use crate::parse::text::parse_float;

const VARINT: u8 = 0;

/// The series of one family as encoded `metric` fields, with their offsets.
pub fn render(family: &Family<'_>) -> Fragment {
    let mut text = Vec::with_capacity(family.metrics.len() * 48);
    let mut offsets = Vec::with_capacity(family.metrics.len());
    let mut message = Vec::with_capacity(64);
    for metric in &family.metrics {
        offsets.push(u32::try_from(text.len()).expect("a fragment is smaller than 4 GiB"));
        message.clear();
        encode_metric(&mut message, family.mtype, metric);
        put_bytes(&mut text, 4, &message);
    }
    Fragment {
        text: text.into(),
        offsets: offsets.into(),
    }
}

/// The series of a compact family (see `StoredFamily`) encoded straight from its text lines,
/// one a series: what [`render`] makes of the model they read back to, without making one.
pub fn render_lines(fragment: &Fragment, mtype: MetricType) -> Fragment {
    let mut text = Vec::with_capacity(fragment.text.len() + fragment.series_count() * 8);
    let offsets = render_lines_into(fragment, mtype, &mut text);
    Fragment {
        text: text.into(),
        offsets,
    }
}

/// [`render_lines`] appended to `text`; the offsets are from where it started.
pub fn render_lines_into(fragment: &Fragment, mtype: MetricType, text: &mut Vec<u8>) -> Box<[u32]> {
    let count = fragment.series_count();
    let base = text.len();
    let mut offsets = Vec::with_capacity(count);
    let (mut message, mut pair, mut value) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..count {
        let offset = text.len() - base;
        offsets.push(u32::try_from(offset).expect("a fragment is smaller than 4 GiB"));
        message.clear();
        for (name, label_value) in SeriesLabels::Line(fragment.from_series(i)).pairs() {
            value.clear();
            label_value.write_to(&mut value);
            pair.clear();
            put_bytes(&mut pair, 1, name);
            put_bytes(&mut pair, 2, &value);
            put_bytes(&mut message, 1, &pair);
        }
        let (start, end) = fragment.series_range(i);
        // After the identity and its space, before the newline.
        let sample = &fragment.text[start + fragment.identity(i).len() + 1..end - 1];
        let sample = std::str::from_utf8(sample).ok().and_then(parse_float);
        let sample = sample.expect("a compact series' value reads back");
        encode_value(&mut message, mtype, &Value::Simple(sample));
        put_bytes(text, 4, &message);
    }
    offsets.into()
}

/// Writes the length prefix and the header fields of a `MetricFamily` whose metric fields
/// (already encoded, `series_bytes` long) follow.
pub fn write_family_header(
    out: &mut Vec<u8>,
    name: &str,
    help: Option<&str>,
    mtype: MetricType,
    unit: Option<&str>,
    series_bytes: usize,
) {
    let mut header = Vec::with_capacity(name.len() + help.map_or(0, str::len) + 16);
    put_bytes(&mut header, 1, name.as_bytes());
    if let Some(help) = help {
        put_bytes(&mut header, 2, help.as_bytes());
    }
    put_key(&mut header, 3, VARINT);
    put_varint(&mut header, u64::from(mtype.protobuf_number()));
    if let Some(unit) = unit {
        put_bytes(&mut header, 5, unit.as_bytes());
    }
    put_varint(out, (header.len() + series_bytes) as u64);
    out.extend_from_slice(&header);
}

fn encode_metric(out: &mut Vec<u8>, mtype: MetricType, metric: &Metric<'_>) {
    let mut pair = Vec::with_capacity(32);
    for label in &metric.labels {
        pair.clear();
        put_bytes(&mut pair, 1, label.name.as_bytes());
        put_bytes(&mut pair, 2, label.value.as_bytes());
        put_bytes(out, 1, &pair);
    }
    match &metric.pb_value {
        Some(raw) => out.extend_from_slice(raw),
        None => encode_value(out, mtype, &metric.value),
    }
}

/// True if a series' value field says no more than its modelled value: nothing pushed (text),
/// or exactly what [`encode_value`] writes for it (no exemplar, no created timestamp).
pub fn value_is_modelled(mtype: MetricType, metric: &Metric<'_>, scratch: &mut Vec<u8>) -> bool {
    metric.pb_value.as_deref().is_none_or(|raw| {
        scratch.clear();
        encode_value(scratch, mtype, &metric.value);
        raw == &scratch[..]
    })
}

/// The value field (key, length, message) encoding a modelled value.
fn encode_value(out: &mut Vec<u8>, mtype: MetricType, value: &Value) {
    let mut message = Vec::new();
    let field = match value {
        Value::Simple(v) => {
            // `value` (field 1, 64-bit), written in place: most series take this path.
            let mut simple = [0; 9];
            simple[0] = 1 << 3 | 1;
            simple[1..].copy_from_slice(&v.to_bits().to_le_bytes());
            let field = match mtype {
                MetricType::Counter => 3,
                MetricType::Gauge => 2,
                _ => 5,
            };
            put_bytes(out, field, &simple);
            return;
        }
        Value::Summary(s) => {
            put_key(&mut message, 1, VARINT);
            put_varint(&mut message, s.count);
            put_double(&mut message, 2, s.sum);
            let mut q = Vec::with_capacity(18);
            for quantile in &s.quantiles {
                q.clear();
                put_double(&mut q, 1, quantile.quantile);
                put_double(&mut q, 2, quantile.value);
                put_bytes(&mut message, 3, &q);
            }
            4
        }
        Value::Histogram(h) => {
            put_count(&mut message, 1, 4, h.count);
            put_double(&mut message, 2, h.sum);
            let mut b = Vec::with_capacity(20);
            for bucket in &h.buckets {
                b.clear();
                put_count(&mut b, 1, 4, bucket.count);
                put_double(&mut b, 2, bucket.upper_bound);
                put_bytes(&mut message, 3, &b);
            }
            7
        }
    };
    put_bytes(out, field, &message);
}

/// An integer count in its varint field, a float count in its double field.
fn put_count(out: &mut Vec<u8>, int_field: u32, float_field: u32, count: Count) {
    match count {
        Count::Int(n) => {
            put_key(out, int_field, VARINT);
            put_varint(out, n);
        }
        Count::Float(f) => put_double(out, float_field, f),
    }
}
