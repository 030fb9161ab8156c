//! The Metrics tab (spec §11.1): one row per group, and, fetched when a row is opened, the
//! group's families and series.
//!
//! Why two requests: with 10 000 groups the page must paint before every series is rendered.
//! The page carries each group's header only (badges, times, delete button) inside a closed
//! `<details>`; opening it fetches `?group=<group path>` from the same page URL, which answers
//! with [`group_body`] as an HTML fragment. Rendering (and so escaping) stays on the server, in
//! one place; the script only inserts the fragment.

use super::group_path::group_path;
use super::html::Html;
use crate::clock::Timestamp;
use crate::expiry;
use crate::model::{Count, Metric, Value};
use crate::native_histogram::{self, BucketCount, Native};
use crate::store::{Group, StoredFamily};
use crate::time_format::rfc3339_seconds;
use crate::time_zone::Zone;
use std::time::Duration;

/// What the Metrics tab needs beyond the groups.
pub struct MetricsOptions<'a> {
    /// `--web.enable-admin-api`: offer `Delete All`.
    pub admin_api: bool,
    /// `--push.enable-utf8-names`: how names are written in group paths.
    pub utf8_names: bool,
    /// The zone times are printed in.
    pub zone: &'a Zone,
    /// `--push.group-ttl` when on: each row shows when its group expires.
    pub group_ttl: Option<Duration>,
}

pub fn write_metrics_tab(h: &mut Html, groups: &[&Group], opts: &MetricsOptions<'_>) {
    let count = groups.len().to_string();
    h.raw("<div class=\"toolbar\">")
        .raw("<input type=\"search\" id=\"filter\" placeholder=\"Filter groups by label\" aria-label=\"Filter groups by label\">")
        .raw("<span class=\"muted\"><span id=\"group-count\">")
        .text(&count)
        .raw("</span> groups</span>");
    if opts.admin_api {
        h.raw("<button type=\"button\" class=\"danger\" id=\"delete-all\" data-url=\"api/v1/admin/wipe\"");
        if groups.is_empty() {
            h.raw(" disabled");
        }
        h.raw(">Delete All <span class=\"count\" id=\"delete-all-count\">")
            .text(&count)
            .raw("</span> Groups</button>");
    }
    h.raw("</div>\n<p class=\"empty\" id=\"no-groups\"");
    if !groups.is_empty() {
        h.raw(" hidden");
    }
    h.raw(">No metric groups.</p>\n<div id=\"groups\">\n");
    for group in groups {
        write_group_row(h, group, opts);
    }
    h.raw("</div>\n");
}

/// One group's row. Its group path is written once, in `data-path`: the script opens the group
/// by fetching `?group=<path>` and deletes it with `DELETE metrics/<path>`, both relative to
/// the page. Every byte counts here: 10 000 rows make one page.
fn write_group_row(h: &mut Html, group: &Group, opts: &MetricsOptions<'_>) {
    let failed = !group.last_push_successful();
    h.raw(if failed {
        "<section class=\"group failed\""
    } else {
        "<section class=\"group\""
    })
    .attr("data-path", &group_path(&group.key, opts.utf8_names))
    .raw("><details><summary>");
    h.grouping_badges(group.key.labels());
    if failed {
        h.raw("<span class=\"badge failed\">Last push failed!</span> ");
    }
    h.raw("<span class=\"times\">last push ");
    write_time(h, group.push_time(), opts.zone);
    h.raw(" &middot; <span class=\"failure\">last failure ");
    write_time(h, group.failure_time(), opts.zone);
    h.raw("</span>");
    if let Some(ttl) = opts.group_ttl {
        h.raw(" &middot; <span class=\"expiry\">expires ")
            .text(&rfc3339_seconds(expiry::deadline(group, ttl), opts.zone))
            .raw("</span>");
    }
    h.raw("</span></summary><div class=\"families\"></div></details><button type=\"button\" class=\"danger small delete-group\">Delete Group</button></section>\n");
}

/// A bookkeeping time in seconds (0: never), to the second.
fn write_time(h: &mut Html, seconds: f64, zone: &Zone) {
    if seconds == 0.0 {
        h.raw("<span class=\"never\">never</span>");
        return;
    }
    // A float → int cast saturates, so no stored value can overflow here.
    let stamp = Timestamp::from_unix_nanos((seconds * 1e9) as i64);
    h.text(&rfc3339_seconds(stamp, zone));
}

/// The fragment inside an opened group: one closed `<details>` per family, by name.
pub fn group_body(group: &Group, utf8_names: bool, zone: &Zone) -> String {
    let path = group_path(&group.key, utf8_names);
    let mut h = Html::new();
    for (name, stored) in &group.families {
        write_family(&mut h, &path, name, stored, zone);
    }
    h.finish()
}

fn write_family(h: &mut Html, group_path: &str, name: &str, stored: &StoredFamily, zone: &Zone) {
    let family = &stored.model();
    h.raw("<details class=\"family\"")
        .attr("data-state", &format!("{group_path} {name}"))
        .raw("><summary><span class=\"name\">")
        .text(name)
        .raw("</span> ");
    if let Some(help) = family.help.as_deref().filter(|h| !h.is_empty()) {
        h.raw("<span class=\"badge help\">")
            .text(help)
            .raw("</span> ");
    }
    h.raw("<span class=\"badge type\">")
        .raw(family.mtype.upper_name())
        .raw("</span> <span class=\"times\">last pushed ")
        .text(&rfc3339_seconds(stored.stamp, zone))
        .raw("</span></summary>\n<table class=\"series\"><thead><tr><th>Labels</th><th>Value</th></tr></thead><tbody>\n");
    for metric in &family.metrics {
        write_series(h, metric);
    }
    h.raw("</tbody></table></details>\n");
}

fn write_series(h: &mut Html, metric: &Metric<'_>) {
    h.raw("<tr><td>");
    for label in &metric.labels {
        h.label_badge(&label.name, &label.value).raw(" ");
    }
    h.raw("</td><td>");
    match &metric.value {
        Value::Simple(v) => {
            h.number(*v);
        }
        Value::Summary(s) => {
            h.raw("<table class=\"value\">");
            for q in &s.quantiles {
                h.raw("<tr><th>Quantile ")
                    .number(q.quantile)
                    .raw("</th><td>");
                h.number(q.value).raw("</td></tr>");
            }
            h.raw("<tr><th>Sample Count</th><td>").integer(s.count);
            h.raw("</td></tr><tr><th>Sample Sum</th><td>").number(s.sum);
            h.raw("</td></tr></table>");
        }
        Value::Histogram(hist) => {
            h.raw("<table class=\"value\">");
            if let Some(native) = metric
                .pb_value
                .as_deref()
                .and_then(native_histogram::decode)
            {
                write_native_row(h, &native);
            }
            for b in &hist.buckets {
                h.raw("<tr><th>Sample values &le; ").number(b.upper_bound);
                h.raw("</th><td>");
                write_count(h, b.count);
                h.raw("</td></tr>");
            }
            h.raw("<tr><th>Total Sample Count</th><td>");
            write_count(h, hist.count);
            h.raw("</td></tr><tr><th>Sample Sum</th><td>")
                .number(hist.sum);
            h.raw("</td></tr></table>");
        }
    }
    h.raw("</td></tr>\n");
}

/// One row with every non-empty native bucket, a line each: `[-2, -1.4142135623730951): 3`.
fn write_native_row(h: &mut Html, native: &Native) {
    h.raw("<tr><th>Native Histogram representation</th><td><pre class=\"native\">");
    for (i, b) in native.api_buckets().into_iter().enumerate() {
        if i > 0 {
            h.raw("\n");
        }
        h.raw(if b.rule & 1 == 1 { "[" } else { "(" })
            .number(b.lower)
            .raw(", ")
            .number(b.upper)
            .raw(if b.rule == 0 || b.rule == 3 {
                "]: "
            } else {
                "): "
            });
        match b.count {
            BucketCount::Int(n) => h.integer(n),
            BucketCount::Float(f) => h.number(f),
        };
    }
    h.raw("</pre></td></tr>");
}

fn write_count(h: &mut Html, count: Count) {
    match count {
        Count::Int(n) => h.integer(n),
        Count::Float(f) => h.number(f),
    };
}

#[cfg(test)]
mod tests;
