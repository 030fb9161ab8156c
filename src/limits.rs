//! Every resource limit in one place (spec §17 R7). Upstream has none of these except the
//! header block; each default is generous enough that no legitimate client meets it.

use std::time::Duration;

/// Largest request head (request line plus headers). Upstream (Go net/http) answers 431 past
/// 1 MiB; we keep the same figure so no client that works upstream breaks here.
pub const HEADER_BYTES_MAX: usize = 1 << 20;
/// Most header fields in one request (httparse needs a fixed array); past it → 431.
pub const HEADER_COUNT_MAX: usize = 128;
/// Largest request body after de-chunking, and after decompression (→ 413).
pub const BODY_BYTES_MAX: usize = 64 << 20;
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

const _: () = assert!(HEADER_BYTES_MAX < BODY_BYTES_MAX);
const _: () = assert!(HEAD_TIMEOUT.as_secs() <= REQUEST_TIMEOUT.as_secs());
