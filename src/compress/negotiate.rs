//! `Accept-Encoding` negotiation for scrapes, as upstream 1.10+ does it (client_golang's copy of
//! gddo's `NegotiateContentEncoding`, offering `identity` then `gzip`; spec §8.6).
//!
//! Grammar, per header line (every `Accept-Encoding` line counts, in order):
//!
//! ```text
//! line  = spec { space* "," space* spec } ...      parsing stops at the first thing that
//! spec  = value space* [ ";" space* "q=" qvalue ]  does not fit; specs before it count
//! value = 1*( token-char | "/" )                   compared case-sensitively: "gzip", "*"
//! qvalue = ( "0" | "1" ) [ "." digit* ]            so "1.5" is 1.5 and "0.000" is 0
//! space = SP | HT | CR | LF
//! ```
//!
//! The offer with the highest q wins, `identity` on ties and when nothing matches; a best q of
//! 0 means no acceptable coding, which upstream answers uncompressed. So `gzip` wins only with
//! a strictly higher q than `identity` (or `*`): `gzip;q=0` and `gzip, identity` are plain.

/// Offered codings, in upstream's order (earlier wins ties).
const OFFERS: [&[u8]; 2] = [b"identity", b"gzip"];

/// Whether a scrape with these `Accept-Encoding` values gets gzip.
pub fn accepts_gzip<'a>(values: impl Iterator<Item = &'a [u8]>) -> bool {
    let mut specs = Vec::new();
    for value in values {
        parse_line(trim(value), &mut specs);
    }
    let mut best: Option<&[u8]> = Some(OFFERS[0]);
    let mut best_q = -1.0;
    for offer in OFFERS {
        for &(value, q) in &specs {
            if q > best_q && (value == b"*" || value == offer) {
                best_q = q;
                best = Some(offer);
            }
        }
    }
    if best_q == 0.0 {
        best = None;
    }
    best == Some(b"gzip")
}

/// Go's header parser trims blanks around a value.
fn trim(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|&b| b != b' ' && b != b'\t');
    let end = value.iter().rposition(|&b| b != b' ' && b != b'\t');
    match (start, end) {
        (Some(start), Some(end)) => value.get(start..=end).unwrap_or_default(),
        _ => &[],
    }
}

fn parse_line<'a>(mut s: &'a [u8], specs: &mut Vec<(&'a [u8], f64)>) {
    loop {
        let (value, rest) = split_while(s, |b| is_token(b) || b == b'/');
        if value.is_empty() {
            return;
        }
        let mut q = 1.0;
        s = skip_space(rest);
        if let Some(rest) = s.strip_prefix(b";") {
            let Some(rest) = skip_space(rest).strip_prefix(b"q=") else {
                return;
            };
            let (quality, rest) = expect_quality(rest);
            if quality < 0.0 {
                return;
            }
            q = quality;
            s = rest;
        }
        specs.push((value, q));
        let Some(rest) = skip_space(s).strip_prefix(b",") else {
            return;
        };
        s = skip_space(rest);
    }
}

/// Go's `expectQuality`: -1 when there is none. Go's `int` arithmetic wraps, and so does ours.
fn expect_quality(s: &[u8]) -> (f64, &[u8]) {
    let q = match s.first() {
        Some(b'0') => 0.0,
        Some(b'1') => 1.0,
        _ => return (-1.0, &[]),
    };
    let after = s.get(1..).unwrap_or_default();
    let Some(s) = after.strip_prefix(b".") else {
        return (q, after);
    };
    let (digits, rest) = split_while(s, |b| b.is_ascii_digit());
    let (mut n, mut d) = (0i64, 1i64);
    for &b in digits {
        n = n.wrapping_mul(10).wrapping_add(i64::from(b - b'0'));
        d = d.wrapping_mul(10);
    }
    (q + n as f64 / d as f64, rest)
}

fn split_while(s: &[u8], keep: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    let end = s.iter().position(|&b| !keep(b)).unwrap_or(s.len());
    s.split_at(end)
}

fn skip_space(s: &[u8]) -> &[u8] {
    split_while(s, |b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).1
}

/// RFC 2616 token characters.
fn is_token(b: u8) -> bool {
    b.is_ascii() && !b.is_ascii_control() && !b" \t\"(),/:;<=>?@[]\\{}".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_like_upstream_1_10() {
        let cases: &[(&[&str], bool)] = &[
            (&[], false),
            (&["gzip"], true),
            (&["gzip, deflate"], true),
            (&["deflate, gzip"], true),
            (&["gzip, deflate, br, zstd"], true),
            (&["deflate"], false),
            (&["identity"], false),
            (&["gzip;q=0"], false),
            (&["gzip; q=0.0"], false),
            (&["gzip;q=0.5"], true),
            (&["gzip;q=1.0"], true),
            (&["gzip, identity"], false),
            (&["identity, gzip"], false),
            (&["identity;q=0.5, gzip"], true),
            (&["identity;q=0.5, gzip;q=0.5"], false),
            (&["identity;q=0, gzip;q=0.001"], true),
            (&["identity;q=0, gzip;q=0"], false),
            (&["*"], false),
            (&["*;q=0.5, gzip"], true),
            (&["gzip;q=0.5, *"], false),
            (&["GZIP"], false),
            (&["x-gzip"], false),
            (&["gzip;level=1"], false),
            (&["gzip;Q=1"], false),
            (&["gzip;q = 1"], false),
            (&["gzip;q=2"], false),
            (&["gzip;q=1.5, identity"], true),
            (&["gzip ;q=0.7 , identity;q=0.6"], true),
            (&[", gzip"], false),
            (&["deflate gzip"], false),
            (&["deflate;x=1, gzip"], false),
            (&["deflate", "gzip"], true),
            (&["identity;q=0.5", "gzip;q=0.6"], true),
            (&["  gzip  "], true),
            (&["gzip;q=0.00000000000000000001"], true),
        ];
        for (values, want) in cases {
            let got = accepts_gzip(values.iter().map(|v| v.as_bytes()));
            assert_eq!(got, *want, "{values:?}");
        }
    }

    #[test]
    fn quality_values_are_read_as_go_reads_them() {
        let cases: &[(&str, f64, &str)] = &[
            ("1", 1.0, ""),
            ("0", 0.0, ""),
            ("0.5", 0.5, ""),
            ("0.25,x", 0.25, ",x"),
            ("1.", 1.0, ""),
            ("1.5", 1.5, ""),
            ("2", -1.0, ""),
            ("", -1.0, ""),
            ("0x", 0.0, "x"),
        ];
        for (input, q, rest) in cases {
            let (got_q, got_rest) = expect_quality(input.as_bytes());
            assert_eq!((got_q, got_rest), (*q, rest.as_bytes()), "{input}");
        }
    }
}
