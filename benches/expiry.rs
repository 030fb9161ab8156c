//! Cost of group expiry (`--push.group-ttl`) against the size of the store.
//!
//! A plain `harness = false` binary (`cargo bench --bench expiry`). For stores of 1 000,
//! 10 000 and 100 000 groups (10 series each) it measures, through the same `Db` the server
//! uses, with the clock passed in:
//! - an idle tick (nothing due), the common case;
//! - a tick that expires 100 groups, per group expired (the delete itself included);
//! - a re-push of an existing group with expiry on and off.
//!
//! The timers are a heap, so the first should stay flat as the store grows, the second grow
//! by a log factor at most, and the third differ by nothing that grows. Bounded to a few
//! seconds per store size.

use std::hint::black_box;
use std::time::{Duration, Instant};

use pushgateway::clock::Timestamp;
use pushgateway::db::{Db, PushedBody};
use pushgateway::grouping::GroupingKey;
use pushgateway::own_metrics::own_families;
use pushgateway::parse::text::{parse, TextOptions};
use pushgateway::store::Store;
use pushgateway::wal::BodyFormat;

const TTL: Duration = Duration::from_secs(3600);
const T0: i64 = 1_700_000_000_000_000_000;
/// Pushes are this far apart in (passed-in) time, so deadlines are spread.
const STEP_NANOS: i64 = 1_000_000;
const IDLE_TICKS: usize = 1_000_000;
const EXPIRED_PER_TICK: usize = 100;
/// 1 000 groups expired in all: as many as the smallest store holds.
const EXPIRING_TICKS: usize = 10;
const REPUSHES: usize = 20_000;

fn main() {
    let body: String = (0..10).map(|i| format!("m{{s=\"{i}\"}} {i}\n")).collect();
    println!("groups    idle tick   per expired group   re-push (expiry off / on)");
    for groups in [1_000, 10_000, 100_000] {
        let idle = idle_tick(groups, &body);
        let expiring = per_expired_group(groups, &body);
        let (off, on) = (repush(groups, &body, false), repush(groups, &body, true));
        println!(
            "{groups:>7}   {:>7.0} ns   {:>14.0} ns   {:>9.0} ns / {:.0} ns",
            nanos(idle),
            nanos(expiring),
            nanos(off),
            nanos(on)
        );
    }
}

fn nanos(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

fn key(i: usize) -> GroupingKey {
    GroupingKey::from_pairs(vec![
        ("instance".to_string(), i.to_string()),
        ("job".to_string(), "bench".to_string()),
    ])
}

fn push(db: &mut Db, store: &mut Store, i: usize, body: &str, nanos: i64) {
    let families = parse(body.as_bytes(), TextOptions::default()).expect("bench body parses");
    let pushed = PushedBody {
        format: BodyFormat::Text,
        bytes: body.as_bytes(),
        utf8_names: false,
    };
    let time = Timestamp::from_unix_nanos(nanos);
    db.push(store, &key(i), families, pushed, true, time)
        .expect("bench push is accepted");
}

/// A store of `groups` groups pushed `STEP_NANOS` apart from `T0`, with or without expiry.
fn filled(groups: usize, body: &str, expiry: bool) -> (Db, Store) {
    let mut store = Store::new(true, own_families(expiry));
    let mut db = Db::in_memory();
    if expiry {
        db.enable_expiry(TTL, &store);
    }
    for i in 0..groups {
        push(&mut db, &mut store, i, body, T0 + i as i64 * STEP_NANOS);
    }
    (db, store)
}

fn ttl_nanos() -> i64 {
    i64::try_from(TTL.as_nanos()).expect("a bench TTL fits")
}

fn idle_tick(groups: usize, body: &str) -> Duration {
    let (mut db, mut store) = filled(groups, body, true);
    let now = Timestamp::from_unix_nanos(T0 + ttl_nanos() - 1);
    let start = Instant::now();
    for _ in 0..IDLE_TICKS {
        black_box(db.expire(&mut store, black_box(now), usize::MAX));
    }
    assert_eq!(store.group_count(), groups);
    start.elapsed() / IDLE_TICKS as u32
}

fn per_expired_group(groups: usize, body: &str) -> Duration {
    let (mut db, mut store) = filled(groups, body, true);
    let mut elapsed = Duration::ZERO;
    let mut expired = 0;
    for tick in 1..=EXPIRING_TICKS {
        let due = (tick * EXPIRED_PER_TICK) as i64 - 1;
        let now = Timestamp::from_unix_nanos(T0 + ttl_nanos() + due * STEP_NANOS);
        let start = Instant::now();
        expired += db.expire(&mut store, now, usize::MAX);
        elapsed += start.elapsed();
    }
    assert_eq!(expired, EXPIRING_TICKS * EXPIRED_PER_TICK);
    elapsed / expired as u32
}

fn repush(groups: usize, body: &str, expiry: bool) -> Duration {
    let (mut db, mut store) = filled(groups, body, expiry);
    let later = T0 + groups as i64 * STEP_NANOS;
    let start = Instant::now();
    for n in 0..REPUSHES {
        push(&mut db, &mut store, n % groups, body, later + n as i64);
    }
    start.elapsed() / REPUSHES as u32
}
