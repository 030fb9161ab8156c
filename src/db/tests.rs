//! Replay and compaction rebuild exactly the state that was acknowledged: families, stamps and
//! both bookkeeping values, over seeded random histories; a log cut at any byte replays a
//! prefix of what was acknowledged; injected faults never acknowledge a lost change.

use super::*;
use crate::config::FsyncPolicy;
use crate::escaping::Escaping;
use crate::own_metrics::OWN_FAMILIES;
use crate::store::tests::{exposition_as, key, XorShift};
use crate::wal::storage::memory::Memory;
use std::time::Duration;

const PATH: &str = "/data/pg.log";
const HEADER_BYTES: usize = 12;

fn options() -> WalOptions {
    WalOptions::new(FsyncPolicy::Always, Duration::from_secs(1))
}

fn open_with(disk: &Memory, options: WalOptions) -> (Db, Store) {
    let mut store = Store::new(true, OWN_FAMILIES);
    let mut db = Db::open(Box::new(disk.clone()), Path::new(PATH), options).expect("open");
    while !db.replay_step(&mut store).expect("replay") {}
    assert_eq!(db.status(), Status::Ready);
    (db, store)
}

pub(super) fn open(disk: &Memory) -> (Db, Store) {
    open_with(disk, options())
}

/// Everything replay must rebuild: every family of every group (bookkeeping included) with
/// its stamp. Debug output, so that NaN compares equal to NaN.
/// Every group's families with their stamps and their protobuf encoding. A series' `pb_value`
/// is compared through that encoding: after compaction (which writes protobuf) a series pushed
/// as text carries the encoding of its value, which is the same bytes.
pub(super) fn state(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for group in store.groups_sorted() {
        for (name, stored) in &group.families {
            let mut family = stored.model();
            family.metrics.iter_mut().for_each(|m| m.pb_value = None);
            let mut encoded = Vec::new();
            stored.write_protobuf(&mut encoded);
            let stamp = stored.stamp.unix_nanos;
            out.push(format!(
                "{:?} {name} @{stamp} {family:?} {encoded:?}",
                group.key.labels()
            ));
        }
    }
    out
}

pub(super) fn push(
    db: &mut Db,
    store: &mut Store,
    k: &GroupingKey,
    body: &str,
    replace: bool,
    nanos: i64,
) -> Result<(), Rejection> {
    let utf8_names = body.contains('"') && !body.contains('{');
    push_with(db, store, k, body, utf8_names, replace, nanos)
}

fn push_with(
    db: &mut Db,
    store: &mut Store,
    k: &GroupingKey,
    body: &str,
    utf8_names: bool,
    replace: bool,
    nanos: i64,
) -> Result<(), Rejection> {
    let families = text::parse(body.as_bytes(), TextOptions { utf8_names }).expect("test body");
    let body = PushedBody {
        format: BodyFormat::Text,
        bytes: body.as_bytes(),
        utf8_names,
    };
    db.push(
        store,
        k,
        families,
        body,
        replace,
        Timestamp::from_unix_nanos(nanos),
    )
}

pub(super) const BODIES: &[&str] = &[
    "# TYPE m counter\nm 1\n",
    "# TYPE m gauge\nm{x=\"y\"} 2.5\n",
    "m 3\nother 4\n",
    "m{instance=\"\"} 1\n",
    "# HELP s A summary\\nwith \\\\ escapes.\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.99\"} NaN\ns_sum 1e-07\ns_count 3\n",
    "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum -0\nh_count 2\n",
    "# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\nh_count 2\n",
    "# TYPE g gauge_histogram\ng_bucket{le=\"1\"} 1\ng_count 1\ng_sum 0.1\n",
    "v{l=\"a\\\"b\\\\c\\nd\",instance=\"i2\"} +Inf\n",
    "ts 1 1700000000000\n",
    "",
];

/// One random change, as the handlers would make it; returns whether the store accepted it.
fn random_change(rng: &mut XorShift, db: &mut Db, store: &mut Store, clock: &mut i64) {
    let jobs = ["a", "b", "c"];
    let extra = ["", "x", "instance"];
    let mut pairs = vec![("job", rng.pick(&jobs))];
    match rng.pick(&extra) {
        "" => {}
        name => pairs.push((name, if rng.next() % 2 == 0 { "1" } else { "" })),
    }
    let k = key(&pairs);
    // Mostly forward, sometimes backward: replay must not assume a monotonic clock.
    *clock += (rng.next() % 5_000_000_000) as i64 - 500_000_000;
    match rng.next() % 40 {
        0 => db.wipe(store),
        1..=5 => {
            db.delete(store, &k);
        }
        _ => {
            let body = BODIES[(rng.next() % BODIES.len() as u64) as usize];
            let _ = push(db, store, &k, body, rng.next() % 2 == 0, *clock);
        }
    }
}

#[test]
fn replay_rebuilds_the_acknowledged_state() {
    for seed in [1u64, 2, 3] {
        let disk = Memory::default();
        let (mut db, mut store) = open(&disk);
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d ^ seed);
        let mut clock = 1_700_000_000_000_000_000;
        for _ in 0..300 {
            // Several changes per loop turn, then one commit: group commit.
            for _ in 0..rng.next() % 3 + 1 {
                random_change(&mut rng, &mut db, &mut store, &mut clock);
            }
            db.commit(Instant::now()).unwrap();
        }
        let (_, replayed) = open(&disk);
        assert_eq!(state(&replayed), state(&store), "seed {seed}");
        assert!(
            store.group_count() > 0,
            "seed {seed} ends with something to compare"
        );
    }
}

/// A small log of 30 turns of one random change each, and after each turn where the log
/// ended and the state it acknowledged.
fn small_history() -> (Vec<u8>, Vec<(usize, Vec<String>)>) {
    let disk = Memory::default();
    let (mut db, mut store) = open(&disk);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut clock = 1_700_000_000_000_000_000;
    let mut acknowledged = vec![(HEADER_BYTES, Vec::new())];
    for _ in 0..30 {
        random_change(&mut rng, &mut db, &mut store, &mut clock);
        db.commit(Instant::now()).unwrap();
        let len = disk.file(PATH).unwrap().len();
        acknowledged.push((len, state(&store)));
    }
    assert!(acknowledged.windows(2).filter(|w| w[0].0 < w[1].0).count() > 20);
    (disk.file(PATH).unwrap(), acknowledged)
}

/// The last acknowledged turn whose records all lie before `offset`.
fn acknowledged_before(
    acknowledged: &[(usize, Vec<String>)],
    offset: usize,
) -> &(usize, Vec<String>) {
    acknowledged
        .iter()
        .rev()
        .find(|(len, _)| *len <= offset)
        .expect("the header is acknowledged")
}

#[test]
fn a_log_cut_at_any_byte_replays_a_prefix_of_what_was_acknowledged() {
    let (log, acknowledged) = small_history();
    for cut in HEADER_BYTES..=log.len() {
        let cut_disk = Memory::default();
        cut_disk.put(PATH, &log[..cut]);
        let (_, replayed) = open(&cut_disk);
        let (good, want) = acknowledged_before(&acknowledged, cut);
        assert_eq!(&state(&replayed), want, "cut at {cut}");
        assert_eq!(cut_disk.file(PATH).unwrap(), log[..*good], "cut at {cut}");
    }
}

#[test]
fn a_flipped_bit_is_detected_and_costs_its_record_and_what_follows() {
    let (log, acknowledged) = small_history();
    // Every byte, each with one of its bits (all eight in turn over eight bytes): every bit
    // would take eight times as long and adds nothing a CRC does not already guarantee.
    for byte in HEADER_BYTES..log.len() {
        let bit = byte % 8;
        let mut damaged = log.clone();
        damaged[byte] ^= 1 << bit;
        let disk = Memory::default();
        disk.put(PATH, &damaged);
        let (_, replayed) = open(&disk);
        // The record holding the flipped bit starts where the last turn at or before
        // that byte ended.
        let (good, want) = acknowledged_before(&acknowledged, byte);
        assert_eq!(&state(&replayed), want, "bit {bit} of byte {byte}");
        assert_eq!(
            disk.file(PATH).unwrap(),
            log[..*good],
            "bit {bit} of byte {byte}"
        );
        let copies = disk
            .paths()
            .iter()
            .filter(|p| p.contains(".corrupt-"))
            .count();
        assert_eq!(
            copies, 1,
            "the damaged tail is kept: bit {bit} of byte {byte}"
        );
    }
}

/// A tick (which starts a compaction when one is due) and a loop turn's piece of it.
fn turn(db: &mut Db, store: &Store) {
    db.tick(store, Instant::now());
    db.compact_step(store);
}

/// Ticks until a running compaction has finished; returns how many ticks that took.
fn finish_compaction(db: &mut Db, store: &Store) -> usize {
    for ticks in 1..10_000 {
        turn(db, store);
        if !db.log.as_ref().unwrap().wal.is_compacting() && db.status() == Status::Ready {
            return ticks;
        }
    }
    panic!("compaction never finished");
}

fn compacting_options() -> WalOptions {
    let mut options = options();
    options.compact_min_bytes = 0;
    options.compact_bytes_per_turn = 300;
    options
}

#[test]
fn compaction_round_trip_keeps_families_stamps_and_failure_times() {
    let disk = Memory::default();
    let (mut db, mut store) = open_with(&disk, compacting_options());
    let s = &mut store;
    let (a, b, c, d) = (
        key(&[("job", "a")]),
        key(&[("job", "b"), ("instance", "i")]),
        key(&[("job", "c"), ("x", "")]),
        key(&[("job", "d")]),
    );
    let sec = 1_000_000_000;
    let t0 = 1_700_000_000 * sec;
    // a: created at t0, families replaced at several times, never failed.
    push(&mut db, s, &a, BODIES[0], true, t0).unwrap();
    for overwritten in 1..20 {
        push(&mut db, s, &a, BODIES[3], false, t0 + overwritten).unwrap();
    }
    push(&mut db, s, &a, BODIES[4], false, t0 + sec).unwrap();
    push(&mut db, s, &a, BODIES[5], false, t0 + 2 * sec).unwrap();
    push(&mut db, s, &a, BODIES[0], false, t0 + 3 * sec).unwrap();
    push(&mut db, s, &a, "", false, t0 + 4 * sec).unwrap();
    // b: the clock went backwards between pushes, then a push failed.
    push(&mut db, s, &b, BODIES[8], true, t0 + 10 * sec).unwrap();
    push(&mut db, s, &b, BODIES[7], false, t0 + 5 * sec).unwrap();
    push(&mut db, s, &b, BODIES[9], false, t0 + 11 * sec).unwrap_err();
    // c: created by failures only, never pushed to successfully.
    push(&mut db, s, &c, BODIES[9], false, t0 + 20 * sec).unwrap_err();
    push(&mut db, s, &c, BODIES[9], true, t0 + 21 * sec).unwrap_err();
    // d: UTF-8 names, quoted.
    let utf8 = "# HELP \"d.x\" Dotted.\n# TYPE \"d.x\" summary\n{\"d.x\",\"l.1\"=\"v\",quantile=\"0.5\"} 1\n{\"d.x_sum\",\"l.1\"=\"v\"} 2\n{\"d.x_count\",\"l.1\"=\"v\"} 3\n";
    push_with(&mut db, s, &d, utf8, true, true, t0 + 30 * sec).unwrap();
    push(&mut db, s, &d, "d_other 4\n", false, t0 + 29 * sec).unwrap();
    db.commit(Instant::now()).unwrap();
    let before = state(s);
    let len_before = disk.file(PATH).unwrap().len();

    finish_compaction(&mut db, s);
    db.commit(Instant::now()).unwrap();
    assert!(
        disk.file(PATH).unwrap().len() < len_before,
        "the log shrank"
    );
    drop(db);
    let (_, replayed) = open(&disk);
    assert_eq!(state(&replayed), before);
    let c_group = replayed.group(&c).unwrap();
    assert_eq!(
        (c_group.push_time(), c_group.failure_time()),
        (0.0, 1_700_000_021.0)
    );
}

#[test]
fn compaction_runs_while_changes_go_on_and_a_crash_at_any_turn_loses_nothing() {
    let disk = Memory::default();
    let (mut db, mut store) = open_with(&disk, compacting_options());
    let mut rng = XorShift(0x0bad_5eed_1234_5678);
    let mut clock = 1_700_000_000_000_000_000;
    let (mut shrunk, mut crashed_mid_compaction) = (0, 0);
    let mut len = disk.file(PATH).unwrap().len();
    for _ in 0..600 {
        random_change(&mut rng, &mut db, &mut store, &mut clock);
        turn(&mut db, &store);
        db.commit(Instant::now()).unwrap();
        let now = disk.file(PATH).unwrap().len();
        shrunk += usize::from(now < len);
        len = now;
        // Killed here: everything committed comes back, deleted groups stay deleted.
        let compacting = db.log.as_ref().unwrap().wal.is_compacting();
        crashed_mid_compaction += usize::from(compacting);
        let (_, replayed) = open(&disk.crash_copy());
        assert_eq!(state(&replayed), state(&store));
    }
    finish_compaction(&mut db, &store);
    db.commit(Instant::now()).unwrap();
    assert!(shrunk >= 3, "only {shrunk} compactions completed");
    assert!(crashed_mid_compaction >= 10, "{crashed_mid_compaction}");
    let (_, replayed) = open(&disk);
    assert_eq!(state(&replayed), state(&store));
}

#[test]
fn a_wipe_abandons_a_running_compaction() {
    let disk = Memory::default();
    let mut options = compacting_options();
    options.compact_bytes_per_turn = 1;
    let (mut db, mut store) = open_with(&disk, options);
    for job in ["a", "b", "c"] {
        push(
            &mut db,
            &mut store,
            &key(&[("job", job)]),
            BODIES[2],
            true,
            1,
        )
        .unwrap();
    }
    db.commit(Instant::now()).unwrap();
    turn(&mut db, &store);
    assert!(db.log.as_ref().unwrap().wal.is_compacting());
    db.wipe(&mut store);
    assert!(!db.log.as_ref().unwrap().wal.is_compacting());
    push(
        &mut db,
        &mut store,
        &key(&[("job", "new")]),
        BODIES[3],
        true,
        2,
    )
    .unwrap();
    db.commit(Instant::now()).unwrap();
    finish_compaction(&mut db, &store);
    assert_eq!(disk.paths(), [PATH]);
    let (_, replayed) = open(&disk);
    assert_eq!(state(&replayed), state(&store));
    assert_eq!(replayed.group_count(), 1);
}

#[test]
fn a_failed_write_or_sync_breaks_the_log_until_the_store_is_rewritten() {
    for fault in ["short write", "ENOSPC", "failed sync"] {
        let disk = Memory::default();
        let (mut db, mut store) = open(&disk);
        let (a, b) = (key(&[("job", "a")]), key(&[("job", "b")]));
        push(&mut db, &mut store, &a, BODIES[0], true, 1).unwrap();
        db.commit(Instant::now()).unwrap();
        let set_fault = |on: bool| match fault {
            "short write" => disk.limit_appends(on.then_some(5)),
            "ENOSPC" => disk.limit_appends(on.then_some(0)),
            _ => disk.fail_syncs(on),
        };
        set_fault(true);
        // The failing turn's change stays in the store (its reply says 503).
        push(&mut db, &mut store, &b, "other 4\n", true, 2).unwrap();
        assert!(db.commit(Instant::now()).is_err(), "{fault}");
        let Status::Broken(reason) = db.status() else {
            panic!("{fault}: not broken");
        };
        let doing = if fault == "failed sync" {
            "syncing"
        } else {
            "writing"
        };
        assert!(
            reason.starts_with(&format!("{doing} /data/pg.log: ")),
            "{reason}"
        );
        // Ticks while the fault lasts leave nothing behind but failed attempts.
        for _ in 0..3 {
            turn(&mut db, &store);
        }
        assert!(matches!(db.status(), Status::Broken(_)), "{fault}");
        assert_eq!(disk.paths(), [PATH]);
        set_fault(false);
        finish_compaction(&mut db, &store);
        assert_eq!(db.status(), Status::Ready, "{fault}");
        // The rewritten log holds the whole store, the unacknowledged change included, and
        // takes changes again.
        push(&mut db, &mut store, &a, "later 5\n", false, 3).unwrap();
        db.commit(Instant::now()).unwrap();
        drop(db);
        assert_eq!(state(&open(&disk).1), state(&store), "{fault}");
    }
}

#[test]
fn a_broken_log_gets_a_last_rewrite_at_shutdown() {
    let disk = Memory::default();
    let (mut db, mut store) = open(&disk);
    let a = key(&[("job", "a")]);
    push(&mut db, &mut store, &a, BODIES[0], true, 1).unwrap();
    disk.fail_syncs(true);
    assert!(db.commit(Instant::now()).is_err());
    assert!(db.close(&store, Instant::now()).is_err(), "still failing");
    disk.fail_syncs(false);
    db.close(&store, Instant::now()).unwrap();
    drop(db);
    assert_eq!(state(&open(&disk).1), state(&store));
}

#[test]
fn what_a_change_logs() {
    let disk = Memory::default();
    let (mut db, mut store) = open(&disk);
    let s = &mut store;
    let log_len = |disk: &Memory| disk.file(PATH).unwrap().len();
    let a = key(&[("job", "a")]);
    // Deleting nothing changes nothing, and logs nothing.
    assert!(!db.delete(s, &a));
    db.commit(Instant::now()).unwrap();
    assert_eq!(log_len(&disk), HEADER_BYTES);
    // A push rejected without recording a failure (it would clash, spec §17 R1) logs nothing.
    push(&mut db, s, &a, "m 1\n", true, 1).unwrap();
    db.commit(Instant::now()).unwrap();
    let len = log_len(&disk);
    let clash = key(&[("job", "a"), ("instance", "")]);
    push(&mut db, s, &clash, "ts 1 1\n", true, 2).unwrap_err();
    assert!(s.group(&clash).is_none());
    db.commit(Instant::now()).unwrap();
    assert_eq!(log_len(&disk), len);
    // A rejected push that recorded its failure logs the failure alone.
    push(&mut db, s, &a, "ts 1 1\n", true, 3).unwrap_err();
    db.commit(Instant::now()).unwrap();
    assert_eq!(log_len(&disk), len + 8 + 1 + 8 + 4 + 4 + 3 + 4 + 1);
    drop(db);
    assert_eq!(state(&open(&disk).1), state(s));
}

#[test]
fn records_replay_cannot_apply_are_skipped_loudly() {
    let disk = Memory::default();
    let (mut db, mut store) = open(&disk);
    let (a, b) = (key(&[("job", "a")]), key(&[("job", "b")]));
    push(&mut db, &mut store, &a, BODIES[0], true, 1).unwrap();
    let log = &mut db.log.as_mut().unwrap().wal;
    // A protobuf body (this build cannot parse it), a text body that does not parse, a key
    // without a job, and a push that the store now rejects (it clashes with a's counter).
    type Bad<'a> = (&'a [(String, String)], BodyFormat, &'a [u8]);
    let bodies: [Bad<'_>; 4] = [
        (b.labels(), BodyFormat::Protobuf, b"\x05"),
        (b.labels(), BodyFormat::Text, b"not a metric line"),
        (
            &[("x".to_string(), "1".to_string())],
            BodyFormat::Text,
            b"m 1\n",
        ),
        (b.labels(), BodyFormat::Text, b"# TYPE m gauge\nm 2\n"),
    ];
    for (pairs, format, body) in bodies {
        log.append(&Record::Push {
            time_nanos: 5,
            key: Cow::Borrowed(pairs),
            replace: true,
            format,
            utf8_names: false,
            body,
        });
    }
    push(&mut db, &mut store, &a, "n 1\n", false, 6).unwrap();
    db.commit(Instant::now()).unwrap();
    drop(db);
    let (_, replayed) = open(&disk);
    // Everything around the bad records replays; the clashing push records its failure.
    let a_group = replayed.group(&a).unwrap();
    assert_eq!(a_group.families.len(), 4);
    let b_group = replayed.group(&b).unwrap();
    assert_eq!((b_group.push_time(), b_group.failure_time()), (0.0, 5e-9));
}

#[test]
fn family_records_that_cannot_be_restored_are_skipped_and_the_rest_replays() {
    let disk = Memory::default();
    let (mut db, mut store) = open(&disk);
    let (a, b) = (key(&[("job", "a")]), key(&[("job", "b")]));
    push(&mut db, &mut store, &a, "# TYPE m gauge\nm 1\n", true, 1).unwrap();
    let log = &mut db.log.as_mut().unwrap().wal;
    let (a, b) = (&a, &b);
    let records: [Record<'_>; 5] = [
        // No such group; a type this build does not know; lines out of order; a type clash.
        family(b, 1, "x", b"x{instance=\"\",job=\"b\"} 1\n"),
        family(a, 7, "x", b"x{instance=\"\",job=\"a\"} 1\n"),
        family(
            a,
            1,
            "x",
            b"x{instance=\"\",job=\"a\",l=\"2\"} 1\nx{instance=\"\",job=\"a\",l=\"1\"} 1\n",
        ),
        family(a, 0, "m", b"m{instance=\"\",job=\"a\"} 1\n"),
        // Replaces m.
        family(a, 1, "m", b"m{instance=\"\",job=\"a\",l=\"x\"} 2\n"),
    ];
    for record in &records {
        log.append(record);
    }
    push(&mut db, &mut store, a, "n 1\n", false, 3).unwrap();
    db.commit(Instant::now()).unwrap();
    drop(db);
    let (_, mut replayed) = open(&disk);
    assert!(replayed.group(b).is_none());
    assert_eq!(
        exposition(&mut replayed)
            .split("# HELP push_failure")
            .next()
            .unwrap(),
        "# HELP m h\n# TYPE m gauge\nm{instance=\"\",job=\"a\",l=\"x\"} 2\n\
         # TYPE n untyped\nn{instance=\"\",job=\"a\"} 1\n"
    );
    assert_eq!(replayed.group(a).unwrap().families["m"].stamp.unix_nanos, 2);
}

/// A FAMILY record of a gauge-like family at stamp 2, HELP `h`.
fn family<'a>(key: &'a GroupingKey, mtype: u8, name: &'a str, lines: &'a [u8]) -> Record<'a> {
    Record::Family {
        time_nanos: 2,
        key: Cow::Borrowed(key.labels()),
        mtype,
        help: Some("h"),
        name,
        lines,
    }
}

#[test]
fn a_clean_close_compacts_a_log_that_holds_history_once() {
    let disk = Memory::default();
    let (mut db, mut store) = open(&disk);
    let a = key(&[("job", "a")]);
    for (i, body) in BODIES.iter().enumerate() {
        let _ = push(&mut db, &mut store, &a, body, i % 3 == 0, i as i64 + 1);
    }
    db.commit(Instant::now()).unwrap();
    let history = disk.file(PATH).unwrap();
    let before = state(&store);
    db.close(&store, Instant::now()).unwrap();
    let compacted = disk.file(PATH).unwrap();
    assert!(compacted.len() < history.len(), "the log shrank");
    assert_eq!(disk.paths(), [PATH]);
    let (mut db, replayed) = open(&disk);
    assert_eq!(state(&replayed), before);
    // Opened again, the log may hold history: the next close compacts it again, to the same
    // bytes, and a close right after that leaves it alone.
    db.close(&replayed, Instant::now()).unwrap();
    assert_eq!(disk.file(PATH).unwrap(), compacted);
    assert!(!db.log.as_ref().unwrap().wal.holds_history());
}

#[test]
fn a_close_out_of_time_for_the_compaction_leaves_the_log_as_it_was() {
    let disk = Memory::default();
    let mut options = options();
    options.shutdown_compaction_time = Duration::ZERO;
    let (mut db, mut store) = open_with(&disk, options);
    push(
        &mut db,
        &mut store,
        &key(&[("job", "a")]),
        BODIES[0],
        true,
        1,
    )
    .unwrap();
    db.commit(Instant::now()).unwrap();
    let history = disk.file(PATH).unwrap();
    db.close(&store, Instant::now()).unwrap();
    assert_eq!(disk.file(PATH).unwrap(), history);
    assert_eq!(disk.paths(), [PATH]);
}

#[test]
fn in_memory_changes_reach_the_store() {
    let mut db = Db::in_memory();
    let mut store = Store::new(true, OWN_FAMILIES);
    let a = key(&[("job", "a")]);
    push(&mut db, &mut store, &a, BODIES[0], true, 1).unwrap();
    turn(&mut db, &store);
    db.commit(Instant::now()).unwrap();
    assert_eq!(store.group_count(), 1);
    assert!(db.delete(&mut store, &a));
    db.wipe(&mut store);
    db.close(&store, Instant::now()).unwrap();
    assert_eq!(store.group_count(), 0);
}

/// A fixed history: pushes (PUT, POST, UTF-8 names), a rejected push that records its failure
/// time, a delete and a wipe.
fn fixed_history(disk: &Memory) -> (Db, Store) {
    let (mut db, mut store) = open(disk);
    let s = &mut store;
    let sec = 1_000_000_000;
    let t0 = 1_700_000_000 * sec;
    let (a, b, c) = (
        key(&[("job", "a")]),
        key(&[("job", "b"), ("instance", "i")]),
        key(&[("job", "c")]),
    );
    push(&mut db, s, &c, BODIES[0], true, t0).unwrap();
    db.wipe(s);
    push(&mut db, s, &a, BODIES[4], true, t0 + sec).unwrap();
    push(&mut db, s, &a, BODIES[5], false, t0 + 2 * sec).unwrap();
    push(&mut db, s, &b, BODIES[8], true, t0 + 3 * sec).unwrap();
    push(&mut db, s, &b, BODIES[9], false, t0 + 4 * sec).unwrap_err();
    push(&mut db, s, &c, BODIES[2], true, t0 + 5 * sec).unwrap();
    db.delete(s, &c);
    let utf8 = "# TYPE \"d.x\" gauge\n{\"d.x\",\"l.1\"=\"v\"} 1\n";
    push_with(&mut db, s, &c, utf8, true, true, t0 + 6 * sec).unwrap();
    db.commit(Instant::now()).unwrap();
    (db, store)
}

/// The text exposition with names as stored (`allow-utf-8`), so a replay that changed a name
/// shows.
fn exposition(store: &mut Store) -> String {
    exposition_as(store, Escaping::AllowUtf8)
}

/// Format version 1, as the builds before FAMILY records wrote it: the fixed history's
/// records as they were made. Every later build must read it (the upgrade path).
const V1_LOG: &[u8] = include_bytes!("../../tests/data/wal/v1.log");
const V1_EXPOSITION: &str = include_str!("../../tests/data/wal/v1.metrics");
/// Format version 2, as this build writes it: the fixed history compacted at a clean shutdown
/// (FAMILY records beside protobuf POSTs). A build that writes anything else must say so with
/// a new version in the header.
const V2_LOG: &[u8] = include_bytes!("../../tests/data/wal/v2.log");

#[test]
fn a_version_1_log_replays_to_the_same_store_in_every_later_build() {
    let disk = Memory::default();
    disk.put(PATH, V1_LOG);
    let (mut db, mut replayed) = open(&disk);
    assert_eq!(exposition(&mut replayed), V1_EXPOSITION);
    // It is appended to as it is, and compaction makes it a version-2 log of the same store.
    assert_eq!(&disk.file(PATH).unwrap()[..12], &V1_LOG[..12]);
    let before = state(&replayed);
    db.close(&replayed, Instant::now()).unwrap();
    assert_eq!(disk.file(PATH).unwrap(), V2_LOG);
    let (_, again) = open(&disk);
    assert_eq!(state(&again), before);
}

#[test]
fn this_build_writes_version_2_exactly() {
    let disk = Memory::default();
    let (mut db, mut store) = fixed_history(&disk);
    db.close(&store, Instant::now()).unwrap();
    if std::env::var_os("PGRS_BLESS_WAL").is_some() {
        std::fs::write("tests/data/wal/v2.log", disk.file(PATH).unwrap()).unwrap();
    }
    assert_eq!(
        disk.file(PATH).unwrap(),
        V2_LOG,
        "a format change needs a new version"
    );
    assert_eq!(exposition(&mut store), V1_EXPOSITION);
    let (_, mut replayed) = open(&disk);
    assert_eq!(exposition(&mut replayed), V1_EXPOSITION);
}
