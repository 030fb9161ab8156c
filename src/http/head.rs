//! The request head: finding where it ends in a growing buffer, decoding it with httparse into
//! a caller-owned header array, and the framing rules of RFC 9112 as Go's net/http applies
//! them. It never reads a body and never allocates per request.
//!
//! ```text
//! head           = request-line *( field-line LF ) LF      ; each LF may be CRLF
//! request-line   = method SP request-target SP HTTP-version
//! HTTP-version   = "HTTP/1.0" / "HTTP/1.1"
//! ```
//!
//! Framing: `Transfer-Encoding` must be exactly `chunked` (else 501) and may not come with
//! `Content-Length` (400, where Go would ignore the length: a request that two parsers could
//! frame differently is how requests are smuggled). Repeated `Content-Length` fields must agree.
//! HTTP/1.1 needs exactly one `Host`. `Expect` may only be `100-continue` (else 417).

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::error::RequestError;
use httparse::Header;

/// Where the head ends (the index just past its blank line) in `buf`, looking only at line
/// ends at or after `from`: a caller that passes the length of the previous, unfinished search
/// never scans a byte twice. Bare LF line ends are accepted, as Go and httparse do.
pub fn find_end(buf: &[u8], from: usize) -> Option<usize> {
    memchr::memchr_iter(b'\n', buf.get(from..).unwrap_or_default())
        .map(|i| i + from)
        .find(|&lf| {
            // The line that this LF ends is empty when it starts right after the previous LF
            // (or the start), after an optional CR.
            let before = |n: usize| lf.checked_sub(n).and_then(|i| buf.get(i)).copied();
            matches!(
                (before(1), before(2)),
                (None | Some(b'\n'), _) | (Some(b'\r'), None | Some(b'\n'))
            )
        })
        .map(|lf| lf + 1)
}

/// What Go answers to a version httparse refused: any `HTTP/<digit>.<digit>` is read (and
/// refused with 505 unless it is 1.x); anything else there makes the request line malformed
/// (400). The version is what follows the second space of the request line.
fn version_error(head: &[u8]) -> RequestError {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.splitn(3, |&b| b == b' ').nth(2) {
        Some([b'H', b'T', b'T', b'P', b'/', major, b'.', minor])
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            RequestError::UnsupportedVersion
        }
        _ => RequestError::Malformed,
    }
}

/// How the body of a request is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length`, or 0 when neither length nor transfer coding is given.
    Length(usize),
    Chunked,
}

/// A decoded, validated head. Everything borrows the buffer the head was parsed from.
#[derive(Debug)]
pub struct Head<'h, 'b> {
    pub method: &'b str,
    pub target: &'b str,
    pub version_minor: u8,
    pub headers: &'h [Header<'b>],
    pub framing: Framing,
    /// The client may keep the connection open after this request (Go's rules).
    pub keep_alive: bool,
    /// The client waits for `100 Continue` before it sends the body.
    pub expect_continue: bool,
}

/// Decodes a complete head (`bytes` ends with its blank line). A `Content-Length` over
/// `body_bytes_max` is refused here, before a byte of the body is read.
pub fn parse<'h, 'b>(
    bytes: &'b [u8],
    headers: &'h mut [Header<'b>],
    body_bytes_max: usize,
) -> Result<Head<'h, 'b>, RequestError> {
    let header_count_max = headers.len();
    let mut request = httparse::Request::new(headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        // The blank line was found, so a partial head is one httparse does not accept.
        Ok(httparse::Status::Partial) => return Err(RequestError::Malformed),
        Err(e) => {
            return Err(match e {
                httparse::Error::TooManyHeaders => {
                    RequestError::TooManyHeaders { header_count_max }
                }
                httparse::Error::HeaderName => RequestError::InvalidHeaderName,
                httparse::Error::HeaderValue => RequestError::InvalidHeaderValue,
                httparse::Error::Version => version_error(bytes),
                _ => RequestError::Malformed,
            })
        }
    }
    let (Some(method), Some(target), Some(version_minor)) =
        (request.method, request.path, request.version)
    else {
        return Err(RequestError::Malformed);
    };
    let headers: &'h [Header<'b>] = request.headers;

    let mut hosts = 0;
    let mut close = false;
    let mut keep_alive_token = false;
    let mut transfer_encodings = 0;
    let mut chunked = false;
    let mut content_length = None;
    let mut expect_continue = false;
    for header in headers {
        let name = header.name;
        let value = trim(header.value);
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(|&b| b == b',').map(trim) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encodings += 1;
            chunked = value.eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            let length = parse_content_length(value).ok_or(RequestError::Malformed)?;
            if content_length.is_some_and(|previous| previous != length) {
                return Err(RequestError::Malformed);
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case("expect") && !value.is_empty() {
            if !value.eq_ignore_ascii_case(b"100-continue") {
                return Err(RequestError::UnsupportedExpectation);
            }
            expect_continue = true;
        }
    }
    if version_minor == 1 && hosts == 0 {
        return Err(RequestError::MissingHost);
    }
    if hosts > 1 {
        return Err(RequestError::Malformed);
    }
    let framing = match (transfer_encodings, content_length) {
        (0, length) => Framing::Length(length.unwrap_or(0)),
        (1, None) if chunked => Framing::Chunked,
        (_, None) => return Err(RequestError::UnsupportedTransferEncoding),
        (_, Some(_)) => return Err(RequestError::Malformed),
    };
    if let Framing::Length(length) = framing {
        if length > body_bytes_max {
            return Err(RequestError::BodyTooLarge { body_bytes_max });
        }
    }
    Ok(Head {
        method,
        target,
        version_minor,
        headers,
        framing,
        keep_alive: if version_minor == 0 {
            keep_alive_token && !close
        } else {
            !close
        },
        // HTTP/1.0 clients may say it, but only HTTP/1.1 ones wait (Go sends it only to them).
        expect_continue: expect_continue && version_minor == 1 && framing != Framing::Length(0),
    })
}

/// 1*DIGIT, as Go: no sign, no spaces inside, and it must fit.
fn parse_content_length(value: &[u8]) -> Option<usize> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    value.iter().try_fold(0usize, |n, &d| {
        n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })
}

fn trim(value: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    value.get(start..end).unwrap_or_default()
}

/// The header array httparse fills, owned by the server and lent to one parse at a time.
/// Its capacity is `header_count_max`, which makes that count the limit httparse enforces.
#[derive(Debug)]
pub struct HeaderScratch {
    spare: Vec<Header<'static>>,
    header_count_max: usize,
}

impl HeaderScratch {
    pub fn new(header_count_max: usize) -> HeaderScratch {
        HeaderScratch {
            spare: Vec::with_capacity(header_count_max),
            header_count_max,
        }
    }

    /// An array of `header_count_max` empty headers that may borrow any buffer.
    pub fn take<'b>(&mut self) -> Vec<Header<'b>> {
        let mut headers = relabel(std::mem::take(&mut self.spare));
        headers.resize(self.header_count_max, httparse::EMPTY_HEADER);
        headers
    }

    /// Returns the array for the next parse, forgetting what it borrowed.
    pub fn give_back(&mut self, headers: Vec<Header<'_>>) {
        self.spare = relabel(headers);
    }
}

/// Empties a header vector and gives it another lifetime, keeping its allocation: collecting
/// a mapped `vec::IntoIter` into a vector of a same-sized type reuses the buffer in place.
fn relabel<'a, 'b>(mut headers: Vec<Header<'a>>) -> Vec<Header<'b>> {
    headers.clear();
    headers
        .into_iter()
        .map(|_| httparse::EMPTY_HEADER)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_end_of_the_head() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Some(27)),
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET", Some(27)),
            (b"GET / HTTP/1.1\nHost: a\n\n", Some(24)),
            (b"GET / HTTP/1.1\r\nHost: a\n\r\n", Some(26)),
            (b"GET / HTTP/1.1\r\nHost: a\r\n", None),
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r", None),
            (b"GET / HTTP/1.1\r\nX: \r\r\n", None),
            (b"\r\n", Some(2)),
            (b"\n", Some(1)),
            (b"", None),
        ];
        for &(buf, want) in cases {
            assert_eq!(find_end(buf, 0), want, "{:?}", String::from_utf8_lossy(buf));
            // Resuming a search at every earlier stopping point finds the same end.
            for cut in 0..buf.len() {
                let resumed = find_end(&buf[..cut], 0).or_else(|| find_end(buf, cut));
                assert_eq!(
                    resumed,
                    want,
                    "{:?} cut at {cut}",
                    String::from_utf8_lossy(buf)
                );
            }
        }
    }

    #[derive(Debug, PartialEq)]
    struct Facts {
        method: String,
        target: String,
        version_minor: u8,
        headers: usize,
        framing: Framing,
        keep_alive: bool,
        expect_continue: bool,
    }

    fn facts(head: &str, count: usize, body_max: usize) -> Result<Facts, RequestError> {
        let mut scratch = HeaderScratch::new(count);
        let mut headers = scratch.take();
        let head = parse(head.as_bytes(), &mut headers, body_max)?;
        Ok(Facts {
            method: head.method.to_string(),
            target: head.target.to_string(),
            version_minor: head.version_minor,
            headers: head.headers.len(),
            framing: head.framing,
            keep_alive: head.keep_alive,
            expect_continue: head.expect_continue,
        })
    }

    fn ok(
        method: &str,
        target: &str,
        minor: u8,
        headers: usize,
        framing: Framing,
        keep_alive: bool,
        expect_continue: bool,
    ) -> Result<Facts, RequestError> {
        Ok(Facts {
            method: method.into(),
            target: target.into(),
            version_minor: minor,
            headers,
            framing,
            keep_alive,
            expect_continue,
        })
    }

    #[test]
    fn decodes_heads_and_framing() {
        use Framing::{Chunked, Length};
        let cases: Vec<(&str, Result<Facts, RequestError>)> = vec![
            ("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", ok("GET", "/metrics", 1, 1, Length(0), true, false)),
            ("PUT /metrics/job/a%2Fb?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n", ok("PUT", "/metrics/job/a%2Fb?x=1", 1, 2, Length(9), true, false)),
            ("PATCH / HTTP/1.1\nHost: a\n\n", ok("PATCH", "/", 1, 1, Length(0), true, false)),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", ok("GET", "/", 1, 2, Length(0), false, false)),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", ok("GET", "/", 1, 2, Length(0), false, false)),
            ("GET / HTTP/1.0\r\n\r\n", ok("GET", "/", 0, 0, Length(0), false, false)),
            ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", ok("GET", "/", 0, 1, Length(0), true, false)),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", ok("POST", "/", 1, 2, Chunked, true, false)),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length:  5 \r\n\r\n", ok("POST", "/", 1, 3, Length(5), true, false)),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", ok("POST", "/", 1, 2, Length(10), true, false)),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n", ok("POST", "/", 1, 3, Length(5), true, true)),
            ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", ok("POST", "/", 1, 2, Length(0), true, false)),
            ("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", ok("POST", "/", 0, 2, Length(5), false, false)),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", ok("POST", "/", 1, 3, Chunked, true, true)),
            // Errors.
            ("GET / HTTP/1.1\r\n\r\n", Err(RequestError::MissingHost)),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", Err(RequestError::UnsupportedVersion)),
            ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", Err(RequestError::UnsupportedVersion)),
            ("GET / HTTP/1.x\r\nHost: a\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.\u{ff}\r\nHost: a\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/10.0\r\nHost: a\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / x HTTP/2.0\r\nHost: a\r\n\r\n", Err(RequestError::Malformed)),
            ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", Err(RequestError::Malformed)),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", Err(RequestError::Malformed)),
            ("\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", Err(RequestError::InvalidHeaderName)),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", Err(RequestError::InvalidHeaderValue)),
            ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", Err(RequestError::InvalidHeaderName)),
            ("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", Err(RequestError::TooManyHeaders { header_count_max: 3 })),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", Err(RequestError::BodyTooLarge { body_bytes_max: 10 })),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", Err(RequestError::Malformed)),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", Err(RequestError::UnsupportedTransferEncoding)),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Err(RequestError::UnsupportedTransferEncoding)),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", Err(RequestError::UnsupportedTransferEncoding)),
            ("GET / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n", Err(RequestError::UnsupportedExpectation)),
        ];
        for (head, want) in cases {
            assert_eq!(facts(head, 3, 10), want, "{head:?}");
        }
    }

    #[test]
    fn the_header_array_is_reused() {
        let mut scratch = HeaderScratch::new(8);
        let buf = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        let mut headers = scratch.take();
        assert_eq!(headers.len(), 8);
        let pointer = headers.as_ptr() as usize;
        assert_eq!(parse(&buf, &mut headers, 0).unwrap().headers.len(), 1);
        scratch.give_back(headers);
        let headers = scratch.take();
        assert_eq!(headers.as_ptr() as usize, pointer);
        assert!(headers.iter().all(|h| h.name.is_empty()));
    }
}
