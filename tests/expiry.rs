//! `--push.group-ttl` as an operator sees it, on the real binary with short real TTLs: a group
//! goes once its last successful push is a TTL old, and never earlier (each wait checks the
//! time since the push that should have kept it); pushes keep it, failed pushes do not; an
//! expiry survives a restart, and groups past their TTL at a restart are gone before the first
//! request. Without the flag nothing of it shows. Waits are bounded; assertions never depend
//! on the machine being fast, only on it not being early.

mod gateway_support;

use gateway_support::{scratch, start, Gateway};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(1);
/// The longest any test waits for an expiry that is due.
const EXPIRY_WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);
const COUNTER: &str = "pushgateway_groups_expired_total";
/// Rejected by the store (pushed timestamps): a failed push.
const FAILING: &str = "f 1 1700000000000\n";

fn ttl_flag(ttl: &str) -> String {
    format!("--push.group-ttl={ttl}")
}

fn log_flag(log: &Path) -> String {
    format!("--persistence.file={}", log.display())
}

/// `push_time_seconds` of group `{job="job"}`, if the group exists.
fn push_time(gateway: &Gateway, job: &str) -> Option<f64> {
    let prefix = format!("push_time_seconds{{instance=\"\",job=\"{job}\"}} ");
    let (status, text) = gateway.request("GET", "/metrics", "");
    assert_eq!(status, 200);
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(|v| v.parse().expect("a number"))
}

/// The value of an unlabelled own series, if it is exposed.
fn own_value(gateway: &Gateway, name: &str) -> Option<f64> {
    let (_, text) = gateway.request("GET", "/metrics", "");
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(|v| v.parse().expect("a number"))
}

/// Polls until `done`, for at most `EXPIRY_WAIT`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < EXPIRY_WAIT,
            "waited too long for {what}"
        );
        thread::sleep(POLL);
    }
}

/// Waits until the successfully pushed group `job` is gone (absent, or only a failure-created
/// group with no successful push left under its key), and checks it did not go before `TTL`
/// had passed since `pushed`, the moment before its last successful push was sent.
fn wait_expired(gateway: &Gateway, job: &str, pushed: Instant) {
    wait_until(job, || push_time(gateway, job).is_none_or(|t| t == 0.0));
    let age = pushed.elapsed();
    assert!(age >= TTL, "{job} expired {age:?} after its last push");
}

#[test]
fn a_group_expires_once_its_last_push_is_a_ttl_old() {
    let gateway = start(&[ttl_flag("1s")]);
    assert_eq!(own_value(&gateway, COUNTER), Some(0.0));
    let pushed = Instant::now();
    assert_eq!(gateway.request("PUT", "/metrics/job/a", "x 1\n").0, 200);
    wait_expired(&gateway, "a", pushed);
    assert_eq!(own_value(&gateway, COUNTER), Some(1.0));
    // Gone everywhere: the exposition, the JSON API and the UI.
    let (_, api) = gateway.request("GET", "/api/v1/metrics", "");
    assert_eq!(api, r#"{"status":"success","data":[]}"#);
    let (_, ui) = gateway.request("GET", "/", "");
    assert!(ui.contains("<span id=\"group-count\">0</span>"), "{ui}");
    assert!(!gateway.lines_of("a").iter().any(|l| l.starts_with("x{")));
}

#[test]
fn puts_and_posts_keep_a_group_and_failed_pushes_do_not() {
    let gateway = start(&[ttl_flag("1s")]);
    // Pushed about four times a TTL: if a push did not refresh the group, it would be seen
    // gone while its last push is recent. (A machine too slow to push within a TTL may see it
    // gone, rightly, after a TTL.)
    let mut pushed = Instant::now();
    assert_eq!(gateway.request("PUT", "/metrics/job/r", "x 1\n").0, 200);
    for round in 0..12 {
        thread::sleep(TTL / 4);
        if push_time(&gateway, "r").is_none() {
            let age = pushed.elapsed();
            assert!(age >= TTL, "r went {age:?} after its last push");
        }
        let method = if round % 2 == 0 { "POST" } else { "PUT" };
        let sent = Instant::now();
        assert_eq!(gateway.request(method, "/metrics/job/r", "x 2\n").0, 200);
        pushed = sent;
    }
    // Failed pushes, PUT and POST, while the TTL runs out: the group goes all the same.
    let mut method = "PUT";
    wait_until("r with failing pushes", || {
        assert_eq!(gateway.request(method, "/metrics/job/r", FAILING).0, 400);
        method = if method == "PUT" { "POST" } else { "PUT" };
        push_time(&gateway, "r").is_none_or(|t| t == 0.0)
    });
    assert!(pushed.elapsed() >= TTL);
}

#[test]
fn a_group_a_failed_push_created_expires_too() {
    let gateway = start(&[ttl_flag("1s")]);
    let created = Instant::now();
    assert_eq!(gateway.request("PUT", "/metrics/job/n", FAILING).0, 400);
    assert!(push_time(&gateway, "n").is_some() || created.elapsed() >= TTL);
    wait_until("n", || push_time(&gateway, "n").is_none());
    assert!(created.elapsed() >= TTL);
    assert_eq!(own_value(&gateway, COUNTER), Some(1.0));
}

#[test]
fn expired_groups_stay_gone_after_a_restart_and_a_group_pushed_again_stays() {
    let dir = scratch("expiry-restart");
    let log = dir.join("log");
    let gateway = start(&[log_flag(&log), ttl_flag("1s")]);
    for job in ["gone", "again"] {
        let pushed = Instant::now();
        assert_eq!(
            gateway
                .request("PUT", &format!("/metrics/job/{job}"), "x 1\n")
                .0,
            200
        );
        wait_expired(&gateway, job, pushed);
    }
    drop(gateway); // kill -9: the expiries were committed in the turn that made them

    // Without the flag nothing expires, so what the log says is all there is.
    let gateway = start(&[log_flag(&log)]);
    assert_eq!(push_time(&gateway, "gone"), None);
    assert_eq!(push_time(&gateway, "again"), None);
    assert_eq!(gateway.request("PUT", "/metrics/job/again", "x 2\n").0, 200);
    drop(gateway);

    let gateway = start(&[log_flag(&log)]);
    assert_eq!(push_time(&gateway, "gone"), None);
    assert_eq!(
        gateway.lines_of("again")[2],
        "x{instance=\"\",job=\"again\"} 2"
    );
    drop(gateway);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn groups_past_their_ttl_at_a_restart_are_gone_before_the_first_request() {
    let dir = scratch("expiry-replay");
    let log = dir.join("log");
    let mut gateway = start(&[log_flag(&log)]);
    let pushed = Instant::now();
    assert_eq!(gateway.request("PUT", "/metrics/job/old", "x 1\n").0, 200);
    gateway.sigterm();
    assert_eq!(gateway.child.wait().unwrap().code(), Some(0));
    drop(gateway);
    thread::sleep(TTL.saturating_sub(pushed.elapsed()) + Duration::from_millis(100));

    let gateway = start(&[log_flag(&log), ttl_flag("1s")]);
    assert_eq!(push_time(&gateway, "old"), None);
    assert_eq!(own_value(&gateway, COUNTER), Some(1.0));
    assert_eq!(gateway.request("PUT", "/metrics/job/new", "x 1\n").0, 200);
    drop(gateway);
    // The expiry was logged: a start without the flag does not bring the group back.
    let gateway = start(&[log_flag(&log)]);
    assert_eq!(push_time(&gateway, "old"), None);
    assert!(push_time(&gateway, "new").is_some());
    drop(gateway);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_ui_the_status_and_the_exposition_show_expiry_only_with_the_flag() {
    let on = start(&[ttl_flag("1h")]);
    let off = start(&[]);
    for gateway in [&on, &off] {
        assert_eq!(gateway.request("PUT", "/metrics/job/u", "x 1\n").0, 200);
    }
    let (_, status) = on.request("GET", "/api/v1/status", "");
    assert!(status.contains(r#""push.group-ttl":"1h0m0s""#), "{status}");
    let (_, status) = off.request("GET", "/api/v1/status", "");
    assert!(status.contains(r#""push.group-ttl":"0s""#), "{status}");

    let (_, ui) = on.request("GET", "/", "");
    assert!(ui.contains("<span class=\"expiry\">expires "), "{ui}");
    let (_, ui) = off.request("GET", "/", "");
    assert!(!ui.contains("expiry"), "{ui}");

    let (_, text) = on.request("GET", "/metrics", "");
    assert!(text.contains(&format!("# TYPE {COUNTER} counter\n{COUNTER} 0\n")));
    assert_eq!(own_value(&off, COUNTER), None);
    // Without the flag the name is free, as it is upstream; with it, it is our counter.
    let gauge = format!("# TYPE {COUNTER} gauge\n{COUNTER} 1\n");
    assert_eq!(off.request("PUT", "/metrics/job/g", &gauge).0, 200);
    assert_eq!(on.request("PUT", "/metrics/job/g", &gauge).0, 400);
}
