//! Bodies meant to exhaust memory: a declared 10 GB, a 10 GB chunk, 50 MB of garbage with and
//! without a head. Each is refused, nothing of it is stored, and the gateway serves on. The
//! gateway runs with its real limits (`Limits::default()`), which is what these tests add to
//! `http_limits.rs` (shrunken limits, an echo service). Resident memory is back near where it
//! was before each attack.

mod attack_support;

use attack_support::{assert_rss_near, one_at_a_time, rss_bytes, start};
use pushgateway::limits::{Limits, BODY_BYTES_MAX};
use std::io::{ErrorKind, Write};

const TEN_GB: u64 = 10 << 30;
const GARBAGE_BYTES: usize = 50_000_000;
// Within the body limit, so that it is the parser that refuses it.
const _: () = assert!(GARBAGE_BYTES < BODY_BYTES_MAX);

/// Deterministic noise (xorshift), with a newline now and then so that it looks like lines.
fn garbage(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match (state >> 56) as u8 {
                b if b < 4 => b'\n',
                b => b,
            }
        })
        .collect()
}

fn too_large() -> String {
    format!("413 Request Entity Too Large: request body larger than {BODY_BYTES_MAX} bytes")
}

#[test]
fn a_declared_10_gb_body_gets_413_before_it_is_sent() {
    let _alone = one_at_a_time();
    let gateway = start(Limits::default());
    gateway.assert_serving("warm_up");
    let baseline = rss_bytes();
    for expect in ["", "Expect: 100-continue\r\n"] {
        let mut client = gateway.client();
        client.send(
            format!(
                "PUT /metrics/job/huge HTTP/1.1\r\nHost: t\r\n{expect}Content-Length: {TEN_GB}\r\n\r\n"
            )
            .as_bytes(),
        );
        // Nothing of the body was sent, and no `100 Continue` invites it.
        let reply = client.response();
        assert_eq!((reply.status, reply.text()), (413, too_large()));
        assert!(client.closed());
    }
    // A chunked body whose first chunk declares 10 GB is refused at its size line.
    let mut client = gateway.client();
    client.send(
        format!(
            "PUT /metrics/job/huge HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{TEN_GB:x}\r\n"
        )
        .as_bytes(),
    );
    let reply = client.response();
    assert_eq!((reply.status, reply.text()), (413, too_large()));
    assert!(client.closed());

    gateway.assert_serving("after_huge");
    assert!(!gateway.scrape().contains("job=\"huge\""));
    assert_rss_near(baseline, "10 GB bodies");
    gateway.stop();
}

#[test]
fn a_50_mb_garbage_body_is_refused_and_nothing_is_stored() {
    let _alone = one_at_a_time();
    let gateway = start(Limits::default());
    gateway.assert_serving("warm_up");
    let baseline = rss_bytes();
    let body = garbage(GARBAGE_BYTES);

    // With a length: all of it is read, then the parser refuses it.
    let mut client = gateway.client();
    let head = format!(
        "PUT /metrics/job/garbage HTTP/1.1\r\nHost: t\r\nContent-Length: {GARBAGE_BYTES}\r\n\r\n"
    );
    client.send(head.as_bytes());
    client.send(&body);
    let reply = client.response();
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply
            .text()
            .starts_with("text format parsing error in line "),
        "{}",
        reply.text()
    );

    // Chunked, in 1 MB chunks: the same.
    let mut client = gateway.client();
    client.send(
        b"POST /metrics/job/garbage HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    for chunk in body.chunks(1 << 20) {
        client.send(format!("{:x}\r\n", chunk.len()).as_bytes());
        client.send(chunk);
        client.send(b"\r\n");
    }
    client.send(b"0\r\n\r\n");
    let reply = client.response();
    assert_eq!(reply.status, 400, "{}", reply.text());

    // Without a head: refused once the would-be head passes its limit, and the connection
    // ends long before 50 MB are taken. A reset may beat the 431 to the client, so only the
    // end of the connection is asserted.
    let mut stream = gateway.client().stream;
    match stream.write_all(&body) {
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{e}"
        ),
        Ok(()) => panic!("all 50 MB of garbage were taken"),
    }

    gateway.assert_serving("after_garbage");
    assert!(!gateway.scrape().contains("job=\"garbage\""));
    drop(body);
    assert_rss_near(baseline, "50 MB of garbage");
    gateway.stop();
}
