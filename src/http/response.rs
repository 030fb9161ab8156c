//! Serialises a response head: status line with the standard reason phrase, the service's
//! headers, `Date`, `Content-Length` and `Connection`. It writes bytes into a buffer and never
//! touches a socket; what a header value holds can never split the head (CR and LF become
//! spaces, as Go does).

use super::error::RequestError;
use super::message::HeaderValue;

/// What the `Connection` header says, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionHeader {
    /// Nothing: the default of the protocol version applies.
    Omit,
    /// `Connection: close` (HTTP/1.1 responses that end the connection).
    Close,
    /// `Connection: keep-alive` (HTTP/1.0 clients that asked for it).
    KeepAlive,
}

/// The head fields besides the service's own headers.
#[derive(Clone, Copy, Debug)]
pub struct HeadFields<'a> {
    pub version_minor: u8,
    pub status: u16,
    pub date: &'a [u8],
    /// `None` where the status forbids the header (204, 304).
    pub content_length: Option<usize>,
    pub connection: ConnectionHeader,
}

/// Go's `http.StatusText` for the codes this server can send, and the common rest.
pub fn reason(status: u16) -> Option<&'static str> {
    Some(match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Request Entity Too Large",
        414 => "Request URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        _ => return None,
    })
}

/// Whether a response with this status carries a body and `Content-Length` (RFC 9110 §8.6).
pub fn has_body(status: u16) -> bool {
    !(status == 204 || status == 304 || (100..200).contains(&status))
}

pub fn write_head(out: &mut Vec<u8>, fields: HeadFields<'_>, headers: &[(&str, HeaderValue)]) {
    // A status outside 100..=999 cannot be written as three digits: a bug in the service.
    assert!(
        (100..=999).contains(&fields.status),
        "status {}",
        fields.status
    );
    out.extend_from_slice(if fields.version_minor == 0 {
        b"HTTP/1.0 "
    } else {
        b"HTTP/1.1 "
    });
    push_decimal(out, usize::from(fields.status));
    out.push(b' ');
    match reason(fields.status) {
        Some(reason) => out.extend_from_slice(reason.as_bytes()),
        None => {
            out.extend_from_slice(b"status code ");
            push_decimal(out, usize::from(fields.status));
        }
    }
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        let start = out.len();
        out.extend_from_slice(value.as_bytes());
        for b in &mut out[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Date: ");
    out.extend_from_slice(fields.date);
    out.extend_from_slice(b"\r\n");
    if let Some(length) = fields.content_length {
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, length);
        out.extend_from_slice(b"\r\n");
    }
    match fields.connection {
        ConnectionHeader::Omit => {}
        ConnectionHeader::Close => out.extend_from_slice(b"Connection: close\r\n"),
        ConnectionHeader::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// The whole response to a refused request: always HTTP/1.1 and `Connection: close`, as Go.
pub fn write_error(out: &mut Vec<u8>, error: &RequestError, date: &[u8]) {
    let body = error.to_string();
    let fields = HeadFields {
        version_minor: 1,
        status: error.status(),
        date,
        content_length: Some(body.len()),
        connection: ConnectionHeader::Close,
    };
    write_head(
        out,
        fields,
        &[("Content-Type", "text/plain; charset=utf-8".into())],
    );
    out.extend_from_slice(body.as_bytes());
}

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

    fn head(fields: HeadFields<'_>, headers: &[(&str, HeaderValue)]) -> String {
        let mut out = Vec::new();
        write_head(&mut out, fields, headers);
        String::from_utf8(out).unwrap()
    }

    fn fields(version_minor: u8, status: u16, length: Option<usize>) -> HeadFields<'static> {
        HeadFields {
            version_minor,
            status,
            date: DATE,
            content_length: length,
            connection: ConnectionHeader::Omit,
        }
    }

    type Case = (
        HeadFields<'static>,
        Vec<(&'static str, HeaderValue)>,
        String,
    );

    #[test]
    fn writes_heads() {
        let d = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
        let cases: Vec<Case> = vec![
            (fields(1, 200, Some(2)), vec![], format!("HTTP/1.1 200 OK\r\n{d}Content-Length: 2\r\n\r\n")),
            (
                fields(0, 404, Some(19)),
                vec![("Content-Type", "text/plain; charset=utf-8".into())],
                format!("HTTP/1.0 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n{d}Content-Length: 19\r\n\r\n"),
            ),
            (fields(1, 204, None), vec![], format!("HTTP/1.1 204 No Content\r\n{d}\r\n")),
            (fields(1, 299, Some(0)), vec![], format!("HTTP/1.1 299 status code 299\r\n{d}Content-Length: 0\r\n\r\n")),
            (
                HeadFields { connection: ConnectionHeader::Close, ..fields(1, 301, Some(0)) },
                vec![("Location", "/a\r\nSet-Cookie: x=1\n".to_string().into())],
                format!("HTTP/1.1 301 Moved Permanently\r\nLocation: /a  Set-Cookie: x=1 \r\n{d}Content-Length: 0\r\nConnection: close\r\n\r\n"),
            ),
            (
                HeadFields { connection: ConnectionHeader::KeepAlive, ..fields(0, 200, Some(12345678901)) },
                vec![],
                format!("HTTP/1.0 200 OK\r\n{d}Content-Length: 12345678901\r\nConnection: keep-alive\r\n\r\n"),
            ),
        ];
        for (fields, headers, want) in cases {
            assert_eq!(head(fields, &headers), want);
        }
    }

    #[test]
    fn writes_go_like_error_responses() {
        let mut out = Vec::new();
        write_error(&mut out, &RequestError::MissingHost, DATE);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 45\r\nConnection: close\r\n\r\n\
             400 Bad Request: missing required Host header"
        );
    }

    #[test]
    fn bodies_are_forbidden_for_some_statuses() {
        let cases = [
            (100, false),
            (200, true),
            (204, false),
            (304, false),
            (404, true),
        ];
        for (status, want) in cases {
            assert_eq!(has_body(status), want, "{status}");
        }
    }
}
