//! Clients that hold connections instead of using them: many slow heads (slowloris) and a flood
//! of connections past the cap. Each costs only its own connection; the gateway keeps serving
//! pushes and scrapes throughout and afterwards, and resident memory ends near where it
//! started. Limits are lowered so the attacks are short.

mod attack_support;

use attack_support::http_support::WAIT;
use attack_support::{assert_rss_near, one_at_a_time, rss_bytes, start};
use pushgateway::limits::Limits;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

const SLOW_CLIENTS: usize = 200;
/// One byte per client per round, a round about a second apart.
const DRIBBLE_PERIOD: Duration = Duration::from_secs(1);
const FLOOD_CLIENTS: usize = 2000;

fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    stream
}

/// True while the server has sent nothing on `stream` (and not closed it).
fn silent(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let silent = matches!(stream.peek(&mut [0u8; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock);
    stream.set_nonblocking(false).unwrap();
    silent
}

#[test]
fn slowloris_costs_only_the_slow_connections() {
    let _alone = one_at_a_time();
    let baseline = rss_bytes();
    let head_timeout = Duration::from_secs(4);
    let gateway = start(Limits {
        connections_max: SLOW_CLIENTS + 16,
        head_timeout,
        request_timeout: 2 * head_timeout,
        ..Limits::default()
    });
    // A push that would store `slow 1` if it were ever completed.
    let request = b"PUT /metrics/job/slow HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\nslow 1\n";
    let mut slow: Vec<TcpStream> = (0..SLOW_CLIENTS).map(|_| connect(gateway.addr)).collect();
    for stream in &mut slow {
        stream.write_all(&request[..1]).expect("first byte");
    }

    // Every slow request is open, and a normal push and scrape go through in the meantime.
    gateway.assert_serving("normal");
    let answered = slow.iter().filter(|s| !silent(s)).count();
    assert_eq!(
        answered, 0,
        "slow clients answered before their head timeout"
    );

    // They go on dribbling until the head timeout cuts each of them off with a 408; one that
    // has its answer stops writing, so that no write races the server's close.
    let rounds = head_timeout.as_secs() as usize + 2;
    for sent in 1..=rounds {
        thread::sleep(DRIBBLE_PERIOD);
        for stream in slow.iter_mut().filter(|s| silent(s)) {
            stream.write_all(&request[sent..sent + 1]).expect("dribble");
        }
    }
    for mut stream in slow {
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).expect("408 and close");
        let reply = String::from_utf8_lossy(&reply);
        assert!(
            reply.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{reply}"
        );
        assert!(reply.contains("\r\nConnection: close\r\n"), "{reply}");
        assert!(
            reply.ends_with("\r\n\r\n408 Request Timeout: request head not received within 4s"),
            "{reply}"
        );
    }

    // Their slots are free again, and nothing of theirs was stored.
    gateway.assert_serving("after");
    assert!(!gateway.scrape().contains("job=\"slow\""));
    assert_rss_near(baseline, "slowloris");
    gateway.stop();
}

#[test]
fn a_connection_flood_past_the_cap_gets_503_and_the_gateway_serves_on() {
    let _alone = one_at_a_time();
    let baseline = rss_bytes();
    let connections_max = 64;
    let gateway = start(Limits {
        connections_max,
        ..Limits::default()
    });
    // The cap is full of idle keep-alive connections, each served once.
    let mut held = Vec::new();
    for _ in 0..connections_max {
        let mut client = gateway.client();
        client.send(b"GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(client.response().status, 200);
        held.push(client);
    }

    // Every one of the flood is open at once before any is read.
    let flood: Vec<_> = (0..FLOOD_CLIENTS).map(|_| gateway.client()).collect();
    let want = format!("503 Service Unavailable: more than {connections_max} open connections");
    for mut client in flood {
        let reply = client.response();
        assert_eq!((reply.status, reply.text()), (503, want.clone()));
        assert_eq!(reply.header("Connection"), Some("close"));
        assert!(client.closed(), "a turned-away connection was left open");
    }

    // The held connections still work, and once they go the gateway serves new clients.
    for client in &mut held {
        client.send(b"GET /-/ready HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(client.response().status, 200);
    }
    drop(held);
    let served = (0..100).any(|_| {
        let mut client = gateway.client();
        client.send(b"GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n");
        let ok = client.response().status == 200;
        if !ok {
            // The server has not yet seen every held connection hang up.
            thread::sleep(Duration::from_millis(50));
        }
        ok
    });
    assert!(served, "no slot was freed");
    gateway.assert_serving("after_flood");
    assert_rss_near(baseline, "the connection flood");
    gateway.stop();
}
