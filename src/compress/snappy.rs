//! Decoding a snappy body in the framed (stream) format, as Go's `snappy.NewReader` reads it
//! (upstream 1.6+):
//!
//! ```text
//! body  = "" | ident chunk*                          an empty body decodes to nothing
//! ident = ff 06 00 00 "sNaPpY"                       must come first; may repeat
//! chunk = type(1) length(3, LE) data(length)
//!   00  compressed:   masked CRC-32C(4, LE) of the decoded data, then a snappy block
//!   01  uncompressed: masked CRC-32C(4, LE), then the data itself (at most 64 KiB)
//!   02..7f            reserved, unskippable → unsupported
//!   80..fe            skippable (fe is padding)
//! ```
//!
//! The `snap` crate does the framing, checksums and block decoding; this module bounds the
//! output and maps its errors to Go's two texts: an unknown unskippable chunk or an oversized
//! chunk is `snappy: unsupported input`, everything else (a cut stream included) is
//! `snappy: corrupt input`.

use super::{DecodeError, Sink};
use std::io::{self, Read};

pub(super) fn decode(body: &[u8], sink: &mut Sink<'_>) -> Result<(), DecodeError> {
    let mut reader = snap::read::FrameDecoder::new(body);
    loop {
        match reader.read(sink.spare()?) {
            Ok(0) => return Ok(()),
            Ok(n) => sink.advance(n)?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(go_error(&e)),
        }
    }
}

fn go_error(error: &io::Error) -> DecodeError {
    match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<snap::Error>())
    {
        Some(snap::Error::UnsupportedChunkType { .. })
        | Some(snap::Error::UnsupportedChunkLength { header: false, .. }) => {
            DecodeError::SnappyUnsupported
        }
        _ => DecodeError::SnappyCorrupt,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{decode as decode_any, ContentEncoding, DecodeError};

    const IDENT: &[u8] = b"\xff\x06\x00\x00sNaPpY";

    /// The masked CRC-32C of the framing format (crc rotated right by 15, plus a constant).
    fn masked_crc32c(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0x82f6_3b78
                } else {
                    crc >> 1
                };
            }
        }
        let crc = !crc;
        crc.rotate_right(15).wrapping_add(0xa282_ead8)
    }

    fn chunk(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u32).to_le_bytes();
        [&[kind], &len[..3], payload].concat()
    }

    /// An uncompressed data chunk, checksum included.
    fn raw(data: &[u8]) -> Vec<u8> {
        chunk(1, &[&masked_crc32c(data).to_le_bytes()[..], data].concat())
    }

    /// A compressed data chunk made by `snap`'s block encoder.
    fn compressed(data: &[u8]) -> Vec<u8> {
        let block = snap::raw::Encoder::new().compress_vec(data).unwrap();
        chunk(
            0,
            &[&masked_crc32c(data).to_le_bytes()[..], &block].concat(),
        )
    }

    /// A framed stream as Go's `snappy.NewBufferedWriter` writes it.
    pub(crate) fn framed(data: &[u8]) -> Vec<u8> {
        let mut out = IDENT.to_vec();
        for block in data.chunks(65536) {
            out.extend_from_slice(&compressed(block));
        }
        out
    }

    fn unsnappy(body: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        decode_any(ContentEncoding::Snappy, body, &mut out, max).map(|()| out)
    }

    #[test]
    fn the_checksum_is_the_framing_formats() {
        // The example of the framing format's reference implementation (crc32c("123456789")
        // = 0xe3069283), masked.
        assert_eq!(
            masked_crc32c(b"123456789"),
            0xe306_9283u32.rotate_right(15).wrapping_add(0xa282_ead8)
        );
    }

    /// Name, body, decoded body or error.
    type Case = (&'static str, Vec<u8>, Result<&'static [u8], DecodeError>);

    #[test]
    fn decodes_like_go() {
        let good = [
            IDENT,
            &raw(b"sn 1\n"),
            &compressed(b"other 2\nother 2\nother 2\n"),
        ]
        .concat();
        let mut bad_crc = raw(b"sn 1\n");
        bad_crc[4] ^= 1;
        let cases: Vec<Case> = vec![
            (
                "valid",
                good.clone(),
                Ok(b"sn 1\nother 2\nother 2\nother 2\n"),
            ),
            ("empty body", vec![], Ok(b"")),
            ("ident only", IDENT.to_vec(), Ok(b"")),
            (
                "ident repeated",
                [IDENT, &raw(b"a 1\n"), IDENT, &raw(b"b 2\n")].concat(),
                Ok(b"a 1\nb 2\n"),
            ),
            (
                "padding and skippable",
                [
                    IDENT,
                    &chunk(0xfe, &[0; 7]),
                    &chunk(0x80, b"x"),
                    &raw(b"a 1\n"),
                ]
                .concat(),
                Ok(b"a 1\n"),
            ),
            ("no ident", raw(b"a 1\n"), Err(DecodeError::SnappyCorrupt)),
            (
                "plain text",
                b"sn 1\n".to_vec(),
                Err(DecodeError::SnappyCorrupt),
            ),
            (
                "wrong ident",
                b"\xff\x06\x00\x00sNaPpZ".to_vec(),
                Err(DecodeError::SnappyCorrupt),
            ),
            (
                "checksum wrong",
                [IDENT, &bad_crc].concat(),
                Err(DecodeError::SnappyCorrupt),
            ),
            (
                "chunk header cut",
                good[..good.len() - 1].to_vec(),
                Err(DecodeError::SnappyCorrupt),
            ),
            (
                "cut after a chunk header",
                [IDENT, &raw(b"a 1\n")[..2]].concat(),
                Err(DecodeError::SnappyCorrupt),
            ),
            (
                "reserved unskippable",
                [IDENT, &chunk(0x02, b"x")].concat(),
                Err(DecodeError::SnappyUnsupported),
            ),
            (
                "oversized chunk",
                [IDENT, &[1, 0xff, 0xff, 0xff]].concat(),
                Err(DecodeError::SnappyUnsupported),
            ),
            (
                "bad block",
                [IDENT, &chunk(0, &[0, 0, 0, 0, 0xff, 0xff])].concat(),
                Err(DecodeError::SnappyCorrupt),
            ),
        ];
        for (name, body, want) in cases {
            let got = unsnappy(&body, 1 << 20);
            assert_eq!(got.as_deref().map_err(Clone::clone), want, "{name}");
        }
    }

    #[test]
    fn many_blocks_round_trip() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(unsnappy(&framed(&data), 1 << 20).unwrap(), data);
    }

    #[test]
    fn a_bomb_stops_at_the_cap_without_allocating_past_it() {
        let max = 1 << 20;
        let bomb = framed(&vec![0; 16 << 20]);
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        let mut out = Vec::new();
        let got = decode_any(ContentEncoding::Snappy, &bomb, &mut out, max);
        assert_eq!(
            got,
            Err(DecodeError::TooLarge {
                decoded_bytes_max: max
            })
        );
        assert!(out.capacity() <= max + 1, "{}", out.capacity());
    }
}
