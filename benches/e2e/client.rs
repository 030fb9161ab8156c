//! A blocking HTTP/1.1 client for single requests: readiness probes, scrapes (the whole body
//! read and counted, never kept) and one-off pushes.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const READ_BUFFER_BYTES: usize = 256 << 10;
const IO_TIMEOUT: Duration = Duration::from_secs(600);

/// One answered request.
pub struct Answer {
    pub status: u16,
    /// Body bytes as they came over the wire (compressed, when compressed).
    pub body_bytes: usize,
    /// From the first byte sent to the last byte received.
    pub elapsed: Duration,
}

/// Whether `GET /-/ready` answers 200 right now.
pub fn ready(addr: SocketAddr) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut conn = BufReader::new(stream);
    matches!(send(&mut conn, b"GET /-/ready HTTP/1.1\r\nHost: bench\r\n\r\n"), Ok(a) if a.status == 200)
}

/// Sends one whole request (see `bodies::request`) on a new connection.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let stream = TcpStream::connect(addr).expect("the server accepts");
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut conn = BufReader::with_capacity(READ_BUFFER_BYTES, stream);
    send(&mut conn, request).expect("the server answers")
}

fn send(conn: &mut BufReader<TcpStream>, request: &[u8]) -> io::Result<Answer> {
    let started = Instant::now();
    conn.get_mut().write_all(request)?;
    let mut line = String::new();
    conn.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no status line: {line:?}")))?;
    let (mut length, mut chunked) = (0u64, false);
    loop {
        line.clear();
        conn.read_line(&mut line)?;
        let l = line.trim_end().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse().map_err(io::Error::other)?;
        }
        chunked |= l == "transfer-encoding: chunked";
    }
    let body_bytes = if chunked {
        let mut total = 0;
        loop {
            line.clear();
            conn.read_line(&mut line)?;
            let size = u64::from_str_radix(line.trim(), 16).map_err(io::Error::other)?;
            skip(conn, size + 2)?;
            total += size;
            if size == 0 {
                break total;
            }
        }
    } else {
        skip(conn, length)?;
        length
    };
    Ok(Answer {
        status,
        body_bytes: body_bytes as usize,
        elapsed: started.elapsed(),
    })
}

fn skip(conn: &mut BufReader<TcpStream>, bytes: u64) -> io::Result<()> {
    let copied = io::copy(&mut conn.by_ref().take(bytes), &mut io::sink())?;
    if copied < bytes {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}
