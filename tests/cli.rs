//! The built binary's command line as a user sees it: exit statuses, which stream carries
//! what, and the exact error lines.

use std::process::{Command, Output};

fn pushgateway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pushgateway"))
        .args(args)
        // The help layout follows COLUMNS; pin it so the test does not depend on the caller.
        .env_remove("COLUMNS")
        .output()
        .expect("run the pushgateway binary")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8 output")
}

#[test]
fn help_goes_to_stdout_and_exits_zero() {
    for flag in ["--help", "-h", "--help-long"] {
        let out = pushgateway(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert_eq!(text(&out.stderr), "", "{flag}");
        let stdout = text(&out.stdout);
        assert!(
            stdout.starts_with("usage: pushgateway [<flags>]\n\nThe Pushgateway\n\nFlags:\n"),
            "{flag}: {stdout}"
        );
        assert!(stdout.contains(
            "\n      --persistence.interval=5m  The minimum interval at which to write out the\n"
        ));
        assert!(stdout.ends_with("      --[no-]version             Show application version.\n\n"));
    }
}

#[test]
fn help_man_is_a_troff_page() {
    let out = pushgateway(&["--help-man"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with(".TH pushgateway 1 pushgateway, version "));
}

#[test]
fn version_goes_to_stdout_and_exits_zero() {
    let out = pushgateway(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "");
    let stdout = text(&out.stdout);
    let labels: Vec<&str> = stdout
        .lines()
        .skip(1)
        .map(|line| line.split(':').next().unwrap_or(""))
        .collect();
    assert!(stdout.starts_with(&format!(
        "pushgateway, version {} (branch: ",
        env!("CARGO_PKG_VERSION")
    )));
    assert_eq!(
        labels,
        [
            "  build user",
            "  build date",
            "  go version",
            "  platform",
            "  tags"
        ]
    );
    assert!(stdout.contains("\n  go version:       rustc "));
}

#[test]
fn flag_errors_are_one_line_on_stderr_with_status_one() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--foo"],
            "pushgateway: error: unknown long flag '--foo', try --help\n",
        ),
        (
            &["--persistence.interval=abc"],
            "pushgateway: error: time: invalid duration \"abc\", try --help\n",
        ),
        (
            &["--log.level"],
            "pushgateway: error: expected argument for flag '--log.level', try --help\n",
        ),
        (
            &["--log.level=trace"],
            "pushgateway: error: unrecognized log level trace, try --help\n",
        ),
        (
            &["stray"],
            "pushgateway: error: unexpected stray, try --help\n",
        ),
    ];
    for (args, want) in cases {
        let out = pushgateway(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert_eq!(text(&out.stderr), *want, "{args:?}");
    }
}

#[test]
fn systemd_socket_is_refused_at_start_up() {
    let out = pushgateway(&["--web.systemd-socket"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("time="), "{stderr}");
    // The source is the logging line in main.rs, not the logger's own code.
    assert!(stderr.contains(" level=ERROR source=main.rs:"), "{stderr}");
    assert!(
        stderr.contains("msg=\"systemd socket activation is not supported;"),
        "{stderr}"
    );

    let out = pushgateway(&["--web.systemd-socket", "--log.format=json"]);
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("{\"time\":\""), "{stderr}");
    assert!(
        stderr.contains("\"level\":\"ERROR\",\"source\":\"main.rs:"),
        "{stderr}"
    );
}
