//! Go durations (spec §14.1): `time.ParseDuration` for flag values and `Duration.String()` for
//! showing them (`5m0s`), with Go's exact error messages. Values are signed nanoseconds, as in
//! Go; nothing here knows about flags or clocks.
//!
//! Grammar: `[-+]? ( [0-9]* ( "." [0-9]* )? unit )+` where each number has at least one digit
//! and unit is one of `ns us µs μs ms s m h`; a lone `0` (optionally signed) is also accepted.
//! The total must fit in an `i64` of nanoseconds.

use std::fmt;

/// Why a duration did not parse; `Display` gives Go's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DurationError {
    /// `time: invalid duration "…"`: bad syntax or overflow.
    Invalid { input: Vec<u8> },
    /// `time: missing unit in duration "…"`.
    MissingUnit { input: Vec<u8> },
    /// `time: unknown unit "…" in duration "…"`.
    UnknownUnit { unit: Vec<u8>, input: Vec<u8> },
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Invalid { input } => {
                write!(f, "time: invalid duration {}", time_quote(input))
            }
            DurationError::MissingUnit { input } => {
                write!(f, "time: missing unit in duration {}", time_quote(input))
            }
            DurationError::UnknownUnit { unit, input } => write!(
                f,
                "time: unknown unit {} in duration {}",
                time_quote(unit),
                time_quote(input)
            ),
        }
    }
}

impl std::error::Error for DurationError {}

const NANOSECOND: u64 = 1;
const MICROSECOND: u64 = 1000 * NANOSECOND;
const MILLISECOND: u64 = 1000 * MICROSECOND;
const SECOND: u64 = 1000 * MILLISECOND;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

/// The magnitude limit while accumulating: Go allows up to 2^63 so that `-2^63` (i64::MIN)
/// parses, then rejects 2^63 for positive values at the end.
const MAGNITUDE_MAX: u64 = 1 << 63;

/// Parses like Go's `time.ParseDuration`, returning signed nanoseconds.
pub fn parse(input: &[u8]) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid {
        input: input.to_vec(),
    };
    let (negative, mut rest) = match input.first() {
        Some(b'-') => (true, &input[1..]),
        Some(b'+') => (false, &input[1..]),
        _ => (false, input),
    };
    if rest == b"0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !(rest[0] == b'.' || rest[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let integer_len = digit_count(rest);
        let integer = leading_int(&rest[..integer_len]).ok_or_else(invalid)?;
        rest = &rest[integer_len..];
        let mut fraction = Fraction::default();
        let mut fraction_len = 0;
        if rest.first() == Some(&b'.') {
            rest = &rest[1..];
            fraction_len = digit_count(rest);
            fraction = Fraction::parse(&rest[..fraction_len]);
            rest = &rest[fraction_len..];
        }
        if integer_len == 0 && fraction_len == 0 {
            // A dot with no digits on either side, e.g. ".s".
            return Err(invalid());
        }
        let unit_len = rest
            .iter()
            .position(|&b| b == b'.' || b.is_ascii_digit())
            .unwrap_or(rest.len());
        if unit_len == 0 {
            return Err(DurationError::MissingUnit {
                input: input.to_vec(),
            });
        }
        let unit_text = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit = unit_nanos(unit_text).ok_or_else(|| DurationError::UnknownUnit {
            unit: unit_text.to_vec(),
            input: input.to_vec(),
        })?;
        if integer > MAGNITUDE_MAX / unit {
            return Err(invalid());
        }
        let mut value = integer * unit;
        if fraction.digits > 0 {
            // Go computes the fractional part in float64, which is exact to the nanosecond for
            // every unit up to an hour; truncation toward zero matches Go's conversion.
            value += (fraction.digits as f64 * (unit as f64 / fraction.scale)) as u64;
            if value > MAGNITUDE_MAX {
                return Err(invalid());
            }
        }
        total += value;
        if total > MAGNITUDE_MAX {
            return Err(invalid());
        }
    }
    if negative {
        // total ≤ 2^63, so the negation fits (2^63 itself becomes i64::MIN).
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

fn digit_count(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// The integer part; `None` once it exceeds 2^63 (Go then reports the whole input invalid).
fn leading_int(digits: &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for &d in digits {
        if value > MAGNITUDE_MAX / 10 {
            return None;
        }
        value = value * 10 + u64::from(d - b'0');
        if value > MAGNITUDE_MAX {
            return None;
        }
    }
    Some(value)
}

/// The digits after a decimal point as `digits / scale`. Like Go, it stops gaining precision
/// (but keeps consuming digits) once another digit would overflow.
#[derive(Default)]
struct Fraction {
    digits: u64,
    scale: f64,
}

impl Fraction {
    fn parse(digits: &[u8]) -> Fraction {
        let mut fraction = Fraction {
            digits: 0,
            scale: 1.0,
        };
        for &d in digits {
            if fraction.digits > (MAGNITUDE_MAX - 1) / 10 {
                break;
            }
            let next = fraction.digits * 10 + u64::from(d - b'0');
            if next > MAGNITUDE_MAX {
                break;
            }
            fraction.digits = next;
            fraction.scale *= 10.0;
        }
        fraction
    }
}

fn unit_nanos(unit: &[u8]) -> Option<u64> {
    Some(match unit {
        b"ns" => NANOSECOND,
        // "us", U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU, as Go accepts.
        b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => MICROSECOND,
        b"ms" => MILLISECOND,
        b"s" => SECOND,
        b"m" => MINUTE,
        b"h" => HOUR,
        _ => return None,
    })
}

/// Formats like Go's `Duration.String()`: `0s`, `1.5µs`, `300ms`, `1.5s`, `5m0s`, `1h0m0s`.
pub fn format(nanos: i64) -> String {
    let mut magnitude = nanos.unsigned_abs();
    // Built right to left, as Go does, then reversed once.
    let mut reversed: Vec<char> = Vec::with_capacity(32);
    if magnitude < SECOND {
        if magnitude == 0 {
            return "0s".to_string();
        }
        // Below a second the unit shrinks so the number keeps at least one integer digit.
        reversed.push('s');
        let precision = if magnitude < MICROSECOND {
            reversed.push('n');
            0
        } else if magnitude < MILLISECOND {
            reversed.push('µ');
            3
        } else {
            reversed.push('m');
            6
        };
        magnitude = push_fraction(&mut reversed, magnitude, precision);
        push_int(&mut reversed, magnitude);
    } else {
        reversed.push('s');
        let seconds = push_fraction(&mut reversed, magnitude, 9);
        push_int(&mut reversed, seconds % 60);
        let minutes = seconds / 60;
        if minutes > 0 {
            reversed.push('m');
            push_int(&mut reversed, minutes % 60);
            let hours = minutes / 60;
            // Hours are the largest unit: days vary in length.
            if hours > 0 {
                reversed.push('h');
                push_int(&mut reversed, hours);
            }
        }
    }
    if nanos < 0 {
        reversed.push('-');
    }
    reversed.iter().rev().collect()
}

/// Pushes (reversed) the `precision` low decimal digits of `value` as a fraction, trailing
/// zeros and a bare point omitted; returns `value / 10^precision`.
fn push_fraction(reversed: &mut Vec<char>, mut value: u64, precision: u32) -> u64 {
    let mut printing = false;
    for _ in 0..precision {
        let digit = (value % 10) as u32;
        printing |= digit != 0;
        if printing {
            reversed.extend(char::from_digit(digit, 10));
        }
        value /= 10;
    }
    if printing {
        reversed.push('.');
    }
    value
}

fn push_int(reversed: &mut Vec<char>, mut value: u64) {
    loop {
        reversed.extend(char::from_digit((value % 10) as u32, 10));
        value /= 10;
        if value == 0 {
            break;
        }
    }
}

/// Go's `time.quote`: like `%q` for ASCII, but every byte of a non-ASCII or invalid sequence
/// is written as `\xHH` (the `time` package cannot depend on `strconv`).
fn time_quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() && c >= ' ' {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            } else {
                let mut utf8 = [0; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i64 = 1;
    const US: i64 = 1000 * NS;
    const MS: i64 = 1000 * US;
    const S: i64 = 1000 * MS;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;

    #[test]
    fn parses_what_go_parses() {
        // Cases from Go's time package tests, plus the flags' own defaults.
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600 * MS),
            ("5.s", 5 * S),
            (".5s", 500 * MS),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4 * MS),
            ("1.0040s", S + 4 * MS),
            ("100.00100s", 100 * S + MS),
            ("10ns", 10 * NS),
            ("11us", 11 * US),
            ("12µs", 12 * US),
            ("12μs", 12 * US),
            ("13ms", 13 * MS),
            ("14s", 14 * S),
            ("15m", 15 * M),
            ("16h", 16 * H),
            ("3h30m", 3 * H + 30 * M),
            ("10.5s4m", 4 * M + 10 * S + 500 * MS),
            ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
            (
                "1h2m3s4ms5us6ns",
                H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS,
            ),
            ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
            ("52763797000ns", 52_763_797_000 * NS),
            ("0.3333333333333333333h", 20 * M),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("0.100000000000000000000h", 6 * M),
            (
                "0.830103483285477580700h",
                49 * M + 48 * S + 372_539_827 * NS,
            ),
            ("5m", 5 * M),
            ("1.5h", 90 * M),
            ("2h45m", 2 * H + 45 * M),
            ("300ms", 300 * MS),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input.as_bytes()), Ok(*want), "input {input:?}");
        }
    }

    #[test]
    fn rejects_with_go_messages() {
        let cases: &[(&[u8], &str)] = &[
            (b"", r#"time: invalid duration """#),
            (b"abc", r#"time: invalid duration "abc""#),
            (b"3", r#"time: missing unit in duration "3""#),
            (b"1", r#"time: missing unit in duration "1""#),
            (b"-", r#"time: invalid duration "-""#),
            (b"s", r#"time: invalid duration "s""#),
            (b".", r#"time: invalid duration ".""#),
            (b"-.", r#"time: invalid duration "-.""#),
            (b".s", r#"time: invalid duration ".s""#),
            (b"+.s", r#"time: invalid duration "+.s""#),
            (b"1d", r#"time: unknown unit "d" in duration "1d""#),
            (b"1e3", r#"time: unknown unit "e" in duration "1e3""#),
            (b"5 m", r#"time: unknown unit " m" in duration "5 m""#),
            (b"5m ", r#"time: unknown unit "m " in duration "5m ""#),
            (b"3h-1m", r#"time: unknown unit "h-" in duration "3h-1m""#),
            (b" 5m", r#"time: invalid duration " 5m""#),
            (b"1.5.h", r#"time: missing unit in duration "1.5.h""#),
            (
                b"9223372036854775808ns",
                r#"time: invalid duration "9223372036854775808ns""#,
            ),
            (
                b"9223372036854775.808us",
                r#"time: invalid duration "9223372036854775.808us""#,
            ),
            (
                b"9223372036854ms775us808ns",
                r#"time: invalid duration "9223372036854ms775us808ns""#,
            ),
            (
                b"-9223372036854775809ns",
                r#"time: invalid duration "-9223372036854775809ns""#,
            ),
            (b"99999999999h", r#"time: invalid duration "99999999999h""#),
            (
                b"100000000000000000000ns",
                r#"time: invalid duration "100000000000000000000ns""#,
            ),
            (
                b"3\x00h",
                r#"time: unknown unit "\x00h" in duration "3\x00h""#,
            ),
            (b"x\"y\\", r#"time: invalid duration "x\"y\\""#),
            (
                "1µ".as_bytes(),
                r#"time: unknown unit "\xc2\xb5" in duration "1\xc2\xb5""#,
            ),
            (b"\xffs", r#"time: invalid duration "\xffs""#),
        ];
        for (input, want) in cases {
            let got = parse(input).expect_err("must fail").to_string();
            assert_eq!(got, *want, "input {input:?}");
        }
    }

    #[test]
    fn formats_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (NS, "1ns"),
            (1100 * NS, "1.1µs"),
            (2200 * US, "2.2ms"),
            (300 * MS, "300ms"),
            (S, "1s"),
            (1500 * MS, "1.5s"),
            (30 * S, "30s"),
            (5 * M, "5m0s"),
            (4 * M + 5 * S + MS, "4m5.001s"),
            (H, "1h0m0s"),
            (5 * H + 6 * M + 7 * S + MS, "5h6m7.001s"),
            (8 * M + NS, "8m0.000000001s"),
            (-5 * M, "-5m0s"),
            (-NS, "-1ns"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(format(*nanos), *want, "nanos {nanos}");
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        for nanos in [0, 1, 999, 1_000_001, 5 * M, -3 * H - 1, i64::MAX, i64::MIN] {
            assert_eq!(parse(format(nanos).as_bytes()), Ok(nanos));
        }
    }
}
