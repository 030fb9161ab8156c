"""The Python client library (`prometheus_client`) pushing to ours: push (PUT), pushadd (POST),
delete, grouping keys it base64-encodes, all verified through `/metrics`; and the same client
sequence run against upstream must leave the same exposition."""

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client import delete_from_gateway, push_to_gateway, pushadd_to_gateway

import harness

TIMEOUT_S = 10


def gw(server):
    return f"127.0.0.1:{server.port}"


def registry_with(name, value, help_text="client gauge", labels=None):
    reg = CollectorRegistry()
    g = Gauge(name, help_text, list(labels or {}), registry=reg)
    (g.labels(**labels) if labels else g).set(value)
    return reg


def lines_of(server):
    server.barrier()
    resp = server.scrape()
    assert resp.status == 200, resp.text
    return harness.sample_lines(resp.text)


def test_push_replaces_group(ours):
    push_to_gateway(gw(ours), job="cj", registry=registry_with("first", 1), timeout=TIMEOUT_S)
    push_to_gateway(gw(ours), job="cj", registry=registry_with("second", 2), timeout=TIMEOUT_S)
    lines = lines_of(ours)
    assert 'second{instance="",job="cj"} 2' in lines
    assert not [line for line in lines if line.startswith("first")]


def test_pushadd_adds_and_replaces_by_name(ours):
    push_to_gateway(gw(ours), job="cj", registry=registry_with("first", 1), timeout=TIMEOUT_S)
    pushadd_to_gateway(gw(ours), job="cj", registry=registry_with("second", 2), timeout=TIMEOUT_S)
    pushadd_to_gateway(gw(ours), job="cj", registry=registry_with("first", 3, labels={"k": "v"}), timeout=TIMEOUT_S)
    lines = lines_of(ours)
    assert 'first{instance="",job="cj",k="v"} 3' in lines
    assert 'first{instance="",job="cj"} 1' not in lines
    assert 'second{instance="",job="cj"} 2' in lines


def test_grouping_key_with_slash_is_base64(ours):
    key = {"path": "/var/tmp", "instance": "host:9100"}
    push_to_gateway(gw(ours), job="batch/nightly", registry=registry_with("g", 5), grouping_key=key,
                    timeout=TIMEOUT_S)
    lines = lines_of(ours)
    assert 'g{instance="host:9100",job="batch/nightly",path="/var/tmp"} 5' in lines
    delete_from_gateway(gw(ours), job="batch/nightly", grouping_key=key, timeout=TIMEOUT_S)
    assert not [line for line in lines_of(ours) if 'job="batch/nightly"' in line]


def test_grouping_key_empty_and_space_values(ours):
    # The client sends "" as `@base64/=` and a space with query escaping (`+`), which the server
    # keeps literally (spec §4.9).
    key = {"empty": "", "spaced": "a b"}
    push_to_gateway(gw(ours), job="cj", registry=registry_with("g", 1), grouping_key=key, timeout=TIMEOUT_S)
    assert 'g{empty="",instance="",job="cj",spaced="a+b"} 1' in lines_of(ours)


def test_delete_only_exact_group(ours):
    push_to_gateway(gw(ours), job="cj", registry=registry_with("g", 1), timeout=TIMEOUT_S)
    push_to_gateway(gw(ours), job="cj", registry=registry_with("g", 2), grouping_key={"instance": "i"},
                    timeout=TIMEOUT_S)
    delete_from_gateway(gw(ours), job="cj", timeout=TIMEOUT_S)
    lines = lines_of(ours)
    assert 'g{instance="i",job="cj"} 2' in lines
    assert not [line for line in lines if line.startswith('g{instance="",')]


def test_rejected_push_raises(ours):
    push_to_gateway(gw(ours), job="c1", registry=_typed("m", Counter), timeout=TIMEOUT_S)
    with pytest.raises(OSError):
        push_to_gateway(gw(ours), job="c2", registry=_typed("m_total", Gauge), timeout=TIMEOUT_S)


def _typed(name, cls):
    reg = CollectorRegistry()
    metric = cls(name, "typed", registry=reg)
    if cls is Counter:
        metric.inc(3)
    else:
        metric.set(3)
    return reg


def _all_types_registry():
    reg = CollectorRegistry()
    Counter("client_requests", "Requests.", ["code"], registry=reg).labels(code="200").inc(5)
    Gauge("client_temperature", 'Temp with "quotes" and \\ backslash.', registry=reg).set(-3.25)
    h = Histogram("client_latency_seconds", "Latency.", buckets=(0.1, 1.0, 10.0), registry=reg)
    for v in (0.05, 0.5, 5.0, 50.0):
        h.observe(v)
    s = Summary("client_size_bytes", "Size.", registry=reg)
    s.observe(1000)
    s.observe(1e6)
    return reg


def _client_sequence(server):
    push_to_gateway(gw(server), job="seq", registry=_all_types_registry(), grouping_key={"p": "/a/b"},
                    timeout=TIMEOUT_S)
    pushadd_to_gateway(gw(server), job="seq", registry=registry_with("extra", 1e6, "Extra\nhelp."),
                       grouping_key={"p": "/a/b"}, timeout=TIMEOUT_S)
    push_to_gateway(gw(server), job="other", registry=registry_with("extra", 2, "Extra\nhelp."),
                    timeout=TIMEOUT_S)
    delete_from_gateway(gw(server), job="other", timeout=TIMEOUT_S)


def test_all_types_roundtrip(ours):
    _client_sequence(ours)
    lines = lines_of(ours)
    for want in [
        'client_requests_total{code="200",instance="",job="seq",p="/a/b"} 5',
        'client_temperature{instance="",job="seq",p="/a/b"} -3.25',
        'client_latency_seconds_bucket{instance="",job="seq",p="/a/b",le="1"} 2',
        'client_latency_seconds_bucket{instance="",job="seq",p="/a/b",le="+Inf"} 4',
        'client_latency_seconds_count{instance="",job="seq",p="/a/b"} 4',
        'client_size_bytes_sum{instance="",job="seq",p="/a/b"} 1.001e+06',
        'extra{instance="",job="seq",p="/a/b"} 1e+06',
    ]:
        assert want in lines, f"missing {want!r} in {lines}"
    assert not [line for line in lines if 'job="other"' in line]
    resp = ours.scrape()
    assert harness.help_of(resp.text, "client_temperature") == 'Temp with "quotes" and \\\\ backslash.'
    assert harness.help_of(resp.text, "extra") == "Extra\\nhelp."


def test_client_sequence_matches_upstream(ours, upstream):
    for server in (ours, upstream):
        _client_sequence(server)
        server.barrier()
    a, b = ours.scrape(), upstream.scrape()
    assert (a.status, b.status) == (200, 200)
    # `_created` samples carry the client's own clock: compare them as present, not by value.
    def norm(text):
        out = []
        for name, help_line, type_line, lines in harness.normalize_text(text):
            if name.endswith("_created"):
                lines = tuple(line.rsplit(" ", 1)[0] for line in lines)
            out.append((name, help_line, type_line, lines))
        return out

    assert norm(a.text) == norm(b.text)
