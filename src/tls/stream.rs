//! One TLS connection over a non-blocking socket: a rustls `ServerConnection` driven by the
//! connection's reads and writes, so it needs no thread of its own.
//!
//! Reading pulls TLS records off the socket, and answers handshake messages at once (those
//! bytes carry no response, so the group-commit rule does not hold them back). Writing
//! encrypts into rustls's buffer and sends what the socket takes; what it does not take waits
//! in [`TlsStream::send_pending`] for writable readiness. A peer that stalls its handshake
//! costs only its own connection; one that sends garbage gets an alert and is closed.

use rustls::ServerConnection;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;

use mio::net::TcpStream;

/// What Go's `net/http` answers on a TLS port to a request in plain HTTP.
const PLAIN_HTTP_REPLY: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
/// How many first bytes are kept to recognise a plain-HTTP request.
const SNIFF_BYTES: usize = 5;

#[derive(Debug)]
pub struct TlsStream {
    socket: TcpStream,
    session: ServerConnection,
    /// The first bytes the peer sent (to tell plain HTTP from garbage) and how many there are.
    first: [u8; SNIFF_BYTES],
    first_len: usize,
    /// The socket reported end of input.
    eof: bool,
}

impl TlsStream {
    pub fn new(socket: TcpStream, session: ServerConnection) -> TlsStream {
        TlsStream {
            socket,
            session,
            first: [0; SNIFF_BYTES],
            first_len: 0,
            eof: false,
        }
    }

    pub fn socket_mut(&mut self) -> &mut TcpStream {
        &mut self.socket
    }

    pub fn is_handshaking(&self) -> bool {
        self.session.is_handshaking()
    }

    /// Encrypted bytes wait for the socket.
    pub fn has_pending(&self) -> bool {
        self.session.wants_write()
    }

    /// Sends what rustls has ready; `WouldBlock` when the socket took less than all of it.
    pub fn send_pending(&mut self) -> io::Result<()> {
        while self.session.wants_write() {
            if self.session.write_tls(&mut self.socket)? == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    /// Sends `close_notify` (as far as the socket takes it now), then shuts the write side.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        self.session.send_close_notify();
        match self.send_pending() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        self.socket.shutdown(Shutdown::Write)
    }

    /// Reads TLS bytes into the session; `Ok(false)` at end of input.
    fn receive(&mut self) -> io::Result<bool> {
        let n = self.session.read_tls(&mut Sniffing {
            socket: &mut self.socket,
            first: &mut self.first,
            first_len: &mut self.first_len,
        })?;
        if let Err(error) = self.session.process_new_packets() {
            if looks_like_http(&self.first[..self.first_len]) {
                // A fresh socket's buffer is empty: one small write cannot block.
                let _ = self.socket.write(PLAIN_HTTP_REPLY);
            } else {
                // The alert rustls queued for this error, as far as the socket takes it.
                let _ = self.send_pending();
            }
            return Err(io::Error::new(io::ErrorKind::InvalidData, error));
        }
        // Handshake replies go out at once; a full socket keeps the rest for `send_pending`.
        match self.send_pending() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        Ok(n > 0)
    }
}

/// Go's test for "an HTTP request on a TLS port": the first five bytes begin a request line.
fn looks_like_http(first: &[u8]) -> bool {
    matches!(first, b"GET /" | b"HEAD " | b"POST " | b"PUT /" | b"OPTIO")
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.session.reader().read(buf) {
                Ok(n) => return Ok(n),
                // The peer closed without `close_notify`: for HTTP that is an ordinary end.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self.eof {
                return Ok(0);
            }
            self.eof = !self.receive()?;
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    /// Takes what rustls's buffer has room for once earlier records are sent; `WouldBlock`
    /// while they cannot be.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.send_pending()?;
        let n = self.session.writer().write_vectored(bufs)?;
        match self.send_pending() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending()
    }
}

/// The socket as rustls reads it, keeping the first bytes of the connection.
struct Sniffing<'a> {
    socket: &'a mut TcpStream,
    first: &'a mut [u8; SNIFF_BYTES],
    first_len: &'a mut usize,
}

impl Read for Sniffing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.socket.read(buf)?;
        let take = (SNIFF_BYTES - *self.first_len).min(n);
        self.first[*self.first_len..*self.first_len + take].copy_from_slice(&buf[..take]);
        *self.first_len += take;
        Ok(n)
    }
}
