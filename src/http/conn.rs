//! One client connection: its read buffer, the state of the request being received, its queue
//! of responses, and its timers. The reactor tells it when the socket is ready and when a
//! second has passed; it answers with what it needs next ([`Progress`]).
//!
//! A request is kept whole in the read buffer until it is answered: the head, then the body
//! right behind it (a `Content-Length` body is used where it lies; a chunked body is de-chunked
//! in place, over its own framing). Requests are answered strictly in order, one at a time,
//! and no further pipelined request is taken while the queued output is over its limit.
//!
//! It never writes to the socket while handling readiness: responses are queued, and written
//! only by [`Connection::flush`], which the reactor calls after `Service::before_flush`. A
//! response that awaits the commit is held apart, and no further request is taken, until
//! [`Connection::release`] learns whether the commit succeeded. (A TLS transport answers
//! handshake messages as it reads them; those carry no response.)

use super::chunked::{ChunkedDecoder, ChunkedError, Decoded};
use super::date::DateCache;
use super::error::RequestError;
use super::head::{self, Framing, Head, HeaderScratch};
use super::message::{Body, BodySource, Method, Request, Response, Service};
use super::output::{Output, StreamFraming};
use super::response::{self, ConnectionHeader, HeadFields};
use super::transport::Transport;
use crate::limits::Limits;
use mio::net::TcpStream;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::ops::Range;
use std::time::{Duration, Instant};

/// Smallest read room, and the size an emptied read buffer shrinks back to.
const INPUT_BYTES_MIN: usize = 4096;
/// Largest read room one read asks for.
const READ_BYTES_MAX: usize = 1 << 20;
/// Bytes read from one connection per loop turn before the others get their turn.
const READ_BUDGET_BYTES: usize = 4 << 20;
/// Bytes written to one connection per loop turn before the others get their turn.
const WRITE_BUDGET_BYTES: usize = 4 << 20;
/// After the last response of a closing connection, how long its input is still read and
/// dropped: closing with unread input makes the kernel send RST, which can destroy the
/// response in the client's receive buffer before it is read (Go lingers the same way).
const LINGER: Duration = Duration::from_secs(1);
/// Most bytes dropped while lingering.
const LINGER_BYTES_MAX: usize = 1 << 20;

const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What a connection needs from the reactor next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Nothing until the socket is ready again (or the next tick).
    Waiting,
    /// More work is ready now (a budget ran out, or output drained below its limit while
    /// requests wait): call [`Connection::on_readable`] and then flush again next turn.
    Again,
    /// Drop the connection.
    Closed,
}

/// What every connection shares for the duration of one call.
pub struct Context<'a> {
    pub limits: &'a Limits,
    pub date: &'a DateCache,
    pub headers: &'a mut HeaderScratch,
    pub now: Instant,
    /// The server is shutting down: every response closes its connection.
    pub shutting_down: bool,
}

#[derive(Debug)]
struct Input {
    /// Fully initialised (zeroed as it grows), so that reads need no `unsafe`.
    buf: Vec<u8>,
    /// Invariant: `start <= end <= buf.len()`; `buf[start..end]` is received, not consumed.
    start: usize,
    end: usize,
}

impl Input {
    fn len(&self) -> usize {
        self.end - self.start
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        assert!(n <= self.len(), "consumed {n} of {}", self.len());
        self.start += n;
        if self.start == self.end {
            self.clear();
        }
    }

    /// Forgets everything; a buffer grown by a large request shrinks back.
    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        if self.buf.capacity() > INPUT_BYTES_MIN {
            self.buf.truncate(INPUT_BYTES_MIN);
            self.buf.shrink_to_fit();
        }
    }

    /// Removes `range` (relative to `start`), moving what follows it down.
    fn remove(&mut self, range: Range<usize>) {
        assert!(range.start <= range.end && range.end <= self.len());
        self.buf
            .copy_within(self.start + range.end..self.end, self.start + range.start);
        self.end -= range.len();
    }

    /// Moves the unconsumed bytes to the front and returns at least `want` bytes of room.
    fn room(&mut self, want: usize) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < want {
            self.buf.resize(self.end + want, 0);
        }
        &mut self.buf[self.end..]
    }
}

#[derive(Debug)]
enum Phase {
    /// Between requests: no byte of the next one seen yet.
    Idle,
    /// Receiving a head; the search for its end resumes at `scan_from`.
    Head { scan_from: usize },
    /// The head (`head_len` bytes at the front of the input) is accepted; receiving the body.
    Body {
        head_len: usize,
        body: BodyState,
        expect_continue: bool,
    },
    /// Everything is sent and the write side shut; dropping input until the peer closes.
    Lingering { until: Instant, dropped: usize },
}

#[derive(Debug)]
enum BodyState {
    Length(usize),
    /// Decoded body bytes sit at `head_len..head_len + body_len`; undecoded input starts at
    /// `raw_pos`; what lies between is spent framing.
    Chunked {
        decoder: ChunkedDecoder,
        body_len: usize,
        raw_pos: usize,
    },
}

#[derive(Debug)]
pub struct Connection {
    stream: Transport,
    peer: SocketAddr,
    input: Input,
    output: Output,
    phase: Phase,
    /// The last time a byte moved either way.
    last_activity: Instant,
    /// When the first byte of the request being received arrived.
    request_started: Instant,
    /// No further request is taken; the connection ends once its output is written.
    closing: bool,
    /// The peer has shut its write side: no more input will come.
    peer_done: bool,
    /// Requests wait in the input because the output is over its limit, or a held response
    /// was released.
    stalled: bool,
    /// A response waiting for the loop turn's commit.
    held: Option<(Response, Asked)>,
}

/// What the answer to a request needs to know of it besides the response.
#[derive(Debug, Clone, Copy)]
struct Asked {
    method: Method,
    version_minor: u8,
    keep_alive: bool,
}

impl Connection {
    pub fn new(stream: Transport, peer: SocketAddr, now: Instant) -> Connection {
        Connection {
            stream,
            peer,
            input: Input {
                buf: Vec::new(),
                start: 0,
                end: 0,
            },
            output: Output::default(),
            phase: Phase::Idle,
            last_activity: now,
            request_started: now,
            closing: false,
            peer_done: false,
            stalled: false,
            held: None,
        }
    }

    pub fn stream_mut(&mut self) -> &mut TcpStream {
        self.stream.socket_mut()
    }

    /// There is output to write, or a close to carry out.
    pub fn wants_flush(&self) -> bool {
        !self.quiet() || (self.closing && !matches!(self.phase, Phase::Lingering { .. }))
    }

    /// Nothing to write (no TLS records either), and nothing held to write later.
    fn quiet(&self) -> bool {
        self.output.is_empty() && self.held.is_none() && !self.stream.has_pending()
    }

    /// After `Service::before_flush`: queues the held response, or what the service sends
    /// instead because the commit failed; the requests behind it are taken next turn.
    pub fn release<S: Service>(&mut self, date: &DateCache, shutting_down: bool, service: &mut S) {
        let Some((response, asked)) = self.held.take() else {
            return;
        };
        let response = service.commit_failed().unwrap_or(response);
        let shutting_down = shutting_down || service.shutdown_requested();
        self.closing |= queue(&mut self.output, date, shutting_down, response, asked);
        self.stalled = true;
    }

    /// Readable readiness (or a retry): reads what the peer sent and answers every complete
    /// request, within a read budget.
    pub fn on_readable<S: Service>(&mut self, cx: &mut Context<'_>, service: &mut S) -> Progress {
        if let Phase::Lingering { .. } = self.phase {
            return self.drop_input(cx.now);
        }
        let mut budget = READ_BUDGET_BYTES;
        loop {
            self.process(cx, service);
            if self.closing || self.stalled || self.held.is_some() {
                break;
            }
            if self.peer_done {
                // Every complete request is answered; a partial one can never complete.
                self.closing = true;
                break;
            }
            if budget == 0 {
                return Progress::Again;
            }
            match self.read(cx.now) {
                Ok(0) => self.peer_done = true,
                Ok(n) => budget = budget.saturating_sub(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Progress::Closed,
            }
        }
        if self.closing && self.peer_done && self.quiet() {
            return Progress::Closed;
        }
        Progress::Waiting
    }

    /// Writes queued output, within a write budget. Called by the reactor only after
    /// `Service::before_flush` in the same loop turn.
    pub fn flush(&mut self, now: Instant, pending_output_bytes_max: usize) -> Progress {
        if let Phase::Lingering { .. } = self.phase {
            return Progress::Waiting;
        }
        let mut written = match self.output.write_to(&mut self.stream, WRITE_BUDGET_BYTES) {
            Ok(written) => written,
            Err(_) => return Progress::Closed,
        };
        if written.bytes > 0 {
            self.last_activity = now;
        }
        // TLS records the socket has not taken yet (a plain socket never has any).
        match self.stream.send_pending() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => written.blocked = true,
            Err(_) => return Progress::Closed,
        }
        if self.output.is_empty() && !self.stream.has_pending() && self.closing {
            if self.peer_done || self.stream.shutdown_write().is_err() {
                return Progress::Closed;
            }
            self.input.clear();
            self.phase = Phase::Lingering {
                until: now + LINGER,
                dropped: 0,
            };
            return self.drop_input(now);
        }
        let budget_spent = !written.blocked && !self.output.is_empty();
        let resumable = self.stalled && !self.output.is_backlogged(pending_output_bytes_max);
        if budget_spent || resumable {
            return Progress::Again;
        }
        Progress::Waiting
    }

    /// The once-a-second sweep: a request that arrives too slowly gets 408; a connection on
    /// which nothing has moved for the idle timeout (between requests, or while its last
    /// response waits for a reader) is closed silently.
    pub fn on_tick(&mut self, cx: &Context<'_>) -> Progress {
        let limits = cx.limits;
        let since = |t: Instant| cx.now.saturating_duration_since(t);
        match self.phase {
            // A TLS handshake gets the time a request head gets, from the accept.
            _ if self.stream.is_handshaking() => {
                if since(self.request_started) >= limits.head_timeout {
                    return Progress::Closed;
                }
                Progress::Waiting
            }
            Phase::Lingering { until, .. } if cx.now >= until => Progress::Closed,
            Phase::Lingering { .. } => Progress::Waiting,
            Phase::Head { .. } | Phase::Body { .. } if !self.closing => {
                let elapsed = since(self.request_started);
                let head = matches!(self.phase, Phase::Head { .. });
                if head && elapsed >= limits.head_timeout {
                    let head_timeout = limits.head_timeout;
                    self.refuse(cx, RequestError::HeadTimeout { head_timeout });
                } else if elapsed >= limits.request_timeout {
                    let request_timeout = limits.request_timeout;
                    self.refuse(cx, RequestError::RequestTimeout { request_timeout });
                }
                Progress::Waiting
            }
            _ if since(self.last_activity) >= limits.idle_timeout => Progress::Closed,
            _ => Progress::Waiting,
        }
    }

    /// The server stops: an idle connection closes now, a busy one after its current request.
    pub fn begin_shutdown(&mut self) -> Progress {
        let idle = matches!(self.phase, Phase::Idle) && self.input.len() == 0;
        if idle && self.quiet() {
            return Progress::Closed;
        }
        if idle {
            self.closing = true;
        }
        Progress::Waiting
    }

    /// Takes every complete request from the input and answers it, in order.
    fn process<S: Service>(&mut self, cx: &mut Context<'_>, service: &mut S) {
        self.stalled = false;
        while !self.closing && self.held.is_none() {
            if self
                .output
                .is_backlogged(cx.limits.pending_output_bytes_max)
            {
                self.stalled = true;
                return;
            }
            match self.step(cx, service) {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => self.refuse(cx, error),
            }
        }
    }

    /// One move of the request state machine; `Ok(false)` when it needs more input.
    fn step<S: Service>(
        &mut self,
        cx: &mut Context<'_>,
        service: &mut S,
    ) -> Result<bool, RequestError> {
        let header_bytes_max = cx.limits.header_bytes_max;
        match &mut self.phase {
            Phase::Lingering { .. } => Ok(false),
            Phase::Idle if self.input.len() == 0 => Ok(false),
            Phase::Idle => {
                self.request_started = cx.now;
                self.phase = Phase::Head { scan_from: 0 };
                Ok(true)
            }
            Phase::Head { scan_from } => match head::find_end(self.input.data(), *scan_from) {
                Some(head_len) if head_len <= header_bytes_max => {
                    self.start_request(cx, service, head_len)
                }
                None if self.input.len() <= header_bytes_max => {
                    *scan_from = self.input.len();
                    Ok(false)
                }
                _ => Err(RequestError::HeadTooLarge { header_bytes_max }),
            },
            Phase::Body { .. } => self.receive_body(cx, service),
        }
    }

    /// A complete head: answer at once if the whole request is here, else wait for the body.
    fn start_request<S: Service>(
        &mut self,
        cx: &mut Context<'_>,
        service: &mut S,
        head_len: usize,
    ) -> Result<bool, RequestError> {
        enum Next {
            Answered {
                request_len: usize,
                close: bool,
            },
            AwaitBody {
                body: BodyState,
                expect_continue: bool,
            },
        }
        let data = &self.input.buf[self.input.start..self.input.end];
        let mut headers = cx.headers.take();
        let parsed = head::parse(&data[..head_len], &mut headers, cx.limits.body_bytes_max);
        let next = parsed.map(|head| match head.framing {
            Framing::Length(n) if head_len + n <= data.len() => {
                let body = &data[head_len..head_len + n];
                let close = answer(
                    &mut self.output,
                    &mut self.held,
                    cx,
                    service,
                    &head,
                    body,
                    self.peer,
                );
                Next::Answered {
                    request_len: head_len + n,
                    close,
                }
            }
            Framing::Length(n) => Next::AwaitBody {
                body: BodyState::Length(n),
                expect_continue: head.expect_continue,
            },
            Framing::Chunked => Next::AwaitBody {
                body: BodyState::Chunked {
                    decoder: ChunkedDecoder::new(
                        cx.limits.body_bytes_max,
                        cx.limits.header_bytes_max,
                    ),
                    body_len: 0,
                    raw_pos: head_len,
                },
                expect_continue: head.expect_continue,
            },
        });
        cx.headers.give_back(headers);
        match next? {
            Next::Answered { request_len, close } => self.finish_request(request_len, close),
            Next::AwaitBody {
                body,
                expect_continue,
            } => {
                self.phase = Phase::Body {
                    head_len,
                    body,
                    expect_continue,
                };
            }
        }
        Ok(true)
    }

    /// Takes in body bytes; answers the request once the body is complete.
    fn receive_body<S: Service>(
        &mut self,
        cx: &mut Context<'_>,
        service: &mut S,
    ) -> Result<bool, RequestError> {
        let Phase::Body {
            head_len,
            body,
            expect_continue,
        } = &mut self.phase
        else {
            return Ok(false);
        };
        let head_len = *head_len;
        let complete = match body {
            BodyState::Length(n) => {
                let end = head_len + *n;
                (end <= self.input.len()).then_some((head_len..end, end))
            }
            BodyState::Chunked {
                decoder,
                body_len,
                raw_pos,
            } => {
                let data = &mut self.input.buf[self.input.start..self.input.end];
                loop {
                    let decoded = decoder.decode(&data[*raw_pos..]).map_err(|e| match e {
                        ChunkedError::Malformed => RequestError::MalformedChunkedEncoding,
                        ChunkedError::TooLarge => RequestError::BodyTooLarge {
                            body_bytes_max: cx.limits.body_bytes_max,
                        },
                    })?;
                    match decoded {
                        Decoded::Framing(0) => break None,
                        Decoded::Framing(n) => *raw_pos += n,
                        Decoded::Data(n) => {
                            data.copy_within(*raw_pos..*raw_pos + n, head_len + *body_len);
                            *body_len += n;
                            *raw_pos += n;
                        }
                        Decoded::Done(n) => {
                            *raw_pos += n;
                            break Some((head_len..head_len + *body_len, *raw_pos));
                        }
                    }
                }
            }
        };
        let Some((body, request_len)) = complete else {
            if *expect_continue {
                *expect_continue = false;
                self.output.push_static(CONTINUE);
            }
            return Ok(false);
        };
        // The head was valid when it arrived and its bytes have not changed since; it is
        // parsed again because the parsed form borrows a buffer that reads may have moved.
        let data = &self.input.buf[self.input.start..self.input.end];
        let mut headers = cx.headers.take();
        let close =
            head::parse(&data[..head_len], &mut headers, cx.limits.body_bytes_max).map(|head| {
                answer(
                    &mut self.output,
                    &mut self.held,
                    cx,
                    service,
                    &head,
                    &data[body],
                    self.peer,
                )
            });
        cx.headers.give_back(headers);
        self.finish_request(request_len, close?);
        Ok(true)
    }

    fn finish_request(&mut self, request_len: usize, close: bool) {
        self.input.consume(request_len);
        self.phase = Phase::Idle;
        self.closing |= close;
    }

    /// Answers a request the service never sees, and ends the connection after it.
    fn refuse(&mut self, cx: &Context<'_>, error: RequestError) {
        crate::log::debug(
            "refused request",
            &[
                ("peer", &self.peer),
                ("status", &error.status()),
                ("err", &error),
            ],
        );
        self.output
            .push_with(|out| response::write_error(out, &error, cx.date.get()));
        self.phase = Phase::Idle;
        self.closing = true;
    }

    fn read(&mut self, now: Instant) -> io::Result<usize> {
        // Close the gap that in-place de-chunking left, so the buffer holds only the body.
        if let Phase::Body {
            head_len,
            body: BodyState::Chunked {
                body_len, raw_pos, ..
            },
            ..
        } = &mut self.phase
        {
            let body_end = *head_len + *body_len;
            self.input.remove(body_end..*raw_pos);
            *raw_pos = body_end;
        }
        // Room in proportion to what is held (so a buffer doubles as a request grows), and
        // never much beyond the rest of a declared body, so a length is not an allocation.
        let held = self.input.len();
        let mut want = held.clamp(INPUT_BYTES_MIN, READ_BYTES_MAX);
        if let Phase::Body {
            head_len,
            body: BodyState::Length(n),
            ..
        } = self.phase
        {
            want = want
                .min((head_len + n).saturating_sub(held))
                .max(INPUT_BYTES_MIN);
        }
        let n = self.stream.read(self.input.room(want))?;
        self.input.end += n;
        if n > 0 {
            self.last_activity = now;
        }
        Ok(n)
    }

    /// Lingering: reads and drops input until the peer closes, or too much or too long.
    fn drop_input(&mut self, now: Instant) -> Progress {
        loop {
            self.input.clear();
            let result = self.stream.read(self.input.room(INPUT_BYTES_MIN));
            let Phase::Lingering { until, dropped } = &mut self.phase else {
                return Progress::Closed;
            };
            match result {
                Ok(0) => return Progress::Closed,
                Ok(n) => {
                    *dropped += n;
                    if *dropped > LINGER_BYTES_MAX || now >= *until {
                        return Progress::Closed;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Waiting,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Progress::Closed,
            }
        }
    }
}

/// Hands one complete request to the service and queues its response (or holds it, if it
/// awaits the commit); true when the connection must close after it (Go's keep-alive rules,
/// the service's wish, or shutdown).
fn answer<S: Service>(
    output: &mut Output,
    held: &mut Option<(Response, Asked)>,
    cx: &Context<'_>,
    service: &mut S,
    head: &Head<'_, '_>,
    body: &[u8],
    peer: SocketAddr,
) -> bool {
    let method = Method::from_token(head.method);
    let request = Request {
        method,
        method_token: head.method,
        target: head.target,
        version_minor: head.version_minor,
        headers: head.headers,
        body,
        peer,
    };
    let response = service.handle(&request);
    let asked = Asked {
        method,
        version_minor: head.version_minor,
        keep_alive: head.keep_alive,
    };
    if response.awaits_commit {
        *held = Some((response, asked));
        return false;
    }
    let shutting_down = cx.shutting_down || service.shutdown_requested();
    queue(output, cx.date, shutting_down, response, asked)
}

/// Queues a response; true when the connection must close after it.
fn queue(
    output: &mut Output,
    date: &DateCache,
    shutting_down: bool,
    response: Response,
    asked: Asked,
) -> bool {
    let Asked {
        method,
        version_minor,
        keep_alive,
    } = asked;
    let mut close = !keep_alive || response.close || shutting_down;
    let Response {
        status,
        mut headers,
        body,
        ..
    } = response;
    let has_body = response::has_body(status);
    let sends_body = has_body && method != Method::Head;
    let (body, stream) = start_stream(body, has_body);
    let framing = if version_minor == 0 {
        StreamFraming::Raw
    } else {
        StreamFraming::Chunked
    };
    if stream.is_some() && sends_body {
        match framing {
            // Nothing but the end of the connection can tell an HTTP/1.0 client where it ends.
            StreamFraming::Raw => close = true,
            StreamFraming::Chunked => headers.push(("Transfer-Encoding", "chunked".into())),
        }
    }
    // HTTP/1.0 closes unless told otherwise, HTTP/1.1 stays open unless told otherwise.
    let connection = match (close, version_minor) {
        (true, 0) | (false, 1..) => ConnectionHeader::Omit,
        (true, _) => ConnectionHeader::Close,
        (false, 0) => ConnectionHeader::KeepAlive,
    };
    let fields = HeadFields {
        version_minor,
        status,
        date: date.get(),
        content_length: if has_body && stream.is_none() {
            body.known_len()
        } else {
            None
        },
        connection,
    };
    output.push_with(|out| response::write_head(out, fields, &headers));
    if sends_body {
        match stream {
            Some((source, first)) => output.push_stream(source, framing, first),
            None => output.push_body(body),
        }
    }
    close
}

/// A streamed body under way: its source and its first piece, not yet queued.
type Started = (Box<dyn BodySource>, Vec<u8>);

/// Takes the first piece of a streamed body before its head is written: a body that is
/// complete after it becomes an ordinary body with a `Content-Length`; a longer one comes back
/// with that piece. A status without a body drops the stream.
fn start_stream(body: Body, has_body: bool) -> (Body, Option<Started>) {
    match body {
        Body::Stream(mut source) if has_body => {
            let mut first = Vec::new();
            if source.fill(&mut first) {
                (Body::Bytes(first), None)
            } else {
                (Body::Empty, Some((source, first)))
            }
        }
        Body::Stream(_) => (Body::Empty, None),
        body => (body, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bytes: &[u8]) -> Input {
        let mut input = Input {
            buf: Vec::new(),
            start: 0,
            end: 0,
        };
        let room = input.room(bytes.len());
        room[..bytes.len()].copy_from_slice(bytes);
        input.end += bytes.len();
        input
    }

    #[test]
    fn consumed_bytes_are_compacted_away_before_the_next_read() {
        let mut input = input(b"first|second");
        input.consume(6);
        assert_eq!(input.data(), b"second");
        let room = input.room(10).len();
        assert_eq!(
            (input.start, input.end, input.data()),
            (0, 6, &b"second"[..])
        );
        assert!(room >= 10);
    }

    #[test]
    fn an_emptied_buffer_shrinks_back() {
        let mut input = input(&vec![b'x'; 1 << 20]);
        assert!(input.buf.capacity() >= 1 << 20);
        input.consume(1 << 20);
        assert_eq!(input.len(), 0);
        assert!(input.buf.capacity() <= INPUT_BYTES_MIN);
    }

    /// Buffer contents, bytes consumed, range removed, what remains.
    type RemoveCase = (&'static [u8], usize, Range<usize>, &'static [u8]);

    #[test]
    fn removing_a_range_closes_the_gap() {
        let cases: &[RemoveCase] = &[
            (b"head|body|gap|rest", 0, 9..13, b"head|body|rest"),
            (b"xxhead|gap|rest", 2, 4..8, b"head|rest"),
            (b"abc", 0, 1..1, b"abc"),
            (b"abc", 0, 0..3, b""),
        ];
        for (bytes, consumed, range, want) in cases {
            let mut input = input(bytes);
            input.consume(*consumed);
            input.remove(range.clone());
            assert_eq!(input.data(), *want);
        }
    }
}
