//! The server as a client sees it while its log replays and while the log cannot be written:
//! an `App` on the in-memory storage, driven as the reactor drives it (`handle`, `background`,
//! `before_flush`, `commit_failed`, `tick`).

use crate::config::{Config, FsyncPolicy};
use crate::db::Db;
use crate::handlers::test_support::app;
use crate::handlers::App;
use crate::http::{Body, Method, Request, Response, Service};
use crate::wal::storage::memory::Memory;
use crate::wal::WalOptions;
use std::path::Path;
use std::time::Duration;

const PATH: &str = "/data/pg.log";
/// Bounds every loop that waits for the app to get somewhere.
const TURNS_MAX: usize = 10_000;

fn request(app: &mut App, method: Method, target: &str, body: &str) -> Response {
    let token = match method {
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        _ => "GET",
    };
    app.handle(&Request {
        method,
        method_token: token,
        target,
        version_minor: 1,
        headers: &[],
        body: body.as_bytes(),
        peer: "127.0.0.1:1".parse().expect("valid address"),
    })
}

fn text(response: &Response) -> String {
    let bytes = match &response.body {
        Body::Bytes(b) => b.clone(),
        Body::Static(b) => b.to_vec(),
        Body::Chunks(chunks) => chunks.iter().flat_map(|c| c.as_slice().to_vec()).collect(),
        Body::Empty | Body::Stream(_) => Vec::new(),
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

fn get(app: &mut App, target: &str) -> (u16, String) {
    let response = request(app, Method::Get, target, "");
    (response.status, text(&response))
}

/// A PUT answered as the reactor answers it: held for the turn's commit if it awaits it.
fn put(app: &mut App, target: &str, body: &str) -> (u16, String) {
    let response = request(app, Method::Put, target, body);
    app.before_flush().expect("no fatal error");
    let response = match response.awaits_commit {
        true => app.commit_failed().unwrap_or(response),
        false => response,
    };
    (response.status, text(&response))
}

fn options(replay_bytes_per_turn: u64) -> WalOptions {
    let mut options = WalOptions::new(FsyncPolicy::Always, Duration::from_secs(1));
    options.replay_bytes_per_turn = replay_bytes_per_turn;
    options
}

fn with_log(disk: &Memory, replay_bytes_per_turn: u64) -> App {
    let mut app = app(Config::default());
    let storage = Box::new(disk.clone());
    app.db = Db::open(storage, Path::new(PATH), options(replay_bytes_per_turn)).expect("open");
    app
}

fn replay(app: &mut App) {
    for _ in 0..TURNS_MAX {
        if !app.background() {
            return;
        }
    }
    panic!("replay did not finish");
}

const REPLAYING: &str = "not ready: replaying the persistence log";

#[test]
fn while_the_log_replays_only_health_quit_and_files_are_served() {
    let disk = Memory::default();
    let mut first = with_log(&disk, u64::MAX);
    replay(&mut first);
    for job in ["a", "b", "c", "d"] {
        let path = format!("/metrics/job/{job}");
        assert_eq!(put(&mut first, &path, "m 1\n").0, 200);
    }
    drop(first);

    let mut app = with_log(&disk, 1);
    assert_eq!(get(&mut app, "/-/healthy"), (200, "OK".into()));
    let (status, before) = get(&mut app, "/-/ready");
    assert_eq!(status, 503);
    assert!(before.starts_with(REPLAYING), "{before}");
    assert_eq!(get(&mut app, "/static/favicon.ico").0, 200);
    // One record per turn: the replay is seen half done.
    assert!(app.background());
    assert!(app.background());
    let (status, reply) = get(&mut app, "/-/ready");
    assert_eq!(status, 503);
    assert!(reply.starts_with(REPLAYING) && reply != before, "{reply}");
    for target in ["/metrics", "/api/v1/metrics", "/api/v1/status", "/"] {
        let (status, reply) = get(&mut app, target);
        assert_eq!(status, 503, "{target}");
        assert!(reply.starts_with(REPLAYING), "{target}: {reply}");
    }
    let (status, reply) = put(&mut app, "/metrics/job/new", "n 1\n");
    assert_eq!((status, reply.starts_with(REPLAYING)), (503, true));
    let delete = request(&mut app, Method::Delete, "/metrics/job/a", "");
    assert_eq!(delete.status, 503);

    replay(&mut app);
    assert_eq!(get(&mut app, "/-/ready"), (200, "OK".into()));
    let (status, scrape) = get(&mut app, "/metrics");
    assert_eq!(status, 200);
    for job in ["a", "b", "c", "d"] {
        assert!(scrape.contains(&format!("m{{instance=\"\",job=\"{job}\"}} 1\n")));
    }
    assert!(
        !scrape.contains("job=\"new\""),
        "the refused push changed nothing"
    );
}

#[test]
fn while_the_log_cannot_be_written_changes_get_503_and_scrapes_go_on() {
    let disk = Memory::default();
    let mut app = with_log(&disk, u64::MAX);
    replay(&mut app);
    assert_eq!(put(&mut app, "/metrics/job/kept", "k 1\n").0, 200);

    disk.fail_syncs(true);
    // The turn whose commit fails: its change is answered 503 with the reason.
    let (status, reply) = put(&mut app, "/metrics/job/failed", "f 2\n");
    let reason = "the persistence log cannot be written (syncing /data/pg.log: injected sync \
                  failure); changes are refused until it is rewritten";
    assert_eq!((status, reply.as_str()), (503, &*format!("{reason}\n")));
    // Later changes are refused before they change anything.
    let refused = request(&mut app, Method::Put, "/metrics/job/later", "l 3\n");
    assert!(!refused.awaits_commit);
    assert_eq!(
        (refused.status, text(&refused)),
        (503, format!("{reason}\n"))
    );
    assert_eq!(
        request(&mut app, Method::Delete, "/metrics/job/kept", "").status,
        503
    );
    assert_eq!(get(&mut app, "/-/ready"), (503, format!("{reason}\n")));
    assert_eq!(
        get(&mut app, "/-/healthy"),
        (200, format!("degraded: {reason}"))
    );
    let (status, scrape) = get(&mut app, "/metrics");
    assert_eq!(status, 200);
    assert!(scrape.contains("k{instance=\"\",job=\"kept\"} 1\n"));
    assert!(!scrape.contains("job=\"later\""));
    // While the fault lasts, rewrites of the log are tried and fail.
    app.tick();
    app.background();
    assert_eq!(get(&mut app, "/-/ready").0, 503);

    disk.fail_syncs(false);
    for _ in 0..TURNS_MAX {
        app.tick();
        app.background();
        if get(&mut app, "/-/ready").0 == 200 {
            break;
        }
    }
    assert_eq!(get(&mut app, "/-/healthy"), (200, "OK".into()));
    assert_eq!(put(&mut app, "/metrics/job/later", "l 3\n").0, 200);
    drop(app);

    // The rewritten log holds everything the store held.
    let mut restarted = with_log(&disk, u64::MAX);
    replay(&mut restarted);
    let scrape = get(&mut restarted, "/metrics").1;
    for series in [
        "k{instance=\"\",job=\"kept\"} 1",
        "l{instance=\"\",job=\"later\"} 3",
    ] {
        assert!(scrape.contains(series), "{series} is missing:\n{scrape}");
    }
}

#[test]
fn a_restart_after_a_clean_stop_serves_what_was_pushed() {
    let disk = Memory::default();
    let mut app = with_log(&disk, 1 << 20);
    replay(&mut app);
    let pushes = [
        (
            "/metrics/job/a",
            "# HELP g A \\\\ gauge.\n# TYPE g gauge\ng{l=\"x\\\"y\"} 1.5\ng{l=\"\"} NaN\n\
             # TYPE c counter\nc 3\nu{instance=\"i\"} -Inf\n",
        ),
        (
            "/metrics/job/b/x/1",
            "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\nu 4e-7\n",
        ),
    ];
    for (target, body) in pushes {
        assert_eq!(put(&mut app, target, body).0, 200);
    }
    // The pushed families and the bookkeeping ones; the server's own change as it runs.
    let served = |app: &mut App| {
        let (status, metrics) = get(app, "/metrics");
        let own = [
            "process_",
            "pushgateway_",
            "go_",
            "# HELP process",
            "# TYPE process",
        ];
        let pushed: Vec<String> = metrics
            .lines()
            .filter(|l| {
                !own.iter()
                    .any(|o| l.starts_with(o) || l.contains(&format!(" {o}")))
            })
            .map(String::from)
            .collect();
        (status, pushed, get(app, "/api/v1/metrics"))
    };
    let before = served(&mut app);
    app.close_log().expect("a clean stop");
    // Compacted: the counter and gauge families are logged as their rendered lines.
    let log = disk.file(PATH).expect("the log");
    let line = b"g{instance=\"\",job=\"a\",l=\"x\\\"y\"} 1.5\n";
    assert!(log.windows(line.len()).any(|w| w == line));

    let mut restarted = with_log(&disk, 1 << 20);
    replay(&mut restarted);
    assert_eq!(served(&mut restarted), before);
    assert!(
        before.1.iter().any(|l| l.starts_with("s_sum")),
        "{before:?}"
    );
}
