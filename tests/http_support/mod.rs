//! Shared by the `http_*` tests: a small echo service, a server on 127.0.0.1:0 in a thread,
//! and a raw-socket client that parses responses. Every wait is bounded by socket timeouts
//! or `recv_timeout`, so a broken server fails a test instead of hanging it.
#![allow(dead_code)] // each test binary uses a different part of this module

use pushgateway::http::{Body, BodySource, Chunk, Request, Response, Service};
use pushgateway::limits::Limits;
use pushgateway::reactor::Server;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(10);

/// Size of the shared buffer `/big/N` responses are cut from.
pub const BIG_PIECE: usize = 65_536;

/// The byte at `offset` of a `/big/N` body.
pub fn big_byte(offset: usize) -> u8 {
    ((offset % BIG_PIECE) % 251) as u8
}

#[derive(Default)]
pub struct Counters {
    pub handled: AtomicUsize,
    /// `handled` as of the last `before_flush`.
    pub committed: AtomicUsize,
    pub ticks: AtomicUsize,
    /// Bytes produced so far by `/stream/N` bodies.
    pub streamed: AtomicUsize,
}

/// Echoes `METHOD TARGET vMINOR BODYLEN\n` then the body, with `X-Seq: <requests so far>`. `/big/N` answers N bytes of
/// shared chunks, `/stream/N` the same N bytes produced a piece at a time, `/close` asks for
/// the connection to close, `/quit` shuts the server down, `/fail-commit` makes the turn's
/// `before_flush` fail. `/change/ok` and `/change/lost` answer after the turn's commit; with
/// `/change/lost` in the turn, the commit is said to have failed and the changes get 503.
pub struct Echo {
    quit: bool,
    fail_commit: bool,
    /// A `/change/lost` was answered this turn.
    change_lost: bool,
    /// The last commit failed.
    commit_lost: bool,
    counters: Arc<Counters>,
    piece: Rc<[u8]>,
}

impl Service for Echo {
    fn handle(&mut self, req: &Request<'_>) -> Response {
        let seq = self.counters.handled.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(n) = req.target.strip_prefix("/big/") {
            let mut left: usize = n.parse().unwrap_or(0);
            let mut chunks = Vec::new();
            while left > 0 {
                let end = left.min(BIG_PIECE);
                chunks.push(Chunk {
                    buf: self.piece.clone(),
                    start: 0,
                    end,
                });
                left -= end;
            }
            return Response::new(200).body(Body::Chunks(chunks));
        }
        if let Some(n) = req.target.strip_prefix("/stream/") {
            let source = Counting {
                offset: 0,
                len: n.parse().unwrap_or(0),
                counters: self.counters.clone(),
            };
            return Response::new(200).body(Body::Stream(Box::new(source)));
        }
        if req.target == "/quit" {
            self.quit = true;
        }
        if req.target == "/fail-commit" {
            self.fail_commit = true;
        }
        let mut body = format!(
            "{} {} v{} {}\n",
            req.method_token,
            req.target,
            req.version_minor,
            req.body.len()
        )
        .into_bytes();
        body.extend_from_slice(req.body);
        let mut response = Response::new(200)
            .header("Content-Type", "text/plain")
            .header("X-Seq", seq.to_string())
            .body(Body::Bytes(body));
        response.close = req.target == "/close";
        response.awaits_commit = req.target.starts_with("/change/");
        self.change_lost |= req.target == "/change/lost";
        response
    }

    fn before_flush(&mut self) -> io::Result<()> {
        if self.fail_commit {
            return Err(io::Error::other("commit failed"));
        }
        self.commit_lost = std::mem::take(&mut self.change_lost);
        let handled = self.counters.handled.load(Ordering::SeqCst);
        self.counters.committed.store(handled, Ordering::SeqCst);
        Ok(())
    }

    fn commit_failed(&mut self) -> Option<Response> {
        self.commit_lost
            .then(|| Response::new(503).body(Body::Static(b"not committed")))
    }

    fn tick(&mut self) {
        self.counters.ticks.fetch_add(1, Ordering::SeqCst);
    }

    fn shutdown_requested(&self) -> bool {
        self.quit
    }
}

/// The `/big/N` bytes, `BIG_PIECE` per fill, counted in `Counters::streamed`.
struct Counting {
    offset: usize,
    len: usize,
    counters: Arc<Counters>,
}

impl BodySource for Counting {
    fn fill(&mut self, out: &mut Vec<u8>) -> bool {
        let end = self.len.min(self.offset + BIG_PIECE);
        out.extend((self.offset..end).map(big_byte));
        self.counters
            .streamed
            .fetch_add(end - self.offset, Ordering::SeqCst);
        self.offset = end;
        self.offset == self.len
    }
}

pub struct Running {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    done: mpsc::Receiver<io::Result<()>>,
}

pub fn start(limits: Limits) -> Running {
    start_on(&["127.0.0.1:0"], limits).0
}

/// Starts a server on `addresses`; also returns all its local addresses.
pub fn start_on(addresses: &[&str], limits: Limits) -> (Running, Vec<SocketAddr>) {
    let addresses: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
    let counters = Arc::new(Counters::default());
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    let thread_counters = counters.clone();
    thread::spawn(move || {
        let server = Server::bind(&addresses, limits).expect("bind");
        ready_tx.send(server.local_addrs()).unwrap();
        let piece: Rc<[u8]> = (0..BIG_PIECE).map(big_byte).collect();
        let mut service = Echo {
            quit: false,
            fail_commit: false,
            change_lost: false,
            commit_lost: false,
            counters: thread_counters,
            piece,
        };
        let _ = done_tx.send(server.run(&mut service));
    });
    let addrs = ready_rx.recv_timeout(WAIT).expect("server started");
    (
        Running {
            addr: addrs[0],
            counters,
            done,
        },
        addrs,
    )
}

impl Running {
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// Waits for `run` to return after a shutdown was asked for.
    pub fn wait_stopped(self) {
        self.done
            .recv_timeout(WAIT)
            .expect("server stopped")
            .expect("run returned Ok");
    }

    /// Waits for `run` to return an error.
    pub fn wait_failed(self) -> io::Error {
        self.done
            .recv_timeout(WAIT)
            .expect("server stopped")
            .expect_err("run returned an error")
    }

    /// Asks the server to quit and waits for it to stop. Retries while every connection slot
    /// is still taken by clients the server has not yet seen hang up.
    pub fn stop(self) {
        for _ in 0..100 {
            let mut client = self.client();
            client.send(b"GET /quit HTTP/1.1\r\nHost: t\r\n\r\n");
            match client.response().status {
                200 => {
                    // The server lingers on a closing connection until the client hangs up.
                    drop(client);
                    return self.wait_stopped();
                }
                503 => thread::sleep(Duration::from_millis(50)),
                status => panic!("/quit answered {status}"),
            }
        }
        panic!("no free connection slot to ask the server to quit");
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub status_line: String,
    pub status: u16,
    /// Every header but `Date`, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct Client {
    pub stream: TcpStream,
    /// Received and not yet parsed.
    pending: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            pending: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Reads more bytes; false at end of stream. A timeout fails the test.
    fn fill(&mut self) -> bool {
        let mut buf = [0u8; 65_536];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => false,
            Err(e) => panic!("read: {e}"),
        }
    }

    /// Reads exactly `n` bytes.
    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        while self.pending.len() < n {
            assert!(
                self.fill(),
                "end of stream after {} of {n} bytes",
                self.pending.len()
            );
        }
        self.pending.drain(..n).collect()
    }

    /// Reads one response framed by Content-Length or chunked (or a status without a body).
    pub fn response(&mut self) -> Reply {
        self.response_to(false)
    }

    pub fn response_to_head(&mut self) -> Reply {
        self.response_to(true)
    }

    fn response_to(&mut self, head_request: bool) -> Reply {
        let head_len = loop {
            if let Some(i) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(
                self.fill(),
                "end of stream inside a response head: {:?}",
                String::from_utf8_lossy(&self.pending)
            );
        };
        let head = String::from_utf8(self.pending.drain(..head_len).collect()).expect("ASCII head");
        let mut lines = head.trim_end().split("\r\n");
        let status_line = lines.next().unwrap().to_string();
        let status = status_line[9..12].parse().expect("status code");
        let mut headers = Vec::new();
        let mut length = 0;
        let mut chunked = false;
        for line in lines {
            let (name, value) = line.split_once(": ").expect("header line");
            if name == "Content-Length" {
                length = value.parse().expect("Content-Length");
            }
            if name == "Transfer-Encoding" {
                assert_eq!(value, "chunked");
                chunked = true;
            }
            if name != "Date" {
                headers.push((name.to_string(), value.to_string()));
            } else {
                assert_eq!(value.len(), 29, "{value}");
                assert!(value.ends_with(" GMT"), "{value}");
            }
        }
        let body = if head_request {
            Vec::new()
        } else if chunked {
            self.read_chunked()
        } else {
            self.read_exact(length)
        };
        Reply {
            status_line,
            status,
            headers,
            body,
        }
    }

    /// Reads a chunked body strictly as the server frames it: lower-case hex sizes without
    /// leading zeros or extensions, no empty chunk but the last, no trailers.
    pub fn read_chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.pending.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                assert!(self.pending.len() < 32, "no chunk-size line");
                assert!(self.fill(), "end of stream inside a chunk-size line");
            };
            let line = String::from_utf8(self.pending.drain(..line_end + 2).collect()).unwrap();
            let size = line.trim_end();
            assert!(
                size == "0" || !size.starts_with('0'),
                "leading zeros in chunk size {size:?}"
            );
            assert_eq!(size, size.to_ascii_lowercase());
            let size = usize::from_str_radix(size, 16).expect("hex chunk size");
            let data = self.read_exact(size + 2);
            assert_eq!(&data[size..], b"\r\n", "chunk data not followed by CRLF");
            if size == 0 {
                return body;
            }
            body.extend_from_slice(&data[..size]);
        }
    }

    /// True when the server closed the connection with nothing more to say. Hangs up too: a
    /// server lingers on a connection it closed until the client does the same.
    pub fn closed(mut self) -> bool {
        self.pending.is_empty() && !self.fill()
    }

    /// Everything until the server closes the connection.
    pub fn rest(&mut self) -> Vec<u8> {
        while self.fill() {}
        std::mem::take(&mut self.pending)
    }
}

/// Limits small enough for tests to reach.
pub fn small_limits() -> Limits {
    Limits {
        header_bytes_max: 1024,
        header_count_max: 8,
        body_bytes_max: 1000,
        connections_max: 4,
        idle_timeout: Duration::from_secs(1),
        head_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
        pending_output_bytes_max: 64 * 1024,
    }
}
