//! The `process_*` metrics of spec §8.8 on Linux, read the way Go's client library reads them
//! (client_golang's process collector over prometheus/procfs), so dashboards see the same values.
//!
//! Owns: reading and parsing `/proc`. Must never: panic or fail when `/proc` is missing or
//! unexpected (a scratch container, another OS); the affected values are then zero or `None`.
//!
//! Sources, as upstream:
//! - `/proc/self/stat`: utime + stime for CPU seconds, vsize, rss (pages), starttime. Clock ticks
//!   are converted with a fixed 100 Hz, as procfs does (`userHZ`), not with `sysconf`.
//! - `/proc/stat` `btime`: boot time, to which starttime is added.
//! - `/proc/self/fd`: the directory's size when the kernel reports it (Linux ≥ 6.2, procfs' fast
//!   path), else the number of entries.
//! - `/proc/self/limits`: soft limits of open files and address space; `unlimited` is
//!   `u64::MAX`, shown as 1.8446744073709552e+19.
//! - `/proc/self/net/netstat` `IpExt` `InOctets`/`OutOctets`: the network namespace's IP byte
//!   counters (what client_golang ≥ 1.20 exposes; not per process, and not `net/dev`).

use std::fs;

/// procfs converts clock ticks with this constant rather than asking the system.
const USER_HZ: f64 = 100.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds_total: f64,
    pub open_fds: f64,
    pub max_fds: f64,
    pub virtual_memory_bytes: f64,
    pub virtual_memory_max_bytes: f64,
    pub resident_memory_bytes: f64,
    pub start_time_seconds: f64,
    /// `None` when `/proc/self/net/netstat` cannot be read (upstream then omits the metric).
    pub network_receive_bytes_total: Option<f64>,
    pub network_transmit_bytes_total: Option<f64>,
}

/// Reads the current values; whatever cannot be read stays zero or `None`.
pub fn read() -> ProcessStats {
    let mut stats = ProcessStats::default();
    if let Some(stat) = read_text("/proc/self/stat").and_then(|s| Stat::parse(&s)) {
        stats.cpu_seconds_total = (stat.utime + stat.stime) as f64 / USER_HZ;
        stats.virtual_memory_bytes = stat.vsize as f64;
        stats.resident_memory_bytes = stat.rss as f64 * crate::sys::page_size_bytes() as f64;
        if let Some(boot) = read_text("/proc/stat").and_then(|s| boot_time_seconds(&s)) {
            stats.start_time_seconds = boot as f64 + stat.starttime as f64 / USER_HZ;
        }
    }
    if let Some(fds) = open_fds() {
        stats.open_fds = fds as f64;
    }
    if let Some(limits) = read_text("/proc/self/limits") {
        stats.max_fds = soft_limit(&limits, "Max open files").unwrap_or(0) as f64;
        stats.virtual_memory_max_bytes =
            soft_limit(&limits, "Max address space").unwrap_or(0) as f64;
    }
    if let Some(netstat) = read_text("/proc/self/net/netstat") {
        // Upstream reports 0 when the file is there but lacks the counter.
        let counter = |name| netstat_counter(&netstat, "IpExt", name).unwrap_or(0) as f64;
        stats.network_receive_bytes_total = Some(counter("InOctets"));
        stats.network_transmit_bytes_total = Some(counter("OutOctets"));
    }
    stats
}

fn read_text(path: &str) -> Option<String> {
    fs::read_to_string(path).ok()
}

/// The fields of `/proc/<pid>/stat` that the metrics need.
#[derive(Debug, PartialEq)]
struct Stat {
    utime: u64,
    stime: u64,
    starttime: u64,
    vsize: u64,
    rss: u64,
}

impl Stat {
    /// `pid (comm) state ppid …`: the command may contain spaces and parentheses, so fields are
    /// counted from the last `)`. Field numbers as in proc(5).
    fn parse(text: &str) -> Option<Stat> {
        let after_comm = &text[text.rfind(')')? + 1..];
        // After the command, field 3 (state) comes first.
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
        // rss is signed in the kernel's format; a negative value never occurs for a live process.
        Some(Stat {
            utime: field(14)?,
            stime: field(15)?,
            starttime: field(22)?,
            vsize: field(23)?,
            rss: field(24)?,
        })
    }
}

/// `btime <seconds>` from `/proc/stat`.
fn boot_time_seconds(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|rest| rest.trim().parse().ok())
}

/// The soft limit in the row of `/proc/self/limits` named `name`; `unlimited` is `u64::MAX`.
fn soft_limit(text: &str, name: &str) -> Option<u64> {
    let row = text.lines().find_map(|line| line.strip_prefix(name))?;
    match row.split_whitespace().next()? {
        "unlimited" => Some(u64::MAX),
        value => value.parse().ok(),
    }
}

/// A counter from `/proc/<pid>/net/netstat`, where each section is a line of names followed by
/// a line of values, both starting with `<section>:`.
fn netstat_counter(text: &str, section: &str, name: &str) -> Option<u64> {
    let mut rows = text.lines().filter_map(|line| {
        let (prefix, rest) = line.split_once(':')?;
        (prefix == section).then_some(rest)
    });
    let names = rows.next()?;
    let values = rows.next()?;
    let index = names.split_whitespace().position(|n| n == name)?;
    values.split_whitespace().nth(index)?.parse().ok()
}

fn open_fds() -> Option<u64> {
    // Since Linux 6.2 the directory's size is its number of entries, without opening it.
    let size = fs::metadata("/proc/self/fd").ok()?.len();
    if size > 0 {
        return Some(size);
    }
    Some(fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_awkward_command_names() {
        let line = "23257 (a) b (c) R 23255 23255 3177 0 -1 4194304 99 0 0 0 7 5 0 0 20 0 1 0 \
                    170517 3133440 356 18446744073709551615 94648335659008";
        assert_eq!(
            Stat::parse(line),
            Some(Stat {
                utime: 7,
                stime: 5,
                starttime: 170517,
                vsize: 3133440,
                rss: 356,
            })
        );
        assert_eq!(Stat::parse("23257 (cat) R 1 2"), None);
        assert_eq!(Stat::parse(""), None);
    }

    #[test]
    fn parses_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max open files            20000                1048576              files     \n\
                    Max address space         unlimited            unlimited            bytes     \n";
        assert_eq!(soft_limit(text, "Max open files"), Some(20000));
        assert_eq!(soft_limit(text, "Max address space"), Some(u64::MAX));
        assert_eq!(u64::MAX as f64, 1.8446744073709552e19);
        assert_eq!(soft_limit(text, "Max processes"), None);
    }

    #[test]
    fn parses_netstat_and_btime() {
        let netstat = "TcpExt: SyncookiesSent InOctets\nTcpExt: 1 2\n\
                       IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts \
                       OutBcastPkts InOctets OutOctets\nIpExt: 0 0 0 0 0 0 509604188 445973751\n";
        assert_eq!(
            netstat_counter(netstat, "IpExt", "InOctets"),
            Some(509604188)
        );
        assert_eq!(
            netstat_counter(netstat, "IpExt", "OutOctets"),
            Some(445973751)
        );
        assert_eq!(netstat_counter(netstat, "IpExt", "InCsumErrors"), None);
        assert_eq!(netstat_counter("", "IpExt", "InOctets"), None);
        assert_eq!(
            boot_time_seconds("cpu  1 2 3\nintr 5\nbtime 1795804343\nprocesses 9\n"),
            Some(1795804343)
        );
        assert_eq!(boot_time_seconds("cpu 1\n"), None);
    }

    #[test]
    fn reads_plausible_values_for_this_process() {
        let stats = read();
        assert!(stats.cpu_seconds_total >= 0.0);
        assert!(stats.open_fds >= 3.0, "{stats:?}");
        assert!(stats.max_fds >= stats.open_fds, "{stats:?}");
        assert!(stats.resident_memory_bytes > 0.0, "{stats:?}");
        assert!(
            stats.virtual_memory_bytes >= stats.resident_memory_bytes,
            "{stats:?}"
        );
        assert!(stats.virtual_memory_max_bytes > 0.0, "{stats:?}");
        // The test binary started moments ago (start time has 10 ms resolution).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let age = now - stats.start_time_seconds;
        assert!((-1.0..60.0).contains(&age), "started {age} s ago");
        assert!(stats.network_receive_bytes_total.is_some_and(|v| v >= 0.0));
        assert!(stats.network_transmit_bytes_total.is_some_and(|v| v >= 0.0));
    }

    #[test]
    fn open_fds_counts_a_newly_opened_file() {
        // Other tests run in parallel threads of this process and open files too, so retry
        // until a quiet moment shows the difference of exactly one.
        let counted = (0..100).any(|_| {
            let before = open_fds();
            let file = fs::File::open("/proc/self/stat").unwrap();
            let during = open_fds();
            drop(file);
            matches!((before, during), (Some(b), Some(d)) if d == b + 1)
        });
        assert!(counted);
    }
}
