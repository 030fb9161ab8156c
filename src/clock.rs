//! Wall-clock time as the store keeps it: nanoseconds since the Unix epoch, the precision
//! upstream stores for `push_time_seconds` and family stamps.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub unix_nanos: i64,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        let nanos = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            // A clock before 1970 is a misconfigured box; keep going with negative times.
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        };
        Timestamp { unix_nanos: nanos }
    }

    pub fn from_unix_nanos(unix_nanos: i64) -> Timestamp {
        Timestamp { unix_nanos }
    }

    /// Seconds as a float, the way upstream computes `push_time_seconds`
    /// (`float64(t.UnixNano()) / 1e9`).
    pub fn as_seconds_f64(self) -> f64 {
        self.unix_nanos as f64 / 1e9
    }
}
