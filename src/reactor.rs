//! The event loop: one mio `Poll`, the listeners, a fixed table of connection slots, the
//! once-a-second timer and the shutdown signals. It knows nothing of Prometheus and nothing of
//! HTTP beyond handing readiness to [`Connection`]s; the service behind it sees only requests.
//!
//! One loop turn, in the order the Redis `beforeSleep` pattern needs:
//! 1. wait for readiness (not at all if work was left over from the last turn);
//! 2. accept, read and answer requests (this calls `Service::handle`, queuing responses);
//! 3. once a second: `Service::tick` and the timeout sweep;
//! 4. `Service::background`: a bounded piece of the service's own work (while it has more,
//!    the next turn does not wait for readiness);
//! 5. `Service::before_flush` — the group-commit point (its failure ends the loop before
//!    anything of the turn is written);
//! 6. release the responses held for the commit (or their replacements), and write the queued
//!    responses.
//!
//! Readiness is edge-triggered: every accept, read and write goes on until `WouldBlock`, or
//! until a per-connection budget is spent, in which case the connection is revisited next turn
//! without waiting. No error on a connection ends the loop; only the poll itself failing does.

use crate::http::conn::{Connection, Context, Progress};
use crate::http::date::DateCache;
use crate::http::error::RequestError;
use crate::http::head::HeaderScratch;
use crate::http::response;
use crate::http::transport::{Acceptor, Transport};
use crate::http::Service;
use crate::limits::{self, Limits};
use crate::{listen, log};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

const SIGNALS: Token = Token(usize::MAX);
/// Listener `i` has the token `LISTENER_BASE - i`; connection slot `i` has the token `i`.
const LISTENER_BASE: usize = usize::MAX - 1;
const TICK: Duration = Duration::from_secs(1);
const EVENTS_CAPACITY: usize = 1024;

/// Bound listeners and everything the loop needs, before it runs.
pub struct Server {
    poll: Poll,
    listeners: Vec<TcpListener>,
    signals: Signals,
    limits: Limits,
    slots: usize,
    acceptor: Option<Box<dyn Acceptor>>,
}

impl Server {
    /// Binds every address (Go form, see [`listen`]); an error names the address. Also raises
    /// the open-file limit and keeps the connection cap below it.
    pub fn bind(addresses: &[String], limits: Limits) -> io::Result<Server> {
        if addresses.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no listen address given",
            ));
        }
        let open_files_max = limits::raise_open_files_limit()?;
        let slots = limits::connection_slots(limits.connections_max, open_files_max);
        if slots < limits.connections_max {
            log::warn(
                "connection limit lowered to stay below the open-file limit",
                &[
                    ("connections_max", &slots),
                    ("open_files_max", &open_files_max),
                ],
            );
        }
        let poll = Poll::new()?;
        let mut listeners = Vec::new();
        for address in addresses {
            for listener in listen::bind(address)? {
                listener.set_nonblocking(true)?;
                let mut listener = TcpListener::from_std(listener);
                let token = Token(LISTENER_BASE - listeners.len());
                poll.registry()
                    .register(&mut listener, token, Interest::READABLE)?;
                log::info("Listening on", &[("address", &listener.local_addr()?)]);
                listeners.push(listener);
            }
        }
        let mut signals = Signals::new([SIGTERM, SIGINT])?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        Ok(Server {
            poll,
            listeners,
            signals,
            limits,
            slots,
            acceptor: None,
        })
    }

    /// Every accepted socket goes through `acceptor` (TLS); without one, connections are plain.
    pub fn with_acceptor(mut self, acceptor: Box<dyn Acceptor>) -> Server {
        self.acceptor = Some(acceptor);
        self
    }

    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until SIGTERM, SIGINT or `Service::shutdown_requested`, then stops accepting,
    /// closes idle connections, finishes the requests in flight and returns. Returns the error
    /// at once, writing nothing more, if `Service::before_flush` fails.
    pub fn run<S: Service>(self, service: &mut S) -> io::Result<()> {
        let now = Instant::now();
        let mut reactor = Reactor {
            headers: HeaderScratch::new(self.limits.header_count_max),
            slots: (0..self.slots).map(|_| Slot::default()).collect(),
            free: (0..self.slots).rev().collect(),
            poll: self.poll,
            listeners: self.listeners,
            signals: self.signals,
            limits: self.limits,
            acceptor: self.acceptor,
            service,
            open: 0,
            to_flush: Vec::new(),
            again: Vec::new(),
            date: DateCache::new(),
            now,
            next_tick: now + TICK,
            accept_paused: false,
            shutting_down: false,
            busy: false,
        };
        reactor.run()
    }
}

#[derive(Default)]
struct Slot {
    /// Boxed: the table holds a slot for every allowed connection from the start, and an
    /// unboxed `Connection` would make it ~1 MiB of resident memory at idle.
    conn: Option<Box<Connection>>,
    /// The slot is in `to_flush` (so it is not queued twice).
    to_flush: bool,
    /// The slot is in `again`.
    again: bool,
}

struct Reactor<'s, S> {
    poll: Poll,
    listeners: Vec<TcpListener>,
    signals: Signals,
    limits: Limits,
    acceptor: Option<Box<dyn Acceptor>>,
    service: &'s mut S,
    /// Fixed size; a slot's index is its token. A freed slot may be reused in the same turn:
    /// that is safe because every connection tolerates spurious readiness.
    slots: Vec<Slot>,
    free: Vec<usize>,
    open: usize,
    /// Slots with output queued this turn, written after `before_flush`.
    to_flush: Vec<usize>,
    /// Slots with work left over, revisited next turn without waiting for readiness.
    again: Vec<usize>,
    date: DateCache,
    headers: HeaderScratch,
    now: Instant,
    next_tick: Instant,
    /// Accepting failed for lack of resources (EMFILE…): retried at the next tick rather
    /// than in a loop that would spin on a listener that stays readable.
    accept_paused: bool,
    shutting_down: bool,
    /// The service has background work left: the next turn does not wait for readiness.
    busy: bool,
}

impl<S: Service> Reactor<'_, S> {
    fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(EVENTS_CAPACITY);
        loop {
            if self.shutting_down && self.open == 0 {
                return Ok(());
            }
            let timeout = if self.again.is_empty() && self.to_flush.is_empty() && !self.busy {
                self.next_tick.saturating_duration_since(Instant::now())
            } else {
                Duration::ZERO
            };
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            self.now = Instant::now();
            self.date.refresh();

            // Work left from earlier turns; what this turn leaves goes to the next one.
            let again = std::mem::take(&mut self.again);
            for &i in &again {
                self.slots[i].again = false;
            }
            for event in events.iter() {
                match event.token() {
                    SIGNALS => self.on_signals(),
                    Token(t) if t >= self.slots.len() => self.accept(LISTENER_BASE - t),
                    Token(i) => {
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.on_input(i);
                        }
                        if event.is_writable() {
                            self.queue_flush(i);
                        }
                    }
                }
            }
            for i in again {
                self.on_input(i);
            }
            if !self.shutting_down && self.service.shutdown_requested() {
                self.begin_shutdown();
            }
            if self.now >= self.next_tick {
                self.tick();
            }

            self.busy = self.service.background();
            // A fatal error ends the loop: no response of this turn may leave.
            self.service.before_flush()?;
            for i in std::mem::take(&mut self.to_flush) {
                self.slots[i].to_flush = false;
                if let Some(conn) = self.slots[i].conn.as_mut() {
                    conn.release(&self.date, self.shutting_down, self.service);
                    let progress = conn.flush(self.now, self.limits.pending_output_bytes_max);
                    // Output left because the socket is full waits for writable readiness.
                    self.settle(i, progress, false);
                }
            }
        }
    }

    fn on_input(&mut self, i: usize) {
        let Some(conn) = self.slots.get_mut(i).and_then(|s| s.conn.as_mut()) else {
            return;
        };
        let mut cx = Context {
            limits: &self.limits,
            date: &self.date,
            headers: &mut self.headers,
            now: self.now,
            shutting_down: self.shutting_down,
        };
        let progress = conn.on_readable(&mut cx, self.service);
        self.settle(i, progress, true);
    }

    /// Acts on what a connection needs next; `queue_output` when it may have new output.
    fn settle(&mut self, i: usize, progress: Progress, queue_output: bool) {
        match progress {
            Progress::Closed => return self.close(i),
            Progress::Again if !self.slots[i].again => {
                self.slots[i].again = true;
                self.again.push(i);
            }
            Progress::Again | Progress::Waiting => {}
        }
        if queue_output
            && self.slots[i]
                .conn
                .as_deref()
                .is_some_and(Connection::wants_flush)
        {
            self.queue_flush(i);
        }
    }

    fn queue_flush(&mut self, i: usize) {
        if let Some(slot) = self.slots.get_mut(i) {
            if slot.conn.is_some() && !slot.to_flush {
                slot.to_flush = true;
                self.to_flush.push(i);
            }
        }
    }

    fn close(&mut self, i: usize) {
        if let Some(mut conn) = self.slots[i].conn.take() {
            // Deregistering cannot fail for a registered socket; the drop closes it anyway.
            let _ = self.poll.registry().deregister(conn.stream_mut());
            self.free.push(i);
            self.open -= 1;
        }
    }

    fn accept(&mut self, listener: usize) {
        // While paused, new connections wait in the backlog for the next tick's retry.
        if self.accept_paused {
            return;
        }
        loop {
            let Some(l) = self.listeners.get(listener) else {
                return;
            };
            match l.accept() {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    log::warn(
                        "accepting connections failed; retrying in a second",
                        &[("err", &e)],
                    );
                    self.accept_paused = true;
                    return;
                }
            }
        }
    }

    fn admit(&mut self, stream: TcpStream, peer: SocketAddr) {
        let Some(i) = self.free.pop() else {
            return self.turn_away(stream);
        };
        // Responses are written whole; waiting for more to coalesce would only delay them.
        let _ = stream.set_nodelay(true);
        let mut stream = match self.acceptor.as_mut() {
            None => Transport::Plain(stream),
            Some(acceptor) => match acceptor.accept(stream) {
                Ok(transport) => transport,
                Err(e) => {
                    log::warn(
                        "cannot set up a connection",
                        &[("peer", &peer), ("err", &e)],
                    );
                    self.free.push(i);
                    return;
                }
            },
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self
            .poll
            .registry()
            .register(stream.socket_mut(), Token(i), interest)
        {
            log::warn(
                "cannot watch a new connection",
                &[("peer", &peer), ("err", &e)],
            );
            self.free.push(i);
            return;
        }
        self.slots[i].conn = Some(Box::new(Connection::new(stream, peer, self.now)));
        self.open += 1;
    }

    /// Every slot is taken: a one-line 503 on the new socket, which is then closed. A fresh
    /// socket's send buffer is empty, so the single write cannot block.
    fn turn_away(&mut self, stream: TcpStream) {
        let error = RequestError::TooManyConnections {
            connections_max: self.slots.len(),
        };
        let mut out = Vec::new();
        response::write_error(&mut out, &error, self.date.get());
        let _ = (&stream).write(&out);
        let _ = stream.shutdown(Shutdown::Write);
        log::debug("turned a connection away", &[("err", &error)]);
    }

    fn tick(&mut self) {
        self.next_tick = self.now + TICK;
        self.service.tick();
        if std::mem::take(&mut self.accept_paused) {
            for listener in 0..self.listeners.len() {
                self.accept(listener);
            }
        }
        for i in 0..self.slots.len() {
            let Some(conn) = self.slots[i].conn.as_mut() else {
                continue;
            };
            let cx = Context {
                limits: &self.limits,
                date: &self.date,
                headers: &mut self.headers,
                now: self.now,
                shutting_down: self.shutting_down,
            };
            let progress = conn.on_tick(&cx);
            self.settle(i, progress, true);
        }
    }

    fn on_signals(&mut self) {
        let received: Vec<i32> = self.signals.pending().collect();
        for signal in received {
            let name = if signal == SIGTERM {
                "SIGTERM"
            } else {
                "SIGINT"
            };
            log::info(&format!("received {name}; exiting gracefully..."), &[]);
            if !self.shutting_down {
                self.begin_shutdown();
            }
        }
    }

    /// Stops accepting, closes idle connections, and lets the others finish their request.
    fn begin_shutdown(&mut self) {
        self.shutting_down = true;
        for mut listener in self.listeners.drain(..) {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        for i in 0..self.slots.len() {
            if let Some(conn) = self.slots[i].conn.as_mut() {
                let progress = conn.begin_shutdown();
                self.settle(i, progress, true);
            }
        }
    }
}
