//! Compaction: a new log is written beside the old one (`PATH.compact-tmp`) and renamed over
//! it, so that the log at `PATH` is at every moment either the old or the new one, whole.
//!
//! The new log is a snapshot of the live state taken at one instant, followed by a copy of
//! every record the old log received after that instant (its *tail*). `db` writes the snapshot
//! as records ([`Wal::append_compacted`]) a budget at a time, one loop turn after another, so
//! the loop is never held for long; meanwhile the old log keeps taking commits. Once the snapshot is
//! complete, [`Wal::finish_compaction`] copies the tail a budget at a time and, when it has
//! caught up, syncs the new file, renames it over the old one and syncs the directory. The
//! snapshot is synced whatever the fsync policy: the rename must never replace a log with one
//! that a power loss could empty.
//!
//! A failure before the rename only abandons the compaction (the old log is intact and stays);
//! a failure to sync the directory after it breaks the log like any failed sync.
//!
//! Recovery of a broken log is the same compaction with no tail: the old file is not read
//! again, the snapshot is the whole live store (the changes of the turn whose commit failed
//! included), and the records appended meanwhile wait in the commit buffer until the new file
//! is in place. A recovery that fails is abandoned and tried again with a fresh file.

use super::frame::{header, HEADER_BYTES};
use super::open::copy_range;
use super::{sibling, write_all, LogFile, Record, Wal, COMPACT_SUFFIX};
use crate::limits::LOG_RECORD_BYTES_MAX;
use crate::log;
use std::io;
use std::path::PathBuf;

pub(super) struct Compaction {
    path: PathBuf,
    file: Box<dyn LogFile>,
    /// Bytes written to `file`.
    written_bytes: u64,
    /// Snapshot frames not yet written.
    buffer: Vec<u8>,
    /// Where the part of the old log not yet copied starts: everything before it is in the
    /// snapshot or already copied.
    tail_from: u64,
    /// Size of the old log when the compaction began, for the log line.
    old_bytes: u64,
}

impl Wal {
    /// True when the log is broken and no recovery is running: time to start one.
    pub fn recovery_due(&self) -> bool {
        self.broken.is_some() && self.compaction.is_none()
    }

    /// True when the log has outgrown its last compacted size by the growth factor.
    pub fn compaction_due(&self) -> bool {
        self.broken.is_none()
            && self.compaction.is_none()
            && self.size_bytes() >= self.compact_at_bytes
    }

    pub fn is_compacting(&self) -> bool {
        self.compaction.is_some()
    }

    /// True when the log may hold more than a snapshot of the live state: anything but a
    /// header that this process has not just compacted (a log opened at start-up may hold
    /// history). What a clean shutdown compacts.
    pub fn holds_history(&self) -> bool {
        self.size_bytes() > HEADER_BYTES as u64 && self.compacted_bytes != Some(self.size_bytes())
    }

    /// Starts a compaction whose snapshot is the state after every record appended so far,
    /// those of the current turn included. False (and logged) if the new file cannot be made.
    /// On a broken log this is the recovery: the records appended so far are dropped (the
    /// snapshot holds them), and nothing of the old file is copied.
    pub fn begin_compaction(&mut self) -> bool {
        let path = sibling(&self.path, COMPACT_SUFFIX);
        match self.storage.create(&path) {
            Ok(file) => {
                let tail_from = match self.broken {
                    Some(_) => {
                        self.pending.clear();
                        self.written_bytes
                    }
                    None => self.size_bytes(),
                };
                log::info(
                    match self.broken {
                        Some(_) => "rewriting the live store into a new persistence log",
                        None => "compacting the persistence log",
                    },
                    &[
                        ("file", &self.path.display()),
                        ("bytes", &self.size_bytes()),
                    ],
                );
                self.compaction = Some(Compaction {
                    path,
                    file,
                    written_bytes: 0,
                    buffer: header().to_vec(),
                    tail_from,
                    old_bytes: self.size_bytes(),
                });
                true
            }
            Err(e) => {
                self.abandon(e);
                false
            }
        }
    }

    /// Adds a record to the snapshot. A record over the frame limit (a family that grew
    /// larger as text than any push may be) cannot be written: the compaction is abandoned.
    pub fn append_compacted(&mut self, record: &Record<'_>) {
        let Some(c) = &mut self.compaction else {
            return;
        };
        let len = record.encoded_len();
        if len > LOG_RECORD_BYTES_MAX {
            let reason = format!(
                "a compacted record of {len} bytes is over the limit of {LOG_RECORD_BYTES_MAX}"
            );
            self.abandon(io::Error::new(io::ErrorKind::InvalidData, reason));
            return;
        }
        record.encode(&mut c.buffer);
    }

    /// Snapshot bytes appended since the last flush.
    pub fn compacted_buffered_bytes(&self) -> usize {
        self.compaction.as_ref().map_or(0, |c| c.buffer.len())
    }

    /// Writes and syncs the snapshot records appended so far.
    pub fn flush_compacted(&mut self) {
        let Some(c) = &mut self.compaction else {
            return;
        };
        let result = write_all(&mut *c.file, &c.buffer).and_then(|()| c.file.sync());
        c.written_bytes += c.buffer.len() as u64;
        c.buffer = Vec::new();
        if let Err(e) = result {
            self.abandon(e);
        }
    }

    /// Called once the snapshot is complete, once per turn: copies up to a turn's budget of
    /// the old log's tail, and installs the new log when the tail has been copied whole.
    /// An error means the log is broken (the rename happened, the directory sync failed).
    pub fn finish_compaction(&mut self) -> io::Result<()> {
        self.flush_compacted();
        let budget = self.options.compact_bytes_per_turn as u64;
        let Some(c) = &mut self.compaction else {
            return Ok(());
        };
        // The snapshot includes records of the turn it began in; until they are committed,
        // the old log does not yet reach where its tail starts.
        if self.written_bytes < c.tail_from {
            return Ok(());
        }
        let to = self.written_bytes.min(c.tail_from + budget);
        let copied = copy_range(&*self.file, c.tail_from, to, &mut *c.file);
        let caught_up = to == self.written_bytes;
        let result = copied.and_then(|()| {
            c.written_bytes += to - c.tail_from;
            c.tail_from = to;
            c.file.sync()?;
            if caught_up {
                self.storage.rename(&c.path, &self.path)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            self.abandon(e);
            return Ok(());
        }
        if !caught_up {
            return Ok(());
        }
        let c = self.compaction.take().expect("a compaction is running");
        self.file = c.file;
        self.written_bytes = c.written_bytes;
        // Everything written so far is in the synced new file.
        self.unsynced_since = None;
        self.compact_at_bytes = self.next_compaction_at();
        self.compacted_bytes = Some(self.written_bytes);
        let recovered = self.broken.take();
        if let Err(e) = self.storage.sync_dir(&self.path) {
            return Err(self.fail("syncing the directory of", e));
        }
        if let Some((_, failure)) = recovered {
            log::warn(
                "the persistence log is whole again, rewritten from the live store; accepting \
                 changes",
                &[
                    ("file", &self.path.display()),
                    ("bytes", &c.written_bytes),
                    ("failure", &failure),
                ],
            );
            return Ok(());
        }
        log::info(
            "compacted the persistence log",
            &[
                ("file", &self.path.display()),
                ("bytes_before", &c.old_bytes),
                ("bytes_after", &c.written_bytes),
            ],
        );
        Ok(())
    }

    /// Drops a running compaction and its file (a wipe makes its snapshot worthless; a
    /// shutdown does not wait for it).
    pub fn abort_compaction(&mut self) {
        if let Some(c) = self.compaction.take() {
            let _ = self.storage.remove(&c.path);
        }
    }

    /// A compaction that failed before the rename: the old log stays as it is, and the next
    /// attempt waits until it has grown by the factor again.
    fn abandon(&mut self, e: io::Error) {
        self.abort_compaction();
        self.compact_at_bytes = self.next_compaction_at();
        match self.broken {
            Some(_) => log::error(
                "rewriting the live store into a new persistence log failed; trying again within \
                 a second",
                &[("file", &self.path.display()), ("err", &e)],
            ),
            None => log::error(
                "compacting the persistence log failed; keeping the log as it is",
                &[("file", &self.path.display()), ("err", &e)],
            ),
        }
    }

    fn next_compaction_at(&self) -> u64 {
        self.options.compact_min_bytes.max(
            self.size_bytes()
                .saturating_mul(self.options.compact_growth_factor),
        )
    }
}
