//! `/-/healthy`, `/-/ready` and `/-/quit` (spec §10.1, §10.2).

use super::replies::plain;
use crate::http::Response;

/// Healthy and ready answer the same. Upstream fails them only when its write queue is full;
/// ours applies every write within the request, so there is no queue to fill.
pub fn healthy() -> Response {
    plain(200, "OK")
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
