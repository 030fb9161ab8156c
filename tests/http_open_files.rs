//! Running out of file descriptors: accept fails with EMFILE while slots are free. The server
//! must neither spin on the still-readable listener nor give up on the waiting client: it
//! retries at its next tick. Its own test binary, because it lowers the process's fd limit.

mod http_support;

use http_support::{start, Client};
use pushgateway::limits::Limits;
use std::fs::File;
use std::thread;
use std::time::Duration;

#[test]
fn accepting_resumes_after_file_descriptors_run_out() {
    let limit = libc::rlimit {
        rlim_cur: 256,
        rlim_max: 256,
    };
    // SAFETY: setrlimit only reads the `rlimit` behind a pointer to a live local.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    let server = start(Limits::default());

    // Take every free descriptor, then give one back for the client's own socket.
    let mut hogs = Vec::new();
    while let Ok(file) = File::open("/dev/null") {
        hogs.push(file);
        assert!(hogs.len() <= 256, "the fd limit did not hold");
    }
    hogs.pop();
    let mut client = Client::connect(server.addr);
    client.send(b"GET /waiting HTTP/1.1\r\nHost: t\r\n\r\n");
    // The server cannot accept now; give it a tick or two to try and fail.
    thread::sleep(Duration::from_millis(1500));
    hogs.clear();
    assert_eq!(client.response().text(), "GET /waiting v1 0\n");
    drop(client);
    server.stop();
}
