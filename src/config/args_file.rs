//! kingpin's `@file` arguments: an argument `@path` (before any `--`, and not itself starting
//! with `-`) is replaced by the lines of that file, one argument per line, lines starting with
//! `#` skipped; expanded lines may expand further. This module reads those files and nothing
//! else; it never interprets flags.
//!
//! kingpin expands lazily while parsing, so an unreadable file is reported only when the
//! parser reaches it. To keep that order, expansion stops at the first failure and hands back
//! the arguments before it together with the error; the caller reports the error only if
//! parsing gets that far.

use super::ConfigError;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Go's `bufio.Scanner` refuses lines of this many bytes or more.
const LINE_BYTES_MAX: usize = 64 * 1024;
/// Files may name files; a file that names itself would recurse forever upstream. We stop.
const NESTING_MAX: usize = 16;

/// The command line with `@file` arguments replaced, up to the first file that fails.
pub(super) struct Expanded {
    pub args: Vec<OsString>,
    pub error: Option<ConfigError>,
}

pub(super) fn expand(args: impl IntoIterator<Item = OsString>) -> Expanded {
    let mut expanded = Expanded {
        args: Vec::new(),
        error: None,
    };
    let mut args_only = false;
    if let Err(error) = expand_into(&mut expanded.args, args, 0, &mut args_only) {
        expanded.error = Some(error);
    }
    expanded
}

fn expand_into(
    out: &mut Vec<OsString>,
    args: impl IntoIterator<Item = OsString>,
    depth: usize,
    args_only: &mut bool,
) -> Result<(), ConfigError> {
    for arg in args {
        let bytes = arg.as_bytes();
        if *args_only || bytes.first() != Some(&b'@') {
            // After `--` everything is a plain argument, `@` included.
            *args_only |= bytes == b"--";
            out.push(arg);
            continue;
        }
        let path = OsString::from_vec(bytes[1..].to_vec());
        if path.is_empty() {
            return Err(ConfigError::ArgsFile(
                "expected @ file to expand arguments from".to_string(),
            ));
        }
        if depth == NESTING_MAX {
            return Err(read_error(&path, "@ files nested too deeply"));
        }
        let lines = read_lines(&path)?;
        expand_into(out, lines, depth + 1, args_only)?;
    }
    Ok(())
}

fn read_lines(path: &OsString) -> Result<Vec<OsString>, ConfigError> {
    let file = File::open(path).map_err(|e| {
        ConfigError::ArgsFile(format!(
            "failed to open arguments file {}: open {}: {}",
            quoted(path),
            path.to_string_lossy(),
            go_errno_text(&e)
        ))
    })?;
    let mut reader = BufReader::new(file);
    let mut lines = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        // One byte past the limit tells an over-long line from one that just fits.
        let read = (&mut reader)
            .take(LINE_BYTES_MAX as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| {
                let text = format!("read {}: {}", path.to_string_lossy(), go_errno_text(&e));
                read_error(path, &text)
            })?;
        if read == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.len() >= LINE_BYTES_MAX {
            return Err(read_error(path, "bufio.Scanner: token too long"));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.first() != Some(&b'#') {
            lines.push(OsString::from_vec(line.clone()));
        }
    }
    Ok(lines)
}

fn read_error(path: &OsString, detail: &str) -> ConfigError {
    ConfigError::ArgsFile(format!(
        "failed to read arguments from {}: {detail}",
        quoted(path)
    ))
}

fn quoted(path: &OsString) -> String {
    crate::go_quote::quote(path.as_bytes())
}

/// Go prints system errors as the bare C message with a lower-case first letter ("no such
/// file or directory"); Rust appends " (os error N)".
fn go_errno_text(error: &io::Error) -> String {
    let Some(code) = error.raw_os_error() else {
        return error.to_string();
    };
    let text = io::Error::from_raw_os_error(code).to_string();
    let text = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pushgateway-args-file-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        dir
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn run(args: &[&str]) -> (Vec<String>, Option<String>) {
        let expanded = expand(os(args));
        (
            expanded
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            expanded.error.map(|e| e.to_string()),
        )
    }

    #[test]
    fn expands_files_in_place() {
        let dir = scratch_dir("expand");
        let inner = dir.join("inner");
        std::fs::write(&inner, "--log.level=debug\n").unwrap();
        let outer = dir.join("outer");
        std::fs::write(
            &outer,
            format!(
                "# a comment\n--persistence.file\n/tmp/x y\r\n\n@{}\n--version",
                inner.display()
            ),
        )
        .unwrap();
        let outer_arg = format!("@{}", outer.display());
        let cases: Vec<(Vec<&str>, Vec<String>)> = vec![
            (
                vec!["--web.enable-lifecycle", &outer_arg, "-h"],
                [
                    "--web.enable-lifecycle",
                    "--persistence.file",
                    "/tmp/x y",
                    "",
                    "--log.level=debug",
                    "--version",
                    "-h",
                ]
                .map(String::from)
                .to_vec(),
            ),
            // Not expanded: after `--`, or glued to a flag.
            (
                vec!["--", &outer_arg],
                vec!["--".to_string(), outer_arg.clone()],
            ),
            (
                vec!["--persistence.file=@x", "-@x"],
                ["--persistence.file=@x", "-@x"].map(String::from).to_vec(),
            ),
        ];
        for (args, want) in cases {
            assert_eq!(run(&args), (want, None), "args {args:?}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn failures_stop_expansion_with_upstream_messages() {
        let dir = scratch_dir("fail");
        let looping = dir.join("loop");
        std::fs::write(&looping, format!("-h\n@{}\n", looping.display())).unwrap();
        let long = dir.join("long");
        std::fs::write(&long, vec![b'x'; LINE_BYTES_MAX]).unwrap();
        let fits = dir.join("fits");
        std::fs::write(&fits, vec![b'x'; LINE_BYTES_MAX - 1]).unwrap();
        let d = dir.display();

        let (args, error) = run(&["-h", "@/nonexistent/args", "--version"]);
        assert_eq!(args, ["-h"]);
        assert_eq!(
            error.as_deref(),
            Some(
                "failed to open arguments file \"/nonexistent/args\": \
                 open /nonexistent/args: no such file or directory"
            )
        );
        let (_, error) = run(&["@"]);
        assert_eq!(
            error.as_deref(),
            Some("expected @ file to expand arguments from")
        );
        let (_, error) = run(&[&format!("@{d}")]);
        assert_eq!(
            error,
            Some(format!(
                "failed to read arguments from \"{d}\": read {d}: is a directory"
            ))
        );
        let (_, error) = run(&[&format!("@{d}/long")]);
        assert_eq!(
            error,
            Some(format!(
                "failed to read arguments from \"{d}/long\": bufio.Scanner: token too long"
            ))
        );
        let (args, error) = run(&[&format!("@{d}/fits")]);
        assert_eq!((args[0].len(), error), (LINE_BYTES_MAX - 1, None));
        let (args, error) = run(&[&format!("@{d}/loop")]);
        assert_eq!(args.len(), NESTING_MAX);
        assert_eq!(
            error,
            Some(format!(
                "failed to read arguments from \"{d}/loop\": @ files nested too deeply"
            ))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
