//! Every command-line flag (spec §14): its name, default, `--help` and `--version` text, and the
//! parsed `Config` the rest of the server reads. Nothing else parses arguments.

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

#[derive(Clone, Debug)]
pub struct Config {
    /// As given (`:9091`, `127.0.0.1:9091`, `[::1]:9091`); repeatable.
    pub listen_addresses: Vec<String>,
    pub systemd_socket: bool,
    pub web_config_file: String,
    pub telemetry_path: String,
    pub external_url: String,
    pub route_prefix: String,
    pub enable_lifecycle: bool,
    pub enable_admin_api: bool,
    pub persistence_file: String,
    pub persistence_interval: Duration,
    pub disable_consistency_check: bool,
    pub enable_utf8_names: bool,
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
            route_prefix: String::new(),
            enable_lifecycle: false,
            enable_admin_api: false,
            persistence_file: String::new(),
            persistence_interval: Duration::from_secs(300),
            disable_consistency_check: false,
            enable_utf8_names: false,
            log_level: LogLevel::Info,
            log_format: LogFormat::Logfmt,
        }
    }
}
