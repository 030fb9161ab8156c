//! Start-up replay of the persistence log (`db::Db::open` over `wal`): a log file as a crash,
//! a bad disk or another program may leave it, read into an empty store.
//!
//! Input: one mode byte, then the file.
//!
//! ```text
//! input   = mode ( raw | records )
//! raw     = the file as is                                  ; mode bit 0 set
//! records = *( kind len16 payload ) [ 0xFF tail ]          ; mode bit 0 clear
//! ```
//!
//! In `records` mode the harness writes our header and frames each payload with its right
//! length and checksum, so that record decoding and replay into the store are reached (random
//! bytes almost never carry a good CRC); `len16` is little-endian and cut to what is left, and
//! after a `0xFF` kind the rest of the input is appended unframed, as a damaged tail. Mode bit
//! 1 turns the consistency check off (`--push.disable-consistency-check`). Hand-written seeds
//! start with `0` or `1`.
//!
//! Checked: opening never fails (damage is never an I/O error, spec §12.3 (c)); a checked
//! store is consistent afterwards; the file left behind is a clean log: opened again, nothing
//! is cut off, moved or copied aside, and its records rebuild a store that scrapes to the
//! same bytes; and a push appended after the replay survives the next opening.

use pushgateway::clock::Timestamp;
use pushgateway::config::FsyncPolicy;
use pushgateway::db::{Db, PushedBody};
use pushgateway::grouping::GroupingKey;
use pushgateway::parse::text::{self, TextOptions};
use pushgateway::store::Store;
use pushgateway::wal::{BodyFormat, LogFile, Storage, WalOptions};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

const PATH: &str = "/fuzz/pushgateway.log";
/// The header a log starts with (`wal::frame`): magic and version 2; `records` mode writes it.
const HEADER: &[u8] = b"\x89PGWAL\r\n\x02\x00\x00\x00";
/// The format versions this build reads.
const VERSIONS: [u8; 2] = [1, 2];
/// The kind byte that ends the framed records in `records` mode.
const TAIL: u8 = 0xFF;
const PUSH_AFTER: &[u8] = b"after_replay 1\n";

pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let checked = mode & 2 == 0;
    let file = if mode & 1 != 0 {
        rest.to_vec()
    } else {
        framed(rest)
    };
    let disk = Memory::default();
    disk.put(PATH, file.clone());
    if is_other_version(&file) {
        // Refused, untouched: the operator decides what a newer build's log becomes.
        assert!(
            try_open(&disk, checked).is_err(),
            "another version is refused"
        );
        assert_eq!(disk.paths(), vec![PathBuf::from(PATH)]);
        assert!(
            disk.file(PATH) == Some(file),
            "a refused log is left as it was"
        );
        return;
    }

    let (mut db, mut store) = open(&disk, checked);
    if checked {
        assert_eq!(
            store.full_check(),
            Vec::<String>::new(),
            "replay keeps a checked store consistent"
        );
    }
    let served = scrape(&mut store);
    let files = disk.paths();
    let log = disk.file(PATH).expect("the log is where it was");
    assert!(is_ours(&log), "the log is a log after opening");

    let (_, mut again) = open(&disk, checked);
    assert_eq!(
        disk.paths(),
        files,
        "a clean log is opened without moving anything aside"
    );
    assert!(
        disk.file(PATH) == Some(log),
        "a clean log is opened without cutting anything off"
    );
    let served_again = scrape(&mut again);
    assert!(
        served_again == served,
        "the same records rebuild the same store:\n{:?}\n----\n{:?}",
        served.as_ref().map(|s| String::from_utf8_lossy(s)),
        served_again.as_ref().map(|s| String::from_utf8_lossy(s)),
    );

    let key = GroupingKey::from_pairs(vec![("job".into(), "after_replay".into())]);
    let families =
        text::parse(PUSH_AFTER, TextOptions { utf8_names: false }).expect("a valid body");
    let body = PushedBody {
        format: BodyFormat::Text,
        bytes: PUSH_AFTER,
        utf8_names: false,
    };
    let time = Timestamp::from_unix_nanos(1);
    if db
        .push(&mut store, &key, families, body, true, time)
        .is_ok()
    {
        db.commit(Instant::now()).expect("memory never fails");
        let (_, again) = open(&disk, checked);
        assert!(
            again.group(&key).is_some(),
            "a push after the replay is in the log"
        );
    }
}

/// Our magic followed by a version other than ours.
fn is_other_version(file: &[u8]) -> bool {
    let magic = &HEADER[..HEADER.len() - 4];
    file.len() >= HEADER.len() && file.starts_with(magic) && !is_ours(file)
}

/// Our magic followed by a version this build reads.
fn is_ours(file: &[u8]) -> bool {
    let magic = &HEADER[..HEADER.len() - 4];
    VERSIONS.iter().any(|&v| {
        let mut header = magic.to_vec();
        header.extend_from_slice(&u32::from(v).to_le_bytes());
        file.starts_with(&header)
    })
}

/// Opens the log, replaying it into a new store.
fn open(disk: &Memory, checked: bool) -> (Db, Store) {
    try_open(disk, checked).expect("damage never keeps the log from opening")
}

/// Opens the log and replays it step by step, as the server's loop does.
fn try_open(disk: &Memory, checked: bool) -> io::Result<(Db, Store)> {
    let mut store = Store::new(checked, &[]);
    let options = WalOptions::new(FsyncPolicy::Never, Duration::from_secs(1));
    let mut db = Db::open(Box::new(disk.clone()), Path::new(PATH), options)?;
    // Each step reads at least one record or ends; a fuzz input holds far fewer.
    for _ in 0..1_000_000 {
        if db.replay_step(&mut store)? {
            return Ok((db, store));
        }
    }
    panic!("replay never finished");
}

/// The text exposition, or the reason it was refused.
fn scrape(store: &mut Store) -> Result<Vec<u8>, String> {
    store
        .scrape(&[])
        .map(|s| {
            s.chunks
                .iter()
                .flat_map(|c| c.as_slice().to_vec())
                .collect()
        })
        .map_err(|e| e.to_string())
}

/// Our header, then each `kind len16 payload` of `input` as a well-formed frame.
fn framed(mut input: &[u8]) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    while let Some((&kind, rest)) = input.split_first() {
        if kind == TAIL {
            out.extend_from_slice(rest);
            break;
        }
        let (len, rest) = match rest {
            [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
            _ => (0, &[][..]),
        };
        let (payload, rest) = rest.split_at(len.min(rest.len()));
        let frame_len = u32::try_from(payload.len() + 1)
            .expect("at most 64 KiB")
            .to_le_bytes();
        let mut crc = crc32fast::Hasher::new();
        crc.update(&frame_len);
        crc.update(&[kind]);
        crc.update(payload);
        out.extend_from_slice(&frame_len);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.push(kind);
        out.extend_from_slice(payload);
        input = rest;
    }
    out
}

/// A file system in memory (the `wal::Storage` seam), so that an input costs no system call.
/// Clones share the files.
#[derive(Clone, Default)]
struct Memory(Rc<RefCell<BTreeMap<PathBuf, Bytes>>>);

/// A file's bytes, shared by every handle on it.
type Bytes = Rc<RefCell<Vec<u8>>>;

struct MemoryFile(Bytes);

impl Memory {
    fn put(&self, path: &str, bytes: Vec<u8>) {
        self.0
            .borrow_mut()
            .insert(PathBuf::from(path), Rc::new(RefCell::new(bytes)));
    }

    fn file(&self, path: &str) -> Option<Vec<u8>> {
        self.0
            .borrow()
            .get(Path::new(path))
            .map(|f| f.borrow().clone())
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.0.borrow().keys().cloned().collect()
    }
}

impl Storage for Memory {
    fn lock(&mut self, _: &Path) -> io::Result<()> {
        Ok(())
    }

    fn open(&mut self, path: &Path) -> io::Result<Option<Box<dyn LogFile>>> {
        let file = self.0.borrow().get(path).cloned();
        Ok(file.map(|f| Box::new(MemoryFile(f)) as Box<dyn LogFile>))
    }

    fn create(&mut self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        let file = Rc::new(RefCell::new(Vec::new()));
        self.0.borrow_mut().insert(path.to_path_buf(), file.clone());
        Ok(Box::new(MemoryFile(file)))
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        let mut files = self.0.borrow_mut();
        let file = files.remove(from).ok_or(io::ErrorKind::NotFound)?;
        files.insert(to.to_path_buf(), file);
        Ok(())
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.0.borrow_mut().remove(path);
        Ok(())
    }

    fn sync_dir(&mut self, _: &Path) -> io::Result<()> {
        Ok(())
    }
}

impl LogFile for MemoryFile {
    fn size(&self) -> io::Result<u64> {
        Ok(self.0.borrow().len() as u64)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let file = self.0.borrow();
        let start = usize::try_from(offset).map_or(file.len(), |o| o.min(file.len()));
        let n = buf.len().min(file.len() - start);
        buf[..n].copy_from_slice(&file[start..start + n]);
        Ok(n)
    }

    fn append(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).expect("a file in memory");
        self.0.borrow_mut().truncate(len);
        Ok(())
    }
}
