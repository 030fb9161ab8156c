"""Process surface (spec §13, §14, §10.2): flag errors, --version/--help, graceful exits."""

import re
import signal
import subprocess

import pytest

import harness

RUN_TIMEOUT_S = 10


def run(binary, *args):
    proc = subprocess.run([binary, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          stdin=subprocess.DEVNULL, preexec_fn=harness.die_with_parent)
    return proc.returncode, proc.stdout, proc.stderr


def error_message(stderr):
    """`<program>: error: <message>, try --help` → <message> (the program name differs)."""
    m = re.search(r"^\S+: error: (.*), try --help$", stderr.strip(), re.MULTILINE)
    assert m, f"not a flag error: {stderr!r}"
    return m.group(1)


@pytest.mark.parametrize("args,exact", [
    (["--nope"], True),
    (["--persistence.interval=abc"], True),
    (["--web.listen-address"], True),
    (["--log.level=trace"], False),  # the logging library changed in 1.11.0; same shape
    (["--log.format=xml"], False),
])
def test_flag_errors_exit_1(args, exact):
    a = run(harness.OURS_BIN, *args)
    b = run(harness.UPSTREAM_BIN, *args)
    assert (a[0], b[0]) == (1, 1)
    assert a[1] == "" and b[1] == ""
    if exact:
        assert error_message(a[2]) == error_message(b[2])
    else:
        error_message(a[2])


def test_version_on_stdout():
    """1.9.0+ prints --version to stdout (1.5.1: stderr)."""
    code, out, _ = run(harness.OURS_BIN, "--version")
    assert code == 0
    assert re.match(r"pushgateway, version \S+ \(branch: .*, revision: .*\)\n", out), out
    for key in ("build user:", "build date:", "go version:", "platform:", "tags:"):
        assert key in out, f"--version lacks {key!r}: {out!r}"


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_on_stdout(flag):
    code, out, _ = run(harness.OURS_BIN, flag)
    assert code == 0
    # Kingpin 2.4 (upstream 1.11) shows boolean flags as `--[no-]name`.
    for name in ("--web.listen-address", "--web.telemetry-path", "--persistence.file",
                 "--[no-]push.disable-consistency-check", "--[no-]push.enable-utf8-names",
                 "--log.level"):
        assert name in out, f"{flag} does not mention {name}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_graceful_exit_0(server_factory, sig):
    for kind in ("ours", "upstream"):
        server = server_factory(kind)
        assert server.push("PUT", "/metrics/job/x", "a 1\n").status == 200
        server.proc.send_signal(sig)
        assert server.proc.wait(timeout=RUN_TIMEOUT_S) == 0, f"{kind} after {sig.name}"


def test_quit_with_lifecycle(server_factory):
    for kind in ("ours", "upstream"):
        server = server_factory(kind, "--web.enable-lifecycle")
        resp = server.request("PUT", "/-/quit")
        assert (resp.status, resp.text) == (200, "Requesting termination... Goodbye!"), kind
        assert server.proc.wait(timeout=RUN_TIMEOUT_S) == 0, kind


def test_several_listen_addresses(server_factory):
    """--web.listen-address is repeatable (1.5.0+): every address serves the same store."""
    for kind in ("ours", "upstream"):
        second = harness.free_port()
        server = server_factory(kind, f"--web.listen-address=127.0.0.1:{second}")
        assert server.push("PUT", "/metrics/job/both", "a 1\n").status == 200
        resp = harness.http_request(second, "GET", "/metrics")
        assert 'a{instance="",job="both"} 1' in resp.text.split("\n"), kind
