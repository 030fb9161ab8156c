//! URL-safe base64 (RFC 4648 §5, alphabet `A–Z a–z 0–9 - _`) without padding, decoded exactly
//! as Go's `base64.RawURLEncoding` does, because the push URL's `@base64` segments (spec §4.5)
//! answer bad input with Go's error offsets.
//!
//! Owns: the decoder's acceptance rules and error offsets, and the matching encoder.
//! Must never: allocate beyond the output, or panic on any input.
//!
//! Grammar accepted by [`decode_raw_url`], Go's rules:
//! - the input is read in quanta of four alphabet characters; `\r` and `\n` anywhere are skipped;
//! - a final quantum of two or three characters is fine, of one character is an error;
//! - the unused low bits of a short final quantum are ignored (Go's default decoder is not
//!   strict: `YR` decodes to `a` like `YQ`);
//! - any other byte (`=`, `+`, `/`, …) is an error at its offset.

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const INVALID: u8 = 0xff;

/// Alphabet byte → its six-bit value, or [`INVALID`].
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: a bad index fails the build"
)]
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Go's `base64.CorruptInputError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Zero-based offset in the decoder's input, computed as Go computes it.
    pub offset: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "illegal base64 data at input byte {}", self.offset)
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a grouping-key value the way upstream does: all trailing `=` are stripped, then the
/// rest goes through [`decode_raw_url`] (so padding is optional, and `=` elsewhere is an error
/// whose offset counts in the stripped input).
pub fn decode_padding_optional(input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let end = input.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    decode_raw_url(input.get(..end).unwrap_or_default(), out)
}

/// Appends the decoding of `input` to `out`, as Go's `RawURLEncoding.DecodeString`.
///
/// On error `out` holds what Go's decoder had produced by then: every complete quantum before
/// the bad one (upstream quotes that partial output in one of its messages, spec §4.5).
pub fn decode_raw_url(input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    out.reserve(input.len() / 4 * 3 + 2);
    let mut pos = 0;
    while pos < input.len() {
        pos = decode_quantum(input, pos, out)?;
    }
    Ok(())
}

/// Decodes one quantum starting at `pos`, returning the position after it. Mirrors Go's
/// `decodeQuantum` for an encoding without padding, including how skipped line breaks shift the
/// reported offset of a lone final character.
fn decode_quantum(input: &[u8], mut pos: usize, out: &mut Vec<u8>) -> Result<usize, DecodeError> {
    let mut sextets = [0u8; 4];
    let mut count = 0;
    while count < 4 {
        let Some(&byte) = input.get(pos) else {
            return match count {
                0 => Ok(pos),
                1 => Err(DecodeError { offset: pos - 1 }),
                _ => {
                    push_quantum(sextets, count, out);
                    Ok(pos)
                }
            };
        };
        pos += 1;
        match DECODE.get(usize::from(byte)).copied().unwrap_or(INVALID) {
            INVALID if byte == b'\n' || byte == b'\r' => {}
            INVALID => return Err(DecodeError { offset: pos - 1 }),
            sextet => {
                if let Some(slot) = sextets.get_mut(count) {
                    *slot = sextet;
                }
                count += 1;
            }
        }
    }
    push_quantum(sextets, 4, out);
    Ok(pos)
}

/// Appends the `count - 1` bytes that `count` sextets (2..=4) carry; leftover low bits are dropped.
fn push_quantum(sextets: [u8; 4], count: usize, out: &mut Vec<u8>) {
    assert!(
        (2..=4).contains(&count),
        "a base64 quantum carries 2 to 4 sextets"
    );
    let [s0, s1, s2, s3] = sextets.map(u32::from);
    let bytes = (s0 << 18 | s1 << 12 | s2 << 6 | s3).to_be_bytes();
    out.extend_from_slice(bytes.get(1..count).unwrap_or_default());
}

/// Appends the unpadded URL-safe encoding of `input` to `out` (what Go's
/// `RawURLEncoding.EncodeToString` returns).
#[allow(
    clippy::indexing_slicing,
    reason = "chunks are at most 3 bytes and alphabet indices are masked to 6 bits"
)]
pub fn encode_raw_url(input: &[u8], out: &mut String) {
    out.reserve(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let mut bytes = [0u8; 3];
        bytes[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 0x3f) as usize]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let err = decode_padding_optional(input, &mut out).err();
        (out, err.map(|e| e.to_string()))
    }

    #[test]
    fn decodes_like_upstream() {
        // Input → (output, error). The error rows were checked against the upstream 1.5.1 binary
        // (its job@base64 message quotes the partial output).
        let ok: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"=", b""),
            (b"==", b""),
            (b"YWI", b"ab"),
            (b"YWI=", b"ab"),
            (b"YWI==", b"ab"),
            (b"YWI===", b"ab"),
            (b"L3Zhci90bXA==", b"/var/tmp"),
            (b"L3Zhci90bXA", b"/var/tmp"),
            (b"ajM=", b"j3"),
            (b"YQ", b"a"),
            // Not strict about the unused bits of a short final quantum.
            (b"YR", b"a"),
            (b"YWJ", b"ab"),
            (b"YWJj", b"abc"),
            (b"YWJj\nZA", b"abcd"),
            (b"YW\nJjZA", b"abcd"),
            (b"YW\r\nJj\rZA\n", b"abcd"),
            (b"_-_-", b"\xff\xef\xfe"),
            (b"a-b", b"k\xe6"),
        ];
        for (input, want) in ok {
            assert_eq!(decode(input), (want.to_vec(), None), "input {input:?}");
        }
        let bad: &[(&[u8], &[u8], &str)] = &[
            (b"a+b", b"", "illegal base64 data at input byte 1"),
            (b"aj+M", b"", "illegal base64 data at input byte 2"),
            (b"_w+", b"", "illegal base64 data at input byte 2"),
            (b"Y", b"", "illegal base64 data at input byte 0"),
            (b"Y=", b"", "illegal base64 data at input byte 0"),
            (b"YWJjZ", b"abc", "illegal base64 data at input byte 4"),
            (b"YWI=x", b"", "illegal base64 data at input byte 3"),
            (
                b"YWJjZGVmZ2g=x",
                b"abcdef",
                "illegal base64 data at input byte 11",
            ),
            (b"Y\n", b"", "illegal base64 data at input byte 1"),
            (b"\nY", b"", "illegal base64 data at input byte 1"),
            (
                b"YWJjZGVm\n\nY",
                b"abcdef",
                "illegal base64 data at input byte 10",
            ),
            (
                b"YWJjZGVm\n\nYWJ\nj\nY",
                b"abcdefabc",
                "illegal base64 data at input byte 16",
            ),
            (
                b"YWJjZGVmZ2hp\r\nY",
                b"abcdefghi",
                "illegal base64 data at input byte 14",
            ),
            (
                b"YWJj_-_-\xff",
                b"abc\xff\xef\xfe",
                "illegal base64 data at input byte 8",
            ),
            (b"YW/j", b"", "illegal base64 data at input byte 2"),
            (b"YWJj YQ", b"abc", "illegal base64 data at input byte 4"),
        ];
        for (input, want, msg) in bad {
            assert_eq!(
                decode(input),
                (want.to_vec(), Some(msg.to_string())),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn encodes_unpadded_url_safe() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"a", "YQ"),
            (b"ab", "YWI"),
            (b"abc", "YWJj"),
            (b"/var/tmp", "L3Zhci90bXA"),
            (b"\xff\xef\xfe", "_-_-"),
            (b"\xfb\xff", "-_8"),
        ];
        for (input, want) in cases {
            let mut out = String::new();
            encode_raw_url(input, &mut out);
            assert_eq!(out, *want, "input {input:?}");
        }
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for len in 0..200 {
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let mut encoded = String::new();
            encode_raw_url(&input, &mut encoded);
            let mut decoded = Vec::new();
            assert_eq!(decode_raw_url(encoded.as_bytes(), &mut decoded), Ok(()));
            assert_eq!(decoded, input);
        }
    }
}
