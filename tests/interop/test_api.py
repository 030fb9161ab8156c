"""The JSON API v1 (spec §9), differential: after the same pushes, `GET /api/v1/metrics` must give
the same document on ours and on upstream — key order, shapes, number formatting and Go's string
escaping — with only the time stamps masked (and the group order, which is upstream's hash-map
order). `GET /api/v1/status` is compared by shape."""

import html
import json
import re

import pytest

import harness

TIME_STAMP_RE = re.compile(r'"time_stamp":"[^"]*"')
RFC3339_NANO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$")

ALL_TYPES = """# TYPE c counter
# HELP c A counter <b>&amp; "quoted" \\\\ backslash
c{x="1"} 3
c{x="2"} 1e+06
# TYPE g gauge
g -0
# TYPE s summary
s{quantile="0.5"} 1.5
s{quantile="0.99"} 0.00001
s{quantile="0.9"} 123456789
s_sum 12
s_count 7
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="1"} 2
h_bucket{le="10"} 2
h_bucket{le="+Inf"} 3
h_sum 1.5
h_count 3
u NaN
u{v="w"} +Inf
u{v="x"} -Inf
# TYPE s2 summary
s2_sum 1
s2_count 0
# TYPE h2 histogram
h2_sum 0
h2_count 0
"""

# (id, [(method, path, body)]): pushes applied to both servers before the documents are compared.
CASES = [
    ("empty", []),
    ("all-five-types", [("PUT", "/metrics/job/batch/instance/x/a/%3Cscript%3E", ALL_TYPES)]),
    ("post-merges-families", [
        ("PUT", "/metrics/job/m", "# TYPE a gauge\na 1\n# TYPE b counter\nb 2\n"),
        ("POST", "/metrics/job/m", "# TYPE a gauge\na 3\n"),
    ]),
    ("escaped-grouping-values", [
        ("PUT", "/metrics/job@base64/PGI-JmFtcDsiXA/e@base64/=/u@base64/w6nigqzwn5iA", 'q{z="\\"<&>\\\\"} 1\n'),
    ]),
    ("failed-push-recorded", [
        ("PUT", "/metrics/job/f", "# TYPE x counter\nx 1\n"),
        ("PUT", "/metrics/job/f", "x 1 1700000000000\n"),
    ]),
    ("failure-creates-group", [("PUT", "/metrics/job/ts/instance/i", "tsm 1 1700000000000\n")]),
    ("family-named-labels-quirk", [("PUT", "/metrics/job/q", "labels 1\nlast_push_successful 2\n")]),
    ("several-groups", [
        ("PUT", "/metrics/job/j1", "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n"),
        ("PUT", "/metrics/job/j1/instance/i2", "# TYPE s summary\ns{quantile=\"0.5\"} 4\ns_sum 5\ns_count 6\n"),
        ("PUT", "/metrics/job/j2/zone/z", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"),
        ("DELETE", "/metrics/job/j1/instance/i2", None),
    ]),
]


def masked(text):
    """The document with every time stamp and every push/failure time value replaced by a mark."""
    doc = json.loads(text, object_pairs_hook=lambda pairs: pairs)
    status, data = doc
    assert status == ("status", "success"), text[:200]
    groups = []
    for group in data[1]:
        out = []
        for key, value in group:
            if isinstance(value, list) and value and value[0][0] == "time_stamp":
                assert RFC3339_NANO_RE.match(value[0][1]), value[0][1]
                value = [("time_stamp", "<time>")] + value[1:]
                if key in harness.TIMESTAMP_FAMILIES:
                    value = [(k, _mask_values(v) if k == "metrics" else v) for k, v in value]
            out.append((key, value))
        groups.append(out)
    # Upstream's group order is its hash map's.
    groups.sort(key=lambda g: json.dumps(dict(g)["labels"]) if "labels" in dict(g) else "")
    return groups


def _mask_values(metrics):
    return [[(k, "<zero>" if v == "0" else "<nonzero>") if k == "value" else (k, v) for k, v in m] for m in metrics]


def raw_masked(text):
    """The raw bytes with time stamps masked: key order and escaping exactly as sent."""
    text = TIME_STAMP_RE.sub('"time_stamp":"<time>"', text)
    return re.sub(r'"value":"1\.\d+e\+09"', '"value":"<time>"', text)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_api_metrics_differential(case, server_factory):
    _, pushes = case
    docs = []
    for kind in ("ours", "upstream"):
        server = server_factory(kind)
        for method, path, body in pushes:
            server.request(method, path, body)
        if any(method == "DELETE" for method, _, _ in pushes):
            # Upstream applies a DELETE after answering; the barrier group is then in both.
            server.barrier()
        resp = server.request("GET", "/api/v1/metrics")
        assert resp.status == 200, resp.text
        assert resp.header("Content-Type") == "application/json"
        assert resp.header("Access-Control-Allow-Origin") == "*"
        assert not resp.body.endswith(b"\n")
        docs.append(resp.text)
    ours, upstream = docs
    assert masked(ours) == masked(upstream)
    if ours.count('"last_push_successful"') <= 1:
        assert raw_masked(ours) == raw_masked(upstream)


def test_api_metrics_escapes_html_characters(ours):
    ours.push("PUT", "/metrics/job/e/a/%3Cb%3E%26", '# HELP m <i>&\nm 1\n')
    text = ours.request("GET", "/api/v1/metrics").text
    assert "<" not in text and ">" not in text and "&" not in text
    assert '"a":"\\u003cb\\u003e\\u0026"' in text
    assert '"help":"\\u003ci\\u003e\\u0026"' in text


def test_api_metrics_under_route_prefix(server_factory):
    server = server_factory("ours", "--web.route-prefix=/pg")
    assert server.push("PUT", "/pg/metrics/job/p", "x 1\n").status == 200
    doc = json.loads(server.request("GET", "/pg/api/v1/metrics").text)
    assert [g["labels"] for g in doc["data"]] == [{"job": "p"}]
    assert server.request("GET", "/api/v1/metrics").status == 404


def test_api_status_shape(server_factory):
    args = ("--web.enable-admin-api", "--persistence.interval=90m", "--web.external-url=http://x/?a=<b>&c")
    docs = {}
    for kind in ("ours", "upstream"):
        server = server_factory(kind, *args)
        resp = server.request("GET", "/api/v1/status")
        assert resp.status == 200
        assert resp.header("Content-Type") == "application/json"
        assert resp.header("Access-Control-Allow-Origin") == "*"
        docs[kind] = json.loads(resp.text, object_pairs_hook=lambda pairs: pairs)
    ours, upstream = docs["ours"], docs["upstream"]
    assert [k for k, _ in ours] == [k for k, _ in upstream] == ["status", "data"]
    data = {kind: dict(doc)["data"] for kind, doc in docs.items()}
    assert [k for k, _ in data["ours"]] == [k for k, _ in data["upstream"]] == \
        ["build_information", "flags", "start_time"]
    ours_d, up_d = dict(data["ours"]), dict(data["upstream"])
    assert [k for k, _ in ours_d["build_information"]] == [k for k, _ in up_d["build_information"]]
    assert RFC3339_NANO_RE.match(ours_d["start_time"]), ours_d["start_time"]
    ours_flags, up_flags = dict(ours_d["flags"]), dict(up_d["flags"])
    # 1.5.1 (Debian) has web.local-assets; push.enable-utf8-names came with 1.11.0;
    # persistence.fsync (the write-ahead log's sync policy) and push.group-ttl (opt-in group
    # expiry) are ours.
    up_flags.pop("web.local-assets", None)
    assert ours_flags["persistence.fsync"] == "interval"
    assert ours_flags["push.group-ttl"] == "0s"
    ours_flags_shared = {k: v for k, v in ours_flags.items()
                         if k not in ("push.enable-utf8-names", "persistence.fsync",
                                      "push.group-ttl")}
    # Both servers got their own listen address from the harness, and the same other flags.
    ours_flags_shared.pop("web.listen-address")
    up_flags.pop("web.listen-address")
    assert ours_flags_shared == up_flags
    assert [k for k, _ in ours_d["flags"]] == sorted(ours_flags)


ZONE_SUFFIX_RE = re.compile(r"(Z|[+-]\d\d:\d\d)$")
STARTED_ZONE_RE = re.compile(r"<t[dh]>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? ([+-]\d{4} [A-Za-z0-9+-]+)(?: m=[^<]*)?</td>")


@pytest.mark.parametrize("tz", ["America/St_Johns", "Europe/Berlin", "", "/nonexistent/zone", "Etc/GMT-14"])
def test_times_in_the_local_zone_as_upstream(tz, server_factory):
    """Upstream prints times in its local zone (Go's TZ rules); so do we: the API's time stamps,
    its start time and the UI's "Started" carry the same offset and zone name on both."""
    zones = {}
    for kind in ("ours", "upstream"):
        server = server_factory(kind, env={"TZ": tz})
        server.push("PUT", "/metrics/job/tz", "x 1\n")
        metrics = json.loads(server.request("GET", "/api/v1/metrics").text)["data"][0]
        status = json.loads(server.request("GET", "/api/v1/status").text)["data"]
        # Go's html/template writes "+" as "&#43;"; the browser shows the same text.
        started = STARTED_ZONE_RE.search(html.unescape(server.request("GET", "/status").text))
        assert started, kind
        zones[kind] = (
            ZONE_SUFFIX_RE.search(metrics["x"]["time_stamp"]).group(1),
            ZONE_SUFFIX_RE.search(status["start_time"]).group(1),
            started.group(1),
        )
    assert zones["ours"] == zones["upstream"]
    if tz in ("", "/nonexistent/zone"):
        assert zones["ours"] == ("Z", "Z", "+0000 UTC")
