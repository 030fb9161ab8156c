"""Differential push/delete/scrape tests: every case runs on ours and on upstream, fresh servers
each, and both must agree step by step (spec §4–§8, §16, §19). Cases whose behaviour changed
after 1.5.1 carry `since` and an `Expect` for ours (1.11.3 behaviour)."""

import gzip

import pytest

import harness
from differential import DEFAULT_HEADERS, Case, Expect, Scrape, Step, run_differential, run_expectations
from harness import COUNTER, GAUGE, HISTOGRAM, SUMMARY, UNTYPED, pb_family, pb_metric, snappy_framed


def PUT(path, body="", headers=None, **kw):
    return Step("PUT", path, body, headers or {}, **kw)


def POST(path, body="", headers=None, **kw):
    return Step("POST", path, body, headers or {}, **kw)


def DELETE(path, body=None, headers=None, **kw):
    return Step("DELETE", path, body, headers or {}, **kw)


def GET(path, headers=None, **kw):
    return Step("GET", path, None, headers or {}, **kw)


PB = {"Content-Type": harness.PROTOBUF_CONTENT_TYPE}


GZ = {"Content-Encoding": "gzip"}
SNAPPY = {"Content-Encoding": "snappy"}

HIST = """# TYPE hh histogram
hh_bucket{le="0.5"} 1
hh_bucket{le="1"} 2
hh_bucket{le="+Inf"} 3
hh_sum 2.5
hh_count 3
"""

SUMM = """# TYPE ss summary
ss{quantile="0.5"} 1
ss{quantile="0.9"} 2
ss_sum 10
ss_count 4
"""

CASES = [
    # --- §19 worked examples ------------------------------------------------------------------
    Case("A-put-post-scrape-put-empty", [
        PUT("/metrics/job/g1", 'a 1\nb{x="1"} 2\n'),
        POST("/metrics/job/g1", "a 10\n"),
        Scrape(),
        PUT("/metrics/job/g1", ""),
    ]),
    Case("B-grouping-overrides-body", [
        PUT("/metrics/job/g3/instance/gi/foo/gfoo", 'd{job="other",instance="inst",foo="bar"} 1\n'),
    ]),
    Case("C-timestamp-rejected-creates-group", [PUT("/metrics/job/ts", "tsm 1 1700000000000\n")]),
    Case("C-no-final-newline", [PUT("/metrics/job/j2", "some_metric 3.14")]),
    Case("C-improper-label-name", [PUT("/metrics/job/j3/a-b/c")]),
    Case("C-odd-components", [PUT("/metrics/job/j3/instance")]),
    Case("C-empty-job-base64", [PUT("/metrics/job@base64/=/a/1")]),
    Case("C-base64-standard-alphabet", [PUT("/metrics/job/j3/a@base64/a+b")]),
    Case("C-histogram-count-collision", [
        PUT("/metrics/job/s1", HIST),
        PUT("/metrics/job/s2", "# TYPE hh_count gauge\nhh_count 1\n"),
    ]),
    Case("D-base64-values", [
        PUT("/metrics/job@base64/ajM=/a@base64/=/b@base64/L3Zhci90bXA", "x 1\n"),
        PUT("/metrics/job/j3/a@base64/YQ%3D", "y 1\n"),
    ]),
    Case("E-misc-http", [
        GET("/metrics/job/j1"),
        Step("OPTIONS", "/metrics/job/j1"),
        Step("HEAD", "/metrics", compare_body=False),
        PUT("/metrics/job/"),
        PUT("/metrics/job"),
        GET("//metrics"),
        DELETE("/metrics/job/nonexistent"),
        GET("/-/healthy"),
        POST("/-/quit"),
    ]),
    # --- §16.1 / §5.4 text format ---------------------------------------------------------------
    Case("text-crlf", [PUT("/metrics/job/t", "a 1\r\n")]),
    Case("text-trailing-blank", [PUT("/metrics/job/t", "a 1 \n")]),
    Case("text-trailing-blanks", [PUT("/metrics/job/t", "lead 1  \n")]),
    Case("text-blank-lines-and-leading-blanks", [PUT("/metrics/job/t", "\n  a 1\n\n\tb 2\n")]),
    Case("text-empty-body", [PUT("/metrics/job/t", "")]),
    Case("text-only-newline", [PUT("/metrics/job/t", "\n")]),
    Case("text-blanks-between-parts", [PUT("/metrics/job/t", 'a { x = "1" , y="2", } \t 3\n')]),
    Case("text-empty-braces", [PUT("/metrics/job/t", "a{} 3\n")]),
    Case("text-colon-in-name", [PUT("/metrics/job/t", "a:b:c 3\n")]),
    Case("text-bad-metric-name", [PUT("/metrics/job/t", "1a 3\n")]),
    Case("text-brace-line-1.10", [PUT("/metrics/job/t", "{bn} 3\n")], since="1.10.0",
         expect=Expect(status=[200], lines=['bn{instance="",job="t"} 3'])),
    Case("text-quoted-name-1.10", [PUT("/metrics/job/t", '{"qn",l="v"} 3\n')], since="1.10.0",
         expect=Expect(status=[200], lines=['qn{instance="",job="t",l="v"} 3'])),
    Case("text-brace-line-without-name", [PUT("/metrics/job/t", '{x="1"} 3\n')]),
    Case("text-duplicate-label-names", [PUT("/metrics/job/t", 'a{x="1",x="2"} 3\n')]),
    Case("text-reserved-name-label", [PUT("/metrics/job/t", 'a{__name__="b"} 3\n')]),
    Case("text-double-underscore-label", [PUT("/metrics/job/t", 'a{__x="b"} 3\n')]),
    Case("text-invalid-utf8-label-value", [PUT("/metrics/job/t", b'a{x="\xff"} 3\n')]),
    Case("text-raw-newline-in-label-value", [PUT("/metrics/job/t", 'a{x="b\nc"} 3\n')]),
    Case("text-hex-float", [PUT("/metrics/job/t", "a 0x1p3\n")]),
    Case("text-underscore-digits", [PUT("/metrics/job/t", "a 1_000\n")]),
    Case("text-out-of-range-float", [PUT("/metrics/job/t", "a 1e999\n")]),
    Case("text-float-spellings", [
        PUT("/metrics/job/t", "a 1E3\nb .5\nc 5.\nd +3\ne Infinity\nf -inf\ng nan\nh +Inf\ni 1e-3\n"),
    ]),
    Case("text-spurious-after-timestamp", [PUT("/metrics/job/t", "a 1 2 x\n")]),
    Case("text-bad-timestamp", [PUT("/metrics/job/t", "a 1 1.5\n")]),
    Case("text-exemplar-is-syntax-error", [PUT("/metrics/job/t", 'a 1 # {t="x"} 1\n')]),
    Case("text-openmetrics-body", [
        PUT("/metrics/job/om", "# TYPE c counter\nc_total 1\n# EOF\n",
            {"Content-Type": "application/openmetrics-text; version=1.0.0; charset=utf-8"}),
    ]),
    Case("text-quantile-and-le-are-ordinary-labels", [
        PUT("/metrics/job/t", 'm{quantile="x"} 1\nn{le="x"} 1\n'),
    ]),
    Case("text-interleaved-families", [PUT("/metrics/job/t", 'a{x="1"} 1\nb 2\na{x="2"} 3\n')]),
    # --- types ----------------------------------------------------------------------------------
    Case("type-all-five-text", [
        PUT("/metrics/job/types",
            "# TYPE c_total counter\nc_total 3\n# TYPE g gauge\ng -2.5\n# TYPE u untyped\nu 7\n"
            + HIST + SUMM),
    ]),
    Case("type-histogram-without-inf-bucket", [
        PUT("/metrics/job/h", '# TYPE hx histogram\nhx_bucket{le="1"} 1\nhx_sum 1\nhx_count 4\n'),
    ]),
    Case("type-histogram-unsorted-buckets", [
        PUT("/metrics/job/h", '# TYPE hx histogram\nhx_bucket{le="2"} 2\nhx_bucket{le="1"} 1\nhx_sum 1\nhx_count 2\n'),
    ]),
    Case("type-histogram-bad-le", [PUT("/metrics/job/h", '# TYPE hx histogram\nhx_bucket{le="x"} 1\n')]),
    Case("type-summary-bad-quantile", [PUT("/metrics/job/s", '# TYPE sx summary\nsx{quantile="x"} 1\n')]),
    Case("type-summary-count-truncated", [PUT("/metrics/job/s", "# TYPE sx summary\nsx_sum 1.5\nsx_count 2.9\n")]),
    Case("type-summary-multiple-series", [
        PUT("/metrics/job/s", '# TYPE sx summary\nsx{a="2",quantile="0.5"} 1\nsx{a="1",quantile="0.5"} 2\nsx_sum{a="2"} 1\nsx_count{a="1"} 1\n'),
    ]),
    Case("type-case-insensitive", [PUT("/metrics/job/t", "# TYPE tc COUNTER\ntc 1\n")]),
    Case("type-unknown-info", [PUT("/metrics/job/t", "# TYPE ti info\nti 1\n")]),
    Case("type-gaugehistogram-1.11.2", [
        PUT("/metrics/job/t", '# TYPE gh gaugehistogram\ngh_bucket{le="1"} 1\ngh_bucket{le="+Inf"} 2\ngh_sum 3\ngh_count 2\n'),
    ], since="1.11.2", expect=Expect(status=[200], lines=['gh_bucket{instance="",job="t",le="1"} 1'],
                                    types={"gh": "histogram"})),
    Case("type-gauge_histogram-1.11.2", [
        PUT("/metrics/job/t", '# TYPE gh gauge_histogram\ngh_bucket{le="+Inf"} 2\ngh_sum 3\ngh_count 2\n'),
    ], since="1.11.2", expect=Expect(status=[200], lines=['gh_count{instance="",job="t"} 2'],
                                    types={"gh": "histogram"}, absent=["gh_count", "gh_sum", "gh_bucket"]),
         note="1.5.1 accepts this spelling (a protobuf enum name) but exposes the samples untyped"),
    Case("type-histogram-float-counts-1.11.2", [
        PUT("/metrics/job/t", '# TYPE hf histogram\nhf_bucket{le="1"} 1.5\nhf_bucket{le="+Inf"} 2.5\nhf_sum 3\nhf_count 2.5\n'),
    ], since="1.11.2", expect=Expect(status=[200], lines=[
        'hf_bucket{instance="",job="t",le="1"} 1.5', 'hf_count{instance="",job="t"} 2.5'])),
    Case("type-histogram-negative-float-count-1.11.2", [
        PUT("/metrics/job/t", '# TYPE hn histogram\nhn_bucket{le="1"} -1.5\nhn_sum 3\nhn_count 2\n'),
    ], since="1.11.2", expect=Expect(status=[400], bodies={
        0: 'text format parsing error in line 2: negative bucket population for histogram "hn"\n'})),
    Case("type-after-samples", [PUT("/metrics/job/t", "a 1\n# TYPE a gauge\n")]),
    Case("type-second-type", [PUT("/metrics/job/t", "# TYPE a gauge\n# TYPE a gauge\na 1\n")]),
    Case("type-directive-resolves-like-sample", [PUT("/metrics/job/t", HIST + "# TYPE hh_count gauge\n")]),
    Case("type-only-family-dropped", [PUT("/metrics/job/t", "# TYPE lonely gauge\n# HELP lonely2 x\na 1\n")]),
    Case("type-invalid-name-in-comment", [PUT("/metrics/job/t", "# TYPE a-b gauge\na 1\n")]),
    Case("type-directive-without-type", [PUT("/metrics/job/t", "# TYPE a\na 1\n")]),
    # --- HELP and escapes -------------------------------------------------------------------------
    Case("help-escapes", [PUT("/metrics/job/t", '# HELP e a\\\\b\\nc "q"\ne 1\n')]),
    Case("help-invalid-escape", [PUT("/metrics/job/t", "# HELP e a\\tb\ne 1\n")]),
    Case("help-quote-escape-1.10", [PUT("/metrics/job/t", '# HELP e say \\"hi\\"\ne 1\n')],
         since="1.10.0", expect=Expect(status=[200], help={"e": 'say "hi"'})),
    Case("help-second-help", [PUT("/metrics/job/t", "# HELP e a\n# HELP e b\ne 1\n")]),
    Case("help-after-samples", [PUT("/metrics/job/t", "e 1\n# HELP e late\n")]),
    Case("help-no-blank-after-hash", [PUT("/metrics/job/t", "#HELP e x\n#TYPE e gauge\ne 1\n")]),
    Case("help-empty-directive-ignored", [PUT("/metrics/job/t", "# HELP e\ne 1\n")]),
    Case("help-other-comments-ignored", [PUT("/metrics/job/t", "# hello world\n# EOF\ne 1\n")]),
    Case("help-same-in-two-groups", [
        PUT("/metrics/job/h1", "# HELP hm same\nhm 1\n"),
        PUT("/metrics/job/h2", "# HELP hm same\nhm 2\n"),
    ]),
    Case("help-differs-between-groups-accepted", [
        PUT("/metrics/job/h1", "# HELP hm one\nhm 1\n"),
        PUT("/metrics/job/h2", "# HELP hm two\nhm 2\n"),
        PUT("/metrics/job/h3", "hm 3\n"),
    ], ignore_help=("hm",), note="upstream picks the HELP in map order (§8.2, R4)"),
    Case("escape-label-values", [PUT("/metrics/job/t", 'e{a="q\\"x",b="back\\\\slash",c="new\\nline"} 1\n')]),
    Case("escape-invalid-in-label-value", [PUT("/metrics/job/t", 'e{a="\\t"} 1\n')]),
    Case("escape-utf8-label-value", [PUT("/metrics/job/t", 'e{a="héllo ✓"} 1\n')]),
    Case("escape-grouping-value-in-exposition", [PUT("/metrics/job/j/a@base64/cSJ4XHkKeg", "e 1\n")]),
    # --- §18.1 float formatting -------------------------------------------------------------------
    Case("float-formatting", [
        PUT("/metrics/job/f",
            "f1 1000000\nf2 1234567\nf3 0.00001\nf4 123456\nf5 1e21\nf6 NaN\nf7 +Inf\nf8 -Inf\n"
            "f9 -0\nf10 0.0001\nf11 999999.5\nf12 12345678901234567890\nf13 3.14\n"
            "f14 1795801974.4005775\nf15 0.000123\nf16 100000\nf17 5e-324\nf18 1.7976931348623157e308\n"
            '# TYPE hq summary\nhq_sum 1e6\nhq_count 10000000\n'
            '# TYPE hb histogram\nhb_bucket{le="1e6"} 1\nhb_bucket{le="0.00001"} 1\nhb_sum 0.1\nhb_count 1\n'),
    ]),
    # --- §4 grouping keys -------------------------------------------------------------------------
    Case("key-percent-2F-splits", [PUT("/metrics/job/a%2Fb", "x 1\n")]),
    Case("key-percent-2F-pair", [PUT("/metrics/job/j/p%2Fq", "x 1\n")]),
    Case("key-percent-space", [PUT("/metrics/job/j%20k/l/v%20w", "x 1\n")]),
    Case("key-plus-is-not-space", [PUT("/metrics/job/a+b", "x 1\n")]),
    Case("key-query-ignored", [PUT("/metrics/job/j?x=1&y=2", "x 1\n")]),
    Case("key-base64-padding-optional", [
        PUT("/metrics/job/j/a@base64/YWI", "x 1\n"),
        PUT("/metrics/job/k/a@base64/YWI=", "x 1\n"),
        PUT("/metrics/job/l/a@base64/YWI==", "x 1\n"),
        PUT("/metrics/job/m/a@base64/L3Zhci90bXA==", "x 1\n"),
    ]),
    Case("key-base64-url-safe-alphabet", [PUT("/metrics/job/j/a@base64/Pz8-", "x 1\n")]),
    Case("key-base64-inner-equals", [PUT("/metrics/job/j/a@base64/YW=x", "x 1\n")]),
    Case("key-base64-impossible-length", [PUT("/metrics/job/j/a@base64/Y", "x 1\n")]),
    Case("key-base64-empty-value-forms", [
        PUT("/metrics/job/j/a@base64/=", "x 1\n"),
        PUT("/metrics/job/k/a@base64/==", "x 1\n"),
        PUT("/metrics/job/l/a@base64/", "x 1\n"),
    ]),
    Case("key-base64-job", [PUT("/metrics/job@base64/L3Zhci90bXA", "x 1\n")]),
    Case("key-base64-job-padding", [PUT("/metrics/job@base64/YWI=", "x 1\n")]),
    Case("key-base64-job-invalid", [PUT("/metrics/job@base64/aj+M", "x 1\n")],
         note="1.5.1 then blocks the job@base64 route; only the first answer is compared"),
    Case("key-base64-job-invalid-then-valid-1.6.1", [
        PUT("/metrics/job@base64/aj+M", "x 1\n"),
        PUT("/metrics/job@base64/ajM", "x 1\n"),
    ], since="1.6.1", expect=Expect(status=[400, 200], bodies={
        0: 'invalid base64 encoding in job name "": illegal base64 data at input byte 2\n'},
        lines=['x{instance="",job="j3"} 1'])),
    Case("key-base64-double-suffix", [PUT("/metrics/job/j/a@base64@base64/YQ", "x 1\n")]),
    Case("key-trailing-slash-after-job", [PUT("/metrics/job/j3/", "x 1\n")]),
    Case("key-trailing-slash-after-name-is-empty-value", [PUT("/metrics/job/j/instance/", "x 1\n")]),
    Case("key-trailing-slash-after-pair-is-odd", [PUT("/metrics/job/j/a/1/", "x 1\n")]),
    Case("key-empty-value-differs-from-absent-label", [
        PUT("/metrics/job/j/a@base64/=", "x 1\n"),
        PUT("/metrics/job/j", "y 1\n"),
    ]),
    Case("key-label-names", [
        PUT("/metrics/job/j/Ab_9/v", "x 1\n"),
        PUT("/metrics/job/j/1a/v", "x 1\n"),
        PUT("/metrics/job/j/__a/v", "x 1\n"),
        PUT("/metrics/job/j/a.b/v", "x 1\n"),
    ]),
    Case("key-repeated-label-last-wins", [PUT("/metrics/job/j/a/1/a/2", "x 1\n")]),
    Case("key-job-pair-overridden", [PUT("/metrics/job/j3/job/other", 'x{job="body"} 1\n')]),
    Case("key-first-error-in-url-order", [PUT("/metrics/job/j/a-b/1/c/d/e", "x 1\n")]),
    Case("key-utf8-name-escape-literal-without-flag", [PUT("/metrics/job/j/U__label_2e_name2/v", "x 1\n")]),
    Case("key-ordering-of-series", [
        PUT("/metrics/job/g2", "m 1\n"),
        PUT("/metrics/job/g3/instance/gi/foo/gfoo", "m 1\n"),
        PUT("/metrics/job/g1", "m 1\n"),
    ]),
    Case("key-instance-in-body-survives", [PUT("/metrics/job/g2", 'e{instance="i2"} 1\n')]),
    Case("key-instance-in-key-wins", [PUT("/metrics/job/g2/instance/k", 'e{instance="i2"} 1\n')]),
    Case("key-unclean-path-put-redirects", [PUT("/metrics/job/j/a//b", "x 1\n")]),
    Case("key-dot-segments-redirect", [PUT("/metrics/job/j/./a/b", "x 1\n"), POST("/metrics/job/j/a/../b", "x 1\n")]),
    # --- PUT / POST -----------------------------------------------------------------------------
    Case("post-replaces-families-by-name", [
        PUT("/metrics/job/g", 'a{x="1"} 1\na{x="2"} 2\nb 3\n'),
        POST("/metrics/job/g", 'a{x="3"} 4\n'),
    ]),
    Case("post-creates-group", [POST("/metrics/job/g/instance/i", "a 1\n")]),
    Case("post-empty-body", [PUT("/metrics/job/g", "a 1\n"), POST("/metrics/job/g", "")]),
    Case("put-replaces-all-families", [
        PUT("/metrics/job/g", "a 1\nb 2\n"),
        PUT("/metrics/job/g", "c 3\n"),
    ]),
    Case("put-other-group-untouched", [
        PUT("/metrics/job/g", "a 1\n"),
        PUT("/metrics/job/g/instance/i", "b 2\n"),
        PUT("/metrics/job/g", ""),
    ]),
    Case("failure-timestamp-survives-success", [
        PUT("/metrics/job/g", "a 1\n"),
        PUT("/metrics/job/g", "a 1 123\n"),
        Scrape(),
        PUT("/metrics/job/g", "b 2\n"),
        POST("/metrics/job/g", "c 2\n"),
    ]),
    Case("failure-keeps-group-contents", [
        PUT("/metrics/job/g", "# TYPE m counter\nm 1\n"),
        PUT("/metrics/job/g", "m 1 5\n"),
    ]),
    Case("pushed-push-time-overwritten", [PUT("/metrics/job/g", "push_time_seconds 5\n")]),
    Case("put-no-content-length", [Step("PUT", "/metrics/job/g", None)]),
    Case("push-with-text-content-type", [
        PUT("/metrics/job/g", "a 1\n", {"Content-Type": harness.TEXT_CONTENT_TYPE}),
    ]),
    Case("push-json-content-type-is-text", [PUT("/metrics/job/g", "a 1\n", {"Content-Type": "application/json"})]),
    # --- gzip ---------------------------------------------------------------------------------------
    Case("gzip-body", [PUT("/metrics/job/z", gzip.compress(b"gz 1\n"), {"Content-Encoding": "gzip"})]),
    Case("gzip-invalid-short", [PUT("/metrics/job/z", b"gz 1\n", {"Content-Encoding": "gzip"})]),
    Case("gzip-invalid-long", [PUT("/metrics/job/z", b"gz 1\n" * 10, {"Content-Encoding": "gzip"})]),
    Case("gzip-other-encoding-ignored", [PUT("/metrics/job/z", b"gz 1\n", {"Content-Encoding": "deflate"})]),
    Case("gzip-uppercase-1.6", [PUT("/metrics/job/z", gzip.compress(b"gz 1\n"), {"Content-Encoding": "GZIP"})],
         since="1.6.0", expect=Expect(status=[200], lines=['gz{instance="",job="z"} 1'])),
    Case("gzip-empty-body", [PUT("/metrics/job/z", b"", GZ)]),
    Case("gzip-concatenated-members", [PUT("/metrics/job/z", gzip.compress(b"gz 1\n") + gzip.compress(b"gy 2\n"), GZ)]),
    Case("gzip-syntax-error-inside", [PUT("/metrics/job/z", gzip.compress(b"gz 1\ngz{ 2\n"), GZ)]),
    Case("gzip-then-post", [PUT("/metrics/job/z", "a 1\nb 2\n"), POST("/metrics/job/z", gzip.compress(b"b 3\n"), GZ)]),
    # 1.5.1's text parser ends quietly at a read error that falls on a line boundary (and stores
    # the lines before it); prometheus/common fixed that in 2023 (#444), before upstream 1.6.0.
    Case("gzip-truncated-trailer-1.6", [PUT("/metrics/job/z", gzip.compress(b"gz 1\n")[:-4], GZ)],
         since="1.6.0", expect=Expect(status=[400], bodies={0: "unexpected EOF\n"}, absent=["gz"])),
    Case("gzip-bad-checksum-1.6", [PUT("/metrics/job/z", gzip.compress(b"gz 1\n")[:-8] + b"\0\0\0\0" + gzip.compress(b"gz 1\n")[-4:], GZ)],
         since="1.6.0", expect=Expect(status=[400], bodies={0: "gzip: invalid checksum\n"}, absent=["gz"])),
    Case("gzip-trailing-garbage-1.6", [PUT("/metrics/job/z", gzip.compress(b"gz 1\n") + b"x" * 20, GZ)],
         since="1.6.0", expect=Expect(status=[400], bodies={0: "gzip: invalid header\n"}, absent=["gz"])),
    # --- snappy (framed), accepted since 1.6.0; 1.5.1 parses the framed bytes as text ---------------
    Case("snappy-body-1.6", [PUT("/metrics/job/s", snappy_framed(b"sn 1\nsm{a=\"b\"} 2\n"), SNAPPY)],
         since="1.6.0", expect=Expect(status=[200], lines=['sn{instance="",job="s"} 1', 'sm{a="b",instance="",job="s"} 2'])),
    Case("snappy-uppercase-1.6", [PUT("/metrics/job/s", snappy_framed(b"sn 1\n"), {"Content-Encoding": "SNAPPY"})],
         since="1.6.0", expect=Expect(status=[200], lines=['sn{instance="",job="s"} 1'])),
    Case("snappy-many-chunks-1.6", [PUT("/metrics/job/s", snappy_framed(b"".join(b"sn_%d %d\n" % (i, i) for i in range(20000))), SNAPPY)],
         since="1.6.0", expect=Expect(status=[200], lines=['sn_0{instance="",job="s"} 0', 'sn_19999{instance="",job="s"} 19999'])),
    Case("snappy-compressed-chunk-1.6", [PUT("/metrics/job/s", harness.SNAPPY_STREAM_IDENTIFIER + harness.snappy_chunk(
        0, b"sn_" + b"a" * 12 + b" 1\n", block=b"\x12\x0csn_a\x2a\x01\x00\x08 1\n") + harness.snappy_chunk(1, b"sm 2\n"), SNAPPY)],
         since="1.6.0", expect=Expect(status=[200], lines=['sn_aaaaaaaaaaaa{instance="",job="s"} 1', 'sm{instance="",job="s"} 2'])),
    Case("snappy-empty-body-1.6", [PUT("/metrics/job/s", b"", SNAPPY)],
         since="1.6.0", expect=Expect(status=[200])),
    Case("snappy-bad-checksum-1.6", [PUT("/metrics/job/s", snappy_framed(b"sn 1\n", corrupt_crc=True), SNAPPY)],
         since="1.6.0", expect=Expect(status=[400], bodies={0: "snappy: corrupt input\n"}, absent=["sn"])),
    Case("snappy-not-framed-1.6", [PUT("/metrics/job/s", b"sn 1\n", SNAPPY)],
         since="1.6.0", expect=Expect(status=[400], bodies={0: "snappy: corrupt input\n"}, absent=["sn"])),
    Case("snappy-truncated-1.6", [PUT("/metrics/job/s", snappy_framed(b"sn 1\n")[:-2], SNAPPY)],
         since="1.6.0", expect=Expect(status=[400], bodies={0: "snappy: corrupt input\n"}, absent=["sn"])),
    Case("snappy-reserved-chunk-1.6", [PUT("/metrics/job/s", snappy_framed(b"sn 1\n") + b"\x02\x01\x00\x00x", SNAPPY)],
         since="1.6.0", expect=Expect(status=[400], bodies={0: "snappy: unsupported input\n"}, absent=["sn"])),
    # --- protobuf -----------------------------------------------------------------------------------
    Case("pb-all-types", [
        PUT("/metrics/job/pb",
            pb_family("pc_total", COUNTER, [pb_metric([("a", "1")], 3.0, COUNTER)], "a counter")
            + pb_family("pg", GAUGE, [pb_metric([], -1.5, GAUGE)])
            + pb_family("pu", UNTYPED, [pb_metric([("job", "x"), ("instance", "y")], 7.0, UNTYPED)])
            + pb_family("ps", SUMMARY, [pb_metric([], typ=SUMMARY, summary=(4, 10.0, [(0.5, 1.0), (0.9, 2.0)]))])
            + pb_family("ph", HISTOGRAM, [pb_metric([], typ=HISTOGRAM, histogram=(3, 2.5, [(0.5, 1), (1.0, 2)]))]),
            PB),
    ]),
    Case("pb-content-type-variants", [
        PUT("/metrics/job/p1", pb_family("v", GAUGE, [pb_metric([], 1.0, GAUGE)]),
            {"Content-Type": "Application/Vnd.Google.Protobuf; encoding=delimited;proto=io.prometheus.client.MetricFamily"}),
        PUT("/metrics/job/p2", "v 2\n",
            {"Content-Type": "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text"}),
    ]),
    Case("pb-later-family-replaces-earlier", [
        PUT("/metrics/job/pb",
            pb_family("pd", GAUGE, [pb_metric([], 1.0, GAUGE)]) + pb_family("pd", GAUGE, [pb_metric([], 2.0, GAUGE)]),
            PB),
    ]),
    Case("pb-zero-series-family-removes-on-post", [
        PUT("/metrics/job/pb", "pz 1\npy 2\n"),
        POST("/metrics/job/pb", pb_family("pz", GAUGE, []), PB),
    ]),
    Case("pb-truncated", [PUT("/metrics/job/pb", pb_family("pt", GAUGE, [pb_metric([], 1.0, GAUGE)])[:-3], PB)]),
    Case("pb-timestamp-rejected", [PUT("/metrics/job/pb", pb_family("pt", GAUGE, [pb_metric([], 1.0, GAUGE, timestamp_ms=5)]), PB)]),
    Case("pb-summary-with-quantile-label", [
        PUT("/metrics/job/pb", pb_family("psq", SUMMARY, [pb_metric([("quantile", "0.5")], typ=SUMMARY, summary=(1, 1.0, []))]), PB),
    ]),
    Case("pb-value-field-mismatch", [
        PUT("/metrics/job/pb", pb_family("pm", GAUGE, [pb_metric([], 1.0, COUNTER)]), PB),
    ]),
    Case("pb-double-underscore-label", [
        PUT("/metrics/job/pb", pb_family("pl", GAUGE, [pb_metric([("__x", "1")], 1.0, GAUGE)]), PB),
    ]),
    Case("pb-invalid-utf8-label-value", [
        PUT("/metrics/job/pb", pb_family("pv", GAUGE, [pb_metric([("b", "X")], 1.0, GAUGE)]).replace(b"X", b"\xff"), PB),
    ]),
    Case("pb-duplicate-series", [
        PUT("/metrics/job/pb", pb_family("pdup", GAUGE, [pb_metric([], 1.0, GAUGE), pb_metric([], 2.0, GAUGE)]), PB),
    ]),
    # --- §6.5 consistency ---------------------------------------------------------------------------
    Case("check-type-clash-across-groups", [
        PUT("/metrics/job/c1", "# TYPE m counter\nm 1\n"),
        PUT("/metrics/job/c2", "# TYPE m gauge\nm 1\n"),
        PUT("/metrics/job/c3", "m 1\n"),
        PUT("/metrics/job/c4", "# TYPE m counter\nm 2\n"),
    ]),
    Case("check-type-change-within-group-ok", [
        PUT("/metrics/job/c1", "# TYPE m counter\nm 1\n"),
        PUT("/metrics/job/c1", "# TYPE m gauge\nm 1\n"),
    ]),
    Case("check-type-clash-with-post-other-family", [
        PUT("/metrics/job/c1", "# TYPE m counter\nm 1\n"),
        PUT("/metrics/job/c2", "x 1\n"),
        POST("/metrics/job/c2", "# TYPE m gauge\nm 2\n"),
    ]),
    Case("check-summary-then-count", [PUT("/metrics/job/s1", SUMM), PUT("/metrics/job/s2", "ss_count 1\n")]),
    Case("check-summary-then-sum", [PUT("/metrics/job/s1", SUMM), PUT("/metrics/job/s2", "ss_sum 1\n")]),
    Case("check-summary-then-bucket-ok", [PUT("/metrics/job/s1", SUMM), PUT("/metrics/job/s2", "ss_bucket 1\n")]),
    Case("check-histogram-then-bucket", [PUT("/metrics/job/s1", HIST), PUT("/metrics/job/s2", "hh_bucket 1\n")]),
    Case("check-histogram-then-sum", [PUT("/metrics/job/s1", HIST), PUT("/metrics/job/s2", "hh_sum 1\n")]),
    Case("check-count-then-summary", [PUT("/metrics/job/s2", "ss_count 1\n"), PUT("/metrics/job/s1", SUMM)]),
    Case("check-sum-then-histogram", [PUT("/metrics/job/s2", "hh_sum 1\n"), PUT("/metrics/job/s1", HIST)]),
    Case("check-bucket-then-histogram", [PUT("/metrics/job/s2", "hh_bucket 1\n"), PUT("/metrics/job/s1", HIST)]),
    Case("check-bucket-then-summary-ok", [PUT("/metrics/job/s2", "ss_bucket 1\n"), PUT("/metrics/job/s1", SUMM)]),
    Case("check-collision-within-one-push", [PUT("/metrics/job/s", 'x_sum 1\n# TYPE x summary\nx{quantile="0.5"} 1\n')]),
    Case("check-collision-in-same-group-put-replaces", [
        PUT("/metrics/job/s", "ss_count 1\n"),
        PUT("/metrics/job/s", SUMM),
    ]),
    Case("check-collision-in-same-group-post", [
        PUT("/metrics/job/s", "ss_count 1\n"),
        POST("/metrics/job/s", SUMM),
    ]),
    Case("check-no-total-created-info-check", [
        PUT("/metrics/job/cc", "# TYPE cc counter\ncc 1\ncc_total 2\ncc_created 3\ncc_info 4\n"),
    ]),
    Case("check-duplicate-within-push", [PUT("/metrics/job/d", "m 1\nm 2\n")]),
    Case("check-duplicate-within-push-labels", [PUT("/metrics/job/d", 'm{a="1"} 1\nm{a="1"} 2\n')]),
    Case("check-empty-label-value-is-distinct", [PUT("/metrics/job/d", 'm{a=""} 1\nm 2\n')]),
    Case("check-duplicate-across-groups", [
        PUT("/metrics/job/j", 'm{x="1"} 1\n'),
        PUT("/metrics/job/j/x/1", "m 1\n"),
    ]),
    Case("check-duplicate-after-grouping-override", [
        PUT("/metrics/job/j/x/1", 'm{x="2"} 1\nm{x="3"} 2\n'),
    ]),
    Case("check-label-name-sets-may-differ", [
        PUT("/metrics/job/h1", "h 1\n"),
        PUT("/metrics/job/h2/foo/bar", "h 1\n"),
    ]),
    Case("check-own-family-type-clash", [PUT("/metrics/job/o", "# TYPE pushgateway_build_info counter\npushgateway_build_info 1\n")]),
    Case("check-own-family-untyped-clash", [PUT("/metrics/job/o", "process_open_fds 3\n")]),
    Case("check-own-family-same-type-joins", [
        PUT("/metrics/job/o", "# HELP process_open_fds my help\n# TYPE process_open_fds gauge\nprocess_open_fds 3\n"),
    ]),
    Case("check-poisoned-by-nothing-after-rejections", [
        PUT("/metrics/job/c1", "# TYPE m counter\nm 1\n"),
        PUT("/metrics/job/c2", "# TYPE m gauge\nm 1\n"),
        PUT("/metrics/job/c3", "ok 1\n"),
    ]),
    # --- DELETE -------------------------------------------------------------------------------------
    Case("delete-group", [PUT("/metrics/job/x", "a 1\n"), DELETE("/metrics/job/x")]),
    Case("delete-exact-key-only", [
        PUT("/metrics/job/x", "a 1\n"),
        PUT("/metrics/job/x/instance/y", "b 1\n"),
        DELETE("/metrics/job/x"),
    ]),
    Case("delete-base64-key", [PUT("/metrics/job/x/p@base64/L2E", "a 1\n"), DELETE("/metrics/job@base64/eA/p@base64/L2E=")]),
    Case("delete-body-ignored", [PUT("/metrics/job/x", "a 1\n"), DELETE("/metrics/job/x", "garbage")]),
    Case("delete-nonexistent", [DELETE("/metrics/job/nothing/a/b")]),
    Case("delete-bad-url", [DELETE("/metrics/job/x/a-b/1"), DELETE("/metrics/job/x/odd")]),
    Case("delete-then-put-ordered", [
        PUT("/metrics/job/x", "a 1\n"),
        DELETE("/metrics/job/x"),
        PUT("/metrics/job/x", "b 1\n"),
    ]),
    Case("delete-clears-failure", [PUT("/metrics/job/x", "a 1 5\n"), DELETE("/metrics/job/x")]),
    # --- unchecked mode (§6.6b) -------------------------------------------------------------------
    Case("unchecked-accepts-202", [PUT("/metrics/job/u", "a 1\n"), POST("/metrics/job/u", "b 1\n")],
         args=("--push.disable-consistency-check",), checked=False),
    Case("unchecked-timestamp-dropped-202", [PUT("/metrics/job/u", "m 1 1000\n")],
         args=("--push.disable-consistency-check",), checked=False),
    Case("unchecked-parse-error-still-400", [PUT("/metrics/job/u", "m 1")],
         args=("--push.disable-consistency-check",), checked=False),
    Case("unchecked-inconsistent-scrape-500", [
        PUT("/metrics/job/u1", "# TYPE m counter\nm 1\n"),
        PUT("/metrics/job/u2", "# TYPE m gauge\nm 1\n"),
        Scrape(),
        DELETE("/metrics/job/u2"),
    ], args=("--push.disable-consistency-check",), checked=False),
    # --- admin API (§10.3, §16.15) -----------------------------------------------------------------
    Case("wipe", [
        PUT("/metrics/job/w1", "a 1\n"),
        PUT("/metrics/job/w2/instance/i", "a 2\n"),
        Step("PUT", "/api/v1/admin/wipe", None,
             compare_headers=DEFAULT_HEADERS + ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods")),
        Step("GET", "/api/v1/admin/wipe"),
        Step("POST", "/api/v1/admin/wipe"),
    ], args=("--web.enable-admin-api",)),
    Case("wipe-disabled-404", [Step("PUT", "/api/v1/admin/wipe", None)]),
]


def _ids(cases):
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return ids


_ids(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_differential(case, server_factory, upstream_version):
    if case.since and upstream_version < harness.parse_version(case.since):
        pytest.skip(f"behaviour changed in {case.since}; upstream is "
                    f"{'.'.join(map(str, upstream_version))} (ours checked in test_ours_1_11)")
    ours = server_factory("ours", *case.args)
    upstream = server_factory("upstream", *case.args)
    run_differential(ours, upstream, case)


VERSIONED = [c for c in CASES if c.expect is not None]


@pytest.mark.parametrize("case", VERSIONED, ids=[c.id for c in VERSIONED])
def test_ours_1_11(case, server_factory):
    """Behaviour that changed after 1.5.1: ours must do what 1.11.3 does."""
    ours = server_factory("ours", *case.args)
    run_expectations(ours, case)
