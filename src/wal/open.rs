//! Opening the log at start-up, in two parts. [`Wal::open`] does at once what must be settled
//! before the server listens: it takes the lock, removes an unfinished compaction and reads the
//! header. A missing file starts a new log; a file that is not our log is moved aside to
//! `PATH.not-a-log-<unix time>`; a log of another format version is refused, untouched. The
//! [`Replay`] it returns then hands the records over a budget at a time, so that the loop goes
//! on answering while a large log replays, and [`Replay::finish`] makes the file a clean log
//! again: a damaged tail is copied to `PATH.corrupt-<unix time>` and cut off at the last good
//! record. Only an I/O error (the file cannot be read, renamed or written), a lock held by
//! another process or an unknown version keeps the server from starting: damage never does
//! (spec §12.3 (c)).

use super::frame::VERSION;
use super::frame::{check_header, header, Damage, FrameReader, HeaderCheck, Next, HEADER_BYTES};
use super::{sibling, write_all, DecodeError, LogFile, Record, Storage, Wal, WalOptions};
use super::{COMPACT_SUFFIX, LOCK_SUFFIX};
use crate::log;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Read size while replaying.
const REPLAY_BUFFER_BYTES: usize = 1 << 20;
/// Copy size when a damaged tail is saved.
const COPY_BUFFER_BYTES: usize = 1 << 20;
/// Names tried for a file moved or copied aside before giving up.
const ASIDE_NAMES_MAX: u32 = 100;

/// A log being replayed: the records not yet handed over, and what the file holds.
pub struct Replay {
    storage: Box<dyn Storage>,
    path: PathBuf,
    options: WalOptions,
    frames: FrameReader<BufReader<FileReader>>,
    /// The file's length when replay began.
    len: u64,
    records: u64,
    /// Where the damage starts, once replay has met it.
    damage: Option<(u64, Damage)>,
    done: bool,
}

impl Wal {
    /// Locks and opens (or creates) the log at `path`, ready to replay. Fails if another
    /// process holds the log, if the log is of a format version this build cannot read, or
    /// on an I/O error.
    pub fn open(
        mut storage: Box<dyn Storage>,
        path: &Path,
        options: WalOptions,
    ) -> io::Result<Replay> {
        storage.lock(&sibling(path, LOCK_SUFFIX))?;
        let tmp = sibling(path, COMPACT_SUFFIX);
        if storage.open(&tmp)?.is_some() {
            log::info(
                "removing an unfinished compaction of the persistence log",
                &[("file", &tmp.display())],
            );
            storage.remove(&tmp)?;
        }
        let file = match storage.open(path)? {
            None => {
                log::info(
                    "persistence file not found; starting a new log",
                    &[("file", &path.display())],
                );
                create(&mut *storage, path)?
            }
            Some(file) => check(&mut *storage, path, file)?,
        };
        let len = file.size()?;
        let offset = HEADER_BYTES as u64;
        let source = BufReader::with_capacity(
            REPLAY_BUFFER_BYTES.min(len as usize),
            FileReader { file, offset },
        );
        Ok(Replay {
            storage,
            path: path.to_path_buf(),
            options,
            frames: FrameReader::new(source, offset, len),
            len,
            records: 0,
            damage: None,
            done: false,
        })
    }
}

impl Replay {
    /// Hands records to `apply`, in order with the offset each starts at, until about
    /// `replay_bytes_per_turn` of the log were read or `replay_time_per_turn` has passed
    /// (at least one record); true once every record was handed over.
    /// A record whose payload cannot be decoded is handed over as the error; the records after
    /// it still follow.
    pub fn step(
        &mut self,
        mut apply: impl FnMut(u64, Result<Record<'_>, DecodeError>),
    ) -> io::Result<bool> {
        let stop_at = self
            .frames
            .offset()
            .saturating_add(self.options.replay_bytes_per_turn);
        let started = Instant::now();
        // At least one record per step, so that replay always moves on.
        while !self.done {
            match self.frames.next_frame()? {
                Next::Frame(frame) => {
                    self.records += 1;
                    apply(frame.offset, Record::decode(frame.kind, frame.payload));
                }
                Next::End => self.done = true,
                Next::Damaged { offset, damage } => {
                    self.damage = Some((offset, damage));
                    self.done = true;
                }
            }
            if self.frames.offset() >= stop_at
                || started.elapsed() >= self.options.replay_time_per_turn
            {
                break;
            }
        }
        Ok(self.done)
    }

    /// Bytes of the log read so far, and its length.
    pub fn progress(&self) -> (u64, u64) {
        (self.frames.offset(), self.len)
    }

    /// After the last step: cuts off a damaged tail (keeping a copy) and opens the log for
    /// appending after its last good record.
    pub fn finish(self) -> io::Result<Wal> {
        assert!(self.done, "a replay is finished only after its last step");
        let Replay {
            mut storage,
            path,
            options,
            frames,
            len,
            records,
            damage,
            ..
        } = self;
        let mut file = frames.into_source().into_inner().file;
        let good = damage.as_ref().map_or(len, |(offset, _)| *offset);
        log::info(
            "persistence log replayed",
            &[
                ("file", &path.display()),
                ("records", &records),
                ("bytes", &good),
            ],
        );
        if let Some((offset, damage)) = damage {
            let aside = aside_name(&mut *storage, &path, "corrupt")?;
            let mut copy = storage.create(&aside)?;
            copy_range(&*file, offset, len, &mut *copy)?;
            copy.sync()?;
            file.truncate(offset)?;
            file.sync()?;
            storage.sync_dir(&path)?;
            log::error(
                "the persistence log has a damaged tail: changes in it are lost; cut it off at \
                 the last good record and kept a copy",
                &[
                    ("file", &path.display()),
                    ("offset", &offset),
                    ("bytes_lost", &(len - offset)),
                    ("reason", &damage),
                    ("copy", &aside.display()),
                ],
            );
        }
        Ok(Wal::new(storage, path, file, good, options))
    }
}

/// A new, empty log at `path`: the header is written and synced under another name first, so
/// that `path` never holds a partial header.
pub(super) fn create(storage: &mut dyn Storage, path: &Path) -> io::Result<Box<dyn LogFile>> {
    let tmp = sibling(path, COMPACT_SUFFIX);
    let mut file = storage.create(&tmp)?;
    write_all(&mut *file, &header())?;
    file.sync()?;
    storage.rename(&tmp, path)?;
    storage.sync_dir(path)?;
    Ok(file)
}

/// Judges an existing file by its header: our log is kept, a torn header starts anew, a
/// foreign file is moved aside, another version is refused.
fn check(
    storage: &mut dyn Storage,
    path: &Path,
    file: Box<dyn LogFile>,
) -> io::Result<Box<dyn LogFile>> {
    let len = file.size()?;
    let mut start = vec![0; HEADER_BYTES.min(len as usize)];
    read_exact_at(&*file, &mut start, 0)?;
    match check_header(&start) {
        HeaderCheck::Valid => Ok(file),
        HeaderCheck::Torn => {
            if len > 0 {
                log::warn(
                    "the persistence log was cut short while it was created; starting it anew",
                    &[("file", &path.display())],
                );
            }
            drop(file);
            create(storage, path)
        }
        // Most likely written by a newer build: moving it aside would lose its data to a
        // downgrade, and reading it is impossible, so the operator decides.
        HeaderCheck::Version(version) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is a persistence log of format version {version}, and this build reads only \
                 versions 1 to {VERSION}: run the build that wrote it, or move the file away to \
                 start empty",
                path.display()
            ),
        )),
        HeaderCheck::Foreign => {
            drop(file);
            let aside = aside_name(storage, path, "not-a-log")?;
            storage.rename(path, &aside)?;
            log::error(
                "the persistence file is not a pushgateway-rs log (an upstream persistence \
                 file, or another file); moved it aside and starting empty",
                &[
                    ("file", &path.display()),
                    ("moved_to", &aside.display()),
                    ("bytes", &len),
                ],
            );
            create(storage, path)
        }
    }
}

/// `PATH.<what>-<unix seconds>`, or with `-1`, `-2`… when that name is taken.
fn aside_name(storage: &mut dyn Storage, path: &Path, what: &str) -> io::Result<PathBuf> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for n in 0..ASIDE_NAMES_MAX {
        let suffix = match n {
            0 => format!(".{what}-{secs}"),
            n => format!(".{what}-{secs}-{n}"),
        };
        let candidate = sibling(path, &suffix);
        if storage.open(&candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name beside {} for a .{what} copy", path.display()),
    ))
}

/// Appends bytes `from..to` of `file` to `out`.
pub(super) fn copy_range(
    file: &dyn LogFile,
    from: u64,
    to: u64,
    out: &mut dyn LogFile,
) -> io::Result<()> {
    let mut buf = vec![0; COPY_BUFFER_BYTES.min((to - from) as usize)];
    let mut at = from;
    while at < to {
        let n = buf.len().min((to - at) as usize);
        read_exact_at(file, &mut buf[..n], at)?;
        write_all(out, &buf[..n])?;
        at += n as u64;
    }
    Ok(())
}

fn read_exact_at(file: &dyn LogFile, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match file.read_at(buf, offset) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A `Read` over a log file from an offset on; it owns the file until replay is over.
struct FileReader {
    file: Box<dyn LogFile>,
    offset: u64,
}

impl Read for FileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}
