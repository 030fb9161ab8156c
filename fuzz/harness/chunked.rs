//! Chunked body decoding (`http::chunked`), fed the way the connection feeds it: whatever has
//! arrived, from the first byte not yet consumed, until the decoder needs more.
//!
//! Input: a split mode byte (see `splits`) and the bytes after a request head. Checked:
//! - the outcome (body, bytes used, or the error) is the same for the fuzzer's pieces as for
//!   the whole input at once;
//! - a finished body ends where the decoder says: the input cut there decodes the same, and cut
//!   one byte earlier is still incomplete; the decoder's count is the body's length, within
//!   the limit;
//! - the payload itself, chunked at the fuzzer's split points, decodes back to itself.

use super::splits::split;
use pushgateway::http::chunked::{ChunkedDecoder, ChunkedError, Decoded};
use std::fmt::Write;

/// Small enough for fuzzer-made inputs to cross them.
const BODY_BYTES_MAX: usize = 1000;
const TRAILER_BYTES_MAX: usize = 64;

#[derive(Debug, PartialEq)]
enum Outcome {
    Done { body: Vec<u8>, used: usize },
    Incomplete { body: Vec<u8> },
    Failed(ChunkedError),
}

pub fn run(data: &[u8]) {
    let Some(split) = split(data) else { return };
    let input = split.payload;
    let whole = decode(input, &[input.len()]);
    assert_eq!(
        decode(input, &split.arrived),
        whole,
        "split at {:?}",
        split.arrived
    );
    if let Outcome::Done { body, used } = &whole {
        assert!(body.len() <= BODY_BYTES_MAX);
        assert_eq!(decode(&input[..*used], &[*used]), whole, "cut at the end");
        let early = decode(&input[..used - 1], &[used - 1]);
        assert!(
            matches!(early, Outcome::Incomplete { .. }),
            "one byte short: {early:?}"
        );
    }

    let encoded = encode(input, &split.arrived);
    let want = if input.len() <= BODY_BYTES_MAX {
        Outcome::Done {
            body: input.to_vec(),
            used: encoded.len(),
        }
    } else {
        Outcome::Failed(ChunkedError::TooLarge)
    };
    assert_eq!(decode(&encoded, &[encoded.len()]), want, "{encoded:?}");
}

/// Decodes `input` as it arrives: `arrived` says how much of it is there after each read.
fn decode(input: &[u8], arrived: &[usize]) -> Outcome {
    let mut decoder = ChunkedDecoder::new(BODY_BYTES_MAX, TRAILER_BYTES_MAX);
    let mut body = Vec::new();
    let mut pos = 0;
    for &end in arrived {
        loop {
            match decoder.decode(&input[pos..end]) {
                Err(e) => return Outcome::Failed(e),
                Ok(Decoded::Framing(0)) => break,
                Ok(Decoded::Framing(n)) => pos += n,
                Ok(Decoded::Data(n)) => {
                    body.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                }
                Ok(Decoded::Done(n)) => {
                    assert_eq!(decoder.body_bytes(), body.len());
                    return Outcome::Done {
                        body,
                        used: pos + n,
                    };
                }
            }
            assert!(pos <= end, "consumed {pos} of {end}");
        }
    }
    Outcome::Incomplete { body }
}

/// `payload` as a chunked body, one chunk per non-empty piece, sizes alternately in lower
/// and upper case hex.
fn encode(payload: &[u8], arrived: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &end) in arrived.iter().enumerate() {
        if end == start {
            continue;
        }
        let mut size = String::new();
        if i % 2 == 0 {
            write!(size, "{:x}\r\n", end - start)
        } else {
            write!(size, "{:X}\r\n", end - start)
        }
        .expect("writing to a String");
        out.extend_from_slice(size.as_bytes());
        out.extend_from_slice(&payload[start..end]);
        out.extend_from_slice(b"\r\n");
        start = end;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
