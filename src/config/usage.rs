//! The `--help`, `--help-long` and `--help-man` texts, laid out as upstream's kingpin does:
//! a two-column flag list whose help column is wrapped by Go's `go/doc` text printer (which
//! balances line lengths rather than filling greedily). It renders; it never parses.

use super::flags::{FlagSpec, FLAGS};

const PROGRAM: &str = "pushgateway";
const DESCRIPTION: &str = "The Pushgateway";

/// kingpin's width when it cannot ask a terminal: `COLUMNS` if it is an integer, else 80.
/// (Upstream also asks the terminal itself; we do not, to keep this free of `ioctl`.)
pub(super) fn terminal_width(columns: Option<&str>) -> i64 {
    columns.and_then(|c| c.parse().ok()).unwrap_or(80)
}

/// kingpin's two-column layout: indent 2, gap 2.
const INDENT: usize = 2;
const PADDING: usize = 2;
/// A flag column at least this wide is put on a line of its own and not counted when sizing
/// the column.
const FLAG_COLUMN_MAX: usize = 30;

/// The usage text (`--help`, and `--help-long`, which is the same without subcommands).
pub(super) fn usage(width: i64) -> String {
    let mut out = format!("usage: {PROGRAM} [<flags>]\n\n");
    for line in wrap_text(DESCRIPTION, text_width(width)) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("\nFlags:\n");
    let visible: Vec<&FlagSpec> = FLAGS.iter().filter(|f| !f.hidden).collect();
    let have_short = visible.iter().any(|f| f.short.is_some());
    let rows: Vec<(String, &str)> = visible
        .iter()
        .map(|f| (flag_column(f, have_short), f.help))
        .collect();
    let column = rows
        .iter()
        .map(|(flag, _)| flag.len())
        .filter(|&len| len < FLAG_COLUMN_MAX)
        .max()
        .unwrap_or(0);
    let help_offset = " ".repeat(INDENT + column + PADDING);
    let help_width = width - (column + PADDING + INDENT) as i64;
    for (flag, help) in rows {
        out.push_str(&" ".repeat(INDENT));
        out.push_str(&format!("{flag:<column$}"));
        out.push_str(&" ".repeat(PADDING));
        if flag.len() >= FLAG_COLUMN_MAX {
            out.push('\n');
            out.push_str(&help_offset);
        }
        for (i, line) in wrap_text(help, text_width(help_width)).iter().enumerate() {
            if i > 0 {
                out.push_str(&help_offset);
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

/// `-h, --[no-]help`, `    --web.listen-address=:9091 ...`: the left column of `--help`.
fn flag_column(flag: &FlagSpec, have_short: bool) -> String {
    let name = if flag.is_switch() {
        format!("[no-]{}", flag.name)
    } else {
        flag.name.to_string()
    };
    let mut column = match flag.short {
        Some(short) => format!("-{short}, --{name}"),
        None if have_short => format!("    --{name}"),
        None => format!("--{name}"),
    };
    if !flag.is_switch() {
        column.push('=');
        column.push_str(flag.placeholder);
    }
    if flag.repeatable {
        column.push_str(" ...");
    }
    column
}

/// The troff page of `--help-man`, from kingpin's man template. Like upstream it puts the whole
/// multi-line version text into the `.TH` line.
pub(super) fn man_page(version_text: &str) -> String {
    let mut out = format!(
        ".TH {PROGRAM} 1 {} \"\"\n.SH \"NAME\"\n{PROGRAM}\n.SH \"SYNOPSIS\"\n.TP\n\
         \\fB{PROGRAM} [<flags>]\\fR\n\n.SH \"DESCRIPTION\"\n{DESCRIPTION}\n.SH \"OPTIONS\"\n",
        version_text.trim_end()
    );
    for flag in FLAGS.iter().filter(|f| !f.hidden) {
        out.push_str(".TP\n\\fB");
        if let Some(short) = flag.short {
            out.push_str(&format!("-{short}, "));
        }
        out.push_str("--");
        out.push_str(flag.name);
        if !flag.is_switch() {
            out.push('=');
            out.push_str(flag.placeholder);
        }
        out.push_str("\\fR\n");
        out.push_str(flag.help);
        out.push('\n');
    }
    out
}

/// How `go/doc`'s text printer treats a width: 0 means its default of 80, below 0 means "do
/// not wrap".
fn text_width(width: i64) -> Option<usize> {
    match width {
        0 => Some(80),
        w if w < 0 => None,
        w => Some(usize::try_from(w).unwrap_or(usize::MAX)),
    }
}

/// One paragraph wrapped into lines (single spaces between words).
fn wrap_text(text: &str, width: Option<usize>) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return vec![String::new()];
    }
    let breaks = match width {
        Some(max) => wrap(&words, max),
        None => vec![0, words.len()],
    };
    breaks
        .windows(2)
        .map(|pair| words[pair[0]..pair[1]].join(" "))
        .collect()
}

/// The cost of one line, compared as (overflow, raggedness) pairs: first minimise how badly
/// lines overflow (only a single over-long word can), then the raggedness.
type Score = (u64, u64);

/// Go's `go/doc/comment` line breaking: choose breaks minimising, over all lines but the last,
/// the squared number of unused columns plus 64 for each line not ending in `.`, `,`, `:` or
/// `;`. Returns the indexes of each line's first word, then `words.len()`.
fn wrap(words: &[&str], max: usize) -> Vec<usize> {
    let n = words.len();
    // total[i]: characters in words[..i], counting one space after each word.
    let mut total = vec![0usize; n + 1];
    for (i, word) in words.iter().enumerate() {
        total[i + 1] = total[i] + word.chars().count() + 1;
    }
    let weight = |i: usize, j: usize| -> Score {
        let len = total[j] - 1 - total[i];
        if j == n && len <= max {
            return (0, 0);
        }
        let penalty = match words[j - 1].chars().last() {
            Some('.' | ',' | ':' | ';') => 0,
            _ => 64,
        };
        let gap = len.abs_diff(max) as u64;
        if len > max {
            (gap * gap, penalty)
        } else {
            (0, gap * gap + penalty)
        }
    };
    // best[j]: least cost of laying out words[..j]; from[j]: where its last line starts.
    let mut best: Vec<Score> = vec![(0, 0); n + 1];
    let mut from = vec![0usize; n + 1];
    for j in 1..=n {
        best[j] = (u64::MAX, u64::MAX);
        for i in 0..j {
            let (hi, lo) = weight(i, j);
            let candidate = (best[i].0 + hi, best[i].1 + lo);
            // Ties go to the later break, as in Go's implementation.
            if candidate <= best[j] {
                best[j] = candidate;
                from[j] = i;
            }
        }
    }
    let mut breaks = vec![n];
    let mut j = n;
    while j > 0 {
        j = from[j];
        breaks.push(j);
    }
    breaks.reverse();
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upstream 1.11.3's help at 80 columns. The rows whose help text is unchanged since 1.5.1
    /// wrap exactly as the installed 1.5.1 binary prints them.
    const USAGE_80: &str = "\
usage: pushgateway [<flags>]

The Pushgateway

Flags:
  -h, --[no-]help                Show context-sensitive help (also try
                                 --help-long and --help-man).
      --[no-]web.systemd-socket  Use systemd socket activation listeners instead
                                 of port listeners (Linux only).
      --web.listen-address=:9091 ...  
                                 Addresses on which to expose metrics and web
                                 interface. Repeatable for multiple addresses.
                                 Examples: `:9100` or `[::1]:9100` for http,
                                 `vsock://:9100` for vsock
      --web.config.file=\"\"       Path to configuration file that can
                                 enable TLS or authentication. See:
                                 https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md
      --web.telemetry-path=\"/metrics\"  
                                 Path under which to expose metrics.
      --web.external-url=        The URL under which the Pushgateway is
                                 externally reachable.
      --web.route-prefix=\"\"      Prefix for the internal routes of web
                                 endpoints. Defaults to the path of
                                 --web.external-url.
      --[no-]web.enable-lifecycle  
                                 Enable shutdown via HTTP request.
      --[no-]web.enable-admin-api  
                                 Enable API endpoints for admin control actions.
      --persistence.file=\"\"      File to persist metrics. If empty, metrics are
                                 only kept in memory.
      --persistence.interval=5m  The minimum interval at which to write out the
                                 persistence file.
      --persistence.fsync=interval  
                                 When to fsync the persistence file. One of:
                                 [always, interval, never]: before every
                                 reply that acknowledges a change, at most
                                 --persistence.interval after a change, or when
                                 the operating system decides.
      --[no-]push.disable-consistency-check  
                                 Do not check consistency of pushed metrics.
                                 DANGEROUS.
      --[no-]push.enable-utf8-names  
                                 Allow UTF-8 characters in metric and label
                                 names.
      --push.group-ttl=0s        Delete a group once its last successful push
                                 is this old (a group that never had one:
                                 its creation). 0 keeps groups until they are
                                 deleted, as upstream does.
      --log.level=info           Only log messages with the given severity or
                                 above. One of: [debug, info, warn, error]
      --log.format=logfmt        Output format of log messages. One of: [logfmt,
                                 json]
      --[no-]version             Show application version.

";

    #[test]
    fn usage_matches_upstream_layout() {
        assert_eq!(usage(80), USAGE_80);
    }

    #[test]
    fn usage_follows_the_width() {
        let wide = usage(200);
        assert!(wide.contains(
            "  -h, --[no-]help                Show context-sensitive help (also try --help-long \
             and --help-man).\n"
        ));
        // Below the flag column, go/doc does not wrap at all.
        let narrow = usage(20);
        assert!(narrow.contains(
            "      --persistence.interval=5m  The minimum interval at which to write out the \
             persistence file.\n"
        ));
    }

    #[test]
    fn width_comes_from_columns_when_numeric() {
        let cases = [
            (None, 80),
            (Some("120"), 120),
            (Some("+90"), 90),
            (Some("-5"), -5),
            (Some("wide"), 80),
            (Some(""), 80),
            (Some(" 100"), 80),
        ];
        for (columns, want) in cases {
            assert_eq!(terminal_width(columns), want, "COLUMNS={columns:?}");
        }
    }

    #[test]
    fn wrap_balances_lines_like_go_doc() {
        let cases: &[(&str, usize, &[&str])] = &[
            // Greedy filling would put "TLS" on the first line.
            (
                "Path to configuration file that can enable TLS or authentication. See: \
                 https://example.com/a-very-long-url-that-cannot-fit-anywhere-at-all",
                47,
                &[
                    "Path to configuration file that can",
                    "enable TLS or authentication. See:",
                    "https://example.com/a-very-long-url-that-cannot-fit-anywhere-at-all",
                ],
            ),
            // A break after punctuation is preferred.
            (
                "Output format of log messages. One of: [logfmt, json]",
                47,
                &["Output format of log messages. One of: [logfmt,", "json]"],
            ),
            ("short", 47, &["short"]),
            ("a b c", 1, &["a", "b", "c"]),
            ("  spaced   out  ", 47, &["spaced out"]),
        ];
        for (text, width, want) in cases {
            assert_eq!(wrap_text(text, Some(*width)), *want, "text {text:?}");
        }
        assert_eq!(wrap_text("one two", None), ["one two"]);
    }

    #[test]
    fn man_page_layout() {
        let page = man_page("pushgateway, version 0.1.0\n  tags: unknown\n");
        assert!(page.starts_with(
            ".TH pushgateway 1 pushgateway, version 0.1.0\n  tags: unknown \"\"\n\
             .SH \"NAME\"\npushgateway\n.SH \"SYNOPSIS\"\n.TP\n\\fBpushgateway [<flags>]\\fR\n\n\
             .SH \"DESCRIPTION\"\nThe Pushgateway\n.SH \"OPTIONS\"\n.TP\n\\fB-h, --help\\fR\n\
             Show context-sensitive help (also try --help-long and --help-man).\n.TP\n\
             \\fB--web.systemd-socket\\fR\n"
        ));
        assert!(page.contains(
            ".TP\n\\fB--web.telemetry-path=\"/metrics\"\\fR\nPath under which to expose metrics.\n"
        ));
        assert!(page.ends_with(".TP\n\\fB--version\\fR\nShow application version.\n"));
        assert!(!page.contains("help-long\\fR"));
    }
}
