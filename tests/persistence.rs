//! The binary with `--persistence.file`, as an operator sees it: pushes and deletes
//! acknowledged before a `kill -9` (at random moments, under load) or a SIGHUP are there after
//! a restart, and so is everything acknowledged before a graceful SIGTERM; the server answers
//! `/-/healthy` while its log replays; a log it must not touch stops the start-up. Every wait
//! is bounded; every process is stopped by its PID.

mod gateway_support;

use gateway_support::{run_to_exit, scratch, Client, Gateway, WAIT};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn flags(log: &Path, more: &[&str]) -> Vec<String> {
    let mut flags = vec![format!("--persistence.file={}", log.display())];
    flags.extend(more.iter().map(|f| f.to_string()));
    flags
}

/// Starts the binary on `log` and waits until the log is replayed.
fn start(log: &Path, more: &[&str]) -> Gateway {
    gateway_support::start(&flags(log, more))
}

#[test]
fn an_acknowledged_push_survives_kill_9_and_sighup() {
    for signal in [libc::SIGKILL, libc::SIGHUP] {
        let dir = scratch(&format!("signal-{signal}"));
        let log = dir.join("log");
        let mut gateway = start(&log, &[]);
        let body = "# TYPE a counter\na{x=\"1\"} 1\n";
        assert_eq!(gateway.request("PUT", "/metrics/job/j", body).0, 200);
        let before = gateway.lines_of("j");
        assert_eq!(before.len(), 3, "{before:?}");
        gateway.signal(signal);
        gateway.child.wait().unwrap();
        drop(gateway);

        let restarted = start(&log, &[]);
        assert_eq!(restarted.lines_of("j"), before, "signal {signal}");
        drop(restarted);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_graceful_stop_and_restart_keeps_the_store() {
    let dir = scratch("sigterm");
    let log = dir.join("log");
    let mut gateway = start(&log, &[]);
    assert_eq!(gateway.request("PUT", "/metrics/job/k", "b 2\n").0, 200);
    assert_eq!(gateway.request("DELETE", "/metrics/job/k", "").0, 202);
    assert_eq!(gateway.request("POST", "/metrics/job/k", "c 3\n").0, 200);
    let before = gateway.lines_of("k");
    gateway.signal(libc::SIGTERM);
    let status = gateway.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    drop(gateway);

    let restarted = start(&log, &[]);
    let after = restarted.lines_of("k");
    assert_eq!(after, before);
    assert!(after.iter().all(|l| !l.starts_with("b{")), "{after:?}");
    drop(restarted);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_of_an_unknown_version_stops_the_start_untouched() {
    let dir = scratch("version");
    let log = dir.join("log");
    let mut future = b"\x89PGWAL\r\n\x03\x00\x00\x00".to_vec();
    future.extend_from_slice(b"records of a newer format");
    std::fs::write(&log, &future).unwrap();
    let (code, stderr) = run_to_exit(&flags(&log, &[]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "is a persistence log of format version 3, and this build reads only versions 1 to 2"
        ),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), future);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_server_on_the_same_log_is_refused() {
    let dir = scratch("lock");
    let log = dir.join("log");
    let first = start(&log, &[]);
    assert_eq!(first.request("PUT", "/metrics/job/one", "o 1\n").0, 200);
    let (code, stderr) = run_to_exit(&flags(&log, &[]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("log.lock is locked: another pushgateway is using this persistence file"),
        "{stderr}"
    );
    // The first one is undisturbed.
    assert_eq!(first.lines_of("one").len(), 3);
    drop(first);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn healthy_answers_while_a_large_log_replays_and_ready_waits_for_it() {
    let dir = scratch("replay-window");
    let log = dir.join("log");
    let gateway = start(&log, &["--persistence.fsync=never"]);
    // About 3 MB of log: replay takes many turns of at most 10 ms.
    let series: String = (0..1000).map(|i| format!("m{{i=\"{i}\"}} {i}\n")).collect();
    for group in 0..100 {
        let path = format!("/metrics/job/g{group}");
        assert_eq!(gateway.request("PUT", &path, &series).0, 200);
    }
    drop(gateway);

    let restarted = gateway_support::spawn(&flags(&log, &[]));
    let mut client = Client::connect(restarted.port).unwrap();
    let healthy = client.send("GET", "/-/healthy", "", false).unwrap();
    let ready = client.send("GET", "/-/ready", "", false).unwrap();
    let push = client
        .send("PUT", "/metrics/job/early", "e 1\n", false)
        .unwrap();
    let scrape = client.send("GET", "/metrics", "", false).unwrap();
    assert_eq!(healthy, (200, "OK".to_string()));
    for (what, (status, reply)) in [("ready", &ready), ("push", &push), ("scrape", &scrape)] {
        assert_eq!(*status, 503, "{what}: {reply}");
        assert!(
            reply.starts_with("not ready: replaying the persistence log ("),
            "{what}: {reply}"
        );
    }
    let deadline = Instant::now() + WAIT;
    while client.send("GET", "/-/ready", "", false).unwrap().0 != 200 {
        assert!(Instant::now() < deadline, "replay never finished");
        thread::sleep(Duration::from_millis(5));
    }
    let lines = restarted.lines_of("g99");
    assert_eq!(lines.len(), 1002, "every series and both times");
    assert!(restarted.lines_of("early").is_empty());
    drop(restarted);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a group holds: family → value (every series of a family has the same value), and
/// when its last push was made (between the two times), or `None` once deleted.
#[derive(Clone, Debug, PartialEq)]
struct GroupState {
    families: BTreeMap<String, u64>,
    pushed: Option<(f64, f64)>,
}

/// One change a writer made to one of its groups.
#[derive(Clone, Debug)]
enum Change {
    Put(u64),
    Post(u64),
    Delete,
}

/// Series per PUT: large enough that the log grows towards compaction within the test.
const SERIES_PER_PUT: usize = 500;

fn body(change: &Change) -> String {
    match change {
        Change::Put(seq) => {
            let mut body: String = (0..SERIES_PER_PUT)
                .map(|i| format!("a{{i=\"{i}\"}} {seq}\n"))
                .collect();
            body.push_str(&format!("b {seq}\n"));
            body
        }
        Change::Post(seq) => format!("c {seq}\n"),
        Change::Delete => String::new(),
    }
}

fn applied(state: &GroupState, change: &Change, window: (f64, f64)) -> GroupState {
    let mut next = state.clone();
    match change {
        Change::Put(seq) => {
            next.families = [("a".to_string(), *seq), ("b".to_string(), *seq)].into();
            next.pushed = Some(window);
        }
        Change::Post(seq) => {
            next.families.insert("c".to_string(), *seq);
            next.pushed = Some(window);
        }
        Change::Delete => next = GroupState::empty(),
    }
    next
}

impl GroupState {
    fn empty() -> GroupState {
        GroupState {
            families: BTreeMap::new(),
            pushed: None,
        }
    }

    /// Whether a scraped group (family → values of its series, and its push time) is this
    /// state.
    fn matches(&self, scraped: Option<&Scraped>) -> bool {
        let Some(scraped) = scraped else {
            return self.pushed.is_none();
        };
        let Some((from, to)) = self.pushed else {
            return false;
        };
        // The server's clock stamps the push between the client's send and its reply; a
        // millisecond covers the printed float's rounding.
        let in_time = scraped.push_time >= from - 1e-3 && scraped.push_time <= to + 1e-3;
        let counts = |family: &str| if family == "a" { SERIES_PER_PUT } else { 1 };
        let values_match = scraped.families.len() == self.families.len()
            && self.families.iter().all(|(family, seq)| {
                scraped.families.get(family).is_some_and(|values| {
                    values.len() == counts(family) && values.iter().all(|v| *v == *seq as f64)
                })
            });
        in_time && values_match
    }
}

/// A group as a scrape shows it.
#[derive(Debug, Default)]
struct Scraped {
    families: BTreeMap<String, Vec<f64>>,
    push_time: f64,
}

fn scrape(gateway: &Gateway) -> BTreeMap<String, Scraped> {
    let (status, text) = gateway.request("GET", "/metrics", "");
    assert_eq!(status, 200);
    let mut groups: BTreeMap<String, Scraped> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(job) = line
            .split("job=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let name = line.split(['{', ' ']).next().unwrap();
        let value = line.rsplit(' ').next().unwrap();
        let group = groups.entry(job.to_string()).or_default();
        match name {
            "push_time_seconds" => group.push_time = value.parse().unwrap(),
            "push_failure_time_seconds" => {}
            _ => group
                .families
                .entry(name.to_string())
                .or_default()
                .push(value.parse().unwrap()),
        }
    }
    groups
}

fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A change a writer made: its group, and when it was sent and answered (`None`: no answer).
type Made = (String, Change, Option<(f64, f64)>);

/// One writer's connection until the server dies or `stop` is set: random changes to its own
/// groups. Returns, per group, its changes in order with whether each was acknowledged (a
/// change without a reply may or may not have been applied; it is always the last).
fn writer(port: u16, id: usize, seed: u64, stop: &AtomicBool) -> Vec<Made> {
    let mut rng = XorShift(seed | 1);
    let mut made = Vec::new();
    let Ok(mut client) = Client::connect(port) else {
        return made;
    };
    for n in 0..100_000u64 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let job = format!("w{id}g{}", rng.next() % 3);
        let seq = seed % 1_000_000 * 100_000 + n;
        let change = match rng.next() % 10 {
            0..=4 => Change::Put(seq),
            5..=7 => Change::Post(seq),
            _ => Change::Delete,
        };
        let (method, path) = match change {
            Change::Put(_) => ("PUT", format!("/metrics/job/{job}")),
            Change::Post(_) => ("POST", format!("/metrics/job/{job}")),
            Change::Delete => ("DELETE", format!("/metrics/job/{job}")),
        };
        let from = unix_seconds();
        let reply = client.send(method, &path, &body(&change), false);
        let to = unix_seconds();
        match reply {
            Ok((200 | 202, _)) => made.push((job, change, Some((from, to)))),
            Ok((status, text)) => panic!("{method} {path}: {status} {text}"),
            Err(_) => {
                made.push((job, change, None));
                break;
            }
        }
    }
    made
}

#[test]
fn acknowledged_changes_survive_kill_9_at_random_moments_under_load() {
    const ROUNDS: u64 = 10;
    const WRITERS: usize = 4;
    let dir = scratch("kill-loop");
    let log = dir.join("log");
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = XorShift(seed | 1);
    // Per group: the state every acknowledged change adds up to, and a change sent but not
    // answered (it may or may not have been applied).
    let mut groups: BTreeMap<String, (GroupState, Option<Change>)> = BTreeMap::new();
    let mut acknowledged = 0;
    for round in 0..=ROUNDS {
        let fsync = ["always", "interval", "never"][(round % 3) as usize];
        let gateway = start(&log, &[&format!("--persistence.fsync={fsync}")]);
        let scraped = scrape(&gateway);
        for (job, (state, unanswered)) in &mut groups {
            let seen = scraped.get(job);
            if state.matches(seen) {
                continue;
            }
            // The unanswered change was applied (its time is somewhere after the last one).
            let window = (state.pushed.map_or(0.0, |p| p.0), unix_seconds());
            let landed = unanswered.as_ref().map(|c| applied(state, c, window));
            assert!(
                landed.as_ref().is_some_and(|s| s.matches(seen)),
                "seed {seed} round {round}: {job} is {seen:?}, acknowledged {state:?}, \
                 unanswered {unanswered:?}"
            );
            *state = landed.unwrap();
            state.pushed = seen.map(|s| (s.push_time, s.push_time));
        }
        for (job, group) in &scraped {
            assert!(
                groups.contains_key(job),
                "seed {seed}: {job} was never pushed: {group:?}"
            );
        }
        for (_, unanswered) in groups.values_mut() {
            *unanswered = None;
        }
        if round == ROUNDS {
            break;
        }

        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|id| {
                let (port, stop, seed) = (gateway.port, stop.clone(), rng.next());
                thread::spawn(move || writer(port, id, seed, &stop))
            })
            .collect();
        thread::sleep(Duration::from_millis(50 + rng.next() % 400));
        let mut gateway = gateway;
        gateway.signal(libc::SIGKILL);
        gateway.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            for (job, change, answered) in writer.join().expect("a writer") {
                let (state, unanswered) = groups
                    .entry(job)
                    .or_insert_with(|| (GroupState::empty(), None));
                match answered {
                    Some(window) => {
                        acknowledged += 1;
                        *state = applied(state, &change, window);
                    }
                    None => *unanswered = Some(change),
                }
            }
        }
    }
    assert!(
        acknowledged >= ROUNDS,
        "only {acknowledged} changes were acknowledged"
    );
    eprintln!(
        "{acknowledged} acknowledged changes to {} groups, log {} bytes",
        groups.len(),
        std::fs::metadata(&log).unwrap().len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
