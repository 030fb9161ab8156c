//! Time stamps written the way Go's `time.Format` writes them, for the JSON API (spec §9.1) and
//! the web UI (spec §11.1), in the zone given (upstream prints its local zone:
//! `crate::time_zone::Zone::local`). Owns only the layouts; the calendar arithmetic is
//! `crate::civil_time`'s, the zone rules `crate::time_zone`'s.

use crate::civil_time::UtcTime;
use crate::clock::Timestamp;
use crate::time_zone::{Zone, ZoneType};
use std::fmt::Write;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Go's `time.RFC3339Nano` (the JSON form of a `time.Time`): the fraction with trailing zeros
/// trimmed, none at all on a whole second. `2025-04-09T10:02:27.716605811Z`, `…+02:00`.
pub fn rfc3339_nano(t: Timestamp, zone: &Zone) -> String {
    let (date_time, nanos, zone) = split(t, zone);
    let mut out = String::with_capacity(35);
    write_date(&mut out, &date_time, 'T');
    write_fraction(&mut out, nanos);
    write_rfc3339_offset(&mut out, zone.offset);
    out
}

/// Go's `time.RFC3339`: whole seconds. `2025-04-09T10:02:27Z`.
pub fn rfc3339_seconds(t: Timestamp, zone: &Zone) -> String {
    let (date_time, _, zone) = split(t, zone);
    let mut out = String::with_capacity(25);
    write_date(&mut out, &date_time, 'T');
    write_rfc3339_offset(&mut out, zone.offset);
    out
}

/// Go's default `time.Time` layout, without the monotonic clock reading that Go appends:
/// `2025-04-09 10:02:27.716605811 +0000 UTC`.
pub fn go_default(t: Timestamp, zone: &Zone) -> String {
    let (date_time, nanos, zone) = split(t, zone);
    let mut out = String::with_capacity(45);
    write_date(&mut out, &date_time, ' ');
    write_fraction(&mut out, nanos);
    let (sign, minutes) = sign_and_minutes(zone.offset);
    let _ = write!(
        out,
        " {sign}{:02}{:02} {}",
        minutes / 60,
        minutes % 60,
        zone.abbrev
    );
    out
}

/// The local calendar fields of the whole second, the nanoseconds past it, and the zone type.
fn split(t: Timestamp, zone: &Zone) -> (UtcTime, u32, &ZoneType) {
    let seconds = t.unix_nanos.div_euclid(NANOS_PER_SECOND);
    let nanos = t.unix_nanos.rem_euclid(NANOS_PER_SECOND) as u32;
    let zone = zone.at(seconds);
    let local = seconds + i64::from(zone.offset);
    // |local| ≤ i64::MAX / 10⁹ + 2³¹, so the milliseconds fit an i64.
    (UtcTime::from_unix_millis(local * 1000), nanos, zone)
}

/// `Z`, or `±hh:mm` (Go drops an offset's seconds here).
fn write_rfc3339_offset(out: &mut String, offset: i32) {
    if offset == 0 {
        out.push('Z');
        return;
    }
    let (sign, minutes) = sign_and_minutes(offset);
    let _ = write!(out, "{sign}{:02}:{:02}", minutes / 60, minutes % 60);
}

fn sign_and_minutes(offset: i32) -> (char, u32) {
    let sign = if offset < 0 { '-' } else { '+' };
    (sign, offset.unsigned_abs() / 60)
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
        let utc = Zone::utc();
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
            assert_eq!(rfc3339_nano(t, &utc), nano, "{nanos}");
            assert_eq!(rfc3339_seconds(t, &utc), seconds, "{nanos}");
            assert_eq!(go_default(t, &utc), default, "{nanos}");
        }
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let utc = Zone::utc();
        for nanos in [i64::MIN, i64::MAX] {
            let t = Timestamp::from_unix_nanos(nanos);
            assert!(rfc3339_nano(t, &utc).ends_with('Z'));
        }
        assert_eq!(
            rfc3339_nano(Timestamp::from_unix_nanos(i64::MAX), &utc),
            "2262-04-11T23:47:16.854775807Z"
        );
    }

    #[test]
    fn local_zones_as_go_writes_them() {
        let tzif = std::fs::read("/usr/share/zoneinfo/America/St_Johns");
        // Debian's tzdata; skipped where there is none.
        let Some(zone) = tzif.ok().and_then(|data| Zone::from_tzif(&data)) else {
            return;
        };
        // Newfoundland: −03:30 in winter, −02:30 (NDT) in summer.
        let winter = Timestamp::from_unix_nanos(1_767_225_600_500_000_000); // 2026-01-01T00:00:00.5Z
        assert_eq!(rfc3339_nano(winter, &zone), "2025-12-31T20:30:00.5-03:30");
        assert_eq!(go_default(winter, &zone), "2025-12-31 20:30:00.5 -0330 NST");
        let summer = Timestamp::from_unix_nanos(1_782_864_000_000_000_000); // 2026-07-01T00:00:00Z
        assert_eq!(rfc3339_seconds(summer, &zone), "2026-06-30T21:30:00-02:30");
        assert_eq!(go_default(summer, &zone), "2026-06-30 21:30:00 -0230 NDT");
    }
}
