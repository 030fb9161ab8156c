//! Shared by the `attack_*` tests: the real Pushgateway (`handlers::App`) behind the real event
//! loop on 127.0.0.1:0 in a thread, with limits the test chooses, and the raw-socket client of
//! the `http_*` tests. Every wait is bounded by socket timeouts or `recv_timeout`.
#![allow(dead_code)] // each test binary uses a different part of this module

#[path = "../http_support/mod.rs"]
pub mod http_support;

use http_support::{Client, Reply, WAIT};
use pushgateway::config::Config;
use pushgateway::handlers::App;
use pushgateway::limits::Limits;
use pushgateway::reactor::Server;
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// What an attack may leave of this process's resident memory (the gateway runs in it): the
/// allocator keeps what the largest request parsed here took (100,000 labels, about 25 MiB of
/// structure) for reuse. A body held on to would show: the attacks send 50 MB to 10 GB.
pub const RSS_SLACK_BYTES: u64 = 48 << 20;

/// This process's resident memory, from `/proc/self/status`.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("VmRSS in /proc/self/status");
    kb * 1024
}

/// Runs the tests of one binary one at a time, so that each measures the process's memory
/// alone.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Fails if resident memory grew past [`RSS_SLACK_BYTES`] over `baseline`. Meaningful only
/// while no other test of the binary runs ([`one_at_a_time`]).
pub fn assert_rss_near(baseline: u64, after: &str) {
    let rss = rss_bytes();
    assert!(
        rss <= baseline + RSS_SLACK_BYTES,
        "after {after}: resident memory {} MiB, {} MiB at the start",
        rss >> 20,
        baseline >> 20
    );
}

pub struct Gateway {
    pub addr: SocketAddr,
    done: mpsc::Receiver<io::Result<()>>,
}

/// Starts a gateway with `--web.enable-lifecycle`, so that the test can stop it.
pub fn start(limits: Limits) -> Gateway {
    start_with(limits, Config::default())
}

/// [`start`] with the flags of `config` (`--web.enable-lifecycle` is set on top).
pub fn start_with(limits: Limits, config: Config) -> Gateway {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        let server = Server::bind(&["127.0.0.1:0".to_string()], limits).expect("bind");
        ready_tx.send(server.local_addrs()[0]).unwrap();
        let config = Config {
            enable_lifecycle: true,
            ..config
        };
        let mut app = App::new(config, "", Vec::new());
        let _ = done_tx.send(server.run(&mut app));
    });
    let addr = ready_rx.recv_timeout(WAIT).expect("server started");
    Gateway { addr, done }
}

impl Gateway {
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// A PUT of `body` to `path` on a connection of its own.
    pub fn push(&self, path: &str, body: &str) -> Reply {
        let mut client = self.client();
        client.send(
            format!(
                "PUT {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        client.response()
    }

    /// The exposition, which must be served.
    pub fn scrape(&self) -> String {
        let mut client = self.client();
        client.send(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
        let reply = client.response();
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.text()
    }

    /// A push and a scrape that shows it: the gateway still does its job.
    pub fn assert_serving(&self, job: &str) {
        let reply = self.push(&format!("/metrics/job/{job}"), "served 1\n");
        assert_eq!(reply.status, 200, "{}", reply.text());
        let line = format!("served{{instance=\"\",job=\"{job}\"}} 1\n");
        assert!(self.scrape().contains(&line), "no {line:?} in the scrape");
    }

    /// Asks the gateway to quit and waits for it to stop, retrying while every connection slot
    /// is still taken by clients it has not yet seen hang up.
    pub fn stop(self) {
        for _ in 0..100 {
            let mut client = self.client();
            client.send(b"PUT /-/quit HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            match client.response().status {
                200 => {
                    drop(client);
                    self.done
                        .recv_timeout(WAIT)
                        .expect("server stopped")
                        .expect("run returned Ok");
                    return;
                }
                503 => thread::sleep(Duration::from_millis(50)),
                status => panic!("/-/quit answered {status}"),
            }
        }
        panic!("no free connection slot to ask the server to quit");
    }
}
