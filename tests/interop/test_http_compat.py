"""Black-box HTTP behaviour, differential (spec §2, §3, §8.4, §8.6, §9, §10): redirects, 404/405
bodies and `Allow` headers, HEAD, OPTIONS, lifecycle, health, content negotiation, CORS."""

import gzip

import pytest

import harness
from differential import DEFAULT_HEADERS, Case, Expect, Step, run_differential, run_expectations

CORS = ("Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Origin",
        "Access-Control-Expose-Headers", "Cache-Control")
ALL_HEADERS = DEFAULT_HEADERS + CORS + ("Server", "Connection", "WWW-Authenticate")

TEXT_1_11 = harness.TEXT_CONTENT_TYPE + "; escaping=underscores"
PROTOBUF_1_11 = harness.PROTOBUF_CONTENT_TYPE + "; escaping=underscores"
PROTOBUF_ACCEPT = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
PROMETHEUS_2_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def S(method, path, body=None, headers=None, compare_body=True):
    return Step(method, path, body, headers or {}, compare_headers=ALL_HEADERS, compare_body=compare_body)


def scrape_step(headers=None):
    """GET /metrics: the body holds each server's own metrics, so only the head is compared."""
    return S("GET", "/metrics", headers=headers, compare_body=False)


CASES = [
    # --- §2.2 path repair -------------------------------------------------------------------------
    Case("redirect-double-slash", [S("GET", "//metrics"), S("PUT", "//metrics/job/x", "a 1\n"),
                                   S("DELETE", "/metrics//job/x")]),
    Case("redirect-dot-segments", [S("GET", "/./metrics"), S("GET", "/metrics/.."), S("GET", "/-/../-/ready")]),
    Case("redirect-case-insensitive", [S("GET", "/METRICS"), S("GET", "/-/Healthy"), S("PUT", "/Metrics/Job/X", "a 1\n"),
                                       S("POST", "/METRICS/job/X/Foo/Bar", "a 1\n")]),
    Case("redirect-trailing-slash", [S("PUT", "/metrics/job/"), S("GET", "/metrics/"), S("GET", "/-/ready/"),
                                     S("POST", "/-/quit/")]),
    Case("redirect-api-v1-quirk", [S("GET", "/api/v1/status/"), S("GET", "/api/v1"), S("GET", "/api/v1/")]),
    Case("redirect-query-kept-out", [S("GET", "//metrics?x=1")]),
    Case("bad-percent-escape", [S("GET", "/metrics/job/%zz"), S("PUT", "/metrics/job/a%2", "a 1\n")]),
    # --- 404 / 405 ----------------------------------------------------------------------------------
    Case("not-found", [S("GET", "/nope"), S("PUT", "/metrics/job"), S("GET", "/metrics/jobs/x"),
                       S("PUT", "/metrics/jobs/x", "a 1\n"), S("POST", "/api/v1/admin/wipe"),
                       S("GET", "/-/reload")]),
    Case("method-not-allowed", [S("GET", "/metrics/job/j1"), S("GET", "/metrics/job@base64/ajE"),
                                S("POST", "/metrics"), S("DELETE", "/metrics"), S("PUT", "/-/healthy"),
                                S("POST", "/-/ready"), S("DELETE", "/-/quit"), S("PUT", "/api/v1/metrics"),
                                S("DELETE", "/api/v1/status")]),
    Case("head-is-405", [S("HEAD", "/metrics", compare_body=False), S("HEAD", "/-/healthy", compare_body=False),
                         S("HEAD", "/metrics/job/x", compare_body=False), S("HEAD", "/api/v1/status", compare_body=False)]),
    Case("unknown-method", [S("PATCH", "/metrics/job/x", "a 1\n"), S("BREW", "/metrics")]),
    # --- OPTIONS --------------------------------------------------------------------------------------
    Case("options", [S("OPTIONS", "/metrics"), S("OPTIONS", "/metrics/job/x"), S("OPTIONS", "/-/healthy"),
                     S("OPTIONS", "/-/quit"), S("OPTIONS", "/api/v1/status"), S("OPTIONS", "/api/v1/anything/at/all")]),
    # --- lifecycle and health -------------------------------------------------------------------------
    Case("quit-without-lifecycle", [S("GET", "/-/quit"), S("POST", "/-/quit"), S("PUT", "/-/quit"),
                                    S("GET", "/-/ready")]),
    Case("healthy-ready", [S("GET", "/-/healthy"), S("GET", "/-/ready"), S("GET", "/-/healthy?x=1")]),
    # --- §8.4 negotiation, §8.6 compression ---------------------------------------------------------------
    Case("metrics-content-type", [scrape_step(), scrape_step({"Accept": "text/plain"}),
                                  scrape_step({"Accept": "*/*"}), scrape_step({"Accept": "application/json"}),
                                  scrape_step({"Accept": "text/plain;version=1.0.0"})]),
    Case("metrics-openmetrics-never-served", [scrape_step({"Accept": PROMETHEUS_2_ACCEPT}),
                                              scrape_step({"Accept": "application/openmetrics-text; version=1.0.0"})]),
    Case("metrics-protobuf", [scrape_step({"Accept": PROTOBUF_ACCEPT}),
                              scrape_step({"Accept": f"text/plain;q=0.3,{PROTOBUF_ACCEPT};q=0.7"}),
                              scrape_step({"Accept": f"{PROTOBUF_ACCEPT};q=0.3,text/plain;q=0.7"})]),
    Case("metrics-gzip", [scrape_step({"Accept-Encoding": "gzip"}), scrape_step({"Accept-Encoding": "gzip, deflate"}),
                          scrape_step({"Accept-Encoding": "deflate"}), scrape_step({"Accept-Encoding": "identity"})]),
    Case("metrics-gzip-q0-1.10", [scrape_step({"Accept-Encoding": "gzip;q=0"})], since="1.10.0",
         expect=Expect(status=[200], headers={0: {"Content-Encoding": None}})),
    Case("metrics-content-type-escaping-1.10", [
        scrape_step(), scrape_step({"Accept": PROTOBUF_ACCEPT}),
        scrape_step({"Accept": "text/plain;version=0.0.4;escaping=allow-utf-8"}),
    ], since="1.10.0", expect=Expect(status=[200, 200, 200], headers={
        0: {"Content-Type": TEXT_1_11}, 1: {"Content-Type": PROTOBUF_1_11},
        2: {"Content-Type": harness.TEXT_CONTENT_TYPE + "; escaping=allow-utf-8"}})),
    # --- §9 JSON API -----------------------------------------------------------------------------------------
    Case("api-metrics-empty", [S("GET", "/api/v1/metrics")]),
    Case("api-status-head", [S("GET", "/api/v1/status", compare_body=False)]),
    Case("api-wipe-no-cors", [S("PUT", "/api/v1/admin/wipe"), S("OPTIONS", "/api/v1/admin/wipe")],
         args=("--web.enable-admin-api",)),
    # --- §2.4 route prefix and telemetry path ------------------------------------------------------
    Case("prefix-from-external-url", [
        S("GET", "/pg/-/healthy"), S("GET", "/-/healthy"), S("GET", "/-/quit"), S("GET", "/pg/-/quit"),
        S("PUT", "/pg/metrics/job/x", "a 1\n"), S("PUT", "/metrics/job/x", "a 1\n"),
        S("GET", "/pg/metrics", compare_body=False), S("GET", "/metrics"), S("GET", "/pg//metrics"),
        S("GET", "/pg/api/v1/metrics", compare_body=False), S("DELETE", "/pg/metrics/job/x"),
    ], args=("--web.external-url=http://example.com/pg/",)),
    Case("prefix-route-prefix-wins", [
        S("GET", "/rp/-/ready"), S("GET", "/pg/-/ready"), S("PUT", "/rp/metrics/job/x", "a 1\n"),
    ], args=("--web.external-url=http://example.com/pg/", "--web.route-prefix=rp")),
    Case("telemetry-path", [
        S("GET", "/foo", compare_body=False), S("GET", "/metrics"), S("PUT", "/metrics/job/x", "a 1\n"),
        S("GET", "/metrics/job/x"),
    ], args=("--web.telemetry-path=/foo",)),
    # --- §11 UI -------------------------------------------------------------------------------------------
    Case("ui-pages", [S("GET", "/", compare_body=False), S("GET", "/status", compare_body=False)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_http(case, server_factory, upstream_version):
    if case.since and upstream_version < harness.parse_version(case.since):
        pytest.skip(f"behaviour changed in {case.since}; ours checked in test_http_ours_1_11")
    run_differential(server_factory("ours", *case.args), server_factory("upstream", *case.args), case)


VERSIONED = [c for c in CASES if c.expect is not None]


@pytest.mark.parametrize("case", VERSIONED, ids=[c.id for c in VERSIONED])
def test_http_ours_1_11(case, server_factory):
    run_expectations(server_factory("ours", *case.args), case)


def test_every_response_has_date_and_no_server(ours, upstream):
    for server in (ours, upstream):
        for method, path in [("GET", "/metrics"), ("GET", "/nope"), ("PUT", "/metrics/job/x"), ("GET", "//metrics")]:
            resp = server.request(method, path, "a 1\n" if method == "PUT" else None)
            assert resp.header("Date"), f"{server.name} {method} {path}: no Date header"
            assert resp.header("Server") is None


def test_gzip_scrape_decodes_to_same_exposition(ours, upstream):
    for server in (ours, upstream):
        assert server.push("PUT", "/metrics/job/z", "gz 1\n").status == 200
        resp = server.scrape({"Accept-Encoding": "gzip"})
        assert resp.header("Content-Encoding") == "gzip"
        assert 'gz{instance="",job="z"} 1' in gzip.decompress(resp.body).decode().split("\n")


def test_keep_alive_pipelined_requests(ours, upstream):
    """Two requests written back to back on one connection get two answers in order."""
    import socket

    for server in (ours, upstream):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"PUT /metrics/job/p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\na 1\n"
                      b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"OK"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data
        assert data.count(b"HTTP/1.1 200 OK\r\n") == 2, data


def test_chunked_push_and_expect_continue(ours, upstream):
    import socket

    for server in (ours, upstream):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"PUT /metrics/job/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            interim = s.recv(65536)
            assert interim.startswith(b"HTTP/1.1 100 Continue\r\n"), interim
            s.sendall(b"4\r\nch 1\r\n2\r\n0\n\r\n0\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data
        server.barrier()
        assert 'ch{instance="",job="c"} 10' in server.scrape().text.split("\n")
