//! Numbers as upstream reads them: Go's `strconv.ParseFloat` / `ParseInt` grammars and Go's
//! float-to-integer conversions.
//!
//! Rust's parsers accept a different language (`f64::from_str` takes `+nan` and `-nan`, Go
//! rejects them; Go takes hex floats, which upstream then forbids), so the grammar is checked
//! here explicitly and Rust only converts strings already known to be plain decimals.

use crate::model::Count;

/// A sample value, `le` or `quantile`: upstream's `parseFloat`.
///
/// ```text
/// float   = [ "+" | "-" ] ( "inf" | "infinity" )        (case-insensitive)
///         | "nan"                                         (case-insensitive, no sign)
///         | [ "+" | "-" ] decimal
/// decimal = ( digit+ [ "." digit* ] | "." digit+ ) [ ( "e" | "E" ) [ "+" | "-" ] digit+ ]
/// ```
/// Values whose magnitude rounds past `f64::MAX` are errors (Go's `ErrRange`); values that
/// underflow become zero, as in Go. Upstream rejects any `p`, `P` or `_` before calling Go, which
/// is what rules out hex floats and digit separators; the grammar above has neither anyway.
pub fn parse_float(s: &str) -> Option<f64> {
    if s.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let (negative, unsigned) = match s.as_bytes().split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s.as_bytes()),
    };
    if unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity") {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if !is_decimal(unsigned) {
        return None;
    }
    // Rust's conversion rounds correctly, as Go's does.
    let value: f64 = s.parse().ok()?;
    value.is_finite().then_some(value)
}

fn is_decimal(s: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let int_digits = digits(s);
    let mut i = int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        frac_digits = digits(s.get(i + 1..).unwrap_or_default());
        i += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = digits(s.get(i..).unwrap_or_default());
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == s.len()
}

/// A timestamp: Go's `strconv.ParseInt(s, 10, 64)` (optional sign, decimal digits, in range),
/// which is exactly what Rust's `i64::from_str` accepts.
pub(super) fn parse_int(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// Go's `uint64(v)` as compiled for amd64, which upstream applies to a summary's `_count`
/// (verified on 1.5.1: `-1` → 18446744073709551615, `-0.5` → 0, `NaN`, `±Inf` and `1e20` →
/// 9223372036854775808). Rust's `as` saturates instead, so the conversion is spelled out.
pub(super) fn go_u64(v: f64) -> u64 {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    // Go converts below 2^63 as a signed integer, and otherwise subtracts 2^63 first and sets
    // the top bit afterwards; the x86 conversion yields i64::MIN for NaN and out-of-range input.
    let x86_to_i64 = |x: f64| {
        if x.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&x) {
            i64::MIN
        } else {
            x as i64
        }
    };
    if v < TWO_POW_63 {
        x86_to_i64(v) as u64
    } else {
        x86_to_i64(v - TWO_POW_63) as u64 | 1 << 63
    }
}

/// A histogram `_count` or bucket value (upstream 1.11.2): an exact integer in `0..2^64` stays an
/// integer count, anything else (fractions, NaN, +Inf, negative integers) becomes a float count.
/// `None` marks the one rejected case, a negative value that is not an integer (−Inf included).
pub(super) fn histogram_count(v: f64) -> Option<Count> {
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    let integer = v.is_finite() && v.trunc() == v;
    if integer && (0.0..TWO_POW_64).contains(&v) {
        Some(Count::Int(v as u64))
    } else if v < 0.0 && !integer {
        None
    } else {
        Some(Count::Float(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_go() {
        // Accept/reject decisions verified against upstream 1.5.1 where marked (v).
        let accepted: &[(&str, f64)] = &[
            ("1", 1.0),
            ("-1.5", -1.5),
            ("+.5e-3", 0.0005),
            (".5", 0.5), // v
            ("5.", 5.0), // v
            ("1E5", 1e5),
            ("1e-400", 0.0), // v: underflow is not an error
            ("Inf", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("-Inf", f64::NEG_INFINITY),
            ("infinity", f64::INFINITY),      // v
            ("-Infinity", f64::NEG_INFINITY), // v
            ("INFINITY", f64::INFINITY),
            ("1.7976931348623157e308", f64::MAX),
            ("-0", -0.0),
        ];
        for &(input, want) in accepted {
            let got = parse_float(input);
            assert_eq!(got.map(f64::to_bits), Some(want.to_bits()), "{input}");
        }
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
        assert!(parse_float("nan").is_some_and(f64::is_nan));
        let rejected = [
            "",
            ".",
            "+",
            "1e",
            "1e+",
            "e5",
            "1.2.3",
            "1 ",
            " 1",
            "1\r", // v: "1\r", "1e"
            "0x1p3",
            "0x10",
            "1_000",
            "1e400",
            "1.7976931348623159e308", // v: all of these
            "-nan",
            "+nan",
            "infin",
            "infinit",
            "nanx",
            "Infx",
            "++1",
            "1e5.0",
            "١",
        ];
        for input in rejected {
            assert_eq!(parse_float(input), None, "{input:?}");
        }
    }

    #[test]
    fn ints_follow_go() {
        assert_eq!(parse_int("+5"), Some(5));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        for input in [
            "",
            "+",
            "-",
            "1.0",
            "1e3",
            "0x5",
            "1_0",
            "99999999999999999999",
            "#",
        ] {
            assert_eq!(parse_int(input), None, "{input:?}");
        }
    }

    #[test]
    fn summary_counts_convert_like_go_on_amd64() {
        // All verified against upstream 1.5.1 through the JSON API.
        let table: &[(f64, u64)] = &[
            (1.9, 1),
            (-0.5, 0),
            (-1.0, u64::MAX),
            (-1.5, u64::MAX),
            (1e19, 10_000_000_000_000_000_000),
            (9.3e18, 9_300_000_000_000_000_000),
            (1e20, 1 << 63),
            (f64::NAN, 1 << 63),
            (f64::INFINITY, 1 << 63),
            (f64::NEG_INFINITY, 1 << 63),
            (-1e30, 1 << 63),
            (i64::MIN as f64, 1 << 63),
            (18446744073709551615.0, 1 << 63),
        ];
        for &(input, want) in table {
            assert_eq!(go_u64(input), want, "{input}");
        }
    }

    #[test]
    fn histogram_counts() {
        assert_eq!(histogram_count(3.0), Some(Count::Int(3)));
        assert_eq!(histogram_count(-0.0), Some(Count::Int(0)));
        assert_eq!(
            histogram_count(1e19),
            Some(Count::Int(10_000_000_000_000_000_000))
        );
        assert_eq!(histogram_count(2.5), Some(Count::Float(2.5)));
        assert_eq!(histogram_count(1e20), Some(Count::Float(1e20)));
        assert_eq!(
            histogram_count(f64::INFINITY),
            Some(Count::Float(f64::INFINITY))
        );
        assert_eq!(histogram_count(-1.0), Some(Count::Float(-1.0)));
        assert!(matches!(histogram_count(f64::NAN), Some(Count::Float(v)) if v.is_nan()));
        assert_eq!(histogram_count(-0.5), None);
        assert_eq!(histogram_count(f64::NEG_INFINITY), None);
    }
}
