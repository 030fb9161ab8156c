//! Incremental decoder for `Transfer-Encoding: chunked` request bodies. It consumes bytes as
//! they arrive, in pieces of any size, and says which of them are body data; the caller moves
//! them (the connection de-chunks in place in its read buffer). It holds no buffer and bounds
//! everything: the decoded size, each size line, and the trailer section.
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size   = 1*16HEXDIG
//! last-chunk   = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext    = *( SP / HTAB ) ";" *( any byte but CR, LF and controls )   ; tolerated, ignored
//! trailer-section = *( 1*( any byte but CR and LF ) CRLF )                 ; tolerated, ignored
//! ```
//!
//! Lines end in CRLF only: a bare LF inside chunked framing is how request smuggling starts.

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

/// Longest chunk-size line, extensions included (Go's limit).
pub const SIZE_LINE_BYTES_MAX: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkedError {
    Malformed,
    /// The decoded body would exceed the limit the decoder was made with.
    TooLarge,
}

/// What one call to [`ChunkedDecoder::decode`] did with the front of its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// This many framing bytes were consumed; 0 means more input is needed.
    Framing(usize),
    /// This many bytes at the front of the input are body data, consumed.
    Data(usize),
    /// The body ended after this many consumed bytes; what follows is not the body's.
    Done(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Size { size: u64, digits: u8 },
    SizeSpace { size: u64 },
    Extension { size: u64 },
    SizeLf { size: u64 },
    Data { remaining: usize },
    DataCr,
    DataLf,
    TrailerStart,
    Trailer,
    TrailerLf,
    FinalLf,
    Done,
}

#[derive(Clone, Debug)]
pub struct ChunkedDecoder {
    state: State,
    body_bytes: usize,
    body_bytes_max: usize,
    /// Bytes of the current size line, or of the whole trailer section.
    line_bytes: usize,
    trailer_bytes_max: usize,
}

impl ChunkedDecoder {
    pub fn new(body_bytes_max: usize, trailer_bytes_max: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            body_bytes: 0,
            body_bytes_max,
            line_bytes: 0,
            trailer_bytes_max,
        }
    }

    /// Body bytes decoded so far.
    pub fn body_bytes(&self) -> usize {
        self.body_bytes
    }

    /// Consumes a front part of `input`. Call again with the rest while it returns a
    /// non-zero count; after `Done` the decoder consumes nothing more.
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded, ChunkedError> {
        if let State::Data { remaining } = self.state {
            let n = remaining.min(input.len());
            self.state = if n == remaining {
                State::DataCr
            } else {
                State::Data {
                    remaining: remaining - n,
                }
            };
            return Ok(if n == 0 {
                Decoded::Framing(0)
            } else {
                Decoded::Data(n)
            });
        }
        for (i, &b) in input.iter().enumerate() {
            let consumed = i + 1;
            match self.state {
                State::Size { .. } | State::SizeSpace { .. } | State::Extension { .. } => {
                    self.line_bytes += 1;
                    if self.line_bytes > SIZE_LINE_BYTES_MAX {
                        return Err(ChunkedError::Malformed);
                    }
                }
                State::TrailerStart | State::Trailer => {
                    self.line_bytes += 1;
                    if self.line_bytes > self.trailer_bytes_max {
                        return Err(ChunkedError::Malformed);
                    }
                }
                _ => {}
            }
            self.state = match (self.state, b) {
                (State::Size { size, digits }, _) if b.is_ascii_hexdigit() => {
                    if digits == 16 {
                        return Err(ChunkedError::Malformed);
                    }
                    let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
                    State::Size {
                        size: size << 4 | digit,
                        digits: digits + 1,
                    }
                }
                (State::Size { digits: 0, .. }, _) => return Err(ChunkedError::Malformed),
                (State::Size { size, .. } | State::SizeSpace { size }, b' ' | b'\t') => {
                    State::SizeSpace { size }
                }
                (State::Size { size, .. } | State::SizeSpace { size }, b';') => {
                    State::Extension { size }
                }
                (
                    State::Size { size, .. }
                    | State::SizeSpace { size }
                    | State::Extension { size },
                    b'\r',
                ) => State::SizeLf { size },
                (State::Extension { size }, _) if b == b'\t' || !b.is_ascii_control() => {
                    State::Extension { size }
                }
                (State::SizeLf { size: 0 }, b'\n') => {
                    self.line_bytes = 0;
                    State::TrailerStart
                }
                (State::SizeLf { size }, b'\n') => {
                    let size = usize::try_from(size).map_err(|_| ChunkedError::TooLarge)?;
                    match self.body_bytes.checked_add(size) {
                        Some(total) if total <= self.body_bytes_max => self.body_bytes = total,
                        _ => return Err(ChunkedError::TooLarge),
                    }
                    self.line_bytes = 0;
                    self.state = State::Data { remaining: size };
                    return Ok(Decoded::Framing(consumed));
                }
                (State::DataCr, b'\r') => State::DataLf,
                (State::DataLf, b'\n') => State::Size { size: 0, digits: 0 },
                (State::TrailerStart, b'\r') => State::FinalLf,
                (State::Trailer, b'\r') => State::TrailerLf,
                (State::TrailerStart | State::Trailer, _) if b != b'\n' => State::Trailer,
                (State::TrailerLf, b'\n') => State::TrailerStart,
                (State::FinalLf, b'\n') => {
                    self.state = State::Done;
                    return Ok(Decoded::Done(consumed));
                }
                (State::Done, _) => return Ok(Decoded::Done(0)),
                _ => return Err(ChunkedError::Malformed),
            };
        }
        Ok(if self.state == State::Done {
            Decoded::Done(0)
        } else {
            Decoded::Framing(input.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoded body and how many input bytes it took, or the error.
    type Outcome = Result<(Vec<u8>, usize), ChunkedError>;

    /// Decodes `input` fed in pieces of `piece` bytes.
    fn decode_in_pieces(
        input: &[u8],
        piece: usize,
        body_max: usize,
    ) -> Result<(Vec<u8>, usize), ChunkedError> {
        let mut decoder = ChunkedDecoder::new(body_max, 64);
        let mut body = Vec::new();
        let mut fed = 0; // bytes made available so far
        let mut pos = 0; // bytes consumed so far
        loop {
            match decoder.decode(&input[pos..fed])? {
                Decoded::Data(n) => {
                    body.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                }
                Decoded::Framing(n) if n > 0 => pos += n,
                Decoded::Framing(_) if fed < input.len() => fed = (fed + piece).min(input.len()),
                Decoded::Framing(_) => return Err(ChunkedError::Malformed), // truncated input
                Decoded::Done(n) => {
                    assert_eq!(decoder.body_bytes(), body.len());
                    return Ok((body, pos + n));
                }
            }
        }
    }

    #[test]
    fn decodes_chunked_bodies_split_anywhere() {
        let ok = |body: &str, used: usize| Ok((body.as_bytes().to_vec(), used));
        let cases: Vec<(&str, Outcome)> = vec![
            ("0\r\n\r\n", ok("", 5)),
            ("5\r\nhello\r\n0\r\n\r\n", ok("hello", 15)),
            (
                "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1",
                ok("hello world", 26),
            ),
            ("A\r\n0123456789\r\n0\r\n\r\n", ok("0123456789", 20)),
            (
                "a;name=value;x\r\n0123456789\r\n000 ; last\r\n\r\n",
                ok("0123456789", 42),
            ),
            ("1 ;ext\r\nx\r\n0\r\n\r\n", ok("x", 16)),
            ("1\r\nx\r\n0\r\nTrailer: 1\r\nOther: 2\r\n\r\n", ok("x", 33)),
            ("0000000000000001\r\nx\r\n0\r\n\r\n", ok("x", 26)),
            // Malformed framing.
            ("\r\n", Err(ChunkedError::Malformed)),
            ("x\r\n", Err(ChunkedError::Malformed)),
            ("-1\r\n", Err(ChunkedError::Malformed)),
            ("1 x\r\nx\r\n0\r\n\r\n", Err(ChunkedError::Malformed)),
            ("1\nx\r\n0\r\n\r\n", Err(ChunkedError::Malformed)),
            ("1\r\nxy\r\n0\r\n\r\n", Err(ChunkedError::Malformed)),
            ("1\r\nx\n0\r\n\r\n", Err(ChunkedError::Malformed)),
            ("1;\x01\r\nx\r\n0\r\n\r\n", Err(ChunkedError::Malformed)),
            ("0\r\n\n", Err(ChunkedError::Malformed)),
            ("0\r\nTrailer\n\r\n", Err(ChunkedError::Malformed)),
            (
                "00000000000000001\r\nx\r\n0\r\n\r\n",
                Err(ChunkedError::Malformed),
            ),
            ("5\r\nhel", Err(ChunkedError::Malformed)),
            // Limits.
            (
                "c\r\n0123456789ab\r\n0\r\n\r\n",
                Err(ChunkedError::TooLarge),
            ),
            (
                "6\r\n012345\r\n6\r\n012345\r\n0\r\n\r\n",
                Err(ChunkedError::TooLarge),
            ),
            ("ffffffffffffffff\r\n", Err(ChunkedError::TooLarge)),
        ];
        for (input, want) in cases {
            for piece in 1..=input.len().max(1) {
                assert_eq!(
                    decode_in_pieces(input.as_bytes(), piece, 11),
                    want,
                    "{input:?} in pieces of {piece}"
                );
            }
        }
    }

    #[test]
    fn bounds_size_lines_and_trailers() {
        let long_extension = format!("1;{}\r\nx\r\n0\r\n\r\n", "e".repeat(SIZE_LINE_BYTES_MAX));
        assert_eq!(
            decode_in_pieces(long_extension.as_bytes(), 1000, 10),
            Err(ChunkedError::Malformed)
        );
        let long_trailer = format!("0\r\nT: {}\r\n\r\n", "t".repeat(64));
        assert_eq!(
            decode_in_pieces(long_trailer.as_bytes(), 7, 10),
            Err(ChunkedError::Malformed)
        );
    }
}
