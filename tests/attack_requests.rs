//! Requests built to hurt, one after another against one gateway with its real limits: lines
//! of a megabyte, 100,000 labels on one series, chunk extensions past their limit, invalid
//! UTF-8 in every part of a request, a pipelining flood beside an ordinary client, and
//! connections half-closed or reset mid-request. After each: the gateway answers, what was
//! stored before is intact, and resident memory is back near where it started (one test, so
//! that no other test shares the process while it measures).

mod attack_support;

use attack_support::http_support::Client;
use attack_support::{assert_rss_near, rss_bytes, start, Gateway};
use pushgateway::http::chunked::SIZE_LINE_BYTES_MAX;
use pushgateway::limits::Limits;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::thread;

const MARKER: &str = "intact{instance=\"\",job=\"before\"} 42\n";
const LINE_BYTES: usize = 1 << 20;
const LABELS: usize = 100_000;
const PIPELINED: usize = 20_000;
const RESETS: usize = 200;

#[test]
fn hostile_requests_leave_the_gateway_serving_with_its_data_and_memory() {
    let gateway = start(Limits::default());
    assert_eq!(
        gateway.push("/metrics/job/before", "intact 42\n").status,
        200
    );
    gateway.assert_serving("warm_up");
    let baseline = rss_bytes();
    let check = |after: &str| {
        gateway.assert_serving(&format!("after_{after}"));
        assert!(
            gateway.scrape().contains(MARKER),
            "after {after}: {MARKER:?} lost"
        );
        assert_rss_near(baseline, after);
    };

    long_lines_and_many_labels(&gateway);
    check("long_lines_and_many_labels");
    chunk_extensions(&gateway);
    check("chunk_extensions");
    invalid_utf8_everywhere(&gateway);
    check("invalid_utf8");
    pipelining_flood(&gateway);
    check("pipelining_flood");
    half_closed_and_reset(&gateway);
    check("half_closed_and_reset");
    gateway.stop();
}

/// A client may push them: they are stored and served, then deleted with their memory.
fn long_lines_and_many_labels(gateway: &Gateway) {
    let value = "v".repeat(LINE_BYTES);
    let labels: Vec<String> = (0..LABELS).map(|i| format!("l{i}=\"x\"")).collect();
    for (job, body) in [
        ("long_line", format!("m{{l=\"{value}\"}} 1\n")),
        ("many_labels", format!("m{{{}}} 1\n", labels.join(","))),
    ] {
        let path = format!("/metrics/job/{job}");
        assert_eq!(gateway.push(&path, &body).status, 200, "{job}");
        let scrape = gateway.scrape();
        assert!(
            scrape.contains(&format!("job=\"{job}\"")),
            "{job} not served"
        );
        let mut client = gateway.client();
        client.send(format!("DELETE {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        assert_eq!(client.response().status, 202);
    }
    let mut repeated = labels;
    repeated.push("l0=\"y\"".to_string());
    let reply = gateway.push(
        "/metrics/job/repeated",
        &format!("m{{{}}} 1\n", repeated.join(",")),
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
}

/// Extensions are skipped, up to the size line's limit; past it the request is refused.
fn chunk_extensions(gateway: &Gateway) {
    let extension = ";e=v".repeat((SIZE_LINE_BYTES_MAX - 16) / 4);
    let mut client = gateway.client();
    client.send(b"PUT /metrics/job/ext HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    for byte in b"ext 1\n" {
        client.send(format!("1{extension}\r\n").as_bytes());
        client.send(&[*byte]);
        client.send(b"\r\n");
    }
    client.send(format!("0{extension}\r\n\r\n").as_bytes());
    assert_eq!(client.response().status, 200);
    assert!(gateway
        .scrape()
        .contains("ext{instance=\"\",job=\"ext\"} 1\n"));

    let deep = ";e=v".repeat(SIZE_LINE_BYTES_MAX);
    let mut client = gateway.client();
    client.send(b"PUT /metrics/job/deep HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    client.send(format!("1{deep}\r\nx\r\n0\r\n\r\n").as_bytes());
    assert_eq!(client.response().status, 400);
    assert!(client.closed());
    assert!(!gateway.scrape().contains("job=\"deep\""));
}

/// Never a 5xx, never a stored byte of it.
fn invalid_utf8_everywhere(gateway: &Gateway) {
    let push = |path: &[u8], extra: &[u8], body: &[u8]| -> Vec<u8> {
        let mut r = b"PUT ".to_vec();
        r.extend_from_slice(path);
        r.extend_from_slice(b" HTTP/1.1\r\nHost: t\r\n");
        r.extend_from_slice(extra);
        r.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        r.extend_from_slice(body);
        r
    };
    let refused: Vec<Vec<u8>> = vec![
        push(b"/metrics/job/u\xff", b"", b"u 1\n"),
        push(b"/metrics/job/u/a/%FF", b"", b"u 1\n"),
        push(b"/metrics/job@base64/_w", b"", b"u 1\n"),
        push(b"/metrics/job/u", b"X-\xff: 1\r\n", b"u 1\n"),
        push(b"/metrics/job/u", b"", b"u\xff 1\n"),
        push(b"/metrics/job/u", b"", b"u{l=\"\xff\"} 1\n"),
        push(b"/metrics/job/u", b"", b"u{\xff=\"v\"} 1\n"),
        push(b"/metrics/job/u", b"", b"# HELP u \xff\nu 1\n"),
        b"P\xffT /metrics/job/u HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(),
        b"GET /metrics HTTP/1.\xff\r\nHost: t\r\n\r\n".to_vec(),
    ];
    for request in &refused {
        let mut client = gateway.client();
        client.send(request);
        let status = client.response().status;
        assert!(
            (400..500).contains(&status),
            "{status} for {:?}",
            String::from_utf8_lossy(request)
        );
    }
    // An opaque header value is no business of ours: the push is served.
    let mut client = gateway.client();
    client.send(&push(b"/metrics/job/u", b"X-Note: \xff\r\n", b"u 1\n"));
    assert_eq!(client.response().status, 200);
    let scrape = gateway.scrape();
    assert!(scrape.contains("u{instance=\"\",job=\"u\"} 1\n"));
    assert!(!scrape.contains('\u{fffd}'), "{scrape}");
}

/// One connection sends requests without reading the answers; another client is served
/// meanwhile, and the flood gets every answer, in order, once it reads.
fn pipelining_flood(gateway: &Gateway) {
    let mut flood = gateway.client();
    let mut writer = flood.stream.try_clone().expect("clone");
    let sender = thread::spawn(move || {
        let request = b"GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n";
        for _ in 0..PIPELINED {
            writer.write_all(request).expect("flood write");
        }
    });
    gateway.assert_serving("beside_the_flood");
    for i in 0..PIPELINED {
        let reply = flood.response();
        assert_eq!(reply.status, 200, "pipelined answer {i}");
    }
    sender.join().expect("flood writer");
}

/// A request whose sender shut its side is still answered; connections reset mid-request
/// (closed with unread data, which makes the kernel send RST) cost nothing once gone.
fn half_closed_and_reset(gateway: &Gateway) {
    let mut client = gateway.client();
    client.send(b"PUT /metrics/job/half HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\nhalf 1\n");
    client.stream.shutdown(Shutdown::Write).expect("shutdown");
    assert_eq!(client.response().status, 200);
    assert!(client.closed());
    assert!(gateway
        .scrape()
        .contains("half{instance=\"\",job=\"half\"} 1\n"));

    for _ in 0..RESETS {
        let mut client = Client::connect(gateway.addr);
        client.send(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
        client.send(
            b"PUT /metrics/job/reset HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nreset",
        );
        // Wait for the first answer to arrive unread, so that dropping resets the connection.
        let mut byte = [0u8; 1];
        assert_eq!(client.stream.peek(&mut byte).expect("peek"), 1);
        drop(client);
    }
    let mut probe = gateway.client().stream;
    probe
        .write_all(b"GET /-/ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    probe.read_to_end(&mut answer).expect("ready answer");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    assert!(!gateway.scrape().contains("job=\"reset\""));
}
