//! Stamps the build context into the binary (`--version`, the `pushgateway_build_info` metric,
//! `/api/v1/status`): git revision and branch, build user, build date, compiler version, and
//! the target platform in Go's spelling. It must never fail the build: when git is missing
//! (a source tarball) or a command errors, the value is `unknown`.
//!
//! Packagers may pin values with `PUSHGATEWAY_REVISION`, `PUSHGATEWAY_BRANCH` and
//! `PUSHGATEWAY_BUILD_USER`; `SOURCE_DATE_EPOCH` pins the build date (reproducible builds).

use std::env;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

// The build script needs only the date and time fields of `UtcTime`, not the milliseconds.
#[allow(dead_code)]
#[path = "src/civil_time.rs"]
mod civil_time;

const UNKNOWN: &str = "unknown";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/civil_time.rs");
    for var in [
        "SOURCE_DATE_EPOCH",
        "PUSHGATEWAY_REVISION",
        "PUSHGATEWAY_BRANCH",
        "PUSHGATEWAY_BUILD_USER",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    watch_git_head();

    let revision = pinned("PUSHGATEWAY_REVISION").unwrap_or_else(|| {
        command_output("git", &["rev-parse", "HEAD"]).unwrap_or_else(|| UNKNOWN.to_string())
    });
    let branch = pinned("PUSHGATEWAY_BRANCH").unwrap_or_else(|| {
        command_output("git", &["rev-parse", "--abbrev-ref", "HEAD"])
            .unwrap_or_else(|| UNKNOWN.to_string())
    });
    let build_user = pinned("PUSHGATEWAY_BUILD_USER").unwrap_or_else(build_user);
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let compiler = command_output(&rustc, &["--version"]).unwrap_or_else(|| UNKNOWN.to_string());
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let target_endian = env::var("CARGO_CFG_TARGET_ENDIAN").unwrap_or_default();

    emit("PUSHGATEWAY_STAMP_REVISION", &revision);
    emit("PUSHGATEWAY_STAMP_BRANCH", &branch);
    emit("PUSHGATEWAY_STAMP_USER", &build_user);
    emit("PUSHGATEWAY_STAMP_DATE", &build_date());
    emit("PUSHGATEWAY_STAMP_COMPILER", &compiler);
    emit("PUSHGATEWAY_STAMP_GOOS", &go_os(&target_os));
    emit(
        "PUSHGATEWAY_STAMP_GOARCH",
        &go_arch(&target_arch, &target_endian),
    );
}

/// Passes a value to the crate as a compile-time environment variable. Cargo reads one
/// directive per line, so a value must not contain a newline.
fn emit(name: &str, value: &str) {
    let single_line = value.lines().next().unwrap_or("");
    println!("cargo:rustc-env={name}={single_line}");
}

fn pinned(var: &str) -> Option<String> {
    env::var(var).ok().filter(|v| !v.is_empty())
}

/// The trimmed standard output of a successful command; `None` if it cannot run, fails, or
/// prints nothing.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Re-run when the checked-out commit changes, so the revision stays true. Only existing files
/// are named: Cargo re-runs the script on every build if a watched path is missing.
fn watch_git_head() {
    let Some(git_dir) = command_output("git", &["rev-parse", "--git-dir"]) else {
        return;
    };
    let head = Path::new(&git_dir).join("HEAD");
    if head.is_file() {
        println!("cargo:rerun-if-changed={}", head.display());
    }
    let Some(reference) = command_output("git", &["symbolic-ref", "-q", "HEAD"]) else {
        return;
    };
    let common_dir = command_output("git", &["rev-parse", "--git-common-dir"]).unwrap_or(git_dir);
    let ref_file = Path::new(&common_dir).join(reference);
    if ref_file.is_file() {
        println!("cargo:rerun-if-changed={}", ref_file.display());
    }
}

/// `user@host` as upstream's promu prints it, or `unknown` without a user name.
fn build_user() -> String {
    let Some(user) = pinned("USER").or_else(|| pinned("LOGNAME")) else {
        return UNKNOWN.to_string();
    };
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| pinned("HOSTNAME"))
        .or_else(|| command_output("hostname", &[]));
    match host {
        Some(host) => format!("{user}@{host}"),
        None => user,
    }
}

/// `YYYYMMDD-HH:MM:SS` in UTC, from `SOURCE_DATE_EPOCH` when set (an unparsable value is
/// ignored rather than failing the build).
fn build_date() -> String {
    let seconds = env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    let t = civil_time::UtcTime::from_unix_millis(seconds.saturating_mul(1000));
    format!(
        "{:04}{:02}{:02}-{:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// Rust's `target_os` in Go's `GOOS` spelling.
fn go_os(target_os: &str) -> String {
    match target_os {
        "macos" => "darwin",
        "" => UNKNOWN,
        other => other,
    }
    .to_string()
}

/// Rust's `target_arch` in Go's `GOARCH` spelling.
fn go_arch(target_arch: &str, endian: &str) -> String {
    match (target_arch, endian) {
        ("x86_64", _) => "amd64",
        ("x86", _) => "386",
        ("aarch64", _) => "arm64",
        ("powerpc64", "little") => "ppc64le",
        ("powerpc64", _) => "ppc64",
        ("loongarch64", _) => "loong64",
        ("mips", "little") => "mipsle",
        ("mips64", "little") => "mips64le",
        ("", _) => UNKNOWN,
        (other, _) => other,
    }
    .to_string()
}
