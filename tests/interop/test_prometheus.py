"""A real Prometheus (Debian's package) scrapes ours with `honor_labels: true`: the stored series
must carry the pushed job/instance/grouping labels, not the scrape target's.

Run twice: with Prometheus' default negotiation (it asks for OpenMetrics first and must get text
0.0.4) and with native histograms on, where it asks for delimited protobuf first.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse

import pytest

import harness

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
READY_TIMEOUT_S = 60.0
SERIES_TIMEOUT_S = 60.0

CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pushgateway-under-test
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:{port}']
        labels:
          zone: target-zone
"""


class Prometheus:
    """Debian's Prometheus on a free loopback port with the given configuration file text."""

    def __init__(self, config_text, features=()):
        self.dir = tempfile.mkdtemp(prefix="pgrs-prometheus-")
        self.port = harness.free_port()
        config_path = os.path.join(self.dir, "prometheus.yml")
        with open(config_path, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(self.dir, "prometheus.log")
        argv = [
            PROMETHEUS,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            *[f"--enable-feature={f}" for f in features],
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=harness.die_with_parent)

    def log_tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-4000:].decode("utf-8", errors="replace")

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"prometheus exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if harness.http_request(self.port, "GET", "/-/ready", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"prometheus not ready after {READY_TIMEOUT_S}s:\n{self.log_tail()}")

    def query(self, expr):
        path = "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        resp = harness.http_request(self.port, "GET", path, timeout=10)
        assert resp.status == 200, resp.text
        data = json.loads(resp.body)
        assert data["status"] == "success", data
        return data["data"]["result"]

    def wait_for(self, expr, count):
        """Poll until `expr` returns `count` series (bounded)."""
        deadline = time.monotonic() + SERIES_TIMEOUT_S
        result = []
        while time.monotonic() < deadline:
            result = self.query(expr)
            if len(result) >= count:
                return result
            time.sleep(0.5)
        pytest.fail(f"{expr}: {len(result)} series after {SERIES_TIMEOUT_S}s, want {count}: {result}\n"
                    f"targets: {self.targets()}\n{self.log_tail()}")

    def targets(self):
        resp = harness.http_request(self.port, "GET", "/api/v1/targets", timeout=10)
        return resp.text[:3000]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def prometheus_for():
    started = []

    def start(target_port, features=()):
        prom = Prometheus(CONFIG.format(port=target_port), features)
        started.append(prom)
        prom.wait_ready()
        return prom

    yield start
    for prom in started:
        prom.stop()


def labels_of(result):
    return sorted((tuple(sorted(r["metric"].items())) for r in result))


@pytest.mark.timeout(180)
@pytest.mark.parametrize("features", [(), ("native-histograms",)], ids=["text", "protobuf-negotiated"])
def test_prometheus_keeps_pushed_labels(ours, prometheus_for, features):
    pushes = [
        ("/metrics/job/batch/instance/inst1/zone/eu", 'pushed_metric{extra="x"} 42\n'),
        ("/metrics/job/batch2", 'pushed_metric{extra="y"} 7\n'),
        ("/metrics/job/batch3/path@base64/L3Zhci90bXA", 'pushed_metric{extra="z"} 1.5\n'),
        ("/metrics/job/hist/instance/h1",
         '# TYPE pushed_hist histogram\npushed_hist_bucket{le="1"} 1\npushed_hist_bucket{le="+Inf"} 2\n'
         "pushed_hist_sum 3\npushed_hist_count 2\n"),
    ]
    for path, body in pushes:
        resp = ours.push("PUT", path, body)
        assert resp.status == 200, f"{path}: {resp.status} {resp.text}"
    prom = prometheus_for(ours.port, features)

    result = prom.wait_for("pushed_metric", 3)
    got = {tuple(sorted(r["metric"].items())): r["value"][1] for r in result}
    assert got[(("__name__", "pushed_metric"), ("extra", "x"), ("instance", "inst1"), ("job", "batch"),
                ("zone", "eu"))] == "42"
    # instance="" from the gateway: with honor_labels the empty value wins, so no instance label.
    # The target's zone label is added because the series has none of its own.
    assert got[(("__name__", "pushed_metric"), ("extra", "y"), ("job", "batch2"), ("zone", "target-zone"))] == "7"
    assert got[(("__name__", "pushed_metric"), ("extra", "z"), ("job", "batch3"), ("path", "/var/tmp"),
                ("zone", "target-zone"))] == "1.5"
    assert len(got) == 3

    hist = prom.wait_for('pushed_hist_bucket{le="+Inf"}', 1)
    assert labels_of(hist) == [(("__name__", "pushed_hist_bucket"), ("instance", "h1"), ("job", "hist"),
                                ("le", "+Inf"), ("zone", "target-zone"))]
    assert hist[0]["value"][1] == "2"

    push_times = prom.wait_for("push_time_seconds", 3)
    jobs = sorted(dict(r["metric"]).get("job") for r in push_times)
    assert "pushgateway-under-test" not in jobs
    assert {"batch", "batch2", "hist"} <= set(jobs)

    up = prom.wait_for('up{job="pushgateway-under-test"}', 1)
    assert up[0]["value"][1] == "1"
    assert dict(up[0]["metric"])["instance"] == f"127.0.0.1:{ours.port}"


@pytest.mark.timeout(180)
@pytest.mark.parametrize("features", [(), ("native-histograms",)], ids=["text", "protobuf-negotiated"])
def test_prometheus_gets_utf8_names_escaped(server_factory, prometheus_for, features):
    """With --push.enable-utf8-names, this Prometheus (2.x, which asks for no escaping=) gets
    names escaped with underscores, in text and in protobuf, and scrapes them without errors."""
    ours = server_factory("ours", "--push.enable-utf8-names")
    resp = ours.push("PUT", "/metrics/job/utf8/U__dotted_2e_label/v",
                     '# TYPE "my.metric" gauge\n{"my.metric","some.label"="x"} 5\n')
    assert resp.status == 200, resp.text
    prom = prometheus_for(ours.port, features)

    result = prom.wait_for("my_metric", 1)
    assert labels_of(result) == [(("__name__", "my_metric"), ("dotted_label", "v"), ("job", "utf8"),
                                  ("some_label", "x"), ("zone", "target-zone"))]
    assert result[0]["value"][1] == "5"
    push_times = prom.wait_for('push_time_seconds{job="utf8"}', 1)
    assert dict(push_times[0]["metric"])["dotted_label"] == "v"
    up = prom.wait_for('up{job="pushgateway-under-test"}', 1)
    assert up[0]["value"][1] == "1"
