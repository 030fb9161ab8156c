//! The load generator: keep-alive connections on one mio loop in the bench's thread, each with
//! one request in flight, sending prebuilt requests round robin. The same generator drives our
//! server, upstream and the trivial server, so their figures differ only by the server.
//!
//! Bounded: it stops sending at the end of its window or after `requests_max` requests, and
//! waits at most `drain` for the answers in flight.

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What to send, and for how long.
pub struct Load<'a> {
    pub requests: &'a [Vec<u8>],
    pub connections: usize,
    pub window: Duration,
    pub requests_max: usize,
    pub drain: Duration,
}

/// What came back.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Answers with a 2xx status.
    pub ok: usize,
    /// Answers with another status.
    pub failed: usize,
    /// Requests still unanswered when the drain time was up.
    pub abandoned: usize,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Per answered request, from its first byte sent to its last byte received.
    pub latencies: Vec<Duration>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`th percentile latency (0..=100).
    pub fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted
            .get((sorted.len().max(1) - 1) * p / 100)
            .copied()
            .unwrap_or_default()
    }
}

struct Conn {
    stream: TcpStream,
    /// The request being written, and how much of it is written.
    out: Option<(usize, usize)>,
    input: Vec<u8>,
    /// When the request in flight was sent; `None` when idle.
    sent_at: Option<Instant>,
}

const READ_BYTES: usize = 64 << 10;

pub fn run(addr: SocketAddr, load: &Load<'_>) -> Outcome {
    assert!(!load.requests.is_empty() && load.connections > 0);
    let mut poll = Poll::new().expect("epoll");
    let mut conns: Vec<Conn> = (0..load.connections)
        .map(|i| {
            let stream = std::net::TcpStream::connect(addr).expect("the server accepts");
            stream.set_nodelay(true).unwrap();
            stream.set_nonblocking(true).unwrap();
            let mut stream = TcpStream::from_std(stream);
            poll.registry()
                .register(
                    &mut stream,
                    Token(i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .unwrap();
            Conn {
                stream,
                out: None,
                input: Vec::new(),
                sent_at: None,
            }
        })
        .collect();
    let mut outcome = Outcome::default();
    let started = Instant::now();
    let stop_sending = started + load.window;
    let give_up = stop_sending + load.drain;
    let mut sent = 0;
    let mut last_answer = started;
    for conn in &mut conns {
        if sent < load.requests_max {
            send(conn, load.requests, &mut sent);
        }
    }
    let mut events = Events::with_capacity(256);
    let mut buf = vec![0; READ_BYTES];
    while conns.iter().any(|c| c.sent_at.is_some()) {
        let now = Instant::now();
        if now >= give_up {
            break;
        }
        poll.poll(
            &mut events,
            Some((give_up - now).min(Duration::from_millis(100))),
        )
        .expect("epoll_wait");
        for event in &events {
            let conn = &mut conns[event.token().0];
            if event.is_writable() {
                write_pending(conn, load.requests);
            }
            if !event.is_readable() {
                continue;
            }
            let closed = loop {
                match conn.stream.read(&mut buf) {
                    Ok(0) => break true,
                    Ok(n) => conn.input.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => break true,
                }
            };
            while let Some((status, used)) = response(&conn.input) {
                conn.input.drain(..used);
                let Some(sent_at) = conn.sent_at.take() else {
                    break;
                };
                last_answer = Instant::now();
                outcome.latencies.push(last_answer - sent_at);
                if (200..300).contains(&status) {
                    outcome.ok += 1;
                } else {
                    outcome.failed += 1;
                }
                if last_answer < stop_sending && sent < load.requests_max {
                    send(conn, load.requests, &mut sent);
                }
            }
            if closed && conn.sent_at.take().is_some() {
                outcome.failed += 1;
            }
        }
    }
    outcome.abandoned = conns.iter().filter(|c| c.sent_at.is_some()).count();
    outcome.elapsed = last_answer - started;
    outcome
}

fn send(conn: &mut Conn, requests: &[Vec<u8>], sent: &mut usize) {
    conn.out = Some((*sent % requests.len(), 0));
    conn.sent_at = Some(Instant::now());
    *sent += 1;
    write_pending(conn, requests);
}

fn write_pending(conn: &mut Conn, requests: &[Vec<u8>]) {
    while let Some((i, written)) = conn.out {
        let bytes = &requests[i][written..];
        match conn.stream.write(bytes) {
            Ok(n) if n == bytes.len() => conn.out = None,
            Ok(n) => conn.out = Some((i, written + n)),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// A complete response at the start of `input`: its status and its length in bytes. Bodies
/// are framed by `Content-Length` (absent: none) or chunked.
pub fn response(input: &[u8]) -> Option<(u16, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut headers);
    let head = match parsed.parse(input).expect("a valid HTTP response") {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return None,
    };
    let status = parsed.code.expect("a complete head has a status");
    let mut length = 0;
    for h in parsed.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length = std::str::from_utf8(h.value)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let end = memchr::memmem::find(&input[head..], b"0\r\n\r\n")?;
            return Some((status, head + end + 5));
        }
    }
    (input.len() >= head + length).then_some((status, head + length))
}
