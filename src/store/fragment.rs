//! Pre-rendered text exposition (format 0.0.4) of one family's series, built once when a push
//! is accepted so that a scrape never formats a number (DESIGN.md, data flow).
//!
//! A fragment holds only sample lines; `# HELP` and `# TYPE` are written by the scrape, because
//! HELP and type belong to the merged family, not to one group. Each series' lines start at a
//! recorded offset, so a scrape can interleave the series of several groups in sorted order.
//!
//! Names are written as they are, except in [`Fragment::render_quoted`] (the `allow-utf-8`
//! escaping of spec §8.4, as expfmt writes it): a name outside the legacy character set is
//! written in double quotes, and a metric name that is not legacy moves inside the braces,
//! `{"my.metric",job="x"} 1`.

use crate::escaping::NameKind;
use crate::float_format::write_expo_float;
use crate::model::{Family, Label, Metric, Value};
use std::rc::Rc;

/// The rendered sample lines of one family, and where each series begins.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub text: Rc<[u8]>,
    /// `offsets[i]` is where series `i` (in the family's stored order) begins; the series ends
    /// where the next begins, or at `text.len()`.
    pub offsets: Box<[u32]>,
}

impl Fragment {
    /// Every name as it is: all of them are legacy names, or the scrape asked for an escaping
    /// that rewrote them into legacy names before.
    pub fn render(family: &Family<'_>) -> Fragment {
        Fragment::render_names(family, false)
    }

    /// Names that are not legacy quoted.
    pub fn render_quoted(family: &Family<'_>) -> Fragment {
        Fragment::render_names(family, true)
    }

    fn render_names(family: &Family<'_>, quote: bool) -> Fragment {
        let mut text = Vec::with_capacity(estimated_size(family));
        let mut offsets = Vec::with_capacity(family.metrics.len());
        for metric in &family.metrics {
            offsets.push(u32::try_from(text.len()).expect("a fragment is smaller than 4 GiB"));
            write_series(&mut text, &family.name, metric, quote);
        }
        Fragment {
            text: text.into(),
            offsets: offsets.into(),
        }
    }

    /// How many series it holds.
    pub fn series_count(&self) -> usize {
        self.offsets.len()
    }

    /// The bytes from the start of series `i` to the end.
    pub fn from_series(&self, i: usize) -> &[u8] {
        &self.text[self.offsets[i] as usize..]
    }

    /// The identity of series `i` of a compact family (one line a series): its line up to the
    /// space before the value, which is [`write_identity`] of its name and labels.
    pub fn identity(&self, i: usize) -> &[u8] {
        let (start, end) = self.series_range(i);
        let line = &self.text[start..end];
        let value = memchr::memrchr(b' ', line).expect("a sample line has a value");
        &line[..value]
    }

    /// The byte range of series `i`.
    pub fn series_range(&self, i: usize) -> (usize, usize) {
        let start = self.offsets[i] as usize;
        let end = self
            .offsets
            .get(i + 1)
            .map_or(self.text.len(), |&o| o as usize);
        (start, end)
    }
}

/// A series' identity as the index hashes it: `name{a="x",b="y"}`, or `name` alone; names as
/// they are, values escaped. Exactly how a sample line of a counter, gauge or untyped series
/// begins.
pub fn write_identity(out: &mut Vec<u8>, name: &str, labels: &[Label<'_>]) {
    out.extend_from_slice(name.as_bytes());
    if !labels.is_empty() {
        write_labels(out, labels, true, false);
        out.push(b'}');
    }
}

/// A little more than a family's rendering takes, so that it is written without regrowing.
fn estimated_size(family: &Family<'_>) -> usize {
    let per_line = |m: &Metric<'_>| {
        let labels: usize = m
            .labels
            .iter()
            .map(|l| l.name.len() + l.value.len() + 4)
            .sum();
        family.name.len() + labels + 40
    };
    let lines = |m: &Metric<'_>| match &m.value {
        Value::Simple(_) => 1,
        Value::Summary(s) => s.quantiles.len() + 2,
        Value::Histogram(h) => h.buckets.len() + 3,
    };
    family.metrics.iter().map(|m| per_line(m) * lines(m)).sum()
}

/// Writes every sample line of one series, as expfmt does: summaries as quantile lines then
/// `_sum` and `_count`; histograms as buckets, a synthesised `+Inf` bucket when none is stored,
/// then `_sum` and `_count`.
fn write_series(out: &mut Vec<u8>, name: &str, metric: &Metric<'_>, quote: bool) {
    let mut sample = |suffix: &str, extra: Option<(&str, f64)>, value: f64| {
        write_sample(out, name, suffix, &metric.labels, extra, value, quote);
    };
    match &metric.value {
        Value::Simple(v) => sample("", None, *v),
        Value::Summary(s) => {
            for q in &s.quantiles {
                sample("", Some(("quantile", q.quantile)), q.value);
            }
            sample("_sum", None, s.sum);
            sample("_count", None, s.count as f64);
        }
        Value::Histogram(h) => {
            let mut has_inf = false;
            for b in &h.buckets {
                has_inf |= b.upper_bound == f64::INFINITY;
                sample("_bucket", Some(("le", b.upper_bound)), b.count.as_f64());
            }
            if !has_inf {
                sample("_bucket", Some(("le", f64::INFINITY)), h.count.as_f64());
            }
            sample("_sum", None, h.sum);
            sample("_count", None, h.count.as_f64());
        }
    }
}

fn write_sample(
    out: &mut Vec<u8>,
    name: &str,
    suffix: &str,
    labels: &[Label<'_>],
    extra: Option<(&str, f64)>,
    value: f64,
    quote: bool,
) {
    // A legacy name stays legacy with a suffix, and one that is not stays not.
    let inside = quote && !NameKind::Metric.is_legacy(name);
    if inside {
        out.extend_from_slice(b"{\"");
        write_escaped_label_value(out, name);
        write_escaped_label_value(out, suffix);
        out.push(b'"');
    } else {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
    }
    if inside || !labels.is_empty() || extra.is_some() {
        write_labels(out, labels, !inside, quote);
        if let Some((extra_name, extra_value)) = extra {
            if !labels.is_empty() || inside {
                out.push(b',');
            }
            out.extend_from_slice(extra_name.as_bytes());
            out.extend_from_slice(b"=\"");
            write_expo_float(out, extra_value);
            out.push(b'"');
        }
        out.push(b'}');
    }
    out.push(b' ');
    write_expo_float(out, value);
    out.push(b'\n');
}

/// The label pairs, comma-separated, after an opening brace if `open`; names that are not
/// legacy quoted if `quote`.
fn write_labels(out: &mut Vec<u8>, labels: &[Label<'_>], open: bool, quote: bool) {
    if open {
        out.push(b'{');
    }
    for (i, label) in labels.iter().enumerate() {
        if i > 0 || !open {
            out.push(b',');
        }
        write_name(
            out,
            &label.name,
            quote && !NameKind::Label.is_legacy(&label.name),
        );
        out.extend_from_slice(b"=\"");
        write_escaped_label_value(out, &label.value);
        out.push(b'"');
    }
}

/// A name as it is, or in double quotes, escaped as a label value.
pub fn write_name(out: &mut Vec<u8>, name: &str, quoted: bool) {
    if quoted {
        out.push(b'"');
        write_escaped_label_value(out, name);
        out.push(b'"');
    } else {
        out.extend_from_slice(name.as_bytes());
    }
}

/// Label values escape `\`, `"` and newline.
pub fn write_escaped_label_value(out: &mut Vec<u8>, value: &str) {
    for &b in value.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// HELP text escapes `\` and newline only.
pub fn write_escaped_help(out: &mut Vec<u8>, help: &str) {
    for &b in help.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}
