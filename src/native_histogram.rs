//! Native (sparse, exponential) histograms as the JSON API and the web UI show them (spec §9.3,
//! upstream 1.8+): the buckets that a pushed protobuf `Histogram` holds in its spans, as
//! `(boundary rule, lower, upper, count)` rows — negative buckets first (most negative first),
//! then the zero bucket when its count is not 0, then the positive buckets; empty buckets left out.
//!
//! Owns: decoding the native fields of a series' stored protobuf value field
//! (`Metric::pb_value`) and the bucket boundaries of each schema. Must never: loop more often than
//! the message holds bucket counts (a span may claim 4 billion buckets), or panic on a message the
//! push decoder accepted.
//!
//! Wire fields (client_model `Histogram`): 1 sample_count, 4 sample_count_float, 5 schema (sint32),
//! 6 zero_threshold, 7 zero_count, 8 zero_count_float, 9/12 negative/positive span
//! (`BucketSpan{1 offset sint32, 2 length uint32}`), 10/13 negative/positive delta (sint64,
//! integer histograms), 11/14 negative/positive count (double, float histograms). Repeated
//! numbers may come packed or one field each.

use crate::parse::protobuf::wire::{Reader, WireError, FIXED64, LEN, VARINT};

/// A bucket count: integer histograms count in `u64`, float histograms in `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BucketCount {
    Int(u64),
    Float(f64),
}

impl BucketCount {
    fn is_zero(self) -> bool {
        match self {
            BucketCount::Int(n) => n == 0,
            BucketCount::Float(f) => f == 0.0,
        }
    }
}

/// One bucket as upstream's API writes it: `[rule, "lower", "upper", "count"]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApiBucket {
    /// 0 = (lower, upper], 1 = [lower, upper), 2 = (lower, upper), 3 = [lower, upper].
    pub rule: u8,
    pub lower: f64,
    pub upper: f64,
    pub count: BucketCount,
}

/// The native part of one histogram series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Native {
    is_float: bool,
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    zero_count_float: f64,
    sample_count: u64,
    sample_count_float: f64,
    negative_spans: Vec<(i32, u32)>,
    positive_spans: Vec<(i32, u32)>,
    negative_deltas: Vec<i64>,
    positive_deltas: Vec<i64>,
    negative_counts: Vec<f64>,
    positive_counts: Vec<f64>,
}

/// The native part of a stored histogram series, if it has one: `pb_value` is the series' value
/// field as pushed (key, length, message). `None` for a classic histogram (no span at all, as
/// upstream decides), for a series pushed as text, and for a field that does not decode.
pub fn decode(pb_value: &[u8]) -> Option<Native> {
    let mut outer = Reader::new(pb_value);
    let (_, wire_type) = outer.key().ok()?;
    if wire_type != LEN {
        return None;
    }
    let native = decode_histogram(outer.bytes().ok()?).ok()?;
    if native.negative_spans.is_empty() && native.positive_spans.is_empty() {
        return None;
    }
    Some(native)
}

fn decode_histogram(message: &[u8]) -> Result<Native, WireError> {
    let mut n = Native::default();
    let mut r = Reader::new(message);
    while !r.is_empty() {
        match r.key()? {
            (1, VARINT) => n.sample_count = r.varint()?,
            (4, FIXED64) => n.sample_count_float = r.double()?,
            (5, VARINT) => n.schema = unzigzag(r.varint()?) as i32,
            (6, FIXED64) => n.zero_threshold = r.double()?,
            (7, VARINT) => n.zero_count = r.varint()?,
            (8, FIXED64) => n.zero_count_float = r.double()?,
            (9, LEN) => n.negative_spans.push(span(r.bytes()?)?),
            (12, LEN) => n.positive_spans.push(span(r.bytes()?)?),
            (10, wire_type) => sint64s(&mut r, wire_type, &mut n.negative_deltas)?,
            (13, wire_type) => sint64s(&mut r, wire_type, &mut n.positive_deltas)?,
            (11, wire_type) => doubles(&mut r, wire_type, &mut n.negative_counts)?,
            (14, wire_type) => doubles(&mut r, wire_type, &mut n.positive_counts)?,
            (_, wire_type) => r.skip(wire_type)?,
        }
    }
    // Upstream's rule (pushgateway `histogram.NewModelHistogram`): a float count anywhere makes
    // the whole histogram a float histogram, read from the `*_count` fields.
    n.is_float = n.sample_count_float > 0.0 || n.zero_count_float > 0.0;
    Ok(n)
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn span(message: &[u8]) -> Result<(i32, u32), WireError> {
    let (mut offset, mut length) = (0, 0);
    let mut r = Reader::new(message);
    while !r.is_empty() {
        match r.key()? {
            (1, VARINT) => offset = unzigzag(r.varint()?) as i32,
            (2, VARINT) => length = r.varint()? as u32,
            (_, wire_type) => r.skip(wire_type)?,
        }
    }
    Ok((offset, length))
}

fn sint64s(r: &mut Reader<'_>, wire_type: u8, out: &mut Vec<i64>) -> Result<(), WireError> {
    match wire_type {
        VARINT => out.push(unzigzag(r.varint()?)),
        LEN => {
            let mut packed = Reader::new(r.bytes()?);
            while !packed.is_empty() {
                out.push(unzigzag(packed.varint()?));
            }
        }
        other => r.skip(other)?,
    }
    Ok(())
}

fn doubles(r: &mut Reader<'_>, wire_type: u8, out: &mut Vec<f64>) -> Result<(), WireError> {
    match wire_type {
        FIXED64 => out.push(r.double()?),
        LEN => {
            let mut packed = Reader::new(r.bytes()?);
            while !packed.is_empty() {
                out.push(packed.double()?);
            }
        }
        other => r.skip(other)?,
    }
    Ok(())
}

impl Native {
    /// The observation count: `sample_count`, or `sample_count_float` for a float histogram.
    pub fn count(&self) -> BucketCount {
        if self.is_float {
            BucketCount::Float(self.sample_count_float)
        } else {
            BucketCount::Int(self.sample_count)
        }
    }

    /// The buckets in upstream's API order, empty ones left out.
    pub fn api_buckets(&self) -> Vec<ApiBucket> {
        let mut out = Vec::new();
        let negative = self.side(
            &self.negative_spans,
            &self.negative_deltas,
            &self.negative_counts,
        );
        // Upstream iterates the negative side from the zero bucket outwards and writes it
        // reversed, so the most negative bucket comes first.
        out.extend(negative.into_iter().rev().map(|(index, count)| ApiBucket {
            rule: 1,
            lower: -bound(index, self.schema),
            upper: -bound(index.wrapping_sub(1), self.schema),
            count,
        }));
        let zero = if self.is_float {
            BucketCount::Float(self.zero_count_float)
        } else {
            BucketCount::Int(self.zero_count)
        };
        if !zero.is_zero() {
            out.push(ApiBucket {
                rule: 3,
                lower: -self.zero_threshold,
                upper: self.zero_threshold,
                count: zero,
            });
        }
        let positive = self.side(
            &self.positive_spans,
            &self.positive_deltas,
            &self.positive_counts,
        );
        out.extend(positive.into_iter().map(|(index, count)| ApiBucket {
            rule: 0,
            lower: bound(index.wrapping_sub(1), self.schema),
            upper: bound(index, self.schema),
            count,
        }));
        out
    }

    /// The non-empty buckets of one side as (index, absolute count), from the zero bucket out.
    /// The first span's offset is its first index; each later offset is the gap after the
    /// previous span. Stops when the counts run out, whatever the spans claim.
    fn side(
        &self,
        spans: &[(i32, u32)],
        deltas: &[i64],
        counts: &[f64],
    ) -> Vec<(i32, BucketCount)> {
        let mut out = Vec::new();
        let (mut index, mut next, mut running) = (0i32, 0usize, 0i64);
        let available = if self.is_float {
            counts.len()
        } else {
            deltas.len()
        };
        'spans: for &(offset, length) in spans {
            index = index.wrapping_add(offset);
            for _ in 0..length {
                if next >= available {
                    break 'spans;
                }
                let count = if self.is_float {
                    BucketCount::Float(counts.get(next).copied().unwrap_or(0.0))
                } else {
                    // Deltas accumulate in i64 and are read as u64, wrapping as upstream does.
                    running = running.wrapping_add(deltas.get(next).copied().unwrap_or(0));
                    BucketCount::Int(running as u64)
                };
                if !count.is_zero() {
                    out.push((index, count));
                }
                next += 1;
                index = index.wrapping_add(1);
            }
        }
        out
    }
}

/// The upper bound of bucket `index` in `schema`: 2^(index / 2^schema). The last finite bucket
/// ends at `f64::MAX` rather than at the overflowing power of two (Prometheus' rule, so that ±Inf
/// observations have a bucket of their own).
fn bound(index: i32, schema: i32) -> f64 {
    if schema < 0 {
        let exp = i64::from(index) << (-i64::from(schema)).min(62);
        if exp == 1024 {
            return f64::MAX;
        }
        return ldexp(1.0, exp);
    }
    let schema = schema.min(30) as u32;
    let fraction_index = i64::from(index) & ((1i64 << schema) - 1);
    // In [0.5, 1): 2^(fraction_index / 2^schema) / 2. `exp2` of an exact binary fraction.
    let fraction = (fraction_index as f64 / (1i64 << schema) as f64).exp2() / 2.0;
    let exp = (i64::from(index) >> schema) + 1;
    if fraction == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(fraction, exp)
}

/// `x · 2^exp` without overflowing on the way when the result is finite.
fn ldexp(mut x: f64, mut exp: i64) -> f64 {
    let step = |x: f64, e: i32| x * 2f64.powi(e);
    while exp > 1000 {
        x = step(x, 1000);
        exp -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while exp < -1000 {
        x = step(x, -1000);
        exp += 1000;
        if x == 0.0 {
            return x;
        }
    }
    step(x, exp as i32)
}

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
