//! Every resource limit in one place (spec §17 R7). Upstream has none of these except the
//! header block; each default is generous enough that no legitimate client meets it.
//!
//! The constants are the defaults; [`Limits`] carries them at run time so that tests (and,
//! later, flags) can shrink them. This module also raises the process's open-file limit, the
//! one limit the kernel keeps for us, and never does anything else with the system.

use std::time::Duration;

/// Largest request head (request line plus headers). Upstream (Go net/http) answers 431 past
/// 1 MiB; we keep the same figure so no client that works upstream breaks here.
pub const HEADER_BYTES_MAX: usize = 1 << 20;
/// Most header fields in one request (httparse needs a fixed array); past it → 431.
pub const HEADER_COUNT_MAX: usize = 128;
/// Largest request body after de-chunking (→ 413).
pub const BODY_BYTES_MAX: usize = 64 << 20;
/// Largest pushed body after undoing its `Content-Encoding` (gzip, snappy), where a few KiB can
/// claim gigabytes (→ 413). The same figure as the body limit: what may arrive plain may also
/// arrive compressed.
pub const DECODED_BODY_BYTES_MAX: usize = BODY_BYTES_MAX;
/// Most open client connections; one more is answered 503 and closed.
pub const CONNECTIONS_MAX: usize = 4096;
/// How long a keep-alive connection may sit idle between requests before it is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a client may take to send a whole request head, from its first byte (→ 408).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take to send a whole request, head and body (→ 408).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Pending response bytes above which a connection's further pipelined requests wait.
pub const PENDING_OUTPUT_BYTES_MAX: usize = 4 << 20;
/// Most groups one tick deletes for `--push.group-ttl`; more groups due at once (pushed
/// together) go over the next ticks, so that serving never waits long for them.
pub const EXPIRED_GROUPS_PER_TICK_MAX: usize = 10_000;
/// Share of the loop's time that bcrypt checks of wrong credentials may use over time, in
/// percent; past it (and past the burst below), unknown credentials are answered 429 without
/// a check until the time is paid back. Remembered good credentials are not affected.
pub const AUTH_FAILURE_CPU_PERCENT: u32 = 10;
/// bcrypt time that wrong credentials may use at once before the share above applies.
pub const AUTH_FAILURE_BURST: Duration = Duration::from_secs(1);
/// Most credentials remembered as good (exporter-toolkit keeps 100 too).
pub const AUTH_CACHE_ENTRIES_MAX: usize = 100;

/// Largest record of the persistence log (kind and payload). A push record holds a body of at
/// most `BODY_BYTES_MAX` plus its grouping key (at most a request head); a compacted record holds
/// one family re-rendered as text, which can be a little longer than the body that brought it.
/// Replay reads a longer length as damage, before allocating anything for it.
pub const LOG_RECORD_BYTES_MAX: usize = 2 * BODY_BYTES_MAX + HEADER_BYTES_MAX;

const _: () = assert!(HEADER_BYTES_MAX < BODY_BYTES_MAX);
const _: () = assert!(BODY_BYTES_MAX + HEADER_BYTES_MAX < LOG_RECORD_BYTES_MAX);
const _: () = assert!(LOG_RECORD_BYTES_MAX <= u32::MAX as usize);
const _: () = assert!(HEAD_TIMEOUT.as_secs() <= REQUEST_TIMEOUT.as_secs());

/// File descriptors kept back from the connection cap for listeners, the poll instance, the
/// signal pipe, the persistence log and its compaction, and the accept that answers 503.
pub const FILES_RESERVED: u64 = 64;

/// The limits the HTTP layer enforces; `Default` is the constants above.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// See [`HEADER_BYTES_MAX`].
    pub header_bytes_max: usize,
    /// See [`HEADER_COUNT_MAX`].
    pub header_count_max: usize,
    /// See [`BODY_BYTES_MAX`].
    pub body_bytes_max: usize,
    /// See [`CONNECTIONS_MAX`].
    pub connections_max: usize,
    /// See [`IDLE_TIMEOUT`]. Also bounds a response that the client stops reading: a
    /// connection on which no byte moves either way for this long is closed.
    pub idle_timeout: Duration,
    /// See [`HEAD_TIMEOUT`].
    pub head_timeout: Duration,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`PENDING_OUTPUT_BYTES_MAX`].
    pub pending_output_bytes_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_bytes_max: HEADER_BYTES_MAX,
            header_count_max: HEADER_COUNT_MAX,
            body_bytes_max: BODY_BYTES_MAX,
            connections_max: CONNECTIONS_MAX,
            idle_timeout: IDLE_TIMEOUT,
            head_timeout: HEAD_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            pending_output_bytes_max: PENDING_OUTPUT_BYTES_MAX,
        }
    }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit now in force,
/// so that the connection cap can stay below it: accept must never meet EMFILE in normal
/// operation, because a listener that cannot accept stays readable and would spin the loop.
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    let (soft, hard) = crate::sys::open_files_limit()?;
    if soft < hard && crate::sys::set_open_files_limit(hard, hard) {
        return Ok(hard);
    }
    // A refusal (e.g. a hard limit of RLIM_INFINITY that the kernel caps lower) keeps the old
    // soft limit, which is still a correct bound.
    Ok(soft)
}

/// The number of connection slots: the configured cap, kept below the open-file limit.
pub fn connection_slots(connections_max: usize, open_files_max: u64) -> usize {
    let usable = open_files_max.saturating_sub(FILES_RESERVED);
    connections_max
        .min(usize::try_from(usable).unwrap_or(usize::MAX))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_slots_stay_below_the_open_file_limit() {
        let cases: &[(usize, u64, usize)] = &[
            (4096, 1_048_576, 4096),
            (4096, 1024, 1024 - 64),
            (4096, 64, 1),
            (4096, 0, 1),
            (10, u64::MAX, 10),
        ];
        for &(max, files, want) in cases {
            assert_eq!(connection_slots(max, files), want, "{max} {files}");
        }
    }

    #[test]
    fn raising_the_open_file_limit_reports_the_soft_limit() {
        let soft = raise_open_files_limit().expect("getrlimit");
        let (now, _) = crate::sys::open_files_limit().expect("getrlimit");
        assert_eq!(now, soft);
    }
}
