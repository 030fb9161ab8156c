//! UTC calendar time from Unix time, by arithmetic alone: no time-zone database, no `/etc`, so
//! log timestamps work in a `FROM scratch` container. Shared with `build.rs` (which includes
//! this file by path) for the build date; it must therefore stay free of crate dependencies.

/// A UTC instant broken into calendar fields (proleptic Gregorian calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millisecond: u32,
}

const MILLIS_PER_DAY: i64 = 86_400_000;

impl UtcTime {
    pub fn from_unix_millis(unix_millis: i64) -> UtcTime {
        let days = unix_millis.div_euclid(MILLIS_PER_DAY);
        let millis_of_day = unix_millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds_of_day = (millis_of_day / 1000) as u32;
        UtcTime {
            year,
            month,
            day,
            hour: seconds_of_day / 3600,
            minute: seconds_of_day / 60 % 60,
            second: seconds_of_day % 60,
            millisecond: (millis_of_day % 1000) as u32,
        }
    }
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), after Howard Hinnant's
/// `civil_from_days`: shift the epoch to 0000-03-01 so the leap day ends each 400-year era.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month 1..=12, day 1..=31) → days since 1970-01-01: the inverse of
/// [`civil_from_days`], after Howard Hinnant's `days_from_civil`.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> UtcTime {
        UtcTime {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            millisecond: ms,
        }
    }

    #[test]
    fn days_from_civil_inverts_civil_from_days() {
        for days in (-800_000..800_000)
            .step_by(997)
            .chain([-719_468, -1, 0, 1, 11_016, 47_541])
        {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn unix_millis_to_calendar() {
        let cases = [
            (0, utc(1970, 1, 1, 0, 0, 0, 0)),
            (-1, utc(1969, 12, 31, 23, 59, 59, 999)),
            (951_782_400_000, utc(2000, 2, 29, 0, 0, 0, 0)),
            (951_868_799_999, utc(2000, 2, 29, 23, 59, 59, 999)),
            (4_107_542_399_000, utc(2100, 2, 28, 23, 59, 59, 0)),
            (4_107_542_400_000, utc(2100, 3, 1, 0, 0, 0, 0)),
            (1_798_394_400_123, utc(2026, 12, 27, 18, 0, 0, 123)),
            (1_795_802_400_123, utc(2026, 11, 27, 18, 0, 0, 123)),
            (253_402_300_799_999, utc(9999, 12, 31, 23, 59, 59, 999)),
            (-62_135_596_800_000, utc(1, 1, 1, 0, 0, 0, 0)),
        ];
        for (millis, want) in cases {
            assert_eq!(UtcTime::from_unix_millis(millis), want, "millis {millis}");
        }
    }

    #[test]
    fn extreme_inputs_do_not_overflow() {
        assert_eq!(UtcTime::from_unix_millis(i64::MAX).year, 292_278_994);
        assert_eq!(UtcTime::from_unix_millis(i64::MIN).year, -292_275_055);
    }
}
