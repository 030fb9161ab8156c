//! Opening the log at start-up: replay every good record in order, then make the file a clean
//! log again. A missing file starts a new log; a file that is not our log is moved aside to
//! `PATH.not-a-log-<unix time>`; a damaged tail is copied to `PATH.corrupt-<unix time>` and cut
//! off at the last good record. Only an I/O error (the file cannot be read, renamed or written)
//! keeps the server from starting: damage never does (spec §12.3 (c)).

use super::frame::{check_header, header, FrameReader, HeaderCheck, Next, HEADER_BYTES};
use super::{frame::Damage, COMPACT_SUFFIX};
use super::{sibling, write_all, DecodeError, LogFile, Record, Storage, Wal, WalOptions};
use crate::log;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Read size while replaying.
const REPLAY_BUFFER_BYTES: usize = 1 << 20;
/// Copy size when a damaged tail is saved.
const COPY_BUFFER_BYTES: usize = 1 << 20;
/// Names tried for a file moved or copied aside before giving up.
const ASIDE_NAMES_MAX: u32 = 100;

impl Wal {
    /// Opens (or creates) the log at `path`, handing every record to `apply` in order with the
    /// offset it starts at. A record whose payload cannot be decoded is handed over as the
    /// error; the records after it still follow.
    pub fn open(
        mut storage: Box<dyn Storage>,
        path: &Path,
        options: WalOptions,
        mut apply: impl FnMut(u64, Result<Record<'_>, DecodeError>),
    ) -> io::Result<Wal> {
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
            Some(file) => recover(&mut *storage, path, file, &mut apply)?,
        };
        let written_bytes = file.size()?;
        let compact_at_bytes = options
            .compact_min_bytes
            .max(written_bytes.saturating_mul(options.compact_growth_factor));
        Ok(Wal {
            storage,
            path: path.to_path_buf(),
            file,
            written_bytes,
            pending: Vec::new(),
            options,
            unsynced_since: None,
            compact_at_bytes,
            compaction: None,
            broken: None,
        })
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

fn recover(
    storage: &mut dyn Storage,
    path: &Path,
    mut file: Box<dyn LogFile>,
    apply: &mut impl FnMut(u64, Result<Record<'_>, DecodeError>),
) -> io::Result<Box<dyn LogFile>> {
    let len = file.size()?;
    let mut start = vec![0; HEADER_BYTES.min(len as usize)];
    read_exact_at(&*file, &mut start, 0)?;
    let reason = match check_header(&start) {
        HeaderCheck::Valid => None,
        HeaderCheck::Torn => {
            if len > 0 {
                log::warn(
                    "the persistence log was cut short while it was created; starting it anew",
                    &[("file", &path.display())],
                );
            }
            drop(file);
            return create(storage, path);
        }
        HeaderCheck::Version(version) => Some(format!(
            "log format version {version} is not supported by this build"
        )),
        HeaderCheck::Foreign => Some(
            "not a pushgateway-rs log (an upstream persistence file, or another file)".to_string(),
        ),
    };
    if let Some(reason) = reason {
        drop(file);
        let aside = aside_name(storage, path, "not-a-log")?;
        storage.rename(path, &aside)?;
        log::error(
            "the persistence file is not a log this build can read; moved it aside and \
             starting empty",
            &[
                ("file", &path.display()),
                ("moved_to", &aside.display()),
                ("bytes", &len),
                ("reason", &reason),
            ],
        );
        return create(storage, path);
    }

    let (records, damage) = replay(&*file, len, apply)?;
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
        let aside = aside_name(storage, path, "corrupt")?;
        let mut copy = storage.create(&aside)?;
        copy_range(&*file, offset, len, &mut *copy)?;
        copy.sync()?;
        file.truncate(offset)?;
        file.sync()?;
        storage.sync_dir(path)?;
        log::error(
            "the persistence log has a damaged tail: changes in it are lost; cut it off at the \
             last good record and kept a copy",
            &[
                ("file", &path.display()),
                ("offset", &offset),
                ("bytes_lost", &(len - offset)),
                ("reason", &damage),
                ("copy", &aside.display()),
            ],
        );
    }
    Ok(file)
}

/// Hands every good record to `apply`; returns how many there were, and where the damage
/// starts if the file does not end after its last good record.
fn replay(
    file: &dyn LogFile,
    len: u64,
    apply: &mut impl FnMut(u64, Result<Record<'_>, DecodeError>),
) -> io::Result<(u64, Option<(u64, Damage)>)> {
    let offset = HEADER_BYTES as u64;
    let source = BufReader::with_capacity(REPLAY_BUFFER_BYTES, FileReader { file, offset });
    let mut frames = FrameReader::new(source, offset, len);
    let mut records = 0;
    loop {
        match frames.next_frame()? {
            Next::Frame(frame) => {
                records += 1;
                apply(frame.offset, Record::decode(frame.kind, frame.payload));
            }
            Next::End => return Ok((records, None)),
            Next::Damaged { offset, damage } => return Ok((records, Some((offset, damage)))),
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

/// A `Read` over a log file from an offset on.
struct FileReader<'a> {
    file: &'a dyn LogFile,
    offset: u64,
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}
