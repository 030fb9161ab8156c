//! Why a request was refused before it reached the service, and the one place that turns such
//! a refusal into a status code and body. Bodies follow Go's net/http (`400 Bad Request`,
//! `400 Bad Request: missing required Host header`, …) so that clients and scripts that match
//! upstream's text keep working; limits that upstream does not have name the limit.

use std::fmt;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Anything httparse or the framing rules reject without a more specific reason.
    Malformed,
    InvalidHeaderName,
    InvalidHeaderValue,
    MissingHost,
    /// A version other than HTTP/1.0 and HTTP/1.1.
    UnsupportedVersion,
    /// A `Transfer-Encoding` other than exactly `chunked`.
    UnsupportedTransferEncoding,
    /// An `Expect` other than `100-continue`.
    UnsupportedExpectation,
    MalformedChunkedEncoding,
    HeadTooLarge {
        header_bytes_max: usize,
    },
    TooManyHeaders {
        header_count_max: usize,
    },
    BodyTooLarge {
        body_bytes_max: usize,
    },
    HeadTimeout {
        head_timeout: Duration,
    },
    RequestTimeout {
        request_timeout: Duration,
    },
    /// Every connection slot is taken (answered on the new connection, which then closes).
    TooManyConnections {
        connections_max: usize,
    },
}

impl RequestError {
    pub fn status(&self) -> u16 {
        match self {
            RequestError::Malformed
            | RequestError::InvalidHeaderName
            | RequestError::InvalidHeaderValue
            | RequestError::MissingHost
            | RequestError::MalformedChunkedEncoding => 400,
            RequestError::HeadTimeout { .. } | RequestError::RequestTimeout { .. } => 408,
            RequestError::BodyTooLarge { .. } => 413,
            RequestError::UnsupportedExpectation => 417,
            RequestError::HeadTooLarge { .. } | RequestError::TooManyHeaders { .. } => 431,
            RequestError::UnsupportedTransferEncoding => 501,
            RequestError::TooManyConnections { .. } => 503,
            RequestError::UnsupportedVersion => 505,
        }
    }

    fn detail(&self) -> Option<String> {
        Some(match self {
            RequestError::Malformed
            | RequestError::UnsupportedExpectation
            | RequestError::UnsupportedTransferEncoding => return None,
            RequestError::InvalidHeaderName => "invalid header name".to_string(),
            RequestError::InvalidHeaderValue => "invalid header value".to_string(),
            RequestError::MissingHost => "missing required Host header".to_string(),
            RequestError::UnsupportedVersion => "unsupported protocol version".to_string(),
            RequestError::MalformedChunkedEncoding => "malformed chunked encoding".to_string(),
            RequestError::HeadTooLarge { header_bytes_max } => {
                format!("request head larger than {header_bytes_max} bytes")
            }
            RequestError::TooManyHeaders { header_count_max } => {
                format!("more than {header_count_max} header fields")
            }
            RequestError::BodyTooLarge { body_bytes_max } => {
                format!("request body larger than {body_bytes_max} bytes")
            }
            RequestError::HeadTimeout { head_timeout } => {
                format!("request head not received within {head_timeout:?}")
            }
            RequestError::RequestTimeout { request_timeout } => {
                format!("request not received within {request_timeout:?}")
            }
            RequestError::TooManyConnections { connections_max } => {
                format!("more than {connections_max} open connections")
            }
        })
    }
}

/// The response body: `<code> <reason>[: <detail>]`, except Go's own wording for an
/// unsupported transfer encoding.
impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == RequestError::UnsupportedTransferEncoding {
            return f.write_str("Unsupported transfer encoding");
        }
        let status = self.status();
        let reason = super::response::reason(status).unwrap_or("Error");
        match self.detail() {
            None => write!(f, "{status} {reason}"),
            Some(detail) => write!(f, "{status} {reason}: {detail}"),
        }
    }
}

impl std::error::Error for RequestError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_body() {
        let secs = Duration::from_secs;
        let cases: &[(RequestError, u16, &str)] = &[
            (RequestError::Malformed, 400, "400 Bad Request"),
            (
                RequestError::InvalidHeaderName,
                400,
                "400 Bad Request: invalid header name",
            ),
            (
                RequestError::InvalidHeaderValue,
                400,
                "400 Bad Request: invalid header value",
            ),
            (
                RequestError::MissingHost,
                400,
                "400 Bad Request: missing required Host header",
            ),
            (
                RequestError::MalformedChunkedEncoding,
                400,
                "400 Bad Request: malformed chunked encoding",
            ),
            (
                RequestError::UnsupportedVersion,
                505,
                "505 HTTP Version Not Supported: unsupported protocol version",
            ),
            (
                RequestError::UnsupportedTransferEncoding,
                501,
                "Unsupported transfer encoding",
            ),
            (
                RequestError::UnsupportedExpectation,
                417,
                "417 Expectation Failed",
            ),
            (
                RequestError::HeadTooLarge {
                    header_bytes_max: 1024,
                },
                431,
                "431 Request Header Fields Too Large: request head larger than 1024 bytes",
            ),
            (
                RequestError::TooManyHeaders {
                    header_count_max: 4,
                },
                431,
                "431 Request Header Fields Too Large: more than 4 header fields",
            ),
            (
                RequestError::BodyTooLarge { body_bytes_max: 10 },
                413,
                "413 Request Entity Too Large: request body larger than 10 bytes",
            ),
            (
                RequestError::HeadTimeout {
                    head_timeout: secs(30),
                },
                408,
                "408 Request Timeout: request head not received within 30s",
            ),
            (
                RequestError::RequestTimeout {
                    request_timeout: secs(300),
                },
                408,
                "408 Request Timeout: request not received within 300s",
            ),
            (
                RequestError::TooManyConnections { connections_max: 2 },
                503,
                "503 Service Unavailable: more than 2 open connections",
            ),
        ];
        for (error, status, body) in cases {
            assert_eq!(error.status(), *status, "{error:?}");
            assert_eq!(error.to_string(), *body, "{error:?}");
        }
    }
}
