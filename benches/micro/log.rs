//! The persistence log: appending pushes (one commit per push, as one push per loop turn),
//! reading the records back, and a full replay into a store (`Db::open`: read, parse, store).

use crate::body;
use crate::exposition::{key, SERIES_PER_GROUP};
use crate::timing::mb_per_s;
use pushgateway::config::FsyncPolicy;
use pushgateway::db::Db;
use pushgateway::store::Store;
use pushgateway::wal::{BodyFormat, DecodeError, Disk, Record, Wal, WalOptions};
use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

fn options() -> WalOptions {
    WalOptions::new(FsyncPolicy::Never, Duration::from_secs(300))
}

/// Opens the log at `path` and reads it to the end, handing each record to `apply`.
fn replay(path: &Path, mut apply: impl FnMut(u64, Result<Record<'_>, DecodeError>)) -> Wal {
    let mut replay = Wal::open(Box::new(Disk::default()), path, options()).unwrap();
    while !replay.step(&mut apply).unwrap() {}
    replay.finish().unwrap()
}

pub fn run() {
    let groups = if crate::quick() { 1000 } else { 10_000 };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-micro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log");
    let bodies: Vec<Vec<u8>> = (0..groups)
        .map(|g| body::group(g, SERIES_PER_GROUP))
        .collect();
    let keys: Vec<_> = (0..groups).map(key).collect();
    let body_bytes: usize = bodies.iter().map(Vec::len).sum();

    let mut wal = replay(&path, |_, _| {});
    let started = Instant::now();
    for (body, key) in bodies.iter().zip(&keys) {
        wal.append(&Record::Push {
            time_nanos: 1,
            key: Cow::Borrowed(key.labels()),
            replace: true,
            format: BodyFormat::Text,
            utf8_names: false,
            body,
        });
        wal.commit(Instant::now()).unwrap();
    }
    wal.close(Instant::now()).unwrap();
    let appended = started.elapsed();
    drop(wal);
    let log_bytes = std::fs::metadata(&path).unwrap().len() as usize;
    println!(
        "log/append {groups} pushes of {SERIES_PER_GROUP} series ({:.1} MB of bodies): {:.0} MB/s, {:.0} k commits/s",
        body_bytes as f64 / 1e6,
        mb_per_s(log_bytes, appended),
        groups as f64 / appended.as_secs_f64() / 1e3,
    );

    let started = Instant::now();
    let mut records = 0;
    drop(replay(&path, |_, r| {
        records += usize::from(r.is_ok());
    }));
    let read = started.elapsed();
    assert_eq!(records, groups);
    println!(
        "log/read back {:.1} MB: {:.0} MB/s",
        log_bytes as f64 / 1e6,
        mb_per_s(log_bytes, read)
    );

    let started = Instant::now();
    let mut store = Store::new(true, &[]);
    let mut db = Db::open(Box::new(Disk::default()), &path, options()).unwrap();
    while !db.replay_step(&mut store).unwrap() {}
    drop(db);
    let replayed = started.elapsed();
    assert_eq!(store.group_count(), groups);
    println!(
        "log/replay into a store, {} series: {:.0} ms ({:.0} MB/s, {:.1} M series/s)",
        groups * SERIES_PER_GROUP,
        replayed.as_secs_f64() * 1e3,
        mb_per_s(log_bytes, replayed),
        (groups * SERIES_PER_GROUP) as f64 / replayed.as_secs_f64() / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
}
