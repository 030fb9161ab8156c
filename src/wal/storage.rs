//! The seam between the log and the file system: the few calls the log makes (lock, read,
//! append, sync, truncate, create, rename, remove, sync a directory), so that tests can run the
//! log in memory and inject short writes and failed syncs. [`Disk`] is the real thing.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

/// A file the log reads and appends to.
pub trait LogFile {
    fn size(&self) -> io::Result<u64>;
    /// Reads at `offset` (like `pread`): fewer bytes than asked only at the end of the file.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Appends at the end of the file; may write fewer bytes than asked, as `write(2)` may.
    fn append(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// Makes the written bytes durable (`fdatasync`).
    fn sync(&mut self) -> io::Result<()>;
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// Where the log's files live.
pub trait Storage {
    /// Takes an exclusive lock on `path` (created if missing) for as long as this storage
    /// lives; fails at once if another process holds it.
    fn lock(&mut self, path: &Path) -> io::Result<()>;
    /// The file at `path` for reading and appending, `None` if there is none.
    fn open(&mut self, path: &Path) -> io::Result<Option<Box<dyn LogFile>>>;
    /// A new empty file at `path`, replacing any file there.
    fn create(&mut self, path: &Path) -> io::Result<Box<dyn LogFile>>;
    /// Atomically replaces `to` with `from`.
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes `path`; a missing file is not an error.
    fn remove(&mut self, path: &Path) -> io::Result<()>;
    /// Makes creations and renames in the directory of `path` durable.
    fn sync_dir(&mut self, path: &Path) -> io::Result<()>;
}

/// The real file system. Files are created with mode 0600, as upstream creates its file.
#[derive(Default)]
pub struct Disk {
    /// The lock file, held open (and so locked) while the log is in use.
    lock: Option<File>,
}

struct DiskFile(File);

impl LogFile for DiskFile {
    fn size(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.0.read_at(buf, offset)
    }

    fn append(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut self.0, buf)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
}

fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    // Append mode: every write lands at the end, also after a truncation.
    options.read(true).append(true).mode(0o600);
    options
}

impl Storage for Disk {
    fn lock(&mut self, path: &Path) -> io::Result<()> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        if let Err(e) = crate::sys::try_lock_exclusive(&file) {
            if e.kind() == io::ErrorKind::WouldBlock {
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "{} is locked: another pushgateway is using this persistence file",
                        path.display()
                    ),
                ));
            }
            return Err(e);
        }
        self.lock = Some(file);
        Ok(())
    }

    fn open(&mut self, path: &Path) -> io::Result<Option<Box<dyn LogFile>>> {
        match options().open(path) {
            Ok(file) => Ok(Some(Box::new(DiskFile(file)))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn create(&mut self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        let file = options().create(true).open(path)?;
        file.set_len(0)?;
        Ok(Box::new(DiskFile(file)))
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        match fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn sync_dir(&mut self, path: &Path) -> io::Result<()> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
}

/// An in-memory file system for tests, with injectable faults. Clones share the same files,
/// so a test keeps one to look at what the log wrote.
#[cfg(test)]
pub mod memory {
    use super::{LogFile, Storage};
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::io;
    use std::path::{Path, PathBuf};
    use std::rc::Rc;

    #[derive(Default)]
    struct State {
        files: BTreeMap<PathBuf, Rc<RefCell<Vec<u8>>>>,
        /// Bytes that may still be appended before appends fail; `None` is unlimited. The
        /// append that reaches the limit is short, the next one fails.
        append_budget: Option<usize>,
        fail_sync: bool,
        fail_rename: bool,
        syncs: usize,
    }

    #[derive(Clone, Default)]
    pub struct Memory(Rc<RefCell<State>>);

    fn injected(what: &str) -> io::Error {
        io::Error::other(format!("injected {what} failure"))
    }

    impl Memory {
        pub fn file(&self, path: &str) -> Option<Vec<u8>> {
            let state = self.0.borrow();
            state.files.get(Path::new(path)).map(|f| f.borrow().clone())
        }

        pub fn put(&self, path: &str, bytes: &[u8]) {
            let file = Rc::new(RefCell::new(bytes.to_vec()));
            self.0.borrow_mut().files.insert(path.into(), file);
        }

        /// The files as they are now, apart from this file system: what a process killed at
        /// this moment leaves behind.
        pub fn crash_copy(&self) -> Memory {
            let copy = Memory::default();
            for (path, bytes) in &self.0.borrow().files {
                let bytes = Rc::new(RefCell::new(bytes.borrow().clone()));
                copy.0.borrow_mut().files.insert(path.clone(), bytes);
            }
            copy
        }

        pub fn paths(&self) -> Vec<String> {
            let state = self.0.borrow();
            state
                .files
                .keys()
                .map(|p| p.to_string_lossy().into_owned())
                .collect()
        }

        pub fn limit_appends(&self, bytes: Option<usize>) {
            self.0.borrow_mut().append_budget = bytes;
        }

        pub fn fail_syncs(&self, fail: bool) {
            self.0.borrow_mut().fail_sync = fail;
        }

        pub fn fail_renames(&self, fail: bool) {
            self.0.borrow_mut().fail_rename = fail;
        }

        pub fn syncs(&self) -> usize {
            self.0.borrow().syncs
        }
    }

    struct MemFile {
        state: Memory,
        bytes: Rc<RefCell<Vec<u8>>>,
    }

    impl LogFile for MemFile {
        fn size(&self) -> io::Result<u64> {
            Ok(self.bytes.borrow().len() as u64)
        }

        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            let bytes = self.bytes.borrow();
            let start = (offset as usize).min(bytes.len());
            let n = buf.len().min(bytes.len() - start);
            buf[..n].copy_from_slice(&bytes[start..start + n]);
            Ok(n)
        }

        fn append(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut state = self.state.0.borrow_mut();
            let n = match state.append_budget {
                Some(0) => return Err(io::Error::from(io::ErrorKind::StorageFull)),
                Some(budget) => {
                    let n = buf.len().min(budget);
                    state.append_budget = Some(budget - n);
                    n
                }
                None => buf.len(),
            };
            self.bytes.borrow_mut().extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn sync(&mut self) -> io::Result<()> {
            let mut state = self.state.0.borrow_mut();
            if state.fail_sync {
                return Err(injected("sync"));
            }
            state.syncs += 1;
            Ok(())
        }

        fn truncate(&mut self, len: u64) -> io::Result<()> {
            self.bytes.borrow_mut().truncate(len as usize);
            Ok(())
        }
    }

    impl Storage for Memory {
        /// One process: nothing to exclude.
        fn lock(&mut self, _path: &Path) -> io::Result<()> {
            Ok(())
        }

        fn open(&mut self, path: &Path) -> io::Result<Option<Box<dyn LogFile>>> {
            let bytes = self.0.borrow().files.get(path).cloned();
            Ok(bytes.map(|bytes| {
                Box::new(MemFile {
                    state: self.clone(),
                    bytes,
                }) as Box<dyn LogFile>
            }))
        }

        fn create(&mut self, path: &Path) -> io::Result<Box<dyn LogFile>> {
            let bytes = Rc::new(RefCell::new(Vec::new()));
            self.0
                .borrow_mut()
                .files
                .insert(path.to_path_buf(), bytes.clone());
            Ok(Box::new(MemFile {
                state: self.clone(),
                bytes,
            }))
        }

        fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
            let mut state = self.0.borrow_mut();
            if state.fail_rename {
                return Err(injected("rename"));
            }
            let file = state
                .files
                .remove(from)
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
            state.files.insert(to.to_path_buf(), file);
            Ok(())
        }

        fn remove(&mut self, path: &Path) -> io::Result<()> {
            self.0.borrow_mut().files.remove(path);
            Ok(())
        }

        fn sync_dir(&mut self, _path: &Path) -> io::Result<()> {
            let mut state = self.0.borrow_mut();
            if state.fail_sync {
                return Err(injected("directory sync"));
            }
            state.syncs += 1;
            Ok(())
        }
    }
}
