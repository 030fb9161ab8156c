//! Every limit of the HTTP layer, reached over real sockets with shrunken limits
//! (see `small_limits`): each answered with its status and a one-line reason, each costing
//! only the connection that hit it.

mod http_support;

use http_support::{small_limits, start, Client};
use std::thread;
use std::time::Duration;

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes()
}

fn assert_refused(mut client: Client, status: u16, body: &str) {
    let reply = client.response();
    assert_eq!((reply.status, reply.text().as_str()), (status, body));
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(client.closed(), "connection left open after {status}");
}

#[test]
fn heads_over_the_byte_limit_get_431() {
    let server = start(small_limits());
    let body = "431 Request Header Fields Too Large: request head larger than 1024 bytes";
    let long = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX: {}\r\n\r\n",
        "a".repeat(1100)
    );
    let mut client = server.client();
    client.send(long.as_bytes());
    assert_refused(client, 431, body);
    // A head that never ends is refused as soon as it passes the limit.
    let mut client = server.client();
    client.send(format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(1100)).as_bytes());
    assert_refused(client, 431, body);
    // Just under the limit is fine.
    let mut client = server.client();
    let fits = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX: {}\r\n\r\n",
        "a".repeat(980)
    );
    assert!(fits.len() <= 1024);
    client.send(fits.as_bytes());
    assert_eq!(client.response().status, 200);
    drop(client);
    server.stop();
}

#[test]
fn too_many_header_fields_get_431() {
    let server = start(small_limits());
    let mut client = server.client();
    let headers: String = (0..8).map(|i| format!("X-{i}: {i}\r\n")).collect();
    client.send(format!("GET / HTTP/1.1\r\nHost: t\r\n{headers}\r\n").as_bytes());
    assert_refused(
        client,
        431,
        "431 Request Header Fields Too Large: more than 8 header fields",
    );
    server.stop();
}

#[test]
fn a_declared_body_over_the_limit_gets_413_before_it_is_sent() {
    let server = start(small_limits());
    let mut client = server.client();
    client.send(b"PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
    assert_refused(
        client,
        413,
        "413 Request Entity Too Large: request body larger than 1000 bytes",
    );
    let mut client = server.client();
    client.send(
        format!(
            "PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n{}",
            "b".repeat(1000)
        )
        .as_bytes(),
    );
    assert_eq!(
        client.response().text(),
        format!("PUT / v1 1000\n{}", "b".repeat(1000))
    );
    drop(client);
    server.stop();
}

#[test]
fn a_growing_chunked_body_gets_413_when_it_passes_the_limit() {
    let server = start(small_limits());
    let mut client = server.client();
    client.send(b"PUT / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    let chunk = format!("1f4\r\n{}\r\n", "c".repeat(500));
    client.send(chunk.as_bytes());
    client.send(chunk.as_bytes());
    // 1000 bytes so far, at the limit; one more byte is too many.
    client.send(b"1\r\n");
    assert_refused(
        client,
        413,
        "413 Request Entity Too Large: request body larger than 1000 bytes",
    );
    server.stop();
}

#[test]
fn a_slow_head_gets_408_and_costs_only_its_connection() {
    let server = start(small_limits());
    let mut slow = server.client();
    slow.send(b"GET / HTTP/1.1\r\nHost:");
    let mut other = server.client();
    other.send(&get("/meanwhile"));
    assert_eq!(other.response().text(), "GET /meanwhile v1 0\n");
    assert_refused(
        slow,
        408,
        "408 Request Timeout: request head not received within 1s",
    );
    drop(other);
    server.stop();
}

#[test]
fn a_slow_body_gets_408() {
    let server = start(small_limits());
    let mut slow = server.client();
    slow.send(b"PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello");
    assert_refused(
        slow,
        408,
        "408 Request Timeout: request not received within 2s",
    );
    server.stop();
}

#[test]
fn idle_connections_are_closed_silently() {
    let server = start(small_limits());
    let mut client = server.client();
    client.send(&get("/once"));
    assert_eq!(client.response().status, 200);
    assert!(
        client.closed(),
        "idle connection got bytes instead of a close"
    );
    // A connection that never sends anything is idle too.
    let silent = server.client();
    assert!(silent.closed());
    server.stop();
}

#[test]
fn connections_over_the_cap_get_503() {
    let server = start(small_limits()); // 4 connections
    let mut held: Vec<Client> = (0..4).map(|_| server.client()).collect();
    for client in &mut held {
        client.send(&get("/held"));
        assert_eq!(client.response().status, 200);
    }
    let extra = server.client();
    assert_refused(
        extra,
        503,
        "503 Service Unavailable: more than 4 open connections",
    );

    // A freed slot is usable again once the server has seen the close.
    drop(held.pop());
    let served = (0..100).any(|_| {
        let mut client = server.client();
        client.send(&get("/again"));
        let ok = client.response().status == 200;
        if !ok {
            thread::sleep(Duration::from_millis(50));
        }
        ok
    });
    assert!(served, "the freed slot was never reused");
    drop(held);
    server.stop();
}
