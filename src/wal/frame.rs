//! The bytes of the log file: a header that says "this is our log, in this version", then one
//! frame per record. It knows nothing of what a record means.
//!
//! ```text
//! file   = header frame*
//! header = MAGIC (8 bytes) VERSION (u32 LE)
//! frame  = len (u32 LE) crc (u32 LE) kind (u8) payload (len − 1 bytes)
//! crc    = CRC-32 (IEEE) of the 4 bytes of len, the kind byte and the payload
//! ```
//!
//! A frame's length is checked against [`LOG_RECORD_BYTES_MAX`] and against what is left of
//! the file before anything is allocated for it, so a damaged length costs nothing. The
//! checksum covers the length too, so a flipped length bit is caught even when the length it
//! makes still fits.

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::limits::LOG_RECORD_BYTES_MAX;
use std::fmt;
use std::io::{self, Read};

/// The first bytes of every log. The high first byte and the CR LF catch a file mangled by a
/// text-mode copy, as PNG's signature does; nothing upstream writes (gob) starts like this.
pub const MAGIC: [u8; 8] = *b"\x89PGWAL\r\n";
/// The format version this build writes: 2 added the FAMILY record (`record.rs`), which a
/// version-1 build would skip as unknown and so lose; it refuses a version-2 log instead.
pub const VERSION: u32 = 2;
/// The versions this build reads: a version-1 log holds only records version 2 still has.
/// It is appended to as it is, and becomes version 2 when compaction rewrites it.
pub const READ_VERSIONS: [u32; 2] = [1, 2];
pub const HEADER_BYTES: usize = MAGIC.len() + 4;
/// Length and checksum.
pub const FRAME_HEAD_BYTES: usize = 8;

/// The header of a new log.
pub fn header() -> [u8; HEADER_BYTES] {
    header_of(VERSION)
}

#[allow(
    clippy::indexing_slicing,
    reason = "constant ranges of an array of constant size"
)]
fn header_of(version: u32) -> [u8; HEADER_BYTES] {
    let mut out = [0; HEADER_BYTES];
    out[..MAGIC.len()].copy_from_slice(&MAGIC);
    out[MAGIC.len()..].copy_from_slice(&version.to_le_bytes());
    out
}

/// What the first bytes of a file say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderCheck {
    /// Our log in our version; frames follow.
    Valid,
    /// Shorter than a header and the start of one (possibly empty): a log whose creation was
    /// cut short, which holds nothing.
    Torn,
    /// Our magic with a version this build cannot read.
    Version(u32),
    /// Not our log at all.
    Foreign,
}

/// Judges the first `HEADER_BYTES` of a file (fewer if the file is shorter).
pub fn check_header(start: &[u8]) -> HeaderCheck {
    if start.len() < HEADER_BYTES {
        let torn = READ_VERSIONS
            .iter()
            .any(|&v| header_of(v).starts_with(start));
        return if torn {
            HeaderCheck::Torn
        } else {
            HeaderCheck::Foreign
        };
    }
    let version = match start.strip_prefix(&MAGIC).and_then(<[u8]>::first_chunk) {
        Some(version) => u32::from_le_bytes(*version),
        None => return HeaderCheck::Foreign,
    };
    if READ_VERSIONS.contains(&version) {
        HeaderCheck::Valid
    } else {
        HeaderCheck::Version(version)
    }
}

/// Appends one frame to `out`; `payload` writes the payload after the kind byte. A payload
/// longer than the limit is a bug in the caller: every record is bounded by a request limit.
#[allow(
    clippy::indexing_slicing,
    reason = "writes into the frame head it has just appended at `start`"
)]
pub fn encode(out: &mut Vec<u8>, kind: u8, payload: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEAD_BYTES]);
    out.push(kind);
    payload(out);
    let len = out.len() - start - FRAME_HEAD_BYTES;
    assert!(
        len <= LOG_RECORD_BYTES_MAX,
        "a log record of {len} bytes is over LOG_RECORD_BYTES_MAX"
    );
    let len = (len as u32).to_le_bytes();
    out[start..start + 4].copy_from_slice(&len);
    let crc = checksum(&len, &out[start + FRAME_HEAD_BYTES..]);
    out[start + 4..start + FRAME_HEAD_BYTES].copy_from_slice(&crc.to_le_bytes());
}

fn checksum(len: &[u8; 4], body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(len);
    hasher.update(body);
    hasher.finalize()
}

/// Why the frame at some offset cannot be read; everything from there on is the damaged tail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    /// Fewer bytes left than a frame head.
    TornHead {
        left: u64,
    },
    /// A length of zero: not even a kind byte.
    EmptyFrame,
    /// A length over the limit.
    TooLong {
        len: u64,
    },
    /// A length running past the end of the file.
    TornBody {
        len: u64,
        left: u64,
    },
    ChecksumMismatch,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::TornHead { left } => {
                write!(f, "{left} bytes left, fewer than a record header")
            }
            Damage::EmptyFrame => f.write_str("record length 0"),
            Damage::TooLong { len } => write!(
                f,
                "record length {len} is over the limit of {LOG_RECORD_BYTES_MAX} bytes"
            ),
            Damage::TornBody { len, left } => {
                write!(f, "record length {len}, but only {left} bytes left")
            }
            Damage::ChecksumMismatch => f.write_str("record checksum mismatch"),
        }
    }
}

/// One frame read back: its kind and payload, and where it began in the file.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    pub offset: u64,
    pub kind: u8,
    pub payload: &'a [u8],
}

/// What reading the next frame found.
#[derive(Debug)]
pub enum Next<'a> {
    Frame(Frame<'a>),
    /// The file ends exactly after the last frame.
    End,
    /// The frame at `offset` is damaged; nothing from there on can be trusted.
    Damaged {
        offset: u64,
        damage: Damage,
    },
}

/// Reads frames in order from a source holding the file from `offset` to `end`. An I/O error
/// is returned as such, never mistaken for damage: only bytes that were read can be judged.
pub struct FrameReader<R> {
    source: R,
    offset: u64,
    end: u64,
    /// The current frame's kind and payload, reused from frame to frame.
    buf: Vec<u8>,
}

impl<R: Read> FrameReader<R> {
    pub fn new(source: R, offset: u64, end: u64) -> FrameReader<R> {
        FrameReader {
            source,
            offset,
            end,
            buf: Vec::new(),
        }
    }

    /// Where the next frame starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The source, positioned somewhere after the last frame read.
    pub fn into_source(self) -> R {
        self.source
    }

    pub fn next_frame(&mut self) -> io::Result<Next<'_>> {
        let offset = self.offset;
        let left = self.end - offset;
        if left == 0 {
            return Ok(Next::End);
        }
        let damaged = |damage| Ok(Next::Damaged { offset, damage });
        if left < FRAME_HEAD_BYTES as u64 {
            return damaged(Damage::TornHead { left });
        }
        let mut head = [0; FRAME_HEAD_BYTES];
        self.source.read_exact(&mut head)?;
        let [l0, l1, l2, l3, c0, c1, c2, c3] = head;
        let len_bytes = [l0, l1, l2, l3];
        let len = u64::from(u32::from_le_bytes(len_bytes));
        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
        let left = left - FRAME_HEAD_BYTES as u64;
        if len == 0 {
            return damaged(Damage::EmptyFrame);
        }
        if len > LOG_RECORD_BYTES_MAX as u64 {
            return damaged(Damage::TooLong { len });
        }
        if len > left {
            return damaged(Damage::TornBody { len, left });
        }
        // Bounded by the limit and by the bytes the file really holds. Grown (and zeroed) only
        // to the largest frame so far: zeroing every frame would cost as much as reading it.
        let size = len as usize;
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let Some(body) = self.buf.get_mut(..size) else {
            return damaged(Damage::EmptyFrame);
        };
        self.source.read_exact(body)?;
        if checksum(&len_bytes, body) != crc {
            return damaged(Damage::ChecksumMismatch);
        }
        self.offset += FRAME_HEAD_BYTES as u64 + len;
        let Some((&kind, payload)) = body.split_first() else {
            return damaged(Damage::EmptyFrame);
        };
        Ok(Next::Frame(Frame {
            offset,
            kind,
            payload,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, kind, |out| out.extend_from_slice(payload));
        out
    }

    /// (offset, kind, payload)
    type Seen = (u64, u8, Vec<u8>);

    /// Reads every frame of `bytes`, then how it ended.
    fn read_all(bytes: &[u8]) -> (Vec<Seen>, Option<(u64, Damage)>) {
        let mut reader = FrameReader::new(bytes, 0, bytes.len() as u64);
        let mut frames = Vec::new();
        loop {
            match reader.next_frame().expect("reading a slice cannot fail") {
                Next::Frame(f) => frames.push((f.offset, f.kind, f.payload.to_vec())),
                Next::End => return (frames, None),
                Next::Damaged { offset, damage } => return (frames, Some((offset, damage))),
            }
        }
    }

    #[test]
    fn frame_layout() {
        let bytes = frame(3, b"abc");
        assert_eq!(&bytes[..4], &4u32.to_le_bytes());
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&4u32.to_le_bytes());
        hasher.update(b"\x03abc");
        assert_eq!(&bytes[4..8], &hasher.finalize().to_le_bytes());
        assert_eq!(&bytes[8..], b"\x03abc");
    }

    #[test]
    fn header_checks() {
        let ours = header();
        let v1 = header_of(1);
        let other_version = header_of(3);
        let cases: &[(&[u8], HeaderCheck)] = &[
            (&ours, HeaderCheck::Valid),
            (&v1, HeaderCheck::Valid),
            (b"", HeaderCheck::Torn),
            (&ours[..5], HeaderCheck::Torn),
            (&ours[..HEADER_BYTES - 1], HeaderCheck::Torn),
            (&v1[..HEADER_BYTES - 1], HeaderCheck::Torn),
            (&other_version, HeaderCheck::Version(3)),
            (&other_version[..HEADER_BYTES - 3], HeaderCheck::Foreign),
            // An upstream gob snapshot, and short files that are not a header's start.
            (
                b"\x0e\xff\x81\x04\x01\x02\xff\x82\x00\x01\x0c\x01\x10",
                HeaderCheck::Foreign,
            ),
            (b"\x89PGX", HeaderCheck::Foreign),
            (b"\x89PGWAL\n\r\x01\x00\x00\x00", HeaderCheck::Foreign),
        ];
        for (bytes, want) in cases {
            assert_eq!(check_header(bytes), *want, "{bytes:?}");
        }
    }

    #[test]
    fn frames_read_back_with_their_offsets() {
        let mut bytes = frame(1, b"first");
        bytes.extend(frame(4, b""));
        bytes.extend(frame(2, &[0xff; 300]));
        let (frames, end) = read_all(&bytes);
        assert_eq!(
            frames,
            [
                (0, 1, b"first".to_vec()),
                (14, 4, Vec::new()),
                (23, 2, vec![0xff; 300])
            ]
        );
        assert_eq!(end, None);
    }

    #[test]
    fn damage_is_found_where_it_starts() {
        let good = frame(1, b"good");
        let next = frame(2, b"payload");
        let at = good.len() as u64;
        let with = |tail: &[u8]| [good.as_slice(), tail].concat();
        let mut flipped = next.clone();
        flipped[10] ^= 0x01;
        let mut flipped_len = next.clone();
        flipped_len[0] ^= 0x01;
        let too_long = [
            &(LOG_RECORD_BYTES_MAX as u32 + 1).to_le_bytes()[..],
            &[0; 4],
        ]
        .concat();
        let cases: Vec<(Vec<u8>, Damage)> = vec![
            (with(&next[..3]), Damage::TornHead { left: 3 }),
            (with(&next[..8]), Damage::TornBody { len: 8, left: 0 }),
            (with(&next[..15]), Damage::TornBody { len: 8, left: 7 }),
            (with(&flipped), Damage::ChecksumMismatch),
            // Length 9 still fits in what is left, so only the checksum can tell.
            (
                with(&[&flipped_len[..], &[0]].concat()),
                Damage::ChecksumMismatch,
            ),
            (with(&[0; 8]), Damage::EmptyFrame),
            (
                with(&too_long),
                Damage::TooLong {
                    len: LOG_RECORD_BYTES_MAX as u64 + 1,
                },
            ),
            (
                with(&[0xff; 8]),
                Damage::TooLong {
                    len: u32::MAX as u64,
                },
            ),
        ];
        for (bytes, want) in cases {
            let (frames, end) = read_all(&bytes);
            assert_eq!(frames, [(0, 1, b"good".to_vec())]);
            assert_eq!(end, Some((at, want)));
        }
    }

    #[test]
    fn damage_messages() {
        let cases = [
            (
                Damage::TornHead { left: 3 },
                "3 bytes left, fewer than a record header",
            ),
            (Damage::EmptyFrame, "record length 0"),
            (
                Damage::TooLong { len: 1 << 31 },
                "record length 2147483648 is over the limit of 135266304 bytes",
            ),
            (
                Damage::TornBody { len: 9, left: 2 },
                "record length 9, but only 2 bytes left",
            ),
            (Damage::ChecksumMismatch, "record checksum mismatch"),
        ];
        for (damage, want) in cases {
            assert_eq!(damage.to_string(), want);
        }
    }
}
