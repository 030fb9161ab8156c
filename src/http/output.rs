//! A connection's queue of response bytes not yet written: small pieces (heads, short bodies)
//! are copied into one coalescing buffer, large ones are queued as they are (moved `Vec`s,
//! `&'static` slices, shared `Rc` chunks kept alive until written). Writing gathers the front
//! pieces into `IoSlice`s for one `write_vectored` call at a time.
//!
//! A streamed body ([`BodySource`]) waits in the queue as a piece that holds no bytes yet; it
//! is asked for its next piece only once everything before it is written, so a slow reader
//! never makes it produce ahead, and only a few times per call, so a fast reader of a large
//! body never holds the loop. Its pieces go out chunk-framed (HTTP/1.1) or raw (HTTP/1.0).
//!
//! It never decides what to send, only how to get it out; it never blocks and never writes
//! more than the budget it is given.

use super::message::{Body, BodySource, Chunk};
use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

/// Bodies up to this size are copied next to their head rather than queued as a piece.
const COPY_BYTES_MAX: usize = 4096;
/// A coalescing buffer takes more bytes only while it is below this size.
const COALESCE_BYTES_MAX: usize = 64 * 1024;
/// Slices per `write_vectored` call (well below every system's IOV_MAX).
const SLICES_MAX: usize = 64;
/// Pieces a stream is asked for per `write_to` call: the bound on the work (compression) one
/// connection does per loop turn.
const STREAM_FILLS_PER_WRITE: usize = 16;
/// Ends a chunked body (no trailers).
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// How a streamed body is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamFraming {
    /// `Transfer-Encoding: chunked`: each piece a chunk, then the last chunk.
    Chunked,
    /// The pieces as they are; closing the connection ends the body (HTTP/1.0).
    Raw,
}

#[derive(Debug)]
enum Piece {
    Owned(Vec<u8>),
    Static(&'static [u8]),
    Shared(Chunk),
    /// The rest of a streamed body, not produced yet.
    Stream(Box<dyn BodySource>, StreamFraming),
}

impl Piece {
    fn bytes(&self) -> &[u8] {
        match self {
            Piece::Owned(v) => v,
            Piece::Static(s) => s,
            Piece::Shared(c) => c.as_slice(),
            Piece::Stream(..) => &[],
        }
    }
}

/// How one call to [`Output::write_to`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub bytes: usize,
    /// The socket would block: wait for writable readiness.
    pub blocked: bool,
}

#[derive(Debug, Default)]
pub struct Output {
    /// Invariant: no piece is empty, except an `Owned` tail being filled by `push_with()`,
    /// and `Stream` pieces, which hold no bytes until they are produced.
    pieces: VecDeque<Piece>,
    /// Bytes of the front piece already written.
    front_written: usize,
    /// Bytes queued and not yet written, over all pieces.
    pending_bytes: usize,
    /// `Stream` pieces in the queue.
    streams: usize,
}

impl Output {
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.pending_bytes == 0 && self.streams == 0
    }

    /// More is queued than a connection may hold before it stops taking pipelined requests: over
    /// `pending_output_bytes_max` bytes, or a stream whose size nobody knows yet.
    pub fn is_backlogged(&self, pending_output_bytes_max: usize) -> bool {
        self.pending_bytes > pending_output_bytes_max || self.streams > 0
    }

    /// Appends bytes produced by `fill` (e.g. a response head) to the coalescing buffer.
    pub fn push_with(&mut self, fill: impl FnOnce(&mut Vec<u8>)) {
        let coalesce =
            matches!(self.pieces.back(), Some(Piece::Owned(v)) if v.len() < COALESCE_BYTES_MAX);
        if !coalesce {
            // Room for a typical response head and short body, which are written piece by piece.
            self.pieces.push_back(Piece::Owned(Vec::with_capacity(256)));
        }
        if let Some(Piece::Owned(tail)) = self.pieces.back_mut() {
            let before = tail.len();
            fill(tail);
            self.pending_bytes += tail.len() - before;
            if tail.is_empty() {
                self.pieces.pop_back();
            }
        }
    }

    pub fn push_static(&mut self, bytes: &'static [u8]) {
        if bytes.len() <= COPY_BYTES_MAX {
            self.push_with(|out| out.extend_from_slice(bytes));
        } else {
            self.pending_bytes += bytes.len();
            self.pieces.push_back(Piece::Static(bytes));
        }
    }

    pub fn push_body(&mut self, body: Body) {
        match body {
            Body::Empty => {}
            Body::Static(bytes) => self.push_static(bytes),
            Body::Bytes(bytes) if bytes.len() <= COPY_BYTES_MAX => {
                self.push_with(|out| out.extend_from_slice(&bytes));
            }
            Body::Bytes(bytes) => {
                self.pending_bytes += bytes.len();
                self.pieces.push_back(Piece::Owned(bytes));
            }
            Body::Chunks(chunks) => {
                for chunk in chunks.into_iter().filter(|c| !c.as_slice().is_empty()) {
                    self.pending_bytes += chunk.as_slice().len();
                    self.pieces.push_back(Piece::Shared(chunk));
                }
            }
            Body::Stream(_) => panic!("a streamed body needs its framing: use push_stream"),
        }
    }

    /// Queues a streamed body whose first piece, `first`, is already produced.
    pub fn push_stream(
        &mut self,
        source: Box<dyn BodySource>,
        framing: StreamFraming,
        first: Vec<u8>,
    ) {
        self.push_produced(framing, first, |pieces, piece| pieces.push_back(piece));
        self.streams += 1;
        self.pieces.push_back(Piece::Stream(source, framing));
    }

    /// Queues a produced piece of a stream with its framing, through `put` (front or back).
    fn push_produced(
        &mut self,
        framing: StreamFraming,
        bytes: Vec<u8>,
        mut put: impl FnMut(&mut VecDeque<Piece>, Piece),
    ) {
        if bytes.is_empty() {
            return;
        }
        let framed = match framing {
            StreamFraming::Raw => [Some(Piece::Owned(bytes)), None, None],
            StreamFraming::Chunked => [
                Some(Piece::Owned(format!("{:x}\r\n", bytes.len()).into_bytes())),
                Some(Piece::Owned(bytes)),
                Some(Piece::Static(b"\r\n")),
            ],
        };
        for piece in framed.into_iter().flatten() {
            self.pending_bytes += piece.bytes().len();
            put(&mut self.pieces, piece);
        }
    }

    /// Asks the stream at the front for its next piece and queues it in front of the stream,
    /// or in its place with the end of the body when it is complete.
    fn produce(&mut self) {
        let Some(Piece::Stream(mut source, framing)) = self.pieces.pop_front() else {
            panic!("produce() without a stream at the front");
        };
        assert_eq!(
            self.front_written, 0,
            "a stream piece is never partly written"
        );
        let mut bytes = Vec::new();
        let done = source.fill(&mut bytes);
        // Pushed at the front in reverse order: [piece] [last chunk | the stream again].
        if done {
            self.streams -= 1;
            if framing == StreamFraming::Chunked {
                self.pending_bytes += LAST_CHUNK.len();
                self.pieces.push_front(Piece::Static(LAST_CHUNK));
            }
        } else {
            self.pieces.push_front(Piece::Stream(source, framing));
        }
        let mut produced = Vec::with_capacity(3);
        self.push_produced(framing, bytes, |_, piece| produced.push(piece));
        for piece in produced.into_iter().rev() {
            self.pieces.push_front(piece);
        }
    }

    /// Writes queued bytes until the writer would block, the queue is empty, or about
    /// `budget_bytes` were written. Any error but `WouldBlock` and `Interrupted` is returned.
    pub fn write_to(
        &mut self,
        writer: &mut impl Write,
        budget_bytes: usize,
    ) -> io::Result<Written> {
        let mut written = Written {
            bytes: 0,
            blocked: false,
        };
        let mut fills = 0;
        while !self.is_empty() && written.bytes < budget_bytes {
            if let Some(Piece::Stream(..)) = self.pieces.front() {
                if fills == STREAM_FILLS_PER_WRITE {
                    break;
                }
                fills += 1;
                self.produce();
                continue;
            }
            let result = {
                let mut slices = [IoSlice::new(&[]); SLICES_MAX];
                let mut count = 0;
                let ready = self
                    .pieces
                    .iter()
                    .take(SLICES_MAX)
                    .take_while(|p| !matches!(p, Piece::Stream(..)));
                for (i, piece) in ready.enumerate() {
                    let skip = if i == 0 { self.front_written } else { 0 };
                    slices[i] = IoSlice::new(&piece.bytes()[skip..]);
                    count = i + 1;
                }
                writer.write_vectored(&slices[..count])
            };
            match result {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.advance(n);
                    written.bytes += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    written.blocked = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }

    fn advance(&mut self, mut n: usize) {
        assert!(
            n <= self.pending_bytes,
            "wrote {n} of {} pending",
            self.pending_bytes
        );
        self.pending_bytes -= n;
        while n > 0 {
            let Some(front) = self.pieces.front() else {
                break;
            };
            let left = front.bytes().len() - self.front_written;
            if n < left {
                self.front_written += n;
                return;
            }
            n -= left;
            self.front_written = 0;
            self.pieces.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// A writer that takes at most `per_call` bytes per call and blocks after `capacity`.
    struct Throttled {
        taken: Vec<u8>,
        per_call: usize,
        capacity: usize,
    }

    impl Write for Throttled {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let room = self.capacity - self.taken.len();
            if room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut n = 0;
            for buf in bufs {
                let take = buf.len().min(self.per_call - n).min(room - n);
                self.taken.extend_from_slice(&buf[..take]);
                n += take;
            }
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn queue() -> (Output, Vec<u8>) {
        let shared: Rc<[u8]> = Rc::from(&b"0123456789"[..]);
        let big = vec![b'b'; COPY_BYTES_MAX + 1];
        let mut output = Output::default();
        let mut want = Vec::new();
        output.push_with(|out| out.extend_from_slice(b"HEAD1\r\n"));
        output.push_body(Body::Static(b"static"));
        output.push_body(Body::Bytes(big.clone()));
        output.push_with(|out| out.extend_from_slice(b"HEAD2\r\n"));
        output.push_body(Body::Chunks(vec![
            Chunk::whole(shared.clone()),
            Chunk {
                buf: shared.clone(),
                start: 3,
                end: 3,
            },
            Chunk {
                buf: shared,
                start: 2,
                end: 5,
            },
        ]));
        output.push_body(Body::Empty);
        output.push_static(b"");
        for part in [&b"HEAD1\r\nstatic"[..], &big, b"HEAD2\r\n0123456789234"] {
            want.extend_from_slice(part);
        }
        (output, want)
    }

    #[test]
    fn writes_everything_in_order_through_any_writer() {
        for per_call in [1, 2, 7, 100, 10_000] {
            let (mut output, want) = queue();
            assert_eq!(output.pending_bytes(), want.len());
            let mut writer = Throttled {
                taken: Vec::new(),
                per_call,
                capacity: usize::MAX,
            };
            let mut calls = 0;
            while !output.is_empty() {
                let written = output.write_to(&mut writer, 3).unwrap();
                assert!(written.bytes >= 1 && !written.blocked);
                calls += 1;
                assert!(calls <= want.len(), "no progress");
            }
            assert_eq!(writer.taken, want, "per_call {per_call}");
            assert_eq!(output.pieces.len(), 0);
        }
    }

    #[test]
    fn stops_when_the_writer_blocks_and_resumes() {
        let (mut output, want) = queue();
        let mut writer = Throttled {
            taken: Vec::new(),
            per_call: 5,
            capacity: 9,
        };
        let written = output.write_to(&mut writer, usize::MAX).unwrap();
        assert_eq!(
            written,
            Written {
                bytes: 9,
                blocked: true
            }
        );
        assert_eq!(output.pending_bytes(), want.len() - 9);
        writer.capacity = usize::MAX;
        let written = output.write_to(&mut writer, usize::MAX).unwrap();
        assert_eq!(
            written,
            Written {
                bytes: want.len() - 9,
                blocked: false
            }
        );
        assert_eq!(writer.taken, want);
    }

    #[test]
    fn small_pieces_are_coalesced() {
        let mut output = Output::default();
        for _ in 0..100 {
            output.push_with(|out| out.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n"));
            output.push_body(Body::Bytes(b"ok".to_vec()));
        }
        assert_eq!(output.pieces.len(), 1);
        assert_eq!(output.pending_bytes(), 2100);
    }

    /// Hands out the given pieces, one per fill, and counts the fills.
    struct Pieces {
        pieces: VecDeque<&'static [u8]>,
        fills: Rc<std::cell::Cell<usize>>,
    }

    impl BodySource for Pieces {
        fn fill(&mut self, out: &mut Vec<u8>) -> bool {
            self.fills.set(self.fills.get() + 1);
            if let Some(piece) = self.pieces.pop_front() {
                out.extend_from_slice(piece);
            }
            self.pieces.is_empty()
        }
    }

    fn pieces(pieces: &[&'static [u8]]) -> (Box<dyn BodySource>, Rc<std::cell::Cell<usize>>) {
        let fills = Rc::new(std::cell::Cell::new(0));
        let source = Pieces {
            pieces: pieces.iter().copied().collect(),
            fills: fills.clone(),
        };
        (Box::new(source), fills)
    }

    fn drain(output: &mut Output, per_call: usize) -> Vec<u8> {
        let mut writer = Throttled {
            taken: Vec::new(),
            per_call,
            capacity: usize::MAX,
        };
        for _ in 0..10_000 {
            if output.is_empty() {
                return writer.taken;
            }
            output.write_to(&mut writer, 5).unwrap();
        }
        panic!("no end");
    }

    #[test]
    fn streams_are_framed_and_followed_by_what_comes_after() {
        type Case = (StreamFraming, &'static [&'static [u8]], &'static str);
        let cases: &[Case] = &[
            (
                StreamFraming::Chunked,
                &[b"abc", b"", b"0123456789abcdefg", b""],
                "H|first|5\r\nfirst\r\n3\r\nabc\r\n11\r\n0123456789abcdefg\r\n0\r\n\r\nNEXT",
            ),
            (
                StreamFraming::Chunked,
                &[b""],
                "H|first|5\r\nfirst\r\n0\r\n\r\nNEXT",
            ),
            (
                StreamFraming::Raw,
                &[b"abc", b"", b"def"],
                "H|first|firstabcdefNEXT",
            ),
        ];
        for (framing, parts, want) in cases {
            for per_call in [1, 3, 1000] {
                let mut output = Output::default();
                output.push_with(|out| out.extend_from_slice(b"H|first|"));
                let (source, _) = pieces(parts);
                output.push_stream(source, *framing, b"first".to_vec());
                assert!(output.is_backlogged(usize::MAX));
                output.push_with(|out| out.extend_from_slice(b"NEXT"));
                let got = drain(&mut output, per_call);
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    *want,
                    "{framing:?} {per_call}"
                );
                assert!(!output.is_backlogged(0));
            }
        }
    }

    #[test]
    fn a_stream_produces_only_when_everything_before_it_is_written() {
        let mut output = Output::default();
        output.push_with(|out| out.extend_from_slice(b"HEAD"));
        let (source, fills) = pieces(&[b"one", b"two", b"three"]);
        output.push_stream(source, StreamFraming::Raw, Vec::new());
        // The reader takes nothing: nothing is produced.
        let mut stuck = Throttled {
            taken: Vec::new(),
            per_call: 100,
            capacity: 2,
        };
        let written = output.write_to(&mut stuck, usize::MAX).unwrap();
        assert_eq!((written.bytes, written.blocked, fills.get()), (2, true, 0));
        // Room for the head and a little: one piece produced, and it waits.
        stuck.capacity = 6;
        let written = output.write_to(&mut stuck, usize::MAX).unwrap();
        assert_eq!((written.bytes, written.blocked, fills.get()), (4, true, 1));
        assert_eq!(output.pending_bytes(), 1);
    }

    #[test]
    fn a_fast_reader_gets_a_bounded_number_of_pieces_per_call() {
        let parts: Vec<&'static [u8]> = vec![b"x"; 3 * STREAM_FILLS_PER_WRITE];
        let (source, fills) = pieces(&parts);
        let mut output = Output::default();
        output.push_stream(source, StreamFraming::Chunked, Vec::new());
        let mut writer = Throttled {
            taken: Vec::new(),
            per_call: usize::MAX,
            capacity: usize::MAX,
        };
        let written = output.write_to(&mut writer, usize::MAX).unwrap();
        assert!(!written.blocked);
        assert_eq!(fills.get(), STREAM_FILLS_PER_WRITE);
        assert!(!output.is_empty());
        while !output.is_empty() {
            output.write_to(&mut writer, usize::MAX).unwrap();
        }
        assert_eq!(fills.get(), parts.len());
        let want = "1\r\nx\r\n".repeat(parts.len()) + "0\r\n\r\n";
        assert_eq!(String::from_utf8(writer.taken).unwrap(), want);
    }
}
