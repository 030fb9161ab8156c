//! Series descriptions for consistency errors, in the compact protobuf text form that
//! upstream's messages embed (`label:<name:"job" value:"x" > gauge:<value:1 > `). Clients key on
//! the status code, not this text (spec §6.1); the form only has to be clear and familiar.

use crate::float_format::write_go_float;
use crate::model::{Count, Metric, MetricType, Value};

/// `collected metric "<name>" { <series> }`, the prefix of most per-series errors.
pub fn collected_metric(name: &str, mtype: MetricType, metric: &Metric<'_>) -> String {
    let mut out = String::from("collected metric ");
    quote_into(&mut out, name);
    out.push_str(" { ");
    describe_into(&mut out, mtype, metric);
    out.push('}');
    out
}

fn describe_into(out: &mut String, mtype: MetricType, metric: &Metric<'_>) {
    for label in &metric.labels {
        out.push_str("label:<name:");
        quote_into(out, &label.name);
        out.push_str(" value:");
        quote_into(out, &label.value);
        out.push_str(" > ");
    }
    match &metric.value {
        Value::Simple(v) => {
            out.push_str(match mtype {
                MetricType::Counter => "counter",
                MetricType::Gauge => "gauge",
                _ => "untyped",
            });
            out.push_str(":<value:");
            float_into(out, *v);
            out.push_str(" > ");
        }
        Value::Summary(s) => {
            out.push_str("summary:<sample_count:");
            out.push_str(&s.count.to_string());
            out.push_str(" sample_sum:");
            float_into(out, s.sum);
            for q in &s.quantiles {
                out.push_str(" quantile:<quantile:");
                float_into(out, q.quantile);
                out.push_str(" value:");
                float_into(out, q.value);
                out.push_str(" >");
            }
            out.push_str(" > ");
        }
        Value::Histogram(h) => {
            out.push_str("histogram:<");
            count_into(out, "sample_count", h.count);
            out.push_str(" sample_sum:");
            float_into(out, h.sum);
            for b in &h.buckets {
                out.push_str(" bucket:<");
                count_into(out, "cumulative_count", b.count);
                out.push_str(" upper_bound:");
                float_into(out, b.upper_bound);
                out.push_str(" >");
            }
            out.push_str(" > ");
        }
    }
}

fn count_into(out: &mut String, field: &str, count: Count) {
    match count {
        Count::Int(n) => {
            out.push_str(field);
            out.push(':');
            out.push_str(&n.to_string());
        }
        Count::Float(f) => {
            out.push_str(field);
            out.push_str("_float:");
            float_into(out, f);
        }
    }
}

fn float_into(out: &mut String, v: f64) {
    let mut buf = Vec::with_capacity(24);
    write_go_float(&mut buf, v);
    out.push_str(std::str::from_utf8(&buf).expect("float formatting is ASCII"));
}

/// Go `%q`, as upstream's messages quote names.
pub fn quote_into(out: &mut String, s: &str) {
    out.push_str(&crate::go_quote::quote(s.as_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Label;
    use std::borrow::Cow;

    #[test]
    fn describes_a_gauge_like_upstream() {
        let metric = Metric {
            labels: vec![
                Label {
                    name: Cow::Borrowed("instance"),
                    value: Cow::Borrowed(""),
                },
                Label {
                    name: Cow::Borrowed("job"),
                    value: Cow::Borrowed("t2"),
                },
            ],
            value: Value::Simple(1.0),
            timestamp_ms: None,
            pb_value: None,
        };
        assert_eq!(
            collected_metric("m", MetricType::Gauge, &metric),
            r#"collected metric "m" { label:<name:"instance" value:"" > label:<name:"job" value:"t2" > gauge:<value:1 > }"#
        );
    }
}
