//! The flag table of upstream 1.11.3 (spec §14): names, help texts and `--help` placeholders,
//! in upstream's registration order (which is the `--help` order). Parsing and rendering read
//! this table; it holds no behaviour.

/// Every flag the command line accepts, split by whether it takes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flag {
    Switch(Switch),
    Valued(Valued),
}

/// Boolean flags: `--name` sets, `--no-name` clears; they take no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Switch {
    Help,
    HelpLong,
    HelpMan,
    SystemdSocket,
    EnableLifecycle,
    EnableAdminApi,
    DisableConsistencyCheck,
    EnableUtf8Names,
    Version,
}

/// Flags with a value: `--name=value` or `--name value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Valued {
    ListenAddress,
    WebConfigFile,
    TelemetryPath,
    ExternalUrl,
    RoutePrefix,
    PersistenceFile,
    PersistenceInterval,
    PersistenceFsync,
    GroupTtl,
    LogLevel,
    LogFormat,
}

pub(super) struct FlagSpec {
    pub flag: Flag,
    pub name: &'static str,
    pub short: Option<char>,
    pub help: &'static str,
    /// What `--help` prints after `=` for a valued flag (kingpin quotes string defaults, not
    /// others); unused for switches.
    pub placeholder: &'static str,
    /// Repeatable flags are marked ` ...` in `--help`.
    pub repeatable: bool,
    /// Hidden from `--help` and `--help-man`, as kingpin hides its own helpers.
    pub hidden: bool,
    /// CLI boilerplate, left out of the `/api/v1/status` flag list (upstream drops every flag
    /// a bare kingpin application also has).
    pub boilerplate: bool,
}

impl FlagSpec {
    pub fn is_switch(&self) -> bool {
        matches!(self.flag, Flag::Switch(_))
    }
}

const fn switch(switch: Switch, name: &'static str, help: &'static str) -> FlagSpec {
    FlagSpec {
        flag: Flag::Switch(switch),
        name,
        short: None,
        help,
        placeholder: "",
        repeatable: false,
        hidden: false,
        boilerplate: false,
    }
}

const fn valued(
    valued: Valued,
    name: &'static str,
    placeholder: &'static str,
    help: &'static str,
) -> FlagSpec {
    FlagSpec {
        flag: Flag::Valued(valued),
        name,
        short: None,
        help,
        placeholder,
        repeatable: false,
        hidden: false,
        boilerplate: false,
    }
}

pub(super) const FLAGS: &[FlagSpec] = &[
    FlagSpec {
        short: Some('h'),
        boilerplate: true,
        ..switch(
            Switch::Help,
            "help",
            "Show context-sensitive help (also try --help-long and --help-man).",
        )
    },
    FlagSpec {
        hidden: true,
        boilerplate: true,
        ..switch(Switch::HelpLong, "help-long", "Generate long help.")
    },
    FlagSpec {
        hidden: true,
        boilerplate: true,
        ..switch(Switch::HelpMan, "help-man", "Generate a man page.")
    },
    switch(
        Switch::SystemdSocket,
        "web.systemd-socket",
        "Use systemd socket activation listeners instead of port listeners (Linux only).",
    ),
    FlagSpec {
        repeatable: true,
        ..valued(
            Valued::ListenAddress,
            "web.listen-address",
            ":9091",
            "Addresses on which to expose metrics and web interface. Repeatable for multiple \
             addresses. Examples: `:9100` or `[::1]:9100` for http, `vsock://:9100` for vsock",
        )
    },
    valued(
        Valued::WebConfigFile,
        "web.config.file",
        "\"\"",
        "Path to configuration file that can enable TLS or authentication. See: \
         https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
    ),
    valued(
        Valued::TelemetryPath,
        "web.telemetry-path",
        "\"/metrics\"",
        "Path under which to expose metrics.",
    ),
    valued(
        Valued::ExternalUrl,
        "web.external-url",
        "",
        "The URL under which the Pushgateway is externally reachable.",
    ),
    valued(
        Valued::RoutePrefix,
        "web.route-prefix",
        "\"\"",
        "Prefix for the internal routes of web endpoints. Defaults to the path of \
         --web.external-url.",
    ),
    switch(
        Switch::EnableLifecycle,
        "web.enable-lifecycle",
        "Enable shutdown via HTTP request.",
    ),
    switch(
        Switch::EnableAdminApi,
        "web.enable-admin-api",
        "Enable API endpoints for admin control actions.",
    ),
    valued(
        Valued::PersistenceFile,
        "persistence.file",
        "\"\"",
        "File to persist metrics. If empty, metrics are only kept in memory.",
    ),
    valued(
        Valued::PersistenceInterval,
        "persistence.interval",
        "5m",
        "The minimum interval at which to write out the persistence file.",
    ),
    // Ours, not upstream's: how the write-ahead log is synced (README, "Persistence").
    valued(
        Valued::PersistenceFsync,
        "persistence.fsync",
        "interval",
        "When to fsync the persistence file. One of: [always, interval, never]: before every \
         reply that acknowledges a change, at most --persistence.interval after a change, or \
         when the operating system decides.",
    ),
    switch(
        Switch::DisableConsistencyCheck,
        "push.disable-consistency-check",
        "Do not check consistency of pushed metrics. DANGEROUS.",
    ),
    // Since 1.11.0. Unverified help text: neither a 1.11 binary nor its main.go was at hand.
    switch(
        Switch::EnableUtf8Names,
        "push.enable-utf8-names",
        "Allow UTF-8 characters in metric and label names.",
    ),
    // Ours, not upstream's: opt-in group expiry (README, "Group expiry").
    valued(
        Valued::GroupTtl,
        "push.group-ttl",
        "0s",
        "Delete a group once its last successful push is this old (a group that never had one: \
         its creation). 0 keeps groups until they are deleted, as upstream does.",
    ),
    valued(
        Valued::LogLevel,
        "log.level",
        "info",
        "Only log messages with the given severity or above. One of: [debug, info, warn, error]",
    ),
    valued(
        Valued::LogFormat,
        "log.format",
        "logfmt",
        "Output format of log messages. One of: [logfmt, json]",
    ),
    FlagSpec {
        boilerplate: true,
        ..switch(Switch::Version, "version", "Show application version.")
    },
];

pub(super) fn by_long_name(name: &str) -> Option<&'static FlagSpec> {
    FLAGS.iter().find(|spec| spec.name == name)
}

pub(super) fn by_short_name(short: char) -> Option<&'static FlagSpec> {
    FLAGS.iter().find(|spec| spec.short == Some(short))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_one_row_and_unique_names() {
        for (i, a) in FLAGS.iter().enumerate() {
            for b in &FLAGS[i + 1..] {
                assert_ne!(a.flag, b.flag);
                assert_ne!(a.name, b.name);
            }
        }
        assert_eq!(FLAGS.len(), 20);
    }
}
