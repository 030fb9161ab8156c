//! `/-/healthy`, `/-/ready` and `/-/quit` (spec §10.1, §10.2), and the 503s of a server whose
//! log is replaying or cannot be written.
//!
//! Upstream fails healthy and ready only when its write queue is full; ours applies every write
//! within the request, so there is no queue to fill. Ours is not ready while the log replays
//! (healthy says `OK` from the start) or cannot be written; healthy then stays 200, as the
//! server recovers by itself and a restart would not help, but says why in its body.

use super::replies::{error, plain, TEXT_PLAIN};
use crate::db::Status;
use crate::http::{Body, Response};

pub fn healthy(status: Status<'_>) -> Response {
    match status {
        Status::Broken(reason) => {
            Response::new(200)
                .header("Content-Type", TEXT_PLAIN)
                .body(Body::Bytes(
                    format!("degraded: {}", refusal(reason)).into_bytes(),
                ))
        }
        Status::Ready | Status::Replaying { .. } => plain(200, "OK"),
    }
}

/// Called only when [`super::App`] found nothing to refuse.
pub fn ready() -> Response {
    plain(200, "OK")
}

/// Everything but health, quitting and the embedded files, while the log replays.
pub fn replaying(read_bytes: u64, total_bytes: u64) -> Response {
    let percent = read_bytes.saturating_mul(100) / total_bytes.max(1);
    error(
        503,
        &format!("not ready: replaying the persistence log ({percent}% read)"),
    )
}

/// Changes, and ready, while the log cannot be written.
pub fn broken(reason: &str) -> Response {
    error(503, &refusal(reason))
}

fn refusal(reason: &str) -> String {
    format!(
        "the persistence log cannot be written ({reason}); changes are refused until it is \
         rewritten"
    )
}

pub fn quit(enabled: bool) -> Response {
    if enabled {
        plain(200, "Requesting termination... Goodbye!")
    } else {
        plain(403, "Lifecycle API is not enabled.")
    }
}

pub fn quit_get() -> Response {
    plain(405, "Only POST or PUT requests allowed.")
}

#[cfg(test)]
mod tests;
