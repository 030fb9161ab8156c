"""Opt-in group expiry (`--push.group-ttl`, ours only) with the Python client library: groups it
pushes go once their last successful push is a TTL old, and never earlier; the counter parses
with the client's own parser; and `--push.group-ttl=0` leaves ours indistinguishable from
upstream."""

import time

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, pushadd_to_gateway
from prometheus_client.parser import text_string_to_metric_families

import differential
from differential import Case, Scrape, Step

TTL_S = 1.0
WAIT_S = 30.0
TIMEOUT_S = 10
FAILING = "f 1 1700000000000\n"


def registry(value):
    reg = CollectorRegistry()
    Gauge("job_result", "result of the job", registry=reg).set(value)
    return reg


def samples(server):
    """{(sample name, job label): value} of the exposition, read by the client's parser."""
    resp = server.scrape()
    assert resp.status == 200, resp.text
    return {(s.name, s.labels.get("job")): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def wait_gone(server, job, pushed):
    """Waits (bounded) until `job` has no successful push left; checks it went no earlier than
    a TTL after `pushed`, taken before its last successful push was sent."""
    deadline = time.monotonic() + WAIT_S
    while samples(server).get(("push_time_seconds", job), 0) != 0:
        assert time.monotonic() < deadline, f"{job} never expired"
        time.sleep(0.05)
    age = time.monotonic() - pushed
    assert age >= TTL_S, f"{job} expired {age:.3f}s after its last push"


def test_client_pushes_expire_and_are_counted(server_factory):
    ours = server_factory("ours", "--push.group-ttl=1s")
    assert samples(ours)[("pushgateway_groups_expired_total", None)] == 0
    gw = f"127.0.0.1:{ours.port}"
    pushed = time.monotonic()
    push_to_gateway(gw, job="put", registry=registry(1), timeout=TIMEOUT_S)
    pushed_post = time.monotonic()
    pushadd_to_gateway(gw, job="post", registry=registry(2), timeout=TIMEOUT_S)
    wait_gone(ours, "put", pushed)
    wait_gone(ours, "post", pushed_post)
    now = samples(ours)
    assert now[("pushgateway_groups_expired_total", None)] == 2
    assert not [k for k in now if k[0] == "job_result"]


def test_client_pushes_keep_a_group_and_failures_do_not(server_factory):
    ours = server_factory("ours", "--push.group-ttl=1s")
    gw = f"127.0.0.1:{ours.port}"
    pushed = time.monotonic()
    push_to_gateway(gw, job="kept", registry=registry(0), timeout=TIMEOUT_S)
    for i in range(12):
        time.sleep(TTL_S / 4)
        if ("push_time_seconds", "kept") not in samples(ours):
            assert time.monotonic() - pushed >= TTL_S, "kept went before a TTL passed"
        sent = time.monotonic()
        (push_to_gateway if i % 2 else pushadd_to_gateway)(
            gw, job="kept", registry=registry(i), timeout=TIMEOUT_S)
        pushed = sent
    # Rejected pushes do not refresh it.
    deadline = time.monotonic() + WAIT_S
    while samples(ours).get(("push_time_seconds", "kept"), 0) != 0:
        assert ours.push("PUT", "/metrics/job/kept", FAILING).status == 400
        assert time.monotonic() < deadline, "failed pushes kept the group"
        time.sleep(0.05)
    assert time.monotonic() - pushed >= TTL_S


def test_ttl_zero_is_upstream(server_factory):
    """Off is off: the same requests, including a pushed family named like our counter, leave
    ours (with the flag given as 0) and upstream with the same answers and exposition."""
    ours = server_factory("ours", "--push.group-ttl=0")
    upstream = server_factory("upstream")
    case = Case("ttl-zero", [
        Step("PUT", "/metrics/job/a", "x 1\n"),
        Step("PUT", "/metrics/job/g",
             "# TYPE pushgateway_groups_expired_total gauge\npushgateway_groups_expired_total 7\n"),
        Step("POST", "/metrics/job/a/instance/i", FAILING),
        Scrape(),
        Step("DELETE", "/metrics/job/a"),
    ])
    differential.run_differential(ours, upstream, case)
