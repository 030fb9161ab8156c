//! Graceful shutdown asked for by the service (as `/-/quit` does): no new connections, idle
//! ones closed, requests in flight finished and their responses written in full.

mod http_support;

use http_support::{big_byte, start, WAIT};
use pushgateway::limits::Limits;
use std::net::TcpStream;

#[test]
fn shutdown_finishes_requests_in_flight() {
    let server = start(Limits::default());
    let mut idle = server.client();
    idle.send(b"GET /idle HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(idle.response().status, 200);

    let mut in_flight = server.client();
    in_flight.send(
        b"PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n",
    );
    // Once the interim response is back, the server holds the head: the request is in flight.
    assert_eq!(in_flight.read_exact(25), b"HTTP/1.1 100 Continue\r\n\r\n");
    in_flight.send(b"hello");

    let mut downloading = server.client();
    downloading.send(b"GET /big/20000000 HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = downloading.response_to_head();
    assert_eq!(head.header("Content-Length"), Some("20000000"));

    let mut quitter = server.client();
    quitter.send(b"GET /quit HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = quitter.response();
    assert_eq!(
        (reply.status, reply.header("Connection")),
        (200, Some("close"))
    );
    drop(quitter);

    // The listener is gone by the time the quit response is out, and idle clients are let go.
    assert!(
        TcpStream::connect_timeout(&server.addr, WAIT).is_err(),
        "still accepting"
    );
    assert!(idle.closed());

    // The request in flight completes, and is told the connection ends with it.
    in_flight.send(b"world");
    let reply = in_flight.response();
    assert_eq!(reply.text(), "PUT /slow v1 10\nhelloworld");
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(in_flight.closed());

    // The download started before the shutdown arrives whole.
    let body = downloading.read_exact(20_000_000);
    assert!(body.iter().enumerate().all(|(i, &b)| b == big_byte(i)));
    drop(downloading);

    server.wait_stopped();
}

#[test]
fn requests_after_the_shutdown_are_answered_with_connection_close() {
    let server = start(Limits::default());
    let mut in_flight = server.client();
    in_flight
        .send(b"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    assert_eq!(in_flight.read_exact(25), b"HTTP/1.1 100 Continue\r\n\r\n");
    let mut quitter = server.client();
    quitter.send(b"GET /quit HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(quitter.response().status, 200);
    drop(quitter);
    // This request was in flight, so it is answered, and its connection then closes.
    in_flight.send(b"okGET /never HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = in_flight.response();
    assert_eq!(reply.text(), "PUT /x v1 2\nok");
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(in_flight.closed());
    server.wait_stopped();
}
