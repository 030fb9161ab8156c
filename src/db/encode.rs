//! A live group re-encoded, for compaction, as the records that rebuild it exactly when
//! replayed into an empty store: its families with their stamps, `push_time_seconds` (value and
//! stamp) and `push_failure_time_seconds` (value and stamp).
//!
//! What the bookkeeping families tell (spec §6.2, §6.6): a push at `t` stamps its families and
//! `push_time_seconds` with `t`; a failure at `t` sets `push_failure_time_seconds` to `t`; a
//! group is created by its first push or failure, whose time stamps both bookkeeping families.
//! So `push_time_seconds`' stamp is the last push (or, if there never was one, the creation),
//! and while no push failed, `push_failure_time_seconds`' stamp is the creation.
//!
//! The records: an empty PUT at the creation (or, after a failure, at the last push), then one
//! POST per family at its stamp, those stamped with the last push last; an empty POST at the
//! last push unless the last family POST was at that time; finally the failure, if any. A
//! group that never had a successful push is its failure(s) alone. One family per record: it
//! keeps every record within one push's size, and no body holds two families whose names the
//! text parser could confuse (`x` and `x_count`, stored apart in unchecked mode).
//!
//! Families are written as text format 0.0.4 bodies that the text parser reads back to the
//! same model: `# HELP`/`# TYPE` lines, names quoted when they are not legacy names, exactly the
//! stored buckets and quantiles, without the labels that the push's sanitisation puts back
//! (the grouping labels, and `instance=""` when the key has no instance). Text cannot carry
//! native histograms or exemplars; once protobuf bodies are accepted, compaction must write
//! those families as protobuf.

use crate::float_format::write_go_float;
use crate::grouping::GroupingKey;
use crate::model::{Family, Label, MetricType, Value};
use crate::parse::names::{is_legacy_label_name, is_legacy_metric_name};
use crate::store::fragment::{write_escaped_help, write_escaped_label_value};
use crate::store::{Group, StoredFamily, PUSH_FAILURE_TIME, PUSH_TIME};
use crate::wal::{BodyFormat, Pairs, Record};
use std::borrow::Cow;

/// Hands `emit` the records that rebuild `group`, in order.
pub fn group_records(group: &Group, emit: &mut dyn FnMut(&Record<'_>)) {
    let key = Cow::Borrowed(group.key.labels());
    let stamp = |name: &str| group.families[name].stamp.unix_nanos;
    let (pushed_at, failed_at) = (stamp(PUSH_TIME), stamp(PUSH_FAILURE_TIME));
    let failure = |time_nanos| Record::Failure {
        time_nanos,
        key: key.clone(),
    };
    let mut families: Vec<&StoredFamily> = group
        .families
        .iter()
        .filter(|(name, _)| !crate::store::is_bookkeeping(name))
        .map(|(_, stored)| stored)
        .collect();

    if group.push_time() == 0.0 && families.is_empty() {
        emit(&failure(pushed_at));
        if failed_at != pushed_at {
            emit(&failure(failed_at));
        }
        return;
    }
    let never_failed = group.failure_time() == 0.0;
    let first = if never_failed { failed_at } else { pushed_at };
    emit(&push_record(&key, first, true, b""));
    // Stable: families of one stamp stay in name order.
    families.sort_by_key(|f| (f.stamp.unix_nanos == pushed_at, f.stamp));
    let mut last = first;
    let mut body = Vec::new();
    for stored in families {
        body.clear();
        write_family(&mut body, &group.key, &stored.family);
        last = stored.stamp.unix_nanos;
        emit(&push_record(&key, last, false, &body));
    }
    if last != pushed_at {
        emit(&push_record(&key, pushed_at, false, b""));
    }
    if !never_failed {
        emit(&failure(failed_at));
    }
}

fn push_record<'a>(key: &Pairs<'a>, time_nanos: i64, replace: bool, body: &'a [u8]) -> Record<'a> {
    Record::Push {
        time_nanos,
        key: key.clone(),
        replace,
        format: BodyFormat::Text,
        // Quoted names need it to parse; legacy names parse the same either way.
        utf8_names: true,
        body,
    }
}

/// One family as a text body that parses back to it when pushed to `key`.
pub fn write_family(out: &mut Vec<u8>, key: &GroupingKey, family: &Family<'_>) {
    let name = &*family.name;
    if let Some(help) = &family.help {
        out.extend_from_slice(b"# HELP ");
        write_metric_name(out, name, "");
        out.push(b' ');
        write_escaped_help(out, help);
        out.push(b'\n');
    }
    out.extend_from_slice(b"# TYPE ");
    write_metric_name(out, name, "");
    out.push(b' ');
    out.extend_from_slice(match family.mtype {
        // The text format's own word, which `text_name` folds into `histogram` for scrapes.
        MetricType::GaugeHistogram => b"gauge_histogram",
        other => other.text_name().as_bytes(),
    });
    out.push(b'\n');
    let mut labels: Vec<&Label<'_>> = Vec::new();
    for metric in &family.metrics {
        labels.clear();
        labels.extend(metric.labels.iter().filter(|l| !restored_by_push(key, l)));
        match &metric.value {
            Value::Simple(v) => write_line(out, name, "", &labels, None, *v),
            Value::Summary(s) => {
                for q in &s.quantiles {
                    let quantile = Some(("quantile", q.quantile));
                    write_line(out, name, "", &labels, quantile, q.value);
                }
                write_line(out, name, "_sum", &labels, None, s.sum);
                write_line(out, name, "_count", &labels, None, s.count as f64);
            }
            Value::Histogram(h) => {
                for b in &h.buckets {
                    let le = Some(("le", b.upper_bound));
                    write_line(out, name, "_bucket", &labels, le, b.count.as_f64());
                }
                write_line(out, name, "_sum", &labels, None, h.sum);
                write_line(out, name, "_count", &labels, None, h.count.as_f64());
            }
        }
    }
}

/// Labels that sanitising a push to `key` puts back as they are (spec §6.3).
fn restored_by_push(key: &GroupingKey, label: &Label<'_>) -> bool {
    key.get(&label.name).is_some()
        || (label.name == "instance" && label.value.is_empty() && key.get("instance").is_none())
}

fn write_line(
    out: &mut Vec<u8>,
    name: &str,
    suffix: &str,
    labels: &[&Label<'_>],
    extra: Option<(&str, f64)>,
    value: f64,
) {
    write_metric_name(out, name, suffix);
    if !labels.is_empty() || extra.is_some() {
        out.push(b'{');
        for (i, label) in labels.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if is_legacy_label_name(label.name.as_bytes()) {
                out.extend_from_slice(label.name.as_bytes());
            } else {
                write_quoted(out, &label.name, "");
            }
            out.extend_from_slice(b"=\"");
            write_escaped_label_value(out, &label.value);
            out.push(b'"');
        }
        if let Some((extra_name, extra_value)) = extra {
            if !labels.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(extra_name.as_bytes());
            out.extend_from_slice(b"=\"");
            write_go_float(out, extra_value);
            out.push(b'"');
        }
        out.push(b'}');
    }
    out.push(b' ');
    // Go's form, not the exposition's: it keeps the sign of −0.
    write_go_float(out, value);
    out.push(b'\n');
}

fn write_metric_name(out: &mut Vec<u8>, name: &str, suffix: &str) {
    if is_legacy_metric_name(name.as_bytes()) {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
    } else {
        write_quoted(out, name, suffix);
    }
}

/// A quoted name: the text format escapes `\`, `"` and newline in it as in label values.
fn write_quoted(out: &mut Vec<u8>, name: &str, suffix: &str) {
    out.push(b'"');
    write_escaped_label_value(out, name);
    out.extend_from_slice(suffix.as_bytes());
    out.push(b'"');
}
