//! A connection's queue of response bytes not yet written: small pieces (heads, short bodies)
//! are copied into one coalescing buffer, large ones are queued as they are (moved `Vec`s,
//! `&'static` slices, shared `Rc` chunks kept alive until written). Writing gathers the front
//! pieces into `IoSlice`s for one `write_vectored` call at a time.
//!
//! It never decides what to send, only how to get it out; it never blocks and never writes
//! more than the budget it is given.

use super::message::{Body, Chunk};
use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

/// Bodies up to this size are copied next to their head rather than queued as a piece.
const COPY_BYTES_MAX: usize = 4096;
/// A coalescing buffer takes more bytes only while it is below this size.
const COALESCE_BYTES_MAX: usize = 64 * 1024;
/// Slices per `write_vectored` call (well below every system's IOV_MAX).
const SLICES_MAX: usize = 64;

#[derive(Debug)]
enum Piece {
    Owned(Vec<u8>),
    Static(&'static [u8]),
    Shared(Chunk),
}

impl Piece {
    fn bytes(&self) -> &[u8] {
        match self {
            Piece::Owned(v) => v,
            Piece::Static(s) => s,
            Piece::Shared(c) => c.as_slice(),
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
    /// Invariant: no piece is empty, except an `Owned` tail being filled by `tail()`.
    pieces: VecDeque<Piece>,
    /// Bytes of the front piece already written.
    front_written: usize,
    /// Bytes queued and not yet written, over all pieces.
    pending_bytes: usize,
}

impl Output {
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.pending_bytes == 0
    }

    /// Appends bytes produced by `fill` (e.g. a response head) to the coalescing buffer.
    pub fn push_with(&mut self, fill: impl FnOnce(&mut Vec<u8>)) {
        let coalesce =
            matches!(self.pieces.back(), Some(Piece::Owned(v)) if v.len() < COALESCE_BYTES_MAX);
        if !coalesce {
            self.pieces.push_back(Piece::Owned(Vec::new()));
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
        while !self.is_empty() && written.bytes < budget_bytes {
            let result = {
                let mut slices = [IoSlice::new(&[]); SLICES_MAX];
                let mut count = 0;
                for (i, piece) in self.pieces.iter().take(SLICES_MAX).enumerate() {
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
}
