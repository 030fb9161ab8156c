//! Every command-line flag (spec §14): its name, default, `--help` and `--version` text, and the
//! parsed `Config` the rest of the server reads. Nothing else parses arguments.
//!
//! The command line behaves as upstream's kingpin parser does, errors included:
//! `--name=value` or `--name value` for valued flags (a value may not start with `-`),
//! `--name` / `--no-name` for switches, `-h` for `--help`, `@file` to read arguments from a
//! file, and `--` to end the flags. Parsing stops at the first unknown flag or stray
//! argument. Then, in kingpin's order: `--version`, `--help-long` and `--help-man` act if they
//! were seen before that stop; a parse error is reported; `--help` acts; and only then is a
//! bad value (duration, log level, URL) reported — so `--version` works beside a bad value.

mod args_file;
mod flags;
mod url;
mod usage;

use crate::build_info;
use crate::duration::{self, DurationError};
use flags::{Flag, FlagSpec, Switch, Valued, FLAGS};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Logfmt,
    Json,
}

/// When the persistence log is synced to disk (`--persistence.fsync`, not upstream's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Before any reply that acknowledges a change (once per loop turn, group commit).
    Always,
    /// At most `--persistence.interval` after a change.
    Interval,
    /// Left to the operating system.
    Never,
}

impl FsyncPolicy {
    pub fn name(self) -> &'static str {
        match self {
            FsyncPolicy::Always => "always",
            FsyncPolicy::Interval => "interval",
            FsyncPolicy::Never => "never",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// As given (`:9091`, `127.0.0.1:9091`, `[::1]:9091`); repeatable.
    pub listen_addresses: Vec<String>,
    pub systemd_socket: bool,
    pub web_config_file: String,
    pub telemetry_path: String,
    pub external_url: String,
    /// The decoded path of `external_url` (Go's `URL.Path`), from which the route prefix and
    /// the UI's link prefix derive (spec §2.4); empty when the URL has none.
    pub external_url_path: String,
    pub route_prefix: String,
    pub enable_lifecycle: bool,
    pub enable_admin_api: bool,
    pub persistence_file: String,
    /// Never negative: upstream accepts a negative interval and then saves without delay,
    /// which zero does too.
    pub persistence_interval: Duration,
    /// Our addition: upstream writes a snapshot every `persistence_interval` and has no such
    /// choice. The default syncs as often as upstream saves, while every acknowledged change is
    /// already written to the log (and so survives the process being killed).
    pub persistence_fsync: FsyncPolicy,
    pub disable_consistency_check: bool,
    pub enable_utf8_names: bool,
    /// Our addition (`--push.group-ttl`): a group whose last successful push is this old is
    /// deleted. Zero, the default, keeps groups until they are deleted, as upstream does.
    pub group_ttl: Duration,
    pub log_level: LogLevel,
    pub log_format: LogFormat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen_addresses: vec![":9091".to_string()],
            systemd_socket: false,
            web_config_file: String::new(),
            telemetry_path: "/metrics".to_string(),
            external_url: String::new(),
            external_url_path: String::new(),
            route_prefix: String::new(),
            enable_lifecycle: false,
            enable_admin_api: false,
            persistence_file: String::new(),
            persistence_interval: Duration::from_secs(300),
            persistence_fsync: FsyncPolicy::Interval,
            disable_consistency_check: false,
            enable_utf8_names: false,
            group_ttl: Duration::ZERO,
            log_level: LogLevel::Info,
            log_format: LogFormat::Logfmt,
        }
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    /// Start the server.
    Run(Config),
    /// Print this text to stdout and exit 0 (`--help`, `--help-long`, `--help-man`).
    Help(String),
    /// Print this text to stdout and exit 0 (`--version`).
    Version(String),
}

/// A command line upstream would refuse. `Display` is the text upstream prints between
/// `pushgateway: error: ` and `, try --help`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `unknown long flag '--foo'` (the flag as written, without any `=value`).
    UnknownLongFlag(String),
    /// `unknown short flag '-x'`.
    UnknownShortFlag(String),
    /// `expected argument for flag '--persistence.file'`.
    ExpectedArgument(&'static str),
    /// `unexpected foo`: an argument where only flags may stand.
    Unexpected(String),
    /// An `@file` that could not be read, with kingpin's message.
    ArgsFile(String),
    InvalidDuration(DurationError),
    /// `unrecognized log level trace`.
    UnrecognizedLogLevel(String),
    /// `unrecognized log format xml`.
    UnrecognizedLogFormat(String),
    /// `unrecognized fsync policy sometimes`.
    UnrecognizedFsyncPolicy(String),
    /// `negative group TTL -5m`: a time to live cannot be negative.
    NegativeGroupTtl(String),
    /// `invalid URL: parse ":bad": missing protocol scheme`.
    InvalidUrl(String),
    /// A value that is not UTF-8 (Go would take the bytes; our configuration holds text).
    NotUtf8(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownLongFlag(name) => write!(f, "unknown long flag '--{name}'"),
            ConfigError::UnknownShortFlag(name) => write!(f, "unknown short flag '-{name}'"),
            ConfigError::ExpectedArgument(name) => {
                write!(f, "expected argument for flag '--{name}'")
            }
            ConfigError::Unexpected(arg) => write!(f, "unexpected {arg}"),
            ConfigError::ArgsFile(message) => f.write_str(message),
            ConfigError::InvalidDuration(error) => write!(f, "{error}"),
            ConfigError::UnrecognizedLogLevel(level) => {
                write!(f, "unrecognized log level {level}")
            }
            ConfigError::UnrecognizedLogFormat(format) => {
                write!(f, "unrecognized log format {format}")
            }
            ConfigError::UnrecognizedFsyncPolicy(policy) => {
                write!(f, "unrecognized fsync policy {policy}")
            }
            ConfigError::NegativeGroupTtl(ttl) => write!(f, "negative group TTL {ttl}"),
            ConfigError::InvalidUrl(error) => write!(f, "invalid URL: {error}"),
            ConfigError::NotUtf8(name) => {
                write!(f, "invalid UTF-8 in argument for flag '--{name}'")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// A flag as it appeared, before its value is checked.
enum Given {
    Switch(Switch, bool),
    Valued(&'static FlagSpec, Valued, OsString),
}

/// Parses the command line (without the program name).
pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Result<Action, ConfigError> {
    let width = usage::terminal_width(std::env::var("COLUMNS").ok().as_deref());
    let expanded = args_file::expand(args);
    let mut given = Vec::new();
    // An unreadable @file counts only if parsing reaches it (see args_file).
    let parse_error = collect(expanded.args, &mut given).err().or(expanded.error);

    let mut config = Config::default();
    let mut value_error = None;
    let mut listen_addresses_given = false;
    for item in &given {
        if let Err(error) = apply(&mut config, item, &mut listen_addresses_given) {
            value_error = Some(error);
            break;
        }
    }
    for item in &given {
        match item {
            Given::Switch(Switch::Version, _) => {
                return Ok(Action::Version(build_info::version_text()));
            }
            Given::Switch(Switch::HelpLong, _) => return Ok(Action::Help(usage::usage(width))),
            Given::Switch(Switch::HelpMan, _) => {
                return Ok(Action::Help(usage::man_page(&build_info::version_text())));
            }
            _ => {}
        }
    }
    if let Some(error) = parse_error {
        return Err(error);
    }
    // Like kingpin, the mere presence of the flag asks for help, even as `--no-help`.
    if given
        .iter()
        .any(|item| matches!(item, Given::Switch(Switch::Help, _)))
    {
        return Ok(Action::Help(usage::usage(width)));
    }
    match value_error {
        Some(error) => Err(error),
        None => Ok(Action::Run(config)),
    }
}

/// Reads flags in order into `given` until the end or the first error.
fn collect(args: Vec<OsString>, given: &mut Vec<Given>) -> Result<(), ConfigError> {
    let mut parser = lexopt::Parser::from_args(args);
    // kingpin reads `-h=x` as `-h` then `-=`, not as a value for `-h`.
    parser.set_short_equals(false);
    // Set once a `--` has ended the flags: anything after it is a stray argument.
    let mut args_only = false;
    loop {
        if let Some(raw) = parser.try_raw_args() {
            match raw.peek() {
                Some(next) if args_only => return Err(unexpected(next)),
                // lexopt calls a lone `-` a value; to kingpin it is an unnamed short flag.
                Some(next) if next.as_bytes() == b"-" => {
                    return Err(ConfigError::UnknownShortFlag(String::new()))
                }
                // lexopt will end the flags here; whatever follows is a stray argument.
                Some(next) if next.as_bytes() == b"--" => args_only = true,
                _ => {}
            }
        }
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => return Ok(()),
            // Only an attached value nobody took can get here; kingpin calls it unexpected.
            Err(lexopt::Error::UnexpectedValue { value, .. }) => return Err(unexpected(&value)),
            Err(other) => return Err(ConfigError::Unexpected(other.to_string())),
        };
        match arg {
            lexopt::Arg::Short(short) => match flags::by_short_name(short) {
                Some(FlagSpec {
                    flag: Flag::Switch(switch),
                    ..
                }) => given.push(Given::Switch(*switch, true)),
                _ => return Err(ConfigError::UnknownShortFlag(short.to_string())),
            },
            lexopt::Arg::Long(name) => {
                let name = name.to_string();
                collect_long(&mut parser, &name, given, &mut args_only)?;
            }
            lexopt::Arg::Value(value) => return Err(unexpected(&value)),
        }
    }
}

fn collect_long(
    parser: &mut lexopt::Parser,
    name: &str,
    given: &mut Vec<Given>,
    args_only: &mut bool,
) -> Result<(), ConfigError> {
    let unknown = || ConfigError::UnknownLongFlag(name.to_string());
    let (spec, negated) = match flags::by_long_name(name) {
        Some(spec) => (spec, false),
        None => match name.strip_prefix("no-").and_then(flags::by_long_name) {
            Some(spec) => (spec, true),
            None => return Err(unknown()),
        },
    };
    match spec.flag {
        Flag::Switch(switch) => {
            given.push(Given::Switch(switch, !negated));
            // `--switch=value`: the value is a stray argument to kingpin.
            if let Some(value) = parser.optional_value() {
                return Err(unexpected(&value));
            }
        }
        Flag::Valued(_) if negated => return Err(unknown()),
        Flag::Valued(valued) => {
            let value = match parser.optional_value() {
                Some(value) => value,
                None => separate_value(parser, args_only)
                    .ok_or(ConfigError::ExpectedArgument(spec.name))?,
            };
            given.push(Given::Valued(spec, valued, value));
        }
    }
    Ok(())
}

/// The argument after a valued flag, if kingpin would take it as the value: anything not
/// starting with `-`, or whatever follows a `--` (which also ends the flags).
fn separate_value(parser: &mut lexopt::Parser, args_only: &mut bool) -> Option<OsString> {
    let mut raw = parser.try_raw_args()?;
    let next = raw.peek()?;
    if next.as_bytes() == b"--" {
        raw.next();
        *args_only = true;
        return raw.next();
    }
    if next.as_bytes().first() == Some(&b'-') {
        return None;
    }
    raw.next()
}

fn unexpected(arg: &OsStr) -> ConfigError {
    ConfigError::Unexpected(arg.to_string_lossy().into_owned())
}

/// Checks one flag's value and stores it.
fn apply(
    config: &mut Config,
    given: &Given,
    listen_addresses_given: &mut bool,
) -> Result<(), ConfigError> {
    let (spec, valued, value) = match given {
        Given::Switch(switch, on) => {
            let on = *on;
            match switch {
                Switch::SystemdSocket => config.systemd_socket = on,
                Switch::EnableLifecycle => config.enable_lifecycle = on,
                Switch::EnableAdminApi => config.enable_admin_api = on,
                Switch::DisableConsistencyCheck => config.disable_consistency_check = on,
                Switch::EnableUtf8Names => config.enable_utf8_names = on,
                // These act rather than configure; parse_args handles them.
                Switch::Help | Switch::HelpLong | Switch::HelpMan | Switch::Version => {}
            }
            return Ok(());
        }
        Given::Valued(spec, valued, value) => (spec, valued, value),
    };
    let text = || {
        value
            .to_str()
            .map(str::to_string)
            .ok_or(ConfigError::NotUtf8(spec.name))
    };
    match valued {
        Valued::ListenAddress => {
            // The first explicit address replaces the default; later ones add to it.
            if !*listen_addresses_given {
                config.listen_addresses.clear();
                *listen_addresses_given = true;
            }
            config.listen_addresses.push(text()?);
        }
        Valued::WebConfigFile => config.web_config_file = text()?,
        Valued::TelemetryPath => config.telemetry_path = text()?,
        Valued::ExternalUrl => {
            let url = text()?;
            config.external_url_path = url::parse_path(&url)
                .map_err(|error| ConfigError::InvalidUrl(error.to_string()))?;
            config.external_url = url;
        }
        Valued::RoutePrefix => config.route_prefix = text()?,
        Valued::PersistenceFile => config.persistence_file = text()?,
        Valued::PersistenceInterval => {
            let nanos = duration::parse(value.as_bytes()).map_err(ConfigError::InvalidDuration)?;
            config.persistence_interval = Duration::from_nanos(nanos.max(0).unsigned_abs());
        }
        Valued::PersistenceFsync => {
            config.persistence_fsync = match value.as_bytes() {
                b"always" => FsyncPolicy::Always,
                b"interval" => FsyncPolicy::Interval,
                b"never" => FsyncPolicy::Never,
                _ => return Err(ConfigError::UnrecognizedFsyncPolicy(lossy(value))),
            }
        }
        Valued::GroupTtl => {
            let nanos = duration::parse(value.as_bytes()).map_err(ConfigError::InvalidDuration)?;
            if nanos < 0 {
                return Err(ConfigError::NegativeGroupTtl(lossy(value)));
            }
            config.group_ttl = Duration::from_nanos(nanos.unsigned_abs());
        }
        Valued::LogLevel => {
            config.log_level = match value.as_bytes() {
                b"debug" => LogLevel::Debug,
                b"info" => LogLevel::Info,
                b"warn" => LogLevel::Warn,
                b"error" => LogLevel::Error,
                _ => return Err(ConfigError::UnrecognizedLogLevel(lossy(value))),
            }
        }
        Valued::LogFormat => {
            config.log_format = match value.as_bytes() {
                b"logfmt" => LogFormat::Logfmt,
                b"json" => LogFormat::Json,
                _ => return Err(ConfigError::UnrecognizedLogFormat(lossy(value))),
            }
        }
    }
    Ok(())
}

/// A flag's duration as Go prints it (`5m0s`, `0s`).
fn go_duration(d: Duration) -> String {
    duration::format(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn lossy(value: &OsStr) -> String {
    value.to_string_lossy().into_owned()
}

impl Config {
    /// The `flags` object of `/api/v1/status` (spec §9.2): every flag but the CLI boilerplate,
    /// sorted by name, values as upstream prints them (`true`/`false`, Go durations such as
    /// `5m0s`, listen addresses joined with `,`).
    pub fn flag_map(&self) -> Vec<(&'static str, String)> {
        let mut map: Vec<(&'static str, String)> = FLAGS
            .iter()
            .filter(|spec| !spec.boilerplate)
            .map(|spec| (spec.name, self.flag_value(spec.flag)))
            .collect();
        map.sort_by_key(|(name, _)| *name);
        map
    }

    fn flag_value(&self, flag: Flag) -> String {
        match flag {
            Flag::Switch(switch) => match switch {
                Switch::SystemdSocket => self.systemd_socket,
                Switch::EnableLifecycle => self.enable_lifecycle,
                Switch::EnableAdminApi => self.enable_admin_api,
                Switch::DisableConsistencyCheck => self.disable_consistency_check,
                Switch::EnableUtf8Names => self.enable_utf8_names,
                Switch::Help | Switch::HelpLong | Switch::HelpMan | Switch::Version => false,
            }
            .to_string(),
            Flag::Valued(valued) => match valued {
                Valued::ListenAddress => self.listen_addresses.join(","),
                Valued::WebConfigFile => self.web_config_file.clone(),
                Valued::TelemetryPath => self.telemetry_path.clone(),
                Valued::ExternalUrl => self.external_url.clone(),
                Valued::RoutePrefix => self.route_prefix.clone(),
                Valued::PersistenceFile => self.persistence_file.clone(),
                Valued::PersistenceInterval => go_duration(self.persistence_interval),
                Valued::PersistenceFsync => self.persistence_fsync.name().to_string(),
                Valued::GroupTtl => go_duration(self.group_ttl),
                Valued::LogLevel => match self.log_level {
                    LogLevel::Debug => "debug",
                    LogLevel::Info => "info",
                    LogLevel::Warn => "warn",
                    LogLevel::Error => "error",
                }
                .to_string(),
                Valued::LogFormat => match self.log_format {
                    LogFormat::Logfmt => "logfmt",
                    LogFormat::Json => "json",
                }
                .to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn parse(args: &[&str]) -> Result<Action, ConfigError> {
        parse_args(args.iter().map(OsString::from))
    }

    fn run(args: &[&str]) -> Config {
        match parse(args) {
            Ok(Action::Run(config)) => config,
            other => panic!("{args:?}: expected Run, got {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(error) => error.to_string(),
            other => panic!("{args:?}: expected an error, got {other:?}"),
        }
    }

    fn kind(action: Result<Action, ConfigError>) -> String {
        match action {
            Ok(Action::Run(_)) => "run".to_string(),
            Ok(Action::Help(text)) if text.starts_with("usage: ") => "help".to_string(),
            Ok(Action::Help(text)) if text.starts_with(".TH ") => "man".to_string(),
            Ok(Action::Help(text)) => panic!("unexpected help text {text:?}"),
            Ok(Action::Version(text)) => {
                assert_eq!(text, build_info::version_text());
                "version".to_string()
            }
            Err(error) => format!("error: {error}"),
        }
    }

    #[test]
    fn defaults() {
        let config = run(&[]);
        assert_eq!(config.listen_addresses, [":9091"]);
        assert_eq!(config.telemetry_path, "/metrics");
        assert_eq!(config.persistence_interval, Duration::from_secs(300));
        assert_eq!(config.log_level, LogLevel::Info);
        assert_eq!(config.log_format, LogFormat::Logfmt);
        assert!(!config.systemd_socket && !config.enable_lifecycle && !config.enable_admin_api);
        assert!(!config.disable_consistency_check && !config.enable_utf8_names);
        assert!(config.group_ttl.is_zero(), "expiry is off by default");
        assert_eq!(
            (
                config.external_url.as_str(),
                config.external_url_path.as_str()
            ),
            ("", "")
        );
    }

    #[test]
    fn every_flag_in_both_forms() {
        let config = run(&[
            "--web.listen-address=127.0.0.1:1",
            "--web.listen-address",
            "[::1]:2",
            "--web.systemd-socket",
            "--web.config.file=/etc/web.yml",
            "--web.telemetry-path",
            "/m",
            "--web.external-url=http://example.com/pg/",
            "--web.route-prefix=/r",
            "--web.enable-lifecycle",
            "--web.enable-admin-api",
            "--persistence.file",
            "/var/lib/pg.data",
            "--persistence.interval=1h30m",
            "--push.disable-consistency-check",
            "--push.enable-utf8-names",
            "--push.group-ttl",
            "36h",
            "--log.level",
            "debug",
            "--log.format=json",
        ]);
        assert_eq!(config.listen_addresses, ["127.0.0.1:1", "[::1]:2"]);
        assert!(config.systemd_socket && config.enable_lifecycle && config.enable_admin_api);
        assert!(config.disable_consistency_check && config.enable_utf8_names);
        assert_eq!(config.web_config_file, "/etc/web.yml");
        assert_eq!(config.telemetry_path, "/m");
        assert_eq!(config.external_url, "http://example.com/pg/");
        assert_eq!(config.external_url_path, "/pg/");
        assert_eq!(config.route_prefix, "/r");
        assert_eq!(config.persistence_file, "/var/lib/pg.data");
        assert_eq!(config.persistence_interval, Duration::from_secs(5400));
        assert_eq!(config.group_ttl, Duration::from_secs(36 * 3600));
        assert_eq!(config.log_level, LogLevel::Debug);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn value_forms() {
        type Check = fn(&Config) -> bool;
        let cases: &[(&[&str], Check)] = &[
            // Later values win; `--no-` clears; values may be empty or contain `=`.
            (&["--log.level=warn", "--log.level=error"], |c| {
                c.log_level == LogLevel::Error
            }),
            (
                &["--web.enable-lifecycle", "--no-web.enable-lifecycle"],
                |c| !c.enable_lifecycle,
            ),
            (&["--persistence.file="], |c| c.persistence_file.is_empty()),
            (&["--persistence.file", ""], |c| {
                c.persistence_file.is_empty()
            }),
            (&["--web.route-prefix=a=b"], |c| c.route_prefix == "a=b"),
            (&["--web.listen-address="], |c| c.listen_addresses == [""]),
            // A value after `--` is taken, as kingpin does.
            (&["--persistence.file", "--", "-x"], |c| {
                c.persistence_file == "-x"
            }),
            (&["--persistence.interval=0"], |c| {
                c.persistence_interval.is_zero()
            }),
            (&["--persistence.interval=-5m"], |c| {
                c.persistence_interval.is_zero()
            }),
            (&["--persistence.interval=1.5s"], |c| {
                c.persistence_interval == Duration::from_millis(1500)
            }),
            (&[], |c| c.persistence_fsync == FsyncPolicy::Interval),
            (&["--persistence.fsync=always"], |c| {
                c.persistence_fsync == FsyncPolicy::Always
            }),
            (&["--persistence.fsync", "never"], |c| {
                c.persistence_fsync == FsyncPolicy::Never
            }),
            (
                &["--persistence.fsync=never", "--persistence.fsync=interval"],
                |c| c.persistence_fsync == FsyncPolicy::Interval,
            ),
            (&["--push.group-ttl=0"], |c| c.group_ttl.is_zero()),
            (&["--push.group-ttl=1h", "--push.group-ttl=0s"], |c| {
                c.group_ttl.is_zero()
            }),
            (&["--push.group-ttl=1.5s"], |c| {
                c.group_ttl == Duration::from_millis(1500)
            }),
            (&["--push.group-ttl=2h45m"], |c| {
                c.group_ttl == Duration::from_secs(9900)
            }),
        ];
        for (args, check) in cases {
            assert!(check(&run(args)), "args {args:?}");
        }
        // `--` alone ends the flags.
        assert_eq!(run(&["--log.level=warn", "--"]).log_level, LogLevel::Warn);
    }

    #[test]
    fn errors_read_like_upstream() {
        let cases: &[(&[&str], &str)] = &[
            (&["--foo"], "unknown long flag '--foo'"),
            (&["--foo=bar"], "unknown long flag '--foo'"),
            (&["--no-foo"], "unknown long flag '--no-foo'"),
            (
                &["--no-persistence.file"],
                "unknown long flag '--no-persistence.file'",
            ),
            (&["--"], ""),
            (&["-x"], "unknown short flag '-x'"),
            (&["-hx"], "unknown short flag '-x'"),
            (&["-h=x"], "unknown short flag '-='"),
            (&["-"], "unknown short flag '-'"),
            (&["foo"], "unexpected foo"),
            (&["--", "--version"], "unexpected --version"),
            (&["--web.listen-address=a", "--", "b"], "unexpected b"),
            (&["--persistence.file", "--", "x", "y"], "unexpected y"),
            (&["--web.enable-lifecycle=true"], "unexpected true"),
            (&["--help=x"], "unexpected x"),
            (
                &["--persistence.interval"],
                "expected argument for flag '--persistence.interval'",
            ),
            (
                &["--persistence.interval", "--version"],
                "expected argument for flag '--persistence.interval'",
            ),
            (
                &["--persistence.file", "-"],
                "expected argument for flag '--persistence.file'",
            ),
            (
                &["--persistence.interval", "-5m"],
                "expected argument for flag '--persistence.interval'",
            ),
            (
                &["--persistence.file", "--"],
                "expected argument for flag '--persistence.file'",
            ),
            (
                &["--persistence.interval=abc"],
                r#"time: invalid duration "abc""#,
            ),
            (&["--persistence.interval="], r#"time: invalid duration """#),
            (
                &["--persistence.interval=1"],
                r#"time: missing unit in duration "1""#,
            ),
            (
                &["--persistence.interval=1e3"],
                r#"time: unknown unit "e" in duration "1e3""#,
            ),
            (&["--push.group-ttl=-5m"], "negative group TTL -5m"),
            (
                &["--push.group-ttl=1d"],
                r#"time: unknown unit "d" in duration "1d""#,
            ),
            (
                &["--push.group-ttl", "-1s"],
                "expected argument for flag '--push.group-ttl'",
            ),
            (&["--log.level=trace"], "unrecognized log level trace"),
            (&["--log.level=INFO"], "unrecognized log level INFO"),
            (&["--log.level="], "unrecognized log level "),
            (&["--log.format=xml"], "unrecognized log format xml"),
            (
                &["--persistence.fsync=ALWAYS"],
                "unrecognized fsync policy ALWAYS",
            ),
            (
                &["--web.external-url=:bad"],
                r#"invalid URL: parse ":bad": missing protocol scheme"#,
            ),
            // The first bad value is the one reported.
            (
                &["--log.level=x", "--persistence.interval=y"],
                "unrecognized log level x",
            ),
        ];
        for (args, want) in cases {
            if want.is_empty() {
                assert!(matches!(parse(args), Ok(Action::Run(_))), "args {args:?}");
            } else {
                assert_eq!(error(args), *want, "args {args:?}");
            }
        }
    }

    #[test]
    fn not_utf8_values() {
        let bad = OsString::from_vec(b"/tmp/\xff".to_vec());
        let args = vec![OsString::from("--persistence.file"), bad.clone()];
        assert_eq!(
            parse_args(args).unwrap_err().to_string(),
            "invalid UTF-8 in argument for flag '--persistence.file'"
        );
        let mut level = OsString::from("--log.level=");
        level.push(&bad);
        assert_eq!(
            parse_args([level]).unwrap_err().to_string(),
            "unrecognized log level /tmp/\u{fffd}"
        );
    }

    #[test]
    fn actions_follow_kingpins_order() {
        let cases: &[(&[&str], &str)] = &[
            (&["--help"], "help"),
            (&["-h"], "help"),
            (&["--no-help"], "help"),
            (&["--help-long"], "help"),
            (&["--help-man"], "man"),
            (&["--version"], "version"),
            (&["--no-version"], "version"),
            (&["--version=x"], "version"),
            // Version acts before parse errors and bad values, if seen before the stop.
            (&["--version", "--foo"], "version"),
            (&["--foo", "--version"], "error: unknown long flag '--foo'"),
            (&["--persistence.interval=abc", "--version"], "version"),
            (
                &["--web.enable-lifecycle=true", "--version"],
                "error: unexpected true",
            ),
            (&["--help", "--version"], "version"),
            (&["--help-man", "--version"], "man"),
            // Help acts after parse errors but before bad values.
            (&["--help", "--foo"], "error: unknown long flag '--foo'"),
            (&["--help", "--persistence.interval=abc"], "help"),
            (&["--log.level=trace", "-h"], "help"),
            (&["-hx"], "error: unknown short flag '-x'"),
            (&["--help=x"], "error: unexpected x"),
        ];
        for (args, want) in cases {
            assert_eq!(kind(parse(args)), *want, "args {args:?}");
        }
    }

    #[test]
    fn args_file_errors_count_only_when_reached() {
        let missing = "@/nonexistent/pushgateway-args";
        let open_error = "error: failed to open arguments file \"/nonexistent/pushgateway-args\": \
                          open /nonexistent/pushgateway-args: no such file or directory";
        let cases: &[(&[&str], &str)] = &[
            (&[missing], open_error),
            (&["--version", missing], "version"),
            (&["--help", missing], open_error),
            (&["--foo", missing], "error: unknown long flag '--foo'"),
            (
                &["--persistence.file", missing],
                "error: expected argument for flag '--persistence.file'",
            ),
            (
                &["--", missing],
                "error: unexpected @/nonexistent/pushgateway-args",
            ),
        ];
        for (args, want) in cases {
            assert_eq!(kind(parse(args)), *want, "args {args:?}");
        }
    }

    #[test]
    fn flag_map_lists_every_flag_by_name() {
        let defaults: Vec<(&str, String)> = run(&[]).flag_map();
        let want_defaults = [
            ("log.format", "logfmt"),
            ("log.level", "info"),
            ("persistence.file", ""),
            ("persistence.fsync", "interval"),
            ("persistence.interval", "5m0s"),
            ("push.disable-consistency-check", "false"),
            ("push.enable-utf8-names", "false"),
            ("push.group-ttl", "0s"),
            ("web.config.file", ""),
            ("web.enable-admin-api", "false"),
            ("web.enable-lifecycle", "false"),
            ("web.external-url", ""),
            ("web.listen-address", ":9091"),
            ("web.route-prefix", ""),
            ("web.systemd-socket", "false"),
            ("web.telemetry-path", "/metrics"),
        ]
        .map(|(k, v)| (k, v.to_string()));
        assert_eq!(defaults, want_defaults);

        let config = run(&[
            "--web.listen-address=:1",
            "--web.listen-address=:2",
            "--persistence.interval=90m",
            "--push.group-ttl=1h",
            "--log.level=warn",
            "--log.format=json",
            "--web.enable-admin-api",
            "--web.external-url=http://example.com/x",
        ]);
        let map = config.flag_map();
        let value = |name: &str| {
            map.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value("web.listen-address"), Some(":1,:2"));
        assert_eq!(value("persistence.interval"), Some("1h30m0s"));
        assert_eq!(value("push.group-ttl"), Some("1h0m0s"));
        assert_eq!(value("log.level"), Some("warn"));
        assert_eq!(value("log.format"), Some("json"));
        assert_eq!(value("web.enable-admin-api"), Some("true"));
        assert_eq!(value("web.external-url"), Some("http://example.com/x"));
        assert_eq!(value("help"), None);
        assert_eq!(value("version"), None);
    }
}
