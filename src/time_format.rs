//! Time stamps written the way Go's `time.Format` writes them, for the JSON API (spec §9.1) and
//! the web UI (spec §11.1).
//!
//! Upstream prints its local time zone; we have no time-zone database (a `FROM scratch` image
//! has none), so every time is UTC: `Z` in RFC 3339, `+0000 UTC` in Go's default layout. Owns
//! only the layouts; the calendar arithmetic is `crate::civil_time`'s.

use crate::civil_time::UtcTime;
use crate::clock::Timestamp;
use std::fmt::Write;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Go's `time.RFC3339Nano` (the JSON form of a `time.Time`): the fraction with trailing zeros
/// trimmed, none at all on a whole second. `2025-04-09T10:02:27.716605811Z`.
pub fn rfc3339_nano(t: Timestamp) -> String {
    let (date_time, nanos) = split(t);
    let mut out = String::with_capacity(30);
    write_date(&mut out, &date_time, 'T');
    write_fraction(&mut out, nanos);
    out.push('Z');
    out
}

/// Go's `time.RFC3339`: whole seconds. `2025-04-09T10:02:27Z`.
pub fn rfc3339_seconds(t: Timestamp) -> String {
    let (date_time, _) = split(t);
    let mut out = String::with_capacity(20);
    write_date(&mut out, &date_time, 'T');
    out.push('Z');
    out
}

/// Go's default `time.Time` layout, without the monotonic clock reading that Go appends:
/// `2025-04-09 10:02:27.716605811 +0000 UTC`.
pub fn go_default(t: Timestamp) -> String {
    let (date_time, nanos) = split(t);
    let mut out = String::with_capacity(40);
    write_date(&mut out, &date_time, ' ');
    write_fraction(&mut out, nanos);
    out.push_str(" +0000 UTC");
    out
}

/// The calendar fields of the whole second, and the nanoseconds past it.
fn split(t: Timestamp) -> (UtcTime, u32) {
    let seconds = t.unix_nanos.div_euclid(NANOS_PER_SECOND);
    let nanos = t.unix_nanos.rem_euclid(NANOS_PER_SECOND) as u32;
    // |seconds| ≤ i64::MAX / 10⁹, so the milliseconds fit an i64.
    (UtcTime::from_unix_millis(seconds * 1000), nanos)
}

fn write_date(out: &mut String, t: &UtcTime, separator: char) {
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}{separator}{:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    );
}

/// `.` and the nanoseconds without trailing zeros; nothing for zero (Go's `.999999999`).
fn write_fraction(out: &mut String, nanos: u32) {
    if nanos == 0 {
        return;
    }
    let mut digits = format!("{nanos:09}");
    while digits.ends_with('0') {
        digits.pop();
    }
    out.push('.');
    out.push_str(&digits);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_as_go_writes_them() {
        // nanoseconds since the epoch → (RFC3339Nano, RFC3339, default layout)
        let cases = [
            (
                0,
                "1970-01-01T00:00:00Z",
                "1970-01-01T00:00:00Z",
                "1970-01-01 00:00:00 +0000 UTC",
            ),
            (
                1_744_192_947_716_605_811,
                "2025-04-09T10:02:27.716605811Z",
                "2025-04-09T10:02:27Z",
                "2025-04-09 10:02:27.716605811 +0000 UTC",
            ),
            (
                1_795_808_030_585_747_720,
                "2026-11-27T19:33:50.58574772Z",
                "2026-11-27T19:33:50Z",
                "2026-11-27 19:33:50.58574772 +0000 UTC",
            ),
            (
                1_000_000_000_100_000_000,
                "2001-09-09T01:46:40.1Z",
                "2001-09-09T01:46:40Z",
                "2001-09-09 01:46:40.1 +0000 UTC",
            ),
            (
                -1,
                "1969-12-31T23:59:59.999999999Z",
                "1969-12-31T23:59:59Z",
                "1969-12-31 23:59:59.999999999 +0000 UTC",
            ),
        ];
        for (nanos, nano, seconds, default) in cases {
            let t = Timestamp::from_unix_nanos(nanos);
            assert_eq!(rfc3339_nano(t), nano, "{nanos}");
            assert_eq!(rfc3339_seconds(t), seconds, "{nanos}");
            assert_eq!(go_default(t), default, "{nanos}");
        }
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        for nanos in [i64::MIN, i64::MAX] {
            let t = Timestamp::from_unix_nanos(nanos);
            assert!(rfc3339_nano(t).ends_with('Z'));
        }
        assert_eq!(
            rfc3339_nano(Timestamp::from_unix_nanos(i64::MAX)),
            "2262-04-11T23:47:16.854775807Z"
        );
    }
}
