//! The write-ahead log at `--persistence.file` (DESIGN.md, "The write-ahead log"): framing,
//! append, group commit, replay at start-up and compaction. It knows bytes and records, and
//! nothing of metrics: what a record means is `db`'s business.
//!
//! Append and group commit: records of one loop turn are appended to a buffer, and
//! [`Wal::commit`] (called once per turn, before any reply of the turn is written) writes them
//! with one `write` and, with `--persistence.fsync=always`, one `fdatasync`. With `interval`,
//! [`Wal::tick`] syncs once the oldest unsynced write is `--persistence.interval` old; with
//! `never`, the kernel decides. A clean shutdown ([`Wal::close`]) always syncs.
//!
//! Failure: a write or sync that fails *breaks* the log. The file may end in a torn frame, and
//! after a failed `fdatasync` the kernel may have dropped data it could not write, so the file
//! is never written or trusted again: the commit that failed and every later one returns the
//! error (the server answers those changes 503), until `db` has rewritten the live store into a
//! new file through the compaction path ([`Wal::recovery_due`]) and renamed it over the old one.
//! Records appended while the log is broken wait in memory and follow that snapshot.
//!
//! Must never: acknowledge (return `Ok` from `commit`) bytes it has not written; overwrite or
//! delete a file it did not write (a foreign file is moved aside, a damaged tail copied aside
//! before it is cut off); allocate for a frame before its length is checked.

mod compact;
mod frame;
mod open;
pub mod record;
pub mod storage;

pub use open::Replay;
pub use record::{BodyFormat, DecodeError, Pairs, Record};
pub use storage::{Disk, LogFile, Storage};

use crate::config::FsyncPolicy;
use crate::log;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The log is compacted once it is this many times the size it had after its last compaction
/// (or at start-up): each byte is then rewritten a bounded number of times on average.
pub const COMPACT_GROWTH_FACTOR: u64 = 2;
/// A log smaller than this is never compacted: rewriting it would gain next to nothing.
pub const COMPACT_MIN_BYTES: u64 = 16 << 20;
/// Bytes of compacted log written (and synced) per loop turn, between the turn's requests, so
/// that compaction never holds the loop for long.
pub const COMPACT_BYTES_PER_TURN: usize = 1 << 20;
/// A clean shutdown compacts the log (as upstream writes its whole store at every shutdown), so
/// that the next start-up replays the store as it is rather than its history; it gives up
/// after this long and leaves the log as it was.
pub const SHUTDOWN_COMPACTION_TIME: Duration = Duration::from_secs(5);
/// Bytes of compacted log written (and synced) per step of that shutdown compaction: no
/// request waits for it, so fewer, larger writes.
pub const SHUTDOWN_COMPACT_BYTES_PER_STEP: usize = 16 << 20;
/// Log bytes replayed per loop turn at start-up at most, so that the loop keeps answering
/// (`/-/healthy`, and 503 for the rest) while a large log replays.
pub const REPLAY_BYTES_PER_TURN: u64 = 4 << 20;
/// Time spent replaying per loop turn at most (checked after each record): with slow records
/// (large pushes to parse), fewer bytes.
pub const REPLAY_TIME_PER_TURN: Duration = Duration::from_millis(10);
/// A commit buffer grown above this by a large push is given back afterwards.
const PENDING_KEEP_BYTES: usize = 1 << 20;

/// Where a compaction is written before it replaces the log.
const COMPACT_SUFFIX: &str = ".compact-tmp";
/// The file beside the log that one process at a time holds locked. A separate file, because
/// compaction replaces the log's own inode.
const LOCK_SUFFIX: &str = ".lock";

#[derive(Clone, Debug)]
pub struct WalOptions {
    pub fsync: FsyncPolicy,
    /// With [`FsyncPolicy::Interval`], the longest a written change waits for its sync.
    pub sync_interval: Duration,
    pub compact_growth_factor: u64,
    pub compact_min_bytes: u64,
    pub compact_bytes_per_turn: usize,
    pub shutdown_compaction_time: Duration,
    pub replay_bytes_per_turn: u64,
    pub replay_time_per_turn: Duration,
}

impl WalOptions {
    pub fn new(fsync: FsyncPolicy, sync_interval: Duration) -> WalOptions {
        WalOptions {
            fsync,
            sync_interval,
            compact_growth_factor: COMPACT_GROWTH_FACTOR,
            compact_min_bytes: COMPACT_MIN_BYTES,
            compact_bytes_per_turn: COMPACT_BYTES_PER_TURN,
            shutdown_compaction_time: SHUTDOWN_COMPACTION_TIME,
            replay_bytes_per_turn: REPLAY_BYTES_PER_TURN,
            replay_time_per_turn: REPLAY_TIME_PER_TURN,
        }
    }
}

/// An open log, positioned after its last good record.
pub struct Wal {
    storage: Box<dyn Storage>,
    path: PathBuf,
    file: Box<dyn LogFile>,
    /// Bytes written to `file`. Invariant while the log is not broken: the file's length.
    written_bytes: u64,
    /// Frames appended since the last commit.
    pending: Vec<u8>,
    options: WalOptions,
    /// When the oldest write not yet synced was made.
    unsynced_since: Option<Instant>,
    /// The log size at which the next compaction starts.
    compact_at_bytes: u64,
    /// The log size right after the last compaction this process made, if any: while the log
    /// still has it, the log holds nothing but that snapshot.
    compacted_bytes: Option<u64>,
    compaction: Option<compact::Compaction>,
    /// The failed write or sync that broke the log; until a recovery has replaced the file,
    /// every commit fails with it.
    broken: Option<(io::ErrorKind, String)>,
}

impl Wal {
    fn new(
        storage: Box<dyn Storage>,
        path: PathBuf,
        file: Box<dyn LogFile>,
        written_bytes: u64,
        options: WalOptions,
    ) -> Wal {
        let compact_at_bytes = options
            .compact_min_bytes
            .max(written_bytes.saturating_mul(options.compact_growth_factor));
        Wal {
            storage,
            path,
            file,
            written_bytes,
            pending: Vec::new(),
            options,
            unsynced_since: None,
            compact_at_bytes,
            compacted_bytes: None,
            compaction: None,
            broken: None,
        }
    }

    /// Queues a record for the next commit.
    pub fn append(&mut self, record: &Record<'_>) {
        record.encode(&mut self.pending);
    }

    /// Writes everything appended since the last commit, and syncs it if the policy says so.
    /// `Ok` means the records are in the file (and, with `always`, on disk). While the log is
    /// broken, the records stay appended and the error is returned.
    pub fn commit(&mut self, now: Instant) -> io::Result<()> {
        self.healthy()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Err(e) = write_all(&mut *self.file, &self.pending) {
            return Err(self.fail("writing", e));
        }
        self.written_bytes += self.pending.len() as u64;
        self.pending.clear();
        if self.pending.capacity() > PENDING_KEEP_BYTES {
            self.pending = Vec::new();
        }
        match self.options.fsync {
            FsyncPolicy::Always => self.sync(),
            FsyncPolicy::Interval => {
                self.unsynced_since.get_or_insert(now);
                Ok(())
            }
            FsyncPolicy::Never => Ok(()),
        }
    }

    /// Once a second: the interval sync. A failure breaks the log.
    pub fn tick(&mut self, now: Instant) {
        if self.broken.is_some() {
            return;
        }
        if let Some(since) = self.unsynced_since {
            if now.saturating_duration_since(since) >= self.options.sync_interval {
                let _ = self.sync();
            }
        }
    }

    /// At a clean shutdown: drops an unfinished compaction, commits, and syncs whatever the
    /// policy, as upstream always saves on its way out. Fails while the log is broken.
    pub fn close(&mut self, now: Instant) -> io::Result<()> {
        self.abort_compaction();
        self.commit(now)?;
        self.sync()
    }

    pub fn options(&self) -> &WalOptions {
        &self.options
    }

    /// Bytes in the log, committed or not.
    pub fn size_bytes(&self) -> u64 {
        self.written_bytes + self.pending.len() as u64
    }

    fn sync(&mut self) -> io::Result<()> {
        if let Err(e) = self.file.sync() {
            return Err(self.fail("syncing", e));
        }
        self.unsynced_since = None;
        Ok(())
    }

    /// Why the log takes no changes, while it is broken.
    pub fn broken(&self) -> Option<&str> {
        self.broken.as_ref().map(|(_, message)| message.as_str())
    }

    fn healthy(&self) -> io::Result<()> {
        match &self.broken {
            Some((kind, message)) => Err(io::Error::new(*kind, message.clone())),
            None => Ok(()),
        }
    }

    /// Breaks the log until a recovery replaces the file; the error names the file and what
    /// failed.
    fn fail(&mut self, doing: &str, e: io::Error) -> io::Error {
        let message = format!("{doing} {}: {e}", self.path.display());
        log::error(
            "the persistence log cannot be written; refusing changes until the live store is \
             rewritten into a new log",
            &[("err", &message)],
        );
        self.broken = Some((e.kind(), message.clone()));
        // A running compaction would copy its tail from the file that just failed.
        self.abort_compaction();
        io::Error::new(e.kind(), message)
    }
}

/// Writes all of `buf`, retrying short writes; a short write followed by an error leaves the
/// bytes written so far in the file (the torn frame that the next start-up cuts off).
fn write_all(file: &mut dyn LogFile, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match file.append(buf) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests;
