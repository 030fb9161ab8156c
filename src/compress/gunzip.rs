//! Decoding a gzip body (RFC 1952) as Go's `gzip.Reader` does in its default multistream
//! mode: the same members accepted, the same errors, in the same order.
//!
//! ```text
//! body    = member+ | ""                     an empty body is Go's io.EOF
//! member  = header deflate trailer
//! header  = 1f 8b 08 flags mtime(4) xfl os   (reserved flag bits are ignored, as Go does)
//!           [ xlen(2, LE) extra(xlen) ]      if flags & FEXTRA
//!           [ name 00 ]  [ comment 00 ]      if FNAME, FCOMMENT: at most 511 bytes before NUL
//!           [ crc16(2, LE) ]                 if FHCRC: low half of the CRC-32 of the header
//! trailer = crc32(4, LE) isize(4, LE)        of the member's decoded bytes (size mod 2^32)
//! ```
//!
//! After a member, the end of the body ends the stream; anything else must be another member.
//! The deflate data itself is inflated by `miniz_oxide`; only the framing is ours.

use super::gzip::{FCOMMENT, FEXTRA, FHCRC, FNAME, HEADER_BYTES, ID1, ID2, METHOD_DEFLATE};
use super::{DecodeError, Sink};
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// Longest NUL-terminated header string Go reads (its header buffer is 512 bytes).
const HEADER_STRING_BYTES_MAX: usize = 511;

pub(super) fn decode(body: &[u8], sink: &mut Sink<'_>) -> Result<(), DecodeError> {
    let mut input = Input { body, pos: 0 };
    if body.is_empty() {
        return Err(DecodeError::Eof);
    }
    let mut inflater = InflateState::new_boxed(DataFormat::Raw);
    loop {
        read_header(&mut input)?;
        let (crc, size) = inflate_member(&mut input, &mut inflater, sink)?;
        let trailer = input.take_array().ok_or(DecodeError::UnexpectedEof)?;
        let [c0, c1, c2, c3, s0, s1, s2, s3] = trailer;
        if u32::from_le_bytes([c0, c1, c2, c3]) != crc
            || u32::from_le_bytes([s0, s1, s2, s3]) != size
        {
            return Err(DecodeError::GzipChecksum);
        }
        if input.rest().is_empty() {
            return Ok(());
        }
        inflater.reset(DataFormat::Raw);
    }
}

/// The undecoded body and how far it has been read.
struct Input<'a> {
    body: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn rest(&self) -> &'a [u8] {
        self.body.get(self.pos..).unwrap_or_default()
    }

    /// The next `n` bytes, or `None` (nothing consumed) when fewer are left.
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.rest().get(..n)?;
        self.pos += n;
        Some(bytes)
    }

    /// [`Input::take`] into an array.
    fn take_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = *self.rest().first_chunk::<N>()?;
        self.pos += N;
        Some(bytes)
    }

    fn le16(&mut self) -> Result<u16, DecodeError> {
        let bytes = self.take_array().ok_or(DecodeError::UnexpectedEof)?;
        Ok(u16::from_le_bytes(bytes))
    }
}

/// Reads one member header. Every shortfall is `unexpected EOF`, as Go's `noEOF` makes it.
fn read_header(input: &mut Input<'_>) -> Result<(), DecodeError> {
    let start = input.pos;
    let fixed: [u8; HEADER_BYTES] = input.take_array().ok_or(DecodeError::UnexpectedEof)?;
    let [id1, id2, method, flags, ..] = fixed;
    if id1 != ID1 || id2 != ID2 || method != METHOD_DEFLATE {
        return Err(DecodeError::GzipHeader);
    }
    if flags & FEXTRA != 0 {
        let xlen = input.le16()?;
        input
            .take(usize::from(xlen))
            .ok_or(DecodeError::UnexpectedEof)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            skip_string(input)?;
        }
    }
    if flags & FHCRC != 0 {
        let covered = input.body.get(start..input.pos).unwrap_or_default();
        let want = input.le16()?;
        if want != crc32fast::hash(covered) as u16 {
            return Err(DecodeError::GzipHeader);
        }
    }
    Ok(())
}

/// Skips a NUL-terminated header string of at most [`HEADER_STRING_BYTES_MAX`] bytes.
fn skip_string(input: &mut Input<'_>) -> Result<(), DecodeError> {
    let rest = input.rest();
    let window = rest.get(..=HEADER_STRING_BYTES_MAX).unwrap_or(rest);
    match memchr::memchr(0, window) {
        Some(nul) => {
            input.pos += nul + 1;
            Ok(())
        }
        None if window.len() > HEADER_STRING_BYTES_MAX => Err(DecodeError::GzipHeader),
        None => Err(DecodeError::UnexpectedEof),
    }
}

/// Inflates one member's deflate data into the sink; returns its CRC-32 and size mod 2^32.
fn inflate_member(
    input: &mut Input<'_>,
    inflater: &mut InflateState,
    sink: &mut Sink<'_>,
) -> Result<(u32, u32), DecodeError> {
    let deflate_start = input.pos;
    let mut crc = crc32fast::Hasher::new();
    let mut size = 0u32;
    loop {
        let spare = sink.spare()?;
        let result = inflate(inflater, input.rest(), spare, MZFlush::None);
        crc.update(spare.get(..result.bytes_written).unwrap_or_default());
        // The size field holds the length modulo 2^32 (RFC 1952), so truncation is meant.
        size = size.wrapping_add(result.bytes_written as u32);
        input.pos += result.bytes_consumed;
        sink.advance(result.bytes_written)?;
        match result.status {
            Ok(MZStatus::StreamEnd) => return Ok((crc.finalize(), size)),
            // Progress was made: more input or output room may be needed.
            Ok(MZStatus::Ok) => {}
            // No progress possible with room to write into: the input ran out.
            Err(MZError::Buf) => return Err(DecodeError::UnexpectedEof),
            Ok(MZStatus::NeedDict) | Err(_) => {
                return Err(DecodeError::FlateCorrupt {
                    offset: input.pos - deflate_start,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{decode as decode_any, ContentEncoding, DecodeError};
    use miniz_oxide::deflate::compress_to_vec;

    fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        decode_any(ContentEncoding::Gzip, body, &mut out, max).map(|()| out)
    }

    /// A gzip member with the given header flags and optional fields.
    fn member(data: &[u8], flags: u8, optional: &[u8]) -> Vec<u8> {
        let mut out = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255];
        out.extend_from_slice(optional);
        out.extend_from_slice(&compress_to_vec(data, 6));
        out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    fn plain(data: &[u8]) -> Vec<u8> {
        member(data, 0, &[])
    }

    fn with_header_crc() -> Vec<u8> {
        let mut header = vec![0x1f, 0x8b, 8, 0x02 | 0x08, 0, 0, 0, 0, 0, 255];
        header.extend_from_slice(b"name\0");
        let crc = (crc32fast::hash(&header) as u16).to_le_bytes();
        member(b"a 1\n", 0x02 | 0x08, &[&b"name\0"[..], &crc].concat())
    }

    /// Name, body, decoded body or error.
    type Case = (&'static str, Vec<u8>, Result<&'static [u8], DecodeError>);

    #[test]
    fn decodes_like_go() {
        let good = plain(b"gz 1\nother 2\n");
        let mut bad_header_crc = with_header_crc();
        bad_header_crc[15] ^= 1;
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        let mut bad_size = good.clone();
        bad_size[n - 1] ^= 1;
        let long_name = [&[b'n'; 511][..], b"\0"].concat();
        let too_long_name = [&[b'n'; 512][..], b"\0"].concat();
        let cases: Vec<Case> = vec![
            ("valid", good.clone(), Ok(b"gz 1\nother 2\n")),
            ("empty data", plain(b""), Ok(b"")),
            (
                "two members",
                [plain(b"a 1\n"), plain(b"b 2\n")].concat(),
                Ok(b"a 1\nb 2\n"),
            ),
            ("empty body", vec![], Err(DecodeError::Eof)),
            (
                "short body",
                b"gz 1\n".to_vec(),
                Err(DecodeError::UnexpectedEof),
            ),
            (
                "not gzip",
                b"gz 1\n".repeat(10),
                Err(DecodeError::GzipHeader),
            ),
            (
                "not deflate",
                [&good[..2], &[7], &good[3..]].concat(),
                Err(DecodeError::GzipHeader),
            ),
            (
                "reserved flags ignored",
                member(b"r 1\n", 0xe0, &[]),
                Ok(b"r 1\n"),
            ),
            (
                "extra field",
                member(b"x 1\n", 0x04, b"\x03\x00abc"),
                Ok(b"x 1\n"),
            ),
            (
                "extra cut",
                member(b"", 0x04, b"\x03\x00ab")[..14].to_vec(),
                Err(DecodeError::UnexpectedEof),
            ),
            (
                "name and comment",
                member(b"n 1\n", 0x08 | 0x10, b"file\0comment\0"),
                Ok(b"n 1\n"),
            ),
            (
                "longest name",
                member(b"n 1\n", 0x08, &long_name),
                Ok(b"n 1\n"),
            ),
            (
                "name too long",
                member(b"n 1\n", 0x08, &too_long_name),
                Err(DecodeError::GzipHeader),
            ),
            (
                "name cut",
                [&good[..3], &[0x08], &good[4..10], b"nam"].concat(),
                Err(DecodeError::UnexpectedEof),
            ),
            ("header crc", with_header_crc(), Ok(b"a 1\n")),
            (
                "header crc wrong",
                bad_header_crc,
                Err(DecodeError::GzipHeader),
            ),
            (
                "header only",
                good[..10].to_vec(),
                Err(DecodeError::UnexpectedEof),
            ),
            (
                "deflate cut",
                good[..15].to_vec(),
                Err(DecodeError::UnexpectedEof),
            ),
            (
                "trailer missing",
                good[..n - 8].to_vec(),
                Err(DecodeError::UnexpectedEof),
            ),
            (
                "trailer cut",
                good[..n - 1].to_vec(),
                Err(DecodeError::UnexpectedEof),
            ),
            ("crc wrong", bad_crc, Err(DecodeError::GzipChecksum)),
            ("size wrong", bad_size, Err(DecodeError::GzipChecksum)),
            (
                "garbage after",
                [&good[..], b"xx"].concat(),
                Err(DecodeError::UnexpectedEof),
            ),
            (
                "long garbage after",
                [&good[..], &[b'x'; 20]].concat(),
                Err(DecodeError::GzipHeader),
            ),
            (
                "reserved block type",
                [&good[..10], &[0xff; 5], &good[15..]].concat(),
                Err(DecodeError::FlateCorrupt { offset: 1 }),
            ),
        ];
        for (name, body, want) in cases {
            let got = gunzip(&body, 1 << 20);
            assert_eq!(got.as_deref().map_err(Clone::clone), want, "{name}");
        }
    }

    #[test]
    fn a_bomb_stops_at_the_cap_without_allocating_past_it() {
        let max = 1 << 20;
        let bomb = plain(&vec![0; 64 << 20]);
        assert!(bomb.len() < 128 << 10, "{}", bomb.len());
        let mut out = Vec::new();
        let got = decode_any(ContentEncoding::Gzip, &bomb, &mut out, max);
        assert_eq!(
            got,
            Err(DecodeError::TooLarge {
                decoded_bytes_max: max
            })
        );
        assert!(out.capacity() <= max + 1, "{}", out.capacity());
    }

    #[test]
    fn exactly_the_cap_is_allowed() {
        let data = vec![b'x'; 100_000];
        assert_eq!(gunzip(&plain(&data), 100_000).unwrap(), data);
        assert_eq!(
            gunzip(&plain(&data), 99_999),
            Err(DecodeError::TooLarge {
                decoded_bytes_max: 99_999
            })
        );
    }

    #[test]
    fn the_cap_counts_every_member() {
        let body = [plain(&[b'a'; 600]), plain(&[b'b'; 600])].concat();
        assert_eq!(
            gunzip(&body, 1000),
            Err(DecodeError::TooLarge {
                decoded_bytes_max: 1000
            })
        );
    }
}
