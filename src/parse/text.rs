//! The Prometheus text exposition format 0.0.4, as upstream Pushgateway 1.11.3 reads a pushed
//! body (`expfmt.TextParser`): the same accept/reject decisions and the same error messages
//! (`text format parsing error in line N: …`). It returns borrowed families and never allocates
//! per sample beyond the series' label vector; strings are copied only to undo escapes.
//!
//! It must never do I/O, look at the store, or panic on any input.
//!
//! Grammar, one line at a time (`blank` is space or tab; every line, the last one included, must
//! end in `\n`; a byte is only ever judged once, in reading order, so the first problem upstream
//! would see is the one reported):
//!
//! ```text
//! line      = blank* ( "\n" | "#" comment | sample ) ;  blanks alone after the last "\n" are fine
//! comment   = blank* ( "HELP" | "TYPE" ) blank+ name [ blank+ rest ] "\n"   a directive
//!           | anything "\n"                                                   ignored
//! HELP rest = the rest of the line; escapes \\ \n \"        (a second HELP is an error)
//! TYPE rest = counter | gauge | histogram | summary | untyped | gauge_histogram | gaugehistogram
//!             (case-insensitive; the rest of the line, trailing blanks included, and with
//!             every backslash dropped, as upstream does)
//! sample    = name blank* [ "{" labels "}" ] blank* value [ blank+ timestamp ] "\n"
//!           | "{" labels "}" blank* value [ blank+ timestamp ] "\n"   the name among the labels
//! labels    = blank* [ item { blank* "," blank* item } blank* [ "," ] ] blank*
//! item      = label-name blank* "=" blank* '"' label-value '"'
//!           | name                                            only on a line starting with "{"
//! name      = [a-zA-Z_:][a-zA-Z0-9_:]* | '"' quoted '"'     (label names: no ":")
//! value     = Go float (see number.rs);  timestamp = Go int64, nothing after it, not even blanks
//! ```
//!
//! A sample name joins a family as `table.rs` describes; a family that gets no sample (HELP or
//! TYPE only) is dropped. Quoted names outside the legacy character set need
//! `--push.enable-utf8-names` ([`TextOptions::utf8_names`]).
//!
//! Deviations from upstream, each because upstream's behaviour is a bug or cannot be expressed
//! in our model:
//! - HELP text must be valid UTF-8 (upstream stores any bytes; our strings are UTF-8).
//! - A line starting with `{` must name its metric inside the braces. When it does not, upstream
//!   adds the line to the *previous* line's family and series (or panics on the first line);
//!   we report `invalid metric name`, upstream's message for the first-line case.
//! - On such a line, `le`/`quantile` labels before the in-brace name are recognised once the
//!   name is known. Upstream decides this by the previous line's family.

mod cursor;
mod number;
pub use number::parse_float;
mod problem;
mod table;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use memchr::memchr;

use crate::model::{Bucket, Family, Label, MetricType, Quantile, Value};
use crate::parse::names::NameScheme;
use cursor::{is_blank, Cursor, NameKind};
use problem::{Eof, Problem};
use table::{Resolved, Role, Table};

/// How names are validated (`--push.enable-utf8-names`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextOptions {
    pub utf8_names: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// 1-based.
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "text format parsing error in line {}: {}",
            self.line, self.msg
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole body. Families come in order of first appearance (HELP and TYPE lines count),
/// series in order of first appearance, labels in input order without `le` (histograms) and
/// `quantile` (summaries).
pub fn parse(body: &[u8], opts: TextOptions) -> Result<Vec<Family<'_>>, ParseError> {
    let mut parser = Parser {
        text: BodyText::new(body),
        names: NameScheme {
            utf8: opts.utf8_names,
        },
        table: Table::default(),
        current: None,
        labels: Vec::new(),
        label_names: HashSet::new(),
    };
    let mut rest = body;
    let mut line_number = 0;
    while !rest.is_empty() {
        line_number += 1;
        let (line, terminated) = match memchr(b'\n', rest) {
            Some(end) => (rest.get(..end).unwrap_or(rest), true),
            None => (rest, false),
        };
        rest = rest.get(line.len() + 1..).unwrap_or_default();
        parser
            .line(Cursor::new(line, terminated))
            .map_err(|problem| ParseError {
                line: line_number,
                msg: problem.to_string(),
            })?;
    }
    Ok(parser.finish())
}

struct Parser<'a> {
    text: BodyText<'a>,
    names: NameScheme,
    table: Table<'a>,
    /// Upstream's "current family": the one the last directive or sample named. It only names
    /// the family in messages about a `{`-first line whose own name has not been read yet.
    current: Option<usize>,
    /// The labels of the line being read; reused so that a line joining an existing summary or
    /// histogram series allocates nothing.
    labels: Vec<Label<'a>>,
    /// The names in `labels` once there are more than [`LABELS_SCANNED_MAX`] of them.
    label_names: HashSet<Cow<'a, str>>,
}

/// Up to this many labels on a line, a new name is checked for repetition by a scan; past it,
/// by `label_names`, so that a line of 100,000 labels costs linear time, not a minute of the
/// loop.
const LABELS_SCANNED_MAX: usize = 16;

/// What a sample line has said so far about where its value goes.
#[derive(Default)]
struct Sample {
    /// Known once the name is read: at once, or on a `{`-first line somewhere in the braces.
    target: Option<Resolved>,
    /// `le` of a histogram line. Upstream uses NaN as "absent", so `le="NaN"` is absent too.
    le: Option<f64>,
    /// `quantile` of a summary line, with the same NaN rule.
    quantile: Option<f64>,
}

impl<'a> Parser<'a> {
    fn line(&mut self, mut cur: Cursor<'a>) -> Result<(), Problem> {
        match cur.skip_blanks() {
            // Only blanks after the last newline: the end of the body, not an error.
            Err(Eof) => Ok(()),
            Ok(b'\n') => Ok(()),
            Ok(b'#') => self.comment(cur),
            Ok(b'{') => self.sample(cur, true),
            Ok(_) => self.sample(cur, false),
        }
    }

    fn comment(&mut self, mut cur: Cursor<'a>) -> Result<(), Problem> {
        if cur.next_non_blank()? == b'\n' {
            return Ok(());
        }
        let keyword = cur.until_blank()?;
        if cur.cur()? == b'\n' {
            return Ok(());
        }
        let is_help = match keyword {
            b"HELP" => true,
            b"TYPE" => false,
            _ => return cur.rest_of_line().map(drop).map_err(Problem::from),
        };
        cur.next_non_blank()?;
        let name = cur.name(NameKind::Metric)?;
        match cur.cur()? {
            b'\n' => return Ok(()),
            b if !is_blank(b) => return Err(Problem::InvalidMetricNameInComment),
            _ => {}
        }
        let family = self.table.resolve(name).family;
        self.current = Some(family);
        if cur.next_non_blank()? == b'\n' {
            return Ok(());
        }
        let building = self.table.building(family);
        if is_help {
            if building.help.is_some() {
                return Err(Problem::SecondHelp(building.name.to_vec()));
            }
            let help = self
                .text
                .cow(cur.help()?)
                .map_err(|_| Problem::HelpNotUtf8(building.name.to_vec()))?;
            building.help = Some(help);
        } else {
            if building.mtype.is_some() {
                return Err(Problem::SecondType(building.name.to_vec()));
            }
            let word = cur.rest_of_line_without_backslashes()?;
            building.mtype =
                Some(metric_type(&word).ok_or_else(|| Problem::UnknownType(word.into_owned()))?);
        }
        Ok(())
    }

    fn sample(&mut self, mut cur: Cursor<'a>, brace_first: bool) -> Result<(), Problem> {
        self.labels.clear();
        self.label_names.clear();
        let mut sample = Sample::default();
        let b = if brace_first {
            b'{'
        } else {
            let name = cur.name(NameKind::Metric)?;
            if name.is_empty() {
                return Err(Problem::InvalidMetricName);
            }
            self.enter_family(&mut sample, name)?;
            cur.skip_blanks()?
        };
        if b == b'{' {
            self.labels(&mut cur, &mut sample, brace_first)?;
        }
        // A name-first line has its family, and `labels` insists on one for the others.
        let Some(Resolved { family, role }) = sample.target else {
            return Err(Problem::InvalidMetricName);
        };
        let token = cur.until_blank()?;
        let value = self
            .text
            .str(token)
            .and_then(number::parse_float)
            .ok_or_else(|| Problem::BadValue(token.to_vec()))?;
        let series = self.table.series(family, &mut self.labels);
        self.apply(family, series, role, &sample, value)?;
        if cur.cur()? == b'\n' {
            return Ok(());
        }
        cur.next_non_blank()?;
        let token = cur.until_blank()?;
        let timestamp = self
            .text
            .str(token)
            .and_then(number::parse_int)
            .ok_or_else(|| Problem::BadTimestamp(token.to_vec()))?;
        self.table.metric(family, series).1.timestamp_ms = Some(timestamp);
        // Upstream allows nothing at all after the timestamp, not even blanks.
        let rest = cur.rest_of_line_without_backslashes()?;
        if !rest.is_empty() {
            return Err(Problem::SpuriousAfterTimestamp(rest.into_owned()));
        }
        Ok(())
    }

    /// The label set; the current byte is its `{`, and afterwards the first one after the `}`
    /// and the blanks following it.
    fn labels(
        &mut self,
        cur: &mut Cursor<'a>,
        sample: &mut Sample,
        brace_first: bool,
    ) -> Result<(), Problem> {
        let mut name_seen = false;
        loop {
            if cur.next_non_blank()? == b'}' {
                return self.close_labels(cur, sample);
            }
            let token = cur.name(NameKind::Label)?;
            if token.is_empty() {
                return Err(Problem::InvalidLabelNameFor(self.family_name(sample)));
            }
            let b = cur.skip_blanks()?;
            if b != b'=' {
                if !brace_first {
                    return Err(Problem::ExpectedEquals(b));
                }
                if name_seen {
                    return Err(Problem::MultipleMetricNames(self.family_name(sample)));
                }
                if b != b',' && b != b'}' {
                    return Err(Problem::UnexpectedEndOfMetricName(b));
                }
                self.enter_family(sample, token)?;
                name_seen = true;
                if b == b'}' {
                    return self.close_labels(cur, sample);
                }
                continue;
            }
            if token.as_ref() == b"__name__" {
                return Err(Problem::ReservedLabelName);
            }
            let name = match self.text.cow(token) {
                Ok(name) if self.names.allows_label_name(&name) => name,
                Ok(name) => return Err(Problem::LabelNameNotAllowed(name.as_bytes().to_vec())),
                Err(token) => return Err(Problem::LabelNameNotAllowed(token.into_owned())),
            };
            let special = self.special_label(sample, &name);
            if special.is_none() && self.has_label(&name) {
                return Err(Problem::DuplicateLabelNames(self.family_name(sample)));
            }
            let b = cur.next_non_blank()?;
            if b != b'"' {
                return Err(Problem::ExpectedQuote(b));
            }
            let value = self
                .text
                .cow(cur.label_value()?)
                .map_err(|v| Problem::InvalidLabelValue(v.into_owned()))?;
            if let Some(special) = special {
                special.store(sample, &value)?;
            }
            let b = cur.next_non_blank()?;
            if b != b',' && b != b'}' {
                return Err(Problem::UnexpectedEndOfLabelValue(
                    value.as_bytes().to_vec(),
                ));
            }
            if special.is_none() {
                self.push_label(Label { name, value });
            }
            if b == b'}' {
                return self.close_labels(cur, sample);
            }
        }
    }

    fn has_label(&self, name: &str) -> bool {
        if self.labels.len() <= LABELS_SCANNED_MAX {
            self.labels.iter().any(|label| label.name == name)
        } else {
            self.label_names.contains(name)
        }
    }

    fn push_label(&mut self, label: Label<'a>) {
        if self.labels.len() == LABELS_SCANNED_MAX {
            let names = self.labels.iter().map(|l| l.name.clone());
            self.label_names.extend(names);
        }
        if self.labels.len() >= LABELS_SCANNED_MAX {
            self.label_names.insert(label.name.clone());
        }
        self.labels.push(label);
    }

    /// The current byte is the closing `}`.
    fn close_labels(&mut self, cur: &mut Cursor<'a>, sample: &Sample) -> Result<(), Problem> {
        if sample.target.is_none() {
            return Err(Problem::InvalidMetricName);
        }
        cur.next_non_blank()?;
        Ok(())
    }

    /// A sample line names its family: resolve it, type it untyped if nothing typed it yet.
    fn enter_family(&mut self, sample: &mut Sample, name: Cow<'a, [u8]>) -> Result<(), Problem> {
        let allowed = match &name {
            Cow::Borrowed(name) => self.text.str(name),
            Cow::Owned(name) => std::str::from_utf8(name).ok(),
        };
        if !allowed.is_some_and(|name| self.names.allows_metric_name(name)) {
            return Err(Problem::MetricNameNotAllowed(name.into_owned()));
        }
        let resolved = self.table.resolve(name);
        self.table
            .building(resolved.family)
            .mtype
            .get_or_insert(MetricType::Untyped);
        sample.target = Some(resolved);
        self.current = Some(resolved.family);
        // On a `{`-first line, labels read before the name may be this family's `le`/`quantile`.
        for index in (0..self.labels.len()).rev() {
            let label = self.labels.get(index);
            if let Some(special) = label.and_then(|l| self.special_label(sample, &l.name)) {
                let label = self.labels.remove(index);
                self.label_names.remove(&label.name);
                special.store(sample, &label.value)?;
            }
        }
        Ok(())
    }

    /// Whether a label is the `le` of a histogram or the `quantile` of a summary line.
    fn special_label(&self, sample: &Sample, name: &str) -> Option<Special> {
        let mtype = self.table.families.get(sample.target?.family)?.mtype?;
        match name {
            "le" if mtype.is_histogram() => Some(Special::Le),
            "quantile" if mtype == MetricType::Summary => Some(Special::Quantile),
            _ => None,
        }
    }

    /// The family name upstream puts into label-set messages.
    fn family_name(&self, sample: &Sample) -> Vec<u8> {
        sample
            .target
            .map(|target| target.family)
            .or(self.current)
            .and_then(|family| self.table.families.get(family))
            .map(|building| building.name.to_vec())
            .unwrap_or_default()
    }

    fn apply(
        &mut self,
        family: usize,
        series: usize,
        role: Role,
        sample: &Sample,
        v: f64,
    ) -> Result<(), Problem> {
        let (name, metric) = self.table.metric(family, series);
        match &mut metric.value {
            Value::Simple(value) => *value = v,
            Value::Summary(summary) => match (role, sample.quantile) {
                (Role::Count, _) => summary.count = number::go_u64(v),
                (Role::Sum, _) => summary.sum = v,
                (Role::Plain, Some(quantile)) => {
                    summary.quantiles.push(Quantile { quantile, value: v })
                }
                // Upstream silently ignores a summary line without a quantile.
                (Role::Plain, None) => {}
            },
            Value::Histogram(histogram) => match (role, sample.le) {
                (Role::Count, _) => {
                    histogram.count = number::histogram_count(v)
                        .ok_or_else(|| Problem::NegativeCount(name.to_vec()))?;
                }
                (Role::Sum, _) => histogram.sum = v,
                (Role::Plain, Some(upper_bound)) => {
                    let count = number::histogram_count(v)
                        .ok_or_else(|| Problem::NegativeBucket(name.to_vec()))?;
                    histogram.buckets.push(Bucket { upper_bound, count });
                }
                // Upstream silently ignores a histogram line without an `le`.
                (Role::Plain, None) => {}
            },
        }
        Ok(())
    }

    #[allow(
        clippy::expect_used,
        reason = "every family with samples was named by a validated name and typed"
    )]
    fn finish(self) -> Vec<Family<'a>> {
        let text = self.text;
        self.table
            .families
            .into_iter()
            .filter(|building| !building.metrics.is_empty())
            .map(|building| Family {
                // Every family with samples was named by a validated sample name (or is the
                // prefix of one before `_count`/`_sum`/`_bucket`), and has a type.
                name: text.cow(building.name).expect("sample names are validated"),
                help: building.help,
                mtype: building.mtype.expect("a sample types its family"),
                unit: None,
                metrics: building.metrics,
            })
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Special {
    Le,
    Quantile,
}

impl Special {
    fn store(self, sample: &mut Sample, value: &str) -> Result<(), Problem> {
        let Some(parsed) = number::parse_float(value) else {
            let value = value.as_bytes().to_vec();
            return Err(match self {
                Special::Le => Problem::BadLe(value),
                Special::Quantile => Problem::BadQuantile(value),
            });
        };
        let parsed = (!parsed.is_nan()).then_some(parsed);
        match self {
            Special::Le => sample.le = parsed,
            Special::Quantile => sample.quantile = parsed,
        }
        Ok(())
    }
}

/// The TYPE word. Upstream upper-cases it with Go's `strings.ToUpper`, under which the only
/// non-ASCII characters that become ASCII letters are `ı` (→ I) and `ſ` (→ S).
fn metric_type(word: &[u8]) -> Option<MetricType> {
    let word = std::str::from_utf8(word).ok()?;
    let upper: String = word
        .chars()
        .map(|c| match c {
            'ı' => 'I',
            'ſ' => 'S',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    Some(match upper.as_str() {
        "COUNTER" => MetricType::Counter,
        "GAUGE" => MetricType::Gauge,
        "SUMMARY" => MetricType::Summary,
        "UNTYPED" => MetricType::Untyped,
        "HISTOGRAM" => MetricType::Histogram,
        "GAUGE_HISTOGRAM" | "GAUGEHISTOGRAM" => MetricType::GaugeHistogram,
        _ => return None,
    })
}

/// The body's text: UTF-8 is checked once for the whole body (fast, vectorised), after which a
/// token that lies inside the body is a `str` exactly when it starts and ends on character
/// boundaries, an O(1) test. Without a valid body, or for copied tokens, each is checked alone.
#[derive(Clone, Copy)]
struct BodyText<'a> {
    body: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> BodyText<'a> {
    fn new(body: &'a [u8]) -> Self {
        BodyText {
            body,
            text: std::str::from_utf8(body).ok(),
        }
    }

    /// `bytes` as a string, if they are UTF-8.
    fn str(self, bytes: &'a [u8]) -> Option<&'a str> {
        if let Some(text) = self.text {
            let start = (bytes.as_ptr() as usize).wrapping_sub(self.body.as_ptr() as usize);
            if start <= self.body.len() && bytes.len() <= self.body.len() - start {
                return text.get(start..start + bytes.len());
            }
        }
        std::str::from_utf8(bytes).ok()
    }

    /// Bytes as a string without copying; the bytes back if they are not UTF-8.
    fn cow(self, bytes: Cow<'a, [u8]>) -> Result<Cow<'a, str>, Cow<'a, [u8]>> {
        match bytes {
            Cow::Borrowed(b) => self.str(b).map(Cow::Borrowed).ok_or(Cow::Borrowed(b)),
            Cow::Owned(v) => String::from_utf8(v)
                .map(Cow::Owned)
                .map_err(|e| Cow::Owned(e.into_bytes())),
        }
    }
}
