//! The HTTP server over real sockets: keep-alive, pipelining, framing, 100-continue,
//! HTTP/1.0, HEAD, large responses, and the before_flush ordering.

mod http_support;

use http_support::{big_byte, small_limits, start, start_on, Client, Reply};
use pushgateway::limits::Limits;
use std::sync::atomic::Ordering;

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes()
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let server = start(Limits::default());
    let mut client = server.client();
    for i in 0..5 {
        client.send(&get(&format!("/k/{i}")));
        let reply = client.response();
        assert_eq!(reply.status_line, "HTTP/1.1 200 OK");
        assert_eq!(reply.text(), format!("GET /k/{i} v1 0\n"));
        assert_eq!(reply.header("Connection"), None);
        assert_eq!(reply.header("Content-Type"), Some("text/plain"));
        assert_eq!(
            reply.header("Content-Length"),
            Some(reply.body.len().to_string().as_str())
        );
    }
    server.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = start(Limits::default());
    let mut client = server.client();
    let mut batch = Vec::new();
    for i in 0..200 {
        if i % 2 == 0 {
            batch.extend_from_slice(&get(&format!("/p/{i}")));
        } else {
            let body = format!("body {i}");
            batch.extend_from_slice(
                format!(
                    "PUT /p/{i} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    }
    client.send(&batch);
    for i in 0..200 {
        let reply = client.response();
        let want = if i % 2 == 0 {
            format!("GET /p/{i} v1 0\n")
        } else {
            format!("PUT /p/{i} v1 {}\nbody {i}", format!("body {i}").len())
        };
        assert_eq!(reply.text(), want);
    }
    server.stop();
}

#[test]
fn pipelined_large_responses_wait_for_the_output_to_drain() {
    let limits = Limits {
        pending_output_bytes_max: 64 * 1024,
        ..Limits::default()
    };
    let server = start(limits);
    let mut client = server.client();
    let mut batch = Vec::new();
    for _ in 0..20 {
        batch.extend_from_slice(&get("/big/100000"));
        batch.extend_from_slice(&get("/small"));
    }
    client.send(&batch);
    for _ in 0..20 {
        let big = client.response();
        assert_eq!(big.body.len(), 100_000);
        assert!(big.body.iter().enumerate().all(|(i, &b)| b == big_byte(i)));
        assert_eq!(client.response().text(), "GET /small v1 0\n");
    }
    server.stop();
}

/// Requests covering both body framings, back to back, and their expected bodies.
const SPLIT_REQUESTS: &[u8] = b"POST /a?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world\
PUT /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n\
GET /c HTTP/1.1\nHost: t\n\n";

fn split_replies(client: &mut Client) -> Vec<(u16, String)> {
    (0..3)
        .map(|_| client.response())
        .map(|r: Reply| (r.status, r.text()))
        .collect()
}

#[test]
fn a_request_split_at_every_byte_gives_the_same_result() {
    let server = start(Limits::default());
    let want = vec![
        (200, "POST /a?x=1 v1 11\nhello world".to_string()),
        (200, "PUT /b v1 11\nhello world".to_string()),
        (200, "GET /c v1 0\n".to_string()),
    ];
    let mut whole = server.client();
    whole.send(SPLIT_REQUESTS);
    assert_eq!(split_replies(&mut whole), want);
    for cut in 1..SPLIT_REQUESTS.len() {
        let mut client = server.client();
        client.send(&SPLIT_REQUESTS[..cut]);
        client.send(&SPLIT_REQUESTS[cut..]);
        assert_eq!(split_replies(&mut client), want, "cut at {cut}");
    }
    // One byte per write: every boundary at once.
    let mut client = server.client();
    for byte in SPLIT_REQUESTS {
        client.send(std::slice::from_ref(byte));
    }
    assert_eq!(split_replies(&mut client), want);
    server.stop();
}

#[test]
fn chunked_bodies_with_extensions_and_trailers_are_decoded() {
    let server = start(Limits::default());
    let mut client = server.client();
    client.send(
        b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
          3;a=b;c\r\nabc\r\n0000000A ; x\r\n0123456789\r\n0;last\r\nT1: 1\r\nT2: 2\r\n\r\n",
    );
    assert_eq!(client.response().text(), "POST /c v1 13\nabc0123456789");
    client.send(b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(client.response().text(), "POST /c v1 0\n");
    // A malformed chunk is a 400 that ends the connection.
    client.send(b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    let reply = client.response();
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (400, "400 Bad Request: malformed chunked encoding")
    );
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(client.closed());
    server.stop();
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let server = start(small_limits());
    let mut client = server.client();
    client.send(b"PUT /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    // The client waits for the interim response before it sends a byte of the body.
    assert_eq!(client.read_exact(25), b"HTTP/1.1 100 Continue\r\n\r\n");
    client.send(b"hello");
    assert_eq!(client.response().text(), "PUT /e v1 5\nhello");

    client.send(
        b"PUT /e HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(client.read_exact(25), b"HTTP/1.1 100 Continue\r\n\r\n");
    client.send(b"2\r\nhi\r\n0\r\n\r\n");
    assert_eq!(client.response().text(), "PUT /e v1 2\nhi");

    // Body sent along with the head: no interim response is needed, none is sent.
    client
        .send(b"PUT /e HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok");
    assert_eq!(client.response().text(), "PUT /e v1 2\nok");

    // Declared too large: 413 at once, no 100, and the connection ends.
    client.send(
        b"PUT /e HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\nExpect: 100-continue\r\n\r\n",
    );
    let reply = client.response();
    assert_eq!(reply.status_line, "HTTP/1.1 413 Request Entity Too Large");
    assert_eq!(
        reply.text(),
        "413 Request Entity Too Large: request body larger than 1000 bytes"
    );
    assert!(client.closed());
    server.stop();
}

#[test]
fn http_1_0_closes_unless_asked_to_keep_alive() {
    let server = start(Limits::default());
    let mut client = server.client();
    client.send(b"GET /old HTTP/1.0\r\n\r\n");
    let reply = client.response();
    assert_eq!(reply.status_line, "HTTP/1.0 200 OK");
    assert_eq!(reply.header("Connection"), None);
    assert!(client.closed());

    let mut client = server.client();
    client.send(b"GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let reply = client.response();
    assert_eq!(reply.header("Connection"), Some("keep-alive"));
    client.send(b"GET /again HTTP/1.0\r\n\r\n");
    assert_eq!(client.response().text(), "GET /again v0 0\n");
    assert!(client.closed());
    server.stop();
}

#[test]
fn connection_close_is_honoured_both_ways() {
    let server = start(Limits::default());
    let mut client = server.client();
    client.send(b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.response().header("Connection"), Some("close"));
    assert!(client.closed());

    // The service asks to close.
    let mut client = server.client();
    client.send(&get("/close"));
    assert_eq!(client.response().header("Connection"), Some("close"));
    assert!(client.closed());
    server.stop();
}

#[test]
fn head_requests_get_the_length_but_no_body() {
    let server = start(Limits::default());
    let mut client = server.client();
    client.send(b"HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = client.response_to_head();
    assert_eq!(reply.header("Content-Length"), Some("13")); // "HEAD /h v1 0\n"
                                                            // The next response follows the head directly.
    client.send(&get("/after"));
    assert_eq!(client.response().text(), "GET /after v1 0\n");
    server.stop();
}

#[test]
fn malformed_requests_get_go_like_400s_and_spare_other_connections() {
    let server = start(Limits::default());
    let mut bystander = server.client();
    bystander.send(&get("/before"));
    assert_eq!(bystander.response().status, 200);

    let cases: &[(&[u8], u16, &str)] = &[
        (b"GARBAGE\r\n\r\n", 400, "400 Bad Request"),
        (
            b"GET / HTTP/1.1\r\n\r\n",
            400,
            "400 Bad Request: missing required Host header",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: 1\r\n\r\n",
            400,
            "400 Bad Request: invalid header name",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
            "400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
            "Unsupported transfer encoding",
        ),
        (
            b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            505,
            "505 HTTP Version Not Supported: unsupported protocol version",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n",
            417,
            "417 Expectation Failed",
        ),
    ];
    for &(request, status, body) in cases {
        let mut client = server.client();
        client.send(request);
        let reply = client.response();
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (status, body),
            "{:?}",
            String::from_utf8_lossy(request)
        );
        assert_eq!(reply.header("Connection"), Some("close"));
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(client.closed());
    }
    bystander.send(&get("/after"));
    assert_eq!(bystander.response().text(), "GET /after v1 0\n");
    server.stop();
}

#[test]
fn a_large_response_to_a_slow_reader_does_not_stall_others() {
    const TOTAL: usize = 50_000_000;
    let server = start(Limits::default());
    let mut slow = server.client();
    slow.send(&get(&format!("/big/{TOTAL}")));
    let reply = slow.response_to_head();
    assert_eq!(
        reply.header("Content-Length"),
        Some(TOTAL.to_string().as_str())
    );
    let first = slow.read_exact(1 << 20);

    // The slow reader has read 1 MB of 50 and stops; someone else is served meanwhile.
    let mut other = server.client();
    other.send(&get("/meanwhile"));
    assert_eq!(other.response().text(), "GET /meanwhile v1 0\n");

    let mut offset = 0;
    for &b in &first {
        assert_eq!(b, big_byte(offset));
        offset += 1;
    }
    while offset < TOTAL {
        let piece = slow.read_exact((TOTAL - offset).min(1 << 20));
        assert!(
            piece
                .iter()
                .enumerate()
                .all(|(i, &b)| b == big_byte(offset + i)),
            "at {offset}"
        );
        offset += piece.len();
    }
    slow.send(&get("/next"));
    assert_eq!(slow.response().text(), "GET /next v1 0\n");
    server.stop();
}

#[test]
fn no_response_leaves_before_before_flush() {
    let server = start(Limits::default());
    let mut clients: Vec<Client> = (0..4).map(|_| server.client()).collect();
    for round in 0..20 {
        for client in &mut clients {
            client.send(&get(&format!("/r/{round}")));
        }
        for client in &mut clients {
            let reply = client.response();
            let seq: usize = reply.header("X-Seq").unwrap().parse().unwrap();
            assert!(
                server.counters.committed.load(Ordering::SeqCst) >= seq,
                "response {seq} left before its commit"
            );
        }
    }
    server.stop();
}

#[test]
fn a_failed_before_flush_stops_the_server_without_replies() {
    let server = start(Limits::default());
    let mut client = server.client();
    // Both requests arrive in one read, so both replies wait for the same failing commit.
    client.send(&[get("/first"), get("/fail-commit")].concat());
    assert_eq!(
        client.rest(),
        b"",
        "a reply left although its commit failed"
    );
    assert_eq!(server.wait_failed().to_string(), "commit failed");
}

#[test]
fn a_change_is_answered_after_its_commit_and_503_when_that_failed() {
    let server = start(Limits::default());
    let mut client = server.client();
    // Pipelined: each change holds the requests behind it until its turn's commit.
    client.send(
        &[
            get("/change/ok"),
            get("/after-ok"),
            get("/change/lost"),
            get("/after-lost"),
        ]
        .concat(),
    );
    let first = client.response();
    assert_eq!(
        (first.status, first.text()),
        (200, "GET /change/ok v1 0\n".into())
    );
    assert_eq!(client.response().text(), "GET /after-ok v1 0\n");
    let lost = client.response();
    assert_eq!((lost.status, lost.text()), (503, "not committed".into()));
    let after = client.response();
    assert_eq!(
        (after.status, after.text()),
        (200, "GET /after-lost v1 0\n".into())
    );
    server.stop();
}

#[test]
fn serves_every_listen_address() {
    let (server, addrs) = start_on(&["127.0.0.1:0", "localhost:0"], Limits::default());
    assert_eq!(addrs.len(), 2);
    assert_ne!(addrs[0].port(), addrs[1].port());
    for addr in addrs {
        let mut client = Client::connect(addr);
        client.send(&get("/any"));
        assert_eq!(client.response().text(), "GET /any v1 0\n");
    }
    server.stop();
}

#[test]
fn bind_errors_name_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("127.0.0.1:{}", taken.local_addr().unwrap().port());
    let err = pushgateway::reactor::Server::bind(std::slice::from_ref(&address), Limits::default())
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with(&format!("listen tcp {address}: ")),
        "{err}"
    );
    let err =
        pushgateway::reactor::Server::bind(&["host.example:1".to_string()], Limits::default())
            .err()
            .unwrap();
    assert!(err.to_string().contains("\"host.example:1\""), "{err}");
}
