//! Shared by the black-box tests of the binary (`persistence`, `expiry`): the real binary on
//! a free loopback port with the flags a test gives, plain HTTP/1.1 requests to it (one per
//! connection, or keep-alive with [`Client`]), and a scratch directory. Every wait is bounded;
//! every process is stopped by its PID.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Gateway {
    pub child: Child,
    pub port: u16,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(flags: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pushgateway"));
    command
        .arg("--web.listen-address=127.0.0.1:0")
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SIGHUP as a terminal would send it: the default action, even when the tests themselves
    // run under `nohup` (which ignores it, and an ignored signal stays ignored across exec).
    // SAFETY: signal(2) is async-signal-safe, as code between fork and exec must be.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
            Ok(())
        });
    }
    command
}

/// Starts the binary with `flags` and waits until it is ready (its log, if any, replayed).
pub fn start(flags: &[String]) -> Gateway {
    let gateway = spawn(flags);
    let deadline = Instant::now() + WAIT;
    while gateway.request("GET", "/-/ready", "").0 != 200 {
        assert!(Instant::now() < deadline, "the server never got ready");
        thread::sleep(Duration::from_millis(5));
    }
    gateway
}

/// Runs the binary with `flags` to its exit (bounded); returns the exit code and its log.
pub fn run_to_exit(flags: &[String]) -> (Option<i32>, String) {
    let mut child = command(flags)
        .spawn()
        .expect("start the pushgateway binary");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().expect("stderr is piped");
    pipe.read_to_string(&mut stderr).unwrap();
    (status.code(), stderr)
}

/// Starts the binary with `flags` on a free loopback port and waits for it to say where it
/// listens; a log may still be replaying.
pub fn spawn(flags: &[String]) -> Gateway {
    let child = command(flags)
        .spawn()
        .expect("start the pushgateway binary");
    // Owned by a Gateway at once, so that a failed start still stops the process.
    let mut gateway = Gateway { child, port: 0 };
    let stderr = gateway.child.stderr.take().expect("stderr is piped");
    let (lines, seen) = mpsc::channel();
    // Drains stderr for the child's whole life, so that it never blocks on a full pipe.
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    loop {
        let line = seen
            .recv_timeout(WAIT)
            .expect("the server logs its address");
        if let Some(address) = line.split(" address=").nth(1) {
            let port = address.rsplit(':').next().and_then(|p| p.parse().ok());
            gateway.port = port.expect("a port in the listening line");
            return gateway;
        }
    }
}

impl Gateway {
    pub fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("a whole reply");
        let status = reply[9..12].parse().expect("a status code");
        let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_string())
    }

    /// The exposition's lines of group `job`, bookkeeping times included.
    pub fn lines_of(&self, job: &str) -> Vec<String> {
        let (status, text) = self.request("GET", "/metrics", "");
        assert_eq!(status, 200);
        let label = format!("job=\"{job}\"");
        text.lines()
            .filter(|l| l.contains(&label))
            .map(str::to_string)
            .collect()
    }

    pub fn sigterm(&mut self) {
        self.signal(libc::SIGTERM);
    }

    pub fn signal(&mut self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) only sends a signal to the process we started; no memory is shared.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }
}

/// A keep-alive HTTP/1.1 client that reads `Content-Length` replies.
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(WAIT))?;
        Ok(Client {
            reader: BufReader::new(stream),
        })
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
        close: bool,
    ) -> std::io::Result<(u16, String)> {
        let connection = if close { "close" } else { "keep-alive" };
        write!(
            self.reader.get_mut(),
            "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: {connection}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status = status_line
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or(std::io::ErrorKind::InvalidData)?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value
                        .trim()
                        .parse()
                        .map_err(|_| std::io::ErrorKind::InvalidData)?;
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// A fresh directory for one test's log.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgrs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}
