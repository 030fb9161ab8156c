//! The ceiling: a trivial single-threaded mio server, on the servers' core, that reads each
//! request (head and `Content-Length` body) and answers 200: empty, or for `GET /body` a
//! prebuilt body set by the bench. Whatever a real server does per request, it does at least
//! this much, so its rate and its time to serve a body of a scrape's size are the ceilings.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const LISTENER: Token = Token(usize::MAX);
const READ_BYTES: usize = 64 << 10;
const EMPTY_OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

pub struct Trivial {
    pub addr: SocketAddr,
    /// The server thread's `/proc/self/task/TID/schedstat`.
    pub schedstat: PathBuf,
    body: Arc<Mutex<Arc<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Trivial {
    /// Starts the server on a thread pinned to `cpu`.
    pub fn start(cpu: usize) -> Trivial {
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let body = Arc::new(Mutex::new(Arc::new(Vec::new())));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, s) = (body.clone(), stop.clone());
        let (tid_sender, tid) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            crate::servers::pin_this_thread(cpu);
            // SAFETY: gettid has no preconditions.
            let _ = tid_sender.send(unsafe { libc::gettid() });
            serve(&mut listener, &b, &s);
        });
        let tid = tid.recv().expect("the server thread starts");
        Trivial {
            addr,
            schedstat: PathBuf::from(format!("/proc/self/task/{tid}/schedstat")),
            body,
            stop,
            thread: Some(thread),
        }
    }

    /// The body `GET /body` answers from now on.
    pub fn set_body(&self, body: Vec<u8>) {
        *self.body.lock().unwrap() = Arc::new(body);
    }
}

impl Drop for Trivial {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Conn {
    stream: TcpStream,
    input: Vec<u8>,
    /// Answers not yet written: bytes and how much of them is written.
    output: Vec<(Arc<Vec<u8>>, usize)>,
}

fn serve(listener: &mut TcpListener, body: &Mutex<Arc<Vec<u8>>>, stop: &AtomicBool) {
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(listener, LISTENER, Interest::READABLE)
        .unwrap();
    let empty_ok = Arc::new(EMPTY_OK.to_vec());
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut events = Events::with_capacity(256);
    let mut buf = vec![0; READ_BYTES];
    while !stop.load(Ordering::Relaxed) {
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    stream.set_nodelay(true).unwrap();
                    let slot = conns.iter().position(Option::is_none).unwrap_or_else(|| {
                        conns.push(None);
                        conns.len() - 1
                    });
                    poll.registry()
                        .register(
                            &mut stream,
                            Token(slot),
                            Interest::READABLE | Interest::WRITABLE,
                        )
                        .unwrap();
                    conns[slot] = Some(Conn {
                        stream,
                        input: Vec::new(),
                        output: Vec::new(),
                    });
                }
                continue;
            }
            let slot = event.token().0;
            let Some(conn) = conns[slot].as_mut() else {
                continue;
            };
            let mut closed = false;
            if event.is_readable() {
                closed = read_all(conn, &mut buf);
                while let Some((used, wants_body)) = request(&conn.input) {
                    conn.input.drain(..used);
                    if wants_body {
                        let body = body.lock().unwrap().clone();
                        let head =
                            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                        conn.output.push((Arc::new(head.into_bytes()), 0));
                        conn.output.push((body, 0));
                    } else {
                        conn.output.push((empty_ok.clone(), 0));
                    }
                }
            }
            closed |= write_all(conn);
            if closed {
                let mut conn = conns[slot].take().expect("present");
                let _ = poll.registry().deregister(&mut conn.stream);
            }
        }
    }
}

/// Reads until the socket would block; true when the peer closed or failed.
fn read_all(conn: &mut Conn, buf: &mut [u8]) -> bool {
    loop {
        match conn.stream.read(buf) {
            Ok(0) => return true,
            Ok(n) => conn.input.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// Writes queued answers until the socket would block; true when the connection failed.
fn write_all(conn: &mut Conn) -> bool {
    while let Some((bytes, written)) = conn.output.first_mut() {
        match conn.stream.write(&bytes[*written..]) {
            Ok(n) => {
                *written += n;
                if *written == bytes.len() {
                    conn.output.remove(0);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
    false
}

/// A complete request at the start of `input`: its length, and whether it asks for the body.
fn request(input: &[u8]) -> Option<(usize, bool)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    let head = match parsed.parse(input).expect("the load sends valid requests") {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return None,
    };
    let length: usize = parsed
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map_or(0, |h| {
            std::str::from_utf8(h.value)
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        });
    let wants_body = parsed.method == Some("GET") && parsed.path == Some("/body");
    (input.len() >= head + length).then_some((head + length, wants_body))
}
