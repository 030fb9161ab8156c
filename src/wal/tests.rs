//! The log's file handling through the in-memory storage: creation, replay, damaged tails,
//! foreign files, group commit and sync policies, injected faults, compaction mechanics.

use super::frame::{header, HEADER_BYTES};
use super::storage::memory::Memory;
use super::*;
use std::borrow::Cow;

const PATH: &str = "/data/pg.log";

fn options(fsync: FsyncPolicy) -> WalOptions {
    WalOptions::new(fsync, Duration::from_secs(10))
}

fn delete(job: &str) -> Record<'static> {
    Record::Delete {
        key: Cow::Owned(vec![("job".to_string(), job.to_string())]),
    }
}

fn frames(records: &[Record<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        r.encode(&mut out);
    }
    out
}

/// Opens and replays the log, returning it and what replay handed over, as `offset: record`
/// lines.
fn open(disk: &Memory, options: WalOptions) -> (Wal, Vec<String>) {
    replay(Box::new(disk.clone()), Path::new(PATH), options).expect("open")
}

fn replay(
    storage: Box<dyn Storage>,
    path: &Path,
    options: WalOptions,
) -> io::Result<(Wal, Vec<String>)> {
    let mut replay = Wal::open(storage, path, options)?;
    let mut seen = Vec::new();
    let record = |offset, r: Result<Record<'_>, DecodeError>| match r {
        Ok(Record::Delete { key }) => format!("{offset}: delete {}", key[0].1),
        other => format!("{offset}: {other:?}"),
    };
    while !replay.step(|offset, r| seen.push(record(offset, r)))? {}
    Ok((replay.finish()?, seen))
}

/// Paths beside the log whose names start with `PATH.<what>-`.
fn aside(disk: &Memory, what: &str) -> Vec<Vec<u8>> {
    let prefix = format!("{PATH}.{what}-");
    disk.paths()
        .into_iter()
        .filter(|p| p.starts_with(&prefix))
        .map(|p| disk.file(&p).unwrap())
        .collect()
}

#[test]
fn a_missing_log_is_created_with_its_header_and_synced() {
    let disk = Memory::default();
    let (_wal, seen) = open(&disk, options(FsyncPolicy::Never));
    assert!(seen.is_empty());
    assert_eq!(disk.file(PATH).unwrap(), header());
    assert_eq!(disk.paths(), [PATH]);
    assert!(disk.syncs() >= 2, "the header and the directory are synced");
}

#[test]
fn committed_records_replay_in_order_with_their_offsets() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Never));
    wal.append(&delete("a"));
    wal.append(&delete("b"));
    // Appended but not committed: not in the file.
    assert_eq!(disk.file(PATH).unwrap().len(), HEADER_BYTES);
    wal.commit(Instant::now()).unwrap();
    wal.append(&Record::Wipe);
    wal.commit(Instant::now()).unwrap();
    drop(wal);
    let (_, seen) = open(&disk, options(FsyncPolicy::Never));
    assert_eq!(seen, ["12: delete a", "37: delete b", "62: Ok(Wipe)"]);
}

#[test]
fn a_foreign_file_is_moved_aside_and_the_log_starts_empty() {
    // An upstream gob snapshot begins like this.
    let gob = b"\x0e\xff\x81\x04\x01\x02\xff\x82\x00\x01\x0c\x01\x10\x00\x00\x2a";
    for foreign in [&gob[..], b"x"] {
        let disk = Memory::default();
        disk.put(PATH, foreign);
        let (mut wal, seen) = open(&disk, options(FsyncPolicy::Never));
        assert!(seen.is_empty());
        assert_eq!(aside(&disk, "not-a-log"), [foreign.to_vec()]);
        assert_eq!(disk.file(PATH).unwrap(), header());
        // The new log works.
        wal.append(&delete("new"));
        wal.commit(Instant::now()).unwrap();
        drop(wal);
        assert_eq!(
            open(&disk, options(FsyncPolicy::Never)).1,
            ["12: delete new"]
        );
    }
}

#[test]
fn a_log_of_another_version_is_refused_and_left_untouched() {
    for version in [0u8, 3, 9] {
        let mut other = header().to_vec();
        other[8] = version;
        other.extend(frames(&[delete("a")]));
        let disk = Memory::default();
        disk.put(PATH, &other);
        let storage = Box::new(disk.clone());
        let opened = Wal::open(storage, Path::new(PATH), options(FsyncPolicy::Never));
        let err = opened.err().expect("refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            format!(
                "/data/pg.log is a persistence log of format version {version}, and this build \
                 reads only versions 1 to 2: run the build that wrote it, or move the file away \
                 to start empty"
            )
        );
        assert_eq!(disk.paths(), [PATH]);
        assert_eq!(disk.file(PATH).unwrap(), other);
    }
}

#[test]
fn replay_hands_records_over_a_budget_at_a_time() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Never));
    for job in ["a", "b", "c", "d", "e"] {
        wal.append(&delete(job));
    }
    wal.commit(Instant::now()).unwrap();
    drop(wal);
    let mut opts = options(FsyncPolicy::Never);
    // Records are 25 bytes: a step ends with the record that reaches 30 bytes.
    opts.replay_bytes_per_turn = 30;
    opts.replay_time_per_turn = Duration::MAX;
    let mut replay = Wal::open(Box::new(disk.clone()), Path::new(PATH), opts).unwrap();
    assert_eq!(replay.progress(), (12, 137));
    let mut steps = Vec::new();
    loop {
        let mut seen = 0;
        let done = replay.step(|_, _| seen += 1).unwrap();
        steps.push(seen);
        if done {
            break;
        }
    }
    assert_eq!(steps, [2, 2, 1]);
    assert_eq!(replay.progress(), (137, 137));
    replay.finish().unwrap();
}

#[test]
fn a_second_foreign_file_in_the_same_second_gets_its_own_name() {
    let disk = Memory::default();
    disk.put(PATH, b"one");
    drop(open(&disk, options(FsyncPolicy::Never)));
    disk.put(PATH, b"two");
    drop(open(&disk, options(FsyncPolicy::Never)));
    let mut kept = aside(&disk, "not-a-log");
    kept.sort();
    assert_eq!(kept, [b"one".to_vec(), b"two".to_vec()]);
}

#[test]
fn a_torn_header_holds_nothing_and_is_rewritten() {
    for len in 0..HEADER_BYTES {
        let disk = Memory::default();
        disk.put(PATH, &header()[..len]);
        let (_, seen) = open(&disk, options(FsyncPolicy::Never));
        assert!(seen.is_empty());
        assert_eq!(disk.file(PATH).unwrap(), header(), "{len}");
        assert_eq!(
            disk.paths(),
            [PATH],
            "nothing is kept aside for {len} bytes"
        );
    }
}

#[test]
fn a_damaged_tail_is_kept_aside_and_cut_off() {
    let good = [header().to_vec(), frames(&[delete("a"), delete("b")])].concat();
    let garbage = b"\x05\x00\x00\x00garbage";
    let disk = Memory::default();
    disk.put(PATH, &[&good[..], garbage].concat());
    let (mut wal, seen) = open(&disk, options(FsyncPolicy::Never));
    assert_eq!(seen, ["12: delete a", "37: delete b"]);
    assert_eq!(disk.file(PATH).unwrap(), good);
    assert_eq!(aside(&disk, "corrupt"), [garbage.to_vec()]);
    // Appends continue right after the last good record.
    wal.append(&delete("c"));
    wal.commit(Instant::now()).unwrap();
    drop(wal);
    let (_, seen) = open(&disk, options(FsyncPolicy::Never));
    assert_eq!(seen, ["12: delete a", "37: delete b", "62: delete c"]);
}

#[test]
fn a_record_that_cannot_be_decoded_is_handed_over_and_replay_goes_on() {
    let mut bytes = header().to_vec();
    frame::encode(&mut bytes, 77, |out| out.extend_from_slice(b"future"));
    bytes.extend(frames(&[delete("after")]));
    let disk = Memory::default();
    disk.put(PATH, &bytes);
    let (_, seen) = open(&disk, options(FsyncPolicy::Never));
    assert_eq!(seen, ["12: Err(UnknownKind(77))", "27: delete after"]);
    assert_eq!(
        disk.file(PATH).unwrap(),
        bytes,
        "a readable frame is not damage"
    );
}

#[test]
fn an_unfinished_compaction_is_removed_at_start() {
    let disk = Memory::default();
    disk.put(&format!("{PATH}.compact-tmp"), b"half a snapshot");
    drop(open(&disk, options(FsyncPolicy::Never)));
    assert_eq!(disk.paths(), [PATH]);
}

#[test]
fn always_syncs_once_per_commit_and_only_with_records() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Always));
    let before = disk.syncs();
    wal.commit(Instant::now()).unwrap();
    assert_eq!(disk.syncs(), before, "nothing to commit, nothing to sync");
    wal.append(&delete("a"));
    wal.append(&delete("b"));
    wal.commit(Instant::now()).unwrap();
    assert_eq!(disk.syncs(), before + 1, "one sync for the whole turn");
}

#[test]
fn interval_syncs_once_the_oldest_write_is_an_interval_old() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Interval));
    let before = disk.syncs();
    let t0 = Instant::now();
    wal.append(&delete("a"));
    wal.commit(t0).unwrap();
    wal.append(&delete("b"));
    wal.commit(t0 + Duration::from_secs(5)).unwrap();
    wal.tick(t0 + Duration::from_secs(9));
    assert_eq!(disk.syncs(), before);
    wal.tick(t0 + Duration::from_secs(10));
    assert_eq!(disk.syncs(), before + 1);
    wal.tick(t0 + Duration::from_secs(30));
    assert_eq!(disk.syncs(), before + 1, "nothing new to sync");
}

#[test]
fn never_leaves_syncing_to_the_system_until_a_clean_close() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Never));
    let before = disk.syncs();
    let t0 = Instant::now();
    wal.append(&delete("a"));
    wal.commit(t0).unwrap();
    wal.tick(t0 + Duration::from_secs(3600));
    assert_eq!(disk.syncs(), before);
    wal.append(&delete("b"));
    wal.close(t0).unwrap();
    assert_eq!(disk.syncs(), before + 1);
    assert_eq!(open(&disk, options(FsyncPolicy::Never)).1.len(), 2);
}

#[test]
fn a_short_write_then_a_failure_breaks_the_log_and_replay_keeps_what_was_whole() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Always));
    wal.append(&delete("kept"));
    wal.commit(Instant::now()).unwrap();
    // The next append is cut short 10 bytes in, and the retry fails: disk full.
    disk.limit_appends(Some(10));
    wal.append(&delete("lost"));
    let err = wal.commit(Instant::now()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    assert!(
        err.to_string().starts_with("writing /data/pg.log: "),
        "{err}"
    );
    // Broken for good, even once the disk has room again.
    disk.limit_appends(None);
    wal.append(&delete("later"));
    assert_eq!(
        wal.commit(Instant::now()).unwrap_err().to_string(),
        err.to_string()
    );
    drop(wal);
    let (_, seen) = open(&disk, options(FsyncPolicy::Always));
    assert_eq!(seen, ["12: delete kept"]);
    assert_eq!(aside(&disk, "corrupt")[0].len(), 10);
}

#[test]
fn short_writes_that_go_on_are_retried_until_whole() {
    struct Trickle(Box<dyn LogFile>);
    impl LogFile for Trickle {
        fn size(&self) -> io::Result<u64> {
            self.0.size()
        }
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            self.0.read_at(buf, offset)
        }
        fn append(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.append(&buf[..buf.len().min(3)])
        }
        fn sync(&mut self) -> io::Result<()> {
            self.0.sync()
        }
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            self.0.truncate(len)
        }
    }
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Always));
    wal.file = Box::new(Trickle(std::mem::replace(
        &mut wal.file,
        Box::new(Trickle(disk.clone().create(Path::new("/x")).unwrap())),
    )));
    wal.append(&delete("whole"));
    wal.commit(Instant::now()).unwrap();
    drop(wal);
    assert_eq!(
        open(&disk, options(FsyncPolicy::Always)).1,
        ["12: delete whole"]
    );
}

#[test]
fn a_failed_sync_under_always_fails_the_commit() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Always));
    disk.fail_syncs(true);
    wal.append(&delete("a"));
    let err = wal.commit(Instant::now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "syncing /data/pg.log: injected sync failure"
    );
    disk.fail_syncs(false);
    assert!(wal.commit(Instant::now()).is_err(), "the log stays broken");
}

#[test]
fn a_failed_interval_sync_fails_the_next_commit() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Interval));
    let t0 = Instant::now();
    wal.append(&delete("a"));
    wal.commit(t0).unwrap();
    disk.fail_syncs(true);
    wal.tick(t0 + Duration::from_secs(10));
    assert!(wal.commit(t0).is_err());
}

#[test]
fn a_broken_log_is_recovered_by_a_rewrite_into_a_new_file() {
    for fault in ["short write", "failed sync"] {
        let disk = Memory::default();
        let (mut wal, _) = open(&disk, options(FsyncPolicy::Always));
        wal.append(&delete("acknowledged"));
        wal.commit(Instant::now()).unwrap();
        let set_fault = |on: bool| match fault {
            "short write" => disk.limit_appends(on.then_some(5)),
            _ => disk.fail_syncs(on),
        };
        set_fault(true);
        wal.append(&delete("failed"));
        let failure = wal.commit(Instant::now()).unwrap_err().to_string();
        assert_eq!(wal.broken(), Some(failure.as_str()));
        assert!(wal.recovery_due(), "{fault}");
        // While the fault lasts, a recovery fails and leaves nothing behind.
        assert!(wal.begin_compaction());
        wal.append_compacted(&delete("snapshot"));
        wal.flush_compacted();
        assert!(!wal.is_compacting(), "{fault}");
        assert_eq!(disk.paths(), [PATH]);
        assert!(wal.recovery_due());
        // Once writes work again, the next one replaces the file. A change made meanwhile is
        // not acknowledged until the new file is in place, and then follows the snapshot.
        set_fault(false);
        assert!(wal.begin_compaction());
        wal.append_compacted(&delete("snapshot"));
        wal.append(&delete("meanwhile"));
        assert!(wal.commit(Instant::now()).is_err(), "{fault}");
        wal.finish_compaction().unwrap();
        assert!(!wal.is_compacting());
        assert_eq!(wal.broken(), None);
        wal.commit(Instant::now()).unwrap();
        drop(wal);
        let (_, seen) = open(&disk, options(FsyncPolicy::Always));
        assert_eq!(
            seen,
            ["12: delete snapshot", "44: delete meanwhile"],
            "{fault}"
        );
    }
}

/// Runs a whole compaction whose snapshot is `snapshot`, with `during` committed to the old
/// log while it runs; returns the log's records afterwards.
fn compact(disk: &Memory, wal: &mut Wal, snapshot: &[Record<'_>], during: &[Record<'_>]) {
    assert!(wal.begin_compaction());
    for r in snapshot {
        wal.append_compacted(r);
    }
    wal.flush_compacted();
    for r in during {
        wal.append(r);
        wal.commit(Instant::now()).unwrap();
    }
    for _ in 0..100 {
        wal.finish_compaction().unwrap();
        if !wal.is_compacting() {
            return;
        }
    }
    panic!("compaction did not finish; files {:?}", disk.paths());
}

#[test]
fn compaction_replaces_the_log_with_snapshot_and_tail() {
    let disk = Memory::default();
    let mut opts = options(FsyncPolicy::Never);
    opts.compact_bytes_per_turn = 30;
    let (mut wal, _) = open(&disk, opts.clone());
    for job in ["old1", "old2", "old3"] {
        wal.append(&delete(job));
    }
    wal.commit(Instant::now()).unwrap();
    // Appended in the turn the compaction starts in: part of the snapshot, not of the tail.
    wal.append(&delete("same-turn"));
    compact(
        &disk,
        &mut wal,
        &[delete("snap")],
        &[delete("t1"), delete("t2"), delete("t3")],
    );
    wal.append(&delete("after"));
    wal.commit(Instant::now()).unwrap();
    drop(wal);
    assert_eq!(disk.paths(), [PATH]);
    let (_, seen) = open(&disk, opts);
    assert_eq!(
        seen,
        [
            "12: delete snap",
            "40: delete t1",
            "66: delete t2",
            "92: delete t3",
            "118: delete after"
        ]
    );
}

#[test]
fn a_compaction_that_fails_before_the_rename_leaves_the_log_alone() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Never));
    wal.append(&delete("a"));
    wal.commit(Instant::now()).unwrap();
    let log_before = disk.file(PATH).unwrap();
    assert!(wal.begin_compaction());
    wal.append_compacted(&delete("snap"));
    disk.fail_renames(true);
    wal.finish_compaction().unwrap();
    assert!(!wal.is_compacting());
    assert_eq!(disk.paths(), [PATH], "the unfinished file is removed");
    assert_eq!(disk.file(PATH).unwrap(), log_before);
    // The log goes on as before.
    disk.fail_renames(false);
    wal.append(&delete("b"));
    wal.commit(Instant::now()).unwrap();
    assert!(
        !wal.compaction_due(),
        "the next attempt waits for more growth"
    );
    drop(wal);
    let seen = open(&disk, options(FsyncPolicy::Never)).1;
    assert_eq!(seen, ["12: delete a", "37: delete b"]);
}

#[test]
fn a_failed_sync_of_the_snapshot_abandons_the_compaction() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Never));
    assert!(wal.begin_compaction());
    wal.append_compacted(&delete("snap"));
    disk.fail_syncs(true);
    wal.flush_compacted();
    assert!(!wal.is_compacting());
    assert_eq!(disk.paths(), [PATH]);
    disk.fail_syncs(false);
    wal.commit(Instant::now()).unwrap();
}

#[test]
fn compaction_is_due_once_the_log_outgrew_its_last_size_by_the_factor() {
    let disk = Memory::default();
    let mut opts = options(FsyncPolicy::Never);
    opts.compact_min_bytes = 100;
    let (mut wal, _) = open(&disk, opts.clone());
    // 12 header bytes + 25 per record: 100 bytes after 4 records.
    for job in ["a", "b", "c"] {
        wal.append(&delete(job));
    }
    assert!(!wal.compaction_due());
    wal.append(&delete("d"));
    assert!(wal.compaction_due(), "counted before its commit");
    wal.commit(Instant::now()).unwrap();
    compact(&disk, &mut wal, &[delete("x"), delete("y")], &[]);
    // 62 bytes now: the next one is due at twice that.
    assert!(!wal.compaction_due());
    for job in ["e", "f"] {
        wal.append(&delete(job));
    }
    assert!(!wal.compaction_due());
    wal.append(&delete("g"));
    assert!(wal.compaction_due());
}

#[test]
fn a_snapshot_record_over_the_limit_abandons_the_compaction() {
    let disk = Memory::default();
    let (mut wal, _) = open(&disk, options(FsyncPolicy::Never));
    assert!(wal.begin_compaction());
    // Zeroed pages: the test never touches them, as the check comes before any copy.
    let body = vec![0; crate::limits::LOG_RECORD_BYTES_MAX];
    wal.append_compacted(&Record::Push {
        time_nanos: 1,
        key: Cow::Owned(vec![("job".to_string(), "big".to_string())]),
        replace: true,
        format: BodyFormat::Text,
        utf8_names: false,
        body: &body,
    });
    assert!(!wal.is_compacting());
    assert_eq!(disk.paths(), [PATH]);
}

#[test]
fn the_real_file_system_takes_the_same_steps() {
    let dir = std::env::temp_dir().join(format!("pgrs-wal-disk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log");
    let open = || replay(Box::<Disk>::default(), &path, options(FsyncPolicy::Always));
    let (mut wal, _) = open().unwrap();
    // A second process on the same log is refused while the first holds it.
    let err = open().err().expect("the log is locked");
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(err
        .to_string()
        .ends_with("log.lock is locked: another pushgateway is using this persistence file"));
    wal.append(&delete("a"));
    wal.commit(Instant::now()).unwrap();
    assert!(wal.begin_compaction());
    wal.append_compacted(&delete("snap"));
    wal.append(&delete("tail"));
    wal.commit(Instant::now()).unwrap();
    wal.finish_compaction().unwrap();
    assert!(!wal.is_compacting());
    drop(wal);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let (_, seen) = open().unwrap();
    assert_eq!(seen, ["12: delete snap", "40: delete tail"]);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["log", "log.lock"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
