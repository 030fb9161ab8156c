//! Shared by the black-box tests of the binary (`persistence`, `expiry`): the real binary on
//! a free loopback port with the flags a test gives, plain HTTP/1.1 requests to it, and a
//! scratch directory. Every wait is bounded; every process is stopped by its PID.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(10);

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

/// Starts the binary with `flags` on a free loopback port and waits for it to say where it
/// listens.
pub fn start(flags: &[String]) -> Gateway {
    let child = Command::new(env!("CARGO_BIN_EXE_pushgateway"))
        .arg("--web.listen-address=127.0.0.1:0")
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
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
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) only sends a signal to the process we started; no memory is shared.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }
}

/// A fresh directory for one test's log.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgrs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}
