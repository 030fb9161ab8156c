//! The servers under test as processes: started pinned to the servers' core with `taskset`,
//! waited for until `/-/ready` answers 200, stopped with SIGTERM (upstream writes its
//! persistence file then), and their resident memory read from `/proc`.

use crate::client;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const UPSTREAM_BIN: &str = "/usr/bin/prometheus-pushgateway";
/// The core the servers (and the trivial server) run on; the load runs on the other.
pub const SERVER_CPU: usize = 0;
pub const LOAD_CPU: usize = 1;
const READY_TIMEOUT: Duration = Duration::from_secs(300);
const STOP_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ours,
    Upstream,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "ours",
            Kind::Upstream => "upstream",
        }
    }

    pub fn binary(self) -> PathBuf {
        match self {
            Kind::Ours => PathBuf::from(env!("CARGO_BIN_EXE_pushgateway")),
            Kind::Upstream => PathBuf::from(UPSTREAM_BIN),
        }
    }
}

pub struct Server {
    pub addr: SocketAddr,
    child: Child,
}

/// Starts a server with `persistence` (empty: none) and waits until it is ready; returns it
/// and the time from spawning to the first 200 from `/-/ready`. `unchecked` passes
/// `--push.disable-consistency-check` (used only to preload upstream).
pub fn start(kind: Kind, persistence: &Path, unchecked: bool) -> (Server, Duration) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut command = Command::new("taskset");
    command
        .arg("-c")
        .arg(SERVER_CPU.to_string())
        .arg(kind.binary())
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--persistence.file={}", persistence.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if unchecked {
        command.arg("--push.disable-consistency-check");
    }
    let started = Instant::now();
    let child = command.spawn().expect("taskset and the server binary run");
    let mut server = Server { addr, child };
    while !client::ready(addr) {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("{} exited before it was ready: {status}", kind.name());
        }
        assert!(
            started.elapsed() < READY_TIMEOUT,
            "{} did not get ready",
            kind.name()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    (server, started.elapsed())
}

impl Server {
    /// Resident memory in bytes (`VmRSS`).
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server runs");
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kb * 1024
    }

    /// Where [`cpu_seconds`] finds the process's threads.
    pub fn schedstat(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/task", self.child.id()))
    }

    /// SIGTERM, and wait for the exit (upstream saves its persistence file on the way out);
    /// SIGKILL if that takes too long.
    pub fn stop(mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on the PID of our own child, which has not been waited for yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// CPU seconds a thread has run, from its `/proc/…/schedstat` (nanoseconds, not the clock
/// ticks of `stat`, which are too coarse for microseconds per request); given a process's
/// `/proc/PID/task`, the sum over its threads (upstream's Go runtime runs several).
pub fn cpu_seconds(schedstat: &Path) -> f64 {
    if schedstat.is_dir() {
        let threads = std::fs::read_dir(schedstat).expect("the process runs");
        return threads
            .filter_map(Result::ok)
            .map(|t| cpu_seconds(&t.path().join("schedstat")))
            .sum();
    }
    // A thread that ended since the directory was listed ran for no more time.
    let Ok(text) = std::fs::read_to_string(schedstat) else {
        return 0.0;
    };
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("time on CPU in schedstat");
    ns as f64 / 1e9
}

/// The size of `binary` as shipped: stripped of symbols (`cargo bench` rebuilds our binary
/// with them, for profiles). Stripped with binutils' `strip` into `scratch`; the size as found
/// when that fails.
pub fn stripped_size(binary: &Path, scratch: &Path) -> u64 {
    let stripped = Command::new("strip")
        .arg("-o")
        .arg(scratch)
        .arg(binary)
        .status()
        .is_ok_and(|s| s.success());
    let path = if stripped { scratch } else { binary };
    std::fs::metadata(path).expect("the binary exists").len()
}

/// Pins the calling thread (and threads it starts later) to one core.
pub fn pin_this_thread(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes inside it; pid 0 is this
    // thread, and the size passed is the set's own.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let rc = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        assert_eq!(rc, 0, "sched_setaffinity to CPU {cpu}");
    }
}
