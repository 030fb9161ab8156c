//! Structured logging to stderr in logfmt or JSON (`--log.format`), filtered by `--log.level`.
//! The one place log lines are formatted; callers pass a message and key/value pairs.
//!
//! Lines look like upstream 1.11's (Go `log/slog` through `promslog`):
//! `time=2026-11-27T18:00:00.123Z level=INFO source=main.rs:42 msg="starting pushgateway" k=v`
//! or, in JSON, `{"time":"…","level":"INFO","source":"main.rs:42","msg":"…","k":"v"}`.
//! Times are UTC with millisecond precision, computed without any time-zone database. Each line
//! is written to stderr with one `write` so that lines never interleave. Logging never fails
//! the caller: a line that cannot be written is dropped.

use crate::civil_time::UtcTime;
use crate::config::{LogFormat, LogLevel};
use crate::go_quote;
use std::fmt::{Display, Write as _};
#[cfg(not(test))]
use std::io::Write as _;
use std::panic::Location;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

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

// `#[track_caller]` down to `log` makes `Location::caller()` name the line that logged, which
// becomes the `source` field, as slog's `AddSource` does upstream.
#[track_caller]
pub fn debug(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Debug, msg, kv)
}
#[track_caller]
pub fn info(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Info, msg, kv)
}
#[track_caller]
pub fn warn(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Warn, msg, kv)
}
#[track_caller]
pub fn error(msg: &str, kv: &[(&str, &dyn Display)]) {
    log(LogLevel::Error, msg, kv)
}

/// Appends one `key=value` (or `"key":"value"`) pair in a format's quoting.
type PushPair = fn(&mut String, &str, &str);

#[track_caller]
fn log(level: LogLevel, msg: &str, kv: &[(&str, &dyn Display)]) {
    if !enabled(level) {
        return;
    }
    let location = Location::caller();
    let format = if FORMAT.load(Ordering::Relaxed) == 1 {
        LogFormat::Json
    } else {
        LogFormat::Logfmt
    };
    let unix_millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let record = Record {
        unix_millis,
        level,
        file: location.file(),
        line: location.line(),
        msg,
        kv,
    };
    let line = format_line(format, &record);
    // Stderr is unbuffered: one write_all of the whole line is one write(2) for any line that
    // fits a pipe buffer, so concurrent writers cannot interleave within it.
    #[cfg(not(test))]
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    // Unit tests go through the test harness's capture, which keeps passing tests quiet.
    #[cfg(test)]
    eprint!("{line}");
}

/// One log event, before formatting.
struct Record<'a> {
    unix_millis: i64,
    level: LogLevel,
    /// The source file that logged; only its base name is printed.
    file: &'a str,
    line: u32,
    msg: &'a str,
    kv: &'a [(&'a str, &'a dyn Display)],
}

/// The whole line, newline included.
fn format_line(format: LogFormat, record: &Record<'_>) -> String {
    let time = timestamp(record.unix_millis);
    let level = level_name(record.level);
    let file = record
        .file
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(record.file);
    let source = format!("{file}:{}", record.line);
    let mut line = String::with_capacity(128);
    let mut value = String::new();
    // Both formats are the same sequence of pairs, with their own separators and quoting.
    let (open, separator, close, push_pair): (&str, char, &str, PushPair) = match format {
        LogFormat::Logfmt => ("", ' ', "", push_logfmt_pair),
        LogFormat::Json => ("{", ',', "}", push_json_pair),
    };
    line.push_str(open);
    let fixed = [
        ("time", time.as_str()),
        ("level", level),
        ("source", &source),
        ("msg", record.msg),
    ];
    for (i, (key, text)) in fixed.iter().enumerate() {
        if i > 0 {
            line.push(separator);
        }
        push_pair(&mut line, key, text);
    }
    for (key, v) in record.kv {
        value.clear();
        let _ = write!(value, "{v}");
        line.push(separator);
        push_pair(&mut line, key, &value);
    }
    line.push_str(close);
    line.push('\n');
    line
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Debug => "DEBUG",
        LogLevel::Info => "INFO",
        LogLevel::Warn => "WARN",
        LogLevel::Error => "ERROR",
    }
}

/// RFC 3339 in UTC with exactly three fractional digits, as slog's text handler prints.
fn timestamp(unix_millis: i64) -> String {
    let t = UtcTime::from_unix_millis(unix_millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millisecond
    )
}

fn push_logfmt_pair(line: &mut String, key: &str, value: &str) {
    push_logfmt_text(line, key);
    line.push('=');
    push_logfmt_text(line, value);
}

/// slog's text handler: bare when the text cannot be misread, else Go-quoted.
fn push_logfmt_text(line: &mut String, text: &str) {
    if needs_quoting(text) {
        line.push_str(&go_quote::quote(text.as_bytes()));
    } else {
        line.push_str(text);
    }
}

/// slog's `needsQuoting`: empty text, spaces, `=`, `"`, ASCII controls, and any non-ASCII
/// space or unprintable character. A backslash alone does not force quotes.
fn needs_quoting(text: &str) -> bool {
    text.is_empty()
        || text.chars().any(|c| {
            if c.is_ascii() {
                c == ' ' || c == '=' || c == '"' || c.is_ascii_control() && c != '\u{7f}'
            } else {
                c.is_whitespace() || !go_quote::is_print(c)
            }
        })
}

fn push_json_pair(line: &mut String, key: &str, value: &str) {
    push_json_string(line, key);
    line.push(':');
    push_json_string(line, value);
}

/// A JSON string the way slog's JSON handler escapes it: `"`, `\`, controls, and U+2028/2029
/// (which break JavaScript parsers); everything else verbatim.
fn push_json_string(line: &mut String, text: &str) {
    line.push('"');
    for c in text.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            '\u{2028}' => line.push_str("\\u2028"),
            '\u{2029}' => line.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(line, "\\u{:04x}", c as u32);
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-27T18:00:00.123Z
    const FIXED_MILLIS: i64 = 1_795_802_400_123;

    type Pairs<'a> = Vec<(&'a str, &'a dyn Display)>;

    fn line(format: LogFormat, level: LogLevel, msg: &str, kv: &[(&str, &dyn Display)]) -> String {
        format_line(
            format,
            &Record {
                unix_millis: FIXED_MILLIS,
                level,
                file: "src/handlers/push.rs",
                line: 42,
                msg,
                kv,
            },
        )
    }

    #[test]
    fn logfmt_lines() {
        let port = 9091;
        let cases: Vec<(LogLevel, &str, Pairs, &str)> = vec![
            (
                LogLevel::Info,
                "starting pushgateway",
                vec![("version", &"(version=1.11.3, branch=HEAD)")],
                "time=2026-11-27T18:00:00.123Z level=INFO source=push.rs:42 \
                 msg=\"starting pushgateway\" version=\"(version=1.11.3, branch=HEAD)\"\n",
            ),
            (
                LogLevel::Debug,
                "listening",
                vec![("address", &"[::]:9091"), ("port", &port)],
                "time=2026-11-27T18:00:00.123Z level=DEBUG source=push.rs:42 \
                 msg=listening address=[::]:9091 port=9091\n",
            ),
            (
                LogLevel::Warn,
                "x",
                vec![("empty", &""), ("eq", &"a=b"), ("quote", &"say \"hi\"")],
                "time=2026-11-27T18:00:00.123Z level=WARN source=push.rs:42 \
                 msg=x empty=\"\" eq=\"a=b\" quote=\"say \\\"hi\\\"\"\n",
            ),
            (
                LogLevel::Error,
                "bad\nline",
                vec![
                    ("path", &"C:\\dir"),
                    ("utf8", &"größe"),
                    ("nbsp", &"a\u{a0}b"),
                ],
                "time=2026-11-27T18:00:00.123Z level=ERROR source=push.rs:42 \
                 msg=\"bad\\nline\" path=C:\\dir utf8=größe nbsp=\"a\\u00a0b\"\n",
            ),
        ];
        for (level, msg, kv, want) in cases {
            assert_eq!(line(LogFormat::Logfmt, level, msg, &kv), want);
        }
    }

    #[test]
    fn json_lines() {
        let cases: Vec<(&str, Pairs, &str)> = vec![
            (
                "starting pushgateway",
                vec![("version", &"1.11.3")],
                "{\"time\":\"2026-11-27T18:00:00.123Z\",\"level\":\"INFO\",\
                 \"source\":\"push.rs:42\",\"msg\":\"starting pushgateway\",\
                 \"version\":\"1.11.3\"}\n",
            ),
            (
                "esc",
                vec![("v", &"q\"b\\n\n\u{1}\u{2028}ü<>&")],
                "{\"time\":\"2026-11-27T18:00:00.123Z\",\"level\":\"INFO\",\
                 \"source\":\"push.rs:42\",\"msg\":\"esc\",\
                 \"v\":\"q\\\"b\\\\n\\n\\u0001\\u2028ü<>&\"}\n",
            ),
        ];
        for (msg, kv, want) in cases {
            assert_eq!(line(LogFormat::Json, LogLevel::Info, msg, &kv), want);
        }
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (FIXED_MILLIS, "2026-11-27T18:00:00.123Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
        ];
        for (millis, want) in cases {
            assert_eq!(timestamp(millis), want);
        }
    }

    #[test]
    fn level_filter() {
        init(LogLevel::Warn, LogFormat::Logfmt);
        let seen: Vec<bool> = [
            LogLevel::Debug,
            LogLevel::Info,
            LogLevel::Warn,
            LogLevel::Error,
        ]
        .map(enabled)
        .to_vec();
        init(LogLevel::Info, LogFormat::Logfmt);
        assert_eq!(seen, [false, false, true, true]);
    }
}
