//! One measurement against one server: a push rate, a scrape, push latency under scrapes.

use crate::bodies;
use crate::client;
use crate::load::{self, Load};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Connections of the small-push load.
pub const PUSH_CONNECTIONS: usize = 64;
/// No load sends more than this many requests, whatever its window.
const REQUESTS_MAX: usize = 10_000_000;
/// How long answers in flight are waited for at least, after the window.
const DRAIN_MIN: Duration = Duration::from_secs(10);

/// Pushes per second from [`PUSH_CONNECTIONS`] connections for about `window`. A server that
/// takes long per push is sent only what it can answer within the window (one push first
/// tells), so that no backlog spills into the next measurement on the same core.
pub fn push_rate(addr: SocketAddr, requests: &[Vec<u8>], window: Duration) -> load::Outcome {
    let probe = load::run(
        addr,
        &Load {
            requests,
            connections: 1,
            window: Duration::ZERO,
            requests_max: 1,
            drain: DRAIN_MIN.max(window * 100),
        },
    );
    assert_eq!(probe.ok, 1, "the probe push is accepted");
    let per_push = probe.elapsed.as_secs_f64();
    let requests_max = ((window.as_secs_f64() / per_push) as usize).clamp(1, REQUESTS_MAX);
    let outcome = load::run(
        addr,
        &Load {
            requests,
            connections: PUSH_CONNECTIONS.min(requests_max),
            window,
            requests_max,
            drain: DRAIN_MIN.max(probe.elapsed * 4),
        },
    );
    assert_eq!(
        (outcome.failed, outcome.abandoned),
        (0, 0),
        "every push is accepted"
    );
    outcome
}

/// Preloads: sends every request once, from [`PUSH_CONNECTIONS`] connections.
pub fn send_all(addr: SocketAddr, requests: &[Vec<u8>]) {
    if requests.is_empty() {
        return;
    }
    let outcome = load::run(
        addr,
        &Load {
            requests,
            connections: PUSH_CONNECTIONS.min(requests.len()),
            window: Duration::from_secs(3600),
            requests_max: requests.len(),
            drain: DRAIN_MIN,
        },
    );
    assert_eq!(outcome.ok, requests.len(), "every preload push is accepted");
}

/// What a scrape asks for.
#[derive(Clone, Copy)]
pub enum Scrape {
    Text,
    Protobuf,
    Gzip,
}

impl Scrape {
    pub const ALL: [Scrape; 3] = [Scrape::Text, Scrape::Protobuf, Scrape::Gzip];

    pub fn name(self) -> &'static str {
        match self {
            Scrape::Text => "text",
            Scrape::Protobuf => "protobuf",
            Scrape::Gzip => "gzip text",
        }
    }

    pub fn request(self) -> Vec<u8> {
        let headers = match self {
            Scrape::Text => "",
            Scrape::Protobuf => {
                "Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited\r\n"
            }
            Scrape::Gzip => "Accept-Encoding: gzip\r\n",
        };
        bodies::request("GET", "/metrics", headers, b"")
    }
}

/// One full scrape: (seconds, body bytes on the wire).
pub fn scrape(addr: SocketAddr, kind: Scrape) -> (f64, usize) {
    let answer = client::exchange(addr, &kind.request());
    assert_eq!(answer.status, 200, "the {} scrape succeeds", kind.name());
    (answer.elapsed.as_secs_f64(), answer.body_bytes)
}

/// Small pushes one at a time on one connection for `window`, while another connection
/// scrapes (text) back to back: the pushes' latencies, and how many scrapes ran.
pub fn push_latency_while_scraping(
    addr: SocketAddr,
    requests: &[Vec<u8>],
    window: Duration,
) -> (load::Outcome, usize) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let scraper = s.spawn(|| {
            // The scraper only loads the server; on the shared load core it must not delay
            // the pusher's wake-ups, or the latency measured would be the client's.
            // SAFETY: setpriority on this thread's own id.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19) };
            let mut scrapes = 0;
            while !stop.load(Ordering::Relaxed) {
                scrape(addr, Scrape::Text);
                scrapes += 1;
            }
            scrapes
        });
        // Let the first scrape start before the first push.
        std::thread::sleep(Duration::from_millis(20));
        let outcome = load::run(
            addr,
            &Load {
                requests,
                connections: 1,
                window,
                requests_max: REQUESTS_MAX,
                drain: DRAIN_MIN.max(window * 10),
            },
        );
        stop.store(true, Ordering::Relaxed);
        (outcome, scraper.join().expect("the scraper thread"))
    })
}
