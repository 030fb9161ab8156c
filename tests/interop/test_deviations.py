"""Recommended deviations from upstream (spec §17), asserted against ours only.

Upstream fails every test here on purpose: that is what makes them deviations (except a few
R1 cases that upstream survives too, kept with the others to hold ours to the guarantee).
"""

import gzip
import os
import socket
import subprocess

import pytest

import harness
from harness import GAUGE, pb_family, pb_metric

STANDARD_FAILURE_HELP = "Last Unix time when changing this group in the Pushgateway failed."


def scrape_ok(server):
    server.barrier()
    resp = server.scrape()
    assert resp.status == 200, f"scrape answered {resp.status}: {resp.text}"
    return resp.text


def series(text, family):
    """{(labels…): value} for the pushed series of one family."""
    out = {}
    for fam in harness.text_string_to_metric_families(text):
        if fam.name != family:
            continue
        for s in fam.samples:
            key = tuple(sorted(s.labels.items()))
            assert key not in out, f"duplicate series {family}{key}"
            out[key] = s.value
    return out


# --- R1: the failure path must never poison the store ----------------------------------------

@pytest.mark.parametrize("body", ["b 1\n", "b 1 5\n"], ids=["clean-body", "timestamped-body"])
def test_r1_rejected_push_does_not_poison_store(ours, body):
    assert ours.push("PUT", "/metrics/job/j", "a 1\n").status == 200
    # {job="j",instance=""} is another group, but its timestamp series would repeat {job="j"}'s.
    resp = ours.push("PUT", "/metrics/job/j/instance/", body)
    assert resp.status == 400, resp.text
    assert resp.text.startswith(harness.REJECT_PREFIX), resp.text
    text = scrape_ok(ours)
    push_times = series(text, "push_time_seconds")
    assert [k for k in push_times if dict(k).get("job") == "j"] == [(("instance", ""), ("job", "j"))]
    # Later pushes are still checked against a consistent store and accepted.
    assert ours.push("PUT", "/metrics/job/k", "c 1\n").status == 200
    assert ours.push("POST", "/metrics/job/j", "d 1\n").status == 200
    text = scrape_ok(ours)
    assert 'c{instance="",job="k"} 1' in text.split("\n")
    assert 'd{instance="",job="j"} 1' in text.split("\n")


@pytest.mark.parametrize("setup,path,body", [
    ("/metrics/job/j", "/metrics/job/j/instance/", "b 1\n"),
    ("/metrics/job/j", "/metrics/job/j/a/%FF", "b 1\n"),
    ("/metrics/job/j", "/metrics/job/j/a@base64/_w", "b 1\n"),
    ("/metrics/job/j", "/metrics/job/j/x/1", 'm{x="1"} 2\n'),
    ("/metrics/job/j", "/metrics/job/k", "# TYPE h_count gauge\nh_count 1\n"),
    ("/metrics/job/j", "/metrics/job/k", 'h_bucket{le="1"} 1\n'),
], ids=["empty-instance", "not-utf8-percent", "not-utf8-base64", "duplicate-across-groups",
        "suffix-collision-count", "suffix-collision-bucket"])
def test_r1_every_rejection_leaves_the_store_usable(ours, setup, path, body):
    """The poisoning guarantee for each way a push to another group can be refused. Upstream
    keeps the store usable too in the last three; they are here to hold ours to it."""
    histogram = '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'
    assert ours.push("PUT", setup, 'm{x="1"} 1\n' + histogram).status == 200
    for method in ("PUT", "POST"):
        resp = ours.push(method, path, body)
        assert resp.status == 400, f"{method} {path}: {resp.status} {resp.text}"
        scrape_ok(ours)
    assert ours.push("PUT", "/metrics/job/later", "c 1\n").status == 200
    assert ours.push("POST", setup, "d 1\n").status == 200
    lines = scrape_ok(ours).split("\n")
    assert 'c{instance="",job="later"} 1' in lines
    assert 'd{instance="",job="j"} 1' in lines
    assert 'm{instance="",job="j",x="1"} 1' in lines


def test_r1_failure_timestamp_still_recorded_when_harmless(ours):
    """R1 only forbids inconsistent bookkeeping; an ordinary rejection still records its time."""
    assert ours.push("PUT", "/metrics/job/ts", "tsm 1 1700000000000\n").status == 400
    text = scrape_ok(ours)
    assert series(text, "push_failure_time_seconds")[(("instance", ""), ("job", "ts"))] > 0
    assert series(text, "push_time_seconds")[(("instance", ""), ("job", "ts"))] == 0


# --- R3: invalid UTF-8 grouping values are a URL error ------------------------------------------

@pytest.mark.parametrize("path,label", [
    ("/metrics/job/j/a/%FF", "a"),
    ("/metrics/job/j/a@base64/a_b-", "a"),
    ("/metrics/job/%FF", "job"),
    ("/metrics/job@base64/_w", "job"),
], ids=["percent", "base64", "job-percent", "job-base64"])
def test_r3_invalid_utf8_grouping_value(ours, path, label):
    want = f"invalid label value for label {label}: not valid UTF-8\n"
    for method in ("PUT", "POST", "DELETE"):
        resp = ours.request(method, path, "x 1\n")
        assert (resp.status, resp.text) == (400, want), f"{method} {path}"
    text = scrape_ok(ours)
    assert harness.sample_lines(text) == [], "nothing may be stored"


# --- R4: deterministic HELP ------------------------------------------------------------------

@pytest.mark.parametrize("pushes,want", [
    ([("/metrics/job/h2", "help two"), ("/metrics/job/h0", None), ("/metrics/job/h1", "help one")], "help one"),
    ([("/metrics/job/b", "help b"), ("/metrics/job/z/a/1", "help a")], "help a"),
], ids=["smallest-job-with-help", "label-a-sorts-before-job"])
def test_r4_help_is_smallest_grouping_keys(ours, pushes, want):
    for path, help_text in pushes:
        body = (f"# HELP hm {help_text}\n" if help_text else "") + "hm 1\n"
        assert ours.push("PUT", path, body).status == 200
    ours.barrier()
    helps = []
    for _ in range(10):
        resp = ours.scrape()
        assert resp.status == 200
        helps.append(harness.help_of(resp.text, "hm"))
    assert helps == [want] * 10


# --- R5: pushed bookkeeping families are ignored -----------------------------------------------

def test_r5_pushed_failure_time_is_ignored(ours):
    assert ours.push("PUT", "/metrics/job/g", "a 1\n").status == 200
    assert ours.push("POST", "/metrics/job/g", "push_failure_time_seconds 7\n").status == 200
    assert ours.push("PUT", "/metrics/job/n",
                     "# TYPE push_failure_time_seconds counter\npush_failure_time_seconds 7\n").status == 200
    text = scrape_ok(ours)
    assert harness.help_of(text, "push_failure_time_seconds") == STANDARD_FAILURE_HELP
    assert "# TYPE push_failure_time_seconds gauge" in text.split("\n")
    failures = series(text, "push_failure_time_seconds")
    assert failures[(("instance", ""), ("job", "g"))] == 0
    assert failures[(("instance", ""), ("job", "n"))] == 0


def test_r5_pushed_push_time_is_ignored(ours):
    assert ours.push("PUT", "/metrics/job/g", "push_time_seconds 5\n").status == 200
    text = scrape_ok(ours)
    assert series(text, "push_time_seconds")[(("instance", ""), ("job", "g"))] > 1e9


# --- R6: protobuf names are validated like text names ---------------------------------------------

@pytest.mark.parametrize("family", ["foo-bar", "1abc", ""])
def test_r6_protobuf_metric_name_validated(ours, family):
    body = pb_family(family, GAUGE, [pb_metric([], 1.0, GAUGE)])
    resp = ours.push("PUT", "/metrics/job/pb", body, {"Content-Type": harness.PROTOBUF_CONTENT_TYPE})
    assert resp.status == 400, resp.text
    text = scrape_ok(ours)
    assert family not in [name for (name, _, _, _) in harness.normalize_text(text)]


# --- R7: a compressed body is limited by its decoded size -----------------------------------------

DECODED_BODY_BYTES_MAX = 64 << 20


def _gzip_bomb():
    return gzip.compress(b"\0" * (DECODED_BODY_BYTES_MAX + 1), compresslevel=1)


def _snappy_bomb():
    block = harness.snappy_zeros_block()
    chunk = harness.snappy_chunk(0, b"\0" * 65536, block=block)
    return harness.SNAPPY_STREAM_IDENTIFIER + chunk * (DECODED_BODY_BYTES_MAX // 65536 + 1)


def _rss_bytes(server):
    """The server process's resident memory, from /proc."""
    with open(f"/proc/{server.proc.pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb * 1024


# What a refused bomb may leave resident: far less than the decoded-body limit it ran into.
RSS_SLACK_BYTES = 16 << 20


@pytest.mark.parametrize("encoding,bomb", [("gzip", _gzip_bomb), ("snappy", _snappy_bomb)])
def test_r7_decoded_body_limit(ours, encoding, bomb):
    body = bomb()
    assert len(body) < 4 << 20  # small on the wire, over the limit once decoded
    baseline = _rss_bytes(ours)
    for _ in range(3):
        resp = ours.push("PUT", "/metrics/job/bomb", body, {"Content-Encoding": encoding})
        assert resp.status == 413, resp.text
        assert _rss_bytes(ours) <= baseline + RSS_SLACK_BYTES, "the decoded bytes stay resident"
    assert resp.text == f"decompressed request body larger than {DECODED_BODY_BYTES_MAX} bytes\n"
    text = scrape_ok(ours)
    assert 'job="bomb"' not in text
    # The connection and the server are fine: the next push is served.
    assert ours.push("PUT", "/metrics/job/after", "a 1\n").status == 200


# --- R9: a listen error exits with status 1 ----------------------------------------------------

def test_r9_listen_error_exits_1():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        if not os.access(harness.OURS_BIN, os.X_OK):
            pytest.fail(f"our binary is missing: {harness.OURS_BIN}", pytrace=False)
        server = harness.Server("ours", harness.OURS_BIN)
        proc = subprocess.Popen(server.argv(port), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=harness.die_with_parent)
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=5)
            pytest.fail("ours kept running although its port was taken")
    assert proc.returncode == 1, f"exit status {proc.returncode}; stderr: {err[-2000:]!r}"


# --- R10: no Go-specific surface -------------------------------------------------------------------

def test_r10_no_go_families(ours):
    resp = ours.scrape()
    assert resp.status == 200
    names = [f.name for f in harness.text_string_to_metric_families(resp.text)]
    assert [n for n in names if n.startswith("go_")] == []


@pytest.mark.parametrize("path", ["/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1"])
def test_r10_pprof_is_404(ours, path):
    resp = ours.request("GET", path)
    assert (resp.status, resp.text) == (404, "404 page not found\n")


def test_r10_build_info(ours):
    resp = ours.scrape()
    assert resp.status == 200
    fams = {f.name: f for f in harness.text_string_to_metric_families(resp.text)}
    info = fams.get("pushgateway_build_info")
    assert info is not None, "pushgateway_build_info missing"
    assert info.type == "gauge"
    assert len(info.samples) == 1
    sample = info.samples[0]
    assert sample.value == 1
    assert sorted(sample.labels) == ["branch", "goarch", "goos", "goversion", "revision", "tags", "version"]
    assert sample.labels["version"], "version must not be empty"
    assert sample.labels["goversion"], "goversion carries the compiler version"
