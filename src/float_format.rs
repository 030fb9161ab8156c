//! Float to text, spec §18.1: Go's `strconv.FormatFloat(v, 'g', -1, 64)` for the exposition and
//! the JSON API, and plain shortest digits for the HTML UI.
//!
//! Owns: the three output forms. Must never: allocate beyond the caller's output buffer (these
//! run for every pushed value), or print digits other than the shortest round-trip ones.
//!
//! The digits come from Rust's `{:e}` formatting, which yields the shortest decimal that parses
//! back to the same `f64` (the closest one when several are as short), the digits Go's `'g', -1`
//! prints. Only the layout around them differs between the forms:
//! - Go `'g'`: exponent form `d[.ddd]e±XX` when the decimal exponent x of the first digit is
//!   below −4 or at least 6, else plain; `NaN`, `+Inf`, `-Inf`; −0 is `-0`.
//! - exposition: the same, except that both zeros are `0` (upstream's text writer special-cases
//!   zero before formatting).
//! - UI: always plain, e.g. `12345678901234567000`, `0.00001`, `-0`.

use std::fmt::Write;

/// Appends `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)` does (the JSON API's form).
pub fn write_go_float(out: &mut Vec<u8>, v: f64) {
    write_g(out, v);
}

/// Appends `v` as the text exposition writes it: Go's `'g'` form, but `0` for −0 too.
pub fn write_expo_float(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.push(b'0');
    } else {
        write_g(out, v);
    }
}

/// Appends `v` as the HTML UI prints it: shortest round-trip digits, never in exponent form.
pub fn write_plain_float(out: &mut String, v: f64) {
    let Some(digits) = special_or_digits(out, v) else {
        return;
    };
    write_plain(out, &digits);
}

fn write_g(out: &mut Vec<u8>, v: f64) {
    let Some(digits) = special_or_digits(out, v) else {
        return;
    };
    // Go decides with precision 6 for the shortest form, whatever the number of digits.
    if digits.exp < -4 || digits.exp >= 6 {
        write_exponent(out, &digits);
    } else {
        write_plain(out, &digits);
    }
}

/// Writes NaN, the infinities and the zeros (with their sign) completely and returns `None`;
/// for any other value writes the sign and returns the digits of its magnitude.
fn special_or_digits(out: &mut impl Sink, v: f64) -> Option<Digits> {
    if v.is_nan() {
        out.push_str("NaN");
        return None;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return None;
    }
    if v.is_sign_negative() {
        out.push_byte(b'-');
    }
    if v == 0.0 {
        out.push_byte(b'0');
        return None;
    }
    Some(Digits::shortest(v.abs()))
}

/// `d₁.d₂…dₙe±XX`, the exponent with at least two digits.
fn write_exponent(out: &mut impl Sink, digits: &Digits) {
    let d = digits.as_slice();
    out.push_byte(d[0]);
    if d.len() > 1 {
        out.push_byte(b'.');
        out.push_slice(&d[1..]);
    }
    out.push_byte(b'e');
    out.push_byte(if digits.exp < 0 { b'-' } else { b'+' });
    let exp = digits.exp.unsigned_abs();
    if exp < 10 {
        out.push_byte(b'0');
    }
    let mut buf = StackBuf::new();
    // A u32 always fits in the stack buffer.
    let _ = write!(buf, "{exp}");
    out.push_slice(buf.as_slice());
}

/// The digits with the decimal point placed by the exponent: no exponent, no trailing zeros after
/// the point, no trailing point.
fn write_plain(out: &mut impl Sink, digits: &Digits) {
    let d = digits.as_slice();
    if digits.exp < 0 {
        out.push_str("0.");
        for _ in 1..digits.exp.unsigned_abs() {
            out.push_byte(b'0');
        }
        out.push_slice(d);
        return;
    }
    let int_len = digits.exp.unsigned_abs() as usize + 1;
    if d.len() <= int_len {
        out.push_slice(d);
        for _ in d.len()..int_len {
            out.push_byte(b'0');
        }
    } else {
        out.push_slice(&d[..int_len]);
        out.push_byte(b'.');
        out.push_slice(&d[int_len..]);
    }
}

/// The shortest round-trip decimal digits of a positive finite number: `v = d₁.d₂…dₙ × 10^exp`.
struct Digits {
    /// An `f64` never needs more than 17 significant digits.
    buf: [u8; 17],
    len: usize,
    exp: i32,
}

impl Digits {
    fn shortest(v: f64) -> Digits {
        assert!(
            v.is_finite() && v > 0.0,
            "only positive finite values have digits"
        );
        let mut text = StackBuf::new();
        // `{:e}` of a finite f64 is at most 24 bytes ("1.2345678901234567e-308"), so it fits.
        let _ = write!(text, "{v:e}");
        let text = text.as_slice();
        let e = text.iter().position(|&b| b == b'e');
        let (mantissa, exponent) = match e {
            Some(e) => (&text[..e], &text[e + 1..]),
            None => (text, &b"0"[..]),
        };
        let mut digits = Digits {
            buf: [0; 17],
            len: 0,
            exp: 0,
        };
        for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
            assert!(
                digits.len < digits.buf.len(),
                "shortest f64 digits exceed 17"
            );
            digits.buf[digits.len] = b;
            digits.len += 1;
        }
        let (negative, magnitude) = match exponent.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, exponent),
        };
        let magnitude = magnitude
            .iter()
            .fold(0i32, |acc, &b| acc * 10 + i32::from(b - b'0'));
        digits.exp = if negative { -magnitude } else { magnitude };
        assert!(
            digits.len > 0 && digits.buf[0] != b'0',
            "shortest digits start with a non-zero digit"
        );
        digits.round_tie_to_even(v);
        digits
    }

    /// When `v` lies exactly halfway between the two closest shortest candidates, Rust picks
    /// the upper one and Go (Ryu) the even one (e.g. 891329261587836.25: Rust `…836.3`, Go
    /// `…836.2`, verified on 1.5.1). Rust's choice is odd in the last digit exactly when they
    /// differ; the lower neighbour is then taken if it still parses back to `v`.
    fn round_tie_to_even(&mut self, v: f64) {
        let last = self.len - 1;
        if (self.buf[last] - b'0') % 2 == 0 || !self.is_upper_of_tie(v) {
            return;
        }
        self.buf[last] -= 1;
        if self.parse() == Some(v) {
            while self.len > 1 && self.buf[self.len - 1] == b'0' {
                self.len -= 1;
            }
        } else {
            self.buf[last] += 1;
        }
    }

    /// Whether `v` is exactly (D − ½) × 10^k, D being the digits as an integer and k the
    /// exponent of the last one; decided in integers: with 2v = o × 2^p (o odd) and
    /// 2D − 1 odd, both sides must have the same power of two (p = k) and the same odd part.
    fn is_upper_of_tie(&self, v: f64) -> bool {
        let d = self
            .as_slice()
            .iter()
            .fold(0u128, |acc, &b| acc * 10 + u128::from(b - b'0'));
        let odd_digits = 2 * d - 1;
        let k = self.exp - (self.len as i32 - 1);
        let bits = v.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        let (mantissa, exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1 << 52, biased - 1075)
        };
        let zeros = mantissa.trailing_zeros();
        let odd_v = u128::from(mantissa >> zeros);
        if zeros as i32 + exp2 + 1 != k {
            return false;
        }
        let five_pow = |n: u32| 5u128.checked_pow(n);
        if k >= 0 {
            five_pow(k.unsigned_abs())
                .and_then(|p| p.checked_mul(odd_digits))
                .is_some_and(|rhs| rhs == odd_v)
        } else {
            five_pow(k.unsigned_abs())
                .and_then(|p| p.checked_mul(odd_v))
                .is_some_and(|lhs| lhs == odd_digits)
        }
    }

    /// The value the digits denote.
    fn parse(&self) -> Option<f64> {
        let mut text = StackBuf::new();
        text.write_str(std::str::from_utf8(self.as_slice()).ok()?)
            .ok()?;
        write!(text, "e{}", self.exp - (self.len as i32 - 1)).ok()?;
        std::str::from_utf8(text.as_slice()).ok()?.parse().ok()
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A small fixed buffer for `write!`, so that formatting allocates nothing.
struct StackBuf {
    buf: [u8; 32],
    len: usize,
}

impl StackBuf {
    fn new() -> StackBuf {
        StackBuf {
            buf: [0; 32],
            len: 0,
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let Some(dest) = self.buf.get_mut(self.len..end) else {
            return Err(std::fmt::Error);
        };
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The two output buffers the forms are written to; everything written is ASCII.
trait Sink {
    fn push_byte(&mut self, b: u8);
    fn push_slice(&mut self, s: &[u8]);
    fn push_str(&mut self, s: &str) {
        self.push_slice(s.as_bytes());
    }
}

impl Sink for Vec<u8> {
    fn push_byte(&mut self, b: u8) {
        self.push(b);
    }
    fn push_slice(&mut self, s: &[u8]) {
        self.extend_from_slice(s);
    }
}

impl Sink for String {
    fn push_byte(&mut self, b: u8) {
        assert!(b.is_ascii(), "float text is ASCII");
        self.push(char::from(b));
    }
    fn push_slice(&mut self, s: &[u8]) {
        for &b in s {
            self.push_byte(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(v: f64) -> String {
        let mut out = Vec::new();
        write_go_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn expo(v: f64) -> String {
        let mut out = Vec::new();
        write_expo_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn plain(v: f64) -> String {
        let mut out = String::new();
        write_plain_float(&mut out, v);
        out
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14 is the spec's row, not an approximation of π
    fn spec_table() {
        // Spec §18.1, verified on upstream 1.5.1: value → (exposition/JSON, UI).
        let rows: &[(f64, &str, &str)] = &[
            (0.0001, "0.0001", "0.0001"),
            (0.000123, "0.000123", "0.000123"),
            (0.00001, "1e-05", "0.00001"),
            (3.14, "3.14", "3.14"),
            (100000.0, "100000", "100000"),
            (123456.0, "123456", "123456"),
            (999999.5, "999999.5", "999999.5"),
            (1000000.0, "1e+06", "1000000"),
            (1234567.0, "1.234567e+06", "1234567"),
            (
                1795801974.4005775,
                "1.7958019744005775e+09",
                "1795801974.4005775",
            ),
            (
                12345678901234567890.0,
                "1.2345678901234567e+19",
                "12345678901234567000",
            ),
            (1e21, "1e+21", "1000000000000000000000"),
        ];
        for &(v, want_go, want_plain) in rows {
            assert_eq!(go(v), want_go, "go form of {v:e}");
            assert_eq!(expo(v), want_go, "exposition form of {v:e}");
            assert_eq!(plain(v), want_plain, "UI form of {v:e}");
        }
    }

    #[test]
    #[allow(clippy::excessive_precision)] // the tie rows spell out their exact binary values
    fn special_values_and_edges() {
        // value → (Go 'g', exposition, UI)
        let rows: &[(f64, &str, &str, &str)] = &[
            (0.0, "0", "0", "0"),
            (-0.0, "-0", "0", "-0"),
            (f64::NAN, "NaN", "NaN", "NaN"),
            (f64::INFINITY, "+Inf", "+Inf", "+Inf"),
            (f64::NEG_INFINITY, "-Inf", "-Inf", "-Inf"),
            (1.0, "1", "1", "1"),
            (-1.0, "-1", "-1", "-1"),
            (-2.5, "-2.5", "-2.5", "-2.5"),
            (10000000.0, "1e+07", "1e+07", "10000000"),
            (999999.0, "999999", "999999", "999999"),
            (123456.7, "123456.7", "123456.7", "123456.7"),
            (-0.00001, "-1e-05", "-1e-05", "-0.00001"),
            (1.5e-10, "1.5e-10", "1.5e-10", "0.00000000015"),
            (1e100, "1e+100", "1e+100", &format!("1{}", "0".repeat(100))),
            (
                5e-324,
                "5e-324",
                "5e-324",
                &format!("0.{}5", "0".repeat(323)),
            ),
            (
                f64::MAX,
                "1.7976931348623157e+308",
                "1.7976931348623157e+308",
                &format!("17976931348623157{}", "0".repeat(292)),
            ),
            (
                0.1 + 0.2,
                "0.30000000000000004",
                "0.30000000000000004",
                "0.30000000000000004",
            ),
            (
                1795801307.595919,
                "1.795801307595919e+09",
                "1.795801307595919e+09",
                "1795801307.595919",
            ),
            // Exact ties between two shortest candidates go to the even digit, as in Go (these
            // three came out of a comparison with upstream 1.5.1; Rust's `{:e}` rounds them up).
            (
                891329261587836.25,
                "8.913292615878362e+14",
                "8.913292615878362e+14",
                "891329261587836.2",
            ),
            (
                -846570547577178.25,
                "-8.465705475771782e+14",
                "-8.465705475771782e+14",
                "-846570547577178.2",
            ),
            (
                727657599765081.25,
                "7.276575997650812e+14",
                "7.276575997650812e+14",
                "727657599765081.2",
            ),
            (
                4503599627370496.5,
                "4.503599627370496e+15",
                "4.503599627370496e+15",
                "4503599627370496",
            ),
            (
                4503599627370497.5,
                "4.503599627370498e+15",
                "4.503599627370498e+15",
                "4503599627370498",
            ),
        ];
        for (v, want_go, want_expo, want_plain) in rows {
            assert_eq!(go(*v), *want_go, "go form of {v:e}");
            assert_eq!(expo(*v), *want_expo, "exposition form of {v:e}");
            assert_eq!(plain(*v), *want_plain, "UI form of {v:e}");
        }
    }

    #[test]
    fn appends_to_existing_output() {
        let mut out = b"x ".to_vec();
        write_expo_float(&mut out, 1e6);
        assert_eq!(out, b"x 1e+06");
        let mut s = String::from("v=");
        write_plain_float(&mut s, 1e6);
        assert_eq!(s, "v=1000000");
    }

    /// A seeded xorshift over raw bit patterns, so every exponent range gets exercised.
    fn sample_bits(count: usize) -> impl Iterator<Item = f64> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..count).map(move |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f64::from_bits(state)
        })
    }

    #[test]
    fn all_forms_round_trip() {
        for v in sample_bits(200_000).filter(|v| v.is_finite()) {
            for text in [go(v), expo(v), plain(v)] {
                let back: f64 = text.parse().unwrap();
                assert_eq!(back.to_bits(), v.to_bits(), "{text} from {v:e}");
            }
        }
    }
}
