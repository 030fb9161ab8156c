"""The comparison helpers themselves: a differential suite is only as good as what it can tell
apart. No servers here."""

import pytest

import harness

EXPO = """# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 10
go_goroutines{instance="",job="own1"} 5
# TYPE a untyped
a{instance="",job="g1"} 10
a{instance="",job="zz_interop_barrier"} 1
# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
# TYPE push_time_seconds gauge
push_time_seconds{instance="",job="g1"} 1.795801307595919e+09
push_time_seconds{instance="",job="g2"} 0
"""


def test_normalize_keeps_pushed_series_only():
    assert harness.normalize_text(EXPO) == [
        ("go_goroutines", None, "# TYPE go_goroutines gauge", ('go_goroutines{instance="",job="own1"} 5',)),
        ("a", None, "# TYPE a untyped", ('a{instance="",job="g1"} 10',)),
        ("push_time_seconds",
         "# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.",
         "# TYPE push_time_seconds gauge",
         ('push_time_seconds{instance="",job="g1"} <nonzero>', 'push_time_seconds{instance="",job="g2"} <zero>')),
    ]


@pytest.mark.parametrize("other", [
    EXPO.replace("} 10\n", "} 1e+01\n"),  # float formatting
    EXPO.replace('job="g1"} 10', 'job="g1",x="1"} 10'),  # labels
    EXPO.replace("# TYPE a untyped", "# TYPE a gauge"),  # type
    EXPO.replace("# TYPE a untyped", "# HELP a h\n# TYPE a untyped"),  # help
    EXPO.replace('push_time_seconds{instance="",job="g2"} 0', 'push_time_seconds{instance="",job="g2"} 5'),
    EXPO.replace('push_time_seconds{instance="",job="g1"} 1.795801307595919e+09\n', ""),  # series
])
def test_normalize_tells_differences_apart(other):
    assert harness.normalize_text(EXPO) != harness.normalize_text(other)


def test_normalize_ignores_own_series_and_push_time_values():
    other = EXPO.replace("go_goroutines 10", "go_goroutines 99").replace("1.795801307595919e+09", "1.7e+09")
    assert harness.normalize_text(EXPO) == harness.normalize_text(other)
    assert harness.normalize_parsed(EXPO) == harness.normalize_parsed(other)


def test_split_sample_line_with_escapes():
    assert harness.split_sample_line('m{a="q\\"}",b="\\\\"} -Inf') == ("m", [("a", 'q\\"}'), ("b", "\\\\")], "-Inf")


@pytest.mark.parametrize("body,want", [
    ("pushed metrics are invalid or inconsistent with existing metrics: collected metric \"m\" "
     "{ label:<name:\"job\" value:\"x\" > gauge:<value:1 > } is not a COUNTER\n",
     (harness.REJECT_PREFIX, ("type",))),
    ("pushed metrics are invalid or inconsistent with existing metrics: 2 error(s) occurred:\n"
     "* collected metric \"m\" { } was collected before with the same name and label values\n"
     "* collected metric named \"x_sum\" collides with previously collected summary named \"x\"\n",
     (harness.REJECT_PREFIX, ("collision", "duplicate"))),
    ("text format parsing error in line 1: unexpected end of input stream\n",
     "text format parsing error in line 1: unexpected end of input stream\n"),
])
def test_comparable_body(body, want):
    resp = harness.Response(400, None, body.encode())
    assert harness.comparable_body(resp) == want


def test_protobuf_encoding_matches_reference_bytes():
    # MetricFamily{name:"g", type:GAUGE, metric:[{gauge:{value:1}}]}, length-delimited.
    assert harness.pb_family("g", harness.GAUGE, [harness.pb_metric([], 1.0, harness.GAUGE)]) == (
        b"\x12\x0a\x01g\x18\x01\x22\x0b\x12\x09\x09" + b"\x00\x00\x00\x00\x00\x00\xf0\x3f"
    )
