//! Structured logging to stderr in logfmt or JSON (`--log.format`), filtered by `--log.level`.
//! The one place log lines are formatted; callers pass a message and key/value pairs.

use crate::config::{LogFormat, LogLevel};
use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(1);
static FORMAT: AtomicU8 = AtomicU8::new(0);

/// Sets the level and format for the rest of the process.
pub fn init(level: LogLevel, format: LogFormat) {
    LEVEL.store(level as u8, Ordering::Relaxed);
    FORMAT.store(matches!(format, LogFormat::Json) as u8, Ordering::Relaxed);
}

pub fn enabled(level: LogLevel) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

pub fn debug(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Debug, msg, kv)
}
pub fn info(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Info, msg, kv)
}
pub fn warn(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Warn, msg, kv)
}
pub fn error(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Error, msg, kv)
}

fn log(level: LogLevel, msg: &str, kv: &[(&str, &dyn Display)]) {
    if !enabled(level) {
        return;
    }
    // Placeholder formatting until the logging work lands; the signatures above are stable.
    let _ = FORMAT.load(Ordering::Relaxed);
    let mut line = format!("level={level:?} msg={msg:?}");
    for (k, v) in kv {
        line.push_str(&format!(" {k}={:?}", v.to_string()));
    }
    eprintln!("{line}");
}
