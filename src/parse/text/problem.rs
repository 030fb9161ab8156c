//! Everything that can be wrong with a text body, each with upstream's exact message.
//!
//! Byte strings are kept raw (they may be invalid UTF-8) and quoted the Go way when displayed.
//! The parser attaches the line number; [`super::ParseError`] carries both to the caller.

use std::fmt;

use crate::go_quote::{quote, quote_byte};

/// The body ended inside a line: upstream's only way to say "no final newline".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Eof;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Problem {
    UnexpectedEof,
    InvalidMetricName,
    InvalidMetricNameInComment,
    /// A quoted name the name scheme does not allow (legacy mode, or not UTF-8). Upstream 1.11
    /// checks this with its validation scheme; the wording of these two is not verified.
    MetricNameNotAllowed(Vec<u8>),
    LabelNameNotAllowed(Vec<u8>),
    MetricNameNewline(Vec<u8>),
    LabelNameNewline(Vec<u8>),
    LabelValueNewline(Vec<u8>),
    InvalidEscape(u8),
    /// The family names below are upstream's "current" family, quoted as it does.
    InvalidLabelNameFor(Vec<u8>),
    MultipleMetricNames(Vec<u8>),
    DuplicateLabelNames(Vec<u8>),
    UnexpectedEndOfMetricName(u8),
    ExpectedEquals(u8),
    ReservedLabelName,
    ExpectedQuote(u8),
    InvalidLabelValue(Vec<u8>),
    UnexpectedEndOfLabelValue(Vec<u8>),
    BadQuantile(Vec<u8>),
    BadLe(Vec<u8>),
    BadValue(Vec<u8>),
    BadTimestamp(Vec<u8>),
    SpuriousAfterTimestamp(Vec<u8>),
    SecondHelp(Vec<u8>),
    SecondType(Vec<u8>),
    UnknownType(Vec<u8>),
    NegativeCount(Vec<u8>),
    NegativeBucket(Vec<u8>),
    /// Our deviation: upstream stores HELP bytes as they come; our strings are UTF-8.
    HelpNotUtf8(Vec<u8>),
}

impl From<Eof> for Problem {
    fn from(_: Eof) -> Self {
        Problem::UnexpectedEof
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Problem::*;
        match self {
            UnexpectedEof => f.write_str("unexpected end of input stream"),
            InvalidMetricName => f.write_str("invalid metric name"),
            InvalidMetricNameInComment => f.write_str("invalid metric name in comment"),
            MetricNameNotAllowed(n) => write!(f, "invalid metric name {}", quote(n)),
            LabelNameNotAllowed(n) => write!(f, "invalid label name {}", quote(n)),
            MetricNameNewline(n) => {
                write!(f, "metric name {} contains unescaped new-line", quote(n))
            }
            LabelNameNewline(n) => write!(f, "label name {} contains unescaped new-line", quote(n)),
            LabelValueNewline(v) => {
                write!(f, "label value {} contains unescaped new-line", quote(v))
            }
            // Go's `%c` of a byte is the code point U+0000..U+00FF, hence `char::from`.
            InvalidEscape(b) => write!(f, "invalid escape sequence '\\{}'", char::from(*b)),
            InvalidLabelNameFor(m) => write!(f, "invalid label name for metric {}", quote(m)),
            MultipleMetricNames(m) => write!(f, "multiple metric names for metric {}", quote(m)),
            DuplicateLabelNames(m) => write!(f, "duplicate label names for metric {}", quote(m)),
            UnexpectedEndOfMetricName(b) => {
                write!(f, "unexpected end of metric name {}", quote_byte(*b))
            }
            ExpectedEquals(b) => {
                write!(f, "expected '=' after label name, found {}", quote_byte(*b))
            }
            ReservedLabelName => f.write_str("label name \"__name__\" is reserved"),
            ExpectedQuote(b) => {
                write!(
                    f,
                    "expected '\"' at start of label value, found {}",
                    quote_byte(*b)
                )
            }
            InvalidLabelValue(v) => write!(f, "invalid label value {}", quote(v)),
            UnexpectedEndOfLabelValue(v) => write!(f, "unexpected end of label value {}", quote(v)),
            BadQuantile(v) => {
                write!(
                    f,
                    "expected float as value for 'quantile' label, got {}",
                    quote(v)
                )
            }
            BadLe(v) => write!(
                f,
                "expected float as value for 'le' label, got {}",
                quote(v)
            ),
            BadValue(v) => write!(f, "expected float as value, got {}", quote(v)),
            BadTimestamp(v) => write!(f, "expected integer as timestamp, got {}", quote(v)),
            SpuriousAfterTimestamp(v) => write!(f, "spurious string after timestamp: {}", quote(v)),
            SecondHelp(m) => write!(f, "second HELP line for metric name {}", quote(m)),
            SecondType(m) => write!(
                f,
                "second TYPE line for metric name {}, or TYPE reported after samples",
                quote(m)
            ),
            UnknownType(t) => write!(f, "unknown metric type {}", quote(t)),
            NegativeCount(m) => write!(f, "negative count for histogram {}", quote(m)),
            NegativeBucket(m) => write!(f, "negative bucket population for histogram {}", quote(m)),
            HelpNotUtf8(m) => write!(
                f,
                "HELP text for metric name {} is not valid UTF-8",
                quote(m)
            ),
        }
    }
}
