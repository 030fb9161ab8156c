//! A gzip response body (RFC 1952, one member) produced as the socket drains: each `fill`
//! deflates a bounded slice of the scrape's shared fragments, so a large store never holds
//! the loop for long, and a slow reader never makes us compress ahead of what it takes.
//!
//! The fragments are the scrape's snapshot (`Rc` ranges), so pushes that land while the body
//! is being sent do not change it. It never reads a socket and never fails: deflating bytes
//! held in memory has no error but a bug, which is an `assert!`.

use crate::http::{BodySource, Chunk};
use miniz_oxide::deflate::core::CompressorOxide;
use miniz_oxide::deflate::stream::deflate;
use miniz_oxide::{DataFormat, MZFlush, MZStatus};

pub(super) const ID1: u8 = 0x1f;
pub(super) const ID2: u8 = 0x8b;
pub(super) const METHOD_DEFLATE: u8 = 8;
pub(super) const FHCRC: u8 = 0x02;
pub(super) const FEXTRA: u8 = 0x04;
pub(super) const FNAME: u8 = 0x08;
pub(super) const FCOMMENT: u8 = 0x10;
/// The fixed part of a member header.
pub(super) const HEADER_BYTES: usize = 10;

/// The fastest level: the loop's time is the scarce resource. On exposition text it deflates
/// about seven times faster than level 6 (Go's default) for about a fifth more bytes
/// (`benches/gzip_scrape.rs`).
const LEVEL: u8 = 1;
/// No flags, no modification time, XFL 4 ("fastest algorithm", RFC 1952), OS 255 (unknown),
/// as Go's `gzip.Writer` writes at its fastest level.
const HEADER: [u8; HEADER_BYTES] = [ID1, ID2, METHOD_DEFLATE, 0, 0, 0, 0, 0, 4, 255];
/// Uncompressed bytes deflated per `fill`: the unit of work between two socket writes.
const FILL_INPUT_BYTES: usize = 64 * 1024;
/// Output room added at a time while deflating.
const OUTPUT_STEP_BYTES: usize = 32 * 1024;

pub struct GzipBody {
    /// Not yet deflated; the front chunk may be partly consumed (its `start` moves).
    chunks: std::vec::IntoIter<Chunk>,
    current: Option<Chunk>,
    compressor: Box<CompressorOxide>,
    crc: crc32fast::Hasher,
    /// Uncompressed length modulo 2^32, as the trailer wants it.
    size: u32,
    header_written: bool,
}

impl GzipBody {
    pub fn new(chunks: Vec<Chunk>) -> GzipBody {
        let mut compressor = Box::<CompressorOxide>::default();
        compressor.set_format_and_level(DataFormat::Raw, LEVEL);
        GzipBody {
            chunks: chunks.into_iter(),
            current: None,
            compressor,
            crc: crc32fast::Hasher::new(),
            size: 0,
            header_written: false,
        }
    }

    /// The next unconsumed input, skipping empty chunks.
    fn input(&mut self) -> Option<&mut Chunk> {
        while self.current.as_ref().is_none_or(|c| c.start == c.end) {
            self.current = Some(self.chunks.next()?);
        }
        self.current.as_mut()
    }

    /// Deflates all of `input` into `out`; with `Finish`, also ends the deflate stream.
    #[allow(
        clippy::panic,
        reason = "compresses our own responses: a failure is a bug in this loop, not bad input"
    )]
    fn deflate_into(&mut self, input: &[u8], out: &mut Vec<u8>, flush: MZFlush) {
        let mut consumed = 0;
        loop {
            let filled = out.len();
            out.resize(filled + OUTPUT_STEP_BYTES, 0);
            let result = deflate(
                &mut self.compressor,
                input.get(consumed..).unwrap_or_default(),
                out.get_mut(filled..).unwrap_or_default(),
                flush,
            );
            out.truncate(filled + result.bytes_written);
            consumed += result.bytes_consumed;
            let output_full = result.bytes_written == OUTPUT_STEP_BYTES;
            match result.status {
                Ok(MZStatus::StreamEnd) => return,
                Ok(MZStatus::Ok) if flush != MZFlush::Finish => {
                    if consumed == input.len() && !output_full {
                        return;
                    }
                }
                Ok(MZStatus::Ok) => {
                    assert!(result.bytes_written > 0, "deflate finish made no progress");
                }
                // Nothing left to consume and nothing to flush yet.
                Err(miniz_oxide::MZError::Buf) if consumed == input.len() => return,
                status => panic!("deflate failed: {status:?}"),
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.deflate_into(&[], out, MZFlush::Finish);
        out.extend_from_slice(&self.crc.clone().finalize().to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
    }
}

impl BodySource for GzipBody {
    fn fill(&mut self, out: &mut Vec<u8>) -> bool {
        if !self.header_written {
            out.extend_from_slice(&HEADER);
            self.header_written = true;
        }
        let mut budget = FILL_INPUT_BYTES;
        while budget > 0 {
            let Some(chunk) = self.input() else {
                self.finish(out);
                return true;
            };
            let take = (chunk.end - chunk.start).min(budget);
            let piece = Chunk {
                buf: chunk.buf.clone(),
                start: chunk.start,
                end: chunk.start + take,
            };
            chunk.start += take;
            budget -= take;
            self.crc.update(piece.as_slice());
            // Modulo 2^32 by definition (RFC 1952 ISIZE).
            self.size = self.size.wrapping_add(take as u32);
            self.deflate_into(piece.as_slice(), out, MZFlush::None);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::{decode, ContentEncoding};
    use std::rc::Rc;

    fn gzip_all(chunks: Vec<Chunk>) -> (Vec<u8>, usize) {
        let mut body = GzipBody::new(chunks);
        let mut out = Vec::new();
        let mut fills = 1;
        while !body.fill(&mut out) {
            fills += 1;
            assert!(fills < 10_000, "no end");
        }
        (out, fills)
    }

    fn gunzip(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decode(ContentEncoding::Gzip, body, &mut out, usize::MAX - 1).expect("valid gzip");
        out
    }

    /// Exposition-like text of about `n` bytes, cut into shared chunks of assorted sizes.
    fn exposition(n: usize) -> (Vec<u8>, Vec<Chunk>) {
        let mut text = Vec::new();
        let mut i = 0u64;
        while text.len() < n {
            text.extend_from_slice(
                format!(
                    "metric_{}{{job=\"j{}\",instance=\"\"}} {}\n",
                    i % 97,
                    i % 13,
                    i * 7919
                )
                .as_bytes(),
            );
            i += 1;
        }
        let shared: Rc<[u8]> = Rc::from(text.as_slice());
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut step = 1;
        while start < text.len() {
            let end = (start + step).min(text.len());
            chunks.push(Chunk {
                buf: shared.clone(),
                start,
                end,
            });
            chunks.push(Chunk {
                buf: shared.clone(),
                start: end,
                end,
            });
            start = end;
            step = step * 3 % 100_003 + 1;
        }
        (text, chunks)
    }

    #[test]
    fn round_trips_through_our_decoder() {
        for n in [
            0,
            1,
            100,
            FILL_INPUT_BYTES - 1,
            FILL_INPUT_BYTES,
            3 * FILL_INPUT_BYTES + 17,
            2 << 20,
        ] {
            let (text, chunks) = exposition(n);
            let (gz, fills) = gzip_all(chunks);
            assert_eq!(gunzip(&gz), text, "n={n}");
            assert!(
                fills <= text.len() / FILL_INPUT_BYTES + 2,
                "n={n} fills={fills}"
            );
            assert_eq!(gz[..HEADER_BYTES], HEADER);
        }
    }

    #[test]
    fn an_empty_body_is_a_valid_empty_member() {
        let (gz, fills) = gzip_all(Vec::new());
        assert_eq!(fills, 1);
        assert_eq!(gunzip(&gz), b"");
    }

    #[test]
    fn each_fill_is_bounded() {
        let (text, chunks) = exposition(1 << 20);
        let mut body = GzipBody::new(chunks);
        let mut all = Vec::new();
        loop {
            let mut out = Vec::new();
            let done = body.fill(&mut out);
            // Deflate never expands by more than a few bytes per 16 KiB stored block.
            assert!(out.len() <= FILL_INPUT_BYTES + 1024, "{}", out.len());
            all.extend_from_slice(&out);
            if done {
                break;
            }
        }
        assert_eq!(gunzip(&all), text);
    }

    #[test]
    fn compresses_exposition_text() {
        let (text, chunks) = exposition(1 << 20);
        let (gz, _) = gzip_all(chunks);
        assert!(gz.len() * 4 < text.len(), "{} of {}", gz.len(), text.len());
    }
}
