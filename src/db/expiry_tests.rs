//! Group expiry through the db on a controllable clock (`Db::expire` takes the time): a group
//! goes at its deadline and not a nanosecond before, only successful pushes refresh it, every
//! expiry is a logged delete that a restart repeats, and over random histories the timers expire
//! exactly the groups a full scan would.

use super::tests::{open, push, state, BODIES};
use super::*;
use crate::own_metrics::own_families;
use crate::store::tests::{key, XorShift};
use crate::wal::storage::memory::Memory;

const TTL: Duration = Duration::from_secs(60);
const TTL_NANOS: i64 = 60_000_000_000;
const T0: i64 = 1_700_000_000_000_000_000;
/// A body the store rejects (pushed timestamps): a failed push.
const FAILING: &str = "ts 1 1700000000000\n";

fn in_memory() -> (Db, Store) {
    let store = Store::new(true, own_families(true));
    let mut db = Db::in_memory();
    db.enable_expiry(TTL, &store);
    (db, store)
}

fn expire(db: &mut Db, store: &mut Store, nanos: i64) -> usize {
    db.expire(store, Timestamp::from_unix_nanos(nanos), usize::MAX)
}

fn timers(db: &Db) -> &Timers {
    db.expiry.as_ref().expect("expiry is on")
}

fn keys(store: &Store) -> Vec<GroupingKey> {
    store
        .groups_sorted()
        .iter()
        .map(|g| g.key.clone())
        .collect()
}

#[test]
fn a_group_expires_at_its_deadline_and_not_before() {
    let (mut db, mut s) = in_memory();
    let a = key(&[("job", "a")]);
    push(&mut db, &mut s, &a, BODIES[0], true, T0).unwrap();
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS - 1), 0);
    assert!(s.group(&a).is_some());
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS), 1);
    assert!(s.group(&a).is_none());
    assert!(timers(&db).is_empty());
    assert_eq!(s.full_check(), Vec::<String>::new());
}

#[test]
fn put_and_post_refresh_a_group_and_failed_pushes_do_not() {
    let a = key(&[("job", "a")]);
    let half = TTL_NANOS / 2;
    for replace in [true, false] {
        let (mut db, mut s) = in_memory();
        push(&mut db, &mut s, &a, BODIES[0], true, T0).unwrap();
        push(&mut db, &mut s, &a, BODIES[2], replace, T0 + half).unwrap();
        push(&mut db, &mut s, &a, FAILING, replace, T0 + half + 1).unwrap_err();
        assert_eq!(
            expire(&mut db, &mut s, T0 + TTL_NANOS),
            0,
            "replace {replace}"
        );
        assert_eq!(expire(&mut db, &mut s, T0 + half + TTL_NANOS - 1), 0);
        assert_eq!(expire(&mut db, &mut s, T0 + half + TTL_NANOS), 1);
        assert!(s.group(&a).is_none());
    }
    // A failed push alone leaves the deadline where the last success put it.
    let (mut db, mut s) = in_memory();
    push(&mut db, &mut s, &a, BODIES[0], true, T0).unwrap();
    push(&mut db, &mut s, &a, FAILING, true, T0 + half).unwrap_err();
    db.reject(
        &mut s,
        &a,
        vec!["bad".into()],
        Timestamp::from_unix_nanos(T0 + half),
    );
    assert!(!s.group(&a).unwrap().last_push_successful());
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS), 1);
}

#[test]
fn a_group_a_failed_push_created_expires_a_ttl_after_its_creation() {
    let (mut db, mut s) = in_memory();
    let (b, c) = (key(&[("job", "b")]), key(&[("job", "c")]));
    push(&mut db, &mut s, &b, FAILING, true, T0).unwrap_err();
    db.reject(
        &mut s,
        &c,
        vec!["bad".into()],
        Timestamp::from_unix_nanos(T0),
    );
    assert_eq!(s.group(&b).unwrap().push_time(), 0.0);
    assert_eq!(s.group(&c).unwrap().push_time(), 0.0);
    // Later failures do not refresh it either.
    push(&mut db, &mut s, &b, FAILING, true, T0 + TTL_NANOS / 2).unwrap_err();
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS - 1), 0);
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS), 2);
    assert_eq!(s.group_count(), 0);
}

#[test]
fn pushes_cost_the_timers_nothing_and_each_key_keeps_one_timer() {
    let (mut db, mut s) = in_memory();
    let a = key(&[("job", "a")]);
    for i in 0..1000 {
        push(&mut db, &mut s, &a, BODIES[0], i % 2 == 0, T0 + i).unwrap();
    }
    assert_eq!(timers(&db).len(), 1);
    let others: Vec<GroupingKey> = (0..100)
        .map(|i| key(&[("job", "b"), ("i", &i.to_string())]))
        .collect();
    for k in &others {
        push(&mut db, &mut s, k, BODIES[0], true, T0).unwrap();
    }
    assert_eq!(timers(&db).len(), 101);
    // A deleted group's timer stays until it comes due; a group created again under its key
    // reuses it.
    for k in &others[..50] {
        assert!(db.delete(&mut s, k));
    }
    push(&mut db, &mut s, &others[0], BODIES[0], true, T0 + 1).unwrap();
    assert_eq!(timers(&db).len(), 101);
    // At T0 + TTL the 49 deleted keys' timers go, others[0]'s moves on, and the 50 untouched
    // groups expire; `a` was refreshed until T0 + 999.
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS), 50);
    assert_eq!(timers(&db).len(), 2);
    assert_eq!(expire(&mut db, &mut s, T0 + 999 + TTL_NANOS), 2);
    assert!(timers(&db).is_empty());
}

#[test]
fn groups_due_together_expire_soonest_first_at_most_max_per_call() {
    let (mut db, mut s) = in_memory();
    let ks: Vec<GroupingKey> = (0..5).map(|i| key(&[("job", &i.to_string())])).collect();
    for (i, k) in ks.iter().enumerate().rev() {
        push(&mut db, &mut s, k, BODIES[0], true, T0 + i as i64).unwrap();
    }
    let now = Timestamp::from_unix_nanos(T0 + 10 + TTL_NANOS);
    assert_eq!(db.expire(&mut s, now, 2), 2);
    assert_eq!(keys(&s), ks[2..]);
    assert_eq!(db.expire(&mut s, now, 2), 2);
    assert_eq!(db.expire(&mut s, now, 2), 1);
    assert_eq!(db.expire(&mut s, now, 2), 0);
}

#[test]
fn a_wipe_drops_every_timer() {
    let (mut db, mut s) = in_memory();
    for job in ["a", "b"] {
        push(&mut db, &mut s, &key(&[("job", job)]), BODIES[0], true, T0).unwrap();
    }
    db.wipe(&mut s);
    assert!(timers(&db).is_empty());
    let a = key(&[("job", "a")]);
    push(&mut db, &mut s, &a, BODIES[0], true, T0 + TTL_NANOS).unwrap();
    assert_eq!(expire(&mut db, &mut s, 2 * TTL_NANOS + T0 - 1), 0);
    assert_eq!(expire(&mut db, &mut s, 2 * TTL_NANOS + T0), 1);
}

#[test]
fn expired_groups_stay_gone_after_a_restart_and_groups_pushed_again_stay() {
    let disk = Memory::default();
    let (mut db, mut s) = open(&disk);
    db.enable_expiry(TTL, &s);
    let (a, b, c) = (
        key(&[("job", "a")]),
        key(&[("job", "b")]),
        key(&[("job", "c")]),
    );
    for k in [&a, &b, &c] {
        push(&mut db, &mut s, k, BODIES[0], true, T0).unwrap();
    }
    push(&mut db, &mut s, &b, "n 1\n", false, T0 + 1).unwrap();
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS), 2);
    // `a` is pushed again after its expiry; `c` is not.
    push(&mut db, &mut s, &a, "p 2\n", true, T0 + TTL_NANOS + 5).unwrap();
    db.commit(Instant::now()).unwrap();
    drop(db);
    // Replay needs no TTL: the expiry is in the log as a delete.
    let (_, replayed) = open(&disk);
    assert_eq!(keys(&replayed), [a.clone(), b.clone()]);
    assert_eq!(state(&replayed), state(&s));
    assert_eq!(
        replayed.group(&a).unwrap().refreshed_at(),
        Timestamp::from_unix_nanos(T0 + TTL_NANOS + 5)
    );
}

#[test]
fn groups_past_their_deadline_at_a_restart_expire_right_after_replay() {
    let disk = Memory::default();
    let (mut db, mut s) = open(&disk);
    let (a, b) = (key(&[("job", "a")]), key(&[("job", "b")]));
    push(&mut db, &mut s, &a, BODIES[0], true, T0).unwrap();
    push(&mut db, &mut s, &b, BODIES[0], true, T0 + TTL_NANOS).unwrap();
    db.commit(Instant::now()).unwrap();
    drop(db);

    let (mut db, mut s) = open(&disk);
    db.enable_expiry(TTL, &s);
    assert_eq!(expire(&mut db, &mut s, T0 + TTL_NANOS + 1), 1);
    assert_eq!(keys(&s), std::slice::from_ref(&b));
    db.commit(Instant::now()).unwrap();
    drop(db);
    // Even without the flag, the next start remembers the expiry.
    assert_eq!(keys(&open(&disk).1), [b]);
}

/// Over random pushes (PUT, POST, failed), deletes and wipes on a clock that only moves
/// forward, each expiry removes exactly the groups a scan of every group finds due.
#[test]
fn the_timers_expire_what_a_full_scan_would() {
    for seed in [1u64, 2, 3, 4] {
        let (mut db, mut s) = in_memory();
        let mut rng = XorShift(0x5851_f42d_4c95_7f2d ^ seed);
        let mut clock = T0;
        let mut total_expired = 0;
        for _ in 0..2000 {
            let k = key(&[("job", rng.pick(&["a", "b", "c", "d", "e"]))]);
            clock += (rng.next() % (TTL_NANOS as u64 / 4)) as i64;
            match rng.next() % 50 {
                0 => db.wipe(&mut s),
                1..=5 => {
                    db.delete(&mut s, &k);
                }
                6..=15 => {
                    let _ = push(&mut db, &mut s, &k, FAILING, true, clock);
                }
                _ => {
                    let body = BODIES[(rng.next() % 4) as usize];
                    let _ = push(&mut db, &mut s, &k, body, rng.next() % 2 == 0, clock);
                }
            }
            if rng.next() % 3 == 0 {
                let now = Timestamp::from_unix_nanos(clock);
                let survivors: Vec<GroupingKey> = s
                    .groups_sorted()
                    .into_iter()
                    .filter(|g| crate::expiry::deadline(g, TTL) > now)
                    .map(|g| g.key.clone())
                    .collect();
                let expired = s.group_count() - survivors.len();
                total_expired += expired;
                assert_eq!(db.expire(&mut s, now, usize::MAX), expired, "seed {seed}");
                assert_eq!(keys(&s), survivors, "seed {seed}");
                assert!(timers(&db).len() >= s.group_count());
                assert_eq!(s.full_check(), Vec::<String>::new());
            }
        }
        assert!(
            total_expired > 100,
            "seed {seed}: the history expires groups"
        );
    }
}
