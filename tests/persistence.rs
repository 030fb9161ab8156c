//! The binary with `--persistence.file`, as an operator sees it: a push acknowledged before a
//! `kill -9` is there after a restart, and so is one acknowledged before a graceful SIGTERM.
//! Every wait is bounded; every process is stopped by its PID.

mod gateway_support;

use gateway_support::{scratch, Gateway};
use std::path::Path;

fn start(log: &Path) -> Gateway {
    gateway_support::start(&[format!("--persistence.file={}", log.display())])
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
