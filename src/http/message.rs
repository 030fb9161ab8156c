//! The request and response types that cross the line between the HTTP layer (which knows
//! bytes, framing and connections) and the service behind it (which knows URLs and metrics).
//!
//! A `Request` borrows everything from the connection's buffers and lives only for the
//! synchronous call of [`Service::handle`]; a `Response` owns its bytes, or shares immutable
//! fragments (`Rc<[u8]>`) so that a large scrape can be sent while the store moves on, or
//! hands over a [`BodySource`] that produces the body piece by piece as the socket drains.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
    Options,
    /// Any other token (PATCH, TRACE, …): routed like a known method, it matches no route.
    Other,
}

impl Method {
    pub fn from_token(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// One fully received request. The body is already de-chunked, but not decompressed.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: Method,
    /// The method token exactly as sent (`Other` keeps its spelling here).
    pub method_token: &'a str,
    /// The request-target exactly as sent: path plus optional `?query`, still percent-encoded.
    pub target: &'a str,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version_minor: u8,
    pub headers: &'a [httparse::Header<'a>],
    pub body: &'a [u8],
    pub peer: SocketAddr,
}

impl Request<'_> {
    /// The first header of that name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

/// A header value: usually a constant, sometimes built per response.
pub type HeaderValue = Cow<'static, str>;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Headers besides `Date`, `Content-Length` and `Connection`, which the HTTP layer writes.
    pub headers: Vec<(&'static str, HeaderValue)>,
    pub body: Body,
    /// Close the connection after this response even if the client wants keep-alive.
    pub close: bool,
    /// The request made a change: the response is held until `Service::before_flush` has
    /// committed the loop turn, and replaced by `Service::commit_failed` if that failed.
    pub awaits_commit: bool,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Empty,
            close: false,
            awaits_commit: false,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<HeaderValue>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: Body) -> Response {
        self.body = body;
        self
    }
}

#[derive(Debug)]
pub enum Body {
    Empty,
    Static(&'static [u8]),
    Bytes(Vec<u8>),
    /// Shared fragments written in order; a scrape is a list of ready pieces of the store.
    Chunks(Vec<Chunk>),
    /// Produced as the socket drains, length unknown in advance: sent with
    /// `Transfer-Encoding: chunked` to HTTP/1.1 clients and delimited by closing the connection
    /// for HTTP/1.0 ones, unless the whole body comes out of the first `fill` (then it gets a
    /// `Content-Length`, as Go does for a handler that finishes within its buffer).
    Stream(Box<dyn BodySource>),
}

impl Body {
    /// The body's length, or `None` while it is a stream.
    pub fn known_len(&self) -> Option<usize> {
        Some(match self {
            Body::Empty => 0,
            Body::Static(b) => b.len(),
            Body::Bytes(b) => b.len(),
            Body::Chunks(c) => c.iter().map(|c| c.as_slice().len()).sum(),
            Body::Stream(_) => return None,
        })
    }
}

/// A response body made on demand, for bodies whose making costs enough work (compressing a
/// scrape) that doing it all at once would hold up the loop.
pub trait BodySource {
    /// Appends the next piece of the body to `out`: a bounded amount of work and of bytes,
    /// possibly none. Returns true when the body is complete; `fill` is then not called again.
    fn fill(&mut self, out: &mut Vec<u8>) -> bool;
}

impl fmt::Debug for dyn BodySource + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BodySource")
    }
}

/// A byte range of an immutable shared buffer.
#[derive(Clone, Debug)]
pub struct Chunk {
    pub buf: Rc<[u8]>,
    pub start: usize,
    pub end: usize,
}

impl Chunk {
    pub fn whole(buf: Rc<[u8]>) -> Chunk {
        let end = buf.len();
        Chunk { buf, start: 0, end }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }
}

/// What the HTTP layer serves. Everything runs on the one event-loop thread.
pub trait Service {
    /// Answers one complete request; called in arrival order per connection.
    fn handle(&mut self, req: &Request<'_>) -> Response;

    /// Called once per loop turn after every ready event was handled and before any response
    /// queued in that turn is written to a socket: the group-commit point for the log. An
    /// error stops the server at once, without writing any response of the turn.
    fn before_flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// After `before_flush`, for each response held for the commit (`Response::awaits_commit`):
    /// `None` when the turn's changes were committed and the response may go, else the response
    /// to send instead.
    fn commit_failed(&mut self) -> Option<Response> {
        None
    }

    /// Called once per loop turn, before `before_flush`: a bounded piece of the service's own
    /// work (replaying or compacting its log). True while more is left, so that the loop does not wait for
    /// readiness in between.
    fn background(&mut self) -> bool {
        false
    }

    /// Called about once a second for the service's own timers.
    fn tick(&mut self) {}

    /// True once the service wants the server to shut down gracefully (`/-/quit`).
    fn shutdown_requested(&self) -> bool {
        false
    }
}
