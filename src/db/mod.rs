//! One change = check against the store → append to the log → apply; and start-up replay
//! (DESIGN.md). The only path by which a push, delete or wipe reaches the store, so that every
//! change the store accepts is one log record, written before its reply leaves.
//!
//! `Store::push` checks and applies in one call, and the record is appended right after it.
//! Nothing can observe the store in between (one thread), and nothing leaves the process
//! before [`Db::commit`] has written the turn's records: the order check → append → apply is
//! kept where it matters, at the boundary. A failed commit stops the server without replies.
//!
//! Records are the accepted changes as they arrived ([`crate::wal::record`]), so replay runs
//! the same store code with the recorded times and rebuilds the same state: families, their
//! stamps, `push_time_seconds` and `push_failure_time_seconds` (spec §12.3 (d)). A rejected
//! push is logged only as the failure time it recorded.
//!
//! Compaction ([`crate::wal`] writes the file) snapshots the store at one instant without
//! copying it: the groups are encoded a tick's budget at a time, and a group about to change
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
use crate::model::Family;
use crate::parse::names::NameScheme;
use crate::parse::protobuf::{self, Decoded};
use crate::parse::text::{self, TextOptions};
use crate::store::{Rejection, Store};
use crate::wal::{BodyFormat, DecodeError, Pairs, Record, Storage, Wal, WalOptions};
use std::borrow::Cow;
use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// The changes of the store and, with `--persistence.file`, their log.
pub struct Db {
    log: Option<Log>,
    /// With `--push.group-ttl`: when each group expires.
    expiry: Option<Timers>,
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
            expiry: None,
        }
    }

    /// Opens the log at `path`, replays it into `store` (which should be empty), and keeps
    /// appending to it.
    pub fn open(
        storage: Box<dyn Storage>,
        path: &Path,
        options: WalOptions,
        store: &mut Store,
    ) -> io::Result<Db> {
        let wal = Wal::open(storage, path, options, |offset, record| {
            replay(store, offset, record)
        })?;
        Ok(Db {
            log: Some(Log {
                wal,
                snapshot: None,
            }),
            expiry: None,
        })
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
        self.before_change(store, key);
        let result = store.push(key, families, replace, time);
        match (&result, &mut self.log) {
            (Ok(()), Some(log)) => log.wal.append(&Record::Push {
                time_nanos: time.unix_nanos,
                key: Cow::Borrowed(key.labels()),
                replace,
                format: body.format,
                utf8_names: body.utf8_names,
                body: body.bytes,
            }),
            (Ok(()), None) => {}
            (Err(_), _) => self.log_failure(store, key, time),
        }
        self.track(store, key);
        result
    }

    /// A rejection records a failure time exactly when the group exists afterwards: it existed,
    /// or recording the failure created it (spec §6.6, §17 R1).
    fn log_failure(&mut self, store: &Store, key: &GroupingKey, time: Timestamp) {
        if let (Some(log), Some(_)) = (&mut self.log, store.group(key)) {
            log.wal.append(&Record::Failure {
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
        self.before_change(store, key);
        let rejection = store.reject(key, problems, time);
        self.log_failure(store, key, time);
        self.track(store, key);
        rejection
    }

    /// Deletes the group; returns whether it existed. Deleting nothing is not logged.
    pub fn delete(&mut self, store: &mut Store, key: &GroupingKey) -> bool {
        self.before_change(store, key);
        let existed = store.delete(key);
        if let (true, Some(log)) = (existed, &mut self.log) {
            log.wal.append(&Record::Delete {
                key: Cow::Borrowed(key.labels()),
            });
        }
        existed
    }

    pub fn wipe(&mut self, store: &mut Store) {
        if let Some(log) = &mut self.log {
            log.wal.abort_compaction();
            log.snapshot = None;
            log.wal.append(&Record::Wipe);
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
    /// turn's changes are not safely logged: the caller must not send the turn's replies.
    pub fn commit(&mut self, now: Instant) -> io::Result<()> {
        match &mut self.log {
            Some(log) => log.wal.commit(now),
            None => Ok(()),
        }
    }

    /// Once a second: the interval sync, and a step of compaction. A failure here surfaces
    /// at the next commit.
    pub fn tick(&mut self, store: &Store, now: Instant) {
        let Some(log) = &mut self.log else {
            return;
        };
        log.wal.tick(now);
        if log.snapshot.is_none() && log.wal.compaction_due() && log.wal.begin_compaction() {
            let order: Vec<GroupingKey> = store
                .groups_sorted()
                .into_iter()
                .map(|g| g.key.clone())
                .collect();
            log.snapshot = Some(Snapshot {
                pending: order.iter().cloned().collect(),
                order,
                next: 0,
            });
        }
        log.compact_step(store);
    }

    /// At a clean shutdown: commit and sync.
    pub fn close(&mut self, now: Instant) -> io::Result<()> {
        match &mut self.log {
            Some(log) => log.wal.close(now),
            None => Ok(()),
        }
    }

    /// During a compaction, a group about to change is encoded first, as it was.
    fn before_change(&mut self, store: &Store, key: &GroupingKey) {
        if let Some(log) = &mut self.log {
            if let Some(snapshot) = &mut log.snapshot {
                if snapshot.pending.remove(key) {
                    encode(&mut log.wal, store, key);
                }
            }
        }
    }
}

impl Log {
    /// Encodes snapshot groups up to a tick's budget, then (once all are) lets the log finish.
    fn compact_step(&mut self, store: &Store) {
        let Some(snapshot) = &mut self.snapshot else {
            return;
        };
        let budget = self.wal.options().compact_bytes_per_tick;
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
fn replay(store: &mut Store, offset: u64, record: Result<Record<'_>, DecodeError>) {
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
        Record::Push { key, .. } | Record::Failure { key, .. } | Record::Delete { key } => {
            match grouping_key(key) {
                Ok(key) => Some(key),
                Err(e) => {
                    log::error(
                        "skipping a persistence log record with an invalid grouping key",
                        &[("offset", &offset), ("err", &e)],
                    );
                    return;
                }
            }
        }
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
