//! The request head (`http::head`): finding its end in a buffer that grows piece by piece, as
//! the connection does, and decoding it.
//!
//! Input: a split mode byte (see `splits`) and the bytes a client sends. Checked:
//! - the end found by resuming the search after every piece is the end found in the whole
//!   buffer, and both agree with a plain line-by-line reading (the first empty line, CR allowed);
//! - a decoded head keeps its promises: no more headers than the array holds, HTTP/1.0 or 1.1,
//!   a declared length within the body limit, `100-continue` only where a body is awaited;
//! - the body limit is decided from the declared length alone: the same head with no limit
//!   decodes the same, or to a length over the limit exactly when the limited decode said 413.

use super::splits::split;
use pushgateway::http::error::RequestError;
use pushgateway::http::head::{self, Framing, HeaderScratch};
use pushgateway::limits::HEADER_COUNT_MAX;

/// Small enough for fuzzer-made inputs to cross it.
const BODY_BYTES_MAX: usize = 1000;
/// Small enough for fuzzer-made inputs to cross it; the server's own limit is checked too.
const HEADER_COUNT_SMALL: usize = 4;

pub fn run(data: &[u8]) {
    let Some(split) = split(data) else { return };
    let buf = split.payload;
    let whole = head::find_end(buf, 0);
    assert_eq!(whole, end_by_lines(buf), "head end in the whole buffer");
    let mut scan_from = 0;
    let mut resumed = None;
    for &arrived in &split.arrived {
        resumed = head::find_end(&buf[..arrived], scan_from);
        if resumed.is_some() {
            break;
        }
        scan_from = arrived;
    }
    assert_eq!(resumed, whole, "head end found piece by piece");
    let Some(end) = whole else { return };
    for header_count_max in [HEADER_COUNT_SMALL, HEADER_COUNT_MAX] {
        decode(&buf[..end], header_count_max);
    }
}

/// The index after the first empty line (`""` or `"\r"` before its LF).
fn end_by_lines(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    for (i, &b) in buf.iter().enumerate() {
        if b == b'\n' {
            if matches!(&buf[start..i], b"" | b"\r") {
                return Some(i + 1);
            }
            start = i + 1;
        }
    }
    None
}

fn decode(bytes: &[u8], header_count_max: usize) {
    let mut scratch = HeaderScratch::new(header_count_max);
    let mut headers = scratch.take();
    let limited = head::parse(bytes, &mut headers, BODY_BYTES_MAX).map(|h| {
        assert!(h.headers.len() <= header_count_max);
        assert!(h.version_minor <= 1, "HTTP/1.{}", h.version_minor);
        assert!(!h.method.is_empty() && !h.target.is_empty());
        if let Framing::Length(n) = h.framing {
            assert!(n <= BODY_BYTES_MAX, "declared {n}");
        }
        if h.expect_continue {
            assert!(h.version_minor == 1 && h.framing != Framing::Length(0));
        }
        (h.framing, h.keep_alive, h.expect_continue)
    });
    scratch.give_back(headers);
    if let Err(e) = &limited {
        assert!((400..=599).contains(&e.status()));
        assert!(!e.to_string().is_empty());
    }
    let mut headers = scratch.take();
    let unlimited = head::parse(bytes, &mut headers, usize::MAX)
        .map(|h| (h.framing, h.keep_alive, h.expect_continue));
    match (&limited, &unlimited) {
        (Err(RequestError::BodyTooLarge { .. }), Ok((Framing::Length(n), _, _))) => {
            assert!(*n > BODY_BYTES_MAX, "413 for a declared {n}")
        }
        _ => assert_eq!(limited, unlimited, "the body limit changed more than a 413"),
    }
}
