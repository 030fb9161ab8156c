//! Content codings, both ways (spec §5.1, §8.6):
//! - a pushed body sent with `Content-Encoding: gzip` or `snappy` (matched case-insensitively,
//!   as upstream 1.6+ does) is decoded into a caller's buffer before it is parsed; any other
//!   coding is passed through raw, as upstream does;
//! - a successful scrape is gzipped, piece by piece as the socket drains, when the request's
//!   `Accept-Encoding` selects gzip by upstream 1.10+'s q-value rules.
//!
//! Decoding never allocates past [`crate::limits::DECODED_BODY_BYTES_MAX`] (plus one byte, to
//! tell "exactly at the limit" from "over it"), however small the compressed body: the output
//! grows by doubling and stops at the cap. Errors read like upstream's (Go's `compress/gzip`,
//! `compress/flate` and `golang/snappy` texts), which it sends as the 400 body.
//!
//! It never does I/O, never looks at what the decoded bytes mean, and never panics on input.
//!
//! One deliberate difference: upstream decodes while it parses, so when a stream breaks after
//! some lines, a syntax error in those lines wins over the decoding error. We decode first,
//! so the decoding error is the one reported. Both are a 400 and store nothing.

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod gunzip;
mod gzip;
mod negotiate;
mod snappy;

pub use gzip::GzipBody;
pub use negotiate::accepts_gzip;

use crate::http::{Body, Chunk, Request, Response};
use std::fmt;
use std::rc::Rc;

/// A request `Content-Encoding` that upstream decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentEncoding {
    Gzip,
    Snappy,
}

impl ContentEncoding {
    /// The coding a `Content-Encoding` value names, compared after Go's `strings.ToLower`;
    /// `None` for anything else, whose body upstream parses as it is.
    pub fn from_header(value: &[u8]) -> Option<ContentEncoding> {
        if go_lower_equals(value, "gzip") {
            Some(ContentEncoding::Gzip)
        } else if go_lower_equals(value, "snappy") {
            Some(ContentEncoding::Snappy)
        } else {
            None
        }
    }
}

/// Whether Go's `strings.ToLower(value) == lower` for an all-ASCII lower-case `lower`. Besides
/// ASCII letters, exactly two runes lower-case into ASCII: U+0130 (İ) to `i` and U+212A
/// (Kelvin sign) to `k`. Go's HTTP parser has already trimmed blanks around the value.
fn go_lower_equals(value: &[u8], lower: &str) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        // Go turns each invalid byte into U+FFFD, which can never lower-case into ASCII.
        return false;
    };
    let mut want = lower.chars();
    for c in value.trim_matches([' ', '\t']).chars() {
        let folded = match c {
            '\u{130}' => 'i',
            '\u{212a}' => 'k',
            c => c.to_ascii_lowercase(),
        };
        if want.next() != Some(folded) {
            return false;
        }
    }
    want.next().is_none()
}

/// Why a coded request body could not be decoded. Displayed as upstream's 400 body text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The decoded body would exceed the limit (→ 413).
    TooLarge {
        decoded_bytes_max: usize,
    },
    /// Go's `io.EOF`: an empty gzip body.
    Eof,
    /// Go's `io.ErrUnexpectedEOF`: a gzip stream cut short.
    UnexpectedEof,
    GzipHeader,
    GzipChecksum,
    /// Go's `flate.CorruptInputError`: the deflate data is invalid at or before this offset
    /// (bytes into the member's deflate data).
    FlateCorrupt {
        offset: usize,
    },
    SnappyCorrupt,
    SnappyUnsupported,
}

impl DecodeError {
    pub fn status(&self) -> u16 {
        match self {
            DecodeError::TooLarge { .. } => 413,
            _ => 400,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge { decoded_bytes_max } => {
                write!(
                    f,
                    "decompressed request body larger than {decoded_bytes_max} bytes"
                )
            }
            DecodeError::Eof => f.write_str("EOF"),
            DecodeError::UnexpectedEof => f.write_str("unexpected EOF"),
            DecodeError::GzipHeader => f.write_str("gzip: invalid header"),
            DecodeError::GzipChecksum => f.write_str("gzip: invalid checksum"),
            DecodeError::FlateCorrupt { offset } => {
                write!(f, "flate: corrupt input before offset {offset}")
            }
            DecodeError::SnappyCorrupt => f.write_str("snappy: corrupt input"),
            DecodeError::SnappyUnsupported => f.write_str("snappy: unsupported input"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The body to parse: `body` itself, unless `content_encoding` names a coding upstream decodes;
/// then `body` decoded into `scratch` (cleared first).
pub fn decoded_body<'a>(
    content_encoding: Option<&[u8]>,
    body: &'a [u8],
    scratch: &'a mut Vec<u8>,
    decoded_bytes_max: usize,
) -> Result<&'a [u8], DecodeError> {
    match content_encoding.and_then(ContentEncoding::from_header) {
        None => Ok(body),
        Some(encoding) => {
            decode(encoding, body, scratch, decoded_bytes_max)?;
            Ok(scratch)
        }
    }
}

/// Decodes `body` into `out` (cleared first). On error `out` holds no meaning.
fn decode(
    encoding: ContentEncoding,
    body: &[u8],
    out: &mut Vec<u8>,
    decoded_bytes_max: usize,
) -> Result<(), DecodeError> {
    let mut sink = Sink::new(out, decoded_bytes_max);
    match encoding {
        ContentEncoding::Gzip => gunzip::decode(body, &mut sink)?,
        ContentEncoding::Snappy => snappy::decode(body, &mut sink)?,
    }
    sink.finish();
    Ok(())
}

/// Wraps a successful response's body in gzip when the request's `Accept-Encoding` selects it
/// (spec §8.6); otherwise returns the response unchanged. Error responses must not come here:
/// upstream never compresses them.
pub fn gzip_if_accepted(req: &Request<'_>, mut response: Response) -> Response {
    let accept_encoding = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("accept-encoding"))
        .map(|h| h.value);
    if !accepts_gzip(accept_encoding) {
        return response;
    }
    let chunks = match std::mem::replace(&mut response.body, Body::Empty) {
        Body::Empty => Vec::new(),
        Body::Static(bytes) => vec![Chunk::whole(Rc::from(bytes))],
        Body::Bytes(bytes) => vec![Chunk::whole(Rc::from(bytes))],
        Body::Chunks(chunks) => chunks,
        // Already produced piece by piece by someone else: sent as it is.
        body @ Body::Stream(_) => {
            response.body = body;
            return response;
        }
    };
    response.body = Body::Stream(Box::new(GzipBody::new(chunks)));
    response.header("Content-Encoding", "gzip")
}

/// Decoded output that grows by doubling and never past one byte over its cap, so that a
/// decoder learns it went over the limit without the allocation ever following a bomb.
struct Sink<'a> {
    /// Invariant: `buf[..filled]` is decoded output; `buf.len() <= max + 1`.
    buf: &'a mut Vec<u8>,
    filled: usize,
    max: usize,
}

/// The first allocation of decoded output.
const SINK_BYTES_MIN: usize = 64 * 1024;

impl<'a> Sink<'a> {
    fn new(buf: &'a mut Vec<u8>, max: usize) -> Sink<'a> {
        buf.clear();
        Sink {
            buf,
            filled: 0,
            max,
        }
    }

    /// Room for more output: never empty, or the limit is exceeded.
    fn spare(&mut self) -> Result<&mut [u8], DecodeError> {
        if self.filled == self.buf.len() {
            let ceiling = self.max.saturating_add(1);
            let target = (self.filled.saturating_mul(2))
                .max(SINK_BYTES_MIN)
                .min(ceiling);
            if target <= self.filled {
                return Err(self.too_large());
            }
            self.buf.reserve_exact(target - self.buf.len());
            self.buf.resize(target, 0);
        }
        Ok(self.buf.get_mut(self.filled..).unwrap_or_default())
    }

    /// `n` bytes of `spare()` were written.
    fn advance(&mut self, n: usize) -> Result<(), DecodeError> {
        assert!(
            self.filled + n <= self.buf.len(),
            "wrote past the spare room"
        );
        self.filled += n;
        if self.filled > self.max {
            return Err(self.too_large());
        }
        Ok(())
    }

    fn too_large(&self) -> DecodeError {
        DecodeError::TooLarge {
            decoded_bytes_max: self.max,
        }
    }

    fn finish(self) {
        self.buf.truncate(self.filled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_encoding_names_as_go_lowercases_them() {
        let cases: &[(&[u8], Option<ContentEncoding>)] = &[
            (b"gzip", Some(ContentEncoding::Gzip)),
            (b"GZIP", Some(ContentEncoding::Gzip)),
            (b"GzIp", Some(ContentEncoding::Gzip)),
            (b" gzip\t", Some(ContentEncoding::Gzip)),
            ("GZ\u{130}P".as_bytes(), Some(ContentEncoding::Gzip)),
            (b"snappy", Some(ContentEncoding::Snappy)),
            (b"SNAPPY", Some(ContentEncoding::Snappy)),
            (b"deflate", None),
            (b"x-gzip", None),
            (b"gzip, identity", None),
            (b"gzip;q=1", None),
            (b"gzi", None),
            (b"gzipp", None),
            (b"", None),
            (b"g\xffzip", None),
        ];
        for (value, want) in cases {
            assert_eq!(
                ContentEncoding::from_header(value),
                *want,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn errors_read_like_go() {
        let cases = [
            (
                DecodeError::TooLarge {
                    decoded_bytes_max: 67108864,
                },
                413,
                "decompressed request body larger than 67108864 bytes",
            ),
            (DecodeError::Eof, 400, "EOF"),
            (DecodeError::UnexpectedEof, 400, "unexpected EOF"),
            (DecodeError::GzipHeader, 400, "gzip: invalid header"),
            (DecodeError::GzipChecksum, 400, "gzip: invalid checksum"),
            (
                DecodeError::FlateCorrupt { offset: 5 },
                400,
                "flate: corrupt input before offset 5",
            ),
            (DecodeError::SnappyCorrupt, 400, "snappy: corrupt input"),
            (
                DecodeError::SnappyUnsupported,
                400,
                "snappy: unsupported input",
            ),
        ];
        for (error, status, text) in cases {
            assert_eq!((error.status(), error.to_string().as_str()), (status, text));
        }
    }

    #[test]
    fn the_sink_stops_one_byte_past_its_cap() {
        let mut buf = Vec::new();
        let mut sink = Sink::new(&mut buf, 100_000);
        let mut written = 0;
        let error = loop {
            let spare = match sink.spare() {
                Ok(spare) => spare.len(),
                Err(e) => break e,
            };
            written += spare;
            if let Err(e) = sink.advance(spare) {
                break e;
            }
        };
        assert_eq!(
            error,
            DecodeError::TooLarge {
                decoded_bytes_max: 100_000
            }
        );
        assert_eq!(written, 100_001);
        assert!(buf.capacity() <= 100_001, "{}", buf.capacity());
    }

    #[test]
    fn the_sink_keeps_exactly_what_was_written() {
        let mut buf = vec![9; 3];
        let mut sink = Sink::new(&mut buf, 10);
        sink.spare().unwrap()[..10].copy_from_slice(b"0123456789");
        sink.advance(10).unwrap();
        sink.finish();
        assert_eq!(buf, b"0123456789");
    }
}
