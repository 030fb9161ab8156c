"""`promtool check metrics` must accept our exposition of a varied store.

promtool (Debian's 2.x) exits 0 when clean, 3 when it only found lint problems (naming, missing
HELP: the pushers' business, not ours) and 1 on anything it could not parse, printing
`error while linting: …`. Lint problems are tolerated; errors fail the test.
"""

import gzip
import shutil
import subprocess

import pytest

import harness
from harness import COUNTER, HISTOGRAM, SUMMARY, pb_family, pb_metric

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

PUSHES = [
    ("PUT", "/metrics/job/types/instance/i1",
     "# HELP c_total A counter.\n# TYPE c_total counter\nc_total 3\n"
     "# HELP g A gauge with \\\\ and \\n in its help.\n# TYPE g gauge\ng{l=\"q\\\"x\"} -2.5\ng{l=\"back\\\\slash\"} 0\n"
     "g{l=\"new\\nline\"} NaN\ng{l=\"ünïcødé ✓\"} +Inf\ng{l=\"\"} -Inf\n"
     "# TYPE u untyped\nu 1e-05\nu{a=\"1\"} 1e+21\n"
     "# HELP h A histogram.\n# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1e+06\"} 2\n"
     "h_bucket{le=\"+Inf\"} 3\nh_sum 2.5\nh_count 3\n"
     "# TYPE hnoinf histogram\nhnoinf_bucket{le=\"1\"} 1\nhnoinf_sum 1\nhnoinf_count 4\n"
     "# HELP s A summary.\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.99\"} 2\ns_sum 10\ns_count 10000000\n"),
    ("PUT", "/metrics/job@base64/L3Zhci90bXA/path@base64/L2EvYg/empty@base64/=", "g{l=\"other\"} 1\n"),
    ("POST", "/metrics/job/types/instance/i2", "# HELP g A gauge with a different help.\ng{l=\"x\"} 2\n"),
    ("PUT", "/metrics/job/pb",
     pb_family("pbc_total", COUNTER, [pb_metric([("k", "v")], 1.0, COUNTER)], "protobuf counter")
     + pb_family("pbs", SUMMARY, [pb_metric([], typ=SUMMARY, summary=(2, 3.0, [(0.5, 1.5)]))])
     + pb_family("pbh", HISTOGRAM, [pb_metric([], typ=HISTOGRAM, histogram=(2, 3.0, [(1.0, 1)]))])),
    ("PUT", "/metrics/job/failed", "ts 1 1000\n"),  # rejected: leaves a failure timestamp
]


def run_promtool(text):
    proc = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", errors="replace")


def test_promtool_distinguishes_errors_from_lint():
    """The oracle itself: a lint-only input gives 3, a broken one gives 1 with `error`."""
    assert run_promtool("# TYPE x counter\nx 1\n")[0] == 3
    code, out = run_promtool("bad line\n")
    assert code == 1 and "error" in out


def test_promtool_accepts_our_exposition(ours):
    for method, path, body in PUSHES:
        headers = {"Content-Type": harness.PROTOBUF_CONTENT_TYPE} if path.endswith("/pb") else {}
        resp = ours.push(method, path, body, headers)
        assert resp.status in (200, 400), resp.text
    ours.barrier()
    resp = ours.scrape()
    assert resp.status == 200, resp.text
    assert 'h_bucket{instance="i1",job="types",le="1e+06"} 2' in resp.text.split("\n")
    code, out = run_promtool(resp.text)
    errors = [line for line in out.splitlines() if line.startswith("error")]
    assert code in (0, 3) and not errors, f"promtool exit {code}:\n{out}"
    if code == 3:
        assert out.strip(), "exit 3 must come with lint problems"


@pytest.mark.parametrize("accept_encoding", [None, "gzip"])
def test_promtool_accepts_empty_store(ours, accept_encoding):
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    resp = ours.scrape(headers)
    assert resp.status == 200
    body = resp.body
    if accept_encoding:
        assert resp.header("Content-Encoding") == "gzip"
        body = gzip.decompress(body)
    code, out = run_promtool(body.decode())
    errors = [line for line in out.splitlines() if line.startswith("error")]
    assert code in (0, 3) and not errors, f"promtool exit {code}:\n{out}"


UTF8_PUSHES = [
    ("/metrics/job/utf8/U__dotted_2e_label/v",
     '# HELP "my.metric" A counter with a dotted name.\n# TYPE "my.metric" counter\n'
     '{"my.metric","some.label"="x","a:b"="y"} 1\n'
     '# TYPE "h.ist" histogram\n{"h.ist_bucket",le="1"} 1\n{"h.ist_bucket",le="+Inf"} 2\n'
     '{"h.ist_sum"} 3\n{"h.ist_count"} 2\n'
     '# TYPE "s ü" summary\n{"s ü",quantile="0.5"} 1\n{"s ü_sum"} 1\n{"s ü_count"} 1\n'),
    ("/metrics/job/pb",
     pb_family("pb.metric", COUNTER, [pb_metric([("pb.label", "v")], 1.0, COUNTER)], "protobuf counter")),
]


def test_promtool_accepts_escaped_utf8_names(server_factory):
    """With --push.enable-utf8-names, the default scrape (escaping=underscores) is legacy text; the
    allow-utf-8 one quotes names, which this promtool (2.x) cannot read: the oracle can fail."""
    ours = server_factory("ours", "--push.enable-utf8-names")
    for path, body in UTF8_PUSHES:
        headers = {"Content-Type": harness.PROTOBUF_CONTENT_TYPE} if path.endswith("/pb") else {}
        resp = ours.push("PUT", path, body, headers)
        assert resp.status == 200, resp.text
    resp = ours.scrape()
    assert resp.status == 200, resp.text
    assert resp.header("Content-Type").endswith("; escaping=underscores")
    lines = resp.text.split("\n")
    assert 'my_metric{a_b="y",dotted_label="v",instance="",job="utf8",some_label="x"} 1' in lines
    assert 'pb_metric{instance="",job="pb",pb_label="v"} 1' in lines
    assert 's___sum{dotted_label="v",instance="",job="utf8"} 1' in lines
    code, out = run_promtool(resp.text)
    errors = [line for line in out.splitlines() if line.startswith("error")]
    assert code in (0, 3) and not errors, f"promtool exit {code}:\n{out}"

    quoted = ours.scrape({"Accept": "text/plain;version=0.0.4;escaping=allow-utf-8"})
    assert '{"my.metric","a:b"="y","dotted.label"="v",instance="",job="utf8","some.label"="x"} 1' \
        in quoted.text.split("\n")
    assert run_promtool(quoted.text)[0] == 1
