//! The binary with `--persistence.file`, as an operator sees it: a push acknowledged before a
//! `kill -9` is there after a restart, and so is one acknowledged before a graceful SIGTERM.
//! Every wait is bounded; every process is stopped by its PID.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

struct Gateway {
    child: Child,
    port: u16,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free loopback port and waits for it to say where it listens.
fn start(log: &Path) -> Gateway {
    let child = Command::new(env!("CARGO_BIN_EXE_pushgateway"))
        .arg("--web.listen-address=127.0.0.1:0")
        .arg(format!("--persistence.file={}", log.display()))
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
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
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
    fn lines_of(&self, job: &str) -> Vec<String> {
        let (status, text) = self.request("GET", "/metrics", "");
        assert_eq!(status, 200);
        let label = format!("job=\"{job}\"");
        text.lines()
            .filter(|l| l.contains(&label))
            .map(str::to_string)
            .collect()
    }

    fn sigterm(&mut self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) only sends a signal to the process we started; no memory is shared.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }
}

/// A fresh directory for one test's log.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgrs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

#[test]
fn an_acknowledged_push_survives_kill_9() {
    let dir = scratch("kill-9");
    let log = dir.join("log");
    let mut gateway = start(&log);
    let body = "# TYPE a counter\na{x=\"1\"} 1\n";
    assert_eq!(gateway.request("PUT", "/metrics/job/j", body).0, 200);
    let before = gateway.lines_of("j");
    assert_eq!(before.len(), 3, "{before:?}");
    gateway.child.kill().expect("SIGKILL");
    gateway.child.wait().unwrap();
    drop(gateway);

    let restarted = start(&log);
    assert_eq!(restarted.lines_of("j"), before);
    drop(restarted);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_graceful_stop_and_restart_keeps_the_store() {
    let dir = scratch("sigterm");
    let log = dir.join("log");
    let mut gateway = start(&log);
    assert_eq!(gateway.request("PUT", "/metrics/job/k", "b 2\n").0, 200);
    assert_eq!(gateway.request("DELETE", "/metrics/job/k", "").0, 202);
    assert_eq!(gateway.request("POST", "/metrics/job/k", "c 3\n").0, 200);
    let before = gateway.lines_of("k");
    gateway.sigterm();
    let status = gateway.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    drop(gateway);

    let restarted = start(&log);
    let after = restarted.lines_of("k");
    assert_eq!(after, before);
    assert!(after.iter().all(|l| !l.starts_with("b{")), "{after:?}");
    drop(restarted);
    std::fs::remove_dir_all(&dir).unwrap();
}
