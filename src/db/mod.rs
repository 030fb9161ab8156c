//! One change = check against the store → append to the log → apply; and start-up replay
//! (DESIGN.md). The only path by which a push, delete or wipe reaches the store, so that every
//! change the store accepts is one log record, written before its reply leaves.
//!
//! `Store::push` checks and applies in one call, and the record is appended right after it.
//! Nothing can observe the store in between (one thread), and nothing leaves the process
//! before [`Db::commit`] has written the turn's records: the order check → append → apply is
//! kept where it matters, at the boundary.
//!
//! States: a log is first *replayed*, a budget per loop turn ([`Db::replay_step`]); no change
//! may be made meanwhile. Then it is *ready*, or *broken* after a failed write or sync: the
//! changes of the turn whose commit failed stay in the store (their replies say 503, and they
//! become durable with the rest of the store), callers make no further change
//! ([`Db::status`]), and the loop works at rewriting the live store into a new log (the
//! compaction path) until that succeeds.
//!
//! Records are the accepted changes as they arrived ([`crate::wal::record`]), so replay runs
//! the same store code with the recorded times and rebuilds the same state: families, their
//! stamps, `push_time_seconds` and `push_failure_time_seconds` (spec §12.3 (d)). A rejected
//! push is logged only as the failure time it recorded.
//!
//! Compaction ([`crate::wal`] writes the file) snapshots the store at one instant without
//! copying it: the groups are encoded a turn's budget at a time, and a group about to change
//! is encoded first, so every group is encoded as it was at that instant. The records that
//! follow the instant are copied from the old log behind the snapshot. A wipe abandons a
//! running compaction (the next one, of an empty store, is quick).
//!
//! With `--push.group-ttl`, the db also keeps the expiry timers ([`crate::expiry`]): every
//! change that can create a group gives it a timer, and an expiry is a delete like any other,
//! logged as a delete record. Replay therefore needs no clock and no TTL: it repeats the deletes
//! where they happened, and a group pushed again after its expiry is pushed again on replay.
//!
//! Must never: change the store without logging the change, or log a change the store did not
//! make.

mod encode;
#[cfg(test)]
mod expiry_tests;
#[cfg(test)]
mod tests;

use crate::clock::Timestamp;
use crate::config::LogLevel;
use crate::expiry::Timers;
use crate::grouping::GroupingKey;
use crate::log;
use crate::model::{Family, MetricType};
use crate::parse::names::NameScheme;
use crate::parse::protobuf::{self, Decoded};
use crate::parse::text::{self, TextOptions};
use crate::store::{Rejection, Restored, Store};
use crate::wal::{self, BodyFormat, DecodeError, Pairs, Record, Replay, Storage, Wal, WalOptions};
use std::borrow::Cow;
use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// The changes of the store and, with `--persistence.file`, their log.
pub struct Db {
    log: Option<Log>,
    /// The log being replayed, before `log` exists.
    replay: Option<Replay>,
    /// Records appended so far: a change that moves it waits for the commit.
    appended: u64,
    /// With `--push.group-ttl`: when each group expires.
    expiry: Option<Timers>,
}

/// Whether changes can be made now.
#[derive(Debug, PartialEq, Eq)]
pub enum Status<'a> {
    Ready,
    /// The log is being replayed: `read_bytes` of `total_bytes` so far.
    Replaying {
        read_bytes: u64,
        total_bytes: u64,
    },
    /// The log cannot be written, for this reason; it is being rewritten.
    Broken(&'a str),
}

struct Log {
    wal: Wal,
    snapshot: Option<Snapshot>,
}

/// The groups of a running compaction's snapshot that are not yet encoded.
struct Snapshot {
    /// Every group at the snapshot's instant, in the order they are encoded.
    order: Vec<GroupingKey>,
    next: usize,
    /// Those not yet encoded, ahead of the cursor or not.
    pending: HashSet<GroupingKey>,
}

/// A pushed body as the log keeps it: after decompression, with the parser that reads it.
#[derive(Clone, Copy, Debug)]
pub struct PushedBody<'a> {
    pub format: BodyFormat,
    pub bytes: &'a [u8],
    /// `--push.enable-utf8-names` when the body was parsed.
    pub utf8_names: bool,
}

impl Db {
    /// Without `--persistence.file`: changes go to the store only.
    pub fn in_memory() -> Db {
        Db {
            log: None,
            replay: None,
            appended: 0,
            expiry: None,
        }
    }

    /// Opens the log at `path` for replay ([`Db::replay_step`]) into an empty store.
    pub fn open(storage: Box<dyn Storage>, path: &Path, options: WalOptions) -> io::Result<Db> {
        Ok(Db {
            log: None,
            replay: Some(Wal::open(storage, path, options)?),
            appended: 0,
            expiry: None,
        })
    }

    /// Replays the next part of the log into `store`; true once the log is replayed and ready
    /// for changes (at once without a log). An error means the log could not be read.
    pub fn replay_step(&mut self, store: &mut Store) -> io::Result<bool> {
        let Some(replay) = &mut self.replay else {
            return Ok(true);
        };
        if !replay.step(|offset, record| apply(store, offset, record))? {
            return Ok(false);
        }
        let wal = self.replay.take().expect("a replay is running").finish()?;
        self.log = Some(Log {
            wal,
            snapshot: None,
        });
        Ok(true)
    }

    pub fn status(&self) -> Status<'_> {
        if let Some(replay) = &self.replay {
            let (read_bytes, total_bytes) = replay.progress();
            return Status::Replaying {
                read_bytes,
                total_bytes,
            };
        }
        match self.log.as_ref().and_then(|log| log.wal.broken()) {
            Some(reason) => Status::Broken(reason),
            None => Status::Ready,
        }
    }

    /// Counts the records appended so far; a request that moved it made a change, whose reply
    /// must wait for the commit.
    pub fn appended(&self) -> u64 {
        self.appended
    }

    /// Every change is appended through here.
    fn append(&mut self, record: &Record<'_>) {
        let log = self
            .log
            .as_mut()
            .expect("a change is logged only with a log");
        log.wal.append(record);
        self.appended += 1;
    }

    /// Changes are made only once replay is over: the store is not yet the log's.
    fn before_change(&mut self, store: &Store, key: Option<&GroupingKey>) {
        assert!(
            self.replay.is_none(),
            "a change while the log is being replayed"
        );
        // During a compaction, a group about to change is encoded first, as it was.
        if let (Some(log), Some(key)) = (&mut self.log, key) {
            if let Some(snapshot) = &mut log.snapshot {
                if snapshot.pending.remove(key) {
                    encode(&mut log.wal, store, key);
                }
            }
        }
    }

    /// PUT (`replace`) or POST: the store's verdict, logged as the push itself when accepted,
    /// or as the failure time the rejection recorded.
    pub fn push(
        &mut self,
        store: &mut Store,
        key: &GroupingKey,
        families: Vec<Family<'_>>,
        body: PushedBody<'_>,
        replace: bool,
        time: Timestamp,
    ) -> Result<(), Rejection> {
        self.before_change(store, Some(key));
        let result = store.push(key, families, replace, time);
        match (&result, self.log.is_some()) {
            (Ok(()), true) => self.append(&Record::Push {
                time_nanos: time.unix_nanos,
                key: Cow::Borrowed(key.labels()),
                replace,
                format: body.format,
                utf8_names: body.utf8_names,
                body: body.bytes,
            }),
            (Ok(()), false) => {}
            (Err(_), _) => self.log_failure(store, key, time),
        }
        self.track(store, key);
        result
    }

    /// A rejection records a failure time exactly when the group exists afterwards: it existed,
    /// or recording the failure created it (spec §6.6, §17 R1).
    fn log_failure(&mut self, store: &Store, key: &GroupingKey, time: Timestamp) {
        if self.log.is_some() && store.group(key).is_some() {
            self.append(&Record::Failure {
                time_nanos: time.unix_nanos,
                key: Cow::Borrowed(key.labels()),
            });
        }
    }

    /// A push rejected for problems its body carried (`Store::reject`), logged as the failure
    /// time it recorded, like any rejection.
    pub fn reject(
        &mut self,
        store: &mut Store,
        key: &GroupingKey,
        problems: Vec<String>,
        time: Timestamp,
    ) -> Rejection {
        self.before_change(store, Some(key));
        let rejection = store.reject(key, problems, time);
        self.log_failure(store, key, time);
        self.track(store, key);
        rejection
    }

    /// Deletes the group; returns whether it existed. Deleting nothing is not logged.
    pub fn delete(&mut self, store: &mut Store, key: &GroupingKey) -> bool {
        self.before_change(store, Some(key));
        let existed = store.delete(key);
        if existed && self.log.is_some() {
            self.append(&Record::Delete {
                key: Cow::Borrowed(key.labels()),
            });
        }
        existed
    }

    pub fn wipe(&mut self, store: &mut Store) {
        self.before_change(store, None);
        if let Some(log) = &mut self.log {
            log.wal.abort_compaction();
            log.snapshot = None;
            self.append(&Record::Wipe);
        }
        if let Some(timers) = &mut self.expiry {
            timers.clear();
        }
        store.wipe();
    }

    /// Turns group expiry on (`--push.group-ttl`), for every group in the store and every one
    /// created from now on. Groups already past their deadline go at the next [`Db::expire`].
    pub fn enable_expiry(&mut self, ttl: Duration, store: &Store) {
        let mut timers = Timers::new(ttl);
        for group in store.groups_sorted() {
            timers.track(group);
        }
        self.expiry = Some(timers);
    }

    /// Deletes (and logs the delete of) up to `max` groups whose deadline is at or before `now`;
    /// returns how many.
    pub fn expire(&mut self, store: &mut Store, now: Timestamp, max: usize) -> usize {
        let Some(timers) = &mut self.expiry else {
            return 0;
        };
        // Nothing expires while the log replays: the store is not yet the log's.
        if self.replay.is_some() {
            return 0;
        }
        let due = timers.due(store, now, max);
        for key in &due {
            if log::enabled(LogLevel::Debug) {
                log::debug("group expired", &[("group", &describe(key))]);
            }
            self.delete(store, key);
        }
        due.len()
    }

    /// After a change that may have created the group: its expiry timer.
    fn track(&mut self, store: &Store, key: &GroupingKey) {
        if let (Some(timers), Some(group)) = (&mut self.expiry, store.group(key)) {
            timers.track(group);
        }
    }

    /// The group-commit point, once per loop turn before any reply is written: writes the
    /// turn's records (and syncs them with `--persistence.fsync=always`). An error means the
    /// turn's changes are not safely logged: the caller must not acknowledge them.
    pub fn commit(&mut self, now: Instant) -> io::Result<()> {
        match &mut self.log {
            Some(log) => log.wal.commit(now),
            None => Ok(()),
        }
    }

    /// Once a second: the interval sync, and the start of a compaction, or of the recovery of
    /// a broken log, when one is due.
    pub fn tick(&mut self, store: &Store, now: Instant) {
        let Some(log) = &mut self.log else {
            return;
        };
        log.wal.tick(now);
        let due = log.wal.compaction_due() || log.wal.recovery_due();
        if log.snapshot.is_none() && due && log.wal.begin_compaction() {
            log.snapshot = Some(Snapshot::of(store));
        }
    }

    /// Once per loop turn, between requests: the next piece of the replay, or of a running
    /// compaction or recovery. True while more is left.
    pub fn background(&mut self, store: &mut Store) -> io::Result<bool> {
        if self.replay.is_some() {
            return self.replay_step(store).map(|done| !done);
        }
        Ok(self.compact_step(store))
    }

    /// The next piece of a running compaction or recovery; true while more is left.
    pub fn compact_step(&mut self, store: &Store) -> bool {
        let Some(log) = &mut self.log else {
            return false;
        };
        let budget = log.wal.options().compact_bytes_per_turn;
        log.compact_step(store, budget);
        log.snapshot.is_some()
    }

    /// At a clean shutdown: commit and sync; a broken log gets one last, whole attempt at
    /// being rewritten first, and a log that holds history is compacted (within
    /// `shutdown_compaction_time`; if that runs out, the log stays as it was), so that the next
    /// start-up replays the store rather than its history. An unfinished replay changed
    /// nothing and is left as it is.
    pub fn close(&mut self, store: &Store, now: Instant) -> io::Result<()> {
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        if log.wal.broken().is_some() {
            log.snapshot = None;
            log.wal.abort_compaction();
            if log.wal.begin_compaction() {
                log.snapshot = Some(Snapshot::of(store));
                while log.wal.is_compacting() {
                    log.compact_step(store, wal::SHUTDOWN_COMPACT_BYTES_PER_STEP);
                }
            }
        } else if log.wal.holds_history() {
            // A compaction already running goes on; its snapshot is as good.
            if log.snapshot.is_none() && log.wal.begin_compaction() {
                log.snapshot = Some(Snapshot::of(store));
            }
            // The snapshot's tail starts after the records of this turn.
            if log.wal.commit(now).is_ok() {
                let deadline = Instant::now() + log.wal.options().shutdown_compaction_time;
                while log.wal.is_compacting() && Instant::now() < deadline {
                    log.compact_step(store, wal::SHUTDOWN_COMPACT_BYTES_PER_STEP);
                }
            }
        }
        log.wal.close(now)
    }
}

impl Snapshot {
    /// Every group of `store`, none encoded yet.
    fn of(store: &Store) -> Snapshot {
        let order: Vec<GroupingKey> = store
            .groups_sorted()
            .into_iter()
            .map(|g| g.key.clone())
            .collect();
        Snapshot {
            pending: order.iter().cloned().collect(),
            order,
            next: 0,
        }
    }
}

impl Log {
    /// Encodes snapshot groups up to `budget` bytes, then (once all are) lets the log finish.
    fn compact_step(&mut self, store: &Store, budget: usize) {
        let Some(snapshot) = &mut self.snapshot else {
            return;
        };
        // Stops early if the log abandoned the compaction (a record too large to write).
        while self.wal.is_compacting() && self.wal.compacted_buffered_bytes() < budget {
            let Some(key) = snapshot.order.get(snapshot.next) else {
                break;
            };
            snapshot.next += 1;
            if snapshot.pending.remove(key) {
                encode(&mut self.wal, store, key);
            }
        }
        if snapshot.next == snapshot.order.len() {
            // An error here broke the log; the next commit reports it.
            let _ = self.wal.finish_compaction();
        } else {
            self.wal.flush_compacted();
        }
        if !self.wal.is_compacting() {
            self.snapshot = None;
        }
    }
}

/// Appends one group's records to the compaction snapshot.
fn encode(wal: &mut Wal, store: &Store, key: &GroupingKey) {
    let group = store
        .group(key)
        .expect("a group not yet encoded has not changed since the snapshot, so it exists");
    encode::group_records(group, &mut |record| wal.append_compacted(record));
}

/// Applies one logged record to the store. Anything unexpected is logged loudly and skipped:
/// the rest of the log is still worth replaying.
fn apply(store: &mut Store, offset: u64, record: Result<Record<'_>, DecodeError>) {
    let record = match record {
        Ok(record) => record,
        Err(e) => {
            log::error(
                "skipping a persistence log record this build cannot read",
                &[("offset", &offset), ("err", &e)],
            );
            return;
        }
    };
    let key = match &record {
        Record::Push { key, .. }
        | Record::Failure { key, .. }
        | Record::Delete { key }
        | Record::Family { key, .. } => match grouping_key(key) {
            Ok(key) => Some(key),
            Err(e) => {
                log::error(
                    "skipping a persistence log record with an invalid grouping key",
                    &[("offset", &offset), ("err", &e)],
                );
                return;
            }
        },
        Record::Wipe => None,
    };
    match (record, key) {
        (
            Record::Push {
                time_nanos,
                replace,
                format,
                utf8_names,
                body,
                ..
            },
            Some(key),
        ) => {
            let families = match parse_body(format, body, utf8_names) {
                Ok(decoded) if decoded.problems.is_empty() => decoded.families,
                Ok(decoded) => {
                    log::error(
                        "skipping a logged push whose body is inconsistent; its changes are lost",
                        &[
                            ("offset", &offset),
                            ("group", &describe(&key)),
                            ("err", &decoded.problems.join("; ")),
                        ],
                    );
                    return;
                }
                Err(e) => {
                    log::error(
                        "skipping a logged push whose body cannot be parsed; its changes are lost",
                        &[("offset", &offset), ("group", &describe(&key)), ("err", &e)],
                    );
                    return;
                }
            };
            let time = Timestamp::from_unix_nanos(time_nanos);
            if let Err(rejection) = store.push(&key, families, replace, time) {
                log::error(
                    "a logged push was rejected on replay; its changes are lost",
                    &[
                        ("offset", &offset),
                        ("group", &describe(&key)),
                        ("err", &rejection),
                    ],
                );
            }
        }
        (Record::Failure { time_nanos, .. }, Some(key)) => {
            store.record_failure(&key, Timestamp::from_unix_nanos(time_nanos));
        }
        (Record::Delete { .. }, Some(key)) => {
            store.delete(&key);
        }
        (Record::Wipe, None) => store.wipe(),
        (
            Record::Family {
                time_nanos,
                mtype,
                help,
                name,
                lines,
                ..
            },
            Some(key),
        ) => {
            let restored = MetricType::from_protobuf_number(u64::from(mtype))
                .ok_or_else(|| format!("unknown type {mtype}"))
                .and_then(|mtype| {
                    let family = Restored {
                        name,
                        help,
                        mtype,
                        stamp: Timestamp::from_unix_nanos(time_nanos),
                        lines,
                    };
                    store.restore_family(&key, family)
                });
            if let Err(e) = restored {
                log::error(
                    "skipping a logged family that cannot be restored; it is lost",
                    &[
                        ("offset", &offset),
                        ("group", &describe(&key)),
                        ("family", &name),
                        ("err", &e),
                    ],
                );
            }
        }
        _ => unreachable!("every record but a wipe carries a key"),
    }
}

/// A push body parsed by the parser of its format: the families, and the consistency problems
/// a protobuf body may carry (see `parse::protobuf`). Pushes and their replay share it, so a
/// logged body is read exactly as it was when it was accepted.
pub fn parse_body(
    format: BodyFormat,
    body: &[u8],
    utf8_names: bool,
) -> Result<Decoded<'_>, String> {
    match format {
        BodyFormat::Text => text::parse(body, TextOptions { utf8_names })
            .map(|families| Decoded {
                families,
                problems: Vec::new(),
            })
            .map_err(|e| e.to_string()),
        BodyFormat::Protobuf => {
            protobuf::parse(body, NameScheme { utf8: utf8_names }).map_err(|e| e.to_string())
        }
    }
}

/// A logged key, checked for what `GroupingKey::from_pairs` requires.
fn grouping_key(pairs: &Pairs<'_>) -> Result<GroupingKey, &'static str> {
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err("a label name is repeated");
    }
    if !names.contains(&"job") {
        return Err("there is no job label");
    }
    // What a push URL's label names can be (UTF-8 ones included, with --push.enable-utf8-names):
    // the consistency check would refuse the group's bookkeeping series otherwise.
    if names.iter().any(|n| n.is_empty() || n.starts_with("__")) {
        return Err("a label name is empty or reserved");
    }
    Ok(GroupingKey::from_pairs(pairs.to_vec()))
}

/// `{job="x",instance="y"}` for log lines.
fn describe(key: &GroupingKey) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in key.labels().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(&crate::go_quote::quote(value.as_bytes()));
    }
    out.push('}');
    out
}
