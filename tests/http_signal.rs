//! SIGTERM shuts the server down gracefully. Its own test binary, because a signal reaches
//! the whole process.

mod http_support;

use http_support::start;
use pushgateway::limits::Limits;

#[test]
fn sigterm_stops_the_server_gracefully() {
    let server = start(Limits::default());
    let mut idle = server.client();
    idle.send(b"GET /before HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(idle.response().status, 200);
    let mut in_flight = server.client();
    in_flight
        .send(b"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    // Once the interim response is back, the server holds the head: the request is in flight.
    assert_eq!(in_flight.read_exact(25), b"HTTP/1.1 100 Continue\r\n\r\n");

    signal_hook::low_level::raise(signal_hook::consts::SIGTERM).expect("raise SIGTERM");

    assert!(idle.closed(), "idle connection not closed");
    in_flight.send(b"ok");
    let reply = in_flight.response();
    assert_eq!(reply.text(), "PUT /x v1 2\nok");
    assert_eq!(reply.header("Connection"), Some("close"));
    drop(in_flight);
    server.wait_stopped();
}
