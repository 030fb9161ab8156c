//! `GET /api/v1/status` and `GET /api/v1/metrics` (spec §9): the JSON documents, key for key as
//! upstream's `encoding/json` writes them. CORS headers are added by the dispatcher.
//!
//! Owns: the shape of the two documents. Must never: change the store, or hold a document's
//! pieces in more than one place (the web UI reads the same `build_information` list).

use super::App;
use crate::build_info;
use crate::http::{Body, Response};
use crate::json::{sorted_map, JsonWriter};
use crate::model::{Count, Metric, Value};
use crate::native_histogram::{self, BucketCount, Native};
use crate::store::{Group, StoredFamily};
use crate::time_format::rfc3339_nano;
use crate::time_zone::Zone;

const JSON_CONTENT_TYPE: &str = "application/json";

/// `build_information` of the status document and the UI's status page, sorted by key.
pub fn build_information() -> [(&'static str, &'static str); 6] {
    [
        ("branch", build_info::BRANCH),
        ("buildDate", build_info::BUILD_DATE),
        ("buildUser", build_info::BUILD_USER),
        ("goVersion", build_info::COMPILER_VERSION),
        ("revision", build_info::REVISION),
        ("version", build_info::VERSION),
    ]
}

impl App {
    pub(super) fn api_status(&self) -> Response {
        let mut w = JsonWriter::new();
        begin_success(&mut w);
        w.begin_object();
        w.key("build_information");
        w.string_map(build_information().to_vec());
        w.key("flags");
        w.string_map(self.config.flag_map());
        w.key("start_time");
        w.string(&rfc3339_nano(self.start_time, &self.zone));
        w.end_object();
        json_response(w)
    }

    pub(super) fn api_metrics(&self) -> Response {
        let mut w = JsonWriter::new();
        begin_success(&mut w);
        w.begin_array();
        // Upstream's order is its hash map's; ours is the UI's, so repeated calls agree.
        for group in self.store.groups_sorted() {
            write_group(&mut w, group, &self.zone);
        }
        w.end_array();
        json_response(w)
    }
}

/// `{"status":"success","data":` — the caller writes the data and `json_response` closes it.
fn begin_success(w: &mut JsonWriter) {
    w.begin_object();
    w.key("status");
    w.string("success");
    w.key("data");
}

fn json_response(mut w: JsonWriter) -> Response {
    w.end_object();
    Response::new(200)
        .header("Content-Type", JSON_CONTENT_TYPE)
        .body(Body::Bytes(w.finish()))
}

/// One key of a group's object: upstream puts `labels`, `last_push_successful` and every family
/// into one map, so a family of either name overwrites that key (spec §9.3, Quirk).
enum GroupEntry<'a> {
    Labels,
    LastPushSuccessful,
    Family(&'a StoredFamily),
}

fn write_group(w: &mut JsonWriter, group: &Group, zone: &Zone) {
    let mut entries: Vec<(&str, GroupEntry<'_>)> = vec![
        ("labels", GroupEntry::Labels),
        ("last_push_successful", GroupEntry::LastPushSuccessful),
    ];
    entries.extend(
        group
            .families
            .iter()
            .map(|(name, stored)| (&**name, GroupEntry::Family(stored))),
    );
    w.begin_object();
    for (key, entry) in sorted_map(entries) {
        w.key(key);
        match entry {
            GroupEntry::Labels => w.string_map(group.key.labels().to_vec()),
            GroupEntry::LastPushSuccessful => w.bool(group.last_push_successful()),
            GroupEntry::Family(stored) => write_family(w, stored, zone),
        }
    }
    w.end_object();
}

/// A struct upstream, so its keys keep this order; `help` is omitted when empty.
fn write_family(w: &mut JsonWriter, stored: &StoredFamily, zone: &Zone) {
    let family = &stored.model();
    w.begin_object();
    w.key("time_stamp");
    w.string(&rfc3339_nano(stored.stamp, zone));
    w.key("type");
    w.string(family.mtype.upper_name());
    if let Some(help) = family.help.as_deref().filter(|h| !h.is_empty()) {
        w.key("help");
        w.string(help);
    }
    w.key("metrics");
    w.begin_array();
    for metric in &family.metrics {
        write_metric(w, metric);
    }
    w.end_array();
    w.end_object();
}

/// A Go map upstream: keys in byte order (`buckets`/`count` < `labels` < `quantiles`/`sum` <
/// `value`). Gauge histograms are written as histograms; upstream falls through to `value`
/// and writes `"0"` for them, which says nothing.
fn write_metric(w: &mut JsonWriter, metric: &Metric<'_>) {
    let labels = || {
        metric
            .labels
            .iter()
            .map(|l| (&*l.name, &*l.value))
            .collect::<Vec<_>>()
    };
    w.begin_object();
    match &metric.value {
        Value::Simple(v) => {
            w.key("labels");
            w.string_map(labels());
            w.key("value");
            w.float_string(*v);
        }
        Value::Summary(s) => {
            w.key("count");
            w.uint_string(s.count);
            w.key("labels");
            w.string_map(labels());
            w.key("quantiles");
            w.string_map(
                s.quantiles
                    .iter()
                    .map(|q| (go_float(q.quantile), go_float(q.value)))
                    .collect(),
            );
            w.key("sum");
            w.float_string(s.sum);
        }
        Value::Histogram(h) => {
            if let Some(native) = metric
                .pb_value
                .as_deref()
                .and_then(native_histogram::decode)
            {
                write_native_histogram(w, &native, h.sum, labels());
                w.end_object();
                return;
            }
            w.key("buckets");
            w.string_map(
                h.buckets
                    .iter()
                    .map(|b| (go_float(b.upper_bound), count_string(b.count)))
                    .collect(),
            );
            w.key("count");
            w.string(&count_string(h.count));
            w.key("labels");
            w.string_map(labels());
            w.key("sum");
            w.float_string(h.sum);
        }
    }
    w.end_object();
}

/// A native histogram (upstream 1.8+): `buckets` is an array of
/// `[rule, "lower", "upper", "count"]`, and `count` the integer or float sample count.
fn write_native_histogram(
    w: &mut JsonWriter,
    native: &Native,
    sum: f64,
    labels: Vec<(&str, &str)>,
) {
    w.key("buckets");
    w.begin_array();
    for bucket in native.api_buckets() {
        w.begin_array();
        w.uint(u64::from(bucket.rule));
        w.float_string(bucket.lower);
        w.float_string(bucket.upper);
        write_bucket_count(w, bucket.count);
        w.end_array();
    }
    w.end_array();
    w.key("count");
    write_bucket_count(w, native.count());
    w.key("labels");
    w.string_map(labels);
    w.key("sum");
    w.float_string(sum);
}

fn write_bucket_count(w: &mut JsonWriter, count: BucketCount) {
    match count {
        BucketCount::Int(n) => w.uint_string(n),
        BucketCount::Float(f) => w.float_string(f),
    }
}

fn go_float(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    crate::float_format::write_go_float(&mut out, v);
    String::from_utf8(out).expect("a formatted float is ASCII")
}

/// Upstream writes the float count when it is positive and the integer count otherwise, which
/// for a float histogram is the unset integer, 0.
fn count_string(count: Count) -> String {
    match count {
        Count::Int(n) => n.to_string(),
        Count::Float(f) if f > 0.0 => go_float(f),
        Count::Float(_) => "0".to_string(),
    }
}

#[cfg(test)]
mod tests;
