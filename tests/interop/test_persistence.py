"""Persistence (spec §12, §13): what survives a restart with --persistence.file.

Upstream saves a snapshot on a graceful shutdown, so a SIGTERM-and-restart must look the same
on both. Ours also keeps every acknowledged change through `kill -9` (a write-ahead log), and
never overwrites a file it cannot read: those cases are ours only.
"""

import os
import time

import pytest

import harness


def pushed_lines(text):
    """Sample lines of pushed groups (they carry `job`), values and time stamps exactly as written."""
    return [
        line for line in text.split("\n")
        if line and not line.startswith("#") and 'job="' in line
        and f'job="{harness.BARRIER_JOB}"' not in line
    ]


def scrape(server):
    resp = server.scrape()
    assert resp.status == 200, f"{server.name} scrape answered {resp.status}: {resp.text}"
    return resp.text


def make_history(server):
    """PUT, POST, a rejected push (records a failure time), a delete, an empty POST."""
    def ok(method, path, body, status=200):
        resp = server.push(method, path, body)
        assert resp.status == status, f"{server.name} {method} {path}: {resp.status} {resp.text}"

    ok("PUT", "/metrics/job/a", "# TYPE m counter\n# HELP m Help of m.\nm 1\nn{x=\"y\"} 2\n")
    ok("POST", "/metrics/job/a", "n{x=\"z\"} 3\n")
    ok("PUT", "/metrics/job/b/instance/i", "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n")
    ok("POST", "/metrics/job/b/instance/i", "ts 1 1700000000000\n", status=400)
    ok("PUT", "/metrics/job/gone", "g 1\n")
    ok("DELETE", "/metrics/job/gone", None, status=202)
    ok("POST", "/metrics/job/c/path@base64/L3Zhci90bXA", "")
    server.barrier()


def test_graceful_restart_keeps_everything_like_upstream(server_factory, tmp_path):
    after = {}
    for kind in ("ours", "upstream"):
        flag = f"--persistence.file={tmp_path / kind}"
        server = server_factory(kind, flag)
        make_history(server)
        before = scrape(server)
        server.stop()
        restarted = server_factory(kind, flag)
        after[kind] = scrape(restarted)
        # Groups, families, values, and both bookkeeping times to the last digit.
        assert pushed_lines(after[kind]) == pushed_lines(before), kind
        assert 'job="gone"' not in after[kind], kind
    assert harness.normalize_text(after["ours"]) == harness.normalize_text(after["upstream"])


@pytest.mark.parametrize("fsync", ["always", "interval", "never"])
def test_kill_9_keeps_every_acknowledged_change(server_factory, tmp_path, fsync):
    flags = (f"--persistence.file={tmp_path / 'log'}", f"--persistence.fsync={fsync}")
    server = server_factory("ours", *flags)
    make_history(server)
    before = scrape(server)
    server.proc.kill()
    server.proc.wait(timeout=harness.STOP_TIMEOUT_S)
    restarted = server_factory("ours", *flags)
    assert pushed_lines(scrape(restarted)) == pushed_lines(before)
    # And the log goes on: a change after the restart survives the next one too.
    assert restarted.push("PUT", "/metrics/job/later", "l 1\n").status == 200
    restarted.stop()
    again = pushed_lines(scrape(server_factory("ours", *flags)))
    assert 'l{instance="",job="later"} 1' in again
    assert set(pushed_lines(before)) <= set(again)


def aside_files(directory, name, what):
    prefix = f"{name}.{what}-"
    return sorted(f for f in os.listdir(directory) if f.startswith(prefix))


def test_an_upstream_file_is_moved_aside_not_overwritten(server_factory, tmp_path):
    path = tmp_path / "pushgateway.data"
    upstream = server_factory("upstream", f"--persistence.file={path}")
    assert upstream.push("PUT", "/metrics/job/old", "o 1\n").status == 200
    upstream.stop()
    snapshot = path.read_bytes()
    assert snapshot, "upstream wrote its snapshot"

    ours = server_factory("ours", f"--persistence.file={path}")
    assert pushed_lines(scrape(ours)) == []
    assert "is not a pushgateway-rs log" in ours.log_tail()
    moved = aside_files(tmp_path, path.name, "not-a-log")
    assert len(moved) == 1 and (tmp_path / moved[0]).read_bytes() == snapshot
    # The new log works across a restart.
    assert ours.push("PUT", "/metrics/job/new", "n 1\n").status == 200
    ours.stop()
    assert 'n{instance="",job="new"} 1' in scrape(server_factory("ours", f"--persistence.file={path}"))


def test_a_damaged_tail_is_cut_off_and_kept_beside_the_log(server_factory, tmp_path):
    path = tmp_path / "log"
    server = server_factory("ours", f"--persistence.file={path}")
    assert server.push("PUT", "/metrics/job/a", "a 1\n").status == 200
    assert server.push("PUT", "/metrics/job/b", "b 2\n").status == 200
    before = scrape(server)
    server.stop()
    good = path.read_bytes()
    garbage = b"\x20\x00\x00\x00 half a record, as a crash mid-write leaves it"
    path.write_bytes(good + garbage)

    restarted = server_factory("ours", f"--persistence.file={path}")
    assert pushed_lines(scrape(restarted)) == pushed_lines(before)
    assert "damaged tail" in restarted.log_tail()
    assert path.read_bytes() == good
    kept = aside_files(tmp_path, path.name, "corrupt")
    assert len(kept) == 1 and (tmp_path / kept[0]).read_bytes() == garbage


def test_an_unusable_persistence_path_refuses_to_start(tmp_path):
    """Ours exits 1 instead of running without the persistence asked for (upstream starts and
    logs an error at every save)."""
    import subprocess

    proc = subprocess.run(
        [harness.OURS_BIN, "--web.listen-address=127.0.0.1:0",
         f"--persistence.file={tmp_path / 'missing-dir' / 'log'}"],
        capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
        preexec_fn=harness.die_with_parent,
    )
    assert proc.returncode == 1
    assert "cannot open the persistence file" in proc.stderr


def test_protobuf_and_gzip_pushes_survive_kill_9(server_factory, tmp_path):
    """The log keeps a push as decoded (after Content-Encoding) with its format, so replay
    reads a protobuf body with the protobuf decoder."""
    import gzip
    flags = (f"--persistence.file={tmp_path / 'log'}", "--persistence.fsync=always")
    server = server_factory("ours", *flags)
    body = harness.pb_family("pbm", harness.GAUGE, [harness.pb_metric([("k", "v")], 2.5, harness.GAUGE)])
    headers = {"Content-Type": harness.PROTOBUF_CONTENT_TYPE}
    assert server.push("PUT", "/metrics/job/pb", body, headers).status == 200
    gz = gzip.compress(b"gzm 7\n")
    assert server.push("PUT", "/metrics/job/gz", gz, {"Content-Encoding": "gzip"}).status == 200
    before = pushed_lines(scrape(server))
    server.proc.kill()
    server.proc.wait(timeout=harness.STOP_TIMEOUT_S)
    after = pushed_lines(scrape(server_factory("ours", *flags)))
    assert after == before
    assert 'pbm{instance="",job="pb",k="v"} 2.5' in after
    assert 'gzm{instance="",job="gz"} 7' in after


@pytest.fixture
def tiny_fs(tmp_path):
    """A 1 MiB tmpfs, so that the disk can fill up for real (needs root; skipped otherwise)."""
    import subprocess

    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    if os.geteuid() != 0 or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True, timeout=10,
    ).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=10)


def fill(directory):
    """Writes a file until the file system is full; returns its path."""
    path = directory / "filler"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return path


def wait_until(predicate, what):
    deadline = time.monotonic() + 15
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_full_disk_refuses_changes_keeps_scrapes_and_recovers_by_itself(server_factory, tiny_fs):
    flags = (f"--persistence.file={tiny_fs / 'log'}", "--persistence.fsync=always")
    server = server_factory("ours", *flags)
    assert server.push("PUT", "/metrics/job/before", "b 1\n").status == 200
    filler = fill(tiny_fs)

    # More than a page, so the log's last page cannot hold it.
    big = "".join(f'f{{i="{i}"}} 2\n' for i in range(1000))
    failed = server.push("PUT", "/metrics/job/failed", big)
    assert failed.status == 503
    assert failed.text.startswith("the persistence log cannot be written (writing "), failed.text
    assert "No space left on device" in failed.text and failed.text.count("\n") == 1
    refused = server.push("PUT", "/metrics/job/refused", "r 3\n")
    assert refused.status == 503 and refused.text == failed.text
    assert server.request("GET", "/-/ready").status == 503
    healthy = server.request("GET", "/-/healthy")
    assert healthy.status == 200 and healthy.text.startswith("degraded: the persistence log cannot")
    text = scrape(server)
    assert 'b{instance="",job="before"} 1' in text
    assert 'job="refused"' not in text

    filler.unlink()
    wait_until(lambda: server.request("GET", "/-/ready").status == 200, "the log to be rewritten")
    assert server.request("GET", "/-/healthy").text == "OK"
    assert server.push("PUT", "/metrics/job/after", "a 4\n").status == 200
    assert "whole again" in server.log_tail()
    server.proc.kill()
    server.proc.wait(timeout=harness.STOP_TIMEOUT_S)

    # Everything acknowledged is back; the change answered 503 was in the store when the log was
    # rewritten, so it is too (README: a 503'd change may have been applied).
    after = scrape(server_factory("ours", *flags))
    assert 'b{instance="",job="before"} 1' in after
    assert 'a{instance="",job="after"} 4' in after
    assert 'f{i="999",instance="",job="failed"} 2' in after
    assert 'job="refused"' not in after


def test_the_persistence_file_of_a_running_server_cannot_be_taken(server_factory, tmp_path):
    import subprocess

    path = tmp_path / "log"
    server = server_factory("ours", f"--persistence.file={path}")
    proc = subprocess.run(
        [harness.OURS_BIN, "--web.listen-address=127.0.0.1:0", f"--persistence.file={path}"],
        capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
        preexec_fn=harness.die_with_parent,
    )
    assert proc.returncode == 1
    assert "another pushgateway is using this persistence file" in proc.stderr
    assert server.request("GET", "/-/ready").status == 200
