//! The crate's only `unsafe` code (everything else denies it, see `lib.rs`): the libc calls
//! std does not wrap. Each wrapper is safe to call with any argument.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::AsRawFd;

/// The soft and the hard RLIMIT_NOFILE.
pub fn open_files_limit() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` through a pointer to a live, properly aligned local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Sets RLIMIT_NOFILE; false if the kernel refused.
pub fn set_open_files_limit(soft: u64, hard: u64) -> bool {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit only reads the `rlimit` behind a pointer to a live local.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 }
}

/// The size of a memory page, 4096 if the system will not say.
pub fn page_size_bytes() -> u64 {
    // SAFETY: sysconf reads a system constant; it takes no pointers and has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

/// An exclusive advisory lock on `file` (flock(2)), without waiting: `WouldBlock` if another
/// open file description holds it. The lock lasts as long as the file stays open.
pub fn try_lock_exclusive(file: &std::fs::File) -> io::Result<()> {
    // SAFETY: flock(2) on a descriptor owned by `file`, alive for the call; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
