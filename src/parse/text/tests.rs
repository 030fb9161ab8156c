//! Table tests: body → families (rendered compactly) or body → the exact error a client sees.
//! Cases marked `(v)` were checked against the upstream 1.5.1 binary, whose parser messages
//! are unchanged in 1.11.3.

use std::borrow::Cow;
use std::fmt::Write;

use super::{parse, ParseError, TextOptions};
use crate::model::{
    Bucket, Count, Family, Histogram, Label, Metric, MetricType, Quantile, Summary, Value,
};

const LEGACY: TextOptions = TextOptions { utf8_names: false };
const UTF8: TextOptions = TextOptions { utf8_names: true };

/// One line per family (`name type` and the HELP if any) and one indented line per series.
fn render(families: &[Family<'_>]) -> String {
    let mut out = String::new();
    for family in families {
        write!(out, "{} {:?}", family.name, family.mtype).unwrap();
        if let Some(help) = &family.help {
            write!(out, " help={help:?}").unwrap();
        }
        out.push('\n');
        for metric in &family.metrics {
            let labels: Vec<String> = metric
                .labels
                .iter()
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            write!(out, "  {{{}}} ", labels.join(",")).unwrap();
            match &metric.value {
                Value::Simple(v) => write!(out, "{v:?}").unwrap(),
                Value::Summary(s) => {
                    write!(out, "count={} sum={:?}", s.count, s.sum).unwrap();
                    for q in &s.quantiles {
                        write!(out, " q{:?}={:?}", q.quantile, q.value).unwrap();
                    }
                }
                Value::Histogram(h) => {
                    write!(out, "count={:?} sum={:?}", h.count, h.sum).unwrap();
                    for b in &h.buckets {
                        write!(out, " le{:?}={:?}", b.upper_bound, b.count).unwrap();
                    }
                }
            }
            if let Some(ts) = metric.timestamp_ms {
                write!(out, " @{ts}").unwrap();
            }
            out.push('\n');
        }
    }
    out
}

fn accepted(body: &[u8], opts: TextOptions) -> String {
    match parse(body, opts) {
        Ok(families) => render(&families),
        Err(e) => panic!("{:?} rejected: {e}", String::from_utf8_lossy(body)),
    }
}

fn rejected(body: &[u8], opts: TextOptions) -> String {
    match parse(body, opts) {
        Ok(families) => panic!(
            "{:?} accepted:\n{}",
            String::from_utf8_lossy(body),
            render(&families)
        ),
        Err(e) => e.to_string(),
    }
}

fn check_rejections(opts: TextOptions, table: &[(&[u8], &str)]) {
    for &(body, want) in table {
        assert_eq!(
            rejected(body, opts),
            want,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

fn check_acceptances(opts: TextOptions, table: &[(&[u8], &str)]) {
    for &(body, want) in table {
        assert_eq!(
            accepted(body, opts),
            want,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

const E: &str = "text format parsing error in line";

#[test]
fn error_display_is_upstreams() {
    let e = ParseError {
        line: 3,
        msg: "invalid metric name".into(),
    };
    assert_eq!(
        e.to_string(),
        "text format parsing error in line 3: invalid metric name"
    );
}

#[test]
fn line_structure() {
    check_rejections(
        LEGACY,
        &[
            (b"some_metric 3.14", "text format parsing error in line 1: unexpected end of input stream"), // (v)
            (b"a 1\n#", "text format parsing error in line 2: unexpected end of input stream"), // (v)
            (b"a 1\n# foo", "text format parsing error in line 2: unexpected end of input stream"),
            (b"a 1\r\n", "text format parsing error in line 1: expected float as value, got \"1\\r\""), // (v)
            (b"lead 1  \n", "text format parsing error in line 1: expected integer as timestamp, got \"\""), // (v)
            (b"a 1 123 \n", "text format parsing error in line 1: spurious string after timestamp: \" \""), // (v)
            (b"a 1 123\t\n", "text format parsing error in line 1: spurious string after timestamp: \"\\t\""), // (v)
            (b"a{b=\"1\"} 1 2 3\n", "text format parsing error in line 1: spurious string after timestamp: \" 3\""), // (v)
            // (v) Upstream drops backslashes there (found by differential fuzzing against 1.5.1).
            (b"a 1 2 \\x\\\n", "text format parsing error in line 1: spurious string after timestamp: \" x\""),
            (b"a 1 # {x=\"y\"} 1\n", "text format parsing error in line 1: expected integer as timestamp, got \"#\""), // (v)
            (b"a 1 99999999999999999999\n", "text format parsing error in line 1: expected integer as timestamp, got \"99999999999999999999\""), // (v)
            (b"a 1 1.5\n", "text format parsing error in line 1: expected integer as timestamp, got \"1.5\""),
            (b"a\n", "text format parsing error in line 1: expected float as value, got \"\""), // (v)
            (b"a \n", "text format parsing error in line 1: expected float as value, got \"\""), // (v)
            (b"a{}\n", "text format parsing error in line 1: expected float as value, got \"\""), // (v)
            (b"a b\n", "text format parsing error in line 1: expected float as value, got \"b\""), // (v)
            (b"\n\n  \nx 1\ny\n", "text format parsing error in line 5: expected float as value, got \"\""),
            (b"1a 1\n", "text format parsing error in line 1: invalid metric name"), // (v)
            (b"-a 1\n", "text format parsing error in line 1: invalid metric name"),
        ],
    );
    check_acceptances(
        LEGACY,
        &[
            (b"", ""),
            (b"\n\n", ""),
            (b"a 1\n  ", "a Untyped\n  {} 1.0\n"), // (v): blanks without a newline end the body
            (b"a 1\n\n\n", "a Untyped\n  {} 1.0\n"), // (v)
            (b"  \t a\t 1 \t 2\n", "a Untyped\n  {} 1.0 @2\n"),
            (b"a{}1\n", "a Untyped\n  {} 1.0\n"),      // (v)
            (b"a 1 +5\n", "a Untyped\n  {} 1.0 @5\n"), // (v): the store rejects it later
            (
                b"a 1 -9223372036854775808\n",
                "a Untyped\n  {} 1.0 @-9223372036854775808\n",
            ),
            (b"a:b_c 1\n", "a:b_c Untyped\n  {} 1.0\n"),
        ],
    );
}

#[test]
fn values() {
    check_acceptances(
        LEGACY,
        &[
            (b"a .5\n", "a Untyped\n  {} 0.5\n"),         // (v)
            (b"a 5.\n", "a Untyped\n  {} 5.0\n"),         // (v)
            (b"a 1e-400\n", "a Untyped\n  {} 0.0\n"),     // (v)
            (b"a infinity\n", "a Untyped\n  {} inf\n"),   // (v)
            (b"a -Infinity\n", "a Untyped\n  {} -inf\n"), // (v)
            (b"a +Inf\n", "a Untyped\n  {} inf\n"),
            (b"a NaN\n", "a Untyped\n  {} NaN\n"),
            (b"a -1.5E+3\n", "a Untyped\n  {} -1500.0\n"),
        ],
    );
    let mut table: Vec<(Vec<u8>, String)> = Vec::new();
    // (v) for every one of these.
    for bad in [
        "0x1p3", "1_000", "1e400", "-nan", "+nan", "infin", "1e", "0x10",
    ] {
        table.push((
            format!("a {bad}\n").into_bytes(),
            format!("{E} 1: expected float as value, got \"{bad}\""),
        ));
    }
    for (body, want) in &table {
        assert_eq!(rejected(body, LEGACY), *want);
    }
}

#[test]
fn label_sets() {
    check_rejections(
        LEGACY,
        &[
            (b"a{__name__=\"x\"} 1\n", "text format parsing error in line 1: label name \"__name__\" is reserved"), // (v)
            (b"a{b=\"1\",b=\"2\"} 1\n", "text format parsing error in line 1: duplicate label names for metric \"a\""), // (v)
            (b"a{b=\"\xff\"} 1\n", "text format parsing error in line 1: invalid label value \"\\xff\""), // (v)
            (b"a{b=\"x\\qy\"} 1\n", "text format parsing error in line 1: invalid escape sequence '\\q'"), // (v)
            (b"a{b=\"x\n", "text format parsing error in line 1: label value \"x\" contains unescaped new-line"), // (v)
            (b"a{b=\"} 1\n", "text format parsing error in line 1: label value \"} 1\" contains unescaped new-line"), // (v)
            (b"a{b=\"x\\\"y\n", "text format parsing error in line 1: label value \"x\\\"y\" contains unescaped new-line"),
            (b"a{b=\"x\\", "text format parsing error in line 1: unexpected end of input stream"),
            (b"a{b=\"x\\\n", "text format parsing error in line 1: invalid escape sequence '\\\n'"),
            (b"a{b=x} 1\n", "text format parsing error in line 1: expected '\"' at start of label value, found 'x'"), // (v)
            (b"a{b=\x01} 1\n", "text format parsing error in line 1: expected '\"' at start of label value, found '\\x01'"), // (v)
            (b"a{b=\xff} 1\n", "text format parsing error in line 1: expected '\"' at start of label value, found '\u{ff}'"), // (v)
            (b"a{b=\x80} 1\n", "text format parsing error in line 1: expected '\"' at start of label value, found '\\u0080'"), // (v)
            (b"a{b='} 1\n", "text format parsing error in line 1: expected '\"' at start of label value, found '\\''"), // (v)
            (b"a{b=\\} 1\n", "text format parsing error in line 1: expected '\"' at start of label value, found '\\\\'"), // (v)
            (b"a{b} 1\n", "text format parsing error in line 1: expected '=' after label name, found '}'"), // (v)
            (b"a{b:c=\"1\"} 1\n", "text format parsing error in line 1: expected '=' after label name, found ':'"),
            (b"a{b=\"1\" c=\"2\"} 1\n", "text format parsing error in line 1: unexpected end of label value \"1\""), // (v)
            (b"a{1=\"x\"} 1\n", "text format parsing error in line 1: invalid label name for metric \"a\""), // (v)
            (b"a{,} 1\n", "text format parsing error in line 1: invalid label name for metric \"a\""),
            (b"a{b=\"1\"", "text format parsing error in line 1: unexpected end of input stream"),
            (b"a{b=\"1\"}", "text format parsing error in line 1: unexpected end of input stream"),
        ],
    );
    check_acceptances(
        LEGACY,
        &[
            (b"a{b=\"1\",} 1\n", "a Untyped\n  {b=\"1\"} 1.0\n"), // (v)
            (
                b"a { b = \"1\" , c = \"2\" } 1\n",
                "a Untyped\n  {b=\"1\",c=\"2\"} 1.0\n",
            ), // (v)
            (b"a{b=\"\\n\"} 1\n", "a Untyped\n  {b=\"\\n\"} 1.0\n"), // (v)
            (
                b"a{b=\"\\\\ \\\" \\n\"} 1\n",
                "a Untyped\n  {b=\"\\\\ \\\" \\n\"} 1.0\n",
            ),
            (
                b"a{b=\"\",c=\"caf\xc3\xa9\"} 1\n",
                "a Untyped\n  {b=\"\",c=\"caf\u{e9}\"} 1.0\n",
            ),
            (
                b"a{c=\"2\",b=\"1\"} 1\n",
                "a Untyped\n  {c=\"2\",b=\"1\"} 1.0\n",
            ),
            // `quantile` and `le` are ordinary labels outside summaries and histograms (v).
            (
                b"a{quantile=\"x\"} 1\n",
                "a Untyped\n  {quantile=\"x\"} 1.0\n",
            ),
            (b"a{le=\"x\"} 1\n", "a Untyped\n  {le=\"x\"} 1.0\n"),
            // Names starting with `__` pass the parser; the consistency check rejects them.
            (b"a{__b=\"1\"} 1\n", "a Untyped\n  {__b=\"1\"} 1.0\n"),
            // Counter, gauge and untyped lines are never merged, duplicates included.
            (b"a 1\na 2\n", "a Untyped\n  {} 1.0\n  {} 2.0\n"),
        ],
    );
}

#[test]
fn comments_and_directives() {
    check_rejections(
        LEGACY,
        &[
            (b"# HELP a x\\y\n", "text format parsing error in line 1: invalid escape sequence '\\y'"), // (v)
            (b"# HELP a x\\\n", "text format parsing error in line 1: invalid escape sequence '\\\n'"), // (v)
            (b"# HELP a x\\\xc3\xa9\n", "text format parsing error in line 1: invalid escape sequence '\\\u{c3}'"), // (v)
            (b"# HELP a x\n# HELP a y\n", "text format parsing error in line 2: second HELP line for metric name \"a\""), // (v)
            (b"# TYPE a info\n", "text format parsing error in line 1: unknown metric type \"info\""), // (v)
            (b"# TYPE a counter \n", "text format parsing error in line 1: unknown metric type \"counter \""), // (v)
            (b"# TYPE a x\\y\n", "text format parsing error in line 1: unknown metric type \"xy\""),
            // A Greek omicron is not an "o", even for Go's Unicode-aware upper-casing.
            (b"# TYPE a c\xce\xbfunter\n", "text format parsing error in line 1: unknown metric type \"c\u{3bf}unter\""),
            (b"a 1\n# TYPE a gauge\n", "text format parsing error in line 2: second TYPE line for metric name \"a\", or TYPE reported after samples"), // (v)
            (b"# TYPE a gauge\n# TYPE a gauge\n", "text format parsing error in line 2: second TYPE line for metric name \"a\", or TYPE reported after samples"),
            (b"# HELP a-b x\n", "text format parsing error in line 1: invalid metric name in comment"), // (v)
            (b"# HELP 1a x\n", "text format parsing error in line 1: invalid metric name in comment"),
            (b"# HELP a x", "text format parsing error in line 1: unexpected end of input stream"),
            (b"# TYPE a gauge", "text format parsing error in line 1: unexpected end of input stream"),
            (b"# HELP a \xff\n", "text format parsing error in line 1: HELP text for metric name \"a\" is not valid UTF-8"),
        ],
    );
    check_acceptances(
        LEGACY,
        &[
            (b"#HELP a x\na 1\n", "a Untyped help=\"x\"\n  {} 1.0\n"), // (v)
            (
                b"#  HELP  a \t x y \na 1\n",
                "a Untyped help=\"x y \"\n  {} 1.0\n",
            ),
            (
                b"# HELP a \\\\ \\n \\\"\na 1\n",
                "a Untyped help=\"\\\\ \\n \\\"\"\n  {} 1.0\n",
            ),
            (
                b"# HELP a caf\xc3\xa9\na 1\n",
                "a Untyped help=\"caf\u{e9}\"\n  {} 1.0\n",
            ),
            (b"# TYPE a gauge_histogram\n", ""), // (v): no samples, dropped
            (b"# TYPE a COUNTER\na 1\n", "a Counter\n  {} 1.0\n"),
            (b"# TYPE a Gauge\na 1\n", "a Gauge\n  {} 1.0\n"),
            // (v) Upstream drops every backslash from the TYPE word (found by differential fuzzing).
            (b"# TYPE a Cou\\nter\na 1\n", "a Counter\n  {} 1.0\n"),
            (b"# TYPE a untyped\na 1\n", "a Untyped\n  {} 1.0\n"),
            // Go's strings.ToUpper turns the long s into an S.
            (
                b"# TYPE a \xc5\xbfummary\na_count 1\n",
                "a Summary\n  {} count=1 sum=0.0\n",
            ),
            // Directives without text, other comments and bare `#` lines are ignored.
            (
                b"#\n# \n# HELP\n# HELP a\n# HELP a \n# TYPE a\n# foo bar\n# EOF\na 1\n",
                "a Untyped\n  {} 1.0\n",
            ),
            (
                b"# HELP a first\n# TYPE a counter\na 1\n",
                "a Counter help=\"first\"\n  {} 1.0\n",
            ),
            (
                b"# TYPE a counter\n# HELP a first\na 1\n",
                "a Counter help=\"first\"\n  {} 1.0\n",
            ),
            // HELP may follow samples (only TYPE may not).
            (
                b"a 1\n# HELP a late\n",
                "a Untyped help=\"late\"\n  {} 1.0\n",
            ),
            // A HELP-only family is dropped, but its HELP line fixed the order of appearance.
            (
                b"# HELP b x\n# HELP c y\na 1\nb 1\n",
                "b Untyped help=\"x\"\n  {} 1.0\na Untyped\n  {} 1.0\n",
            ),
        ],
    );
}

#[test]
fn family_resolution() {
    check_rejections(
        LEGACY,
        &[
            // The directive resolves like a sample name (v): both messages name the histogram.
            (b"a 1\n# TYPE h histogram\nh 1\n# TYPE h_count gauge\n", "text format parsing error in line 4: second TYPE line for metric name \"h\", or TYPE reported after samples"), // (v)
            (b"# TYPE h histogram\nh_bucket{le=\"1\"} 1\n# TYPE h_count gauge\n", "text format parsing error in line 3: second TYPE line for metric name \"h\", or TYPE reported after samples"), // (v)
            (b"# TYPE s summary\n# HELP s x\n# HELP s_sum y\n", "text format parsing error in line 3: second HELP line for metric name \"s\""),
            // Even before any sample, a typed summary owns its `_count`.
            (b"# TYPE s summary\n# TYPE s_count counter\n", "text format parsing error in line 2: second TYPE line for metric name \"s\", or TYPE reported after samples"),
        ],
    );
    check_acceptances(
        LEGACY,
        &[
            // HELP through a suffix reaches the base family.
            (b"# TYPE h histogram\n# HELP h_sum x\nh_sum 1\n", "h Histogram help=\"x\"\n  {} count=Int(0) sum=1.0\n"),
            // `_bucket` belongs to histograms only; a summary leaves it a family of its own.
            (b"# TYPE s summary\ns_bucket 1\ns_count 2\n", "s Summary\n  {} count=2 sum=0.0\ns_bucket Untyped\n  {} 1.0\n"),
            // An untyped `x` does not claim `x_count`.
            (b"x 1\nx_count 2\n", "x Untyped\n  {} 1.0\nx_count Untyped\n  {} 2.0\n"),
            // A family named `x_count` that exists first keeps its samples.
            (b"x_count 2\n# TYPE x summary\nx_count 3\nx_sum 4\n", "x_count Untyped\n  {} 2.0\n  {} 3.0\nx Summary\n  {} count=0 sum=4.0\n"),
            // Without a TYPE first, histogram-looking lines are untyped families.
            (b"h_bucket{le=\"1\"} 1\nh_count 1\n", "h_bucket Untyped\n  {le=\"1\"} 1.0\nh_count Untyped\n  {} 1.0\n"),
            // A gauge `h_count` pushed after samples of histogram `h` goes to the histogram.
            (b"# TYPE h histogram\nh_count 5\n# TYPE g gauge\ng 1\nh_count 6\n", "h Histogram\n  {} count=Int(6) sum=0.0\ng Gauge\n  {} 1.0\n"),
            // `_count` and `_sum` alone are names, not suffixes.
            (b"# TYPE _ summary\n_count 1\n_sum 2\n", "_count Untyped\n  {} 1.0\n_sum Untyped\n  {} 2.0\n"),
            // Interleaved families; series in order of first appearance.
            (
                b"# TYPE s summary\n# TYPE h histogram\ns{a=\"1\",quantile=\"0.5\"} 1\nh_bucket{a=\"1\",le=\"1\"} 2\nc 3\ns_count{a=\"1\"} 4\nh_count{a=\"1\"} 5\ns{a=\"2\",quantile=\"0.5\"} 6\nh_bucket{a=\"1\",le=\"+Inf\"} 7\n",
                "s Summary\n  {a=\"1\"} count=4 sum=0.0 q0.5=1.0\n  {a=\"2\"} count=0 sum=0.0 q0.5=6.0\nh Histogram\n  {a=\"1\"} count=Int(5) sum=0.0 le1.0=Int(2) leinf=Int(7)\nc Untyped\n  {} 3.0\n",
            ),
        ],
    );
}

#[test]
fn summaries() {
    check_rejections(
        LEGACY,
        &[
            (b"# TYPE s summary\ns{quantile=\"x\"} 1\n", "text format parsing error in line 2: expected float as value for 'quantile' label, got \"x\""), // (v)
            (b"# TYPE s summary\ns{quantile=\"1\",b=\"1\",b=\"2\"} 1\n", "text format parsing error in line 2: duplicate label names for metric \"s\""),
        ],
    );
    check_acceptances(
        LEGACY,
        &[
            // Series are keyed by their labels without `quantile`, in any order; the first line's
            // label order is kept. `_count` truncates to an integer the way Go does on amd64.
            (
                b"# TYPE s summary\ns{a=\"1\",b=\"2\",quantile=\"0.5\"} 1\ns{quantile=\"0.9\",b=\"2\",a=\"1\"} 2\ns_sum{b=\"2\",a=\"1\"} 3.5\ns_count{a=\"1\",b=\"2\"} 7.9\n",
                "s Summary\n  {a=\"1\",b=\"2\"} count=7 sum=3.5 q0.5=1.0 q0.9=2.0\n",
            ),
            (b"# TYPE s summary\ns_count -1\n", "s Summary\n  {} count=18446744073709551615 sum=0.0\n"),
            // A line without a quantile creates the series but adds nothing; `quantile="NaN"`
            // counts as no quantile, as upstream uses NaN for "absent".
            (b"# TYPE s summary\ns 1\ns{quantile=\"NaN\"} 2\n", "s Summary\n  {} count=0 sum=0.0\n"),
            // Duplicate quantile labels: upstream does not check them, the last one wins.
            (b"# TYPE s summary\ns{quantile=\"0.1\",quantile=\"0.2\"} 1\n", "s Summary\n  {} count=0 sum=0.0 q0.2=1.0\n"),
            // `_count` wins over a quantile label; `le` is an ordinary label here.
            (b"# TYPE s summary\ns_count{quantile=\"0.5\",le=\"1\"} 3\n", "s Summary\n  {le=\"1\"} count=3 sum=0.0\n"),
            (b"# TYPE s summary\ns_sum 1 123\n", "s Summary\n  {} count=0 sum=1.0 @123\n"),
        ],
    );
}

#[test]
fn histograms() {
    check_rejections(
        LEGACY,
        &[
            (b"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", "text format parsing error in line 2: expected float as value for 'le' label, got \"x\""), // (v)
            (b"# TYPE h histogram\nh_count -0.5\n", "text format parsing error in line 2: negative count for histogram \"h\""),
            (b"# TYPE h histogram\nh_bucket{le=\"1\"} -2.5\n", "text format parsing error in line 2: negative bucket population for histogram \"h\""),
            (b"# TYPE h gauge_histogram\nh_bucket{le=\"1\"} -Inf\n", "text format parsing error in line 2: negative bucket population for histogram \"h\""),
            // The value is applied (and rejected) before the timestamp is read.
            (b"# TYPE h histogram\nh_count -0.5 x\n", "text format parsing error in line 2: negative count for histogram \"h\""),
        ],
    );
    check_acceptances(
        LEGACY,
        &[
            (
                b"# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 3\nh_bucket{le=\"0.1\"} 0\nh_sum 2.5\nh_count 3\n",
                "h Histogram\n  {} count=Int(3) sum=2.5 le0.5=Int(1) leinf=Int(3) le0.1=Int(0)\n",
            ),
            // Since 1.11.2: counts that are not exact non-negative integers are kept as floats.
            (
                b"# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\nh_bucket{le=\"2\"} -1\nh_count NaN\n",
                "h Histogram\n  {} count=Float(NaN) sum=0.0 le1.0=Float(1.5) le2.0=Float(-1.0)\n",
            ),
            (b"# TYPE h histogram\nh_count 1e20\n", "h Histogram\n  {} count=Float(1e20) sum=0.0\n"),
            (b"# TYPE h gaugehistogram\nh_bucket{le=\"1\"} 1\nh_count 1\n", "h GaugeHistogram\n  {} count=Int(1) sum=0.0 le1.0=Int(1)\n"),
            (b"# TYPE h GAUGE_HISTOGRAM\nh_sum 1\n", "h GaugeHistogram\n  {} count=Int(0) sum=1.0\n"),
            // A line of the family's own name with an `le` is a bucket too; without `le` (or
            // with `le="NaN"`) a line only creates the series.
            (b"# TYPE h histogram\nh{le=\"1\"} 4\nh_bucket 5\nh_bucket{le=\"NaN\"} 6\n", "h Histogram\n  {} count=Int(0) sum=0.0 le1.0=Int(4)\n"),
            // `quantile` is an ordinary label here.
            (b"# TYPE h histogram\nh_bucket{quantile=\"x\",le=\"1\"} 1\n", "h Histogram\n  {quantile=\"x\"} count=Int(0) sum=0.0 le1.0=Int(1)\n"),
        ],
    );
}

#[test]
fn brace_first_lines() {
    check_rejections(
        LEGACY,
        &[
            (
                b"{a=\"b\"} 1\n",
                "text format parsing error in line 1: invalid metric name",
            ), // (v)
            (
                b"{} 1\n",
                "text format parsing error in line 1: invalid metric name",
            ),
            (
                b"x 1\n{a=\"b\"} 1\n",
                "text format parsing error in line 2: invalid metric name",
            ),
            (
                b"{a,b} 1\n",
                "text format parsing error in line 1: multiple metric names for metric \"a\"",
            ),
            (
                b"{\"a\" \"b\"} 1\n",
                "text format parsing error in line 1: unexpected end of metric name '\"'",
            ),
            (
                b"{a:b} 1\n",
                "text format parsing error in line 1: unexpected end of metric name ':'",
            ),
            (
                b"{\"a.b\"} 1\n",
                "text format parsing error in line 1: invalid metric name \"a.b\"",
            ),
            (
                b"{a, \"b.c\"=\"1\"} 1\n",
                "text format parsing error in line 1: invalid label name \"b.c\"",
            ),
            (
                b"{\"\"} 1\n",
                "text format parsing error in line 1: invalid label name for metric \"\"",
            ),
            // Before the in-brace name, messages name upstream's current family.
            (
                b"x 1\n{b=\"1\",b=\"2\",a} 1\n",
                "text format parsing error in line 2: duplicate label names for metric \"x\"",
            ),
            (
                b"{\"a",
                "text format parsing error in line 1: unexpected end of input stream",
            ),
            (
                b"{\"a\n",
                "text format parsing error in line 1: label name \"a\" contains unescaped new-line",
            ),
            (
                b"{\"a\\x\"} 1\n",
                "text format parsing error in line 1: invalid escape sequence '\\x'",
            ),
        ],
    );
    check_acceptances(
        LEGACY,
        &[
            (b"{a} 1\n", "a Untyped\n  {} 1.0\n"),
            (b"{\"a\", l=\"v\"} 1\n", "a Untyped\n  {l=\"v\"} 1.0\n"),
            (
                b"{l=\"v\", \"a\", m=\"w\",} 1 5\n",
                "a Untyped\n  {l=\"v\",m=\"w\"} 1.0 @5\n",
            ),
            (
                b"{ \"a\" , \"l\" = \"v\" }\t1\n",
                "a Untyped\n  {l=\"v\"} 1.0\n",
            ),
            (
                b"# TYPE \"a\" counter\n{\"a\"} 1\n",
                "a Counter\n  {} 1.0\n",
            ),
            // `le` before the name is recognised once the name makes this a histogram line.
            (
                b"# TYPE h histogram\nx 1\n{le=\"1\", \"h_bucket\"} 2\n",
                "h Histogram\n  {} count=Int(0) sum=0.0 le1.0=Int(2)\nx Untyped\n  {} 1.0\n",
            ),
            (
                b"# TYPE s summary\n{\"s\", quantile=\"0.5\"} 2\n",
                "s Summary\n  {} count=0 sum=0.0 q0.5=2.0\n",
            ),
        ],
    );
}

#[test]
fn quoted_names() {
    // Quotes work on name-first lines too, even switching on mid-token (an upstream quirk).
    check_acceptances(
        LEGACY,
        &[
            (b"\"a\" 1\n", "a Untyped\n  {} 1.0\n"),
            (b"ab\"cd\" 1\n", "abcd Untyped\n  {} 1.0\n"),
            (b"a{\"b\"=\"1\"} 1\n", "a Untyped\n  {b=\"1\"} 1.0\n"),
        ],
    );
    check_rejections(
        LEGACY,
        &[
            (
                b"\"a.b\" 1\n",
                "text format parsing error in line 1: invalid metric name \"a.b\"",
            ),
            (
                b"a\"b c\" 1\n",
                "text format parsing error in line 1: invalid metric name \"ab c\"",
            ),
            (
                b"\"a\"b 1\n",
                "text format parsing error in line 1: expected float as value, got \"b\"",
            ),
            (
                b"a{\"b.c\"=\"1\"} 1\n",
                "text format parsing error in line 1: invalid label name \"b.c\"",
            ),
            (
                b"\"\" 1\n",
                "text format parsing error in line 1: invalid metric name",
            ),
        ],
    );
    check_acceptances(
        UTF8,
        &[
            (b"\"a.b\" 1\n", "a.b Untyped\n  {} 1.0\n"),
            (
                b"{\"caf\xc3\xa9\", \"l.1\"=\"v\"} 1\n",
                "caf\u{e9} Untyped\n  {l.1=\"v\"} 1.0\n",
            ),
            (
                b"{\"a\\\"b\\\\c\\nd\"} 1\n",
                "a\"b\\c\nd Untyped\n  {} 1.0\n",
            ),
            (
                b"# TYPE \"a b\" counter\n\"a b\" 1\n",
                "a b Counter\n  {} 1.0\n",
            ),
        ],
    );
    check_rejections(
        UTF8,
        &[
            (
                b"{\"a\xff\"} 1\n",
                "text format parsing error in line 1: invalid metric name \"a\\xff\"",
            ),
            (
                b"{a, \"l\xff\"=\"v\"} 1\n",
                "text format parsing error in line 1: invalid label name \"l\\xff\"",
            ),
            (
                b"{\"__name__\"=\"v\"} 1\n",
                "text format parsing error in line 1: label name \"__name__\" is reserved",
            ),
        ],
    );
}

/// Invalid UTF-8 where upstream never looks (an ordinary comment) does not matter, and each
/// string is still checked on its own then.
#[test]
fn invalid_utf8_only_matters_where_it_is() {
    check_acceptances(
        LEGACY,
        &[(
            b"# \xff\n# HELP a caf\xc3\xa9\na{b=\"\xc3\xa9\"} 1 2\n",
            "a Untyped help=\"caf\u{e9}\"\n  {b=\"\u{e9}\"} 1.0 @2\n",
        )],
    );
    check_rejections(
        LEGACY,
        &[
            (
                b"# \xff\na{b=\"\xc3\"} 1\n",
                "text format parsing error in line 2: invalid label value \"\\xc3\"",
            ),
            (
                b"# \xff\na 1\xc3\xa9\n",
                "text format parsing error in line 2: expected float as value, got \"1\u{e9}\"",
            ),
        ],
    );
}

/// The model in full, not just its rendering, for one series of each type.
#[test]
fn all_five_types_in_the_model() {
    let body = b"# HELP c A counter.\n# TYPE c counter\nc{x=\"1\"} 1\n\
        # TYPE g gauge\ng -2.5\n\
        u 3\n\
        # TYPE s summary\ns{quantile=\"0.5\"} 4\ns_sum 5\ns_count 6\n\
        # TYPE h histogram\nh_bucket{le=\"1\"} 7\nh_bucket{le=\"+Inf\"} 8\nh_sum 9\nh_count 8\n";
    let b = |s| Cow::Borrowed(s);
    let simple = |labels, v| Metric {
        labels,
        value: Value::Simple(v),
        timestamp_ms: None,
        pb_value: None,
    };
    let want = vec![
        Family {
            name: b("c"),
            help: Some(b("A counter.")),
            mtype: MetricType::Counter,
            unit: None,
            metrics: vec![simple(
                vec![Label {
                    name: b("x"),
                    value: b("1"),
                }],
                1.0,
            )],
        },
        Family {
            name: b("g"),
            help: None,
            mtype: MetricType::Gauge,
            unit: None,
            metrics: vec![simple(vec![], -2.5)],
        },
        Family {
            name: b("u"),
            help: None,
            mtype: MetricType::Untyped,
            unit: None,
            metrics: vec![simple(vec![], 3.0)],
        },
        Family {
            name: b("s"),
            help: None,
            mtype: MetricType::Summary,
            unit: None,
            metrics: vec![Metric {
                labels: vec![],
                value: Value::Summary(Summary {
                    count: 6,
                    sum: 5.0,
                    quantiles: vec![Quantile {
                        quantile: 0.5,
                        value: 4.0,
                    }],
                }),
                timestamp_ms: None,
                pb_value: None,
            }],
        },
        Family {
            name: b("h"),
            help: None,
            mtype: MetricType::Histogram,
            unit: None,
            metrics: vec![Metric {
                labels: vec![],
                value: Value::Histogram(Histogram {
                    count: Count::Int(8),
                    sum: 9.0,
                    buckets: vec![
                        Bucket {
                            upper_bound: 1.0,
                            count: Count::Int(7),
                        },
                        Bucket {
                            upper_bound: f64::INFINITY,
                            count: Count::Int(8),
                        },
                    ],
                }),
                timestamp_ms: None,
                pb_value: None,
            }],
        },
    ];
    assert_eq!(parse(body, LEGACY).unwrap(), want);
}

/// Strings without escapes point into the body; only escaped ones are copied.
#[test]
fn borrows_unless_escaped() {
    let body = b"# HELP a plain\n# HELP b esc\\\\aped\na{l=\"v\",m=\"x\\ny\"} 1\nb 1\n{\"c\"} 1\n"
        .as_slice();
    let families = parse(body, LEGACY).unwrap();
    let borrowed = |s: &Cow<'_, str>| match s {
        Cow::Borrowed(s) => body.as_ptr_range().contains(&s.as_ptr()),
        Cow::Owned(_) => false,
    };
    let a = &families[0];
    assert!(borrowed(&a.name));
    assert!(borrowed(a.help.as_ref().unwrap()));
    let labels = &a.metrics[0].labels;
    assert!(borrowed(&labels[0].name) && borrowed(&labels[0].value));
    assert_eq!(labels[1].value, "x\ny");
    assert!(!borrowed(&labels[1].value));
    assert_eq!(families[1].help.as_deref(), Some("esc\\aped"));
    assert!(!borrowed(families[1].help.as_ref().unwrap()));
    assert!(
        borrowed(&families[2].name),
        "a quoted name without escapes is borrowed too"
    );
}

/// Bodies that exercise every construct, for the prefix and mutation properties below.
const VALID_BODIES: &[&[u8]] = &[
    b"# HELP c A counter with \\\\ and \\n and \\\".\n# TYPE c counter\nc{a=\"x\\\"y\",b=\"\\n\"} 1.5e3 1700000000000\n\n  \tc{a=\"2\",} +Inf\n",
    b"# TYPE s summary\ns{quantile=\"0.5\",l=\"v\"} 1\ns_sum{l=\"v\"} 2\ns_count{l=\"v\"} 3\n# a comment\n",
    b"# TYPE h gauge_histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum -3\nh_count 2\n",
    b"{\"q\", l=\"v\"} NaN\n{m=\"w\", r} -0 -5\n# TYPE \"q2\" gauge\n\"q2\" 7\n",
];

/// A prefix ending at a line break is a valid body; any other prefix fails with upstream's
/// end-of-input message on its last line, unless that partial line is only blanks.
#[test]
fn every_prefix_of_a_valid_body() {
    for body in VALID_BODIES {
        assert!(parse(body, LEGACY).is_ok());
        for end in 0..=body.len() {
            let prefix = &body[..end];
            let partial = &prefix[prefix
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)..];
            let result = parse(prefix, LEGACY);
            if partial.iter().all(|&b| b == b' ' || b == b'\t') {
                assert!(
                    result.is_ok(),
                    "{:?}: {result:?}",
                    String::from_utf8_lossy(prefix)
                );
            } else {
                let lines = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
                let want = ParseError {
                    line: lines,
                    msg: "unexpected end of input stream".into(),
                };
                assert_eq!(result, Err(want), "{:?}", String::from_utf8_lossy(prefix));
            }
        }
    }
}

/// Every one-byte deletion or replacement (by a byte of the grammar) must give a result or an
/// error, never a panic.
#[test]
fn mutations_never_panic() {
    let replacements = b"\n \t{}\",=\\#a0_:.-+eE\xff";
    for body in VALID_BODIES {
        for i in 0..body.len() {
            let mut deleted = body.to_vec();
            deleted.remove(i);
            let _ = parse(&deleted, LEGACY);
            for &r in replacements {
                let mut replaced = body.to_vec();
                replaced[i] = r;
                let _ = parse(&replaced, LEGACY);
                let _ = parse(&replaced, UTF8);
            }
        }
    }
}

/// Past the scanned few, repeated names are found through the set of the line's names, which
/// starts afresh on every line and forgets the `le` a `{`-first line hands to its histogram.
#[test]
fn repeated_label_names_are_found_on_long_lines() {
    let labels = |n: usize| (0..n).map(|i| format!("l{i}=\"v\"")).collect::<Vec<_>>();
    for n in [1, 16, 17, 18, 1000] {
        let mut line = labels(n);
        line.push("l0=\"w\"".to_string());
        let body = format!("m{{{}}} 1\n", line.join(","));
        let want = "text format parsing error in line 1: duplicate label names for metric \"m\"";
        assert_eq!(rejected(body.as_bytes(), LEGACY), want, "{n} labels");
    }
    let unique = format!(
        "m{{{}}} 1\nm{{{}}} 2\n",
        labels(40).join(","),
        labels(3).join(",")
    );
    let families = parse(unique.as_bytes(), LEGACY).unwrap();
    assert_eq!(families[0].metrics.len(), 2);
    assert_eq!(families[0].metrics[0].labels.len(), 40);

    let mut line = labels(20);
    line.push("le=\"1\"".to_string());
    line.push("h".to_string());
    let body = format!("# TYPE h histogram\n{{{}}} 1\n", line.join(","));
    let families = parse(body.as_bytes(), UTF8).unwrap();
    assert_eq!(families[0].metrics[0].labels.len(), 20);
}
