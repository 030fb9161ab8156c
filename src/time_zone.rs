//! The local time zone, as Go's `time.Local` finds it, so that the JSON API and the web UI print
//! the times upstream prints (spec §9.1, §11.1): `TZ` unset → `/etc/localtime`; `TZ=""` or
//! `TZ=UTC` → UTC; `TZ=/path` or `TZ=:/path` → that file; `TZ=Area/City` → the zoneinfo
//! directories. A zone that cannot be loaded is UTC, as in Go — and so is everything in a
//! `FROM scratch` image, which has no zoneinfo.
//!
//! Owns: reading a TZif file (RFC 8536) once at start-up, and the offset and abbreviation in
//! force at an instant, from the file's transitions and, past the last one, its POSIX `TZ` rule
//! (the footer, e.g. `CET-1CEST,M3.5.0,M10.5.0/3`). Must never: panic on a malformed file (it is
//! UTC then), or read the file again after start-up.

use crate::civil_time::{days_from_civil, UtcTime};

const SECONDS_PER_DAY: i64 = 86_400;
/// Where Go looks for `TZ=Area/City` on Unix.
const ZONEINFO_DIRS: [&str; 4] = [
    "/usr/share/zoneinfo/",
    "/usr/share/lib/zoneinfo/",
    "/usr/lib/locale/TZ/",
    "/etc/zoneinfo/",
];
/// Larger than any zoneinfo file; a bigger file is not read.
const TZIF_BYTES_MAX: u64 = 1 << 20;

/// A local time type: the offset east of UTC and its abbreviation (`CET`, `+03`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneType {
    pub offset: i32,
    pub abbrev: String,
    is_dst: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Zone {
    /// Transition instants (Unix seconds, ascending) and the type in force from each on.
    transitions: Vec<(i64, usize)>,
    types: Vec<ZoneType>,
    /// The type before the first transition.
    first: usize,
    /// The POSIX rule for instants after the last transition.
    rule: Option<Rule>,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            transitions: Vec::new(),
            types: vec![ZoneType {
                offset: 0,
                abbrev: "UTC".to_string(),
                is_dst: false,
            }],
            first: 0,
            rule: None,
        }
    }

    /// The zone `TZ` names, read once: Go's rules (module documentation).
    pub fn local() -> Zone {
        let loaded = match std::env::var_os("TZ") {
            None => load_file("/etc/localtime"),
            Some(tz) => {
                let tz = tz.to_string_lossy();
                let tz = tz.strip_prefix(':').unwrap_or(&tz);
                if tz.starts_with('/') {
                    load_file(tz)
                } else if tz.is_empty() || tz == "UTC" || tz.contains("..") {
                    None
                } else {
                    ZONEINFO_DIRS
                        .iter()
                        .find_map(|dir| load_file(&format!("{dir}{tz}")))
                }
            }
        };
        loaded.unwrap_or_else(Zone::utc)
    }

    /// The type in force at `unix_seconds`.
    pub fn at(&self, unix_seconds: i64) -> &ZoneType {
        let after = self
            .transitions
            .partition_point(|&(when, _)| when <= unix_seconds);
        if after == 0 {
            return self.type_or_utc(self.first);
        }
        if after == self.transitions.len() {
            if let Some(rule) = &self.rule {
                return rule.at(unix_seconds);
            }
        }
        let (_, index) = self.transitions[after - 1];
        self.type_or_utc(index)
    }

    fn type_or_utc(&self, index: usize) -> &ZoneType {
        // Indexes are checked when the file is read; `types` is never empty.
        &self.types[index.min(self.types.len() - 1)]
    }

    /// A TZif file (version 1, or the 64-bit data of versions 2+ and their footer rule).
    pub fn from_tzif(data: &[u8]) -> Option<Zone> {
        let mut cursor = Cursor { data, pos: 0 };
        let v1 = Header::read(&mut cursor)?;
        if v1.version == 0 {
            return v1.read_data(&mut cursor, 4, None);
        }
        cursor.skip(v1.data_len(4))?;
        let v2 = Header::read(&mut cursor)?;
        let body_end = cursor.pos.checked_add(v2.data_len(8))?;
        let footer = data.get(body_end..).and_then(|rest| {
            let rest = rest.strip_prefix(b"\n")?;
            let end = rest.iter().position(|&b| b == b'\n')?;
            std::str::from_utf8(rest.get(..end)?).ok()
        });
        v2.read_data(&mut cursor, 8, footer.and_then(Rule::parse))
    }
}

fn load_file(path: &str) -> Option<Zone> {
    use std::io::Read;
    let mut data = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(TZIF_BYTES_MAX)
        .read_to_end(&mut data)
        .ok()?;
    Zone::from_tzif(&data)
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(bytes)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    fn u32(&mut self) -> Option<u32> {
        let bytes = self.take(4)?;
        Some(u32::from_be_bytes(bytes.try_into().ok()?))
    }

    fn time(&mut self, width: usize) -> Option<i64> {
        let bytes = self.take(width)?;
        Some(match width {
            4 => i64::from(i32::from_be_bytes(bytes.try_into().ok()?)),
            _ => i64::from_be_bytes(bytes.try_into().ok()?),
        })
    }
}

struct Header {
    version: u8,
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

impl Header {
    fn read(c: &mut Cursor<'_>) -> Option<Header> {
        if c.take(4)? != b"TZif" {
            return None;
        }
        let version = match c.take(1)? {
            [0] => 0,
            [v] if v.is_ascii_digit() => v - b'0',
            _ => return None,
        };
        c.skip(15)?;
        let mut count = || c.u32().map(|n| n as usize);
        Some(Header {
            version,
            isutcnt: count()?,
            isstdcnt: count()?,
            leapcnt: count()?,
            timecnt: count()?,
            typecnt: count()?,
            charcnt: count()?,
        })
    }

    /// Bytes of the data block after this header, with `width`-byte times.
    fn data_len(&self, width: usize) -> usize {
        self.timecnt * (width + 1)
            + self.typecnt * 6
            + self.charcnt
            + self.leapcnt * (width + 4)
            + self.isstdcnt
            + self.isutcnt
    }

    fn read_data(&self, c: &mut Cursor<'_>, width: usize, rule: Option<Rule>) -> Option<Zone> {
        if self.typecnt == 0 {
            return None;
        }
        let mut times = Vec::with_capacity(self.timecnt.min(4096));
        for _ in 0..self.timecnt {
            times.push(c.time(width)?);
        }
        let indexes = c.take(self.timecnt)?;
        let mut raw_types = Vec::with_capacity(self.typecnt);
        for _ in 0..self.typecnt {
            let offset = c.u32()? as i32;
            let is_dst = c.take(1)? != [0];
            let abbrev_at = usize::from(*c.take(1)?.first()?);
            raw_types.push((offset, is_dst, abbrev_at));
        }
        let chars = c.take(self.charcnt)?;
        let types = raw_types
            .into_iter()
            .map(|(offset, is_dst, at)| {
                let tail = chars.get(at..)?;
                let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
                let abbrev = String::from_utf8_lossy(tail.get(..end)?).into_owned();
                Some(ZoneType {
                    offset,
                    abbrev,
                    is_dst,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        if indexes.iter().any(|&i| usize::from(i) >= types.len()) {
            return None;
        }
        let transitions: Vec<(i64, usize)> = times
            .into_iter()
            .zip(indexes.iter().map(|&i| usize::from(i)))
            .collect();
        Some(Zone {
            first: first_type(&types, &transitions),
            transitions,
            types,
            rule,
        })
    }
}

/// Go's `lookupFirstZone`: the type for instants before the first transition — type 0 if no
/// transition uses it, else the last standard-time type before the first transition's, else
/// the first standard-time type.
fn first_type(types: &[ZoneType], transitions: &[(i64, usize)]) -> usize {
    if !transitions.iter().any(|&(_, i)| i == 0) {
        return 0;
    }
    if let Some(&(_, first)) = transitions.first() {
        if types[first].is_dst {
            if let Some(i) = (0..first).rev().find(|&i| !types[i].is_dst) {
                return i;
            }
        }
    }
    types.iter().position(|t| !t.is_dst).unwrap_or(0)
}

/// A POSIX `TZ` rule: `std offset [dst [offset] [,start[/time],end[/time]]]`.
#[derive(Clone, Debug, PartialEq)]
struct Rule {
    std: ZoneType,
    dst: Option<(ZoneType, Change, Change)>,
}

/// A day of the year and the local time of day (seconds) when daylight time starts or ends.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Change {
    day: Day,
    time: i64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Day {
    /// `Jn`: 1..=365, February 29 never counted.
    Julian(i64),
    /// `n`: 0..=365, February 29 counted.
    Zero(i64),
    /// `Mm.w.d`: weekday d (0 = Sunday) of week w (5 = the last) of month m.
    Month(u32, i64, i64),
}

impl Rule {
    fn parse(s: &str) -> Option<Rule> {
        let mut p = RuleParser { s: s.as_bytes() };
        let std_name = p.name()?;
        let std = ZoneType {
            offset: -p.offset()?,
            abbrev: std_name,
            is_dst: false,
        };
        if p.s.is_empty() {
            return Some(Rule { std, dst: None });
        }
        let dst_name = p.name()?;
        let dst_offset = if p.s.first().is_some_and(|&b| b != b',') {
            -p.offset()?
        } else {
            std.offset + 3600
        };
        let dst = ZoneType {
            offset: dst_offset,
            abbrev: dst_name,
            is_dst: true,
        };
        // POSIX leaves the default rule to the implementation; Go (and glibc) use the US one.
        let (start, end) = if p.s.is_empty() {
            let at_two = |day| Change { day, time: 7200 };
            (at_two(Day::Month(3, 2, 0)), at_two(Day::Month(11, 1, 0)))
        } else {
            p.expect(b',')?;
            let start = p.change()?;
            p.expect(b',')?;
            (start, p.change()?)
        };
        if !p.s.is_empty() {
            return None;
        }
        Some(Rule {
            std,
            dst: Some((dst, start, end)),
        })
    }

    fn at(&self, unix_seconds: i64) -> &ZoneType {
        let Some((dst, start, end)) = &self.dst else {
            return &self.std;
        };
        let year = UtcTime::from_unix_millis(unix_seconds.saturating_mul(1000)).year;
        let year_start = days_from_civil(year, 1, 1) * SECONDS_PER_DAY;
        // Both changes in Unix seconds: the start happens in standard time, the end in daylight.
        let start_at = year_start + start.seconds_into(year) - i64::from(self.std.offset);
        let end_at = year_start + end.seconds_into(year) - i64::from(dst.offset);
        let in_dst = if start_at < end_at {
            start_at <= unix_seconds && unix_seconds < end_at
        } else {
            // Southern hemisphere: daylight time spans the new year.
            !(end_at <= unix_seconds && unix_seconds < start_at)
        };
        if in_dst {
            dst
        } else {
            &self.std
        }
    }
}

impl Change {
    /// Seconds from the year's first midnight to this change (local time).
    fn seconds_into(&self, year: i64) -> i64 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let day = match self.day {
            Day::Julian(n) => n - 1 + i64::from(leap && n >= 60),
            Day::Zero(n) => n,
            Day::Month(month, week, weekday) => {
                let first = days_from_civil(year, month, 1);
                // 1970-01-01 was a Thursday (4).
                let first_weekday = (first + 4).rem_euclid(7);
                let mut day_of_month = (weekday - first_weekday).rem_euclid(7);
                let (next_year, next_month) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                let month_len = days_from_civil(next_year, next_month, 1) - first;
                for _ in 1..week {
                    if day_of_month + 7 >= month_len {
                        break;
                    }
                    day_of_month += 7;
                }
                first - days_from_civil(year, 1, 1) + day_of_month
            }
        };
        day * SECONDS_PER_DAY + self.time
    }
}

struct RuleParser<'a> {
    s: &'a [u8],
}

impl RuleParser<'_> {
    fn expect(&mut self, byte: u8) -> Option<()> {
        let (&first, rest) = self.s.split_first()?;
        (first == byte).then(|| self.s = rest)
    }

    /// `<+03>` (quoted) or three or more letters.
    fn name(&mut self) -> Option<String> {
        let (name, rest) = if self.s.first() == Some(&b'<') {
            let end = self.s.iter().position(|&b| b == b'>')?;
            (self.s.get(1..end)?, self.s.get(end + 1..)?)
        } else {
            let end = self
                .s
                .iter()
                .position(|b| !b.is_ascii_alphabetic())
                .unwrap_or(self.s.len());
            (self.s.get(..end)?, self.s.get(end..)?)
        };
        if name.len() < 3 {
            return None;
        }
        self.s = rest;
        Some(String::from_utf8_lossy(name).into_owned())
    }

    fn number(&mut self) -> Option<i64> {
        let end = self
            .s
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(self.s.len());
        if end == 0 || end > 6 {
            return None;
        }
        let digits = std::str::from_utf8(self.s.get(..end)?).ok()?;
        self.s = self.s.get(end..)?;
        digits.parse().ok()
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (POSIX sign: west of UTC is positive).
    fn offset(&mut self) -> Option<i32> {
        let sign = match self.s.first() {
            Some(b'-') => -1,
            Some(b'+') => 1,
            _ => 1,
        };
        if matches!(self.s.first(), Some(b'-' | b'+')) {
            self.s = self.s.get(1..)?;
        }
        let mut seconds = self.number()? * 3600;
        for unit in [60, 1] {
            if self.expect(b':').is_none() {
                break;
            }
            seconds += self.number()? * unit;
        }
        i32::try_from(sign * seconds).ok()
    }

    /// `Jn`, `n` or `Mm.w.d`, then an optional `/time` (default 02:00, may be negative or > 24h).
    fn change(&mut self) -> Option<Change> {
        let day = match self.s.first()? {
            b'J' => {
                self.s = self.s.get(1..)?;
                Day::Julian(self.number()?.clamp(1, 365))
            }
            b'M' => {
                self.s = self.s.get(1..)?;
                let month = self.number()?;
                self.expect(b'.')?;
                let week = self.number()?;
                self.expect(b'.')?;
                let weekday = self.number()?;
                if !(1..=12).contains(&month) || !(1..=5).contains(&week) || weekday > 6 {
                    return None;
                }
                Day::Month(month as u32, week, weekday)
            }
            _ => Day::Zero(self.number()?.min(365)),
        };
        let time = if self.expect(b'/').is_some() {
            i64::from(self.offset()?)
        } else {
            7200
        };
        Some(Change { day, time })
    }
}

#[cfg(test)]
mod tests;
