//! What one log record says: an accepted change, as it arrived. The log stores the grouping
//! key as label pairs and a pushed body as opaque bytes with a tag naming its parser; it never
//! looks inside either.
//!
//! Payloads (after the frame's kind byte; integers little-endian):
//!
//! ```text
//! PUSH    (1) = time flags format key body      flags: bit 0 replace (PUT), bit 1 UTF-8 names
//! FAILURE (2) = time key                         the failure time a rejected push recorded
//! DELETE  (3) = key
//! WIPE    (4) =
//! FAMILY  (5) = time key type help name lines    since format version 2
//! time        = i64, nanoseconds since the Unix epoch
//! format      = u8: 1 text, 2 protobuf (delimited)
//! key         = count (u32) { len (u32) name len (u32) value }     each string UTF-8
//! body        = the rest of the payload
//! type        = u8, the protobuf `MetricType` number
//! help        = u8 0 (none) | u8 1 len (u32) text                    UTF-8, unescaped
//! name        = len (u32) name                                       UTF-8
//! lines       = the rest of the payload
//! ```
//!
//! A FAMILY record is one stored family as compaction found it (`db::encode`): the stamp of
//! the write that stored it, and its series as the store keeps them, rendered text lines. What
//! the lines mean is the store's business; a version-1 build would skip the record (an unknown
//! kind) and lose the family, which is why a log holding one is of format version 2 and such a
//! build refuses it.

// A client's bytes (or a damaged file's) reach this code: it must not be able to panic. An
// exception is allowed in place, with the reason it cannot fire.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::borrow::Cow;
use std::fmt;

const KIND_PUSH: u8 = 1;
const KIND_FAILURE: u8 = 2;
const KIND_DELETE: u8 = 3;
const KIND_WIPE: u8 = 4;
const KIND_FAMILY: u8 = 5;

const FLAG_REPLACE: u8 = 1;
const FLAG_UTF8_NAMES: u8 = 2;

/// Grouping label pairs, sorted by name.
pub type Pairs<'a> = Cow<'a, [(String, String)]>;

/// Which parser reads a pushed body back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    Text,
    /// Length-delimited protobuf `MetricFamily` messages, after any decompression.
    Protobuf,
}

impl BodyFormat {
    fn tag(self) -> u8 {
        match self {
            BodyFormat::Text => 1,
            BodyFormat::Protobuf => 2,
        }
    }

    fn from_tag(tag: u8) -> Option<BodyFormat> {
        match tag {
            1 => Some(BodyFormat::Text),
            2 => Some(BodyFormat::Protobuf),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// An accepted PUT (`replace`) or POST.
    Push {
        time_nanos: i64,
        key: Pairs<'a>,
        replace: bool,
        format: BodyFormat,
        /// `--push.enable-utf8-names` as it was when the push was accepted.
        utf8_names: bool,
        body: &'a [u8],
    },
    /// A rejected push that recorded its failure time.
    Failure {
        time_nanos: i64,
        key: Pairs<'a>,
    },
    Delete {
        key: Pairs<'a>,
    },
    Wipe,
    /// One family of a group as compaction stored it: it replaces any family of that name in
    /// the group, and touches nothing else.
    Family {
        /// The stamp of the write that stored the family.
        time_nanos: i64,
        key: Pairs<'a>,
        /// The protobuf `MetricType` number.
        mtype: u8,
        help: Option<&'a str>,
        name: &'a str,
        /// The series as the store renders them.
        lines: &'a [u8],
    },
}

/// A record whose checksum is right but whose payload this build cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    UnknownKind(u8),
    UnknownFormat(u8),
    /// The payload ends inside the named field.
    Short(&'static str),
    NotUtf8,
    /// Bytes after the last field of a record that has no body.
    Trailing(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownKind(kind) => write!(f, "unknown record kind {kind}"),
            DecodeError::UnknownFormat(tag) => write!(f, "unknown body format {tag}"),
            DecodeError::Short(field) => write!(f, "record ends inside its {field}"),
            DecodeError::NotUtf8 => f.write_str("a string is not valid UTF-8"),
            DecodeError::Trailing(n) => write!(f, "{n} unexpected bytes after the record"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl Record<'_> {
    /// The frame kind and a writer of the payload, for [`super::frame::encode`].
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        let kind = match self {
            Record::Push { .. } => KIND_PUSH,
            Record::Failure { .. } => KIND_FAILURE,
            Record::Delete { .. } => KIND_DELETE,
            Record::Wipe => KIND_WIPE,
            Record::Family { .. } => KIND_FAMILY,
        };
        super::frame::encode(out, kind, |out| match self {
            Record::Push {
                time_nanos,
                key,
                replace,
                format,
                utf8_names,
                body,
            } => {
                out.extend_from_slice(&time_nanos.to_le_bytes());
                let mut flags = 0;
                if *replace {
                    flags |= FLAG_REPLACE;
                }
                if *utf8_names {
                    flags |= FLAG_UTF8_NAMES;
                }
                out.push(flags);
                out.push(format.tag());
                encode_key(out, key);
                out.extend_from_slice(body);
            }
            Record::Failure { time_nanos, key } => {
                out.extend_from_slice(&time_nanos.to_le_bytes());
                encode_key(out, key);
            }
            Record::Delete { key } => encode_key(out, key),
            Record::Wipe => {}
            Record::Family {
                time_nanos,
                key,
                mtype,
                help,
                name,
                lines,
            } => {
                out.extend_from_slice(&time_nanos.to_le_bytes());
                encode_key(out, key);
                out.push(*mtype);
                match help {
                    None => out.push(0),
                    Some(help) => {
                        out.push(1);
                        encode_str(out, help);
                    }
                }
                encode_str(out, name);
                out.extend_from_slice(lines);
            }
        });
    }

    /// Bytes of the frame's kind and payload: what the frame length counts.
    pub fn encoded_len(&self) -> usize {
        let key_len = |pairs: &[(String, String)]| {
            4 + pairs
                .iter()
                .map(|(n, v)| 8 + n.len() + v.len())
                .sum::<usize>()
        };
        1 + match self {
            Record::Push { key, body, .. } => 8 + 1 + 1 + key_len(key) + body.len(),
            Record::Failure { key, .. } => 8 + key_len(key),
            Record::Delete { key } => key_len(key),
            Record::Wipe => 0,
            Record::Family {
                key,
                help,
                name,
                lines,
                ..
            } => {
                let help = 1 + help.map_or(0, |h| 4 + h.len());
                8 + key_len(key) + 1 + help + 4 + name.len() + lines.len()
            }
        }
    }

    pub fn decode(kind: u8, payload: &[u8]) -> Result<Record<'_>, DecodeError> {
        let mut p = Payload(payload);
        let record = match kind {
            KIND_PUSH => {
                let time_nanos = p.time()?;
                let flags = p.byte("flags")?;
                let tag = p.byte("body format")?;
                let format = BodyFormat::from_tag(tag).ok_or(DecodeError::UnknownFormat(tag))?;
                let key = p.key()?;
                return Ok(Record::Push {
                    time_nanos,
                    key,
                    replace: flags & FLAG_REPLACE != 0,
                    format,
                    utf8_names: flags & FLAG_UTF8_NAMES != 0,
                    body: p.0,
                });
            }
            KIND_FAILURE => Record::Failure {
                time_nanos: p.time()?,
                key: p.key()?,
            },
            KIND_DELETE => Record::Delete { key: p.key()? },
            KIND_WIPE => Record::Wipe,
            KIND_FAMILY => {
                let time_nanos = p.time()?;
                let key = p.key()?;
                let mtype = p.byte("type")?;
                let help = match p.byte("help")? {
                    0 => None,
                    _ => Some(p.str("help")?),
                };
                let name = p.str("name")?;
                return Ok(Record::Family {
                    time_nanos,
                    key,
                    mtype,
                    help,
                    name,
                    lines: p.0,
                });
            }
            other => return Err(DecodeError::UnknownKind(other)),
        };
        match p.0.len() {
            0 => Ok(record),
            n => Err(DecodeError::Trailing(n)),
        }
    }
}

fn encode_key(out: &mut Vec<u8>, pairs: &[(String, String)]) {
    out.extend_from_slice(&len32(pairs.len()).to_le_bytes());
    for (name, value) in pairs {
        encode_str(out, name);
        encode_str(out, value);
    }
}

fn encode_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&len32(s.len()).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Every length in a record is bounded by the frame's own u32 length.
#[allow(
    clippy::expect_used,
    reason = "encoding: every record is bounded by a request limit far below 4 GiB"
)]
fn len32(n: usize) -> u32 {
    u32::try_from(n).expect("a record field is shorter than its record")
}

/// The unread rest of a payload.
struct Payload<'a>(&'a [u8]);

impl<'a> Payload<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.0.len() < n {
            return Err(DecodeError::Short(field));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let byte = self.take(1, field)?.first().copied();
        byte.ok_or(DecodeError::Short(field))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, field)?.try_into();
        Ok(u32::from_le_bytes(
            b.map_err(|_| DecodeError::Short(field))?,
        ))
    }

    fn time(&mut self) -> Result<i64, DecodeError> {
        let b = self.take(8, "time")?;
        let mut bytes = [0; 8];
        bytes.copy_from_slice(b);
        Ok(i64::from_le_bytes(bytes))
    }

    fn string(&mut self, field: &'static str) -> Result<String, DecodeError> {
        self.str(field).map(str::to_owned)
    }

    fn str(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let len = self.u32(field)? as usize;
        let bytes = self.take(len, field)?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8)
    }

    fn key(&mut self) -> Result<Pairs<'static>, DecodeError> {
        let count = self.u32("grouping key")? as usize;
        // Each pair takes at least 8 bytes, so a damaged count cannot reserve much.
        let mut pairs = Vec::with_capacity(count.min(self.0.len() / 8));
        for _ in 0..count {
            let name = self.string("grouping key")?;
            let value = self.string("grouping key")?;
            pairs.push((name, value));
        }
        Ok(Cow::Owned(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pairs: &[(&str, &str)]) -> Pairs<'static> {
        Cow::Owned(
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The payload of an encoded record (the frame head and kind byte stripped).
    fn payload(record: &Record<'_>) -> (u8, Vec<u8>) {
        let mut out = Vec::new();
        record.encode(&mut out);
        (out[8], out[9..].to_vec())
    }

    #[test]
    fn records_encode_to_their_documented_layout() {
        let cases: Vec<(Record<'_>, u8, Vec<u8>)> = vec![
            (
                Record::Push {
                    time_nanos: 0x0102,
                    key: key(&[("job", "j")]),
                    replace: true,
                    format: BodyFormat::Text,
                    utf8_names: false,
                    body: b"a 1\n",
                },
                1,
                [
                    &[2, 1, 0, 0, 0, 0, 0, 0][..],
                    &[1, 1],
                    &[1, 0, 0, 0],
                    &[3, 0, 0, 0],
                    b"job",
                    &[1, 0, 0, 0],
                    b"j",
                    b"a 1\n",
                ]
                .concat(),
            ),
            (
                Record::Push {
                    time_nanos: -1,
                    key: key(&[]),
                    replace: false,
                    format: BodyFormat::Protobuf,
                    utf8_names: true,
                    body: b"",
                },
                1,
                [&[0xff; 8][..], &[2, 2], &[0, 0, 0, 0]].concat(),
            ),
            (
                Record::Failure {
                    time_nanos: 7,
                    key: key(&[("a", ""), ("job", "x")]),
                },
                2,
                [
                    &[7, 0, 0, 0, 0, 0, 0, 0][..],
                    &[2, 0, 0, 0],
                    &[1, 0, 0, 0],
                    b"a",
                    &[0, 0, 0, 0],
                    &[3, 0, 0, 0],
                    b"job",
                    &[1, 0, 0, 0],
                    b"x",
                ]
                .concat(),
            ),
            (
                Record::Delete {
                    key: key(&[("job", "é")]),
                },
                3,
                [
                    &[1, 0, 0, 0][..],
                    &[3, 0, 0, 0],
                    b"job",
                    &[2, 0, 0, 0],
                    "é".as_bytes(),
                ]
                .concat(),
            ),
            (Record::Wipe, 4, Vec::new()),
            (
                Record::Family {
                    time_nanos: 3,
                    key: key(&[("job", "j")]),
                    mtype: 1,
                    help: Some("h"),
                    name: "m",
                    lines: b"m{job=\"j\"} 1\n",
                },
                5,
                [
                    &[3, 0, 0, 0, 0, 0, 0, 0][..],
                    &[1, 0, 0, 0],
                    &[3, 0, 0, 0],
                    b"job",
                    &[1, 0, 0, 0],
                    b"j",
                    &[1],
                    &[1, 1, 0, 0, 0],
                    b"h",
                    &[1, 0, 0, 0],
                    b"m",
                    b"m{job=\"j\"} 1\n",
                ]
                .concat(),
            ),
            (
                Record::Family {
                    time_nanos: 0,
                    key: key(&[]),
                    mtype: 0,
                    help: None,
                    name: "",
                    lines: b"",
                },
                5,
                [&[0; 8][..], &[0, 0, 0, 0], &[0], &[0], &[0, 0, 0, 0]].concat(),
            ),
        ];
        for (record, kind, bytes) in cases {
            assert_eq!(payload(&record), (kind, bytes.clone()), "{record:?}");
            assert_eq!(record.encoded_len(), 1 + bytes.len(), "{record:?}");
            assert_eq!(Record::decode(kind, &bytes), Ok(record));
        }
    }

    #[test]
    fn undecodable_payloads() {
        let cases: &[(u8, &[u8], DecodeError)] = &[
            (0, b"", DecodeError::UnknownKind(0)),
            (9, b"", DecodeError::UnknownKind(9)),
            (1, &[0; 7], DecodeError::Short("time")),
            (1, &[0; 8], DecodeError::Short("flags")),
            (1, &[0; 9], DecodeError::Short("body format")),
            (1, &[0; 10], DecodeError::UnknownFormat(0)),
            (
                1,
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0],
                DecodeError::Short("grouping key"),
            ),
            (
                3,
                &[1, 0, 0, 0, 9, 0, 0, 0, b'j', b'o', b'b'],
                DecodeError::Short("grouping key"),
            ),
            (
                3,
                &[1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0, 0, 0, 0],
                DecodeError::NotUtf8,
            ),
            // A huge count with nothing behind it reserves nothing and ends early.
            (
                3,
                &[0xff, 0xff, 0xff, 0xff],
                DecodeError::Short("grouping key"),
            ),
            (3, &[0, 0, 0, 0, 1], DecodeError::Trailing(1)),
            (5, &[0; 12], DecodeError::Short("type")),
            (5, &[0; 13], DecodeError::Short("help")),
            (
                5,
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1],
                DecodeError::Short("help"),
            ),
            (5, &[0; 14], DecodeError::Short("name")),
            (
                5,
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0xff],
                DecodeError::NotUtf8,
            ),
            (4, b"xy", DecodeError::Trailing(2)),
        ];
        for (kind, bytes, want) in cases {
            assert_eq!(Record::decode(*kind, bytes), Err(want.clone()), "{bytes:?}");
        }
    }

    #[test]
    fn decode_error_messages() {
        let cases = [
            (DecodeError::UnknownKind(9), "unknown record kind 9"),
            (DecodeError::UnknownFormat(3), "unknown body format 3"),
            (DecodeError::Short("time"), "record ends inside its time"),
            (DecodeError::NotUtf8, "a string is not valid UTF-8"),
            (
                DecodeError::Trailing(2),
                "2 unexpected bytes after the record",
            ),
        ];
        for (error, want) in cases {
            assert_eq!(error.to_string(), want);
        }
    }
}
