//! Streamed response bodies over real sockets: chunked framing on HTTP/1.1, close-delimited on
//! HTTP/1.0, a `Content-Length` when the body fits its first piece, pipelining behind a stream,
//! and a slow reader of a large stream costing nobody else anything.

mod http_support;

use http_support::{big_byte, start, Client, BIG_PIECE};
use pushgateway::limits::Limits;
use std::sync::atomic::Ordering;

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes()
}

fn is_pattern(body: &[u8]) -> bool {
    body.iter().enumerate().all(|(i, &b)| b == big_byte(i))
}

#[test]
fn a_long_stream_is_chunked_and_keeps_the_connection() {
    let server = start(Limits::default());
    let mut client = server.client();
    let len = 3 * BIG_PIECE + 123;
    client.send(&get(&format!("/stream/{len}")));
    let reply = client.response();
    assert_eq!(reply.status_line, "HTTP/1.1 200 OK");
    assert_eq!(reply.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(reply.header("Content-Length"), None);
    assert_eq!(reply.header("Connection"), None);
    assert_eq!(reply.body.len(), len);
    assert!(is_pattern(&reply.body));
    client.send(&get("/after"));
    assert_eq!(client.response().text(), "GET /after v1 0\n");
    server.stop();
}

#[test]
fn a_stream_complete_in_its_first_piece_gets_a_content_length() {
    let server = start(Limits::default());
    let mut client = server.client();
    for len in [0, 1, BIG_PIECE] {
        client.send(&get(&format!("/stream/{len}")));
        let reply = client.response();
        assert_eq!(reply.header("Transfer-Encoding"), None, "{len}");
        assert_eq!(
            reply.header("Content-Length"),
            Some(len.to_string().as_str())
        );
        assert_eq!(reply.body.len(), len);
        assert!(is_pattern(&reply.body));
    }
    server.stop();
}

#[test]
fn http_1_0_gets_a_stream_delimited_by_the_close() {
    let server = start(Limits::default());
    let mut client = server.client();
    let len = 2 * BIG_PIECE + 5;
    // Even asked to keep the connection, the server must close it to end the body.
    client.send(format!("GET /stream/{len} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").as_bytes());
    let all = client.rest();
    let head_len = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&all[..head_len]);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    for absent in ["Content-Length", "Transfer-Encoding", "Connection"] {
        assert!(!head.contains(absent), "{head}");
    }
    assert_eq!(all.len() - head_len, len);
    assert!(is_pattern(&all[head_len..]));
    server.stop();
}

#[test]
fn head_of_a_stream_sends_no_body_and_keeps_the_connection() {
    let server = start(Limits::default());
    let mut client = server.client();
    client.send(format!("HEAD /stream/{} HTTP/1.1\r\nHost: t\r\n\r\n", 4 * BIG_PIECE).as_bytes());
    let reply = client.response_to_head();
    assert_eq!(reply.header("Transfer-Encoding"), None);
    assert_eq!(reply.header("Content-Length"), None);
    client.send(&get("/after"));
    assert_eq!(client.response().text(), "GET /after v1 0\n");
    server.stop();
}

#[test]
fn pipelined_requests_behind_a_stream_are_answered_in_order() {
    let server = start(Limits::default());
    let mut client = server.client();
    let len = 20 * BIG_PIECE;
    let mut batch = get(&format!("/stream/{len}"));
    batch.extend_from_slice(&get("/second"));
    batch.extend_from_slice(&get(&format!("/stream/{len}")));
    batch.extend_from_slice(&get("/fourth"));
    client.send(&batch);
    for (i, want) in ["", "GET /second v1 0\n", "", "GET /fourth v1 0\n"]
        .iter()
        .enumerate()
    {
        let reply = client.response();
        if want.is_empty() {
            assert_eq!(reply.body.len(), len, "reply {i}");
            assert!(is_pattern(&reply.body));
        } else {
            assert_eq!(reply.text(), *want, "reply {i}");
        }
    }
    server.stop();
}

#[test]
fn a_slow_reader_of_a_large_stream_stalls_nobody_and_gets_it_all() {
    let server = start(Limits::default());
    let len = 50_000_000;
    let mut slow = server.client();
    slow.send(&get(&format!("/stream/{len}")));
    // Another client is served, again and again, while the first reads nothing.
    let mut other = server.client();
    for i in 0..50 {
        other.send(&get(&format!("/other/{i}")));
        assert_eq!(other.response().text(), format!("GET /other/{i} v1 0\n"));
    }
    // Production follows the reader: no more than the socket buffers and one piece ahead.
    let produced = server.counters.streamed.load(Ordering::SeqCst);
    assert!(produced < 16 << 20, "{produced} bytes produced ahead");
    let reply = slow.response();
    assert_eq!(reply.body.len(), len);
    assert!(is_pattern(&reply.body));
    assert_eq!(server.counters.streamed.load(Ordering::SeqCst), len);
    server.stop();
}

#[test]
fn a_client_leaving_mid_stream_does_not_disturb_the_server() {
    let server = start(Limits::default());
    let mut client = Client::connect(server.addr);
    client.send(&get("/stream/50000000"));
    client.read_exact(1000);
    drop(client);
    // The server notices on its next write and drops the stream; others are still served.
    let mut other = server.client();
    other.send(&get("/other"));
    assert_eq!(other.response().text(), "GET /other v1 0\n");
    server.stop();
}
