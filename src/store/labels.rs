//! A series' label pairs wherever they are kept: in the model, or only in the series' rendered
//! text line (a compact family keeps no model, see `StoredFamily`). Both compare alike, so the
//! scrape merge and the duplicate check need not know which they hold.
//!
//! A rendered line is what `fragment.rs` writes for a counter, gauge or untyped series with
//! legacy names: `name{a="x",b="y"} 1` or `name 1`, label values escaped (`\\`, `\"`, `\n`).

use crate::model::Label;
use std::cmp::Ordering;

/// The label pairs of one series, sorted by name.
#[derive(Clone, Copy, Debug)]
pub enum SeriesLabels<'a> {
    Model(&'a [Label<'a>]),
    /// The bytes from the start of the series' line.
    Line(&'a [u8]),
    /// A line whose number of label pairs is known (a family whose series all have as many),
    /// which spares reading all of them to order it.
    CountedLine(&'a [u8], usize),
}

/// A label value: raw, or as written between the quotes of a rendered line.
#[derive(Clone, Copy, Debug)]
pub struct Value<'a> {
    bytes: &'a [u8],
    escaped: bool,
}

impl<'a> SeriesLabels<'a> {
    /// The label pairs: each name and its value.
    pub fn pairs(self) -> impl Iterator<Item = (&'a [u8], Value<'a>)> {
        match self {
            SeriesLabels::Model(labels) => Pairs::Model(labels.iter()),
            SeriesLabels::Line(line) | SeriesLabels::CountedLine(line, _) => {
                Pairs::Line(label_block(line))
            }
        }
    }

    pub fn len(self) -> usize {
        match self {
            SeriesLabels::Model(labels) => labels.len(),
            SeriesLabels::Line(_) => self.pairs().count(),
            SeriesLabels::CountedLine(_, count) => count,
        }
    }

    /// Writes up to `out.len()` bytes of the series' order key, whose byte order is the
    /// series order up to the label names: the label count, then each value (unescaped; 0 and
    /// 1 written as 1 1 and 1 2) ended by a 0, so that a value sorts before its extensions.
    /// Returns how many bytes it wrote, and whether that is the whole key.
    pub fn order_key(self, out: &mut [u8]) -> (usize, bool) {
        let mut key = KeyWriter { out, len: 0 };
        let count = u32::try_from(self.len()).unwrap_or(u32::MAX);
        let whole = count.to_be_bytes().iter().all(|&b| key.put(b))
            && self.pairs().all(|(_, value)| {
                value.unescaped().all(|b| match b {
                    0 | 1 => key.put(1) && key.put(b + 1),
                    b => key.put(b),
                }) && key.put(0)
            });
        (key.len, whole)
    }
}

/// Fills a buffer until it is full.
struct KeyWriter<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl KeyWriter<'_> {
    /// False once the buffer is full.
    fn put(&mut self, b: u8) -> bool {
        match self.out.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

/// Upstream's series order: fewer label pairs first, then the label values pairwise in
/// label-name order. Upstream leaves ties unspecified; we break them by label names so the
/// order is total and stable (and `Equal` means the same label pairs).
pub fn series_order(a: SeriesLabels<'_>, b: SeriesLabels<'_>) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| {
            let (x, y) = (a.pairs().map(|(_, v)| v), b.pairs().map(|(_, v)| v));
            cmp_each(x, y, Value::cmp)
        })
        .then_with(|| a.pairs().map(|(n, _)| n).cmp(b.pairs().map(|(n, _)| n)))
}

/// True if two series carry exactly the same label pairs.
pub fn same_labels(a: SeriesLabels<'_>, b: SeriesLabels<'_>) -> bool {
    series_order(a, b) == Ordering::Equal
}

fn cmp_each<T>(
    mut a: impl Iterator<Item = T>,
    mut b: impl Iterator<Item = T>,
    cmp: fn(&T, &T) -> Ordering,
) -> Ordering {
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match cmp(&x, &y) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

impl<'a> Value<'a> {
    /// Values compare as the strings they stand for.
    fn cmp(&self, other: &Value<'_>) -> Ordering {
        if self.is_plain() && other.is_plain() {
            return self.bytes.cmp(other.bytes);
        }
        self.unescaped().cmp(other.unescaped())
    }

    fn is_plain(&self) -> bool {
        !self.escaped || memchr::memchr(b'\\', self.bytes).is_none()
    }

    /// The value's bytes, unescaped, appended to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        if self.is_plain() {
            out.extend_from_slice(self.bytes);
        } else {
            out.extend(self.unescaped());
        }
    }

    fn unescaped(self) -> impl Iterator<Item = u8> + 'a {
        let mut bytes = self.bytes.iter().copied();
        let escaped = self.escaped;
        std::iter::from_fn(move || match bytes.next()? {
            b'\\' if escaped => match bytes.next()? {
                b'n' => Some(b'\n'),
                other => Some(other),
            },
            b => Some(b),
        })
    }
}

enum Pairs<'a> {
    Model(std::slice::Iter<'a, Label<'a>>),
    Line(LineLabels<'a>),
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Pairs::Model(labels) => labels.next().map(|l| {
                let value = Value {
                    bytes: l.value.as_bytes(),
                    escaped: false,
                };
                (l.name.as_bytes(), value)
            }),
            Pairs::Line(line) => line.next(),
        }
    }
}

/// The label pairs of a rendered line, read up to the closing brace.
struct LineLabels<'a> {
    rest: &'a [u8],
}

/// The pairs of the line starting at `line`: none if the name is followed by the value.
fn label_block(line: &[u8]) -> LineLabels<'_> {
    let rest = match memchr::memchr2(b'{', b' ', line) {
        Some(i) if line.get(i) == Some(&b'{') => line.get(i + 1..).unwrap_or_default(),
        _ => &[],
    };
    LineLabels { rest }
}

impl<'a> Iterator for LineLabels<'a> {
    type Item = (&'a [u8], Value<'a>);

    /// `name="value"` then `,` or `}`; the value ends at the first unescaped quote.
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest;
        let eq = memchr::memchr(b'=', rest)?;
        let name = rest.get(..eq)?;
        let value_start = eq + 2; // past `="`
        let mut i = value_start;
        let end = loop {
            let j = i + memchr::memchr2(b'"', b'\\', rest.get(i..)?)?;
            if rest.get(j) == Some(&b'"') {
                break j;
            }
            i = j + 2; // an escape and the byte it escapes
        };
        let bytes = rest.get(value_start..end)?;
        self.rest = match rest.get(end + 1) {
            Some(b',') => rest.get(end + 2..)?,
            _ => &[],
        };
        Some((
            name,
            Value {
                bytes,
                escaped: true,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Metric, Value as MetricValue};
    use crate::store::fragment::Fragment;
    use std::borrow::Cow;

    fn labels(pairs: &[(&'static str, &'static str)]) -> Vec<Label<'static>> {
        pairs
            .iter()
            .map(|&(n, v)| Label {
                name: Cow::Borrowed(n),
                value: Cow::Borrowed(v),
            })
            .collect()
    }

    /// The rendered line of a gauge series with these labels.
    fn line(labels: &[Label<'static>]) -> Vec<u8> {
        let family = crate::model::Family {
            name: Cow::Borrowed("m"),
            help: None,
            mtype: crate::model::MetricType::Gauge,
            unit: None,
            metrics: vec![Metric {
                labels: labels.to_vec(),
                value: MetricValue::Simple(1.0),
                timestamp_ms: None,
                pb_value: None,
            }],
        };
        Fragment::render(&family).text.to_vec()
    }

    #[test]
    fn a_line_compares_exactly_as_its_model() {
        let sets: Vec<Vec<Label<'static>>> = vec![
            labels(&[]),
            labels(&[("a", "")]),
            labels(&[("a", "x")]),
            labels(&[("a", "x\\")]),
            labels(&[("a", "x\"y")]),
            labels(&[("a", "x\ny")]),
            labels(&[("a", "x]")]),
            labels(&[("a", "x\u{0}")]),
            labels(&[("a", "x\u{1}")]),
            labels(&[("a", "x\u{2}")]),
            labels(&[("a", "x\\n")]),
            labels(&[("a", "xy"), ("b", "")]),
            labels(&[("a", "x"), ("c", "\"")]),
            labels(&[("a", "x"), ("b", "\\\"")]),
            labels(&[("a", "long value past eight"), ("b", "1")]),
            labels(&[("a", "long value past eighs"), ("b", "1")]),
        ];
        let lines: Vec<Vec<u8>> = sets.iter().map(|s| line(s)).collect();
        for (i, a) in sets.iter().enumerate() {
            for (j, b) in sets.iter().enumerate() {
                let want = series_order(SeriesLabels::Model(a), SeriesLabels::Model(b));
                let from_lines =
                    series_order(SeriesLabels::Line(&lines[i]), SeriesLabels::Line(&lines[j]));
                let mixed = series_order(SeriesLabels::Line(&lines[i]), SeriesLabels::Model(b));
                assert_eq!((from_lines, mixed), (want, want), "{a:?} vs {b:?}");
                assert_eq!(want == Ordering::Equal, i == j);
            }
            let (model, line) = (SeriesLabels::Model(a), SeriesLabels::Line(&lines[i]));
            let counted = SeriesLabels::CountedLine(&lines[i], a.len());
            assert_eq!(line.len(), a.len());
            assert_eq!(
                series_order(counted, SeriesLabels::Model(a)),
                Ordering::Equal
            );
            let key = |s: SeriesLabels<'_>| {
                let mut buf = [0; 64];
                let (len, whole) = s.order_key(&mut buf);
                assert!(whole);
                buf[..len].to_vec()
            };
            assert_eq!(key(line), key(model));
            assert_eq!(key(counted), key(model));
            // Keys order as the series do, up to the label names.
            for (j, b) in sets.iter().enumerate() {
                let want = series_order(model, SeriesLabels::Model(b));
                let by_key = key(model).cmp(&key(SeriesLabels::Model(b)));
                assert!(by_key == want || by_key == Ordering::Equal, "{i} vs {j}");
            }
            // A short buffer holds a prefix of the key.
            let mut short = [0; 3];
            let (len, whole) = model.order_key(&mut short);
            assert_eq!(
                (&short[..len], whole),
                (&key(model)[..len], key(model).len() <= 3)
            );
        }
    }
}
